//! Instruction counts: a program run under valgrind's cachegrind without
//! cache simulation, every thread included. Deterministic where wall-clock
//! time on a shared machine is not, so it decides differences of 1% or less.

use std::path::Path;
use std::process::Command;

/// The valgrind arguments every count uses (also recorded with the evidence).
pub const TOOL: [&str; 3] = ["--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"];

/// Parses cachegrind's `I refs` line (e.g. `==12== I   refs:      1,234`).
pub fn parse_i_refs(stderr: &str) -> Option<u64> {
    let line = stderr.lines().find(|l| l.contains("I   refs:") || l.contains("I refs:"))?;
    line.split(':').nth(1)?.trim().replace(',', "").parse().ok()
}

/// Instructions executed by `exe args...` under valgrind.
pub fn count(exe: &Path, args: &[&str]) -> Result<u64, String> {
    let mut cmd = Command::new("valgrind");
    cmd.args(TOOL).arg(exe).args(args).env("RUST_LOG", "error");
    let o = crate::process::output(&mut cmd, crate::process::limit::PROBE)
        .map_err(|e| format!("{e} (valgrind: `apt-get install valgrind`; scripts/setup.sh does)"))?;
    let err = String::from_utf8_lossy(&o.stderr);
    let what = || format!("valgrind {} {}", exe.display(), args.join(" "));
    if !o.status.success() {
        let tail: Vec<&str> = err.lines().rev().take(15).collect();
        return Err(format!("{}: {}\n{}", what(), o.status, tail.into_iter().rev().collect::<Vec<_>>().join("\n")));
    }
    parse_i_refs(&err).ok_or_else(|| format!("no `I refs` in the output of {}: {}", what(), err.lines().rev().take(5).collect::<Vec<_>>().join(" | ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cachegrinds_instruction_total() {
        let err = "==4242== Cachegrind, a cache and branch-prediction profiler\n==4242== \n==4242== I   refs:      1,234,567,890\n";
        assert_eq!(parse_i_refs(err), Some(1_234_567_890));
        assert_eq!(parse_i_refs("no count here"), None);
    }
}
