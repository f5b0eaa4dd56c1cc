//! whisper.cpp's own multi-processor path, `whisper_full_parallel`, through
//! whisper-rs-sys: whisper-rs 0.16 does not wrap it. It splits one audio
//! into `n_processors` chunks, transcribes each on its own state and
//! thread(s), and merges the segments into the context's default state.
//! With one processor it is `whisper_full`; with more, every call makes one
//! new state per extra processor, and the chunks' own return codes are not
//! passed back (a failed chunk shows only as missing words). The context is
//! set up as whisper-rs 0.16's defaults set it for a CPU build (no GPU, no
//! flash attention: whisper.cpp's own defaults differ) and decoding as
//! `transcribe::Transcriber` sets it (greedy, best of 1, English).

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};

use crate::models::ggml;

/// Why the raw context could not load or transcribe.
#[derive(Debug, thiserror::Error)]
pub enum ParallelError {
    #[error(transparent)]
    Header(#[from] ggml::GgmlError),
    #[error("whisper.cpp could not load {path}\n  fix: re-run scripts/setup.sh, or set HARNESS_WHISPER_MODEL to a valid ggml file")]
    Load { path: PathBuf },
    #[error("whisper_full_parallel returned {code} ({processors} processors, {threads} threads each)")]
    Full { code: i32, processors: i32, threads: i32 },
    #[error("no samples to transcribe (whisper.cpp may crash on empty input)")]
    Empty,
}

/// A whisper.cpp context owned through the C API.
pub struct RawWhisper {
    ctx: *mut whisper_rs_sys::whisper_context,
}

impl Drop for RawWhisper {
    fn drop(&mut self) {
        // SAFETY: `ctx` came from whisper_init_from_file_with_params, is not null, and is freed once.
        unsafe { whisper_rs_sys::whisper_free(self.ctx) }
    }
}

impl RawWhisper {
    /// Loads a ggml model (its header checked first, as `Transcriber::load` does).
    pub fn load(path: &Path) -> Result<Self, ParallelError> {
        super::transcribe::route_logs_to_tracing();
        ggml::check_header(path)?;
        let c_path = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| ParallelError::Load { path: path.to_path_buf() })?;
        // SAFETY: plain constructor of a params struct.
        let mut params = unsafe { whisper_rs_sys::whisper_context_default_params() };
        // As `WhisperContextParameters::default()` in whisper-rs 0.16 without a GPU feature.
        params.use_gpu = false;
        params.flash_attn = false;
        // SAFETY: c_path is a valid NUL-terminated string for the call.
        let ctx = unsafe { whisper_rs_sys::whisper_init_from_file_with_params(c_path.as_ptr(), params) };
        if ctx.is_null() {
            return Err(ParallelError::Load { path: path.to_path_buf() });
        }
        Ok(RawWhisper { ctx })
    }

    /// Transcribes 16 kHz mono samples split across `processors` chunks of
    /// `threads` threads each; returns the segments' texts in order.
    pub fn full_parallel(&mut self, samples: &[f32], threads: usize, processors: usize) -> Result<Vec<String>, ParallelError> {
        if samples.is_empty() {
            return Err(ParallelError::Empty);
        }
        let language = c"en";
        // SAFETY: plain constructor of a params struct.
        let mut params = unsafe { whisper_rs_sys::whisper_full_default_params(whisper_rs_sys::whisper_sampling_strategy_WHISPER_SAMPLING_GREEDY) };
        params.greedy.best_of = 1;
        params.n_threads = threads as i32;
        params.language = language.as_ptr();
        params.print_special = false;
        params.print_progress = false;
        params.print_realtime = false;
        params.print_timestamps = false;
        let (n, p) = (samples.len() as i32, processors as i32);
        // SAFETY: ctx is live and used by this thread only (&mut self); samples outlive the call; `language` is static.
        let code = unsafe { whisper_rs_sys::whisper_full_parallel(self.ctx, params, samples.as_ptr(), n, p) };
        if code != 0 {
            return Err(ParallelError::Full { code, processors: p, threads: threads as i32 });
        }
        // SAFETY: the segments were written by the call above into ctx's default state.
        let count = unsafe { whisper_rs_sys::whisper_full_n_segments(self.ctx) };
        Ok((0..count)
            .map(|i| {
                // SAFETY: i < count; whisper.cpp returns a NUL-terminated string owned by ctx (copied at once), or null.
                let text = unsafe { whisper_rs_sys::whisper_full_get_segment_text(self.ctx, i) };
                if text.is_null() {
                    String::new()
                } else {
                    // SAFETY: not null, NUL-terminated (above).
                    unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned()
                }
            })
            .collect())
    }
}
