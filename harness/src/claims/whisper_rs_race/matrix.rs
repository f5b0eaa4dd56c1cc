//! The race matrix: which cells run, and why those. The full cross product
//! (K x n_threads x phase x guard x build x version = 540 cells) is not
//! needed: each group below separates one hypothesis from the others.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::trial::{self, Trial};
use crate::forks::variant::{self, WhisperVariant};
use crate::models::{catalog, locate};

/// What the workers do concurrently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Only `create_state`, all at once.
    Create,
    /// States made one by one first; only `full` runs concurrently.
    Full,
    /// Each worker creates its state and runs `full`.
    Both,
}

/// Which mutex is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Guard {
    None,
    /// Around `create_state` only (the recommended pattern).
    Create,
    /// Around `create_state` and `full` (the seed's fix: serialises inference).
    All,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Create => "create",
            Phase::Full => "full",
            Phase::Both => "both",
        }
    }
}

impl Guard {
    pub fn as_str(self) -> &'static str {
        match self {
            Guard::None => "none",
            Guard::Create => "create",
            Guard::All => "all",
        }
    }
}

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Cell {
    /// The hypothesis group the cell belongs to.
    pub group: String,
    pub variant: WhisperVariant,
    pub k: usize,
    pub n_threads: usize,
    pub phase: Phase,
    pub guard: Guard,
    pub trials: usize,
}

/// The groups, with the reason each exists (rendered into the report).
pub const GROUPS: &[(&str, &str)] = &[
    ("A: create_state race", "K threads call create_state on one context at once, no lock, many trials, both versions: if create_state races, some trials crash, hang or fail; the lock around create_state is the control."),
    ("B: concurrent full", "States made serially, then K threads run full at once on one context: checks that states are independent (transcripts must equal the single-state transcript)."),
    ("C: oversubscription", "Each worker creates a state and runs full, no lock, K states x n_threads against the cores: the hypothesis that the 'hang' is spinning ggml threads starved of CPU, not a deadlock."),
    ("D: the seed's fix and the recommended pattern", "The seed's mutex around everything (serialises inference) and the lock around create_state only, at the seed's K = 3 and whisper.cpp's default thread count."),
    ("E: OpenMP build", "whisper-rs's `openmp` feature: ggml's OpenMP threads instead of its own spin-barrier pool, at oversubscribed settings."),
    ("F: the seed's version", "whisper-rs 0.15.1 (whisper.cpp 1.7.6), the version the seed used: the create_state race and the oversubscribed cells again."),
];

/// The cells; `quick` is the CI variant (under 2 minutes).
pub fn cells(quick: bool) -> Vec<Cell> {
    let v16 = WhisperVariant::workspace_default();
    let v15 = WhisperVariant::registry("0.15.1", &[]);
    let omp = WhisperVariant::registry("0.16.0", &["openmp"]);
    let cell = |group: usize, variant: &WhisperVariant, k: usize, n_threads: usize, phase: Phase, guard: Guard, trials: usize| Cell {
        group: GROUPS[group].0.to_string(),
        variant: variant.clone(),
        k,
        n_threads,
        phase,
        guard,
        trials,
    };
    let mut out = Vec::new();
    if quick {
        out.push(cell(0, &v16, 4, 1, Phase::Create, Guard::None, 3));
        out.push(cell(1, &v16, 2, 1, Phase::Full, Guard::None, 1));
        // (1, cores) and (2, 1): claim 5 compares one file with every core
        // against K states with one thread each.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for (k, n) in [(1, 1), (1, cores), (2, 1), (3, 1), (3, 4)] {
            out.push(cell(2, &v16, k, n, Phase::Both, Guard::None, 1));
        }
        out.push(cell(3, &v16, 3, 1, Phase::Both, Guard::All, 1));
        return out;
    }
    for k in [2, 4, 8] {
        out.push(cell(0, &v16, k, 1, Phase::Create, Guard::None, 10));
        out.push(cell(0, &v16, k, 1, Phase::Create, Guard::Create, 3));
    }
    for k in [2, 3] {
        out.push(cell(1, &v16, k, 1, Phase::Full, Guard::None, 3));
    }
    // Oversubscribed cells are where stalls happen: OVERSUBSCRIBED_TRIALS
    // each, so a stall rate shows; cells within the cores need fewer.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let trials = |k: usize, n: usize| if k * n <= cores { 2 } else { OVERSUBSCRIBED_TRIALS };
    for k in [1, 2, 3, 4] {
        for n in [1, 2, 4] {
            out.push(cell(2, &v16, k, n, Phase::Both, Guard::None, trials(k, n)));
        }
    }
    for n in [1, 2, 4] {
        out.push(cell(3, &v16, 3, n, Phase::Both, Guard::All, trials(1, n)));
        out.push(cell(3, &v16, 3, n, Phase::Both, Guard::Create, trials(3, n)));
    }
    out.push(cell(4, &omp, 1, 2, Phase::Both, Guard::None, 2));
    for n in [2, 4] {
        out.push(cell(4, &omp, 3, n, Phase::Both, Guard::None, trials(3, n)));
    }
    for k in [2, 8] {
        out.push(cell(5, &v15, k, 1, Phase::Create, Guard::None, 10));
    }
    for (k, n) in [(1, 1), (1, 4), (3, 1), (3, 4)] {
        out.push(cell(5, &v15, k, n, Phase::Both, Guard::None, trials(k, n)));
    }
    out
}

