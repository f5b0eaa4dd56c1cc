//! Runs a bundle as a maintainer would: its folder copied to a temporary
//! place outside the workspace, `sh run.sh ARGS` there, the inputs taken
//! from the harness's checked assets. The outcome is read back from the
//! files `run.sh` leaves in its work folder, and judged by `judge`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::spec::{Bundle, Input};
use super::{io, BundleError};
use crate::models::catalog::id;

/// How `run.sh` ended (its exit status, see the template).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exit {
    /// 0: both outputs as expected.
    AsExpected,
    /// 1: an output differs from the expected one.
    Differs,
    /// 3: the patch does not apply.
    PatchDoesNotApply,
    /// 2 or anything else: usage, source not found, killed.
    Failed,
}

/// One run of one bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub bundle: String,
    pub krate: String,
    /// The version run against (the pinned one unless `--against`).
    pub version: String,
    pub exit: Exit,
    /// The repro's output before the patch (or why it did not run).
    pub before: String,
    pub after: String,
    /// Whether each side printed exactly its expected file.
    pub before_as_expected: bool,
    pub after_as_expected: bool,
    /// The end of `run.sh`'s own messages (progress, patch failures).
    pub log_tail: String,
    pub wall_s: f64,
}

/// What a run shows about the finding, decided from the outcome alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finding {
    /// The defect shows before and the patch fixes it.
    Reproduced,
    /// The output before the patch is no longer the expected one (the
    /// defect may be fixed upstream, or behave differently).
    BeforeChanged,
    /// The patch applies but the output after it is not the expected one.
    NotFixed,
    /// The patch does not apply to this version.
    PatchStale,
    /// The bundle could not be run (see the log).
    NotRun,
}

/// The rule: a bundle reproduces when `run.sh` says both sides are as
/// expected; otherwise the first thing that broke names the finding.
pub fn judge(o: &Outcome) -> Finding {
    match o.exit {
        Exit::PatchDoesNotApply => Finding::PatchStale,
        Exit::Failed => Finding::NotRun,
        Exit::AsExpected | Exit::Differs if !o.before_as_expected => Finding::BeforeChanged,
        Exit::AsExpected | Exit::Differs if !o.after_as_expected => Finding::NotFixed,
        Exit::AsExpected => Finding::Reproduced,
        // exit 1 with both files as expected cannot come from the template:
        // count it as not run rather than guess.
        Exit::Differs => Finding::NotRun,
    }
}

impl Finding {
    /// The finding in words, for tables.
    pub fn describe(self) -> &'static str {
        match self {
            Finding::Reproduced => "as expected before and after the patch",
            Finding::BeforeChanged => "the output before the patch changed: re-check the finding",
            Finding::NotFixed => "the patch applies but does not give the expected output",
            Finding::PatchStale => "the patch does not apply: rebase it",
            Finding::NotRun => "not run (see the log)",
        }
    }
}

/// How to run bundles.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Share one cargo target folder between bundles and runs (in the
    /// cache), so whisper.cpp is built once, not once per bundle. The builds
    /// and runs are the same; only their reuse differs.
    pub quick: bool,
    /// Another published version of the crate than the pinned one.
    pub against: Option<String>,
}

/// The paths given for each input, from the harness's assets.
fn inputs(b: &Bundle) -> Result<Vec<PathBuf>, BundleError> {
    b.inputs
        .iter()
        .map(|i| match i {
            Input::WhisperModel => Ok(crate::models::locate::require(id::WHISPER_GGML)?),
            Input::Speech => {
                let clips = crate::media::speech_clips();
                let clip = clips.get(1).cloned().unwrap_or_else(|| std::path::Path::new(crate::models::catalog::LIBRIVOX_DIR).join("(none)"));
                if clip.is_file() {
                    Ok(clip)
                } else {
                    Err(BundleError::Missing { path: clip })
                }
            }
            Input::Onnxruntime => Ok(crate::models::locate::require(id::ORT_LIB)?),
            Input::YoloModel => Ok(crate::models::locate::require(id::YOLO)?),
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), BundleError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))?.flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        // A `target/` left by an earlier in-place build is not part of the bundle.
        if entry.file_name() == "target" {
            continue;
        }
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(io(&src))?;
        }
    }
    Ok(())
}

fn read_or_empty(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Runs bundle `b` in a temporary copy; `run.sh`'s messages (progress,
/// differences) are shown on stderr as they come.
pub fn run(b: &Bundle, opts: &Options) -> Result<Outcome, BundleError> {
    let args = inputs(b)?;
    let tmp = tempfile::Builder::new().prefix(&format!("bundle-{}-", b.id)).tempdir().map_err(io(&std::env::temp_dir()))?;
    let copy = tmp.path().join(&b.id);
    copy_dir(&b.dir, &copy)?;
    let work = tmp.path().join("work");
    let target = if opts.quick { crate::paths::cache_dir().join("bundle-target") } else { tmp.path().join("target") };
    let mut cmd = std::process::Command::new("sh");
    cmd.arg(copy.join("run.sh")).current_dir(tmp.path()).env("BUNDLE_WORK", &work).env("CARGO_TARGET_DIR", &target);
    if let Some(v) = &opts.against {
        cmd.arg("--against").arg(v);
    }
    cmd.args(&args);
    let t = Instant::now();
    let shown: crate::process::OnLine = Some(Box::new(|l: &str| eprintln!("  {l}")));
    let finished = crate::process::spawn(&mut cmd, None, shown)?.wait(crate::process::limit::BUILD)?;
    let exit = match finished.status.code() {
        Some(0) => Exit::AsExpected,
        Some(1) => Exit::Differs,
        Some(3) => Exit::PatchDoesNotApply,
        _ => Exit::Failed,
    };
    let (before, after) = (read_or_empty(&work.join("before.txt")), read_or_empty(&work.join("after.txt")));
    let (krate, pinned) = b.crate_version();
    Ok(Outcome {
        bundle: b.id.clone(),
        krate: krate.to_string(),
        version: opts.against.clone().unwrap_or_else(|| pinned.to_string()),
        exit,
        before_as_expected: exit != Exit::Failed && before == read_or_empty(&b.dir.join("expected-before.txt")),
        after_as_expected: exit != Exit::Failed && after == read_or_empty(&b.dir.join("expected-after.txt")),
        before,
        after,
        log_tail: finished.tail(15),
        wall_s: t.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(exit: Exit, before: bool, after: bool) -> Outcome {
        Outcome {
            bundle: "b".into(),
            krate: "k".into(),
            version: "1".into(),
            exit,
            before: String::new(),
            after: String::new(),
            before_as_expected: before,
            after_as_expected: after,
            log_tail: String::new(),
            wall_s: 0.0,
        }
    }

    #[test]
    fn judge_names_every_outcome() {
        assert_eq!(judge(&outcome(Exit::AsExpected, true, true)), Finding::Reproduced);
        assert_eq!(judge(&outcome(Exit::Differs, false, true)), Finding::BeforeChanged);
        assert_eq!(judge(&outcome(Exit::Differs, false, false)), Finding::BeforeChanged);
        assert_eq!(judge(&outcome(Exit::Differs, true, false)), Finding::NotFixed);
        assert_eq!(judge(&outcome(Exit::PatchDoesNotApply, true, false)), Finding::PatchStale);
        assert_eq!(judge(&outcome(Exit::Failed, false, false)), Finding::NotRun);
        assert_eq!(judge(&outcome(Exit::Differs, true, true)), Finding::NotRun);
    }
}
