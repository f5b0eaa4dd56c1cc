//! Claim 5 on whisper.cpp's own CPU path for more than one stream of work
//! (issue #12): `whisper_full_parallel`, which splits one audio across
//! processors, each on its own state, against `whisper_full` on the same
//! audio with every thread. One process loads the model once, warms every
//! way up, then times one transcription per way per round (transcription
//! alone, no model loading), the ways' order rotating by round so each
//! round's passes pair up; rounds are a multiple of the ways, so each way
//! is timed first equally often. The audio is the five librivox clips
//! repeated [`REPEAT`] times (about 99 s: on 2 cores each chunk holds about
//! 50 s, on 4 about 25 s). Chunk boundaries can cut words, so every way's
//! word error rate against the reference transcripts (one transcription,
//! no interval) is recorded beside its time.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::error::{io, ExperimentError};
use crate::evidence::store::{self, Evidence};
use crate::models::{catalog, locate};
use crate::stages::whisper_parallel::RawWhisper;

/// Experiment id (evidence folder).
pub const EXPERIMENT: &str = "whisper-full-parallel";
/// Times the five clips are repeated.
pub const REPEAT: usize = 4;

/// One way: processors x threads each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Way {
    pub processors: usize,
    pub threads: usize,
}

impl Way {
    /// The key in the evidence: `PxT`.
    pub fn key(self) -> String {
        format!("{}x{}", self.processors, self.threads)
    }
}

/// The ways on `cores` cores: one processor with one thread and with
/// every thread, and every core as its own processor of one thread.
pub fn ways(cores: usize) -> Vec<Way> {
    let mut w = vec![Way { processors: 1, threads: 1 }, Way { processors: 1, threads: cores }, Way { processors: cores, threads: 1 }];
    w.dedup();
    w
}

/// The measured data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Data {
    /// Wall milliseconds of each transcription, by way (`PxT`), index = round.
    pub pass_ms: BTreeMap<String, Vec<f64>>,
    /// Word error rate of each way's transcript against the references.
    pub wer: BTreeMap<String, f64>,
    pub audio_s: f64,
    pub cores: usize,
    /// whisper-rs-sys in Cargo.lock (the whisper.cpp it bundles).
    pub versions: String,
    pub model: String,
}

impl store::DataSchema for Data {
    const VERSION: u32 = 1;
}

/// The audio (the clips repeated) and its reference text.
fn audio() -> Result<(Vec<f32>, String), ExperimentError> {
    let refs: BTreeMap<String, String> = crate::media::transcripts().map_err(io(std::path::Path::new(catalog::LIBRIVOX_DIR)))?.into_iter().collect();
    let mut samples = Vec::new();
    let mut text = Vec::new();
    for _ in 0..REPEAT {
        for (clip, path) in catalog::LIBRIVOX_CLIPS.iter().zip(crate::media::speech_clips()) {
            samples.extend(crate::stages::decode::read_audio_16k(&path)?);
            let r =
                refs.get(&clip.to_lowercase()).ok_or_else(|| ExperimentError::Input { input: clip.to_string(), problem: "no reference transcript".into() })?;
            text.push(r.clone());
        }
    }
    Ok((samples, text.join(" ")))
}

/// Runs the experiment: `repeats` rounds (2 with `quick`).
pub fn run(repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
    let cores = crate::scenario::budget::available_cores().max(1);
    let ways = ways(cores);
    let rounds = super::balanced_rounds(if quick { 2 } else { repeats.max(2) }, ways.len());
    let model = locate::require(catalog::id::WHISPER_GGML)?;
    let mut w = RawWhisper::load(&model).map_err(|e| ExperimentError::Input { input: model.display().to_string(), problem: e.to_string() })?;
    let (samples, reference) = audio()?;
    let full = |w: &mut RawWhisper, way: Way| {
        w.full_parallel(&samples, way.threads, way.processors)
            .map_err(|e| ExperimentError::Failed { command: format!("whisper_full_parallel {}", way.key()), stderr: e.to_string() })
    };
    let mut data = Data { audio_s: samples.len() as f64 / 16_000.0, cores, model: model.display().to_string(), ..Default::default() };
    progress(&format!("whisper_full_parallel: {} ways over {:.0} s of speech, warm-up then {rounds} rounds", ways.len(), data.audio_s));
    for way in &ways {
        let text = full(&mut w, *way)?.join(" ");
        data.wer.insert(way.key(), crate::quality::word_error_rate(&reference, &text));
    }
    for round in 0..rounds {
        progress(&format!("round {}/{rounds}", round + 1));
        for k in super::rotated_order(ways.len(), round) {
            let t = Instant::now();
            std::hint::black_box(full(&mut w, ways[k])?);
            data.pass_ms.entry(ways[k].key()).or_default().push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let lock = crate::lockfile::Lock::read(&crate::paths::workspace_root().join("Cargo.lock"))?;
    data.versions = format!("whisper-rs-sys {}", lock.version("whisper-rs-sys").unwrap_or("?"));
    let evidence =
        Evidence::new(EXPERIMENT, started_at, serde_json::json!({ "rounds": rounds, "quick": quick, "repeat": REPEAT, "cores": cores }), vec![], data);
    store::write_new(EXPERIMENT, &evidence).map_err(io(&store::scratch_root()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ways_cover_one_thread_all_threads_and_one_processor_per_core() {
        assert_eq!(ways(2).iter().map(|w| w.key()).collect::<Vec<_>>(), ["1x1", "1x2", "2x1"]);
        assert_eq!(ways(1).iter().map(|w| w.key()).collect::<Vec<_>>(), ["1x1"], "one core: the three are one way");
    }
}
