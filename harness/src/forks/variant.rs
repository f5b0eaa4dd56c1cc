//! Building `repro/whisper-race-cell` against a chosen whisper-rs version
//! and features. Two whisper-rs-sys versions cannot link into one binary
//! (`links = "whisper"`), so each variant is its own project under
//! `target/variants/<name>/`, built with its own lock file; the version
//! cargo resolved is read back from that lock file and must match.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A whisper-rs variant of the race cell.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct WhisperVariant {
    /// Exact whisper-rs version, e.g. "0.16.0".
    pub whisper_rs: String,
    /// Extra whisper-rs features, e.g. ["openmp"].
    pub features: Vec<String>,
    /// `GGML_*` settings passed to whisper.cpp's cmake through the
    /// environment (whisper-rs-sys forwards them), with a short tag for the
    /// name; e.g. an AVX2-only build that valgrind can run.
    #[serde(default)]
    pub cmake_env: Vec<(String, String)>,
    #[serde(default)]
    pub tag: Option<String>,
    /// A local copy of whisper-rs's source (a fork) that replaces the
    /// registry's through `[patch.crates-io]`; the build then proves, from
    /// its lock file, that the copy is what was compiled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A local whisper-rs-sys (`forks::whisper_cpp::prepare`: its source
    /// with another whisper.cpp) patched in the same way and proved the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_source: Option<String>,
}

/// Why a variant could not be built.
#[derive(Debug, thiserror::Error)]
pub enum VariantError {
    #[error("unknown whisper-rs version {0}: this harness knows the whisper-rs-sys each version needs for 0.15.1 and 0.16.0")]
    UnknownVersion(String),
    #[error("building variant {name} failed (log: {log}); first error:\n{first_error}")]
    Build { name: String, log: PathBuf, first_error: String },
    #[error("variant {name}: Cargo.lock resolved whisper-rs {found}, expected {expected}")]
    WrongVersion { name: String, expected: String, found: String },
    #[error("variant {name}: {reason}")]
    Io { name: String, reason: String },
    #[error("variant {name}: the patch is unused: {reason}. Cargo only warns about this; the fork was NOT compiled (check the patched crate's name and version match what the program depends on)")]
    PatchUnused { name: String, reason: Box<crate::forks::proof::ProofError> },
}

impl WhisperVariant {
    /// The version the workspace itself builds (no extra build needed).
    pub fn workspace_default() -> Self {
        WhisperVariant { whisper_rs: "0.16.0".into(), features: vec![], cmake_env: vec![], tag: None, source: None, sys_source: None }
    }

    /// A registry version with features and nothing else.
    pub fn registry(version: &str, features: &[&str]) -> Self {
        WhisperVariant {
            whisper_rs: version.into(),
            features: features.iter().map(|f| f.to_string()).collect(),
            cmake_env: vec![],
            tag: None,
            source: None,
            sys_source: None,
        }
    }

    /// The workspace version built for valgrind: valgrind 3.19 cannot decode
    /// AVX-512, which `GGML_NATIVE` enables on this CPU, so build AVX2 only.
    pub fn valgrind_compatible() -> Self {
        let env = [("GGML_NATIVE", "OFF"), ("GGML_AVX", "ON"), ("GGML_AVX2", "ON"), ("GGML_FMA", "ON"), ("GGML_F16C", "ON")];
        WhisperVariant {
            whisper_rs: "0.16.0".into(),
            features: vec![],
            cmake_env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            tag: Some("avx2-only".into()),
            source: None,
            sys_source: None,
        }
    }

    /// The registry version replaced by the local source at `source` (a fork
    /// under the fork check's folder), named `whisper-rs-<v>+<tag>`.
    pub fn fork(version: &str, source: &Path, tag: &str) -> Self {
        WhisperVariant {
            whisper_rs: version.into(),
            features: vec![],
            cmake_env: vec![],
            tag: Some(tag.into()),
            source: Some(source.display().to_string()),
            sys_source: None,
        }
    }

