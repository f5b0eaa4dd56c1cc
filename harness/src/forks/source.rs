//! The exact source the registry serves for a crate version, fetched by
//! cargo itself (a generated project depending on `=VERSION`, then `cargo
//! metadata`), and copied into an isolated folder for patching.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::ForkError;

/// Fetches `krate` `version` through cargo and returns the folder cargo
/// unpacked it into (under `~/.cargo/registry/src`). Never modify it.
pub fn registry_source(krate: &str, version: &str, work: &Path) -> Result<PathBuf, ForkError> {
    let dir = work.join(format!("fetch-{krate}-{version}"));
    let io = |e: std::io::Error| ForkError::Io(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir.join("src")).map_err(io)?;
    std::fs::write(dir.join("src/lib.rs"), "").map_err(io)?;
    crate::manifest::Manifest::package(&format!("fetch-{}", krate.replace('_', "-")), "forks::source, only to make cargo fetch the crate")
        .dependency(krate, crate::manifest::exact(version, &[], false))
        .write(&dir)
        .map_err(io)?;
    let meta = crate::process::cargo_metadata(&dir, &[]).map_err(|e| ForkError::UnknownCrate {
        krate: krate.into(),
        version: version.into(),
        cargo: e.to_string().lines().filter(|l| !l.trim().is_empty()).take(8).collect::<Vec<_>>().join("\n"),
    })?;
    let manifest = meta
        .packages
        .iter()
        .find(|p| p.name.as_str() == krate && p.version.to_string() == version && p.source.as_ref().is_some_and(|s| s.repr.starts_with("registry+")))
        .map(|p| p.manifest_path.clone().into_std_path_buf())
        .ok_or_else(|| ForkError::UnknownCrate {
            krate: krate.into(),
            version: version.into(),
            cargo: "cargo metadata did not list it from the registry".into(),
        })?;
    Ok(manifest.parent().expect("a manifest has a folder").to_path_buf())
}

/// Copies the folder `src` to `dest` (created), keeping modes and links.
pub fn copy_tree(src: &Path, dest: &Path) -> Result<(), ForkError> {
    std::fs::create_dir_all(dest).map_err(|e| ForkError::Io(format!("{}: {e}", dest.display())))?;
    let o = crate::process::output(Command::new("cp").arg("-a").arg(format!("{}/.", src.display())).arg(dest), crate::process::limit::TOOL)
        .map_err(|e| ForkError::Io(format!("cp: {e}")))?;
    if !o.status.success() {
        return Err(ForkError::Io(format!("copying {} to {}: {}", src.display(), dest.display(), String::from_utf8_lossy(&o.stderr))));
    }
    Ok(())
}

/// Copies `src` to a fresh `dest` and makes it its own workspace (an empty
/// `[workspace]` table), so cargo does not attach it to this project's.
/// The same edit is made to the unpatched and the patched copy.
pub fn copy_as_workspace(src: &Path, dest: &Path) -> Result<(), ForkError> {
    let _ = std::fs::remove_dir_all(dest);
    copy_tree(src, dest)?;
    let manifest = dest.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).map_err(|e| ForkError::Io(format!("{}: {e}", manifest.display())))?;
    if !text.lines().any(|l| l.trim() == "[workspace]") {
        text.push_str("\n# Added by harness fork check (before and after alike): build this copy on its own.\n[workspace]\n");
        std::fs::write(&manifest, text).map_err(|e| ForkError::Io(format!("{}: {e}", manifest.display())))?;
    }
    Ok(())
}
