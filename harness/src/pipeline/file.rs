//! One file through every stage, streaming: keyframes are handled as they
//! are decoded, audio in fixed-length chunks, so memory does not grow with
//! the file's length.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

use ffmpeg_next as ffmpeg;
use whisper_rs::WhisperState;

use super::shared::Handle;
use super::RunContext;
use crate::evidence::run::{FileResult, FileStatus, KeyframeResult};
use crate::measure::clock;
use crate::stages::colour::ToRgb;
use crate::stages::decode::{self, FrameSink, SinkError, Wanted};
use crate::stages::detect::{DecodeParams, Detector};
use crate::stages::embed::ImageEncoder;
use crate::stages::jpeg::{self, EncodeOptions};
use crate::stages::mel::FftMode;
use crate::stages::onnx::OnnxError;
use crate::stages::transcribe::{TranscribeError, TranscribeOptions};
use crate::stages::vad::{self, Vad, VadParams};
use crate::stages::vad_gate;

/// A worker's instances of the shared models.
pub struct WorkerKit {
    pub detect: Option<Handle<Detector, OnnxError>>,
    pub embed: Option<Handle<ImageEncoder, OnnxError>>,
    pub vad: Option<Handle<Vad, OnnxError>>,
    pub whisper: Option<Handle<WhisperState, TranscribeError>>,
}

/// Why a stage stopped a file.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("swscale: {0}")]
    Colour(ffmpeg::Error),
    #[error(transparent)]
    Jpeg(#[from] jpeg::JpegError),
    #[error("writing {rel}: {source}")]
    Write { rel: String, source: std::io::Error },
    #[error("decoded JPEG is {width}x{height}, {len} bytes: not RGB8 of that size")]
    Size { width: usize, height: usize, len: usize },
    #[error(transparent)]
    Onnx(Box<OnnxError>),
    #[error(transparent)]
    Transcribe(#[from] TranscribeError),
}

// Boxed: ONNX Runtime's errors are large and this is every stage's result.
impl From<OnnxError> for StageError {
    fn from(e: OnnxError) -> Self {
        StageError::Onnx(Box::new(e))
    }
}

/// Shortest audio handed to whisper: 1 s (whisper.cpp ignores under 100 ms).
const MIN_WHISPER_SAMPLES: usize = decode::TARGET_RATE as usize;

struct Sink<'a> {
    ctx: &'a RunContext,
    kit: &'a mut WorkerKit,
    worker: usize,
    index: usize,
    rel_dir: String,
    stage: &'static str,
    selector: super::keyframes::Selector,
    to_rgb: ToRgb,
    jpeg_buf: Vec<u8>,
    audio: Vec<f32>,
    /// File samples (16 kHz) handed to `audio_chunk` so far.
    audio_at: usize,
    /// The gate's speech waiting for a full window.
    speech: vad_gate::Buffer,
    chunk_len: usize,
    result: FileResult,
    /// Wall and thread-CPU nanoseconds spent inside callbacks, to separate
    /// decode time from the stages it feeds.
    inside_wall_ns: u64,
    inside_cpu_ns: u64,
}

