//! One trial: run the race cell in its own process, watch its JSON lines,
//! and record what happened: finished, crashed (signal or abort), or
//! stalled. Progress is an event (a state created, a progress callback, a
//! worker done) or a rise in the encoder and decoder passes the cell's `tick`
//! lines count;
//! a trial without progress for the stall limit, or over the time limit, is
//! stopped. Before killing it, record whether its threads were burning CPU
//! or asleep (blocked: a deadlock), with gdb's stacks, and whether passes
//! were still completing (starved but progressing) or not (a livelock
//! when CPU burns).

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::matrix::Cell;
use crate::measure::stacks;

/// How a trial ended, as observed (the verdict comes later, from all trials).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// Every worker finished and the process exited 0.
    Finished,
    /// Killed by a signal or aborted (non-zero exit).
    Crashed,
    /// No heartbeat for the stall limit, or over the time limit.
    Stalled,
}

/// The threads of a stalled process.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StallSnapshot {
    /// Threads in state R (running) / S or D (sleeping).
    pub running: usize,
    pub sleeping: usize,
    /// Process CPU seconds consumed per wall second over one second of
    /// observation: ~cores when spinning, ~0 when blocked.
    pub cpu_per_s: f64,
    /// Per-thread `tid state cpu_s wchan name` lines.
    pub threads: Vec<String>,
    /// gdb `thread apply all bt` (bounded), trimmed.
    pub stacks: String,
}

/// One trial's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trial {
    pub ending: Ending,
    pub exit: String,
    pub wall_s: f64,
    pub cpu_s: f64,
    pub states_created: usize,
    pub workers_done: usize,
    pub progress_events: usize,
    /// Transcripts of the workers that finished.
    pub texts: Vec<String>,
    pub stall: Option<StallSnapshot>,
    pub stderr_tail: String,
    /// `(seconds, encoder and decoder passes completed)` once a second (empty in evidence
    /// from before the cell counted passes).
    #[serde(default)]
    pub ticks: Vec<(f64, u64)>,
    /// Why a stalled trial was stopped (`None` in evidence from before
    /// passes were counted).
    #[serde(default)]
    pub stopped_for: Option<Stop>,
    /// Seconds without progress when it was stopped.
    #[serde(default)]
    pub quiet_s: Option<f64>,
}

/// Why the watcher stopped a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stop {
    /// No event and no rise of the pass count for the stall limit.
    NoProgress,
    /// Still progressing, but over the time limit.
    TimeLimit,
}

/// `exit N` or `signal N`.
pub fn describe_exit(status: std::process::ExitStatus) -> String {
    crate::process::describe(status)
}

fn snapshot(pid: u32, gdb_timeout: Duration) -> StallSnapshot {
    let c0 = stacks::process_cpu_s(pid);
    std::thread::sleep(Duration::from_secs(1));
    let cpu_per_s = stacks::process_cpu_s(pid) - c0;
    let threads = stacks::thread_states_of(Some(pid));
    let running = threads.iter().filter(|t| t.state == "R").count();
    StallSnapshot {
        running,
        sleeping: threads.len() - running,
        cpu_per_s,
        threads: threads.iter().map(|t| format!("{} {} {:.2} {} {}", t.tid, t.state, t.cpu_s, t.wchan, t.name)).collect(),
        stacks: match stacks::gdb_backtraces_of(Some(pid), 12, gdb_timeout) {
            Ok(bt) => bt.lines().filter(|l| l.starts_with("Thread ") || l.starts_with('#')).collect::<Vec<_>>().join("\n"),
            Err(e) => format!("({e})"),
        },
    }
}

