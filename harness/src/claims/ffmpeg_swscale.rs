//! Claim 7: "ffmpeg-next should expose hardware-accelerated colour
//! conversion (swscale): +50-100% colour conversion" (the seed itself later
//! marked it a misconception).
//!
//! Evidence: `cargo bench --bench swscale` (per-frame yuv420p -> RGB24
//! with swscale and with yuvutils-rs, a SIMD converter, against per-frame
//! decode), a probe of the ffmpeg CLI for libswscale's "No accelerated
//! colorspace conversion found" warning over several format pairs, and the
//! pipeline's own stage times (`pipeline-perf`). Rules (issue #12): the
//! seed's "+50-100% color conv" is about conversion speed, so `gain` is
//! judged on the fastest converter measured against swscale; then
//! `pipeline-share` on what conversion costs the pipeline, which converts
//! keyframes only.

use std::path::Path;
use std::process::Command;

use super::registry::{Claim, Info, Method, Part, Sources};
use super::verdict::{comparison, side, Outcome, Side, Verdict};
use super::BenchData as Data;
use crate::evidence::store::{self, Evidence};
use crate::measure::stats::{estimate, median, ratio, Estimate};
use crate::report::chart::{bars, Bar};
use crate::report::markdown::{environment, est, table};
use crate::report::Page;

/// Claim id.
pub const CLAIM: &str = "ffmpeg-swscale";
/// The pipeline's own measurement, for the conversion's share of it.
const PIPELINE: &str = crate::experiments::pipeline_perf::EXPERIMENT;
/// Bench group prefix.
pub const PREFIX: &str = "claim7-";
/// Report file.
pub const FILE: &str = "ffmpeg-swscale.md";

const PAIRS: &[(&str, &str)] = &[
    ("yuv420p", "rgb24"),
    ("yuv420p", "bgr24"),
    ("yuv420p", "rgba"),
    ("yuv422p", "rgb24"),
    ("yuv444p", "rgb24"),
    ("nv12", "rgb24"),
    ("yuv420p10le", "rgb24"),
    ("yuvj420p", "rgb24"),
    ("yuv410p", "rgb565le"),
    ("gray", "rgb24"),
];

/// Converts one synthetic frame per format pair with the ffmpeg CLI at
/// debug log level and records whether libswscale printed its warning.
pub fn probe() -> serde_json::Value {
    let rows: Vec<serde_json::Value> = PAIRS
        .iter()
        .map(|(from, to)| {
            let out = crate::process::output(
                Command::new("ffmpeg").args([
                    "-nostdin",
                    "-v",
                    "debug",
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc2=size=640x360:rate=1",
                    "-frames:v",
                    "1",
                    "-vf",
                    &format!("format={from},format={to}"),
                    "-f",
                    "null",
                    "-",
                ]),
                crate::process::limit::TOOL,
            );
            match out {
                Ok(o) => {
                    let text = String::from_utf8_lossy(&o.stderr);
                    let line = text.lines().find(|l| l.contains("No accelerated colorspace conversion")).map(String::from);
                    serde_json::json!({"from": from, "to": to, "ok": o.status.success(), "warning": line})
                }
                Err(e) => serde_json::json!({"from": from, "to": to, "ok": false, "error": e.to_string()}),
            }
        })
        .collect();
    serde_json::json!({ "swscale_warning_probe": rows })
}

/// The smallest gain the seed claims (+50%).
pub const CLAIMED_GAIN: f64 = 0.5;

/// A conversion twice as fast (the seed's +100%) must save at least this
/// share of the pipeline's CPU time to count as a win for it: a threshold
/// chosen here (not derived), stated in the report beside the share.
pub const WIN_SHARE: f64 = 0.01;

/// The parts of claim 7.
pub const PARTS: &[Part] = &[
    Part { id: "hw-accel", question: "swscale has hardware acceleration to expose" },
    Part {
        id: "gain",
        question: "\"+50-100% color conv\": an accelerated converter converts at least 1.5x as fast (CPU SIMD here: libswscale has no hardware path)",
    },
    Part { id: "pipeline-share", question: "\"Quick win for our video processing\": a twice-as-fast conversion saves at least 1% of the pipeline" },
];

