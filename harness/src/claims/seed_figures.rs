//! Every number the seed gives, judged: a report's table "the seed says |
//! measured here | verdict", one row per figure, the seed's words quoted
//! verbatim (a test checks each quote against the seed file). The rule is
//! one pure function ([`judge`]) over what kind of figure the seed states.

use super::verdict::{Outcome, Verdict};

/// A figure "about" X holds when the measured value is within this factor
/// of it either way: the seed's figures are round numbers from another
/// machine, so a factor, not a percentage, says whether they are the same
/// order of thing.
pub const ABOUT_FACTOR: f64 = 1.5;

/// What the seed states.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Claimed {
    /// "5MB", "90 second": about this value.
    About(f64),
    /// "50+": at least this value.
    AtLeast(f64),
    /// "zero deps": at most this value.
    AtMost(f64),
    /// "4-8 optimal": a range that is the figure itself; holds inside it.
    Between(f64, f64),
    /// "+50-100%", "2-3x faster": a gain the seed promises, as a ratio
    /// (1.5 to 2.0). It holds at or above the lower end: more than the
    /// seed promised does not make the promise wrong (the row says so).
    Gain(f64, f64),
}

impl Claimed {
    fn describe(self) -> String {
        match self {
            Claimed::About(x) => format!("about {x} (within {ABOUT_FACTOR}x either way)"),
            Claimed::AtLeast(x) => format!("at least {x}"),
            Claimed::AtMost(x) => format!("at most {x}"),
            Claimed::Between(lo, hi) => format!("between {lo} and {hi}"),
            Claimed::Gain(lo, hi) => format!("a gain of {lo}-{hi}x: at least {lo}"),
        }
    }
}

/// The rule, pure: `About` holds within [`ABOUT_FACTOR`] either way,
/// `AtLeast`/`AtMost`/`Between` as stated (a range is already the seed's
/// own tolerance, so none is added); a value that is not a finite number
/// (nothing measured) is "not measured".
pub fn judge(claimed: Claimed, measured: Option<f64>) -> Outcome {
    match measured {
        Some(m) => judge_interval(claimed, m, m),
        None => Outcome::NotMeasured,
    }
}

/// The same rule on a 95% interval `[lo, hi]`: confirmed when the whole
/// interval satisfies the figure, refuted when none of it does, otherwise
/// inconclusive at this resolution.
pub fn judge_interval(claimed: Claimed, lo: f64, hi: f64) -> Outcome {
    if !(lo.is_finite() && hi.is_finite()) || lo > hi {
        return Outcome::NotMeasured;
    }
    // The set of values for which the figure holds, as [min, max].
    let (min, max) = match claimed {
        Claimed::About(x) => (x / ABOUT_FACTOR, x * ABOUT_FACTOR),
        Claimed::AtLeast(x) => (x, f64::INFINITY),
        Claimed::AtMost(x) => (f64::NEG_INFINITY, x),
        Claimed::Between(a, b) => (a, b),
        Claimed::Gain(a, _) => (a, f64::INFINITY),
    };
    if lo >= min && hi <= max {
        Outcome::Confirmed
    } else if hi < min || lo > max {
        Outcome::Refuted
    } else {
        Outcome::Inconclusive
    }
}

/// The interval a row is judged on, from an estimate: its interval at
/// whatever level it has (fewer than 6 samples give under 95%, and the
/// table shows the level); none for a single sample.
pub fn interval(e: &crate::measure::stats::Estimate) -> Option<(f64, f64)> {
    (e.n >= 2 && e.level > 0.0 && e.ci_low.is_finite() && e.ci_high.is_finite()).then_some((e.ci_low, e.ci_high))
}

/// One figure of the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The seed's words, verbatim (a substring of one of its lines).
    pub quote: &'static str,
    pub claimed: Claimed,
    /// The measured value (None: not measured), and how it reads.
    pub measured: Option<f64>,
    /// Its 95% interval where it has one: the row is then judged on the
    /// whole interval, not the point.
    pub interval: Option<(f64, f64)>,
    pub shown: String,
}

impl Row {
    /// "measured / seed = r" for an "about" figure, the side a refuted range
    /// was missed on; empty otherwise.
    fn note(&self) -> String {
        let refuted = self.outcome() == Outcome::Refuted;
        match (self.claimed, self.measured) {
            (Claimed::About(x), Some(m)) if m > 0.0 => format!("; measured / seed = {:.2}", m / x),
            (Claimed::Between(_, hi), Some(m)) if refuted && m > hi => "; above the seed's range".to_string(),
            (Claimed::Between(lo, _), Some(m)) if refuted && m < lo => "; below the seed's range".to_string(),
            (Claimed::Gain(_, hi), Some(m)) if m > hi => "; more than the seed's range".to_string(),
            _ => String::new(),
        }
    }

    fn outcome(&self) -> Outcome {
        match (self.measured, self.interval) {
            (Some(_), Some((lo, hi))) => judge_interval(self.claimed, lo, hi),
            (m, _) => judge(self.claimed, m),
        }
    }

    /// The row's verdict (its `part` is the quote).
    pub fn verdict(&self) -> Verdict {
        Verdict::new(self.quote, self.outcome(), format!("seed: {}; measured: {}{}", self.claimed.describe(), self.shown, self.note()))
    }
}

