//! Claim 3: "rustfft could add parallelism: +50-100% FFT speed for large
//! (2048-4096-point) transforms, for the mel spectrogram".
//!
//! Evidence: `cargo bench --bench fft` (Whisper's 400-point log-mel),
//! imported with `harness bench-import rustfft-parallel`, and `harness
//! experiment fft-sizes` (512 to 262144 points, rustfft 6.2 and the
//! workspace's; `sizes`). Rules: the seed's use case is a mel front end,
//! so "a rustfft change is needed" is judged on it: refuted when
//! parallelism across frames (rayon, no rustfft change) already gives at
//! least 1.5x (the seed's +50%) over serial on this machine's cores at
//! Whisper's 400 points and the seed's 2048 and 4096, confirmed when it
//! gives under 1.1x at all of them, undecided otherwise. The seed's own
//! idea, one large transform split across threads, is prototyped and
//! judged by `sizes::split_rule`; its figures by `seed`. Targets for the
//! harness's own log-mel: >= 6,000x real time on one core, >= 1.7x on two.

pub mod seed;
pub mod sizes;

use std::path::Path;

use super::registry::{Claim, Info, Method, Part, Sources, Versions};
use super::verdict::{comparison, side, Outcome, Side, Verdict};
use super::BenchData as Data;
use crate::evidence::store::{self, Evidence};
use crate::experiments::fft_sizes::{Data as SizesData, EXPERIMENT as FFT_SIZES};
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

/// The part on one large transform split across threads.
pub const SPLIT_PART: &str = "split-transform";

/// The parts of claim 3.
pub const PARTS: &[Part] = &[
    Part { id: "parallel-fft", question: "\"single-threaded FFT; a parallel FFT would give +50-100% for the mel spectrogram\"" },
    Part { id: SPLIT_PART, question: "\"For n > 4096, use Rayon to parallelize butterfly operations\": +50-100% for one large transform" },
    Part { id: "simd", question: "\"rustfft could use SIMD\" (implied)" },
];

/// The seed's version ("rustfft v6.2"); any rustfft version builds.
pub const VERSIONS: Versions = Versions { seed: "6.2", built_in: &[] };

/// What the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Serial log-mel time / rayon-over-frames time on all the cores.
    pub frame_parallel_speedup: Estimate,
    pub cores: usize,
    pub rustfft_version: String,
    /// The same over STFT frames at the seed's sizes, `(n, speed-up)`
    /// (a size whose speed-up exceeds its blocks' limit is left out).
    pub frames_at: Vec<(usize, Estimate)>,
    /// The split transform's rule (`sizes::split_rule`).
    pub split: Verdict,
    /// The two machines, `(log-mel bench, STFT sizes)`, when the two
    /// evidence files were measured on different hardware.
    pub machines_differ: Option<(String, String)>,
}

/// The rules of claim 3, pure.
pub fn rules(f: &Figures) -> Vec<Verdict> {
    let mut all = vec![("400-point log-mel".to_string(), &f.frame_parallel_speedup)];
    all.extend(f.frames_at.iter().map(|(n, e)| (format!("{n}-point STFT"), e)));
    let shown: Vec<String> = all.iter().map(|(what, e)| format!("{what} {}", comparison(e, 2))).collect();
    let machines = f.machines_differ.as_ref().map_or(String::new(), |(bench, stft)| {
        format!(" (the log-mel figure measured on {bench}, the STFT figures on {stft}: different machines, judged together)")
    });
    let figures = format!(
        "rayon over frames, with no rustfft change, against one thread on {} cores (x times as fast; rustfft {}): {}{machines}",
        f.cores,
        f.rustfft_version,
        shown.join("; ")
    );
    // The seed names 2048 and 4096: without both, the use case is not measured.
    let outcome = if f.frames_at.len() < 2 {
        Outcome::NotMeasured
    } else if all.iter().all(|(_, e)| side(e, NO_CHANGE_NEEDED) == Side::Above) {
        Outcome::Refuted
    } else if all.iter().all(|(_, e)| side(e, CHANGE_NEEDED) == Side::Below) {
        Outcome::Confirmed
    } else {
        Outcome::Inconclusive
    };
    vec![
        Verdict::new("parallel-fft", outcome, figures),
        f.split.clone(),
        Verdict::new("simd", Outcome::Refuted, format!("upstream fact: rustfft {} selects AVX/SSE4.1/NEON kernels at run time", f.rustfft_version)),
    ]
}

