//! Claim 2: "ort's `Session::run(&mut self)` forces `Arc<Mutex<Session>>`;
//! if the Mutex has <1% overhead the API change is not critical; else add
//! `run_shared(&self)`". Decided from `harness experiment ort-mutex`; the
//! API part (`run` takes `&mut self`, per ort version) from `harness
//! experiment ort-api` (`claims::ort_run_api`).
//!
//! Rules: (1) the uncontended lock's cost is mutex / per-thread throughput at
//! one thread, decided against 1% only when its 95% interval is narrower than
//! +/-0.5%; (2) the cost of sharing one session is mutex / per-thread
//! throughput at threads = cores; (3) fairness is min/max completions per
//! thread (1 = fair).

use std::path::Path;

use super::registry::{Claim, Info, Method, Part, Sources, Versions};
use super::verdict::{comparison, side, Outcome, Side, Verdict};
use crate::evidence::store::{self, Evidence};
use crate::experiments::ort_mutex::{CellRun, Data, EXPERIMENT};
use crate::measure::stats::{estimate, median, ratio, Estimate};
use crate::report::chart::{bars, Bar};
use crate::report::markdown::{environment, est, table};
use crate::report::Page;

/// Report file.
pub const FILE: &str = "ort-mutex.md";

fn throughput(r: &CellRun) -> f64 {
    r.per_thread_calls.iter().sum::<u64>() as f64 / r.duration_s
}

fn cells<'a>(d: &'a Data, model: &str, strategy: &str, threads: usize) -> Vec<&'a CellRun> {
    d.runs.iter().filter(|r| r.model == model && r.strategy == strategy && r.threads == threads).collect()
}

/// "Under 1% overhead": mutex / per-thread throughput at one thread.
pub const UNCONTENDED_LIMIT: f64 = 0.99;
/// Sharing one session loses throughput when mutex / per-thread at all
/// cores stays below this.
pub const SHARED_LOSS: f64 = 0.9;
/// Fewest / most calls per thread under this (the whole interval over
/// repeats): the lock starves threads; at or above it: it does not.
pub const UNFAIR: f64 = 0.5;
/// Prepacked weights "save" memory when an extra session costs under this
/// share of one with its own weights.
pub const PREPACK_SAVES: f64 = 0.8;

/// The parts of claim 2.
pub const PARTS: &[Part] = &[
    super::ort_run_api::PART,
    Part { id: "uncontended-lock", question: "the `Mutex` that `&mut self` forces costs over 1% (uncontended, mutex / per-thread at 1 thread)" },
    Part { id: "shared-session", question: "funnelling all threads through one `Mutex<Session>` loses throughput (mutex / per-thread at all cores)" },
    Part { id: "fairness", question: "the seed's `Mutex<Session>` starves threads (fewest / most calls per thread)" },
    Part { id: "prepacked-memory", question: "the maintainers' advice (a session per thread sharing `PrepackedWeights`) removes the per-thread memory" },
];

/// One model's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFigures {
    pub model: String,
    pub uncontended: Estimate,
    pub shared: Estimate,
    /// Fewest / most calls per thread behind the mutex at all cores, over
    /// repeats.
    pub fairness: Estimate,
    /// MiB of one extra session: own weights, prepacked shared (if measured).
    pub memory_mib: Option<(f64, f64)>,
}

/// What the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub cores: usize,
    pub models: Vec<ModelFigures>,
}

/// Combines per-model outcomes: all alike gives that outcome; a mix of
/// confirmed and refuted is partly; otherwise inconclusive.
fn combine(outcomes: &[Outcome]) -> Outcome {
    match outcomes {
        [] => Outcome::NotMeasured,
        [first, rest @ ..] if rest.iter().all(|o| o == first) => *first,
        _ if outcomes.contains(&Outcome::Confirmed) && outcomes.contains(&Outcome::Refuted) => Outcome::Partly,
        _ => Outcome::Inconclusive,
    }
}

fn part(id: &str, per_model: Vec<(Outcome, String)>) -> Verdict {
    let outcomes: Vec<Outcome> = per_model.iter().map(|p| p.0).collect();
    Verdict::new(id, combine(&outcomes), per_model.into_iter().map(|p| p.1).collect::<Vec<_>>().join("; "))
}

