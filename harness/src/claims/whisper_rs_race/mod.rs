//! Claim 1: "whisper-rs's `unsafe impl Send/Sync` is wrong; concurrent
//! `WhisperContext::create_state()` races; bulk mode with 3 files hung;
//! fixed by `Arc<OnceCell<Mutex<WhisperContext>>>`".
//!
//! `harness repro whisper-race` runs the matrix (`matrix.rs`, each trial a
//! process watched by `trial.rs`), the C side under helgrind (`helgrind.rs`),
//! the loom model of the seed's fix, and the VAD lead; `judge.rs` holds the
//! rules; `report.rs` renders `reports/whisper-rs-race.md`; `newer.rs` runs
//! the race's core cells on a newer whisper.cpp than whisper-rs-sys bundles.

pub mod collapse;
pub mod fork;
pub mod helgrind;
pub mod judge;
pub mod matrix;
pub mod newer;
pub mod parts;
pub mod report;
pub mod seed;
pub mod trial;

use crate::claims::ClaimError;
use std::path::PathBuf;
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::evidence::store::{self, Evidence};
use crate::forks::variant::{self, WhisperVariant};
use crate::models::{catalog, locate};

/// Claim id (evidence folder, report name).
pub const CLAIM: &str = "whisper-rs-race";

/// What the claim is, for the registry.
pub const INFO: crate::claims::registry::Info = crate::claims::registry::Info {
    id: CLAIM,
    title: "whisper-rs's `unsafe impl Send/Sync` is wrong: concurrent `create_state` races",
    seed: Some(1),
    upstream: "whisper-rs",
    method: crate::claims::registry::Method::Repro("whisper-race"),
    evidence: &[CLAIM],
    parts: parts::PARTS,
    seed_quote: &[
        "**Package**: whisper-rs v0.15.1",
        "**What we discovered**: WhisperContext.create_state() causes race conditions when called concurrently",
        "- Bulk mode with 3 parallel files: 2 complete, 1 hangs indefinitely",
        "- Fixed by wrapping in Mutex: `Arc<OnceCell<Mutex<WhisperContext>>>`",
        "**The `unsafe impl Send + Sync` is WRONG** - violates Rust's safety guarantees.",
        "- Recommended fix: Option 2 (internal Mutex) - non-breaking, correct, <1% overhead",
    ],
};

/// The versions of the ledger: the matrix builds both (`forks::variant`).
pub const VERSIONS: crate::claims::registry::Versions = crate::claims::registry::Versions { seed: "0.15.1", built_in: &["0.15.1", "0.16.0"] };

/// Claim 1 in the registry.
pub struct RaceClaim;

impl crate::claims::registry::Claim for RaceClaim {
    fn info(&self) -> &'static crate::claims::registry::Info {
        &INFO
    }
    fn measure(&self, quick: bool, progress: &dyn Fn(&str)) -> Result<Vec<(String, PathBuf)>, crate::claims::ClaimError> {
        Ok(vec![(CLAIM.to_string(), run(Params { quick, helgrind: false }, progress)?)])
    }
    fn judge(&self, sources: &crate::claims::registry::Sources) -> Result<Vec<crate::claims::verdict::Verdict>, crate::claims::ClaimError> {
        let ev: Evidence<Data> = store::read(sources.get(CLAIM)?)?;
        Ok(parts::rules(&report::judged(&ev), report::cores(&ev)))
    }
    fn render(&self, sources: &crate::claims::registry::Sources) -> Result<Vec<(String, crate::report::Page)>, crate::claims::ClaimError> {
        let path = sources.get(CLAIM)?;
        let mut pages = vec![(report::FILE.to_string(), report::render(path)?)];
        if let Some(vad) = report::render_vad(path)? {
            pages.push((report::VAD_FILE.to_string(), vad.into()));
        }
        Ok(pages)
    }
    fn versions(&self) -> Option<&'static crate::claims::registry::Versions> {
        Some(&VERSIONS)
    }
    fn ledger(&self, sources: &crate::claims::registry::Sources) -> Result<Vec<crate::claims::ledger::Entry>, crate::claims::ClaimError> {
        let ev: Evidence<Data> = store::read(sources.get(CLAIM)?)?;
        let mut entries = parts::by_version(&report::judged(&ev), report::cores(&ev));
        entries.extend(newer::ledger(&ev.environment)?);
        Ok(entries)
    }
}

/// The loom model's outcome, as the test runner printed it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoomResult {
    pub command: String,
    pub passed: bool,
    pub summary: String,
}

/// Everything the race experiment measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Data {
    pub clip: String,
    pub limits: matrix::Limits,
    pub cells: Vec<matrix::CellResult>,
    pub helgrind: Option<Result<helgrind::HelgrindSummary, String>>,
    pub loom: Option<LoomResult>,
    /// The VAD lead per whisper-rs variant (the cell's `--vad-check` line).
    pub vad: Vec<(String, Result<serde_json::Value, String>)>,
}

impl crate::evidence::store::DataSchema for Data {
    const VERSION: u32 = 1;
}

/// Knobs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Params {
    pub quick: bool,
    pub helgrind: bool,
}

