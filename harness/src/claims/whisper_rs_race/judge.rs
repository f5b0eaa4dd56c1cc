//! The verdict rules, in code. A cell is classified from its trials:
//! - `crash`: a trial died (signal, abort, non-zero exit);
//! - `deadlock`: a trial stalled with its threads asleep (process CPU under
//!   0.2 s per s over one second) and no worker finished;
//! - `slow`: a trial stalled with CPU still burning (threads spinning:
//!   progress possible, starved), or all finished but slower than twice the
//!   expected wall time;
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
    Deadlock,
    Crash,
    WrongOutput,
    NotRun,
}

impl Class {
    /// A symptom of the seed's race (a hang, a crash, a wrong transcript),
    /// as opposed to ok or merely slow.
    pub fn is_race_symptom(self) -> bool {
        matches!(self, Class::Deadlock | Class::Crash | Class::WrongOutput)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Ok => "ok",
            Class::Slow => "slow",
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
    if let Some(t) = c.trials.iter().find(|t| t.ending == Ending::Stalled) {
        let s = t.stall.as_ref();
        let cpu = s.map_or(0.0, |s| s.cpu_per_s);
        if liveness::silent(Some(cpu)) == Liveness::Blocked && t.workers_done == 0 {
            j.class = Class::Deadlock;
            j.reason = format!(
                "stalled with threads asleep ({cpu:.2} CPU-s/s, {} running / {} sleeping threads)",
                s.map_or(0, |s| s.running),
                s.map_or(0, |s| s.sleeping)
            );
        } else {
            j.class = Class::Slow;
            j.reason = format!(
                "{}: threads still burning {cpu:.2} CPU-s per s ({} running / {} sleeping), {} of {} workers done: starved, not blocked",
                t.exit,
                s.map_or(0, |s| s.running),
                s.map_or(0, |s| s.sleeping),
                t.workers_done,
                c.cell.k
            );
        }
        return j;
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
