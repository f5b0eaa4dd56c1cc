//! Claim 3 at the seed's sizes, from `experiments::fft_sizes`: per rustfft
//! version and FFT size, the paired speed-ups of rayon over frames and of
//! one transform split across threads, the 1 -> N scaling of the split,
//! and the rule on "for n > 4096, parallelize the butterflies".

use super::{Outcome, Verdict, NO_CHANGE_NEEDED};
use crate::experiments::fft_sizes::{Data, SizeSamples};
use crate::measure::stats::{estimate, paired_ratio, side, Estimate, Side};

/// The seed's threshold: "For n > 4096".
pub const SEED_THRESHOLD: usize = 4096;

/// One size's figures on one version.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeFigures {
    pub n: usize,
    /// Serial STFT / rayon STFT over frames (no rustfft change).
    pub frames_speedup: Estimate,
    /// Serial rustfft / the split transform on all the threads.
    pub split_speedup: Estimate,
    /// The split on 1 thread / on all the threads.
    pub split_scaling: Estimate,
    /// The split on 1 thread / serial rustfft: its cost before any parallelism.
    pub split_overhead: Estimate,
    /// Microseconds per serial rustfft transform.
    pub serial_us: Estimate,
}

fn figures_of(s: &SizeSamples) -> Option<SizeFigures> {
    let g = |v: &str| s.ns.get(v).filter(|x| !x.is_empty());
    let (fs, fr, ss, s1, sn) = (g("frames-serial")?, g("frames-rayon")?, g("single-serial")?, g("split-1")?, g("split-n")?);
    Some(SizeFigures {
        n: s.n,
        frames_speedup: paired_ratio(fs, fr),
        split_speedup: paired_ratio(ss, sn),
        split_scaling: paired_ratio(s1, sn),
        split_overhead: paired_ratio(s1, ss),
        serial_us: estimate(&ss.iter().map(|ns| ns / 1e3 / s.reps.max(1) as f64).collect::<Vec<_>>()),
    })
}

/// Every size's figures on `version` (as resolved), smallest first.
pub fn of_version(d: &Data, version: &str) -> Vec<SizeFigures> {
    d.versions.iter().filter(|v| v.resolved.as_deref() == Some(version)).flat_map(|v| v.sizes.iter().filter_map(figures_of)).collect()
}

/// The versions that ran, oldest first.
pub fn versions(d: &Data) -> Vec<String> {
    let mut v: Vec<String> = d.versions.iter().filter_map(|v| v.resolved.clone()).collect();
    crate::claims::ledger::sort_versions(&mut v);
    v
}

/// The rule on the seed's "for n > 4096, use Rayon to parallelize
/// butterfly operations ... +50-100%", pure: confirmed when the split
/// transform reaches the seed's +50% ([`NO_CHANGE_NEEDED`]) over serial
/// rustfft at some size above 4096 (whole interval); refuted when every
/// size above 4096 stays below it (whole interval); otherwise inconclusive.
pub fn split_rule(sizes: &[SizeFigures], threads: usize, version: &str) -> Verdict {
    let large: Vec<&SizeFigures> = sizes.iter().filter(|s| s.n > SEED_THRESHOLD).collect();
    if large.is_empty() {
        return Verdict::new(super::SPLIT_PART, Outcome::NotMeasured, format!("no size above {SEED_THRESHOLD} measured on rustfft {version}"));
    }
    let shown: Vec<String> = large.iter().map(|s| format!("n = {}: {}", s.n, crate::claims::verdict::comparison(&s.split_speedup, 2))).collect();
    let figures = format!("one transform split four-step over {threads} threads, against serial rustfft {version} (x times as fast): {}", shown.join("; "));
    let outcome = if large.iter().any(|s| side(&s.split_speedup, NO_CHANGE_NEEDED) == Side::Above) {
        Outcome::Confirmed
    } else if large.iter().all(|s| side(&s.split_speedup, NO_CHANGE_NEEDED) == Side::Below) {
        Outcome::Refuted
    } else {
        Outcome::Inconclusive
    };
    Verdict::new(super::SPLIT_PART, outcome, figures)
}

/// The threshold `T` in "n > T" as measured: the largest size at which the
/// split does not beat serial rustfft (its whole interval above 1) while
/// every larger size does; `None` when it beats it at no size (the
/// threshold is then above the largest size measured), `Some(0)` when it
/// beats it at every size.
pub fn measured_threshold(sizes: &[SizeFigures]) -> Option<usize> {
    let wins = |s: &SizeFigures| side(&s.split_speedup, 1.0) == Side::Above;
    let last = sizes.last()?;
    if !wins(last) {
        return None;
    }
    Some(sizes.iter().rev().find(|s| !wins(s)).map_or(0, |s| s.n))
}