/// The figures of the bench evidence and the FFT sizes evidence (the
/// workspace's rustfft version in it).
pub fn figures(ev: &Evidence<Data>, rel: &str, sizes_ev: &Evidence<SizesData>) -> Result<Figures, crate::report::RenderError> {
    let lm = |f: &str| ev.data.samples("/whisper-24.7s", f).map(|v| v.to_vec());
    let (Some(serial), Some(r2)) = (lm("serial"), lm("rayon-2-threads")) else {
        return Err(crate::report::RenderError::missing(rel, "log-mel benchmarks missing"));
    };
    let rustfft_version = ev.environment.crates.get("rustfft").cloned().unwrap_or_else(|| "?".into());
    let at = sizes::of_version(&sizes_ev.data, &rustfft_version);
    Ok(Figures {
        frame_parallel_speedup: ratio(&serial, &r2),
        cores: ev.environment.logical_cores,
        frames_at: at.iter().filter(|s| (s.n == 2048 || s.n == 4096) && sizes::frames_plausible(s)).map(|s| (s.n, s.frames_speedup)).collect(),
        split: sizes::split_rule(&at, sizes_ev.data.threads, &rustfft_version),
        rustfft_version,
        machines_differ: {
            let (b, s) = (&ev.environment, &sizes_ev.environment);
            (b.cpu_model != s.cpu_model || b.simd != s.simd || b.logical_cores != s.logical_cores)
                .then(|| (super::by_machine::label(b, &ev.started_at), super::by_machine::label(s, &sizes_ev.started_at)))
        },
    })
}

/// The ledger: the split transform's rule on each rustfft version the FFT
/// sizes experiment built.
pub fn ledger(d: &SizesData) -> Vec<super::ledger::Entry> {
    let mut out: Vec<super::ledger::Entry> =
        sizes::versions(d).iter().map(|v| super::ledger::Entry::new("rustfft", v, sizes::split_rule(&sizes::of_version(d, v), d.threads, v))).collect();
    out.extend(
        d.versions
            .iter()
            .filter(|v| v.resolved.is_none())
            .map(|v| super::ledger::Entry::new("rustfft", &v.version, Verdict::new(SPLIT_PART, Outcome::NotMeasured, v.error.clone().unwrap_or_default()))),
    );
    out
}

fn read_sources(sources: &Sources) -> Result<(Evidence<Data>, String, Evidence<SizesData>), crate::claims::ClaimError> {
    let path = sources.get(CLAIM)?;
    let ev: Evidence<Data> = store::read(path)?;
    let sizes_ev: Evidence<SizesData> = store::read(sources.get(FFT_SIZES)?)?;
    Ok((ev, crate::report::markdown::data_path(path), sizes_ev))
}

