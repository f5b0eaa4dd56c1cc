//! Experiments: runs that produce evidence (never reports). Each writes one
//! evidence file through `evidence::store`; `report` renders it.

pub mod anchors;
pub mod api_probe;
pub mod batched_peer;
pub mod error;
pub mod fft_sizes;
pub mod full_parallel;
pub mod inputs;
pub mod instructions;
pub mod jpeg_tjbench;
pub mod ort_api;
pub mod ort_mutex;
pub mod pipeline_perf;
pub mod tensor_input;
pub mod thread_budget;
pub mod tokenizer_weight;
pub mod transcription;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::evidence::run::RunRecord;
use error::output;
pub use error::ExperimentError;

/// Runs one experiment: repeats per cell, quick, progress; returns the
/// evidence file written to the scratch store.
pub type RunFn = fn(usize, bool, &dyn Fn(&str)) -> Result<PathBuf, ExperimentError>;

/// An experiment `harness experiment NAME` can run.
pub struct Experiment {
    pub name: &'static str,
    /// What it measures (for `--help` and errors).
    pub about: &'static str,
    /// Repeats per cell of a report-grade run: at least 10 pairs for
    /// whole-process measures, unless `fewer_because` says why not.
    pub report_grade: usize,
    pub fewer_because: Option<&'static str>,
    pub run: RunFn,
}

/// Every experiment, the one list the CLI and the claims read.
pub const ALL: &[Experiment] = &[
    Experiment {
        name: pipeline_perf::EXPERIMENT,
        about: "the pipeline's own throughput and memory, each run a separate process",
        report_grade: 10,
        fewer_because: None,
        run: |repeats, quick, progress| pipeline_perf::run(pipeline_perf::Params { repeats, quick }, progress),
    },
    Experiment {
        name: ort_mutex::EXPERIMENT,
        about: "claim 2: one ort session behind a mutex against per-worker sessions and a pool",
        report_grade: 10,
        fewer_because: None,
        run: ort_mutex::run,
    },
    Experiment {
        name: ort_api::EXPERIMENT,
        about: "claim 2: does `Session::run` take `&mut self`? A compile probe against each ort version",
        report_grade: 1,
        fewer_because: Some("a compile probe is deterministic: the same source against the same resolved versions gives the same answer"),
        run: ort_api::run,
    },
    Experiment {
        name: instructions::EXPERIMENT,
        about: "claims 2 and 6 in instructions under valgrind (for differences near 1%)",
        report_grade: 3,
        fewer_because: Some("instruction counts under valgrind repeat to within 0.1%; three repeats show that spread, and each takes minutes"),
        run: instructions::run,
    },
    Experiment {
        name: tokenizer_weight::EXPERIMENT,
        about: "claim 8: build time, binary size and dependencies of tokenizers 0.20, 0.23 and 1.0-rc (default and lean) and a light WordPiece crate",
        report_grade: 3,
        fewer_because: Some("each repeat is a round of seven clean release builds, interleaved (about a minute each on 2 cores); sizes and dependency counts do not vary between builds"),
        run: tokenizer_weight::run,
    },
    Experiment {
        name: transcription::EXPERIMENT,
        about: "the VAD gate on gapped speech, and whisper-rs F16/Q8_0 against faster-whisper f32/int8 (issue #15)",
        report_grade: 10,
        fewer_because: None,
        run: transcription::run,
    },
    Experiment {
        name: fft_sizes::EXPERIMENT,
        about: "claim 3: FFTs of 512 to 262144 points, rayon over frames on 1 and all threads and one transform split across threads, on rustfft 6.2 and the workspace's",
        report_grade: 30,
        fewer_because: None,
        run: fft_sizes::run,
    },
    Experiment {
        name: batched_peer::EXPERIMENT,
        about: "claim 5: faster-whisper's BatchedInferencePipeline on CPU, batch sizes 1-8, against one clip at a time",
        report_grade: 6,
        fewer_because: Some("each round is five passes over 99 s of speech in one process (about a minute on 2 cores), and the passes of a round are paired; 6 pairs give a 95% interval"),
        run: batched_peer::run,
    },
    Experiment {
        name: jpeg_tjbench::EXPERIMENT,
        about: "claim 4: libjpeg-turbo's tjbench (Debian's) interleaved with mozjpeg-sys, image 0.25 and image 0.24 on the same images, one thread each",
        report_grade: 10,
        fewer_because: None,
        run: jpeg_tjbench::run,
    },
    Experiment {
        name: full_parallel::EXPERIMENT,
        about: "claim 5: whisper.cpp's own whisper_full_parallel (one audio split across processors) against whisper_full with every thread",
        report_grade: 10,
        fewer_because: None,
        run: full_parallel::run,
    },
    Experiment {
        name: thread_budget::EXPERIMENT,
        about: "concurrency.mode = \"auto\" against every hand-set cell of files x threads (issue #15)",
        report_grade: 10,
        fewer_because: None,
        run: thread_budget::run,
    },
];

