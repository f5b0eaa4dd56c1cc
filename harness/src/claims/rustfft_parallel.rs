//! Claim 3: "rustfft could add parallelism: +50-100% FFT speed for large
//! (2048-4096-point) transforms, for the mel spectrogram".
//!
//! Evidence: `cargo bench --bench fft`, imported with `harness bench-import
//! rustfft-parallel`. Rules: the seed's use case is the log-mel front end,
//! so the claim is judged on it. Parallelism across frames (available today
//! with rayon, no rustfft change) is measured; "a rustfft change is needed"
//! is refuted when frame-level parallelism on this machine's cores already
//! gives at least 1.5x (the seed's +50%) over serial, confirmed when it
//! gives under 1.1x, undecided otherwise. Targets for the harness's own
//! log-mel: >= 6,000x real time on one core, >= 1.7x that on two.

use std::path::Path;

use super::registry::{Claim, Info, Method, Part, Sources};
use super::verdict::{comparison, side, Outcome, Side, Verdict};
use super::BenchData as Data;
use crate::evidence::store::{self, Evidence};
use crate::measure::stats::{estimate, ratio, Estimate};
use crate::report::chart::{bars, Bar, Reference};
use crate::report::goal::at_least;
use crate::report::markdown::{environment, est, table};
use crate::report::Page;

/// Claim id.
pub const CLAIM: &str = "rustfft-parallel";
/// Bench group prefix.
pub const PREFIX: &str = "claim3-";
/// Report file.
pub const FILE: &str = "rustfft-parallel.md";

/// Where the serial log-mel's time goes: a pprof profile of it on real
/// speech (about 3 s of repeats), as category shares and a flamegraph.
pub fn probe() -> serde_json::Value {
    use crate::stages::mel::{FftMode, LogMel};
    let mut audio = Vec::new();
    for c in crate::media::speech_clips() {
        match crate::stages::decode::read_audio_16k(&c) {
            Ok(a) => audio.extend(a),
            Err(e) => return serde_json::json!({ "profile_error": e.to_string() }),
        }
    }
    let audio_s = audio.len() as f64 / crate::stages::mel::WHISPER_SAMPLE_RATE as f64;
    let lm = LogMel::whisper();
    let run = || {
        let t = std::time::Instant::now();
        let mut n = 0;
        while t.elapsed().as_secs_f64() < 3.0 {
            std::hint::black_box(lm.compute(&audio, FftMode::Serial));
            n += 1;
        }
        n
    };
    match crate::measure::profiler::flamegraph_text(crate::measure::profiler::DEFAULT_FREQUENCY, run) {
        Ok((n, svg, report)) => {
            // Innermost match wins: rustfft's kernels, the log, then the
            // harness's own frame code (window, power, mel filters, inlined).
            let shares = crate::measure::profiler::shares(
                &report,
                &[
                    ("FFT (rustfft)", "rustfft"),
                    ("log10", "log10"),
                    ("window, power, mel filters", "LogMel::frame"),
                    ("floor and max passes", "LogMel::compute"),
                ],
            );
            serde_json::json!({ "audio_s": audio_s, "profile_repeats": n, "profile_shares": shares, "profile_flamegraph_svg": svg })
        }
        Err(e) => serde_json::json!({ "audio_s": audio_s, "profile_error": e.to_string() }),
    }
}

/// The five librivox clips' length in seconds (their files are pinned by
/// sha256 in `models::catalog`), for evidence recorded before the probe
/// stored `audio_s` itself.
pub const SPEECH_CLIPS_S: f64 = 24.73;

/// Two goals of the harness's own front end, printed beside the claim.
pub const MEL_REALTIME_GOAL: f64 = 6000.0;
/// Rayon over frames with 2 threads against serial, at least.
pub const MEL_TWO_THREAD_GOAL: f64 = 1.7;

/// Frame-level parallelism reaching this speed-up (the seed's +50%) leaves
/// nothing for a parallel FFT inside rustfft to add.
pub const NO_CHANGE_NEEDED: f64 = 1.5;
/// Below this speed-up, frame-level parallelism does not help and something
/// inside the FFT would be needed.
pub const CHANGE_NEEDED: f64 = 1.1;

/// The parts of claim 3.
pub const PARTS: &[Part] = &[
    Part { id: "parallel-fft", question: "\"single-threaded FFT; a parallel FFT would give +50-100% for the mel spectrogram\"" },
    Part { id: "simd", question: "\"rustfft could use SIMD\" (implied)" },
];

/// What the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Serial log-mel time / rayon-over-frames time on all the cores.
    pub frame_parallel_speedup: Estimate,
    pub cores: usize,
    pub rustfft_version: String,
}

