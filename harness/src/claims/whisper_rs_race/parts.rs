//! The part-level rules of claim 1, pure: from the judged cells of the
//! matrix (`judge.rs` classifies each cell) to one verdict per part of the
//! seed's claim.

use super::judge::{Class, Judged, LIVELOCK_FACTOR};
use super::matrix::{CellResult, Guard, Phase};
use crate::claims::registry::Part;
use crate::claims::verdict::{Outcome, Verdict};

/// The parts of claim 1.
pub const PARTS: &[Part] = &[
    Part { id: "create-state-race", question: "Does concurrent `create_state` race?" },
    Part { id: "send-sync-unsound", question: "Are the `Send`/`Sync` impls unsound?" },
    Part { id: "hang-is-deadlock", question: "Was bulk mode's hang a deadlock?" },
    Part { id: "mutex-fix-works", question: "Does the seed's mutex fix work (when n_threads fits the cores)?" },
    Part { id: "thread-pool-matters", question: "Does the thread pool matter? (the OpenMP build at oversubscribed settings)" },
];

fn bad(j: &Judged) -> bool {
    j.class.is_race_symptom()
}

/// Trials that finished (every worker done, exit 0): a stalled or crashed
/// trial shows nothing about states running at once to completion.
fn trials(rows: &[&(&CellResult, Judged)]) -> usize {
    rows.iter().map(|(c, _)| c.trials.iter().filter(|t| t.ending == super::trial::Ending::Finished).count()).sum()
}

fn list(rows: &[&(&CellResult, Judged)], f: impl Fn(&CellResult, &Judged) -> String) -> String {
    rows.iter().map(|(c, j)| f(c, j)).collect::<Vec<_>>().join(", ")
}

/// Finished trials with states of one context running at once needed
/// before their clean transcripts count against the unsoundness claim.
pub const MIN_SHARING_TRIALS: usize = 5;

