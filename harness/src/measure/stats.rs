//! Small-sample statistics for side-by-side measurements: medians with
//! bootstrap 95% confidence intervals, and ratios of medians with theirs.
//! The bootstrap is seeded, so the same data always renders the same report.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Resamples per bootstrap.
pub const RESAMPLES: usize = 2000;
const SEED: u64 = 0x5EED_u64;

/// Median (mean of the middle two for even counts). `NaN` when empty.
pub fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn percentile_sorted(v: &[f64], p: f64) -> f64 {
    let idx = ((v.len() - 1) as f64 * p).round() as usize;
    v[idx.min(v.len() - 1)]
}

fn resample(rng: &mut StdRng, xs: &[f64], buf: &mut Vec<f64>) {
    buf.clear();
    buf.extend((0..xs.len()).map(|_| xs[rng.random_range(0..xs.len())]));
}

/// A median with its 95% bootstrap (percentile) interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub n: usize,
    pub median: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Estimate {
    /// Half-width of the interval relative to the median.
    pub fn relative_half_width(&self) -> f64 {
        (self.ci_high - self.ci_low) / 2.0 / self.median.abs()
    }

    /// The smallest relative difference this comparison can resolve: its
    /// interval's half-width relative to the median (infinite for fewer
    /// than two samples, which have no interval).
    pub fn min_detectable_effect(&self) -> f64 {
        if self.n < 2 {
            f64::INFINITY
        } else {
            self.relative_half_width()
        }
    }
}

/// An estimate as `median [low, high] (n = N)`; a single sample has no
/// interval and says so.
pub fn show(e: &Estimate, digits: usize) -> String {
    if e.n < 2 {
        return format!("{:.digits$} (n = {}, no interval)", e.median, e.n);
    }
    format!("{:.digits$} [{:.digits$}, {:.digits$}] (n = {})", e.median, e.ci_low, e.ci_high, e.n)
}

/// Median of `xs` with a 95% bootstrap interval.
pub fn estimate(xs: &[f64]) -> Estimate {
    let m = median(xs);
    if xs.len() < 2 {
        return Estimate { n: xs.len(), median: m, ci_low: m, ci_high: m };
    }
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut buf = Vec::with_capacity(xs.len());
    let mut meds: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            resample(&mut rng, xs, &mut buf);
            median(&buf)
        })
        .collect();
    meds.sort_by(f64::total_cmp);
    Estimate { n: xs.len(), median: m, ci_low: percentile_sorted(&meds, 0.025), ci_high: percentile_sorted(&meds, 0.975) }
}

/// A paired design's ratio (A B A B ..., `a[i]` and `b[i]` measured side by
/// side): the median of the per-pair ratios `a[i] / b[i]`, with a 95%
/// bootstrap interval that resamples pairs, so drift that moves both sides
/// of a pair cancels instead of widening the interval. Unequal lengths use
/// the common prefix.
pub fn paired_ratio(a: &[f64], b: &[f64]) -> Estimate {
    let rs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    estimate(&rs)
}

/// `median(a) / median(b)` with a 95% bootstrap interval (a and b resampled
/// independently).
pub fn ratio(a: &[f64], b: &[f64]) -> Estimate {
    let r = median(a) / median(b);
    if a.len() < 2 || b.len() < 2 {
        return Estimate { n: a.len().min(b.len()), median: r, ci_low: r, ci_high: r };
    }
    let mut rng = StdRng::seed_from_u64(SEED ^ 0xA5A5);
    let (mut ba, mut bb) = (Vec::new(), Vec::new());
    let mut rs: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            resample(&mut rng, a, &mut ba);
            resample(&mut rng, b, &mut bb);
            median(&ba) / median(&bb)
        })
        .collect();
    rs.sort_by(f64::total_cmp);
    Estimate { n: a.len().min(b.len()), median: r, ci_low: percentile_sorted(&rs, 0.025), ci_high: percentile_sorted(&rs, 0.975) }
}

/// Where an interval lies against a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The whole interval is at or above it.
    Above,
    /// The whole interval is below it.
    Below,
    /// The interval contains it: undecided at this resolution.
    Straddles,
}

/// Where `e`'s 95% interval lies against `threshold` (fewer than two
/// samples have no interval, so they decide nothing).
pub fn side(e: &Estimate, threshold: f64) -> Side {
    if e.n < 2 {
        Side::Straddles
    } else if e.ci_low >= threshold {
        Side::Above
    } else if e.ci_high < threshold {
        Side::Below
    } else {
        Side::Straddles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paired_ratio_cancels_drift_that_an_unpaired_one_cannot() {
        // Both sides drift together from 100 to 200; B is always 2% slower.
        let b: Vec<f64> = (0..20).map(|i| 100.0 + 5.0 * i as f64).collect();
        let a: Vec<f64> = b.iter().map(|x| x * 1.02).collect();
        let p = paired_ratio(&a, &b);
        assert!((p.median - 1.02).abs() < 1e-12 && p.ci_high - p.ci_low < 1e-9, "{p:?}");
        let u = ratio(&a, &b);
        assert!(u.ci_high - u.ci_low > 0.1, "unpaired resampling sees the drift: {u:?}");
        assert!(p.min_detectable_effect() < 1e-9 && u.min_detectable_effect() > 0.05);
        assert_eq!(estimate(&[1.0]).min_detectable_effect(), f64::INFINITY);
    }

    #[test]
    fn median_and_interval_bracket_the_data() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let xs: Vec<f64> = (1..=21).map(f64::from).collect();
        let e = estimate(&xs);
        assert_eq!(e.median, 11.0);
        assert!(e.ci_low < 11.0 && e.ci_high > 11.0 && e.ci_low >= 1.0 && e.ci_high <= 21.0, "{e:?}");
        assert_eq!(estimate(&xs), e, "seeded: same data, same interval");
    }

    #[test]
    fn ratio_of_identical_samples_is_one_and_a_shift_shows() {
        let a: Vec<f64> = (0..30).map(|i| 100.0 + (i % 7) as f64).collect();
        let r = ratio(&a, &a);
        assert!((r.median - 1.0).abs() < 1e-12 && r.ci_low <= 1.0 && r.ci_high >= 1.0, "{r:?}");
        let b: Vec<f64> = a.iter().map(|x| x * 2.0).collect();
        let r = ratio(&b, &a);
        assert!((r.median - 2.0).abs() < 1e-12 && r.ci_low > 1.9, "{r:?}");
    }
}
