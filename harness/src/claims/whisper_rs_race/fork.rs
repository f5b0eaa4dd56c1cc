//! `harness fork check whisper-rs`: the race claim's repro and benchmark for
//! whisper-rs patches: the race cell (`repro/whisper-race-cell`) built
//! against the unpatched and the patched copy through `[patch.crates-io]`
//! (`forks::variant`), then each patch's repro and benchmark with the race
//! matrix's own trial runner and judge, before and after in alternation.

use crate::forks::report::REPORT_GRADE_PAIRS;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::judge::{judge, Class};
use super::matrix::{Cell, CellResult, Guard, Phase};
use super::trial;
use crate::forks::check::{BenchPair, Measured, Repro, Sides};
use crate::forks::variant::{build_race_cell, VariantError, WhisperVariant};
use crate::forks::ForkError;
use crate::models::{catalog::id, locate};

const TRIAL_LIMIT: Duration = Duration::from_secs(120);
const STALL: Duration = Duration::from_secs(30);

struct Side {
    variant: WhisperVariant,
    exe: std::path::PathBuf,
}

fn cell(variant: &WhisperVariant, k: usize, n_threads: usize, phase: Phase, trials: usize) -> Cell {
    Cell { group: "fork check".into(), variant: variant.clone(), k, n_threads, phase, guard: Guard::None, trials }
}

/// Runs `trials` trials of the same cell on both sides, alternating.
#[allow(clippy::too_many_arguments)] // one call site; the cell's coordinates read best spelled out
fn paired(sides: &[Side; 2], k: usize, n: usize, phase: Phase, trials: usize, model: &Path, clip: &Path, audio_s: f64) -> [CellResult; 2] {
    let cells = [cell(&sides[0].variant, k, n, phase, trials), cell(&sides[1].variant, k, n, phase, trials)];
    let mut res = [Vec::new(), Vec::new()];
    for _ in 0..trials {
        for i in 0..2 {
            res[i].push(trial::run(&sides[i].exe, model, clip, &cells[i], TRIAL_LIMIT, STALL));
        }
    }
    let [a, b] = res;
    let [ca, cb] = cells;
    [CellResult { cell: ca, audio_s, trials: a, error: None }, CellResult { cell: cb, audio_s, trials: b, error: None }]
}

fn describe(all: &[CellResult], c: &CellResult, cores: usize) -> (String, bool) {
    let j = judge(all, c, cores);
    (
        format!(
            "{} ({}/{} finished, {:.2} audio-s per s{})",
            j.class.as_str(),
            j.finished,
            c.trials.len(),
            j.audio_s_per_s,
            if j.reason.is_empty() { String::new() } else { format!("; {}", j.reason) }
        ),
        j.class != Class::Ok,
    )
}

fn walls(c: &CellResult) -> Vec<f64> {
    c.trials.iter().filter(|t| t.ending == trial::Ending::Finished).map(|t| t.wall_s).collect()
}

fn abort_probe(exe: &Path, model: &Path, clip: &Path) -> (String, bool) {
    match crate::process::output(
        Command::new(exe).arg(model).arg(clip).arg("--abort-callback-check").env("GGML_NO_BACKTRACE", "1"),
        crate::process::limit::PROBE,
    ) {
        Err(e) => (format!("could not run: {e}"), true),
        Ok(o) => {
            let line: Option<serde_json::Value> =
                String::from_utf8_lossy(&o.stdout).lines().find(|l| l.contains("abort-callback-check")).and_then(|l| serde_json::from_str(l).ok());
            let seen = line.as_ref().and_then(|l| l["seen"].as_u64());
            let exit = trial::describe_exit(o.status);
            match seen {
                Some(42) => (format!("the closure saw 42 (correct); {exit}"), false),
                Some(v) => (format!("the closure saw {v} instead of 42; {exit}"), true),
                None => (format!("no result ({exit})"), true),
            }
        }
    }
}

