//! ort's `run-shared` patch: `repro/ort-shared-cell/main.rs` built against
//! the unpatched and the patched ort through `[patch.crates-io]` in
//! generated projects (`target/forks/ort-<v>/cell-*`), then the repro (can a
//! shared session be called through `&self` from two threads?) and the
//! benchmark (one `Mutex<Session>` vs `run_shared` on Silero VAD, two
//! threads, in alternation).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::check::{BenchPair, Measured, Repro, Sides};
use super::ForkError;
use crate::models::{catalog::id, locate};

/// Builds the cell against `fork` with `features`; Ok(exe) or Err(first error).
fn build(work: &Path, label: &str, version: &str, fork: &Path, features: &[&str]) -> Result<Result<PathBuf, String>, ForkError> {
    let dir = work.join(format!("cell-{label}"));
    let io = |e: std::io::Error| ForkError::Io(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(&dir).map_err(io)?;
    let main = crate::paths::workspace_root().join("repro/ort-shared-cell/main.rs");
    crate::manifest::Manifest::package("ort-shared-cell", "forks::ort_cell")
        .bin("ort-shared-cell", &main)
        .dependency("ort", crate::manifest::exact(version, &["load-dynamic", "ndarray", "std", "api-31"], false))
        .feature("run_shared", &[])
        .patch("ort", fork)
        .write(&dir)
        .map_err(io)?;
    if !dir.join("Cargo.lock").exists() {
        let _ = std::fs::copy(crate::paths::workspace_root().join("Cargo.lock"), dir.join("Cargo.lock"));
    }
    // Its own target folder: the cells are one root package built against
    // two forks, and cargo must not take one side's artefacts for the other's.
    let target = dir.join("target");
    let mut c = crate::process::cargo();
    c.args(["build", "--release", "--quiet", "--message-format=json"]).current_dir(&dir).env("CARGO_TARGET_DIR", &target);
    if !features.is_empty() {
        c.arg("--features").arg(features.join(","));
    }
    let o = crate::process::output(&mut c, crate::process::limit::BUILD)?;
    if !o.status.success() {
        return Ok(Err(crate::process::cargo_output::first_error_json(&o.stdout, &o.stderr_text(), 8)));
    }
    let exe = dir.join("ort-shared-cell");
    std::fs::copy(target.join("release/ort-shared-cell"), &exe).map_err(io)?;
    Ok(Ok(exe))
}

fn cell(exe: &Path, lib: &Path, model: &Path, threads: usize, mode: &str, millis: u64) -> Result<(f64, f64), ForkError> {
    let o =
        crate::process::output(Command::new(exe).arg(lib).arg(model).arg(threads.to_string()).arg(mode).arg(millis.to_string()), crate::process::limit::PROBE)?;
    let failed = |message: String| ForkError::Cell { mode: mode.to_string(), message };
    if !o.status.success() {
        return Err(failed(String::from_utf8_lossy(&o.stderr).trim().to_string()));
    }
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).map_err(|e| failed(format!("unreadable output: {e}")))?;
    let calls: u64 = v["calls"].as_array().map(|a| a.iter().filter_map(|x| x.as_u64()).sum()).unwrap_or(0);
    Ok((calls as f64 / v["seconds"].as_f64().unwrap_or(f64::NAN), v["checksum"].as_f64().unwrap_or(f64::NAN)))
}

/// Instructions per call of one thread through the mutex, counted by
/// valgrind (cachegrind, no cache simulation) as the difference between
/// 120 and 20 calls, so set-up cancels out.
fn instructions_per_call(exe: &Path, lib: &Path, model: &Path) -> Result<f64, ForkError> {
    let (lib, model) = (lib.display().to_string(), model.display().to_string());
    let count = |calls: u64| crate::measure::instructions::count(exe, &[&lib, &model, "1", "mutex", &format!("calls:{calls}")]);
    Ok((count(120)? as f64 - count(20)? as f64) / 100.0)
}

