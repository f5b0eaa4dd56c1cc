//! Claim 1 on a newer whisper.cpp than whisper-rs-sys bundles (issue #13's
//! version ledger): `harness repro whisper-race --whisper-cpp DIR` copies
//! whisper-rs-sys's source with the whisper.cpp tree at DIR in place
//! (`forks::whisper_cpp`), builds the race cell on it, and runs the
//! create_state race and the oversubscribed cells (`matrix::newer_cells`)
//! on the bundled whisper.cpp and the newer one, setting by setting in
//! the same run, plus the VAD lead on both. The evidence is its own experiment, so the pinned
//! matrix stays as it was; the claim's "Verdicts by version" adds the
//! whisper.cpp as one more version (`parts::by_whisper_cpp`).

use std::path::{Path, PathBuf};

use super::{matrix, parts, report, vad_check, Data};
use crate::evidence::store::{self, Evidence};
use crate::forks::variant::{self, WhisperVariant};

/// The experiment (its evidence folder).
pub const EXPERIMENT: &str = "whisper-rs-race-whisper-cpp";

/// Prepares the variant, runs its cells and stores the evidence.
pub fn run(tree: &Path, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, crate::claims::ClaimError> {
    let started_at = crate::evidence::run::now_utc();
    let base = WhisperVariant::workspace_default();
    let sys = variant::bundled(&base.whisper_rs).map(|b| b.sys).ok_or_else(|| variant::VariantError::UnknownVersion(base.whisper_rs.clone()))?;
    progress(&format!("copying whisper-rs-sys {sys} with the whisper.cpp at {}", tree.display()));
    let local = crate::forks::whisper_cpp::prepare(tree, sys, &crate::paths::workspace_root().join("target/variants"))
        .map_err(|e| crate::claims::ClaimError::Measurement { what: tree.display().to_string(), problem: e.to_string() })?;
    let v = WhisperVariant::with_whisper_cpp(&local);
    // No build up front: a whisper.cpp that does not build is recorded in
    // each of its cells with cargo's reason (`matrix::run`), and the bundled
    // build's cells still run, so the failure is itself evidence.
    let limits =
        if quick { matrix::Limits { trial_limit_s: 20, stall_s: 8, budget_s: 300 } } else { matrix::Limits { trial_limit_s: 60, stall_s: 30, budget_s: 1800 } };
    let (cells, clip) = matrix::run(&matrix::newer_cells(&base, &v, quick, std::thread::available_parallelism().map_or(1, |n| n.get())), limits, progress)?;
    let mut data = Data { clip, limits, cells, helgrind: None, loom: None, vad: Vec::new() };
    for build in [&base, &v] {
        progress(&format!("VAD lead on {}", build.name()));
        data.vad.push((build.name(), vad_check(build, progress).map_err(|e| e.to_string())));
    }
    // The tree's name only: its absolute path is this machine's, not the evidence's.
    let tree_name = tree.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let parameters = serde_json::json!({ "quick": quick, "whisper_cpp": local.whisper_cpp, "whisper_rs_sys_source": sys, "tree": tree_name, "tree_sha256": local.digest, "paired_with": base.name() });
    let evidence = Evidence::new(EXPERIMENT, started_at, parameters, vec![], data);
    store::write_new(EXPERIMENT, &evidence).map_err(crate::claims::error::scratch)
}

/// The ledger entries of the pinned run, if there is one. `matrix_env`
/// is the machine of the registry versions' rows: when this run comes from
/// other hardware, its rows say so, since a difference between the rows
/// may then be the machine's (the paired cells of the run are the
/// comparison that holds).
pub fn ledger(matrix_env: &crate::evidence::environment::Environment) -> Result<Vec<crate::claims::ledger::Entry>, crate::claims::ClaimError> {
    let Some(p) = store::pinned(EXPERIMENT) else { return Ok(Vec::new()) };
    Ok(entries(&store::read(&p)?, matrix_env))
}

/// The ledger entries of one run of this experiment (see `ledger`).
pub fn entries(ev: &Evidence<Data>, matrix_env: &crate::evidence::environment::Environment) -> Vec<crate::claims::ledger::Entry> {
    let mut entries = parts::by_whisper_cpp(&report::judged(ev), report::cores(ev));
    let (here, there) = (&ev.environment, matrix_env);
    if here.cpu_model != there.cpu_model || here.simd != there.simd || here.logical_cores != there.logical_cores {
        for e in &mut entries {
            e.bundled += &format!(
                "; measured on {}, the other rows on {}: compare with the bundled cells of its own run (\"The newer whisper.cpp's cells\"), not across rows",
                here.hardware(),
                there.hardware()
            );
        }
    }
    entries
}

/// The paired reading of the run: for each setting run on both builds, the
/// two classes side by side (`efficiency` where both finished); settings
/// where they differ come first. A pure function of the judged cells.
pub fn compare(rows: &[(&matrix::CellResult, super::judge::Judged)]) -> Vec<Comparison> {
    let key = |c: &matrix::CellResult| (c.cell.k, c.cell.n_threads, c.cell.phase, c.cell.guard);
    let mut out: Vec<Comparison> = rows
        .iter()
        .filter(|(c, _)| c.cell.variant.whisper_cpp_override().is_none())
        .filter_map(|(b, jb)| {
            let (_, jn) = rows.iter().find(|(n, _)| n.cell.variant.whisper_cpp_override().is_some() && key(n) == key(b))?;
            Some(Comparison {
                setting: format!("K={} n_threads={} {}", b.cell.k, b.cell.n_threads, b.cell.phase.as_str()),
                bundled: (jb.class, jb.efficiency),
                newer: (jn.class, jn.efficiency),
            })
        })
        .collect();
    out.sort_by_key(|c| c.bundled.0 == c.newer.0);
    out
}

/// One setting on both builds: class and efficiency (expected / actual wall).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub setting: String,
    pub bundled: (super::judge::Class, f64),
    pub newer: (super::judge::Class, f64),
}

