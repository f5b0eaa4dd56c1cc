//! The real inputs the ort experiments feed their models, in one place so
//! that claims 2 and 6 measure the same calls.

use super::error::ExperimentError;
use crate::models::{catalog::id, locate};
use crate::stages::detect;

/// YOLOv8n's input: the rocket photo letterboxed to 640x640, NCHW f32.
pub fn yolo_tensor() -> Result<Vec<f32>, ExperimentError> {
    let photo = image::open(locate::require(id::PHOTO_ROCKET)?)?.to_rgb8();
    let mut t = Vec::new();
    detect::letterbox(&photo, &mut t);
    Ok(t)
}

/// Samples `from..to` of the second librivox clip at 16 kHz (real speech).
pub fn speech_samples(from: usize, to: usize) -> Result<Vec<f32>, ExperimentError> {
    let speech = crate::stages::decode::read_audio_16k(&crate::media::speech_clips()[1])?;
    speech.get(from..to).map(<[f32]>::to_vec).ok_or_else(|| ExperimentError::Input {
        input: crate::media::speech_clips()[1].display().to_string(),
        problem: format!("shorter than {to} samples at 16 kHz"),
    })
}

/// The ONNX file of a model the ort experiments name (`yolov8n-640`,
/// `silero-vad-512`).
pub fn model_file(model: &str) -> Result<std::path::PathBuf, ExperimentError> {
    let asset = match model {
        "yolov8n-640" => id::YOLO,
        "silero-vad-512" => id::SILERO,
        other => return Err(ExperimentError::unknown_model(other, &["yolov8n-640", "silero-vad-512"])),
    };
    Ok(locate::require(asset)?)
}
