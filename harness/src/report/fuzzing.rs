//! `reports/fuzzing.md` from `fuzzing` evidence: each fuzz target's run
//! judged by one rule, with what it covered.

use std::path::Path;

use super::markdown::{environment, table};
use crate::evidence::fuzz::{FuzzData, FuzzResult, FuzzTarget, EXPERIMENT};
use crate::evidence::store::{self, Evidence};

/// Report file name.
pub const FILE: &str = "fuzzing.md";

/// The fuzz targets (`fuzz/Cargo.toml`'s binaries, `scripts/fuzz.sh`'s
/// default set): the input paths a user's file or text reaches.
pub const TARGETS: [&str; 4] = ["scenario_load", "jpeg_decode", "media_open", "patch_reader"];

/// How long each target must run to count: 10 minutes.
pub const MIN_SECONDS: u64 = 600;

/// One target's outcome by the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Ran at least `MIN_SECONDS` without a crash.
    Clean,
    /// Ran without a crash, but for less than `MIN_SECONDS`.
    TooShort,
    /// libFuzzer found a crashing, hanging or memory-exhausting input.
    Crashed,
    /// The target did not run (build or set-up failure).
    DidNotRun,
    /// The evidence has no run of this target.
    Missing,
}

impl Outcome {
    /// The words the report prints.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Clean => "no crash",
            Outcome::TooShort => "no crash, but below the 10-minute bar",
            Outcome::Crashed => "**CRASH**",
            Outcome::DidNotRun => "did not run",
            Outcome::Missing => "not in this evidence",
        }
    }
}

/// The rule for one target.
pub fn judge(t: Option<&FuzzTarget>) -> Outcome {
    match t {
        None => Outcome::Missing,
        Some(t) => match t.result {
            FuzzResult::Crash => Outcome::Crashed,
            FuzzResult::Error => Outcome::DidNotRun,
            FuzzResult::Ok if t.seconds >= MIN_SECONDS => Outcome::Clean,
            FuzzResult::Ok => Outcome::TooShort,
        },
    }
}

/// Every target's outcome, in `TARGETS` order.
pub fn outcomes(d: &FuzzData) -> Vec<(&'static str, Outcome)> {
    TARGETS.iter().map(|&n| (n, judge(d.targets.iter().find(|t| t.target == n)))).collect()
}