/// What the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Per-frame conversion time / per-frame decode time.
    pub convert_per_decode: Estimate,
    /// swscale's conversion time / yuvutils-rs's on the same frame (None in
    /// evidence from before the peer converter was measured).
    pub peer_speedup: Option<Estimate>,
    /// Share of the pipeline's process CPU time spent in the colour stage,
    /// one value per `pipeline-perf` run.
    pub pipeline_share: Estimate,
    /// Format pairs probed, and those for which libswscale warned that it
    /// has no accelerated (SIMD) path.
    pub probed: usize,
    pub warned: Vec<String>,
}

/// The rules of claim 7, pure. The hardware part is upstream fact (released
/// libswscale has no GPU code; the seed withdrew it itself); the probe's
/// warnings show what "accelerated" means there: CPU SIMD.
pub fn rules(f: &Figures) -> Vec<Verdict> {
    let hw = Verdict::new(
        "hw-accel",
        Outcome::Refuted,
        format!(
            "upstream fact: libswscale is CPU-only, GPU conversion lives in separate filters; libswscale's \"no accelerated conversion\" warning (seen for {} of {} pairs probed) is about CPU SIMD",
            f.warned.len(),
            f.probed
        ),
    );
    vec![hw, gain_rule(f.peer_speedup.as_ref()), share_rule(&f.pipeline_share)]
}

/// "+50-100% color conv", pure: confirmed when the fastest converter
/// measured is at least 1.5x swscale's speed (whole interval), refuted when
/// it is below that (whole interval), otherwise inconclusive.
pub fn gain_rule(peer: Option<&Estimate>) -> Verdict {
    let Some(e) = peer else {
        return Verdict::new("gain", Outcome::NotMeasured, "no accelerated converter measured in this evidence".to_string());
    };
    let figures = format!(
        "yuvutils-rs (SIMD) converts the same 640x360 yuv420p frame to RGB24 {} x as fast as swscale; the seed's +{:.0}% is {:.1}x",
        comparison(e, 2),
        100.0 * CLAIMED_GAIN,
        1.0 + CLAIMED_GAIN
    );
    let outcome = match side(e, 1.0 + CLAIMED_GAIN) {
        Side::Above => Outcome::Confirmed,
        Side::Below => Outcome::Refuted,
        Side::Straddles => Outcome::Inconclusive,
    };
    Verdict::new("gain", outcome, figures)
}

/// "Quick win for our video processing", pure: a conversion twice as fast
/// saves half the stage's share; refuted when that is below [`WIN_SHARE`]
/// (whole interval), confirmed when above, otherwise inconclusive.
pub fn share_rule(share: &Estimate) -> Verdict {
    let saved = Estimate { median: share.median / 2.0, ci_low: share.ci_low / 2.0, ci_high: share.ci_high / 2.0, ..*share };
    let figures = format!(
        "colour conversion takes {:.3}% [{:.3}%, {:.3}%] of the pipeline's CPU time (`large` scenario one file at a time, n = {} runs; keyframes only, the video \
         pictures SYNTHETIC); twice as fast saves {:.3}%; a win needs {:.0}% (a threshold chosen here)",
        100.0 * share.median,
        100.0 * share.ci_low,
        100.0 * share.ci_high,
        share.n,
        100.0 * saved.median,
        100.0 * WIN_SHARE
    );
    let outcome = match side(&saved, WIN_SHARE) {
        Side::Below => Outcome::Refuted,
        Side::Above => Outcome::Confirmed,
        Side::Straddles => Outcome::Inconclusive,
    };
    Verdict::new("pipeline-share", outcome, figures)
}

/// The colour stage's share of process CPU in each pipeline run.
pub fn pipeline_share(d: &crate::experiments::pipeline_perf::Data) -> Estimate {
    // One configuration: the `large` scenario one file at a time.
    let shares: Vec<f64> = d
        .scaling
        .iter()
        .filter(|r| r.files_parallel == 1 && r.process_cpu_s > 0.0)
        .filter_map(|r| r.stages.get("colour").map(|c| c.thread_cpu_s / r.process_cpu_s))
        .collect();
    estimate(&shares)
}