    /// The workspace's whisper-rs on a prepared whisper-rs-sys copy with
    /// another whisper.cpp, named `whisper-rs-0.16.0+whisper.cpp-<v>`.
    pub fn with_whisper_cpp(local: &crate::forks::whisper_cpp::LocalSys) -> Self {
        WhisperVariant {
            tag: Some(format!("whisper.cpp-{}", local.whisper_cpp)),
            sys_source: Some(local.dir.display().to_string()),
            ..WhisperVariant::workspace_default()
        }
    }

    /// The whisper.cpp this variant runs, when it replaces the bundled one.
    pub fn whisper_cpp_override(&self) -> Option<&str> {
        self.sys_source.as_ref().and(self.tag.as_deref()?.strip_prefix("whisper.cpp-"))
    }

    /// A short name: `whisper-rs-0.16.0`, `whisper-rs-0.16.0+openmp`.
    pub fn name(&self) -> String {
        let mut n = format!("whisper-rs-{}", self.whisper_rs);
        for f in &self.features {
            n += &format!("+{f}");
        }
        if let Some(t) = &self.tag {
            n += &format!("+{t}");
        }
        n
    }

    fn sys_version(&self) -> Result<&'static str, VariantError> {
        bundled(&self.whisper_rs).map(|b| b.sys).ok_or_else(|| VariantError::UnknownVersion(self.whisper_rs.clone()))
    }
}

/// What a whisper-rs version pins: its whisper-rs-sys and the whisper.cpp
/// that one bundles (its `CMakeLists.txt` `project(... VERSION ...)`; a
/// test reads the workspace's to check this table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bundled {
    pub whisper_rs: &'static str,
    pub sys: &'static str,
    pub whisper_cpp: &'static str,
}

/// The whisper-rs versions this harness builds.
pub const BUNDLED: &[Bundled] =
    &[Bundled { whisper_rs: "0.15.1", sys: "0.14.1", whisper_cpp: "1.7.6" }, Bundled { whisper_rs: "0.16.0", sys: "0.15.0", whisper_cpp: "1.8.3" }];

/// The pins of `whisper_rs`, if this harness knows them.
pub fn bundled(whisper_rs: &str) -> Option<&'static Bundled> {
    BUNDLED.iter().find(|b| b.whisper_rs == whisper_rs)
}

/// The whisper.cpp version in a `CMakeLists.txt`'s `project("whisper.cpp" VERSION x)`.
pub fn whisper_cpp_version(cmake: &str) -> Option<String> {
    cmake.lines().find_map(|l| l.trim().strip_prefix("project(\"whisper.cpp\" VERSION ")).map(|r| r.trim_end_matches(')').trim().to_string())
}

