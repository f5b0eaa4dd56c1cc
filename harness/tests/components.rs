//! Each crate of the native stack doing its real job on real input.
//! Requires `scripts/setup.sh` (the test command runs it first).

use std::path::PathBuf;

use harness::media;
use harness::models::catalog::id;
use harness::models::locate::require;
use harness::quality::{corpus_word_error_rate, word_error_rate};
use harness::stages::decode::{self, CollectAudio, Wanted};
use harness::stages::detect::{DecodeParams, Detector, TensorInput};
use harness::stages::jpeg::{self, EncodeOptions, JpegDecoder, Subsampling};
use harness::stages::mel::{self, FftMode, LogMel};
use harness::stages::onnx::SessionThreads;
use harness::stages::tokenize::TextTokenizer;
use harness::stages::transcribe::{TranscribeOptions, Transcriber};
use harness::stages::vad::{Vad, VadParams};

fn asset(asset_id: &str) -> PathBuf {
    require(asset_id).unwrap_or_else(|e| panic!("{e}"))
}

fn clip(n: usize) -> (Vec<f32>, String) {
    let path = &media::speech_clips()[n];
    let audio = decode::read_audio_16k(path).unwrap_or_else(|e| panic!("{e}"));
    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
    let reference = media::transcripts().unwrap().into_iter().find(|(i, _)| *i == stem).expect("transcript").1;
    (audio, reference)
}

#[test]
fn ort_runs_yolov8n_on_a_photo_with_output_1_22_8400() -> anyhow::Result<()> {
    let photo = image::open(asset(id::PHOTO_ROCKET))?.to_rgb8();
    let mut det = Detector::from_catalog(SessionThreads::default())?;
    let view = det.detect(&photo, TensorInput::ZeroCopyView, DecodeParams::default())?;
    assert_eq!(view.output_shape, vec![1, 22, 8400]);
    assert_eq!(view.bytes_copied, 0);
    // The owned-copy path must see the same input and give the same output.
    let owned = det.detect(&photo, TensorInput::OwnedCopy, DecodeParams::default())?;
    assert_eq!(owned.bytes_copied, 4_915_200, "a 640x640x3 f32 tensor");
    assert_eq!(owned.detections, view.detections);
    Ok(())
}

#[test]
fn ort_silero_vad_finds_speech_in_librivox_and_none_in_silence() -> anyhow::Result<()> {
    let mut vad = Vad::from_catalog(SessionThreads::default())?;
    let (speech, _) = clip(0);
    let segs = vad.segments(&speech, VadParams::default())?;
    let voiced: f64 = segs.iter().map(|s| s.end_s - s.start_s).sum();
    let total = speech.len() as f64 / 16_000.0;
    assert!(!segs.is_empty() && voiced > 0.5 * total, "speech clip: {segs:?} of {total:.2} s");
    // Digital silence (synthetic by construction, 5 s).
    let silence = vec![0f32; 5 * 16_000];
    assert_eq!(vad.segments(&silence, VadParams::default())?, vec![]);
    Ok(())
}

/// The corpus WER (all five clips) must be at most 0.2, and so must the
/// longest clip's. Short clips alone are not asserted one by one: tiny.en
/// mishears "ill disposed" in the 3 s clip (2 errors of 8 words = 0.25),
/// which is the model's quality, not the binding's.
#[test]
fn whisper_rs_transcribes_librivox_with_wer_at_most_0_2() -> anyhow::Result<()> {
    let t = Transcriber::from_catalog()?;
    let mut state = t.new_state()?;
    let mut pairs = Vec::new();
    for n in 0..media::speech_clips().len() {
        let (audio, reference) = clip(n);
        let text = t.transcribe(&mut state, &audio, TranscribeOptions::default())?.text();
        eprintln!("clip {n}: WER {:.3}: {text}", word_error_rate(&reference, &text));
        pairs.push((reference, text));
    }
    let first = word_error_rate(&pairs[0].0, &pairs[0].1);
    assert!(first <= 0.2, "longest clip: WER {first:.3}\n  ref: {}\n  hyp: {}", pairs[0].0, pairs[0].1);
    let corpus = corpus_word_error_rate(pairs.iter().map(|(r, h)| (r.as_str(), h.as_str())));
    assert!(corpus <= 0.2, "corpus WER {corpus:.3}");
    Ok(())
}

