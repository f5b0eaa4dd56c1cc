//! Transcription on its own (issue #15): what the VAD gate saves on speech
//! with long gaps, and whisper-rs (whisper.cpp) against faster-whisper
//! (CTranslate2), the engine a user would pick instead, on the same tiny.en
//! weights and clips, F16 / Q8_0 against f32 / int8, one thread each.
//!
//! - gate: `harness run` on the five librivox clips joined with 20 s of
//!   digital silence before, between and after them (real speech, SYNTHETIC
//!   gaps), `transcribe.vad_gate` on and off alternating, one file at a time;
//! - engines: each engine transcribes each clip once per repeat, the engines
//!   interleaved within a repeat; model loading is outside the timing (the
//!   pipeline loads once per run), features (log-mel) inside, as both
//!   engines compute them inside their transcribe call.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::error::{io, ExperimentError};
use super::run_scenario;
use crate::evidence::store::{self, Evidence};
use crate::models::{catalog, locate};
use crate::stages::decode;
use crate::stages::transcribe::{TranscribeOptions, Transcriber};
use crate::{media, paths, quality};

/// Experiment id (evidence folder).
pub const EXPERIMENT: &str = "transcription";

/// Seconds of digital silence around and between the clips of the gate input.
pub const GAP_S: u32 = 20;

/// One `harness run` of the gate input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GateSample {
    pub gate: bool,
    pub repeat: usize,
    pub wall_s: f64,
    pub media_s: f64,
    /// Audio handed to whisper.
    pub transcribed_s: f64,
    /// Thread CPU of the transcribe stage.
    pub transcribe_cpu_s: f64,
    pub wer: f64,
    pub transcript: String,
}

/// One engine and weight format over every clip.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EngineRun {
    /// `whisper-rs` or `faster-whisper`.
    pub engine: String,
    /// Model and weights (`tiny.en f16`, `tiny.en int8`, ...).
    pub weights: String,
    pub threads: usize,
    /// One pass over every clip per repeat (milliseconds).
    pub pass_ms: Vec<f64>,
    /// Process CPU of each pass (milliseconds): equal to the wall time
    /// when the engine really used one thread.
    pub pass_cpu_ms: Vec<f64>,
    /// The last pass's transcript per clip.
    pub texts: Vec<String>,
    /// Corpus WER of `texts` against the clips' transcription.
    pub wer: f64,
    /// The engine's own versions (faster-whisper and CTranslate2).
    pub versions: String,
    /// Where a pass's time goes, on the first clip.
    pub profile: Option<Profile>,
}

/// The encoder's share of one more transcription of the first clip, on a
/// warm model: whisper.cpp's own accounting (`whisper_print_timings`,
/// through the C driver on the same static libraries), or faster-whisper's
/// `encode` wrapped and timed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Profile {
    /// Encoder time in that transcription, all runs (milliseconds).
    pub encode_total_ms: f64,
    /// Encoder runs (one per 30 s window the decoder's seek visits).
    pub encode_runs: u32,
    /// The whole transcription (milliseconds).
    pub clip_ms: f64,
}

impl Profile {
    fn from_json(v: &serde_json::Value) -> Option<Profile> {
        Some(Profile { encode_total_ms: v["encode_total_ms"].as_f64()?, encode_runs: v["encode_runs"].as_u64()? as u32, clip_ms: v["full_ms"].as_f64()? })
    }
}

/// The measured data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Data {
    pub gate: Vec<GateSample>,
    /// Length of the gate input (seconds).
    pub gate_input_s: f64,
    /// Seconds of speech in the clips every engine transcribes.
    pub clips_s: f64,
    pub engines: Vec<EngineRun>,
    pub errors: Vec<String>,
}

impl store::DataSchema for Data {
    const VERSION: u32 = 1;
}

/// Labels of the engine runs the goals compare.
pub mod label {
    pub const RS_F16: &str = "tiny.en f16";
    pub const RS_Q8_0: &str = "tiny.en q8_0";
    pub const FW_F32: &str = "tiny.en float32";
    pub const FW_INT8: &str = "tiny.en int8";
    pub const RS_BASE_F16: &str = "base f16";
    pub const RS_BASE_Q5_K: &str = "base q5_k";
}

fn ffmpeg(args: &[&str]) -> Result<(), ExperimentError> {
    crate::process::checked(Command::new("ffmpeg").args(["-nostdin", "-v", "error", "-y"]).args(args), crate::process::limit::MEDIA)?;
    Ok(())
}