/// The newest built loom test binary (`cargo test` builds it); running it
/// directly avoids a nested cargo, which would wait on the build lock when
/// this runs inside `cargo test`.
fn loom_binary() -> Option<PathBuf> {
    let deps = crate::paths::workspace_root().join("target/release/deps");
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(deps)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            n.starts_with("whisper_rs_race_loom-") && p.extension().is_none()
        })
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}

fn run_loom() -> LoomResult {
    let Some(bin) = loom_binary() else {
        return LoomResult {
            command: "repro/tests/whisper_rs_race_loom.rs".into(),
            passed: false,
            summary: "the loom test binary is not built: run `cargo test --release -p repro --test whisper_rs_race_loom` first".into(),
        };
    };
    let command = "cargo test --release -p repro --test whisper_rs_race_loom (its binary, run directly)".to_string();
    match crate::process::output(Command::new(&bin).arg("--test-threads=1"), crate::process::limit::PROBE) {
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout);
            let summary = text.lines().filter(|l| l.starts_with("test ")).collect::<Vec<_>>().join("\n");
            LoomResult { command, passed: o.status.success(), summary }
        }
        Err(e) => LoomResult { command, passed: false, summary: format!("could not run {}: {e}", bin.display()) },
    }
}

pub(crate) fn vad_check(v: &WhisperVariant, progress: &dyn Fn(&str)) -> Result<serde_json::Value, crate::claims::ClaimError> {
    let exe = variant::build_race_cell(v, progress)?;
    let model = locate::require(catalog::id::WHISPER_GGML)?;
    // Two clips with a long silence between them: where VAD would matter.
    let clip = crate::media::speech_clips()[1].clone();
    let out = crate::process::output(Command::new(exe).arg(model).arg(clip).arg("--vad-check").env("GGML_NO_BACKTRACE", "1"), crate::process::limit::PROBE)?;
    let line = String::from_utf8_lossy(&out.stdout).lines().find(|l| l.contains("vad-check")).map(String::from);
    match line {
        Some(l) => {
            serde_json::from_str(&l).map_err(|e| ClaimError::Measurement { what: out.command.clone(), problem: format!("unreadable vad-check line: {e}") })
        }
        None => Err(ClaimError::Measurement {
            what: out.command.clone(),
            problem: format!("no vad-check line (exit {:?}): {}", out.status.code(), String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")),
        }),
    }
}

/// Builds every whisper-rs variant the run would need (so the timed part
/// does not wait on compilers).
pub fn prepare(quick: bool, helgrind: bool, progress: &dyn Fn(&str)) -> Result<Vec<PathBuf>, crate::claims::ClaimError> {
    let mut variants: Vec<WhisperVariant> = matrix::cells(quick).into_iter().map(|c| c.variant).collect();
    if helgrind {
        variants.push(WhisperVariant::valgrind_compatible());
    }
    variants.sort();
    variants.dedup();
    variants.iter().map(|v| variant::build_race_cell(v, progress).map_err(ClaimError::from)).collect()
}

/// Runs the experiment and stores its evidence.
pub fn run(params: Params, progress: &dyn Fn(&str)) -> Result<PathBuf, crate::claims::ClaimError> {
    let started_at = crate::evidence::run::now_utc();
    let limits = if params.quick {
        matrix::Limits { trial_limit_s: 20, stall_s: 8, budget_s: 150 }
    } else {
        // A trial still completing passes runs to the limit (60 s, 30x a
        // single state's 2 s); one that completes no encoder or decoder pass
        // for 30 s is stopped.
        matrix::Limits { trial_limit_s: 60, stall_s: 30, budget_s: 3600 }
    };
    let cells = matrix::cells(params.quick);
    let (results, clip) = matrix::run(&cells, limits, progress)?;
    let mut data = Data { clip, limits, cells: results, helgrind: None, loom: None, vad: Vec::new() };
    progress("loom model of the seed's fix");
    data.loom = Some(run_loom());
    let variants: Vec<WhisperVariant> = if params.quick {
        vec![WhisperVariant::workspace_default()]
    } else {
        vec![WhisperVariant::workspace_default(), WhisperVariant::registry("0.15.1", &[])]
    };
    for v in variants {
        progress(&format!("VAD lead on {}", v.name()));
        let r = vad_check(&v, progress);
        data.vad.push((v.name(), r.map_err(|e| e.to_string())));
    }
    if params.helgrind {
        progress("helgrind: concurrent create_state + full, K = 2 (slow: minutes)");
        let r = variant::build_race_cell(&WhisperVariant::valgrind_compatible(), progress).map_err(ClaimError::from).and_then(|exe| {
            let model = locate::require(catalog::id::WHISPER_GGML)?;
            helgrind::run(&exe, &model, &crate::media::speech_clips()[1], 900)
        });
        data.helgrind = Some(r.map_err(|e| e.to_string()));
    }
    let evidence = Evidence::new(CLAIM, started_at, serde_json::to_value(params).unwrap_or_default(), vec![], data);
    store::write_new(CLAIM, &evidence).map_err(crate::claims::error::scratch)
}
