//! The real inputs the ort experiments feed their models, in one place so
//! that claims 2 and 6 measure the same calls.

use crate::models::{catalog::id, locate};
use crate::stages::detect;

/// YOLOv8n's input: the rocket photo letterboxed to 640x640, NCHW f32.
pub fn yolo_tensor() -> Result<Vec<f32>, String> {
    let photo = image::open(locate::require(id::PHOTO_ROCKET).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?.to_rgb8();
    let mut t = Vec::new();
    detect::letterbox(&photo, &mut t);
    Ok(t)
}

/// Samples `from..to` of the second librivox clip at 16 kHz (real speech).
pub fn speech_samples(from: usize, to: usize) -> Result<Vec<f32>, String> {
    let speech = crate::stages::decode::read_audio_16k(&crate::media::speech_clips()[1]).map_err(|e| e.to_string())?;
    speech.get(from..to).map(<[f32]>::to_vec).ok_or_else(|| format!("speech clip shorter than {to} samples"))
}

/// The ONNX file of a model the ort experiments name (`yolov8n-640`,
/// `silero-vad-512`).
pub fn model_file(model: &str) -> Result<std::path::PathBuf, String> {
    let asset = match model {
        "yolov8n-640" => id::YOLO,
        "silero-vad-512" => id::SILERO,
        other => return Err(format!("unknown model `{other}`; known: yolov8n-640, silero-vad-512")),
    };
    locate::require(asset).map_err(|e| e.to_string())
}
