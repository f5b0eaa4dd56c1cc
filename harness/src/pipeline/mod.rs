//! The extraction pipeline under configurable concurrency: `concurrency.files`
//! workers each take whole files from a queue and run them through every
//! stage (`file.rs`), sharing models as the scenario says (`shared.rs`),
//! watched by a progress watchdog (`watchdog.rs`).

pub mod file;
pub mod keyframes;
pub mod plan;
pub mod shared;
pub mod watchdog;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::evidence::environment::Environment;
use crate::evidence::run::{self, FileResult, FileStatus, RunDir, RunRecord, SlowEpisode, Totals};
use crate::measure::{clock, stages::Recorder};
use crate::models::locate;
use crate::scenario::{budget, ConcurrencyMode, EmbedMode, OnStall, Scenario};
use crate::stages::detect::Detector;
use crate::stages::embed::ImageEncoder;
use crate::stages::mel::LogMel;
use crate::stages::onnx::{OnnxError, SessionThreads};
use crate::stages::tokenize::TextTokenizer;
use crate::stages::transcribe::{TranscribeError, Transcriber};
use crate::stages::vad::Vad;
use shared::Shared;

/// A run that could not start (bad model, unwritable output). Per-file
/// problems are not errors: they land in `run.json`.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{what}: {source}")]
    Model { what: &'static str, source: Box<ModelError> },
    #[error("cannot start a worker thread: {0}")]
    Thread(std::io::Error),
    #[error("rayon pool: {0}")]
    Rayon(#[from] rayon::ThreadPoolBuildError),
    #[error("output folder {path}: {source}")]
    Output { path: PathBuf, source: std::io::Error },
}

/// Why a model a scenario needs could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Asset(#[from] locate::AssetError),
    #[error(transparent)]
    Onnx(Box<OnnxError>),
    #[error(transparent)]
    Transcribe(#[from] crate::stages::transcribe::TranscribeError),
    #[error(transparent)]
    Tokenize(#[from] crate::stages::tokenize::TokenizeError),
}

// Boxed: ONNX Runtime's errors are large.
impl From<OnnxError> for ModelError {
    fn from(e: OnnxError) -> Self {
        ModelError::Onnx(Box::new(e))
    }
}

/// Everything the workers share during a run.
pub struct RunContext {
    pub scenario: Arc<Scenario>,
    pub recorder: Recorder,
    pub run_dir: RunDir,
    pub heartbeats: Arc<watchdog::Heartbeats>,
    pub rayon: rayon::ThreadPool,
    pub log_mel: LogMel,
    pub transcriber: Option<Arc<Transcriber>>,
    pub tokenizer: Option<TextTokenizer>,
    pub detect: Option<Arc<Shared<Detector, OnnxError>>>,
    pub embed: Option<Arc<Shared<ImageEncoder, OnnxError>>>,
    pub vad: Option<Arc<Shared<Vad, OnnxError>>>,
    pub whisper: Option<Arc<Shared<whisper_rs::WhisperState, TranscribeError>>>,
    pub tensor_bytes_copied: AtomicU64,
}

fn model_err<E: Into<ModelError>>(what: &'static str) -> impl Fn(E) -> PipelineError {
    move |e| PipelineError::Model { what, source: Box::new(e.into()) }
}

impl RunContext {
    /// Loads every model the scenario needs. Fails before any file starts if
    /// one is missing or corrupt.
    fn new(scenario: Arc<Scenario>, run_dir: RunDir) -> Result<Self, PipelineError> {
        let s = &scenario;
        let threads = |intra| SessionThreads { intra, inter: 1 };
        let detect = if s.detect.enabled {
            let path = model_path(s.detect.model.as_deref(), crate::models::catalog::id::YOLO).map_err(model_err("detector"))?;
            let t = threads(s.detect.intra_threads);
            Some(Shared::new(s.detect.sharing, s.detect.pool_size, Arc::new(move || Detector::load(&path, t))).map_err(model_err("detector"))?)
        } else {
            None
        };
        let embed = match (s.embed.mode, &s.embed.model) {
            (EmbedMode::Model, Some(p)) => {
                let path = PathBuf::from(p);
                let t = threads(s.embed.intra_threads);
                Some(Shared::new(s.embed.sharing, s.embed.pool_size, Arc::new(move || ImageEncoder::load(&path, t))).map_err(model_err("image encoder"))?)
            }
            _ => None,
        };
        let vad = if s.vad.enabled {
            let path = model_path(s.vad.model.as_deref(), crate::models::catalog::id::SILERO).map_err(model_err("VAD"))?;
            let t = threads(s.vad.intra_threads);
            Some(Shared::new(s.vad.sharing, s.vad.pool_size, Arc::new(move || Vad::load(&path, t))).map_err(model_err("VAD"))?)
        } else {
            None
        };
        let (transcriber, whisper) = if s.transcribe.enabled {
            let path = model_path(s.transcribe.model.as_deref(), crate::models::catalog::id::WHISPER_GGML).map_err(model_err("Whisper"))?;
            let t = Arc::new(Transcriber::load(&path).map_err(model_err("Whisper"))?);
            let t2 = Arc::clone(&t);
            let states = Shared::new(s.transcribe.sharing, s.transcribe.pool_size, Arc::new(move || t2.new_state())).map_err(model_err("Whisper state"))?;
            (Some(t), Some(states))
        } else {
            (None, None)
        };
        let tokenizer = if s.tokenize.enabled { Some(TextTokenizer::from_catalog(&s.tokenize.tokenizer).map_err(model_err("tokenizer"))?) } else { None };
        let rayon = rayon::ThreadPoolBuilder::new().num_threads(s.concurrency.rayon_threads).thread_name(|i| format!("rayon-{i}")).build()?;
        Ok(RunContext {
            recorder: Recorder::new(s.measure.instrument),
            heartbeats: watchdog::Heartbeats::new(s.concurrency.files),
            rayon,
            log_mel: LogMel::whisper(),
            transcriber,
            tokenizer,
            detect,
            embed,
            vad,
            whisper,
            tensor_bytes_copied: AtomicU64::new(0),
            scenario,
            run_dir,
        })
    }

    /// Worker `w`'s handles; queueing for a shared model is reported to the
    /// watchdog, so a queued worker is not taken for a hung one.
    fn kit(&self, w: usize) -> Result<file::WorkerKit, ModelError> {
        let hook = |resource: &'static str| -> shared::WaitHook {
            let hb = Arc::clone(&self.heartbeats);
            Arc::new(move |waiting| hb.set_waiting(w, waiting.then_some(resource)))
        };
        Ok(file::WorkerKit {
            detect: self.detect.as_ref().map(|s| s.handle_watched(hook("detector"))).transpose()?,
            embed: self.embed.as_ref().map(|s| s.handle_watched(hook("image-encoder"))).transpose()?,
            vad: self.vad.as_ref().map(|s| s.handle_watched(hook("vad"))).transpose()?,
            whisper: self.whisper.as_ref().map(|s| s.handle_watched(hook("whisper-state"))).transpose()?,
        })
    }
}

/// The model a scenario names (`asset:ID` or a path), else the catalog's
/// `default`; a named path must exist.
fn model_path(named: Option<&str>, default: &str) -> Result<PathBuf, locate::AssetError> {
    let path = resolve(named.unwrap_or(&format!("asset:{default}")))?;
    match path.is_file() {
        true => Ok(path),
        false => Err(locate::AssetError::Missing {
            what: "the scenario's model".into(),
            path: path.clone(),
            fix: "give an existing file, or an `asset:ID` of the catalog (`harness doctor` lists them)".into(),
        }),
    }
}

/// Resolves an input entry to a path (`asset:ID` or a path).
fn resolve(entry: &str) -> Result<PathBuf, locate::AssetError> {
    match entry.strip_prefix("asset:") {
        Some(id) => locate::require(id),
        None => Ok(PathBuf::from(entry)),
    }
}

/// What the synthetic parts of a run are, for every output that uses them.
fn synthetic_labels(s: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    if s.input.files.iter().any(|f| f.starts_with("asset:video-speech")) {
        out.push("video picture: ffmpeg testsrc2 pattern (SYNTHETIC); speech is real (librivox)".into());
    }
    out
}

enum Event {
    Done(usize, Box<FileResult>),
    WorkerFailed(String),
}

/// Runs `scenario`, writing `run.json` and artefacts under `out`.
/// `progress` draws a progress bar on stderr.
pub fn run(scenario: Scenario, scenario_path: &Path, out: &Path, progress: bool) -> Result<RunRecord, PipelineError> {
    let started_at = run::now_utc();
    let run_dir = RunDir::create(out).map_err(|source| PipelineError::Output { path: out.to_path_buf(), source })?;
    let inputs: Vec<String> = (0..scenario.input.repeat).flat_map(|_| scenario.input.files.iter().cloned()).collect();
    let mut scenario = scenario;
    let budget = (scenario.concurrency.mode == ConcurrencyMode::Auto).then(|| budget::plan(budget::available_cores(), inputs.len()));
    if let Some(b) = &budget {
        budget::apply(&mut scenario, b);
        tracing::info!("concurrency auto: {} cores, {} files in parallel, {} threads per stage call", b.cores, b.files, b.threads);
    }
    let scenario = Arc::new(scenario);
    let ctx = Arc::new(RunContext::new(Arc::clone(&scenario), run_dir)?);

    let mut results: Vec<Option<FileResult>> = vec![None; inputs.len()];
    let queue: Arc<Mutex<VecDeque<(usize, PathBuf)>>> = Arc::new(Mutex::new(VecDeque::new()));
    for (i, entry) in inputs.iter().enumerate() {
        match resolve(entry) {
            Ok(p) => queue.lock().expect("queue").push_back((i, p)),
            Err(e) => {
                let mut r = FileResult::empty(entry, FileStatus::Error);
                r.error = Some(e.to_string());
                results[i] = Some(r);
            }
        }
    }

    let bar = if progress { indicatif::ProgressBar::new(inputs.len() as u64) } else { indicatif::ProgressBar::hidden() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos}/{len} files, {elapsed} {msg}").expect("template").progress_chars("=> "),
    );
    bar.set_prefix(scenario.name.clone());
    bar.enable_steady_tick(Duration::from_millis(250));
    bar.inc(results.iter().filter(|r| r.is_some()).count() as u64);

    let (w0, c0) = (Instant::now(), clock::process_cpu());
    let (tx, rx) = mpsc::channel::<Event>();
    let (stall_tx, stall_rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let limits = watchdog::Limits {
        stall: Duration::from_secs_f64(scenario.watchdog.stall_s),
        busy: Duration::from_secs_f64(scenario.watchdog.busy_limit_s),
        gdb: Duration::from_secs(scenario.watchdog.gdb_timeout_s),
    };
    let monitor = watchdog::spawn(Arc::clone(&ctx.heartbeats), limits, stall_tx, Arc::clone(&stop));
    let mut workers = Vec::new();
    for w in 0..scenario.concurrency.files {
        let (ctx, queue, tx) = (Arc::clone(&ctx), Arc::clone(&queue), tx.clone());
        let handle = std::thread::Builder::new().name(watchdog::worker_thread_name(w)).spawn(move || {
            let mut kit = match ctx.kit(w) {
                Ok(k) => k,
                Err(e) => {
                    let _ = tx.send(Event::WorkerFailed(e.to_string()));
                    return;
                }
            };
            loop {
                let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                let Some((i, path)) = next else { break };
                ctx.heartbeats.begin(w, i);
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| file::process(&ctx, &mut kit, w, i, &path))).unwrap_or_else(|p| {
                    let mut r = FileResult::empty(&path.display().to_string(), FileStatus::Error);
                    r.error = Some(format!(
                        "panic: {}",
                        p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
                    ));
                    r
                });
                ctx.heartbeats.end(w);
                if tx.send(Event::Done(i, Box::new(r))).is_err() {
                    break;
                }
            }
        });
        match handle {
            Ok(h) => workers.push(h),
            Err(source) => return Err(PipelineError::Thread(source)),
        }
    }
    drop(tx);

    let mut hung: Vec<usize> = Vec::new();
    let mut slow: BTreeMap<usize, Vec<SlowEpisode>> = BTreeMap::new();
    let mut worker_errors = Vec::new();
    while results.iter().any(|r| r.is_none()) {
        while let Ok(report) = stall_rx.try_recv() {
            let stall = match report {
                watchdog::Report::Slow { file, episode } => {
                    bar.println(format!(
                        "  SLOW  {}: no heartbeat for {:.1} s in `{}`, still using {:.2} CPU-s per s",
                        inputs[file], episode.silent_s, episode.stage, episode.cpu_per_s
                    ));
                    slow.entry(file).or_default().push(episode);
                    continue;
                }
                watchdog::Report::Hung(stall) => stall,
            };
            let rel = format!("stacks-file-{:03}.txt", stall.file);
            let _ = ctx.run_dir.write(&rel, stall.stacks.as_bytes());
            let mut r = FileResult::empty(&inputs[stall.file], FileStatus::Hung);
            r.stage = Some(stall.stage.clone());
            r.error = Some(format!("hung in stage `{}`: {}; all-thread stacks in {rel}", stall.stage, stall.reason));
            r.stacks = Some(rel);
            r.slow = slow.remove(&stall.file).unwrap_or_default();
            bar.println(format!("  HUNG  {}: {}", inputs[stall.file], r.error.as_deref().unwrap_or("")));
            results[stall.file] = Some(r);
            hung.push(stall.file);
            bar.inc(1);
            if scenario.watchdog.on_stall == OnStall::Abort {
                let rest: Vec<(usize, PathBuf)> = queue.lock().map(|mut q| q.drain(..).collect()).unwrap_or_default();
                for (i, _) in rest {
                    let mut r = FileResult::empty(&inputs[i], FileStatus::NotStarted);
                    r.error = Some("not started: the run was aborted after a stall (watchdog.on_stall = \"abort\")".into());
                    results[i] = Some(r);
                    bar.inc(1);
                }
            }
        }
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Event::Done(i, mut r)) => {
                if results[i].is_none() {
                    r.slow = slow.remove(&i).unwrap_or_default();
                    if r.status != FileStatus::Ok {
                        bar.println(format!("  FAIL  {}: {}", r.path, r.error.as_deref().unwrap_or("")));
                    }
                    bar.set_message(format!(
                        "last: {} ({:.1} s)",
                        Path::new(&r.path).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
                        r.wall_s
                    ));
                    results[i] = Some(*r);
                    bar.inc(1);
                }
            }
            Ok(Event::WorkerFailed(e)) => worker_errors.push(e),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Every worker is gone: whatever is left never started.
                for (i, r) in results.iter_mut().enumerate() {
                    if r.is_none() {
                        let mut f = FileResult::empty(&inputs[i], FileStatus::NotStarted);
                        f.error = Some(format!("no worker could run it: {}", worker_errors.join("; ")));
                        *r = Some(f);
                    }
                }
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let wall = w0.elapsed().as_secs_f64();
    let cpu = (clock::process_cpu() - c0).as_secs_f64();
    bar.finish_and_clear();
    let _ = monitor.join();
    // Workers stuck in a hung file are left behind; the rest are done.
    if hung.is_empty() {
        for h in workers {
            let _ = h.join();
        }
    }

    let files: Vec<FileResult> = results.into_iter().map(|r| r.expect("every file accounted for")).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let media_s: f64 = files.iter().filter_map(|f| f.media.as_ref()).map(|m| m.duration_s).sum();
    let ok = files.iter().filter(|f| f.status == FileStatus::Ok).count();
    let mut resources = BTreeMap::new();
    if let Some(s) = &ctx.detect {
        resources.insert("detector".to_string(), s.stats());
    }
    if let Some(s) = &ctx.embed {
        resources.insert("image-encoder".to_string(), s.stats());
    }
    if let Some(s) = &ctx.vad {
        resources.insert("vad".to_string(), s.stats());
    }
    if let Some(s) = &ctx.whisper {
        resources.insert("whisper-state".to_string(), s.stats());
    }
    let record = RunRecord {
        schema: run::SCHEMA.into(),
        scenario: (*scenario).clone(),
        scenario_path: scenario_path.display().to_string(),
        started_at,
        environment: Environment::capture(),
        synthetic: synthetic_labels(&scenario),
        stages: ctx.recorder.totals(),
        resources,
        totals: Totals {
            wall_s: wall,
            process_cpu_s: cpu,
            cores,
            cpu_utilisation: if wall > 0.0 { cpu / (wall * cores as f64) } else { 0.0 },
            peak_rss_bytes: clock::peak_rss_bytes(),
            files_ok: ok,
            files_failed: files.len() - ok,
            media_s,
            media_s_per_s: if wall > 0.0 { media_s / wall } else { 0.0 },
            files_per_s: if wall > 0.0 { ok as f64 / wall } else { 0.0 },
            tensor_bytes_copied: ctx.tensor_bytes_copied.load(Ordering::Relaxed),
        },
        instrumented: scenario.measure.instrument,
        watchdog: Some(ctx.heartbeats.stats(scenario.watchdog.stall_s)),
        budget,
        files,
    };
    ctx.run_dir.write_record(&record).map_err(|source| PipelineError::Output { path: out.to_path_buf(), source })?;
    Ok(record)
}

