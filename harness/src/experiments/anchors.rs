//! Native anchors: each stage side by side with the reference it wraps,
//! after checking both give the same output.
//! - decode: `ffmpeg -threads 1 -i F -ar 16000 -ac 1 -f null -` vs
//!   `harness stage decode F` (both whole processes, single-threaded decoders);
//! - transcription: a minimal C driver linked against the same whisper.cpp
//!   static libraries whisper-rs-sys built, vs whisper-rs, same clip,
//!   threads and greedy decoding, model loaded once, `full` timed;
//! - detection: onnxruntime 1.31.1 from Python vs ort, same model, input
//!   tensor and intra-op threads, `run` timed.

use super::error::{io, ExperimentError};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::models::{catalog, locate};
use crate::paths;
use crate::stages::detect::{self, Detector, TensorInput};
use crate::stages::onnx::SessionThreads;
use crate::stages::transcribe::{TranscribeOptions, Transcriber};

/// Timings of one anchor comparison (milliseconds).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Pair {
    pub what: String,
    pub ours_ms: Vec<f64>,
    pub native_ms: Vec<f64>,
    /// How the outputs were checked to agree, and the result.
    pub agreement: String,
    pub agree: bool,
}

/// All anchors; a failed anchor keeps its error instead of its numbers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Anchors {
    pub decode: Option<Pair>,
    pub transcribe: Option<Pair>,
    /// The C driver with whisper.cpp's own default (flash attention on),
    /// against whisper-rs's default (off): not an anchor, a finding.
    pub transcribe_flash_attn: Option<Pair>,
    pub detect: Option<Pair>,
    pub errors: Vec<String>,
}

/// Runs `cmd` and times it as a whole process (both sides of an anchor
/// pay the same start-up and pipe draining).
fn wall_ms(mut cmd: Command) -> Result<(f64, crate::process::Finished), ExperimentError> {
    let t = Instant::now();
    let out = crate::process::checked(&mut cmd, crate::process::limit::PROBE)?;
    Ok((t.elapsed().as_secs_f64() * 1e3, out))
}

fn decode_anchor(video: &Path, runs: usize) -> Result<Pair, ExperimentError> {
    let mut p =
        Pair { what: format!("decode {} (video + audio to 16 kHz mono)", video.file_name().unwrap_or_default().to_string_lossy()), ..Default::default() };
    let mut samples = (0, 0);
    for _ in 0..runs {
        let mut ours = Command::new(super::harness_exe());
        ours.args(["stage", "decode"]).arg(video);
        let (ms, out) = wall_ms(ours)?;
        p.ours_ms.push(ms);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(super::error::output(&out.command))?;
        samples.0 = v["summary"]["video"]["frames_decoded"].as_u64().unwrap_or(0);
        let mut ff = Command::new("ffmpeg");
        ff.args(["-nostdin", "-v", "error", "-threads", "1", "-i"]).arg(video).args(["-ar", "16000", "-ac", "1", "-f", "null", "-"]);
        p.native_ms.push(wall_ms(ff)?.0);
    }
    // Agreement: the frame count ffprobe counts equals ours.
    let probe = crate::process::output(
        Command::new("ffprobe")
            .args(["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
            .arg(video),
        crate::process::limit::PROBE,
    )?;
    samples.1 = String::from_utf8_lossy(&probe.stdout).trim().parse().unwrap_or(u64::MAX);
    p.agree = samples.0 == samples.1;
    p.agreement = format!("video frames: harness {}, ffprobe {}", samples.0, samples.1);
    Ok(p)
}

/// The folder whisper-rs-sys built whisper.cpp into (static libs + header).
fn whisper_build_dir() -> Option<PathBuf> {
    let build = paths::workspace_root().join("target/release/build");
    std::fs::read_dir(build)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("whisper-rs-sys-")))
        .map(|p| p.join("out"))
        .find(|o| o.join("lib/libwhisper.a").is_file())
}

