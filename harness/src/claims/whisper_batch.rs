//! Claim 5: "whisper-rs needs a batch API: +30-40% throughput on GPU,
//! +10-15% on CPU". On CPU the upper bound a batch API could reach is what
//! K states running at once already give (threads divided between them)
//! against one file at a time with all threads. Both are cells of the
//! whisper-rs race matrix, so this report reads that evidence: no new run.
//!
//! Rule: the "batch API is needed on CPU" part is refuted when K concurrent
//! states (each with cores/K threads or fewer, no lock) already reach a
//! throughput at least that of one-at-a-time plus 10% (the seed's lower CPU
//! figure); then a batch API has nothing left to add on CPU. GPU: not
//! measured here (needs a GPU).

use std::path::Path;

use super::whisper_rs_race::judge::Class;
use super::whisper_rs_race::matrix::{Guard, Phase};
use super::whisper_rs_race::{judge, Data, CLAIM as RACE};
use crate::evidence::store::{self, Evidence};
use crate::report::chart::{bars, Bar};
use crate::report::markdown::{environment, table};
use crate::report::Page;

/// Claim id (the report's name; the data is the race matrix's).
pub const CLAIM: &str = "whisper-rs-batch";
/// Report file.
pub const FILE: &str = "whisper-rs-batch.md";

/// Renders the report from race evidence.
pub fn render(path: &Path) -> Result<Page, String> {
    let ev: Evidence<Data> = store::read(path)?;
    let rel = crate::report::markdown::data_path(path);
    let cores = ev.environment.logical_cores.max(1);
    let cells = &ev.data.cells;
    let default_variant = crate::forks::variant::WhisperVariant::workspace_default();
    let plain = |k: usize, n: usize| {
        cells.iter().find(|c| {
            c.cell.variant == default_variant
                && c.cell.k == k
                && c.cell.n_threads == n
                && c.cell.phase == Phase::Both
                && c.cell.guard == Guard::None
                && !c.trials.is_empty()
        })
    };
    let mut s = String::from("# whisper-rs: would a batch API help? (claim 5)\n\n## The claim\n\n");
    s += "> Process multiple audio files in single inference batch ... GPU benefits: 30-40% higher throughput (amortized overhead). CPU benefits: 10-15% (better cache utilization) \
          ... Requires changes to whisper.cpp C++ code.\n>\n> (seed, claim 5, whisper-rs v0.15)\n\n";
    s += "## What upstream says\n\n- No multi-file batch API exists. `whisper_full_parallel` splits one audio buffer across n states and threads (accuracy suffers at chunk edges); \
          whisper-rs exposes it only through `whisper_rs_sys`. Batch requests (whisper.cpp #2566, #2936, #3353) were closed.\n- Several states of one context can already run at once (see `whisper-rs-race.md`).\n\n";
    s += &format!(
        "## Method\n\nOn CPU, a batch API can at best match K files transcribed by K states at once with the cores divided between them. Both sides come from the \
         whisper-rs race matrix (`{rel}`): one file at a time with all {cores} threads (K = 1, n_threads = {cores}) against K states at once with one thread each \
         (K = 2, 3, 4; no lock). Same real speech clip; throughput in audio seconds per wall second; medians of the trials each cell ran (few: the matrix was built \
         to classify, so small differences are not resolved).\n\n## Results\n\n"
    );
    let base = plain(1, cores).ok_or_else(|| format!("{rel}: no K=1 n_threads={cores} cell"))?;
    let jb = judge::judge(cells, base, cores);
    let mut rows = vec![vec![
        format!("1 file at a time, {cores} threads"),
        base.trials.len().to_string(),
        format!("{:.2}", jb.audio_s_per_s),
        "1.00".into(),
        jb.class.as_str().into(),
    ]];
    let mut best = 0.0f64;
    let mut chart_bars = vec![Bar::exact(format!("1 file at a time, {cores} threads"), jb.audio_s_per_s)];
    for k in [2, 3, 4] {
        if let Some(c) = plain(k, 1) {
            let j = judge::judge(cells, c, cores);
            if j.class == Class::Ok {
                best = best.max(j.audio_s_per_s / jb.audio_s_per_s);
            }
            chart_bars.push(Bar::exact(format!("{k} states at once, 1 thread each ({})", j.class.as_str()), j.audio_s_per_s));
            rows.push(vec![
                format!("{k} states at once, 1 thread each"),
                c.trials.len().to_string(),
                format!("{:.2}", j.audio_s_per_s),
                format!("{:.2}", j.audio_s_per_s / jb.audio_s_per_s),
                j.class.as_str().into(),
            ]);
        }
    }
    s += &table(&["configuration", "trials", "audio-s per s", "vs one at a time", "class"], &rows);
    let chart = bars(
        "whisper-rs-batch.svg",
        "Whisper tiny.en on CPU: one file at a time against K states at once",
        "audio seconds per wall second (median of trials)",
        &chart_bars,
        None,
    )?;
    s += &format!("\n{}", chart.markdown("throughput by configuration"));
    s += "\n## Verdict\n\n";
    let cpu = if best >= 1.10 {
        format!("**Refuted as a needed API on CPU**: K states at once already give {best:.2}x the throughput of one file at a time, which covers the seed's +10-15%; a batch API could at best match this, and whisper.cpp has no batch path to expose.")
    } else {
        format!("**Not refuted**: concurrent states give only {best:.2}x here; a batch path might add something on CPU.")
    };
    s += &table(
        &["part of the claim", "verdict"],
        &[vec!["CPU: +10-15% from a batch API".into(), cpu], vec!["GPU: +30-40%".into(), "**Not measured here: needs a GPU** (none on this machine, and none was lent to this task). The same two cells on a GPU build (a `forks::variant` with whisper-rs's `cuda` feature) would measure it; not tried here.".into()]],
    );
    s += "\n## What to file\n\n**Do not file** on CPU grounds: run one state per file in parallel with n_threads = cores / K (see the configuration rule in `whisper-rs-race.md`). \
          A GPU measurement is needed before any batch request.\n\n";
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, vec![chart]))
}

/// Renders from the newest race evidence.
pub fn render_latest() -> Result<std::path::PathBuf, String> {
    let p = store::pinned(RACE).ok_or_else(|| store::not_pinned(RACE, "harness repro whisper-race"))?;
    crate::report::write(FILE, &render(&p)?).map_err(|e| e.to_string())
}
