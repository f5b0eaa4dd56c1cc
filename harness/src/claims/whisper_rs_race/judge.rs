//! The verdict rules, in code. A cell is classified from its trials:
//! - `crash`: a trial died (signal, abort, non-zero exit);
//! - `deadlock`: a trial stalled with its threads asleep (process CPU under
//!   0.2 s per s over one second) and no worker finished;
//! - `livelock`: a trial stalled with CPU still burning and no encoder or
//!   decoder pass completed in its last stall window (the cell counts
//!   passes; evidence from before it did cannot show this and calls such a
//!   trial slow);
//! - `slow`: a trial stopped while still completing passes (starved: over the
//!   time limit), or all finished but slower than twice the expected wall
//!   time;
//! - `wrong-output`: finished, but a transcript differs from the single-state
//!   transcript of the same build;
//! - `ok`: otherwise.
//!
//! Expected wall time for K states: `max(t1, c1 * K / cores)`, with `t1` and
//! `c1` the median wall and CPU of the K = 1, n_threads = 1 cell of the same
//! build (one state, no contention); with the lock around everything the
//! states run one after another by design, so `K * t1best`, `t1best` the
//! fastest single state with n_threads <= cores. A cell is judged against
//! what its own locking allows.

use serde::{Deserialize, Serialize};

use super::matrix::{CellResult, Phase};
use super::trial::Ending;
use crate::measure::liveness::{self, Liveness};
use crate::measure::stats::median;

/// A cell's class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    Ok,
    Slow,
    Livelock,
    Deadlock,
    Crash,
    WrongOutput,
    NotRun,
}

impl Class {
    /// A symptom of the seed's race (a hang, a crash, a wrong transcript),
    /// as opposed to ok or merely slow.
    pub fn is_race_symptom(self) -> bool {
        matches!(self, Class::Deadlock | Class::Livelock | Class::Crash | Class::WrongOutput)
    }

    /// Throughput collapsed (slow or no progress) without crashing, blocking
    /// or a wrong transcript: what the configuration rule predicts.
    pub fn is_collapse(self) -> bool {
        matches!(self, Class::Slow | Class::Livelock)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Ok => "ok",
            Class::Slow => "slow",
            Class::Livelock => "livelock",
            Class::Deadlock => "deadlock",
            Class::Crash => "crash",
            Class::WrongOutput => "wrong output",
            Class::NotRun => "not run",
        }
    }
}

/// CPU per wall second under which a stalled process counts as blocked:
/// the pipeline watchdog's rule too (`measure::liveness`).
pub const BLOCKED_CPU_PER_S: f64 = liveness::BLOCKED_CPU_PER_S;
/// Slower than this many times the expected wall time is `slow`.
pub const SLOW_FACTOR: f64 = 2.0;

/// A judged cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Judged {
    pub class: Class,
    pub finished: usize,
    pub crashed: usize,
    pub stalled: usize,
    /// Median wall of finished trials, s.
    pub wall_s: f64,
    pub cpu_s: f64,
    /// Audio seconds transcribed per wall second (finished trials; 0 for
    /// create-only cells).
    pub audio_s_per_s: f64,
    /// Expected wall / actual wall (1 = as fast as the cores allow).
    pub efficiency: f64,
    pub reason: String,
}

fn baseline<'a>(all: &'a [CellResult], c: &CellResult) -> Option<&'a CellResult> {
    all.iter()
        .find(|b| b.cell.variant == c.cell.variant && b.cell.k == 1 && b.cell.n_threads == 1 && b.cell.phase == Phase::Both && !b.trials.is_empty())
        .or_else(|| all.iter().find(|b| b.cell.variant == c.cell.variant && b.cell.k == 1 && b.cell.phase == Phase::Both && !b.trials.is_empty()))
}

