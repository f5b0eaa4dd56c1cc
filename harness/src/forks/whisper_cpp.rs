//! A newer whisper.cpp under whisper-rs (issue #13): whisper-rs-sys's
//! registry source copied with its bundled `whisper.cpp/` replaced by a
//! whisper.cpp source tree the user supplies (for example `git archive
//! v1.9.3` of ggml-org/whisper.cpp), for `forks::variant` to patch in
//! through `[patch.crates-io]`. whisper-rs-sys builds whatever that folder
//! holds with cmake and generates its bindings from the headers, so a
//! release that keeps the C API whisper-rs calls builds unchanged; one
//! that does not fails with the compiler's first error.

use std::path::{Path, PathBuf};

use super::ForkError;

/// A prepared whisper-rs-sys source with another whisper.cpp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSys {
    /// The copy, to patch in for `whisper-rs-sys`.
    pub dir: PathBuf,
    /// The whisper-rs-sys version copied.
    pub sys: String,
    /// The whisper.cpp version now inside it.
    pub whisper_cpp: String,
    /// `tree_digest` of the whisper.cpp tree copied in.
    pub digest: String,
}

/// The version a whisper.cpp `CMakeLists.txt` declares: 1.8's
/// `project("whisper.cpp" VERSION x)`, or 1.9's `set(WHISPER_VERSION_MAJOR
/// x)` / `_MINOR` / `_PATCH`.
pub fn tree_version(cmake: &str) -> Option<String> {
    if let Some(v) = super::variant::whisper_cpp_version(cmake) {
        return Some(v);
    }
    let part = |name: &str| cmake.lines().find_map(|l| l.trim().strip_prefix(&format!("set({name} ")).map(|r| r.trim_end_matches(')').trim().to_string()));
    Some(format!("{}.{}.{}", part("WHISPER_VERSION_MAJOR")?, part("WHISPER_VERSION_MINOR")?, part("WHISPER_VERSION_PATCH")?))
}

/// `cmake` with the `project("whisper.cpp" VERSION x)` line whisper-rs-sys's
/// build script reads the version from (it panics without one), added after
/// the first `project(` line when missing.
pub fn with_version_line(cmake: &str, version: &str) -> String {
    if super::variant::whisper_cpp_version(cmake).is_some() {
        return cmake.to_string();
    }
    let mut out = String::new();
    let mut added = false;
    for line in cmake.lines() {
        out.push_str(line);
        out.push('\n');
        if !added && line.trim_start().starts_with("project(") {
            // The line must end at the `)`: whisper-rs-sys reads everything after VERSION up to it.
            out.push_str("# added by harness (forks::whisper_cpp): whisper-rs-sys's build script reads the next line\n");
            out.push_str(&format!("project(\"whisper.cpp\" VERSION {version})\n"));
            added = true;
        }
    }
    out
}

/// Copies whisper-rs-sys `sys` from the registry into `work` with `tree`
/// as its `whisper.cpp/`, and returns the copy.
pub fn prepare(tree: &Path, sys: &str, work: &Path) -> Result<LocalSys, ForkError> {
    let not_tree = |why: &str| ForkError::NotWhisperCpp { tree: tree.to_path_buf(), why: why.to_string() };
    if !tree.join("include/whisper.h").is_file() {
        return Err(not_tree("no include/whisper.h"));
    }
    let cmake_path = tree.join("CMakeLists.txt");
    let cmake = std::fs::read_to_string(&cmake_path).map_err(|_| not_tree("no CMakeLists.txt"))?;
    let whisper_cpp = tree_version(&cmake).ok_or_else(|| not_tree("CMakeLists.txt declares no whisper.cpp version"))?;
    let digest = tree_digest(tree)?;
    let registry = super::source::registry_source("whisper-rs-sys", sys, work)?;
    // Named by content too: another tree of the same version gets its own
    // folder, so cargo never reuses a build of different sources.
    let dir = work.join(format!("whisper-rs-sys-{sys}+whisper.cpp-{whisper_cpp}-{}", &digest[..12]));
    super::source::copy_as_workspace(&registry, &dir)?;
    let bundled = dir.join("whisper.cpp");
    std::fs::remove_dir_all(&bundled).map_err(|e| ForkError::Io(format!("{}: {e}", bundled.display())))?;
    super::source::copy_tree(tree, &bundled)?;
    std::fs::write(bundled.join("CMakeLists.txt"), with_version_line(&cmake, &whisper_cpp))
        .map_err(|e| ForkError::Io(format!("{}: {e}", bundled.display())))?;
    Ok(LocalSys { dir, sys: sys.to_string(), whisper_cpp, digest })
}