/// The gate input: every clip with `GAP_S` of digital silence before,
/// between and after (SYNTHETIC gaps), and its reference transcript.
fn gate_input(dir: &Path) -> Result<(PathBuf, String), ExperimentError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let silence = dir.join("silence.wav");
    ffmpeg(&["-f", "lavfi", "-t", &GAP_S.to_string(), "-i", "anullsrc=r=16000:cl=mono", "-c:a", "pcm_s16le", &silence.display().to_string()])?;
    let mut list = String::new();
    for clip in media::speech_clips() {
        list += &format!("file '{}'\nfile '{}'\n", silence.display(), clip.display());
    }
    list += &format!("file '{}'\n", silence.display());
    let list_file = dir.join("list.txt");
    std::fs::write(&list_file, list).map_err(io(&list_file))?;
    let out = dir.join(format!("librivox-gaps-{GAP_S}s-SYNTHETIC.wav"));
    ffmpeg(&["-f", "concat", "-safe", "0", "-i", &list_file.display().to_string(), "-c:a", "pcm_s16le", &out.display().to_string()])?;
    Ok((out, references()?.join(" ")))
}

/// The clips' reference transcripts, in `media::speech_clips` order.
fn references() -> Result<Vec<String>, ExperimentError> {
    let all = media::transcripts().map_err(io(Path::new(catalog::LIBRIVOX_DIR)))?;
    media::speech_clips()
        .iter()
        .map(|c| {
            let stem = c.file_stem().unwrap_or_default().to_string_lossy().to_string();
            all.iter()
                .find(|(id, _)| *id == stem)
                .map(|(_, t)| t.clone())
                .ok_or_else(|| ExperimentError::Input { input: c.display().to_string(), problem: "no transcript in librivox/transcription".into() })
        })
        .collect()
}

fn gate_runs(repeats: usize, work: &Path, data: &mut Data, progress: &dyn Fn(&str)) -> Result<(), ExperimentError> {
    let (input, reference) = gate_input(&work.join("gate-input"))?;
    let scenario = paths::workspace_root().join("scenarios/default.toml");
    for rep in 0..repeats {
        // On first in even repeats, off first in odd ones.
        for gate in [rep % 2 == 0, rep % 2 == 1] {
            progress(&format!("gate {}: repeat {} of {repeats}", if gate { "on" } else { "off" }, rep + 1));
            let sets = vec![
                format!("input.files=[{:?}]", input.display().to_string()),
                "concurrency.files=1".into(),
                format!("transcribe.vad_gate={gate}"),
                "measure.keep_keyframes=false".into(),
            ];
            let r = run_scenario(&scenario, &sets, &work.join(format!("gate-{gate}-{rep}")))?;
            let f = r.files.first().ok_or_else(|| ExperimentError::Input { input: input.display().to_string(), problem: "the run has no file".into() })?;
            if let Some(e) = &f.error {
                return Err(ExperimentError::Input { input: input.display().to_string(), problem: e.clone() });
            }
            data.gate_input_s = r.totals.media_s;
            data.gate.push(GateSample {
                gate,
                repeat: rep,
                wall_s: r.totals.wall_s,
                media_s: r.totals.media_s,
                transcribed_s: f.transcribed_s,
                transcribe_cpu_s: r.stages.get("transcribe").map_or(0.0, |t| t.thread_cpu_s),
                wer: quality::word_error_rate(&reference, &f.transcript),
                transcript: f.transcript.clone(),
            });
        }
    }
    Ok(())
}

/// An engine the repeats interleave.
enum Engine {
    Rs { label: &'static str, transcriber: Box<Transcriber> },
    Fw { label: &'static str, compute_type: &'static str },
}

fn rs_engine(label: &'static str, asset: &str) -> Result<Engine, ExperimentError> {
    // The catalog's own file: a user's model under `$HARNESS_WHISPER_MODEL`
    // would be measured under the catalog's label.
    let a = catalog::asset(asset).ok_or_else(|| ExperimentError::Input { input: asset.into(), problem: "not in the catalog".into() })?;
    let path = paths::cache_dir().join(a.cache_path);
    locate::require(asset)?;
    Ok(Engine::Rs { label, transcriber: Box::new(Transcriber::load(&path)?) })
}

/// A venv with faster-whisper and CTranslate2 at the versions of
/// `../shared/models.md`.
pub fn python_with_faster_whisper() -> Result<PathBuf, ExperimentError> {
    let venv = paths::cache_dir().join("anchors/fw-venv");
    let py = venv.join("bin/python3");
    let probe = "import faster_whisper, ctranslate2; assert faster_whisper.__version__ == '1.2.1' and ctranslate2.__version__ == '4.8.5'";
    let ok = |py: &Path| crate::process::output(Command::new(py).args(["-c", probe]), crate::process::limit::PROBE).is_ok_and(|o| o.status.success());
    if py.is_file() && ok(&py) {
        return Ok(py);
    }
    let run = |cmd: &mut Command| crate::process::checked(cmd, crate::process::limit::MEDIA).map(|_| ());
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(&py).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "faster-whisper==1.2.1", "ctranslate2==4.8.5"]))?;
    if ok(&py) {
        Ok(py)
    } else {
        Err(ExperimentError::Input {
            input: venv.display().to_string(),
            problem: "faster-whisper 1.2.1 / ctranslate2 4.8.5 did not import in this venv".into(),
        })
    }
}

