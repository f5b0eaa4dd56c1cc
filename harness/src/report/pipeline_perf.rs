//! `reports/pipeline-performance.md` from `pipeline-perf` evidence.

use std::path::Path;

use super::goal::{at_least, at_most, figure_at_most};
use super::markdown::{environment, est, table};
use crate::evidence::store::{self, Evidence};
use crate::experiments::anchors::Pair;
use crate::experiments::pipeline_perf::{samples, Data, RunSample, EXPERIMENT};
use crate::measure::stats::{estimate, ratio};

/// Report file name.
pub const FILE: &str = "pipeline-performance.md";

/// Goal: wall / (process CPU / cores) with 2 workers, at most (the cores are kept busy).
pub const UTILISATION_MAX: f64 = 1.10;
/// Goal: throughput with 2 workers over 1 worker, at least.
pub const SCALING_MIN: f64 = 1.8;
/// Goal: peak RSS on the 10 min video over the 1 min video, at most (memory does not grow with length).
pub const MEMORY_GROWTH_MAX: f64 = 1.10;
/// Goal: process CPU instrumented over plain, at most (instrumentation costs under 1%).
pub const INSTRUMENTATION_MAX: f64 = 1.01;
/// Goal: timer calls x cost per call as a share of CPU, at most (percent).
pub const TIMER_SHARE_MAX_PCT: f64 = 1.0;
/// Goal: the harness's stage over the native tool it wraps, at most (5% slower).
pub const ANCHOR_MAX: f64 = 1.05;

fn throughput(v: &[&RunSample]) -> Vec<f64> {
    v.iter().map(|s| s.media_s / s.wall_s).collect()
}

fn anchor_row(p: &Option<Pair>, name: &str) -> Vec<String> {
    match p {
        None => vec![name.into(), "-".into(), "-".into(), "not measured (see errors)".into(), "-".into(), "-".into()],
        Some(p) => {
            let (o, n) = (estimate(&p.ours_ms), estimate(&p.native_ms));
            let r = ratio(&p.ours_ms, &p.native_ms);
            let verdict = format!("goal <= {ANCHOR_MAX}: {}", at_most(&r, ANCHOR_MAX).label());
            vec![
                format!("{name}: {}", p.what),
                est(&o, 1),
                est(&n, 1),
                format!("{} ({verdict})", est(&r, 3)),
                p.agreement.clone(),
                if p.agree { "yes".into() } else { "**no**".into() },
            ]
        }
    }
}

/// Evidence of the experiments whose sections this report carries beside
/// `pipeline-perf`'s (each `None` renders as "not measured yet").
#[derive(Debug, Clone, Copy, Default)]
pub struct Sections<'a> {
    pub transcription: Option<&'a Path>,
    pub thread_budget: Option<&'a Path>,
    /// Every pinned `pipeline-perf` file (one per machine); with two or
    /// more the report adds "On each machine".
    pub machines: &'a [std::path::PathBuf],
}

