//! Is a bundle still true upstream? The newest published version of its
//! crate (from the registry, through `cargo info`), the bundle run against
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

/// The newest published version in `cargo info` output: its `version:`
/// line, or the `(latest X)` that follows a version cargo picked from a
/// lock file.
pub fn parse_cargo_info(text: &str) -> Option<String> {
    let line = text.lines().find_map(|l| l.trim().strip_prefix("version:"))?;
    let latest = line.split_once("(latest ").and_then(|(_, rest)| rest.split(')').next());
    latest.or_else(|| line.split_whitespace().next()).map(str::trim).filter(|v| !v.is_empty()).map(String::from)
}

/// The newest published version of `krate`, asked of the registry (text on
/// failure: it is stored in evidence as data).
fn newest(krate: &str) -> Result<String, String> {
    let dir = std::env::temp_dir();
    let mut c = crate::process::cargo();
    // Outside any workspace, so the answer is the registry's, not the lock file's.
    c.args(["info", krate]).current_dir(&dir);
    let o = crate::process::output(&mut c, crate::process::limit::TOOL).map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(format!("`cargo info {krate}` failed: {}", o.tail(3)));
    }
    parse_cargo_info(&o.stdout_text()).ok_or_else(|| format!("`cargo info {krate}` printed no `version:` line"))
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
    let newest = newest(krate);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_newest_version_from_cargo_info() {
        let text = "whisper-rs\nRust bindings for whisper.cpp\nversion: 0.16.0\nlicense: Unlicense\n";
        assert_eq!(parse_cargo_info(text).as_deref(), Some("0.16.0"));
        assert_eq!(parse_cargo_info("ort #ml\nversion: 2.0.0-rc.15 (latest 2.0.0-rc.15)\n").as_deref(), Some("2.0.0-rc.15"));
        assert_eq!(parse_cargo_info("whisper-rs\nversion: 0.15.1 (latest 0.16.0)\nrust-version: unknown\n").as_deref(), Some("0.16.0"));
        assert_eq!(parse_cargo_info("error: could not find `nope` in registry\n"), None);
    }
}