/// What the claim is, for the registry.
pub const INFO: Info = Info {
    id: CLAIM,
    title: "rustfft could add parallelism: +50-100% for the mel spectrogram",
    seed: Some(3),
    upstream: "rustfft",
    method: Method::Bench("fft"),
    evidence: &[CLAIM, FFT_SIZES],
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
        let bench = super::measure_bench(CLAIM, quick, progress)?;
        let sizes = crate::experiments::run_named(FFT_SIZES, quick, progress)?;
        Ok(vec![(CLAIM.to_string(), bench), (FFT_SIZES.to_string(), sizes)])
    }
    fn judge(&self, sources: &Sources) -> Result<Vec<Verdict>, crate::claims::ClaimError> {
        let (ev, rel, sizes_ev) = read_sources(sources)?;
        Ok(rules(&figures(&ev, &rel, &sizes_ev)?))
    }
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError> {
        Ok(vec![(FILE.to_string(), render(sources.get(CLAIM)?, sources.get(FFT_SIZES)?)?)])
    }
    fn versions(&self) -> Option<&'static Versions> {
        Some(&VERSIONS)
    }
    fn ledger(&self, sources: &Sources) -> Result<Vec<super::ledger::Entry>, crate::claims::ClaimError> {
        Ok(ledger(&read_sources(sources)?.2.data))
    }
    fn measure_versions(
        &self,
        versions: &[String],
        quick: bool,
        progress: &dyn Fn(&str),
    ) -> Result<Vec<(String, std::path::PathBuf)>, crate::claims::ClaimError> {
        let repeats = crate::experiments::get(FFT_SIZES).map_or(30, |e| e.report_grade);
        let path = crate::experiments::fft_sizes::run_versions(versions, repeats, quick, progress)?;
        Ok(vec![(FFT_SIZES.to_string(), path)])
    }
}

/// Renders the report.
pub fn render(path: &Path, sizes_path: &Path) -> Result<Page, crate::report::RenderError> {
    let sizes_ev: &Evidence<SizesData> = &store::read(sizes_path)?;
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
          serially and with rayon over frames. Before timing: the FFT variants are bit-identical and the rayon log-mel equals the serial one.\n\n");
    s += &sizes_method(sizes_ev);
    s += "## Results\n\n";
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
    s += &sizes_results(sizes_ev);
    let f = figures(&ev, &rel, sizes_ev)?;
    let verdicts = rules(&f);
    s += &super::seed_figures::table(&seed::rows(&sizes::of_version(&sizes_ev.data, &f.rustfft_version), sizes_ev.data.threads, &f.rustfft_version));
    s += &format!(
        "\n## Verdict\n\nRule (code: `claims::rustfft_parallel::rules`): the seed's use case is the log-mel front end, so the claim is judged on it. \
         \"A rustfft change is needed\" is refuted when frame-level parallelism (rayon, no rustfft change) already gives at least {NO_CHANGE_NEEDED}x \
         over one thread (the whole 95% interval) at Whisper's 400 points and at the seed's 2048 and 4096, confirmed when it gives under {CHANGE_NEEDED}x at all of them, \
         inconclusive otherwise, not measured without both of the seed's sizes (a size whose speed-up exceeds what its blocks of frames allow is biased and left out). \
         The seed's own idea (code: `claims::rustfft_parallel::sizes::split_rule`): confirmed when one transform split across this machine's threads reaches \
         {NO_CHANGE_NEEDED}x serial rustfft at some size above {} (whole interval); refuted when every size above it stays below while the prototype costs at most \
         {}x rustfft on one thread there; inconclusive otherwise (a prototype slower than that decides nothing about the idea). Both are judged on the workspace's \
         rustfft ({}); \"Verdicts by version\" repeats the second on each version built.\n\n",
        sizes::SEED_THRESHOLD,
        sizes::COMPETITIVE_COST,
        f.rustfft_version
    );
    s += &super::verdict_table(PARTS, &verdicts);
    s += &super::ledger::section(&PARTS[1..2], &ledger(&sizes_ev.data), VERSIONS.seed);
    s += &what_to_file(verdicts[0].outcome, verdicts[1].outcome);
    s += &environment(&ev.environment, &rel);
    let e = &sizes_ev.environment;
    s += &format!(
        "- The FFT sizes experiment: {}, commit {}{}, `{}`\n",
        super::by_machine::label(e, &sizes_ev.started_at),
        e.git_commit,
        if e.git_dirty { " (with uncommitted changes)" } else { "" },
        crate::report::markdown::data_path(sizes_path)
    );
    Ok(Page::new(s, charts))
}

