//! Claim 4: "image's JPEG decoder is pure Rust without SIMD, 2-3x slower
//! than libjpeg-turbo; add a `jpeg-simd` feature / mozjpeg backend".
//!
//! Evidence: `cargo bench --bench jpeg` (each decoder's pixels checked at
//! at least 40 dB PSNR against libjpeg-turbo before timing), imported with
//! `harness bench-import image-jpeg`. Rule: "2-3x slower" is refuted when,
//! on every image, image's throughput is at least half of mozjpeg's (upper
//! bound of the 95% interval of time(image)/time(mozjpeg) below 2),
//! confirmed when it is at most half on every image, partly otherwise. The
//! same rule is applied to image 0.24 (jpeg-decoder inside, the decoder the
//! claim describes) and to 0.25 (zune-jpeg), measured in the same bench:
//! a verdict per version, shown by the version ledger (`ledger`).

use std::path::Path;

use super::registry::{Claim, Info, Method, Part, Sources};
use super::verdict::{comparison, side, Outcome, Side, Verdict};
use super::BenchData as Data;
use crate::evidence::store::{self, Evidence};
use crate::measure::stats::{estimate, ratio, Estimate};
use crate::report::chart::{bars, Bar};
use crate::report::goal::{figure_at_least, Goal};
use crate::report::markdown::{environment, est, table};
use crate::report::Page;

/// Claim id.
pub const CLAIM: &str = "image-jpeg";
/// Bench group prefix (decode and encode groups).
pub const PREFIX: &str = "claim4-jpeg-";
const DECODE: &str = "claim4-jpeg-decode/";
const ENCODE: &str = "claim4-jpeg-encode/";
/// The pipeline's keyframe in the bench (its picture is SYNTHETIC).
const KEYFRAME: &str = "keyframe-640x360-SYNTHETIC-picture";
/// Report file.
pub const FILE: &str = "image-jpeg.md";

const DECODERS: [&str; 5] = ["image", "image-0.24", "jpeg-decoder", "jpeg-decoder-rayon", "mozjpeg"];

/// The bench's images as files: the photos as shipped, the re-encodes made
/// again with the same mozjpeg settings (deterministic).
fn image_files() -> Result<Vec<(String, std::path::PathBuf)>, crate::claims::ClaimError> {
    use crate::models::{catalog::id, locate};
    use crate::stages::jpeg::{encode_rgb, EncodeOptions, Subsampling};
    let mut v = Vec::new();
    for (name, aid) in [("rocket-640x427", id::PHOTO_ROCKET), ("hubble-1000x872", id::PHOTO_HUBBLE), ("retina-1411x1411", id::PHOTO_RETINA)] {
        v.push((name.to_string(), locate::require(aid)?));
    }
    let coffee = image::open(locate::require(id::PHOTO_COFFEE)?)?.to_rgb8();
    let dir = crate::paths::cache_dir().join("anchors");
    std::fs::create_dir_all(&dir).map_err(super::error::io(&dir))?;
    for (name, opts) in [
        ("coffee-q85-420-baseline", EncodeOptions { quality: 85.0, subsampling: Subsampling::S420, progressive: false }),
        ("coffee-q85-444-progressive", EncodeOptions { quality: 85.0, subsampling: Subsampling::S444, progressive: true }),
    ] {
        let bytes = encode_rgb(coffee.as_raw(), coffee.width() as usize, coffee.height() as usize, opts)?;
        let p = dir.join(format!("{name}.jpg"));
        std::fs::write(&p, bytes).map_err(super::error::io(&p))?;
        v.push((name.to_string(), p));
    }
    let quality = crate::scenario::Jpeg::default().quality;
    let video = locate::require(id::VIDEO_MP4)?;
    if let Some((_, bytes)) = crate::pipeline::keyframes::pipeline_keyframes(&video, quality, 1)?.pop() {
        let p = dir.join(format!("{KEYFRAME}.jpg"));
        std::fs::write(&p, bytes).map_err(super::error::io(&p))?;
        v.push((KEYFRAME.to_string(), p));
    }
    Ok(v)
}

