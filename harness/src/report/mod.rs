//! Rendering evidence to markdown. Reads only stored evidence, never runs
//! anything, and is deterministic: the same data renders the same bytes.
//! Only this module writes files under `reports/` (other than
//! `reports/data/`, which belongs to `evidence::store`).

pub mod bmf;
pub mod markdown;
pub mod pipeline_perf;

use std::path::PathBuf;

/// Where reports go (`$HARNESS_REPORTS_DIR` or `<root>/reports`).
pub fn reports_dir() -> PathBuf {
    match std::env::var_os("HARNESS_REPORTS_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => crate::paths::workspace_root().join("reports"),
    }
}

/// Writes `reports/<name>` and returns its path.
pub fn write(name: &str, text: &str) -> std::io::Result<PathBuf> {
    let dir = reports_dir();
    std::fs::create_dir_all(&dir)?;
    let p = dir.join(name);
    std::fs::write(&p, text)?;
    Ok(p)
}