/// The rules of claim 2, pure, per model then combined.
pub fn rules(f: &Figures) -> Vec<Verdict> {
    let by_interval = |e: &Estimate, limit: f64| match side(e, limit) {
        Side::Below => Outcome::Confirmed,
        Side::Above => Outcome::Refuted,
        Side::Straddles => Outcome::Inconclusive,
    };
    let lock = part(
        "uncontended-lock",
        f.models.iter().map(|m| (by_interval(&m.uncontended, UNCONTENDED_LIMIT), format!("{}: {}", m.model, comparison(&m.uncontended, 4)))).collect(),
    );
    let shared = part(
        "shared-session",
        f.models.iter().map(|m| (by_interval(&m.shared, SHARED_LOSS), format!("{} at {} threads: {}", m.model, f.cores, comparison(&m.shared, 3)))).collect(),
    );
    let fair = part(
        "fairness",
        f.models.iter().map(|m| (by_interval(&m.fairness, UNFAIR), format!("{}: {} (1 = fair)", m.model, comparison(&m.fairness, 2)))).collect(),
    );
    let memory: Vec<(Outcome, String)> = f
        .models
        .iter()
        .filter_map(|m| {
            let (own, shared) = m.memory_mib?;
            let o = if shared < PREPACK_SAVES * own { Outcome::Confirmed } else { Outcome::Refuted };
            Some((o, format!("{}: {own:.1} MiB per extra session with its own weights, {shared:.1} MiB sharing prepacked weights", m.model)))
        })
        .collect();
    let memory =
        if memory.is_empty() { Verdict::new("prepacked-memory", Outcome::NotMeasured, "no memory rows in this run") } else { part("prepacked-memory", memory) };
    vec![lock, shared, fair, memory]
}

/// Paired by repeat when both sides have one run per repeat, else unpaired.
fn paired_or_not(a: &[f64], b: &[f64]) -> Estimate {
    if a.len() == b.len() {
        crate::measure::stats::paired_ratio(a, b)
    } else {
        ratio(a, b)
    }
}

fn fairness_of(r: &CellRun) -> f64 {
    *r.per_thread_calls.iter().min().unwrap_or(&0) as f64 / (*r.per_thread_calls.iter().max().unwrap_or(&1)).max(1) as f64
}

fn models(d: &Data) -> Vec<&str> {
    let mut models: Vec<&str> = d.runs.iter().map(|r| r.model.as_str()).collect();
    models.dedup();
    models
}

/// The figures of an evidence file.
pub fn figures(d: &Data) -> Figures {
    let models = models(d)
        .into_iter()
        .map(|model| {
            let tp = |st: &str, t: usize| cells(d, model, st, t).iter().map(|r| throughput(r)).collect::<Vec<_>>();
            let extra = |mode: &str| {
                let v: Vec<f64> = d
                    .memory
                    .iter()
                    .filter(|m| m.model == model && m.mode == mode && m.rss_bytes.len() >= 5)
                    .map(|m| (m.rss_bytes[4] as f64 - m.rss_bytes[1] as f64) / 3.0 / 1048576.0)
                    .collect();
                (!v.is_empty()).then(|| median(&v))
            };
            ModelFigures {
                model: model.to_string(),
                // Each repeat ran every strategy back to back: pairs.
                uncontended: paired_or_not(&tp("mutex", 1), &tp("per-worker", 1)),
                shared: paired_or_not(&tp("mutex", d.cores), &tp("per-worker", d.cores)),
                fairness: estimate(&cells(d, model, "mutex", d.cores).iter().map(|r| fairness_of(r)).collect::<Vec<_>>()),
                memory_mib: extra("own weights").zip(extra("prepacked weights shared")),
            }
        })
        .collect();
    Figures { cores: d.cores, models }
}