/// libjpeg-turbo's own benchmark (Debian `libjpeg-turbo-progs`), one thread,
/// decoding each image to RGB: megapixels per second as tjbench reports it.
pub fn probe() -> serde_json::Value {
    let files = match image_files() {
        Ok(f) => f,
        Err(e) => return serde_json::json!({ "tjbench_error": e.to_string() }),
    };
    let mut out = serde_json::Map::new();
    for (name, path) in files {
        let o = crate::process::output(
            std::process::Command::new("tjbench").arg(&path).args(["-rgb", "-benchtime", "2", "-warmup", "1"]),
            crate::process::limit::TOOL,
        );
        let mps = o.ok().and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let after = text.split("Decompress").nth(1)?.to_string();
            after.lines().find(|l| l.contains("Throughput"))?.split_whitespace().find_map(|w| w.parse::<f64>().ok())
        });
        out.insert(name, serde_json::json!(mps));
    }
    serde_json::json!({ "tjbench_mpixels_per_s": out, "pipeline_default_decoder": crate::scenario::Jpeg::default().decoder.name() })
}

/// "2-3x slower": image taking at least this many times libjpeg-turbo's time.
pub const CLAIMED_SLOWDOWN: f64 = 2.0;

/// The pipeline's default decoder against libjpeg-turbo's `tjbench`, at
/// least (a goal of the harness, printed beside the claim).
pub const TJBENCH_GOAL: f64 = 0.95;

/// The parts of claim 4.
pub const PARTS: &[Part] = &[
    Part { id: "no-simd", question: "\"pure Rust without SIMD\"" },
    Part { id: "slowdown", question: "\"2-3x slower than libjpeg-turbo\", on image 0.25 (the version the seed names)" },
    Part { id: "slowdown-0.24", question: "\"2-3x slower than libjpeg-turbo\", on image 0.24 (jpeg-decoder inside: the decoder the claim describes)" },
];

/// What the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// The image versions in Cargo.lock (0.25 and, since it was measured, 0.24).
    pub image_version: String,
    /// Per image: decoding time with image 0.25 / with mozjpeg (libjpeg-turbo), one thread each.
    pub slowdown: Vec<(String, Estimate)>,
    /// The same with image 0.24 (empty in evidence from before it was measured).
    pub slowdown_024: Vec<(String, Estimate)>,
}

/// The version of `image` in `versions` (Cargo.lock's, joined) starting with `prefix`.
fn version_of(versions: &str, prefix: &str) -> String {
    versions.split(", ").find(|v| v.starts_with(prefix)).unwrap_or(prefix).to_string()
}

/// The slowdown rule on one version's per-image intervals.
fn slowdown_verdict(part: &'static str, version: &str, slowdown: &[(String, Estimate)]) -> Verdict {
    let sides: Vec<Side> = slowdown.iter().map(|(_, e)| side(e, CLAIMED_SLOWDOWN)).collect();
    let (above, below) = (sides.iter().filter(|s| **s == Side::Above).count(), sides.iter().filter(|s| **s == Side::Below).count());
    let outcome = if sides.is_empty() {
        Outcome::NotMeasured
    } else if below == sides.len() {
        Outcome::Refuted
    } else if above == sides.len() {
        Outcome::Confirmed
    } else if above > 0 && below > 0 {
        Outcome::Partly
    } else {
        Outcome::Inconclusive
    };
    let per_image = slowdown.iter().map(|(img, e)| format!("{img} {}", comparison(e, 2))).collect::<Vec<_>>().join("; ");
    let figures = format!(
        "image {version}: time image / libjpeg-turbo (mozjpeg) is under {CLAIMED_SLOWDOWN}x on {below}, at least {CLAIMED_SLOWDOWN}x on {above} of {} images: {per_image}",
        sides.len()
    );
    Verdict::new(part, outcome, figures)
}

/// The slowdown part as the ledger asks it, without a version in the question.
pub const LEDGER_PARTS: &[Part] = &[Part { id: "slowdown", question: "\"2-3x slower than libjpeg-turbo\"" }];

/// The versions of the ledger: the bench decodes with both (image 0.24 is
/// a dependency of its own, `image024`); a test checks them against Cargo.lock.
pub const VERSIONS: super::registry::Versions = super::registry::Versions { seed: "0.25", built_in: &["0.24.9", "0.25.10"] };

/// The ledger: the slowdown rule's verdict on each image version measured
/// (the parts `slowdown` and `slowdown-0.24` of the verdict table, as one
/// part per version).
pub fn ledger(f: &Figures) -> Vec<super::ledger::Entry> {
    let v = rules(f);
    [("0.24", &v[2]), ("0.25", &v[1])]
        .into_iter()
        .filter(|(_, verdict)| verdict.outcome != Outcome::NotMeasured)
        .map(|(prefix, verdict)| {
            super::ledger::Entry::new("image", &version_of(&f.image_version, prefix), Verdict::new("slowdown", verdict.outcome, verdict.figures.clone()))
        })
        .collect()
}

