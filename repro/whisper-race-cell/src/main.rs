//! One cell of the whisper-rs race matrix (claim 1 of the seed).
//!
//! ```text
//! whisper-race-cell MODEL CLIP.wav K N_THREADS PHASE GUARD
//! whisper-race-cell MODEL CLIP.wav --vad-check
//! whisper-race-cell MODEL CLIP.wav --abort-callback-check
//! ```
//! PHASE: `create` (K threads call `create_state` at once), `full` (states
//! made one by one, then K threads run `full` at once), `both` (each thread
//! creates its state and runs `full`). GUARD: `none`, `create` (a mutex
//! held only around `create_state`: the recommended pattern), `all` (a mutex
//! held around `create_state` and `full`: the seed's fix).
//!
//! Prints one JSON object per line: `start`, `created`, `progress`, `done`,
//! `end`, and every second a `tick` with the encoder and decoder passes
//! completed so far (counted by the abort callback, which whisper.cpp calls
//! after each pass). The parent watches these lines: a crash shows as the
//! process dying, a hang as the pass count and the events stopping while
//! ticks go on (a livelock if CPU still burns, a deadlock if it sleeps).

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState};

fn emit(v: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

fn read_wav(path: &str) -> Vec<f32> {
    let mut r = hound::WavReader::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    r.samples::<i16>().map(|s| s.expect("sample") as f32 / 32768.0).collect()
}

/// Encoder and decoder passes completed by every worker's `full` so far.
static PASSES: AtomicU64 = AtomicU64::new(0);

/// The abort callback: counts a pass, never aborts.
// SAFETY: reads none of its arguments.
unsafe extern "C" fn count_pass(_: *mut std::ffi::c_void) -> bool {
    PASSES.fetch_add(1, Ordering::Relaxed);
    false
}

/// Emits a `tick` with the pass count every second, for the whole run.
fn start_ticks(t0: Instant) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        emit(serde_json::json!({"event": "tick", "passes": PASSES.load(Ordering::Relaxed), "ms": t0.elapsed().as_secs_f64() * 1e3}));
    });
}

/// Greedy English decoding; with `worker`, progress is reported as
/// heartbeats and encoder and decoder passes are counted.
fn params<'a, 'b>(n_threads: i32, worker: Option<usize>) -> FullParams<'a, 'b> {
    let mut p = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    p.set_n_threads(n_threads);
    p.set_language(Some("en"));
    p.set_print_progress(false);
    p.set_print_realtime(false);
    p.set_print_timestamps(false);
    p.set_print_special(false);
    if let Some(worker) = worker {
        p.set_progress_callback_safe(move |pct: i32| emit(serde_json::json!({"event": "progress", "worker": worker, "pct": pct})));
        // Not `set_abort_callback_safe` (see `abort_callback_check`): the raw
        // API with a plain function and no user data.
        // SAFETY: `count_pass` is a valid `extern "C"` function for the whole run and reads no user data.
        unsafe { p.set_abort_callback(Some(count_pass)) };
    }
    p
}

fn text(state: &WhisperState) -> String {
    state.as_iter().map(|s| s.to_str_lossy().map(|t| t.trim().to_string()).unwrap_or_default()).collect::<Vec<_>>().join(" ")
}

/// The second lead: does `WhisperState::full` (whisper_full_with_state) read
/// the VAD settings at all? With VAD on and a VAD model path that does not
/// exist, a path that applies VAD must fail to load it.
fn vad_check(model: &str, pcm: &[f32]) {
    let ctx = WhisperContext::new_with_params(model, WhisperContextParameters::default()).expect("model loads");
    let mut st = ctx.create_state().expect("state");
    let run = |st: &mut WhisperState, vad: bool| {
        let mut p = params(1, None);
        if vad {
            p.set_vad_model_path(Some("/nonexistent/ggml-silero-vad.bin"));
            p.enable_vad(true);
        }
        let r = st.full(p, pcm);
        let segs: Vec<(i64, i64, String)> =
            st.as_iter().map(|s| (s.start_timestamp(), s.end_timestamp(), s.to_str_lossy().map(|t| t.into_owned()).unwrap_or_default())).collect();
        (r.is_ok(), segs)
    };
    let (ok_off, segs_off) = run(&mut st, false);
    let (ok_on, segs_on) = run(&mut st, true);

    // The context-level entry point (whisper_full), through the sys crate.
    let cpath = std::ffi::CString::new(model).expect("path");
    // The control first (VAD off must succeed), then VAD on with the missing model.
    // SAFETY: the context pointer is checked non-null before use and freed
    // once at the end; the C strings outlive the calls that read them.
    let (ctx_off, ctx_level) = unsafe {
        let cp = whisper_rs_sys::whisper_context_default_params();
        let c = whisper_rs_sys::whisper_init_from_file_with_params(cpath.as_ptr(), cp);
        assert!(!c.is_null(), "sys context");
        let mut p = whisper_rs_sys::whisper_full_default_params(whisper_rs_sys::whisper_sampling_strategy_WHISPER_SAMPLING_GREEDY);
        p.n_threads = 1;
        p.print_progress = false;
        let off = whisper_rs_sys::whisper_full(c, p, pcm.as_ptr(), pcm.len() as i32);
        p.vad = true;
        let vad_path = std::ffi::CString::new("/nonexistent/ggml-silero-vad.bin").expect("path");
        p.vad_model_path = vad_path.as_ptr();
        let on = whisper_rs_sys::whisper_full(c, p, pcm.as_ptr(), pcm.len() as i32);
        whisper_rs_sys::whisper_free(c);
        (off, on)
    };
    emit(serde_json::json!({
        "event": "vad-check",
        "state_full_vad_off_ok": ok_off,
        "state_full_vad_on_missing_model_ok": ok_on,
        "state_full_segments_identical": segs_off == segs_on,
        "segments_vad_off": segs_off.len(),
        "segments_vad_on": segs_on.len(),
        "ctx_full_vad_off_rc": ctx_off,
        "ctx_full_vad_on_missing_model_rc": ctx_level,
    }));
}