/// What the claim is, for the registry.
pub const INFO: Info = Info {
    id: EXPERIMENT,
    title: "ort's `Session::run(&mut self)` forces a `Mutex<Session>`",
    seed: Some(2),
    upstream: "ort",
    method: Method::Experiment(EXPERIMENT),
    evidence: &[crate::experiments::ort_api::EXPERIMENT, EXPERIMENT],
    parts: PARTS,
    seed_quote: &[
        "**Package**: ort v2.0.0-rc.10",
        "**Issue**: API design requires `&mut self` for inference (unnecessarily restrictive)",
        "**Impact**: Forces users to use `Mutex<Session>` even though inference is read-only",
        "// Document: If Mutex has <1% overhead, API change not critical",
    ],
};

/// The versions of the ledger: any ort version builds the API probe.
pub const VERSIONS: Versions = Versions { seed: crate::experiments::ort_api::SEED_VERSION, built_in: &[] };

/// Claim 2 in the registry.
pub struct OrtMutexClaim;

impl Claim for OrtMutexClaim {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn measure(&self, quick: bool, progress: &dyn Fn(&str)) -> Result<Vec<(String, std::path::PathBuf)>, crate::claims::ClaimError> {
        let api = crate::experiments::run_named(crate::experiments::ort_api::EXPERIMENT, quick, progress)?;
        let path = crate::experiments::run_named(EXPERIMENT, quick, progress)?;
        Ok(vec![(crate::experiments::ort_api::EXPERIMENT.to_string(), api), (EXPERIMENT.to_string(), path)])
    }
    fn judge(&self, sources: &Sources) -> Result<Vec<Verdict>, crate::claims::ClaimError> {
        let ev: Evidence<Data> = store::read(sources.get(EXPERIMENT)?)?;
        let api = super::ort_run_api::verdict(&super::ort_run_api::probes(sources)?);
        Ok(std::iter::once(api).chain(rules(&figures(&ev.data))).collect())
    }
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError> {
        let api: Evidence<crate::experiments::ort_api::Data> = store::read(sources.get(crate::experiments::ort_api::EXPERIMENT)?)?;
        Ok(vec![(FILE.to_string(), render(sources.get(EXPERIMENT)?, &api)?)])
    }
    fn versions(&self) -> Option<&'static Versions> {
        Some(&VERSIONS)
    }
    fn ledger(&self, sources: &Sources) -> Result<Vec<super::ledger::Entry>, crate::claims::ClaimError> {
        Ok(super::ort_run_api::ledger(&super::ort_run_api::probes(sources)?))
    }
    fn measure_versions(
        &self,
        versions: &[String],
        _quick: bool,
        progress: &dyn Fn(&str),
    ) -> Result<Vec<(String, std::path::PathBuf)>, crate::claims::ClaimError> {
        let api = crate::experiments::ort_api::run_versions(versions, progress)?;
        Ok(vec![(crate::experiments::ort_api::EXPERIMENT.to_string(), api)])
    }
    fn version_judge(&self, part: &str) -> Option<super::registry::VersionJudge> {
        (part == super::ort_run_api::PART.id).then_some(super::ort_run_api::judge_version as super::registry::VersionJudge)
    }
}