/// The FFT sizes experiment's method.
fn sizes_method(ev: &Evidence<SizesData>) -> String {
    let d = &ev.data;
    let built: Vec<String> = d.versions.iter().map(|v| v.resolved.clone().unwrap_or_else(|| format!("{} (did not run)", v.version))).collect();
    // Evidence with rustfft's own four-step timed came from the grouped prototype (the first one, with whole-array transposes, came before it).
    let grouped = d.versions.iter().flat_map(|v| &v.sizes).any(|s| s.ns.contains_key("mixed-radix"));
    format!(
        "The seed's sizes (`harness experiment fft-sizes`, program `repro/fft-sizes/main.rs` built once per rustfft version: {}): for n = {} points, \
         a Hann-windowed STFT of the same {:.2} s of speech (hop n/4; each frame's power reduced to 64 equal bands as it is made, a stand-in for mel filters) \
         with rayon over frames, four blocks of frames per thread, buffers allocated before timing, on a pool of 1 thread and of {} (the same code; no rustfft change), several whole STFTs per sample; and one \
         transform of n points, serially with rustfft, {}and split four-step (n = n1 x n2: n2 transforms of n1 points, twiddles, n1 transforms of n2 points, \
         {}; `repro/fft-sizes/split.rs`, built from rustfft's own transforms) on a pool of 1 thread and of {} threads. Before timing, \
         in every round: the STFT on all threads is bit-identical to the one on 1 and the split agrees with rustfft (largest relative error over all rounds: {:.1e}; NaN: none reported). \
         {} rounds; each round runs every version's program once, in rotated order, and each program times every size and variant once, in rotated \
         order, after one untimed warm-up; ratios are paired within a round (median of per-round ratios, 95% interval). This split is a prototype, far \
         enough to measure the idea, not a tuned implementation.\n\n",
        built.join(", "),
        crate::experiments::fft_sizes::SIZES.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", "),
        d.audio_s,
        d.threads,
        if grouped { "serially with rustfft's own four-step (`MixedRadix`, the same factors, checked against rustfft's planned transform), " } else { "" },
        if grouped {
            "in two parallel steps, each working through groups of 32 columns gathered with the `transpose` crate and written back while in cache; \
             evidence without a `MixedRadix` column timed the first prototype, whose three whole-array transposes were each a parallel step of their own"
        } else {
            "transposes in tiles, each a parallel step of its own (the first prototype)"
        },
        d.threads,
        d.versions.iter().flat_map(|v| v.sizes.iter().map(|s| s.split_error)).fold(f64::NAN, f64::max),
        d.rounds
    )
}

/// The FFT sizes experiment's results.
fn sizes_results(ev: &Evidence<SizesData>) -> String {
    format!(
        "\nAt the seed's sizes (x times as fast, median of paired per-round ratios [95% CI]; the last two columns are the split's own cost on one thread \
         and that of rustfft's own four-step, above 1 = slower than rustfft):\n\n{}\n",
        sizes::table(&ev.data)
    )
}

