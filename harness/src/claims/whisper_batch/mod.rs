//! Claim 5: "whisper-rs needs a batch API: +30-40% throughput on GPU,
//! +10-15% on CPU". On CPU the upper bound a batch API could reach is what
//! K states running at once already give (threads divided between them)
//! against one file at a time with all threads. Both are cells of the
//! whisper-rs race matrix, so this report reads that evidence: no new run.
//!
//! The peer that batches Whisper on CPU today (faster-whisper's
//! `BatchedInferencePipeline`) is measured by `harness experiment
//! whisper-batched-peer` and judged in `peer` (issue #12).
//!
//! Rule: the "batch API is needed on CPU" part is refuted when K concurrent
//! states (each with cores/K threads or fewer, no lock) already reach a
//! throughput at least that of one-at-a-time plus 10% (the seed's lower CPU
//! figure); then a batch API has nothing left to add on CPU. GPU: not
//! measured here (needs a GPU).

pub mod full_parallel;
pub mod peer;

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
pub const PARTS: &[Part] =
    &[Part { id: "cpu-gain", question: "CPU: +10-15% from a batch API" }, peer::PART, full_parallel::PART, Part { id: "gpu-gain", question: "GPU: +30-40%" }];

/// The batched peer's evidence.
pub const PEER: &str = crate::experiments::batched_peer::EXPERIMENT;
/// whisper.cpp's `whisper_full_parallel` evidence.
pub const OWN_PARALLEL: &str = crate::experiments::full_parallel::EXPERIMENT;

/// What the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// One file at a time with all threads: audio seconds per second.
    pub one_at_a_time: f64,
    /// K states at once, one thread each, classified ok: (K, trials, audio-s per s).
    pub concurrent: Vec<(usize, usize, f64)>,
    /// Whether any cell ran on a GPU build.
    pub gpu_measured: bool,
    /// The batched peer (None: not in the evidence).
    pub peer: Option<peer::PeerFigures>,
    /// whisper.cpp's own parallel path (None: not measured).
    pub own_parallel: Option<full_parallel::ParallelFigures>,
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
    vec![cpu, peer::rule(f.peer.as_ref(), CLAIMED_CPU_GAIN), full_parallel::rule(f.own_parallel.as_ref(), CLAIMED_CPU_GAIN), gpu]
}

/// The seed's figures for claim 5. The CPU figures are judged on the
/// batched peer (faster-whisper, not whisper.cpp: no whisper.cpp batch path
/// exists to measure); the GPU one is not measured (no GPU here).
pub fn seed_rows(f: &Figures) -> Vec<super::seed_figures::Row> {
    use super::seed_figures::{Claimed, Row};
    let k_best = f.concurrent.iter().map(|c| c.2 / f.one_at_a_time).fold(0.0f64, f64::max);
    let best = f.peer.as_ref().and_then(peer::best);
    let interval = super::seed_figures::interval;
    let peer_row = |quote: &'static str, claimed| match (&f.peer, best) {
        (Some(p), Some((b, e))) => Row {
            quote,
            claimed,
            measured: Some(e.median),
            interval: interval(&e),
            shown: format!(
                "{} at batch size {b} (the best) against batch size 1: {} batching {} clips on {} CPU threads (not whisper.cpp, which has no batch path)",
                crate::measure::stats::show(&e, 3),
                p.versions,
                p.segments,
                p.threads
            ),
        },
        _ => Row { quote, claimed, measured: None, interval: None, shown: "no batched peer evidence".into() },
    };
    vec![
        Row {
            quote: "GPU benefits: 30-40% higher throughput",
            claimed: Claimed::Gain(1.3, 1.4),
            measured: None,
            interval: None,
            shown: format!("needs a GPU build and machine (none here); on CPU, K files as separate whisper-rs states at once reach at best {k_best:.2}x one file at a time"),
        },
        peer_row("CPU benefits: 10-15% (better cache utilization)", Claimed::Gain(1.10, 1.15)),
        peer_row("+30-40% transcription throughput in bulk mode", Claimed::Gain(1.3, 1.4)),
        {
            // The batch sizes not distinguishable from the best (their intervals reach its lower end), with 1 (no batching) when the best's gain is not above 1.
            let tied: Vec<usize> = match (&f.peer, best) {
                (Some(p), Some((_, e))) => {
                    let mut t: Vec<usize> = p.gains.iter().filter(|(_, g)| g.ci_high >= e.ci_low).map(|(b, _)| *b).collect();
                    if e.ci_low <= 1.0 {
                        t.push(1);
                    }
                    t
                }
                _ => vec![],
            };
            Row {
                quote: "Document batch size recommendations (4-8 optimal)",
                claimed: Claimed::Between(4.0, 8.0),
                measured: best.map(|(b, _)| b as f64),
                interval: (!tied.is_empty()).then(|| (*tied.iter().min().unwrap_or(&0) as f64, *tied.iter().max().unwrap_or(&0) as f64)),
                shown: match (&f.peer, best) {
                    (Some(p), Some((b, _))) => format!(
                        "batch size {b} had the largest median gain on the peer (of {}); not distinguishable from it: {} (intervals in Results)",
                        p.gains.iter().map(|(b, _)| b.to_string()).collect::<Vec<_>>().join(", "),
                        { let mut t = tied.clone(); t.sort(); t.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(", ") }
                    ),
                    _ => "no batch sizes measured".into(),
                },
            }
        },
    ]
}

