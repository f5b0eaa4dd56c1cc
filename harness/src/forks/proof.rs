//! Proof that a patched crate is the one compiled. Cargo only *warns* about
//! a `[patch.crates-io]` entry it did not use (wrong name or version), and
//! then builds the registry's source; the fork check must fail instead.

use std::path::Path;

/// From the lock file: `krate` must resolve to a path package (no `source`
/// line) and must not be listed under `[[patch.unused]]`.
pub fn patched_source_used(lock: &Path, krate: &str) -> Result<String, String> {
    let l = crate::lockfile::Lock::read(lock)?;
    if let Some(u) = l.unused_patches.iter().find(|u| u.name == krate) {
        return Err(format!("{} lists {krate} {} under [[patch.unused]]", lock.display(), u.version));
    }
    let mine: Vec<_> = l.named(krate).collect();
    match mine.as_slice() {
        [] => Err(format!("{}: no {krate} package at all", lock.display())),
        [p] => match &p.source {
            Some(src) => Err(format!("{}: {krate} resolved to {src}, not to the local fork", lock.display())),
            None => Ok(format!("{}: {krate} {} resolved to a path package (no registry source)", lock.display(), p.version)),
        },
        _ => Err(format!("{}: {} packages named {krate} (the fork and the registry's side by side)", lock.display(), mine.len())),
    }
}

/// From `cargo metadata` in `project`: the package `krate` must come from
/// a manifest under `fork`.
pub fn compiled_from(project: &Path, krate: &str, fork: &Path) -> Result<String, String> {
    let meta = crate::process::cargo_metadata(project, &["--offline"]).map_err(|e| e.to_string())?;
    let fork = std::fs::canonicalize(fork).map_err(|e| format!("{}: {e}", fork.display()))?;
    let paths: Vec<String> = meta.packages.iter().filter(|p| p.name.as_str() == krate).map(|p| p.manifest_path.to_string()).collect();
    match paths.as_slice() {
        [one] if Path::new(one).starts_with(&fork) => Ok(format!("cargo metadata: {krate} manifest {one}")),
        [one] => Err(format!("cargo metadata: {krate} comes from {one}, not from the fork at {}", fork.display())),
        other => Err(format!("cargo metadata: {} packages named {krate}: {other:?}", other.len())),
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
        assert!(patched_source_used(reg.path(), "whisper-rs").unwrap_err().contains("registry+"));
        let unused = lock("version = 4\n[[package]]\nname = \"whisper-rs\"\nversion = \"0.16.0\"\nsource = \"registry+x\"\n\n[[patch.unused]]\nname = \"whisper-rs\"\nversion = \"0.15.9\"\n");
        assert!(patched_source_used(unused.path(), "whisper-rs").unwrap_err().contains("patch.unused"));
    }
}
