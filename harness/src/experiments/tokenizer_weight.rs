//! Claim 8 ("tokenizers is heavy"): the same minimal program
//! (`repro/tokenizer-weight/main.rs`) built three ways, each in its own
//! folder under `target/tokenizer-weight/` with a generated manifest and the
//! workspace's lock file as a starting point: `tokenizers` with default
//! features, `tokenizers` with `default-features = false, features =
//! ["fancy-regex"]`, and the light `bert_tokenizer` crate. For each: clean
//! compile time (dependencies fetched first, target folder emptied), binary
//! size before and after `strip`, the ids on a corpus of real sentences
//! (compared with the default build's, every mismatch recorded), and encode
//! throughput with the programs run in alternation.

use super::error::{io, output, ExperimentError};
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

/// A build of the program.
#[derive(Debug, Clone, Copy)]
pub struct Build {
    pub name: &'static str,
    /// The `[dependencies]` lines.
    pub dependencies: &'static str,
    pub feature: &'static str,
    /// The crate whose resolved version is checked, and that version.
    pub main_crate: &'static str,
    pub version: &'static str,
}

/// The three builds.
pub const BUILDS: [Build; 3] = [
    Build { name: "tokenizers-default", dependencies: "tokenizers = \"=0.23.2\"", feature: "hf", main_crate: "tokenizers", version: "0.23.2" },
    Build {
        name: "tokenizers-fancy-regex",
        dependencies: "tokenizers = { version = \"=0.23.2\", default-features = false, features = [\"fancy-regex\"] }",
        feature: "hf",
        main_crate: "tokenizers",
        version: "0.23.2",
    },
    Build {
        name: "bert_tokenizer",
        dependencies: "bert_tokenizer = \"=0.1.3\"\nunicode_categories = \"0.1\"",
        feature: "light",
        main_crate: "bert_tokenizer",
        version: "0.1.3",
    },
];

/// A program run: which build, and the light crate's mode.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    pub name: &'static str,
    pub build: &'static str,
    pub mode: &'static str,
}

/// The compared tokenizers (the light crate used as documented, and with the
/// fixes that match `tokenizers`).
pub const VARIANTS: [Variant; 4] = [
    Variant { name: "tokenizers (default features)", build: "tokenizers-default", mode: "" },
    Variant { name: "tokenizers (fancy-regex, no onig)", build: "tokenizers-fancy-regex", mode: "" },
    Variant { name: "bert_tokenizer, HF-compatible wrapper", build: "bert_tokenizer", mode: "hf-compatible" },
    Variant { name: "bert_tokenizer as documented", build: "bert_tokenizer", mode: "crate-as-is" },
];

/// What one build cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildResult {
    pub build: String,
    pub main_crate_version: String,
    /// Wall seconds of each clean `cargo build --release`.
    pub compile_s: Vec<f64>,
    /// Packages in the lock file (the program's dependency count + 1).
    pub packages: usize,
    pub binary_bytes: u64,
    pub stripped_bytes: u64,
    /// Packages whose build scripts compiled C or C++ (object files in their OUT_DIR).
    pub native_packages: Vec<String>,
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
    let dir = work_dir().join(b.name);
    let io = |source: std::io::Error| ExperimentError::Io { path: dir.clone(), source };
    std::fs::create_dir_all(&dir).map_err(io)?;
    crate::manifest::Manifest::package(&format!("tokw-{}", b.name.replace('_', "-")), "experiments::tokenizer_weight")
        .bin("tokw", &root.join("repro/tokenizer-weight/main.rs"))
        .dependencies_toml(b.dependencies)
        .map_err(|e| ExperimentError::Input { input: format!("build {}", b.name), problem: format!("dependencies: {e}") })?
        .feature("default", &[b.feature])
        .feature("hf", &[])
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

