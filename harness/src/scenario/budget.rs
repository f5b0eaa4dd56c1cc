//! `concurrency.mode = "auto"`: one thread budget for every stage, so that
//! busy threads never exceed the machine's cores. Claim 1 measured why:
//! ggml's workers spin at their barrier, and more busy threads than cores
//! collapse whisper's throughput 3 to 30 times (`reports/whisper-rs-race.md`).
//!
//! The rule: as many files in parallel as there are cores (or inputs, if
//! fewer), and the cores left to each file as every stage's threads
//! (whisper's `n_threads`, ONNX Runtime's intra-op threads, the rayon pool).
//! A worker runs one stage at a time, and the rayon pool is shared, so at
//! most `files x threads <= cores` threads are busy at once. Files first:
//! parallel files need no synchronisation, threads within a call do.

use super::Scenario;

/// What `auto` chose, recorded in run.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Budget {
    /// The cores this process may use (`available_parallelism`: affinity
    /// masks and cgroup quotas included).
    pub cores: usize,
    /// Files in parallel.
    pub files: usize,
    /// Threads of every stage call.
    pub threads: usize,
}

impl Budget {
    /// Threads busy at most at once.
    pub fn busy(&self) -> usize {
        self.files * self.threads
    }
}

/// The budget for `inputs` files on `cores` cores.
pub fn plan(cores: usize, inputs: usize) -> Budget {
    let cores = cores.max(1);
    let files = inputs.clamp(1, cores);
    Budget { cores, files, threads: (cores / files).max(1) }
}

/// Sets the scenario's thread counts to `b`'s.
pub fn apply(s: &mut Scenario, b: &Budget) {
    s.concurrency.files = b.files;
    s.concurrency.rayon_threads = b.threads;
    s.detect.intra_threads = b.threads;
    s.vad.intra_threads = b.threads;
    s.embed.intra_threads = b.threads;
    s.transcribe.n_threads = b.threads as i32;
}

/// The most threads a scenario's settings can keep busy at once: each
/// worker in its most-threaded stage (an upper bound: the rayon pool is
/// shared).
pub fn busy_threads(s: &Scenario) -> usize {
    let per_call = [s.concurrency.rayon_threads, s.detect.intra_threads, s.vad.intra_threads, s.embed.intra_threads, s.transcribe.n_threads.max(1) as usize];
    s.concurrency.files * per_call.into_iter().max().unwrap_or(1)
}

/// The cores this process may use.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_first_then_the_cores_left_to_each_file() {
        assert_eq!(plan(2, 5), Budget { cores: 2, files: 2, threads: 1 }, "more files than cores: one thread each");
        assert_eq!(plan(2, 1), Budget { cores: 2, files: 1, threads: 2 }, "one file: both cores to its calls");
        assert_eq!(plan(8, 3), Budget { cores: 8, files: 3, threads: 2 }, "8 / 3: two cores idle rather than oversubscribed");
        assert_eq!(plan(1, 4), Budget { cores: 1, files: 1, threads: 1 });
        assert_eq!(plan(0, 0), Budget { cores: 1, files: 1, threads: 1 }, "no cores reported, no inputs: still runs");
    }

    #[test]
    fn busy_threads_never_exceed_the_cores() {
        for cores in 1..=64 {
            for inputs in 1..=100 {
                let b = plan(cores, inputs);
                assert!(b.busy() <= cores && b.files >= 1 && b.threads >= 1, "{b:?} for {inputs} inputs");
            }
        }
    }

    #[test]
    fn applied_budget_sets_every_stage_and_bounds_the_scenario() {
        let mut s: Scenario = toml::from_str("[input]\nfiles = [\"a.mp4\"]\n[transcribe]\nn_threads = 4\n").unwrap();
        assert_eq!(busy_threads(&s), 8, "2 files x 4 whisper threads (the collapse claim 1 measured)");
        let b = plan(2, 1);
        apply(&mut s, &b);
        assert_eq!((s.concurrency.files, s.transcribe.n_threads, s.detect.intra_threads, s.vad.intra_threads, s.concurrency.rayon_threads), (1, 2, 2, 2, 2));
        assert_eq!(busy_threads(&s), 2);
    }
}