/// Renders the report from the mutex evidence at `path` and the API probes.
pub fn render(path: &Path, api: &Evidence<crate::experiments::ort_api::Data>) -> Result<Page, crate::report::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    let d = &ev.data;
    let rel = crate::report::markdown::data_path(path);
    let mut s = String::from("# ort: does `Session::run(&mut self)` cost throughput? (claim 2)\n\n## The claim\n\n");
    s += &super::registry::seed_section(&INFO);
    s += "## What upstream says\n\n- `run(&mut self)` since 2.0.0-rc.10 (commit bd2aff7), through rc.15; the stated reason: allowing `Sync` segfaulted with CUDA, DirectML \
          and other non-CPU execution providers. ONNX Runtime itself documents concurrent `Run` on one session as safe (onnxruntime #114).\n\
          - No `&self` alternative; PR #557 (\"Thread safe run\") was closed over `Allocator` not being `Sync`. The maintainer's advice: one session per thread, sharing \
          weights through `PrepackedWeights` (`SessionBuilder::with_prepacked_weights`). Requests: #402, #403, #410, #415, #511, #533, #597.\n\n";
    s += &format!(
        "## Method\n\n`harness experiment ort-mutex`: the pipeline's own sharing (`pipeline::shared`): one session behind a `Mutex`, a session per thread, \
         or a pool of two; 1-4 threads, one intra-op thread per session, so threads x intra-op threads exceed the {} cores from 3 threads on (the oversubscribed \
         cells). Threads are spawned and warmed up before timing, released by a barrier, run for a fixed time, and count their own calls; latency includes the \
         wait for the lock. Before timing, every strategy gave the same output ({}). Parameters: `{}`. {}\n\n{}## Results\n\n",
        d.cores,
        d.outputs_agree.iter().map(|(m, a)| format!("{m}: {}", if *a { "equal" } else { "DIFFERENT" })).collect::<Vec<_>>().join(", "),
        ev.parameters,
        crate::experiments::grade_note(EXPERIMENT, ev.parameters["repeats"].as_u64().unwrap_or(0) as usize),
        super::ort_run_api::method(&api.data.probe_source)
    );
    s += &super::ort_run_api::results(&api.data.probes);
    let models = models(d);
    let verdicts: Vec<Verdict> = std::iter::once(super::ort_run_api::verdict(&api.data.probes)).chain(rules(&figures(d))).collect();
    let mut charts = Vec::new();
    for model in &models {
        s += &format!("### {model}\n\nCalls per second (median [95% CI] over repeats), latency, lock wait as a share of thread time, fairness (fewest / most calls per thread):\n\n");
        let mut rows = Vec::new();
        let mut chart_bars = Vec::new();
        for threads in 1..=4 {
            for strategy in ["mutex", "per-worker", "pool"] {
                let c = cells(d, model, strategy, threads);
                if c.is_empty() {
                    continue;
                }
                let tp: Vec<f64> = c.iter().map(|r| throughput(r)).collect();
                let wait: Vec<f64> = c.iter().map(|r| r.lock_wait_s / (r.threads as f64 * r.duration_s)).collect();
                let fair: Vec<f64> = c
                    .iter()
                    .map(|r| *r.per_thread_calls.iter().min().unwrap_or(&0) as f64 / (*r.per_thread_calls.iter().max().unwrap_or(&1)).max(1) as f64)
                    .collect();
                chart_bars.push(Bar::from_estimate(format!("{threads} thread{}, {strategy}", if threads > 1 { "s" } else { "" }), &estimate(&tp), 1.0));
                rows.push(vec![
                    threads.to_string(),
                    strategy.into(),
                    est(&estimate(&tp), 1),
                    format!("{:.2}", median(&c.iter().map(|r| r.p50_ms).collect::<Vec<_>>())),
                    format!("{:.2}", median(&c.iter().map(|r| r.p99_ms).collect::<Vec<_>>())),
                    format!("{:.0}%", 100.0 * median(&wait)),
                    format!("{:.2}", median(&fair)),
                ]);
            }
        }
        s += &table(&["threads", "sharing", "calls/s", "p50 ms", "p99 ms", "lock wait", "fairness"], &rows);
        let c = bars(
            &format!("ort-mutex-{model}.svg"),
            &format!("{model}: calls per second by threads and sharing"),
            "calls/s (median, 95% CI)",
            &chart_bars,
            None,
        )?;
        s += &format!("\n{}", c.markdown(&format!("{model} throughput by sharing")));
        charts.push(c);
        s += "\n";
    }
    if !d.memory.is_empty() {
        s += "### Memory: a session per thread, with and without shared prepacked weights\n\n\
              The maintainers' advice for per-thread sessions is to share weights through `PrepackedWeights`. Each row: a fresh process creates 4 sessions of \
              the model one by one (kept alive) and records its resident memory after each; the cost of one more session is (RSS after 4 - RSS after 1) / 3, \
              median over repeats.\n\n";
        let mut rows = Vec::new();
        for model in &models {
            let extra = |mode: &str| {
                let v: Vec<f64> = d
                    .memory
                    .iter()
                    .filter(|m| m.model == *model && m.mode == mode && m.rss_bytes.len() >= 5)
                    .map(|m| (m.rss_bytes[4] as f64 - m.rss_bytes[1] as f64) / 3.0 / 1048576.0)
                    .collect();
                (median(&v), v.len())
            };
            let ((own, n_own), (shared, n_shared)) = (extra("own weights"), extra("prepacked weights shared"));
            if n_own == 0 || n_shared == 0 {
                continue;
            }
            rows.push(vec![model.to_string(), format!("{own:.1}"), format!("{shared:.1}"), format!("{:.2}", shared / own), format!("{n_own} / {n_shared}")]);
        }
        s += &table(&["model", "MiB per extra session, own weights", "MiB per extra session, prepacked shared", "shared / own", "repeats"], &rows);
        s += "\n";
    }
    s += &super::seed_figures::table(&seed_rows(&figures(d)));
    s += &format!(
        "## Verdict\n\nRules (code: `claims::ort_mutex::rules`), per model, then combined (all alike: that outcome; confirmed and refuted mixed: partly): \
         the uncontended lock costs over 1% when the 95% interval of mutex / per-thread throughput at one thread lies below {UNCONTENDED_LIMIT} \
         (refuted when it lies at or above, inconclusive when it contains it); one shared session loses throughput when that ratio at all cores lies \
         below {SHARED_LOSS}; the mutex starves threads when the interval of fewest / most calls per thread over repeats lies under {UNFAIR} \
         (refuted at or above; one repeat decides nothing); shared prepacked weights \
         remove the per-thread memory when an extra session costs under {PREPACK_SAVES} of one with its own weights.\n\n"
    );
    s += &format!("The API part's rule: {}.\n\n", super::ort_run_api::RULE);
    s += &super::verdict_table(PARTS, &verdicts);
    s += "\n";
    s += &super::ledger::section(PARTS, &super::ort_run_api::ledger(&api.data.probes), VERSIONS.seed);
    let outcome = |id: &str| verdicts.iter().find(|v| v.part == id).map(|v| v.outcome);
    s += "\n## What to file\n\n";
    if outcome("shared-session") == Some(Outcome::Confirmed) {
        s += &format!(
            "What costs measurably is funnelling all threads through one session{}. `&mut self` does not force that: `Session` is `Send`, so each thread can own \
             one {}. **Do not file** a bare `run_shared(&self)` request: it was proposed and closed (PR #557) over non-CPU execution providers and `Allocator` \
             not being `Sync`. A patch that answers both objections (CPU-only sessions; the run path does not use the session allocator) is checked in the fork \
             section below; its case is {}.\n\n",
            match outcome("uncontended-lock") {
                Some(Outcome::Refuted) => " (the uncontended lock costs under 1%)",
                Some(Outcome::Confirmed) => " (and the uncontended lock costs over 1% too)",
                _ => " (the uncontended lock's cost is not decided by the wall clock here)",
            },
            match outcome("prepacked-memory") {
                Some(Outcome::Refuted) => "at the cost of one session's memory per thread: sharing `PrepackedWeights`, the maintainers' advice, did not reduce it here",
                Some(Outcome::Confirmed) => "with `PrepackedWeights` to share weight memory",
                _ => "(the maintainers advise sharing weights through `PrepackedWeights`; not decided in this run)",
            },
            if outcome("prepacked-memory") == Some(Outcome::Refuted) { "memory (one session instead of one per thread), not speed" } else { "to be made: sessions per thread give the throughput" }
        );
    } else if outcome("shared-session") == Some(Outcome::Refuted) {
        s += "Sharing one session did not measurably lose throughput here: **do not file**.\n\n";
    } else {
        s += &format!(
            "Whether sharing one session loses throughput is not decided by this evidence: **do not file yet**. {}\n\n",
            crate::experiments::grade_note(EXPERIMENT, ev.parameters["repeats"].as_u64().unwrap_or(0) as usize)
        );
    }
    // The instruction counts decide what the wall clock above could not.
    if let Some(section) = super::instruction_counts::section(super::instruction_counts::Question::UncontendedLock)? {
        s += &section;
    }
    if let Some(section) = crate::forks::report::section(EXPERIMENT)? {
        s += &section;
    }
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, charts))
}