/// The table.
pub fn table(rows: &[Row]) -> String {
    if rows.is_empty() {
        return "## The seed's figures\n\nNot judged: the builds they need did not complete (see Results).\n\n".into();
    }
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let v = r.verdict();
            vec![format!("\"{}\"", r.quote), r.shown.clone(), format!("{} ({}{})", v.outcome.label(), r.claimed.describe(), r.note())]
        })
        .collect();
    format!(
        "## The seed's figures\n\nEvery number the seed gives for this claim, against what was measured here (rule, code `claims::seed_figures::judge`: a figure \
         \"about\" X holds within {ABOUT_FACTOR}x either way; \"X+\" holds at or above X; \"zero\" at or below it; a promised gain \"+A-B\" \
         holds at or above A; a range that is the figure itself holds inside it. A row with a 95% interval is judged on the whole interval: confirmed when \
         all of it satisfies the figure, refuted when none of it does, inconclusive at this resolution otherwise).\n\n{}\n",
        crate::report::markdown::table(&["the seed says", "measured here", "verdict"], &body)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_figure_reaches_each_outcome() {
        assert_eq!(judge(Claimed::About(5.0), Some(5.6)), Outcome::Confirmed);
        assert_eq!(judge(Claimed::About(5.0), Some(7.6)), Outcome::Refuted, "over 1.5x");
        assert_eq!(judge(Claimed::About(90.0), Some(56.0)), Outcome::Refuted, "under 1/1.5");
        assert_eq!(judge(Claimed::About(90.0), Some(61.0)), Outcome::Confirmed);
        assert_eq!(judge(Claimed::AtLeast(50.0), Some(101.0)), Outcome::Confirmed);
        assert_eq!(judge(Claimed::AtLeast(50.0), Some(7.0)), Outcome::Refuted);
        assert_eq!(judge(Claimed::AtMost(0.0), Some(0.0)), Outcome::Confirmed);
        assert_eq!(judge(Claimed::AtMost(0.0), Some(7.0)), Outcome::Refuted);
        assert_eq!(judge(Claimed::Between(1.5, 2.0), Some(1.7)), Outcome::Confirmed);
        assert_eq!(judge(Claimed::Between(1.5, 2.0), Some(1.2)), Outcome::Refuted, "below the range");
        assert_eq!(judge(Claimed::Between(1.05, 1.1), Some(1.3)), Outcome::Refuted, "above the range: the figure is wrong either way");
        assert_eq!(judge(Claimed::About(5.0), None), Outcome::NotMeasured);
        assert_eq!(judge(Claimed::About(5.0), Some(f64::NAN)), Outcome::NotMeasured);
    }

    #[test]
    fn an_interval_decides_only_when_it_lies_on_one_side() {
        assert_eq!(judge_interval(Claimed::AtMost(1.0), -5.6, 3.3), Outcome::Inconclusive, "a point of 0.03% inside [-5.6, 3.3] decides nothing");
        assert_eq!(judge_interval(Claimed::AtMost(1.0), 0.1, 0.4), Outcome::Confirmed);
        assert_eq!(judge_interval(Claimed::AtMost(1.0), 1.2, 3.0), Outcome::Refuted);
        assert_eq!(judge_interval(Claimed::Between(1.5, 2.0), 1.78, 2.56), Outcome::Inconclusive);
        assert_eq!(judge_interval(Claimed::Between(1.5, 2.0), 2.1, 2.5), Outcome::Refuted);
        assert_eq!(judge_interval(Claimed::About(4.0), 3.0, 5.0), Outcome::Confirmed);
        assert_eq!(judge_interval(Claimed::AtLeast(1.5), 1.45, 1.72), Outcome::Inconclusive);
        let r = Row { quote: "x", claimed: Claimed::AtMost(1.0), measured: Some(0.03), interval: Some((-5.6, 3.3)), shown: String::new() };
        assert_eq!(r.verdict().outcome, Outcome::Inconclusive, "a row with an interval is judged on it");
    }

    #[test]
    fn a_promised_gain_holds_from_its_lower_end_up() {
        assert_eq!(judge(Claimed::Gain(1.5, 2.0), Some(2.6)), Outcome::Confirmed, "more than promised is not a wrong promise");
        assert_eq!(judge(Claimed::Gain(1.5, 2.0), Some(1.2)), Outcome::Refuted);
        assert_eq!(judge_interval(Claimed::Gain(1.5, 2.0), 1.78, 2.56), Outcome::Confirmed);
        assert_eq!(judge_interval(Claimed::Gain(1.5, 2.0), 1.4, 1.7), Outcome::Inconclusive);
        let r = Row { quote: "+50-100%", claimed: Claimed::Gain(1.5, 2.0), measured: Some(2.6), interval: None, shown: String::new() };
        assert!(r.verdict().figures.ends_with("more than the seed's range"));
    }

    #[test]
    fn a_range_says_which_side_it_missed() {
        let r = |m| Row { quote: "+50-100%", claimed: Claimed::Between(1.5, 2.0), measured: Some(m), interval: None, shown: String::new() }.verdict().figures;
        assert!(r(2.2).ends_with("above the seed's range"));
        assert!(r(1.2).ends_with("below the seed's range"));
        assert!(!r(1.7).contains("range"));
    }

    #[test]
    fn the_table_quotes_the_seed_and_shows_the_ratio() {
        let r = Row { quote: "150x smaller", claimed: Claimed::About(150.0), measured: Some(7.8), interval: None, shown: "7.8x".into() };
        assert!(r.verdict().figures.contains("measured / seed = 0.05"));
        let t = table(&[r]);
        assert!(t.contains("| \"150x smaller\" | 7.8x | **Refuted** (about 150 (within 1.5x either way); measured / seed = 0.05) |"), "{t}");
    }
}
