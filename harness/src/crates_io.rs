//! The crates.io registry, as cargo sees it: the newest published version
//! of a crate (`cargo info`, run outside any workspace so the answer is the
//! registry's, not a lock file's).

/// Why the newest version is not known.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Process(#[from] crate::process::ProcessError),
    #[error("`cargo info {krate}` failed: {tail}\n  fix: is crates.io (or a mirror cargo is set up for) reachable?")]
    Failed { krate: String, tail: String },
    #[error("`cargo info {krate}` printed no `version:` line")]
    NoVersion { krate: String },
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
}
