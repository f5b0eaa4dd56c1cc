//! Forks of upstream crates, checked before and after a patch.
//!
//! - `variant.rs`: the race cell built against another version, feature set
//!   or local source of whisper-rs, in an isolated generated project.
//! - `source.rs`: the exact registry source of a crate version, via cargo.
//! - `whisper_cpp.rs`: whisper-rs-sys's source with a newer whisper.cpp
//!   tree in place of the one it bundles, for `variant.rs` to patch in.
//! - `patch.rs`: applying a patch (dry run first; the failing hunk on error).
//! - `proof.rs`: proving from the lock file and `cargo metadata` that the
//!   patched copy is what was compiled (cargo only warns about unused patches).
//! - `crate_tests.rs`: the crate's own test suite, counted per binary.
//! - `spec.rs`: what the check knows about each crate and patch.
//! - `check.rs`: `harness fork check`: the whole before/after run and its
//!   evidence; each crate's repro and benchmark comes in as a `MeasureFn`
//!   from above (`claims::fork_repro`): `ort_cell.rs` here, whisper-rs's in
//!   `claims::whisper_rs_race::fork`, since it runs the race's trials; `report.rs` renders the before/after section of a claim's report.

pub mod check;
pub mod crate_tests;
pub mod ort_cell;
pub mod patch;
pub mod patch_file;
pub mod proof;
pub mod report;
pub mod source;
pub mod spec;
pub mod variant;
pub mod whisper_cpp;

use std::path::PathBuf;

/// Why a fork check could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ForkError {
    #[error("cannot get {krate} {version} from the registry:\n{cargo}\n  fix: check the crate name and version (`cargo info {krate}`); offline, the version must already be in cargo's cache")]
    UnknownCrate { krate: String, version: String, cargo: String },
    #[error("no patch `{name}` for {krate}; known: {known} (files under patches/{krate}/)")]
    UnknownPatch { krate: String, name: String, known: String },
    #[error("{} does not apply:\n{output}\nfailing hunk: {hunk}\n  fix: rebase the patch on the version being checked (--version), or check that version instead", patch.display())]
    PatchDoesNotApply { patch: PathBuf, output: String, hunk: String },
    #[error("the patched source was not what cargo compiled: {0}")]
    PatchUnused(#[from] proof::ProofError),
    #[error("the {which} fork does not build; first compiler error:\n{first_error}")]
    DoesNotBuild { which: String, first_error: String },
    #[error("{0}")]
    Io(String),
    #[error("{}: not a whisper.cpp source tree ({why})\n  fix: give the top folder of a whisper.cpp release, e.g. `git -C whisper.cpp archive --prefix=w/ v1.9.3 | tar -x`", tree.display())]
    NotWhisperCpp { tree: PathBuf, why: String },
    #[error(transparent)]
    PatchFile(#[from] patch_file::PatchFileError),
    #[error(transparent)]
    Asset(#[from] crate::models::locate::AssetError),
    #[error(transparent)]
    Ort(#[from] crate::models::onnxruntime::OrtSetupError),
    #[error(transparent)]
    Process(#[from] crate::process::ProcessError),
    #[error(transparent)]
    Count(#[from] crate::measure::instructions::CountError),
    #[error("the {mode} cell gave no result: {message}")]
    Cell { mode: String, message: String },
}
