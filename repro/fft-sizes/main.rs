//! Claim 3's FFT sizes program, built against one rustfft version at a
//! time by `harness experiment fft-sizes` (a generated manifest pins
//! `rustfft = "=V"`), one process per version per round.
//!
//! Usage: fft-sizes AUDIO_F32LE THREADS SIZES ROUND
//! AUDIO_F32LE is real speech as raw little-endian f32 at 16 kHz; SIZES is
//! a comma-separated list of FFT sizes; ROUND rotates the order in which
//! sizes and variants are timed. For each size, after checking that the
//! variants agree, it times each variant once (after one untimed warm-up)
//! and prints one JSON object:
//! - `frames-1` / `frames-n`: a Hann-windowed STFT of the whole speech
//!   (hop n/4), each frame reduced to 64 band energies as a mel front end
//!   would, `passes` times per sample, in four blocks of frames per thread
//!   with buffers allocated before timing, on a rayon pool of 1 thread and
//!   of THREADS (the same code; `frames_limit` is the most THREADS can gain
//!   with those blocks);
//! - `single-serial`: `reps` single transforms of the first n samples;
//! - `mixed-radix`: the same with rustfft's own four-step (`MixedRadix`,
//!   the split's factors as width and height: its height-point transforms
//!   come first, the mirror of the split's order where n1 != n2), serially:
//!   a reference point for what a four-step costs, not a floor;
//! - `split-1` / `split-n`: the same transforms split four-step
//!   (`split.rs`) on a pool of 1 and of THREADS threads.

mod split;

use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use rustfft::algorithm::MixedRadix;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use split::SplitFft;

type C = Complex<f32>;

/// A single-transform sample does about this many points of work, so each
/// sample lasts milliseconds at every size.
const POINTS_PER_SAMPLE: usize = 1 << 23;
/// The split transforms must match rustfft's to this relative error (f32).
const MAX_RELATIVE_ERROR: f64 = 1e-4;

fn die(msg: String) -> ! {
    eprintln!("fft-sizes: {msg}");
    std::process::exit(2)
}

fn hann(n: usize) -> Vec<f32> {
    (0..n).map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()) as f32).collect()
}

/// Band energies per STFT frame: a stand-in for a mel filter bank (equal
/// bands, not triangles) that, like one, reduces each spectrum as it is
/// made, so the STFT is bound by the FFTs, not by writing spectra to memory.
const BANDS: usize = 64;

/// One task's buffers: the frame and the FFT's scratch.
type Bufs = (Vec<C>, Vec<C>);

/// The STFT of `audio` (frames of n, hop n/4) reduced to [`BANDS`] power
/// bands per frame, frame-major into `out`, on the current rayon pool in
/// one block of frames per buffer pair in `bufs` (allocated by the caller,
/// outside any timing). The 1-thread and the N-thread runs take the same
/// path, so they differ only in the threads that run it.
fn stft(audio: &[f32], window: &[f32], fft: &dyn rustfft::Fft<f32>, bufs: &mut [Bufs], out: &mut [f32]) {
    let n = window.len();
    let hop = n / 4;
    let bins = n / 2 + 1;
    let frames = out.len() / BANDS;
    // ceil(frames / ceil(frames / tasks)) <= tasks: every block gets buffers.
    let per = frames.div_ceil(bufs.len()).max(1);
    out.par_chunks_mut(per * BANDS).zip(bufs.par_iter_mut()).enumerate().for_each(|(i, (block, (buf, scratch)))| {
        for (k, bands) in block.chunks_mut(BANDS).enumerate() {
            let t = i * per + k;
            for (j, b) in buf.iter_mut().enumerate() {
                *b = C::new(audio[t * hop + j] * window[j], 0.0);
            }
            fft.process_with_scratch(buf, scratch);
            bands.fill(0.0);
            for (k, c) in buf[..bins].iter().enumerate() {
                bands[k * BANDS / bins] += c.norm_sqr();
            }
        }
    });
}

/// The most an STFT of `frames` frames in `blocks` blocks can gain on
/// `threads` threads: the frames over the frames of the busiest thread.
fn block_limit(frames: usize, blocks: usize, threads: usize) -> f64 {
    let per = frames.div_ceil(blocks).max(1);
    let nblocks = frames.div_ceil(per);
    frames as f64 / (nblocks.div_ceil(threads) * per) as f64
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap_or_else(|e| die(format!("rayon pool: {e}")))
}

fn time(mut f: impl FnMut()) -> f64 {
    f();
    let t = Instant::now();
    f();
    t.elapsed().as_nanos() as f64
}