/// A third lead: `FullParams::set_abort_callback_safe` registers
/// `trampoline::<F>` but hands it a `Box<Box<dyn FnMut() -> bool>>`, so the
/// trampoline reads the box as if it were the closure. The closure below
/// captures 42 and reports what it sees; a correct API reports 42. Run in its
/// own process: the wrong read may also crash.
fn abort_callback_check(model: &str, pcm: &[f32]) {
    static SEEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let ctx = WhisperContext::new_with_params(model, WhisperContextParameters::default()).expect("model loads");
    let mut st = ctx.create_state().expect("state");
    let mut p = params(1, None);
    let captured: u64 = 42;
    p.set_abort_callback_safe(move || {
        SEEN.store(captured, std::sync::atomic::Ordering::Relaxed);
        false
    });
    let ok = st.full(p, pcm).is_ok();
    emit(serde_json::json!({"event": "abort-callback-check", "expected": 42, "seen": SEEN.load(std::sync::atomic::Ordering::Relaxed), "full_ok": ok}));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: whisper-race-cell MODEL CLIP.wav (K N_THREADS create|full|both none|create|all | --vad-check)";
    let (model, clip) = (args.get(1).expect(usage).clone(), args.get(2).expect(usage).clone());
    let pcm = Arc::new(read_wav(&clip));
    // SAFETY: a callback that reads none of its arguments.
    unsafe extern "C" fn quiet(_: u32, _: *const std::os::raw::c_char, _: *mut std::ffi::c_void) {}
    // whisper.cpp's and ggml's own logs would interleave with the JSON lines.
    // SAFETY: `quiet` is a valid `extern "C"` function for the whole run; the
    // user data is never read.
    unsafe {
        whisper_rs::set_log_callback(Some(quiet), std::ptr::null_mut());
    }
    if args.get(3).map(String::as_str) == Some("--vad-check") {
        vad_check(&model, &pcm);
        return;
    }
    if args.get(3).map(String::as_str) == Some("--abort-callback-check") {
        abort_callback_check(&model, &pcm);
        return;
    }
    let k: usize = args.get(3).expect(usage).parse().expect("K");
    let n_threads: i32 = args.get(4).expect(usage).parse().expect("N_THREADS");
    let phase = args.get(5).expect(usage).clone();
    let guard = args.get(6).expect(usage).clone();
    let t0 = Instant::now();
    emit(serde_json::json!({"event": "start", "k": k, "n_threads": n_threads, "phase": phase, "guard": guard, "samples": pcm.len()}));
    start_ticks(t0);
    let ctx = Arc::new(WhisperContext::new_with_params(&model, WhisperContextParameters::default()).expect("model loads"));
    let lock = Arc::new(Mutex::new(()));
    let mut premade: Vec<Option<WhisperState>> =
        if phase == "full" { (0..k).map(|_| Some(ctx.create_state().expect("state"))).collect() } else { (0..k).map(|_| None).collect() };
    let barrier = Arc::new(Barrier::new(k));
    let handles: Vec<_> = (0..k)
        .map(|w| {
            let (ctx, lock, barrier, pcm, phase, guard) =
                (Arc::clone(&ctx), Arc::clone(&lock), Arc::clone(&barrier), Arc::clone(&pcm), phase.clone(), guard.clone());
            let pre = premade[w].take();
            std::thread::Builder::new()
                .name(format!("race-worker-{w}"))
                .spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let all_guard = (guard == "all").then(|| lock.lock().unwrap_or_else(|p| p.into_inner()));
                    let mut state = match pre {
                        Some(s) => s,
                        None => {
                            let _g = (guard == "create").then(|| lock.lock().unwrap_or_else(|p| p.into_inner()));
                            let s = ctx.create_state().expect("create_state");
                            emit(serde_json::json!({"event": "created", "worker": w, "ms": start.elapsed().as_secs_f64() * 1e3}));
                            s
                        }
                    };
                    if phase != "create" {
                        state.full(params(n_threads, Some(w)), &pcm).expect("full");
                    }
                    drop(all_guard);
                    let t = if phase == "create" { String::new() } else { text(&state) };
                    emit(serde_json::json!({"event": "done", "worker": w, "ms": start.elapsed().as_secs_f64() * 1e3, "text": t}));
                })
                .expect("spawn")
        })
        .collect();
    for h in handles {
        h.join().expect("worker");
    }
    emit(serde_json::json!({"event": "end", "wall_ms": t0.elapsed().as_secs_f64() * 1e3}));
}
