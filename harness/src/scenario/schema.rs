//! The scenario schema. Defaults are the seed team's pipeline on this
//! machine's two cores; `scenarios/*.toml` override what they study.

use serde::{Deserialize, Serialize};

use crate::stages::detect::TensorInput;
use crate::stages::jpeg::JpegDecoder;
use crate::stages::mel::FftMode;

/// A whole scenario, as resolved (defaults filled, overrides applied).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub input: Input,
    #[serde(default)]
    pub concurrency: Concurrency,
    #[serde(default)]
    pub keyframes: Keyframes,
    #[serde(default)]
    pub jpeg: Jpeg,
    #[serde(default)]
    pub detect: Detect,
    #[serde(default)]
    pub embed: Embed,
    #[serde(default)]
    pub vad: Vad,
    #[serde(default)]
    pub mel: Mel,
    #[serde(default)]
    pub transcribe: Transcribe,
    #[serde(default)]
    pub tokenize: Tokenize,
    #[serde(default)]
    pub watchdog: Watchdog,
    #[serde(default)]
    pub measure: Measure,
    #[serde(default)]
    pub faults: Faults,
}

/// Instrumentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Measure {
    /// Per-stage timers on (off measures what they cost).
    pub instrument: bool,
    /// Write each keyframe JPEG into the run directory.
    pub keep_keyframes: bool,
}

impl Default for Measure {
    fn default() -> Self {
        Measure { instrument: true, keep_keyframes: true }
    }
}

/// The media to process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Catalog asset ids prefixed `asset:` (e.g. `asset:video-speech-h264-aac`)
    /// or paths (relative paths are relative to the scenario file).
    pub files: Vec<String>,
    /// The list is processed this many times (larger workloads).
    #[serde(default = "one")]
    pub repeat: usize,
}

fn one() -> usize {
    1
}

/// Threads and parallelism.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Concurrency {
    /// `manual`: the numbers below and each stage's threads as written;
    /// `auto`: the harness sets them all from the machine's cores
    /// (`scenario::budget`), and run.json records what it chose.
    pub mode: ConcurrencyMode,
    /// Files processed in parallel (one worker thread each).
    pub files: usize,
    /// Size of the rayon pool (log-mel in rayon mode, jpeg-decoder's rayon mode).
    pub rayon_threads: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency { mode: ConcurrencyMode::Manual, files: 2, rayon_threads: 2 }
    }
}

/// Who sets the thread counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConcurrencyMode {
    Manual,
    Auto,
}

/// How a model instance is shared between file workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sharing {
    /// One instance behind a lock (the seed's design).
    Mutex,
    /// One instance per worker (ort: its own session; whisper: its own state
    /// on the shared context).
    PerWorker,
    /// A pool of `pool_size` instances, checked out per call.
    Pool,
}

/// Keyframe selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyframeMode {
    /// Frames the codec marks as keyframes.
    Codec,
    /// One frame every `interval_s`.
    Interval,
    /// A frame whose luma differs from the last selected one by more than
    /// `scene_threshold` (mean absolute difference, 0..1).
    Scene,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Keyframes {
    pub mode: KeyframeMode,
    pub interval_s: f64,
    pub scene_threshold: f64,
    /// At most this many keyframes in any minute of media.
    pub max_per_minute: u32,
}