/// The figures of an evidence file and the pipeline's.
pub fn figures(d: &Data, rel: &str, pipeline: &crate::experiments::pipeline_perf::Data) -> Result<Figures, crate::report::RenderError> {
    let (Some(conv), Some(dec)) = (d.samples("", "yuv420p-to-rgb24-per-frame"), d.samples("", "decode-per-frame")) else {
        return Err(crate::report::RenderError::missing(rel, "swscale benchmarks missing"));
    };
    let probe = d.extra.get("swscale_warning_probe").and_then(|v| v.as_array()).cloned().unwrap_or_default();
    let warned = probe
        .iter()
        .filter(|r| r["warning"].is_string())
        .map(|r| format!("{} -> {}", r["from"].as_str().unwrap_or(""), r["to"].as_str().unwrap_or("")))
        .collect();
    let peer_speedup = d.samples("", "yuvutils-rs-per-frame").map(|p| ratio(conv, p));
    Ok(Figures { convert_per_decode: ratio(conv, dec), peer_speedup, pipeline_share: pipeline_share(pipeline), probed: probe.len(), warned })
}

/// What the claim is, for the registry.
pub const INFO: Info = Info {
    id: CLAIM,
    title: "ffmpeg-next should expose hardware-accelerated colour conversion",
    seed: Some(7),
    upstream: "ffmpeg-next (libswscale)",
    method: Method::Bench("swscale"),
    evidence: &[CLAIM, PIPELINE],
    parts: PARTS,
    seed_quote: &[
        "   - Quick win for our video processing",
        "| **ffmpeg HW accel** | +50-100% color conv | High (video processing) | Low | **Excellent** |",
        "**Reason**: Investigation (N=134) determined that FFmpeg's libswscale does NOT support GPU/hardware acceleration.",
    ],
};

/// Claim 7 in the registry.
pub struct SwscaleClaim;

impl Claim for SwscaleClaim {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn measure(&self, quick: bool, progress: &dyn Fn(&str)) -> Result<Vec<(String, std::path::PathBuf)>, crate::claims::ClaimError> {
        Ok(vec![(CLAIM.to_string(), super::measure_bench(CLAIM, quick, progress)?)])
    }
    fn judge(&self, sources: &Sources) -> Result<Vec<Verdict>, crate::claims::ClaimError> {
        let path = sources.get(CLAIM)?;
        let ev: Evidence<Data> = store::read(path)?;
        let pipeline: Evidence<crate::experiments::pipeline_perf::Data> = store::read(sources.get(PIPELINE)?)?;
        Ok(rules(&figures(&ev.data, &crate::report::markdown::data_path(path), &pipeline.data)?))
    }
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError> {
        Ok(vec![(FILE.to_string(), render(sources.get(CLAIM)?, sources.get(PIPELINE)?)?)])
    }
}

