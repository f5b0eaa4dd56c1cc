//! Claims: one module per upstream claim of the seed, holding how it is
//! measured, the rule that decides it and how its report reads.

pub mod ffmpeg_swscale;
pub mod image_jpeg;
pub mod instruction_counts;
pub mod ort_mutex;
pub mod ort_tensor_copy;
pub mod rustfft_parallel;
pub mod tokenizers_weight;
pub mod whisper_batch;
pub mod whisper_rs_abort_callback;
pub mod whisper_rs_race;

use std::path::{Path, PathBuf};

use crate::evidence::store::{self, Evidence};

/// The stored data of a bench-backed claim: its benchmarks' samples.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BenchData {
    pub benches: Vec<crate::evidence::criterion::BenchSamples>,
    /// What the claim's probe recorded besides the benchmarks (may be null).
    #[serde(default)]
    pub extra: serde_json::Value,
}

impl BenchData {
    /// Per-iteration nanoseconds of the benchmark named `function` (or
    /// `value`) in a group ending with `group_suffix`.
    pub fn samples(&self, group_suffix: &str, function: &str) -> Option<&[f64]> {
        self.benches.iter().find(|b| b.group.ends_with(group_suffix) && (b.function == function || b.value == function)).map(|b| b.ns_per_iter.as_slice())
    }
}

/// A claim decided from criterion benchmarks: where its samples come from
/// and how its report renders.
pub struct BenchClaim {
    pub claim: &'static str,
    /// The `cargo bench --bench NAME` that measures it.
    pub bench: &'static str,
    /// Group-name prefix of its benchmarks.
    pub prefix: &'static str,
    pub report_file: &'static str,
    pub render: fn(&Path) -> Result<crate::report::Page, String>,
    /// Extra measurements taken at import time (e.g. a CLI probe).
    pub probe: Option<fn() -> serde_json::Value>,
}

/// The bench-backed claims.
pub const BENCH_CLAIMS: &[BenchClaim] = &[
    BenchClaim {
        claim: rustfft_parallel::CLAIM,
        bench: "fft",
        prefix: rustfft_parallel::PREFIX,
        report_file: rustfft_parallel::FILE,
        render: rustfft_parallel::render,
        probe: Some(rustfft_parallel::probe),
    },
    BenchClaim {
        claim: image_jpeg::CLAIM,
        bench: "jpeg",
        prefix: image_jpeg::PREFIX,
        report_file: image_jpeg::FILE,
        render: image_jpeg::render,
        probe: Some(image_jpeg::probe),
    },
    BenchClaim {
        claim: ort_tensor_copy::CLAIM,
        bench: "copy",
        prefix: ort_tensor_copy::PREFIX,
        report_file: ort_tensor_copy::FILE,
        render: ort_tensor_copy::render,
        probe: None,
    },
    BenchClaim {
        claim: ffmpeg_swscale::CLAIM,
        bench: "swscale",
        prefix: ffmpeg_swscale::PREFIX,
        report_file: ffmpeg_swscale::FILE,
        render: ffmpeg_swscale::render,
        probe: Some(ffmpeg_swscale::probe),
    },
];

/// Looks a bench-backed claim up.
pub fn bench_claim(name: &str) -> Option<&'static BenchClaim> {
    BENCH_CLAIMS.iter().find(|c| c.claim == name)
}

/// Imports the claim's criterion samples (`raw.csv`) into a new evidence file.
pub fn import_bench(c: &BenchClaim, started_at: &str) -> Result<PathBuf, String> {
    let benches = crate::evidence::criterion::import(&crate::evidence::criterion::default_dir(), c.prefix)?;
    if benches.is_empty() {
        return Err(format!("no criterion results with group prefix `{}` under target/criterion: run `cargo bench --bench {}` first", c.prefix, c.bench));
    }
    let evidence = Evidence::new(
        c.claim,
        started_at.into(),
        serde_json::json!({ "bench": c.bench, "source": "target/criterion/**/new/raw.csv" }),
        vec![],
        BenchData { benches, extra: c.probe.map(|p| p()).unwrap_or(serde_json::Value::Null) },
    );
    store::write_new(c.claim, &evidence).map_err(|e| e.to_string())
}

/// Renders the claim's report from its newest evidence.
pub fn render_bench_report(c: &BenchClaim) -> Result<PathBuf, String> {
    let p = store::pinned(c.claim).ok_or_else(|| store::not_pinned(c.claim, &format!("cargo bench --bench {}; harness bench-import {}", c.bench, c.claim)))?;
    crate::report::write(c.report_file, &(c.render)(&p)?).map_err(|e| e.to_string())
}

/// Every report `harness report` can render, by name.
pub const REPORTS: &[&str] = &[
    crate::experiments::pipeline_perf::EXPERIMENT,
    whisper_rs_race::CLAIM,
    whisper_rs_abort_callback::CLAIM,
    whisper_batch::CLAIM,
    crate::experiments::ort_mutex::EXPERIMENT,
    ort_tensor_copy::CLAIM,
    rustfft_parallel::CLAIM,
    image_jpeg::CLAIM,
    ffmpeg_swscale::CLAIM,
    tokenizers_weight::CLAIM,
];

/// Renders the named report from its newest evidence; returns the files written.
pub fn render_report(name: &str) -> Result<Vec<PathBuf>, String> {
    if let Some(c) = bench_claim(name) {
        return Ok(vec![render_bench_report(c)?]);
    }
    match name {
        crate::experiments::ort_mutex::EXPERIMENT => Ok(vec![ort_mutex::render_latest()?]),
        whisper_batch::CLAIM => Ok(vec![whisper_batch::render_latest()?]),
        tokenizers_weight::CLAIM => Ok(vec![tokenizers_weight::render_latest()?]),
        whisper_rs_abort_callback::CLAIM => Ok(vec![whisper_rs_abort_callback::render_latest()?]),
        whisper_rs_race::CLAIM => whisper_rs_race::report::render_latest(),
        crate::experiments::pipeline_perf::EXPERIMENT => Ok(vec![crate::report::pipeline_perf::render_latest()?]),
        other => Err(format!("unknown report `{other}`; known: {}", REPORTS.join(", "))),
    }
}
