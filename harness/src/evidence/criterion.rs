//! Reading criterion results from their stable format, `raw.csv` (feature
//! `csv_output`), never from criterion's private JSON files.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One benchmark's samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchSamples {
    pub group: String,
    pub function: String,
    pub value: String,
    /// Time per iteration of each sample, nanoseconds.
    pub ns_per_iter: Vec<f64>,
    /// Throughput per iteration, if the bench declared one.
    pub throughput: Option<(String, String)>,
}

#[derive(Debug, Deserialize)]
struct Row {
    group: String,
    function: Option<String>,
    value: Option<String>,
    throughput_num: Option<String>,
    throughput_type: Option<String>,
    sample_measured_value: f64,
    unit: String,
    iteration_count: u64,
}

fn unit_ns(unit: &str) -> f64 {
    match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => f64::NAN,
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "base" || n == "change") {
                continue;
            }
            walk(&p, out);
        } else if p.file_name().is_some_and(|n| n == "raw.csv") && p.parent().is_some_and(|d| d.ends_with("new")) {
            out.push(p);
        }
    }
}

/// A criterion `raw.csv` that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: not a criterion raw.csv: {source}\n  fix: re-run the bench (`harness check CLAIM`), which rewrites it")]
pub struct CriterionError {
    pub path: PathBuf,
    pub source: csv::Error,
}

/// Every benchmark under `criterion_dir` whose group starts with `prefix`.
pub fn import(criterion_dir: &Path, prefix: &str) -> Result<Vec<BenchSamples>, CriterionError> {
    let mut files = Vec::new();
    walk(criterion_dir, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let mut rdr = csv::Reader::from_path(&f).map_err(|source| CriterionError { path: f.clone(), source })?;
        let mut b: Option<BenchSamples> = None;
        for row in rdr.deserialize::<Row>() {
            let r = row.map_err(|source| CriterionError { path: f.clone(), source })?;
            if !r.group.starts_with(prefix) {
                break;
            }
            let s = b.get_or_insert_with(|| BenchSamples {
                group: r.group.clone(),
                function: r.function.clone().unwrap_or_default(),
                value: r.value.clone().unwrap_or_default(),
                ns_per_iter: Vec::new(),
                throughput: r.throughput_num.clone().zip(r.throughput_type.clone()),
            });
            s.ns_per_iter.push(r.sample_measured_value * unit_ns(&r.unit) / r.iteration_count.max(1) as f64);
        }
        out.extend(b);
    }
    Ok(out)
}

/// `target/criterion` of this workspace.
pub fn default_dir() -> PathBuf {
    crate::paths::workspace_root().join("target").join("criterion")
}

/// The stored data of a bench-backed claim: its benchmarks' samples.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BenchData {
    pub benches: Vec<BenchSamples>,
    /// What the claim's probe recorded besides the benchmarks (may be null).
    #[serde(default)]
    pub extra: serde_json::Value,
}

impl crate::evidence::store::DataSchema for BenchData {
    const VERSION: u32 = 1;
}

impl BenchData {
    /// Per-iteration nanoseconds of the benchmark named `function` (or
    /// `value`) in a group ending with `group_suffix`.
    pub fn samples(&self, group_suffix: &str, function: &str) -> Option<&[f64]> {
        self.benches.iter().find(|b| b.group.ends_with(group_suffix) && (b.function == function || b.value == function)).map(|b| b.ns_per_iter.as_slice())
    }
}
