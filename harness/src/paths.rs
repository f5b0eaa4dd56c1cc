//! Where the project keeps things on disk.
//!
//! Everything downloaded or generated (wheels, models, media, the ONNX
//! Runtime library) lives under one git-ignored cache folder, `.cache/` at the
//! workspace root unless `HARNESS_CACHE` names another one.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the cache folder.
pub const CACHE_ENV: &str = "HARNESS_CACHE";

/// Environment variable naming the workspace root (what `--root` sets).
pub const ROOT_ENV: &str = "HARNESS_ROOT";

/// The workspace root: the folder holding the top-level `Cargo.toml` of this
/// project (a `[workspace]` with a `harness/` member).
///
/// Found at run time, never from where the binary was compiled (a binary
/// built in one checkout and run in another must write into the second):
/// `$HARNESS_ROOT` (set by `--root`), else the first workspace found from
/// the current folder upward, else from the executable's folder upward
/// (`target/release/harness`), else the current folder.
pub fn workspace_root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(find_root).clone()
}

fn find_root() -> PathBuf {
    if let Some(dir) = std::env::var_os(ROOT_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let exe_dir = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf));
    [Some(cwd.clone()), exe_dir].into_iter().flatten().find_map(|start| workspace_above(&start)).unwrap_or(cwd)
}

/// The nearest folder at or above `start` that is this project's workspace.
pub fn workspace_above(start: &Path) -> Option<PathBuf> {
    start.ancestors().find(|d| is_workspace(d)).map(Path::to_path_buf)
}

fn is_workspace(dir: &Path) -> bool {
    dir.join("harness/Cargo.toml").is_file()
        && std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|t| t.parse::<toml::Table>().is_ok_and(|m| m.contains_key("workspace")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_found_from_any_folder_inside_it_and_not_outside() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert_eq!(workspace_above(&root.join("harness/src/pipeline")).as_deref(), Some(root));
        assert_eq!(workspace_above(root).as_deref(), Some(root));
        let elsewhere = tempfile::tempdir().unwrap();
        assert_eq!(workspace_above(elsewhere.path()), None);
        // A copy of the workspace is its own workspace.
        let copy = elsewhere.path().join("checkout");
        std::fs::create_dir_all(copy.join("harness")).unwrap();
        std::fs::copy(root.join("Cargo.toml"), copy.join("Cargo.toml")).unwrap();
        std::fs::copy(root.join("harness/Cargo.toml"), copy.join("harness/Cargo.toml")).unwrap();
        assert_eq!(workspace_above(&copy.join("harness")).as_deref(), Some(copy.as_path()));
    }
}
