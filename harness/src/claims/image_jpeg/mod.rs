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
//!
//! libjpeg-turbo's own `tjbench` (Debian's build) is timed interleaved
//! with the Rust decoders by `harness experiment jpeg-tjbench`, and the
//! same rule is applied against it (`tjbench`).

pub mod tjbench;

use std::path::Path;

use super::registry::{Claim, Info, Method, Part, Sources};
use super::verdict::{comparison, side, Outcome, Side, Verdict};
use super::BenchData as Data;
use crate::evidence::store::{self, Evidence};
use crate::experiments::jpeg_tjbench::Data as TjData;
use crate::measure::stats::{estimate, ratio, Estimate};
use crate::report::chart::{bars, Bar};
use crate::report::goal::Goal;
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

/// What the bench import records beside criterion's samples: the
/// pipeline's default decoder when the bench ran (libjpeg-turbo's own
/// tjbench is timed interleaved by `experiments::jpeg_tjbench` instead).
pub fn probe() -> serde_json::Value {
    serde_json::json!({ "pipeline_default_decoder": crate::scenario::Jpeg::default().decoder.name() })
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
    Part {
        id: "slowdown-tjbench",
        question: "\"2-3x slower than libjpeg-turbo\", image 0.25 against libjpeg-turbo's own tjbench (Debian's build), interleaved",
    },
    Part {
        id: "slowdown-0.24-tjbench",
        question: "\"2-3x slower than libjpeg-turbo\", image 0.24 against libjpeg-turbo's own tjbench (Debian's build), interleaved",
    },
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
    /// Against tjbench, interleaved (None: not measured).
    pub tjbench: Option<tjbench::TjFigures>,
}

/// The version of `image` in `versions` (Cargo.lock's, joined) starting with `prefix`.
fn version_of(versions: &str, prefix: &str) -> String {
    versions.split(", ").find(|v| v.starts_with(prefix)).unwrap_or(prefix).to_string()
}

/// The slowdown rule on one version's per-image intervals.
fn slowdown_verdict(part: &'static str, version: &str, reference: &str, slowdown: &[(String, Estimate)]) -> Verdict {
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
        "image {version}: time image / {reference} is under {CLAIMED_SLOWDOWN}x on {below}, at least {CLAIMED_SLOWDOWN}x on {above} of {} images: {per_image}",
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
    const MOZJPEG: &str = "libjpeg-turbo (mozjpeg)";
    const TJBENCH: &str = "libjpeg-turbo (tjbench, Debian's)";
    let (v025, v024) = (version_of(&f.image_version, "0.25"), version_of(&f.image_version, "0.24"));
    let tj = |way: &str| f.tjbench.as_ref().map_or(&[][..], |t| t.of(way));
    // The tjbench run names the versions it decoded with.
    let tj_version =
        |prefix: &str| f.tjbench.as_ref().map_or_else(|| version_of(&f.image_version, prefix), |t| version_of(&t.image_versions.replace("image ", ""), prefix));
    vec![
        simd,
        slowdown_verdict("slowdown", &v025, MOZJPEG, &f.slowdown),
        slowdown_verdict("slowdown-0.24", &v024, MOZJPEG, &f.slowdown_024),
        slowdown_verdict("slowdown-tjbench", &tj_version("0.25"), TJBENCH, tj("image")),
        slowdown_verdict("slowdown-0.24-tjbench", &tj_version("0.24"), TJBENCH, tj("image-0.24")),
    ]
}

fn decoded_images(d: &Data) -> Vec<String> {
    let mut images: Vec<String> = d.benches.iter().filter_map(|b| b.group.strip_prefix(DECODE).map(String::from)).collect();
    images.sort();
    images.dedup();
    images
}

/// The figures of the bench's evidence and the interleaved tjbench run's.
pub fn figures(ev: &Evidence<Data>, tj: Option<&Evidence<TjData>>) -> Figures {
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
        tjbench: tj.map(|t| tjbench::figures(&t.data)),
    }
}

