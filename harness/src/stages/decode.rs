//! Demuxing and decoding with ffmpeg-next: video frames as decoded (the
//! caller converts what it keeps) and audio resampled by swresample to
//! 16 kHz mono f32, streamed through a sink so memory does not grow with the
//! file's length.

use std::path::{Path, PathBuf};
use std::sync::Once;

use ffmpeg::format::{sample::Type as SampleType, Sample};
use ffmpeg::media::Type;
use ffmpeg::ChannelLayout;
use ffmpeg_next as ffmpeg;

/// Whisper's (and Silero's) input rate.
pub const TARGET_RATE: u32 = 16_000;

/// A media file that cannot be decoded; names the file.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{path}: cannot open as media ({reason}); is it a video/audio file, and not empty or truncated?")]
    Open { path: PathBuf, reason: String },
    #[error("{path}: no {kind} stream")]
    NoStream { path: PathBuf, kind: &'static str },
    #[error("{path}: {kind} decoder: {reason}")]
    Codec { path: PathBuf, kind: &'static str, reason: String },
    #[error("{path}: {reason}")]
    Stream { path: PathBuf, reason: String },
    #[error("{path}: stopped by the consumer: {source}")]
    Sink { path: PathBuf, source: SinkError },
    #[error("{path}: resampling the audio to 16 kHz mono: {source}")]
    Resample { path: PathBuf, source: ffmpeg::Error },
}

/// What a `FrameSink` stops decoding with: its own error, whatever its
/// type (a JPEG, ONNX or Whisper error in the pipeline), kept as the source.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Why the audio path stopped, before the file's path is attached.
enum AudioStop {
    Sink(SinkError),
    Resample(ffmpeg::Error),
}

impl AudioStop {
    fn at(self, path: &Path) -> DecodeError {
        match self {
            AudioStop::Sink(source) => DecodeError::Sink { path: path.to_path_buf(), source },
            AudioStop::Resample(source) => DecodeError::Resample { path: path.to_path_buf(), source },
        }
    }
}

static INIT: Once = Once::new();

/// Initialises FFmpeg once and quietens its stderr logging (errors reach the
/// caller as `DecodeError`s instead).
pub fn init() {
    INIT.call_once(|| {
        ffmpeg::init().expect("FFmpeg libraries initialise");
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}

/// Which streams to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    pub video: bool,
    pub audio: bool,
}

/// Receives decoded data in stream order. Returning `Err` stops decoding.
pub trait FrameSink {
    /// A decoded video frame and its presentation time in seconds.
    fn video(&mut self, _frame: &ffmpeg::frame::Video, _pts_s: f64, _is_key: bool) -> Result<(), SinkError> {
        Ok(())
    }
    /// A block of 16 kHz mono f32 samples.
    fn audio(&mut self, _samples: &[f32]) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Video stream facts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VideoInfo {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub pixel_format: String,
    pub frame_rate: f64,
    pub frames_decoded: u64,
}

/// Audio stream facts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AudioInfo {
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u16,
    /// Samples delivered at 16 kHz.
    pub samples_16k: u64,
}

impl AudioInfo {
    /// Decoded duration in seconds.
    pub fn duration_s(&self) -> f64 {
        self.samples_16k as f64 / TARGET_RATE as f64
    }
}

/// What a decode pass saw.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MediaSummary {
    pub container: String,
    pub duration_s: f64,
    pub video: Option<VideoInfo>,
    pub audio: Option<AudioInfo>,
    /// Packets the decoders rejected (damaged data); decoding went on.
    pub corrupt_packets: u64,
}

struct AudioPath {
    index: usize,
    decoder: ffmpeg::decoder::Audio,
    resampler: Option<ffmpeg::software::resampling::Context>,
    info: AudioInfo,
}

impl AudioPath {
    fn layout(decoder: &ffmpeg::decoder::Audio) -> ChannelLayout {
        let l = decoder.channel_layout();
        if l.is_empty() {
            ChannelLayout::default(decoder.channels() as i32)
        } else {
            l
        }
    }

    fn resampler_for(&mut self, frame: &ffmpeg::frame::Audio) -> Result<&mut ffmpeg::software::resampling::Context, ffmpeg::Error> {
        if self.resampler.is_none() {
            self.resampler = Some(ffmpeg::software::resampling::Context::get(
                frame.format(),
                frame.channel_layout(),
                frame.rate(),
                Sample::F32(SampleType::Packed),
                ChannelLayout::MONO,
                TARGET_RATE,
            )?);
        }
        Ok(self.resampler.as_mut().expect("just set"))
    }

    fn drain(&mut self, sink: &mut dyn FrameSink) -> Result<(), AudioStop> {
        let mut frame = ffmpeg::frame::Audio::empty();
        while self.decoder.receive_frame(&mut frame).is_ok() {
            // WAV and some other demuxers leave the layout unset; swresample
            // refuses a frame whose layout differs from the one it was built for.
            if frame.channel_layout().is_empty() {
                frame.set_channel_layout(Self::layout(&self.decoder));
            }
            let mut out = ffmpeg::frame::Audio::empty();
            let rs = self.resampler_for(&frame).map_err(AudioStop::Resample)?;
            rs.run(&frame, &mut out).map_err(AudioStop::Resample)?;
            self.emit(&out, sink)?;
        }
        Ok(())
    }

    fn flush(&mut self, sink: &mut dyn FrameSink) -> Result<(), AudioStop> {
        let Some(mut rs) = self.resampler.take() else { return Ok(()) };
        let result = loop {
            let mut out = ffmpeg::frame::Audio::new(Sample::F32(SampleType::Packed), 4096, ChannelLayout::MONO);
            let more = match rs.flush(&mut out) {
                Ok(m) => m,
                Err(e) => break Err(AudioStop::Resample(e)),
            };
            if out.samples() == 0 {
                break Ok(());
            }
            if let Err(e) = self.emit(&out, sink) {
                break Err(e);
            }
            if more.is_none() {
                break Ok(());
            }
        };
        self.resampler = Some(rs);
        result
    }

    fn emit(&mut self, out: &ffmpeg::frame::Audio, sink: &mut dyn FrameSink) -> Result<(), AudioStop> {
        let n = out.samples();
        if n == 0 {
            return Ok(());
        }
        let samples: &[f32] = &out.plane::<f32>(0)[..n];
        self.info.samples_16k += n as u64;
        sink.audio(samples).map_err(AudioStop::Sink)
    }
}

/// Decodes `path`, feeding `sink`. Fails if a wanted stream is missing.
pub fn decode_file(path: &Path, wanted: Wanted, sink: &mut dyn FrameSink) -> Result<MediaSummary, DecodeError> {
    decode(path, wanted, false, sink)
}

/// Decodes the wanted streams `path` has, feeding `sink`: a missing one is
/// skipped (the summary's `video` or `audio` stays `None`). Fails only when
/// the file has none of them.
pub fn decode_available(path: &Path, wanted: Wanted, sink: &mut dyn FrameSink) -> Result<MediaSummary, DecodeError> {
    decode(path, wanted, true, sink)
}

fn decode(path: &Path, wanted: Wanted, missing_ok: bool, sink: &mut dyn FrameSink) -> Result<MediaSummary, DecodeError> {
    init();
    let p = || path.to_path_buf();
    if std::fs::metadata(path).map(|m| m.len() == 0).unwrap_or(false) {
        return Err(DecodeError::Open { path: p(), reason: "the file is empty".into() });
    }
    let mut ictx = ffmpeg::format::input(path).map_err(|e| DecodeError::Open { path: p(), reason: e.to_string() })?;
    let mut summary = MediaSummary {
        container: ictx.format().name().to_string(),
        duration_s: if ictx.duration() > 0 { ictx.duration() as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE) } else { 0.0 },
        ..Default::default()
    };

    let has = |kind: Type| ictx.streams().best(kind).is_some();
    let (want_video, want_audio) = (wanted.video && (has(Type::Video) || !missing_ok), wanted.audio && (has(Type::Audio) || !missing_ok));
    if missing_ok && !want_video && !want_audio {
        let kind = match (wanted.video, wanted.audio) {
            (true, true) => "audio or video",
            (true, false) => "video",
            _ => "audio",
        };
        return Err(DecodeError::NoStream { path: p(), kind });
    }
    let mut video = None;
    if want_video {
        let st = ictx.streams().best(Type::Video).ok_or(DecodeError::NoStream { path: p(), kind: "video" })?;
        let ctx = ffmpeg::codec::context::Context::from_parameters(st.parameters()).map_err(|e| DecodeError::Codec {
            path: p(),
            kind: "video",
            reason: e.to_string(),
        })?;
        let dec = ctx.decoder().video().map_err(|e| DecodeError::Codec { path: p(), kind: "video", reason: e.to_string() })?;
        let rate = st.avg_frame_rate();
        let info = VideoInfo {
            codec: dec.codec().map(|c| c.name().to_string()).unwrap_or_default(),
            width: dec.width(),
            height: dec.height(),
            pixel_format: format!("{:?}", dec.format()),
            frame_rate: if rate.denominator() != 0 { f64::from(rate) } else { 0.0 },
            frames_decoded: 0,
        };
        if info.width == 0 || info.height == 0 {
            return Err(DecodeError::Stream { path: p(), reason: format!("video stream has size {}x{}", info.width, info.height) });
        }
        // Frames are converted to RGB24 buffers of this size: refuse a
        // stream whose declared size would not fit before one is allocated.
        crate::stages::jpeg::check_pixels(info.width as u64, info.height as u64, crate::stages::jpeg::max_pixels())
            .map_err(|e| DecodeError::Stream { path: p(), reason: format!("video stream: {e}") })?;
        video = Some((st.index(), dec, st.time_base(), info));
    }
    let mut audio = None;
    if want_audio {
        let st = ictx.streams().best(Type::Audio).ok_or(DecodeError::NoStream { path: p(), kind: "audio" })?;
        let ctx = ffmpeg::codec::context::Context::from_parameters(st.parameters()).map_err(|e| DecodeError::Codec {
            path: p(),
            kind: "audio",
            reason: e.to_string(),
        })?;
        let dec = ctx.decoder().audio().map_err(|e| DecodeError::Codec { path: p(), kind: "audio", reason: e.to_string() })?;
        let info = AudioInfo {
            codec: dec.codec().map(|c| c.name().to_string()).unwrap_or_default(),
            sample_rate: dec.rate(),
            channels: dec.channels(),
            samples_16k: 0,
        };
        audio = Some(AudioPath { index: st.index(), decoder: dec, resampler: None, info });
    }

    let sink_err = |source: SinkError| DecodeError::Sink { path: path.to_path_buf(), source };
    let mut frame = ffmpeg::frame::Video::empty();
    let mut drain_video = |dec: &mut ffmpeg::decoder::Video, tb: ffmpeg::Rational, info: &mut VideoInfo, sink: &mut dyn FrameSink| {
        while dec.receive_frame(&mut frame).is_ok() {
            info.frames_decoded += 1;
            let pts = frame.timestamp().or(frame.pts()).unwrap_or(0) as f64 * f64::from(tb);
            sink.video(&frame, pts, frame.is_key())?;
        }
        Ok::<(), SinkError>(())
    };
    for (stream, packet) in ictx.packets() {
        if let Some((idx, dec, tb, info)) = video.as_mut() {
            if stream.index() == *idx {
                if dec.send_packet(&packet).is_err() {
                    summary.corrupt_packets += 1;
                }
                drain_video(dec, *tb, info, sink).map_err(sink_err)?;
                continue;
            }
        }
        if let Some(a) = audio.as_mut() {
            if stream.index() == a.index {
                if a.decoder.send_packet(&packet).is_err() {
                    summary.corrupt_packets += 1;
                }
                a.drain(sink).map_err(|e| e.at(path))?;
            }
        }
    }
    if let Some((_, mut dec, tb, mut info)) = video {
        let _ = dec.send_eof();
        drain_video(&mut dec, tb, &mut info, sink).map_err(sink_err)?;
        if info.frames_decoded == 0 {
            return Err(DecodeError::Stream { path: p(), reason: "the video stream decoded to no frames (damaged or truncated)".into() });
        }
        summary.video = Some(info);
    }
    if let Some(mut a) = audio {
        let _ = a.decoder.send_eof();
        a.drain(sink).map_err(|e| e.at(path))?;
        a.flush(sink).map_err(|e| e.at(path))?;
        summary.audio = Some(a.info);
    }
    Ok(summary)
}

/// Collects audio into one buffer (for short files and tests).
#[derive(Debug, Default)]
pub struct CollectAudio(pub Vec<f32>);

impl FrameSink for CollectAudio {
    fn audio(&mut self, samples: &[f32]) -> Result<(), SinkError> {
        self.0.extend_from_slice(samples);
        Ok(())
    }
}

/// The whole audio track of a file as 16 kHz mono f32.
pub fn read_audio_16k(path: &Path) -> Result<Vec<f32>, DecodeError> {
    let mut sink = CollectAudio::default();
    decode_file(path, Wanted { video: false, audio: true }, &mut sink)?;
    Ok(sink.0)
}
