//! Fuzzing results as evidence: `scripts/fuzz.sh` writes one JSON line per
//! target (`summary.jsonl`); `harness fuzz-import` reads it into typed data
//! with the machine's environment, and `report::fuzzing` renders it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Evidence name of fuzzing runs (also the report's name).
pub const EXPERIMENT: &str = "fuzzing";

/// How a target's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FuzzResult {
    /// Ran its time without a crash, a timeout or an out-of-memory.
    Ok,
    /// libFuzzer wrote a crashing (or hanging, or memory-exhausting) input.
    Crash,
    /// The target did not run: a build or set-up failure, no input to blame.
    Error,
}

/// One target's run, as `scripts/fuzz.sh` records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuzzTarget {
    pub target: String,
    /// The time asked for (`-max_total_time`), seconds.
    pub seconds: u64,
    pub result: FuzzResult,
    /// libFuzzer's `stat::number_of_executed_units`.
    pub executions: u64,
    /// Coverage counters reached (libFuzzer's final `cov:`), when printed.
    #[serde(default)]
    pub coverage: Option<u64>,
    /// Inputs in the corpus at the end (`corp:`), when printed.
    #[serde(default)]
    pub corpus: Option<u64>,
    /// libFuzzer's `stat::peak_rss_mb`, when printed.
    #[serde(default)]
    pub peak_rss_mb: Option<u64>,
    /// The crashing input, for a crash.
    #[serde(default)]
    pub artifact: String,
    /// When the target's run began and ended (UTC), when recorded.
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
}

/// A fuzzing session: every target's run and the tool that ran them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuzzData {
    /// `cargo fuzz --version`, and the flags every target ran with.
    pub tool: String,
    pub targets: Vec<FuzzTarget>,
}

impl crate::evidence::store::DataSchema for FuzzData {
    const VERSION: u32 = 1;
}

impl FuzzData {
    /// When the first recorded target began and the last ended.
    pub fn span(&self) -> Option<(String, String)> {
        let first = self.targets.iter().filter_map(|t| t.started_at.clone()).min()?;
        let last = self.targets.iter().filter_map(|t| t.finished_at.clone()).max()?;
        Some((first, last))
    }
}

/// A summary that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FuzzImportError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: not a scripts/fuzz.sh summary line: {source}\n  fix: give the summary.jsonl that scripts/fuzz.sh wrote under .cache/fuzz/")]
    Line { path: PathBuf, line: usize, source: serde_json::Error },
    #[error("{path}: no targets in it\n  fix: give the summary.jsonl of a fuzz.sh run that ran at least one target")]
    Empty { path: PathBuf },
}

/// The flags `scripts/fuzz.sh` gives every target (recorded with the tool;
/// the script's own line is the source, a test keeps the two equal).
pub const FLAGS: &str = "-s none (no sanitizer), -rss_limit_mb=4096, -timeout=60, on stable with RUSTC_BOOTSTRAP=1";

/// `cargo fuzz --version`, or why it is unknown.
pub fn tool_version() -> String {
    match crate::process::output(crate::process::cargo().args(["fuzz", "--version"]), crate::process::limit::TOOL) {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        Ok(o) => format!("cargo-fuzz (version unknown: {})", o.stderr_text().trim()),
        Err(e) => format!("cargo-fuzz (version unknown: {e})"),
    }
}

/// A summary as evidence: this machine's environment, and the times of
/// the fuzzing itself where the script recorded them.
pub fn evidence(summary: &Path) -> Result<super::store::Evidence<FuzzData>, FuzzImportError> {
    let data = import(summary, &format!("{}, libFuzzer, {FLAGS}", tool_version()))?;
    let span = data.span();
    let started_at = span.as_ref().map_or_else(super::run::now_utc, |(s, _)| s.clone());
    let params = serde_json::json!({ "summary": summary.display().to_string() });
    let mut ev = super::store::Evidence::new(EXPERIMENT, started_at, params, vec![], data);
    if let Some((_, finished)) = span {
        ev.finished_at = finished;
    }
    Ok(ev)
}

/// Reads a `summary.jsonl`; a target run twice keeps its last line.
pub fn import(path: &Path, tool: &str) -> Result<FuzzData, FuzzImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| FuzzImportError::Io { path: path.to_path_buf(), source })?;
    let mut targets: Vec<FuzzTarget> = Vec::new();
    for (i, l) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let t: FuzzTarget = serde_json::from_str(l).map_err(|source| FuzzImportError::Line { path: path.to_path_buf(), line: i + 1, source })?;
        targets.retain(|o| o.target != t.target);
        targets.push(t);
    }
    if targets.is_empty() {
        return Err(FuzzImportError::Empty { path: path.to_path_buf() });
    }
    Ok(FuzzData { tool: tool.to_string(), targets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fuzz_sh_lines_old_and_new_and_refuses_others() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.jsonl");
        std::fs::write(
            &p,
            "{\"target\":\"jpeg_decode\",\"seconds\":600,\"result\":\"ok\",\"executions\":9963,\"artifact\":\"\",\"log\":\"x.log\"}\n\
             {\"target\":\"patch_reader\",\"seconds\":600,\"result\":\"crash\",\"executions\":5,\"coverage\":310,\"corpus\":12,\"peak_rss_mb\":40,\"artifact\":\"fuzz/artifacts/patch_reader/crash-1\"}\n",
        )
        .unwrap();
        let d = import(&p, "cargo-fuzz 0.13.2").unwrap();
        assert_eq!(d.targets.len(), 2);
        assert_eq!((d.targets[0].result, d.targets[0].coverage), (FuzzResult::Ok, None));
        assert_eq!((d.targets[1].result, d.targets[1].coverage, d.targets[1].peak_rss_mb), (FuzzResult::Crash, Some(310), Some(40)));
        std::fs::write(&p, "not json\n").unwrap();
        assert!(matches!(import(&p, "x"), Err(FuzzImportError::Line { line: 1, .. })));
        std::fs::write(&p, "\n").unwrap();
        assert!(matches!(import(&p, "x"), Err(FuzzImportError::Empty { .. })));
    }

    #[test]
    fn the_recorded_flags_are_the_scripts() {
        let script = std::fs::read_to_string(crate::paths::workspace_root().join("scripts/fuzz.sh")).unwrap();
        let line = script.lines().find(|l| l.contains("cargo fuzz run")).expect("the fuzz.sh run line");
        for flag in ["-s none", "-rss_limit_mb=4096", "-timeout=60"] {
            assert!(line.contains(flag) && FLAGS.contains(flag), "{flag}: {line}");
        }
    }
}
