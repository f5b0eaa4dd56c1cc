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

use super::registry::{Claim, Info, Method, Part, Sources};
use super::verdict::{Outcome, Verdict};
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

/// The seed's lower CPU figure: +10%.
pub const CLAIMED_CPU_GAIN: f64 = 1.10;

/// The parts of claim 5.
pub const PARTS: &[Part] = &[Part { id: "cpu-gain", question: "CPU: +10-15% from a batch API" }, Part { id: "gpu-gain", question: "GPU: +30-40%" }];

/// What the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// One file at a time with all threads: audio seconds per second.
    pub one_at_a_time: f64,
    /// K states at once, one thread each, classified ok: (K, trials, audio-s per s).
    pub concurrent: Vec<(usize, usize, f64)>,
    /// Whether any cell ran on a GPU build.
    pub gpu_measured: bool,
}

/// The rules of claim 5, pure. CPU: refuted as a needed API when K states at
/// once (no lock, the cores divided between them) already reach at least
/// `CLAIMED_CPU_GAIN` times one file at a time, on the assumption that a
/// batch API could at best match them (not tested here); inconclusive
/// otherwise. GPU: not measured unless a GPU cell ran.
pub fn rules(f: &Figures) -> Vec<Verdict> {
    let best = f.concurrent.iter().map(|c| c.2 / f.one_at_a_time).fold(0.0f64, f64::max);
    let cells = f.concurrent.iter().map(|(k, n, t)| format!("K = {k}: {:.2}x (n = {n})", t / f.one_at_a_time)).collect::<Vec<_>>().join(", ");
    let figures = format!("K states at once reach at best {best:.2}x one file at a time ({cells}); the seed's CPU gain starts at {CLAIMED_CPU_GAIN:.2}x");
    let cpu = if f.concurrent.is_empty() {
        Verdict::new("cpu-gain", Outcome::NotMeasured, "no K-states cell finished ok")
    } else if best >= CLAIMED_CPU_GAIN {
        Verdict::new("cpu-gain", Outcome::Refuted, figures)
    } else {
        Verdict::new("cpu-gain", Outcome::Inconclusive, figures)
    };
    let gpu = if f.gpu_measured {
        Verdict::new("gpu-gain", Outcome::Inconclusive, "a GPU cell ran, but no rule for it exists yet")
    } else {
        Verdict::new("gpu-gain", Outcome::NotMeasured, "this evidence has no GPU cell: it needs a whisper.cpp build with a GPU backend on a machine with a GPU")
    };
    vec![cpu, gpu]
}

/// The seed's figures for claim 5. None is measured yet: no batched
/// inference path ran here (whisper.cpp's `whisper_full_parallel` and
/// faster-whisper's `BatchedInferencePipeline` are the candidates), and no
/// GPU; each row says what was measured instead.
pub fn seed_rows(f: &Figures) -> Vec<super::seed_figures::Row> {
    use super::seed_figures::{Claimed, Row};
    let best = f.concurrent.iter().map(|c| c.2 / f.one_at_a_time).fold(0.0f64, f64::max);
    let context = format!("not a batch API: K files as separate states at once reach at best {best:.2}x one file at a time (see Results)");
    let row = |quote: &'static str, claimed, why: &str| Row { quote, claimed, measured: None, interval: None, shown: format!("{why}; {context}") };
    vec![
        row("GPU benefits: 30-40% higher throughput", Claimed::Between(1.3, 1.4), "needs a GPU build and machine (none here)"),
        row("CPU benefits: 10-15% (better cache utilization)", Claimed::Between(1.10, 1.15), "no batched CPU inference path measured yet"),
        row("+30-40% transcription throughput in bulk mode", Claimed::Between(1.3, 1.4), "no batched inference path measured yet"),
        row("Document batch size recommendations (4-8 optimal)", Claimed::Between(4.0, 8.0), "no batch sizes measured"),
    ]
}

/// The figures of race evidence on `cores` cores.
pub fn figures(d: &Data, cores: usize, rel: &str) -> Result<Figures, crate::report::RenderError> {
    let cells = &d.cells;
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
    let base = plain(1, cores).ok_or_else(|| crate::report::RenderError::missing(rel, format!("no K=1 n_threads={cores} cell")))?;
    let one_at_a_time = judge::judge(cells, base, cores).audio_s_per_s;
    let concurrent = [2, 3, 4]
        .into_iter()
        .filter_map(|k| plain(k, 1).map(|c| (k, c)))
        .map(|(k, c)| (k, c.trials.len(), judge::judge(cells, c, cores)))
        .filter(|(_, _, j)| j.class == Class::Ok)
        .map(|(k, n, j)| (k, n, j.audio_s_per_s))
        .collect();
    let gpu_measured = cells.iter().any(|c| c.cell.variant.name().contains("cuda") || c.cell.variant.name().contains("vulkan"));
    Ok(Figures { one_at_a_time, concurrent, gpu_measured })
}

