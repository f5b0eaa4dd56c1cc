//! A patch file and its header: what the fork check needs to know about a
//! patch is written at its top, so `patches/` is the registry and a user's
//! own patch (`harness fork check CRATE --patch-file PATH`) needs no code.
//!
//! ```text
//! Crate: whisper-rs
//! Version: 0.16.0
//! Kind: fix
//! Report: whisper-rs-race
//! Repro: internal-mutex
//! Title: Serialise `create_state` with an internal mutex
//! Summary: Adds a `Mutex<()>` to `WhisperInnerContext`, ...
//!   (a line starting with whitespace continues the previous value)
//! Bundle: whisper-rs-abort-callback   (optional: its folder in `bundles/`)
//!
//! --- a/src/whisper_ctx.rs
//! +++ b/src/whisper_ctx.rs
//! @@ ...
//! ```
//!
//! The header ends at the first blank line; `patch` skips it as leading
//! text. `Crate` and `Kind` are required; `Version` defaults to the crate's
//! version in `forks::spec`, `Report` to none (no report section),
//! `Repro` to none (the crate's own tests only), `Title` to the file name,
//! `Bundle` to none (no standalone bundle for maintainers yet).

use std::path::{Path, PathBuf};

use super::spec::Kind;

/// Header keys, in the order they are documented.
pub const KEYS: [&str; 8] = ["Crate", "Version", "Kind", "Report", "Repro", "Title", "Summary", "Bundle"];

/// A patch and what it is for.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchSpec {
    pub krate: String,
    /// The file name without `.patch`: names the patch in evidence and CLI.
    pub name: String,
    /// The crate version it is written against (`None`: the crate's default).
    pub version: Option<String>,
    pub kind: Kind,
    /// The report (claim) whose before/after section shows it.
    pub report: Option<String>,
    /// Which of the crate's repros and benchmarks apply (`None`: none).
    pub repro: Option<String>,
    pub title: String,
    /// The change in one paragraph, for the pull-request description.
    pub summary: String,
    /// The folder in `bundles/` that lets a maintainer reproduce it standalone.
    pub bundle: Option<String>,
    pub file: PathBuf,
}

/// A patch file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PatchFileError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a patch: no unified diff in it (`--- a/...`, `+++ b/...`, `@@ ... @@` lines)\n  fix: give the output of `diff -u` or `git diff`, with the header of forks/patch_file.rs above it")]
    NotAPatch { path: PathBuf },
    #[error(
        "{path}: the header has no `{key}:` line\n  fix: start the file with `Crate: NAME` and `Kind: fix|docs|feature` lines, a blank line, then the diff"
    )]
    Missing { path: PathBuf, key: &'static str },
    #[error("{path}:{line}: unknown header key `{key}`; known: {known}")]
    UnknownKey { path: PathBuf, line: usize, key: String, known: String },
    #[error("{path}: `Kind: {found}` is not fix, docs or feature")]
    Kind { path: PathBuf, found: String },
    #[error("{path}: its header says `Crate: {found}`, the check is for {wanted}\n  fix: check the patch against {found}, or correct its header")]
    WrongCrate { path: PathBuf, found: String, wanted: String },
}

fn has_diff(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    lines.iter().any(|l| l.starts_with("--- ")) && lines.iter().any(|l| l.starts_with("+++ ")) && lines.iter().any(|l| l.starts_with("@@ "))
}

