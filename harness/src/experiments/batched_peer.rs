//! Claim 5's CPU batching, measured on the peer that batches Whisper on CPU
//! today (issue #12): faster-whisper's `BatchedInferencePipeline`
//! (CTranslate2) on the same tiny.en weights as the harness's whisper-rs
//! stage, each librivox clip handed to it as its own segment, so a batch of
//! B holds B clips as bulk mode would hand it B files. Batch size 1 runs the
//! same code without batching; the plain `WhisperModel.transcribe` per clip
//! is timed beside it. One process (`scripts/anchors/faster_whisper_batched.py`)
//! loads the model once, warms every way up, then times one pass per way per
//! round in rotated order, so each round's passes pair up. Before anything
//! counts, every way's transcripts must equal the sequential ones.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::error::{io, ExperimentError};
use crate::evidence::store::{self, Evidence};
use crate::models::{catalog, locate};

/// Experiment id (evidence folder).
pub const EXPERIMENT: &str = "whisper-batched-peer";
/// Batch sizes timed: the seed's "4-8 optimal" and below.
pub const BATCH_SIZES: &[usize] = &[1, 2, 4, 8];
/// Times the five clips are repeated (20 segments, about 99 s of speech).
pub const REPEAT: usize = 4;

/// The measured data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Data {
    /// Wall milliseconds of each pass, by way (`sequential`, `1`, `2`, ...), index = round.
    pub pass_ms: BTreeMap<String, Vec<f64>>,
    /// Ways whose transcripts differ from the sequential ones (empty: all equal).
    pub texts_differ: Vec<String>,
    pub audio_s: f64,
    pub segments: usize,
    pub threads: usize,
    pub versions: String,
}

impl store::DataSchema for Data {
    const VERSION: u32 = 1;
}

/// Runs the experiment: `repeats` rounds (2 with `quick`).
pub fn run(repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
    let py = super::transcription::python_with_faster_whisper()?;
    let model_dir = locate::require(catalog::id::WHISPER_CT2)?.parent().map(Path::to_path_buf).unwrap_or_default();
    for needed in [catalog::id::WHISPER_CT2_CONFIG, catalog::id::WHISPER_CT2_VOCABULARY, catalog::id::WHISPER_BPE] {
        locate::require(needed)?;
    }
    let threads = crate::scenario::budget::available_cores().max(1);
    let rounds = if quick { 2 } else { repeats };
    let sizes = BATCH_SIZES.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",");
    progress(&format!(
        "faster-whisper batched: {rounds} rounds of {} ways over {REPEAT}x the five clips (about a minute per round on 2 cores)",
        BATCH_SIZES.len() + 1
    ));
    let mut cmd = Command::new(&py);
    cmd.arg(crate::paths::workspace_root().join("scripts/anchors/faster_whisper_batched.py"))
        .arg(&model_dir)
        .arg(threads.to_string())
        .arg(rounds.to_string())
        .arg(REPEAT.to_string())
        .arg(&sizes)
        .args(crate::media::speech_clips());
    // cpu_threads binds CTranslate2 only; the features are a numpy product.
    for var in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"] {
        cmd.env(var, threads.to_string());
    }
    let out = crate::process::checked(&mut cmd, crate::process::limit::BUILD)?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(super::error::output(&out.command))?;
    let texts = |w: &str| v["texts"][w].as_array().map(|a| a.iter().map(|t| t.as_str().unwrap_or("").to_string()).collect::<Vec<_>>());
    let reference = texts("sequential");
    let mut data = Data {
        audio_s: v["audio_s"].as_f64().unwrap_or(0.0),
        segments: v["segments"].as_u64().unwrap_or(0) as usize,
        threads,
        versions: format!(
            "faster-whisper {}, ctranslate2 {}",
            v["versions"]["faster-whisper"].as_str().unwrap_or("?"),
            v["versions"]["ctranslate2"].as_str().unwrap_or("?")
        ),
        ..Default::default()
    };
    if let Some(ways) = v["pass_ms"].as_object() {
        for (way, ms) in ways {
            data.pass_ms.insert(way.clone(), ms.as_array().into_iter().flatten().filter_map(|x| x.as_f64()).collect());
            if texts(way) != reference {
                data.texts_differ.push(way.clone());
            }
        }
    }
    if !data.texts_differ.is_empty() {
        return Err(ExperimentError::Disagree { what: format!("faster-whisper batched transcripts ({})", data.texts_differ.join(", ")) });
    }
    let evidence = Evidence::new(
        EXPERIMENT,
        started_at,
        serde_json::json!({ "rounds": rounds, "quick": quick, "batch_sizes": BATCH_SIZES, "repeat": REPEAT, "threads": threads }),
        vec![],
        data,
    );
    store::write_new(EXPERIMENT, &evidence).map_err(io(&store::scratch_root()))
}
