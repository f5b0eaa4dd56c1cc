//! Loading a scenario file with `--set` overrides. Every error names the file,
//! the key and what was expected.

use std::path::{Path, PathBuf};

use super::Scenario;

/// A scenario that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("scenario {path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("scenario {path}: not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("scenario {path}: key `{key}`: {message}")]
    Key { path: PathBuf, key: String, message: String },
    #[error("--set {arg}: expected KEY=VALUE with a dotted key, e.g. concurrency.files=3")]
    Override { arg: String },
}

/// Reads and resolves a scenario file.
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read { path: path.to_path_buf(), source })?;
    load_str(&text, path, overrides)
}

/// Resolves scenario text (`path` is used in messages and for relative inputs).
pub fn load_str(text: &str, path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let p = || path.to_path_buf();
    let mut value: toml::Table = text.parse().map_err(|e: toml::de::Error| ScenarioError::Syntax { path: p(), message: e.to_string() })?;
    for arg in overrides {
        apply_override(&mut value, arg)?;
    }
    let de = toml::Value::Table(value);
    let mut scenario: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        ScenarioError::Key { path: p(), key: if key == "." { "(top level)".into() } else { key }, message: e.into_inner().to_string() }
    })?;
    scenario.validate().map_err(|(key, expected)| ScenarioError::Key { path: p(), key, message: format!("expected {expected}") })?;
    if scenario.name.is_empty() {
        scenario.name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    }
    // Relative input paths are relative to the scenario file.
    let base = path.parent().unwrap_or(Path::new("."));
    for f in scenario.input.files.iter_mut() {
        if !f.starts_with("asset:") && Path::new(f.as_str()).is_relative() {
            *f = base.join(&*f).to_string_lossy().into_owned();
        }
    }
    scenario.resolve_model_paths(base);
    Ok(scenario)
}

/// Applies `a.b.c=value`: the value is read as a TOML literal (`3`, `true`,
/// `"x"`, `[1, 2]`), or taken as a bare string.
fn apply_override(root: &mut toml::Table, arg: &str) -> Result<(), ScenarioError> {
    let (key, raw) = arg.split_once('=').ok_or_else(|| ScenarioError::Override { arg: arg.into() })?;
    let parts: Vec<&str> = key.trim().split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(ScenarioError::Override { arg: arg.into() });
    }
    let value = format!("v = {raw}").parse::<toml::Table>().ok().and_then(|mut t| t.remove("v")).unwrap_or_else(|| toml::Value::String(raw.to_string()));
    let mut table = root;
    for part in &parts[..parts.len() - 1] {
        let entry = table.entry(part.to_string()).or_insert_with(|| toml::Value::Table(Default::default()));
        table = entry.as_table_mut().ok_or_else(|| ScenarioError::Override { arg: arg.into() })?;
    }
    table.insert(parts[parts.len() - 1].to_string(), value);
    Ok(())
}
