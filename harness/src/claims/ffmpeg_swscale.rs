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

use super::BenchData as Data;
use crate::evidence::store::{self, Evidence};
use crate::measure::stats::{estimate, median, ratio};
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
            let out = Command::new("ffmpeg")
                .args([
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
                ])
                .output();
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

/// Renders the report.
pub fn render(path: &Path) -> Result<Page, String> {
    let ev: Evidence<Data> = store::read(path)?;
    let d = &ev.data;
    let rel = crate::report::markdown::data_path(path);
    let (Some(conv), Some(dec)) = (d.samples("", "yuv420p-to-rgb24-per-frame"), d.samples("", "decode-per-frame")) else {
        return Err(format!("{rel}: swscale benchmarks missing"));
    };
    let us = |v: &[f64]| v.iter().map(|x| x / 1e3).collect::<Vec<_>>();
    let share = median(conv) / (median(conv) + median(dec));
    let mut s = String::from("# ffmpeg swscale: \"hardware accelerated colour conversion\" (claim 7)\n\n## The claim\n\n");
    s += "> ffmpeg-next - Hardware Accelerated Color Conversion ... +50-100% color conv ... Easy PR (just expose existing FFmpeg functionality). \
          [Later in the seed: REMOVED (N=134), \"libswscale does NOT support GPU/hardware acceleration\".]\n>\n> (seed, claim 7)\n\n";
    s += "## What upstream says\n\n- Released libswscale is CPU-only (with SIMD). GPU scaling lives in filters (`scale_cuda`, `scale_vaapi`, `scale_vulkan`, ...).\n\
          - The warning \"No accelerated colorspace conversion found from X to Y\" comes from `libswscale/yuv2rgb.c`: only the unscaled YUV->RGB special path lacks \
          a SIMD routine for that pair, and the C table converter is used.\n\n";
    s += "## Method\n\n`cargo bench --bench swscale`: per-frame yuv420p -> RGB24 (the pipeline's `stages::colour`, swscale bilinear, 640x360) on a decoded frame of the generated \
          H.264 video (SYNTHETIC testsrc2 picture), against per-frame decoding of the same file (whole-file decodes divided by frames). The probe converts one frame per \
          format pair with the ffmpeg CLI at debug log level and looks for the warning.\n\n## Results\n\n";
    s += &table(
        &["per frame", "median [95% CI]"],
        &[
            vec!["decode (H.264 640x360)".into(), format!("{} us", est(&estimate(&us(dec)), 1))],
            vec!["yuv420p -> RGB24 (swscale)".into(), format!("{} us", est(&estimate(&us(conv)), 1))],
            vec!["convert / decode".into(), est(&ratio(conv, dec), 3)],
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
    let warned: Vec<String> = probe
        .iter()
        .filter(|r| r["warning"].is_string())
        .map(|r| format!("{} -> {}", r["from"].as_str().unwrap_or(""), r["to"].as_str().unwrap_or("")))
        .collect();
    s += &format!(
        "Warning probe over {} format pairs ({}): {}.\n\n",
        probe.len(),
        probe.iter().map(|r| format!("{}->{}", r["from"].as_str().unwrap_or(""), r["to"].as_str().unwrap_or(""))).collect::<Vec<_>>().join(", "),
        if warned.is_empty() { "the warning appeared for none of them on this machine".to_string() } else { format!("it appeared for {}", warned.join(", ")) }
    );
    s += "## Verdict\n\nRule: a \"+50-100%\" gain needs the conversion to be at least a third of decode + convert; below that, even a free conversion gains less.\n\n";
    s += &table(
        &["part of the claim", "verdict"],
        &[
            vec![
                "swscale has hardware acceleration to expose".into(),
                "**Refuted** (upstream fact, and the seed's own later note): libswscale is CPU-only; GPU conversion is in separate filters.".into(),
            ],
            vec![
                "+50-100% from accelerating colour conversion".into(),
                if share < 1.0 / 3.0 {
                    format!(
                        "**Refuted** for this pipeline: conversion is {:.1}% of decode + convert per frame, so no conversion speed-up can give 50%.",
                        100.0 * share
                    )
                } else {
                    format!("**Not refuted**: conversion is {:.1}% of decode + convert.", 100.0 * share)
                },
            ],
        ],
    );
    s += "\n## What to file\n\n**Do not file.**\n\n";
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, vec![chart]))
}
