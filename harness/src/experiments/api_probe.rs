//! A compile probe: a few lines of Rust that use an upstream API, checked
//! (`cargo check`) against one exact published version in a generated
//! project of its own. What the compiler says is the measurement: the
//! probe compiles, or rustc rejects it with a code (E0596: a `&mut self`
//! method called through `&`), or the upstream crate itself does not build
//! or resolve (then cargo's reason is kept). Used by the version ledger
//! and the bisect mode, where one build per version must be cheap.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::process::cargo_output::{self, CompilerError};

/// What the probe builds against: `krate = "=version"` plus companions
/// pinned to the same version (a -sys crate whose version must match, or
/// cargo would pair an old crate with a new -sys one).
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The upstream crate and its exact version.
    pub krate: &'a str,
    pub version: &'a str,
    /// Its features, and whether its default ones are on.
    pub features: &'a [&'a str],
    pub default_features: bool,
    /// Crates pinned to the same exact version, without default features.
    pub same_version: &'a [&'a str],
}

/// How the probe ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Ending {
    /// It compiled.
    Compiled,
    /// rustc rejected the probe's own code.
    Rejected { errors: Vec<CompilerError> },
    /// The upstream crate (or a dependency) did not compile, or cargo could
    /// not resolve the version: the probe says nothing about its API.
    DoesNotBuild { reason: String },
}

/// One probe run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// The version asked for.
    pub version: String,
    /// The versions cargo resolved, for `krate` and each companion (from
    /// the probe's lock file): the proof of what was compiled.
    pub resolved: BTreeMap<String, String>,
    pub ending: Ending,
    /// Wall time of `cargo check`, s.
    pub seconds: f64,
}

/// Name of the package cargo builds from the probe's source.
pub const PACKAGE: &str = "probe";

fn project_dir(name: &str, t: &Target) -> PathBuf {
    crate::paths::workspace_root().join("target/probes").join(format!("{name}-{}-{}", t.krate, t.version))
}

/// Checks `source` (a `lib.rs`) against `t`; `name` names the probe's
/// folder under `target/probes/`. Never fails for a version that does not
/// exist or build: that is an [`Ending::DoesNotBuild`] naming cargo's reason.
pub fn check(name: &str, t: &Target, source: &str) -> Result<Probe, crate::experiments::ExperimentError> {
    let dir = project_dir(name, t);
    let io = |e| crate::experiments::ExperimentError::Io { path: dir.clone(), source: e };
    std::fs::create_dir_all(dir.join("src")).map_err(io)?;
    std::fs::write(dir.join("src/lib.rs"), source).map_err(io)?;
    let mut m = crate::manifest::Manifest::package(PACKAGE, "experiments::api_probe")
        .dependency(t.krate, crate::manifest::exact(t.version, t.features, t.default_features));
    for c in t.same_version {
        m = m.dependency(c, crate::manifest::exact(t.version, &[], false));
    }
    m.write(&dir).map_err(io)?;
    // A lock from another version would pin the wrong resolution.
    let _ = std::fs::remove_file(dir.join("Cargo.lock"));
    let started = Instant::now();
    let mut cmd = crate::process::cargo();
    cmd.args(["check", "--quiet", "--message-format=json"]).current_dir(&dir).env("CARGO_TARGET_DIR", dir.join("target"));
    let out = crate::process::output(&mut cmd, crate::process::limit::BUILD)?;
    let seconds = started.elapsed().as_secs_f64();
    let resolved = crate::lockfile::Lock::read(&dir.join("Cargo.lock"))
        .map(|l| std::iter::once(t.krate).chain(t.same_version.iter().copied()).filter_map(|k| Some((k.to_string(), l.version(k)?.to_string()))).collect())
        .unwrap_or_default();
    let ending = ending(out.status.success(), cargo_output::compiler_errors(&out.stdout), &out.stderr_text());
    Ok(Probe { version: t.version.to_string(), resolved, ending, seconds })
}

/// The rule from cargo's result to an [`Ending`], pure: errors in the
/// probe's own package are the API's answer; any other failure is a build
/// or resolution failure, with cargo's first error as the reason.
pub fn ending(success: bool, errors: Vec<CompilerError>, stderr: &str) -> Ending {
    if success {
        return Ending::Compiled;
    }
    let (own, other): (Vec<_>, Vec<_>) = errors.into_iter().partition(|e| e.package == PACKAGE);
    match other.first() {
        Some(e) => Ending::DoesNotBuild { reason: format!("{} does not compile: {}", e.package, e.message) },
        None if !own.is_empty() => Ending::Rejected { errors: own },
        None => Ending::DoesNotBuild { reason: cargo_output::first_error(stderr, 3) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(package: &str, code: &str) -> CompilerError {
        CompilerError { package: package.into(), code: Some(code.into()), message: format!("error[{code}]: x") }
    }

    #[test]
    fn only_the_probes_own_errors_answer_the_question() {
        assert_eq!(ending(true, vec![], ""), Ending::Compiled);
        assert_eq!(ending(false, vec![err("probe", "E0596")], ""), Ending::Rejected { errors: vec![err("probe", "E0596")] });
        assert_eq!(
            ending(false, vec![err("ort", "E0599"), err("probe", "E0596")], ""),
            Ending::DoesNotBuild { reason: "ort does not compile: error[E0599]: x".into() },
            "an upstream crate that does not build says nothing about the probe"
        );
        let resolve = "    Updating crates.io index\nerror: failed to select a version for the requirement `ort = \"=9.9.9\"`\ncandidate versions found";
        match ending(false, vec![], resolve) {
            Ending::DoesNotBuild { reason } => assert!(reason.starts_with("error: failed to select a version"), "{reason}"),
            e => panic!("{e:?}"),
        }
    }
}
