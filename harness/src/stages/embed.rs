//! Image embeddings through a user-supplied image-encoder ONNX (CLIP-style:
//! input NCHW f32 224x224 normalised with CLIP's mean and std, output one
//! vector). No real image encoder ships in any reachable registry, so the
//! pipeline skips this stage unless a scenario names a model.

use std::path::Path;

use ort::session::Session;
use ort::value::TensorRef;

use super::onnx::{self, OnnxError, SessionThreads};

const SIDE: u32 = 224;
const MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
const STD: [f32; 3] = [0.268_629_54, 0.261_302_6, 0.275_777_1];

/// An image-encoder session.
pub struct ImageEncoder {
    session: Session,
    input: Vec<f32>,
}

impl std::fmt::Debug for ImageEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageEncoder").finish_non_exhaustive()
    }
}

impl ImageEncoder {
    /// Loads the encoder.
    pub fn load(path: &Path, threads: SessionThreads) -> Result<Self, OnnxError> {
        Ok(ImageEncoder { session: onnx::session(path, threads)?, input: Vec::new() })
    }

    /// Resizes (shorter side to 224, centre crop), normalises and encodes.
    pub fn embed(&mut self, img: &image::RgbImage) -> Result<Vec<f32>, OnnxError> {
        let err = |e: ort::Error| OnnxError::Run { model: "image-encoder".into(), message: e.to_string() };
        let (w, h) = img.dimensions();
        let scale = SIDE as f32 / w.min(h) as f32;
        let (nw, nh) = (((w as f32 * scale).round() as u32).max(SIDE), ((h as f32 * scale).round() as u32).max(SIDE));
        let resized = image::imageops::resize(img, nw, nh, image::imageops::FilterType::Triangle);
        let (x0, y0) = ((nw - SIDE) / 2, (nh - SIDE) / 2);
        let plane = (SIDE * SIDE) as usize;
        self.input.clear();
        self.input.resize(3 * plane, 0.0);
        for y in 0..SIDE {
            for x in 0..SIDE {
                let p = resized.get_pixel(x + x0, y + y0).0;
                for c in 0..3 {
                    self.input[c * plane + (y * SIDE + x) as usize] = (p[c] as f32 / 255.0 - MEAN[c]) / STD[c];
                }
            }
        }
        let t = TensorRef::from_array_view(([1usize, 3, SIDE as usize, SIDE as usize], &self.input[..])).map_err(err)?;
        let out = self.session.run(ort::inputs![t]).map_err(err)?;
        let (_, v) = out[0].try_extract_tensor::<f32>().map_err(err)?;
        Ok(v.to_vec())
    }
}