/// The workspace build's unlocked cell of K states with `n` threads each
/// (create_state and full), if it ran.
fn plain_cell(cells: &[super::whisper_rs_race::matrix::CellResult], k: usize, n: usize) -> Option<&super::whisper_rs_race::matrix::CellResult> {
    let default_variant = crate::forks::variant::WhisperVariant::workspace_default();
    cells.iter().find(|c| {
        c.cell.variant == default_variant
            && c.cell.k == k
            && c.cell.n_threads == n
            && c.cell.phase == Phase::Both
            && c.cell.guard == Guard::None
            && !c.trials.is_empty()
    })
}

/// The figures of race evidence on `cores` cores.
pub fn figures(d: &Data, cores: usize, rel: &str) -> Result<Figures, crate::report::RenderError> {
    let cells = &d.cells;
    let plain = |k: usize, n: usize| plain_cell(cells, k, n);
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
    Ok(Figures { one_at_a_time, concurrent, gpu_measured, peer: None, own_parallel: None })
}

/// What the claim is, for the registry.
pub const INFO: Info = Info {
    id: CLAIM,
    title: "whisper-rs needs a batch API: +30-40% on GPU, +10-15% on CPU",
    seed: Some(5),
    upstream: "whisper-rs / whisper.cpp",
    method: Method::Derived(RACE),
    evidence: &[RACE, PEER, OWN_PARALLEL],
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
    fn measure(&self, quick: bool, progress: &dyn Fn(&str)) -> Result<Vec<(String, std::path::PathBuf)>, crate::claims::ClaimError> {
        // The K-states side is derived: `harness check` reuses the race matrix's fresh evidence.
        let peer = crate::experiments::run_named(PEER, quick, progress)?;
        let own = crate::experiments::run_named(OWN_PARALLEL, quick, progress)?;
        Ok(vec![(PEER.to_string(), peer), (OWN_PARALLEL.to_string(), own)])
    }
    fn judge(&self, sources: &Sources) -> Result<Vec<Verdict>, crate::claims::ClaimError> {
        let path = sources.get(RACE)?;
        let ev: Evidence<Data> = store::read(path)?;
        let peer: Evidence<crate::experiments::batched_peer::Data> = store::read(sources.get(PEER)?)?;
        let own: Evidence<crate::experiments::full_parallel::Data> = store::read(sources.get(OWN_PARALLEL)?)?;
        let mut f = figures(&ev.data, ev.environment.logical_cores.max(1), &crate::report::markdown::data_path(path))?;
        f.peer = peer::figures(&peer.data);
        f.own_parallel = full_parallel::figures(&own.data);
        Ok(rules(&f))
    }
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError> {
        Ok(vec![(FILE.to_string(), render(sources.get(RACE)?, sources.get(PEER)?, sources.get(OWN_PARALLEL)?)?)])
    }
}

/// Renders the report from race evidence, the batched peer's and whisper.cpp's own parallel path's.
pub fn render(path: &Path, peer_path: &Path, own_path: &Path) -> Result<Page, crate::report::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    let peer_ev: Evidence<crate::experiments::batched_peer::Data> = store::read(peer_path)?;
    let own_ev: Evidence<crate::experiments::full_parallel::Data> = store::read(own_path)?;
    let rel = crate::report::markdown::data_path(path);
    let cores = ev.environment.logical_cores.max(1);
    let cells = &ev.data.cells;
    let plain = |k: usize, n: usize| plain_cell(cells, k, n);
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
    let mut fig = figures(&ev.data, cores, &rel)?;
    fig.peer = peer::figures(&peer_ev.data);
    s += &peer_section(fig.peer.as_ref(), &crate::report::markdown::data_path(peer_path));
    fig.own_parallel = full_parallel::figures(&own_ev.data);
    s += &full_parallel::section(fig.own_parallel.as_ref(), &own_ev.data, &crate::report::markdown::data_path(own_path));
    let verdicts = rules(&fig);
    s += "\n";
    s += &super::seed_figures::table(&seed_rows(&fig));
    s += &format!(
        "\n## Verdict\n\nRule (code: `claims::whisper_batch::rules`): on CPU, \"a batch API is needed\" is refuted when K states at once (each classified ok) \
         already reach {CLAIMED_CPU_GAIN:.2}x one file at a time, assuming a batch API could at best match them (an assumption this evidence does not test: \
         a batched matrix product reads the weights once); inconclusive otherwise. The GPU part needs a GPU cell.\n\n"
    );
    s += &format!(
        "The peer's rule (code: `claims::whisper_batch::peer::rule`): confirmed when some batch size gains at least {CLAIMED_CPU_GAIN:.2}x over batch size 1 of \
         the same pipeline (whole 95% interval, paired by round), refuted when every batch size stays below, inconclusive otherwise.\n\n"
    );
    s += &format!(
        "whisper.cpp's own parallel path (code: `claims::whisper_batch::full_parallel::rule`): \"only a batch API gives +10-15%\" is refuted when one state per \
         core on chunks of the audio reaches {CLAIMED_CPU_GAIN:.2}x one state with every thread (whole 95% interval, paired by round) with at most {:.0} points \
         more word errors; inconclusive otherwise, since a split is not a batch.\n\n",
        100.0 * full_parallel::MAX_WER_LOSS
    );
    s += &super::verdict_table(PARTS, &verdicts);
    s += &what_to_file(verdicts[0].outcome, verdicts[1].outcome, verdicts[2].outcome);
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, vec![chart]))
}