fn summary(o: &[(&'static str, Outcome)]) -> String {
    let named = |want: Outcome| o.iter().filter(|(_, x)| *x == want).map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>();
    let (crashed, short, absent) = (named(Outcome::Crashed), named(Outcome::TooShort), [named(Outcome::DidNotRun), named(Outcome::Missing)].concat());
    if !crashed.is_empty() {
        format!("A crash was found in {}: see its artifact below; minimise it and file it as a claim against the crate whose stack it is.", crashed.join(", "))
    } else if !absent.is_empty() {
        format!("Not done: {} did not run.", absent.join(", "))
    } else if !short.is_empty() {
        format!("No crash, but {} ran for less than {MIN_SECONDS} s: not enough to meet the bar.", short.join(", "))
    } else {
        format!("Every target ran at least {MIN_SECONDS} s and found no crash, hang or out-of-memory on the paths it fuzzes (the code of this project and of the dependencies those paths call).")
    }
}

fn opt(x: Option<u64>) -> String {
    x.map_or_else(|| "-".into(), |v| v.to_string())
}

/// Renders fuzzing evidence.
pub fn render(path: &Path) -> Result<super::Page, super::RenderError> {
    let ev: Evidence<FuzzData> = store::read(path)?;
    let d = &ev.data;
    let rel = super::markdown::data_path(path);
    let o = outcomes(d);
    let mut s = String::from("# Fuzzing the input paths\n\n");
    s += "Every path a user's file or text reaches is fuzzed with libFuzzer through cargo-fuzz (`scripts/fuzz.sh`): \
          the scenario loader (TOML text), JPEG decoding with all four decoders behind the pixel limit, media open and demux \
          through FFmpeg, and the patch reader. A crash, a hang past 60 s or more than 4 GiB of memory on one input counts \
          as a crash. Seeds are real inputs: the scenario files, the patches, small crops of the catalog's photos, \
          and the first 64 KiB of the catalog's media.\n\n";
    s += &format!("Tool: {}. Fuzzed {} to {}.\n\n", d.tool, ev.started_at, ev.finished_at);
    s += "## Verdict\n\n";
    s += &format!(
        "Rule: a target counts when it ran at least {MIN_SECONDS} s (`-max_total_time`) and libFuzzer wrote no crashing input; \
         any crash is reported with its input.\n\n{}\n\n",
        summary(&o)
    );
    let rows: Vec<Vec<String>> = o
        .iter()
        .map(|(name, out)| {
            let t = d.targets.iter().find(|t| t.target == *name);
            vec![
                format!("`{name}`"),
                t.map_or("-".into(), |t| t.seconds.to_string()),
                t.map_or("-".into(), |t| t.executions.to_string()),
                opt(t.and_then(|t| t.coverage)),
                opt(t.and_then(|t| t.corpus)),
                opt(t.and_then(|t| t.peak_rss_mb)),
                out.label().to_string(),
                t.filter(|t| !t.artifact.is_empty()).map_or("-".into(), |t| format!("`{}`", t.artifact)),
            ]
        })
        .collect();
    s += &table(&["target", "seconds", "executions", "coverage", "corpus", "peak RSS (MB)", "outcome", "artifact"], &rows);
    s += "\nExecutions are inputs tried; coverage is libFuzzer's count of covered edges at the end, in the Rust code built for fuzzing \
          (the C libraries behind `media_open` and `jpeg_decode`, FFmpeg and libjpeg-turbo, are not instrumented, so their paths are \
          exercised but do not guide the search); corpus is the inputs it kept.\n\n";
    s += &environment(&ev.environment, &rel);
    Ok(super::Page::new(s, vec![]))
}

/// Renders the pinned evidence into `reports/fuzzing.md`.
pub fn render_latest() -> Result<std::path::PathBuf, super::RenderError> {
    let p = store::pinned(EXPERIMENT)
        .ok_or_else(|| store::not_pinned(EXPERIMENT, "scripts/fuzz.sh 600 && harness fuzz-import .cache/fuzz/<stamp>/summary.jsonl"))?;
    let page = render(&p)?;
    super::write(FILE, &page).map_err(|source| super::RenderError::Write { path: super::reports_dir().join(FILE), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(result: FuzzResult, seconds: u64) -> FuzzTarget {
        FuzzTarget {
            target: "x".into(),
            seconds,
            result,
            executions: 1,
            coverage: None,
            corpus: None,
            peak_rss_mb: None,
            artifact: String::new(),
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn the_targets_are_the_fuzz_crates_binaries_and_the_scripts_default() {
        let root = crate::paths::workspace_root();
        let manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).unwrap();
        let script = std::fs::read_to_string(root.join("scripts/fuzz.sh")).unwrap();
        let bins: Vec<&str> =
            manifest.lines().filter_map(|l| l.strip_prefix("name = \"")).filter_map(|l| l.strip_suffix('"')).filter(|n| *n != "harness-fuzz").collect();
        assert_eq!(bins, TARGETS, "fuzz/Cargo.toml's binaries");
        assert!(script.contains(&format!("targets=({})", TARGETS.join(" "))), "scripts/fuzz.sh's default targets");
    }

    #[test]
    fn each_outcome_of_the_rule() {
        assert_eq!(judge(None), Outcome::Missing);
        assert_eq!(judge(Some(&t(FuzzResult::Ok, 600))), Outcome::Clean);
        assert_eq!(judge(Some(&t(FuzzResult::Ok, 599))), Outcome::TooShort);
        assert_eq!(judge(Some(&t(FuzzResult::Crash, 600))), Outcome::Crashed);
        assert_eq!(judge(Some(&t(FuzzResult::Error, 600))), Outcome::DidNotRun);
    }

    #[test]
    fn the_summary_follows_the_worst_outcome() {
        let all = |o: Outcome| TARGETS.iter().map(|&n| (n, o)).collect::<Vec<_>>();
        assert!(summary(&all(Outcome::Clean)).starts_with("Every target ran"));
        assert!(summary(&all(Outcome::TooShort)).contains("less than 600 s"));
        let mut mixed = all(Outcome::Clean);
        mixed[1].1 = Outcome::Missing;
        assert!(summary(&mixed).starts_with("Not done: `jpeg_decode`"));
        mixed[2].1 = Outcome::Crashed;
        assert!(summary(&mixed).starts_with("A crash was found in `media_open`"));
    }
}
