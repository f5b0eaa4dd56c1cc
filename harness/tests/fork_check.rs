//! `harness fork check` (issue: check patched forks of upstream crates,
//! before and after): bad input gets clear errors, and the crate-test
//! runner counts what a real `cargo test` prints. The full checks (which
//! build whisper.cpp or ort per side) run from the command line; their
//! evidence is committed under `reports/data/fork-*`.

use std::process::Command;

fn harness(args: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_harness")).args(args).output().expect("harness runs");
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
}

#[test]
fn an_unknown_crate_or_patch_is_refused_naming_what_is_known() {
    let (ok, out) = harness(&["fork", "check", "left-pad"]);
    assert!(!ok && out.contains("the fork check knows: whisper-rs, ort"), "{out}");
    let (ok, out) = harness(&["fork", "check", "whisper-rs", "--patch", "no-such-patch"]);
    assert!(!ok && out.contains("no patch `no-such-patch` for whisper-rs") && out.contains("internal-mutex"), "{out}");
}

#[test]
fn a_version_the_registry_does_not_have_is_refused_with_cargos_reason() {
    let (ok, out) = harness(&["fork", "check", "whisper-rs", "--patch", "internal-mutex", "--version", "0.0.0-nonexistent"]);
    assert!(!ok && out.contains("cannot get whisper-rs 0.0.0-nonexistent from the registry") && out.contains("fix:"), "{out}");
}

/// A user's own patch (`--patch-file`, upstream-bundles issue item 4):
/// text that is not a patch, a header for another crate, and a patch that
/// does not apply to the registry's source each fail naming the file (and
/// the failing hunk), before anything is built.
#[test]
fn a_users_patch_file_is_checked_and_bad_ones_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.patch");
    std::fs::write(&notes, "Crate: whisper-rs\nKind: fix\n\nI think create_state races.\n").unwrap();
    let (ok, out) = harness(&["fork", "check", "whisper-rs", "--patch-file", notes.to_str().unwrap()]);
    assert!(!ok && out.contains("notes.patch") && out.contains("not a patch"), "{out}");

    let diff = "--- a/src/whisper_ctx.rs\n+++ b/src/whisper_ctx.rs\n@@ -1,3 +1,3 @@\n-this line is not in whisper-rs\n+nor is this one\n context\n context\n";
    let other = dir.path().join("for-ort.patch");
    std::fs::write(&other, format!("Crate: ort\nKind: fix\n\n{diff}")).unwrap();
    let (ok, out) = harness(&["fork", "check", "whisper-rs", "--patch-file", other.to_str().unwrap()]);
    assert!(!ok && out.contains("for-ort.patch") && out.contains("`Crate: ort`"), "{out}");

    let stale = dir.path().join("stale.patch");
    std::fs::write(&stale, format!("Crate: whisper-rs\nVersion: 0.16.0\nKind: fix\nTitle: a stale patch\n\n{diff}")).unwrap();
    let (ok, out) = harness(&["fork", "check", "whisper-rs", "--patch-file", stale.to_str().unwrap(), "--quick"]);
    assert!(
        !ok && out.contains("stale.patch does not apply") && out.contains("src/whisper_ctx.rs, hunk #1") && out.contains("-this line is not in whisper-rs"),
        "{out}"
    );
}

fn tiny_crate(dir: &std::path::Path, lib: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n").unwrap();
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
}

