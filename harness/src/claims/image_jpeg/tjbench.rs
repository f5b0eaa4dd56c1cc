//! Claim 4 against libjpeg-turbo's own `tjbench` (Debian's build), timed
//! interleaved with the Rust decoders by `experiments::jpeg_tjbench`: the
//! same slowdown rule as against mozjpeg-sys, on ratios paired per round,
//! and the pipeline's default decoder against the harness's goal.

use std::collections::BTreeMap;

use crate::evidence::store::Evidence;
use crate::experiments::jpeg_tjbench::{Data, TJBENCH};
use crate::measure::stats::{paired_ratio, Estimate};
use crate::report::goal::{at_least, Goal};
use crate::report::markdown::{est, table};

/// The evidence this part reads.
pub const EVIDENCE: &str = crate::experiments::jpeg_tjbench::EXPERIMENT;

/// What the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct TjFigures {
    /// Debian's libjpeg-turbo package that tjbench links.
    pub debian: String,
    /// The mozjpeg-sys crate decoding in the harness.
    pub mozjpeg_sys: String,
    /// The image versions the run decoded with (Cargo.lock's, joined).
    pub image_versions: String,
    /// By way (`mozjpeg`, `image`, `image-0.24`), per image: time(way) /
    /// time(tjbench), the median of per-round ratios with its interval.
    pub slowdown: BTreeMap<String, Vec<(String, Estimate)>>,
}

/// The figures of the interleaved run: per image and way, the per-round
/// ratio tjbench's throughput / the way's (= the way's time / tjbench's).
pub fn figures(d: &Data) -> TjFigures {
    let mut slowdown: BTreeMap<String, Vec<(String, Estimate)>> = BTreeMap::new();
    for (image, ways) in &d.mpixels_per_s {
        let Some(tj) = ways.get(TJBENCH) else { continue };
        for (way, mps) in ways.iter().filter(|(w, _)| *w != TJBENCH) {
            slowdown.entry(way.clone()).or_default().push((image.clone(), paired_ratio(tj, mps)));
        }
    }
    TjFigures { debian: d.debian_libjpeg_turbo.clone(), mozjpeg_sys: d.mozjpeg_sys.clone(), image_versions: d.image_versions.clone(), slowdown }
}

impl TjFigures {
    /// One way's per-image slowdowns (empty when it was not measured).
    pub fn of(&self, way: &str) -> &[(String, Estimate)] {
        self.slowdown.get(way).map_or(&[], Vec::as_slice)
    }
}

/// The pipeline's default decoder's throughput over tjbench's, per image
/// and paired per round, against `goal`.
pub fn default_against_goal(d: &Data, default: &str, goal: f64) -> Vec<(String, Estimate, Goal)> {
    d.mpixels_per_s
        .iter()
        .filter_map(|(image, ways)| {
            let e = paired_ratio(ways.get(default)?, ways.get(TJBENCH)?);
            Some((image.clone(), e, at_least(&e, goal)))
        })
        .collect()
}

fn psnr_cell(db: Option<&Option<f64>>) -> String {
    match db {
        Some(None) => "identical".into(),
        Some(Some(db)) => format!("{db:.1} dB"),
        None => "-".into(),
    }
}

