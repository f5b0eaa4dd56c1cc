//! Claim 3 at the seed's sizes, from `experiments::fft_sizes`: per rustfft
//! version and FFT size, the paired speed-ups of rayon over frames and of
//! one transform split across threads, the 1 -> N scaling of the split,
//! and the rule on "for n > 4096, parallelize the butterflies".

use super::{Outcome, Verdict, NO_CHANGE_NEEDED};
use crate::experiments::fft_sizes::{Data, SizeSamples};
use crate::measure::stats::{estimate, paired_ratio, side, Estimate, Side};

/// The seed's threshold: "For n > 4096".
pub const SEED_THRESHOLD: usize = 4096;
/// The split prototype decides the seed's idea only when, on one thread, it
/// costs at most this much more than serial rustfft (whole interval):
/// a prototype several times slower than rustfft before any parallelism
/// could not reach +50% on 2 cores whatever the idea is worth.
pub const COMPETITIVE_COST: f64 = 1.2;

/// One size's figures on one version.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeFigures {
    pub n: usize,
    /// STFT on 1 thread / on all threads, rayon over frames, same code (no rustfft change).
    pub frames_speedup: Estimate,
    /// The most the STFT's blocks of frames can gain on those threads; a
    /// speed-up above it means biased timing, and the size is not used.
    pub frames_limit: f64,
    /// Serial rustfft / the split transform on all the threads.
    pub split_speedup: Estimate,
    /// The split on 1 thread / on all the threads.
    pub split_scaling: Estimate,
    /// The split on 1 thread / serial rustfft: its cost before any parallelism.
    pub split_overhead: Estimate,
    /// Microseconds per serial rustfft transform.
    pub serial_us: Estimate,
    /// rustfft's own four-step (`MixedRadix`, the split's factors) / serial
    /// rustfft: what a split costs in rustfft's hands; `None` in evidence
    /// from before it was measured.
    pub mixed_overhead: Option<Estimate>,
}