impl Default for Keyframes {
    fn default() -> Self {
        Keyframes { mode: KeyframeMode::Codec, interval_s: 2.0, scene_threshold: 0.25, max_per_minute: 30 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Jpeg {
    /// mozjpeg quality of keyframe JPEGs.
    pub quality: f32,
    /// The decoder that reads keyframe JPEGs back.
    pub decoder: JpegDecoder,
}

impl Default for Jpeg {
    fn default() -> Self {
        // libjpeg-turbo through mozjpeg: the fastest decoder on every image
        // measured (reports/image-jpeg.md), and the only one at >= 0.95x of
        // libjpeg-turbo's own tjbench on all of them.
        Jpeg { quality: 85.0, decoder: JpegDecoder::Mozjpeg }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Detect {
    pub enabled: bool,
    /// The detector: `asset:ID` from the catalog or a path (relative to the
    /// scenario file); default the catalog's YOLOv8n.
    pub model: Option<String>,
    pub sharing: Sharing,
    pub pool_size: usize,
    /// ONNX Runtime intra-op threads per session.
    pub intra_threads: usize,
    pub tensor_input: TensorInput,
    pub score_threshold: f32,
    pub iou_threshold: f32,
}

impl Default for Detect {
    fn default() -> Self {
        Detect {
            enabled: true,
            model: None,
            sharing: Sharing::PerWorker,
            pool_size: 2,
            intra_threads: 1,
            tensor_input: TensorInput::ZeroCopyView,
            score_threshold: 0.25,
            iou_threshold: 0.45,
        }
    }
}

/// Image embeddings: no real image encoder is reachable here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmbedMode {
    /// Stage skipped (the default: no real model ships in any registry).
    Skip,
    /// A user-supplied image-encoder ONNX (`embed.model`, input NCHW f32 224x224).
    Model,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Embed {
    pub mode: EmbedMode,
    pub model: Option<String>,
    pub sharing: Sharing,
    pub pool_size: usize,
    pub intra_threads: usize,
}

impl Default for Embed {
    fn default() -> Self {
        Embed { mode: EmbedMode::Skip, model: None, sharing: Sharing::PerWorker, pool_size: 2, intra_threads: 1 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Vad {
    pub enabled: bool,
    /// The Silero VAD model: `asset:ID` or a path; default the catalog's.
    pub model: Option<String>,
    pub sharing: Sharing,
    pub pool_size: usize,
    pub intra_threads: usize,
}

impl Default for Vad {
    fn default() -> Self {
        Vad { enabled: true, model: None, sharing: Sharing::PerWorker, pool_size: 2, intra_threads: 1 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mel {
    pub enabled: bool,
    pub fft_mode: FftMode,
}

impl Default for Mel {
    fn default() -> Self {
        Mel { enabled: true, fft_mode: FftMode::Serial }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Transcribe {
    pub enabled: bool,
    /// The ggml Whisper model: `asset:ID` (e.g.
    /// `asset:whisper-tiny.en-ggml-q8_0`) or a path; default the catalog's
    /// tiny.en F16 (or `$HARNESS_WHISPER_MODEL`).
    pub model: Option<String>,
    /// `mutex`: one state behind a lock; `per-worker`: a state per worker on
    /// the shared context (whisper.cpp's design); `pool`: `pool_size` states.
    pub sharing: Sharing,
    pub pool_size: usize,
    /// ggml threads per `full` call.
    pub n_threads: i32,
    /// Audio is transcribed in chunks of this many seconds, so memory does
    /// not grow with the file's length.
    pub chunk_s: f64,
    /// Only the speech regions VAD found go to whisper (padded, gathered
    /// across chunks; `stages::vad_gate`), as faster-whisper's `vad_filter`.
    /// Gates only where `vad.enabled`: without VAD there is nothing to gate
    /// by and every chunk goes whole, as with `false` (run.json's
    /// `transcribed_s` shows which).
    pub vad_gate: bool,
}

impl Default for Transcribe {
    fn default() -> Self {
        Transcribe { enabled: true, model: None, sharing: Sharing::PerWorker, pool_size: 2, n_threads: 1, chunk_s: 30.0, vad_gate: true }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tokenize {
    pub enabled: bool,
    /// Catalog id of the tokenizer.json.
    pub tokenizer: String,
}

impl Default for Tokenize {
    fn default() -> Self {
        Tokenize { enabled: true, tokenizer: crate::models::catalog::id::MINILM_TOKENIZER.into() }
    }
}

/// What to do when a file makes no progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnStall {
    /// Mark the file hung, keep the other files going.
    Mark,
    /// Mark it hung and stop starting new files.
    Abort,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Watchdog {
    /// Seconds without a heartbeat after which a worker is judged: hung if
    /// its threads are asleep, slow if they use CPU (`measure::liveness`).
    pub stall_s: f64,
    /// Seconds without a heartbeat after which a worker that keeps using
    /// CPU counts as hung all the same (a livelock must end).
    pub busy_limit_s: f64,
    pub on_stall: OnStall,
    /// Seconds gdb may take to capture all-thread backtraces.
    pub gdb_timeout_s: u64,
}

impl Default for Watchdog {
    fn default() -> Self {
        Watchdog { stall_s: 120.0, busy_limit_s: 1800.0, on_stall: OnStall::Mark, gdb_timeout_s: 30 }
    }
}

/// Fault injection, to test the watchdog and error paths. Empty in every
/// shipped scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Block forever inside this stage (e.g. "detect") of the first file.
    pub hang_in_stage: Option<String>,
}

impl Scenario {
    /// The scenario's model paths, relative ones resolved against `base` (the
    /// scenario file's folder), as input files are.
    pub fn resolve_model_paths(&mut self, base: &std::path::Path) {
        for m in [&mut self.detect.model, &mut self.vad.model, &mut self.transcribe.model].into_iter().flatten() {
            if !m.starts_with("asset:") && std::path::Path::new(m.as_str()).is_relative() {
                *m = base.join(&*m).to_string_lossy().into_owned();
            }
        }
    }

    /// Checks values serde cannot (ranges, combinations). Errors name the key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, why: &str| Err((k.to_string(), why.to_string()));
        if self.input.files.is_empty() {
            return bad("input.files", "at least one file");
        }
        for (key, model) in [("detect.model", &self.detect.model), ("vad.model", &self.vad.model), ("transcribe.model", &self.transcribe.model)] {
            if let Some(id) = model.as_deref().and_then(|m| m.strip_prefix("asset:")) {
                if crate::models::catalog::asset(id).is_none() {
                    return bad(key, "`asset:ID` with an id of the catalog (`harness doctor` lists them), or a path");
                }
            }
        }
        if self.input.repeat == 0 {
            return bad("input.repeat", "an integer >= 1");
        }
        if self.concurrency.files == 0 {
            return bad("concurrency.files", "an integer >= 1");
        }
        if self.concurrency.rayon_threads == 0 {
            return bad("concurrency.rayon_threads", "an integer >= 1");
        }
        if !(1.0..=100.0).contains(&self.jpeg.quality) {
            return bad("jpeg.quality", "a number in 1..=100");
        }
        for (k, s, n) in [
            ("detect", self.detect.sharing, self.detect.pool_size),
            ("vad", self.vad.sharing, self.vad.pool_size),
            ("transcribe", self.transcribe.sharing, self.transcribe.pool_size),
            ("embed", self.embed.sharing, self.embed.pool_size),
        ] {
            if s == Sharing::Pool && n == 0 {
                return bad(&format!("{k}.pool_size"), "an integer >= 1 with sharing = \"pool\"");
            }
        }
        if self.detect.intra_threads == 0 || self.vad.intra_threads == 0 || self.embed.intra_threads == 0 {
            return bad("*.intra_threads", "an integer >= 1");
        }
        if self.transcribe.n_threads < 1 {
            return bad("transcribe.n_threads", "an integer >= 1");
        }
        if self.transcribe.chunk_s < 1.0 {
            return bad("transcribe.chunk_s", "a number of seconds >= 1");
        }
        if self.keyframes.interval_s <= 0.0 {
            return bad("keyframes.interval_s", "a positive number of seconds");
        }
        if !(0.0..=1.0).contains(&self.keyframes.scene_threshold) {
            return bad("keyframes.scene_threshold", "a number in 0..=1");
        }
        if self.watchdog.stall_s <= 0.0 {
            return bad("watchdog.stall_s", "a positive number of seconds");
        }
        if self.watchdog.busy_limit_s < self.watchdog.stall_s {
            return bad("watchdog.busy_limit_s", "seconds, at least watchdog.stall_s");
        }
        if self.embed.mode == EmbedMode::Model && self.embed.model.is_none() {
            return bad("embed.model", "a path to an image-encoder ONNX when embed.mode = \"model\"");
        }
        Ok(())
    }
}