/// One faster-whisper pass (after an untimed one) in its own process.
/// One faster-whisper pass: wall and CPU milliseconds, texts, versions, profile.
type FwPass = (f64, f64, Vec<String>, String, Option<Profile>);

fn fw_pass(py: &Path, compute_type: &str, clips: &[PathBuf]) -> Result<FwPass, ExperimentError> {
    let model_dir = locate::require(catalog::id::WHISPER_CT2)?.parent().map(Path::to_path_buf).unwrap_or_default();
    for needed in [catalog::id::WHISPER_CT2_CONFIG, catalog::id::WHISPER_CT2_VOCABULARY, catalog::id::WHISPER_BPE] {
        locate::require(needed)?;
    }
    let mut cmd = Command::new(py);
    cmd.arg(paths::workspace_root().join("scripts/anchors/faster_whisper_anchor.py")).arg(&model_dir).arg(compute_type).arg("1").arg("1").args(clips);
    // cpu_threads=1 binds CTranslate2 only; the features are a numpy product.
    for var in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"] {
        cmd.env(var, "1");
    }
    let out = crate::process::output(&mut cmd, crate::process::limit::PROBE)?;
    if !out.status.success() {
        return Err(ExperimentError::Failed { command: out.command.clone(), stderr: out.stderr_text() });
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(super::error::output(&out.command))?;
    let ms = v["run_ms"].get(0).and_then(|x| x.as_f64()).unwrap_or(f64::NAN);
    let cpu_ms = v["run_cpu_ms"].get(0).and_then(|x| x.as_f64()).unwrap_or(f64::NAN);
    let texts = v["texts"].as_array().map(|a| a.iter().map(|t| t.as_str().unwrap_or("").to_string()).collect()).unwrap_or_default();
    let versions = format!(
        "faster-whisper {}, ctranslate2 {}",
        v["versions"]["faster-whisper"].as_str().unwrap_or("?"),
        v["versions"]["ctranslate2"].as_str().unwrap_or("?")
    );
    Ok((ms, cpu_ms, texts, versions, Profile::from_json(&v["profile"])))
}