/// Parses a patch file's text (`path` only names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<PatchSpec, PatchFileError> {
    let err_path = || path.to_path_buf();
    if !has_diff(text) {
        return Err(PatchFileError::NotAPatch { path: err_path() });
    }
    let mut fields: Vec<(&'static str, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with("--- ") || line.starts_with("diff ") {
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = fields.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else { break };
        let Some(key) = KEYS.iter().find(|known| known.eq_ignore_ascii_case(k.trim())) else {
            return Err(PatchFileError::UnknownKey { path: err_path(), line: i + 1, key: k.trim().to_string(), known: KEYS.join(", ") });
        };
        fields.push((key, v.trim().to_string()));
    }
    let get = |key: &str| fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    let krate = get("Crate").ok_or(PatchFileError::Missing { path: err_path(), key: "Crate" })?;
    let kind = match get("Kind").ok_or(PatchFileError::Missing { path: err_path(), key: "Kind" })?.to_ascii_lowercase().as_str() {
        "fix" => Kind::Fix,
        "docs" => Kind::Docs,
        "feature" => Kind::Feature,
        other => return Err(PatchFileError::Kind { path: err_path(), found: other.to_string() }),
    };
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "patch".into());
    Ok(PatchSpec {
        krate,
        title: get("Title").unwrap_or_else(|| name.clone()),
        summary: get("Summary").unwrap_or_default(),
        version: get("Version"),
        kind,
        report: get("Report"),
        repro: get("Repro"),
        bundle: get("Bundle"),
        name,
        file: path.to_path_buf(),
    })
}

/// Every patch file under `patches/` (each crate's folder, the crates the
/// fork check builds and the others alike), by path.
pub fn every_patch() -> Result<Vec<PatchSpec>, PatchFileError> {
    let root = crate::paths::workspace_root().join("patches");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PatchFileError::Io { path, source }
    };
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).map_err(io(&root))?.flatten().map(|e| e.path()).filter(|p| p.is_dir()) {
        files.extend(std::fs::read_dir(&dir).map_err(io(&dir))?.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "patch")));
    }
    files.sort();
    files.iter().map(|f| read(f)).collect()
}

/// Reads and parses a patch file.
pub fn read(path: &Path) -> Result<PatchSpec, PatchFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| PatchFileError::Io { path: path.to_path_buf(), source })?;
    parse(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1 +1 @@\n-a\n+b\n";

    #[test]
    fn reads_a_header_with_continuations_and_defaults() {
        let text = format!("Crate: whisper-rs\nkind: Fix\nRepro: internal-mutex\nSummary: one\n  two\n\n{DIFF}");
        let p = parse(Path::new("patches/whisper-rs/my-fix.patch"), &text).unwrap();
        assert_eq!((p.krate.as_str(), p.kind, p.repro.as_deref(), p.summary.as_str()), ("whisper-rs", Kind::Fix, Some("internal-mutex"), "one two"));
        assert_eq!((p.name.as_str(), p.title.as_str(), p.version, p.report), ("my-fix", "my-fix", None, None));
    }

    #[test]
    fn refuses_each_bad_file_naming_it() {
        let p = Path::new("x.patch");
        assert!(matches!(parse(p, "hello\nworld\n"), Err(PatchFileError::NotAPatch { .. })));
        assert!(matches!(parse(p, &format!("Kind: fix\n\n{DIFF}")), Err(PatchFileError::Missing { key: "Crate", .. })));
        assert!(matches!(parse(p, &format!("Crate: ort\n\n{DIFF}")), Err(PatchFileError::Missing { key: "Kind", .. })));
        assert!(matches!(parse(p, &format!("Crate: ort\nKind: refactor\n\n{DIFF}")), Err(PatchFileError::Kind { .. })));
        let e = parse(p, &format!("Crate: ort\nKnid: fix\n\n{DIFF}")).unwrap_err();
        assert!(matches!(&e, PatchFileError::UnknownKey { line: 2, key, .. } if key == "Knid"), "{e}");
        assert!(e.to_string().starts_with("x.patch:2"), "{e}");
        // No header at all: the crate is missing.
        assert!(matches!(parse(p, DIFF), Err(PatchFileError::Missing { key: "Crate", .. })));
    }

    #[test]
    fn every_patch_in_the_tree_has_a_valid_header_for_its_folder() {
        let root = crate::paths::workspace_root().join("patches");
        let mut n = 0;
        for dir in std::fs::read_dir(&root).unwrap().flatten().filter(|e| e.path().is_dir()) {
            for f in std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "patch")) {
                let p = read(&f).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(p.krate, dir.file_name().to_string_lossy(), "{}", f.display());
                assert!(!p.summary.is_empty() && p.report.is_some(), "{}: a patch in the tree says what it is for", f.display());
                n += 1;
            }
        }
        assert!(n >= 5, "{n} patches");
    }
}