/// One verdict per part, from every judged cell on `cores` cores.
pub fn rules(rows: &[(&CellResult, Judged)], cores: usize) -> Vec<Verdict> {
    let unlocked = |ph: Phase| rows.iter().filter(move |(c, _)| c.cell.phase == ph && c.cell.guard == Guard::None).collect::<Vec<_>>();
    let create = unlocked(Phase::Create);
    // States of one context at once: K >= 2 (a single-state cell shares nothing).
    let sharing: Vec<_> = unlocked(Phase::Full).into_iter().chain(unlocked(Phase::Both)).filter(|(c, _)| c.cell.k >= 2).collect();
    let create_bad: Vec<_> = create.iter().copied().filter(|(_, j)| bad(j)).collect();
    let sharing_bad: Vec<_> = sharing.iter().copied().filter(|(_, j)| matches!(j.class, Class::Crash | Class::WrongOutput)).collect();

    let race = if create.is_empty() {
        Verdict::new("create-state-race", Outcome::NotMeasured, "no unlocked create_state cell ran")
    } else if create_bad.is_empty() {
        let max_k = create.iter().map(|(c, _)| c.cell.k).max().unwrap_or(0);
        Verdict::new(
            "create-state-race",
            Outcome::Refuted,
            format!(
                "{} trials in {} cells of up to {max_k} threads calling `create_state` at once without a lock created every state; no crash, hang or error",
                trials(&create),
                create.len()
            ),
        )
    } else {
        Verdict::new(
            "create-state-race",
            Outcome::Confirmed,
            format!(
                "{} of {} unlocked create_state cells failed ({})",
                create_bad.len(),
                create.len(),
                list(&create_bad, |c, j| format!("K={} {}: {}", c.cell.k, c.cell.variant.name(), j.class.as_str()))
            ),
        )
    };

    let unsound = if !create_bad.is_empty() || !sharing_bad.is_empty() {
        Verdict::new("send-sync-unsound", Outcome::Confirmed, "failing cells above; the Send/Sync impls let that code compile")
    } else if sharing.is_empty() {
        Verdict::new("send-sync-unsound", Outcome::NotMeasured, "no cell ran states of one context at once")
    } else if trials(&sharing) < MIN_SHARING_TRIALS {
        Verdict::new(
            "send-sync-unsound",
            Outcome::Inconclusive,
            format!(
                "{} finished trial(s) where two or more states of one shared context ran `full` at once (the rest stalled): under the {MIN_SHARING_TRIALS} this rule needs",
                trials(&sharing)
            ),
        )
    } else {
        Verdict::new(
            "send-sync-unsound",
            Outcome::Refuted,
            format!(
                "not shown: across {} finished trials in {} cells where two or more states of one shared context ran `full` at once, every transcript equalled the single-state one and nothing crashed (testing cannot prove soundness)",
                trials(&sharing),
                sharing.iter().filter(|r| trials(&[*r]) > 0).count()
            ),
        )
    };

    let plain: Vec<_> = rows
        .iter()
        .filter(|(c, _)| c.cell.phase == Phase::Both && c.cell.guard == Guard::None && c.cell.variant.features.is_empty() && c.cell.variant.source.is_none())
        .collect();
    let over = |c: &CellResult| c.cell.k * c.cell.n_threads > cores;
    let slow_over: Vec<_> = plain.iter().copied().filter(|(c, j)| j.class.is_collapse() && over(c)).collect();
    let slow_within = plain.iter().filter(|(c, j)| j.class.is_collapse() && !over(c)).count();
    let livelocks: Vec<_> = rows.iter().filter(|(_, j)| j.class == Class::Livelock).collect();
    let ok_within = plain.iter().filter(|(c, j)| j.class == Class::Ok && !over(c)).count();
    let deadlocks: Vec<_> = rows.iter().filter(|(_, j)| j.class == Class::Deadlock).collect();
    let hang = if !deadlocks.is_empty() {
        Verdict::new("hang-is-deadlock", Outcome::Confirmed, format!("{} cell(s) stalled with threads asleep", deadlocks.len()))
    } else if !livelocks.is_empty() {
        Verdict::new(
            "hang-is-deadlock",
            Outcome::Refuted,
            format!(
                "no cell deadlocked; the hang was a livelock: in {} cell(s) threads burned CPU without progress, a `create_state` never returning or no encoder or decoder pass for {LIVELOCK_FACTOR}x the trial's own pace ({})",
                livelocks.len(),
                list(&livelocks, |c, j| format!("K={} n={} ({}, guard {}): {} of {} trials stalled", c.cell.k, c.cell.n_threads, build(c), c.cell.guard.as_str(), j.stalled, c.trials.len()))
            ),
        )
    } else if !slow_over.is_empty() {
        Verdict::new(
            "hang-is-deadlock",
            Outcome::Refuted,
            format!(
                "no cell deadlocked or livelocked; {} cell(s) where K x n_threads exceeded the {cores} cores were slow with threads still burning CPU ({}); within the cores {ok_within} cell(s) were ok and {slow_within} slow",
                slow_over.len(),
                list(&slow_over, |c, j| format!(
                    "K={} n={} ({}): {}",
                    c.cell.k,
                    c.cell.n_threads,
                    build(c),
                    if j.efficiency > 0.0 { format!("{:.0}% of attainable throughput", 100.0 * j.efficiency) } else { "stopped".into() }
                ))
            ),
        )
    } else {
        Verdict::new("hang-is-deadlock", Outcome::Inconclusive, "no cell hung or collapsed: the seed's hang did not appear at these settings")
    };

    let fix: Vec<_> = rows.iter().filter(|(c, _)| c.cell.guard == Guard::All).collect();
    let fix_fit: Vec<_> = fix.iter().copied().filter(|(c, _)| c.cell.n_threads <= cores).collect();
    let fix_over: Vec<_> = fix.iter().copied().filter(|(c, _)| c.cell.n_threads > cores).collect();
    let mutex = if fix.is_empty() {
        Verdict::new("mutex-fix-works", Outcome::NotMeasured, "no cell with the lock around create_state + full")
    } else if !fix_fit.is_empty() && fix_fit.iter().all(|(_, j)| j.class == Class::Ok) {
        let seed = fix_fit.iter().map(|(_, j)| j.audio_s_per_s).fold(0.0, f64::max);
        // The same whisper-rs build as the locked cells: versions differ in speed.
        let same_build = |c: &CellResult| fix_fit.iter().any(|(f, _)| f.cell.variant == c.cell.variant);
        let best = plain.iter().filter(|(c, j)| c.cell.k == 3 && j.class == Class::Ok && same_build(c)).map(|(_, j)| j.audio_s_per_s).fold(0.0, f64::max);
        let rec = rows.iter().filter(|(c, j)| c.cell.guard == Guard::Create && j.class == Class::Ok).map(|(_, j)| j.audio_s_per_s).fold(0.0, f64::max);
        let starved = fix_over.iter().filter(|(_, j)| j.class != Class::Ok).count();
        Verdict::new(
            "mutex-fix-works",
            Outcome::Confirmed,
            format!(
                "because it serialises inference: one state computes at a time, so at most n_threads ggml threads spin; best {seed:.2} audio-s per s at K = 3 against {best:.2} \
                 for the best unlocked K = 3 cell that was ok{}{}",
                if rec > 0.0 { format!(" ({rec:.2} with the lock around `create_state` only)") } else { String::new() },
                if starved > 0 {
                    format!("; with n_threads > {cores} cores even the serialised state is starved ({})", list(&fix_over, |_, j| j.class.as_str().to_string()))
                } else {
                    String::new()
                }
            ),
        )
    } else {
        Verdict::new(
            "mutex-fix-works",
            Outcome::Refuted,
            format!(
                "the fix cells were {} (n_threads {} on {cores} cores)",
                list(&fix, |_, j| j.class.as_str().into()),
                list(&fix, |c, _| c.cell.n_threads.to_string())
            ),
        )
    };

    let omp_over: Vec<_> = rows.iter().filter(|(c, _)| c.cell.variant.features.iter().any(|f| f == "openmp") && over(c)).collect();
    let pool = if omp_over.is_empty() {
        Verdict::new("thread-pool-matters", Outcome::NotMeasured, "no OpenMP cell at oversubscribed settings")
    } else if omp_over.iter().all(|(_, j)| j.class == Class::Ok) && !slow_over.is_empty() {
        Verdict::new(
            "thread-pool-matters",
            Outcome::Confirmed,
            format!(
                "with whisper-rs's `openmp` feature the oversubscribed settings ({}) finished at {} of the attainable throughput, where ggml's own pool was slow: \
                 the collapse belongs to the pool's spinning barrier, not to sharing a context",
                list(&omp_over, |c, _| format!("K={} n={}", c.cell.k, c.cell.n_threads)),
                list(&omp_over, |_, j| format!("{:.0}%", 100.0 * j.efficiency))
            ),
        )
    } else {
        Verdict::new(
            "thread-pool-matters",
            Outcome::Refuted,
            format!("the OpenMP build was {} at oversubscribed settings", list(&omp_over, |_, j| j.class.as_str().into())),
        )
    };
    vec![race, unsound, hang, mutex, pool]
}

