//! Upstream-ready bundles (issue #14: "Upstream-ready bundles, and checking
//! a user's own patch"): the committed bundle files are what their sources
//! render to, each repro crate stands alone, every "ready to send" verdict
//! links to its bundle, and `run.sh` itself, run on a small registry crate,
//! reports a defect before and a fix after, a patch that does not apply
//! (naming the hunk), and an output that differs from the expected one.
//!
//! The real bundles (whisper.cpp and ONNX Runtime builds) are run by CI with
//! `harness bundle check --quick`, after the test suite.

use std::path::Path;
use std::process::Command;

use harness::bundles::{render, spec};

#[test]
fn committed_bundle_files_are_what_their_sources_render_to() {
    let stale = render::stale().unwrap();
    assert!(stale.is_empty(), "not what `harness bundle render` writes (run it and commit): {stale:?}");
}

#[test]
fn every_repro_crate_stands_alone() {
    for b in spec::all().unwrap() {
        let manifest = std::fs::read_to_string(b.dir.join("repro/Cargo.toml")).unwrap();
        let parsed: toml::Table = toml::from_str(&manifest).unwrap();
        assert!(parsed.contains_key("workspace"), "{}: the repro is its own workspace", b.id);
        let deps = parsed["dependencies"].as_table().unwrap();
        assert!(deps.contains_key(&b.patch.krate) || b.patch.krate.ends_with("-sys"), "{}: depends on {}", b.id, b.patch.krate);
        for (name, dep) in deps {
            assert!(dep.get("path").is_none() && dep.get("git").is_none(), "{}: {name} must come from the registry", b.id);
        }
        // Every locked package but the repro itself comes from the registry.
        let lock: toml::Table = toml::from_str(&std::fs::read_to_string(b.dir.join("repro/Cargo.lock")).unwrap()).unwrap();
        let unsourced: Vec<&str> =
            lock["package"].as_array().unwrap().iter().filter(|p| p.get("source").is_none()).map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(unsourced, vec![parsed["package"]["name"].as_str().unwrap()], "{}: only the repro is a path package", b.id);
        let pinned =
            lock["package"].as_array().unwrap().iter().find(|p| p["name"].as_str() == Some(&b.patch.krate)).map(|p| p["version"].as_str().unwrap().to_string());
        assert_eq!(pinned.as_deref(), b.patch.version.as_deref(), "{}: the lock pins the version the patch is written against", b.id);
    }
}

#[test]
fn every_ready_to_send_verdict_links_to_its_bundle() {
    let reports = harness::paths::workspace_root().join("reports");
    let mut sends = 0;
    for entry in std::fs::read_dir(&reports).unwrap().flatten().filter(|e| e.path().extension().is_some_and(|x| x == "md")) {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for section in text.split("\n### ").skip(1).filter(|s| s.contains("**Ready to send.**")) {
            sends += 1;
            let link = section.split("Bundle: [`bundles/").nth(1).and_then(|s| s.split('/').next());
            let id = link.unwrap_or_else(|| panic!("{}: a ready-to-send patch without its bundle: {}", entry.path().display(), &section[..80]));
            assert!(spec::root().join(id).join("run.sh").exists(), "{id}: linked, but not there");
        }
    }
    assert!(sends >= 3, "{sends} ready-to-send sections");
}

/// A bundle of the small `hex` crate (in the workspace's lock, so in
/// cargo's cache): its repro prints its file argument's bytes as hex.
fn hex_bundle(dir: &Path, patch: &str, expected_after: &str) {
    let repro = dir.join("repro");
    std::fs::create_dir_all(repro.join("src")).unwrap();
    std::fs::write(
        repro.join("Cargo.toml"),
        "[package]\nname = \"hex-repro\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\nhex = \"=0.4.3\"\n",
    )
    .unwrap();
    std::fs::write(
        repro.join("src/main.rs"),
        "fn main() {\n    let f = std::env::args().nth(1).unwrap();\n    println!(\"{}\", hex::encode(std::fs::read(f).unwrap()));\n}\n",
    )
    .unwrap();
    let lock = Command::new(env!("CARGO")).args(["generate-lockfile", "--offline"]).current_dir(&repro).output().unwrap();
    assert!(lock.status.success(), "{}", String::from_utf8_lossy(&lock.stderr));
    std::fs::write(dir.join("run.sh"), render::run_sh_for("hex-upper", "hex", "0.4.3", "INPUT", 1)).unwrap();
    std::fs::write(dir.join("fix.patch"), patch).unwrap();
    std::fs::write(dir.join("expected-before.txt"), "abcd\n").unwrap();
    std::fs::write(dir.join("expected-after.txt"), expected_after).unwrap();
    std::fs::write(dir.join("input.bin"), [0xab, 0xcd]).unwrap();
}