impl Comparison {
    /// "K=1 n_threads=4 both: slow (14%) -> slow (44%)".
    pub fn describe(&self) -> String {
        let side =
            |(c, e): (super::judge::Class, f64)| if e.is_finite() && e > 0.0 { format!("{} ({:.0}%)", c.as_str(), e * 100.0) } else { c.as_str().to_string() };
        format!("{}: {} -> {}", self.setting, side(self.bundled), side(self.newer))
    }
}

#[cfg(test)]
mod tests {
    use super::super::judge::{Class, Judged};
    use super::super::matrix::{Cell, CellResult, Guard, Phase};
    use super::*;

    fn row(newer: bool, k: usize, n: usize, class: Class, efficiency: f64) -> (CellResult, Judged) {
        let base = WhisperVariant::workspace_default();
        let local = crate::forks::whisper_cpp::LocalSys { dir: "/x".into(), sys: "0.15.0".into(), whisper_cpp: "1.9.3".into(), digest: String::new() };
        let variant = if newer { WhisperVariant::with_whisper_cpp(&local) } else { base };
        let cell = Cell { group: matrix::NEWER_GROUP.0.into(), variant, k, n_threads: n, phase: Phase::Both, guard: Guard::None, trials: 5 };
        let j = Judged { class, finished: 5, crashed: 0, stalled: 0, wall_s: 1.0, cpu_s: 1.0, audio_s_per_s: 1.0, efficiency, reason: String::new() };
        (CellResult { cell, audio_s: 3.0, trials: vec![], error: None }, j)
    }

    #[test]
    fn builds_are_compared_setting_by_setting_differences_first() {
        let rows = [
            row(false, 1, 1, Class::Ok, 1.0),
            row(true, 1, 1, Class::Ok, 0.98),
            row(false, 1, 4, Class::Slow, 0.14),
            row(true, 1, 4, Class::Ok, 0.9),
            row(false, 3, 4, Class::Slow, 0.0),
        ];
        let refs: Vec<(&CellResult, Judged)> = rows.iter().map(|(c, j)| (c, j.clone())).collect();
        let pairs = compare(&refs);
        assert_eq!(pairs.len(), 2, "K=3 n=4 ran on one build only");
        assert_eq!(pairs[0].describe(), "K=1 n_threads=4 both: slow (14%) -> ok (90%)");
        assert_eq!(pairs[1].describe(), "K=1 n_threads=1 both: ok (100%) -> ok (98%)");
    }

    #[test]
    fn every_setting_runs_on_both_builds_one_after_the_other() {
        let base = WhisperVariant::workspace_default();
        let local = crate::forks::whisper_cpp::LocalSys { dir: "/x".into(), sys: "0.15.0".into(), whisper_cpp: "1.9.3".into(), digest: String::new() };
        let newer = WhisperVariant::with_whisper_cpp(&local);
        let cells = matrix::newer_cells(&base, &newer, false, 2);
        assert_eq!(cells.len() % 2, 0);
        for pair in cells.chunks(2) {
            assert_eq!((pair[0].variant.whisper_cpp_override(), pair[1].variant.whisper_cpp_override()), (None, Some("1.9.3")));
            assert_eq!((pair[0].k, pair[0].n_threads, pair[0].phase, pair[0].trials), (pair[1].k, pair[1].n_threads, pair[1].phase, pair[1].trials));
        }
        let over: Vec<&Cell> = cells.iter().filter(|c| c.phase == Phase::Both && c.k * c.n_threads > 2).collect();
        assert_eq!(over.len(), 6, "K=1 n=4, K=3 n=1 and K=3 n=4 on both builds");
        assert!(over.iter().all(|c| c.trials >= matrix::OVERSUBSCRIBED_TRIALS));
    }
}