impl Sink<'_> {
    fn enter(&mut self, stage: &'static str) {
        self.stage = stage;
        self.ctx.heartbeats.beat(self.worker, stage);
        if self.ctx.scenario.faults.hang_in_stage.as_deref() == Some(stage) && self.index == 0 {
            // Fault injection for the watchdog's tests: block without beating.
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    }

    fn keyframe(&mut self, frame: &ffmpeg::frame::Video, pts_s: f64) -> Result<(), StageError> {
        let ctx = self.ctx;
        let rec = &ctx.recorder;
        self.enter("colour");
        let rgb = rec.time("colour", || self.to_rgb.convert(frame)).map_err(StageError::Colour)?;
        self.enter("jpeg-encode");
        let opts = EncodeOptions { quality: ctx.scenario.jpeg.quality, ..EncodeOptions::default() };
        let bytes = rec.time("jpeg-encode", || jpeg::encode_rgb(rgb.as_raw(), rgb.width() as usize, rgb.height() as usize, opts))?;
        let n = self.result.keyframes.len();
        let rel = format!("{}/keyframes/{n:04}.jpg", self.rel_dir);
        if ctx.scenario.measure.keep_keyframes {
            ctx.run_dir.write(&rel, &bytes).map_err(|source| StageError::Write { rel: rel.clone(), source })?;
        }
        self.enter("jpeg-decode");
        let decoder = ctx.scenario.jpeg.decoder;
        let buf = &mut self.jpeg_buf;
        let geo = rec.time("jpeg-decode", || {
            // Only jpeg-decoder's rayon mode uses the run's pool. image 0.25
            // and mozjpeg run on this thread, so their CPU time is charged
            // here; jpeg-decoder and image 0.24 run in a one-thread pool of
            // this worker's own, whose CPU only process CPU counts.
            if decoder == jpeg::JpegDecoder::JpegDecoderRayon {
                ctx.rayon.install(|| jpeg::decode_rgb(decoder, &bytes, buf))
            } else {
                jpeg::decode_rgb(decoder, &bytes, buf)
            }
        })?;
        let len = self.jpeg_buf.len();
        let decoded = image::RgbImage::from_raw(geo.width as u32, geo.height as u32, std::mem::take(&mut self.jpeg_buf)).ok_or(StageError::Size {
            width: geo.width,
            height: geo.height,
            len,
        })?;
        let mut detections = Vec::new();
        if self.kit.detect.is_some() {
            self.enter("detect");
            let h = self.kit.detect.as_mut().expect("checked above");
            let d = &ctx.scenario.detect;
            let params = DecodeParams { score_threshold: d.score_threshold, iou_threshold: d.iou_threshold };
            let out = rec.time("detect", || h.with(|det| det.detect(&decoded, d.tensor_input, params)))?;
            ctx.tensor_bytes_copied.fetch_add(out.bytes_copied as u64, Ordering::Relaxed);
            detections = out.detections;
        }
        let mut embedding_dim = None;
        if self.kit.embed.is_some() {
            self.enter("embed");
            let h = self.kit.embed.as_mut().expect("checked above");
            let v = rec.time("embed", || h.with(|enc| enc.embed(&decoded)))?;
            embedding_dim = Some(v.len());
        }
        self.jpeg_buf = decoded.into_raw();
        self.result.keyframes.push(KeyframeResult { index: n, pts_s, jpeg: rel, jpeg_bytes: bytes.len(), detections, embedding_dim });
        Ok(())
    }

    /// VAD, log-mel and transcription of one chunk of 16 kHz audio. With
    /// the gate, the chunk's speech joins the buffer and whisper gets it in
    /// full windows (the rest at the end of the file, `flush_speech`).
    fn audio_chunk(&mut self, samples: &[f32]) -> Result<(), StageError> {
        let ctx = self.ctx;
        let rec = &ctx.recorder;
        let rate = decode::TARGET_RATE as usize;
        let chunk_at = self.audio_at;
        let offset = chunk_at as f64 / rate as f64;
        // The chunk's speech regions, when VAD ran: what the gate keeps.
        let mut speech: Option<Vec<vad::SpeechSegment>> = None;
        if self.kit.vad.is_some() {
            self.enter("vad");
            let h = self.kit.vad.as_mut().expect("checked above");
            let probs = rec.time("vad", || h.with(|v| v.probabilities(samples)))?;
            let segs = vad::segments_from_probabilities(&probs, VadParams::default());
            self.result.speech_segments.extend(segs.iter().map(|s| vad::SpeechSegment { start_s: s.start_s + offset, end_s: s.end_s + offset }));
            speech = Some(segs);
        }
        if ctx.scenario.mel.enabled && samples.len() > crate::stages::mel::WHISPER_N_FFT {
            self.enter("mel");
            let mode = ctx.scenario.mel.fft_mode;
            let mel = rec.time("mel", || match mode {
                FftMode::Rayon => ctx.rayon.install(|| ctx.log_mel.compute(samples, mode)),
                FftMode::Serial => ctx.log_mel.compute(samples, mode),
            });
            self.result.mel_frames += mel.n_frames as u64;
        }
        self.audio_at += samples.len();
        match (speech, ctx.scenario.transcribe.vad_gate) {
            (Some(segs), true) => {
                let spans = vad_gate::spans(&segs, samples.len(), rate, vad_gate::PAD_S);
                self.speech.push(samples, chunk_at, &spans);
                while let Some(w) = self.speech.take_full(self.chunk_len) {
                    self.transcribe(&w.samples, |t| vad_gate::original_time(t, &w.spans, rate))?;
                }
                Ok(())
            }
            _ => self.transcribe(samples, |t| offset + t),
        }
    }

    /// Transcribes the speech still waiting in the gate's buffer.
    fn flush_speech(&mut self) -> Result<(), StageError> {
        let rate = decode::TARGET_RATE as usize;
        match self.speech.take_rest() {
            Some(w) => self.transcribe(&w.samples, |t| vad_gate::original_time(t, &w.spans, rate)),
            None => Ok(()),
        }
    }

    /// Whisper on `audio`; `to_file` maps its segment times to the file's.
    fn transcribe(&mut self, audio: &[f32], to_file: impl Fn(f64) -> f64) -> Result<(), StageError> {
        let ctx = self.ctx;
        let (Some(t), false) = (ctx.transcriber.as_ref(), audio.is_empty() || self.kit.whisper.is_none()) else { return Ok(()) };
        self.enter("transcribe");
        let h = self.kit.whisper.as_mut().expect("checked above");
        let opts = TranscribeOptions { n_threads: ctx.scenario.transcribe.n_threads };
        let (hb, worker) = (std::sync::Arc::clone(&ctx.heartbeats), self.worker);
        let beat: crate::stages::transcribe::Heartbeat = std::sync::Arc::new(move || hb.beat(worker, "transcribe"));
        // whisper.cpp skips input under 100 ms ("input is too short"): a short
        // last piece (a hard cut at a window's end) is padded with silence.
        let padded: Vec<f32>;
        let input = if audio.len() < MIN_WHISPER_SAMPLES {
            padded = audio.iter().copied().chain(std::iter::repeat(0.0)).take(MIN_WHISPER_SAMPLES).collect();
            &padded[..]
        } else {
            audio
        };
        let tr = ctx.recorder.time("transcribe", || h.with(|st| t.transcribe_with_heartbeat(st, input, opts, Some(beat))))?;
        self.result.transcribed_s += audio.len() as f64 / decode::TARGET_RATE as f64;
        for mut s in tr.segments {
            s.start_s = to_file(s.start_s);
            s.end_s = to_file(s.end_s);
            self.result.transcript_segments.push(s);
        }
        Ok(())
    }

    fn timed<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let (w, c) = (Instant::now(), clock::thread_cpu());
        let out = f(self);
        self.inside_wall_ns += w.elapsed().as_nanos() as u64;
        self.inside_cpu_ns += (clock::thread_cpu() - c).as_nanos() as u64;
        out
    }
}