/// What `p` cores need for a speed-up `s` by Amdahl's law: the parallel
/// fraction `(1 - 1/s) / (1 - 1/p)`; above 1, no fraction reaches it.
pub fn parallel_fraction_needed(s: f64, p: f64) -> f64 {
    (1.0 - 1.0 / s) / (1.0 - 1.0 / p)
}

/// The parallel fraction a measured 1 -> `p` scaling `s` implies (Amdahl),
/// clamped to [0, 1].
pub fn parallel_fraction_of(s: f64, p: f64) -> f64 {
    parallel_fraction_needed(s, p).clamp(0.0, 1.0)
}

/// The results table: per version and size.
pub fn table(d: &Data) -> String {
    let mut rows = Vec::new();
    for v in versions(d) {
        for s in of_version(d, &v) {
            rows.push(vec![
                v.clone(),
                s.n.to_string(),
                crate::report::markdown::est(&s.serial_us, 1),
                crate::report::markdown::est(&s.frames_speedup, 2),
                crate::report::markdown::est(&s.split_speedup, 2),
                crate::report::markdown::est(&s.split_scaling, 2),
                crate::report::markdown::est(&s.split_overhead, 2),
            ]);
        }
    }
    let mut out = crate::report::markdown::table(
        &[
            "rustfft",
            "points",
            "serial rustfft, us per transform",
            "rayon over STFT frames / serial",
            "split on all threads / serial rustfft",
            "split: 1 thread / all threads",
            "split on 1 thread: cost vs serial rustfft",
        ],
        &rows,
    );
    for v in d.versions.iter().filter(|v| v.error.is_some()) {
        out += &format!("\nrustfft {}: not measured: {}\n", v.version, v.error.as_deref().unwrap_or(""));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(n: usize, split: (f64, f64)) -> SizeFigures {
        let e = |lo: f64, hi: f64| Estimate::at_95(20, (lo + hi) / 2.0, lo, hi);
        SizeFigures {
            n,
            frames_speedup: e(1.8, 1.9),
            split_speedup: e(split.0, split.1),
            split_scaling: e(1.0, 1.1),
            split_overhead: e(2.0, 2.2),
            serial_us: e(10.0, 11.0),
        }
    }

    #[test]
    fn the_split_rule_reaches_every_outcome() {
        let confirmed = [size(4096, (0.4, 0.5)), size(8192, (1.6, 1.8)), size(16384, (1.2, 1.3))];
        assert_eq!(split_rule(&confirmed, 2, "6.4.1").outcome, Outcome::Confirmed);
        let refuted = [size(4096, (1.9, 2.0)), size(8192, (0.4, 0.5)), size(16384, (1.2, 1.4))];
        assert_eq!(split_rule(&refuted, 2, "6.4.1").outcome, Outcome::Refuted, "only sizes above 4096 count");
        let unsure = [size(8192, (0.4, 0.5)), size(16384, (1.4, 1.6))];
        assert_eq!(split_rule(&unsure, 2, "6.4.1").outcome, Outcome::Inconclusive);
        assert_eq!(split_rule(&[size(2048, (3.0, 3.1))], 2, "6.4.1").outcome, Outcome::NotMeasured);
        assert!(split_rule(&confirmed, 2, "6.4.1").figures.contains("n = 8192: 1.70"), "{}", split_rule(&confirmed, 2, "6.4.1").figures);
    }

    #[test]
    fn the_threshold_is_where_the_split_starts_to_win_for_good() {
        assert_eq!(measured_threshold(&[size(4096, (0.5, 0.6)), size(8192, (1.1, 1.2)), size(16384, (1.3, 1.4))]), Some(4096));
        assert_eq!(measured_threshold(&[size(4096, (1.1, 1.2)), size(8192, (0.9, 1.2)), size(16384, (1.3, 1.4))]), Some(8192), "a later loss moves it");
        assert_eq!(measured_threshold(&[size(4096, (0.5, 0.6)), size(16384, (0.7, 0.8))]), None);
        assert_eq!(measured_threshold(&[size(512, (1.1, 1.2))]), Some(0));
    }

    #[test]
    fn amdahl_says_what_eight_cores_would_need() {
        assert!((parallel_fraction_needed(2.0, 8.0) - 4.0 / 7.0).abs() < 1e-12);
        assert!((parallel_fraction_needed(4.0, 8.0) - 6.0 / 7.0).abs() < 1e-12);
        assert_eq!(parallel_fraction_of(1.0, 2.0), 0.0);
        assert_eq!(parallel_fraction_of(2.0, 2.0), 1.0);
        assert_eq!(parallel_fraction_of(0.8, 2.0), 0.0, "a slow-down implies nothing parallel");
    }
}