fn sharing_name(s: crate::scenario::Sharing) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// The end-of-run summary table.
pub fn summary(r: &RunRecord) -> String {
    let mut s = String::new();
    let t = &r.totals;
    s += &format!(
        "scenario `{}`: {} ok, {} failed; wall {:.2} s, process CPU {:.2} s on {} cores ({:.0}% used); {:.1} media-s/s; peak RSS {:.0} MiB\n",
        r.scenario.name,
        t.files_ok,
        t.files_failed,
        t.wall_s,
        t.process_cpu_s,
        t.cores,
        100.0 * t.cpu_utilisation,
        t.media_s_per_s,
        t.peak_rss_bytes as f64 / (1 << 20) as f64
    );
    for label in &r.synthetic {
        s += &format!("note: {label}\n");
    }
    s += &format!("\n{:<16} {:>7} {:>10} {:>12}\n", "stage", "calls", "wall s", "thread CPU s");
    for (name, st) in &r.stages {
        s += &format!("{:<16} {:>7} {:>10.3} {:>12.3}\n", name, st.calls, st.wall_s, st.thread_cpu_s);
    }
    if !r.resources.is_empty() {
        s += &format!("\n{:<16} {:<11} {:>9} {:>8} {:>12} {:>10}\n", "resource", "sharing", "instances", "calls", "lock wait s", "max wait s");
        for (name, res) in &r.resources {
            s += &format!(
                "{:<16} {:<11} {:>9} {:>8} {:>12.3} {:>10.3}\n",
                name,
                sharing_name(res.sharing),
                res.instances,
                res.acquisitions,
                res.lock_wait_s,
                res.max_wait_s
            );
        }
    }
    if let Some(w) = &r.watchdog {
        s += &format!("\n{:<28} {:>7} {:>11} {:>10}   (watchdog.stall_s = {})\n", "heartbeats in stage", "beats", "mean gap s", "max gap s", w.stall_s);
        for (stage, g) in &w.gaps {
            s += &format!("{:<28} {:>7} {:>11.3} {:>10.3}\n", stage, g.beats, g.mean_gap_s, g.max_gap_s);
        }
        if w.captures > 0 {
            s += &format!("stack captures: {} (process stopped {:.1} s, not counted against any worker)\n", w.captures, w.paused_s);
        }
    }
    s += &format!("\n{:<8} {:>6} {:>9} {:>7}  file\n", "status", "wall s", "keyframes", "tokens");
    for f in &r.files {
        s += &format!("{:<8} {:>6.2} {:>9} {:>7}  {}\n", format!("{:?}", f.status).to_lowercase(), f.wall_s, f.keyframe_count, f.tokens, f.path);
        if let Some(e) = &f.error {
            s += &format!("         {e}\n");
        }
    }
    s
}
