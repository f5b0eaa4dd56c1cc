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

/// The threads of this process.
pub fn thread_states() -> Vec<ThreadState> {
    let ticks = 100.0; // USER_HZ on Linux
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return out };
    for e in dir.flatten() {
        let tid: u32 = e.file_name().to_string_lossy().parse().unwrap_or(0);
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // The name is in parentheses and may contain spaces.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let name = stat[open + 1..close].to_string();
        let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let field = |i: usize| rest.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        out.push(ThreadState {
            tid,
            name,
            state: rest.first().unwrap_or(&"?").to_string(),
            cpu_s: (field(11) + field(12)) / ticks,
            wchan: std::fs::read_to_string(e.path().join("wchan")).unwrap_or_default(),
        });
    }
    out.sort_by_key(|t| t.tid);
    out
}

/// gdb's `thread apply all bt` of this process, killed after `timeout`.
pub fn gdb_backtraces(timeout: Duration) -> Result<String, String> {
    let pid = std::process::id().to_string();
    let out = Command::new("timeout")
        .args(["--kill-after=5", &format!("{}", timeout.as_secs().max(1))])
        .args(["gdb", "-nx", "-p", &pid, "-batch", "-ex", "set pagination off", "-ex", "thread apply all bt"])
        .output()
        .map_err(|e| format!("cannot run gdb: {e} (apt-get install gdb)"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.contains("Thread") {
        Ok(text)
    } else {
        Err(format!("gdb gave no stacks (exit {:?}): {}", out.status.code(), String::from_utf8_lossy(&out.stderr).trim()))
    }
}
