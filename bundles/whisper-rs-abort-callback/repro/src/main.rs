//! `FullParams::set_abort_callback_safe` registers `trampoline::<F>` but
//! stores a `Box<Box<dyn FnMut() -> bool>>` as its user data, so the
//! trampoline reads the outer box as if it were the closure.
//!
//! A closure capturing `42u64` records what it sees while whisper.cpp runs
//! one `full` call. The audio content does not matter (whisper.cpp polls the
//! abort callback while it computes), so it is 2 s of silence.
//!
//! Usage: `whisper-rs-abort-callback-repro MODEL` (any ggml Whisper model,
//! for example `ggml-tiny.en.bin`). Prints one line on stdout; whisper.cpp's
//! log goes to stderr. The wrong read may also crash the process.

use std::sync::atomic::{AtomicU64, Ordering};

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

/// What the closure saw; 0 until it is first called.
static SEEN: AtomicU64 = AtomicU64::new(0);

fn main() {
    let model = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: whisper-rs-abort-callback-repro MODEL");
        std::process::exit(2)
    });
    let ctx = WhisperContext::new_with_params(&model, WhisperContextParameters::default()).unwrap_or_else(|e| {
        eprintln!("{model}: {e}");
        std::process::exit(2)
    });
    let mut state = ctx.create_state().expect("create_state");
    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    params.set_n_threads(1);
    params.set_language(Some("en"));
    let captured: u64 = 42;
    params.set_abort_callback_safe(move || {
        SEEN.store(captured, Ordering::Relaxed);
        false
    });
    let silence = vec![0.0f32; 32_000];
    let result = state.full(params, &silence);
    let seen = SEEN.load(Ordering::Relaxed);
    eprintln!("full: {result:?}; the closure saw {seen}");
    match seen {
        42 => println!("set_abort_callback_safe: the closure saw its captured 42 (correct)"),
        0 => println!("set_abort_callback_safe: the closure was never called"),
        _ => println!("set_abort_callback_safe: the closure saw another value instead of its captured 42 (defect)"),
    }
}