/// The build a cell ran, as figures name it: "whisper-rs 0.16.0", or
/// "whisper-rs 0.16.0 on whisper.cpp 1.9.3" for a replaced whisper.cpp.
fn build(c: &CellResult) -> String {
    match c.cell.variant.whisper_cpp_override() {
        Some(cpp) => format!("whisper-rs {} on whisper.cpp {cpp}", c.cell.variant.whisper_rs),
        None => format!("whisper-rs {}", c.cell.variant.whisper_rs),
    }
}

/// The ledger: the same rules on each whisper-rs version's cells alone
/// (registry builds; forks are the fork check's, not a version's). A part
/// with no cells on a version is "not measured" there.
pub fn by_version(rows: &[(&CellResult, Judged)], cores: usize) -> Vec<crate::claims::ledger::Entry> {
    let rows: Vec<(&CellResult, Judged)> = rows.iter().filter(|(c, _)| c.cell.variant.sys_source.is_none()).cloned().collect();
    let rows = rows.as_slice();
    let mut versions: Vec<String> = rows.iter().filter(|(c, _)| c.cell.variant.source.is_none()).map(|(c, _)| c.cell.variant.whisper_rs.clone()).collect();
    crate::claims::ledger::sort_versions(&mut versions);
    versions.dedup();
    versions
        .iter()
        .flat_map(|v| {
            let mine: Vec<(&CellResult, Judged)> =
                rows.iter().filter(|(c, _)| c.cell.variant.source.is_none() && &c.cell.variant.whisper_rs == v).map(|(c, j)| (*c, j.clone())).collect();
            let bundled = crate::forks::variant::bundled(v).map_or(String::new(), |b| format!("whisper-rs-sys {}, whisper.cpp {}", b.sys, b.whisper_cpp));
            rules(&mine, cores).into_iter().map(move |verdict| crate::claims::ledger::Entry {
                krate: "whisper-rs".into(),
                version: v.clone(),
                bundled: bundled.clone(),
                verdict,
            })
        })
        .collect()
}

