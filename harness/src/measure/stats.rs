//! Small-sample statistics for side-by-side measurements: medians with
//! distribution-free confidence intervals, and ratios of medians with theirs.
//!
//! A median's interval is a pair of order statistics `[x(k), x(n+1-k)]`;
//! its coverage is exact for any continuous distribution,
//! `1 - 2 P(B <= k - 1)` with `B ~ Binomial(n, 1/2)` (statrs), and `k` is the
//! largest that keeps it at or above 95%. Below n = 6 no pair reaches 95%
//! (n = 3 gives the range with 75%): the estimate then carries its real
//! level, prints it, and decides nothing (`side`). An unpaired ratio needs
//! n >= 7 on each side (two 97.5% intervals). This replaces a
//! percentile bootstrap, which with 2 or 3 samples labelled about the
//! min-max "95%". The same data always gives the same interval.

use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, DiscreteCDF};

/// The level every interval aims at.
pub const LEVEL: f64 = 0.95;

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

/// Coverage of `[x(k), x(n+1-k)]` (1-based order statistics) for the median.
pub fn order_statistic_coverage(n: usize, k: usize) -> f64 {
    if n == 0 || k == 0 || 2 * k > n + 1 {
        return 0.0;
    }
    let b = Binomial::new(0.5, n as u64).expect("p = 0.5 is a valid probability");
    (1.0 - 2.0 * b.cdf((k - 1) as u64)).max(0.0)
}

/// The median's interval from sorted data at `level` or, where n is too
/// small for it, the range with its own (lower) coverage: `(low, high, coverage)`.
fn median_interval(sorted: &[f64], level: f64) -> (f64, f64, f64) {
    let n = sorted.len();
    let mut k = 1;
    while 2 * (k + 1) <= n && order_statistic_coverage(n, k + 1) >= level {
        k += 1;
    }
    (sorted[k - 1], sorted[n - k], order_statistic_coverage(n, k))
}

/// A median with its confidence interval and that interval's level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub n: usize,
    pub median: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// The interval's coverage: at least `LEVEL` where n allows, else the
    /// best the data gives (0 for fewer than two samples).
    /// Estimates stored before levels existed read as "no interval".
    #[serde(default)]
    pub level: f64,
}

impl Estimate {
    /// An estimate whose interval has the nominal 95% level (for rules'
    /// unit tests and figures built by hand).
    pub fn at_95(n: usize, median: f64, ci_low: f64, ci_high: f64) -> Self {
        Estimate { n, median, ci_low, ci_high, level: LEVEL }
    }

    /// Whether the interval reaches the nominal 95%.
    pub fn is_95(&self) -> bool {
        self.n >= 2 && self.level >= LEVEL - 1e-12
    }

    /// Half-width of the interval relative to the median.
    pub fn relative_half_width(&self) -> f64 {
        (self.ci_high - self.ci_low) / 2.0 / self.median.abs()
    }

    /// The smallest relative difference this comparison can resolve at
    /// 95%: its interval's half-width relative to the median (infinite
    /// where the data give no 95% interval).
    pub fn min_detectable_effect(&self) -> f64 {
        if self.is_95() {
            self.relative_half_width()
        } else {
            f64::INFINITY
        }
    }
}

/// An estimate as `median [low, high] (n = N)`; an interval under 95%
/// prints its level, and a single sample says it has no interval.
pub fn show(e: &Estimate, digits: usize) -> String {
    if e.n < 2 {
        return format!("{:.digits$} (n = {}, no interval)", e.median, e.n);
    }
    if !e.is_95() {
        return format!("{:.digits$} [{:.digits$}, {:.digits$}] (n = {}, only a {:.0}% interval)", e.median, e.ci_low, e.ci_high, e.n, 100.0 * e.level);
    }
    format!("{:.digits$} [{:.digits$}, {:.digits$}] (n = {})", e.median, e.ci_low, e.ci_high, e.n)
}

/// Median of `xs` with its distribution-free interval.
pub fn estimate(xs: &[f64]) -> Estimate {
    estimate_at(xs, LEVEL)
}

