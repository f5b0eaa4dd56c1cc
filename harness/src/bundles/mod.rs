//! Upstream-ready bundles: one folder per finding worth sending, which a
//! maintainer can run without this harness.
//!
//! A bundle (`bundles/<id>/`) holds, by hand: `bundle.toml` (kind, who
//! receives it, where its text comes from, the repro's inputs), `repro/` (a
//! crate with its own Cargo.toml and Cargo.lock that depends only on the
//! upstream crate), and the expected output before and after the patch. The
//! rest is rendered (`render`): `run.sh` from one template, `fix.patch`
//! (a copy of the patch whose header says `Bundle: <id>`), `ISSUE.md` from
//! the pinned evidence, and `README.md`. `run` checks a bundle in a
//! temporary copy outside the workspace; `upstream` re-checks it against
//! the newest published version of its crate.

pub mod render;
pub mod run;
pub mod spec;
pub mod upstream;

use std::path::PathBuf;

/// Why a bundle cannot be read, rendered or run.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}\n  fix: see bundles/README.md for the fields")]
    Spec { path: PathBuf, message: String },
    #[error("bundle `{id}`: no patch in patches/ names it\n  fix: add `Bundle: {id}` to the header of the patch it sends")]
    NoPatch { id: String },
    #[error("bundle `{id}`: two patches name it ({first} and {second}); a bundle sends one patch")]
    TwoPatches { id: String, first: PathBuf, second: PathBuf },
    #[error("{path} is missing: a bundle needs bundle.toml, repro/, expected-before.txt and expected-after.txt, and its inputs\n  fix: restore the file, or run `scripts/setup.sh` for the inputs")]
    Missing { path: PathBuf },
    #[error("no bundle `{id}`; known: {known}")]
    Unknown { id: String, known: String },
    #[error(transparent)]
    Patch(#[from] crate::forks::patch_file::PatchFileError),
    #[error("{what}: {source}")]
    Render { what: String, source: Box<dyn std::error::Error + Send + Sync> },
    #[error(transparent)]
    Asset(#[from] crate::models::locate::AssetError),
    #[error(transparent)]
    Process(#[from] crate::process::ProcessError),
    #[error(transparent)]
    Store(#[from] crate::evidence::store::StoreError),
    #[error("{0}: the rendered file differs from what bundles/ holds\n  fix: run `harness bundle render` and commit the result")]
    Stale(PathBuf),
}

fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io { path: path.to_path_buf(), source }
}