/// The report's section on the interleaved run.
pub fn section(ev: &Evidence<Data>, rel: &str, default: &str, goal: f64) -> String {
    let d = &ev.data;
    let f = figures(d);
    let rounds = ev.parameters["rounds"].as_u64().unwrap_or(0);
    let ways = d.ways().len() as u64;
    let balance = if rounds % ways.max(1) == 0 {
        format!("{rounds} is a multiple of the {ways} ways, so each way was timed first, second, ... equally often")
    } else {
        format!("{rounds} is not a multiple of the {ways} ways, so some ways were timed first more often than others: order effects are not fully balanced")
    };
    let (secs, warm) = (ev.parameters["seconds"].as_f64().unwrap_or(f64::NAN), ev.parameters["warmup"].as_f64().unwrap_or(f64::NAN));
    let mut s = format!(
        "## libjpeg-turbo's own benchmark, side by side\n\n`harness experiment jpeg-tjbench` (`{}`): {rounds} rounds; in each, every image is decoded to RGB8 on \
         one thread by every way, the ways' order rotating by round: `tjbench -rgb -nowrite -benchtime {secs} -warmup {warm}` as its own process (Debian's \
         libjpeg-turbo, {}), and in the harness's process {} (mozjpeg's libjpeg-turbo fork), image 0.25 and image 0.24, each decoding for {secs} s after a \
         {warm} s warm-up. Before timing, Debian's `djpeg` and every Rust decoder decoded each image to mozjpeg-sys's pixels (PSNR against mozjpeg-sys; \
         \"identical\": the same pixels). Ratios are paired per round: the median of the per-round ratios with its 95% interval; {balance}. \
         image 0.24 runs jpeg-decoder in a one-thread rayon pool (its `jpeg_rayon` default would spread one decode over the global pool), so every way \
         decodes on one thread.\n\n",
        rel,
        f.debian,
        f.mozjpeg_sys
    );
    let mut rows = Vec::new();
    for info in &d.images {
        let Some(ways) = d.mpixels_per_s.get(&info.name) else { continue };
        let mps = |w: &str| ways.get(w).map_or("-".to_string(), |v| est(&crate::measure::stats::estimate(v), 1));
        rows.push(vec![
            info.name.clone(),
            psnr_cell(info.psnr_db.get(TJBENCH)),
            mps(TJBENCH),
            mps("mozjpeg"),
            mps("image"),
            mps("image-0.24"),
            psnr_cell(info.psnr_db.get("image")),
            psnr_cell(info.psnr_db.get("image-0.24")),
        ]);
    }
    s += "Megapixels per second, median [95% CI]:\n\n";
    s += &table(
        &[
            "image",
            "djpeg vs mozjpeg-sys",
            "tjbench (Debian's libjpeg-turbo)",
            "mozjpeg-sys",
            "image 0.25",
            "image 0.24",
            "image 0.25 vs mozjpeg-sys",
            "image 0.24 vs mozjpeg-sys",
        ],
        &rows,
    );
    let goals = default_against_goal(d, default, goal);
    let rows: Vec<Vec<String>> = d
        .mpixels_per_s
        .keys()
        .map(|img| {
            let cell = |way: &str| f.of(way).iter().find(|(i, _)| i == img).map_or("-".to_string(), |(_, e)| est(e, 3));
            let g = goals.iter().find(|(i, _, _)| i == img).map_or("-".to_string(), |(_, e, g)| format!("{} ({})", est(e, 3), g.label()));
            vec![img.clone(), cell("mozjpeg"), cell("image"), cell("image-0.24"), g]
        })
        .collect();
    s += &format!(
        "\nTime per image over tjbench's, paired per round; the last column is the pipeline's default decoder (`{default}`) in throughput over tjbench's, \
         against the harness's goal of at least {goal}:\n\n"
    );
    s += &table(&["image", "mozjpeg-sys / tjbench", "image 0.25 / tjbench", "image 0.24 / tjbench", &format!("`{default}` throughput / tjbench's")], &rows);
    s + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(tj: &[f64], image: &[f64]) -> Data {
        let mut ways = BTreeMap::new();
        ways.insert(TJBENCH.to_string(), tj.to_vec());
        ways.insert("image".to_string(), image.to_vec());
        let mut d = Data::default();
        d.mpixels_per_s.insert("photo".into(), ways);
        d
    }

    #[test]
    fn the_slowdown_is_tjbench_throughput_over_the_decoders_paired_per_round() {
        // Round by round image runs at half tjbench's speed while both drift.
        let f = figures(&data(
            &[200.0, 100.0, 150.0, 120.0, 180.0, 160.0, 140.0, 110.0, 190.0, 130.0],
            &[100.0, 50.0, 75.0, 60.0, 90.0, 80.0, 70.0, 55.0, 95.0, 65.0],
        ));
        let e = &f.of("image")[0].1;
        assert_eq!((e.median, e.ci_low, e.ci_high), (2.0, 2.0, 2.0), "drift cancels in the pairs");
        assert!(f.of("mozjpeg").is_empty(), "a way not measured has no figures");
    }

    #[test]
    fn the_default_decoder_goal_is_judged_on_the_paired_interval() {
        let d = data(&[100.0; 10], &[99.0, 97.0, 98.0, 99.5, 96.0, 98.5, 97.5, 99.0, 98.0, 97.0]);
        assert_eq!(default_against_goal(&d, "image", 0.95)[0].2, Goal::Met);
        assert_eq!(default_against_goal(&d, "image", 0.995)[0].2, Goal::NotMet);
        assert!(default_against_goal(&d, "mozjpeg", 0.95).is_empty(), "no figures, no goal row");
    }
}
