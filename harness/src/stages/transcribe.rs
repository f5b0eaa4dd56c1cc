//! Transcription with whisper-rs: one shared context (the weights), one
//! state per worker.

use std::path::{Path, PathBuf};
use std::sync::Once;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState};

use crate::models::{catalog::id, ggml, locate};

/// Errors from loading or running Whisper; each names the model file.
#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    #[error(transparent)]
    Asset(#[from] locate::AssetError),
    #[error(transparent)]
    Header(#[from] ggml::GgmlError),
    #[error("whisper.cpp could not load {path}: {source}\n  fix: re-run scripts/setup.sh, or set HARNESS_WHISPER_MODEL to a valid ggml file")]
    Load { path: PathBuf, source: whisper_rs::WhisperError },
    #[error("whisper state: {0}")]
    State(whisper_rs::WhisperError),
    #[error("whisper inference: {0}")]
    Full(whisper_rs::WhisperError),
}

static LOG_HOOKS: Once = Once::new();

/// Routes whisper.cpp's and ggml's logs into `tracing` (target
/// `whisper_rs::...`) instead of stderr; idempotent.
pub fn route_logs_to_tracing() {
    LOG_HOOKS.call_once(whisper_rs::install_logging_hooks);
}

/// A loaded Whisper model.
pub struct Transcriber {
    ctx: WhisperContext,
    path: PathBuf,
}

impl std::fmt::Debug for Transcriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcriber").field("path", &self.path).finish()
    }
}

/// Called often while whisper.cpp computes (from its abort callback, which
/// ggml checks between graph nodes): a heartbeat for watchdogs.
pub type Heartbeat = std::sync::Arc<dyn Fn() + Send + Sync>;

/// Per-call settings.
#[derive(Debug, Clone, Copy)]
pub struct TranscribeOptions {
    /// ggml threads for this call (whisper.cpp's default is min(4, cores)).
    pub n_threads: i32,
}

impl Default for TranscribeOptions {
    fn default() -> Self {
        TranscribeOptions { n_threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)) as i32 }
    }
}

/// A transcript: segments with timestamps in seconds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Transcript {
    pub segments: Vec<Segment>,
}

/// One segment of a transcript.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
}

impl Transcript {
    /// All segment texts joined.
    pub fn text(&self) -> String {
        self.segments.iter().map(|s| s.text.trim()).collect::<Vec<_>>().join(" ")
    }
}

impl Transcriber {
    /// Loads the catalog's model (or `$HARNESS_WHISPER_MODEL`).
    pub fn from_catalog() -> Result<Self, TranscribeError> {
        let path = locate::require(id::WHISPER_GGML)?;
        Self::load(&path)
    }

    /// Loads a ggml model, checking its header first so a corrupt file is
    /// refused with its name instead of aborting inside whisper.cpp.
    pub fn load(path: &Path) -> Result<Self, TranscribeError> {
        route_logs_to_tracing();
        ggml::check_header(path)?;
        let ctx = WhisperContext::new_with_params(path, WhisperContextParameters::default())
            .map_err(|source| TranscribeError::Load { path: path.to_path_buf(), source })?;
        Ok(Transcriber { ctx, path: path.to_path_buf() })
    }

    /// The shared context, for callers that manage states themselves.
    pub fn context(&self) -> &WhisperContext {
        &self.ctx
    }

    /// The model file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new decoding state (per worker).
    pub fn new_state(&self) -> Result<WhisperState, TranscribeError> {
        self.ctx.create_state().map_err(TranscribeError::State)
    }

    /// Transcribes 16 kHz mono f32 samples with greedy decoding, in English.
    pub fn transcribe(&self, state: &mut WhisperState, samples: &[f32], opts: TranscribeOptions) -> Result<Transcript, TranscribeError> {
        self.transcribe_with_heartbeat(state, samples, opts, None)
    }

    /// As `transcribe`, calling `beat` while whisper.cpp computes, so a
    /// watchdog can tell a long call from a stalled one.
    pub fn transcribe_with_heartbeat(
        &self,
        state: &mut WhisperState,
        samples: &[f32],
        opts: TranscribeOptions,
        beat: Option<Heartbeat>,
    ) -> Result<Transcript, TranscribeError> {
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        // Not `set_abort_callback_safe`: in whisper-rs 0.16.0 it registers a
        // trampoline for the closure's own type but passes a boxed trait
        // object, so the closure runs on the wrong memory (see
        // reports/whisper-rs-race.md, "abort callback"). The raw API with our
        // own trampoline; `beat` outlives the call below.
        // SAFETY: whisper.cpp calls it only with the user data set below.
        unsafe extern "C" fn trampoline(user_data: *mut std::ffi::c_void) -> bool {
            // SAFETY: user_data is `&beat` below, alive for the whole `full` call.
            let beat = unsafe { &*(user_data as *const Heartbeat) };
            beat();
            false
        }
        if let Some(beat) = beat.as_ref() {
            // SAFETY: the pointer stays valid until `full` returns (beat is a
            // local of this function); the trampoline only reads it.
            unsafe {
                params.set_abort_callback(Some(trampoline));
                params.set_abort_callback_user_data(beat as *const Heartbeat as *mut std::ffi::c_void);
            }
        }
        params.set_n_threads(opts.n_threads);
        params.set_language(Some("en"));
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        state.full(params, samples).map_err(TranscribeError::Full)?;
        let segments = state
            .as_iter()
            .map(|s| Segment {
                start_s: s.start_timestamp() as f64 / 100.0,
                end_s: s.end_timestamp() as f64 / 100.0,
                text: s.to_str_lossy().map(|t| t.into_owned()).unwrap_or_default(),
            })
            .collect();
        Ok(Transcript { segments })
    }
}
