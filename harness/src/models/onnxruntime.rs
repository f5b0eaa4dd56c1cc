//! Finding and loading the ONNX Runtime shared library (ort's
//! `load-dynamic`), so no user ever exports `ORT_DYLIB_PATH` by hand.
//!
//! Search order: `$ORT_DYLIB_PATH` if set, then the project cache (where
//! `harness setup` unpacks the PyPI `onnxruntime` wheel's library).

use std::path::PathBuf;
use std::sync::OnceLock;

use super::catalog::{self, id};
use super::locate;

/// Why ONNX Runtime could not be initialised.
#[derive(Debug, thiserror::Error)]
pub enum OrtSetupError {
    #[error("ONNX Runtime library not found. Looked at:\n{looked}\n  fix: run scripts/setup.sh (unpacks libonnxruntime.so.{version} from the PyPI `onnxruntime` wheel into the cache), or set ORT_DYLIB_PATH to a libonnxruntime.so of version {version}")]
    NotFound { looked: String, version: &'static str },
    #[error("ONNX Runtime library {path} failed to load: {reason}\n  fix: delete it and re-run scripts/setup.sh, or point ORT_DYLIB_PATH at a working libonnxruntime.so.{version}")]
    Load { path: PathBuf, reason: String, version: &'static str },
    #[error(transparent)]
    Asset(#[from] locate::AssetError),
}

/// The candidate library paths, in search order, with where each came from.
pub fn candidates() -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        out.push((PathBuf::from(p), "$ORT_DYLIB_PATH"));
    }
    let asset = catalog::asset(id::ORT_LIB).expect("catalog has the ONNX Runtime library");
    out.push((crate::paths::cache_dir().join(asset.cache_path), "project cache"));
    out
}

/// The library that would be loaded.
pub fn find_library() -> Result<PathBuf, OrtSetupError> {
    let cands = candidates();
    for (p, _) in &cands {
        if p.is_file() {
            return Ok(p.clone());
        }
    }
    let looked = cands.iter().map(|(p, from)| format!("  - {} ({from}): not found", p.display())).collect::<Vec<_>>().join("\n");
    Err(OrtSetupError::NotFound { looked, version: catalog::ONNXRUNTIME.version })
}

static ENV: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();
static LOADED_FROM: OnceLock<PathBuf> = OnceLock::new();

/// The process-wide ONNX Runtime environment, loading the library on first
/// use. Later calls return the same environment (ort allows one library per
/// process).
pub fn environment() -> Result<&'static ort::environment::Environment, OrtSetupError> {
    let path = find_library()?;
    let res = ENV.get_or_init(|| {
        let _ = LOADED_FROM.set(path.clone());
        let builder = ort::init_from(&path).map_err(|e| e.to_string())?;
        builder.with_name("harness").with_telemetry(false).build().map_err(|e| e.to_string())
    });
    match res {
        Ok(env) => Ok(env),
        Err(reason) => {
            Err(OrtSetupError::Load { path: LOADED_FROM.get().cloned().unwrap_or(path), reason: reason.clone(), version: catalog::ONNXRUNTIME.version })
        }
    }
}

/// Checks the library file against the catalog's checksum (for `doctor`).
pub fn verify_library() -> Result<PathBuf, OrtSetupError> {
    let asset = catalog::asset(id::ORT_LIB).expect("catalog entry");
    let path = find_library()?;
    if locate::is_user_override(asset) {
        return Ok(path);
    }
    Ok(locate::verify(asset).map(|(p, _)| p)?)
}
