//! The progress watchdog. Every worker beats while it works; the watchdog
//! judges a silent worker by `measure::liveness` (the rule the whisper-rs
//! race judge uses too):
//! - silent, but its threads use CPU: *slow* (noted in `run.json`, the file
//!   goes on), up to `watchdog.busy_limit_s`, after which it is hung (a
//!   livelock must not run forever);
//! - silent with its threads asleep: *hung*, reported once with all-thread
//!   stacks, so the run can mark the file and finish;
//! - queued for a shared model (`Shared` tells us): progressing while some
//!   other worker progresses, hung when none does.
//!
//! A worker's threads are the threads named after it: the worker itself and
//! the native pools it starts (ggml's per-call threads, a per-worker ONNX
//! Runtime session's intra-op pool), which inherit the creating thread's
//! name on Linux.
//!
//! Stack captures stop the whole process (gdb attaches to every thread).
//! The time they take is added back to every worker's clock and the CPU
//! windows restart, so a capture never makes another worker look silent.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::evidence::run::{BeatGaps, SlowEpisode, WatchdogStats};
use crate::measure::liveness::{self, CpuWindow, Liveness};
use crate::measure::stacks;

const IDLE: usize = usize::MAX;
/// The beat-interval bucket for time spent queued for a shared model.
const WAITING: &str = "(queued for a shared model)";
/// How often the watchdog looks.
const TICK: Duration = Duration::from_millis(200);

/// The thread name of worker `w`; the watchdog attributes CPU by it.
pub fn worker_thread_name(w: usize) -> String {
    format!("file-worker-{w}")
}

#[derive(Debug, Default, Clone, Copy)]
struct GapAcc {
    beats: u64,
    total_ms: u64,
    max_ms: u64,
}

struct Slot {
    last_ms: AtomicU64,
    file: AtomicUsize,
    stage: Mutex<&'static str>,
    waiting: Mutex<Option<&'static str>>,
    gaps: Mutex<BTreeMap<&'static str, GapAcc>>,
}

/// Heartbeats of all workers.
pub struct Heartbeats {
    start: Instant,
    slots: Vec<Slot>,
    captures: AtomicUsize,
    paused_ms: AtomicU64,
}

impl std::fmt::Debug for Heartbeats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Heartbeats").field("workers", &self.slots.len()).finish()
    }
}

/// A hung worker, with what was captured.
#[derive(Debug)]
pub struct Stall {
    pub file: usize,
    pub stage: String,
    pub idle_s: f64,
    /// Why it counts as hung, with the figures.
    pub reason: String,
    /// gdb backtraces and /proc thread states, as text.
    pub stacks: String,
}

/// What the watchdog tells the run.
#[derive(Debug)]
pub enum Report {
    /// The file is hung: mark it and stop waiting for it.
    Hung(Stall),
    /// The file is slow (silent, but using CPU); it goes on.
    Slow { file: usize, episode: SlowEpisode },
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Heartbeats {
    /// Slots for `workers` workers.
    pub fn new(workers: usize) -> Arc<Self> {
        Arc::new(Heartbeats {
            start: Instant::now(),
            slots: (0..workers)
                .map(|_| Slot {
                    last_ms: AtomicU64::new(0),
                    file: AtomicUsize::new(IDLE),
                    stage: Mutex::new("idle"),
                    waiting: Mutex::new(None),
                    gaps: Mutex::new(BTreeMap::new()),
                })
                .collect(),
            captures: AtomicUsize::new(0),
            paused_ms: AtomicU64::new(0),
        })
    }

    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Worker `w` started file `file`.
    pub fn begin(&self, w: usize, file: usize) {
        let s = &self.slots[w];
        *lock(&s.stage) = "open";
        *lock(&s.waiting) = None;
        s.last_ms.store(self.now_ms(), Ordering::Relaxed);
        s.file.store(file, Ordering::Relaxed);
    }

    /// Records the interval since `w`'s last beat under `bucket`.
    fn close_gap(&self, w: usize, bucket: &'static str) {
        let s = &self.slots[w];
        let now = self.now_ms();
        let gap = now.saturating_sub(s.last_ms.swap(now, Ordering::Relaxed));
        let mut gaps = lock(&s.gaps);
        let acc = gaps.entry(bucket).or_default();
        acc.beats += 1;
        acc.total_ms += gap;
        acc.max_ms = acc.max_ms.max(gap);
    }

    /// Worker `w` made progress and is now in `stage`. The interval since
    /// its previous beat is counted for the stage it was in.
    pub fn beat(&self, w: usize, stage: &'static str) {
        let was = std::mem::replace(&mut *lock(&self.slots[w].stage), stage);
        self.close_gap(w, was);
    }

    /// Worker `w` starts (`Some(resource)`) or stops (`None`) waiting for a
    /// shared model that another worker holds.
    pub fn set_waiting(&self, w: usize, on: Option<&'static str>) {
        let s = &self.slots[w];
        match on {
            Some(_) => {
                let stage = *lock(&s.stage);
                self.close_gap(w, stage);
            }
            None => self.close_gap(w, WAITING),
        }
        *lock(&s.waiting) = on;
    }

    /// Worker `w` is between files.
    pub fn end(&self, w: usize) {
        let stage = *lock(&self.slots[w].stage);
        self.close_gap(w, stage);
        self.slots[w].file.store(IDLE, Ordering::Relaxed);
    }

    /// Adds `ms` to every worker's last beat (never past now): time in which
    /// the process was stopped from outside counts against nobody.
    fn excuse(&self, ms: u64) {
        let now = self.now_ms();
        for s in &self.slots {
            let _ = s.last_ms.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| Some((t + ms).min(now)));
        }
        self.paused_ms.fetch_add(ms, Ordering::Relaxed);
        self.captures.fetch_add(1, Ordering::Relaxed);
    }

