//! Running a crate's own test suite (as published) and counting what
//! libtest reports, per test binary.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// One test binary's (or the doctests') counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BinaryCounts {
    pub binary: String,
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
    /// Filtered out by the skip list (tests that cannot run here).
    pub filtered: u64,
}

/// A whole suite's outcome.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SuiteResult {
    pub command: String,
    pub binaries: Vec<BinaryCounts>,
    /// The suite compiled and ran (false: the first error is in `error`).
    pub ran: bool,
    pub error: Option<String>,
    /// Names of failed tests.
    pub failures: Vec<String>,
    /// Tests that exist but were not run here: what, how many (0: counted
    /// by libtest as filtered out), and why.
    pub skipped: Vec<(String, u64, String)>,
    pub wall_s: f64,
}

impl SuiteResult {
    pub fn total(&self, f: impl Fn(&BinaryCounts) -> u64) -> u64 {
        self.binaries.iter().map(f).sum()
    }
    pub fn passed(&self) -> u64 {
        self.total(|b| b.passed)
    }
    pub fn failed(&self) -> u64 {
        self.total(|b| b.failed)
    }
    pub fn ignored(&self) -> u64 {
        self.total(|b| b.ignored)
    }
    /// Filtered plus compiled out.
    pub fn skipped_count(&self) -> u64 {
        self.total(|b| b.filtered) + self.skipped.iter().map(|(_, n, _)| n).sum::<u64>()
    }
}

/// The test binaries cargo announces on stderr, in order: `Running ...
/// (path)` and `Doc-tests NAME` headers.
fn headers(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| {
            let t = l.trim();
            if let Some(r) = t.strip_prefix("Running ") {
                Some(r.split(" (").next().unwrap_or(r).to_string())
            } else {
                t.strip_prefix("Doc-tests ").map(|d| format!("doctests {d}"))
            }
        })
        .collect()
}

/// Parses cargo test's two streams. Cargo announces each test binary on
/// stderr and libtest prints its results on stdout, one binary after
/// another: each `running N tests` block on stdout is the next binary
/// announced on stderr. (Joined into one text, every result would sit under
/// the last header.) A block that ends without its `test result:` line is a
/// binary that died (a crash or abort): its N tests count as failed and it
/// is named among the failures. A block with no header left is labelled by
/// its position.
pub fn parse(stderr: &str, stdout: &str) -> (Vec<BinaryCounts>, Vec<String>) {
    let names = headers(stderr);
    let mut out: Vec<BinaryCounts> = Vec::new();
    let mut failures = Vec::new();
    // The open block: its index in `out`, the tests it announced, and whether its result came.
    let mut open: Option<(usize, u64, bool)> = None;
    let close = |open: &mut Option<(usize, u64, bool)>, out: &mut Vec<BinaryCounts>, failures: &mut Vec<String>| {
        if let Some((i, announced, false)) = open.take() {
            out[i].failed = announced;
            failures.push(format!("{}: stopped before printing its result (crashed or aborted)", out[i].binary));
        }
    };
    for l in stdout.lines() {
        let t = l.trim();
        if let Some(n) = t.strip_prefix("running ").and_then(|r| r.split_whitespace().next()).and_then(|n| n.parse::<u64>().ok()) {
            close(&mut open, &mut out, &mut failures);
            let binary = names.get(out.len()).cloned().unwrap_or_else(|| format!("test binary {} (not announced)", out.len() + 1));
            out.push(BinaryCounts { binary, ..Default::default() });
            open = Some((out.len() - 1, n, false));
        } else if let Some(r) = t.strip_prefix("test result: ") {
            let n = |key: &str| {
                r.split(';')
                    .find_map(|p| p.trim().strip_suffix(key).map(|x| x.trim().trim_start_matches("ok.").trim_start_matches("FAILED.").trim()))
                    .and_then(|x| x.split_whitespace().last()?.parse().ok())
                    .unwrap_or(0)
            };
            if open.is_none() {
                // A result without its `running` line: still the next binary.
                let binary = names.get(out.len()).cloned().unwrap_or_else(|| format!("test binary {} (not announced)", out.len() + 1));
                out.push(BinaryCounts { binary, ..Default::default() });
                open = Some((out.len() - 1, 0, false));
            }
            if let Some((i, _, done)) = open.as_mut() {
                let b = &mut out[*i];
                (b.passed, b.failed, b.ignored, b.filtered) = (n("passed"), n("failed"), n("ignored"), n("filtered out"));
                *done = true;
            }
            open = None;
        } else if t.starts_with("test ") && t.ends_with("... FAILED") {
            failures.push(t.trim_start_matches("test ").trim_end_matches("... FAILED").trim().to_string());
        }
    }
    close(&mut open, &mut out, &mut failures);
    (out, failures)
}

