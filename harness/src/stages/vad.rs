//! Voice activity detection with Silero VAD (ONNX, v5/v6 interface).
//!
//! Each call takes a 512-sample window at 16 kHz preceded by the previous
//! window's last 64 samples (the context the official wrapper prepends), plus
//! the recurrent state `[2, 1, 128]`; it returns a speech probability.

use std::path::Path;

use ort::session::Session;
use ort::value::Tensor;

use super::onnx::{self, OnnxError, SessionThreads};
use crate::models::{catalog::id, locate};

/// Samples per window at 16 kHz.
pub const WINDOW: usize = 512;
const CONTEXT: usize = 64;
const SAMPLE_RATE: i64 = 16_000;

/// Segmentation settings (Silero's defaults).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct VadParams {
    pub threshold: f32,
    pub min_speech_ms: u32,
    pub min_silence_ms: u32,
}

impl Default for VadParams {
    fn default() -> Self {
        VadParams { threshold: 0.5, min_speech_ms: 250, min_silence_ms: 100 }
    }
}

/// A speech segment in seconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpeechSegment {
    pub start_s: f64,
    pub end_s: f64,
}

/// A Silero VAD session.
pub struct Vad {
    session: Session,
}

impl std::fmt::Debug for Vad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vad").finish_non_exhaustive()
    }
}

/// The layout `Vad` needs (Silero VAD v5/v6: `input`, `state`, `sr` in;
/// `output`, `stateN` out).
pub const LAYOUT: onnx::Layout = onnx::Layout {
    model: "Silero VAD (v5/v6)",
    inputs: &[
        onnx::Expect { name: Some("input"), ty: onnx::TensorElementType::Float32, dims: &[-1, -1] },
        onnx::Expect { name: Some("state"), ty: onnx::TensorElementType::Float32, dims: &[2, -1, 128] },
        onnx::Expect { name: Some("sr"), ty: onnx::TensorElementType::Int64, dims: &[] },
    ],
    outputs: &[
        onnx::Expect { name: Some("output"), ty: onnx::TensorElementType::Float32, dims: &[-1, 1] },
        onnx::Expect { name: Some("stateN"), ty: onnx::TensorElementType::Float32, dims: &[2, -1, 128] },
    ],
    fix: "give silero_vad.onnx from the silero-vad package (v5 or v6) through HARNESS_VAD_MODEL, or unset it for the catalog's",
};

impl Vad {
    /// The catalog's model (or `$HARNESS_VAD_MODEL`).
    pub fn from_catalog(threads: SessionThreads) -> Result<Self, OnnxError> {
        Self::load(&locate::require(id::SILERO)?, threads)
    }

    /// Any Silero VAD v5/v6 ONNX file; another layout is refused by name.
    pub fn load(path: &Path, threads: SessionThreads) -> Result<Self, OnnxError> {
        let session = onnx::session(path, threads)?;
        onnx::check_layout(path, &session, &LAYOUT)?;
        Ok(Vad { session })
    }

    /// Speech probability per 512-sample window of 16 kHz mono audio (a
    /// final partial window is zero-padded).
    pub fn probabilities(&mut self, samples: &[f32]) -> Result<Vec<f32>, OnnxError> {
        let mut state = vec![0f32; 2 * 128];
        let mut frame = vec![0f32; CONTEXT + WINDOW];
        let mut probs = Vec::with_capacity(samples.len().div_ceil(WINDOW));
        for chunk in samples.chunks(WINDOW) {
            // Shift the last 64 samples of the previous window into the context.
            frame.copy_within(WINDOW.., 0);
            frame[CONTEXT..].fill(0.0);
            frame[CONTEXT..CONTEXT + chunk.len()].copy_from_slice(chunk);
            let (p, next) = self.run_window(&frame, &state, crate::stages::detect::TensorInput::OwnedCopy)?;
            probs.push(p);
            state.copy_from_slice(&next);
        }
        Ok(probs)
    }

    /// One window through the model, with the input built by `mode`: the
    /// speech probability and the next state. `frame` is 64 context + 512
    /// samples, `state` 2x1x128.
    pub fn run_window(&mut self, frame: &[f32], state: &[f32], mode: crate::stages::detect::TensorInput) -> Result<(f32, Vec<f32>), OnnxError> {
        use crate::stages::detect::TensorInput;
        let err = |e: ort::Error| OnnxError::Run { model: "silero-vad".into(), message: e.to_string() };
        let sr = [SAMPLE_RATE];
        let out = match mode {
            TensorInput::OwnedCopy => {
                let input = Tensor::from_array(([1usize, CONTEXT + WINDOW], frame.to_vec())).map_err(err)?;
                let st = Tensor::from_array(([2usize, 1, 128], state.to_vec())).map_err(err)?;
                let sr = Tensor::from_array(([1usize], sr.to_vec())).map_err(err)?;
                self.session.run(ort::inputs!["input" => input, "state" => st, "sr" => sr]).map_err(err)?
            }
            TensorInput::ZeroCopyView => {
                let input = ort::value::TensorRef::from_array_view(([1usize, CONTEXT + WINDOW], frame)).map_err(err)?;
                let st = ort::value::TensorRef::from_array_view(([2usize, 1, 128], state)).map_err(err)?;
                let sr = ort::value::TensorRef::from_array_view(([1usize], &sr[..])).map_err(err)?;
                self.session.run(ort::inputs!["input" => input, "state" => st, "sr" => sr]).map_err(err)?
            }
        };
        let (_, p) = out["output"].try_extract_tensor::<f32>().map_err(err)?;
        let (_, s) = out["stateN"].try_extract_tensor::<f32>().map_err(err)?;
        match (p.first(), s.len()) {
            (Some(p), 256) => Ok((*p, s.to_vec())),
            _ => Err(OnnxError::Run { model: "silero-vad".into(), message: format!("outputs of {} and {} values, expected 1 and 256", p.len(), s.len()) }),
        }
    }

    /// Speech segments of 16 kHz mono audio.
    pub fn segments(&mut self, samples: &[f32], params: VadParams) -> Result<Vec<SpeechSegment>, OnnxError> {
        Ok(segments_from_probabilities(&self.probabilities(samples)?, params))
    }
}

/// Turns window probabilities into segments with hysteresis (enter at
/// `threshold`, leave below `threshold - 0.15`), dropping short speech and
/// bridging short silences.
pub fn segments_from_probabilities(probs: &[f32], params: VadParams) -> Vec<SpeechSegment> {
    let win_s = WINDOW as f64 / SAMPLE_RATE as f64;
    let min_speech = params.min_speech_ms as f64 / 1000.0;
    let min_silence = params.min_silence_ms as f64 / 1000.0;
    let leave = params.threshold - 0.15;
    let mut raw: Vec<SpeechSegment> = Vec::new();
    let mut start: Option<usize> = None;
    for (i, &p) in probs.iter().enumerate() {
        match start {
            None if p >= params.threshold => start = Some(i),
            Some(s) if p < leave => {
                raw.push(SpeechSegment { start_s: s as f64 * win_s, end_s: i as f64 * win_s });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        raw.push(SpeechSegment { start_s: s as f64 * win_s, end_s: probs.len() as f64 * win_s });
    }
    let mut merged: Vec<SpeechSegment> = Vec::new();
    for seg in raw {
        match merged.last_mut() {
            Some(last) if seg.start_s - last.end_s < min_silence => last.end_s = seg.end_s,
            _ => merged.push(seg),
        }
    }
    merged.retain(|s| s.end_s - s.start_s >= min_speech);
    merged
}