/// Renders the report from an evidence file, with the other experiments'
/// sections from `sections`.
pub fn render(path: &Path, sections: Sections) -> Result<super::Page, super::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    let d = &ev.data;
    let rel = crate::report::markdown::data_path(path);
    let mut s = String::new();
    let mut charts = Vec::new();
    s += "# Pipeline performance on this machine\n\n";
    s += "What the extraction pipeline itself achieves, before any claim about its dependencies is judged on it: \
          CPU use, scaling from one to two workers, memory against file length, instrumentation cost, and each stage \
          against the native tool it wraps. Every `harness run` is its own process. Medians with 95% bootstrap intervals.\n\n";
    for label in &ev.synthetic {
        s += &format!("> Input note: {label}\n\n");
    }
    s += &format!("Parameters: `{}`. Measured {} to {}.\n\n", ev.parameters, ev.started_at, ev.finished_at);

    // Scaling and utilisation.
    let one: Vec<&RunSample> = d.scaling.iter().filter(|s| s.files_parallel == 1).collect();
    let two: Vec<&RunSample> = d.scaling.iter().filter(|s| s.files_parallel == 2).collect();
    s += "## CPU use and scaling\n\n";
    if !one.is_empty() && !two.is_empty() {
        let util: Vec<f64> = two.iter().map(|r| r.wall_s / (r.process_cpu_s / r.cores as f64)).collect();
        let u = estimate(&util);
        let sc = ratio(&throughput(&two), &throughput(&one));
        let rows = vec![
            vec!["wall / (process CPU / cores), 2 workers".into(), est(&u, 3), format!("<= {UTILISATION_MAX:.2}"), at_most(&u, UTILISATION_MAX).label().into()],
            vec!["throughput 2 workers / 1 worker (media-s per s)".into(), est(&sc, 3), format!(">= {SCALING_MIN}"), at_least(&sc, SCALING_MIN).label().into()],
            vec!["media-s per s, 1 worker".into(), est(&estimate(&throughput(&one)), 2), "".into(), "".into()],
            vec!["media-s per s, 2 workers".into(), est(&estimate(&throughput(&two)), 2), "".into(), "".into()],
        ];
        s += &table(&["measure", "median [95% CI]", "goal", "verdict"], &rows);
        s += &format!(
            "\nScenario: `{}`, alternating; {}\n\n",
            one[0].label.split(',').next().unwrap_or(""),
            crate::experiments::grade_note(EXPERIMENT, one.len().min(two.len()))
        );
        // Where the time goes (median run with 2 workers).
        let mut mid = two.clone();
        mid.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
        let m = mid[mid.len() / 2];
        let cpu_total: f64 = m.stages.values().map(|t| t.thread_cpu_s).sum();
        let mut rows: Vec<(f64, Vec<String>)> = m
            .stages
            .iter()
            .map(|(k, t)| {
                (
                    t.thread_cpu_s,
                    vec![
                        k.clone(),
                        t.calls.to_string(),
                        format!("{:.3}", t.wall_s),
                        format!("{:.3}", t.thread_cpu_s),
                        format!("{:.1}%", 100.0 * t.thread_cpu_s / cpu_total.max(1e-9)),
                    ],
                )
            })
            .collect();
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        s += "Where the time goes (the median 2-worker run; thread CPU of the calling thread):\n\n";
        let chart_bars: Vec<super::chart::Bar> = rows.iter().map(|(cpu, r)| super::chart::Bar::exact(r[0].clone(), *cpu)).collect();
        s += &table(&["stage", "calls", "wall s", "thread CPU s", "share"], &rows.into_iter().map(|r| r.1).collect::<Vec<_>>());
        let c = super::chart::bars(
            "pipeline-performance-stages.svg",
            "Where the time goes: thread CPU per stage (median 2-worker run)",
            "CPU seconds",
            &chart_bars,
            None,
        )?;
        s += &format!("\n{}", c.markdown("thread CPU per stage"));
        charts.push(c);
        let waits: Vec<String> = m.lock_wait_s.iter().map(|(k, v)| format!("{k} {v:.3} s")).collect();
        s += &format!("\nLock wait in that run: {}.\n\n", if waits.is_empty() { "none recorded".into() } else { waits.join(", ") });
    } else {
        s += "Not measured (see errors).\n\n";
    }

    if sections.machines.len() > 1 {
        s += &machines_section(sections.machines)?;
    }

    s += "## Memory against file length\n\n";
    let (m1, m10) = (samples(&d.memory, "1 min"), samples(&d.memory, "10 min"));
    if let (Some(a), Some(b)) = (m1.first(), m10.first()) {
        let r = b.peak_rss_bytes as f64 / a.peak_rss_bytes as f64;
        s += &table(
            &["video", "media s", "peak RSS MiB", "wall s"],
            &[a, b]
                .iter()
                .map(|x| vec![x.label.clone(), format!("{:.1}", x.media_s), format!("{:.1}", x.peak_rss_bytes as f64 / 1048576.0), format!("{:.1}", x.wall_s)])
                .collect::<Vec<_>>(),
        );
        s += &format!(
            "\nPeak RSS 10 min / 1 min = {r:.3} (goal <= {MEMORY_GROWTH_MAX:.2}: {}; a single figure: one run each, since peak RSS varies little between runs of the same input).\n\n",
            figure_at_most(r, MEMORY_GROWTH_MAX).label()
        );
    } else {
        s += "Not measured in this run (quick mode, or long media missing: `harness setup --with long-media`)";
        s += if sections.machines.len() > 1 { "; the other machines' figures are in \"On each machine\".\n\n" } else { ".\n\n" };
    }

    s += "## Instrumentation cost\n\n";
    let on: Vec<f64> = samples(&d.instrumentation, "instrumented").iter().map(|x| x.process_cpu_s).collect();
    let off: Vec<f64> = samples(&d.instrumentation, "plain").iter().map(|x| x.process_cpu_s).collect();
    if !on.is_empty() && !off.is_empty() {
        let r = ratio(&on, &off);
        let calls: u64 = d.instrumentation.iter().find(|x| x.label == "instrumented").map(|x| x.stages.values().map(|t| t.calls).sum()).unwrap_or(0);
        let bound = calls as f64 * d.recorder_call_ns * 1e-9 / crate::measure::stats::median(&off) * 100.0;
        s += &table(
            &["measure", "value", "goal", "verdict"],
            &[
                vec![
                    "process CPU, instrumented / plain (end to end)".into(),
                    est(&r, 4),
                    format!("<= {INSTRUMENTATION_MAX}"),
                    at_most(&r, INSTRUMENTATION_MAX).label().into(),
                ],
                vec![
                    format!("timer calls per run x cost per call ({:.0} ns) / CPU", d.recorder_call_ns),
                    format!("{bound:.4}% ({calls} calls)"),
                    format!("<= {TIMER_SHARE_MAX_PCT}%"),
                    figure_at_most(bound, TIMER_SHARE_MAX_PCT).label().into(),
                ],
            ],
        );
        s += "\nThe second line is the direct bound: the per-call cost is measured in-process over 200,000 calls; \
              the end-to-end ratio is shown for completeness and is dominated by run-to-run noise.\n\n";
    }

    s += "## Stages against their native anchors\n\n";
    s += &table(
        &["comparison", "harness ms", "native ms", "ratio harness/native", "output check", "agree"],
        &[
            anchor_row(&d.anchors.decode, "decode vs ffmpeg CLI"),
            anchor_row(&d.anchors.transcribe, "transcribe vs whisper.cpp from C"),
            anchor_row(&d.anchors.detect, "detect vs onnxruntime (Python)"),
        ],
    );
    if d.anchors.transcribe_flash_attn.is_some() {
        s += "\nA finding on the way: whisper-rs's `WhisperContextParameters::default()` turns flash attention off, while \
              whisper.cpp 1.8.3's `whisper_context_default_params()` turns it on. Same C driver, whisper.cpp's default:\n\n";
        s += &table(
            &["comparison", "whisper-rs ms", "C (flash on) ms", "ratio", "output check", "agree"],
            &[anchor_row(&d.anchors.transcribe_flash_attn, "flash attention")],
        );
    }
    s += "\nDecode is timed as whole processes (`harness stage decode` vs `ffmpeg -threads 1 ... -ar 16000 -ac 1 -f null -`), \
          so process start-up is in both. Transcription times `full()` with the model loaded, the C driver linking the very \
          static libraries whisper-rs-sys built. Detection times `run()` on the same tensor with the same thread count.\n\n";

    match sections.thread_budget {
        Some(t) => {
            let tev: Evidence<crate::experiments::thread_budget::Data> = store::read(t)?;
            s += &super::thread_budget::section(&tev, &crate::report::markdown::data_path(t));
        }
        None => {
            s += "## A thread budget that never collapses: `concurrency.mode = \"auto\"`\n\nNot measured yet: `harness experiment thread-budget --promote`.\n\n"
        }
    }
    match sections.transcription {
        Some(t) => {
            let tev: Evidence<crate::experiments::transcription::Data> = store::read(t)?;
            s += &super::transcription::section(&tev, &crate::report::markdown::data_path(t));
        }
        None => {
            s +=
                "## Transcription: the VAD gate and the engine a user would pick instead\n\nNot measured yet: `harness experiment transcription --promote`.\n\n"
        }
    }

    let mut errors = d.errors.clone();
    errors.extend(d.anchors.errors.iter().cloned());
    if !errors.is_empty() {
        s += "## Errors during the run\n\n";
        for e in errors {
            s += &format!("- {}\n", e.replace('\n', " "));
        }
        s += "\n";
    }
    s += &environment(&ev.environment, &rel);
    Ok(super::Page::new(s, charts))
}

