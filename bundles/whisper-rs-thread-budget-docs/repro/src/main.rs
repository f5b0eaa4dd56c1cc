//! The two facts the documentation patch writes down, shown on the
//! unpatched crate:
//! 1. states of one context may run `full` at the same time: two concurrent
//!    calls give the single-state transcript (checked, on stdout);
//! 2. keep (concurrent calls) x `n_threads` within the cores: with twice as
//!    many busy threads as cores, ggml's spin-waiting barrier makes the calls
//!    crawl (timed, on stderr as information: timings depend on the machine
//!    and its load, so they are not part of the expected output).
//!
//! A documentation patch changes no behaviour: the expected output is the
//! same before and after, and the check is that the patched crate builds
//! and behaves the same.
//!
//! Usage: `whisper-rs-thread-budget-docs-repro MODEL SPEECH.wav` (a ggml
//! Whisper model; a 16 kHz mono 16-bit WAV of a few seconds of speech, for
//! example whisper.cpp's `samples/jfk.wav`).

use std::sync::{Arc, Barrier};
use std::time::Instant;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState};

fn transcribe(mut state: WhisperState, n_threads: i32, audio: &[f32]) -> String {
    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    params.set_n_threads(n_threads);
    params.set_language(Some("en"));
    params.set_print_progress(false);
    state.full(params, audio).expect("full");
    state.as_iter().map(|s| s.to_str_lossy().map(|t| t.trim().to_string()).unwrap_or_default()).collect::<Vec<_>>().join(" ")
}

/// Two calls on states of one context, released together: transcripts and wall seconds.
fn two_at_once(ctx: &Arc<WhisperContext>, n_threads: i32, audio: &Arc<Vec<f32>>) -> (Vec<String>, f64) {
    let barrier = Arc::new(Barrier::new(2));
    let t0 = Instant::now();
    let workers: Vec<_> = (0..2)
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
        eprintln!("usage: whisper-rs-thread-budget-docs-repro MODEL SPEECH.wav");
        std::process::exit(2);
    }
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
    let half = (cores / 2).max(1);

    let reference = transcribe(ctx.create_state().expect("create_state"), cores, &audio);
    let (fit, fit_s) = two_at_once(&ctx, half, &audio);
    let (over, over_s) = two_at_once(&ctx, cores, &audio);
    eprintln!(
        "info (timing, not checked): {cores} cores; 2 calls x n_threads={half}: {fit_s:.2} s; 2 calls x n_threads={cores}: {over_s:.2} s ({:.1}x)",
        over_s / fit_s
    );
    let same = fit.iter().chain(&over).all(|t| *t == reference);
    println!("2 states of one context ran full() at the same time: every transcript equals the single-state transcript: {}", if same { "yes" } else { "no" });
}
