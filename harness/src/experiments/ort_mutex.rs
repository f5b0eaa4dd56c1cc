//! Claim 2 (ort's `Session::run(&mut self)` forces `Arc<Mutex<Session>>`):
//! one session behind a mutex vs a session per thread vs a pool of two, with
//! 1-4 threads, on YOLOv8n (a big model) and Silero VAD (a small one, where
//! lock costs weigh most). Threads are spawned before timing and released
//! by a barrier; each runs for a fixed time with its own counters. The
//! sharing is the pipeline's own (`pipeline::shared`), so the lock-wait
//! accounting is the same one `run.json` reports. Before timing, every
//! strategy's output is checked equal.

use super::error::{io, output, ExperimentError};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::evidence::store::{self, Evidence};
use crate::pipeline::shared::{Factory, Shared};
use crate::scenario::Sharing;
use crate::stages::detect::{Detector, TensorInput};
use crate::stages::onnx::{OnnxError, SessionThreads};
use crate::stages::vad::Vad;

/// Experiment id.
pub const EXPERIMENT: &str = "ort-mutex";

/// One timed run of one cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellRun {
    pub model: String,
    pub strategy: String,
    pub threads: usize,
    pub repeat: usize,
    pub duration_s: f64,
    /// Calls completed by each thread.
    pub per_thread_calls: Vec<u64>,
    /// Latency percentiles of all calls, ms (wait included).
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Time spent waiting for an instance, summed over threads, s.
    pub lock_wait_s: f64,
    pub instances: u64,
}

/// Resident memory as sessions of one model are created one by one in a
/// fresh process, each with its own weights or sharing prepacked ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemoryRun {
    pub model: String,
    /// `own weights` or `prepacked weights shared`.
    pub mode: String,
    pub repeat: usize,
    /// RSS in bytes before the first session, then after each session.
    pub rss_bytes: Vec<u64>,
}

/// Stored data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Data {
    pub runs: Vec<CellRun>,
    pub outputs_agree: Vec<(String, bool)>,
    pub cores: usize,
    #[serde(default)]
    pub memory: Vec<MemoryRun>,
}

impl crate::evidence::store::DataSchema for Data {
    const VERSION: u32 = 1;
}

fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm").ok().and_then(|s| s.split_whitespace().nth(1).and_then(|x| x.parse::<u64>().ok())).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

/// Creates `n` sessions of `model` in this process (kept alive), sharing
/// prepacked weights or not; returns RSS before and after each. This is what
/// `harness session-memory` runs in a fresh process.
pub fn session_memory(model: &str, n: usize, prepacked: bool) -> Result<Vec<u64>, ExperimentError> {
    let path = super::inputs::model_file(model)?;
    crate::models::onnxruntime::environment()?;
    let weights = prepacked.then(ort::session::builder::PrepackedWeights::new);
    let mut rss = vec![rss_bytes()];
    let mut keep = Vec::new();
    for _ in 0..n {
        keep.push(crate::stages::onnx::session_sharing(&path, SessionThreads { intra: 1, inter: 1 }, weights.as_ref())?);
        rss.push(rss_bytes());
    }
    Ok(rss)
}

fn memory_cell(model: &str, prepacked: bool, repeat: usize) -> Result<MemoryRun, ExperimentError> {
    let o = crate::process::output(
        std::process::Command::new(super::harness_exe()).args(["session-memory", model, "4", if prepacked { "prepacked" } else { "plain" }]),
        crate::process::limit::PROBE,
    )?;
    if !o.status.success() {
        return Err(ExperimentError::Failed { command: o.command.clone(), stderr: o.stderr_text() });
    }
    let rss_bytes: Vec<u64> = serde_json::from_slice(&o.stdout).map_err(output(&o.command))?;
    Ok(MemoryRun { model: model.into(), mode: if prepacked { "prepacked weights shared".into() } else { "own weights".into() }, repeat, rss_bytes })
}

trait Model: Send {
    fn call(&mut self) -> Vec<f32>;
}

struct Yolo(Detector, Arc<Vec<f32>>);
impl Model for Yolo {
    fn call(&mut self) -> Vec<f32> {
        self.0.run_tensor(&self.1, TensorInput::ZeroCopyView).expect("yolo run").0
    }
}

struct Silero(Vad, Arc<Vec<f32>>);
impl Model for Silero {
    fn call(&mut self) -> Vec<f32> {
        self.0.probabilities(&self.1).expect("vad run")
    }
}

