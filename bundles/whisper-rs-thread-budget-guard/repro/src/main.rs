//! Two states of one context run `full` at the same time, each with
//! `n_threads` = the machine's cores, so twice as many busy threads as cores.
//! ggml's CPU backend spin-waits at a barrier after every graph node, so the
//! calls crawl instead of sharing the cores; nothing warns about it.
//!
//! The line on stdout says whether whisper-rs logged a thread-budget warning
//! (the proposed guard does, and lowers the later call's `n_threads`) and
//! whether both transcripts equal the single-state one. Timings go to stderr
//! as information: they depend on the machine and its load, so they are not
//! part of the expected output.
//!
//! Usage: `whisper-rs-thread-budget-guard-repro MODEL SPEECH.wav` (a ggml
//! Whisper model; a 16 kHz mono 16-bit WAV of a few seconds of speech, for
//! example whisper.cpp's `samples/jfk.wav`).

use std::sync::{Arc, Barrier, Mutex};
use std::time::Instant;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState};

/// Keeps whisper-rs's own warnings (its `log_backend` feature).
struct Warnings(Mutex<Vec<String>>);

impl log::Log for Warnings {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, r: &log::Record) {
        if self.enabled(r.metadata()) {
            let line = r.args().to_string();
            eprintln!("log: {line}");
            self.0.lock().unwrap_or_else(|p| p.into_inner()).push(line);
        }
    }
    fn flush(&self) {}
}

static WARNINGS: Warnings = Warnings(Mutex::new(Vec::new()));

/// Warnings so far that are the proposed guard's (its wording), not others.
fn guard_warnings() -> usize {
    let w = WARNINGS.0.lock().unwrap_or_else(|p| p.into_inner());
    w.iter().filter(|l| l.contains("concurrent full() calls") && l.contains("available cores")).count()
}

fn transcribe(mut state: WhisperState, n_threads: i32, audio: &[f32]) -> String {
    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    params.set_n_threads(n_threads);
    params.set_language(Some("en"));
    params.set_print_progress(false);
    state.full(params, audio).expect("full");
    state.as_iter().map(|s| s.to_str_lossy().map(|t| t.trim().to_string()).unwrap_or_default()).collect::<Vec<_>>().join(" ")
}

/// `k` calls released together; their transcripts and the wall time.
fn concurrent(ctx: &Arc<WhisperContext>, k: usize, n_threads: i32, audio: &Arc<Vec<f32>>) -> (Vec<String>, f64) {
    let barrier = Arc::new(Barrier::new(k));
    let t0 = Instant::now();
    let workers: Vec<_> = (0..k)
        .map(|_| {
            // States are made before the barrier, so the `full` calls start together.
            let state = ctx.create_state().expect("create_state");
            let (audio, barrier) = (Arc::clone(audio), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                transcribe(state, n_threads, &audio)
            })
        })
        .collect();
    let texts = workers.into_iter().map(|w| w.join().expect("worker")).collect();
    (texts, t0.elapsed().as_secs_f64())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: whisper-rs-thread-budget-guard-repro MODEL SPEECH.wav");
        std::process::exit(2);
    }
    log::set_logger(&WARNINGS).expect("logger");
    log::set_max_level(log::LevelFilter::Warn);
    let mut wav = hound::WavReader::open(&args[2]).unwrap_or_else(|e| {
        eprintln!("{}: {e} (want a 16 kHz mono 16-bit WAV)", args[2]);
        std::process::exit(2)
    });
    let audio: Arc<Vec<f32>> = Arc::new(wav.samples::<i16>().map(|s| s.expect("sample") as f32 / 32768.0).collect());
    let ctx = Arc::new(WhisperContext::new_with_params(&args[1], WhisperContextParameters::default()).unwrap_or_else(|e| {
        eprintln!("{}: {e}", args[1]);
        std::process::exit(2)
    }));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as i32;

    let reference = transcribe(ctx.create_state().expect("create_state"), cores, &audio);
    let (fit, fit_s) = concurrent(&ctx, 2, (cores / 2).max(1), &audio);
    let before = guard_warnings();
    let (over, over_s) = concurrent(&ctx, 2, cores, &audio);
    let warned = guard_warnings() > before;

    eprintln!(
        "info (timing, not checked): {cores} cores; 2 calls x n_threads={}: {fit_s:.2} s; 2 calls x n_threads={cores}: {over_s:.2} s ({:.1}x)",
        (cores / 2).max(1),
        over_s / fit_s
    );
    let same = fit.iter().chain(&over).all(|t| *t == reference);
    println!("2 concurrent full() calls with n_threads = the number of cores: thread-budget warning logged: {}", if warned { "yes" } else { "no" });
    println!("every concurrent transcript equals the single-state transcript: {}", if same { "yes" } else { "no" });
}
