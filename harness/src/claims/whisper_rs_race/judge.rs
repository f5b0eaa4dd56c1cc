//! The verdict rules, in code. A cell is classified from its trials:
//! - `crash`: a trial died (signal, abort, non-zero exit);
//! - `deadlock`: a trial stalled with its threads asleep (process CPU under
//!   0.2 s per s over one second) and no worker finished;
//! - `livelock`: a trial stopped for no progress with CPU still burning,
//!   and either a `create_state` never returned or the quiet spell lasted
//!   `LIVELOCK_FACTOR` times the trial's own pace between passes (the cell
//!   counts encoder and decoder passes; evidence from before it did cannot
//!   show this and calls such a trial slow);
//! - `slow`: a trial stopped while still completing passes (starved: over
//!   the time limit), or quiet but not long enough against its pace to tell
//!   a livelock from starvation, or all finished but slower than twice the
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

    /// Throughput collapsed while progress went on: what the configuration
    /// rule predicts (a livelock is a hang, counted with the symptoms).
    pub fn is_collapse(self) -> bool {
        self == Class::Slow
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

/// A trial quiet for at least this many times its own longest gap between
/// passes stopped progressing rather than slowed down: a livelock when CPU
/// burns. Below it, "no pass for the stall window" cannot tell a livelock
/// from extreme starvation (a spinning barrier slows passes 10-100x).
pub const LIVELOCK_FACTOR: f64 = 10.0;

/// One stalled trial's class and why, pure. Asleep with no progress is a
/// deadlock. Burning CPU with no progress is a livelock when a worker's
/// `create_state` never returned (it takes well under a second) or when the
/// quiet spell lasted [`LIVELOCK_FACTOR`] times the trial's own longest
/// gap between passes; otherwise it is slow, the text saying what could not
/// be told apart. Evidence from before passes were counted keeps the older
/// rule (asleep with no worker done: deadlock; else slow).
pub fn stalled_trial(t: &super::trial::Trial, k: usize) -> (Class, String) {
    use super::trial::Stop;
    let s = t.stall.as_ref();
    let cpu = s.map_or(0.0, |s| s.cpu_per_s);
    let threads = format!("{} running / {} sleeping threads", s.map_or(0, |s| s.running), s.map_or(0, |s| s.sleeping));
    let passes = t.ticks.last().map_or(0, |(_, n)| *n);
    let blocked = liveness::silent(Some(cpu)) == Liveness::Blocked;
    let done = format!("{} of {k} workers done", t.workers_done);
    let quiet = t.quiet_s.unwrap_or(0.0);
    match (t.stopped_for, blocked) {
        (None, true) if t.workers_done == 0 => (Class::Deadlock, format!("stalled with threads asleep ({cpu:.2} CPU-s/s, {threads})")),
        (None, _) => (
            Class::Slow,
            format!("{}: {cpu:.2} CPU-s per s ({threads}), {done}; this evidence has no pass counts, so neither a late deadlock nor a livelock is ruled out", t.exit),
        ),
        (Some(Stop::TimeLimit), _) => {
            (Class::Slow, format!("{}: still completing encoder and decoder passes ({passes} so far) at {cpu:.2} CPU-s per s ({threads}), {done}: starved", t.exit))
        }
        (Some(Stop::NoProgress), true) => {
            (Class::Deadlock, format!("stalled with threads asleep ({cpu:.2} CPU-s/s, {threads}) and no progress for {quiet:.0} s, {done}"))
        }
        (Some(Stop::NoProgress), false) if t.states_created < k => (
            Class::Livelock,
            format!(
                "{}: {} of {k} states created and no progress for {quiet:.0} s while threads burned {cpu:.2} CPU-s per s ({threads}): a `create_state` that never returned",
                t.exit, t.states_created
            ),
        ),
        (Some(Stop::NoProgress), false) => match longest_gap(&t.ticks) {
            Some(g) if quiet >= LIVELOCK_FACTOR * g => (
                Class::Livelock,
                format!(
                    "{}: no encoder or decoder pass for {quiet:.0} s, {:.0}x the trial's own longest gap between passes ({g:.0} s), while threads burned {cpu:.2} CPU-s per s ({threads}), {done}",
                    t.exit,
                    quiet / g
                ),
            ),
            g => (
                Class::Slow,
                format!(
                    "{}: no encoder or decoder pass for {quiet:.0} s while threads burned {cpu:.2} CPU-s per s ({threads}), {done}; its longest gap between passes before: {}. \
                     A livelock or extreme starvation: not told apart at this resolution",
                    t.exit,
                    g.map_or("fewer than two passes".to_string(), |g| format!("{g:.0} s"))
                ),
            ),
        },
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
    use super::super::trial::{Ending, StallSnapshot, Stop, Trial};
    use super::*;

    fn stalled(cpu_per_s: f64, workers_done: usize, stop: Option<Stop>, ticks: Vec<(f64, u64)>, quiet_s: f64) -> Trial {
        Trial {
            ending: Ending::Stalled,
            exit: "killed".into(),
            wall_s: 31.0,
            cpu_s: 60.0,
            states_created: 3,
            workers_done,
            progress_events: 0,
            texts: vec![],
            stall: Some(StallSnapshot { running: 2, sleeping: 4, cpu_per_s, threads: vec![], stacks: String::new() }),
            stderr_tail: String::new(),
            ticks,
            stopped_for: stop,
            quiet_s: stop.map(|_| quiet_s),
        }
    }

    /// Passes every 2 s for 10 s, then none.
    fn paced() -> Vec<(f64, u64)> {
        (1..=40).map(|s| (s as f64, (s.min(10) / 2) as u64)).collect()
    }

    #[test]
    fn a_stalled_trial_is_classified_from_its_cpu_its_stop_and_its_pace() {
        use Stop::*;
        let class = |t: &Trial| stalled_trial(t, 3).0;
        assert_eq!(class(&stalled(0.01, 0, Some(NoProgress), paced(), 30.0)), Class::Deadlock, "asleep, no progress");
        assert_eq!(class(&stalled(0.01, 2, Some(NoProgress), paced(), 30.0)), Class::Deadlock, "the seed's \"2 complete, 1 hangs\", asleep");
        assert_eq!(class(&stalled(1.9, 0, Some(NoProgress), paced(), 30.0)), Class::Livelock, "burning, quiet 15x its 2 s pace");
        let (c, why) = stalled_trial(&stalled(1.9, 0, Some(NoProgress), paced(), 15.0), 3);
        assert_eq!(c, Class::Slow, "quiet only 7.5x its pace");
        assert!(why.contains("not told apart"), "{why}");
        assert_eq!(class(&stalled(1.9, 0, Some(NoProgress), vec![(1.0, 0), (31.0, 0)], 30.0)), Class::Slow, "no pace to compare with");
        let mut stuck = stalled(1.9, 0, Some(NoProgress), vec![(1.0, 0), (31.0, 0)], 30.0);
        stuck.states_created = 2;
        assert_eq!(class(&stuck), Class::Livelock, "a create_state that never returned");
        assert_eq!(class(&stalled(1.9, 1, Some(TimeLimit), paced(), 0.5)), Class::Slow, "still progressing at the limit");
        assert_eq!(class(&stalled(0.01, 0, None, vec![], 0.0)), Class::Deadlock, "older evidence: asleep before any worker finished");
        let (c, why) = stalled_trial(&stalled(0.01, 2, None, vec![], 0.0), 3);
        assert_eq!(c, Class::Slow, "older evidence cannot tell a late sleeper from a slow one");
        assert!(why.contains("late deadlock"), "{why}");
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
        let c = CellResult {
            cell,
            audio_s: 3.0,
            trials: vec![stalled(1.9, 1, Some(Stop::TimeLimit), paced(), 0.5), stalled(1.9, 0, Some(Stop::NoProgress), paced(), 30.0)],
            error: None,
        };
        let j = judge(std::slice::from_ref(&c), &c, 2);
        assert_eq!(j.class, Class::Livelock);
        assert!(j.reason.starts_with("2 of 2 trials stalled"), "{}", j.reason);
        assert!(Class::Livelock.is_race_symptom() && !Class::Livelock.is_collapse() && Class::Slow.is_collapse());
    }
}
