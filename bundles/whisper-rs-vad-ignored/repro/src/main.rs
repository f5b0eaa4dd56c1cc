//! `WhisperState::full` calls `whisper_full_with_state`; in whisper.cpp only
//! `whisper_full` and `whisper_full_parallel` apply voice activity detection.
//! So `FullParams::enable_vad(true)` has no effect through the only
//! inference entry point whisper-rs offers.
//!
//! The probe needs no VAD model: VAD is enabled with a model path that does
//! not exist. A call that applies VAD must try to load it and fail; a call
//! that ignores the settings succeeds. The audio content does not matter to
//! the probe, so it is 2 s of silence.
//!
//! Usage: `whisper-rs-vad-ignored-repro MODEL` (any ggml Whisper model, for
//! example `ggml-tiny.en.bin`). Prints two lines on stdout; whisper.cpp's
//! log goes to stderr.

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState};

const MISSING_VAD_MODEL: &str = "/nonexistent/ggml-silero-v5.1.2.bin";

fn full(state: &mut WhisperState, vad: bool, audio: &[f32]) -> String {
    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    params.set_n_threads(1);
    params.set_language(Some("en"));
    if vad {
        params.set_vad_model_path(Some(MISSING_VAD_MODEL));
        params.enable_vad(true);
    }
    match state.full(params, audio) {
        Ok(()) => "Ok".into(),
        Err(e) => {
            eprintln!("full (vad = {vad}): {e:?}");
            "Err".into()
        }
    }
}

fn main() {
    let model = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: whisper-rs-vad-ignored-repro MODEL");
        std::process::exit(2)
    });
    let ctx = WhisperContext::new_with_params(&model, WhisperContextParameters::default()).unwrap_or_else(|e| {
        eprintln!("{model}: {e}");
        std::process::exit(2)
    });
    let mut state = ctx.create_state().expect("create_state");
    let silence = vec![0.0f32; 32_000];
    println!("WhisperState::full, VAD off: {}", full(&mut state, false, &silence));
    let on = full(&mut state, true, &silence);
    let meaning = if on == "Ok" { "the VAD settings were not read (defect)" } else { "the VAD settings were read: loading the missing VAD model failed" };
    println!("WhisperState::full, VAD on with a VAD model that does not exist: {on}: {meaning}");
}
