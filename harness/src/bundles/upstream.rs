//! Is a bundle still true upstream? The newest published version of its
//! crate (`crates_io::newest`), the bundle run against
//! it (does the defect still show, does the patch still apply), and whether
//! the crate's development home can be reached from here to check there
//! too. Stored as evidence (`bundle-upstream`) that the bundles' READMEs
//! render from.

use serde::{Deserialize, Serialize};

use super::run::{self, Outcome};
use super::spec::Bundle;
use super::BundleError;
use crate::evidence::store::{self, DataSchema, Evidence};

/// The evidence's experiment name.
pub const EXPERIMENT: &str = "bundle-upstream";

/// One bundle re-checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub bundle: String,
    pub krate: String,
    /// The version the bundle pins.
    pub pinned: String,
    /// The newest published version, or why it is not known.
    pub newest: Result<String, String>,
    /// The bundle run against the newest version (`None` when that is not known).
    pub outcome: Option<Outcome>,
    /// The development home and whether `git ls-remote` reached it.
    pub home: String,
    pub home_reachable: Result<(), String>,
}

/// The stored data: every bundle re-checked in one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Data {
    pub checks: Vec<Check>,
}

impl DataSchema for Data {
    const VERSION: u32 = 1;
}

/// Whether `git ls-remote` reaches `url` within a minute.
fn reachable(url: &str) -> Result<(), String> {
    let mut c = std::process::Command::new("git");
    c.args(["ls-remote", "--exit-code", url, "HEAD"]).env("GIT_TERMINAL_PROMPT", "0");
    match crate::process::output(&mut c, std::time::Duration::from_secs(60)) {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!("not reachable from here: {}", o.tail(2))),
        Err(e) => Err(format!("not reachable from here: {e}")),
    }
}

/// Re-checks bundle `b` against the newest published version of its crate.
pub fn check(b: &Bundle, quick: bool) -> Result<Check, BundleError> {
    let (krate, pinned) = b.crate_version();
    let newest = crate::crates_io::newest(krate).map_err(|e| crate::error_chain::message(&e));
    let outcome = match &newest {
        Ok(v) => Some(run::run(b, &run::Options { quick, against: (v != pinned).then(|| v.clone()) })?),
        Err(_) => None,
    };
    Ok(Check { bundle: b.id.clone(), krate: krate.into(), pinned: pinned.into(), newest, outcome, home: b.home.clone(), home_reachable: reachable(&b.home) })
}

/// Stores the checks as a new evidence file in the scratch store.
pub fn store(checks: Vec<Check>, started_at: String, quick: bool) -> Result<std::path::PathBuf, BundleError> {
    let ev = Evidence::new(EXPERIMENT, started_at, serde_json::json!({ "quick": quick }), vec![], Data { checks });
    store::write_new(EXPERIMENT, &ev).map_err(super::io(&store::scratch_root()))
}

/// The pinned checks, if any.
pub fn pinned() -> Result<Option<(Evidence<Data>, String)>, BundleError> {
    let Some(path) = store::pinned(EXPERIMENT) else { return Ok(None) };
    Ok(Some((store::read(&path)?, crate::report::markdown::data_path(&path))))
}
