//! Claim 2: "ort's `Session::run(&mut self)` forces `Arc<Mutex<Session>>`;
//! if the Mutex has <1% overhead the API change is not critical; else add
//! `run_shared(&self)`". Decided from `harness experiment ort-mutex`.
//!
//! Rules: (1) the uncontended lock's cost is mutex / per-thread throughput at
//! one thread, decided against 1% only when its 95% interval is narrower than
//! +/-0.5%; (2) the cost of sharing one session is mutex / per-thread
//! throughput at threads = cores; (3) fairness is min/max completions per
//! thread (1 = fair).

use std::path::Path;

use crate::evidence::store::{self, Evidence};
use crate::experiments::ort_mutex::{CellRun, Data, EXPERIMENT};
use crate::measure::stats::{estimate, median, ratio};
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

/// Renders the report.
pub fn render(path: &Path) -> Result<Page, String> {
    let ev: Evidence<Data> = store::read(path)?;
    let d = &ev.data;
    let rel = crate::report::markdown::data_path(path);
    let mut s = String::from("# ort: does `Session::run(&mut self)` cost throughput? (claim 2)\n\n## The claim\n\n");
    s += "> API design requires `&mut self` for inference ... Forces users to use `Mutex<Session>` even though inference is read-only. \
          Our workaround: `Arc<OnceCell<Mutex<Session>>>` ... Test: Arc<Session> vs Arc<Mutex<Session>> ... If Mutex has <1% overhead, API change not critical. \
          Proposed: `run_shared(&self)`.\n>\n> (seed, claim 2, ort v2.0.0-rc.10)\n\n";
    s += "## What upstream says\n\n- `run(&mut self)` since 2.0.0-rc.10 (commit bd2aff7), through rc.15; the stated reason: allowing `Sync` segfaulted with CUDA, DirectML \
          and other non-CPU execution providers. ONNX Runtime itself documents concurrent `Run` on one session as safe (onnxruntime #114).\n\
          - No `&self` alternative; PR #557 (\"Thread safe run\") was closed over `Allocator` not being `Sync`. The maintainer's advice: one session per thread, sharing \
          weights through `PrepackedWeights` (`SessionBuilder::with_prepacked_weights`). Requests: #402, #403, #410, #415, #511, #533, #597.\n\n";
    s += &format!(
        "## Method\n\n`harness experiment ort-mutex`: the pipeline's own sharing (`pipeline::shared`): one session behind a `Mutex`, a session per thread, \
         or a pool of two; 1-4 threads, one intra-op thread per session, so threads x intra-op threads exceed the {} cores from 3 threads on (the oversubscribed \
         cells). Threads are spawned and warmed up before timing, released by a barrier, run for a fixed time, and count their own calls; latency includes the \
         wait for the lock. Before timing, every strategy gave the same output ({}). Parameters: `{}`.\n\n## Results\n\n",
        d.cores,
        d.outputs_agree.iter().map(|(m, a)| format!("{m}: {}", if *a { "equal" } else { "DIFFERENT" })).collect::<Vec<_>>().join(", "),
        ev.parameters
    );
    let mut models: Vec<&str> = d.runs.iter().map(|r| r.model.as_str()).collect();
    models.dedup();
    let mut verdict_rows = Vec::new();
    let mut shared_loses = true;
    let mut unfair = Vec::new();
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
        let tp = |st: &str, t: usize| cells(d, model, st, t).iter().map(|r| throughput(r)).collect::<Vec<_>>();
        let one = ratio(&tp("mutex", 1), &tp("per-worker", 1));
        let full = ratio(&tp("mutex", d.cores), &tp("per-worker", d.cores));
        let uncontended = if one.relative_half_width() > 0.005 {
            format!("{} (interval too wide to decide 1%: undecided at this resolution)", est(&one, 4))
        } else if one.ci_low >= 0.99 {
            format!("{}: under 1%", est(&one, 4))
        } else {
            format!("{}: more than 1%", est(&one, 4))
        };
        verdict_rows.push(vec![format!("{model}: uncontended lock (mutex / per-thread at 1 thread)"), uncontended]);
        verdict_rows.push(vec![
            format!("{model}: one shared session at {} threads (mutex / per-thread)", d.cores),
            format!(
                "{}: sharing one session behind a lock {}",
                est(&full, 3),
                if full.ci_high < 0.9 { "loses throughput; sessions per thread keep it" } else { "costs little here" }
            ),
        ]);
        shared_loses &= full.ci_high < 0.9;
        let fair: Vec<f64> = cells(d, model, "mutex", d.cores)
            .iter()
            .map(|r| *r.per_thread_calls.iter().min().unwrap_or(&0) as f64 / (*r.per_thread_calls.iter().max().unwrap_or(&1)).max(1) as f64)
            .collect();
        let f = median(&fair);
        if f < 0.5 {
            unfair.push(format!("{model} ({f:.2})"));
        }
        verdict_rows.push(vec![
            format!("{model}: fairness of the mutex at {} threads", d.cores),
            format!(
                "{f:.2} (fewest / most calls per thread; 1 = fair){}",
                if f < 0.5 { ": `std::sync::Mutex` lets the thread that just released it take it again, so the others starve" } else { "" }
            ),
        ]);
        s += "\n";
    }
    let mut prepack_saves: Option<bool> = None;
    if !d.memory.is_empty() {
        s += "### Memory: a session per thread, with and without shared prepacked weights\n\n\
              The maintainers' advice for per-thread sessions is to share weights through `PrepackedWeights`. Each row: a fresh process creates 4 sessions of \
              the model one by one (kept alive) and records its resident memory after each; the cost of one more session is (RSS after 4 - RSS after 1) / 3, \
              median over repeats.\n\n";
        let mut rows = Vec::new();
        let mut per_model: Vec<(String, f64, f64)> = Vec::new();
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
            per_model.push((model.to_string(), own, shared));
        }
        s += &table(&["model", "MiB per extra session, own weights", "MiB per extra session, prepacked shared", "shared / own", "repeats"], &rows);
        let saves: Vec<String> = per_model.iter().filter(|(_, o, sh)| *sh < 0.8 * o).map(|(m, _, _)| m.clone()).collect();
        prepack_saves = Some(!saves.is_empty());
        s += &format!(
            "\n{}\n\n",
            if saves.is_empty() {
                "Sharing prepacked weights did not reduce the memory of an extra session here (under 20% saved for every model): each session still holds its own copy of the weights, so a session per thread costs that memory per thread, and the advice does not remove it on this CPU."
                    .to_string()
            } else {
                format!("Sharing prepacked weights saved at least 20% of an extra session's memory for: {}.", saves.join(", "))
            }
        );
    }
    s += "## Verdict\n\n";
    s += &table(&["measure", "result"], &verdict_rows);
    if shared_loses {
        s += &format!(
            "\nWhat costs measurably is funnelling all threads through one session (the uncontended lock is within the noise above){}. `&mut self` does not force that: `Session` is `Send`, so each thread can own one \
             {}. **Do not file** a bare `run_shared(&self)` request: it was proposed and closed (PR #557) over non-CPU \
             execution providers and `Allocator` not being `Sync`, and sessions per thread give the throughput here. A patch that answers both objections (CPU-only \
             sessions; the run path does not use the session allocator) is checked in the fork section below: its case is memory (one session instead of one per \
             thread), not speed.\n\n",
            if unfair.is_empty() { String::new() } else { format!("; the seed's `Mutex<Session>` also starves threads: {}", unfair.join(", ")) },
            match prepack_saves {
                Some(false) => "at the cost of one session's memory per thread: sharing `PrepackedWeights`, the maintainers' advice, did not reduce it here (memory table above)",
                Some(true) => "with `PrepackedWeights` to share weight memory (memory table above)",
                None => "(the maintainers advise sharing weights through `PrepackedWeights`; not measured in this run)",
            }
        );
    } else {
        s += "\nSharing one session did not lose throughput here; nothing to file.\n\n";
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

/// Renders the newest evidence.
pub fn render_latest() -> Result<std::path::PathBuf, String> {
    let p = store::pinned(EXPERIMENT).ok_or_else(|| store::not_pinned(EXPERIMENT, "harness experiment ort-mutex"))?;
    crate::report::write(FILE, &render(&p)?).map_err(|e| e.to_string())
}
