//! The evidence store: one JSON file per experiment run, never overwritten.
//!
//! Runs write to a scratch store in the cache (`<cache>/evidence/`, or
//! `$HARNESS_SCRATCH_DIR`). A run becomes a report's evidence only when it
//! is promoted (`--promote`, or `harness promote FILE`): copied into the
//! committed store, `reports/data/<experiment>/` (or
//! `$HARNESS_EVIDENCE_DIR`), and pinned in `reports/data/index.toml`.
//! Reports render only from pinned files, never from the newest one, so a
//! quick run cannot replace a full one, and a report can be rebuilt byte for
//! byte anywhere the data is.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::environment::Environment;
use crate::paths;

/// Schema id of evidence files.
pub const SCHEMA: &str = "harness.evidence/1";

/// A type stored as an evidence file's `data`, with the version of its
/// layout. Bump `VERSION` when a field changes meaning or a new field has
/// no default; files keep the version they were written with, and
/// `read` refuses one of another version instead of misreading it.
pub trait DataSchema {
    const VERSION: u32;
}

fn first_version() -> u32 {
    1
}

/// One experiment run's stored data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evidence<T> {
    pub schema: String,
    /// The version of `data`'s layout (`DataSchema::VERSION` when written;
    /// files from before versions were recorded are version 1).
    #[serde(default = "first_version")]
    pub data_version: u32,
    pub experiment: String,
    pub started_at: String,
    pub finished_at: String,
    pub environment: Environment,
    /// The knobs the run used (repeats, quick mode, ...).
    pub parameters: serde_json::Value,
    /// Synthetic inputs, as labels that reach every report.
    pub synthetic: Vec<String>,
    pub data: T,
}

impl<T: DataSchema> Evidence<T> {
    /// Evidence of `experiment` begun at `started_at`, finished now, with this
    /// machine's environment fingerprint.
    pub fn new(experiment: &str, started_at: String, parameters: serde_json::Value, synthetic: Vec<String>, data: T) -> Self {
        Evidence {
            schema: SCHEMA.into(),
            data_version: T::VERSION,
            experiment: experiment.into(),
            started_at,
            finished_at: crate::evidence::run::now_utc(),
            environment: Environment::capture(),
            parameters,
            synthetic,
            data,
        }
    }
}

/// The committed store (`$HARNESS_EVIDENCE_DIR`, else `<root>/reports/data`).
pub fn root() -> PathBuf {
    match std::env::var_os("HARNESS_EVIDENCE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => paths::workspace_root().join("reports").join("data"),
    }
}

/// The scratch store runs write to (`$HARNESS_SCRATCH_DIR`, else
/// `<cache>/evidence`).
pub fn scratch_root() -> PathBuf {
    match std::env::var_os("HARNESS_SCRATCH_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => paths::cache_dir().join("evidence"),
    }
}

/// The index file naming the pinned evidence of every report.
pub const INDEX_FILE: &str = "index.toml";

const INDEX_HEADER: &str = "# Which evidence each report renders from, by experiment: paths relative to this folder,\n\
# the last one of a list is the one a single-machine report uses. Written by `harness promote`\n\
# (or a run's --promote); a new run stays in the scratch store until it is promoted.\n\n";

/// The pins: experiment -> evidence files (relative to the store).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Index {
    #[serde(default)]
    pub pins: std::collections::BTreeMap<String, Vec<String>>,
}

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a valid evidence index ({message}); fix or restore it from git")]
    Index { path: PathBuf, message: String },
    #[error("{path}: not an evidence file ({message}); promote a file written by a harness run")]
    NotEvidence { path: PathBuf, message: String },
    #[error("no pinned `{experiment}` evidence in {index}: run `{how} --promote`, or `harness promote FILE` with a run's evidence file")]
    NotPinned { experiment: String, index: PathBuf, how: String },
    #[error("{path}: not evidence of this schema: {source}\n  fix: restore the file from git, or re-run its experiment")]
    Schema { path: PathBuf, source: serde_json::Error },
    #[error("{path}: its data is layout version {found}, this harness reads version {expected}\n  fix: re-run its experiment with this harness, or read it with the harness version that wrote it")]
    Version { path: PathBuf, found: u64, expected: u32 },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// Reads the index of the committed store (empty when there is none).