/// The seed's two figures for claim 4, per picture and image version: the
/// speed gain of decoding with libjpeg-turbo (mozjpeg) instead of image,
/// judged on each interval ("+2-3x JPEG decode speed" for a SIMD image,
/// "+3-5x decode" for the team's own switch).
pub fn seed_rows(f: &Figures) -> Vec<super::seed_figures::Row> {
    use super::seed_figures::{Claimed, Row};
    let mut rows = Vec::new();
    for (quote, claimed) in [("+2-3x JPEG decode speed", Claimed::Gain(2.0, 3.0)), ("+3-5x decode", Claimed::Gain(3.0, 5.0))] {
        for (prefix, per_image) in [("0.24", &f.slowdown_024), ("0.25", &f.slowdown)] {
            let version = version_of(&f.image_version, prefix);
            for (img, e) in per_image {
                rows.push(Row {
                    quote,
                    claimed,
                    measured: Some(e.median),
                    interval: super::seed_figures::interval(e),
                    shown: format!("image {version}, {img}: libjpeg-turbo (mozjpeg) decodes {} x as fast", crate::measure::stats::show(e, 2)),
                });
            }
        }
    }
    rows
}

/// The rules of claim 4, pure: per image, the slowdown's interval against
/// `CLAIMED_SLOWDOWN`; the claim is refuted when every image is below it,
/// confirmed when every image is at or above it, partly when some are each,
/// inconclusive when an interval straddles it and none contradict.
pub fn rules(f: &Figures) -> Vec<Verdict> {
    let simd = Verdict::new(
        "no-simd",
        Outcome::Refuted,
        format!(
            "upstream fact: image {} decodes JPEG with zune-jpeg (since 0.25.0), which has runtime-detected AVX2 and NEON paths",
            version_of(&f.image_version, "0.25")
        ),
    );
    vec![
        simd,
        slowdown_verdict("slowdown", &version_of(&f.image_version, "0.25"), &f.slowdown),
        slowdown_verdict("slowdown-0.24", &version_of(&f.image_version, "0.24"), &f.slowdown_024),
    ]
}

fn decoded_images(d: &Data) -> Vec<String> {
    let mut images: Vec<String> = d.benches.iter().filter_map(|b| b.group.strip_prefix(DECODE).map(String::from)).collect();
    images.sort();
    images.dedup();
    images
}

/// The figures of an evidence file.
pub fn figures(ev: &Evidence<Data>) -> Figures {
    let against_mozjpeg = |decoder: &str| -> Vec<(String, Estimate)> {
        decoded_images(&ev.data)
            .into_iter()
            .filter_map(|img| {
                let get = |d: &str| ev.data.samples(&format!("{DECODE}{img}"), d).map(|v| v.to_vec());
                let (i, m) = (get(decoder)?, get("mozjpeg")?);
                Some((img, ratio(&i, &m)))
            })
            .collect()
    };
    Figures {
        image_version: ev.environment.crates.get("image").cloned().unwrap_or_else(|| "?".into()),
        slowdown: against_mozjpeg("image"),
        slowdown_024: against_mozjpeg("image-0.24"),
    }
}

/// What the claim is, for the registry.
pub const INFO: Info = Info {
    id: CLAIM,
    title: "image's JPEG decoder is pure Rust without SIMD, 2-3x slower than libjpeg-turbo",
    seed: Some(4),
    upstream: "image",
    method: Method::Bench("jpeg"),
    evidence: &[CLAIM],
    parts: PARTS,
    seed_quote: &[
        "**Package**: image v0.25",
        "Current image::jpeg decoder is pure Rust (portable, but slower than native SIMD)",
        "**Impact**: +2-3x JPEG decode speed (comparable to libjpeg-turbo)",
        "| **image JPEG** | +3-5x decode | High (all image apps) | Medium | **Very Good** |",
    ],
};

/// Claim 4 in the registry.
pub struct ImageJpegClaim;

