//! Claim 1's figures from the seed, each against the matrix's cells and the
//! internal-mutex fork check, by `claims::seed_figures::judge`.

use super::judge::{Class, Judged};
use super::matrix::CellResult;
use super::matrix::{Guard, Phase};
use crate::claims::seed_figures::{Claimed, Row};
use crate::forks::check::Data as ForkData;

/// The fork check whose benchmark measures the seed's Option 2 ("internal
/// Mutex ... <1% overhead").
pub const INTERNAL_MUTEX: &str = "fork-whisper-rs-internal-mutex";

/// The internal mutex's cost, in percent of the unpatched time.
#[derive(Debug, Clone, PartialEq)]
pub struct Overhead {
    pub median: f64,
    /// The 95% interval, when there is one.
    pub interval: Option<(f64, f64)>,
    pub pairs: usize,
    /// The benchmark it comes from.
    pub bench: String,
}

/// The "<1% overhead" benchmark of the internal-mutex fork check.
pub fn mutex_overhead(fork: &ForkData) -> Option<Overhead> {
    let b = fork.measured.bench.iter().find(|b| b.overhead_limit.is_some())?;
    let e = crate::forks::report::cost(b);
    let pct = |x: f64| 100.0 * (x - 1.0);
    Some(Overhead {
        median: pct(e.median),
        interval: crate::claims::seed_figures::interval(&e).map(|(lo, hi)| (pct(lo), pct(hi))),
        pairs: e.n,
        bench: b.name.clone(),
    })
}

/// One row per figure of the seed's claim 1.
pub fn rows(cells: &[(&CellResult, Judged)], fork: Option<&ForkData>) -> Vec<Row> {
    let k3: Vec<&(&CellResult, Judged)> =
        cells.iter().filter(|(c, _)| c.cell.k == 3 && c.cell.guard == Guard::None && matches!(c.cell.phase, Phase::Both | Phase::Full)).collect();
    let trials: usize = k3.iter().map(|(c, _)| c.trials.len()).sum();
    let finished: usize = k3.iter().map(|(_, j)| j.finished).sum();
    let stalled: usize = k3.iter().map(|(_, j)| j.stalled).sum();
    // Each stalled trial by its own class (a cell's class is its worst trial's).
    let stall_classes: Vec<Class> = k3
        .iter()
        .flat_map(|(c, _)| c.trials.iter().filter(|t| t.ending == super::trial::Ending::Stalled).map(|t| super::judge::stalled_trial(t, c.cell.k).0))
        .collect();
    let asleep = stall_classes.iter().filter(|c| **c == Class::Deadlock).count();
    let livelocked = stall_classes.iter().filter(|c| **c == Class::Livelock).count();
    let versions: Vec<String> = {
        let mut v: Vec<String> = k3.iter().filter(|(_, j)| j.stalled > 0).map(|(c, _)| c.cell.variant.whisper_rs.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    let overhead = fork.and_then(mutex_overhead);
    vec![
        Row {
            quote: "Bulk mode with 3 parallel files: 2 complete, 1 hangs indefinitely",
            // The seed reports a symptom (a file never finishes); its cause is `hang-is-deadlock`'s question.
            claimed: Claimed::AtLeast(1.0),
            measured: (trials > 0).then_some(stalled as f64),
            interval: None,
            shown: format!(
                "{stalled} of {trials} trials in the {} unlocked K = 3 cells did not finish within their limit ({finished} finished; whisper-rs {} for the stalled); \
                 of the stalls, {asleep} had their threads asleep, {livelocked} burned CPU without completing an encoder or decoder pass, the others were starved \
                 (the cause: `hang-is-deadlock`)",
                k3.len(),
                if versions.is_empty() { "-".to_string() } else { versions.join(", ") }
            ),
        },
        Row {
            quote: "non-breaking, correct, <1% overhead",
            claimed: Claimed::AtMost(1.0),
            measured: overhead.as_ref().map(|o| o.median),
            interval: overhead.as_ref().and_then(|o| o.interval),
            shown: match &overhead {
                Some(o) => format!(
                    "{:.1}%{} (n = {} pairs) added by the internal-mutex patch: {} (the fork check below)",
                    o.median,
                    o.interval.map_or(String::new(), |(lo, hi)| format!(" [{lo:.1}%, {hi:.1}%]")),
                    o.pairs,
                    o.bench
                ),
                None => format!("no `{INTERNAL_MUTEX}` evidence pinned: `harness fork check whisper-rs --patch internal-mutex`"),
            },
        },
    ]
}