/// "On each machine": the scaling figures of every pinned file side by
/// side, each judged by the same goals. Machines are never compared by a
/// ratio: their runs were not interleaved (different days), so only each
/// machine's own 2-worker / 1-worker ratio is paired.
fn machines_section(files: &[std::path::PathBuf]) -> Result<String, super::RenderError> {
    let mut rows = Vec::new();
    for f in files {
        let ev: Evidence<Data> = store::read(f)?;
        let one: Vec<&RunSample> = ev.data.scaling.iter().filter(|s| s.files_parallel == 1).collect();
        let two: Vec<&RunSample> = ev.data.scaling.iter().filter(|s| s.files_parallel == 2).collect();
        let profile = ev.environment.profile.as_ref().map_or(String::new(), |p| format!("{p}: "));
        let machine = format!(
            "{profile}{}, {} (`{}`)",
            ev.environment.hardware(),
            ev.started_at.get(..10).unwrap_or(&ev.started_at),
            crate::report::markdown::data_path(f)
        );
        if one.is_empty() || two.is_empty() {
            rows.push(vec![machine, "not measured".into(), "-".into(), "-".into(), "-".into(), memory_growth(&ev.data)]);
            continue;
        }
        let sc = ratio(&throughput(&two), &throughput(&one));
        let util = estimate(&two.iter().map(|r| r.wall_s / (r.process_cpu_s / r.cores as f64)).collect::<Vec<_>>());
        rows.push(vec![
            machine,
            est(&estimate(&throughput(&one)), 2),
            est(&estimate(&throughput(&two)), 2),
            format!("{} (goal >= {SCALING_MIN}: {})", est(&sc, 3), at_least(&sc, SCALING_MIN).label()),
            format!("{} (goal <= {UTILISATION_MAX:.2}: {})", est(&util, 3), at_most(&util, UTILISATION_MAX).label()),
            memory_growth(&ev.data),
        ]);
    }
    let mut s = String::from("### On each machine\n\n");
    s += &format!(
        "`pipeline-perf` evidence is pinned from {} machines (`reports/data/index.toml`); the figures above are the last one's. \
         Throughput is machine-specific: the runs on different machines were not interleaved, so no ratio between machines is given; \
         each machine's scaling ratio and CPU use come from its own run alone (the ratio of two independent samples, not paired) and are judged by the same goals.\n\n",
        files.len()
    );
    s += &table(
        &[
            "machine",
            "media-s per s, 1 worker",
            "media-s per s, 2 workers",
            "2 workers / 1 worker",
            "wall / (CPU / cores), 2 workers",
            "peak RSS 10 min / 1 min",
        ],
        &rows,
    );
    s += "\n";
    Ok(s)
}