#[test]
fn the_crate_test_runner_counts_a_real_suite_and_shows_a_compile_error() {
    use harness::forks::crate_tests::run;
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    tiny_crate(&good, "/// ```\n/// assert_eq!(tiny::two(), 2);\n/// ```\npub fn two() -> u32 { 2 }\n#[cfg(test)]\nmod t {\n#[test] fn a() { assert_eq!(super::two(), 2); }\n#[test] fn b() { assert_eq!(super::two(), 3); }\n#[test] #[ignore] fn c() {}\n#[test] fn skipped_one() {}\n}\n");
    let args: Vec<String> = ["test", "--", "--skip", "skipped_one"].iter().map(|s| s.to_string()).collect();
    let r = run(&good, &args, &[], &tmp.path().join("target"), vec![("skipped_one".into(), 0, "example".into())]);
    assert!(r.ran, "{r:?}");
    assert_eq!((r.passed(), r.failed(), r.ignored(), r.skipped_count()), (1, 1, 1, 1), "{r:?}");
    assert_eq!(r.failures, vec!["t::b".to_string()]);
    // Doctests are not reached when the unit tests fail; with --no-fail-fast they are.
    let args: Vec<String> = ["test", "--no-fail-fast"].iter().map(|s| s.to_string()).collect();
    let r = run(&good, &args, &[], &tmp.path().join("target"), vec![]);
    // Each binary under its own name (issue: joined streams put the unit
    // tests' counts under `doctests tiny`).
    let named: Vec<(&str, u64, u64, u64)> = r.binaries.iter().map(|b| (b.binary.as_str(), b.passed, b.failed, b.ignored)).collect();
    assert_eq!(named, vec![("unittests src/lib.rs", 2, 1, 1), ("doctests tiny", 1, 0, 0)], "{r:?}");

    let bad = tmp.path().join("bad");
    tiny_crate(&bad, "pub fn two() -> u32 { \"two\" }\n");
    let r = run(&bad, &["test".to_string()], &[], &tmp.path().join("target"), vec![]);
    assert!(!r.ran && r.error.as_deref().is_some_and(|e| e.starts_with("error[E0308]")), "{r:?}");
}

fn evidence(dir: &std::path::Path, name: &str) -> serde_json::Value {
    let f = std::fs::read_dir(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}")).next().unwrap().unwrap().path();
    serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(f).unwrap()).unwrap()["data"].clone()
}

fn harness_with_evidence(args: &[&str], ev: &std::path::Path) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_harness")).args(args).env("HARNESS_SCRATCH_DIR", ev).output().expect("harness runs");
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
}

/// ort's `run-shared` patch end to end (quick): ort's own tests on both
/// copies (the patch adds one), the cell built against both and proven to
/// use them, `run_shared` failing to compile before and working after.
#[test]
fn ort_run_shared_fork_check_end_to_end() {
    let ev = tempfile::tempdir().unwrap();
    let (ok, out) = harness_with_evidence(&["fork", "check", "ort", "--patch", "run-shared", "--quick"], ev.path());
    assert!(ok, "{out}");
    let d = evidence(ev.path(), "fork-ort-run-shared");
    let passed = |side: &str| d[side]["binaries"].as_array().unwrap().iter().map(|b| b["passed"].as_u64().unwrap()).sum::<u64>();
    assert!(passed("tests_before") > 40 && passed("tests_after") == passed("tests_before") + 1, "{}", d["tests_after"]);
    assert_eq!(d["measured"]["proof"].as_array().unwrap().len(), 4);
    let r = &d["measured"]["repro"][0];
    assert!(r["problem_before"] == true && r["problem_after"] == false, "{r}");
    assert!(r["before"].as_str().unwrap().contains("does not compile"), "{r}");
}

/// whisper-rs's abort-callback fix end to end (quick): whisper-rs's own
/// tests on both copies (the patch adds its regression test), the race cell
/// built against both through `[patch.crates-io]`, and the probe's value
/// wrong before and right after. Slow: whisper.cpp is built for each side.
#[test]
fn whisper_rs_abort_callback_fork_check_end_to_end() {
    let ev = tempfile::tempdir().unwrap();
    let (ok, out) = harness_with_evidence(&["fork", "check", "whisper-rs", "--patch", "abort-callback-fix", "--quick"], ev.path());
    assert!(ok, "{out}");
    let d = evidence(ev.path(), "fork-whisper-rs-abort-callback-fix");
    let passed = |side: &str| d[side]["binaries"].as_array().unwrap().iter().map(|b| b["passed"].as_u64().unwrap()).sum::<u64>();
    assert_eq!((passed("tests_before"), passed("tests_after")), (12, 13), "{}", d["tests_after"]);
    let r = &d["measured"]["repro"][0];
    assert!(r["problem_before"] == true && r["problem_after"] == false && r["after"].as_str().unwrap().contains("42 (correct)"), "{r}");
}
