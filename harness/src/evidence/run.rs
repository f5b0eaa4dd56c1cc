//! `run.json`: what one `harness run` produced. The schema is documented in
//! the README; bump `SCHEMA` on an incompatible change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::environment::Environment;
use crate::measure::stages::StageTotals;
use crate::scenario::{Scenario, Sharing};
use crate::stages::decode::MediaSummary;
use crate::stages::detect::Detection;
use crate::stages::transcribe::Segment;
use crate::stages::vad::SpeechSegment;

/// Schema id written into every `run.json`.
pub const SCHEMA: &str = "harness.run/1";

/// How one file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    Ok,
    Error,
    /// No progress within the watchdog's limit; stacks were captured.
    Hung,
    /// Not started because the run was aborted after a stall.
    NotStarted,
}

/// One keyframe's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyframeResult {
    pub index: usize,
    pub pts_s: f64,
    /// The JPEG written for it, relative to the run directory.
    pub jpeg: String,
    pub jpeg_bytes: usize,
    pub detections: Vec<Detection>,
    /// Length of the embedding vector (absent when the stage is skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedding_dim: Option<usize>,
}

/// One input file's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileResult {
    pub path: String,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Stage the file was in when it failed or hung.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaSummary>,
    pub transcript: String,
    pub transcript_segments: Vec<Segment>,
    pub speech_segments: Vec<SpeechSegment>,
    pub mel_frames: u64,
    pub tokens: usize,
    pub keyframes: Vec<KeyframeResult>,
    pub keyframe_count: usize,
    pub wall_s: f64,
    /// Stacks captured on a stall, relative to the run directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stacks: Option<String>,
    /// Stretches in which the file's worker did not beat but kept using
    /// CPU: slow or starved, not hung (the watchdog's rule,
    /// `measure::liveness`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slow: Vec<SlowEpisode>,
    /// Seconds of audio handed to whisper (less than the file's with
    /// `transcribe.vad_gate`, which sends only the speech regions).
    #[serde(default)]
    pub transcribed_s: f64,
    /// Which stages ran on this file and why the others did not
    /// (`pipeline::plan`); empty in runs from before it was recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageRun>,
}

/// One pipeline stage of one file: whether it ran, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRun {
    pub stage: String,
    pub ran: bool,
    /// Why it did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why_not: Option<String>,
}

/// A worker silent past `watchdog.stall_s` while its threads used CPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlowEpisode {
    pub stage: String,
    /// Seconds since its last heartbeat when it was noticed.
    pub silent_s: f64,
    /// CPU seconds per wall second of the worker's threads over the last
    /// `stall_s`.
    pub cpu_per_s: f64,
}

/// Heartbeat intervals of one stage, over every worker of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BeatGaps {
    /// Intervals measured (one per heartbeat after the first of a file).
    pub beats: u64,
    pub mean_gap_s: f64,
    pub max_gap_s: f64,
}

/// What the watchdog saw: how often each stage beats (the figure that says
/// how short `stall_s` may be), and how long stack captures stopped the
/// process (time never counted against any worker).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchdogStats {
    pub stall_s: f64,
    /// By the stage the worker was in between the two beats.
    pub gaps: BTreeMap<String, BeatGaps>,
    pub captures: usize,
    pub paused_s: f64,
}

impl FileResult {
    /// An empty result for `path` with a status.
    pub fn empty(path: &str, status: FileStatus) -> Self {
        FileResult {
            path: path.to_string(),
            status,
            error: None,
            stage: None,
            media: None,
            transcript: String::new(),
            transcript_segments: Vec::new(),
            speech_segments: Vec::new(),
            mel_frames: 0,
            tokens: 0,
            keyframes: Vec::new(),
            keyframe_count: 0,
            wall_s: 0.0,
            stacks: None,
            slow: Vec::new(),
            transcribed_s: 0.0,
            stages: Vec::new(),
        }
    }
}

/// Whole-run totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub wall_s: f64,
    /// CPU time of the whole process (all threads, user + system).
    pub process_cpu_s: f64,
    pub cores: usize,
    /// process CPU / (wall x cores): 1.0 means every core busy throughout.
    pub cpu_utilisation: f64,
    pub peak_rss_bytes: u64,
    pub files_ok: usize,
    pub files_failed: usize,
    pub media_s: f64,
    /// Media seconds processed per wall second.
    pub media_s_per_s: f64,
    pub files_per_s: f64,
    /// Bytes copied into input tensors (0 with zero-copy views).
    pub tensor_bytes_copied: u64,
}

/// The document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub schema: String,
    pub scenario: Scenario,
    pub scenario_path: String,
    pub started_at: String,
    pub environment: Environment,
    /// Inputs that are synthetic, and how: present in every output using them.
    pub synthetic: Vec<String>,
    pub files: Vec<FileResult>,
    pub stages: BTreeMap<String, StageTotals>,
    pub resources: BTreeMap<String, ResourceStats>,
    pub totals: Totals,
    pub instrumented: bool,
    /// Heartbeat intervals and stack captures (absent in runs recorded
    /// before the watchdog measured them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watchdog: Option<WatchdogStats>,
    /// What `concurrency.mode = "auto"` chose (the scenario above already
    /// holds the chosen numbers); absent in manual runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<crate::scenario::budget::Budget>,
}

/// A run directory: `run.json` plus per-file artefacts. Only this type writes
/// run data.
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// Creates `dir` (refusing to reuse one that already holds a `run.json`:
    /// raw data is never overwritten).
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        if dir.join("run.json").exists() {
            return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, format!("{} already holds a run.json; choose another --out", dir.display())));
        }
        std::fs::create_dir_all(dir)?;
        Ok(RunDir { root: dir.to_path_buf() })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The artefact folder of file number `index` (created).
    pub fn file_dir(&self, index: usize, input: &str) -> std::io::Result<(PathBuf, String)> {
        let stem = Path::new(input).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "input".into());
        let rel = format!("files/{index:03}-{stem}");
        let abs = self.root.join(&rel);
        std::fs::create_dir_all(&abs)?;
        Ok((abs, rel))
    }

    /// Writes an artefact at `rel` under the run directory.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        let p = self.root.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(p, bytes)
    }

    /// Writes `run.json`.
    pub fn write_record(&self, record: &RunRecord) -> std::io::Result<PathBuf> {
        let p = self.root.join("run.json");
        let json = serde_json::to_string_pretty(record).map_err(std::io::Error::other)?;
        std::fs::write(&p, json)?;
        Ok(p)
    }
}

/// A UTC timestamp for run names and records.
pub fn now_utc() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// What a shared resource reports in `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceStats {
    pub sharing: Sharing,
    pub instances: u64,
    pub acquisitions: u64,
    /// Total time callers waited to get an instance.
    pub lock_wait_s: f64,
    pub max_wait_s: f64,
}
