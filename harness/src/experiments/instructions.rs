//! Instruction counts for the 1% questions that wall-clock noise on a
//! shared machine cannot decide: the cost of an uncontended lock around
//! `Session::run` (claim 2) and of copying the input tensor (claim 6), each
//! against one inference, for YOLOv8n and for Silero VAD (a small model,
//! where such costs weigh most).
//!
//! Method: each count is a separate process, `harness instr-probe MODEL
//! VARIANT CALLS`, run under valgrind's cachegrind without cache simulation
//! (`I refs`, every thread included). Set-up and one warm-up call are the
//! same for every run, so instructions per call are the difference between
//! a run of `calls_high` and one of `calls_low` calls, divided by the
//! difference in calls. Each pair runs `repeats` times; the spread between
//! repeats is the resolution. Before counting, the variants' outputs are
//! checked equal in this process.

use super::error::{io, ExperimentError};
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::evidence::store::{self, Evidence};
use crate::pipeline::shared::Shared;
use crate::scenario::Sharing;
use crate::stages::detect::{Detector, TensorInput};
use crate::stages::onnx::SessionThreads;
use crate::stages::vad::Vad;

/// Experiment id.
pub const EXPERIMENT: &str = "instruction-counts";

/// The compared ways to call a model.
pub const VARIANTS: [&str; 4] = [
    // The baseline: input borrowed (`TensorRef::from_array_view`), no lock.
    "view",
    // The input cloned into an owned tensor (`Tensor::from_array`), as the seed does.
    "copy",
    // `view` through a `std::sync::Mutex`, never contended (the seed's `Mutex<Session>`).
    "std-mutex",
    // `view` through the pipeline's own mutex sharing, with its lock-wait timing.
    "pipeline-mutex",
];

/// Models and the call counts (low, high) used for them. YOLOv8n is left
/// out of the experiment: one inference takes about 7 minutes under
/// cachegrind here (3.1e9 instructions with set-up); its copy share is
/// decided by wall clock in `ort-tensor-copy.md`. `instr-probe` still takes it.
pub const MODELS: [(&str, u64, u64); 1] = [("silero-vad-512", 20, 120)];

/// One counted process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Count {
    pub model: String,
    pub variant: String,
    pub calls: u64,
    pub repeat: usize,
    pub instructions: u64,
}

/// Stored data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Data {
    pub counts: Vec<Count>,
    /// Per model: did every variant give the same output?
    pub outputs_agree: Vec<(String, bool)>,
    pub valgrind: String,
    /// Bytes the `copy` variant copies per call, per model.
    pub bytes_copied: Vec<(String, u64)>,
}

impl crate::evidence::store::DataSchema for Data {
    const VERSION: u32 = 1;
}

/// A model called one way.
trait Call {
    fn call(&mut self) -> Vec<f32>;
}

struct Yolo {
    det: Detector,
    input: Arc<Vec<f32>>,
    mode: TensorInput,
}

impl Call for Yolo {
    fn call(&mut self) -> Vec<f32> {
        self.det.run_tensor(&self.input, self.mode).expect("yolo run").0
    }
}

struct Silero {
    vad: Vad,
    frame: Vec<f32>,
    state: Vec<f32>,
    mode: TensorInput,
}

impl Call for Silero {
    fn call(&mut self) -> Vec<f32> {
        let (p, s) = self.vad.run_window(&self.frame, &self.state, self.mode).expect("vad run");
        let mut out = s;
        out.push(p);
        out
    }
}