fn factory(model: &str) -> Result<Factory<Box<dyn Model>, OnnxError>, ExperimentError> {
    let one = SessionThreads { intra: 1, inter: 1 };
    match model {
        "yolov8n-640" => {
            let path = super::inputs::model_file("yolov8n-640")?;
            let input = Arc::new(super::inputs::yolo_tensor()?);
            Ok(Arc::new(move || Detector::load(&path, one).map(|d| Box::new(Yolo(d, Arc::clone(&input))) as Box<dyn Model>)))
        }
        "silero-vad-512" => {
            let path = super::inputs::model_file("silero-vad-512")?;
            let input = Arc::new(super::inputs::speech_samples(8000, 8512)?);
            Ok(Arc::new(move || Vad::load(&path, one).map(|v| Box::new(Silero(v, Arc::clone(&input))) as Box<dyn Model>)))
        }
        other => Err(ExperimentError::unknown_model(other, &["yolov8n-640", "silero-vad-512"])),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn run_cell(model: &str, strategy: Sharing, threads: usize, duration: Duration, repeat: usize) -> Result<CellRun, ExperimentError> {
    let shared = Shared::new(strategy, 2, factory(model)?)?;
    let mut handles = Vec::new();
    for _ in 0..threads {
        handles.push(shared.handle()?);
    }
    let barrier = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = handles
        .into_iter()
        .map(|mut h| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                h.with(|m| m.call()); // warm-up, outside the timed window
                barrier.wait();
                let start = Instant::now();
                let mut lat = Vec::new();
                while start.elapsed() < duration {
                    let t = Instant::now();
                    h.with(|m| std::hint::black_box(m.call()));
                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                }
                lat
            })
        })
        .collect();
    let wait_before = shared.stats().lock_wait_s;
    barrier.wait();
    let t0 = Instant::now();
    let lats: Vec<Vec<f64>> = workers
        .into_iter()
        .map(|w| w.join().map_err(|_| ExperimentError::Panicked { what: format!("{model} {strategy:?} cell") }))
        .collect::<Result<_, _>>()?;
    let elapsed = t0.elapsed().as_secs_f64();
    let mut all: Vec<f64> = lats.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let st = shared.stats();
    Ok(CellRun {
        model: model.into(),
        strategy: serde_json::to_value(strategy).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
        threads,
        repeat,
        duration_s: elapsed,
        per_thread_calls: lats.iter().map(|l| l.len() as u64).collect(),
        p50_ms: percentile(&all, 0.5),
        p99_ms: percentile(&all, 0.99),
        lock_wait_s: st.lock_wait_s - wait_before,
        instances: st.instances,
    })
}

/// Runs the experiment and stores its evidence.
pub fn run(repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<std::path::PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut data = Data { runs: Vec::new(), outputs_agree: Vec::new(), cores, memory: Vec::new() };
    let models: &[(&str, u64)] = if quick { &[("silero-vad-512", 300)] } else { &[("yolov8n-640", 3000), ("silero-vad-512", 1000)] };
    let strategies = [Sharing::Mutex, Sharing::PerWorker, Sharing::Pool];
    for (model, ms) in models {
        // Correctness first: every strategy's instance gives the same output.
        let f = factory(model)?;
        let reference = f()?.call();
        let agree = strategies
            .iter()
            .all(|s| Shared::new(*s, 2, Arc::clone(&f)).and_then(|sh| sh.handle()).map(|mut h| h.with(|m| m.call()) == reference).unwrap_or(false));
        data.outputs_agree.push((model.to_string(), agree));
        if !agree {
            return Err(ExperimentError::Disagree { what: format!("{model}: the sharing strategies") });
        }
        for rep in 0..repeats {
            for prepacked in [false, true] {
                progress(&format!("{model}: memory of 4 sessions, prepacked weights {prepacked}, repeat {}", rep + 1));
                data.memory.push(memory_cell(model, prepacked, rep)?);
            }
            for threads in 1..=4 {
                for s in strategies {
                    progress(&format!("{model}: {threads} thread(s), {s:?}, repeat {}", rep + 1));
                    data.runs.push(run_cell(model, s, threads, Duration::from_millis(*ms), rep)?);
                }
            }
        }
    }
    let evidence =
        Evidence::new(EXPERIMENT, started_at, serde_json::json!({"repeats": repeats, "quick": quick, "intra_threads": 1, "pool_size": 2}), vec![], data);
    store::write_new(EXPERIMENT, &evidence).map_err(io(&store::scratch_root()))
}
