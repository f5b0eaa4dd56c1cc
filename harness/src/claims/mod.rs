//! Claims: one module per upstream claim of the seed, holding how it is
//! measured, the rule that decides it and how its report reads.

pub mod by_machine;
pub mod error;
pub mod ffmpeg_swscale;
pub mod image_jpeg;
pub mod instruction_counts;
pub mod ledger;
pub mod ort_mutex;
pub mod ort_run_api;
pub mod ort_tensor_copy;
pub mod registry;
pub mod rustfft_parallel;
pub mod seed_figures;
pub mod tokenizers_weight;
pub mod verdict;
pub mod whisper_batch;
pub mod whisper_rs_abort_callback;
pub mod whisper_rs_race;

use std::path::PathBuf;

use crate::evidence::store::{self, Evidence};

/// The verdict table of a report: each part's question, and its verdict's
/// label and figures (in the parts' order; a part without a verdict says so).
pub fn verdict_table(parts: &[registry::Part], verdicts: &[verdict::Verdict]) -> String {
    let rows: Vec<Vec<String>> = parts
        .iter()
        .map(|p| {
            let v = verdicts.iter().find(|v| v.part == p.id);
            vec![p.question.to_string(), v.map_or("(no verdict)".to_string(), |v| format!("{}: {}.", v.outcome.label(), v.figures))]
        })
        .collect();
    crate::report::markdown::table(&["part of the claim", "verdict"], &rows)
}

pub use crate::evidence::criterion::BenchData;
pub use error::ClaimError;

/// Options of `harness repro`.
#[derive(Debug, Clone, Default)]
pub struct ReproOptions {
    pub quick: bool,
    pub helgrind: bool,
    /// Only build what the repro needs, then stop.
    pub prepare: bool,
    /// A whisper.cpp source tree to run the race's cells on instead of the
    /// bundled one (`whisper_rs_race::newer`).
    pub whisper_cpp: Option<PathBuf>,
}

/// Runs a reproduction: its options and progress; the files written or built.
pub type ReproFn = fn(ReproOptions, &dyn Fn(&str)) -> Result<Vec<PathBuf>, crate::claims::ClaimError>;

/// A reproduction `harness repro NAME` runs: it stores evidence (or, with
/// `prepare`, only builds) and returns the files written or built.
pub struct Reproduction {
    pub name: &'static str,
    /// The claim's id, also accepted as the name.
    pub claim: &'static str,
    pub run: ReproFn,
}

/// Every reproduction, the one list the CLI reads.
pub const REPRODUCTIONS: &[Reproduction] = &[
    Reproduction {
        name: "whisper-race",
        claim: whisper_rs_race::CLAIM,
        run: |o, progress| {
            if let Some(tree) = &o.whisper_cpp {
                Ok(vec![whisper_rs_race::newer::run(tree, o.quick, progress)?])
            } else if o.prepare {
                whisper_rs_race::prepare(o.quick, o.helgrind, progress)
            } else {
                Ok(vec![whisper_rs_race::run(whisper_rs_race::Params { quick: o.quick, helgrind: o.helgrind }, progress)?])
            }
        },
    },
    Reproduction {
        name: "whisper-abort-callback",
        claim: whisper_rs_abort_callback::CLAIM,
        run: |o, progress| if o.prepare { Ok(vec![]) } else { Ok(vec![whisper_rs_abort_callback::run(progress)?]) },
    },
];

/// Looks a reproduction up by its name or its claim's id.
pub fn reproduction(name: &str) -> Result<&'static Reproduction, crate::claims::ClaimError> {
    REPRODUCTIONS.iter().find(|r| r.name == name || r.claim == name).ok_or_else(|| ClaimError::Unknown {
        kind: "reproduction",
        name: name.to_string(),
        known: REPRODUCTIONS.iter().map(|r| r.name).collect::<Vec<_>>().join(", "),
    })
}

/// The repro and benchmark `harness fork check` runs for a crate's patches.
pub fn fork_repro(krate: &str) -> Option<crate::forks::check::MeasureFn> {
    match krate {
        "whisper-rs" => Some(whisper_rs_race::fork::measure),
        "ort" => Some(crate::forks::ort_cell::measure),
        _ => None,
    }
}

/// A claim decided from criterion benchmarks: where its samples come from.
pub struct BenchClaim {
    pub claim: &'static str,
    /// The `cargo bench --bench NAME` that measures it.
    pub bench: &'static str,
    /// Group-name prefix of its benchmarks.
    pub prefix: &'static str,
    /// Extra measurements taken at import time (e.g. a CLI probe).
    pub probe: Option<fn() -> serde_json::Value>,
}

/// The bench-backed claims.
pub const BENCH_CLAIMS: &[BenchClaim] = &[
    BenchClaim { claim: rustfft_parallel::CLAIM, bench: "fft", prefix: rustfft_parallel::PREFIX, probe: Some(rustfft_parallel::probe) },
    BenchClaim { claim: image_jpeg::CLAIM, bench: "jpeg", prefix: image_jpeg::PREFIX, probe: Some(image_jpeg::probe) },
    BenchClaim { claim: ort_tensor_copy::CLAIM, bench: "copy", prefix: ort_tensor_copy::PREFIX, probe: Some(crate::experiments::tensor_input::probe) },
    BenchClaim { claim: ffmpeg_swscale::CLAIM, bench: "swscale", prefix: ffmpeg_swscale::PREFIX, probe: Some(ffmpeg_swscale::probe) },
];

/// Looks a bench-backed claim up.
pub fn bench_claim(name: &str) -> Option<&'static BenchClaim> {
    BENCH_CLAIMS.iter().find(|c| c.claim == name)
}