fn load(model: &str, mode: TensorInput) -> Result<(Box<dyn Call + Send>, u64), ExperimentError> {
    let one = SessionThreads { intra: 1, inter: 1 };
    match model {
        "yolov8n-640" => {
            let path = super::inputs::model_file("yolov8n-640")?;
            let t = super::inputs::yolo_tensor()?;
            let bytes = std::mem::size_of_val(&t[..]) as u64;
            Ok((Box::new(Yolo { det: Detector::load(&path, one)?, input: Arc::new(t), mode }), bytes))
        }
        "silero-vad-512" => {
            let path = super::inputs::model_file("silero-vad-512")?;
            // The same 512 samples as claim 2's experiment, with the 64 before as context.
            let frame = super::inputs::speech_samples(8000 - 64, 8512)?;
            let state = vec![0f32; 256];
            let bytes = (std::mem::size_of_val(&frame[..]) + std::mem::size_of_val(&state[..]) + 8) as u64;
            Ok((Box::new(Silero { vad: Vad::load(&path, one)?, frame, state, mode }), bytes))
        }
        other => Err(ExperimentError::unknown_model(other, &["silero-vad-512", "yolov8n-640"])),
    }
}

/// Runs `calls` calls of `model` the `variant` way after one warm-up call;
/// returns a checksum of the last output. This is what runs under valgrind.
pub fn probe(model: &str, variant: &str, calls: u64) -> Result<f64, ExperimentError> {
    let mode = if variant == "copy" { TensorInput::OwnedCopy } else { TensorInput::ZeroCopyView };
    let (m, _) = load(model, mode)?;
    let mut last = Vec::new();
    match variant {
        "view" | "copy" => {
            let mut m = m;
            m.call();
            for _ in 0..calls {
                last = std::hint::black_box(m.call());
            }
        }
        "std-mutex" => {
            let m = Mutex::new(m);
            m.lock().expect("lock").call();
            for _ in 0..calls {
                last = std::hint::black_box(m.lock().expect("lock").call());
            }
        }
        "pipeline-mutex" => {
            let cell = Mutex::new(Some(m));
            let factory: crate::pipeline::shared::Factory<Box<dyn Call + Send>, ExperimentError> = Arc::new(move || {
                cell.lock()
                    .expect("lock")
                    .take()
                    .ok_or_else(|| ExperimentError::Input { input: "pipeline-mutex probe".into(), problem: "builds one instance only".into() })
            });
            let shared = Shared::new(Sharing::Mutex, 1, factory)?;
            let mut h = shared.handle()?;
            h.with(|m| m.call());
            for _ in 0..calls {
                last = std::hint::black_box(h.with(|m| m.call()));
            }
        }
        other => return Err(ExperimentError::Unknown { kind: "variant", name: other.to_string(), known: VARIANTS.join(", ") }),
    }
    Ok(last.iter().map(|&x| x as f64).sum())
}

fn count(exe: &std::path::Path, model: &str, variant: &str, calls: u64) -> Result<u64, ExperimentError> {
    Ok(crate::measure::instructions::count(exe, &["instr-probe", model, variant, &calls.to_string()])?)
}

