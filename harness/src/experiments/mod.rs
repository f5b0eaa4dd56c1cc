//! Experiments: runs that produce evidence (never reports). Each writes one
//! evidence file through `evidence::store`; `report` renders it.

pub mod anchors;
pub mod inputs;
pub mod instructions;
pub mod ort_mutex;
pub mod pipeline_perf;
pub mod tokenizer_weight;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::evidence::run::RunRecord;

/// The `harness` binary, for runs that need their own process (peak memory
/// is per process).
pub fn harness_exe() -> PathBuf {
    match std::env::current_exe() {
        Ok(p) if p.file_stem().is_some_and(|s| s == "harness") => p,
        _ => crate::paths::workspace_root().join("target/release/harness"),
    }
}

/// Runs a scenario in a fresh `harness run` process and reads its run.json.
pub fn run_scenario(scenario: &Path, sets: &[String], out: &Path) -> Result<RunRecord, String> {
    let mut cmd = Command::new(harness_exe());
    cmd.arg("run").arg(scenario).arg("--quiet").arg("--out").arg(out);
    for s in sets {
        cmd.arg("--set").arg(s);
    }
    let o = cmd.output().map_err(|e| format!("cannot start {}: {e}", harness_exe().display()))?;
    let text = std::fs::read_to_string(out.join("run.json"))
        .map_err(|e| format!("{} --set {sets:?}: no run.json ({e}); stderr: {}", scenario.display(), String::from_utf8_lossy(&o.stderr)))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", out.join("run.json").display()))
}