/// Imports the claim's criterion samples (`raw.csv`) into a new evidence file.
pub fn import_bench(c: &BenchClaim, started_at: &str) -> Result<PathBuf, crate::claims::ClaimError> {
    let benches = crate::evidence::criterion::import(&crate::evidence::criterion::default_dir(), c.prefix)?;
    if benches.is_empty() {
        return Err(ClaimError::Measurement {
            what: format!("criterion results with group prefix `{}` under target/criterion", c.prefix),
            problem: format!("none found: run `cargo bench --bench {}` first", c.bench),
        });
    }
    let evidence = Evidence::new(
        c.claim,
        started_at.into(),
        serde_json::json!({ "bench": c.bench, "source": "target/criterion/**/new/raw.csv" }),
        vec![],
        BenchData { benches, extra: c.probe.map(|p| p()).unwrap_or(serde_json::Value::Null) },
    );
    store::write_new(c.claim, &evidence).map_err(crate::claims::error::scratch)
}

/// Runs `cargo bench --bench B` for a bench-backed claim (briefly with
/// `quick`: `HARNESS_BENCH_QUICK=1`), then imports its samples into the
/// scratch store; the evidence records the bench run's own commit, time
/// and machine, since both happen here in one step.
pub fn measure_bench(claim: &str, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, crate::claims::ClaimError> {
    let c = bench_claim(claim).ok_or_else(|| ClaimError::Unknown {
        kind: "bench-backed claim",
        name: claim.to_string(),
        known: BENCH_CLAIMS.iter().map(|c| c.claim).collect::<Vec<_>>().join(", "),
    })?;
    progress(&format!("cargo bench --bench {}{}", c.bench, if quick { " (quick)" } else { "" }));
    let started_at = crate::evidence::run::now_utc();
    let mut cmd = crate::process::cargo();
    cmd.args(["bench", "--locked", "--bench", c.bench]).current_dir(crate::paths::workspace_root());
    if quick {
        cmd.env("HARNESS_BENCH_QUICK", "1");
    }
    // criterion's and cargo's progress (stderr) is shown as it comes; the
    // error keeps the end of it.
    let shown: crate::process::OnLine = Some(Box::new(|l: &str| eprintln!("{l}")));
    crate::process::spawn(&mut cmd, None, shown).and_then(|r| r.wait(crate::process::limit::BUILD)).and_then(|f| f.success())?;
    import_bench(c, &started_at)
}

/// Every report `harness report` can render, by name: the pipeline's own,
/// then one per claim of the registry.
pub fn report_names() -> Vec<&'static str> {
    [crate::experiments::pipeline_perf::EXPERIMENT, crate::evidence::fuzz::EXPERIMENT].into_iter().chain(registry::ids()).collect()
}

/// Renders the named report from its pinned evidence; returns the files written.
pub fn render_report(name: &str) -> Result<Vec<PathBuf>, crate::claims::ClaimError> {
    if name == crate::experiments::pipeline_perf::EXPERIMENT {
        return Ok(vec![crate::report::pipeline_perf::render_latest()?]);
    }
    if name == crate::evidence::fuzz::EXPERIMENT {
        return Ok(vec![crate::report::fuzzing::render_latest()?]);
    }
    let claim = registry::find(name).ok_or_else(|| ClaimError::Unknown { kind: "report", name: name.to_string(), known: report_names().join(", ") })?;
    let sources = registry::Sources::pinned(claim)?;
    let mut pages = claim.render(&sources)?;
    // Several machines' evidence pinned: the claim's main page shows each one's verdicts.
    if let (Some(section), Some((_, page))) = (by_machine::section(claim)?, pages.first_mut()) {
        let at = page.markdown.find("\n## What to file").map_or(page.markdown.len(), |i| i + 1);
        page.markdown.insert_str(at, &format!("{}\n", section.markdown));
        // The headline verdicts are one machine's: say whose, and what differs.
        if let Some(i) = page.markdown.find("\n## Verdict\n\n") {
            page.markdown.insert_str(i + "\n## Verdict\n\n".len(), &section.headline);
        }
    }
    pages.into_iter().map(|(file, page)| crate::report::write(&file, &page).map_err(error::io(&crate::report::reports_dir().join(&file)))).collect()
}

/// One claim's verdicts as judged from some evidence (or why not).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ClaimVerdicts {
    pub claim: String,
    pub seed: Option<u8>,
    pub verdicts: Vec<verdict::Verdict>,
    /// Why no verdicts could be judged (missing or unreadable evidence).
    pub error: Option<String>,
}

/// Every claim judged from its pinned evidence.
pub fn pinned_verdicts() -> Vec<ClaimVerdicts> {
    registry::ALL
        .iter()
        .map(|c| {
            let judged = registry::Sources::pinned(*c).and_then(|s| c.judge(&s));
            let (verdicts, error) = match judged {
                Ok(v) => (v, None),
                Err(e) => (vec![], Some(e.to_string())),
            };
            ClaimVerdicts { claim: c.id().to_string(), seed: c.seed_number(), verdicts, error }
        })
        .collect()
}

/// A plain-text table: claim, part, verdict (figures left out: the reports
/// carry them).
pub fn verdicts_table(rows: &[ClaimVerdicts]) -> String {
    let mut s = format!("{:<28} {:<22} {}\n", "claim", "part", "verdict");
    for r in rows {
        if let Some(e) = &r.error {
            s += &format!("{:<28} {:<22} error: {e}\n", r.claim, "-");
        }
        for v in &r.verdicts {
            s += &format!("{:<28} {:<22} {}\n", r.claim, v.part, v.outcome.as_str());
        }
    }
    s
}
