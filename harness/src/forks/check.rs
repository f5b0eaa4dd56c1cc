//! `harness fork check CRATE [--patch NAME] [--version V]`: fetch the exact
//! registry source, copy it twice under `target/forks/<crate>-<version>/`,
//! apply the patch to one copy, run the crate's own tests on both, build the
//! claim's repro and benchmark against both through `[patch.crates-io]`
//! (proving the copy was compiled), run them side by side, and store the
//! evidence as `fork-<crate>-<patch>`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::crate_tests::{self, SuiteResult};
use super::patch_file::PatchSpec;
use super::spec::{self, Kind};
use super::{patch, source, ForkError};
use crate::evidence::store::{self, Evidence};

/// A repro's outcome on each side.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Repro {
    pub name: String,
    pub before: String,
    pub after: String,
    /// Whether the problem showed, before and after.
    pub problem_before: bool,
    pub problem_after: bool,
}

/// A benchmark measured on both sides, in alternation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchPair {
    pub name: String,
    pub unit: String,
    pub higher_is_better: bool,
    pub before: Vec<f64>,
    pub after: Vec<f64>,
    /// The largest cost the patch may add (e.g. 0.01: the seed's "< 1%"),
    /// where the benchmark measures the patch's overhead.
    pub overhead_limit: Option<f64>,
    /// Why this benchmark takes fewer than `forks::report::REPORT_GRADE_PAIRS`
    /// pairs at full size (instruction counts barely vary); `None`: it
    /// takes report grade, and a smaller run says it is below grade.
    #[serde(default)]
    pub fewer_because: Option<String>,
}

/// What a crate-specific check returns.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Measured {
    pub proof: Vec<String>,
    pub repro: Vec<Repro>,
    pub bench: Vec<BenchPair>,
    pub notes: Vec<String>,
}

/// The evidence of one fork check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Data {
    pub krate: String,
    pub version: String,
    pub patch: String,
    pub kind: Kind,
    pub patch_sha256: String,
    pub registry_source: String,
    /// For documentation patches: the check that only comments change.
    pub comments_only: Option<Result<(), String>>,
    pub tests_before: SuiteResult,
    pub tests_after: SuiteResult,
    pub measured: Measured,
}

impl crate::evidence::store::DataSchema for Data {
    const VERSION: u32 = 1;
}

/// One patch's two copies, as a crate's repro and benchmark receive them.
#[derive(Clone, Copy)]
pub struct Sides<'a> {
    pub patch: &'a PatchSpec,
    pub version: &'a str,
    pub before: &'a Path,
    pub after: &'a Path,
    /// The crate version's fork folder (for generated projects).
    pub work: &'a Path,
    pub quick: bool,
}

/// A crate's repro and benchmark, run on both copies of a patch. They live
/// with the claim they reproduce (above this layer), so the caller hands
/// them in: `claims::fork_repro`.
pub type MeasureFn = fn(&Sides, &dyn Fn(&str)) -> Result<Measured, ForkError>;

/// What to check.
#[derive(Debug, Clone)]
pub struct Options {
    pub krate: String,
    pub patch: Option<String>,
    /// A patch file outside `patches/` (its header says what it is).
    pub patch_file: Option<PathBuf>,
    pub version: Option<String>,
    /// Fewer trials (CI and smoke runs).
    pub quick: bool,
}

/// The evidence name of a patch's checks.
pub fn evidence_name(krate: &str, patch: &str) -> String {
    format!("fork-{krate}-{patch}")
}

/// Where a crate version's forks live.
pub fn work_dir(krate: &str, version: &str) -> PathBuf {
    crate::paths::workspace_root().join("target/forks").join(format!("{krate}-{version}"))
}

/// Runs the check for one patch, or every patch of the crate; returns the
/// evidence files written.
pub fn run(opts: &Options, repro: fn(&str) -> Option<MeasureFn>, progress: &dyn Fn(&str)) -> Result<Vec<PathBuf>, ForkError> {
    let cs = spec::crate_spec(&opts.krate)?;
    let measure = repro(cs.name).ok_or_else(|| ForkError::Io(format!("no repro is wired for {}", cs.name)))?;
    let patches: Vec<PatchSpec> = match (&opts.patch, &opts.patch_file) {
        (_, Some(f)) => vec![spec::patch_from_file(cs.name, f)?],
        (Some(p), None) => vec![spec::patch_spec(cs.name, p)?],
        (None, None) => spec::patches_of(cs.name)?,
    };
    let mut out = Vec::new();
    for p in &patches {
        // --version, else the version the patch says it is written against, else the crate's.
        let version = opts.version.clone().or_else(|| p.version.clone()).unwrap_or_else(|| cs.default_version.to_string());
        out.push(check_one(cs, p, &version, opts.quick, measure, progress)?);
    }
    Ok(out)
}

