//! Shared set-up for the criterion benches: one configuration (with the
//! pprof flamegraph profiler and a quick mode for CI) and the real inputs.

use std::time::Duration;

use criterion::Criterion;
use harness::measure::profiler::{FlamegraphProfiler, DEFAULT_FREQUENCY};

/// `HARNESS_BENCH_QUICK=1` runs every benchmark briefly (CI); the full runs
/// are for reports.
pub fn quick() -> bool {
    std::env::var("HARNESS_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The criterion configuration every bench uses.
pub fn config() -> Criterion {
    let c = Criterion::default().with_profiler(FlamegraphProfiler::new(DEFAULT_FREQUENCY));
    if quick() {
        c.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_millis(500))
    } else {
        c.sample_size(50).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
    }
}

/// A catalog asset's path, or a panic naming the fix.
pub fn asset(id: &str) -> std::path::PathBuf {
    harness::models::locate::require(id).unwrap_or_else(|e| panic!("{e}"))
}