/// Builds the C driver (`scripts/anchors/whisper_driver.c`) against the
/// static libraries whisper-rs-sys built; returns the executable.
pub(super) fn build_whisper_driver() -> Result<PathBuf, ExperimentError> {
    let out = whisper_build_dir().ok_or_else(|| ExperimentError::Input {
        input: paths::workspace_root().join("target/release/build").display().to_string(),
        problem: "no whisper-rs-sys build output (build the harness in release first)".into(),
    })?;
    let exe = paths::cache_dir().join("anchors/whisper_driver");
    let dir = exe.parent().expect("parent");
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let src = paths::workspace_root().join("scripts/anchors/whisper_driver.c");
    let lib = out.join("lib");
    let mut cc = Command::new("cc");
    cc.args(["-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .arg(format!("-I{}", out.join("include").display()))
        .arg(lib.join("libwhisper.a"))
        .arg(lib.join("libggml.a"))
        .arg(lib.join("libggml-cpu.a"))
        .arg(lib.join("libggml-base.a"))
        .args(["-lstdc++", "-lm", "-lpthread", "-fopenmp"]);
    crate::process::checked(&mut cc, crate::process::limit::BUILD)?;
    Ok(exe)
}

fn c_driver(driver: &Path, model: &Path, clip: &Path, n_threads: i32, runs: usize, flash_attn: bool) -> Result<(Vec<f64>, String), ExperimentError> {
    let out = crate::process::output(
        Command::new(driver).arg(model).arg(clip).arg(n_threads.to_string()).arg(runs.to_string()).arg(if flash_attn { "1" } else { "0" }),
        crate::process::limit::PROBE,
    )?;
    if !out.status.success() {
        return Err(ExperimentError::Failed { command: out.command.clone(), stderr: out.stderr_text() });
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(super::error::output(&out.command))?;
    let ms = v["full_ms"].as_array().map(|a| a.iter().filter_map(|x| x.as_f64()).collect()).unwrap_or_default();
    Ok((ms, v["text"].as_str().unwrap_or("").trim().to_string()))
}

fn transcribe_anchor(rounds: usize, n_threads: i32) -> Result<(Pair, Pair), ExperimentError> {
    const PER_ROUND: usize = 3;
    let clip = &crate::media::speech_clips()[0];
    let model = locate::require(catalog::id::WHISPER_GGML)?;
    let driver = build_whisper_driver()?;
    let audio = crate::stages::decode::read_audio_16k(clip)?;
    let t = Transcriber::load(&model)?;
    let mut st = t.new_state()?;
    let opts = TranscribeOptions { n_threads };
    // Warm-up (the first full() allocates its compute buffers), not timed.
    let mut text = t.transcribe(&mut st, &audio, opts)?.text();
    let (mut ours_ms, mut native_ms, mut flash_ms) = (Vec::new(), Vec::new(), Vec::new());
    let (mut c_text, mut flash_text) = (String::new(), String::new());
    // Rounds alternate the three so drift on a shared machine hits all alike;
    // each C batch drops its own first (warm-up) run.
    for _ in 0..rounds {
        let (ms, txt) = c_driver(&driver, &model, clip, n_threads, PER_ROUND + 1, false)?;
        native_ms.extend_from_slice(&ms[1..]);
        c_text = txt;
        for _ in 0..PER_ROUND {
            let t0 = Instant::now();
            text = t.transcribe(&mut st, &audio, opts)?.text();
            ours_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        let (ms, txt) = c_driver(&driver, &model, clip, n_threads, PER_ROUND + 1, true)?;
        flash_ms.extend_from_slice(&ms[1..]);
        flash_text = txt;
    }
    let name = clip.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let anchor = Pair {
        what: format!("whisper full(), tiny.en, {name}, {n_threads} threads, greedy, flash attention off in both"),
        ours_ms: ours_ms.clone(),
        native_ms,
        agree: text.trim() == c_text,
        agreement: format!("transcripts identical: {} (C: {c_text:?})", text.trim() == c_text),
    };
    let flash = Pair {
        what: format!("whisper-rs default (flash attention off) vs whisper.cpp default (on), {name}, {n_threads} threads"),
        ours_ms,
        native_ms: flash_ms,
        agree: text.trim() == flash_text,
        agreement: format!("transcripts identical: {}", text.trim() == flash_text),
    };
    Ok((anchor, flash))
}

fn python_with_onnxruntime() -> Result<PathBuf, ExperimentError> {
    let venv = paths::cache_dir().join("anchors/venv");
    let py = venv.join("bin/python3");
    let ok = |py: &Path| {
        crate::process::output(Command::new(py).args(["-c", "import onnxruntime, numpy"]), crate::process::limit::PROBE).is_ok_and(|o| o.status.success())
    };
    if py.is_file() && ok(&py) {
        return Ok(py);
    }
    let run = |cmd: &mut Command| crate::process::checked(cmd, crate::process::limit::MEDIA).map(|_| ());
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    // The same onnxruntime wheel the harness loads its library from.
    let wheel = paths::downloads_dir().join(catalog::ONNXRUNTIME.file);
    run(Command::new(&py).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).arg(&wheel).arg("numpy"))?;
    if ok(&py) {
        Ok(py)
    } else {
        Err(ExperimentError::Input { input: venv.display().to_string(), problem: "onnxruntime did not import in this venv".into() })
    }
}

fn detect_anchor(runs: usize, intra: usize) -> Result<Pair, ExperimentError> {
    let model = locate::require(catalog::id::YOLO)?;
    let photo = image::open(locate::require(catalog::id::PHOTO_ROCKET)?)?.to_rgb8();
    let mut tensor = Vec::new();
    detect::letterbox(&photo, &mut tensor);
    let mut det = Detector::load(&model, SessionThreads { intra, inter: 1 })?;
    let (output, _, _) = det.run_tensor(&tensor, TensorInput::ZeroCopyView)?;
    let mut ours_ms = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        det.run_tensor(&tensor, TensorInput::ZeroCopyView)?;
        ours_ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let dir = paths::cache_dir().join("anchors");
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let side = detect::INPUT_SIDE as usize;
    let (input_npy, output_npy) = (dir.join("yolo-input.npy"), dir.join("yolo-output.npy"));
    std::fs::write(&input_npy, crate::evidence::npy::npy_f32(&[1, 3, side, side], &tensor)).map_err(io(&input_npy))?;
    std::fs::write(&output_npy, crate::evidence::npy::npy_f32(&[1, 22, output.len() / 22], &output)).map_err(io(&output_npy))?;
    let py = python_with_onnxruntime()?;
    let out = crate::process::output(
        Command::new(py)
            .arg(paths::workspace_root().join("scripts/anchors/ort_anchor.py"))
            .arg(&model)
            .arg(dir.join("yolo-input.npy"))
            .arg(intra.to_string())
            .arg(runs.to_string())
            .arg(dir.join("yolo-output.npy")),
        crate::process::limit::PROBE,
    )?;
    if !out.status.success() {
        return Err(ExperimentError::Failed { command: out.command.clone(), stderr: out.stderr_text() });
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(super::error::output(&out.command))?;
    let diff = v["max_abs_diff"].as_f64().unwrap_or(f64::INFINITY);
    Ok(Pair {
        what: format!("YOLOv8n run() on a 640x640 letterboxed photo, {intra} intra-op thread(s)"),
        ours_ms,
        native_ms: v["run_ms"].as_array().map(|a| a.iter().filter_map(|x| x.as_f64()).collect()).unwrap_or_default(),
        agree: diff <= 1e-3,
        agreement: format!("max |output difference| = {diff:.2e} (onnxruntime {} in Python)", v["onnxruntime"].as_str().unwrap_or("?")),
    })
}

/// Runs every anchor with `runs` timed repetitions each.
pub fn run_all(runs: usize) -> Anchors {
    let mut a = Anchors::default();
    match locate::require(catalog::id::VIDEO_MP4).map_err(ExperimentError::from).and_then(|v| decode_anchor(&v, runs * 2)) {
        Ok(p) => a.decode = Some(p),
        Err(e) => a.errors.push(format!("decode anchor: {e}")),
    }
    match transcribe_anchor(runs.div_ceil(2), 1) {
        Ok((p, f)) => {
            a.transcribe = Some(p);
            a.transcribe_flash_attn = Some(f);
        }
        Err(e) => a.errors.push(format!("transcription anchor: {e}")),
    }
    match detect_anchor(runs * 4, 1) {
        Ok(p) => a.detect = Some(p),
        Err(e) => a.errors.push(format!("detection anchor: {e}")),
    }
    a
}
