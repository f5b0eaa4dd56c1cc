//! Proof that a patched crate is the one compiled. Cargo only *warns* about
//! a `[patch.crates-io]` entry it did not use (wrong name or version), and
//! then builds the registry's source; the fork check must fail instead.

use std::path::{Path, PathBuf};

/// Why the compiled crate is not provably the patched one.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error(transparent)]
    Lockfile(#[from] crate::lockfile::LockfileError),
    #[error("{lock} lists {krate} {version} under [[patch.unused]]")]
    Unused { lock: PathBuf, krate: String, version: String },
    #[error("{lock}: no {krate} package at all")]
    Absent { lock: PathBuf, krate: String },
    #[error("{lock}: {krate} resolved to {registry}, not to the local fork")]
    Registry { lock: PathBuf, krate: String, registry: String },
    #[error("{lock}: {count} packages named {krate} (the fork and the registry's side by side)")]
    Several { lock: PathBuf, krate: String, count: usize },
    #[error(transparent)]
    Metadata(#[from] crate::process::ProcessError),
    #[error("{fork}: {source}")]
    Fork { fork: PathBuf, source: std::io::Error },
    #[error("cargo metadata: {krate} comes from {manifests:?}, not from the fork at {fork}")]
    Elsewhere { krate: String, manifests: Vec<String>, fork: PathBuf },
}

/// From the lock file: `krate` must resolve to a path package (no `source`
/// line) and must not be listed under `[[patch.unused]]`. Returns the
/// proof as a sentence for the report.
pub fn patched_source_used(lock: &Path, krate: &str) -> Result<String, ProofError> {
    let l = crate::lockfile::Lock::read(lock)?;
    let (lock, krate) = (lock.to_path_buf(), krate.to_string());
    if let Some(u) = l.unused_patches.iter().find(|u| u.name == krate) {
        return Err(ProofError::Unused { lock, krate, version: u.version.clone() });
    }
    let mine: Vec<_> = l.packages.iter().filter(|p| p.name == krate).cloned().collect();
    match mine.as_slice() {
        [] => Err(ProofError::Absent { lock, krate }),
        [p] => match &p.source {
            Some(src) => Err(ProofError::Registry { lock, krate, registry: src.clone() }),
            None => Ok(format!("{}: {krate} {} resolved to a path package (no registry source)", lock.display(), p.version)),
        },
        _ => Err(ProofError::Several { count: mine.len(), lock, krate }),
    }
}

/// From `cargo metadata` in `project`: the package `krate` must come from
/// a manifest under `fork`.
pub fn compiled_from(project: &Path, krate: &str, fork: &Path) -> Result<String, ProofError> {
    let meta = crate::process::cargo_metadata(project, &["--offline"])?;
    let fork = std::fs::canonicalize(fork).map_err(|source| ProofError::Fork { fork: fork.to_path_buf(), source })?;
    let paths: Vec<String> = meta.packages.iter().filter(|p| p.name.as_str() == krate).map(|p| p.manifest_path.to_string()).collect();
    match paths.as_slice() {
        [one] if Path::new(one).starts_with(&fork) => Ok(format!("cargo metadata: {krate} manifest {one}")),
        _ => Err(ProofError::Elsewhere { krate: krate.to_string(), manifests: paths, fork }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn a_path_package_passes_and_a_registry_or_unused_patch_fails() {
        let ok = lock("version = 4\n[[package]]\nname = \"whisper-rs\"\nversion = \"0.16.0\"\n");
        assert!(patched_source_used(ok.path(), "whisper-rs").is_ok());
        let reg =
            lock("version = 4\n[[package]]\nname = \"whisper-rs\"\nversion = \"0.16.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n");
        assert!(
            matches!(patched_source_used(reg.path(), "whisper-rs").unwrap_err(), ProofError::Registry { registry, .. } if registry.starts_with("registry+"))
        );
        let unused = lock("version = 4\n[[package]]\nname = \"whisper-rs\"\nversion = \"0.16.0\"\nsource = \"registry+x\"\n\n[[patch.unused]]\nname = \"whisper-rs\"\nversion = \"0.15.9\"\n");
        assert!(patched_source_used(unused.path(), "whisper-rs").unwrap_err().to_string().contains("patch.unused"));
    }
}