/// Renders the report.
pub fn render(path: &Path, pipeline_path: &Path) -> Result<Page, crate::report::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    let pipeline: Evidence<crate::experiments::pipeline_perf::Data> = store::read(pipeline_path)?;
    let d = &ev.data;
    let rel = crate::report::markdown::data_path(path);
    let (Some(conv), Some(dec)) = (d.samples("", "yuv420p-to-rgb24-per-frame"), d.samples("", "decode-per-frame")) else {
        return Err(crate::report::RenderError::missing(&rel, "swscale benchmarks missing"));
    };
    let us = |v: &[f64]| v.iter().map(|x| x / 1e3).collect::<Vec<_>>();
    let share = median(conv) / (median(conv) + median(dec));
    let fig = figures(d, &rel, &pipeline.data)?;
    let verdicts = rules(&fig);
    let mut s = String::from("# ffmpeg swscale: \"hardware accelerated colour conversion\" (claim 7)\n\n## The claim\n\n");
    s += &super::registry::seed_section(&INFO);
    s += "## What upstream says\n\n- Released libswscale is CPU-only (with SIMD). GPU scaling lives in filters (`scale_cuda`, `scale_vaapi`, `scale_vulkan`, ...).\n\
          - The warning \"No accelerated colorspace conversion found from X to Y\" comes from `libswscale/yuv2rgb.c`: only the unscaled YUV->RGB special path lacks \
          a SIMD routine for that pair, and the C table converter is used.\n\n";
    s += "## Method\n\n`cargo bench --bench swscale`: per-frame yuv420p -> RGB24 (the pipeline's `stages::colour`, swscale bilinear, 640x360) on a decoded frame of the generated \
          H.264 video (SYNTHETIC testsrc2 picture), against per-frame decoding of the same file (whole-file decodes divided by frames), and the same frame \
          converted by yuvutils-rs (Rust, SIMD chosen at run time; BT.601 limited range, swscale's default) into the same RGB24 image; before timing, the two \
          converters' outputs must agree to within 6 per channel (fixed-point rounding and chroma placement differ). The probe converts one frame per \
          format pair with the ffmpeg CLI at debug log level and looks for the warning. The pipeline's share comes from `harness experiment pipeline-perf` \
          (the `large` scenario one file at a time: each run's colour stage CPU time over the process's CPU time; the pipeline converts keyframes only, \
          and how many depends on the scene changes of the videos, whose pictures are SYNTHETIC).\n\n## Results\n\n";
    s += &table(
        &["per frame", "median [95% CI] (n)"],
        &[
            vec!["decode (H.264 640x360)".into(), format!("{} us", est(&estimate(&us(dec)), 1))],
            vec!["yuv420p -> RGB24 (swscale)".into(), format!("{} us", est(&estimate(&us(conv)), 1))],
            vec![
                "yuv420p -> RGB24 (yuvutils-rs)".into(),
                d.samples("", "yuvutils-rs-per-frame").map_or("not in this evidence".into(), |p| format!("{} us", est(&estimate(&us(p)), 1))),
            ],
            vec!["convert / decode".into(), est(&fig.convert_per_decode, 3)],
            vec!["swscale / yuvutils-rs".into(), fig.peer_speedup.as_ref().map_or("not in this evidence".into(), |e| est(e, 2))],
            vec!["colour stage / pipeline CPU".into(), est(&fig.pipeline_share, 5)],
        ],
    );
    let chart = bars(
        "ffmpeg-swscale.svg",
        "Per frame: H.264 decode against yuv420p -> RGB24",
        "microseconds (median, 95% CI)",
        &[Bar::from_estimate("decode", &estimate(&us(dec)), 1.0), Bar::from_estimate("swscale conversion", &estimate(&us(conv)), 1.0)],
        None,
    )?;
    s += &format!("\n{}", chart.markdown("decode and conversion per frame"));
    s += &format!("\nConversion is {:.1}% of decode + convert per frame.\n\n", 100.0 * share);
    let probe = d.extra.get("swscale_warning_probe").and_then(|v| v.as_array()).cloned().unwrap_or_default();
    s += &format!(
        "Warning probe over {} format pairs ({}): {}.\n\n",
        fig.probed,
        probe.iter().map(|r| format!("{}->{}", r["from"].as_str().unwrap_or(""), r["to"].as_str().unwrap_or(""))).collect::<Vec<_>>().join(", "),
        if fig.warned.is_empty() {
            "the warning appeared for none of them on this machine".to_string()
        } else {
            format!("it appeared for {}", fig.warned.join(", "))
        }
    );
    s += &super::seed_figures::table(&[seed_row(&fig)]);
    s += &format!(
        "## Verdict\n\nRules (code: `claims::ffmpeg_swscale::gain_rule` and `share_rule`): the seed's \"+{:.0}-100% color conv\" is about conversion speed: \
         confirmed when the fastest converter measured converts at least {:.1}x as fast as swscale (whole 95% interval), refuted when below, inconclusive \
         otherwise (hardware acceleration itself does not exist in libswscale: `hw-accel`). \"Quick win for our video processing\": a conversion twice as fast \
         saves half the colour stage's share of the pipeline's CPU time; refuted when that is below {:.0}% (whole interval), confirmed when above.\n\n",
        100.0 * CLAIMED_GAIN,
        1.0 + CLAIMED_GAIN,
        100.0 * WIN_SHARE
    );
    s += &super::verdict_table(PARTS, &verdicts);
    s += &what_to_file(&verdicts);
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, vec![chart]))
}