/// SHA-256 over the tree's files (relative path and contents, in path
/// order; a symbolic link by its target): what was built, for the evidence.
pub fn tree_digest(tree: &Path) -> Result<String, ForkError> {
    use sha2::{Digest, Sha256};
    let io = |p: &Path, e: std::io::Error| ForkError::Io(format!("{}: {e}", p.display()));
    let mut files = Vec::new();
    let mut todo = vec![tree.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
            let path = entry.map_err(|e| io(&dir, e))?.path();
            let kind = std::fs::symlink_metadata(&path).map_err(|e| io(&path, e))?.file_type();
            if kind.is_dir() {
                todo.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut hash = Sha256::new();
    for f in &files {
        hash.update(f.strip_prefix(tree).unwrap_or(f).to_string_lossy().as_bytes());
        hash.update([0]);
        let body = match std::fs::read_link(f) {
            Ok(target) => target.to_string_lossy().into_owned().into_bytes(),
            Err(_) => std::fs::read(f).map_err(|e| io(f, e))?,
        };
        hash.update((body.len() as u64).to_le_bytes());
        hash.update(&body);
    }
    Ok(hex::encode(hash.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V183: &str = "cmake_minimum_required(VERSION 3.5)\nproject(\"whisper.cpp\" C CXX)\nproject(\"whisper.cpp\" VERSION 1.8.3)\nset(SOVERSION 1)\n";
    const V193: &str = "cmake_minimum_required(VERSION 3.5)\nproject(\"whisper.cpp\" C CXX)\ninclude(CheckIncludeFileCXX)\n\n### whisper.cpp version\nset(WHISPER_VERSION_MAJOR 1)\nset(WHISPER_VERSION_MINOR 9)\nset(WHISPER_VERSION_PATCH 3)\n";

    #[test]
    fn reads_the_version_of_both_cmake_layouts() {
        assert_eq!(tree_version(V183).as_deref(), Some("1.8.3"));
        assert_eq!(tree_version(V193).as_deref(), Some("1.9.3"));
        assert_eq!(tree_version("project(\"whisper.cpp\" C CXX)\nset(WHISPER_VERSION_MAJOR 1)\n"), None);
    }

    #[test]
    fn adds_the_version_line_whisper_rs_sys_reads_only_when_missing() {
        assert_eq!(with_version_line(V183, "1.8.3"), V183);
        let added = with_version_line(V193, "1.9.3");
        assert_eq!(super::super::variant::whisper_cpp_version(&added).as_deref(), Some("1.9.3"));
        // As whisper-rs-sys 0.15.0's build.rs reads it: the whole rest of the line up to `)`.
        let line = added.lines().find_map(|l| l.strip_prefix("project(\"whisper.cpp\" VERSION ")).unwrap();
        assert_eq!(line.trim_end_matches(')'), "1.9.3", "{added}");
        assert_eq!(added.lines().count(), V193.lines().count() + 2);
    }

    #[test]
    fn a_folder_that_is_not_a_whisper_cpp_tree_is_refused_naming_it() {
        let (tree, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let e = prepare(tree.path(), "0.15.0", work.path()).unwrap_err().to_string();
        assert!(e.contains(&tree.path().display().to_string()) && e.contains("no include/whisper.h") && e.contains("fix:"), "{e}");
        std::fs::create_dir_all(tree.path().join("include")).unwrap();
        std::fs::write(tree.path().join("include/whisper.h"), "").unwrap();
        std::fs::write(tree.path().join("CMakeLists.txt"), "project(\"whisper.cpp\" C CXX)\n").unwrap();
        let e = prepare(tree.path(), "0.15.0", work.path()).unwrap_err().to_string();
        assert!(e.contains("declares no whisper.cpp version"), "{e}");
    }

    #[test]
    fn the_digest_follows_contents_and_names_not_copy_times() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for d in [a.path(), b.path()] {
            std::fs::create_dir_all(d.join("src")).unwrap();
            std::fs::write(d.join("src/whisper.cpp"), "int x;").unwrap();
        }
        assert_eq!(tree_digest(a.path()).unwrap(), tree_digest(b.path()).unwrap());
        std::fs::write(b.path().join("src/whisper.cpp"), "int y;").unwrap();
        assert_ne!(tree_digest(a.path()).unwrap(), tree_digest(b.path()).unwrap());
        std::fs::write(b.path().join("src/whisper.cpp"), "int x;").unwrap();
        std::fs::rename(b.path().join("src/whisper.cpp"), b.path().join("src/ggml.c")).unwrap();
        assert_ne!(tree_digest(a.path()).unwrap(), tree_digest(b.path()).unwrap());
    }
}
