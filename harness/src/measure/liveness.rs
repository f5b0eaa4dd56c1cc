//! Is a silent worker hung, or only slow? The one rule that the pipeline's
//! watchdog and the whisper-rs race judge share.
//!
//! A heartbeat is the worker's own word that it made progress. Silence
//! alone proves nothing: native code (a whisper.cpp encoder pass, an ONNX
//! run) can go for seconds between beats, longer on a slow or loaded
//! machine. So silence is judged together with the CPU that the silent
//! threads used over the same window:
//! - a beat within the limit: [`Liveness::Progressing`];
//! - no beat, but the threads kept burning CPU: [`Liveness::Starved`]
//!   (slow, oversubscribed or spinning: progress is possible);
//! - no beat and the threads asleep: [`Liveness::Blocked`] (hung).
//!
//! CPU is read from `/proc` (`utime + stime`, 10 ms ticks), so the window
//! must be long enough for that resolution: [`MIN_WINDOW`].

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// CPU seconds per wall second under which silent threads count as asleep
/// (blocked). A thread that computes uses close to 1; one that waits on a
/// futex or sleeps uses close to 0; 0.2 leaves room for a thread starved to
/// a fifth of a core by load from outside.
pub const BLOCKED_CPU_PER_S: f64 = 0.2;

/// The shortest window over which a CPU rate is trusted (20 ticks of
/// `/proc`'s 10 ms clock).
pub const MIN_WINDOW: Duration = Duration::from_millis(200);

/// What a worker is doing, as far as its heartbeat and its CPU show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Liveness {
    /// It beat within the limit.
    Progressing,
    /// Silent for the limit, but its threads use CPU: slow or starved.
    Starved,
    /// Silent for the limit with its threads asleep: no progress.
    Blocked,
}

/// The rule: `silent_for` since the last beat, against `limit`, with the
/// silent threads' CPU seconds per wall second over the silence (`None`:
/// not measurable yet, which never condemns a worker).
pub fn classify(silent_for: Duration, limit: Duration, cpu_per_s: Option<f64>) -> Liveness {
    if silent_for < limit {
        return Liveness::Progressing;
    }
    silent(cpu_per_s)
}

/// The rule for a worker already known to be silent past its limit.
pub fn silent(cpu_per_s: Option<f64>) -> Liveness {
    match cpu_per_s {
        Some(c) if c < BLOCKED_CPU_PER_S => Liveness::Blocked,
        Some(_) => Liveness::Starved,
        None => Liveness::Progressing,
    }
}

/// CPU samples of one group of threads over a sliding window, giving the
/// group's CPU per wall second over the last `window`.
#[derive(Debug, Clone)]
pub struct CpuWindow {
    window: Duration,
    /// (wall time, CPU seconds) samples, oldest first.
    samples: VecDeque<(Duration, f64)>,
}

impl CpuWindow {
    /// A window of `window` wall time.
    pub fn new(window: Duration) -> Self {
        CpuWindow { window, samples: VecDeque::new() }
    }

    /// Records that the group had used `cpu_s` in all at wall time `at`.
    pub fn push(&mut self, at: Duration, cpu_s: f64) {
        self.samples.push_back((at, cpu_s));
        // Keep one sample at or before the window's start, so the rate
        // always spans the whole window once enough time has passed.
        while self.samples.len() > 2 && at.saturating_sub(self.samples[1].0) >= self.window {
            self.samples.pop_front();
        }
    }

    /// CPU per wall second over the window; `None` until the samples span
    /// the whole window (or at least [`MIN_WINDOW`] when the window is
    /// shorter than that).
    pub fn rate(&self) -> Option<f64> {
        let (&(t0, c0), &(t1, c1)) = (self.samples.front()?, self.samples.back()?);
        let span = t1.saturating_sub(t0);
        if span < self.window.max(MIN_WINDOW) {
            return None;
        }
        Some((c1 - c0).max(0.0) / span.as_secs_f64())
    }

    /// Forgets every sample: after the threads were stopped from outside
    /// (a debugger attached), the CPU they did not use says nothing about
    /// them.
    pub fn clear(&mut self) {
        self.samples.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn a_recent_beat_is_progress_whatever_the_cpu() {
        assert_eq!(classify(S(1), S(3), Some(0.0)), Liveness::Progressing);
        assert_eq!(classify(S(1), S(3), None), Liveness::Progressing);
    }

    #[test]
    fn silence_with_cpu_is_starved_and_without_cpu_is_blocked() {
        assert_eq!(classify(S(5), S(3), Some(0.95)), Liveness::Starved);
        assert_eq!(classify(S(5), S(3), Some(BLOCKED_CPU_PER_S)), Liveness::Starved);
        assert_eq!(classify(S(5), S(3), Some(0.01)), Liveness::Blocked);
    }

    #[test]
    fn silence_without_a_cpu_measurement_never_condemns() {
        assert_eq!(classify(S(60), S(3), None), Liveness::Progressing);
    }

    #[test]
    fn the_window_reports_only_once_it_spans_its_length() {
        let mut w = CpuWindow::new(S(2));
        w.push(S(0), 10.0);
        w.push(S(1), 10.5);
        assert_eq!(w.rate(), None, "one second of a two-second window");
        w.push(S(2), 11.0);
        assert_eq!(w.rate(), Some(0.5));
        // The thread stops using CPU: after a full window the rate is 0.
        w.push(S(3), 11.0);
        w.push(S(4), 11.0);
        assert_eq!(w.rate(), Some(0.0));
        w.clear();
        assert_eq!(w.rate(), None);
    }
}
