//! Claim 1 of the seed: whisper-rs `create_state` races
//! (<https://codeberg.org/tazz4843/whisper-rs>, `src/whisper_ctx.rs`
//! `unsafe impl Send/Sync for WhisperInnerContext`).
//!
//! The seed's three tests, on the real model, each trial in its own process
//! under a heartbeat watchdog, so they always terminate; each asserts the
//! classified outcome. Plus the quick matrix end to end (`harness repro
//! whisper-race --quick`), into temporary folders.

use std::path::PathBuf;
use std::time::Duration;

use harness::claims::whisper_rs_race::judge::{self, Class};
use harness::claims::whisper_rs_race::matrix::{Cell, CellResult, Guard, Phase};
use harness::claims::whisper_rs_race::trial;
use harness::forks::variant::WhisperVariant;
use harness::models::{catalog, locate};

/// Trials are timed against the cores: tests in this file must not run at
/// the same time (cargo runs a binary's tests on parallel threads).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn cell_exe() -> PathBuf {
    let exe = harness::paths::workspace_root().join("target/release/whisper-race-cell");
    assert!(exe.is_file(), "{} is missing: cargo build --release -p whisper-race-cell (scripts/test.sh does)", exe.display());
    exe
}

fn cell(k: usize, n_threads: usize, phase: Phase, guard: Guard) -> Cell {
    Cell { group: "seed".into(), variant: WhisperVariant::workspace_default(), k, n_threads, phase, guard, trials: 1 }
}

/// Runs `c` and the single-state baseline, and judges `c`.
fn classify(c: Cell) -> (Class, String) {
    let _one_at_a_time = serial();
    let model = locate::require(catalog::id::WHISPER_GGML).unwrap_or_else(|e| panic!("{e}"));
    let clip = harness::media::speech_clips()[1].clone();
    let run = |c: &Cell| CellResult {
        cell: c.clone(),
        audio_s: 2.99,
        trials: vec![trial::run(&cell_exe(), &model, &clip, c, Duration::from_secs(90), Duration::from_secs(30))],
        error: None,
    };
    let base = run(&cell(1, 1, Phase::Both, Guard::None));
    let this = run(&c);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let j = judge::judge(&[base, this.clone()], &this, cores);
    (j.class, format!("{j:?}\n{:?}", this.trials))
}

/// The claim is a race (hang, crash, wrong output). Speed is not asserted
/// here: a loaded machine may make a cell `slow`, which the matrix's report
/// judges, not a test.
fn assert_no_race_symptom(class: Class, detail: &str) {
    assert!(class != Class::NotRun && !class.is_race_symptom(), "{}: {detail}", class.as_str());
}

#[test]
fn test_whisper_context_concurrent_create_state_without_mutex() {
    let (class, detail) = classify(cell(3, 1, Phase::Both, Guard::None));
    assert_no_race_symptom(class, &detail);
}

#[test]
fn test_whisper_context_concurrent_create_state_with_mutex() {
    let (class, detail) = classify(cell(3, 1, Phase::Both, Guard::All));
    assert_no_race_symptom(class, &detail);
}

#[test]
fn test_recommended_usage_pattern() {
    let (class, detail) = classify(cell(3, 1, Phase::Both, Guard::Create));
    assert_no_race_symptom(class, &detail);
}

#[test]
fn quick_race_matrix_runs_and_renders_its_reports() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let (ev, rep) = (dir.path().join("evidence"), dir.path().join("reports"));
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(args)
            .env("HARNESS_EVIDENCE_DIR", &ev)
            .env("HARNESS_SCRATCH_DIR", dir.path().join("scratch"))
            .env("HARNESS_REPORTS_DIR", &rep)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["repro", "whisper-race", "--quick", "--promote"]);
    run(&["report", "whisper-rs-race"]);
    let md = std::fs::read_to_string(rep.join("whisper-rs-race.md")).unwrap();
    for part in ["## The matrix", "## Verdict", "Does concurrent `create_state` race?", "## What to file", "## Environment"] {
        assert!(md.contains(part), "report lacks {part}");
    }
    // Rendering is deterministic: the same evidence gives the same bytes.
    run(&["report", "whisper-rs-race"]);
    assert_eq!(md, std::fs::read_to_string(rep.join("whisper-rs-race.md")).unwrap());
    assert!(rep.join("whisper-rs-vad-ignored.md").is_file());
}
