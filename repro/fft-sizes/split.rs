//! One large FFT split across threads: the seed's claim 3 idea ("for n >
//! 4096, use Rayon to parallelize butterfly operations") prototyped far
//! enough to measure, from rustfft's own building blocks. The four-step
//! (Bailey) decomposition of n = n1 x n2: n2 transforms of length n1, a
//! twiddle multiply, n1 transforms of length n2, with transposes between.
//! Each step's rows are split over the current rayon pool, one scratch
//! buffer per task. It depends only on rustfft and rayon, so the program
//! `repro/fft-sizes/main.rs` builds it against any rustfft version, and
//! the harness compiles the same file for its tests.

use std::sync::Arc;

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

type C = Complex<f32>;

/// A planned forward FFT of `n1 * n2` points, split into row transforms.
pub struct SplitFft {
    n1: usize,
    n2: usize,
    inner: Arc<dyn Fft<f32>>,
    outer: Arc<dyn Fft<f32>>,
    /// `twiddles[j2 * n1 + k1] = exp(-2 pi i j2 k1 / n)`, computed in f64.
    twiddles: Vec<C>,
}

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

    /// Scratch each task needs.
    pub fn scratch_len(&self) -> usize {
        self.inner.get_inplace_scratch_len().max(self.outer.get_inplace_scratch_len())
    }

    /// The forward FFT of `x` into `out` (`x` is overwritten: it is the
    /// working space), on the current rayon pool in `scratch.len()` tasks.
    ///
    /// # Panics
    /// If `x` or `out` is not `len()` long or `scratch` is empty.
    pub fn process(&self, x: &mut [C], out: &mut [C], scratch: &mut [Vec<C>]) {
        let (n1, n2) = (self.n1, self.n2);
        assert!(x.len() == n1 * n2 && out.len() == n1 * n2 && !scratch.is_empty(), "SplitFft::process: wrong buffer lengths");
        // x is n1 rows of n2 (index j1 * n2 + j2); the inner transforms run over j1.
        transpose(x, out, n1, n2, None, scratch.len());
        batch(&*self.inner, out, n1, scratch);
        transpose(out, x, n2, n1, Some(&self.twiddles), scratch.len());
        batch(&*self.outer, x, n2, scratch);
        // x[k1 * n2 + k2] is X[k1 + n1 * k2].
        transpose(x, out, n1, n2, None, scratch.len());
    }
}

/// Rows of `src` read together by a transpose: a tile of this many source
/// rows stays in L1 while the destination walks across their columns.
const TILE: usize = 16;

/// `dst[c * rows + r] = src[r * cols + c]` (times `tw[r * cols + c]` when
/// given), destination rows split over `tasks` tasks, in tiles of source rows.
fn transpose(src: &[C], dst: &mut [C], rows: usize, cols: usize, tw: Option<&[C]>, tasks: usize) {
    let per = cols.div_ceil(tasks).max(1);
    dst.par_chunks_mut(per * rows).enumerate().for_each(|(i, block)| {
        let first = i * per;
        for r0 in (0..rows).step_by(TILE) {
            let r1 = (r0 + TILE).min(rows);
            for (k, drow) in block.chunks_mut(rows).enumerate() {
                let c = first + k;
                let d = &mut drow[r0..r1];
                match tw {
                    Some(tw) => d.iter_mut().zip(r0..r1).for_each(|(d, r)| *d = src[r * cols + c] * tw[r * cols + c]),
                    None => d.iter_mut().zip(r0..r1).for_each(|(d, r)| *d = src[r * cols + c]),
                }
            }
        }
    });
}

/// Transforms every `len`-point row of `data`, rows split over one task per
/// scratch buffer (rustfft transforms a buffer of several rows in one call).
fn batch(fft: &dyn Fft<f32>, data: &mut [C], len: usize, scratch: &mut [Vec<C>]) {
    let rows = data.len() / len;
    // ceil(rows / ceil(rows / tasks)) <= tasks: every block gets a scratch buffer.
    let per = rows.div_ceil(scratch.len()).max(1);
    data.par_chunks_mut(per * len).zip(scratch.par_iter_mut()).for_each(|(block, s)| fft.process_with_scratch(block, s));
}

/// The largest difference between two spectra, relative to the largest
/// magnitude of `reference`.
pub fn relative_error(got: &[C], reference: &[C]) -> f64 {
    let scale = reference.iter().map(|c| c.norm() as f64).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    got.iter().zip(reference).map(|(a, b)| (a - b).norm() as f64).fold(0.0, f64::max) / scale
}
