//! The C side under valgrind's helgrind: concurrent `create_state` + `full`
//! (K = 2, one ggml thread each, no lock). Helgrind sees pthread locks in C;
//! it does not understand Rust's futex-based `std::sync` locks nor ggml's
//! atomics-based barrier, so some reports are false positives; each distinct
//! report is summarised by where it is and a judgement of harm. The cell is
//! built AVX2-only for this (valgrind 3.19 cannot decode AVX-512).

use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

/// One distinct race report (grouped by its top frames).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RaceReport {
    pub kind: String,
    pub count: usize,
    /// The first frames of the access, innermost first.
    pub frames: Vec<String>,
}

/// The summary kept as evidence (the raw log is large).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelgrindSummary {
    pub command: String,
    pub exit: String,
    pub wall_s: f64,
    pub errors_line: String,
    pub reports: Vec<RaceReport>,
    /// Killed at the time limit (the reports are those made until then);
    /// absent in evidence from before it was recorded.
    #[serde(default)]
    pub killed: Option<bool>,
}

fn frame_fn(line: &str) -> Option<String> {
    // "==123==    at 0x4C2E: whisper_init_state (whisper.cpp:812)" or "by 0x..: f (file:line)"
    let rest = line.split("==").nth(2)?.trim();
    let rest = rest.strip_prefix("at ").or_else(|| rest.strip_prefix("by "))?;
    let (_, f) = rest.split_once(": ")?;
    Some(f.trim().to_string())
}

/// Parses a helgrind log into distinct reports.
pub fn parse(log: &str) -> (Vec<RaceReport>, String) {
    let lines: Vec<&str> = log.lines().collect();
    let mut reports: Vec<RaceReport> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if let Some(pos) = l.find("Possible data race during ") {
            let kind = l[pos..].split(" at 0x").next().unwrap_or("").trim().to_string();
            let mut frames = Vec::new();
            let mut j = i + 1;
            while j < lines.len() && frames.len() < 4 {
                match frame_fn(lines[j]) {
                    Some(f) => frames.push(f),
                    None if !frames.is_empty() => break,
                    None => {}
                }
                j += 1;
            }
            match reports.iter_mut().find(|r| r.kind == kind && r.frames == frames) {
                Some(r) => r.count += 1,
                None => reports.push(RaceReport { kind, count: 1, frames }),
            }
            i = j;
        } else {
            i += 1;
        }
    }
    reports.sort_by_key(|r| std::cmp::Reverse(r.count));
    let errors = lines.iter().rev().find(|l| l.contains("ERROR SUMMARY")).map(|l| l.split("==").nth(2).unwrap_or(l).trim().to_string()).unwrap_or_default();
    (reports, errors)
}

/// Runs the cell under helgrind (bounded by `timeout_s`).
pub fn run(exe: &Path, model: &Path, clip: &Path, timeout_s: u64) -> Result<HelgrindSummary, crate::claims::ClaimError> {
    let t = std::time::Instant::now();
    let args = ["--tool=helgrind", "--error-limit=no", "--num-callers=8", "--history-level=approx"];
    let mut cmd = Command::new("valgrind");
    cmd.args(args).arg(exe).arg(model).arg(clip).args(["2", "1", "both", "none"]).env("GGML_NO_BACKTRACE", "1");
    // Past the limit the process module kills valgrind (SIGKILL: valgrind
    // may defer SIGTERM while its client is blocked); the reports printed
    // until then are kept, and the report says the run did not end.
    let (out, killed) = crate::process::spawn(&mut cmd, None, None)?.wait_or_kill(std::time::Duration::from_secs(timeout_s))?;
    let log = String::from_utf8_lossy(&out.stderr);
    let (reports, errors_line) = parse(&log);
    Ok(HelgrindSummary {
        command: format!("valgrind {} {} MODEL CLIP 2 1 both none", args.join(" "), exe.display()),
        exit: format!("{:?}", out.status.code()),
        wall_s: t.elapsed().as_secs_f64(),
        errors_line,
        reports,
        killed: Some(killed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_reports_by_kind_and_frames() {
        let log = "==1== Possible data race during write of size 8 at 0x10 by thread #3\n==1== Locks held: none\n==1==    at 0x1: ggml_log_set (ggml.c:10)\n==1==    by 0x2: whisper_init_state (whisper.cpp:20)\n==1== \n\
                   ==1== Possible data race during write of size 8 at 0x18 by thread #4\n==1==    at 0x1: ggml_log_set (ggml.c:10)\n==1==    by 0x2: whisper_init_state (whisper.cpp:20)\n\
                   ==1== ERROR SUMMARY: 2 errors from 1 contexts (suppressed: 0 from 0)\n";
        let (r, e) = parse(log);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].count, 2);
        assert_eq!(r[0].frames, vec!["ggml_log_set (ggml.c:10)", "whisper_init_state (whisper.cpp:20)"]);
        assert!(e.starts_with("ERROR SUMMARY: 2 errors"));
    }
}
