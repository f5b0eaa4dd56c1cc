//! Claim 8 ("tokenizers is heavy"): the same minimal program
//! (`repro/tokenizer-weight/main.rs`) built several ways, each in its own
//! folder under `target/tokenizer-weight/` with a generated manifest and the
//! workspace's lock file as a starting point: for each `tokenizers` version
//! asked (the seed's 0.20, the workspace's, the 1.0 prerelease), its default
//! features and its lean set (0.x: `default-features = false, features =
//! ["fancy-regex"]`, no Oniguruma; 1.x: only WordPiece), and the light
//! `bert_tokenizer` crate once. For each: clean compile time (dependencies
//! fetched first, target folder emptied; builds interleaved, a round at a
//! time in rotated order, with `cargo build --timings` recording where the
//! time goes), binary size before and after `strip`, the ids on a corpus of
//! real sentences (compared with the workspace version's default build,
//! every mismatch recorded), and encode throughput with the programs run in
//! alternation. A build that does not compile is recorded with cargo's
//! first error; the others go on.

use super::error::{io, output, ExperimentError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::evidence::store::{self, Evidence};
use crate::models::{catalog::id, locate};

/// Experiment id (= the claim's).
pub const EXPERIMENT: &str = "tokenizers-weight";

/// Where the corpus comes from: every licence text Debian ships (base-files).
pub const CORPUS_DIR: &str = "/usr/share/common-licenses";

/// What a build is, relative to its crate's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `tokenizers` with default features.
    Default,
    /// `tokenizers` with the fewest features a WordPiece `tokenizer.json`
    /// needs (0.x: fancy-regex instead of Oniguruma; 1.x: WordPiece only).
    Lean,
    /// The light WordPiece crate.
    Light,
}

/// A build of the program.
#[derive(Debug, Clone)]
pub struct Build {
    pub name: String,
    pub kind: Kind,
    /// The `[dependencies]` lines.
    pub dependencies: String,
    /// The program's feature: `hf` (tokenizers 0.x), `hf1` (1.x), `light`.
    pub feature: &'static str,
    /// The crate whose resolved version is checked, and that version.
    pub main_crate: &'static str,
    pub version: String,
}

/// The workspace's tokenizers: the reference every build's ids are compared with.
pub const REFERENCE_VERSION: &str = "0.23.2";
/// The seed's tokenizers ("v0.20": its newest patch release).
pub const SEED_VERSION: &str = "0.20.4";
/// The 1.0 prerelease that splits the crate.
pub const PRERELEASE_VERSION: &str = "1.0.0-rc.3";
/// The light crate.
pub const LIGHT_VERSION: &str = "0.1.3";

/// The builds for `versions` of tokenizers (default and lean each), then
/// the light crate.
pub fn builds(versions: &[String]) -> Vec<Build> {
    let mut out = Vec::new();
    for v in versions {
        let one = v.split('.').next().is_some_and(|major| major != "0");
        let (feature, lean_name, lean_features) =
            if one { ("hf1", "wordpiece", "[\"wordpiece\", \"normalizers\"]") } else { ("hf", "fancy-regex", "[\"fancy-regex\"]") };
        out.push(Build {
            name: format!("tokenizers-{v}-default"),
            kind: Kind::Default,
            dependencies: format!("tokenizers = \"={v}\""),
            feature,
            main_crate: "tokenizers",
            version: v.clone(),
        });
        out.push(Build {
            name: format!("tokenizers-{v}-{lean_name}"),
            kind: Kind::Lean,
            dependencies: format!("tokenizers = {{ version = \"={v}\", default-features = false, features = {lean_features} }}"),
            feature,
            main_crate: "tokenizers",
            version: v.clone(),
        });
    }
    out.push(Build {
        name: "bert_tokenizer".into(),
        kind: Kind::Light,
        dependencies: format!("bert_tokenizer = \"={LIGHT_VERSION}\"\nunicode_categories = \"0.1\""),
        feature: "light",
        main_crate: "bert_tokenizer",
        version: LIGHT_VERSION.into(),
    });
    out
}

/// The default versions: the seed's, the workspace's, the 1.0 prerelease.
pub fn default_versions() -> Vec<String> {
    [SEED_VERSION, REFERENCE_VERSION, PRERELEASE_VERSION].iter().map(|s| s.to_string()).collect()
}

/// A program run: which build, and the light crate's mode.
#[derive(Debug, Clone)]
pub struct Variant {
    pub name: String,
    pub build: String,
    pub mode: &'static str,
}

