//! Building ort sessions the way every stage does.

use std::path::{Path, PathBuf};

use ort::session::Session;
pub use ort::value::TensorElementType;

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
    #[error(transparent)]
    Layout(Box<LayoutMismatch>),
}

/// A model file whose tensors are not the ones a stage needs.
#[derive(Debug, thiserror::Error)]
#[error("{}: not a {model} model: its {what} is {found}, expected {expected}\n  fix: {fix}", path.display())]
pub struct LayoutMismatch {
    pub path: PathBuf,
    pub model: &'static str,
    pub what: String,
    pub expected: String,
    pub found: String,
    pub fix: &'static str,
}

/// A tensor a stage feeds or reads: its name (`None`: the first), its
/// element type and its dimensions (`-1`: any size).
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    pub name: Option<&'static str>,
    pub ty: TensorElementType,
    pub dims: &'static [i64],
}

/// What a stage expects of a model file, checked when it is loaded so a
/// model with another layout is an error naming the file, not a panic on
/// its first output.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub model: &'static str,
    pub inputs: &'static [Expect],
    pub outputs: &'static [Expect],
    /// How to get a model with this layout.
    pub fix: &'static str,
}

fn show_dims(d: &[i64]) -> String {
    format!("[{}]", d.iter().map(|x| if *x < 0 { "?".to_string() } else { x.to_string() }).collect::<Vec<_>>().join(", "))
}

/// Whether a model's dimensions fit the expected ones (a dynamic dimension
/// in the model fits any size).
pub fn dims_fit(found: &[i64], expected: &[i64]) -> bool {
    found.len() == expected.len() && found.iter().zip(expected).all(|(f, e)| *e < 0 || *f < 0 || f == e)
}

/// Checks the tensors a stage uses: present by name, of the expected
/// element type, rank and sizes.
pub fn check_layout(path: &Path, session: &Session, layout: &Layout) -> Result<(), OnnxError> {
    let err = |what: String, expected: String, found: String| {
        OnnxError::Layout(Box::new(LayoutMismatch { path: path.to_path_buf(), model: layout.model, what, expected, found, fix: layout.fix }))
    };
    for (kind, outlets, wanted) in [("input", session.inputs(), layout.inputs), ("output", session.outputs(), layout.outputs)] {
        let names = || outlets.iter().map(|o| format!("`{}`", o.name())).collect::<Vec<_>>().join(", ");
        for e in wanted {
            let o = match e.name {
                Some(n) => outlets.iter().find(|o| o.name() == n),
                None => outlets.first(),
            };
            let label = e.name.map_or(format!("first {kind}"), |n| format!("{kind} `{n}`"));
            let Some(o) = o else {
                let found = if outlets.is_empty() { format!("no {kind}s") } else { format!("{kind}s {}", names()) };
                return Err(err(format!("{kind} list"), label, found));
            };
            let (Some(shape), Some(ty)) = (o.dtype().tensor_shape(), o.dtype().tensor_type()) else {
                return Err(err(label, format!("a tensor {}", show_dims(e.dims)), format!("{:?}", o.dtype())));
            };
            if ty != e.ty {
                return Err(err(format!("{label} element type"), format!("{:?}", e.ty), format!("{ty:?}")));
            }
            if !dims_fit(shape, e.dims) {
                return Err(err(label, show_dims(e.dims), show_dims(shape)));
            }
        }
    }
    Ok(())
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