/// The rules of claim 3, pure.
pub fn rules(f: &Figures) -> Vec<Verdict> {
    let figures = format!(
        "rayon over frames, with no rustfft change, gives {} x the serial log-mel on {} cores (rustfft {})",
        comparison(&f.frame_parallel_speedup, 2),
        f.cores,
        f.rustfft_version
    );
    let outcome = match (side(&f.frame_parallel_speedup, NO_CHANGE_NEEDED), side(&f.frame_parallel_speedup, CHANGE_NEEDED)) {
        (Side::Above, _) => Outcome::Refuted,
        (_, Side::Below) => Outcome::Confirmed,
        _ => Outcome::Inconclusive,
    };
    vec![
        Verdict::new("parallel-fft", outcome, figures),
        Verdict::new("simd", Outcome::Refuted, format!("upstream fact: rustfft {} selects AVX/SSE4.1/NEON kernels at run time", f.rustfft_version)),
    ]
}

/// The figures of an evidence file.
pub fn figures(ev: &Evidence<Data>, rel: &str) -> Result<Figures, crate::report::RenderError> {
    let lm = |f: &str| ev.data.samples("/whisper-24.7s", f).map(|v| v.to_vec());
    let (Some(serial), Some(r2)) = (lm("serial"), lm("rayon-2-threads")) else {
        return Err(crate::report::RenderError::missing(rel, "log-mel benchmarks missing"));
    };
    Ok(Figures {
        frame_parallel_speedup: ratio(&serial, &r2),
        cores: ev.environment.logical_cores,
        rustfft_version: ev.environment.crates.get("rustfft").cloned().unwrap_or_else(|| "?".into()),
    })
}

/// What the claim is, for the registry.
pub const INFO: Info = Info {
    id: CLAIM,
    title: "rustfft could add parallelism: +50-100% for the mel spectrogram",
    seed: Some(3),
    upstream: "rustfft",
    method: Method::Bench("fft"),
    evidence: &[CLAIM],
    parts: PARTS,
    seed_quote: &[
        "**Package**: rustfft v6.2",
        "// For n > 4096, use Rayon to parallelize butterfly operations",
        "// Typical speedup: 2-4x on 8-core CPUs for large FFTs",
        "**Use Case**: Audio embeddings mel-spectrogram (2048-4096 point FFTs)",
        "**Impact**: +50-100% FFT speed for large transforms",
    ],
};

/// Claim 3 in the registry.
pub struct RustfftClaim;

impl Claim for RustfftClaim {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn measure(&self, quick: bool, progress: &dyn Fn(&str)) -> Result<Vec<(String, std::path::PathBuf)>, crate::claims::ClaimError> {
        Ok(vec![(CLAIM.to_string(), super::measure_bench(CLAIM, quick, progress)?)])
    }
    fn judge(&self, sources: &Sources) -> Result<Vec<Verdict>, crate::claims::ClaimError> {
        let path = sources.get(CLAIM)?;
        let ev: Evidence<Data> = store::read(path)?;
        Ok(rules(&figures(&ev, &crate::report::markdown::data_path(path))?))
    }
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError> {
        Ok(vec![(FILE.to_string(), render(sources.get(CLAIM)?)?)])
    }
}

