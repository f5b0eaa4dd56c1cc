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

/// Why a count could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum CountError {
    #[error("{0}\n  fix: `apt-get install valgrind` (scripts/setup.sh does)")]
    Run(#[source] crate::process::ProcessError),
    #[error("`{command}` failed ({status}):\n{tail}")]
    Failed { command: String, status: String, tail: String },
    #[error("no `I refs` in the output of `{command}`: {tail}")]
    NoCount { command: String, tail: String },
}

/// Instructions executed by `exe args...` under valgrind.
pub fn count(exe: &Path, args: &[&str]) -> Result<u64, CountError> {
    let mut cmd = Command::new("valgrind");
    cmd.args(TOOL).arg(exe).args(args).env("RUST_LOG", "error");
    let o = crate::process::output(&mut cmd, crate::process::limit::PROBE).map_err(CountError::Run)?;
    let err = String::from_utf8_lossy(&o.stderr);
    let command = || format!("valgrind {} {}", exe.display(), args.join(" "));
    let tail = |n: usize, sep: &str| err.lines().rev().take(n).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join(sep);
    if !o.status.success() {
        return Err(CountError::Failed { command: command(), status: o.status.to_string(), tail: tail(15, "\n") });
    }
    parse_i_refs(&err).ok_or_else(|| CountError::NoCount { command: command(), tail: tail(5, " | ") })
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