/// The batched peer's method and results.
fn peer_section(f: Option<&peer::PeerFigures>, rel: &str) -> String {
    let Some(f) = f else { return "\nThe batched peer: no evidence.\n\n".into() };
    let mut rows: Vec<Vec<String>> = f.gains.iter().map(|(b, e)| vec![format!("batch size {b} / batch size 1"), crate::report::markdown::est(e, 3)]).collect();
    rows.push(vec!["one clip at a time (`WhisperModel.transcribe`) / batch size 1".into(), crate::report::markdown::est(&f.sequential_over_b1, 3)]);
    format!(
        "\n### The peer that batches on CPU: faster-whisper\n\n`harness experiment whisper-batched-peer` (`{rel}`): {} (`BatchedInferencePipeline`) on the same tiny.en \
         weights (CTranslate2, float32), {} threads, the five librivox clips repeated to {} segments ({:.0} s of speech), each clip its own segment, so a batch of B \
         holds B clips as bulk mode would hand it B files. One process loads the model once and warms every way up; each round times one pass per way in \
         rotated order; every way's transcripts equal the one-clip-at-a-time ones. Throughput ratios, paired by round (median [95% CI]):\n\n{}",
        f.versions,
        f.threads,
        f.segments,
        f.audio_s,
        table(&["throughput", "x"], &rows)
    )
}

/// What to file, from the K-states part, the peer's and whisper.cpp's own parallel path's.
fn what_to_file(cpu: Outcome, peer: Outcome, own: Outcome) -> String {
    let own_line = if own == Outcome::Refuted {
        " whisper.cpp's own `whisper_full_parallel` already reaches the seed's CPU gain on one long audio (`own-parallel`)."
    } else {
        ""
    };
    let peer_line = match peer {
        Outcome::Refuted => " The engine that batches Whisper on CPU today gained under the seed's +10% from batching here (`peer-batching`).",
        Outcome::Confirmed => " The engine that batches Whisper on CPU today did gain +10% or more from batching here (`peer-batching`): a whisper.cpp batch path could be argued from that, with a whisper.cpp prototype first.",
        _ => " Batching on the peer engine is not decided at this resolution (`peer-batching`).",
    };
    match cpu {
        Outcome::Refuted => format!(
            "\n## What to file\n\n**Do not file** on CPU grounds: run one state per file in parallel with n_threads = cores / K (see the configuration rule in \
             `whisper-rs-race.md`).{own_line}{peer_line} A GPU measurement is needed before any batch request.\n\n"
        ),
        _ => format!("\n## What to file\n\n**Do not file yet**: concurrent states do not settle the CPU part here.{own_line}{peer_line}\n\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_to_file_follows_both_cpu_parts() {
        use Outcome::*;
        assert!(what_to_file(Refuted, Refuted, Inconclusive).contains("**Do not file** on CPU grounds"));
        assert!(what_to_file(Refuted, Refuted, Inconclusive).contains("gained under the seed's +10%"));
        assert!(what_to_file(Refuted, Confirmed, Inconclusive).contains("could be argued"));
        assert!(what_to_file(Inconclusive, NotMeasured, NotMeasured).contains("Do not file yet"));
        assert!(what_to_file(Inconclusive, NotMeasured, Refuted).contains("`whisper_full_parallel` already reaches"));
        assert!(!what_to_file(Refuted, Refuted, Inconclusive).contains("whisper_full_parallel"));
    }

    #[test]
    fn concurrent_states_reaching_the_claimed_gain_refute_the_cpu_part() {
        let f = Figures { one_at_a_time: 10.0, concurrent: vec![(2, 5, 12.0), (3, 5, 10.5)], gpu_measured: false, peer: None, own_parallel: None };
        let v = rules(&f);
        assert_eq!(v.iter().map(|v| v.part.as_str()).collect::<Vec<_>>(), PARTS.iter().map(|p| p.id).collect::<Vec<_>>());
        assert_eq!(
            (v[0].outcome, v[1].outcome, v[2].outcome, v[3].outcome),
            (Outcome::Refuted, Outcome::NotMeasured, Outcome::NotMeasured, Outcome::NotMeasured)
        );
        let slow = Figures { concurrent: vec![(2, 5, 10.5)], ..f.clone() };
        assert_eq!(rules(&slow)[0].outcome, Outcome::Inconclusive);
        let none = Figures { concurrent: vec![], ..f };
        assert_eq!(rules(&none)[0].outcome, Outcome::NotMeasured);
    }
}
