//! Running external programs (cargo, ffmpeg, valgrind, gdb, python, the
//! repro binaries): the one way the harness starts a process.
//!
//! Every run has a time limit and is killed past it; stdout and stderr are
//! drained concurrently from the start (a child that fills one pipe while
//! the other is read would otherwise block forever), and kept up to
//! `KEEP_BYTES` each (the tail), so a chatty child cannot exhaust memory;
//! stdin is closed; every error carries the command line. Cargo is
//! `$CARGO` when the harness runs under cargo (`cargo()`).
//!
//! - `cargo_output.rs`: compiler errors out of `--message-format=json`
//!   (and out of plain text where cargo failed before compiling).

pub mod cargo_output;

use std::ffi::OsStr;
use std::io::Read;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

/// Limits by kind of command. A limit is a hang guard far above the
/// expected time, never a performance target.
pub mod limit {
    use std::time::Duration;
    /// Version queries, `git`, `ffprobe`, `strip`, `cp`, `patch`.
    pub const TOOL: Duration = Duration::from_secs(120);
    /// One probe or repro binary run (a transcription, a memory probe).
    pub const PROBE: Duration = Duration::from_secs(15 * 60);
    /// Media generation with ffmpeg, a `pip download`.
    pub const MEDIA: Duration = Duration::from_secs(30 * 60);
    /// A cargo build, bench or test suite (cold builds of whisper.cpp
    /// included), a run of the pipeline on long media.
    pub const BUILD: Duration = Duration::from_secs(90 * 60);
}

/// The most bytes kept of each stream (the last ones).
pub const KEEP_BYTES: usize = 16 << 20;

/// Why a command did not give an output.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot start `{command}`: {source}\n  fix: is `{program}` installed and on PATH, and does the folder it runs in exist?")]
    Start { command: String, program: String, source: std::io::Error },
    #[error("`{command}` ran past its limit of {limit_s:.1} s and was killed, with the processes it started; its last output:\n{tail}")]
    TimedOut { command: String, limit_s: f64, tail: String },
    #[error("waiting for `{command}`: {source}")]
    Wait { command: String, source: std::io::Error },
    #[error("`{command}` failed ({status}):\n{tail}")]
    Failed { command: String, status: String, tail: String },
    #[error("`{command}` printed what cargo_metadata cannot read: {reason}")]
    Metadata { command: String, reason: String },
}

/// `cargo metadata` of the project in `dir` (through the `cargo_metadata`
/// crate's command and parser), run under a limit like every command.
pub fn cargo_metadata(dir: &std::path::Path, extra: &[&str]) -> Result<cargo_metadata::Metadata, ProcessError> {
    let mut mc = cargo_metadata::MetadataCommand::new();
    mc.current_dir(dir).other_options(extra.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    if let Some(c) = std::env::var_os("CARGO") {
        mc.cargo_path(c);
    }
    let mut cmd = mc.cargo_command();
    let out = checked(&mut cmd, limit::BUILD)?;
    if out.truncated {
        return Err(ProcessError::Metadata { command: out.command, reason: format!("more than {KEEP_BYTES} bytes of output") });
    }
    let text = out.stdout_text();
    let json = text.lines().find(|l| l.starts_with('{')).unwrap_or("");
    cargo_metadata::MetadataCommand::parse(json).map_err(|e| ProcessError::Metadata { command: out.command, reason: e.to_string() })
}

/// What a finished command left.
#[derive(Debug, Clone)]
pub struct Finished {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub wall: Duration,
    /// Whether either stream printed more than `KEEP_BYTES` (only the tail
    /// is kept; a caller that parses the whole output must check this).
    pub truncated: bool,
}

impl Finished {
    /// stdout as text (lossy).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text (lossy).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The last `n` lines of stderr (of stdout when stderr is empty).
    pub fn tail(&self, n: usize) -> String {
        let text = if self.stderr.iter().all(u8::is_ascii_whitespace) { self.stdout_text() } else { self.stderr_text() };
        last_lines(&text, n)
    }

    /// `Ok` when the command exited with status 0, else `Failed`.
    pub fn success(self) -> Result<Finished, ProcessError> {
        if self.status.success() {
            Ok(self)
        } else {
            Err(ProcessError::Failed { command: self.command.clone(), status: describe(self.status), tail: self.tail(20) })
        }
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// An exit status as `exit N` or `signal N` (the form stored in evidence).
pub fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (None, Some(s)) => format!("signal {s}"),
        _ => "unknown".into(),
    }
}

/// The command line as a person would type it (arguments with spaces quoted).
pub fn command_line(cmd: &Command) -> String {
    let quote = |s: &OsStr| {
        let s = s.to_string_lossy();
        if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
            format!("'{}'", s.replace('\'', r"'\''"))
        } else {
            s.into_owned()
        }
    };
    std::iter::once(cmd.get_program()).chain(cmd.get_args()).map(quote).collect::<Vec<_>>().join(" ")
}

