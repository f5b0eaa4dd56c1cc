//! Claim 6 outside criterion (issue #12), the input tensor copied
//! (`Tensor::from_array`, the seed's path) or borrowed
//! (`TensorRef::from_array_view`), run by the bench import's `probe`:
//! - "-20-30% peak memory": the peak resident memory of a process detecting
//!   objects frame after frame. Peak memory is per process, so each
//!   measurement is its own `harness input-memory MODE FRAMES` process,
//!   copy and view alternately.
//! - "+5-10% throughput" on the pipeline's per-frame pattern, paired: one
//!   detector, frames rotating over real photos, each frame detected with
//!   the copy and with the view in alternating order, so drift cancels in
//!   the per-frame ratio (criterion times the two paths apart).

use serde::{Deserialize, Serialize};

use super::error::ExperimentError;
use crate::models::{catalog::id, locate};
use crate::stages::detect::{DecodeParams, Detector, TensorInput};
use crate::stages::onnx::SessionThreads;

/// The real photos the frames rotate over, so each frame writes a fresh
/// 4.9 MB input as the pipeline's keyframes do.
pub const PHOTOS: [&str; 4] = [id::PHOTO_ROCKET, id::PHOTO_HUBBLE, id::PHOTO_RETINA, id::PHOTO_COFFEE];
/// Frames per process.
pub const FRAMES: usize = 24;
/// Processes per mode.
pub const ROUNDS: usize = 6;

/// What one process prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Peak {
    pub mode: String,
    pub frames: usize,
    /// Resident memory after the model and photos are loaded, before the first frame.
    pub after_load_bytes: u64,
    /// Peak resident memory of the whole process.
    pub peak_bytes: u64,
    /// Bytes copied into the input per frame (0 when borrowed).
    pub bytes_copied_per_frame: usize,
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

/// Detects on `frames` frames (rotating over [`PHOTOS`]) in this process,
/// the input copied or borrowed; what `harness input-memory` runs.
pub fn run_process(mode: &str, frames: usize) -> Result<Peak, ExperimentError> {
    let input = match mode {
        "copy" => TensorInput::OwnedCopy,
        "view" => TensorInput::ZeroCopyView,
        other => return Err(ExperimentError::Unknown { kind: "input mode", name: other.into(), known: "copy, view".into() }),
    };
    let mut det = Detector::from_catalog(SessionThreads::default()).map_err(|e| ExperimentError::Onnx(Box::new(e)))?;
    let photos: Vec<image::RgbImage> = PHOTOS.iter().map(|p| Ok(image::open(locate::require(p)?)?.to_rgb8())).collect::<Result<_, ExperimentError>>()?;
    let after_load_bytes = resident_bytes();
    let mut copied = 0;
    for i in 0..frames {
        let out = det.detect(&photos[i % photos.len()], input, DecodeParams::default()).map_err(|e| ExperimentError::Onnx(Box::new(e)))?;
        copied = out.bytes_copied;
    }
    Ok(Peak { mode: mode.into(), frames, after_load_bytes, peak_bytes: crate::measure::clock::peak_rss_bytes(), bytes_copied_per_frame: copied })
}

/// Frames timed in pairs by [`paired_frames`] (a multiple of twice the
/// photos, so each photo gets both orders equally).
pub const PAIRED_FRAMES: usize = 64;

