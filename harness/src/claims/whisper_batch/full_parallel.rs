//! Claim 5 on whisper.cpp's own path for parallel work on CPU,
//! `whisper_full_parallel` (`experiments::full_parallel`): one long audio
//! split across one state per core, against `whisper_full` with every
//! thread on the same audio, paired by round. It is not batching (each
//! state runs its own matrix products), so it cannot confirm that a batch
//! API is needed; it can show that the seed's CPU gain is already there
//! without one, if it is bought without losing words at chunk edges.

use crate::claims::verdict::{comparison, Outcome, Verdict};
use crate::experiments::full_parallel::{ways, Data};
use crate::measure::stats::{paired_ratio, side, Estimate, Side};
use crate::report::markdown::{est, table};

/// The part this module decides.
pub const PART: crate::claims::registry::Part = crate::claims::registry::Part {
    id: "own-parallel",
    question: "CPU: +10-15% needs a batch API? whisper.cpp's own `whisper_full_parallel` (one audio split across states) against one state with every thread",
};

/// The most word error rate, in absolute points, the split may add over
/// one state before its speed stops counting: the gain must not be bought
/// with words cut at chunk edges.
pub const MAX_WER_LOSS: f64 = 0.02;

/// What the rule looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct ParallelFigures {
    /// Throughput of C states of one thread over one state of C threads (paired by round).
    pub gain: Estimate,
    /// One state: throughput of C threads over one thread (paired by round).
    pub thread_scaling: Estimate,
    /// Word error rate of the split and of one state with every thread.
    pub wer_split: f64,
    pub wer_one: f64,
    pub cores: usize,
    pub audio_s: f64,
    pub versions: String,
}

/// The figures of the evidence (None: fewer than two cores, or a way missing).
pub fn figures(d: &Data) -> Option<ParallelFigures> {
    let w = ways(d.cores);
    let [single, all_threads, split] = w.as_slice() else { return None };
    let ms = |k: String| d.pass_ms.get(&k).filter(|v| !v.is_empty());
    let (single, all, split_ms) = (ms(single.key())?, ms(all_threads.key())?, ms(split.key())?);
    Some(ParallelFigures {
        gain: paired_ratio(all, split_ms),
        thread_scaling: paired_ratio(single, all),
        wer_split: *d.wer.get(&split.key())?,
        wer_one: *d.wer.get(&all_threads.key())?,
        cores: d.cores,
        audio_s: d.audio_s,
        versions: d.versions.clone(),
    })
}

/// The rule, pure: refuted when the split reaches the seed's CPU gain
/// (whole interval at or above it) with at most [`MAX_WER_LOSS`] more word
/// errors, since then the gain needs no new API for long audio;
/// inconclusive otherwise (the split is not a batch, so falling short says
/// nothing of one).
pub fn rule(f: Option<&ParallelFigures>, claimed: f64) -> Verdict {
    let Some(f) = f else {
        return Verdict::new(PART.id, Outcome::NotMeasured, "no whisper_full_parallel evidence on two or more cores");
    };
    let loss = f.wer_split - f.wer_one;
    let figures = format!(
        "{}, {} cores, {:.0} s of speech: {} states of 1 thread give {} the throughput of 1 state of {} threads; word error rate {:.1}% split against {:.1}% whole \
         (the split may add at most {:.0} points); the seed's CPU gain starts at {claimed:.2}x",
        f.versions,
        f.cores,
        f.audio_s,
        f.cores,
        comparison(&f.gain, 3),
        f.cores,
        100.0 * f.wer_split,
        100.0 * f.wer_one,
        100.0 * MAX_WER_LOSS
    );
    let outcome = if side(&f.gain, claimed) == Side::Above && loss <= MAX_WER_LOSS { Outcome::Refuted } else { Outcome::Inconclusive };
    Verdict::new(PART.id, outcome, figures)
}