/// whisper.cpp's own profile of one clip.
fn rs_profile(model: &Path, clip: &Path) -> Result<Profile, ExperimentError> {
    let driver = super::anchors::build_whisper_driver()?;
    // One thread, one run, flash attention off (whisper-rs's default).
    let out = crate::process::output(Command::new(driver).arg(model).arg(clip).args(["1", "1", "0"]), crate::process::limit::PROBE)?;
    if !out.status.success() {
        return Err(ExperimentError::Failed { command: out.command.clone(), stderr: out.stderr_text() });
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(super::error::output(&out.command))?;
    Profile::from_json(&v["timings"]).ok_or_else(|| ExperimentError::Failed { command: out.command.clone(), stderr: "no timings in its output".into() })
}

fn rs_pass(t: &Transcriber, audio: &[Vec<f32>]) -> Result<(f64, f64, Vec<String>), ExperimentError> {
    let mut state = t.new_state()?;
    let opts = TranscribeOptions { n_threads: 1 };
    let (started, cpu) = (Instant::now(), crate::measure::clock::process_cpu());
    let mut texts = Vec::new();
    for a in audio {
        texts.push(t.transcribe(&mut state, a, opts)?.text());
    }
    let cpu_ms = (crate::measure::clock::process_cpu() - cpu).as_secs_f64() * 1e3;
    Ok((started.elapsed().as_secs_f64() * 1e3, cpu_ms, texts))
}

fn engine_runs(repeats: usize, data: &mut Data, progress: &dyn Fn(&str)) -> Result<(), ExperimentError> {
    let clips = media::speech_clips();
    let refs = references()?;
    let audio: Vec<Vec<f32>> = clips.iter().map(|c| decode::read_audio_16k(c)).collect::<Result<_, _>>()?;
    data.clips_s = audio.iter().map(|a| a.len() as f64 / decode::TARGET_RATE as f64).sum();
    let mut engines = vec![rs_engine(label::RS_F16, catalog::id::WHISPER_GGML)?];
    let optional = [
        (label::RS_Q8_0, catalog::id::WHISPER_GGML_Q8_0),
        (label::RS_BASE_F16, catalog::id::WHISPER_BASE_GGML),
        (label::RS_BASE_Q5_K, catalog::id::WHISPER_BASE_GGML_Q5_K),
    ];
    for (label, asset) in optional {
        match rs_engine(label, asset) {
            Ok(e) => engines.push(e),
            Err(e) => data.errors.push(format!("whisper-rs {label}: {e}")),
        }
    }
    let py = match python_with_faster_whisper() {
        Ok(py) => {
            engines.push(Engine::Fw { label: label::FW_F32, compute_type: "float32" });
            engines.push(Engine::Fw { label: label::FW_INT8, compute_type: "int8" });
            Some(py)
        }
        Err(e) => {
            data.errors.push(format!("faster-whisper: {e}"));
            None
        }
    };
    let mut runs: Vec<EngineRun> = engines
        .iter()
        .map(|e| {
            let (engine, weights) = match e {
                Engine::Rs { label, .. } => ("whisper-rs", *label),
                Engine::Fw { label, .. } => ("faster-whisper", *label),
            };
            EngineRun {
                engine: engine.into(),
                weights: weights.into(),
                threads: 1,
                pass_ms: vec![],
                pass_cpu_ms: vec![],
                texts: vec![],
                wer: f64::NAN,
                versions: String::new(),
                profile: None,
            }
        })
        .collect();
    // One untimed pass of each whisper-rs model first (faster-whisper warms up inside its process).
    for e in &engines {
        if let Engine::Rs { transcriber, .. } = e {
            rs_pass(transcriber, &audio)?;
        }
    }
    for rep in 0..repeats {
        // The order rotates per repeat, so drift does not favour one engine.
        for k in 0..engines.len() {
            let i = (k + rep) % engines.len();
            let (e, run) = (&engines[i], &mut runs[i]);
            progress(&format!("engines: {} {}, repeat {} of {repeats}", run.engine, run.weights, rep + 1));
            let (ms, cpu_ms, texts) = match (e, py.as_deref()) {
                (Engine::Rs { transcriber, .. }, _) => rs_pass(transcriber, &audio)?,
                (Engine::Fw { compute_type, .. }, Some(py)) => {
                    let (ms, cpu_ms, texts, versions, profile) = fw_pass(py, compute_type, &clips)?;
                    run.versions = versions;
                    run.profile = profile;
                    (ms, cpu_ms, texts)
                }
                (Engine::Fw { .. }, None) => continue,
            };
            run.pass_ms.push(ms);
            run.pass_cpu_ms.push(cpu_ms);
            run.texts = texts;
        }
    }
    for (e, run) in engines.iter().zip(runs.iter_mut()) {
        if let Engine::Rs { transcriber, .. } = e {
            match rs_profile(transcriber.path(), &clips[0]) {
                Ok(p) => run.profile = Some(p),
                Err(err) => data.errors.push(format!("profile of whisper-rs {}: {err}", run.weights)),
            }
        }
    }
    for run in &mut runs {
        run.wer = quality::corpus_word_error_rate(refs.iter().map(String::as_str).zip(run.texts.iter().map(String::as_str)));
    }
    data.engines = runs;
    Ok(())
}

/// Runs the experiment and stores its evidence; returns the evidence file.
pub fn run(repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
    let work = paths::cache_dir().join("runs").join(format!("{EXPERIMENT}-{}", started_at.replace([':', '-'], "")));
    let mut data = Data::default();
    if let Err(e) = gate_runs(repeats, &work, &mut data, progress) {
        data.errors.push(format!("gate: {e}"));
    }
    if let Err(e) = engine_runs(repeats, &mut data, progress) {
        data.errors.push(format!("engines: {e}"));
    }
    let evidence = Evidence::new(
        EXPERIMENT,
        started_at,
        serde_json::json!({ "repeats": repeats, "quick": quick, "gap_s": GAP_S, "threads": 1 }),
        vec![format!("gate input: the five librivox clips (real speech) with {GAP_S} s of digital silence around and between them (SYNTHETIC gaps)")],
        data,
    );
    let path = store::write_new(EXPERIMENT, &evidence).map_err(io(&store::scratch_root()))?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(path)
}