/// What the claim is, for the registry.
pub const INFO: Info = Info {
    id: CLAIM,
    title: "whisper-rs needs a batch API: +30-40% on GPU, +10-15% on CPU",
    seed: Some(5),
    upstream: "whisper-rs / whisper.cpp",
    method: Method::Derived(RACE),
    evidence: &[RACE],
    parts: PARTS,
    seed_quote: &[
        "**Package**: whisper-rs v0.15",
        "// GPU benefits: 30-40% higher throughput (amortized overhead)",
        "// CPU benefits: 10-15% (better cache utilization)",
        "- +30-40% transcription throughput in bulk mode",
        "- Document batch size recommendations (4-8 optimal)",
    ],
};

/// Claim 5 in the registry.
pub struct BatchClaim;

impl Claim for BatchClaim {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn measure(&self, _quick: bool, _progress: &dyn Fn(&str)) -> Result<Vec<(String, std::path::PathBuf)>, crate::claims::ClaimError> {
        // Derived: `harness check` reuses the race matrix's fresh evidence.
        Ok(vec![])
    }
    fn judge(&self, sources: &Sources) -> Result<Vec<Verdict>, crate::claims::ClaimError> {
        let path = sources.get(RACE)?;
        let ev: Evidence<Data> = store::read(path)?;
        Ok(rules(&figures(&ev.data, ev.environment.logical_cores.max(1), &crate::report::markdown::data_path(path))?))
    }
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError> {
        Ok(vec![(FILE.to_string(), render(sources.get(RACE)?)?)])
    }
}

/// Renders the report from race evidence.
pub fn render(path: &Path) -> Result<Page, crate::report::RenderError> {
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
    s += &super::registry::seed_section(&INFO);
    s += "## What upstream says\n\n- No multi-file batch API exists. `whisper_full_parallel` splits one audio buffer across n states and threads (accuracy suffers at chunk edges); \
          whisper-rs exposes it only through `whisper_rs_sys`. Batch requests (whisper.cpp #2566, #2936, #3353) were closed.\n- Several states of one context can already run at once (see `whisper-rs-race.md`).\n\n";
    s += &format!(
        "## Method\n\nOn CPU, a batch API can at best match K files transcribed by K states at once with the cores divided between them. Both sides come from the \
         whisper-rs race matrix (`{rel}`): one file at a time with all {cores} threads (K = 1, n_threads = {cores}) against K states at once with one thread each \
         (K = 2, 3, 4; no lock). Same real speech clip; throughput in audio seconds per wall second; medians of the trials each cell ran (few: the matrix was built \
         to classify, so small differences are not resolved).\n\n## Results\n\n"
    );
    let base = plain(1, cores).ok_or_else(|| crate::report::RenderError::missing(&rel, format!("no K=1 n_threads={cores} cell")))?;
    let jb = judge::judge(cells, base, cores);
    let mut rows = vec![vec![
        format!("1 file at a time, {cores} threads"),
        base.trials.len().to_string(),
        format!("{:.2}", jb.audio_s_per_s),
        "1.00".into(),
        jb.class.as_str().into(),
    ]];
    let mut chart_bars = vec![Bar::exact(format!("1 file at a time, {cores} threads"), jb.audio_s_per_s)];
    for k in [2, 3, 4] {
        if let Some(c) = plain(k, 1) {
            let j = judge::judge(cells, c, cores);
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
    let fig = figures(&ev.data, cores, &rel)?;
    let verdicts = rules(&fig);
    s += "\n";
    s += &super::seed_figures::table(&seed_rows(&fig));
    s += &format!(
        "\n## Verdict\n\nRule (code: `claims::whisper_batch::rules`): on CPU, \"a batch API is needed\" is refuted when K states at once (each classified ok) \
         already reach {CLAIMED_CPU_GAIN:.2}x one file at a time, assuming a batch API could at best match them (an assumption this evidence does not test: \
         a batched matrix product reads the weights once); inconclusive otherwise. The GPU part needs a GPU cell.\n\n"
    );
    s += &super::verdict_table(PARTS, &verdicts);
    s += "\n## What to file\n\n";
    s += match verdicts[0].outcome {
        Outcome::Refuted => "**Do not file** on CPU grounds: run one state per file in parallel with n_threads = cores / K (see the configuration rule in `whisper-rs-race.md`). A GPU measurement is needed before any batch request.\n\n",
        _ => "**Do not file yet**: concurrent states do not settle the CPU part here; measure a real batching path first.\n\n",
    };
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, vec![chart]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_states_reaching_the_claimed_gain_refute_the_cpu_part() {
        let f = Figures { one_at_a_time: 10.0, concurrent: vec![(2, 5, 12.0), (3, 5, 10.5)], gpu_measured: false };
        let v = rules(&f);
        assert_eq!((v[0].outcome, v[1].outcome), (Outcome::Refuted, Outcome::NotMeasured));
        let slow = Figures { concurrent: vec![(2, 5, 10.5)], ..f.clone() };
        assert_eq!(rules(&slow)[0].outcome, Outcome::Inconclusive);
        let none = Figures { concurrent: vec![], ..f };
        assert_eq!(rules(&none)[0].outcome, Outcome::NotMeasured);
    }
}