/// Per frame, nanoseconds of `detect` with the copy and with the view
/// (alternating which goes first), after checking both detect the same
/// boxes on every photo.
pub fn paired_frames(frames: usize) -> Result<Vec<(f64, f64)>, ExperimentError> {
    let onnx = |e| ExperimentError::Onnx(Box::new(e));
    let mut det = Detector::from_catalog(SessionThreads::default()).map_err(onnx)?;
    let photos: Vec<image::RgbImage> = PHOTOS.iter().map(|p| Ok(image::open(locate::require(p)?)?.to_rgb8())).collect::<Result<_, ExperimentError>>()?;
    let params = DecodeParams::default();
    for p in &photos {
        let (a, b) = (det.detect(p, TensorInput::OwnedCopy, params).map_err(onnx)?, det.detect(p, TensorInput::ZeroCopyView, params).map_err(onnx)?);
        if a.detections != b.detections {
            return Err(ExperimentError::Disagree { what: "detect with the input copied and borrowed".into() });
        }
    }
    let mut time = |p: &image::RgbImage, mode| -> Result<f64, ExperimentError> {
        let t = std::time::Instant::now();
        std::hint::black_box(det.detect(p, mode, params).map_err(onnx)?);
        Ok(t.elapsed().as_nanos() as f64)
    };
    (0..frames)
        .map(|i| {
            let p = &photos[i % photos.len()];
            // The order flips every full turn of the photos, so each photo is timed copy-first and view-first equally often.
            if (i / photos.len()) % 2 == 0 {
                let c = time(p, TensorInput::OwnedCopy)?;
                Ok((c, time(p, TensorInput::ZeroCopyView)?))
            } else {
                let v = time(p, TensorInput::ZeroCopyView)?;
                Ok((time(p, TensorInput::OwnedCopy)?, v))
            }
        })
        .collect()
}

/// Runs [`ROUNDS`] processes per mode, alternating, then [`paired_frames`];
/// for claim 6's bench import (`claims::BENCH_CLAIMS`). A failure is
/// recorded, not fatal.
pub fn probe() -> serde_json::Value {
    let exe = super::harness_exe();
    let mut peaks = Vec::new();
    let mut errors = Vec::new();
    for round in 0..ROUNDS {
        for mode in ["copy", "view"] {
            let mut cmd = std::process::Command::new(&exe);
            cmd.args(["input-memory", mode, &FRAMES.to_string()]);
            match crate::process::checked(&mut cmd, crate::process::limit::PROBE) {
                Ok(o) => match serde_json::from_slice::<Peak>(&o.stdout) {
                    Ok(p) => peaks.push(serde_json::json!({ "round": round, "peak": p })),
                    Err(e) => errors.push(format!("{mode} round {round}: unreadable output: {e}")),
                },
                Err(e) => errors.push(format!("{mode} round {round}: {e}")),
            }
        }
    }
    let pairs = paired_frames(PAIRED_FRAMES).unwrap_or_else(|e| {
        errors.push(format!("paired frames: {e}"));
        vec![]
    });
    serde_json::json!({ "input_memory": peaks, "input_memory_errors": errors, "input_memory_photos": PHOTOS, "detect_pairs_ns": pairs })
}

/// The paired per-frame pairs `(copy, view)` the probe stored.
pub fn pairs(extra: &serde_json::Value) -> Vec<(f64, f64)> {
    extra["detect_pairs_ns"].as_array().into_iter().flatten().filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?))).collect()
}

/// The paired peak-memory saving of borrowing, per round: 1 - view / copy.
pub fn savings(extra: &serde_json::Value) -> Vec<f64> {
    let rows = extra["input_memory"].as_array().cloned().unwrap_or_default();
    let peak = |round: u64, mode: &str| {
        rows.iter().find(|r| r["round"].as_u64() == Some(round) && r["peak"]["mode"] == mode).and_then(|r| r["peak"]["peak_bytes"].as_f64())
    };
    (0..ROUNDS as u64).filter_map(|r| Some(1.0 - peak(r, "view")? / peak(r, "copy")?)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn savings_pair_each_round() {
        let p = |round: u64, mode: &str, bytes: u64| serde_json::json!({ "round": round, "peak": { "mode": mode, "peak_bytes": bytes } });
        let extra = serde_json::json!({ "input_memory": [p(0, "copy", 200), p(0, "view", 150), p(1, "copy", 100), p(1, "view", 100), p(2, "view", 1)] });
        assert_eq!(super::savings(&extra), vec![0.25, 0.0], "round 2 has no copy to pair with");
        assert!(super::savings(&serde_json::json!({})).is_empty());
    }
}
