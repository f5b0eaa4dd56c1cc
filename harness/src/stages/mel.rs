//! Whisper's log-mel spectrogram front end, on rustfft.
//!
//! Matches openai/whisper `audio.py`: 16 kHz input, n_fft 400 (not a power
//! of two), hop 160, periodic Hann window, centred frames with reflect
//! padding, power spectrum, librosa's Slaney mel filter bank (80 bins),
//! `log10(max(x, 1e-10))`, floor at `max - 8`, then `(x + 4) / 4`.
//!
//! The same filter bank is written into converted ggml models, so whisper.cpp
//! and this front end use identical filters.

use std::sync::Arc;

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

pub use crate::models::mel_bank::{mel_filters, WHISPER_HOP, WHISPER_N_FFT, WHISPER_N_MELS, WHISPER_SAMPLE_RATE};

/// How frames are spread over threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FftMode {
    /// One thread, one scratch buffer.
    Serial,
    /// Frames split over the current rayon pool, a scratch buffer per task.
    Rayon,
}

/// A log-mel spectrogram, frame-major: `data[frame * n_mels + mel]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MelSpectrogram {
    pub n_mels: usize,
    pub n_frames: usize,
    pub data: Vec<f32>,
}

/// One mel filter: its first non-zero FFT bin and weights (the filters are
/// narrow triangles, so skipping zeros saves most of the matrix product).
#[derive(Debug, Clone)]
struct SparseFilter {
    start: usize,
    weights: Vec<f32>,
}

/// A planned log-mel front end: plan once, call many times from many threads
/// (`Fft` is `Send + Sync`).
#[derive(Clone)]
pub struct LogMel {
    n_fft: usize,
    hop: usize,
    n_mels: usize,
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    filters: Vec<SparseFilter>,
}

impl std::fmt::Debug for LogMel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogMel").field("n_fft", &self.n_fft).field("hop", &self.hop).field("n_mels", &self.n_mels).finish()
    }
}

impl LogMel {
    /// Whisper's front end (16 kHz, 400/160, 80 mels).
    pub fn whisper() -> Self {
        Self::new(WHISPER_SAMPLE_RATE, WHISPER_N_FFT, WHISPER_HOP, WHISPER_N_MELS)
    }

    /// A front end with other sizes (e.g. the seed's 2048/4096-point FFTs).
    pub fn new(sample_rate: u32, n_fft: usize, hop: usize, n_mels: usize) -> Self {
        let fft = FftPlanner::<f32>::new().plan_fft_forward(n_fft);
        // Periodic Hann, as torch.hann_window(n_fft).
        let window = (0..n_fft).map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n_fft as f64).cos()) as f32).collect();
        let n_bins = n_fft / 2 + 1;
        let dense = mel_filters(sample_rate, n_fft, n_mels);
        let filters = dense
            .chunks(n_bins)
            .map(|row| {
                let start = row.iter().position(|&w| w != 0.0).unwrap_or(0);
                let end = row.iter().rposition(|&w| w != 0.0).map_or(start, |e| e + 1);
                SparseFilter { start, weights: row[start..end].to_vec() }
            })
            .collect();
        LogMel { n_fft, hop, n_mels, fft, window, filters }
    }

    /// Number of mel bins.
    pub fn n_mels(&self) -> usize {
        self.n_mels
    }

    /// Frames produced for `n` samples (whisper drops the last centred frame).
    pub fn n_frames(&self, n: usize) -> usize {
        n / self.hop
    }

    /// The sample at padded position `p` (reflect padding of `n_fft / 2`).
    fn padded(&self, samples: &[f32], p: isize) -> f32 {
        let n = samples.len() as isize;
        let mut i = p - (self.n_fft / 2) as isize;
        if i < 0 {
            i = -i;
        }
        if i >= n {
            i = 2 * (n - 1) - i;
        }
        samples[i.clamp(0, n - 1) as usize]
    }

    /// Power-spectrum mel energies of frame `t` into `out` (pre-log).
    fn frame(&self, samples: &[f32], t: usize, buf: &mut [Complex<f32>], scratch: &mut [Complex<f32>], out: &mut [f32]) {
        let start = (t * self.hop) as isize;
        let half = (self.n_fft / 2) as isize;
        let interior = start >= half && (start as usize + self.n_fft) <= samples.len() + half as usize;
        if interior {
            let s = &samples[(start - half) as usize..(start - half) as usize + self.n_fft];
            for ((b, &x), &w) in buf.iter_mut().zip(s).zip(&self.window) {
                *b = Complex::new(x * w, 0.0);
            }
        } else {
            for (k, b) in buf.iter_mut().enumerate() {
                *b = Complex::new(self.padded(samples, start + k as isize) * self.window[k], 0.0);
            }
        }
        self.fft.process_with_scratch(buf, scratch);
        for (o, f) in out.iter_mut().zip(&self.filters) {
            *o = f.weights.iter().zip(&buf[f.start..f.start + f.weights.len()]).map(|(w, c)| w * c.norm_sqr()).sum();
        }
    }

    /// The log-mel spectrogram of 16 kHz mono samples.
    ///
    /// # Panics
    /// If `samples` is not longer than `n_fft / 2` (reflect padding needs it).
    pub fn compute(&self, samples: &[f32], mode: FftMode) -> MelSpectrogram {
        assert!(samples.len() > self.n_fft / 2, "log-mel needs more than {} samples", self.n_fft / 2);
        let n_frames = self.n_frames(samples.len());
        let mut data = vec![0f32; n_frames * self.n_mels];
        let scratch_len = self.fft.get_inplace_scratch_len();
        let new_bufs = || (vec![Complex::default(); self.n_fft], vec![Complex::default(); scratch_len]);
        // Each frame is finished to log10 where it is computed, so the only
        // work left after the frames is the global floor: in rayon mode both
        // passes are parallel (a serial tail would cap the speed-up).
        let log_frame = |out: &mut [f32]| {
            for x in out.iter_mut() {
                *x = x.max(1e-10).log10();
            }
        };
        let finish = |x: &mut f32, max: f32| *x = (x.max(max - 8.0) + 4.0) / 4.0;
        match mode {
            FftMode::Serial => {
                let (mut buf, mut scratch) = new_bufs();
                for (t, out) in data.chunks_mut(self.n_mels).enumerate() {
                    self.frame(samples, t, &mut buf, &mut scratch, out);
                    log_frame(out);
                }
                let max = data.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                data.iter_mut().for_each(|x| finish(x, max));
            }
            FftMode::Rayon => {
                // A few contiguous blocks of frames per thread (not one task
                // per frame: a frame is ~1 us of work), each returning its
                // own maximum, so the frames need one pass, not two.
                let tasks = 4 * rayon::current_num_threads();
                let per_task = n_frames.div_ceil(tasks).max(1) * self.n_mels;
                let max = data
                    .par_chunks_mut(per_task)
                    .enumerate()
                    .map(|(i, block)| {
                        let (mut buf, mut scratch) = new_bufs();
                        let first = i * per_task / self.n_mels;
                        let mut m = f32::NEG_INFINITY;
                        for (k, out) in block.chunks_mut(self.n_mels).enumerate() {
                            self.frame(samples, first + k, &mut buf, &mut scratch, out);
                            log_frame(out);
                            m = out.iter().copied().fold(m, f32::max);
                        }
                        m
                    })
                    .reduce(|| f32::NEG_INFINITY, f32::max);
                data.par_chunks_mut(per_task).for_each(|c| c.iter_mut().for_each(|x| finish(x, max)));
            }
        }
        MelSpectrogram { n_mels: self.n_mels, n_frames, data }
    }
}