    /// Beat intervals by stage over all workers so far, and the captures.
    pub fn stats(&self, stall_s: f64) -> WatchdogStats {
        let mut all: BTreeMap<&'static str, GapAcc> = BTreeMap::new();
        for s in &self.slots {
            for (stage, g) in lock(&s.gaps).iter() {
                let a = all.entry(stage).or_default();
                a.beats += g.beats;
                a.total_ms += g.total_ms;
                a.max_ms = a.max_ms.max(g.max_ms);
            }
        }
        WatchdogStats {
            stall_s,
            gaps: all
                .into_iter()
                .map(|(stage, g)| {
                    let mean = if g.beats == 0 { 0.0 } else { g.total_ms as f64 / g.beats as f64 / 1e3 };
                    (stage.to_string(), BeatGaps { beats: g.beats, mean_gap_s: mean, max_gap_s: g.max_ms as f64 / 1e3 })
                })
                .collect(),
            captures: self.captures.load(Ordering::Relaxed),
            paused_s: self.paused_ms.load(Ordering::Relaxed) as f64 / 1e3,
        }
    }
}

/// Limits the watchdog judges by.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Silence after which a worker is judged (`watchdog.stall_s`).
    pub stall: Duration,
    /// Silence while burning CPU after which a worker is hung all the same
    /// (`watchdog.busy_limit_s`).
    pub busy: Duration,
    /// Time gdb may take (`watchdog.gdb_timeout_s`).
    pub gdb: Duration,
}

/// One worker as the watchdog sees it at one tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// Working on a file, and not yet reported hung.
    pub busy: bool,
    pub silent_for: Duration,
    /// CPU per second of its threads over the last `stall` (None: not
    /// measured over a whole window yet).
    pub cpu_per_s: Option<f64>,
    /// Queued for this shared model.
    pub waiting: Option<&'static str>,
}

/// The watchdog's decision about one worker at one tick.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Fine,
    Slow,
    Hung(String),
}

/// The rule, pure: what each worker in `views` is, given the limits.
pub fn assess(views: &[View], stall: Duration, busy_limit: Duration) -> Vec<Decision> {
    let live: Vec<Liveness> = views.iter().map(|v| liveness::classify(v.silent_for, stall, v.cpu_per_s)).collect();
    // A queued worker progresses when the workers it queues behind do.
    let someone_progresses =
        |me: usize| views.iter().zip(&live).enumerate().any(|(i, (v, l))| i != me && v.busy && v.waiting.is_none() && *l != Liveness::Blocked);
    views
        .iter()
        .zip(&live)
        .enumerate()
        .map(|(i, (v, l))| {
            if !v.busy {
                return Decision::Fine;
            }
            let s = v.silent_for.as_secs_f64();
            if let (Some(res), true) = (v.waiting, *l != Liveness::Progressing) {
                return if someone_progresses(i) {
                    Decision::Fine
                } else {
                    Decision::Hung(format!("queued for `{res}` for {s:.1} s while no other worker makes progress"))
                };
            }
            match l {
                Liveness::Progressing => Decision::Fine,
                Liveness::Starved if v.silent_for < busy_limit => Decision::Slow,
                Liveness::Starved => Decision::Hung(format!(
                    "no heartbeat for {s:.1} s while its threads kept using CPU ({:.2} CPU-s per s): past watchdog.busy_limit_s = {:.0} (livelock or starvation)",
                    v.cpu_per_s.unwrap_or(0.0),
                    busy_limit.as_secs_f64()
                )),
                Liveness::Blocked => Decision::Hung(format!(
                    "no heartbeat for {s:.1} s and its threads asleep ({:.2} CPU-s per s over the last {:.1} s, under {})",
                    v.cpu_per_s.unwrap_or(0.0),
                    stall.as_secs_f64(),
                    liveness::BLOCKED_CPU_PER_S
                )),
            }
        })
        .collect()
}

