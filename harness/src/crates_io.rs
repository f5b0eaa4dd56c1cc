//! The crates.io registry, as cargo sees it: the newest published version
//! of a crate (`cargo info`, run outside any workspace so the answer is the
//! registry's, not a lock file's), and every published version (the
//! sparse index cargo itself reads, one JSON line per version).

/// Why the newest version is not known.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Process(#[from] crate::process::ProcessError),
    #[error("`cargo info {krate}` failed: {tail}\n  fix: is crates.io (or a mirror cargo is set up for) reachable?")]
    Failed { krate: String, tail: String },
    #[error("`cargo info {krate}` printed no `version:` line")]
    NoVersion { krate: String },
    #[error("{url}: {tail}\n  fix: is index.crates.io reachable (and curl installed)?")]
    Index { url: String, tail: String },
    #[error("{url}: no published version of `{krate}` (does the crate exist?)")]
    NoVersions { url: String, krate: String },
}

/// The sparse index's path of a crate (cargo's layout: `1/a`, `2/ab`,
/// `3/a/abc`, `ab/cd/abcd...`).
pub fn index_path(krate: &str) -> String {
    let k = krate.to_lowercase();
    match k.len() {
        1 => format!("1/{k}"),
        2 => format!("2/{k}"),
        3 => format!("3/{}/{k}", &k[..1]),
        _ => format!("{}/{}/{k}", &k[..2], &k[2..4]),
    }
}

/// The versions in a sparse-index file, in publication order, yanked ones
/// left out.
pub fn parse_index(text: &str) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Line {
        vers: String,
        #[serde(default)]
        yanked: bool,
    }
    text.lines().filter_map(|l| serde_json::from_str::<Line>(l).ok()).filter(|l| !l.yanked).map(|l| l.vers).collect()
}

/// Every published (not yanked) version of `krate`, from index.crates.io.
pub fn published(krate: &str) -> Result<Vec<String>, RegistryError> {
    let url = format!("https://index.crates.io/{}", index_path(krate));
    let mut c = std::process::Command::new("curl");
    c.args(["--silent", "--show-error", "--fail", "--location", "--max-time", "60", &url]);
    let o = crate::process::output(&mut c, crate::process::limit::TOOL).map_err(|e| RegistryError::Index { url: url.clone(), tail: e.to_string() })?;
    if !o.status.success() {
        return Err(RegistryError::Index { url, tail: o.tail(2) });
    }
    let v = parse_index(&o.stdout_text());
    if v.is_empty() {
        return Err(RegistryError::NoVersions { url, krate: krate.into() });
    }
    Ok(v)
}

/// The newest published version in `cargo info` output: its `version:`
/// line, or the `(latest X)` that follows a version cargo picked from a
/// lock file.
pub fn parse_cargo_info(text: &str) -> Option<String> {
    let line = text.lines().find_map(|l| l.trim().strip_prefix("version:"))?;
    let latest = line.split_once("(latest ").and_then(|(_, rest)| rest.split(')').next());
    latest.or_else(|| line.split_whitespace().next()).map(str::trim).filter(|v| !v.is_empty()).map(String::from)
}

/// The newest published version of `krate`.
pub fn newest(krate: &str) -> Result<String, RegistryError> {
    let mut c = crate::process::cargo();
    c.args(["info", krate]).current_dir(std::env::temp_dir());
    let o = crate::process::output(&mut c, crate::process::limit::TOOL)?;
    if !o.status.success() {
        return Err(RegistryError::Failed { krate: krate.into(), tail: o.tail(3) });
    }
    parse_cargo_info(&o.stdout_text()).ok_or_else(|| RegistryError::NoVersion { krate: krate.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_newest_version_from_cargo_info() {
        let text = "whisper-rs\nRust bindings for whisper.cpp\nversion: 0.16.0\nlicense: Unlicense\n";
        assert_eq!(parse_cargo_info(text).as_deref(), Some("0.16.0"));
        assert_eq!(parse_cargo_info("ort #ml\nversion: 2.0.0-rc.15 (latest 2.0.0-rc.15)\n").as_deref(), Some("2.0.0-rc.15"));
        assert_eq!(parse_cargo_info("whisper-rs\nversion: 0.15.1 (latest 0.16.0)\nrust-version: unknown\n").as_deref(), Some("0.16.0"));
        assert_eq!(parse_cargo_info("error: could not find `nope` in registry\n"), None);
    }

    #[test]
    fn index_paths_follow_cargos_layout() {
        assert_eq!(index_path("ort"), "3/o/ort");
        assert_eq!(index_path("tokenizers"), "to/ke/tokenizers");
        assert_eq!(index_path("cc"), "2/cc");
        assert_eq!(index_path("Image"), "im/ag/image");
    }

    #[test]
    fn the_index_lists_versions_without_yanked_ones() {
        let text = "{\"name\":\"ort\",\"vers\":\"2.0.0-rc.9\",\"yanked\":false}\n{\"name\":\"ort\",\"vers\":\"2.0.0-rc.11\",\"yanked\":true}\nnot json\n{\"name\":\"ort\",\"vers\":\"2.0.0-rc.10\",\"yanked\":false}\n";
        assert_eq!(parse_index(text), ["2.0.0-rc.9", "2.0.0-rc.10"]);
    }
}