fn sha256_file(p: &Path) -> Result<String, ForkError> {
    crate::models::locate::sha256_file(p).map_err(|e| ForkError::Io(format!("{}: {e}", p.display())))
}

fn test_env(krate: &str) -> Result<Vec<(String, String)>, ForkError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // whisper-rs-sys builds whisper.cpp through cmake, one compiler at a time unless told.
    let mut env = vec![("RUSTC_BOOTSTRAP".to_string(), "1".to_string()), ("CMAKE_BUILD_PARALLEL_LEVEL".to_string(), cores.to_string())];
    if krate == "ort" {
        let lib = crate::models::onnxruntime::find_library()?;
        env.push(("ORT_DYLIB_PATH".into(), lib.display().to_string()));
    }
    Ok(env)
}

fn check_one(
    cs: &'static spec::CrateSpec,
    p: &PatchSpec,
    version: &str,
    quick: bool,
    measure: MeasureFn,
    progress: &dyn Fn(&str),
) -> Result<PathBuf, ForkError> {
    let started_at = crate::evidence::run::now_utc();
    let patch_file = p.file.clone();
    let work = work_dir(cs.name, version);
    std::fs::create_dir_all(&work).map_err(|e| ForkError::Io(format!("{}: {e}", work.display())))?;
    progress(&format!("{} {version}: fetching the registry's source through cargo", cs.name));
    let src = source::registry_source(cs.name, version, &work)?;
    let (before, after) = (work.join("unpatched"), work.join(&p.name));
    source::copy_as_workspace(&src, &before)?;
    source::copy_as_workspace(&src, &after)?;
    progress(&format!("applying {}", patch_file.display()));
    patch::apply(&after, &patch_file)?;
    let patch_text = std::fs::read_to_string(&patch_file).map_err(|e| ForkError::Io(e.to_string()))?;
    let comments_only = (p.kind == Kind::Docs).then(|| spec::comments_only(&patch_text).map_err(|e| e.to_string()));
    if let Some(Err(e)) = &comments_only {
        return Err(ForkError::Io(format!("{}: a documentation patch that {e}", patch_file.display())));
    }

    let env = test_env(cs.name)?;
    let args: Vec<String> = cs.test_args.iter().map(|s| s.to_string()).collect();
    let skipped: Vec<(String, u64, String)> = cs.skipped.iter().map(|(a, n, b)| (a.to_string(), *n, b.to_string())).collect();
    // One target folder per side: both copies are a root package with the
    // same name and version, which cargo hashes alike, so a shared folder
    // lets the newer build's artefacts stand in for the other side's.
    progress(&format!("{}: the crate's own tests, unpatched (the first build compiles its dependencies)", cs.name));
    let tests_before = crate_tests::run(&before, &args, &env, &work.join("target-unpatched"), skipped.clone());
    progress(&format!("{}: the crate's own tests, with {}", cs.name, p.name));
    let tests_after = crate_tests::run(&after, &args, &env, &work.join(format!("target-{}", p.name)), skipped);
    if !tests_after.ran && tests_before.ran {
        return Err(ForkError::DoesNotBuild { which: format!("patched ({})", p.name), first_error: tests_after.error.clone().unwrap_or_default() });
    }

    let measured = measure(&Sides { patch: p, version, before: &before, after: &after, work: &work, quick }, progress)?;
    let data = Data {
        krate: cs.name.into(),
        version: version.into(),
        patch: p.name.clone(),
        kind: p.kind,
        patch_sha256: sha256_file(&patch_file)?,
        registry_source: src.display().to_string(),
        comments_only,
        tests_before,
        tests_after,
        measured,
    };
    let params = serde_json::json!({ "crate": cs.name, "version": version, "patch": p.name, "quick": quick });
    let name = evidence_name(cs.name, &p.name);
    let evidence = Evidence::new(&name, started_at, params, vec![], data);
    store::write_new(&name, &evidence).map_err(|e| ForkError::Io(e.to_string()))
}