/// What the claim is, for the registry.
pub const INFO: Info = Info {
    id: CLAIM,
    title: "image's JPEG decoder is pure Rust without SIMD, 2-3x slower than libjpeg-turbo",
    seed: Some(4),
    upstream: "image",
    method: Method::Bench("jpeg"),
    evidence: &[CLAIM, tjbench::EVIDENCE],
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
        let bench = super::measure_bench(CLAIM, quick, progress)?;
        let tj = crate::experiments::run_named(tjbench::EVIDENCE, quick, progress)?;
        Ok(vec![(CLAIM.to_string(), bench), (tjbench::EVIDENCE.to_string(), tj)])
    }
    fn judge(&self, sources: &Sources) -> Result<Vec<Verdict>, crate::claims::ClaimError> {
        let (ev, tj) = read_sources(sources)?;
        Ok(rules(&figures(&ev, Some(&tj))))
    }
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError> {
        Ok(vec![(FILE.to_string(), render(sources.get(CLAIM)?, sources.get(tjbench::EVIDENCE)?)?)])
    }
    fn versions(&self) -> Option<&'static super::registry::Versions> {
        Some(&VERSIONS)
    }
    fn ledger(&self, sources: &Sources) -> Result<Vec<super::ledger::Entry>, crate::claims::ClaimError> {
        let (ev, tj) = read_sources(sources)?;
        Ok(ledger(&figures(&ev, Some(&tj))))
    }
}

fn read_sources(sources: &Sources) -> Result<(Evidence<Data>, Evidence<TjData>), crate::claims::ClaimError> {
    Ok((store::read(sources.get(CLAIM)?)?, store::read(sources.get(tjbench::EVIDENCE)?)?))
}

/// All images' goals as one: met when met on every image, not met when
/// not met on any, undecided otherwise.
pub fn every_image(goals: &[Goal]) -> Goal {
    if goals.contains(&Goal::NotMet) {
        Goal::NotMet
    } else if goals.is_empty() || goals.contains(&Goal::Undecided) {
        Goal::Undecided
    } else {
        Goal::Met
    }
}

/// The "what to file" text: do not file when image 0.25 is refuted
/// against both libjpeg-turbo builds (the tjbench part may be missing from
/// older evidence, then mozjpeg's decides).
pub fn what_to_file(verdicts: &[Verdict]) -> &'static str {
    let outcome = |part: &str| verdicts.iter().find(|v| v.part == part).map_or(Outcome::NotMeasured, |v| v.outcome);
    let tj = outcome("slowdown-tjbench");
    if outcome("slowdown") == Outcome::Refuted && matches!(tj, Outcome::Refuted | Outcome::NotMeasured) {
        "**Do not file** a `jpeg-simd` feature request with image: the SIMD decoder is already there. A pipeline that needs the last few percent can call mozjpeg directly (the harness's `jpeg.decoder = \"mozjpeg\"`).\n\n"
    } else {
        "Not refuted on every image against both libjpeg-turbo builds: before filing, compare against zune-jpeg directly and report per-image numbers; the request would go to zune-jpeg, not image.\n\n"
    }
}