/// The compared tokenizers: every tokenizers build that compiled, and the
/// light crate as documented and with the fixes that match `tokenizers`.
fn variants(builds: &[&Build]) -> Vec<Variant> {
    let mut out: Vec<Variant> = builds
        .iter()
        .filter(|b| b.kind != Kind::Light)
        .map(|b| Variant {
            name: format!("tokenizers {} ({})", b.version, if b.kind == Kind::Default { "default features" } else { lean_label(&b.version) }),
            build: b.name.clone(),
            mode: "",
        })
        .collect();
    if builds.iter().any(|b| b.kind == Kind::Light) {
        out.push(Variant { name: "bert_tokenizer, HF-compatible wrapper".into(), build: "bert_tokenizer".into(), mode: "hf-compatible" });
        out.push(Variant { name: "bert_tokenizer as documented".into(), build: "bert_tokenizer".into(), mode: "crate-as-is" });
    }
    out
}

/// What the lean build of `version` leaves out, in words.
pub fn lean_label(version: &str) -> &'static str {
    if version.starts_with("0.") {
        "fancy-regex, no onig"
    } else {
        "WordPiece only"
    }
}

/// Where one clean build spent its time (`cargo build --timings`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Unit {
    /// Package and version, and what cargo ran (`lib`, `build-script`, `run-custom-build`, ...).
    pub unit: String,
    pub seconds: f64,
}

/// What one build cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildResult {
    pub build: String,
    /// Absent in evidence from before versions were measured: derived from the name.
    #[serde(default)]
    pub kind: Option<Kind>,
    pub main_crate_version: String,
    /// Why it did not build (cargo's first error); then nothing else is measured.
    #[serde(default)]
    pub error: Option<String>,
    /// The slowest units of the last clean build (`--timings`), slowest first.
    #[serde(default)]
    pub slowest_units: Vec<Unit>,
    /// Wall seconds of each clean `cargo build --release`.
    pub compile_s: Vec<f64>,
    /// Packages in the lock file: every platform's, so an upper bound on
    /// what is compiled.
    pub packages: usize,
    /// Packages compiled for this machine (`cargo tree -e normal,build` on
    /// the host target, the program included); absent in older evidence.
    #[serde(default)]
    pub compiled_packages: Option<usize>,
    pub binary_bytes: u64,
    pub stripped_bytes: u64,
    /// Packages whose build scripts compiled C or C++ (object files in their OUT_DIR).
    pub native_packages: Vec<String>,
}

impl BuildResult {
    /// The error's own line (`error[E0432]: ...`) for tables, or its first line.
    pub fn error_line(&self) -> Option<&str> {
        let e = self.error.as_deref()?;
        Some(e.lines().find(|l| l.trim_start().starts_with("error")).unwrap_or_else(|| e.lines().next().unwrap_or("")))
    }

    /// The build's kind (evidence from before kinds were recorded: by name).
    pub fn kind(&self) -> Kind {
        self.kind.unwrap_or(if self.build.starts_with("bert") {
            Kind::Light
        } else if self.build.ends_with("default") {
            Kind::Default
        } else {
            Kind::Lean
        })
    }
}

/// One sentence whose ids differ from the reference.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mismatch {
    pub line: usize,
    pub sentence: String,
    pub reference: String,
    pub ids: String,
}

/// What one variant did on the corpus.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VariantResult {
    pub variant: String,
    pub build: String,
    /// Nanoseconds per pass over the corpus, one per rep.
    pub ns_per_pass: Vec<f64>,
    pub mismatches: Vec<Mismatch>,
}

/// Stored data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Data {
    pub corpus_source: String,
    pub corpus_sentences: usize,
    pub corpus_sha256: String,
    pub corpus_tokens: usize,
    pub builds: Vec<BuildResult>,
    pub variants: Vec<VariantResult>,
}

impl crate::evidence::store::DataSchema for Data {
    const VERSION: u32 = 1;
}

