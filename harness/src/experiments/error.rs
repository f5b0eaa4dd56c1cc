//! Why an experiment stopped. Every variant names the file, command or
//! input at fault; lower layers' errors are kept whole as sources.

use std::path::{Path, PathBuf};

use crate::evidence::store::StoreError;
use crate::lockfile::LockfileError;
use crate::measure::instructions::CountError;
use crate::models::locate::AssetError;
use crate::process::ProcessError;
use crate::stages::decode::DecodeError;
use crate::stages::onnx::OnnxError;
use crate::stages::transcribe::TranscribeError;

/// An experiment that could not finish.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    #[error("unknown {kind} `{name}`; known: {known}")]
    Unknown { kind: &'static str, name: String, known: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{program}: unreadable output: {source}")]
    Output { program: String, source: serde_json::Error },
    #[error("`{command}` failed: {stderr}")]
    Failed { command: String, stderr: String },
    /// The compared paths gave different outputs, so timing them would
    /// compare different work.
    #[error("{what}: the compared paths give different outputs; refusing to measure them")]
    Disagree { what: String },
    /// An input (corpus, clip, lock file) is not what the experiment needs.
    #[error("{input}: {problem}")]
    Input { input: String, problem: String },
    #[error("{what}: a worker thread panicked")]
    Panicked { what: String },
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
    #[error(transparent)]
    Count(#[from] CountError),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Asset(#[from] AssetError),
    #[error(transparent)]
    Onnx(Box<OnnxError>),
    #[error(transparent)]
    Transcribe(#[from] TranscribeError),
    #[error(transparent)]
    Ort(#[from] crate::models::onnxruntime::OrtSetupError),
    #[error(transparent)]
    Image(#[from] image::ImageError),
    #[error(transparent)]
    Jpeg(#[from] crate::stages::jpeg::JpegError),
}

// Boxed: ONNX Runtime's errors are large, and every experiment function
// returns this type.
impl From<OnnxError> for ExperimentError {
    fn from(e: OnnxError) -> Self {
        ExperimentError::Onnx(Box::new(e))
    }
}

impl ExperimentError {
    /// A model name the experiment does not know.
    pub fn unknown_model(name: &str, known: &[&str]) -> Self {
        ExperimentError::Unknown { kind: "model", name: name.to_string(), known: known.join(", ") }
    }
}

/// Maps an I/O error on `path` (for `map_err`).
pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExperimentError + '_ {
    move |source| ExperimentError::Io { path: path.to_path_buf(), source }
}

/// Maps unreadable JSON output of `program` (for `map_err`).
pub fn output(program: impl std::fmt::Display) -> impl FnOnce(serde_json::Error) -> ExperimentError {
    move |source| ExperimentError::Output { program: program.to_string(), source }
}
