//! Claim 5 on the peer that batches Whisper on CPU today: faster-whisper's
//! `BatchedInferencePipeline` (`experiments::batched_peer`), batch sizes
//! against batch size 1 of the same pipeline, paired by round. This is
//! CTranslate2, not whisper.cpp: it shows what batching gives a Whisper
//! engine on this CPU, not what a whisper.cpp batch API would.

use crate::claims::verdict::{comparison, Outcome, Verdict};
use crate::experiments::batched_peer::Data;
use crate::measure::stats::{paired_ratio, side, Estimate, Side};

/// The part this module decides.
pub const PART: crate::claims::registry::Part = crate::claims::registry::Part {
    id: "peer-batching",
    question: "CPU: +10-15% from batching, on the engine that batches Whisper on CPU today (faster-whisper)",
};

/// What the rule looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerFigures {
    /// Per batch size B >= 2: time of batch size 1 / time of batch size B (paired by round).
    pub gains: Vec<(usize, Estimate)>,
    /// The plain per-clip `transcribe` / batch size 1 (the same work outside the pipeline).
    pub sequential_over_b1: Estimate,
    pub threads: usize,
    pub segments: usize,
    pub audio_s: f64,
    pub versions: String,
}

/// The figures of the peer evidence.
pub fn figures(d: &Data) -> Option<PeerFigures> {
    let b1 = d.pass_ms.get("1").filter(|v| !v.is_empty())?;
    let mut gains: Vec<(usize, Estimate)> =
        d.pass_ms.iter().filter_map(|(k, v)| Some((k.parse::<usize>().ok()?, v))).filter(|(b, _)| *b >= 2).map(|(b, v)| (b, paired_ratio(b1, v))).collect();
    gains.sort_by_key(|g| g.0);
    Some(PeerFigures {
        gains,
        sequential_over_b1: d.pass_ms.get("sequential").map_or(Estimate::at_95(0, f64::NAN, f64::NAN, f64::NAN), |s| paired_ratio(s, b1)),
        threads: d.threads,
        segments: d.segments,
        audio_s: d.audio_s,
        versions: d.versions.clone(),
    })
}

/// The best batch size by median gain.
pub fn best(f: &PeerFigures) -> Option<(usize, Estimate)> {
    f.gains.iter().copied().max_by(|a, b| a.1.median.total_cmp(&b.1.median))
}

/// The rule, pure: confirmed when some batch size gains the seed's +10% or
/// more over batch size 1 (whole interval), refuted when every batch size
/// stays below it (whole interval), otherwise inconclusive.
pub fn rule(f: Option<&PeerFigures>, claimed: f64) -> Verdict {
    let Some(f) = f.filter(|f| !f.gains.is_empty()) else {
        return Verdict::new(PART.id, Outcome::NotMeasured, "no batched peer evidence");
    };
    let shown: Vec<String> = f.gains.iter().map(|(b, e)| format!("batch {b}: {}", comparison(e, 3))).collect();
    let figures = format!(
        "{} on {} threads, {} clips ({:.0} s of speech) as segments, throughput against batch size 1 of the same pipeline: {}; the seed's CPU gain starts at {claimed:.2}x",
        f.versions,
        f.threads,
        f.segments,
        f.audio_s,
        shown.join("; ")
    );
    let outcome = if f.gains.iter().any(|(_, e)| side(e, claimed) == Side::Above) {
        Outcome::Confirmed
    } else if f.gains.iter().all(|(_, e)| side(e, claimed) == Side::Below) {
        Outcome::Refuted
    } else {
        Outcome::Inconclusive
    };
    Verdict::new(PART.id, outcome, figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(gains: &[(usize, f64, f64)]) -> PeerFigures {
        PeerFigures {
            gains: gains.iter().map(|&(b, lo, hi)| (b, Estimate::at_95(5, (lo + hi) / 2.0, lo, hi))).collect(),
            sequential_over_b1: Estimate::at_95(5, 1.1, 1.0, 1.2),
            threads: 2,
            segments: 20,
            audio_s: 99.0,
            versions: "faster-whisper 1.2.1".into(),
        }
    }

    #[test]
    fn the_peer_rule_reaches_every_outcome() {
        assert_eq!(rule(Some(&fig(&[(2, 1.12, 1.2), (4, 1.0, 1.05)])), 1.10).outcome, Outcome::Confirmed);
        assert_eq!(rule(Some(&fig(&[(2, 1.02, 1.08), (4, 0.98, 1.04)])), 1.10).outcome, Outcome::Refuted);
        assert_eq!(rule(Some(&fig(&[(2, 1.05, 1.15)])), 1.10).outcome, Outcome::Inconclusive);
        assert_eq!(rule(None, 1.10).outcome, Outcome::NotMeasured);
        assert_eq!(rule(Some(&fig(&[])), 1.10).outcome, Outcome::NotMeasured);
    }

    #[test]
    fn the_figures_pair_each_batch_size_with_batch_one_by_round() {
        let mut d = Data::default();
        d.pass_ms.insert("1".into(), vec![100.0, 120.0]);
        d.pass_ms.insert("2".into(), vec![90.0, 100.0]);
        d.pass_ms.insert("sequential".into(), vec![110.0, 132.0]);
        let f = figures(&d).unwrap();
        assert_eq!(f.gains.len(), 1);
        assert!((f.gains[0].1.median - (100.0 / 90.0 + 1.2) / 2.0).abs() < 1e-9, "{:?}", f.gains[0].1);
        assert!((f.sequential_over_b1.median - 1.1).abs() < 1e-9);
        assert_eq!(best(&f).unwrap().0, 2);
    }
}