/// Renders the report.
pub fn render(path: &Path) -> Result<Page, crate::report::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    let d = &ev.data;
    let rel = crate::report::markdown::data_path(path);
    let mut s = String::from("# rustfft: does the mel spectrogram need a parallel FFT? (claim 3)\n\n## The claim\n\n");
    s += &super::registry::seed_section(&INFO);
    s += "## What upstream says\n\n- rustfft already uses SIMD (AVX+FMA, SSE4.1, NEON, WASM), chosen by `FftPlanner` at run time; no built-in multithreading \
          (RustFFT #117: the maintainer called it a big undertaking he is not against).\n- `Fft` instances are `Send + Sync`: plan once, share the `Arc<dyn Fft>` \
          across rayon workers, one scratch buffer per worker (`process_with_scratch`; `process` allocates every call).\n- Whisper's front end: n_fft = 400, hop 160, \
          80 mel bins at 16 kHz; 400 is not a power of two.\n\n";
    let audio_s = d.extra["audio_s"].as_f64().unwrap_or(SPEECH_CLIPS_S);
    s += &format!("## Method\n\n`cargo bench --bench fft` on real speech (the five librivox clips, {audio_s:.2} s): one complex FFT of n = 400, 2048, 4096 points planned per call, \
          with a reused plan through `process`, and with `process_with_scratch`; then the harness's whole Whisper log-mel (window, FFT, power, sparse mel filters, log) \
          serially and with rayon over frames. Before timing: the FFT variants are bit-identical and the rayon log-mel equals the serial one.\n\n## Results\n\n");
    let mut rows = Vec::new();
    for n in ["n400", "n2048", "n4096"] {
        let g = |f: &str| d.samples(&format!("/{n}"), f).map(|v| v.iter().map(|x| x / 1e3).collect::<Vec<_>>());
        if let (Some(a), Some(b), Some(c)) = (g("plan-per-call"), g("reuse-plan-process"), g("reuse-plan-with-scratch")) {
            rows.push(vec![n.trim_start_matches('n').into(), est(&estimate(&a), 2), est(&estimate(&b), 2), est(&estimate(&c), 2), est(&ratio(&a, &c), 2)]);
        }
    }
    s += "Microseconds per transform, median [95% CI]:\n\n";
    s += &table(&["points", "plan per call", "reused plan, `process`", "reused plan, `process_with_scratch`", "plan-per-call / with-scratch"], &rows);
    let lm = |f: &str| d.samples("/whisper-24.7s", f).map(|v| v.to_vec());
    let (Some(serial), Some(r1), Some(r2)) = (lm("serial"), lm("rayon-1-thread"), lm("rayon-2-threads")) else {
        return Err(crate::report::RenderError::missing(&rel, "log-mel benchmarks missing"));
    };
    let rt = |v: &[f64]| v.iter().map(|ns| audio_s / (ns / 1e9)).collect::<Vec<_>>();
    let speed = ratio(&serial, &r2);
    let one = estimate(&rt(&serial));
    let two = estimate(&rt(&r2));
    s += &format!("\nThe whole log-mel ({audio_s:.2} s of speech), as multiples of real time:\n\n");
    s += &table(
        &["log-mel", "times real time", "goal", "verdict"],
        &[
            vec!["serial, one core".into(), est(&one, 0), format!(">= {MEL_REALTIME_GOAL}x"), at_least(&one, MEL_REALTIME_GOAL).label().into()],
            vec!["rayon over frames, 1 thread".into(), est(&estimate(&rt(&r1)), 0), "".into(), "".into()],
            vec![
                "rayon over frames, 2 threads".into(),
                est(&two, 0),
                format!(">= {MEL_TWO_THREAD_GOAL}x serial"),
                format!("{} ({} x serial)", at_least(&speed, MEL_TWO_THREAD_GOAL).label(), est(&speed, 2)),
            ],
        ],
    );
    let chart = bars(
        "rustfft-parallel.svg",
        &format!("Whisper log-mel of {audio_s:.2} s of speech"),
        "times real time (median, 95% CI)",
        &[
            Bar::from_estimate("serial, one core", &one, 1.0),
            Bar::from_estimate("rayon over frames, 1 thread", &estimate(&rt(&r1)), 1.0),
            Bar::from_estimate("rayon over frames, 2 threads", &two, 1.0),
        ],
        Some(Reference { value: 6000.0, label: "goal on one core: 6,000x" }),
    )?;
    s += &format!("\n{}", chart.markdown("log-mel as multiples of real time"));
    let mut charts = vec![chart];
    if let Some(shares) = d.extra.get("profile_shares").and_then(|v| v.as_array()) {
        s += "\nWhere the serial log-mel's time goes (pprof samples at 997 Hz over repeated runs on the same speech; innermost matching frame wins):\n\n";
        let rows: Vec<Vec<String>> = shares.iter().filter_map(|r| Some(vec![r[0].as_str()?.to_string(), format!("{:.1}%", 100.0 * r[1].as_f64()?)])).collect();
        s += &table(&["part", "share of samples"], &rows);
        if let Some(svg) = d.extra.get("profile_flamegraph_svg").and_then(|v| v.as_str()) {
            let fg = crate::report::chart::Chart { file: "rustfft-parallel-logmel-flamegraph.svg".into(), svg: svg.to_string() };
            s += &format!("\n{}", fg.markdown("flamegraph of the serial log-mel"));
            charts.push(fg);
        }
    }
    let verdicts = rules(&figures(&ev, &rel)?);
    s += &format!(
        "\n## Verdict\n\nRule (code: `claims::rustfft_parallel::rules`): the seed's use case is the log-mel front end, so the claim is judged on it. \
         \"A rustfft change is needed\" is refuted when frame-level parallelism (rayon, no rustfft change) already gives at least {NO_CHANGE_NEEDED}x \
         over serial (the whole 95% interval), confirmed when it gives under {CHANGE_NEEDED}x, inconclusive otherwise.\n\n"
    );
    s += &super::verdict_table(PARTS, &verdicts);
    s += match verdicts[0].outcome {
        Outcome::Refuted => "\n## What to file\n\n**Do not file** a parallel-FFT PR for this use case. The gains that exist are in the caller: plan once, reuse scratch (`process_with_scratch`), parallelise over frames.\n\n",
        Outcome::Confirmed => "\n## What to file\n\nFrame-level parallelism does not help here: a measured case for parallelism inside rustfft (RustFFT #117) could be made; measure large single transforms first.\n\n",
        _ => "\n## What to file\n\n**Do not file yet**: the measurement does not decide the claim at this resolution.\n\n",
    };
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, charts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(lo: f64, hi: f64) -> Figures {
        Figures { frame_parallel_speedup: Estimate::at_95(10, (lo + hi) / 2.0, lo, hi), cores: 2, rustfft_version: "6.4.1".into() }
    }

    #[test]
    fn frame_parallelism_decides_whether_a_rustfft_change_is_needed() {
        assert_eq!(rules(&fig(1.85, 1.95))[0].outcome, Outcome::Refuted);
        assert_eq!(rules(&fig(0.95, 1.05))[0].outcome, Outcome::Confirmed);
        assert_eq!(rules(&fig(1.3, 1.6))[0].outcome, Outcome::Inconclusive);
        assert_eq!(rules(&fig(1.05, 1.2))[0].outcome, Outcome::Inconclusive);
    }
}