/// The report's section: method and the paired ratios.
pub fn section(f: Option<&ParallelFigures>, d: &Data, rel: &str) -> String {
    let Some(f) = f else { return "\n### whisper.cpp's own parallel path\n\nNo `whisper-full-parallel` evidence on two or more cores.\n\n".into() };
    let rows: Vec<Vec<String>> = d
        .pass_ms
        .iter()
        .map(|(way, ms)| {
            let e = crate::measure::stats::estimate(ms);
            vec![way.clone(), est(&e, 0), format!("{:.2}", d.audio_s / (e.median / 1e3)), d.wer.get(way).map_or("-".into(), |w| format!("{:.1}%", 100.0 * w))]
        })
        .collect();
    format!(
        "\n### whisper.cpp's own parallel path: `whisper_full_parallel`\n\n`harness experiment whisper-full-parallel` (`{rel}`): {} through whisper-rs-sys (whisper-rs \
         does not wrap it), greedy decoding in English as the harness's stage sets it, on the five librivox clips repeated to {:.0} s of speech as one audio. Ways are \
         processors x threads each: `1x{c}` is `whisper_full` with every thread, `{c}x1` splits the audio into {c} chunks, one state and thread each. One process loads \
         the model once and warms every way up; each round times one transcription per way (no model loading) in rotated order. Word error rate against the \
         reference transcripts (the split can cut words at chunk edges; one transcription per way, so no interval). Each split call also makes {c_less} new \
         state(s), as `whisper_full_parallel` does, and that cost is in its time; the chunks' own return codes are not passed back, so the word error rate is \
         the only check that every chunk was transcribed.\n\n{}\nPaired by round (median [95% CI]): `{c}x1` over `1x{c}` throughput {}; one state's \
         thread scaling, `1x{c}` over `1x1`: {}.\n\n",
        f.versions,
        f.audio_s,
        table(&["way (processors x threads)", "ms per transcription", "audio-s per s (median)", "word error rate"], &rows),
        est(&f.gain, 3),
        est(&f.thread_scaling, 3),
        c = f.cores,
        c_less = f.cores - 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(lo: f64, hi: f64, wer_split: f64) -> ParallelFigures {
        ParallelFigures {
            gain: Estimate::at_95(10, (lo + hi) / 2.0, lo, hi),
            thread_scaling: Estimate::at_95(10, 1.8, 1.7, 1.9),
            wer_split,
            wer_one: 0.05,
            cores: 2,
            audio_s: 99.0,
            versions: "whisper-rs-sys 0.15.0".into(),
        }
    }

    #[test]
    fn the_split_refutes_only_a_clean_gain_above_the_seeds() {
        assert_eq!(rule(Some(&fig(1.12, 1.2, 0.05)), 1.10).outcome, Outcome::Refuted);
        assert_eq!(rule(Some(&fig(1.12, 1.2, 0.08)), 1.10).outcome, Outcome::Inconclusive, "bought with words");
        assert_eq!(rule(Some(&fig(1.05, 1.15, 0.05)), 1.10).outcome, Outcome::Inconclusive);
        assert_eq!(rule(Some(&fig(0.9, 1.0, 0.05)), 1.10).outcome, Outcome::Inconclusive, "a split is not a batch");
        assert_eq!(rule(None, 1.10).outcome, Outcome::NotMeasured);
    }

    #[test]
    fn the_figures_pair_the_split_with_all_threads_by_round() {
        let mut d = Data { cores: 2, audio_s: 99.0, ..Default::default() };
        d.pass_ms.insert("1x1".into(), vec![200.0, 220.0]);
        d.pass_ms.insert("1x2".into(), vec![100.0, 110.0]);
        d.pass_ms.insert("2x1".into(), vec![80.0, 110.0]);
        d.wer.insert("1x2".into(), 0.05);
        d.wer.insert("2x1".into(), 0.06);
        let f = figures(&d).unwrap();
        assert!((f.gain.median - (1.25 + 1.0) / 2.0).abs() < 1e-9, "{:?}", f.gain);
        assert!((f.thread_scaling.median - 2.0).abs() < 1e-9);
        assert_eq!((f.wer_split, f.wer_one), (0.06, 0.05));
        assert!(figures(&Data { cores: 1, ..d }).is_none(), "one core has no split");
    }
}