/// Ledger entries of cells run on a replaced whisper.cpp (`newer`): one
/// per whisper.cpp, as the version `0.16.0+whisper.cpp-1.9.3` (semver build
/// metadata, so it sorts right after the whisper-rs it extends).
pub fn by_whisper_cpp(rows: &[(&CellResult, Judged)], cores: usize) -> Vec<crate::claims::ledger::Entry> {
    let mut cpps: Vec<(String, String)> =
        rows.iter().filter_map(|(c, _)| Some((c.cell.variant.whisper_rs.clone(), c.cell.variant.whisper_cpp_override()?.to_string()))).collect();
    cpps.sort();
    cpps.dedup();
    cpps.into_iter()
        .flat_map(|(rs, cpp)| {
            let mine: Vec<(&CellResult, Judged)> = rows
                .iter()
                .filter(|(c, _)| c.cell.variant.whisper_rs == rs && c.cell.variant.whisper_cpp_override() == Some(cpp.as_str()))
                .map(|(c, j)| (*c, j.clone()))
                .collect();
            let sys = crate::forks::variant::bundled(&rs).map_or("?", |b| b.sys);
            let bundled = format!("whisper-rs-sys {sys}'s source rebuilt on whisper.cpp {cpp}: a local copy, not a published version");
            let version = format!("{rs}+whisper.cpp-{cpp}");
            rules(&mine, cores).into_iter().map(move |verdict| crate::claims::ledger::Entry {
                krate: "whisper-rs".into(),
                version: version.clone(),
                bundled: bundled.clone(),
                verdict,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::whisper_rs_race::matrix::Cell;
    use crate::claims::whisper_rs_race::trial::{Ending, Trial};
    use crate::forks::variant::WhisperVariant;

    fn cell(k: usize, n: usize, phase: Phase, guard: Guard, features: &[&str]) -> CellResult {
        let mut variant = WhisperVariant::workspace_default();
        variant.features = features.iter().map(|f| f.to_string()).collect();
        let trial = Trial {
            ending: Ending::Finished,
            exit: "exit 0".into(),
            wall_s: 1.0,
            cpu_s: 1.0,
            states_created: k,
            workers_done: k,
            progress_events: 0,
            texts: vec![],
            stall: None,
            stderr_tail: String::new(),
            ticks: vec![],
            stopped_for: None,
            quiet_s: None,
        };
        CellResult { cell: Cell { group: "t".into(), variant, k, n_threads: n, phase, guard, trials: 5 }, audio_s: 3.0, trials: vec![trial; 5], error: None }
    }

    fn judged(class: Class, efficiency: f64) -> Judged {
        Judged { class, finished: 5, crashed: 0, stalled: 0, wall_s: 1.0, cpu_s: 1.0, audio_s_per_s: 3.0, efficiency, reason: String::new() }
    }

    fn outcomes(rows: &[(CellResult, Judged)]) -> Vec<Outcome> {
        let refs: Vec<(&CellResult, Judged)> = rows.iter().map(|(c, j)| (c, j.clone())).collect();
        rules(&refs, 2).into_iter().map(|v| v.outcome).collect()
    }

    #[test]
    fn the_measured_picture_refutes_the_race_and_explains_the_hang() {
        let rows = vec![
            (cell(4, 1, Phase::Create, Guard::None, &[]), judged(Class::Ok, 0.0)),
            (cell(3, 1, Phase::Both, Guard::None, &[]), judged(Class::Ok, 0.99)),
            (cell(2, 2, Phase::Both, Guard::None, &[]), judged(Class::Slow, 0.3)),
            (cell(3, 1, Phase::Both, Guard::All, &[]), judged(Class::Ok, 1.0)),
            (cell(2, 2, Phase::Both, Guard::None, &["openmp"]), judged(Class::Ok, 0.95)),
        ];
        assert_eq!(outcomes(&rows), vec![Outcome::Refuted, Outcome::Refuted, Outcome::Refuted, Outcome::Confirmed, Outcome::Confirmed]);
    }

    #[test]
    fn failures_confirm_the_race_and_a_sleeping_stall_is_a_deadlock() {
        let rows = vec![
            (cell(4, 1, Phase::Create, Guard::None, &[]), judged(Class::Crash, 0.0)),
            (cell(2, 1, Phase::Both, Guard::None, &[]), judged(Class::Deadlock, 0.0)),
            (cell(3, 4, Phase::Both, Guard::All, &[]), judged(Class::Slow, 0.2)),
            (cell(2, 2, Phase::Both, Guard::None, &["openmp"]), judged(Class::Slow, 0.2)),
        ];
        assert_eq!(outcomes(&rows), vec![Outcome::Confirmed, Outcome::Confirmed, Outcome::Confirmed, Outcome::Refuted, Outcome::Refuted]);
    }

    #[test]
    fn too_few_finished_trials_of_shared_states_decide_nothing() {
        let mut few = cell(3, 4, Phase::Both, Guard::None, &[]);
        for t in few.trials.iter_mut().skip(1) {
            t.ending = Ending::Stalled;
        }
        let single = cell(1, 1, Phase::Both, Guard::None, &[]);
        let rows = vec![(few, judged(Class::Slow, 0.1)), (single, judged(Class::Ok, 1.0))];
        assert_eq!(outcomes(&rows)[1], Outcome::Inconclusive, "1 finished trial, and a single-state cell shares nothing");
    }

    #[test]
    fn nothing_run_is_not_measured_and_no_hang_is_inconclusive() {
        let rows = vec![(cell(2, 1, Phase::Both, Guard::None, &[]), judged(Class::Ok, 1.0))];
        assert_eq!(outcomes(&rows), vec![Outcome::NotMeasured, Outcome::Refuted, Outcome::Inconclusive, Outcome::NotMeasured, Outcome::NotMeasured]);
    }

    #[test]
    fn a_burning_stall_without_progress_is_a_livelock_not_a_deadlock() {
        let rows =
            [(cell(4, 1, Phase::Create, Guard::None, &[]), judged(Class::Ok, 0.0)), (cell(3, 4, Phase::Both, Guard::None, &[]), judged(Class::Livelock, 0.0))];
        let refs: Vec<(&CellResult, Judged)> = rows.iter().map(|(c, j)| (c, j.clone())).collect();
        let v = rules(&refs, 2);
        assert_eq!(v[2].outcome, Outcome::Refuted);
        assert!(v[2].figures.contains("a livelock"), "{}", v[2].figures);
        let create_livelock = vec![(cell(4, 1, Phase::Create, Guard::None, &[]), judged(Class::Livelock, 0.0))];
        assert_eq!(outcomes(&create_livelock)[0], Outcome::Confirmed, "a livelock inside concurrent create_state is a race symptom");
    }

    fn on_newer(mut c: CellResult) -> CellResult {
        let local = crate::forks::whisper_cpp::LocalSys { dir: "/x".into(), sys: "0.15.0".into(), whisper_cpp: "1.9.3".into(), digest: "0".repeat(64) };
        c.cell.variant = WhisperVariant::with_whisper_cpp(&local);
        c
    }

    #[test]
    fn a_replaced_whisper_cpp_is_its_own_ledger_version_and_not_the_registry_ones() {
        let rows = [
            (cell(2, 1, Phase::Create, Guard::None, &[]), judged(Class::Ok, 0.0)),
            (on_newer(cell(2, 1, Phase::Create, Guard::None, &[])), judged(Class::Crash, 0.0)),
        ];
        let refs: Vec<(&CellResult, Judged)> = rows.iter().map(|(c, j)| (c, j.clone())).collect();
        let registry = by_version(&refs, 2);
        assert!(registry.iter().all(|e| e.version == "0.16.0"), "the replaced build must not count as 0.16.0");
        assert_eq!(registry[0].verdict.outcome, Outcome::Refuted);
        let newer = by_whisper_cpp(&refs, 2);
        assert!(newer.iter().all(|e| e.version == "0.16.0+whisper.cpp-1.9.3" && e.bundled.contains("not a published version")));
        assert_eq!(newer[0].verdict.outcome, Outcome::Confirmed, "the crash is the newer build's alone");
    }
}
