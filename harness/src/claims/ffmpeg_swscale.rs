//! Claim 7: "ffmpeg-next should expose hardware-accelerated colour
//! conversion (swscale): +50-100% colour conversion" (the seed itself later
//! marked it a misconception).
//!
//! Evidence: `cargo bench --bench swscale` (per-frame yuv420p -> RGB24
//! against per-frame decode) and a probe of the ffmpeg CLI for libswscale's
//! "No accelerated colorspace conversion found" warning over several format
//! pairs. Rule: if even a free conversion could speed the decode+convert
//! path by less than the claimed 50% (conversion share < 1/3), the gain is
//! refuted for this pipeline.

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
/// A conversion must take at least this share of decode + convert for any
/// speed-up of it to give `CLAIMED_GAIN` (1 - 1/1.5).
pub const MIN_SHARE: f64 = 1.0 - 1.0 / (1.0 + CLAIMED_GAIN);

/// The parts of claim 7.
pub const PARTS: &[Part] = &[
    Part { id: "hw-accel", question: "swscale has hardware acceleration to expose" },
    Part { id: "gain", question: "+50-100% from accelerating colour conversion" },
];

/// What the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Per-frame conversion time / per-frame decode time.
    pub convert_per_decode: Estimate,
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
    // share = r / (1 + r) is below MIN_SHARE exactly when r is below this.
    let r_limit = MIN_SHARE / (1.0 - MIN_SHARE);
    let share = |r: f64| 100.0 * r / (1.0 + r);
    let figures = format!(
        "conversion / decode per frame {}; conversion is {:.1}% [{:.1}%, {:.1}%] of decode + convert; a {:.0}% gain needs at least {:.1}%",
        comparison(&f.convert_per_decode, 3),
        share(f.convert_per_decode.median),
        share(f.convert_per_decode.ci_low),
        share(f.convert_per_decode.ci_high),
        100.0 * CLAIMED_GAIN,
        100.0 * MIN_SHARE
    );
    let outcome = match side(&f.convert_per_decode, r_limit) {
        Side::Below => Outcome::Refuted,
        // Large enough that a faster conversion could give it; nothing here
        // shows such a conversion exists.
        Side::Above | Side::Straddles => Outcome::Inconclusive,
    };
    vec![hw, Verdict::new("gain", outcome, figures)]
}

/// The figures of an evidence file.
pub fn figures(d: &Data, rel: &str) -> Result<Figures, crate::report::RenderError> {
    let (Some(conv), Some(dec)) = (d.samples("", "yuv420p-to-rgb24-per-frame"), d.samples("", "decode-per-frame")) else {
        return Err(crate::report::RenderError::missing(rel, "swscale benchmarks missing"));
    };
    let probe = d.extra.get("swscale_warning_probe").and_then(|v| v.as_array()).cloned().unwrap_or_default();
    let warned = probe
        .iter()
        .filter(|r| r["warning"].is_string())
        .map(|r| format!("{} -> {}", r["from"].as_str().unwrap_or(""), r["to"].as_str().unwrap_or("")))
        .collect();
    Ok(Figures { convert_per_decode: ratio(conv, dec), probed: probe.len(), warned })
}

/// What the claim is, for the registry.
pub const INFO: Info = Info {
    id: CLAIM,
    title: "ffmpeg-next should expose hardware-accelerated colour conversion",
    seed: Some(7),
    upstream: "ffmpeg-next (libswscale)",
    method: Method::Bench("swscale"),
    evidence: &[CLAIM],
    parts: PARTS,
    seed_quote: &[
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
        Ok(rules(&figures(&ev.data, &crate::report::markdown::data_path(path))?))
    }
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError> {
        Ok(vec![(FILE.to_string(), render(sources.get(CLAIM)?)?)])
    }
}

/// Renders the report.
pub fn render(path: &Path) -> Result<Page, crate::report::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    let d = &ev.data;
    let rel = crate::report::markdown::data_path(path);
    let (Some(conv), Some(dec)) = (d.samples("", "yuv420p-to-rgb24-per-frame"), d.samples("", "decode-per-frame")) else {
        return Err(crate::report::RenderError::missing(&rel, "swscale benchmarks missing"));
    };
    let us = |v: &[f64]| v.iter().map(|x| x / 1e3).collect::<Vec<_>>();
    let share = median(conv) / (median(conv) + median(dec));
    let fig = figures(d, &rel)?;
    let verdicts = rules(&fig);
    let mut s = String::from("# ffmpeg swscale: \"hardware accelerated colour conversion\" (claim 7)\n\n## The claim\n\n");
    s += &super::registry::seed_section(&INFO);
    s += "## What upstream says\n\n- Released libswscale is CPU-only (with SIMD). GPU scaling lives in filters (`scale_cuda`, `scale_vaapi`, `scale_vulkan`, ...).\n\
          - The warning \"No accelerated colorspace conversion found from X to Y\" comes from `libswscale/yuv2rgb.c`: only the unscaled YUV->RGB special path lacks \
          a SIMD routine for that pair, and the C table converter is used.\n\n";
    s += "## Method\n\n`cargo bench --bench swscale`: per-frame yuv420p -> RGB24 (the pipeline's `stages::colour`, swscale bilinear, 640x360) on a decoded frame of the generated \
          H.264 video (SYNTHETIC testsrc2 picture), against per-frame decoding of the same file (whole-file decodes divided by frames). The probe converts one frame per \
          format pair with the ffmpeg CLI at debug log level and looks for the warning.\n\n## Results\n\n";
    s += &table(
        &["per frame", "median [95% CI] (n)"],
        &[
            vec!["decode (H.264 640x360)".into(), format!("{} us", est(&estimate(&us(dec)), 1))],
            vec!["yuv420p -> RGB24 (swscale)".into(), format!("{} us", est(&estimate(&us(conv)), 1))],
            vec!["convert / decode".into(), est(&fig.convert_per_decode, 3)],
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
    s += &format!(
        "## Verdict\n\nRule (code: `claims::ffmpeg_swscale::rules`): a gain of {:.0}% needs the conversion to take at least {:.1}% of decode + convert \
         (a free conversion then gives exactly that); refuted when the 95% interval of the share lies below it, inconclusive otherwise \
         (a share that large makes the gain possible, not shown).\n\n",
        100.0 * CLAIMED_GAIN,
        100.0 * MIN_SHARE
    );
    s += &super::verdict_table(PARTS, &verdicts);
    s += if verdicts.iter().all(|v| v.outcome == Outcome::Refuted) {
        "\n## What to file\n\n**Do not file**: both parts are refuted.\n\n"
    } else {
        "\n## What to file\n\n**Do not file yet**: not every part is decided (see the verdicts).\n\n"
    };
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, vec![chart]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(lo: f64, hi: f64) -> Figures {
        Figures { convert_per_decode: Estimate::at_95(10, (lo + hi) / 2.0, lo, hi), probed: 10, warned: vec![] }
    }

    #[test]
    fn a_small_conversion_share_refutes_the_gain_and_a_large_one_leaves_it_open() {
        assert_eq!(rules(&fig(0.05, 0.08))[1].outcome, Outcome::Refuted);
        assert_eq!(rules(&fig(0.6, 0.8))[1].outcome, Outcome::Inconclusive);
        assert_eq!(rules(&fig(0.4, 0.6))[1].outcome, Outcome::Inconclusive);
        assert!((MIN_SHARE - 1.0 / 3.0).abs() < 1e-12);
    }
}