/// What to file, from the two performance parts' outcomes: a headline,
/// then one sentence per part.
fn what_to_file(frames: Outcome, split: Outcome) -> String {
    let head = match (frames, split) {
        (_, Outcome::Confirmed) => {
            "A case could be made upstream (RustFFT #117) for the sizes where the split reached +50%, with this report's numbers and the prototype."
        }
        (Outcome::Refuted, _) => "**Do not file** for the seed's use case.",
        (Outcome::Confirmed, _) => "Frame-level parallelism does not help here: a measured case for parallelism inside rustfft (RustFFT #117) could be made.",
        _ => "**Do not file yet**: the measurement does not decide the claim at this resolution.",
    };
    let frames_line = match frames {
        Outcome::Refuted => "The mel use case gains the seed's +50% from rayon over frames with no rustfft change: plan once, reuse scratch (`process_with_scratch`), parallelise over frames.",
        Outcome::Confirmed => "Rayon over frames does not reach +10% for the mel use case here.",
        Outcome::NotMeasured => "The mel use case at the seed's sizes is not measured in this evidence.",
        _ => "Whether rayon over frames already gives the mel use case +50% is not decided at this resolution (`parallel-fft`).",
    };
    let split_line = match split {
        Outcome::Confirmed => "One transform split across threads reached +50% at some size above 4096 (`split-transform`).",
        Outcome::Refuted => {
            "One transform split across threads stayed under +50% at every size above 4096 with a prototype competitive on one thread (`split-transform`)."
        }
        _ => "Whether one large transform split across threads gains is not decided: see `split-transform` (this prototype's own cost on one thread).",
    };
    format!("\n## What to file\n\n{head} {frames_line} {split_line}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(lo: f64, hi: f64) -> Figures {
        Figures {
            frame_parallel_speedup: Estimate::at_95(10, (lo + hi) / 2.0, lo, hi),
            cores: 2,
            rustfft_version: "6.4.1".into(),
            frames_at: vec![(2048, Estimate::at_95(10, (lo + hi) / 2.0, lo, hi)), (4096, Estimate::at_95(10, (lo + hi) / 2.0, lo, hi))],
            split: Verdict::new(SPLIT_PART, Outcome::Refuted, String::new()),
            machines_differ: None,
        }
    }

    #[test]
    fn frame_parallelism_decides_whether_a_rustfft_change_is_needed() {
        assert_eq!(rules(&fig(1.85, 1.95))[0].outcome, Outcome::Refuted);
        assert_eq!(rules(&fig(0.95, 1.05))[0].outcome, Outcome::Confirmed);
        assert_eq!(rules(&fig(1.3, 1.6))[0].outcome, Outcome::Inconclusive);
        assert_eq!(rules(&fig(1.05, 1.2))[0].outcome, Outcome::Inconclusive);
        let mut mixed = fig(1.85, 1.95);
        mixed.frames_at[1] = (4096, Estimate::at_95(10, 1.3, 1.2, 1.4));
        assert_eq!(rules(&mixed)[0].outcome, Outcome::Inconclusive, "every size the use case names must reach +50%");
        assert!(!rules(&fig(1.85, 1.95))[0].figures.contains("different machines"));
        let two = Figures { machines_differ: Some(("A (AVX-512)".into(), "B (AVX2)".into())), ..fig(1.85, 1.95) };
        assert!(rules(&two)[0].figures.contains("measured on A (AVX-512), the STFT figures on B (AVX2): different machines"), "{}", rules(&two)[0].figures);
    }

    #[test]
    fn what_to_file_follows_both_parts() {
        let refuted_both = what_to_file(Outcome::Refuted, Outcome::Refuted);
        assert!(refuted_both.contains("**Do not file** for the seed's use case") && refuted_both.contains("competitive on one thread"));
        assert!(what_to_file(Outcome::Refuted, Outcome::Confirmed).contains("A case could be made"));
        assert!(what_to_file(Outcome::Inconclusive, Outcome::Inconclusive).contains("Do not file yet"));
        let c_r = what_to_file(Outcome::Confirmed, Outcome::Refuted);
        assert!(c_r.contains("does not help here") && c_r.contains("does not reach +10%") && !c_r.contains("not decided at this resolution (`parallel-fft`)"));
        assert!(what_to_file(Outcome::Refuted, Outcome::Inconclusive).contains("this prototype's own cost"));
    }

    #[test]
    fn the_use_case_is_not_measured_without_the_seeds_sizes() {
        let mut f = fig(1.85, 1.95);
        f.frames_at.clear();
        assert_eq!(rules(&f)[0].outcome, Outcome::NotMeasured);
    }
}