/// Sentences of the licence texts: paragraphs joined, split after `.`, `?`
/// or `!` followed by a space, whitespace collapsed, three words or more,
/// each once, in file-name order. Symlinked duplicates are skipped.
pub fn corpus(dir: &Path) -> Result<Vec<String>, ExperimentError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ExperimentError::Input {
            input: dir.display().to_string(),
            problem: format!("{e} (the corpus is Debian's licence texts, package base-files)"),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.symlink_metadata().is_ok_and(|m| m.is_file()))
        .collect();
    files.sort();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(io(&f))?;
        for para in text.split("\n\n") {
            let joined = para.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut start = 0;
            let b = joined.as_bytes();
            for i in 0..b.len() {
                let end_of_sentence = matches!(b[i], b'.' | b'?' | b'!') && (i + 1 == b.len() || b[i + 1] == b' ');
                if end_of_sentence {
                    push_sentence(&joined[start..=i], &mut seen, &mut out);
                    start = i + 1;
                }
            }
            push_sentence(&joined[start..], &mut seen, &mut out);
        }
    }
    Ok(out)
}

fn push_sentence(s: &str, seen: &mut std::collections::HashSet<String>, out: &mut Vec<String>) {
    let s = s.trim();
    if s.split_whitespace().count() >= 3 && seen.insert(s.to_string()) {
        out.push(s.to_string());
    }
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn work_dir() -> PathBuf {
    crate::paths::workspace_root().join("target/tokenizer-weight")
}

/// Writes the build's project; returns its folder.
fn write_project(b: &Build) -> Result<PathBuf, ExperimentError> {
    let root = crate::paths::workspace_root();
    let dir = work_dir().join(&b.name);
    let io = |source: std::io::Error| ExperimentError::Io { path: dir.clone(), source };
    std::fs::create_dir_all(&dir).map_err(io)?;
    crate::manifest::Manifest::package(&format!("tokw-{}", b.name.replace(['_', '.'], "-")), "experiments::tokenizer_weight")
        .bin("tokw", &root.join("repro/tokenizer-weight/main.rs"))
        .dependencies_toml(&b.dependencies)
        .map_err(|e| ExperimentError::Input { input: format!("build {}", b.name), problem: format!("dependencies: {e}") })?
        .feature("default", &[b.feature])
        .feature("hf", &[])
        .feature("hf1", &[])
        .feature("light", &[])
        .write(&dir)
        .map_err(io)?;
    // Start from the workspace's resolution so shared dependencies keep the versions the harness uses.
    if !dir.join("Cargo.lock").exists() {
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(io)?;
    }
    Ok(dir)
}

/// Packages whose build scripts compiled C or C++: those with object files
/// or static libraries in their `OUT_DIR` (`target/release/build/<pkg>-<hash>/out`).
fn native_packages(target: &Path) -> Vec<String> {
    fn has_objects(d: &Path) -> bool {
        std::fs::read_dir(d).into_iter().flatten().flatten().any(|e| {
            let p = e.path();
            if p.is_dir() {
                has_objects(&p)
            } else {
                p.extension().is_some_and(|x| x == "o" || x == "a")
            }
        })
    }
    let mut out: Vec<String> = std::fs::read_dir(target.join("release/build"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| has_objects(&e.path().join("out")))
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.rsplit_once('-')).map(|(n, _)| n.to_string()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The slowest `n` units in a `cargo build --timings` page: its
/// `UNIT_DATA` array (name, version, target, duration in seconds).
pub fn slowest_units(html: &str, n: usize) -> Vec<Unit> {
    #[derive(Deserialize)]
    struct Raw {
        name: String,
        version: String,
        #[serde(default)]
        target: String,
        duration: f64,
    }
    let Some(start) = html.find("const UNIT_DATA = ").map(|i| i + "const UNIT_DATA = ".len()) else { return vec![] };
    let mut de = serde_json::Deserializer::from_str(&html[start..]);
    let Ok(raw) = <Vec<Raw> as Deserialize>::deserialize(&mut de) else { return vec![] };
    let mut units: Vec<Unit> = raw
        .into_iter()
        .map(|r| Unit {
            unit: format!("{} {}{}", r.name, r.version, if r.target.trim().is_empty() { String::new() } else { r.target.trim_end().to_string() }),
            seconds: r.duration,
        })
        .collect();
    units.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    units.truncate(n);
    units
}

/// Distinct packages `cargo tree` lists for the host target, normal and
/// build dependencies, the program included (what a build compiles, unlike
/// the lock file, which lists every platform's packages).
fn compiled_packages(dir: &Path) -> Result<Option<usize>, ExperimentError> {
    let host = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let mut cmd = crate::process::cargo();
    cmd.args(["tree", "--offline", "--target", &host, "-e", "normal,build", "--prefix", "none"]).current_dir(dir);
    let o = crate::process::output(&mut cmd, crate::process::limit::TOOL)?;
    if !o.status.success() {
        return Ok(None);
    }
    let mut names: Vec<String> =
        o.stdout_text().lines().map(|l| l.replace(" (*)", "").replace(" (proc-macro)", "").trim().to_string()).filter(|l| !l.is_empty()).collect();
    names.sort();
    names.dedup();
    Ok(Some(names.len()))
}

/// A build in progress: its folder and what it measured so far.
struct Building {
    build: Build,
    dir: PathBuf,
    result: BuildResult,
}

fn failed(o: &crate::process::Finished) -> String {
    crate::process::cargo_output::first_error_json(&o.stdout, &o.stderr_text(), 12)
}

/// Writes the project and fetches its dependencies (not timed); a build
/// whose dependencies do not resolve is recorded as not building.
fn prepare(b: &Build, progress: &dyn Fn(&str)) -> Result<Building, ExperimentError> {
    let dir = write_project(b)?;
    progress(&format!("{}: fetching dependencies (not timed)", b.name));
    let o = crate::process::output(crate::process::cargo().arg("fetch").current_dir(&dir), crate::process::limit::BUILD)?;
    let result = BuildResult {
        build: b.name.clone(),
        kind: Some(b.kind),
        main_crate_version: b.version.clone(),
        error: (!o.status.success()).then(|| format!("`cargo fetch` failed (needs crates.io or a filled cache): {}", failed(&o))),
        slowest_units: vec![],
        compile_s: vec![],
        packages: 0,
        compiled_packages: None,
        binary_bytes: 0,
        stripped_bytes: 0,
        native_packages: vec![],
    };
    Ok(Building { build: b.clone(), dir, result })
}

/// One clean, timed release build (`--timings`); a compile error is recorded
/// in the result and ends this build's rounds.
fn clean_build(b: &mut Building, round: usize, rounds: usize, progress: &dyn Fn(&str)) -> Result<(), ExperimentError> {
    let target = b.dir.join("target");
    let _ = std::fs::remove_dir_all(&target);
    progress(&format!("{}: clean release build {}/{rounds}", b.build.name, round + 1));
    let t = Instant::now();
    let mut cmd = crate::process::cargo();
    cmd.args(["build", "--release", "--offline", "--quiet", "--timings", "--message-format=json"])
        .current_dir(&b.dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS");
    let o = crate::process::output(&mut cmd, crate::process::limit::BUILD)?;
    let seconds = t.elapsed().as_secs_f64();
    if !o.status.success() {
        b.result.error = Some(format!("{} {} does not build: {}", b.build.main_crate, b.build.version, failed(&o)));
        return Ok(());
    }
    b.result.compile_s.push(seconds);
    let html = std::fs::read_to_string(target.join("cargo-timings/cargo-timing.html")).unwrap_or_default();
    b.result.slowest_units = slowest_units(&html, 8);
    Ok(())
}

/// Sizes, dependency count and C/C++ packages of the last build; checks the
/// resolved version. Returns the executable.
fn finish(b: &mut Building) -> Result<PathBuf, ExperimentError> {
    let target = b.dir.join("target");
    let exe = target.join("release/tokw");
    let stripped = b.dir.join("tokw.stripped");
    let o = crate::process::output(Command::new("strip").arg("-o").arg(&stripped).arg(&exe), crate::process::limit::TOOL)?;
    if !o.status.success() {
        return Err(ExperimentError::Failed { command: o.command.clone(), stderr: o.stderr_text() });
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).map_err(io(p));
    let lock = crate::lockfile::Lock::read(&b.dir.join("Cargo.lock"))?;
    let version = lock.version(b.build.main_crate).unwrap_or_default().to_string();
    if version != b.build.version {
        return Err(ExperimentError::Input {
            input: b.dir.join("Cargo.lock").display().to_string(),
            problem: format!("resolved {} {version}, expected {}", b.build.main_crate, b.build.version),
        });
    }
    b.result.packages = lock.packages.len();
    b.result.compiled_packages = compiled_packages(&b.dir)?;
    b.result.binary_bytes = size(&exe)?;
    b.result.stripped_bytes = size(&stripped)?;
    b.result.native_packages = native_packages(&target);
    Ok(exe)
}

fn run_program(exe: &Path, tokenizer: &Path, corpus: &Path, ids: &Path, reps: usize, mode: &str) -> Result<Vec<f64>, ExperimentError> {
    let o = crate::process::output(Command::new(exe).arg(tokenizer).arg(corpus).arg(ids).arg(reps.to_string()).arg(mode), crate::process::limit::PROBE)?;
    if !o.status.success() {
        return Err(ExperimentError::Failed { command: o.command.clone(), stderr: o.stderr_text() });
    }
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).map_err(output(&o.command))?;
    Ok(v["ns_per_rep"].as_array().map(|a| a.iter().filter_map(|x| x.as_f64()).collect()).unwrap_or_default())
}

fn write_corpus(progress: &dyn Fn(&str)) -> Result<(Vec<String>, String, PathBuf), ExperimentError> {
    progress(&format!("corpus: sentences of {CORPUS_DIR}"));
    let sentences = corpus(Path::new(CORPUS_DIR))?;
    if sentences.len() < 1000 {
        return Err(ExperimentError::Input {
            input: CORPUS_DIR.into(),
            problem: format!("only {} sentences; the claim needs at least 1,000", sentences.len()),
        });
    }
    let dir = work_dir();
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let corpus_file = dir.join("corpus.txt");
    let text = sentences.join("\n") + "\n";
    std::fs::write(&corpus_file, &text).map_err(io(&corpus_file))?;
    Ok((sentences, sha256(text.as_bytes()), corpus_file))
}

/// Every build, `repeats` clean builds each, interleaved: a round builds
/// every build once, in an order rotated by one per round, so no build
/// always runs first (a cold disk cache) or last.
fn build_all(builds: &[Build], repeats: usize, progress: &dyn Fn(&str)) -> Result<(Vec<BuildResult>, BTreeMap<String, PathBuf>), ExperimentError> {
    let mut all: Vec<Building> = builds.iter().map(|b| prepare(b, progress)).collect::<Result<_, _>>()?;
    for round in 0..repeats {
        let n = all.len();
        for k in 0..n {
            let b = &mut all[(k + round) % n];
            if b.result.error.is_none() {
                clean_build(b, round, repeats, progress)?;
            }
        }
    }
    let mut exes = BTreeMap::new();
    for b in &mut all {
        if b.result.error.is_none() {
            exes.insert(b.build.name.clone(), finish(b)?);
        } else {
            progress(&format!("{}: {}", b.build.name, b.result.error.as_deref().unwrap_or("").lines().next().unwrap_or("")));
        }
    }
    Ok((all.into_iter().map(|b| b.result).collect(), exes))
}

/// Runs the experiment on the default versions.
pub fn run(repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    run_versions(&default_versions(), repeats, quick, progress)
}

/// Runs the experiment on `versions` of tokenizers (the reference version is
/// always built: every build's ids are compared with its) and stores the evidence.
pub fn run_versions(versions: &[String], repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
    let (sentences, corpus_sha256, corpus_file) = write_corpus(progress)?;
    let dir = work_dir();
    let json = locate::require(id::MINILM_TOKENIZER)?;
    let vocab = locate::require(id::MINILM_VOCAB)?;
    let mut versions: Vec<String> = versions.to_vec();
    if !versions.iter().any(|v| v == REFERENCE_VERSION) {
        versions.push(REFERENCE_VERSION.into());
    }
    let builds = builds(&versions);
    let repeats = if quick { 1 } else { repeats };
    let (results, exes) = build_all(&builds, repeats, progress)?;
    let built: Vec<&Build> = builds.iter().filter(|b| exes.contains_key(&b.name)).collect();
    let reference_build = format!("tokenizers-{REFERENCE_VERSION}-default");
    if !exes.contains_key(&reference_build) {
        let why = results.iter().find(|r| r.build == reference_build).and_then(|r| r.error.clone()).unwrap_or_default();
        return Err(ExperimentError::Input { input: reference_build, problem: format!("the reference build did not build, so no ids can be compared: {why}") });
    }
    let variants_run = variants(&built);
    let tokenizer_of = |v: &Variant| if v.build == "bert_tokenizer" { &vocab } else { &json };
    // Ids first: each variant against the reference build.
    let mut variants: Vec<VariantResult> = Vec::new();
    let mut ids_of = Vec::new();
    let reference_ids = dir.join("reference.ids");
    run_program(&exes[&reference_build], &json, &corpus_file, &reference_ids, 0, "")?;
    let reference_text = std::fs::read_to_string(&reference_ids).map_err(io(&reference_ids))?;
    for v in &variants_run {
        let ids = dir.join(format!("{}-{}.ids", v.build, if v.mode.is_empty() { "hf" } else { v.mode }));
        run_program(&exes[&v.build], tokenizer_of(v), &corpus_file, &ids, 0, v.mode)?;
        ids_of.push(std::fs::read_to_string(&ids).map_err(io(&ids))?);
        variants.push(VariantResult { variant: v.name.clone(), build: v.build.clone(), ns_per_pass: vec![], mismatches: vec![] });
    }
    let reference: Vec<&str> = reference_text.lines().collect();
    let corpus_tokens = reference.iter().map(|l| l.split_whitespace().count()).sum();
    for (v, ids) in variants.iter_mut().zip(&ids_of) {
        let lines: Vec<&str> = ids.lines().collect();
        if lines.len() != reference.len() {
            return Err(ExperimentError::Disagree { what: format!("{}: {} lines of ids for {} sentences", v.variant, lines.len(), reference.len()) });
        }
        for (i, (a, b)) in reference.iter().zip(&lines).enumerate() {
            if a != b {
                v.mismatches.push(Mismatch { line: i + 1, sentence: sentences[i].clone(), reference: a.to_string(), ids: b.to_string() });
            }
        }
    }
    // Then throughput, the programs in alternation.
    let rounds = if quick { 1 } else { 5 };
    for round in 0..rounds {
        for (k, v) in variants_run.iter().enumerate() {
            progress(&format!("throughput round {}/{rounds}: {}", round + 1, v.name));
            let ns = run_program(&exes[&v.build], tokenizer_of(v), &corpus_file, &dir.join("throughput.ids"), 3, v.mode)?;
            variants[k].ns_per_pass.extend(ns);
        }
    }
    let data = Data {
        corpus_source: format!("{CORPUS_DIR}/* (Debian base-files licence texts), split into sentences by experiments::tokenizer_weight::corpus"),
        corpus_sentences: sentences.len(),
        corpus_sha256,
        corpus_tokens,
        builds: results,
        variants,
    };
    let params = serde_json::json!({ "compile_repeats": repeats, "interleaved": true, "timings": true, "versions": versions, "reference": REFERENCE_VERSION, "throughput_rounds": rounds, "reps_per_round": 3, "quick": quick, "tokenizer": "all-MiniLM-L6-v2 (tokenizer.json without padding/truncation; vocab.txt)" });
    let evidence = Evidence::new(EXPERIMENT, started_at, params, vec![], data);
    store::write_new(EXPERIMENT, &evidence).map_err(io(&store::scratch_root()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_splits_paragraphs_into_unique_sentences() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("A"), "This is one. And this is\ntwo? Yes it is!\n\nShort.\n\nThis is one.").unwrap();
        std::os::unix::fs::symlink(dir.path().join("A"), dir.path().join("B")).unwrap();
        assert_eq!(corpus(dir.path()).unwrap(), vec!["This is one.", "And this is two?", "Yes it is!"]);
    }

    #[test]
    fn each_version_gets_a_default_and_a_lean_build_and_the_light_crate_once() {
        let b = builds(&["0.20.4".into(), "1.0.0-rc.3".into()]);
        let names: Vec<&str> = b.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "tokenizers-0.20.4-default",
                "tokenizers-0.20.4-fancy-regex",
                "tokenizers-1.0.0-rc.3-default",
                "tokenizers-1.0.0-rc.3-wordpiece",
                "bert_tokenizer"
            ]
        );
        assert_eq!((b[1].feature, b[3].feature), ("hf", "hf1"), "1.x has another API");
        assert!(b[3].dependencies.contains("default-features = false") && b[3].dependencies.contains("wordpiece"));
    }

    #[test]
    fn the_slowest_units_come_from_cargos_timing_page() {
        let html = r#"<script>
const UNIT_DATA = [{"i":0,"name":"onig_sys","version":"69.9.1","mode":"run-custom-build","target":" build script (run)","start":0.1,"duration":21.5,"rmeta_time":null,"unlocked_units":[],"unlocked_rmeta_units":[],"sections":null},
{"i":1,"name":"tokenizers","version":"0.23.2","mode":"todo","target":"","start":22.0,"duration":30.25,"rmeta_time":9.0,"unlocked_units":[],"unlocked_rmeta_units":[],"sections":null}];
const CONCURRENCY_DATA = [];
</script>"#;
        let u = slowest_units(html, 8);
        assert_eq!(
            u,
            vec![Unit { unit: "tokenizers 0.23.2".into(), seconds: 30.25 }, Unit { unit: "onig_sys 69.9.1 build script (run)".into(), seconds: 21.5 }]
        );
        assert!(slowest_units("<html>no timings</html>", 8).is_empty());
    }
}
