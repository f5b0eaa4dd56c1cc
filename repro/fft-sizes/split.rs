//! One large FFT split across threads: the seed's claim 3 idea ("for n >
//! 4096, use Rayon to parallelize butterfly operations") prototyped far
//! enough to measure, from rustfft's own building blocks. The four-step
//! (Bailey) decomposition of n = n1 x n2: n2 transforms of length n1, a
//! twiddle multiply, n1 transforms of length n2. Two parallel steps, each
//! split over the current rayon pool in one block per scratch buffer; each
//! block works through groups of columns that stay in cache: gather the
//! group (row segments copied, then transposed with the `transpose` crate,
//! as rustfft's own `MixedRadix` does), transform it, write it back. It
//! depends only on rustfft, rayon and transpose, so the program
//! `repro/fft-sizes/main.rs` builds it against any rustfft version, and
//! the harness compiles the same file for its tests.
//!
//! History: the first prototype transposed the whole array three times,
//! each a parallel step of its own (five rayon joins per transform). The
//! pinned evidence of the two prototypes comes from different machines,
//! so it does not compare them; timed side by side on one machine during
//! development (not pinned), this one was the faster on one thread and on
//! two.

use std::sync::Arc;

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

type C = Complex<f32>;

/// Columns (or rows) gathered, transformed and written back together: a
/// group of 32 rows of up to 512 points (128 KiB, twice over with its
/// gather buffer) stays in L2.
pub const GROUP: usize = 32;

/// A planned forward FFT of `n1 * n2` points, split into row transforms.
pub struct SplitFft {
    n1: usize,
    n2: usize,
    inner: Arc<dyn Fft<f32>>,
    outer: Arc<dyn Fft<f32>>,
    /// `twiddles[j2 * n1 + k1] = exp(-2 pi i j2 k1 / n)`, computed in f64.
    twiddles: Vec<C>,
}

/// The output buffer, shared by the second step's tasks, which write
/// disjoint columns of it.
struct Columns(*mut C);
// SAFETY: only used to write disjoint elements from different tasks (see `process`).
unsafe impl Sync for Columns {}

impl SplitFft {
    /// Plans a transform of `n` points; `None` when `n` has no factor pair
    /// to split into (a prime, or below 4).
    pub fn new(n: usize) -> Option<Self> {
        // The most square split: the largest divisor not above sqrt(n).
        let mut n1 = (n as f64).sqrt() as usize;
        while n1 > 1 && n % n1 != 0 {
            n1 -= 1;
        }
        if n1 < 2 {
            return None;
        }
        let n2 = n / n1;
        let mut planner = FftPlanner::new();
        let twiddles = (0..n2)
            .flat_map(|j2| {
                (0..n1).map(move |k1| {
                    let a = -2.0 * std::f64::consts::PI * ((j2 * k1) % n) as f64 / n as f64;
                    C::new(a.cos() as f32, a.sin() as f32)
                })
            })
            .collect();
        Some(SplitFft { n1, n2, inner: planner.plan_fft_forward(n1), outer: planner.plan_fft_forward(n2), twiddles })
    }

    /// The two factors, `(n1, n2)`.
    pub fn factors(&self) -> (usize, usize) {
        (self.n1, self.n2)
    }

    /// Scratch each task needs: a group, its gather buffer, the FFT's own.
    pub fn scratch_len(&self) -> usize {
        2 * GROUP * self.n1.max(self.n2) + self.inner.get_inplace_scratch_len().max(self.outer.get_inplace_scratch_len())
    }

    /// The forward FFT of `data`, in place (`work`: `n1 * n2` elements of
    /// working space), on the current rayon pool in `scratch.len()` tasks.
    ///
    /// # Panics
    /// If `data` or `work` is not `n1 * n2` long, `scratch` is empty or a
    /// scratch buffer is shorter than `scratch_len()`.
    pub fn process(&self, data: &mut [C], work: &mut [C], scratch: &mut [Vec<C>]) {
        let (n1, n2) = (self.n1, self.n2);
        assert!(data.len() == n1 * n2 && work.len() == n1 * n2 && !scratch.is_empty(), "SplitFft::process: wrong buffer lengths");
        assert!(scratch.iter().all(|s| s.len() >= self.scratch_len()), "SplitFft::process: a scratch buffer is shorter than scratch_len()");
        let tasks = scratch.len();
        // Step A: columns j2 of data (n1 rows x n2) -> work[j2 * n1 + k1], twiddled.
        let per = n2.div_ceil(tasks).max(1);
        let src: &[C] = data;
        work.par_chunks_mut(per * n1).zip(scratch.par_iter_mut()).enumerate().for_each(|(t, (mid, s))| {
            let (local, rest) = s.split_at_mut(GROUP * n1);
            let (tmp, fs) = rest.split_at_mut(GROUP * n1);
            let c_first = t * per;
            for (g, block) in mid.chunks_mut(GROUP * n1).enumerate() {
                let c0 = c_first + g * GROUP;
                let cols = block.len() / n1;
                let local = &mut local[..cols * n1];
                let tmp = &mut tmp[..cols * n1];
                for (j1, seg) in tmp.chunks_exact_mut(cols).enumerate() {
                    seg.copy_from_slice(&src[j1 * n2 + c0..j1 * n2 + c0 + cols]);
                }
                transpose::transpose(tmp, local, cols, n1);
                self.inner.process_with_scratch(local, fs);
                let tw = &self.twiddles[c0 * n1..(c0 + cols) * n1];
                block.iter_mut().zip(local.iter().zip(tw)).for_each(|(d, (v, w))| *d = v * w);
            }
        });
        // Step B: rows k1 of work (column k1 of the n2 x n1 layout) -> data[k2 * n1 + k1].
        let per = n1.div_ceil(tasks).max(1);
        let out = Columns(data.as_mut_ptr());
        let out = &out;
        let mid: &[C] = work;
        scratch.par_iter_mut().enumerate().for_each(|(t, s)| {
            let (local, rest) = s.split_at_mut(GROUP * n2);
            let (tmp, fs) = rest.split_at_mut(GROUP * n2);
            let (r_first, r_end) = ((t * per).min(n1), ((t + 1) * per).min(n1));
            let mut r0 = r_first;
            while r0 < r_end {
                let rows = GROUP.min(r_end - r0);
                let local = &mut local[..rows * n2];
                let tmp = &mut tmp[..rows * n2];
                for (j2, seg) in tmp.chunks_exact_mut(rows).enumerate() {
                    seg.copy_from_slice(&mid[j2 * n1 + r0..j2 * n1 + r0 + rows]);
                }
                transpose::transpose(tmp, local, rows, n2);
                self.outer.process_with_scratch(local, fs);
                transpose::transpose(local, tmp, n2, rows);
                for (k2, seg) in tmp.chunks_exact(rows).enumerate() {
                    // SAFETY: in bounds (k2 < n2, r0 + rows <= n1); each task writes only
                    // columns r_first..r_end, disjoint across tasks; nothing reads `data` in this step.
                    unsafe { std::slice::from_raw_parts_mut(out.0.add(k2 * n1 + r0), rows) }.copy_from_slice(seg);
                }
                r0 += rows;
            }
        });
    }
}

/// The largest difference between two spectra, relative to the largest
/// magnitude of `reference`.
pub fn relative_error(got: &[C], reference: &[C]) -> f64 {
    let scale = reference.iter().map(|c| c.norm() as f64).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    got.iter().zip(reference).map(|(a, b)| (a - b).norm() as f64).fold(0.0, f64::max) / scale
}
