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
    assert!(r.binaries.iter().any(|b| b.binary.starts_with("doctests") && b.passed == 1), "{r:?}");

    let bad = tmp.path().join("bad");
    tiny_crate(&bad, "pub fn two() -> u32 { \"two\" }\n");
    let r = run(&bad, &["test".to_string()], &[], &tmp.path().join("target"), vec![]);
    assert!(!r.ran && r.error.as_deref().is_some_and(|e| e.starts_with("error[E0308]")), "{r:?}");
}