/// Cargo: `$CARGO` when the harness runs under cargo (the same toolchain),
/// else `cargo` from PATH.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// How long to wait for a stream's end after the process exited: a
/// grandchild that inherited the pipe (`sh -c 'sleep 30'`) can hold it open
/// long after; what was read by then is kept.
const PIPE_GRACE: Duration = Duration::from_secs(5);

/// A stream being drained: the bytes kept so far and whether it ended.
/// (bytes kept, ended, some bytes were dropped)
type Drained = Arc<(Mutex<(Vec<u8>, bool, bool)>, Condvar)>;

/// Keeps the last `KEEP_BYTES` of a stream, handing each complete line to
/// `on_line` as it arrives.
fn drain<R: Read + Send + 'static>(mut r: R, mut on_line: OnLine) -> Drained {
    let shared: Drained = Arc::new((Mutex::new((Vec::new(), false, false)), Condvar::new()));
    let s = Arc::clone(&shared);
    std::thread::spawn(move || {
        let (mut line, mut buf) = (Vec::new(), [0u8; 8192]);
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Some(f) = on_line.as_mut() {
                for &b in &buf[..n] {
                    if b == b'\n' {
                        f(&String::from_utf8_lossy(&line));
                        line.clear();
                    } else if line.len() < 1 << 20 {
                        line.push(b);
                    }
                }
            }
            let mut g = s.0.lock().unwrap_or_else(|p| p.into_inner());
            g.0.extend_from_slice(&buf[..n]);
            if g.0.len() > 2 * KEEP_BYTES {
                let cut = g.0.len() - KEEP_BYTES;
                g.0.drain(..cut);
                g.2 = true;
            }
        }
        if let (Some(f), false) = (on_line.as_mut(), line.is_empty()) {
            f(&String::from_utf8_lossy(&line));
        }
        let mut g = s.0.lock().unwrap_or_else(|p| p.into_inner());
        g.1 = true;
        s.1.notify_all();
    });
    shared
}

/// What a stream left: waits up to `grace` for its end, then takes what
/// was read (the last `KEEP_BYTES`) and whether anything was dropped.
fn take(d: Option<Drained>, grace: Duration) -> (Vec<u8>, bool) {
    let Some(d) = d else { return (Vec::new(), false) };
    let (lock, ended) = &*d;
    let g = lock.lock().unwrap_or_else(|p| p.into_inner());
    let (mut g, _) = ended.wait_timeout_while(g, grace, |(_, done, _)| !*done).unwrap_or_else(|p| p.into_inner());
    let mut kept = std::mem::take(&mut g.0);
    let truncated = g.2 || kept.len() > KEEP_BYTES;
    if kept.len() > KEEP_BYTES {
        kept.drain(..kept.len() - KEEP_BYTES);
    }
    (kept, truncated)
}

/// A started command whose pipes are being drained.
#[derive(Debug)]
pub struct Running {
    command: String,
    child: Child,
    started: Instant,
    out: Option<Drained>,
    err: Option<Drained>,
}

/// Sees each line of a stream as it is printed (a heartbeat, progress).
pub type OnLine = Option<Box<dyn FnMut(&str) + Send>>;

/// Starts `cmd` with stdin closed and both output pipes drained; `on_out`
/// and `on_err` see each stdout and stderr line as it is printed.
pub fn spawn(cmd: &mut Command, on_out: OnLine, on_err: OnLine) -> Result<Running, ProcessError> {
    let command = command_line(cmd);
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|source| ProcessError::Start {
        command: command.clone(),
        program: cmd.get_program().to_string_lossy().into_owned(),
        source,
    })?;
    let out: Option<ChildStdout> = child.stdout.take();
    let err: Option<ChildStderr> = child.stderr.take();
    Ok(Running { command, started: Instant::now(), out: out.map(|o| drain(o, on_out)), err: err.map(|e| drain(e, on_err)), child })
}

impl Running {
    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The exit status, if it has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Kills the process (if still running) and every process it started
    /// (cargo's rustc and bench binaries, a shell's children), then
    /// collects what it printed.
    pub fn kill(mut self) -> Finished {
        kill_descendants(self.child.id());
        let _ = self.child.kill();
        let status = self.child.wait().unwrap_or_else(|_| std::os::unix::process::ExitStatusExt::from_raw(9));
        self.collect(status)
    }

    /// Waits up to `limit` from the start; kills it past that.
    pub fn wait(self, limit: Duration) -> Result<Finished, ProcessError> {
        match self.wait_or_kill(limit)? {
            (f, false) => Ok(f),
            (f, true) => Err(ProcessError::TimedOut { command: f.command.clone(), limit_s: limit.as_secs_f64(), tail: f.tail(10) }),
        }
    }