/// Builds both sides and measures the patch (`forks::check::MeasureFn`).
pub fn measure(s: &Sides, progress: &dyn Fn(&str)) -> Result<Measured, ForkError> {
    let (p, version, before, after, quick) = (s.patch, s.version, s.before, s.after, s.quick);
    let mut m = Measured::default();
    let variants = [WhisperVariant::fork(version, before, "fork-unpatched"), WhisperVariant::fork(version, after, &format!("fork-{}", p.name))];
    let mut sides = Vec::new();
    for (v, dir) in variants.iter().zip([before, after]) {
        let exe = build_race_cell(v, progress).map_err(|e| match e {
            VariantError::PatchUnused { reason, .. } => ForkError::PatchUnused(*reason),
            VariantError::Build { name, first_error, .. } => ForkError::DoesNotBuild { which: name, first_error },
            other => ForkError::Io(other.to_string()),
        })?;
        let project = crate::paths::workspace_root().join("target/variants").join(v.name());
        m.proof.push(crate::forks::proof::patched_source_used(&project.join("Cargo.lock"), "whisper-rs")?);
        m.proof.push(crate::forks::proof::compiled_from(&project, "whisper-rs", dir)?);
        sides.push(Side { variant: v.clone(), exe });
    }
    let sides: [Side; 2] = sides.try_into().map_err(|_| ForkError::Io("two sides".into()))?;
    let model = locate::require(id::WHISPER_GGML)?;
    let clip = crate::media::speech_clips()[1].clone();
    let audio_s = crate::stages::decode::read_audio_16k(&clip).map_err(|e| ForkError::Io(e.to_string()))?.len() as f64 / 16_000.0;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t = |full: usize| if quick { 1 } else { full };
    // The judge needs each side's single-state baseline.
    progress("baseline: one state, one thread, both sides");
    let base = paired(&sides, 1, 1, Phase::Both, t(2), &model, &clip, audio_s);
    let mut all: Vec<CellResult> = base.to_vec();
    match p.repro.as_deref().unwrap_or("") {
        "internal-mutex" => {
            progress("repro: 4 threads call create_state at once, no lock of ours");
            let r = paired(&sides, 4, 1, Phase::Create, t(5), &model, &clip, audio_s);
            all.extend(r.iter().cloned());
            let (b, pb) = describe(&all, &r[0], cores);
            let (a, pa) = describe(&all, &r[1], cores);
            m.repro.push(Repro { name: "concurrent create_state, K = 4".into(), before: b, after: a, problem_before: pb, problem_after: pa });
            progress("benchmark: 2 states, create_state + full each, 1 thread each");
            let r = paired(&sides, 2, 1, Phase::Both, t(REPORT_GRADE_PAIRS), &model, &clip, audio_s);
            m.bench.push(BenchPair {
                name: "2 states created and run at once (K = 2, n_threads = 1): wall per trial".into(),
                unit: "s".into(),
                higher_is_better: false,
                before: walls(&r[0]),
                after: walls(&r[1]),
                overhead_limit: Some(0.01),
                fewer_because: None,
            });
        }
        "thread-budget-guard" => {
            let n = cores.max(2);
            progress(&format!("repro: 2 states x {n} threads on {cores} cores (oversubscribed)"));
            let r = paired(&sides, 2, n, Phase::Both, t(3), &model, &clip, audio_s);
            all.extend(r.iter().cloned());
            let (b, pb) = describe(&all, &r[0], cores);
            let (a, pa) = describe(&all, &r[1], cores);
            m.repro.push(Repro {
                name: format!("oversubscribed: K = 2, n_threads = {n}, {cores} cores"),
                before: b,
                after: a,
                problem_before: pb,
                problem_after: pa,
            });
            m.bench.push(BenchPair {
                name: format!("K = 2, n_threads = {n} (oversubscribed): wall per trial"),
                unit: "s".into(),
                higher_is_better: false,
                before: walls(&r[0]),
                after: walls(&r[1]),
                overhead_limit: None,
                fewer_because: Some("an oversubscribed trial crawls (tens of seconds each), and the effect it shows is a collapse of several times, not percent".into()),
            });
            progress("benchmark: within the budget (K = 2, n_threads = 1): the guard's cost when it does nothing");
            let r = paired(&sides, 2, 1, Phase::Both, t(REPORT_GRADE_PAIRS), &model, &clip, audio_s);
            m.bench.push(BenchPair {
                name: "K = 2, n_threads = 1 (within the cores): wall per trial".into(),
                unit: "s".into(),
                higher_is_better: false,
                before: walls(&r[0]),
                after: walls(&r[1]),
                overhead_limit: Some(0.01),
                fewer_because: None,
            });
        }
        "abort-callback-fix" => {
            progress("repro: a closure capturing 42 as the abort callback");
            let (b, pb) = abort_probe(&sides[0].exe, &model, &clip);
            let (a, pa) = abort_probe(&sides[1].exe, &model, &clip);
            m.repro.push(Repro {
                name: "set_abort_callback_safe: the value the closure sees".into(),
                before: b,
                after: a,
                problem_before: pb,
                problem_after: pa,
            });
            m.notes.push("No benchmark: the change is a type parameter in `set_abort_callback_safe`; the call path of `full` is unchanged.".into());
        }
        "thread-budget-docs" => {
            m.notes.push("Documentation only (checked: every changed line is a comment), so no repro or benchmark can differ; the crate's tests and the build against the fork are still run.".into());
            let (b, _) = describe(&all, &base[0], cores);
            let (a, _) = describe(&all, &base[1], cores);
            m.repro.push(Repro {
                name: "single state (the fork builds and transcribes)".into(),
                before: b,
                after: a,
                problem_before: false,
                problem_after: false,
            });
        }
        other => m.notes.push(format!("no repro or benchmark named `{other}` (the header's `Repro:`) for patch {}: the crate's own tests only; known: internal-mutex, thread-budget-guard, abort-callback-fix, thread-budget-docs", p.name)),
    }
    Ok(m)
}