const UPPER: &str = "Crate: hex\nVersion: 0.4.3\nKind: fix\n\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -80,7 +80,7 @@\n     fn encode_hex_upper<T: iter::FromIterator<char>>(&self) -> T;\n }\n \n-const HEX_CHARS_LOWER: &[u8; 16] = b\"0123456789abcdef\";\n+const HEX_CHARS_LOWER: &[u8; 16] = b\"0123456789ABCDEF\";\n const HEX_CHARS_UPPER: &[u8; 16] = b\"0123456789ABCDEF\";\n \n struct BytesToHexChars<'a> {\n";

/// `sh DIR/run.sh ARGS` started in DIR (so `input.bin` is a relative path).
fn run_sh(dir: &Path, target: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new("sh")
        .arg(dir.join("run.sh"))
        .args(args)
        .current_dir(dir)
        .env("BUNDLE_WORK", dir.join("work"))
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

#[test]
fn run_sh_shows_the_defect_before_the_fix_after_and_names_what_fails() {
    let target = tempfile::tempdir().unwrap();
    // A patch that changes the output: before as expected, after as expected;
    // the input named relative to where run.sh was started.
    let good = tempfile::tempdir().unwrap();
    hex_bundle(good.path(), UPPER, "ABCD\n");
    let (code, out, err) = run_sh(good.path(), target.path(), &["input.bin"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("before the patch (hex 0.4.3): as expected-before.txt") && out.contains("after the patch: as expected-after.txt"), "{out}");
    assert_eq!(std::fs::read_to_string(good.path().join("work/after.txt")).unwrap(), "ABCD\n");

    // The same patch, but the expected output after it is the old one: exit 1 with the difference.
    let differs = tempfile::tempdir().unwrap();
    hex_bundle(differs.path(), UPPER, "abcd\n");
    let (code, out, err) = run_sh(differs.path(), target.path(), &["input.bin"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("after the patch: differs from expected-after.txt") && err.contains("+ABCD"), "{out}\n{err}");

    // A hunk whose context is not in hex 0.4.3: exit 3 naming the crate and the hunk.
    let stale = tempfile::tempdir().unwrap();
    hex_bundle(stale.path(), &UPPER.replace(" }\n \n-const", " }\n // not in hex\n-const"), "ABCD\n");
    let (code, out, err) = run_sh(stale.path(), target.path(), &["input.bin"]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(err.contains("fix.patch does not apply to hex 0.4.3") && err.contains("Hunk #1 FAILED"), "{err}");
}

#[test]
fn run_sh_refuses_what_it_cannot_check_with_exit_2() {
    let target = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    hex_bundle(dir.path(), UPPER, "ABCD\n");
    // Wrong number of arguments.
    let (code, _, err) = run_sh(dir.path(), target.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("usage:") && err.contains("INPUT"), "{err}");
    // Not a version.
    let (code, _, err) = run_sh(dir.path(), target.path(), &["--against", "0.4;rm", "input.bin"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a version number"), "{err}");
    // A repro that does not build, where the expected output is not "does not build": the set-up, not a finding.
    std::fs::write(dir.path().join("repro/src/main.rs"), "fn main() { let x: u8 = \"text\"; }\n").unwrap();
    let (code, _, err) = run_sh(dir.path(), target.path(), &["input.bin"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("before: the repro does not build") && err.contains("expected-before.txt does not expect"), "{err}");
}
