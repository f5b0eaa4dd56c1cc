//! The thread-budget sweep (issue #15): the default scenario with every
//! hand-set cell of files in parallel x threads per stage call (1 or all
//! cores each), and with `concurrency.mode = "auto"`, each run a separate
//! `harness run` process. Every repeat runs every cell once, in an order
//! rotated by the repeat, so drift spreads over the cells.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::{io, ExperimentError};
use super::run_scenario;
use crate::evidence::store::{self, Evidence};
use crate::paths;
use crate::scenario::budget;

/// Experiment id (evidence folder).
pub const EXPERIMENT: &str = "thread-budget";

/// Label of the auto cell.
pub const AUTO: &str = "auto";

/// One run of one cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellSample {
    /// `files=F threads=T`, or `auto`.
    pub cell: String,
    pub repeat: usize,
    /// Files in parallel and threads per stage call as run (auto's choice
    /// read back from its run.json).
    pub files: usize,
    pub threads: usize,
    /// Most threads busy at once (`budget::busy_threads`).
    pub busy: usize,
    pub cores: usize,
    pub wall_s: f64,
    pub media_s: f64,
    pub files_ok: usize,
    pub files_failed: usize,
}

impl CellSample {
    /// Media seconds per second.
    pub fn throughput(&self) -> f64 {
        self.media_s / self.wall_s
    }
}

/// The measured data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Data {
    pub samples: Vec<CellSample>,
    pub errors: Vec<String>,
}

impl store::DataSchema for Data {
    const VERSION: u32 = 1;
}

/// The `--set`s of a hand-set cell.
fn manual(files: usize, threads: usize) -> Vec<String> {
    let mut v = vec![format!("concurrency.files={files}"), format!("concurrency.rayon_threads={threads}"), format!("transcribe.n_threads={threads}")];
    v.extend(["detect", "vad", "embed"].map(|s| format!("{s}.intra_threads={threads}")));
    v
}

/// The cells on `cores` cores: 1 or all cores, for files and for threads.
pub fn cells(cores: usize) -> Vec<(String, Vec<String>)> {
    let mut levels = vec![1, cores.max(1)];
    levels.dedup();
    let mut out: Vec<(String, Vec<String>)> =
        levels.iter().flat_map(|&f| levels.iter().map(move |&t| (format!("files={f} threads={t}"), manual(f, t)))).collect();
    out.push((AUTO.into(), vec!["concurrency.mode=\"auto\"".into()]));
    out
}

/// Runs the experiment and stores its evidence; returns the evidence file.
pub fn run(repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
    let work = paths::cache_dir().join("runs").join(format!("{EXPERIMENT}-{}", started_at.replace([':', '-'], "")));
    let scenario = paths::workspace_root().join("scenarios/default.toml");
    let cores = budget::available_cores();
    let cells = cells(cores);
    let mut data = Data::default();
    for rep in 0..repeats {
        for k in 0..cells.len() {
            let (label, sets) = &cells[(k + rep) % cells.len()];
            progress(&format!("{label}: repeat {} of {repeats}", rep + 1));
            let mut sets = sets.clone();
            sets.push("measure.keep_keyframes=false".into());
            match run_scenario(&scenario, &sets, &work.join(format!("{}-{rep}", label.replace([' ', '='], "-")))) {
                Ok(r) => data.samples.push(CellSample {
                    cell: label.clone(),
                    repeat: rep,
                    files: r.scenario.concurrency.files,
                    threads: r.scenario.transcribe.n_threads.max(1) as usize,
                    busy: budget::busy_threads(&r.scenario),
                    cores: r.totals.cores,
                    wall_s: r.totals.wall_s,
                    media_s: r.totals.media_s,
                    files_ok: r.totals.files_ok,
                    files_failed: r.totals.files_failed,
                }),
                Err(e) => data.errors.push(format!("{label}: {e}")),
            }
        }
    }
    let evidence = Evidence::new(
        EXPERIMENT,
        started_at,
        serde_json::json!({ "repeats": repeats, "quick": quick, "scenario": "scenarios/default.toml", "cores": cores }),
        vec!["video picture of the two speech videos: ffmpeg testsrc2 pattern (SYNTHETIC); the other three videos and all speech are real".into()],
        data,
    );
    let path = store::write_new(EXPERIMENT, &evidence).map_err(io(&store::scratch_root()))?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cores_give_four_hand_set_cells_and_auto() {
        let c: Vec<String> = cells(2).into_iter().map(|c| c.0).collect();
        assert_eq!(c, ["files=1 threads=1", "files=1 threads=2", "files=2 threads=1", "files=2 threads=2", "auto"]);
        assert_eq!(cells(1).len(), 2, "one core: one hand-set cell and auto");
    }
}
