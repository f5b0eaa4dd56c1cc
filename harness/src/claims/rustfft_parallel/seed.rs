//! Claim 3's figures from the seed, each against this machine's
//! measurement (`experiments::fft_sizes`, the workspace's rustfft), by
//! `claims::seed_figures::judge`. Nothing here is stated for more cores
//! than were measured: the 8-core figure is "not measured", shown with
//! what 8 cores would need.

use super::sizes::{competitive, measured_threshold, parallel_fraction_needed, SizeFigures, COMPETITIVE_COST, SEED_THRESHOLD};
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

use crate::claims::seed_figures::interval;

/// `; why not judged`, when the prototype is not fit to decide.
fn unjudged(fit: bool, unfit: &str) -> String {
    if fit {
        String::new()
    } else {
        format!("; {unfit}")
    }
}

/// One row per figure of the seed's claim 3, on `sizes` (one version's)
/// measured with `threads` threads. The split prototype's figures are
/// judged only where it is [`competitive`] with rustfft on one thread.
pub fn rows(sizes: &[SizeFigures], threads: usize, version: &str) -> Vec<Row> {
    let large = || sizes.iter().filter(|s| s.n > SEED_THRESHOLD);
    let split_best = pick(large(), |s| s.split_speedup, true);
    let fit = large().any(competitive);
    let cost = pick(large(), |s| s.split_overhead, false).map_or(String::new(), |(n, e)| format!("{:.2}x at n = {n}", e.median));
    let unfit = format!(
        "not judged: on one thread this prototype costs at least {cost} serial rustfft before any parallelism (it decides only at {COMPETITIVE_COST}x or less)"
    );
    let largest = sizes.last();
    let needs = |s: f64| parallel_fraction_needed(s, SEED_CORES);
    let judged = |e: &Estimate| if fit { Some(e.median) } else { None };
    vec![
        Row {
            quote: "+50-100% FFT speed for large transforms",
            claimed: Claimed::Gain(1.5, 2.0),
            measured: split_best.as_ref().and_then(|(_, e)| judged(e)),
            interval: split_best.filter(|_| fit).and_then(|(_, e)| interval(&e)),
            shown: match &split_best {
                Some((n, e)) => format!(
                    "{} at best (n = {n}): this prototype, one transform split four-step over {threads} logical cores against serial rustfft {version}; {}",
                    crate::measure::stats::show(e, 2),
                    if fit { "every size in Results".to_string() } else { unfit.clone() }
                ),
                None => format!("no size above {SEED_THRESHOLD} measured"),
            },
        },
        Row {
            quote: "For n > 4096, use Rayon to parallelize butterfly operations",
            claimed: Claimed::About(SEED_THRESHOLD as f64),
            // Only a threshold inside the sizes measured is a measurement; beyond them it is a bound, shown but not judged.
            measured: measured_threshold(sizes).filter(|_| fit).map(|t| t as f64),
            interval: None,
            shown: match (measured_threshold(sizes), largest) {
                (Some(0), _) => format!("the split beats serial rustfft at every size measured (threshold below the smallest){}", unjudged(fit, &unfit)),
                (Some(t), _) => format!("the split beats serial rustfft (whole interval above 1) at every size above {t}{}", unjudged(fit, &unfit)),
                (None, Some(l)) => {
                    format!("the split beats serial rustfft at no size up to {}: a threshold, if any, lies above the sizes measured; {unfit}", l.n)
                }
                (None, None) => "no sizes measured".into(),
            },
        },
        Row {
            quote: "Typical speedup: 2-4x on 8-core CPUs for large FFTs",
            claimed: Claimed::Gain(2.0, 4.0),
            // Only a machine with the seed's cores, and a prototype fit to decide, measures it.
            measured: if threads as f64 >= SEED_CORES { split_best.as_ref().and_then(|(_, e)| judged(e)) } else { None },
            interval: split_best.filter(|_| fit && threads as f64 >= SEED_CORES).and_then(|(_, e)| interval(&e)),
            shown: match largest {
                Some(l) => format!(
                    "measured with {threads} logical cores (an 8-core figure needs 8 cores). For scale only: this prototype's 1 -> {threads} thread scaling at \
                     n = {} is {:.2}x (logical cores, possibly SMT siblings); by Amdahl's law 2x on 8 cores needs a parallel fraction of {:.2} and no cost \
                     over serial rustfft, 4x needs {:.2}",
                    l.n,
                    l.split_scaling.median,
                    needs(2.0),
                    needs(4.0)
                ),
                None => "no sizes measured".into(),
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use crate::evidence::store::{self, Evidence};

    #[test]
    fn a_threshold_from_a_prototype_unfit_to_decide_says_why_it_is_not_judged() {
        let e = |m: f64| crate::measure::stats::Estimate::at_95(30, m, m - 0.02, m + 0.02);
        let size = |n, speedup| super::SizeFigures {
            n,
            frames_speedup: e(1.8),
            frames_limit: 2.0,
            split_speedup: e(speedup),
            split_scaling: e(1.5),
            split_overhead: e(1.45),
            serial_us: e(10.0),
            mixed_overhead: None,
        };
        let rows = super::rows(&[size(8192, 0.9), size(16384, 1.1), size(65536, 1.2)], 2, "6.4.1");
        let threshold = &rows[1];
        assert!(threshold.shown.contains("every size above 8192") && threshold.shown.contains("not judged"), "{}", threshold.shown);
        assert_eq!(threshold.verdict().outcome, crate::claims::verdict::Outcome::NotMeasured);
    }

    #[test]
    fn every_row_quotes_the_seed_verbatim_and_is_judged() {
        let seed = std::fs::read_to_string(crate::paths::workspace_root().join(crate::claims::registry::SEED_FILE)).expect("the seed is readable");
        let path = store::pinned(crate::experiments::fft_sizes::EXPERIMENT).expect("claim 3's FFT sizes evidence is pinned");
        let ev: Evidence<crate::experiments::fft_sizes::Data> = store::read(&path).unwrap();
        let v = super::super::sizes::versions(&ev.data).pop().expect("a version ran");
        let rows = super::rows(&super::super::sizes::of_version(&ev.data, &v), ev.data.threads, &v);
        assert_eq!(rows.len(), 3, "one row per figure the seed gives for claim 3");
        for r in &rows {
            assert!(seed.contains(r.quote), "not verbatim in the seed: {:?}", r.quote);
        }
        if ev.data.threads < 8 {
            assert_eq!(rows[2].verdict().outcome, crate::claims::verdict::Outcome::NotMeasured, "8 cores are never stated from fewer");
        }
    }
}