/// Runs the experiment and stores its evidence.
pub fn run(repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<std::path::PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
    let valgrind = crate::process::output(Command::new("valgrind").arg("--version"), crate::process::limit::TOOL)
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .map_err(|e| ExperimentError::Count(crate::measure::instructions::CountError::Run(e)))?;
    let mut data = Data { counts: Vec::new(), outputs_agree: Vec::new(), valgrind, bytes_copied: Vec::new() };
    // Count one fixed binary: a rebuild of target/release/harness during the
    // run would otherwise mix two code layouts in one comparison.
    let dir = tempfile_dir()?;
    let exe = dir.join("harness");
    std::fs::copy(super::harness_exe(), &exe).map_err(io(&exe))?;
    let models: Vec<(&str, u64, u64)> = if quick { vec![("silero-vad-512", 2, 6)] } else { MODELS.to_vec() };
    let variants: &[&str] = if quick { &VARIANTS[..3] } else { &VARIANTS };
    for (model, low, high) in models {
        // Correctness first: each way of calling gives the same output.
        let (mut view, _) = load(model, TensorInput::ZeroCopyView)?;
        let (mut copy, bytes) = load(model, TensorInput::OwnedCopy)?;
        let agree = view.call() == copy.call();
        data.outputs_agree.push((model.to_string(), agree));
        data.bytes_copied.push((model.to_string(), bytes));
        if !agree {
            return Err(ExperimentError::Disagree { what: format!("{model}: copy and view inputs") });
        }
        for repeat in 0..repeats {
            for &variant in variants {
                for calls in [low, high] {
                    progress(&format!("{model} {variant}: {calls} calls under valgrind (repeat {})", repeat + 1));
                    let instructions = count(&exe, model, variant, calls)?;
                    data.counts.push(Count { model: model.into(), variant: variant.into(), calls, repeat, instructions });
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let params = serde_json::json!({ "repeats": repeats, "quick": quick, "intra_threads": 1, "tool": format!("valgrind {}", crate::measure::instructions::TOOL.join(" ")) });
    let evidence = Evidence::new(EXPERIMENT, started_at, params, vec![], data);
    store::write_new(EXPERIMENT, &evidence).map_err(io(&store::scratch_root()))
}

fn tempfile_dir() -> Result<std::path::PathBuf, ExperimentError> {
    let d = crate::paths::workspace_root().join("target/instr-probe").join(std::process::id().to_string());
    std::fs::create_dir_all(&d).map_err(io(&d))?;
    Ok(d)
}

/// Instructions per call of `model` called the `variant` way, one value per
/// repeat: the slope between the low and high call counts.
pub fn per_call(d: &Data, model: &str, variant: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let reps: std::collections::BTreeSet<usize> = d.counts.iter().map(|c| c.repeat).collect();
    for r in reps {
        let mut pts: Vec<&Count> = d.counts.iter().filter(|c| c.model == model && c.variant == variant && c.repeat == r).collect();
        pts.sort_by_key(|c| c.calls);
        if let (Some(a), Some(b)) = (pts.first(), pts.last()) {
            if b.calls > a.calls {
                out.push((b.instructions as f64 - a.instructions as f64) / (b.calls - a.calls) as f64);
            }
        }
    }
    out
}

/// Instructions per call from the smallest count at each call count (over
/// repeats). Bursts of extra work (seen here: about 21 million instructions
/// in some long runs, in every variant) only ever add instructions, so the
/// minimum is the count without them.
pub fn per_call_min(d: &Data, model: &str, variant: &str) -> Option<f64> {
    let pts: Vec<&Count> = d.counts.iter().filter(|c| c.model == model && c.variant == variant).collect();
    let (lo, hi) = (pts.iter().map(|c| c.calls).min()?, pts.iter().map(|c| c.calls).max()?);
    let min_at = |n: u64| pts.iter().filter(|c| c.calls == n).map(|c| c.instructions).min();
    if hi <= lo {
        return None;
    }
    Some((min_at(hi)? as f64 - min_at(lo)? as f64) / (hi - lo) as f64)
}

/// Runs whose count exceeds the smallest of the same variant and call count
/// by more than 1% (the bursts `per_call_min` leaves out), with the size.
pub fn bursts(d: &Data) -> Vec<(&Count, u64)> {
    d.counts
        .iter()
        .filter_map(|c| {
            let min = d.counts.iter().filter(|o| o.model == c.model && o.variant == c.variant && o.calls == c.calls).map(|o| o.instructions).min()?;
            (c.instructions as f64 > min as f64 * 1.01).then_some((c, c.instructions - min))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_call_is_the_slope_between_call_counts() {
        let c = |calls, repeat, instructions| Count { model: "m".into(), variant: "v".into(), calls, repeat, instructions };
        let d = Data {
            counts: vec![c(1, 0, 1_000), c(3, 0, 1_400), c(1, 1, 1_010), c(3, 1, 1_406)],
            outputs_agree: vec![],
            valgrind: String::new(),
            bytes_copied: vec![],
        };
        assert_eq!(per_call(&d, "m", "v"), vec![200.0, 198.0]);
        assert_eq!(per_call_min(&d, "m", "v"), Some(200.0));
        assert!(bursts(&d).is_empty());
    }
}