fn estimate_at(xs: &[f64], level: f64) -> Estimate {
    let m = median(xs);
    // A NaN or infinite sample has no place among order statistics: no interval.
    if xs.len() < 2 || xs.iter().any(|x| !x.is_finite()) {
        return Estimate { n: xs.len(), median: m, ci_low: m, ci_high: m, level: 0.0 };
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let (ci_low, ci_high, level) = median_interval(&v, level);
    Estimate { n: xs.len(), median: m, ci_low, ci_high, level }
}

/// A paired design's ratio (A B A B ..., `a[i]` and `b[i]` measured side by
/// side): the median of the per-pair ratios `a[i] / b[i]` with its
/// interval, so drift that moves both sides of a pair cancels instead of
/// widening the interval. Unequal lengths use the common prefix.
pub fn paired_ratio(a: &[f64], b: &[f64]) -> Estimate {
    let rs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    estimate(&rs)
}

/// `median(a) / median(b)` for independent samples of positive values: the
/// interval divides each median's interval at 97.5% by the other's
/// (`[a_low / b_high, a_high / b_low]`), which covers the true ratio with at
/// least 95% (Bonferroni); conservative, and needs no resampling.
pub fn ratio(a: &[f64], b: &[f64]) -> Estimate {
    let r = median(a) / median(b);
    let n = a.len().min(b.len());
    if a.len() < 2 || b.len() < 2 {
        return Estimate { n, median: r, ci_low: r, ci_high: r, level: 0.0 };
    }
    let half = 1.0 - (1.0 - LEVEL) / 2.0;
    let (ea, eb) = (estimate_at(a, half), estimate_at(b, half));
    let level = (1.0 - (1.0 - ea.level) - (1.0 - eb.level)).max(0.0);
    if eb.ci_low <= 0.0 || ea.ci_low < 0.0 {
        return Estimate { n, median: r, ci_low: f64::NEG_INFINITY, ci_high: f64::INFINITY, level };
    }
    Estimate { n, median: r, ci_low: ea.ci_low / eb.ci_high, ci_high: ea.ci_high / eb.ci_low, level }
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
    if !e.is_95() {
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
        assert!(u.ci_high - u.ci_low > 0.1, "unpaired intervals see the drift: {u:?}");
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
        assert_eq!(estimate(&xs), e, "same data, same interval");
        assert!(e.is_95());
    }

    #[test]
    fn order_statistic_intervals_have_their_exact_coverage() {
        // n = 3: the range covers the median with 1 - 2 / 8 = 75%.
        assert!((order_statistic_coverage(3, 1) - 0.75).abs() < 1e-12);
        assert!((order_statistic_coverage(5, 1) - 0.9375).abs() < 1e-12);
        assert!((order_statistic_coverage(6, 1) - 0.96875).abs() < 1e-12);
        // n = 10: [x(2), x(9)] is the narrowest pair at 95% (97.85%); [x(3), x(8)] is 89%.
        assert!((order_statistic_coverage(10, 2) - 0.978515625).abs() < 1e-9);
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        let e = estimate(&xs);
        assert_eq!((e.ci_low, e.ci_high), (2.0, 9.0));
        assert!(e.level >= LEVEL);
    }

    #[test]
    fn a_non_finite_sample_gives_no_interval() {
        let e = estimate(&[1.0, 2.0, f64::NAN, 3.0, 4.0, 5.0, 6.0]);
        assert!(!e.is_95() && e.level == 0.0);
        assert_eq!(side(&e, 0.0), Side::Straddles);
    }

    #[test]
    fn three_samples_give_no_95_percent_interval_and_decide_nothing() {
        let e = estimate(&[1.0, 2.0, 3.0]);
        assert_eq!((e.ci_low, e.ci_high), (1.0, 3.0));
        assert!(!e.is_95() && (e.level - 0.75).abs() < 1e-12);
        assert_eq!(side(&e, 10.0), Side::Straddles, "even far from the threshold");
        assert_eq!(show(&e, 1), "2.0 [1.0, 3.0] (n = 3, only a 75% interval)");
        assert_eq!(e.min_detectable_effect(), f64::INFINITY);
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