#[test]
fn ffmpeg_next_decodes_the_generated_videos_with_expected_frames_and_audio() -> anyhow::Result<()> {
    let speech_s = media::speech_seconds()?;
    for video in [id::VIDEO_MP4, id::VIDEO_WEBM] {
        let mut sink = CollectAudio::default();
        let s = decode::decode_file(&asset(video), Wanted { video: true, audio: true }, &mut sink)?;
        let v = s.video.expect("video stream");
        let expected = speech_s * media::FPS as f64;
        assert!((v.frames_decoded as f64 - expected).abs() <= 1.0, "{video}: {} frames, expected {expected:.2}", v.frames_decoded);
        assert_eq!((v.width, v.height), media::SIZE);
        let a = s.audio.expect("audio stream");
        assert!((a.duration_s() - speech_s).abs() < 0.05, "{video}: audio {:.3} s, speech {speech_s:.3} s", a.duration_s());
        assert_eq!(sink.0.len() as u64, a.samples_16k);
    }
    Ok(())
}

#[test]
fn mozjpeg_jpeg_decoder_and_image_decode_the_same_jpeg_within_40_db() -> anyhow::Result<()> {
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for p in [id::PHOTO_ROCKET, id::PHOTO_RETINA, id::PHOTO_HUBBLE] {
        inputs.push((p.to_string(), std::fs::read(asset(p))?));
    }
    // Re-encoded by mozjpeg: 4:4:4 progressive, as the pipeline's encoder would write it.
    let png = image::open(asset(id::PHOTO_ASTRONAUT))?.to_rgb8();
    let opts = EncodeOptions { quality: 90.0, subsampling: Subsampling::S444, progressive: true };
    inputs.push(("astronaut-q90-444-progressive".into(), jpeg::encode_rgb(png.as_raw(), 512, 512, opts)?));
    for (name, bytes) in &inputs {
        let mut reference = Vec::new();
        let r = jpeg::decode_rgb(JpegDecoder::Mozjpeg, bytes, &mut reference)?;
        for dec in [JpegDecoder::Image, JpegDecoder::JpegDecoder, JpegDecoder::JpegDecoderRayon] {
            let mut out = Vec::new();
            let d = jpeg::decode_rgb(dec, bytes, &mut out)?;
            assert_eq!(d, r, "{name}: {} size differs", dec.name());
            let psnr = jpeg::psnr(&out, &reference);
            assert!(psnr >= 40.0, "{name}: {} PSNR {psnr:.1} dB vs libjpeg-turbo", dec.name());
        }
    }
    Ok(())
}