impl FrameSink for Sink<'_> {
    fn video(&mut self, frame: &ffmpeg::frame::Video, pts_s: f64, is_key: bool) -> Result<(), SinkError> {
        self.timed(|s| {
            s.enter("keyframe-select");
            let (w, h) = (frame.width() as usize, frame.height() as usize);
            let picked = s.ctx.recorder.time("keyframe-select", || s.selector.select(pts_s, is_key, (frame.data(0), frame.stride(0)), w, h));
            if picked {
                Ok(s.keyframe(frame, pts_s)?)
            } else {
                Ok(())
            }
        })
    }

    fn audio(&mut self, samples: &[f32]) -> Result<(), SinkError> {
        self.timed(|s| {
            s.ctx.heartbeats.beat(s.worker, "decode");
            s.audio.extend_from_slice(samples);
            while s.audio.len() >= s.chunk_len {
                let chunk: Vec<f32> = s.audio.drain(..s.chunk_len).collect();
                s.audio_chunk(&chunk)?;
            }
            Ok(())
        })
    }
}

/// Processes file number `index` at `path`.
pub fn process(ctx: &RunContext, kit: &mut WorkerKit, worker: usize, index: usize, path: &Path) -> FileResult {
    let started = Instant::now();
    let shown = path.display().to_string();
    let (_, rel_dir) = match ctx.run_dir.file_dir(index, &shown) {
        Ok(d) => d,
        Err(e) => {
            let mut r = FileResult::empty(&shown, FileStatus::Error);
            r.error = Some(format!("cannot create the run's file folder: {e}"));
            return r;
        }
    };
    let chunk_len = (ctx.scenario.transcribe.chunk_s * decode::TARGET_RATE as f64) as usize;
    let mut sink = Sink {
        ctx,
        kit,
        worker,
        index,
        rel_dir: rel_dir.clone(),
        stage: "decode",
        selector: super::keyframes::Selector::new(ctx.scenario.keyframes.clone()),
        to_rgb: ToRgb::default(),
        jpeg_buf: Vec::new(),
        audio: Vec::new(),
        audio_at: 0,
        speech: vad_gate::Buffer::default(),
        chunk_len,
        result: FileResult::empty(&shown, FileStatus::Ok),
        inside_wall_ns: 0,
        inside_cpu_ns: 0,
    };
    let (w0, c0) = (Instant::now(), clock::thread_cpu());
    // A file with only one of the streams goes through the stages that read it.
    let decoded = decode::decode_available(path, Wanted { video: true, audio: true }, &mut sink);
    let tail = match &decoded {
        Ok(_) => {
            let rest = std::mem::take(&mut sink.audio);
            sink.timed(|s| if rest.is_empty() { Ok(()) } else { s.audio_chunk(&rest) }.and_then(|_| s.flush_speech()))
        }
        Err(_) => Ok(()),
    };
    let decode_wall = (w0.elapsed().as_nanos() as u64).saturating_sub(sink.inside_wall_ns);
    let decode_cpu = ((clock::thread_cpu() - c0).as_nanos() as u64).saturating_sub(sink.inside_cpu_ns);
    ctx.recorder.add("decode", decode_wall, decode_cpu);

    let stage = sink.stage;
    let mut result = sink.result;
    match decoded.map_err(|e| e.to_string()).and_then(|summary| tail.map(|_| summary).map_err(|e| e.to_string())) {
        Ok(summary) => {
            result.stages = super::plan::stage_plan(&ctx.scenario, summary.video.is_some(), summary.audio.is_some());
            result.media = Some(summary);
        }
        Err(e) => {
            result.status = FileStatus::Error;
            result.stage = Some(stage.to_string());
            result.error = Some(e);
        }
    }
    result.transcript = result.transcript_segments.iter().map(|s| s.text.trim()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ");
    let has_audio = result.media.as_ref().is_some_and(|m| m.audio.is_some());
    if result.status == FileStatus::Ok && has_audio {
        if let Some(tok) = ctx.tokenizer.as_ref() {
            ctx.heartbeats.beat(worker, "tokenize");
            match ctx.recorder.time("tokenize", || tok.encode(&result.transcript)) {
                Ok(ids) => result.tokens = ids.len(),
                Err(e) => {
                    result.status = FileStatus::Error;
                    result.stage = Some("tokenize".into());
                    result.error = Some(e.to_string());
                }
            }
        }
    }
    result.keyframe_count = result.keyframes.len();
    result.wall_s = started.elapsed().as_secs_f64();
    let _ = ctx.run_dir.write(&format!("{rel_dir}/transcript.txt"), result.transcript.as_bytes());
    if let Ok(json) = serde_json::to_vec_pretty(&result.keyframes) {
        let _ = ctx.run_dir.write(&format!("{rel_dir}/keyframes.json"), &json);
    }
    result
}
