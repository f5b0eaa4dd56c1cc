//! bencher.dev's Bencher Metric Format (BMF) JSON from bench-backed
//! evidence: `{ "<benchmark>": { "latency": { "value", "lower_value",
//! "upper_value" } } }`, nanoseconds, median with its 95% bootstrap interval.

use std::path::Path;

use crate::evidence::criterion::BenchData;
use crate::evidence::store::{self, Evidence};
use crate::measure::stats::estimate;

/// BMF JSON of an evidence file of a bench-backed claim.
pub fn from_evidence(path: &Path) -> Result<serde_json::Value, store::StoreError> {
    let ev: Evidence<BenchData> = store::read(path)?;
    let mut out = serde_json::Map::new();
    for b in &ev.data.benches {
        let e = estimate(&b.ns_per_iter);
        let name = [b.group.as_str(), b.function.as_str(), b.value.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join("/");
        out.insert(name, serde_json::json!({ "latency": { "value": e.median, "lower_value": e.ci_low, "upper_value": e.ci_high } }));
    }
    Ok(serde_json::Value::Object(out))
}