pub fn load_index() -> Result<Index, StoreError> {
    load_index_in(&root())
}

fn load_index_in(store: &Path) -> Result<Index, StoreError> {
    let path = store.join(INDEX_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| StoreError::Index { path, message: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
        Err(e) => Err(StoreError::Io { path, source: e }),
    }
}

fn save_index_in(store: &Path, index: &Index) -> Result<(), StoreError> {
    let path = store.join(INDEX_FILE);
    let body = toml::to_string(index).map_err(|e| StoreError::Index { path: path.clone(), message: e.to_string() })?;
    // Written beside and renamed over: an interrupted write never leaves a half index.
    let part = store.join(format!("{INDEX_FILE}.part"));
    std::fs::write(&part, format!("{INDEX_HEADER}{body}")).map_err(io(&part))?;
    std::fs::rename(&part, &path).map_err(io(&path))
}

/// The pinned file of `experiment` measured on `here`'s machine (same CPU,
/// vector unit, cores and profile), else on its hardware (CPU model and
/// vector unit), else the last pinned: what a check on this machine should
/// compare its fresh evidence with.
pub fn pinned_for(experiment: &str, here: &Environment) -> Option<PathBuf> {
    pinned_for_in(&root(), experiment, here)
}

fn pinned_for_in(store: &Path, experiment: &str, here: &Environment) -> Option<PathBuf> {
    let all = pinned_in(store, experiment);
    let env = |p: &PathBuf| environment_of(p).ok();
    let machine = all.iter().rev().find(|p| env(p).is_some_and(|e| e.same_machine(here)));
    let hardware = all.iter().rev().find(|p| env(p).is_some_and(|e| e.cpu_model == here.cpu_model && e.simd == here.simd));
    machine.or(hardware).or(all.last()).cloned()
}

/// Every pinned evidence file of `experiment`, in index order.
pub fn pinned_all(experiment: &str) -> Vec<PathBuf> {
    pinned_in(&root(), experiment)
}

fn pinned_in(store: &Path, experiment: &str) -> Vec<PathBuf> {
    load_index_in(store).ok().and_then(|i| i.pins.get(experiment).cloned()).unwrap_or_default().into_iter().map(|rel| store.join(rel)).collect()
}

/// The pinned evidence file of `experiment` a single report renders from.
pub fn pinned(experiment: &str) -> Option<PathBuf> {
    pinned_all(experiment).pop()
}

/// The error for `experiment` having no pinned evidence; `how` is the
/// command that measures it.
pub fn not_pinned(experiment: &str, how: &str) -> StoreError {
    StoreError::NotPinned { experiment: experiment.to_string(), index: root().join(INDEX_FILE), how: how.to_string() }
}

/// Writes a new evidence file for `experiment` in the scratch store; never
/// replaces one.
pub fn write_new<T: Serialize>(experiment: &str, evidence: &Evidence<T>) -> std::io::Result<PathBuf> {
    let json = serde_json::to_string_pretty(evidence).map_err(std::io::Error::other)?;
    write_unique(&scratch_root().join(experiment), &evidence.started_at.replace([':', '-'], ""), json.as_bytes())
}

fn write_unique(dir: &Path, stamp: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut path = dir.join(format!("{stamp}.json"));
    let mut n = 1;
    loop {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                std::io::Write::write_all(&mut f, bytes)?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                path = dir.join(format!("{stamp}-{n}.json"));
                n += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Promotes an evidence file: copies it into the committed store (unless it
/// is already there) and pins it as its experiment's evidence, replacing the
/// previous pin. Returns the committed path.
pub fn promote(file: &Path) -> Result<PathBuf, StoreError> {
    promote_into(&root(), file)
}

/// Promotes an evidence file beside the pins of other machines: a pin
/// measured on the same machine (`Environment::same_machine`) is replaced,
/// pins from other machines stay, and the new file is pinned last (the one
/// a single-machine report renders from).
pub fn promote_beside(file: &Path) -> Result<PathBuf, StoreError> {
    promote_beside_into(&root(), file)
}

fn promote_beside_into(store: &Path, file: &Path) -> Result<PathBuf, StoreError> {
    // Read everything before writing, so a bad file leaves the pins as they were.
    let new_env = environment_of(file)?;
    let experiment = experiment_of(file)?;
    let same_file = |p: &Path| p.canonicalize().ok().is_some_and(|p| file.canonicalize().ok() == Some(p));
    let mut kept = Vec::new();
    for rel in load_index_in(store)?.pins.get(&experiment).cloned().unwrap_or_default() {
        let path = store.join(&rel);
        if !same_file(&path) && !environment_of(&path)?.same_machine(&new_env) {
            kept.push(rel);
        }
    }
    let (rel, committed) = copy_into(store, file)?;
    kept.push(rel);
    // One write of the index: the pins are never half-updated.
    let mut index = load_index_in(store)?;
    index.pins.insert(experiment, kept);
    save_index_in(store, &index)?;
    Ok(committed)
}

/// The experiment an evidence file belongs to (its folder in the store).
fn experiment_of(file: &Path) -> Result<String, StoreError> {
    let text = std::fs::read_to_string(file).map_err(io(file))?;
    let head: serde_json::Value = serde_json::from_str(&text).map_err(|e| StoreError::NotEvidence { path: file.to_path_buf(), message: e.to_string() })?;
    match (head["schema"].as_str(), head["experiment"].as_str()) {
        (Some(SCHEMA), Some(e)) if !e.is_empty() && !e.contains(['/', '\\', '.']) => Ok(e.to_string()),
        _ => Err(StoreError::NotEvidence { path: file.to_path_buf(), message: format!("no `schema` = {SCHEMA:?} with an `experiment` name") }),
    }
}

/// The machine fingerprint an evidence file records.
pub fn environment_of(path: &Path) -> Result<Environment, StoreError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| StoreError::NotEvidence { path: path.to_path_buf(), message: e.to_string() })?;
    serde_json::from_value(value["environment"].clone())
        .map_err(|e| StoreError::NotEvidence { path: path.to_path_buf(), message: format!("no machine fingerprint (`environment`): {e}") })
}

fn promote_into(store: &Path, file: &Path) -> Result<PathBuf, StoreError> {
    let experiment = experiment_of(file)?;
    let (rel, committed) = copy_into(store, file)?;
    let mut index = load_index_in(store)?;
    index.pins.insert(experiment, vec![rel]);
    save_index_in(store, &index)?;
    Ok(committed)
}

/// Copies an evidence file into its experiment's folder of the store (a
/// file already there stays); returns its index entry and its path.
fn copy_into(store: &Path, file: &Path) -> Result<(String, PathBuf), StoreError> {
    let text = std::fs::read_to_string(file).map_err(io(file))?;
    let experiment = experiment_of(file)?;
    let dir = store.join(&experiment);
    let committed = match (file.canonicalize(), dir.canonicalize()) {
        (Ok(f), Ok(d)) if f.parent() == Some(d.as_path()) => f,
        _ => {
            let stamp = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            write_unique(&dir, &stamp, text.as_bytes()).map_err(io(&dir))?
        }
    };
    let name = committed.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok((format!("{experiment}/{name}"), dir.join(name)))
}

/// Reads an evidence file.
pub fn read<T: DeserializeOwned + DataSchema>(path: &Path) -> Result<Evidence<T>, StoreError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let schema = |source| StoreError::Schema { path: path.to_path_buf(), source };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(schema)?;
    // The version first: data of another layout may parse into the wrong fields.
    // Absent: written before versions were recorded, version 1; present, it must be a number.
    let found = match value.get("data_version") {
        None => 1,
        Some(v) => v.as_u64().ok_or_else(|| StoreError::NotEvidence { path: path.to_path_buf(), message: format!("`data_version` is {v}, not a number") })?,
    };
    if found != u64::from(T::VERSION) {
        return Err(StoreError::Version { path: path.to_path_buf(), found, expected: T::VERSION });
    }
    serde_json::from_value(value).map_err(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence_file(dir: &Path, experiment: &str, stamp: &str) -> PathBuf {
        let ev = serde_json::json!({ "schema": SCHEMA, "experiment": experiment, "started_at": stamp });
        write_unique(&dir.join(experiment), stamp, ev.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_run_reaches_a_report_only_once_promoted_and_then_replaces_the_pin() {
        let (store, scratch) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let full = evidence_file(scratch.path(), "whisper-rs-race", "20261130T040345Z");
        assert!(pinned_in(store.path(), "whisper-rs-race").is_empty(), "nothing pinned before promotion");
        let committed = promote_into(store.path(), &full).unwrap();
        assert_eq!(pinned_in(store.path(), "whisper-rs-race"), vec![committed.clone()]);
        assert!(committed.starts_with(store.path()) && committed.is_file());
        // A later (quick) run in scratch changes nothing until promoted.
        let quick = evidence_file(scratch.path(), "whisper-rs-race", "20261202T100000Z");
        assert_eq!(pinned_in(store.path(), "whisper-rs-race"), vec![committed.clone()]);
        let second = promote_into(store.path(), &quick).unwrap();
        assert_eq!(pinned_in(store.path(), "whisper-rs-race"), vec![second]);
        // Promoting a file already in the store pins it without a copy.
        assert_eq!(promote_into(store.path(), &committed).unwrap(), committed);
        assert_eq!(std::fs::read_dir(store.path().join("whisper-rs-race")).unwrap().count(), 2);
    }

    fn evidence_on(dir: &Path, stamp: &str, simd: &[&str], profile: Option<&str>) -> PathBuf {
        let env = serde_json::json!({ "cpu_model": "AMD EPYC", "logical_cores": 2, "simd": simd, "os": "Debian", "kernel": "6", "rustc": "1",
            "crates": {}, "git_commit": "abc", "git_dirty": false, "profile": profile });
        let ev = serde_json::json!({ "schema": SCHEMA, "experiment": "fft-sizes", "started_at": stamp, "environment": env });
        write_unique(&dir.join("fft-sizes"), stamp, ev.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn promoting_beside_replaces_the_same_machines_pin_and_keeps_the_others() {
        let (store, scratch) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let avx512 = promote_into(store.path(), &evidence_on(scratch.path(), "1", &["avx2", "avx512f"], None)).unwrap();
        let avx2 = promote_beside_into(store.path(), &evidence_on(scratch.path(), "2", &["avx2"], None)).unwrap();
        assert_eq!(pinned_in(store.path(), "fft-sizes"), vec![avx512.clone(), avx2.clone()], "another vector unit is another machine");
        // The same AVX2 machine measured again replaces its own pin only, and is last.
        let again = promote_beside_into(store.path(), &evidence_on(scratch.path(), "3", &["avx2"], None)).unwrap();
        assert_eq!(pinned_in(store.path(), "fft-sizes"), vec![avx512.clone(), again.clone()]);
        // A profile of one machine is its own column.
        let one_core = promote_beside_into(store.path(), &evidence_on(scratch.path(), "4", &["avx2"], Some("1 core"))).unwrap();
        assert_eq!(pinned_in(store.path(), "fft-sizes"), vec![avx512.clone(), again.clone(), one_core.clone()]);
        // Re-promoting a pinned file moves it last without a copy.
        assert_eq!(promote_beside_into(store.path(), &avx512).unwrap(), avx512);
        assert_eq!(pinned_in(store.path(), "fft-sizes"), vec![again.clone(), one_core.clone(), avx512.clone()]);
        // A file without a machine fingerprint is refused, naming it, and the pins stay.
        let bare = evidence_file(scratch.path(), "fft-sizes", "5");
        let e = promote_beside_into(store.path(), &bare).unwrap_err().to_string();
        assert!(e.contains(&bare.display().to_string()) && e.contains("machine fingerprint"), "{e}");
        assert_eq!(pinned_in(store.path(), "fft-sizes"), vec![again.clone(), one_core.clone(), avx512.clone()]);
        // A check compares with its own machine's pin, else its hardware's, else the last.
        let env_of = |p: &Path| environment_of(p).unwrap();
        assert_eq!(pinned_for_in(store.path(), "fft-sizes", &env_of(&again)), Some(again.clone()));
        assert_eq!(pinned_for_in(store.path(), "fft-sizes", &env_of(&one_core)), Some(one_core.clone()));
        let mut two_core_avx2 = env_of(&again);
        two_core_avx2.logical_cores += 6;
        assert_eq!(pinned_for_in(store.path(), "fft-sizes", &two_core_avx2), Some(one_core), "same hardware: the last such pin");
        let mut intel = env_of(&again);
        intel.cpu_model = "Intel Xeon".into();
        assert_eq!(pinned_for_in(store.path(), "fft-sizes", &intel), Some(avx512));
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct V2 {
        x: u32,
    }
    impl DataSchema for V2 {
        const VERSION: u32 = 2;
    }

    #[test]
    fn data_of_another_layout_version_is_refused_and_unversioned_files_are_version_1() {
        let dir = tempfile::tempdir().unwrap();
        let ev = Evidence::new("v", "2026-12-03T00:00:00Z".into(), serde_json::json!({}), vec![], V2 { x: 7 });
        assert_eq!(ev.data_version, 2);
        let p = write_unique(dir.path(), "a", serde_json::to_string(&ev).unwrap().as_bytes()).unwrap();
        assert_eq!(read::<V2>(&p).unwrap().data.x, 7);
        // The same file read as version 1 data, and an unversioned file read as version 2.
        #[derive(Debug, Deserialize)]
        struct V1 {}
        impl DataSchema for V1 {
            const VERSION: u32 = 1;
        }
        assert!(matches!(read::<V1>(&p), Err(StoreError::Version { found: 2, expected: 1, .. })));
        let mut old = serde_json::to_value(&ev).unwrap();
        old.as_object_mut().unwrap().remove("data_version");
        std::fs::write(&p, old.to_string()).unwrap();
        let e = read::<V2>(&p).unwrap_err().to_string();
        assert!(e.contains("layout version 1") && e.contains("reads version 2") && e.contains(&p.display().to_string()), "{e}");
    }

    #[test]
    fn a_file_that_is_not_evidence_is_refused_naming_it() {
        let store = tempfile::tempdir().unwrap();
        let bad = store.path().join("notes.json");
        std::fs::write(&bad, "{\"hello\": 1}").unwrap();
        let e = promote_into(store.path(), &bad).unwrap_err().to_string();
        assert!(e.contains("notes.json") && e.contains("not an evidence file"), "{e}");
        std::fs::write(&bad, "not json").unwrap();
        assert!(promote_into(store.path(), &bad).is_err());
    }

    #[test]
    fn a_broken_index_is_an_error_naming_it() {
        let store = tempfile::tempdir().unwrap();
        std::fs::write(store.path().join(INDEX_FILE), "pins = 3").unwrap();
        let e = load_index_in(store.path()).unwrap_err().to_string();
        assert!(e.contains(INDEX_FILE), "{e}");
    }
}