/// Runs `cargo ARGS` in `dir` with `env`, sharing `target` between runs.
pub fn run(dir: &Path, args: &[String], env: &[(String, String)], target: &Path, skipped: Vec<(String, u64, String)>) -> SuiteResult {
    let t = std::time::Instant::now();
    let mut cmd = crate::process::cargo();
    cmd.args(args).current_dir(dir).env("CARGO_TARGET_DIR", target).envs(env.iter().map(|(k, v)| (k, v)));
    let o = crate::process::output(&mut cmd, crate::process::limit::BUILD);
    let mut r = SuiteResult { command: format!("cargo {}", args.join(" ")), skipped, ..Default::default() };
    match o {
        Err(e) => r.error = Some(e.to_string()),
        Ok(o) => {
            let (stdout, stderr) = (o.stdout_text(), o.stderr_text());
            let (bins, failures) = parse(&stderr, &stdout);
            r.ran = !bins.is_empty();
            r.binaries = bins;
            r.failures = failures;
            if !r.ran {
                r.error = Some(crate::process::cargo_output::first_error(&stderr, 15));
            }
        }
    }
    r.wall_s = t.elapsed().as_secs_f64();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_binary_and_the_doctests_under_their_own_names() {
        let stderr = "   Compiling whisper-rs v0.16.0\n     Running unittests src/lib.rs (target/release/deps/whisper_rs-1)\n     Running tests/full.rs (target/release/deps/full-2)\n   Doc-tests whisper_rs\n";
        let stdout = "\nrunning 9 tests\ntest a ... ok\ntest b ... FAILED\n\ntest result: FAILED. 8 passed; 1 failed; 0 ignored; 0 measured; 12 filtered out; finished in 0.01s\n\nrunning 1 test\ntest c ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\nrunning 5 tests\ntest result: ok. 3 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.2s\n";
        let (b, f) = parse(stderr, stdout);
        assert_eq!(b[0], BinaryCounts { binary: "unittests src/lib.rs".into(), passed: 8, failed: 1, ignored: 0, filtered: 12 });
        assert_eq!(b[1], BinaryCounts { binary: "tests/full.rs".into(), passed: 1, failed: 0, ignored: 0, filtered: 0 });
        assert_eq!(b[2], BinaryCounts { binary: "doctests whisper_rs".into(), passed: 3, failed: 0, ignored: 2, filtered: 0 });
        assert_eq!(f, vec!["b".to_string()]);
        // A result without an announced binary keeps its place, not a wrong name.
        let (b, _) = parse("", stdout);
        assert_eq!(b[2].binary, "test binary 3 (not announced)");
        // A binary that dies mid-run: its block has no result; the next
        // binary's counts stay under the next name.
        let crashed = "\nrunning 9 tests\ntest a ... ok\n\nrunning 1 test\ntest c ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n";
        let (b, f) = parse(stderr, crashed);
        assert_eq!((b[0].binary.as_str(), b[0].failed), ("unittests src/lib.rs", 9));
        assert_eq!((b[1].binary.as_str(), b[1].passed), ("tests/full.rs", 1));
        assert!(f[0].starts_with("unittests src/lib.rs: stopped before printing its result"), "{f:?}");
    }
}