/// Runs one trial of `cell` with `exe`, bounded by `limit` overall and
/// `stall` without a heartbeat.
pub fn run(exe: &Path, model: &Path, clip: &Path, cell: &Cell, limit: Duration, stall: Duration) -> Trial {
    let t0 = Instant::now();
    let last_beat = Arc::new(AtomicU64::new(0));
    let counts = Arc::new(Mutex::new((0usize, 0usize, 0usize, Vec::<String>::new())));
    let ticks = Arc::new(Mutex::new(Vec::<(f64, u64)>::new()));
    let on_line: crate::process::OnLine = {
        let (last_beat, counts, ticks) = (Arc::clone(&last_beat), Arc::clone(&counts), Arc::clone(&ticks));
        Some(Box::new(move |line: &str| {
            let now = t0.elapsed();
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { return };
            if v["event"] == "tick" {
                // A tick is progress only when the pass count rose.
                let passes = v["passes"].as_u64().unwrap_or(0);
                let mut t = ticks.lock().expect("ticks");
                if t.last().is_none_or(|(_, n)| passes > *n) {
                    last_beat.store(now.as_millis() as u64, Ordering::Relaxed);
                }
                t.push((now.as_secs_f64(), passes));
                return;
            }
            last_beat.store(now.as_millis() as u64, Ordering::Relaxed);
            let mut c = counts.lock().expect("counts");
            match v["event"].as_str() {
                Some("created") => c.0 += 1,
                Some("done") => {
                    c.1 += 1;
                    c.3.push(v["text"].as_str().unwrap_or("").to_string());
                }
                Some("progress") => c.2 += 1,
                _ => {}
            }
        }))
    };
    let mut cmd = Command::new(exe);
    cmd.arg(model)
        .arg(clip)
        .arg(cell.k.to_string())
        .arg(cell.n_threads.to_string())
        .arg(cell.phase.as_str())
        .arg(cell.guard.as_str())
        .env("GGML_NO_BACKTRACE", "1");
    let cpu0 = crate::measure::clock::children_cpu_s();
    let mut child = match crate::process::spawn(&mut cmd, on_line, None) {
        Ok(c) => c,
        Err(e) => {
            return Trial {
                ending: Ending::Crashed,
                exit: e.to_string(),
                wall_s: 0.0,
                cpu_s: 0.0,
                states_created: 0,
                workers_done: 0,
                progress_events: 0,
                texts: vec![],
                stall: None,
                stderr_tail: String::new(),
                ticks: vec![],
                stopped_for: None,
                quiet_s: None,
            }
        }
    };
    let pid = child.id();
    let (ending, exit, snap, finished, stopped) = loop {
        if child.try_wait().is_some() {
            // Exited: collect what it printed (the pipes close with it).
            let f = child.wait(limit + Duration::from_secs(60)).ok();
            let status = f.as_ref().map(|f| f.status);
            let ending = if status.is_some_and(|s| s.success()) { Ending::Finished } else { Ending::Crashed };
            break (ending, status.map_or("no exit status".into(), describe_exit), None, f, None);
        }
        let idle = t0.elapsed().saturating_sub(Duration::from_millis(last_beat.load(Ordering::Relaxed)));
        if idle > stall || t0.elapsed() > limit {
            let stop = if idle > stall { Stop::NoProgress } else { Stop::TimeLimit };
            let snap = snapshot(pid, Duration::from_secs(20));
            let f = child.kill();
            let why = match stop {
                Stop::NoProgress => format!("no progress for {} s", stall.as_secs()),
                Stop::TimeLimit => format!("over the {} s limit", limit.as_secs()),
            };
            break (Ending::Stalled, format!("killed: {why}"), Some(snap), Some(f), Some((stop, idle.as_secs_f64())));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let wall_s = t0.elapsed().as_secs_f64();
    let cpu_s = crate::measure::clock::children_cpu_s() - cpu0;
    let stderr_tail = finished.map(|f| crate::process::Finished { stdout: vec![], ..f }.tail(6)).unwrap_or_default();
    let c = counts.lock().expect("counts").clone();
    let ticks = ticks.lock().expect("ticks").clone();
    Trial {
        ending,
        exit,
        wall_s,
        cpu_s,
        states_created: c.0,
        workers_done: c.1,
        progress_events: c.2,
        texts: c.3,
        stall: snap,
        stderr_tail,
        ticks,
        stopped_for: stopped.map(|s| s.0),
        quiet_s: stopped.map(|s| s.1),
    }
}