/// Peak RSS on the 10 min video over the 1 min video, judged by the goal,
/// or "not measured".
fn memory_growth(d: &Data) -> String {
    match (samples(&d.memory, "1 min").first(), samples(&d.memory, "10 min").first()) {
        (Some(a), Some(b)) => {
            let r = b.peak_rss_bytes as f64 / a.peak_rss_bytes as f64;
            format!("{r:.3} (goal <= {MEMORY_GROWTH_MAX:.2}: {})", figure_at_most(r, MEMORY_GROWTH_MAX).label())
        }
        _ => "not measured".into(),
    }
}

/// Renders the newest evidence into `reports/pipeline-performance.md`.
pub fn render_latest() -> Result<std::path::PathBuf, super::RenderError> {
    let p = store::pinned(EXPERIMENT).ok_or_else(|| store::not_pinned(EXPERIMENT, "harness experiment pipeline-perf"))?;
    let transcription = store::pinned(crate::experiments::transcription::EXPERIMENT);
    let thread_budget = store::pinned(crate::experiments::thread_budget::EXPERIMENT);
    let machines = store::pinned_all(EXPERIMENT);
    let text = render(&p, Sections { transcription: transcription.as_deref(), thread_budget: thread_budget.as_deref(), machines: &machines })?;
    super::write(FILE, &text).map_err(|source| super::RenderError::Write { path: super::reports_dir().join(FILE), source })
}