fn measure(audio: &[f32], n: usize, threads: usize, round: usize) -> serde_json::Value {
    let fft = FftPlanner::<f32>::new().plan_fft_forward(n);
    let split = SplitFft::new(n).unwrap_or_else(|| die(format!("{n} points cannot be split")));
    let (one, many) = (pool(1), pool(threads));
    let window = hann(n);
    let frames = (audio.len() - n) / (n / 4) + 1;
    let reps = (POINTS_PER_SAMPLE / n).max(1);
    let passes = (2 * POINTS_PER_SAMPLE).div_ceil(frames * n).max(1);
    let input: Vec<C> = audio[..n].iter().zip(&window).map(|(x, w)| C::new(x * w, 0.0)).collect();

    // Correctness first: the STFT on N threads bit-identical to the one on 1; the split transforms within f32 rounding of rustfft's.
    // Several blocks per thread, as the harness's log-mel does: a thread that is descheduled for a while leaves blocks to steal.
    let tasks = 4 * threads;
    let mut bufs: Vec<Bufs> = (0..tasks).map(|_| (vec![C::default(); n], vec![C::default(); fft.get_inplace_scratch_len()])).collect();
    let (mut serial, mut parallel) = (vec![0f32; frames * BANDS], vec![0f32; frames * BANDS]);
    one.install(|| stft(audio, &window, &*fft, &mut bufs, &mut serial));
    many.install(|| stft(audio, &window, &*fft, &mut bufs, &mut parallel));
    if serial != parallel {
        die(format!("n = {n}: the STFT on {threads} threads differs from the one on 1"));
    }
    let mut reference = input.clone();
    fft.process(&mut reference);
    let mut scratch1 = vec![vec![C::default(); split.scratch_len()]; 1];
    let mut scratch_n = vec![vec![C::default(); split.scratch_len()]; threads];
    let (mut x, mut work) = (input.clone(), vec![C::default(); n]);
    one.install(|| split.process(&mut x, &mut work, &mut scratch1));
    let error_1 = split::relative_error(&x, &reference);
    x.copy_from_slice(&input);
    many.install(|| split.process(&mut x, &mut work, &mut scratch_n));
    let error_n = split::relative_error(&x, &reference);
    // rustfft's own four-step with the same factors: a reference point for what a four-step costs.
    let (n1, n2) = split.factors();
    let mut planner = FftPlanner::<f32>::new();
    let mixed: Arc<dyn Fft<f32>> = Arc::new(MixedRadix::new(planner.plan_fft_forward(n1), planner.plan_fft_forward(n2)));
    x.copy_from_slice(&input);
    let mut mixed_scratch = vec![C::default(); mixed.get_inplace_scratch_len()];
    mixed.process_with_scratch(&mut x, &mut mixed_scratch);
    let error_mixed = split::relative_error(&x, &reference);
    if error_1.max(error_n) > MAX_RELATIVE_ERROR {
        die(format!("n = {n}: the split transform differs from rustfft's by {:.2e} (limit {MAX_RELATIVE_ERROR:e})", error_1.max(error_n)));
    }
    if error_mixed > MAX_RELATIVE_ERROR {
        die(format!("n = {n}: rustfft's MixedRadix differs from its planned transform by {error_mixed:.2e} (limit {MAX_RELATIVE_ERROR:e})"));
    }

    let mut ns = serde_json::Map::new();
    let mut scratch = vec![C::default(); fft.get_inplace_scratch_len()];
    let variants = ["frames-1", "frames-n", "single-serial", "mixed-radix", "split-1", "split-n"];
    for k in 0..variants.len() {
        let v = variants[(k + round) % variants.len()];
        let t = match v {
            "frames-1" => time(|| {
                one.install(|| {
                    for _ in 0..passes {
                        stft(audio, &window, &*fft, &mut bufs, &mut serial)
                    }
                })
            }),
            "frames-n" => time(|| {
                many.install(|| {
                    for _ in 0..passes {
                        stft(audio, &window, &*fft, &mut bufs, &mut parallel)
                    }
                })
            }),
            "single-serial" => time(|| {
                for _ in 0..reps {
                    x.copy_from_slice(&input);
                    fft.process_with_scratch(&mut x, &mut scratch);
                }
            }),
            "mixed-radix" => time(|| {
                for _ in 0..reps {
                    x.copy_from_slice(&input);
                    mixed.process_with_scratch(&mut x, &mut mixed_scratch);
                }
            }),
            "split-1" => time(|| {
                one.install(|| {
                    for _ in 0..reps {
                        x.copy_from_slice(&input);
                        split.process(&mut x, &mut work, &mut scratch1);
                    }
                })
            }),
            _ => time(|| {
                many.install(|| {
                    for _ in 0..reps {
                        x.copy_from_slice(&input);
                        split.process(&mut x, &mut work, &mut scratch_n);
                    }
                })
            }),
        };
        ns.insert(v.to_string(), t.into());
    }
    serde_json::json!({
        "n": n, "factors": split.factors(), "frames": frames, "reps": reps, "passes": passes,
        "frames_limit": block_limit(frames, tasks, threads),
        "split_error_1": error_1, "split_error_n": error_n, "mixed_error": error_mixed, "ns": ns,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        die("usage: fft-sizes AUDIO_F32LE THREADS SIZES ROUND".into());
    }
    let bytes = std::fs::read(&args[1]).unwrap_or_else(|e| die(format!("{}: {e}", args[1])));
    let audio: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let threads: usize = args[2].parse().unwrap_or_else(|e| die(format!("THREADS {:?}: {e}", args[2])));
    let sizes: Vec<usize> = args[3].split(',').map(|s| s.parse().unwrap_or_else(|e| die(format!("SIZES {s:?}: {e}")))).collect();
    let round: usize = args[4].parse().unwrap_or_else(|e| die(format!("ROUND {:?}: {e}", args[4])));
    if let Some(n) = sizes.iter().find(|&&n| n < 4 || n > audio.len()) {
        die(format!("size {n}: needs 4 <= n <= {} (the audio's length)", audio.len()));
    }
    let mut results = Vec::new();
    for k in 0..sizes.len() {
        results.push(measure(&audio, sizes[(k + round) % sizes.len()], threads.max(1), round));
    }
    results.sort_by_key(|r| r["n"].as_u64());
    println!("{}", serde_json::json!({ "threads": threads, "sizes": results }));
}
