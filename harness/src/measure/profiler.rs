//! CPU profiles as flamegraphs with pprof, and the small adapter criterion
//! 0.8 needs (pprof's own `criterion` feature is built for criterion 0.5).

use std::fs::File;
use std::path::{Path, PathBuf};

use criterion::profiler::Profiler;

/// Sampling frequency (Hz) for profiles.
pub const DEFAULT_FREQUENCY: i32 = 997;

/// A profile that could not be taken or written.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("pprof: {0}")]
    Pprof(#[from] pprof::Error),
    #[error("cannot write flamegraph {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

/// Runs `work` under the sampling profiler and writes an SVG flamegraph to
/// `svg`. Returns `work`'s result.
pub fn flamegraph_of<T>(svg: &Path, frequency: i32, work: impl FnOnce() -> T) -> Result<T, ProfileError> {
    let guard = pprof::ProfilerGuardBuilder::default().frequency(frequency).blocklist(&["libc", "libgcc", "pthread", "vdso"]).build()?;
    let value = work();
    let report = guard.report().build()?;
    write_svg(&report, svg)?;
    Ok(value)
}

/// Runs `work` under the sampling profiler; returns its result and the
/// flamegraph as SVG text (for evidence files, which keep the profile with
/// the numbers it explains).
pub fn flamegraph_text<T>(frequency: i32, work: impl FnOnce() -> T) -> Result<(T, String, pprof::Report), ProfileError> {
    let guard = pprof::ProfilerGuardBuilder::default().frequency(frequency).blocklist(&["libc", "libgcc", "pthread", "vdso"]).build()?;
    let value = work();
    let report = guard.report().build()?;
    let mut svg = Vec::new();
    report.flamegraph(&mut svg)?;
    Ok((value, String::from_utf8_lossy(&svg).into_owned(), report))
}

/// Share of samples per category: each sample goes to the first category
/// (in order) whose pattern appears in a frame's symbol name, searching from
/// the innermost frame outwards; samples matching none go to "other".
pub fn shares(report: &pprof::Report, categories: &[(&str, &str)]) -> Vec<(String, f64)> {
    let mut counts = vec![0isize; categories.len() + 1];
    let mut total = 0isize;
    for (frames, n) in &report.data {
        total += n;
        let names: Vec<String> = frames.frames.iter().flatten().map(|s| s.name()).collect();
        let k = names.iter().find_map(|name| categories.iter().position(|(_, pat)| name.contains(pat))).unwrap_or(categories.len());
        counts[k] += n;
    }
    let total = total.max(1) as f64;
    categories.iter().map(|(label, _)| label.to_string()).chain(std::iter::once("other".to_string())).zip(counts).map(|(l, c)| (l, c as f64 / total)).collect()
}

fn write_svg(report: &pprof::Report, svg: &Path) -> Result<(), ProfileError> {
    let werr = |reason: String| ProfileError::Write { path: svg.to_path_buf(), reason };
    if let Some(d) = svg.parent() {
        std::fs::create_dir_all(d).map_err(|e| werr(e.to_string()))?;
    }
    let file = File::create(svg).map_err(|e| werr(e.to_string()))?;
    report.flamegraph(file).map_err(|e| werr(e.to_string()))
}

/// criterion `Profiler` writing `<benchmark dir>/flamegraph.svg` when a
/// bench runs with `--profile-time`.
pub struct FlamegraphProfiler {
    frequency: i32,
    active: Option<pprof::ProfilerGuard<'static>>,
}

impl FlamegraphProfiler {
    /// A profiler sampling at `frequency` Hz.
    pub fn new(frequency: i32) -> Self {
        FlamegraphProfiler { frequency, active: None }
    }
}

impl Profiler for FlamegraphProfiler {
    fn start_profiling(&mut self, _benchmark_id: &str, _benchmark_dir: &Path) {
        self.active = pprof::ProfilerGuard::new(self.frequency).ok();
    }

    fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
        let Some(guard) = self.active.take() else { return };
        match guard.report().build() {
            Ok(report) => {
                let svg = benchmark_dir.join("flamegraph.svg");
                if let Err(e) = write_svg(&report, &svg) {
                    tracing::warn!("{benchmark_id}: {e}");
                }
            }
            Err(e) => tracing::warn!("{benchmark_id}: pprof report: {e}"),
        }
    }
}