/// Builds both sides and measures `run-shared`.
pub fn measure(s: &Sides, progress: &dyn Fn(&str)) -> Result<Measured, ForkError> {
    let (p, version, before, after, work, quick) = (s.patch, s.version, s.before, s.after, s.work, s.quick);
    let mut m = Measured::default();
    if p.repro.as_deref() != Some("run-shared") {
        m.notes.push(format!("no repro or benchmark applies to patch {} (its header has no `Repro: run-shared`): the crate's own tests only", p.name));
        return Ok(m);
    }
    progress("building the ort cell against the unpatched copy");
    let before_exe =
        build(work, "unpatched", version, before, &[])?.map_err(|e| ForkError::DoesNotBuild { which: "unpatched ort cell".into(), first_error: e })?;
    progress("building the ort cell against the unpatched copy with run_shared (expected to fail)");
    let before_shared = build(work, "unpatched-run-shared", version, before, &["run_shared"])?;
    progress("building the ort cell against the patched copy");
    let after_exe = build(work, &p.name, version, after, &["run_shared"])?
        .map_err(|e| ForkError::DoesNotBuild { which: format!("patched ({}) ort cell", p.name), first_error: e })?;
    for (label, fork) in [("unpatched", before), (p.name.as_str(), after)] {
        let project = work.join(format!("cell-{label}"));
        m.proof.push(super::proof::patched_source_used(&project.join("Cargo.lock"), "ort")?);
        m.proof.push(super::proof::compiled_from(&project, "ort", fork)?);
    }
    let lib = crate::models::onnxruntime::find_library()?;
    let model = locate::require(id::SILERO)?;
    let millis = if quick { 300 } else { 2000 };
    // Repro: calling one session through &self from two threads.
    let before_repro = match &before_shared {
        Ok(_) => ("`run_shared` compiled against the unpatched ort (unexpected)".to_string(), false),
        Err(e) => (format!("does not compile: {}", e.lines().find(|l| l.contains("run_shared") || l.starts_with("error")).unwrap_or("").trim()), true),
    };
    let after_run = cell(&after_exe, &lib, &model, 2, "shared", 200);
    let mutex_ref = cell(&after_exe, &lib, &model, 1, "mutex", 100);
    let (after_text, after_problem) = match (&after_run, &mutex_ref) {
        (Ok((_, c)), Ok((_, r))) if c == r => {
            (format!("2 threads call `run_shared` on one `Arc<Session>`: ok, same output as through the mutex (checksum {c:.6})"), false)
        }
        (Ok((_, c)), Ok((_, r))) => (format!("runs, but the output differs from the mutex path ({c} vs {r})"), true),
        (Err(e), _) | (_, Err(e)) => (format!("fails: {e}"), true),
    };
    m.repro.push(Repro {
        name: "one Silero session shared by 2 threads through `&self`".into(),
        before: before_repro.0,
        after: after_text,
        problem_before: before_repro.1,
        problem_after: after_problem,
    });
    // Benchmark, in alternation.
    let rounds = if quick { 1 } else { super::report::REPORT_GRADE_PAIRS };
    let (mut bm, mut am, mut ash) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..rounds {
        progress(&format!("benchmark round {}/{rounds}: 2 threads, mutex (unpatched), mutex (patched), run_shared (patched)", r + 1));
        bm.push(cell(&before_exe, &lib, &model, 2, "mutex", millis)?.0);
        am.push(cell(&after_exe, &lib, &model, 2, "mutex", millis)?.0);
        ash.push(cell(&after_exe, &lib, &model, 2, "shared", millis)?.0);
    }
    m.bench.push(BenchPair {
        name: "2 threads, `Mutex<Session>`: unpatched vs patched (wall clock)".into(),
        unit: "calls/s".into(),
        higher_is_better: true,
        before: bm.clone(),
        after: am,
        overhead_limit: None,
        fewer_because: None,
    });
    // The 1% question on the existing path, decided by instruction counts.
    // Six: the fewest pairs whose median interval reaches 95%
    // (`measure::stats`); counts barely vary, so more would add minutes only.
    let reps = if quick { 1 } else { 6 };
    let (mut ib, mut ia) = (Vec::new(), Vec::new());
    for r in 0..reps {
        progress(&format!("instruction counts {}/{reps}: one thread through the mutex, unpatched and patched, under valgrind", r + 1));
        ib.push(instructions_per_call(&before_exe, &lib, &model)?);
        ia.push(instructions_per_call(&after_exe, &lib, &model)?);
    }
    m.bench.push(BenchPair {
        name: "1 thread, `Mutex<Session>`: instructions per call (valgrind), the patch's cost on the existing path".into(),
        unit: "instructions".into(),
        higher_is_better: false,
        before: ib,
        after: ia,
        overhead_limit: Some(0.01),
        fewer_because: Some("instruction counts under valgrind repeat to within 0.1%; six are the fewest that give a 95% interval".into()),
    });
    m.bench.push(BenchPair {
        name: "2 threads: `Mutex<Session>` unpatched vs `run_shared` patched (what the new API gives)".into(),
        unit: "calls/s".into(),
        higher_is_better: true,
        before: bm,
        after: ash,
        overhead_limit: None,
        fewer_because: None,
    });
    Ok(m)
}
