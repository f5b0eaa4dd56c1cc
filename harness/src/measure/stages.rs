//! Per-stage counters: calls, wall time and the calling thread's CPU time.
//! Lock-free (atomics), so many workers can record at once; switchable off
//! to measure what the instrumentation itself costs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::clock;

/// The stages the pipeline records, in report order.
pub const STAGES: &[&str] = &["decode", "keyframe-select", "colour", "jpeg-encode", "jpeg-decode", "detect", "embed", "vad", "mel", "transcribe", "tokenize"];

#[derive(Debug, Default)]
struct Counters {
    calls: AtomicU64,
    wall_ns: AtomicU64,
    cpu_ns: AtomicU64,
}

/// Totals of one stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageTotals {
    pub calls: u64,
    pub wall_s: f64,
    /// CPU time of the calling threads only (see `clock::thread_cpu`).
    pub thread_cpu_s: f64,
}

/// Records stage timings.
#[derive(Debug)]
pub struct Recorder {
    enabled: bool,
    counters: Vec<Counters>,
}

impl Recorder {
    /// A recorder; with `enabled = false` every call is a plain call.
    pub fn new(enabled: bool) -> Self {
        Recorder { enabled, counters: STAGES.iter().map(|_| Counters::default()).collect() }
    }

    fn slot(&self, stage: &str) -> &Counters {
        let i = STAGES.iter().position(|s| *s == stage).unwrap_or_else(|| panic!("unknown stage {stage}"));
        &self.counters[i]
    }

    /// Runs `f`, charging its wall and thread CPU time to `stage`.
    pub fn time<T>(&self, stage: &str, f: impl FnOnce() -> T) -> T {
        if !self.enabled {
            return f();
        }
        let (w0, c0) = (Instant::now(), clock::thread_cpu());
        let out = f();
        self.add(stage, w0.elapsed().as_nanos() as u64, (clock::thread_cpu() - c0).as_nanos() as u64);
        out
    }

    /// Adds a measured interval to `stage` (for work timed elsewhere).
    pub fn add(&self, stage: &str, wall_ns: u64, cpu_ns: u64) {
        if !self.enabled {
            return;
        }
        let c = self.slot(stage);
        c.calls.fetch_add(1, Ordering::Relaxed);
        c.wall_ns.fetch_add(wall_ns, Ordering::Relaxed);
        c.cpu_ns.fetch_add(cpu_ns, Ordering::Relaxed);
    }

    /// Totals by stage (stages never called are left out).
    pub fn totals(&self) -> BTreeMap<String, StageTotals> {
        STAGES
            .iter()
            .zip(&self.counters)
            .filter(|(_, c)| c.calls.load(Ordering::Relaxed) > 0)
            .map(|(s, c)| {
                (
                    s.to_string(),
                    StageTotals {
                        calls: c.calls.load(Ordering::Relaxed),
                        wall_s: c.wall_ns.load(Ordering::Relaxed) as f64 / 1e9,
                        thread_cpu_s: c.cpu_ns.load(Ordering::Relaxed) as f64 / 1e9,
                    },
                )
            })
            .collect()
    }
}
