//! The fork check's repro and benchmark for ort's `run_shared` patch
//! (claim 2), built by `harness fork check ort` against the unpatched and
//! the patched ort through `[patch.crates-io]`.
//!
//! Usage: ort-shared-cell LIBONNXRUNTIME MODEL THREADS MODE MILLIS|calls:N
//! MODE is `mutex` (one `Mutex<Session>`, the only way to share a session
//! in ort rc.10-rc.15) or `shared` (one `Arc<Session>` and `run_shared`;
//! only with the `run_shared` feature, which the harness enables for the
//! patched build). MODEL is Silero VAD (inputs `input`, `state`, `sr`).
//! Threads are spawned, warmed up and released by a barrier, then call for
//! MILLIS ms each, or exactly N times each with `calls:N` (for instruction
//! counts under valgrind). Prints one JSON line: calls per thread, seconds, and a
//! checksum of the first output (the modes must agree).

use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use ort::session::Session;
use ort::value::TensorRef;

fn die(msg: String) -> ! {
    eprintln!("ort-shared-cell: {msg}");
    std::process::exit(2)
}

struct Input {
    frame: Vec<f32>,
    state: Vec<f32>,
    sr: [i64; 1],
}

fn checksum(out: &ort::session::SessionOutputs) -> f64 {
    let (_, p) = out["output"].try_extract_tensor::<f32>().unwrap_or_else(|e| die(e.to_string()));
    p.iter().map(|&x| x as f64).sum()
}

macro_rules! inputs {
    ($i:expr) => {
        ort::inputs![
            "input" => TensorRef::from_array_view(([1usize, 576], &$i.frame[..])).unwrap_or_else(|e| die(e.to_string())),
            "state" => TensorRef::from_array_view(([2usize, 1, 128], &$i.state[..])).unwrap_or_else(|e| die(e.to_string())),
            "sr" => TensorRef::from_array_view(([1usize], &$i.sr[..])).unwrap_or_else(|e| die(e.to_string()))
        ]
    };
}

enum Shared {
    Mutex(Mutex<Session>),
    #[cfg(feature = "run_shared")]
    Shared(Session),
}

impl Shared {
    fn call(&self, i: &Input) -> f64 {
        match self {
            Shared::Mutex(m) => {
                let mut s = m.lock().unwrap_or_else(|e| e.into_inner());
                let out = s.run(inputs!(i)).unwrap_or_else(|e| die(e.to_string()));
                checksum(&out)
            }
            #[cfg(feature = "run_shared")]
            Shared::Shared(s) => {
                let out = s.run_shared(inputs!(i)).unwrap_or_else(|e| die(format!("run_shared: {e}")));
                checksum(&out)
            }
        }
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 6 {
        die("usage: ort-shared-cell LIBONNXRUNTIME MODEL THREADS mutex|shared MILLIS|calls:N".into());
    }
    let env = ort::init_from(&a[1]).unwrap_or_else(|e| die(format!("{}: {e}", a[1]))).build().unwrap_or_else(|e| die(e.to_string()));
    let fail = |e: &dyn std::fmt::Display| -> ! { die(format!("{}: {e}", a[2])) };
    let b = Session::builder(&env).unwrap_or_else(|e| fail(&e));
    let b = b.with_intra_threads(1).unwrap_or_else(|e| fail(&e));
    let mut b = b.with_inter_threads(1).unwrap_or_else(|e| fail(&e));
    let session = b.commit_from_file(&a[2]).unwrap_or_else(|e| fail(&e));
    let threads: usize = a[3].parse().unwrap_or_else(|_| die(format!("THREADS: {}", a[3])));
    let (millis, fixed_calls): (u64, Option<u64>) = match a[5].strip_prefix("calls:") {
        Some(n) => (0, Some(n.parse().unwrap_or_else(|_| die(format!("calls:N: {}", a[5]))))),
        None => (a[5].parse().unwrap_or_else(|_| die(format!("MILLIS: {}", a[5]))), None),
    };
    let shared = Arc::new(match a[4].as_str() {
        "mutex" => Shared::Mutex(Mutex::new(session)),
        #[cfg(feature = "run_shared")]
        "shared" => {
            if !session.supports_shared_run() {
                die("this session does not support run_shared".into());
            }
            Shared::Shared(session)
        }
        other => die(format!("mode `{other}` is not available in this build")),
    });
    // A real-looking window: a 440 Hz tone is enough for a deterministic checksum.
    let input = Arc::new(Input { frame: (0..576).map(|k| (k as f32 * 0.1728).sin() * 0.3).collect(), state: vec![0.0; 256], sr: [16_000] });
    let first = shared.call(&input);
    let barrier = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (shared, input, barrier) = (Arc::clone(&shared), Arc::clone(&input), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let c = shared.call(&input);
                if (c - first).abs() > 0.0 {
                    die(format!("output changed between calls: {c} vs {first}"));
                }
                barrier.wait();
                let t = Instant::now();
                let mut n = 0u64;
                while fixed_calls.map_or(t.elapsed() < Duration::from_millis(millis), |f| n < f) {
                    std::hint::black_box(shared.call(&input));
                    n += 1;
                }
                n
            })
        })
        .collect();
    barrier.wait();
    let t = Instant::now();
    let calls: Vec<u64> = workers.into_iter().map(|w| w.join().unwrap_or_else(|_| die("a worker panicked".into()))).collect();
    println!("{{\"calls\": {calls:?}, \"seconds\": {}, \"checksum\": {first}}}", t.elapsed().as_secs_f64());
}