    /// Waits up to `limit` from the start; past it, kills it and returns
    /// what it printed until then, with `true`: for a tool whose partial
    /// output is a result in itself (helgrind's reports so far).
    pub fn wait_or_kill(mut self, limit: Duration) -> Result<(Finished, bool), ProcessError> {
        let left = limit.saturating_sub(self.started.elapsed());
        match self.child.wait_timeout(left) {
            Ok(Some(status)) => Ok((self.collect(status), false)),
            Ok(None) => Ok((self.kill(), true)),
            Err(source) => {
                let f = self.kill();
                Err(ProcessError::Wait { command: f.command, source })
            }
        }
    }

    fn collect(&mut self, status: ExitStatus) -> Finished {
        let wall = self.started.elapsed();
        let ((stdout, t_out), (stderr, t_err)) = (take(self.out.take(), PIPE_GRACE), take(self.err.take(), PIPE_GRACE));
        Finished { command: self.command.clone(), status, stdout, stderr, wall, truncated: t_out || t_err }
    }
}

/// The processes descended from `pid`, from /proc (children before the
/// children's children).
fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
            Some((p, ppid))
        })
        .collect();
    let mut out = vec![];
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for &(c, _) in parents.iter().filter(|(_, pp)| *pp == p) {
            out.push(c);
            frontier.push(c);
        }
    }
    out
}

/// SIGKILLs every process descended from `pid` (not `pid` itself). Not a
/// process group: children stay in the terminal's group, so Ctrl-C still
/// reaches them.
fn kill_descendants(pid: u32) {
    for d in descendants(pid) {
        // SAFETY: kill(2) with a pid read from /proc; a pid that has exited
        // meanwhile gives ESRCH, which is ignored.
        unsafe {
            libc::kill(d as libc::pid_t, libc::SIGKILL);
        }
    }
}

/// Runs `cmd` to the end or `limit`, whatever its exit status.
pub fn output(cmd: &mut Command, limit: Duration) -> Result<Finished, ProcessError> {
    spawn(cmd, None, None)?.wait(limit)
}

/// Runs `cmd` to the end or `limit`; a non-zero exit is an error with the
/// command line and the end of its output.
pub fn checked(cmd: &mut Command, limit: Duration) -> Result<Finished, ProcessError> {
    output(cmd, limit)?.success()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn both_pipes_are_drained_while_the_child_runs() {
        // 1 MiB to each stream: far above a pipe's 64 KiB, so a runner that
        // reads one stream after the other would block here.
        let f = checked(&mut sh("head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2"), limit::TOOL).unwrap();
        assert_eq!((f.stdout.len(), f.stderr.len()), (1 << 20, 1 << 20));
    }

    #[test]
    fn a_command_past_its_limit_is_killed_with_its_children_and_named() {
        let t = Instant::now();
        let e = output(&mut sh("echo started; sleep 30"), Duration::from_millis(300)).unwrap_err().to_string();
        // The grandchild `sleep` holds the pipes: killed too, nothing waits 30 s.
        assert!(t.elapsed() < Duration::from_secs(4), "killed with its child, not waited for: {:?}", t.elapsed());
        assert!(e.contains("sh -c 'echo started; sleep 30'") && e.contains("limit") && e.contains("started"), "{e}");
    }

    #[test]
    fn a_command_killed_at_its_limit_can_still_leave_what_it_printed() {
        let (f, killed) = spawn(&mut sh("echo report >&2; sleep 30"), None, None).unwrap().wait_or_kill(Duration::from_secs(2)).unwrap();
        assert!(killed);
        assert_eq!(f.stderr_text().trim(), "report");
        let (f, killed) = spawn(&mut sh("echo done"), None, None).unwrap().wait_or_kill(limit::TOOL).unwrap();
        assert!(!killed && f.status.success());
    }

    #[test]
    fn a_failure_carries_the_command_line_status_and_output() {
        let e = checked(&mut sh("echo why >&2; exit 3"), limit::TOOL).unwrap_err().to_string();
        assert!(e.contains("exit 3") && e.contains("why") && e.contains("sh -c"), "{e}");
        let e = checked(&mut Command::new("no-such-program-here"), limit::TOOL).unwrap_err().to_string();
        assert!(e.contains("cannot start `no-such-program-here`") && e.contains("fix:"), "{e}");
    }

    #[test]
    fn stdout_lines_reach_the_callback_as_printed() {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = std::sync::Arc::clone(&seen);
        let r = spawn(&mut sh("echo one; echo two; printf three"), Some(Box::new(move |l: &str| s.lock().unwrap().push(l.to_string()))), None).unwrap();
        r.wait(limit::TOOL).unwrap();
        assert_eq!(*seen.lock().unwrap(), ["one", "two", "three"]);
    }

    #[test]
    fn only_the_tail_of_a_huge_output_is_kept() {
        let f = checked(&mut sh(&format!("head -c {} /dev/zero; echo END", 3 * KEEP_BYTES)), limit::TOOL).unwrap();
        assert!(f.stdout.len() <= KEEP_BYTES && f.stdout.ends_with(b"END\n"), "{}", f.stdout.len());
        assert!(f.truncated);
        assert!(!checked(&mut sh("echo small"), limit::TOOL).unwrap().truncated);
    }
}
