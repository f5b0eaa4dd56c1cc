//! The pipeline's own performance on this machine: how much of the CPU it
//! uses, how it scales from 1 to 2 workers, whether memory grows with file
//! length, what the instrumentation costs, and how each stage compares with
//! its native anchor. Every run is a separate `harness run` process.

use super::error::{io, ExperimentError};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{anchors, run_scenario};
use crate::evidence::run::RunRecord;
use crate::evidence::store::{self, Evidence};
use crate::measure::stages::{Recorder, StageTotals};
use crate::models::{catalog, locate};
use crate::paths;

/// Experiment id (evidence folder and report name).
pub const EXPERIMENT: &str = "pipeline-perf";

/// One `harness run` reduced to what the report needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSample {
    pub label: String,
    pub repeat: usize,
    pub files_parallel: usize,
    pub wall_s: f64,
    pub process_cpu_s: f64,
    pub cores: usize,
    pub media_s: f64,
    pub peak_rss_bytes: u64,
    pub files_ok: usize,
    pub files_failed: usize,
    pub stages: BTreeMap<String, StageTotals>,
    pub lock_wait_s: BTreeMap<String, f64>,
}

impl RunSample {
    fn from(label: &str, repeat: usize, r: &RunRecord) -> Self {
        RunSample {
            label: label.into(),
            repeat,
            files_parallel: r.scenario.concurrency.files,
            wall_s: r.totals.wall_s,
            process_cpu_s: r.totals.process_cpu_s,
            cores: r.totals.cores,
            media_s: r.totals.media_s,
            peak_rss_bytes: r.totals.peak_rss_bytes,
            files_ok: r.totals.files_ok,
            files_failed: r.totals.files_failed,
            stages: r.stages.clone(),
            lock_wait_s: r.resources.iter().map(|(k, v)| (k.clone(), v.lock_wait_s)).collect(),
        }
    }
}

/// The measured data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Data {
    /// `large` with 1 and 2 files in parallel, alternating.
    pub scaling: Vec<RunSample>,
    /// `default` (one file at a time) on the 1- and 10-minute videos.
    pub memory: Vec<RunSample>,
    /// `default` with instrumentation on and off, alternating.
    pub instrumentation: Vec<RunSample>,
    /// Cost of one `Recorder::time` call, measured in-process (ns).
    pub recorder_call_ns: f64,
    pub anchors: anchors::Anchors,
    pub errors: Vec<String>,
}

impl crate::evidence::store::DataSchema for Data {
    const VERSION: u32 = 1;
}

/// Knobs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Params {
    pub repeats: usize,
    pub quick: bool,
}

fn recorder_call_ns() -> f64 {
    let r = Recorder::new(true);
    let n = 200_000u32;
    let t = Instant::now();
    for i in 0..n {
        std::hint::black_box(r.time("colour", || std::hint::black_box(i)));
    }
    t.elapsed().as_nanos() as f64 / n as f64
}

/// Runs the experiment and stores its evidence; returns the evidence file.
pub fn run(params: Params, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
    let work = paths::cache_dir().join("runs").join(format!("{EXPERIMENT}-{}", started_at.replace([':', '-'], "")));
    let scen = |n: &str| paths::workspace_root().join("scenarios").join(format!("{n}.toml"));
    let no_jpegs = "measure.keep_keyframes=false".to_string();
    let mut errors = Vec::new();
    let mut data =
        Data { scaling: vec![], memory: vec![], instrumentation: vec![], recorder_call_ns: recorder_call_ns(), anchors: Default::default(), errors: vec![] };

    let big = if params.quick { "default" } else { "large" };
    for rep in 0..params.repeats {
        for files in [1usize, 2] {
            progress(&format!("scaling: {big} with {files} file(s) in parallel, repeat {}", rep + 1));
            let out = work.join(format!("scaling-{files}-{rep}"));
            match run_scenario(&scen(big), &[format!("concurrency.files={files}"), no_jpegs.clone()], &out) {
                Ok(r) => data.scaling.push(RunSample::from(&format!("{big}, files={files}"), rep, &r)),
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    let lengths: &[(&str, &str)] = if params.quick { &[] } else { &[(catalog::id::VIDEO_LOOP_1MIN, "1 min"), (catalog::id::VIDEO_LOOP_10MIN, "10 min")] };
    for (asset, label) in lengths {
        progress(&format!("memory: default on the {label} video"));
        match locate::require(asset) {
            Ok(path) => {
                let sets = vec![format!("input.files=[{:?}]", path.display().to_string()), "concurrency.files=1".into(), no_jpegs.clone()];
                match run_scenario(&scen("default"), &sets, &work.join(format!("memory-{asset}"))) {
                    Ok(r) => data.memory.push(RunSample::from(label, 0, &r)),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            Err(e) => errors.push(format!("{e} (run `harness setup --with long-media`)")),
        }
    }
    for rep in 0..params.repeats.max(3) {
        for on in [true, false] {
            progress(&format!("instrumentation {}: repeat {}", if on { "on" } else { "off" }, rep + 1));
            let out = work.join(format!("instrument-{on}-{rep}"));
            match run_scenario(&scen("default"), &[format!("measure.instrument={on}"), no_jpegs.clone()], &out) {
                Ok(r) => data.instrumentation.push(RunSample::from(if on { "instrumented" } else { "plain" }, rep, &r)),
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    progress("native anchors");
    data.anchors = anchors::run_all(if params.quick { 2 } else { 5 });
    data.errors = errors;
    let evidence = Evidence::new(
        EXPERIMENT,
        started_at,
        serde_json::to_value(params).unwrap_or_default(),
        vec!["video picture: ffmpeg testsrc2 pattern (SYNTHETIC); speech is real (librivox)".into()],
        data,
    );
    let path = store::write_new(EXPERIMENT, &evidence).map_err(io(&store::scratch_root()))?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(path)
}

/// Used by the report: the samples with `label`.
pub fn samples<'a>(v: &'a [RunSample], label: &str) -> Vec<&'a RunSample> {
    v.iter().filter(|s| s.label == label).collect()
}
