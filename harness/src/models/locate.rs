//! Finding an asset on disk: the user's own file first, then the cache.

use std::path::PathBuf;

use super::catalog::{self, Asset, Origin};
use crate::paths;

/// Why an asset cannot be used. Every message names the file and the fix.
#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("unknown asset id `{0}` (see `harness doctor` for the list)")]
    Unknown(String),
    #[error("{what} is missing: {path} does not exist.\n  fix: {fix}")]
    Missing { what: String, path: PathBuf, fix: String },
    #[error("{what} is empty: {path}.\n  fix: {fix}")]
    Empty { what: String, path: PathBuf, fix: String },
    #[error("{what} is corrupt: {path} has sha256 {actual}, expected {expected}.\n  fix: {fix}")]
    Checksum { what: String, path: PathBuf, expected: String, actual: String, fix: String },
    #[error("{what} at {path} is not usable: {reason}.\n  fix: {fix}")]
    Invalid { what: String, path: PathBuf, reason: String, fix: String },
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Where the file of `asset` is expected: `$OVERRIDE_ENV` if set, else the
/// cache (or the Debian path).
pub fn expected_path(asset: &Asset) -> PathBuf {
    if let Some(var) = asset.override_env {
        if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
    }
    match asset.origin {
        Origin::Debian { path, .. } => PathBuf::from(path),
        _ => paths::cache_dir().join(asset.cache_path),
    }
}

/// True when the path in use is the user's own file, not the catalog's.
pub fn is_user_override(asset: &Asset) -> bool {
    asset.override_env.and_then(std::env::var_os).is_some_and(|p| !p.is_empty())
}

/// The command that repairs a missing or corrupt asset.
pub fn fix_for(asset: &Asset) -> String {
    if is_user_override(asset) {
        let var = asset.override_env.unwrap_or_default();
        return format!("point {var} at an existing, valid file, or unset it to use the project's copy");
    }
    match (asset.origin, asset.group) {
        (Origin::Debian { package, .. }, _) => format!("apt-get install {package}  (or run scripts/setup.sh)"),
        (_, Some(group)) => format!("run `harness setup --with {group}` (it fetches and checks `{}`; delete the file first if it is corrupt)", asset.id),
        _ => format!("run scripts/setup.sh (it fetches and checks `{}`; delete the file first if it is corrupt)", asset.id),
    }
}

/// The path of asset `id`, checked to exist and be non-empty.
///
/// Cheap (no hashing): stages call this at start-up. `harness doctor` does the
/// full checksum.
pub fn require(id: &str) -> Result<PathBuf, AssetError> {
    let asset = catalog::asset(id).ok_or_else(|| AssetError::Unknown(id.to_string()))?;
    let path = expected_path(asset);
    let meta = std::fs::metadata(&path).map_err(|_| AssetError::Missing {
        what: format!("{} (`{}`)", asset.what, asset.id),
        path: path.clone(),
        fix: fix_for(asset),
    })?;
    if meta.len() == 0 {
        return Err(AssetError::Empty { what: format!("`{}`", asset.id), path, fix: fix_for(asset) });
    }
    Ok(path)
}

/// sha256 of a file, as lowercase hex.
pub fn sha256_file(path: &std::path::Path) -> Result<String, AssetError> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|source| AssetError::Io { path: path.to_path_buf(), source })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|source| AssetError::Io { path: path.to_path_buf(), source })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Checks an asset fully (exists, checksum where one is recorded and the file
/// is the catalog's own). Returns the path and the actual sha256.
pub fn verify(asset: &Asset) -> Result<(PathBuf, String), AssetError> {
    let path = require(asset.id)?;
    let actual = sha256_file(&path)?;
    if let Some(expected) = asset.sha256 {
        if !is_user_override(asset) && actual != expected {
            return Err(AssetError::Checksum { what: format!("`{}`", asset.id), path, expected: expected.to_string(), actual, fix: fix_for(asset) });
        }
    }
    Ok((path, actual))
}