/// The watchdog thread's memory of one worker.
struct Watch {
    file: usize,
    cpu: CpuWindow,
    hung: bool,
    slow_noted: bool,
}

/// CPU seconds used so far by the threads of each worker.
fn worker_cpu(workers: usize) -> Vec<f64> {
    let names: Vec<String> = (0..workers).map(worker_thread_name).collect();
    let mut cpu = vec![0.0; workers];
    for t in stacks::thread_states() {
        if let Some(w) = names.iter().position(|n| *n == t.name) {
            cpu[w] += t.cpu_s;
        }
    }
    cpu
}

/// Thread states and gdb's backtraces of this whole process.
fn capture(gdb_timeout: Duration) -> String {
    let mut text = String::from("== threads (/proc/self/task): tid state cpu_s wchan name ==\n");
    for t in stacks::thread_states() {
        text += &format!("{:>7} {} {:>9.3} {:<24} {}\n", t.tid, t.state, t.cpu_s, t.wchan, t.name);
    }
    text += "\n== gdb: thread apply all bt ==\n";
    match stacks::gdb_backtraces(gdb_timeout) {
        Ok(bt) => text += &bt,
        Err(e) => text += &format!("(no backtraces: {e})\n"),
    }
    text
}

/// Watches the heartbeats until `stop` is set; sends each hung file once and
/// each slow stretch once.
pub fn spawn(hb: Arc<Heartbeats>, limits: Limits, tx: mpsc::Sender<Report>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    stacks::allow_self_debugging();
    std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            let n = hb.slots.len();
            let mut watch: Vec<Watch> = (0..n).map(|_| Watch { file: IDLE, cpu: CpuWindow::new(limits.stall), hung: false, slow_noted: false }).collect();
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                let cpu = worker_cpu(n);
                let now = Duration::from_millis(hb.now_ms());
                let mut views = Vec::with_capacity(n);
                for (w, s) in hb.slots.iter().enumerate() {
                    let file = s.file.load(Ordering::Relaxed);
                    let m = &mut watch[w];
                    if file != m.file {
                        *m = Watch { file, cpu: CpuWindow::new(limits.stall), hung: false, slow_noted: false };
                    }
                    m.cpu.push(now, cpu[w]);
                    let silent_for = now.saturating_sub(Duration::from_millis(s.last_ms.load(Ordering::Relaxed)));
                    if silent_for < limits.stall {
                        m.slow_noted = false;
                    }
                    views.push(View { busy: file != IDLE && !m.hung, silent_for, cpu_per_s: m.cpu.rate(), waiting: *lock(&s.waiting) });
                }
                let decisions = assess(&views, limits.stall, limits.busy);
                let mut hung = Vec::new();
                for (w, d) in decisions.into_iter().enumerate() {
                    let stage = lock(&hb.slots[w].stage).to_string();
                    let m = &mut watch[w];
                    match d {
                        Decision::Fine => {}
                        Decision::Slow if m.slow_noted => {}
                        Decision::Slow => {
                            m.slow_noted = true;
                            let episode = SlowEpisode { stage, silent_s: views[w].silent_for.as_secs_f64(), cpu_per_s: views[w].cpu_per_s.unwrap_or(0.0) };
                            let _ = tx.send(Report::Slow { file: m.file, episode });
                        }
                        Decision::Hung(reason) => {
                            m.hung = true;
                            hung.push((w, m.file, stage, reason));
                        }
                    }
                }
                if hung.is_empty() {
                    continue;
                }
                let t0 = Instant::now();
                let mut text = String::new();
                for (w, file, stage, reason) in &hung {
                    text += &format!("stall: file #{file} on thread `{}`, stage `{stage}`: {reason}\n", worker_thread_name(*w));
                }
                text += "\n";
                text += &capture(limits.gdb);
                hb.excuse(t0.elapsed().as_millis() as u64);
                for m in &mut watch {
                    m.cpu.clear();
                }
                for (w, file, stage, reason) in hung {
                    let _ = tx.send(Report::Hung(Stall { file, stage, idle_s: views[w].silent_for.as_secs_f64(), reason, stacks: text.clone() }));
                }
            }
        })
        .expect("spawn watchdog thread")
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALL: Duration = Duration::from_secs(3);
    const BUSY: Duration = Duration::from_secs(60);

    fn view(silent_s: u64, cpu: Option<f64>) -> View {
        View { busy: true, silent_for: Duration::from_secs(silent_s), cpu_per_s: cpu, waiting: None }
    }

    #[test]
    fn a_beating_worker_is_fine_whatever_its_cpu() {
        assert_eq!(assess(&[view(1, Some(0.0))], STALL, BUSY), vec![Decision::Fine]);
    }

    #[test]
    fn a_silent_worker_using_cpu_is_slow_not_hung() {
        assert_eq!(assess(&[view(5, Some(0.6))], STALL, BUSY), vec![Decision::Slow]);
    }

    #[test]
    fn a_silent_worker_asleep_is_hung() {
        let d = assess(&[view(5, Some(0.0))], STALL, BUSY);
        assert!(matches!(&d[0], Decision::Hung(r) if r.contains("asleep")), "{d:?}");
    }

    #[test]
    fn a_silent_worker_not_yet_measured_over_a_window_is_not_condemned() {
        assert_eq!(assess(&[view(5, None)], STALL, BUSY), vec![Decision::Fine]);
    }

    #[test]
    fn burning_cpu_without_a_beat_past_the_busy_limit_is_hung() {
        let d = assess(&[view(61, Some(1.0))], STALL, BUSY);
        assert!(matches!(&d[0], Decision::Hung(r) if r.contains("busy_limit_s")), "{d:?}");
    }

    #[test]
    fn a_queued_worker_follows_the_workers_it_queues_behind() {
        let queued = View { waiting: Some("whisper-state"), ..view(10, Some(0.0)) };
        assert_eq!(assess(&[queued, view(0, Some(1.0))], STALL, BUSY)[0], Decision::Fine, "the holder beats");
        assert_eq!(assess(&[queued, view(5, Some(0.9))], STALL, BUSY)[0], Decision::Fine, "the holder is slow, not hung");
        let d = assess(&[queued, view(5, Some(0.0))], STALL, BUSY);
        assert!(matches!(&d[0], Decision::Hung(r) if r.contains("whisper-state")), "{d:?}");
        let idle = View { busy: false, ..view(0, None) };
        assert!(matches!(assess(&[queued, idle], STALL, BUSY)[0], Decision::Hung(_)), "nobody else works");
    }

    #[test]
    fn idle_workers_are_never_judged() {
        let idle = View { busy: false, ..view(100, Some(0.0)) };
        assert_eq!(assess(&[idle], STALL, BUSY), vec![Decision::Fine]);
    }

    #[test]
    fn a_capture_pause_counts_against_nobody() {
        let hb = Heartbeats::new(2);
        hb.begin(0, 0);
        hb.begin(1, 1);
        std::thread::sleep(Duration::from_millis(50));
        let before = hb.slots[1].last_ms.load(Ordering::Relaxed);
        hb.excuse(10_000);
        let after = hb.slots[1].last_ms.load(Ordering::Relaxed);
        assert!(after > before && after <= hb.now_ms(), "last beat moved forward, never past now: {before} -> {after}");
        assert_eq!(hb.stats(3.0).captures, 1);
    }

    #[test]
    fn beat_intervals_are_counted_for_the_stage_they_were_spent_in() {
        let hb = Heartbeats::new(1);
        hb.begin(0, 0);
        hb.beat(0, "detect");
        std::thread::sleep(Duration::from_millis(30));
        hb.beat(0, "transcribe");
        hb.set_waiting(0, Some("vad"));
        hb.set_waiting(0, None);
        hb.end(0);
        let s = hb.stats(3.0);
        assert!(s.gaps["detect"].max_gap_s >= 0.03, "{s:?}");
        assert_eq!(s.gaps["open"].beats, 1);
        assert_eq!(s.gaps[WAITING].beats, 1);
        assert_eq!(s.gaps["transcribe"].beats, 2, "up to the wait, then to the end: {s:?}");
    }
}