impl Claim for ImageJpegClaim {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn measure(&self, quick: bool, progress: &dyn Fn(&str)) -> Result<Vec<(String, std::path::PathBuf)>, crate::claims::ClaimError> {
        Ok(vec![(CLAIM.to_string(), super::measure_bench(CLAIM, quick, progress)?)])
    }
    fn judge(&self, sources: &Sources) -> Result<Vec<Verdict>, crate::claims::ClaimError> {
        let ev: Evidence<Data> = store::read(sources.get(CLAIM)?)?;
        Ok(rules(&figures(&ev)))
    }
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError> {
        Ok(vec![(FILE.to_string(), render(sources.get(CLAIM)?)?)])
    }
    fn versions(&self) -> Option<&'static super::registry::Versions> {
        Some(&VERSIONS)
    }
    fn ledger(&self, sources: &Sources) -> Result<Vec<super::ledger::Entry>, crate::claims::ClaimError> {
        let ev: Evidence<Data> = store::read(sources.get(CLAIM)?)?;
        Ok(ledger(&figures(&ev)))
    }
}

/// Renders the report.
pub fn render(path: &Path) -> Result<Page, crate::report::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    let rel = crate::report::markdown::data_path(path);
    let images = decoded_images(&ev.data);
    let verdicts = rules(&figures(&ev));
    let mut s = String::from("# image: JPEG decoding speed (claim 4)\n\n## The claim\n\n");
    s += &super::registry::seed_section(&INFO);
    s += "## What upstream says\n\n- image 0.25.0 switched its JPEG decoder to zune-jpeg (image CHANGES.md, PR #2141); zune-jpeg has AVX2 (runtime-detected) and NEON paths \
          for IDCT, colour conversion and upsampling, and is single-threaded.\n- jpeg-decoder is in maintenance mode; SSSE3 SIMD and a default `rayon` feature.\n\
          - mozjpeg-sys builds libjpeg-turbo with NASM SIMD. Public figure: zune-jpeg at about 0.87-0.89x of libjpeg-turbo (imazen/zenjpeg #10).\n\n";
    s += "## Method\n\n`cargo bench --bench jpeg`: real photos from scikit-image (rocket 640x427, hubble 1000x872, retina 1411x1411, baseline) and the coffee photo \
          re-encoded by mozjpeg at q85 (4:2:0 baseline and 4:4:4 progressive); decoding from memory to RGB8, into a reused buffer where the decoder's API \
          allows it (image 0.25 and 0.24 through `read_image`, mozjpeg through `read_scanlines_into`; jpeg-decoder returns a new buffer per image, and image \
          0.24 copies jpeg-decoder's buffer into the caller's: those costs are theirs). Every decoder's output was \
          checked against libjpeg-turbo's (PSNR >= 40 dB, same size) before timing. `jpeg-decoder` runs in a one-thread pool; its rayon mode is shown separately \
          (2 threads here) and is not part of the equal-threads comparison.\n\n## Results\n\nMegapixels per second, median [95% CI]:\n\n";
    let mut rows = Vec::new();
    let mut rel_rows = Vec::new();
    let mut chart_bars = Vec::new();
    for img in &images {
        let get = |d: &str| ev.data.samples(&format!("{DECODE}{img}"), d).map(|v| v.to_vec());
        let px = ev
            .data
            .benches
            .iter()
            .find(|b| b.group.ends_with(&format!("{DECODE}{img}")))
            .and_then(|b| b.throughput.as_ref())
            .and_then(|(n, _)| n.parse::<f64>().ok())
            .unwrap_or(f64::NAN);
        let mps = |v: &[f64]| v.iter().map(|ns| px / (ns / 1e9) / 1e6).collect::<Vec<_>>();
        let mut row = vec![img.clone()];
        for d in DECODERS {
            row.push(get(d).map(|v| est(&estimate(&mps(&v)), 1)).unwrap_or_else(|| "-".into()));
            if let Some(v) = get(d) {
                chart_bars.push(Bar::from_estimate(format!("{img}: {d}"), &estimate(&mps(&v)), 1.0));
            }
        }
        rows.push(row);
        if let (Some(i), Some(m)) = (get("image"), get("mozjpeg")) {
            let old = get("image-0.24").map_or("-".to_string(), |o| est(&ratio(&o, &m), 3));
            rel_rows.push(vec![img.clone(), est(&ratio(&m, &i), 3), est(&ratio(&i, &m), 3), old]);
        }
    }
    s += &table(
        &[
            "image",
            "image 0.25 (zune-jpeg)",
            "image 0.24 (jpeg-decoder, 1 thread)",
            "jpeg-decoder (1 thread)",
            "jpeg-decoder (rayon)",
            "mozjpeg (libjpeg-turbo)",
        ],
        &rows,
    );
    let chart = bars("image-jpeg.svg", "JPEG decoding to RGB8 from memory", "megapixels per second (median, 95% CI)", &chart_bars, None)?;
    s += &format!("\n{}", chart.markdown("decoding throughput per image and decoder"));
    let tj = ev.data.extra.get("tjbench_mpixels_per_s").and_then(|v| v.as_object()).cloned().unwrap_or_default();
    let mut tj_ok = !tj.is_empty();
    let mut image_ok = true;
    // The default when the evidence was taken (older evidence: today's).
    let default = ev.data.extra.get("pipeline_default_decoder").and_then(|v| v.as_str()).unwrap_or(crate::scenario::Jpeg::default().decoder.name());
    if !tj.is_empty() {
        s += &format!("\nThe pipeline's default decoder (`jpeg.decoder = \"{default}\"`) against libjpeg-turbo's own `tjbench -rgb` (one thread, 2 s per image), goal >= {TJBENCH_GOAL}; image (zune-jpeg) alongside:\n\n");
        let mut tj_rows = Vec::new();
        for img in &images {
            let t = tj.get(img).and_then(|v| v.as_f64());
            let px = ev
                .data
                .benches
                .iter()
                .find(|b| b.group.ends_with(&format!("{DECODE}{img}")))
                .and_then(|b| b.throughput.as_ref())
                .and_then(|(n, _)| n.parse::<f64>().ok())
                .unwrap_or(f64::NAN);
            let mps = |d: &str| {
                ev.data
                    .samples(&format!("{DECODE}{img}"), d)
                    .map(|v| crate::measure::stats::median(&v.iter().map(|ns| px / (ns / 1e9) / 1e6).collect::<Vec<_>>()))
            };
            if let (Some(t), Some(m), Some(i)) = (t, mps(default), mps("image")) {
                let goal = figure_at_least(m / t, TJBENCH_GOAL);
                tj_ok &= goal == Goal::Met;
                image_ok &= figure_at_least(i / t, TJBENCH_GOAL) == Goal::Met;
                tj_rows.push(vec![img.clone(), format!("{m:.1}"), format!("{t:.1}"), format!("{:.3}", m / t), goal.label().into(), format!("{:.3}", i / t)]);
            }
        }
        s += &table(&["image", &format!("{default} Mpx/s (median)"), "tjbench Mpx/s", "ratio", "goal", "image / tjbench"], &tj_rows);
    }
    s += "\nimage against libjpeg-turbo, same thread count (one):\n\n";
    s += &table(&["image", "throughput image 0.25 / mozjpeg", "time image 0.25 / mozjpeg", "time image 0.24 / mozjpeg"], &rel_rows);
    s += &format!("\n{}", super::seed_figures::table(&seed_rows(&figures(&ev))));
    s += &format!(
        "\n## Verdict\n\nRule (code: `claims::image_jpeg::rules`): per image, the 95% interval of time(image) / time(mozjpeg) against {CLAIMED_SLOWDOWN}; \
         \"2-3x slower\" is refuted when it lies below on every image, confirmed when at or above on every image, partly when some images are each, \
         inconclusive otherwise.\n\n"
    );
    s += &super::verdict_table(PARTS, &verdicts);
    s += "\n";
    s += &super::ledger::section(LEDGER_PARTS, &ledger(&figures(&ev)), VERSIONS.seed);
    s += "\n## What to file\n\n";
    s += if verdicts[1].outcome == Outcome::Refuted {
        "**Do not file** a `jpeg-simd` feature request with image: the SIMD decoder is already there. A pipeline that needs the last few percent can call mozjpeg directly (the harness's `jpeg.decoder = \"mozjpeg\"`).\n\n"
    } else {
        "Not refuted on every image: before filing, compare against zune-jpeg directly and report per-image numbers; the request would go to zune-jpeg, not image.\n\n"
    };
    if !tj.is_empty() {
        s += &if tj_ok {
            format!(
                "The pipeline's default decode path (`{default}`) reaches {TJBENCH_GOAL}x of `tjbench` on every image{}.\n\n",
                match (default != "image", image_ok) {
                    (true, false) => "; image (zune-jpeg), the default before this measurement, does not on every image (last column)",
                    (true, true) => "; so does image (zune-jpeg), the default before this measurement (last column)",
                    (false, _) => "",
                }
            )
        } else {
            format!("The pipeline's default decode path (`{default}`) does not reach {TJBENCH_GOAL}x of `tjbench` on every image (table above).\n\n")
        };
    }
    let enc: Vec<_> = ev.data.benches.iter().filter(|b| b.group.starts_with(ENCODE)).collect();
    if !enc.is_empty() {
        s += "## Encoding keyframes (mozjpeg)\n\nThe pipeline encodes each keyframe with mozjpeg at quality 85 (`jpeg.quality`); each output was decoded and checked against the source pixels (PSNR >= 25 dB: q85 at 4:2:0 gives about 29 dB on the synthetic picture's sharp colour edges) before timing:\n\n";
        let rows: Vec<Vec<String>> = enc
            .iter()
            .map(|b| {
                let px = b.throughput.as_ref().and_then(|(n, _)| n.parse::<f64>().ok()).unwrap_or(f64::NAN);
                let mps: Vec<f64> = b.ns_per_iter.iter().map(|ns| px / (ns / 1e9) / 1e6).collect();
                let ms: Vec<f64> = b.ns_per_iter.iter().map(|ns| ns / 1e6).collect();
                vec![
                    b.group.trim_start_matches(ENCODE).to_string(),
                    if b.function.is_empty() { b.value.clone() } else { b.function.clone() },
                    est(&estimate(&ms), 2),
                    est(&estimate(&mps), 1),
                ]
            })
            .collect();
        s += &table(&["image", "encoder", "ms per image", "megapixels/s"], &rows);
        s += "\n";
    }
    s += &format!("The `{KEYFRAME}` rows are the pipeline's own first keyframe of the generated MP4, whose picture is SYNTHETIC (ffmpeg's testsrc2); the photos are real.\n\n");
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, vec![chart]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est_list(intervals: &[(f64, f64)]) -> Vec<(String, Estimate)> {
        intervals.iter().enumerate().map(|(i, (lo, hi))| (format!("img{i}"), Estimate::at_95(10, (lo + hi) / 2.0, *lo, *hi))).collect()
    }

    fn fig(intervals: &[(f64, f64)]) -> Figures {
        Figures { image_version: "0.24.9, 0.25.10".into(), slowdown: est_list(intervals), slowdown_024: vec![] }
    }

    #[test]
    fn each_version_is_judged_by_the_same_rule_and_the_finding_names_both() {
        let f = Figures { image_version: "0.24.9, 0.25.10".into(), slowdown: est_list(&[(1.1, 1.3)]), slowdown_024: est_list(&[(2.2, 2.8)]) };
        let v = rules(&f);
        assert_eq!((v[1].outcome, v[2].outcome), (Outcome::Refuted, Outcome::Confirmed));
        assert!(v[1].figures.starts_with("image 0.25.10:") && v[2].figures.starts_with("image 0.24.9:"), "{v:?}");
        let l = ledger(&f);
        assert_eq!(
            l.iter().map(|e| (e.version.as_str(), e.verdict.outcome)).collect::<Vec<_>>(),
            [("0.24.9", Outcome::Confirmed), ("0.25.10", Outcome::Refuted)]
        );
        assert!(super::super::ledger::finding(&super::super::ledger::part_finding(&l, "slowdown")).starts_with("changes between 0.24.9 and 0.25.10"));
        assert_eq!(rules(&fig(&[(1.1, 1.3)]))[2].outcome, Outcome::NotMeasured, "evidence from before 0.24 was measured");
        assert_eq!(ledger(&fig(&[(1.1, 1.3)])).len(), 1, "a version not measured has no ledger entry");
    }

    #[test]
    fn the_slowdown_is_judged_per_image_then_combined() {
        assert_eq!(rules(&fig(&[(1.1, 1.3), (0.9, 1.0)]))[1].outcome, Outcome::Refuted);
        assert_eq!(rules(&fig(&[(2.1, 2.6), (2.0, 3.0)]))[1].outcome, Outcome::Confirmed);
        assert_eq!(rules(&fig(&[(2.1, 2.6), (1.0, 1.2)]))[1].outcome, Outcome::Partly);
        assert_eq!(rules(&fig(&[(1.8, 2.2), (1.0, 1.2)]))[1].outcome, Outcome::Inconclusive);
        assert_eq!(rules(&fig(&[]))[1].outcome, Outcome::NotMeasured);
    }
}
