//! Building ort sessions the way every stage does.

use std::path::{Path, PathBuf};

use ort::session::Session;

use crate::models::onnxruntime::{self, OrtSetupError};

/// Errors building or running an ONNX session; they name the model file.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error(transparent)]
    Setup(#[from] OrtSetupError),
    #[error(transparent)]
    Asset(#[from] crate::models::locate::AssetError),
    #[error("ONNX Runtime could not load model {path}: {message}\n  fix: re-run scripts/setup.sh, or point the stage at a valid .onnx file")]
    Model { path: PathBuf, message: String },
    #[error("model {model}: {message}")]
    Run { model: String, message: String },
}

/// Thread settings of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionThreads {
    /// Intra-op threads (ONNX Runtime's pool for one operator).
    pub intra: usize,
    /// Inter-op threads (1 = sequential execution).
    pub inter: usize,
}

impl Default for SessionThreads {
    fn default() -> Self {
        SessionThreads { intra: 1, inter: 1 }
    }
}

/// Loads `path` into a CPU session with the given threads. Intra-op spinning
/// is off: spinning pools are what turns oversubscription into collapse, and
/// the scenarios set thread counts explicitly.
pub fn session(path: &Path, threads: SessionThreads) -> Result<Session, OnnxError> {
    session_sharing(path, threads, None)
}

/// As [`session`], and when `weights` is given, the sessions built with the
/// same container share their prepacked weight buffers (ort's answer to
/// "one session per thread costs memory").
pub fn session_sharing(path: &Path, threads: SessionThreads, weights: Option<&ort::session::builder::PrepackedWeights>) -> Result<Session, OnnxError> {
    let env = onnxruntime::environment()?;
    let model_err = |e: &dyn std::fmt::Display| OnnxError::Model { path: path.to_path_buf(), message: e.to_string() };
    let mut builder = Session::builder(env).map_err(|e| model_err(&e))?;
    if let Some(w) = weights {
        builder = builder.with_prepacked_weights(w).map_err(|e| model_err(&e))?;
    }
    builder = builder.with_intra_threads(threads.intra).map_err(|e| model_err(&e))?;
    builder = builder.with_inter_threads(threads.inter).map_err(|e| model_err(&e))?;
    builder = builder.with_intra_op_spinning(false).map_err(|e| model_err(&e))?;
    builder.commit_from_file(path).map_err(|e| model_err(&e))
}
