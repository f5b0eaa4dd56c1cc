//! Verdicts across machines (issue #13: "Claims across versions and
//! machines: which verdicts hold where, and since when"): `harness
//! check-merge` renders the committed runs (two profiles of one machine and
//! a second machine kind) into
//! `reports/machines.md` byte for byte, and refuses, naming the file, runs
//! it cannot compare.

use std::path::{Path, PathBuf};
use std::process::Command;

fn runs() -> Vec<PathBuf> {
    let dir = harness::paths::workspace_root().join("reports/data/check-runs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    files.sort();
    files
}

fn merge(files: &[PathBuf]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_harness")).arg("check-merge").args(files).output().unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

#[test]
fn the_committed_machine_profiles_render_to_the_committed_page() {
    let files = runs();
    assert!(files.len() >= 2, "{files:?}");
    let (ok, md, err) = merge(&files);
    assert!(ok, "{err}");
    let committed = std::fs::read_to_string(harness::paths::workspace_root().join("reports/machines.md")).unwrap();
    assert_eq!(md, committed, "reports/machines.md is not what `harness check-merge reports/data/check-runs/*.json` renders");
    // Two different profiles: their core counts differ, and each is named.
    let merged = harness::machines::merge(&files).unwrap();
    let cores: Vec<usize> = merged.machines.iter().map(|m| m.run.environment.logical_cores).collect();
    assert!(cores.windows(2).any(|w| w[0] != w[1]), "{cores:?}");
    assert!(merged.machines.iter().all(|m| !m.run.label.is_empty()), "profiles are labelled as such");
}

#[test]
fn a_part_only_some_runs_have_is_shown_as_not_in_the_others_and_does_not_hold_on_all() {
    let files = runs();
    let dir = tempfile::tempdir().unwrap();
    let last = |v: &serde_json::Value| v["rows"].as_array().unwrap().last().unwrap().clone();
    let first: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    let dropped = last(&first);
    let fewer = edited(dir.path(), &files[0], "fewer.json", |v| {
        v["rows"].as_array_mut().unwrap().pop();
    });
    let merged = harness::machines::merge(&[fewer, files[0].clone()]).unwrap();
    let part = merged.parts.iter().find(|p| p.claim == dropped["claim"] && p.part == dropped["part"]).expect("the part of one run is in the merge");
    assert_eq!(part.in_run, vec![false, true]);
    assert_eq!(part.holds, harness::machines::Holds::Incomplete);
    let md = harness::machines::render(&merged);
    assert!(md.contains("not in this run"), "{md}");
}

fn edited(dir: &Path, from: &Path, name: &str, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(from).unwrap()).unwrap();
    edit(&mut v);
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
    p
}

#[test]
fn runs_that_cannot_be_compared_are_refused_naming_the_file() {
    let files = runs();
    let dir = tempfile::tempdir().unwrap();
    let other_schema = edited(dir.path(), &files[1], "old.json", |v| v["schema"] = "harness.check/0".into());
    let (ok, _, err) = merge(&[files[0].clone(), other_schema]);
    assert!(!ok && err.contains("old.json") && err.contains("schema harness.check/0"), "{err}");

    let other_claims = edited(dir.path(), &files[1], "other.json", |v| {
        v["rows"].as_array_mut().unwrap().retain(|r| r["claim"] != "image-jpeg");
    });
    let (ok, _, err) = merge(&[files[0].clone(), other_claims]);
    assert!(!ok && err.contains("other.json") && err.contains("only in the first: [image-jpeg]"), "{err}");

    let full = edited(dir.path(), &files[1], "full.json", |v| v["quick"] = false.into());
    let (ok, _, err) = merge(&[files[0].clone(), full]);
    assert!(!ok && err.contains("full.json") && err.contains("not comparable"), "{err}");

    std::fs::write(dir.path().join("notes.json"), "{\"hello\": 1}").unwrap();
    let (ok, _, err) = merge(&[files[0].clone(), dir.path().join("notes.json")]);
    assert!(!ok && err.contains("notes.json") && err.contains("not a `harness check` result"), "{err}");

    let (ok, _, err) = merge(&files[..1]);
    assert!(!ok && err.contains("at least two"), "{err}");
}
