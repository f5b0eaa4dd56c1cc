//! `harness stage NAME INPUT`: one stage on one input, so a user can debug a
//! stage and compare it with a reference tool (ffprobe, whisper.cpp's CLI,
//! onnxruntime in Python, djpeg, librosa).

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};

use crate::models::catalog::id;
use crate::stages::decode::{self, FrameSink, Wanted};
use crate::stages::detect::{DecodeParams, Detector, TensorInput};
use crate::stages::jpeg::{self, JpegDecoder};
use crate::stages::mel::{FftMode, LogMel};
use crate::stages::onnx::SessionThreads;
use crate::stages::tokenize::TextTokenizer;
use crate::stages::transcribe::{TranscribeOptions, Transcriber};
use crate::stages::vad::{Vad, VadParams};

/// Stage names `harness stage` accepts.
pub const NAMES: &[&str] = &["decode", "keyframes", "mel", "vad", "transcribe", "detect", "jpeg-decode", "tokenize"];

/// What a stage produced: text or bytes for `--out` / stdout.
pub enum Output {
    Text(String),
    Bytes(Vec<u8>),
}

struct Keys(Vec<(f64, bool)>, crate::pipeline::keyframes::Selector);

impl FrameSink for Keys {
    fn video(&mut self, f: &ffmpeg_next::frame::Video, pts: f64, key: bool) -> Result<(), String> {
        let (w, h) = (f.width() as usize, f.height() as usize);
        if self.1.select(pts, key, (f.data(0), f.stride(0)), w, h) {
            self.0.push((pts, key));
        }
        Ok(())
    }
}

/// Runs stage `name` on `input`.
pub fn run(name: &str, input: &Path) -> anyhow::Result<Output> {
    if !input.exists() {
        bail!("{}: no such file", input.display());
    }
    let json = |v: serde_json::Value| Ok(Output::Text(serde_json::to_string_pretty(&v)? + "\n"));
    match name {
        "decode" => {
            let mut sink = decode::CollectAudio::default();
            let t = Instant::now();
            let s = decode::decode_file(input, Wanted { video: true, audio: true }, &mut sink)
                .or_else(|_| decode::decode_file(input, Wanted { video: false, audio: true }, &mut sink))?;
            json(serde_json::json!({ "summary": s, "decode_ms": t.elapsed().as_secs_f64() * 1e3 }))
        }
        "keyframes" => {
            let mut k = Keys(Vec::new(), crate::pipeline::keyframes::Selector::new(Default::default()));
            decode::decode_file(input, Wanted { video: true, audio: false }, &mut k)?;
            json(
                serde_json::json!({ "mode": "codec", "keyframes": k.0.iter().map(|(t, key)| serde_json::json!({"pts_s": t, "codec_key": key})).collect::<Vec<_>>() }),
            )
        }
        "mel" => {
            let audio = decode::read_audio_16k(input)?;
            let mel = LogMel::whisper().compute(&audio, FftMode::Serial);
            // Whisper's layout: [n_mels, n_frames].
            let mut t = vec![0f32; mel.data.len()];
            for f in 0..mel.n_frames {
                for m in 0..mel.n_mels {
                    t[m * mel.n_frames + f] = mel.data[f * mel.n_mels + m];
                }
            }
            Ok(Output::Bytes(crate::evidence::npy::npy_f32(&[mel.n_mels, mel.n_frames], &t)))
        }
        "vad" => {
            let audio = decode::read_audio_16k(input)?;
            let segs = Vad::from_catalog(SessionThreads::default())?.segments(&audio, VadParams::default())?;
            json(serde_json::json!({ "segments": segs }))
        }
        "transcribe" => {
            let audio = decode::read_audio_16k(input)?;
            let t = Transcriber::from_catalog()?;
            let mut st = t.new_state()?;
            Ok(Output::Text(t.transcribe(&mut st, &audio, TranscribeOptions::default())?.text() + "\n"))
        }
        "detect" => {
            let img = image::open(input).with_context(|| format!("{}: not an image", input.display()))?.to_rgb8();
            let out = Detector::from_catalog(SessionThreads::default())?.detect(&img, TensorInput::ZeroCopyView, DecodeParams::default())?;
            json(serde_json::json!({ "output_shape": out.output_shape, "detections": out.detections }))
        }
        "jpeg-decode" => {
            let bytes = std::fs::read(input)?;
            let mut reference = Vec::new();
            jpeg::decode_rgb(JpegDecoder::Mozjpeg, &bytes, &mut reference)?;
            let mut rows = Vec::new();
            for dec in JpegDecoder::ALL {
                let mut out = Vec::new();
                let mut times = Vec::new();
                let mut geo = None;
                for _ in 0..11 {
                    let t = Instant::now();
                    geo = Some(jpeg::decode_rgb(dec, &bytes, &mut out)?);
                    times.push(t.elapsed().as_secs_f64() * 1e3);
                }
                times.sort_by(f64::total_cmp);
                let g = geo.expect("decoded");
                rows.push(serde_json::json!({
                    "decoder": dec.name(), "width": g.width, "height": g.height,
                    "median_ms_of_11": times[5], "pixel_checksum_fnv1a": format!("{:016x}", jpeg::pixel_checksum(&out)),
                    "psnr_vs_libjpeg_turbo_db": jpeg::psnr(&out, &reference),
                }));
            }
            json(serde_json::json!({ "input": input.display().to_string(), "decoders": rows }))
        }
        "tokenize" => {
            let text = std::fs::read_to_string(input)?;
            let ids = TextTokenizer::from_catalog(id::MINILM_TOKENIZER)?.encode(text.trim())?;
            json(serde_json::json!({ "tokenizer": id::MINILM_TOKENIZER, "ids": ids }))
        }
        other => bail!("unknown stage `{other}`; stages: {}", NAMES.join(", ")),
    }
}

/// Writes the output to `out` or stdout.
pub fn emit(output: Output, out: Option<&Path>) -> anyhow::Result<()> {
    let bytes = match output {
        Output::Text(t) => t.into_bytes(),
        Output::Bytes(b) => b,
    };
    match out {
        Some(p) => std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display())),
        None => Ok(std::io::stdout().write_all(&bytes)?),
    }
}
