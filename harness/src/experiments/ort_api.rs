//! Claim 2's API question, on any published ort version: does
//! `Session::run` take `&mut self`? A compile probe (`api_probe`) calls
//! `run` through a shared reference; rustc's E0596 ("cannot borrow as
//! mutable") means `&mut self`, a clean compile means `&self`. One `cargo
//! check` per version (with `load-dynamic`, so no ONNX Runtime is
//! downloaded or linked), ort-sys pinned to the same version.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::api_probe::{self, Probe, Target};
use super::error::{io, ExperimentError};
use crate::evidence::store::{self, Evidence};

/// Experiment id.
pub const EXPERIMENT: &str = "ort-api";

/// The seed's ort version.
pub const SEED_VERSION: &str = "2.0.0-rc.10";
/// The last version before the seed's (facts.md: rc.9 had `&self`): probed
/// by default so a change at the seed's version shows.
pub const BEFORE_SEED: &str = "2.0.0-rc.9";

/// The probe's source: `run` through `&Session`, with an input type every
/// 2.0 prerelease accepts (a `Vec` of named values), so the only thing that
/// can fail in the probe's own code is the borrow.
pub const PROBE: &str = "pub fn probe(s: &ort::session::Session) {\n    \
    let inputs: Vec<(String, ort::session::SessionInputValue<'static>)> = Vec::new();\n    \
    let _ = s.run(inputs);\n}\n";

/// The evidence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Data {
    pub probe_source: String,
    pub probes: Vec<Probe>,
}

impl store::DataSchema for Data {
    const VERSION: u32 = 1;
}

/// Probes one version.
pub fn probe(version: &str) -> Result<Probe, ExperimentError> {
    let t = Target { krate: "ort", version, features: &["load-dynamic"], default_features: false, same_version: &["ort-sys"] };
    api_probe::check("ort-run", &t, PROBE)
}

/// The default versions: the one before the seed's, the seed's, the
/// workspace's, and the newest published (when the registry answers).
pub fn default_versions(progress: &dyn Fn(&str)) -> Vec<String> {
    let mut v = vec![BEFORE_SEED.to_string(), SEED_VERSION.to_string()];
    if let Ok(l) = crate::lockfile::Lock::read(&crate::paths::workspace_root().join("Cargo.lock")) {
        v.extend(l.version("ort").map(String::from));
    }
    match crate::crates_io::newest("ort") {
        Ok(n) => v.push(n),
        Err(e) => progress(&format!("newest ort not known ({}); probing the others", crate::error_chain::message(&e))),
    }
    let mut seen = std::collections::BTreeSet::new();
    v.retain(|x| seen.insert(x.clone()));
    v
}

/// Probes `versions` (one failing to build does not stop the others) and
/// writes the evidence.
pub fn run_versions(versions: &[String], progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
    let mut probes = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        progress(&format!("[{}/{}] cargo check of the `run(&Session)` probe against ort {v}", i + 1, versions.len()));
        probes.push(probe(v)?);
    }
    let params = serde_json::json!({ "versions": versions, "features": ["load-dynamic"], "repeats": 1 });
    let evidence = Evidence::new(EXPERIMENT, started_at, params, vec![], Data { probe_source: PROBE.into(), probes });
    store::write_new(EXPERIMENT, &evidence).map_err(io(&store::scratch_root()))
}

/// `harness experiment ort-api`: the default versions.
pub fn run(_repeats: usize, _quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    run_versions(&default_versions(progress), progress)
}