/// The order of `ways` ways in round `round` (indices): rotated by the
/// round, so over a multiple of `ways` rounds every way is timed first,
/// second, ... equally often and slow drift spreads over them.
pub fn rotated_order(ways: usize, round: usize) -> Vec<usize> {
    (0..ways).map(|k| (k + round) % ways).collect()
}

/// `rounds` rounded up to a multiple of `ways`, so [`rotated_order`] puts
/// every way in every position equally often.
pub fn balanced_rounds(rounds: usize, ways: usize) -> usize {
    rounds.div_ceil(ways.max(1)) * ways.max(1)
}

/// Looks an experiment up by name.
pub fn get(name: &str) -> Result<&'static Experiment, ExperimentError> {
    ALL.iter().find(|e| e.name == name).ok_or_else(|| ExperimentError::Unknown { kind: "experiment", name: name.to_string(), known: names().join(", ") })
}

/// Runs an experiment at report grade (or once per cell with `quick`).
pub fn run_named(name: &str, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    let e = get(name)?;
    (e.run)(if quick { 1 } else { e.report_grade }, quick, progress)
}

/// What a report says about the repeats behind its figures: report grade
/// or not, and why fewer than 10 where an experiment takes fewer.
pub fn grade_note(name: &str, repeats: usize) -> String {
    let Ok(e) = get(name) else { return format!("{repeats} repeats per cell.") };
    if repeats < e.report_grade {
        format!(
            "{repeats} repeat(s) per cell: below this experiment's report grade ({}); `harness experiment {name}` measures at report grade.",
            e.report_grade
        )
    } else if let Some(why) = e.fewer_because.filter(|_| e.report_grade < 10) {
        format!("{repeats} repeats per cell (report grade for this experiment: {}, fewer than 10 because {why}).", e.report_grade)
    } else {
        format!("{repeats} repeats per cell (report grade: at least {}).", e.report_grade)
    }
}

/// The experiments' names.
pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|e| e.name).collect()
}

/// The `harness` binary, for runs that need their own process (peak memory
/// is per process).
pub fn harness_exe() -> PathBuf {
    match std::env::current_exe() {
        Ok(p) if p.file_stem().is_some_and(|s| s == "harness") => p,
        _ => crate::paths::workspace_root().join("target/release/harness"),
    }
}

/// Runs a scenario in a fresh `harness run` process and reads its run.json.
pub fn run_scenario(scenario: &Path, sets: &[String], out: &Path) -> Result<RunRecord, ExperimentError> {
    let mut cmd = Command::new(harness_exe());
    cmd.arg("run").arg(scenario).arg("--quiet").arg("--out").arg(out);
    for s in sets {
        cmd.arg("--set").arg(s);
    }
    let o = crate::process::output(&mut cmd, crate::process::limit::BUILD)?;
    let run_json = out.join("run.json");
    let text = std::fs::read_to_string(&run_json)
        .map_err(|e| ExperimentError::Failed { command: o.command.clone(), stderr: format!("no run.json ({e}); its output ends:\n{}", o.tail(10)) })?;
    serde_json::from_str(&text).map_err(output(run_json.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_says_whether_its_repeats_are_report_grade_and_why() {
        assert!(grade_note(ort_mutex::EXPERIMENT, 3).contains("below this experiment's report grade (10)"));
        assert!(grade_note(ort_mutex::EXPERIMENT, 10).contains("report grade: at least 10"));
        assert!(grade_note(tokenizer_weight::EXPERIMENT, 3).contains("fewer than 10 because"));
        assert!(grade_note(tokenizer_weight::EXPERIMENT, 1).contains("below"));
    }

    #[test]
    fn whole_process_experiments_take_ten_or_say_why_not() {
        for e in ALL {
            assert!(e.report_grade >= 10 || e.fewer_because.is_some(), "{} takes {} repeats without a reason", e.name, e.report_grade);
        }
    }

    #[test]
    fn every_way_takes_every_position_equally_often() {
        let ways = 4;
        let mut first = vec![0; ways];
        for round in 0..2 * ways {
            let order = rotated_order(ways, round);
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(sorted, (0..ways).collect::<Vec<_>>(), "each round times every way once");
            first[order[0]] += 1;
        }
        assert_eq!(first, vec![2; ways]);
        assert_eq!((balanced_rounds(10, 4), balanced_rounds(10, 3), balanced_rounds(12, 4), balanced_rounds(2, 1)), (12, 12, 12, 2));
        // Over balanced rounds, every way takes every position equally often.
        let mut at = vec![vec![0; ways]; ways];
        for round in 0..balanced_rounds(5, ways) {
            for (pos, w) in rotated_order(ways, round).into_iter().enumerate() {
                at[w][pos] += 1;
            }
        }
        assert!(at.iter().flatten().all(|n| *n == 2), "{at:?}");
    }
}
