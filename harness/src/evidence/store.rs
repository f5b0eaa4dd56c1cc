//! The evidence store: one JSON file per experiment run, never overwritten,
//! under `reports/data/<experiment>/` (or `$HARNESS_EVIDENCE_DIR`). Reports
//! are rendered only from these files, so a report can be rebuilt byte for
//! byte anywhere the data is.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::environment::Environment;
use crate::paths;

/// Schema id of evidence files.
pub const SCHEMA: &str = "harness.evidence/1";

/// One experiment run's stored data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evidence<T> {
    pub schema: String,
    pub experiment: String,
    pub started_at: String,
    pub finished_at: String,
    pub environment: Environment,
    /// The knobs the run used (repeats, quick mode, ...).
    pub parameters: serde_json::Value,
    /// Synthetic inputs, as labels that reach every report.
    pub synthetic: Vec<String>,
    pub data: T,
}

impl<T> Evidence<T> {
    /// Evidence of `experiment` begun at `started_at`, finished now, with this
    /// machine's environment fingerprint.
    pub fn new(experiment: &str, started_at: String, parameters: serde_json::Value, synthetic: Vec<String>, data: T) -> Self {
        Evidence {
            schema: SCHEMA.into(),
            experiment: experiment.into(),
            started_at,
            finished_at: crate::evidence::run::now_utc(),
            environment: Environment::capture(),
            parameters,
            synthetic,
            data,
        }
    }
}

/// Root folder of the evidence store.
pub fn root() -> PathBuf {
    match std::env::var_os("HARNESS_EVIDENCE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => paths::workspace_root().join("reports").join("data"),
    }
}

/// Writes a new evidence file for `experiment`; never replaces one.
pub fn write_new<T: Serialize>(experiment: &str, evidence: &Evidence<T>) -> std::io::Result<PathBuf> {
    let dir = root().join(experiment);
    std::fs::create_dir_all(&dir)?;
    let stamp = evidence.started_at.replace([':', '-'], "");
    let mut path = dir.join(format!("{stamp}.json"));
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{stamp}-{n}.json"));
        n += 1;
    }
    let json = serde_json::to_string_pretty(evidence).map_err(std::io::Error::other)?;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
    std::io::Write::write_all(&mut f, json.as_bytes())?;
    Ok(path)
}

/// The newest evidence file of `experiment` (by name: names are UTC stamps).
pub fn latest(experiment: &str) -> Option<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(experiment))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files.pop()
}

/// Reads an evidence file.
pub fn read<T: DeserializeOwned>(path: &Path) -> Result<Evidence<T>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not evidence of this schema: {e}", path.display()))
}
