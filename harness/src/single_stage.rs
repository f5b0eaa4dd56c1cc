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
    fn video(&mut self, f: &ffmpeg_next::frame::Video, pts: f64, key: bool) -> Result<(), decode::SinkError> {
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
            let s = decode::decode_available(input, Wanted { video: true, audio: true }, &mut sink)?;
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
            let size = imagesize::size(input).with_context(|| format!("{}: not an image", input.display()))?;
            jpeg::check_pixels(size.width as u64, size.height as u64, jpeg::max_pixels()).with_context(|| input.display().to_string())?;
            let img = image::open(input).with_context(|| format!("{}: not an image", input.display()))?.to_rgb8();
            let out = Detector::from_catalog(SessionThreads::default())?.detect(&img, TensorInput::ZeroCopyView, DecodeParams::default())?;
            json(serde_json::json!({ "output_shape": out.output_shape, "detections": out.detections }))
        }
        "jpeg-decode" => {
            let bytes = std::fs::read(input).with_context(|| input.display().to_string())?;
            // The size check fails every decoder alike, so it fails the stage.
            jpeg::check_size(&bytes).with_context(|| input.display().to_string())?;
            // Each decoder on its own: one that cannot read the file (a CMYK
            // JPEG in mozjpeg's RGB path) is reported and the others still run.
            let runs: Vec<(JpegDecoder, Result<Timed, jpeg::JpegError>)> = JpegDecoder::ALL.iter().map(|&dec| (dec, time_decoder(dec, &bytes))).collect();
            let reference = runs.iter().find(|(d, r)| *d == JpegDecoder::Mozjpeg && r.is_ok()).or_else(|| runs.iter().find(|(_, r)| r.is_ok()));
            let reference = reference.and_then(|(d, r)| r.as_ref().ok().map(|(_, px, _)| (d.name(), px.clone())));
            let rows: Vec<serde_json::Value> = runs
                .iter()
                .map(|(dec, r)| match r {
                    Ok((g, out, median_ms)) => serde_json::json!({
                        "decoder": dec.name(), "width": g.width, "height": g.height, "median_ms_of_11": median_ms,
                        "pixel_checksum_fnv1a": format!("{:016x}", jpeg::pixel_checksum(out)),
                        "psnr_db_vs": reference.as_ref().map(|(n, px)| serde_json::json!({ "decoder": n, "psnr_db": jpeg::psnr(out, px) })),
                    }),
                    Err(e) => serde_json::json!({ "decoder": dec.name(), "error": e.to_string() }),
                })
                .collect();
            if runs.iter().all(|(_, r)| r.is_err()) {
                bail!("{}: no decoder could decode it: {}", input.display(), serde_json::to_string(&rows)?);
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

/// One decoder's geometry, pixels and median time in ms.
type Timed = (jpeg::Decoded, Vec<u8>, f64);

/// Decodes once, then 11 timed times.
fn time_decoder(dec: JpegDecoder, bytes: &[u8]) -> Result<Timed, jpeg::JpegError> {
    let mut out = Vec::new();
    let mut times = Vec::new();
    let mut geo = jpeg::decode_rgb(dec, bytes, &mut out)?;
    for _ in 0..11 {
        let t = Instant::now();
        geo = jpeg::decode_rgb(dec, bytes, &mut out)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok((geo, out, times[5]))
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
