//! Object detection: letterbox to 640x640, YOLOv8 through ort, decode the
//! `[1, 4 + classes, anchors]` output and apply per-class NMS.

use std::path::Path;

use ort::session::Session;
use ort::value::{Tensor, TensorRef};

use super::onnx::{self, OnnxError, SessionThreads};
use crate::models::{catalog::id, locate};

/// The detector's square input side.
pub const INPUT_SIDE: u32 = 640;
/// Bytes of one f32 NCHW input tensor (the seed's "1.2 MB" is the u8 frame).
pub const INPUT_BYTES: usize = (3 * INPUT_SIDE * INPUT_SIDE) as usize * std::mem::size_of::<f32>();

/// How the input tensor reaches ONNX Runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TensorInput {
    /// `Tensor::from_array` on a copy of the caller's buffer (the seed's path).
    OwnedCopy,
    /// `TensorRef::from_array_view` borrowing the caller's buffer.
    ZeroCopyView,
}

/// One detection in the original image's pixel coordinates.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Detection {
    pub class: usize,
    pub score: f32,
    /// x1, y1, x2, y2.
    pub bbox: [f32; 4],
}

/// Letterbox geometry, to map boxes back.
#[derive(Debug, Clone, Copy)]
pub struct Letterbox {
    pub scale: f32,
    pub pad_x: f32,
    pub pad_y: f32,
}

/// Resizes `img` to fit 640x640 keeping its aspect ratio, pads with grey 114
/// (Ultralytics' value) and writes NCHW f32 in [0, 1] into `out`.
pub fn letterbox(img: &image::RgbImage, out: &mut Vec<f32>) -> Letterbox {
    let (w, h) = img.dimensions();
    let side = INPUT_SIDE as f32;
    let scale = (side / w as f32).min(side / h as f32);
    let (nw, nh) = (((w as f32 * scale).round() as u32).max(1), ((h as f32 * scale).round() as u32).max(1));
    let resized = image::imageops::resize(img, nw, nh, image::imageops::FilterType::Triangle);
    let (px, py) = ((INPUT_SIDE - nw) / 2, (INPUT_SIDE - nh) / 2);
    let plane = (INPUT_SIDE * INPUT_SIDE) as usize;
    out.clear();
    out.resize(3 * plane, 114.0 / 255.0);
    for (x, y, p) in resized.enumerate_pixels() {
        let idx = ((y + py) * INPUT_SIDE + (x + px)) as usize;
        for c in 0..3 {
            out[c * plane + idx] = p.0[c] as f32 / 255.0;
        }
    }
    Letterbox { scale, pad_x: px as f32, pad_y: py as f32 }
}

/// Thresholds for decoding.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct DecodeParams {
    pub score_threshold: f32,
    pub iou_threshold: f32,
}

impl Default for DecodeParams {
    fn default() -> Self {
        DecodeParams { score_threshold: 0.25, iou_threshold: 0.45 }
    }
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

/// The layout `Detector` needs (YOLOv8 as exported by ultralytics).
pub const LAYOUT: onnx::Layout = onnx::Layout {
    model: "YOLOv8 detection",
    inputs: &[onnx::Expect { name: None, ty: onnx::TensorElementType::Float32, dims: &[1, 3, INPUT_SIDE as i64, INPUT_SIDE as i64] }],
    outputs: &[onnx::Expect { name: None, ty: onnx::TensorElementType::Float32, dims: &[1, -1, -1] }],
    fix: "give a YOLOv8 detection export (input [1, 3, 640, 640], output [1, 4 + classes, anchors]) through HARNESS_YOLO_MODEL, or unset it for the catalog's yolov8n",
};

/// Why an output cannot be decoded as YOLOv8's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("output of shape {shape:?} with {len} values is not YOLOv8's [1, 4 + classes, anchors]")]
pub struct OutputShapeError {
    pub shape: Vec<i64>,
    pub len: usize,
}

/// Decodes YOLOv8's `[1, 4 + C, N]` output (`cx, cy, w, h` then class
/// scores per anchor), maps boxes to the original image and applies
/// per-class greedy NMS. Sorted by score, descending.
pub fn decode(output: &[f32], shape: &[i64], lb: Letterbox, params: DecodeParams) -> Result<Vec<Detection>, OutputShapeError> {
    let bad = || OutputShapeError { shape: shape.to_vec(), len: output.len() };
    let [1, attrs, n] = *shape else { return Err(bad()) };
    let (attrs, n) = (usize::try_from(attrs).map_err(|_| bad())?, usize::try_from(n).map_err(|_| bad())?);
    // YOLOv8 puts attributes before anchors (84 x 8400 for COCO at 640); a
    // transposed YOLOv5 output ([1, 25200, 85]) or an NMS export
    // ([1, 300, 6]) has more rows than columns and is refused.
    if attrs < 5 || attrs >= n || attrs.checked_mul(n) != Some(output.len()) {
        return Err(bad());
    }
    let mut cands = Vec::new();
    for i in 0..n {
        let (mut best, mut class) = (f32::MIN, 0);
        for c in 4..attrs {
            let s = output[c * n + i];
            if s > best {
                best = s;
                class = c - 4;
            }
        }
        if best < params.score_threshold {
            continue;
        }
        let (cx, cy, w, h) = (output[i], output[n + i], output[2 * n + i], output[3 * n + i]);
        let unmap = |v: f32, pad: f32| (v - pad) / lb.scale;
        cands.push(Detection {
            class,
            score: best,
            bbox: [unmap(cx - w / 2.0, lb.pad_x), unmap(cy - h / 2.0, lb.pad_y), unmap(cx + w / 2.0, lb.pad_x), unmap(cy + h / 2.0, lb.pad_y)],
        });
    }
    cands.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.class.cmp(&b.class)));
    let mut keep: Vec<Detection> = Vec::new();
    for d in cands {
        if keep.iter().all(|k| k.class != d.class || iou(&k.bbox, &d.bbox) <= params.iou_threshold) {
            keep.push(d);
        }
    }
    Ok(keep)
}

