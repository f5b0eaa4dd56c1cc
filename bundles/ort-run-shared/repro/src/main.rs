//! `Session::run` takes `&mut self`, so threads that share one model need a
//! `Mutex<Session>` (runs serialised) or a session each (the model's memory
//! once per thread). The proposed `Session::run_shared(&self)` lets them
//! share one session on CPU-only sessions.
//!
//! Against the published crate this program does not build (`run_shared`
//! does not exist); with the patch it runs one session from 4 threads and
//! checks every output against a single-threaded `run`. The memory case
//! (resident memory of one extra session per thread, against one shared
//! session) goes to stderr as information: it depends on the model, the
//! allocator and the machine, so it is not part of the expected output.
//!
//! Usage: `ort-run-shared-repro LIBONNXRUNTIME MODEL` (the ONNX Runtime
//! shared library, for example from the `onnxruntime` wheel on PyPI; any
//! ONNX model whose first input is a float32 tensor, for example YOLOv8n;
//! dynamic sizes of an NCHW image input are taken as 1 x 3 x 640 x 640).

use std::sync::Arc;

use ort::session::Session;
use ort::value::{TensorRef, ValueType};

const THREADS: usize = 4;

fn die(msg: String) -> ! {
    eprintln!("ort-run-shared-repro: {msg}");
    std::process::exit(2)
}

/// Resident memory in MiB (Linux; `None` elsewhere).
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn session(env: &ort::environment::Environment, model: &str) -> Session {
    let fail = |e: &dyn std::fmt::Display| -> ! { die(format!("{model}: {e}")) };
    let b = Session::builder(env).unwrap_or_else(|e| fail(&e));
    let mut b = b.with_intra_threads(1).unwrap_or_else(|e| fail(&e));
    b.commit_from_file(model).unwrap_or_else(|e| fail(&e))
}

/// The first input's name and shape; a dynamic dimension of an image
/// input (rank 4, NCHW) takes its place in 1 x 3 x 640 x 640, any other 1.
fn first_input(s: &Session) -> (String, Vec<i64>) {
    let input = s.inputs().first().unwrap_or_else(|| die("the model has no inputs".into()));
    match input.dtype() {
        ValueType::Tensor { shape, .. } => {
            let image = [1, 3, 640, 640];
            let fixed = shape
                .iter()
                .enumerate()
                .map(|(i, &d)| {
                    if d > 0 {
                        d
                    } else if shape.len() == 4 {
                        image[i]
                    } else {
                        1
                    }
                })
                .collect();
            (input.name().to_string(), fixed)
        }
        other => die(format!("first input `{}` is {other:?}, not a tensor", input.name())),
    }
}

/// Sum of the first output, the value every run must agree on.
fn checksum(out: &ort::session::SessionOutputs) -> f64 {
    let (_, values) = out[0].try_extract_tensor::<f32>().unwrap_or_else(|e| die(e.to_string()));
    values.iter().map(|&x| x as f64).sum()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        die("usage: ort-run-shared-repro LIBONNXRUNTIME MODEL".into());
    }
    let env = ort::init_from(&args[1]).unwrap_or_else(|e| die(format!("{}: {e}", args[1]))).build().unwrap_or_else(|e| die(e.to_string()));

    // The memory case: what a session per thread costs.
    let base = rss_mib();
    let mut one = session(&env, &args[2]);
    let with_one = rss_mib();
    let extra: Vec<Session> = (1..THREADS).map(|_| session(&env, &args[2])).collect();
    let with_all = rss_mib();
    drop(extra);

    let (name, shape) = first_input(&one);
    let n: i64 = shape.iter().product();
    let data: Arc<Vec<f32>> = Arc::new(vec![0.5; n as usize]);
    let expected = {
        let input = TensorRef::from_array_view((shape.clone(), &data[..])).unwrap_or_else(|e| die(e.to_string()));
        checksum(&one.run(ort::inputs![name.as_str() => input]).unwrap_or_else(|e| die(e.to_string())))
    };

    let shared: Arc<Session> = Arc::new(one);
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (shared, data, shape, name) = (Arc::clone(&shared), Arc::clone(&data), shape.clone(), name.clone());
            std::thread::spawn(move || {
                let s: &Session = &shared;
                let input = TensorRef::from_array_view((shape, &data[..])).unwrap_or_else(|e| die(e.to_string()));
                let out = s.run_shared(ort::inputs![name.as_str() => input]).unwrap_or_else(|e| die(format!("run_shared: {e}")));
                checksum(&out)
            })
        })
        .collect();
    let sums: Vec<f64> = workers.into_iter().map(|w| w.join().unwrap_or_else(|_| die("a worker panicked".into()))).collect();

    if let (Some(base), Some(one), Some(all)) = (base, with_one, with_all) {
        eprintln!(
            "info (memory, not checked): first session +{:.1} MiB; each further session +{:.1} MiB; {THREADS} threads sharing one session through run_shared need none of the further {} sessions",
            one - base,
            (all - one) / (THREADS - 1) as f64,
            THREADS - 1
        );
    }
    eprintln!("info: supports_shared_run = {}", shared.supports_shared_run());
    let same = sums.iter().all(|&s| s == expected);
    println!("{THREADS} threads called run_shared on one Session: every output equals the single-threaded run: {}", if same { "yes" } else { "no" });
}
