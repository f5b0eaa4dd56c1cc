//! Claim 3's figures from the seed, each against this machine's
//! measurement (`experiments::fft_sizes`, the workspace's rustfft), by
//! `claims::seed_figures::judge`. Nothing here is stated for more cores
//! than were measured: the 8-core figure is "not measured", shown with
//! what 8 cores would need.

use super::sizes::{measured_threshold, parallel_fraction_needed, parallel_fraction_of, SizeFigures, SEED_THRESHOLD};
use crate::claims::seed_figures::{Claimed, Row};
use crate::measure::stats::Estimate;

/// The seed's "2-4x on 8-core CPUs".
pub const SEED_CORES: f64 = 8.0;

/// The size whose estimate has the highest (`best`) or lowest median.
fn pick<'a>(sizes: impl Iterator<Item = &'a SizeFigures>, of: impl Fn(&SizeFigures) -> Estimate, best: bool) -> Option<(usize, Estimate)> {
    let mut v: Vec<(usize, Estimate)> = sizes.map(|s| (s.n, of(s))).filter(|(_, e)| e.median.is_finite()).collect();
    v.sort_by(|a, b| a.1.median.total_cmp(&b.1.median));
    if best {
        v.pop()
    } else {
        v.into_iter().next()
    }
}

fn interval(e: &Estimate) -> Option<(f64, f64)> {
    e.is_95().then_some((e.ci_low, e.ci_high))
}

/// One row per figure of the seed's claim 3, on `sizes` (one version's)
/// measured with `threads` threads.
pub fn rows(sizes: &[SizeFigures], threads: usize, version: &str) -> Vec<Row> {
    let large = || sizes.iter().filter(|s| s.n > SEED_THRESHOLD);
    let split_best = pick(large(), |s| s.split_speedup, true);
    let use_case = || sizes.iter().filter(|s| (2048..=4096).contains(&s.n));
    // The use case is every size from 2048 to 4096: the figure must hold at the least favourable one.
    let frames_worst = pick(use_case(), |s| s.frames_speedup, false);
    let largest = sizes.last();
    let needs = |s: f64| parallel_fraction_needed(s, SEED_CORES);
    vec![
        Row {
            quote: "+50-100% FFT speed for large transforms",
            claimed: Claimed::Between(1.5, 2.0),
            measured: split_best.map(|(_, e)| e.median),
            interval: split_best.and_then(|(_, e)| interval(&e)),
            shown: match &split_best {
                Some((n, e)) => format!(
                    "{} at best (n = {n}): one transform split four-step over {threads} threads against serial rustfft {version}; every size in Results",
                    crate::measure::stats::show(e, 2)
                ),
                None => format!("no size above {SEED_THRESHOLD} measured"),
            },
        },
        Row {
            quote: "For n > 4096, use Rayon to parallelize butterfly operations",
            claimed: Claimed::About(SEED_THRESHOLD as f64),
            // A threshold above the largest size is at least that size: a bound, enough to refuse "4096".
            measured: match measured_threshold(sizes) {
                Some(t) => Some(t as f64),
                None => largest.map(|s| s.n as f64),
            },
            interval: None,
            shown: match (measured_threshold(sizes), largest) {
                (Some(0), _) => "the split beats serial rustfft at every size measured (threshold below the smallest)".into(),
                (Some(t), _) => format!("the split beats serial rustfft (whole interval above 1) at every size above {t}"),
                (None, Some(l)) => format!("the split beats serial rustfft at no size up to {} (threshold at least that)", l.n),
                (None, None) => "no sizes measured".into(),
            },
        },
        Row {
            quote: "Typical speedup: 2-4x on 8-core CPUs for large FFTs",
            claimed: Claimed::Between(2.0, 4.0),
            // Only a machine with the seed's cores measures it.
            measured: if threads as f64 >= SEED_CORES { split_best.map(|(_, e)| e.median) } else { None },
            interval: split_best.filter(|_| threads as f64 >= SEED_CORES).and_then(|(_, e)| interval(&e)),
            shown: match largest {
                Some(l) => format!(
                    "measured with {threads} threads (an 8-core figure needs 8 cores). The split's 1 -> {threads} thread scaling at n = {} is {:.2}x \
                     (Amdahl: a parallel fraction of {:.2}); 2x on 8 cores needs a fraction of {:.2} and no more cost than serial rustfft, 4x needs {:.2}",
                    l.n,
                    l.split_scaling.median,
                    parallel_fraction_of(l.split_scaling.median, threads as f64),
                    needs(2.0),
                    needs(4.0)
                ),
                None => "no sizes measured".into(),
            },
        },
        Row {
            quote: "mel-spectrogram (2048-4096 point FFTs)",
            claimed: Claimed::Between(1.5, 2.0),
            measured: frames_worst.map(|(_, e)| e.median),
            interval: frames_worst.and_then(|(_, e)| interval(&e)),
            shown: match &frames_worst {
                Some((n, e)) => format!(
                    "the seed's use case reaches {} at its least favourable size (n = {n}) with rayon over STFT frames on {threads} threads, no rustfft change; \
                     judged against the seed's +50-100%",
                    crate::measure::stats::show(e, 2)
                ),
                None => "no STFT of 2048-4096 points measured".into(),
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use crate::evidence::store::{self, Evidence};

    #[test]
    fn every_row_quotes_the_seed_verbatim_and_is_judged() {
        let seed = std::fs::read_to_string(crate::paths::workspace_root().join(crate::claims::registry::SEED_FILE)).expect("the seed is readable");
        let path = store::pinned(crate::experiments::fft_sizes::EXPERIMENT).expect("claim 3's FFT sizes evidence is pinned");
        let ev: Evidence<crate::experiments::fft_sizes::Data> = store::read(&path).unwrap();
        let v = super::super::sizes::versions(&ev.data).pop().expect("a version ran");
        let rows = super::rows(&super::super::sizes::of_version(&ev.data, &v), ev.data.threads, &v);
        assert_eq!(rows.len(), 4, "one row per figure the seed gives for claim 3");
        for r in &rows {
            assert!(seed.contains(r.quote), "not verbatim in the seed: {:?}", r.quote);
        }
        if ev.data.threads < 8 {
            assert_eq!(rows[2].verdict().outcome, crate::claims::verdict::Outcome::NotMeasured, "8 cores are never stated from fewer");
        }
    }
}
