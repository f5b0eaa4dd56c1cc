//! The progress watchdog: every worker beats while it works; a worker that
//! has not beaten for `stall_s` is reported once, with all-thread stacks,
//! so the run can mark its file hung and finish instead of hanging.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::measure::stacks;

const IDLE: usize = usize::MAX;

struct Slot {
    last_ms: AtomicU64,
    file: AtomicUsize,
    stage: Mutex<&'static str>,
    reported: AtomicBool,
}

/// Heartbeats of all workers.
pub struct Heartbeats {
    start: Instant,
    slots: Vec<Slot>,
}

impl std::fmt::Debug for Heartbeats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Heartbeats").field("workers", &self.slots.len()).finish()
    }
}

/// A stalled worker, with what was captured.
#[derive(Debug)]
pub struct Stall {
    pub file: usize,
    pub stage: String,
    pub idle_s: f64,
    /// gdb backtraces and /proc thread states, as text.
    pub stacks: String,
}

impl Heartbeats {
    /// Slots for `workers` workers.
    pub fn new(workers: usize) -> Arc<Self> {
        Arc::new(Heartbeats {
            start: Instant::now(),
            slots: (0..workers)
                .map(|_| Slot { last_ms: AtomicU64::new(0), file: AtomicUsize::new(IDLE), stage: Mutex::new("idle"), reported: AtomicBool::new(false) })
                .collect(),
        })
    }

    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Worker `w` started file `file`.
    pub fn begin(&self, w: usize, file: usize) {
        let s = &self.slots[w];
        s.reported.store(false, Ordering::Relaxed);
        s.last_ms.store(self.now_ms(), Ordering::Relaxed);
        s.file.store(file, Ordering::Relaxed);
    }

    /// Worker `w` made progress in `stage`.
    pub fn beat(&self, w: usize, stage: &'static str) {
        let s = &self.slots[w];
        s.last_ms.store(self.now_ms(), Ordering::Relaxed);
        if let Ok(mut g) = s.stage.try_lock() {
            *g = stage;
        }
    }

    /// Worker `w` is between files.
    pub fn end(&self, w: usize) {
        self.slots[w].file.store(IDLE, Ordering::Relaxed);
    }
}

/// Watches the heartbeats until `stop` is set; sends each stall once.
pub fn spawn(hb: Arc<Heartbeats>, stall: Duration, gdb_timeout: Duration, tx: mpsc::Sender<Stall>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    stacks::allow_self_debugging();
    std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let now = hb.now_ms();
                for (worker, s) in hb.slots.iter().enumerate() {
                    let file = s.file.load(Ordering::Relaxed);
                    if file == IDLE || s.reported.load(Ordering::Relaxed) {
                        continue;
                    }
                    let idle = now.saturating_sub(s.last_ms.load(Ordering::Relaxed));
                    if idle as u128 >= stall.as_millis() {
                        s.reported.store(true, Ordering::Relaxed);
                        let stage = s.stage.lock().map(|g| g.to_string()).unwrap_or_default();
                        let mut text = String::new();
                        text += &format!(
                            "stall: file #{file} on thread `file-worker-{worker}`, stage `{stage}`, no progress for {:.1} s\n\n",
                            idle as f64 / 1e3
                        );
                        text += "== threads (/proc/self/task): tid state cpu_s wchan name ==\n";
                        for t in stacks::thread_states() {
                            text += &format!("{:>7} {} {:>9.3} {:<24} {}\n", t.tid, t.state, t.cpu_s, t.wchan, t.name);
                        }
                        text += "\n== gdb: thread apply all bt ==\n";
                        match stacks::gdb_backtraces(gdb_timeout) {
                            Ok(bt) => text += &bt,
                            Err(e) => text += &format!("(no backtraces: {e})\n"),
                        }
                        let _ = tx.send(Stall { file, stage, idle_s: idle as f64 / 1e3, stacks: text });
                    }
                }
            }
        })
        .expect("spawn watchdog thread")
}