/// The seed's one figure for claim 2 ("If Mutex has <1% overhead, API
/// change not critical"): the uncontended lock's cost, the largest over the
/// models measured, in percent of throughput.
pub fn seed_rows(f: &Figures) -> Vec<super::seed_figures::Row> {
    let pct = |e: &Estimate| 100.0 * (1.0 - e.median);
    let worst = f.models.iter().map(|m| pct(&m.uncontended)).fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))));
    let shown: Vec<String> = f
        .models
        .iter()
        .map(|m| {
            format!("{}: {:.2}% [{:.2}%, {:.2}%]", m.model, pct(&m.uncontended), 100.0 * (1.0 - m.uncontended.ci_high), 100.0 * (1.0 - m.uncontended.ci_low))
        })
        .collect();
    vec![super::seed_figures::Row {
        quote: "If Mutex has <1% overhead",
        claimed: super::seed_figures::Claimed::AtMost(1.0),
        measured: worst,
        // The largest overhead's interval over the models: every model's lock must stay under 1%.
        interval: worst.map(|_| {
            let lo = f.models.iter().map(|m| 100.0 * (1.0 - m.uncontended.ci_high)).fold(f64::NEG_INFINITY, f64::max);
            let hi = f.models.iter().map(|m| 100.0 * (1.0 - m.uncontended.ci_low)).fold(f64::NEG_INFINITY, f64::max);
            (lo, hi)
        }),
        shown: format!(
            "uncontended lock, throughput lost at one thread, median [95% CI] per model (below zero: noise around none; judged on the largest): {}",
            shown.join("; ")
        ),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(lo: f64, hi: f64) -> Estimate {
        Estimate::at_95(10, (lo + hi) / 2.0, lo, hi)
    }

    fn model(uncontended: Estimate, shared: Estimate, fairness: f64, memory_mib: Option<(f64, f64)>) -> ModelFigures {
        let fairness = Estimate::at_95(3, fairness, fairness * 0.9, fairness * 1.1);
        ModelFigures { model: "m".into(), uncontended, shared, fairness, memory_mib }
    }

    #[test]
    fn every_part_reaches_its_outcomes() {
        let lost = Figures { cores: 2, models: vec![model(e(0.995, 1.01), e(0.48, 0.57), 0.03, Some((16.1, 15.1)))] };
        let v = rules(&lost);
        let o: Vec<Outcome> = v.iter().map(|v| v.outcome).collect();
        assert_eq!(o, vec![Outcome::Refuted, Outcome::Confirmed, Outcome::Confirmed, Outcome::Refuted]);
        let fine = Figures { cores: 2, models: vec![model(e(0.95, 0.98), e(0.95, 1.02), 0.9, Some((16.0, 4.0)))] };
        let o: Vec<Outcome> = rules(&fine).iter().map(|v| v.outcome).collect();
        assert_eq!(o, vec![Outcome::Confirmed, Outcome::Refuted, Outcome::Refuted, Outcome::Confirmed]);
        let open = Figures { cores: 2, models: vec![model(e(0.98, 1.0), e(0.85, 0.95), 0.9, None)] };
        let o: Vec<Outcome> = rules(&open).iter().map(|v| v.outcome).collect();
        assert_eq!(o, vec![Outcome::Inconclusive, Outcome::Inconclusive, Outcome::Refuted, Outcome::NotMeasured]);
    }

    #[test]
    fn fairness_from_a_single_repeat_decides_nothing() {
        let mut m = model(e(1.0, 1.0), e(0.5, 0.5), 0.03, None);
        m.fairness = Estimate::at_95(1, 0.03, 0.03, 0.03);
        assert_eq!(rules(&Figures { cores: 2, models: vec![m] })[2].outcome, Outcome::Inconclusive);
    }

    #[test]
    fn models_that_disagree_make_a_part_partly() {
        let f = Figures { cores: 2, models: vec![model(e(1.0, 1.0), e(0.4, 0.5), 0.1, None), model(e(1.0, 1.0), e(0.95, 1.0), 0.9, None)] };
        assert_eq!(rules(&f)[1].outcome, Outcome::Partly);
        assert_eq!(combine(&[Outcome::Refuted, Outcome::Inconclusive]), Outcome::Inconclusive);
    }
}