/// One stalled trial's class and why: asleep with no worker done is a
/// deadlock; CPU burning with no pass completed in the last stall window is
/// a livelock; otherwise (passes still completing, or no pass counts recorded)
/// it was starved, slow.
pub fn stalled_trial(t: &super::trial::Trial, k: usize) -> (Class, String) {
    let s = t.stall.as_ref();
    let cpu = s.map_or(0.0, |s| s.cpu_per_s);
    let threads = format!("{} running / {} sleeping threads", s.map_or(0, |s| s.running), s.map_or(0, |s| s.sleeping));
    let passes = t.ticks.last().map_or(0, |(_, n)| *n);
    let blocked = liveness::silent(Some(cpu)) == Liveness::Blocked;
    let done = format!("{} of {k} workers done", t.workers_done);
    match (blocked, t.passes_advancing) {
        (true, Some(false)) => (
            Class::Deadlock,
            format!("stalled with threads asleep ({cpu:.2} CPU-s/s, {threads}) and no encoder or decoder pass completed in the last stall window, {done}"),
        ),
        // Without pass counts, only a stall before any worker finished is known to be a deadlock.
        (true, None) if t.workers_done == 0 => (Class::Deadlock, format!("stalled with threads asleep ({cpu:.2} CPU-s/s, {threads})")),
        (false, Some(false)) => (
            Class::Livelock,
            format!(
                "{}: threads burning {cpu:.2} CPU-s per s ({threads}) but no encoder or decoder pass completed in the last stall window ({passes} in all; \
                 the longest gap between passes before it: {}), {done}",
                t.exit,
                longest_gap(&t.ticks).map_or("none completed".to_string(), |g| format!("{g:.0} s"))
            ),
        ),
        (_, Some(true)) => (
            Class::Slow,
            format!(
                "{}: still completing encoder and decoder passes ({passes} so far) at {cpu:.2} CPU-s per s ({threads}), {done}: starved, not blocked",
                t.exit
            ),
        ),
        _ => (Class::Slow, format!("{}: {cpu:.2} CPU-s per s ({threads}), {done}; no pass counts in this evidence, so a livelock is not ruled out", t.exit)),
    }
}

/// The longest time between two rises of the pass count in `ticks` (None:
/// fewer than two rises), so a reader can weigh a stall window against the
/// pace the trial had.
pub fn longest_gap(ticks: &[(f64, u64)]) -> Option<f64> {
    let rises: Vec<f64> = ticks.windows(2).filter(|w| w[1].1 > w[0].1).map(|w| w[1].0).collect();
    rises.windows(2).map(|w| w[1] - w[0]).reduce(f64::max)
}

/// Judges `c` against the rest of the matrix (`all`) on `cores` cores.
pub fn judge(all: &[CellResult], c: &CellResult, cores: usize) -> Judged {
    let mut j =
        Judged { class: Class::Ok, finished: 0, crashed: 0, stalled: 0, wall_s: 0.0, cpu_s: 0.0, audio_s_per_s: 0.0, efficiency: 0.0, reason: String::new() };
    if c.trials.is_empty() {
        j.class = Class::NotRun;
        j.reason = c.error.clone().unwrap_or_else(|| "no trials".into());
        return j;
    }
    j.finished = c.trials.iter().filter(|t| t.ending == Ending::Finished).count();
    j.crashed = c.trials.iter().filter(|t| t.ending == Ending::Crashed).count();
    j.stalled = c.trials.iter().filter(|t| t.ending == Ending::Stalled).count();
    let fin: Vec<_> = c.trials.iter().filter(|t| t.ending == Ending::Finished).collect();
    j.wall_s = median(&fin.iter().map(|t| t.wall_s).collect::<Vec<_>>());
    j.cpu_s = median(&fin.iter().map(|t| t.cpu_s).collect::<Vec<_>>());
    if c.cell.phase != Phase::Create && !fin.is_empty() {
        j.audio_s_per_s = c.audio_s * c.cell.k as f64 / j.wall_s;
    }
    if j.crashed > 0 {
        let t = c.trials.iter().find(|t| t.ending == Ending::Crashed).expect("one crashed");
        j.class = Class::Crash;
        j.reason = format!("{} of {} trials crashed ({}): {}", j.crashed, c.trials.len(), t.exit, t.stderr_tail.lines().last().unwrap_or(""));
        return j;
    }
    let stalled: Vec<(Class, String)> = c.trials.iter().filter(|t| t.ending == Ending::Stalled).map(|t| stalled_trial(t, c.cell.k)).collect();
    // The most severe stalled trial decides: deadlock, then livelock, then slow.
    for class in [Class::Deadlock, Class::Livelock, Class::Slow] {
        if let Some((_, reason)) = stalled.iter().find(|(k, _)| *k == class) {
            j.class = class;
            j.reason = format!("{} of {} trials stalled; {reason}", j.stalled, c.trials.len());
            return j;
        }
    }
    if c.cell.phase != Phase::Create {
        if let Some(base) = baseline(all, c) {
            let reference = base.trials.iter().find_map(|t| t.texts.first().cloned()).unwrap_or_default();
            if let Some(bad) = fin.iter().flat_map(|t| t.texts.iter()).find(|x| **x != reference) {
                j.class = Class::WrongOutput;
                j.reason = format!("transcript {bad:?} differs from the single-state {reference:?}");
                return j;
            }
            let bfin: Vec<_> = base.trials.iter().filter(|t| t.ending == Ending::Finished).collect();
            let (t1, c1) = (median(&bfin.iter().map(|t| t.wall_s).collect::<Vec<_>>()), median(&bfin.iter().map(|t| t.cpu_s).collect::<Vec<_>>()));
            let expected = if c.cell.guard == super::matrix::Guard::All {
                let t1best = all
                    .iter()
                    .filter(|b| {
                        b.cell.variant == c.cell.variant
                            && b.cell.k == 1
                            && b.cell.phase == Phase::Both
                            && b.cell.guard == super::matrix::Guard::None
                            && b.cell.n_threads <= cores
                    })
                    .map(|b| median(&b.trials.iter().filter(|t| t.ending == Ending::Finished).map(|t| t.wall_s).collect::<Vec<_>>()))
                    .filter(|t| t.is_finite())
                    .fold(t1, f64::min);
                t1best * c.cell.k as f64
            } else {
                t1.max(c1 * c.cell.k as f64 / cores as f64)
            };
            j.efficiency = expected / j.wall_s;
            if j.wall_s > SLOW_FACTOR * expected {
                j.class = Class::Slow;
                j.reason = format!("finished, but {:.1}x slower than the {:.2} s the cores allow", j.wall_s / expected, expected);
                return j;
            }
            j.reason = format!("finished at {:.0}% of the throughput the cores allow; transcripts match", 100.0 * j.efficiency);
        }
    } else {
        j.reason = format!("all {} trials created every state", c.trials.len());
    }
    j
}

