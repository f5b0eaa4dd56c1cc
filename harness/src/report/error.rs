//! Why a report could not be rendered.

use std::path::PathBuf;

use crate::evidence::store::StoreError;

/// A report that could not be rendered or written. Each names the evidence
/// or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The evidence lacks a figure the report needs (a benchmark, a cell).
    #[error("{evidence}: {what}\n  fix: re-run the measurement that writes it, or pin evidence that has it")]
    Missing { evidence: String, what: String },
    #[error("chart {file}: {message}")]
    Chart { file: String, message: String },
    #[error("{path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    /// An input other than evidence (a patch's header) that a section reads.
    #[error("{what}: {source}")]
    Input { what: String, source: Box<dyn std::error::Error + Send + Sync> },
}

impl RenderError {
    /// `what` is missing from the evidence at `evidence` (a path relative
    /// to the store, as reports print it).
    pub fn missing(evidence: &str, what: impl Into<String>) -> Self {
        RenderError::Missing { evidence: evidence.to_string(), what: what.into() }
    }
}
