//! Rendering evidence to markdown. Reads only stored evidence, never runs
//! anything, and is deterministic: the same data renders the same bytes.
//! Only this module writes files under `reports/` (other than
//! `reports/data/`, which belongs to `evidence::store`).

pub mod bmf;
pub mod chart;
pub mod error;
pub mod fuzzing;
pub mod goal;
pub mod markdown;
pub mod pipeline_perf;
pub mod thread_budget;
pub mod transcription;

use std::path::PathBuf;

pub use error::RenderError;

/// Where reports go (`$HARNESS_REPORTS_DIR` or `<root>/reports`).
pub fn reports_dir() -> PathBuf {
    match std::env::var_os("HARNESS_REPORTS_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => crate::paths::workspace_root().join("reports"),
    }
}

/// A rendered report: its markdown and the charts it links to.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub markdown: String,
    pub charts: Vec<chart::Chart>,
}

impl Page {
    /// A page with its charts.
    pub fn new(markdown: String, charts: Vec<chart::Chart>) -> Page {
        Page { markdown, charts }
    }
}

impl From<String> for Page {
    fn from(markdown: String) -> Page {
        Page { markdown, charts: vec![] }
    }
}

/// Writes `reports/<name>` and its charts under `reports/charts/`; returns
/// the markdown's path.
pub fn write(name: &str, page: &Page) -> std::io::Result<PathBuf> {
    write_in(&reports_dir(), name, page)
}

/// As `write`, into `dir` (a scratch folder: `harness check`'s reports).
pub fn write_in(dir: &std::path::Path, name: &str, page: &Page) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    if !page.charts.is_empty() {
        std::fs::create_dir_all(dir.join("charts"))?;
    }
    for c in &page.charts {
        std::fs::write(dir.join("charts").join(&c.file), &c.svg)?;
    }
    let p = dir.join(name);
    std::fs::write(&p, &page.markdown)?;
    Ok(p)
}