/// A YOLOv8 detector session.
pub struct Detector {
    session: Session,
    /// The model file, for errors.
    path: std::path::PathBuf,
    input: Vec<f32>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector").finish_non_exhaustive()
    }
}

/// What one detection call did, for the copy accounting.
#[derive(Debug, Clone, Default)]
pub struct DetectOutput {
    pub detections: Vec<Detection>,
    /// Output tensor shape, e.g. `[1, 22, 8400]`.
    pub output_shape: Vec<i64>,
    /// Bytes copied to build the input tensor (0 for a zero-copy view).
    pub bytes_copied: usize,
}

impl Detector {
    /// The catalog's model (or `$HARNESS_YOLO_MODEL`).
    pub fn from_catalog(threads: SessionThreads) -> Result<Self, OnnxError> {
        Self::load(&locate::require(id::YOLO)?, threads)
    }

    /// Any YOLOv8-layout ONNX file (input NCHW f32 640x640, output
    /// `[1, 4 + classes, anchors]`); another layout is refused by name.
    pub fn load(path: &Path, threads: SessionThreads) -> Result<Self, OnnxError> {
        let session = onnx::session(path, threads)?;
        onnx::check_layout(path, &session, &LAYOUT)?;
        Ok(Detector { session, path: path.to_path_buf(), input: Vec::new() })
    }

    /// Letterboxes, runs and decodes one image.
    pub fn detect(&mut self, img: &image::RgbImage, mode: TensorInput, params: DecodeParams) -> Result<DetectOutput, OnnxError> {
        let mut input = std::mem::take(&mut self.input);
        let lb = letterbox(img, &mut input);
        let out = self.run_tensor(&input, mode);
        self.input = input;
        let (output, shape, bytes_copied) = out?;
        let detections = decode(&output, &shape, lb, params).map_err(|e| {
            OnnxError::Layout(Box::new(onnx::LayoutMismatch {
                path: self.path.clone(),
                model: LAYOUT.model,
                what: "output".into(),
                expected: "[1, 4 + classes, anchors]".into(),
                found: e.to_string(),
                fix: LAYOUT.fix,
            }))
        })?;
        Ok(DetectOutput { detections, output_shape: shape, bytes_copied })
    }

    /// Runs the model on a prepared NCHW tensor; returns the raw output, its
    /// shape and the bytes copied into the input.
    pub fn run_tensor(&mut self, nchw: &[f32], mode: TensorInput) -> Result<(Vec<f32>, Vec<i64>, usize), OnnxError> {
        let err = |e: ort::Error| OnnxError::Run { model: "yolov8".into(), message: e.to_string() };
        let shape = [1usize, 3, INPUT_SIDE as usize, INPUT_SIDE as usize];
        let (outputs, copied) = match mode {
            TensorInput::OwnedCopy => {
                let t = Tensor::from_array((shape, nchw.to_vec())).map_err(err)?;
                (self.session.run(ort::inputs![t]).map_err(err)?, std::mem::size_of_val(nchw))
            }
            TensorInput::ZeroCopyView => {
                let t = TensorRef::from_array_view((shape, nchw)).map_err(err)?;
                (self.session.run(ort::inputs![t]).map_err(err)?, 0)
            }
        };
        let (shape, data) = outputs[0].try_extract_tensor::<f32>().map_err(err)?;
        Ok((data.to_vec(), shape.iter().copied().collect(), copied))
    }
}