/// Builds the race cell for `variant` (cached: a built binary is reused)
/// and returns the executable.
pub fn build_race_cell(variant: &WhisperVariant, progress: &dyn Fn(&str)) -> Result<PathBuf, VariantError> {
    let root = crate::paths::workspace_root();
    let name = variant.name();
    if *variant == WhisperVariant::workspace_default() {
        // The workspace member, against the workspace's own lock file.
        // Always through cargo (a no-op when fresh): an existing binary may
        // predate the cell's source.
        let exe = root.join("target/release/whisper-race-cell");
        progress("building the race cell (workspace)");
        let mut cmd = crate::process::cargo();
        // The target folder named, so `exe` is where cargo writes it whatever the user's config says.
        cmd.args(["build", "--release", "--quiet", "--message-format=json", "-p", "whisper-race-cell"])
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", root.join("target"));
        let out = crate::process::output(&mut cmd, crate::process::limit::BUILD).map_err(|e| VariantError::Io { name: name.clone(), reason: e.to_string() })?;
        if !out.status.success() {
            let first_error = crate::process::cargo_output::first_error_json(&out.stdout, &out.stderr_text(), 12);
            return Err(VariantError::Build { name, log: root.join("target"), first_error });
        }
        return Ok(exe);
    }
    let io = |e: std::io::Error| VariantError::Io { name: name.clone(), reason: e.to_string() };
    let dir = root.join("target/variants").join(&name);
    let exe = dir.join("target/release/whisper-race-cell");
    std::fs::create_dir_all(dir.join("src")).map_err(io)?;
    std::fs::copy(root.join("repro/whisper-race-cell/src/main.rs"), dir.join("src/main.rs")).map_err(io)?;
    let features: Vec<&str> = variant.features.iter().map(|f| f.as_ref()).collect();
    let mut manifest = crate::manifest::Manifest::package("whisper-race-cell", "forks::variant")
        .dependency("whisper-rs", crate::manifest::exact(&variant.whisper_rs, &features, true))
        .dependency("whisper-rs-sys", format!("={}", variant.sys_version()?).into())
        .dependency("hound", "3.5".into())
        .dependency("serde_json", "1".into());
    if let Some(p) = &variant.source {
        manifest = manifest.patch("whisper-rs", Path::new(p));
    }
    if let Some(p) = &variant.sys_source {
        manifest = manifest.patch("whisper-rs-sys", Path::new(p));
    }
    manifest.write(&dir).map_err(io)?;
    progress(&format!("building the race cell against {name} (cached after the first build, which compiles whisper.cpp)"));
    let mut cmd = crate::process::cargo();
    cmd.args(["build", "--release", "--quiet", "--message-format=json"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CMAKE_BUILD_PARALLEL_LEVEL", std::thread::available_parallelism().map_or(1, |n| n.get()).to_string())
        .envs(variant.cmake_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let out = crate::process::output(&mut cmd, crate::process::limit::BUILD).map_err(|e| VariantError::Io { name: name.clone(), reason: e.to_string() })?;
    let log = dir.join("build.log");
    std::fs::write(&log, [out.stderr.as_slice(), out.stdout.as_slice()].concat()).map_err(io)?;
    if !out.status.success() {
        let first_error = crate::process::cargo_output::first_error_json(&out.stdout, &out.stderr_text(), 12);
        return Err(VariantError::Build { name, log, first_error });
    }
    let found = crate::lockfile::Lock::read(&dir.join("Cargo.lock")).ok().and_then(|l| l.version("whisper-rs").map(String::from)).unwrap_or_default();
    if found != variant.whisper_rs {
        return Err(VariantError::WrongVersion { name, expected: variant.whisper_rs.clone(), found });
    }
    if variant.source.is_some() {
        crate::forks::proof::patched_source_used(&dir.join("Cargo.lock"), "whisper-rs")
            .map_err(|reason| VariantError::PatchUnused { name: name.clone(), reason: Box::new(reason) })?;
    }
    if variant.sys_source.is_some() {
        crate::forks::proof::patched_source_used(&dir.join("Cargo.lock"), "whisper-rs-sys")
            .map_err(|reason| VariantError::PatchUnused { name, reason: Box::new(reason) })?;
    }
    Ok(exe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whisper_cpps_version_from_its_cmake_project() {
        assert_eq!(
            whisper_cpp_version("cmake_minimum_required(VERSION 3.5)\nproject(\"whisper.cpp\" C CXX)\nproject(\"whisper.cpp\" VERSION 1.7.6)\n").as_deref(),
            Some("1.7.6")
        );
        assert_eq!(whisper_cpp_version("project(\"other\" VERSION 1.0)"), None);
    }

    #[test]
    fn the_bundled_table_matches_the_workspaces_whisper_rs_sys_source() {
        let meta = crate::process::cargo_metadata(&crate::paths::workspace_root(), &[]).expect("cargo metadata of the workspace");
        let sys = meta.packages.iter().find(|p| p.name.as_str() == "whisper-rs-sys").expect("the workspace depends on whisper-rs-sys");
        let rs = meta.packages.iter().find(|p| p.name.as_str() == "whisper-rs").expect("and on whisper-rs");
        let dir = sys.manifest_path.parent().expect("a manifest has a folder");
        let cmake = std::fs::read_to_string(dir.join("whisper.cpp/CMakeLists.txt")).expect("whisper-rs-sys bundles whisper.cpp");
        let b = bundled(&rs.version.to_string()).expect("the workspace's whisper-rs is in BUNDLED");
        assert_eq!(b.sys, sys.version.to_string());
        assert_eq!(whisper_cpp_version(&cmake).as_deref(), Some(b.whisper_cpp));
    }
}