/// The cells run on a replaced whisper.cpp (`newer`): the create_state
/// race and the oversubscribed cells of group F, on `variant`.
pub fn newer_cells(bundled: &WhisperVariant, newer: &WhisperVariant, quick: bool, cores: usize) -> Vec<Cell> {
    let trials = |k: usize, n: usize| {
        if quick {
            1
        } else if k * n <= cores {
            2
        } else {
            OVERSUBSCRIBED_TRIALS
        }
    };
    let group = NEWER_GROUP.0.to_string();
    // Each setting on both builds, one after the other: the comparison is
    // paired by setting within one run, so machine drift hits both alike.
    let pair = |k: usize, n_threads: usize, phase: Phase, trials: usize| {
        [bundled, newer].map(|v| Cell { group: group.clone(), variant: v.clone(), k, n_threads, phase, guard: Guard::None, trials })
    };
    let mut out = Vec::new();
    for k in [2, 8] {
        out.extend(pair(k, 1, Phase::Create, if quick { 3 } else { 10 }));
    }
    for (k, n) in [(1, 1), (1, 4), (3, 1), (3, 4)] {
        out.extend(pair(k, n, Phase::Both, trials(k, n)));
    }
    out
}

/// The group of `newer_cells`, with why it exists.
pub const NEWER_GROUP: (&str, &str) = (
    "G: a newer whisper.cpp",
    "whisper-rs 0.16.0 with whisper-rs-sys 0.15.0's source rebuilt on a newer whisper.cpp release (a local copy, `forks::whisper_cpp`): the create_state race and the oversubscribed cells of F again, each setting run on the bundled whisper.cpp and then on the newer one in the same run.",
);

/// Trials per cell where K x n_threads exceeds the cores (issue #12: at
/// least 5, so one stall in a cell is a rate, not an anecdote).
pub const OVERSUBSCRIBED_TRIALS: usize = 5;

/// A cell's trials.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellResult {
    pub cell: Cell,
    /// The clip's length (audio seconds per state).
    pub audio_s: f64,
    pub trials: Vec<Trial>,
    /// Set when the variant could not be built: the cell did not run.
    pub error: Option<String>,
}

/// Limits.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Limits {
    pub trial_limit_s: u64,
    pub stall_s: u64,
    pub budget_s: u64,
}

/// Runs the cells in order, within the budget; cells left when the budget is
/// spent are recorded as not run.
pub fn run(cells: &[Cell], limits: Limits, progress: &dyn Fn(&str)) -> Result<(Vec<CellResult>, String), crate::claims::ClaimError> {
    let model = locate::require(catalog::id::WHISPER_GGML)?;
    // The 3 s clip: short enough for many trials, long enough for one segment.
    let clip: PathBuf = crate::media::speech_clips()[1].clone();
    let audio_s = crate::stages::decode::read_audio_16k(&clip)?.len() as f64 / 16_000.0;
    let started = std::time::Instant::now();
    let mut exes = std::collections::BTreeMap::new();
    let mut results = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        if started.elapsed().as_secs() > limits.budget_s {
            results.push(CellResult {
                cell: cell.clone(),
                audio_s,
                trials: vec![],
                error: Some(format!("not run: the matrix budget of {} s was spent", limits.budget_s)),
            });
            continue;
        }
        let exe = exes.entry(cell.variant.clone()).or_insert_with(|| variant::build_race_cell(&cell.variant, progress).map_err(|e| e.to_string())).clone();
        let exe = match exe {
            Ok(e) => e,
            Err(e) => {
                results.push(CellResult { cell: cell.clone(), audio_s, trials: vec![], error: Some(e) });
                continue;
            }
        };
        progress(&format!(
            "cell {}/{}: {} K={} n_threads={} phase={} guard={} x{}",
            i + 1,
            cells.len(),
            cell.variant.name(),
            cell.k,
            cell.n_threads,
            cell.phase.as_str(),
            cell.guard.as_str(),
            cell.trials
        ));
        let trials = (0..cell.trials)
            .map(|_| trial::run(&exe, &model, &clip, cell, Duration::from_secs(limits.trial_limit_s), Duration::from_secs(limits.stall_s)))
            .collect();
        results.push(CellResult { cell: cell.clone(), audio_s, trials, error: None });
    }
    Ok((results, clip.display().to_string()))
}