fn build(b: &Build, repeats: usize, progress: &dyn Fn(&str)) -> Result<(BuildResult, PathBuf), ExperimentError> {
    let dir = write_project(b)?;
    let target = dir.join("target");
    progress(&format!("{}: fetching dependencies (not timed)", b.name));
    let o = crate::process::output(crate::process::cargo().arg("fetch").current_dir(&dir), crate::process::limit::BUILD)?;
    if !o.status.success() {
        return Err(ExperimentError::Failed {
            command: o.command.clone(),
            stderr: format!("(needs crates.io or a filled cache)\n{}", crate::process::cargo_output::first_error(&String::from_utf8_lossy(&o.stderr), 12)),
        });
    }
    let mut compile_s = Vec::new();
    for r in 0..repeats {
        let _ = std::fs::remove_dir_all(&target);
        progress(&format!("{}: clean release build {}/{repeats}", b.name, r + 1));
        let t = Instant::now();
        let mut cmd = crate::process::cargo();
        cmd.args(["build", "--release", "--offline", "--quiet", "--message-format=json"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS");
        let o = crate::process::output(&mut cmd, crate::process::limit::BUILD)?;
        compile_s.push(t.elapsed().as_secs_f64());
        if !o.status.success() {
            return Err(ExperimentError::Failed {
                command: o.command.clone(),
                stderr: format!("{} does not build; first error:\n{}", b.name, crate::process::cargo_output::first_error_json(&o.stdout, &o.stderr_text(), 12)),
            });
        }
    }
    let exe = target.join("release/tokw");
    let stripped = dir.join("tokw.stripped");
    let o = crate::process::output(Command::new("strip").arg("-o").arg(&stripped).arg(&exe), crate::process::limit::TOOL)?;
    if !o.status.success() {
        return Err(ExperimentError::Failed { command: o.command.clone(), stderr: o.stderr_text() });
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).map_err(io(p));
    let lock = crate::lockfile::Lock::read(&dir.join("Cargo.lock"))?;
    let version = lock.version(b.main_crate).unwrap_or_default().to_string();
    if version != b.version {
        return Err(ExperimentError::Input {
            input: dir.join("Cargo.lock").display().to_string(),
            problem: format!("resolved {} {version}, expected {}", b.main_crate, b.version),
        });
    }
    let result = BuildResult {
        build: b.name.into(),
        main_crate_version: version,
        compile_s,
        packages: lock.packages.len(),
        binary_bytes: size(&exe)?,
        stripped_bytes: size(&stripped)?,
        native_packages: native_packages(&target),
    };
    Ok((result, exe))
}

fn run_program(exe: &Path, tokenizer: &Path, corpus: &Path, ids: &Path, reps: usize, mode: &str) -> Result<Vec<f64>, ExperimentError> {
    let o = crate::process::output(Command::new(exe).arg(tokenizer).arg(corpus).arg(ids).arg(reps.to_string()).arg(mode), crate::process::limit::PROBE)?;
    if !o.status.success() {
        return Err(ExperimentError::Failed { command: o.command.clone(), stderr: o.stderr_text() });
    }
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).map_err(output(&o.command))?;
    Ok(v["ns_per_rep"].as_array().map(|a| a.iter().filter_map(|x| x.as_f64()).collect()).unwrap_or_default())
}

/// Runs the experiment and stores its evidence.
pub fn run(repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
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
    let json = locate::require(id::MINILM_TOKENIZER)?;
    let vocab = locate::require(id::MINILM_VOCAB)?;

    let mut builds = Vec::new();
    let mut exes = std::collections::HashMap::new();
    for b in &BUILDS {
        let (r, exe) = build(b, if quick { 1 } else { repeats }, progress)?;
        builds.push(r);
        exes.insert(b.name, exe);
    }
    // Ids first: each variant against the default build.
    let mut variants: Vec<VariantResult> = Vec::new();
    let mut ids_of = Vec::new();
    for v in &VARIANTS {
        let ids = dir.join(format!("{}-{}.ids", v.build, if v.mode.is_empty() { "hf" } else { v.mode }));
        let tok = if v.build.starts_with("tokenizers") { &json } else { &vocab };
        run_program(&exes[v.build], tok, &corpus_file, &ids, 0, v.mode)?;
        ids_of.push(std::fs::read_to_string(&ids).map_err(io(&ids))?);
        variants.push(VariantResult { variant: v.name.into(), build: v.build.into(), ns_per_pass: vec![], mismatches: vec![] });
    }
    let reference: Vec<&str> = ids_of[0].lines().collect();
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
        for (k, v) in VARIANTS.iter().enumerate() {
            progress(&format!("throughput round {}/{rounds}: {}", round + 1, v.name));
            let tok = if v.build.starts_with("tokenizers") { &json } else { &vocab };
            let ns = run_program(&exes[v.build], tok, &corpus_file, &dir.join("throughput.ids"), 3, v.mode)?;
            variants[k].ns_per_pass.extend(ns);
        }
    }
    let data = Data {
        corpus_source: format!("{CORPUS_DIR}/* (Debian base-files licence texts), split into sentences by experiments::tokenizer_weight::corpus"),
        corpus_sentences: sentences.len(),
        corpus_sha256: sha256(text.as_bytes()),
        corpus_tokens,
        builds,
        variants,
    };
    let params = serde_json::json!({ "compile_repeats": if quick { 1 } else { repeats }, "throughput_rounds": rounds, "reps_per_round": 3, "quick": quick, "tokenizer": "all-MiniLM-L6-v2 (tokenizer.json without padding/truncation; vocab.txt)" });
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
}