/// Whisper's log-mel computed the slow, obvious way: f64 direct DFT per
/// frame, same window, reflect padding and filter bank.
fn reference_log_mel(x: &[f32]) -> Vec<f32> {
    let (n_fft, hop, n_mels) = (mel::WHISPER_N_FFT, mel::WHISPER_HOP, mel::WHISPER_N_MELS);
    let n_bins = n_fft / 2 + 1;
    let filters = mel::mel_filters(16_000, n_fft, n_mels);
    let half = n_fft / 2;
    let mut padded = Vec::with_capacity(x.len() + n_fft);
    padded.extend((1..=half).rev().map(|i| x[i] as f64));
    padded.extend(x.iter().map(|&v| v as f64));
    padded.extend((0..half).map(|i| x[x.len() - 2 - i] as f64));
    let window: Vec<f64> = (0..n_fft).map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n_fft as f64).cos()).collect();
    let n_frames = x.len() / hop;
    let mut out = vec![0f64; n_frames * n_mels];
    for t in 0..n_frames {
        let frame = &padded[t * hop..t * hop + n_fft];
        let power: Vec<f64> = (0..n_bins)
            .map(|k| {
                let (mut re, mut im) = (0.0, 0.0);
                for (n, (&s, &w)) in frame.iter().zip(&window).enumerate() {
                    let ang = -2.0 * std::f64::consts::PI * (k * n) as f64 / n_fft as f64;
                    re += s * w * ang.cos();
                    im += s * w * ang.sin();
                }
                re * re + im * im
            })
            .collect();
        for m in 0..n_mels {
            let e: f64 = (0..n_bins).map(|k| filters[m * n_bins + k] as f64 * power[k]).sum();
            out[t * n_mels + m] = e.max(1e-10).log10();
        }
    }
    let max = out.iter().cloned().fold(f64::MIN, f64::max);
    out.iter().map(|&v| ((v.max(max - 8.0) + 4.0) / 4.0) as f32).collect()
}

#[test]
fn rustfft_log_mel_matches_a_direct_dft_reference_to_1e_4() {
    let (audio, _) = clip(1);
    let audio = &audio[..16_000]; // one second of real speech
    let fast = LogMel::whisper().compute(audio, FftMode::Serial);
    let slow = reference_log_mel(audio);
    assert_eq!(fast.data.len(), slow.len());
    let worst = fast.data.iter().zip(&slow).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(worst <= 1e-4, "max |fast - reference| = {worst:e}");
}

#[test]
fn rayon_log_mel_equals_serial_log_mel() {
    let (audio, _) = clip(0);
    let lm = LogMel::whisper();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let parallel = pool.install(|| lm.compute(&audio, FftMode::Rayon));
    assert_eq!(parallel, lm.compute(&audio, FftMode::Serial));
}

#[derive(serde::Deserialize)]
struct TokenFixture {
    tokenizers_version: String,
    sentences: Vec<String>,
    models: std::collections::BTreeMap<String, Vec<Vec<u32>>>,
}

#[test]
fn tokenizers_gives_the_ids_python_tokenizers_gives() -> anyhow::Result<()> {
    let fixture: TokenFixture = serde_json::from_str(include_str!("fixtures/tokenizer_ids.json"))?;
    let mut mismatches = Vec::new();
    for (model, asset_id) in [("minilm-wordpiece", id::MINILM_TOKENIZER), ("whisper-bpe", id::WHISPER_BPE)] {
        let tok = TextTokenizer::from_catalog(asset_id)?;
        for (sentence, want) in fixture.sentences.iter().zip(&fixture.models[model]) {
            let got = tok.encode(sentence)?;
            if &got != want {
                mismatches.push(format!("{model}: {sentence:?}\n  rust   {got:?}\n  python {want:?}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "vs Python tokenizers {}:\n{}", fixture.tokenizers_version, mismatches.join("\n"));
    Ok(())
}

#[inline(never)]
fn spin_in_a_recognisable_function(ms: u64) -> u64 {
    let end = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    let mut x = 0u64;
    // Mostly arithmetic: samples landing in the clock call (vDSO) are
    // dropped by the profiler's blocklist.
    while std::time::Instant::now() < end {
        for _ in 0..100_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
    x
}

#[test]
fn pprof_writes_a_flamegraph_naming_the_hot_function() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let svg = dir.path().join("flame.svg");
    harness::measure::profiler::flamegraph_of(&svg, 499, || spin_in_a_recognisable_function(400))?;
    let text = std::fs::read_to_string(&svg)?;
    assert!(text.starts_with("<?xml") && text.contains("<svg"), "not an SVG");
    assert!(text.contains("spin_in_a_recognisable_function"), "hot function absent from the flamegraph");
    Ok(())
}