/// Renders the report from the bench's evidence and the interleaved tjbench run's.
pub fn render(path: &Path, tj_path: &Path) -> Result<Page, crate::report::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    let tj: Evidence<TjData> = store::read(tj_path)?;
    let rel = crate::report::markdown::data_path(path);
    let images = decoded_images(&ev.data);
    let f = figures(&ev, Some(&tj));
    let verdicts = rules(&f);
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
    // The default when the evidence was taken (older evidence: today's).
    let default = ev.data.extra.get("pipeline_default_decoder").and_then(|v| v.as_str()).unwrap_or(crate::scenario::Jpeg::default().decoder.name());
    s += "\nimage against libjpeg-turbo, same thread count (one):\n\n";
    s += &table(&["image", "throughput image 0.25 / mozjpeg", "time image 0.25 / mozjpeg", "time image 0.24 / mozjpeg"], &rel_rows);
    s += &format!("\n{}", tjbench::section(&tj, &crate::report::markdown::data_path(tj_path), default, TJBENCH_GOAL));
    s += &format!("\n{}", super::seed_figures::table(&seed_rows(&f)));
    s += &format!(
        "\n## Verdict\n\nRule (code: `claims::image_jpeg::rules`): per image, the 95% interval of time(image) / time(libjpeg-turbo) against {CLAIMED_SLOWDOWN}, \
         with libjpeg-turbo as mozjpeg-sys in the bench and as Debian's `tjbench` in the interleaved run; \
         \"2-3x slower\" is refuted when it lies below on every image, confirmed when at or above on every image, partly when some images are each, \
         inconclusive otherwise.\n\n"
    );
    s += &super::verdict_table(PARTS, &verdicts);
    s += "\n";
    s += &super::ledger::section(LEDGER_PARTS, &ledger(&f), VERSIONS.seed);
    s += "\n## What to file\n\n";
    s += what_to_file(&verdicts);
    let goals: Vec<Goal> = tjbench::default_against_goal(&tj.data, default, TJBENCH_GOAL).into_iter().map(|(_, _, g)| g).collect();
    s += &format!(
        "The pipeline's default decode path (`{default}`) against `tjbench`, goal at least {TJBENCH_GOAL}x its throughput on every image: {} (last column of the tjbench table).\n\n",
        every_image(&goals).label()
    );
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
        Figures { image_version: "0.24.9, 0.25.10".into(), slowdown: est_list(intervals), slowdown_024: vec![], tjbench: None }
    }

    #[test]
    fn each_version_is_judged_by_the_same_rule_and_the_finding_names_both() {
        let f = Figures { image_version: "0.24.9, 0.25.10".into(), slowdown: est_list(&[(1.1, 1.3)]), slowdown_024: est_list(&[(2.2, 2.8)]), tjbench: None };
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

    #[test]
    fn tjbench_parts_use_the_same_rule_and_are_not_measured_without_the_run() {
        let mut f = fig(&[(1.1, 1.3)]);
        let v = rules(&f);
        assert_eq!((v[3].outcome, v[4].outcome), (Outcome::NotMeasured, Outcome::NotMeasured));
        let mut slowdown = std::collections::BTreeMap::new();
        slowdown.insert("image".to_string(), est_list(&[(1.0, 1.2), (2.1, 2.4)]));
        slowdown.insert("image-0.24".to_string(), est_list(&[(2.1, 2.4)]));
        f.tjbench = Some(tjbench::TjFigures { debian: "d".into(), mozjpeg_sys: "m".into(), image_versions: "image 0.24.9, image 0.25.10".into(), slowdown });
        let v = rules(&f);
        assert_eq!((v[3].part.as_str(), v[3].outcome), ("slowdown-tjbench", Outcome::Partly));
        assert_eq!((v[4].part.as_str(), v[4].outcome), ("slowdown-0.24-tjbench", Outcome::Confirmed));
        assert!(v[3].figures.contains("tjbench"), "{}", v[3].figures);
        assert!(v[3].figures.starts_with("image 0.25.10:") && v[4].figures.starts_with("image 0.24.9:"), "the run's own versions: {v:?}");
    }

    #[test]
    fn do_not_file_needs_both_libjpeg_turbo_builds_to_refute() {
        let v = |a, b| vec![Verdict::new("slowdown", a, String::new()), Verdict::new("slowdown-tjbench", b, String::new())];
        assert!(what_to_file(&v(Outcome::Refuted, Outcome::Refuted)).starts_with("**Do not file**"));
        assert!(what_to_file(&v(Outcome::Refuted, Outcome::NotMeasured)).starts_with("**Do not file**"), "older evidence: mozjpeg's decides");
        assert!(!what_to_file(&v(Outcome::Refuted, Outcome::Partly)).starts_with("**Do not file**"));
        assert!(!what_to_file(&v(Outcome::Inconclusive, Outcome::Refuted)).starts_with("**Do not file**"));
    }

    #[test]
    fn every_image_goal_is_met_only_when_met_on_each() {
        use Goal::*;
        assert_eq!(every_image(&[Met, Met]), Met);
        assert_eq!(every_image(&[Met, Undecided]), Undecided);
        assert_eq!(every_image(&[Undecided, NotMet]), NotMet);
        assert_eq!(every_image(&[]), Undecided);
    }
}
