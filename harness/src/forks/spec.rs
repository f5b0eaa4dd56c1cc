//! What the fork check knows about each crate and patch: how to run the
//! crate's own tests here (and which tests cannot run, with why), which
//! claim a patch serves, and what its repro and benchmark are.

use std::path::PathBuf;

use super::patch_file::{self, PatchSpec};
use super::ForkError;

/// A crate the fork check can handle.
pub struct CrateSpec {
    pub name: &'static str,
    /// The version the patches are written against (and the workspace uses).
    pub default_version: &'static str,
    /// `cargo` arguments for the crate's own tests.
    pub test_args: &'static [&'static str],
    /// Tests that cannot run here, each with how many and why. A count of 0
    /// marks the `--skip` filters given to libtest (libtest counts those as
    /// filtered out); the others are compiled out behind a feature, or not
    /// run at all, and are counted from this list.
    pub skipped: &'static [(&'static str, u64, &'static str)],
}

/// What kind of change a patch is (decides what "fixed" means).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Code that should fix a reproduced problem.
    Fix,
    /// Documentation only: no code may change.
    Docs,
    /// A new API.
    Feature,
}

pub const CRATES: &[CrateSpec] = &[
    CrateSpec {
        name: "whisper-rs",
        default_version: "0.16.0",
        // The unit tests use `#![cfg_attr(test, feature(test))]` (benches),
        // so they only build with RUSTC_BOOTSTRAP=1 on a stable toolchain.
        test_args: &["test", "--release", "--no-fail-fast"],
        skipped: &[
            ("whisper_ctx::test::test_tokenize_round_trip (feature test-with-tiny-model)", 1, "needs `./sys/whisper.cpp/models/ggml-tiny.en.bin` from the git repository (not in the published crate), and calls `WhisperInnerContext::new`, which no longer exists: it does not compile in 0.16.0"),
            ("vulkan::vulkan_tests::list_devices (feature vulkan)", 1, "needs a Vulkan build and device"),
            ("vulkan::vulkan_tests::get_device_memory (feature vulkan)", 1, "needs a Vulkan build and device"),
        ],
    },
    CrateSpec {
        name: "ort",
        default_version: "2.0.0-rc.15",
        test_args: &[
            "test", "--release", "--no-fail-fast", "--no-default-features", "--features", "load-dynamic,ndarray,std,api-31", "--lib", "--",
            "--skip", "compiler::tests", "--skip", "device::tests", "--skip", "operator::tests::", "--skip", "session::adapter", "--skip", "session::builder", "--skip", "session::metadata",
        ],
        skipped: &[
            ("--skip compiler::tests, device::tests, operator::tests, session::adapter, session::builder, session::metadata", 0, "need `tests/data/*.onnx` / `.ort` / `.orl` from ort's git repository (the published crate ships `src/` only)"),
            ("io_binding tests (feature fetch-models)", 4, "download models from cdn.pyke.io: no network here"),
            ("value::impl_tensor::copy tests (feature cuda)", 4, "need CUDA: no GPU here"),
            ("doctests (not run: `--lib`)", 114, "31 of the 114 need model files absent from the published crate and one (`environment::init_from`) does not compile in it; the check runs the library's unit tests only"),
        ],
    },
];

/// Looks a crate up.
pub fn crate_spec(name: &str) -> Result<&'static CrateSpec, ForkError> {
    CRATES.iter().find(|c| c.name == name).ok_or_else(|| ForkError::UnknownCrate {
        krate: name.into(),
        version: String::new(),
        cargo: format!("the fork check knows: {}", CRATES.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")),
    })
}

/// The folder of a crate's patches.
pub fn patch_dir(krate: &str) -> PathBuf {
    crate::paths::workspace_root().join("patches").join(krate)
}

/// Every patch of a crate: the `.patch` files in `patches/<crate>/`, by
/// name, each read through its header.
pub fn patches_of(krate: &str) -> Result<Vec<PatchSpec>, ForkError> {
    let dir = patch_dir(krate);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "patch")).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(ForkError::Io(format!("{}: {e}", dir.display()))),
    };
    files.sort();
    Ok(files.iter().map(|f| patch_file::read(f)).collect::<Result<_, _>>()?)
}

/// Every patch in `patches/`, of every crate the fork check knows.
pub fn all_patches() -> Result<Vec<PatchSpec>, ForkError> {
    let mut out = Vec::new();
    for c in CRATES {
        out.extend(patches_of(c.name)?);
    }
    Ok(out)
}

/// Looks a patch of `patches/<crate>/` up by name.
pub fn patch_spec(krate: &str, name: &str) -> Result<PatchSpec, ForkError> {
    let all = patches_of(krate)?;
    let known = all.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ");
    all.iter().find(|p| p.name == name).cloned().ok_or_else(|| ForkError::UnknownPatch { krate: krate.into(), name: name.into(), known })
}

/// A patch file given by path for `krate`: its header must name that
/// crate. One outside `patches/<crate>/` is named `user-<file name>`, so
/// its evidence and work folder never take the place of a registered
/// patch's of the same file name.
pub fn patch_from_file(krate: &str, path: &std::path::Path) -> Result<PatchSpec, ForkError> {
    let mut p = patch_file::read(path)?;
    if p.krate != krate {
        return Err(patch_file::PatchFileError::WrongCrate { path: path.to_path_buf(), found: p.krate, wanted: krate.to_string() }.into());
    }
    let registered = std::fs::canonicalize(path).ok().zip(std::fs::canonicalize(patch_dir(krate)).ok()).is_some_and(|(f, d)| f.parent() == Some(d.as_path()));
    if !registered {
        p.name = format!("user-{}", p.name);
    }
    Ok(p)
}

/// A line of a documentation patch that changes code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("changes code, not only comments: `{line}`")]
pub struct ChangesCode {
    pub line: String,
}

/// Whether a unified diff changes only comment lines (for `Kind::Docs`).
pub fn comments_only(patch_text: &str) -> Result<(), ChangesCode> {
    for l in patch_text.lines() {
        if l.starts_with("+++") || l.starts_with("---") {
            continue;
        }
        if let Some(body) = l.strip_prefix('+').or_else(|| l.strip_prefix('-')) {
            let t = body.trim();
            if !(t.is_empty() || t.starts_with("//")) {
                return Err(ChangesCode { line: l.to_string() });
            }
        }
    }
    Ok(())
}
