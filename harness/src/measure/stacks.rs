//! All-thread stacks of this process, for stalls: gdb's backtraces (bounded
//! in time) plus each thread's state and CPU time from /proc, which tell a
//! spinning thread (running, CPU time growing) from a blocked one (sleeping
//! on a futex or lock).

use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Allows a debugger started by this process to attach to it (Yama's
/// ptrace_scope 1 otherwise forbids a child from tracing its parent).
pub fn allow_self_debugging() {
    // SAFETY: prctl with PR_SET_PTRACER only changes this process's policy.
    unsafe {
        libc::prctl(libc::PR_SET_PTRACER, libc::PR_SET_PTRACER_ANY, 0, 0, 0);
    }
}

/// One thread as /proc sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadState {
    pub tid: u32,
    pub name: String,
    /// R running, S sleeping, D disk wait, ...
    pub state: String,
    pub cpu_s: f64,
    /// Kernel wait channel (e.g. `futex_wait_queue`), where readable.
    pub wchan: String,
}

/// Fields after the `(name)` of a `/proc/.../stat` line, and the name.
fn parse_stat(stat: &str) -> Option<(String, Vec<&str>)> {
    // The name is in parentheses and may contain spaces.
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    Some((stat[open + 1..close].to_string(), stat[close + 1..].split_whitespace().collect()))
}

/// user + system CPU seconds from the fields after the name (USER_HZ = 100).
fn cpu_of(rest: &[&str]) -> f64 {
    let field = |i: usize| rest.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (field(11) + field(12)) / 100.0
}

/// CPU seconds used so far by process `pid` (all its threads).
pub fn process_cpu_s(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().as_deref().and_then(parse_stat).map_or(0.0, |(_, rest)| cpu_of(&rest))
}

/// The threads of process `pid` (`None`: this process).
pub fn thread_states_of(pid: Option<u32>) -> Vec<ThreadState> {
    let dir = match pid {
        Some(p) => format!("/proc/{p}/task"),
        None => "/proc/self/task".to_string(),
    };
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let Some((name, rest)) = parse_stat(&stat) else { continue };
        out.push(ThreadState {
            tid: e.file_name().to_string_lossy().parse().unwrap_or(0),
            name,
            state: rest.first().unwrap_or(&"?").to_string(),
            cpu_s: cpu_of(&rest),
            wchan: std::fs::read_to_string(e.path().join("wchan")).unwrap_or_default(),
        });
    }
    out.sort_by_key(|t| t.tid);
    out
}

/// The threads of this process.
pub fn thread_states() -> Vec<ThreadState> {
    thread_states_of(None)
}

/// Why gdb gave no stacks.
#[derive(Debug, thiserror::Error)]
pub enum GdbError {
    #[error("{0}\n  fix: apt-get install gdb")]
    Run(#[source] crate::process::ProcessError),
    #[error("gdb gave no stacks (exit {code:?}): {stderr}")]
    NoStacks { code: Option<i32>, stderr: String },
}

/// gdb's `thread apply all bt` of process `pid` (`None`: this process),
/// at most `frames` frames per thread (0: all), killed after `timeout`.
pub fn gdb_backtraces_of(pid: Option<u32>, frames: usize, timeout: Duration) -> Result<String, GdbError> {
    let pid = pid.unwrap_or_else(std::process::id).to_string();
    let bt = if frames == 0 { "thread apply all bt".to_string() } else { format!("thread apply all bt {frames}") };
    // gdb gets SIGTERM first (`timeout`), so it detaches and the traced
    // process runs on; a SIGKILL to gdb could leave it stopped. The process
    // module's limit is the backstop.
    let mut cmd = Command::new("timeout");
    cmd.args(["--kill-after=5", &format!("{}", timeout.as_secs().max(1))]).args(["gdb", "-nx", "-p", &pid, "-batch", "-ex", "set pagination off", "-ex", &bt]);
    let out = crate::process::output(&mut cmd, timeout + Duration::from_secs(15)).map_err(GdbError::Run)?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.contains("Thread") {
        Ok(text)
    } else {
        Err(GdbError::NoStacks { code: out.status.code(), stderr: String::from_utf8_lossy(&out.stderr).trim().to_string() })
    }
}

/// gdb's `thread apply all bt` of this process, killed after `timeout`.
pub fn gdb_backtraces(timeout: Duration) -> Result<String, GdbError> {
    gdb_backtraces_of(None, 0, timeout)
}
