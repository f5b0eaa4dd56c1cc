//! `harness smoke`: a short real run of every component on the real media
//! and models, end to end, with a JSON summary: a quick check that the
//! native stack works, without a scenario (the main job is `harness run`).

use std::time::Instant;

use serde::Serialize;

use crate::models::catalog::id;
use crate::stages::decode::{self, FrameSink, Wanted};
use crate::stages::detect::{DecodeParams, Detector, TensorInput};
use crate::stages::jpeg::{self, EncodeOptions, JpegDecoder};
use crate::stages::mel::{FftMode, LogMel};
use crate::stages::onnx::SessionThreads;
use crate::stages::tokenize::TextTokenizer;
use crate::stages::transcribe::{TranscribeOptions, Transcriber};
use crate::stages::vad::{Vad, VadParams};

/// One component's result.
#[derive(Debug, Serialize)]
pub struct Step {
    pub component: &'static str,
    pub ok: bool,
    pub millis: f64,
    pub detail: String,
}

/// Keeps the first keyframe as RGB and all audio.
#[derive(Default)]
struct Grab {
    to_rgb: crate::stages::colour::ToRgb,
    keyframe: Option<image::RgbImage>,
    audio: Vec<f32>,
}

impl FrameSink for Grab {
    fn video(&mut self, frame: &ffmpeg_next::frame::Video, _pts: f64, is_key: bool) -> Result<(), crate::stages::decode::SinkError> {
        if self.keyframe.is_none() && is_key {
            self.keyframe = Some(self.to_rgb.convert(frame).map_err(crate::pipeline::file::StageError::Colour)?);
        }
        Ok(())
    }
    fn audio(&mut self, samples: &[f32]) -> Result<(), crate::stages::decode::SinkError> {
        self.audio.extend_from_slice(samples);
        Ok(())
    }
}

fn step<T>(steps: &mut Vec<Step>, component: &'static str, f: impl FnOnce() -> anyhow::Result<(T, String)>) -> Option<T> {
    let t = Instant::now();
    let r = f();
    let millis = t.elapsed().as_secs_f64() * 1e3;
    match r {
        Ok((v, detail)) => {
            steps.push(Step { component, ok: true, millis, detail });
            Some(v)
        }
        Err(e) => {
            steps.push(Step { component, ok: false, millis, detail: format!("{e:#}") });
            None
        }
    }
}

/// Runs every component once on the generated MP4; never stops at the first
/// failure, so one broken component does not hide the state of the others.
pub fn run() -> Vec<Step> {
    let mut steps = Vec::new();
    let video = crate::models::locate::require(id::VIDEO_MP4);
    let grab = step(&mut steps, "ffmpeg-next decode + swscale", || {
        let path = video?;
        let mut g = Grab::default();
        let s = decode::decode_file(&path, Wanted { video: true, audio: true }, &mut g)?;
        let v = s.video.clone().ok_or_else(|| anyhow::anyhow!("no video stream"))?;
        let detail = format!(
            "{}: {} {}x{} {} frames; audio {} {:.2} s (picture SYNTHETIC testsrc2, speech real)",
            path.display(),
            v.codec,
            v.width,
            v.height,
            v.frames_decoded,
            s.audio.as_ref().map(|a| a.codec.as_str()).unwrap_or("-"),
            g.audio.len() as f64 / 16_000.0
        );
        Ok((g, detail))
    });
    let Some(grab) = grab else { return steps };
    let keyframe = grab.keyframe.clone();
    let audio = grab.audio;

    let jpeg_bytes = step(&mut steps, "mozjpeg encode", || {
        let k = keyframe.as_ref().ok_or_else(|| anyhow::anyhow!("no keyframe decoded"))?;
        let bytes = jpeg::encode_rgb(k.as_raw(), k.width() as usize, k.height() as usize, EncodeOptions::default())?;
        let n = bytes.len();
        Ok((bytes, format!("keyframe {}x{} -> {n} bytes at q85 4:2:0", k.width(), k.height())))
    });
    if let Some(bytes) = &jpeg_bytes {
        let mut reference = Vec::new();
        let _ = jpeg::decode_rgb(JpegDecoder::Mozjpeg, bytes, &mut reference);
        for dec in JpegDecoder::ALL {
            let component = match dec {
                JpegDecoder::Image => "image (zune-jpeg) decode",
                JpegDecoder::Image024 => "image 0.24 (jpeg-decoder) decode",
                JpegDecoder::JpegDecoder => "jpeg-decoder decode",
                JpegDecoder::JpegDecoderRayon => "jpeg-decoder (rayon) decode",
                JpegDecoder::Mozjpeg => "mozjpeg decode",
            };
            step(&mut steps, component, || {
                let mut out = Vec::new();
                let d = jpeg::decode_rgb(dec, bytes, &mut out)?;
                Ok(((), format!("{}x{}, PSNR vs libjpeg-turbo {:.1} dB", d.width, d.height, jpeg::psnr(&out, &reference))))
            });
        }
    }
    step(&mut steps, "ort YOLOv8n detect", || {
        let k = keyframe.as_ref().ok_or_else(|| anyhow::anyhow!("no keyframe decoded"))?;
        let mut det = Detector::from_catalog(SessionThreads::default())?;
        let out = det.detect(k, TensorInput::ZeroCopyView, DecodeParams::default())?;
        Ok(((), format!("output {:?}, {} boxes (non-COCO classes; picture is synthetic)", out.output_shape, out.detections.len())))
    });
    step(&mut steps, "ort Silero VAD", || {
        let mut vad = Vad::from_catalog(SessionThreads::default())?;
        let segs = vad.segments(&audio, VadParams::default())?;
        let speech: f64 = segs.iter().map(|s| s.end_s - s.start_s).sum();
        Ok(((), format!("{} segments, {speech:.1} s speech of {:.1} s", segs.len(), audio.len() as f64 / 16e3)))
    });
    step(&mut steps, "rustfft + rayon log-mel", || {
        let mel = LogMel::whisper().compute(&audio, FftMode::Rayon);
        Ok(((), format!("{} frames x {} mels", mel.n_frames, mel.n_mels)))
    });
    let text = step(&mut steps, "whisper-rs transcribe", || {
        let t = Transcriber::from_catalog()?;
        let mut state = t.new_state()?;
        let tr = t.transcribe(&mut state, &audio, TranscribeOptions::default())?;
        let text = tr.text();
        Ok((text.clone(), format!("{:?}", text)))
    });
    if let Some(text) = text {
        step(&mut steps, "tokenizers (MiniLM WordPiece)", || {
            let tok = TextTokenizer::from_catalog(id::MINILM_TOKENIZER)?;
            let ids = tok.encode(&text)?;
            Ok(((), format!("{} tokens", ids.len())))
        });
    }
    steps
}
