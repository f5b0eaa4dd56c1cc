//! Where the project keeps things on disk.
//!
//! Everything downloaded or generated (wheels, models, media, the ONNX
//! Runtime library) lives under one git-ignored cache folder, `.cache/` at the
//! workspace root unless `HARNESS_CACHE` names another one.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the cache folder.
pub const CACHE_ENV: &str = "HARNESS_CACHE";

/// The workspace root: the folder holding the top-level `Cargo.toml`.
///
/// Found at compile time from this crate's manifest folder, so the binary and
/// the tests agree wherever they are started from.
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// The cache folder (`$HARNESS_CACHE`, else `<root>/.cache`).
pub fn cache_dir() -> PathBuf {
    match std::env::var_os(CACHE_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join(".cache"),
    }
}

/// Downloaded registry packages (wheels), kept so set-up can re-verify them.
pub fn downloads_dir() -> PathBuf {
    cache_dir().join("downloads")
}