/// The seed's one figure for claim 7, as a row.
pub fn seed_row(f: &Figures) -> super::seed_figures::Row {
    super::seed_figures::Row {
        quote: "+50-100% color conv",
        claimed: super::seed_figures::Claimed::Gain(1.0 + CLAIMED_GAIN, 2.0),
        measured: f.peer_speedup.map(|e| e.median),
        interval: f.peer_speedup.as_ref().and_then(super::seed_figures::interval),
        shown: match &f.peer_speedup {
            Some(e) => format!(
                "{}: yuvutils-rs (CPU SIMD) against swscale on the same frame (SYNTHETIC picture); no hardware path exists in libswscale to compare; in the pipeline conversion is {:.3}% of CPU time",
                crate::measure::stats::show(e, 2),
                100.0 * f.pipeline_share.median
            ),
            None => "no accelerated converter in this evidence".into(),
        },
    }
}

/// What to file, from the verdicts: with no hardware path in libswscale
/// there is nothing for ffmpeg-next to expose, whatever a CPU converter gains.
fn what_to_file(verdicts: &[Verdict]) -> String {
    let outcome = |id: &str| verdicts.iter().find(|v| v.part == id).map(|v| v.outcome);
    let head = "\n## What to file\n\n";
    match (outcome("hw-accel"), outcome("gain"), outcome("pipeline-share")) {
        (Some(Outcome::Refuted), Some(Outcome::Confirmed), Some(Outcome::Refuted)) => format!(
            "{head}**Do not file**: libswscale has no hardware path for ffmpeg-next to expose. A faster CPU converter exists (yuvutils-rs, see `gain`), \
             but conversion is too small a share of this pipeline for it to matter (`pipeline-share`).\n\n"
        ),
        (Some(Outcome::Refuted), _, Some(Outcome::Refuted)) => {
            format!("{head}**Do not file**: no hardware path to expose, and conversion is too small a share of the pipeline.\n\n")
        }
        (Some(Outcome::Refuted), _, _) => format!(
            "{head}**Do not file** to ffmpeg-next: libswscale has no hardware path to expose. Whether a faster converter is worth adopting in the pipeline is \
             decided by `gain` and `pipeline-share`.\n\n"
        ),
        _ => format!("{head}**Do not file yet**: not every part is decided (see the verdicts).\n\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(lo: f64, hi: f64) -> Estimate {
        Estimate::at_95(10, (lo + hi) / 2.0, lo, hi)
    }

    #[test]
    fn the_gain_is_judged_on_conversion_speed() {
        assert_eq!(gain_rule(Some(&e(2.5, 3.0))).outcome, Outcome::Confirmed);
        assert_eq!(gain_rule(Some(&e(1.0, 1.2))).outcome, Outcome::Refuted);
        assert_eq!(gain_rule(Some(&e(1.3, 1.7))).outcome, Outcome::Inconclusive);
        assert_eq!(gain_rule(None).outcome, Outcome::NotMeasured);
    }

    #[test]
    fn a_small_pipeline_share_refutes_the_quick_win() {
        assert_eq!(share_rule(&e(0.0004, 0.0006)).outcome, Outcome::Refuted);
        assert_eq!(share_rule(&e(0.10, 0.12)).outcome, Outcome::Confirmed);
        assert_eq!(share_rule(&e(0.015, 0.03)).outcome, Outcome::Inconclusive, "half of 1.5-3% straddles 1%");
    }

    #[test]
    fn what_to_file_follows_the_verdicts() {
        let v = |g, s| {
            vec![
                Verdict::new("hw-accel", Outcome::Refuted, String::new()),
                Verdict::new("gain", g, String::new()),
                Verdict::new("pipeline-share", s, String::new()),
            ]
        };
        assert!(what_to_file(&v(Outcome::Confirmed, Outcome::Refuted)).contains("A faster CPU converter exists"));
        assert!(what_to_file(&v(Outcome::Refuted, Outcome::Refuted)).contains("too small a share"));
        assert!(what_to_file(&v(Outcome::Confirmed, Outcome::Confirmed)).contains("decided by `gain` and `pipeline-share`"));
    }
}
