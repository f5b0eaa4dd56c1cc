//! Why a claim could not be measured, judged or rendered. Lower layers'
//! errors are kept whole as sources; each variant names what is at fault.

use std::path::PathBuf;

use crate::evidence::store::StoreError;
use crate::experiments::ExperimentError;
use crate::forks::ForkError;
use crate::process::ProcessError;
use crate::report::RenderError;

/// A claim that could not be measured, judged or rendered.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("unknown {kind} `{name}`; known: {known}")]
    Unknown { kind: &'static str, name: String, known: String },
    /// A version the claim cannot be measured on here.
    #[error("{claim}: cannot measure version `{asked}`; this claim's experiment compiles in: {available}\n  fix: ask for one of those (or `seed`, `latest`)")]
    Versions { claim: String, asked: String, available: String },
    /// The claim's sources lack an experiment it reads.
    #[error("no `{experiment}` evidence given")]
    NoSource { experiment: String },
    /// A measurement ran but did not give what the claim needs.
    #[error("{what}: {problem}")]
    Measurement { what: String, problem: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Experiment(Box<ExperimentError>),
    #[error(transparent)]
    Fork(Box<ForkError>),
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error(transparent)]
    Criterion(#[from] crate::evidence::criterion::CriterionError),
    #[error(transparent)]
    Decode(#[from] crate::stages::decode::DecodeError),
    #[error(transparent)]
    Asset(#[from] crate::models::locate::AssetError),
    #[error(transparent)]
    Variant(Box<crate::forks::variant::VariantError>),
    #[error(transparent)]
    Image(#[from] image::ImageError),
    #[error(transparent)]
    Jpeg(#[from] crate::stages::jpeg::JpegError),
}

/// Maps a failure to write evidence to the scratch store.
pub fn scratch(source: std::io::Error) -> ClaimError {
    ClaimError::Io { path: crate::evidence::store::scratch_root(), source }
}

// Boxed: both carry lower layers' errors whole, and every claim function
// returns this type.
impl From<ExperimentError> for ClaimError {
    fn from(e: ExperimentError) -> Self {
        ClaimError::Experiment(Box::new(e))
    }
}

impl From<crate::forks::variant::VariantError> for ClaimError {
    fn from(e: crate::forks::variant::VariantError) -> Self {
        ClaimError::Variant(Box::new(e))
    }
}

impl From<ForkError> for ClaimError {
    fn from(e: ForkError) -> Self {
        ClaimError::Fork(Box::new(e))
    }
}

/// Maps an I/O error on `path` (for `map_err`).
pub fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ClaimError + '_ {
    move |source| ClaimError::Io { path: path.to_path_buf(), source }
}