#[cfg(test)]
mod tests {
    use super::super::trial::{Ending, StallSnapshot, Trial};
    use super::*;

    fn stalled(cpu_per_s: f64, workers_done: usize, passes_advancing: Option<bool>) -> Trial {
        Trial {
            ending: Ending::Stalled,
            exit: "killed: no progress for 30 s".into(),
            wall_s: 31.0,
            cpu_s: 60.0,
            states_created: 3,
            workers_done,
            progress_events: 0,
            texts: vec![],
            stall: Some(StallSnapshot { running: 2, sleeping: 4, cpu_per_s, threads: vec![], stacks: String::new() }),
            stderr_tail: String::new(),
            ticks: if passes_advancing.is_some() { vec![(1.0, 10), (31.0, 10)] } else { vec![] },
            passes_advancing,
        }
    }

    #[test]
    fn a_stalled_trial_is_classified_from_its_cpu_and_its_pass_progress() {
        assert_eq!(stalled_trial(&stalled(0.01, 0, Some(false)), 3).0, Class::Deadlock, "asleep, nothing done");
        assert_eq!(stalled_trial(&stalled(1.9, 0, Some(false)), 3).0, Class::Livelock, "burning, no pass");
        assert_eq!(stalled_trial(&stalled(1.9, 1, Some(true)), 3).0, Class::Slow, "burning, still computing");
        let (class, why) = stalled_trial(&stalled(1.9, 1, None), 3);
        assert_eq!(class, Class::Slow);
        assert!(why.contains("livelock is not ruled out"), "{why}");
        assert_eq!(stalled_trial(&stalled(0.01, 2, Some(false)), 3).0, Class::Deadlock, "the seed's \"2 complete, 1 hangs\", asleep");
        assert_eq!(stalled_trial(&stalled(0.01, 0, None), 3).0, Class::Deadlock, "older evidence: asleep before any worker finished");
        assert_eq!(stalled_trial(&stalled(0.01, 2, None), 3).0, Class::Slow, "older evidence cannot tell a late sleeper from a slow one");
    }

    #[test]
    fn the_longest_gap_is_between_rises_of_the_pass_count() {
        let ticks = [(1.0, 0), (2.0, 0), (3.0, 2), (4.0, 2), (8.0, 5), (9.0, 6)];
        assert_eq!(longest_gap(&ticks), Some(5.0));
        assert_eq!(longest_gap(&ticks[..3]), None, "one rise has no gap");
    }

    #[test]
    fn the_most_severe_stalled_trial_decides_the_cell() {
        let mut variant = crate::forks::variant::WhisperVariant::workspace_default();
        variant.features = vec![];
        let cell = super::super::matrix::Cell {
            group: "t".into(),
            variant,
            k: 3,
            n_threads: 4,
            phase: Phase::Both,
            guard: super::super::matrix::Guard::None,
            trials: 2,
        };
        let c = CellResult { cell, audio_s: 3.0, trials: vec![stalled(1.9, 1, Some(true)), stalled(1.9, 0, Some(false))], error: None };
        let j = judge(std::slice::from_ref(&c), &c, 2);
        assert_eq!(j.class, Class::Livelock);
        assert!(j.reason.starts_with("2 of 2 trials stalled"), "{}", j.reason);
        assert!(Class::Livelock.is_race_symptom() && Class::Livelock.is_collapse() && !Class::Deadlock.is_collapse());
    }
}