fn figures_of(s: &SizeSamples) -> Option<SizeFigures> {
    let g = |v: &str| s.ns.get(v).filter(|x| !x.is_empty());
    let (fs, fr, ss, s1, sn) = (g("frames-1")?, g("frames-n")?, g("single-serial")?, g("split-1")?, g("split-n")?);
    Some(SizeFigures {
        n: s.n,
        frames_speedup: paired_ratio(fs, fr),
        frames_limit: s.frames_limit,
        split_speedup: paired_ratio(ss, sn),
        split_scaling: paired_ratio(s1, sn),
        split_overhead: paired_ratio(s1, ss),
        serial_us: estimate(&ss.iter().map(|ns| ns / 1e3 / s.reps.max(1) as f64).collect::<Vec<_>>()),
        mixed_overhead: g("mixed-radix").map(|m| paired_ratio(m, ss)),
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

/// Whether the prototype is fit to decide at this size: on one thread it
/// costs at most [`COMPETITIVE_COST`] x serial rustfft (whole interval).
pub fn competitive(s: &SizeFigures) -> bool {
    side(&s.split_overhead, COMPETITIVE_COST) == Side::Below
}

/// The rule on the seed's "for n > 4096, use Rayon to parallelize
/// butterfly operations ... +50-100%", pure: confirmed when the split
/// transform reaches the seed's +50% ([`NO_CHANGE_NEEDED`]) over serial
/// rustfft at some size above 4096 (whole interval); refuted when every
/// size above 4096 stays below it (whole interval) although the prototype
/// was competitive there ([`competitive`]); otherwise inconclusive: a slow
/// prototype shows nothing about the idea.
pub fn split_rule(sizes: &[SizeFigures], threads: usize, version: &str) -> Verdict {
    let large: Vec<&SizeFigures> = sizes.iter().filter(|s| s.n > SEED_THRESHOLD).collect();
    if large.is_empty() {
        return Verdict::new(super::SPLIT_PART, Outcome::NotMeasured, format!("no size above {SEED_THRESHOLD} measured on rustfft {version}"));
    }
    let shown: Vec<String> = large
        .iter()
        .map(|s| {
            format!("n = {}: {} (on 1 thread it costs {:.2}x rustfft)", s.n, crate::claims::verdict::comparison(&s.split_speedup, 2), s.split_overhead.median)
        })
        .collect();
    let figures = format!(
        "this prototype, one transform split four-step over {threads} logical cores, against serial rustfft {version} (x times as fast): {}",
        shown.join("; ")
    );
    let outcome = if large.iter().any(|s| side(&s.split_speedup, NO_CHANGE_NEEDED) == Side::Above) {
        Outcome::Confirmed
    } else if large.iter().all(|s| side(&s.split_speedup, NO_CHANGE_NEEDED) == Side::Below && competitive(s)) {
        Outcome::Refuted
    } else {
        Outcome::Inconclusive
    };
    let why = if outcome == Outcome::Inconclusive && !large.iter().any(|s| competitive(s)) {
        format!(
            "; the prototype's cost on one thread is below {COMPETITIVE_COST}x serial rustfft (whole interval) at no size, so it cannot decide the idea{}",
            mixed_cost(&large)
        )
    } else {
        String::new()
    };
    Verdict::new(super::SPLIT_PART, outcome, format!("{figures}{why}"))
}

/// rustfft's own four-step cost at these sizes, as a clause (empty when
/// not measured): a reference point for what a four-step costs.
fn mixed_cost(sizes: &[&SizeFigures]) -> String {
    let m: Vec<f64> = sizes.iter().filter_map(|s| s.mixed_overhead.as_ref().map(|e| e.median)).collect();
    if m.is_empty() {
        return String::new();
    }
    let (lo, hi) = m.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let cost = if format!("{lo:.2}") == format!("{hi:.2}") { format!("{lo:.2}x") } else { format!("{lo:.2}-{hi:.2}x") };
    let at = if m.len() == sizes.len() { "these sizes".to_string() } else { format!("the {} of these sizes where it was timed", m.len()) };
    format!(" (rustfft's own four-step, `MixedRadix` with the same factors, costs {cost} serial rustfft on one thread at {at})")
}

/// Whether the frames speed-up at this size is within what its blocks
/// allow (a larger one means the timing is biased).
pub fn frames_plausible(s: &SizeFigures) -> bool {
    !s.frames_limit.is_finite() || s.frames_speedup.median <= s.frames_limit * 1.02
}

/// The threshold `T` in "n > T" as measured: the largest size at which the
/// split does not beat serial rustfft (its whole interval above 1) while
/// every larger size does; `None` when it beats it at no size (the
/// threshold is then above the largest size measured), `Some(0)` when it
/// beats it at every size. Meaningful only where the prototype is
/// [`competitive`].
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

/// The results table: per version and size.
pub fn table(d: &Data) -> String {
    let mut rows = Vec::new();
    for v in versions(d) {
        for s in of_version(d, &v) {
            rows.push(vec![
                v.clone(),
                s.n.to_string(),
                crate::report::markdown::est(&s.serial_us, 1),
                format!(
                    "{}{}",
                    crate::report::markdown::est(&s.frames_speedup, 2),
                    if frames_plausible(&s) { String::new() } else { format!(" (above the blocks' limit of {:.2}: not used)", s.frames_limit) }
                ),
                if s.frames_limit.is_finite() { format!("{:.2}", s.frames_limit) } else { "-".into() },
                crate::report::markdown::est(&s.split_speedup, 2),
                crate::report::markdown::est(&s.split_scaling, 2),
                crate::report::markdown::est(&s.split_overhead, 2),
                s.mixed_overhead.as_ref().map_or("-".into(), |e| crate::report::markdown::est(e, 2)),
            ]);
        }
    }
    let mut out = crate::report::markdown::table(
        &[
            "rustfft",
            "points",
            "serial rustfft, us per transform",
            "STFT, rayon over frames: 1 thread / all threads",
            "limit of its blocks",
            "split on all threads / serial rustfft",
            "split: 1 thread / all threads",
            "split on 1 thread: cost vs serial rustfft",
            "rustfft's own four-step (MixedRadix), 1 thread: cost vs serial rustfft",
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
            frames_limit: 2.0,
            split_speedup: e(split.0, split.1),
            split_scaling: e(1.0, 1.1),
            split_overhead: e(1.05, 1.15),
            serial_us: e(10.0, 11.0),
            mixed_overhead: None,
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
        let slow = |n| SizeFigures { split_overhead: Estimate::at_95(20, 2.2, 2.1, 2.3), ..size(n, (0.4, 0.5)) };
        let v = split_rule(&[slow(8192), slow(16384)], 2, "6.4.1");
        assert_eq!(v.outcome, Outcome::Inconclusive, "a prototype slower than rustfft on one thread decides nothing");
        assert!(v.figures.contains("cannot decide the idea"), "{}", v.figures);
        assert!(!v.figures.contains("MixedRadix"), "not measured, not mentioned: {}", v.figures);
        let with_mixed = |n, m| SizeFigures { mixed_overhead: Some(Estimate::at_95(20, m, m - 0.05, m + 0.05)), ..slow(n) };
        let v = split_rule(&[with_mixed(8192, 1.3), with_mixed(16384, 1.1)], 2, "6.4.1");
        assert!(v.figures.contains("costs 1.10-1.30x serial rustfft on one thread at these sizes"), "{}", v.figures);
        let v = split_rule(&[with_mixed(8192, 1.3), slow(16384)], 2, "6.4.1");
        assert!(v.figures.contains("costs 1.30x serial rustfft on one thread at the 1 of these sizes where it was timed"), "{}", v.figures);
    }

    #[test]
    fn a_frames_speed_up_above_its_blocks_limit_is_not_used() {
        assert!(frames_plausible(&size(4096, (1.0, 1.0))));
        let biased = SizeFigures { frames_limit: 1.5, ..size(262144, (1.0, 1.0)) };
        assert!(!frames_plausible(&biased), "1.85x from blocks that allow 1.5x");
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
    }
}
