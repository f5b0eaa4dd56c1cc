//! Verdicts: what a rule decides about one part of a claim. A rule is a pure
//! function from typed evidence to a [`Verdict`]; reports print the verdict's
//! label and figures, so no sentence stating a result is written before the
//! data.

use serde::{Deserialize, Serialize};

use crate::measure::stats::Estimate;

/// The outcome of one part of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The evidence supports the seed's statement.
    Confirmed,
    /// The evidence contradicts it.
    Refuted,
    /// True for some of the cases measured, false for others.
    Partly,
    /// The interval straddles the rule's threshold: more data, or a finer
    /// instrument, is needed.
    Inconclusive,
    /// Nothing here measures it (for example, it needs a GPU).
    NotMeasured,
}

impl Outcome {
    /// How a report shows it.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Confirmed => "**Confirmed**",
            Outcome::Refuted => "**Refuted**",
            Outcome::Partly => "**Partly**",
            Outcome::Inconclusive => "**Inconclusive at this resolution**",
            Outcome::NotMeasured => "**Not measured**",
        }
    }

    /// The plain word, for tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Confirmed => "confirmed",
            Outcome::Refuted => "refuted",
            Outcome::Partly => "partly",
            Outcome::Inconclusive => "inconclusive",
            Outcome::NotMeasured => "not measured",
        }
    }
}

/// One part's verdict, with the figures it was decided from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The part's id, stable across runs (`cpu-gain`, `needs-api`, ...).
    pub part: String,
    pub outcome: Outcome,
    /// The numbers the rule looked at, as a sentence fragment.
    pub figures: String,
}

impl Verdict {
    /// A verdict of part `part`.
    pub fn new(part: &str, outcome: Outcome, figures: impl Into<String>) -> Self {
        Verdict { part: part.to_string(), outcome, figures: figures.into() }
    }
}

pub use crate::measure::stats::{side, Side};

/// A comparison (a ratio) as `median [low, high] (n = N; resolves +/-x%)`:
/// the interval with its minimum detectable effect.
pub fn comparison(e: &Estimate, digits: usize) -> String {
    let shown = crate::measure::stats::show(e, digits);
    let mde = e.min_detectable_effect();
    if mde.is_finite() {
        format!("{} (resolves +/-{:.1}%)", shown, 100.0 * mde)
    } else {
        shown
    }
}

/// An interval as `median [low, high] (n = N)`, with `digits` decimals.
pub fn interval(e: &Estimate, digits: usize) -> String {
    crate::measure::stats::show(e, digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(lo: f64, hi: f64) -> Estimate {
        Estimate::at_95(10, (lo + hi) / 2.0, lo, hi)
    }

    #[test]
    fn an_interval_is_above_below_or_straddles_its_threshold() {
        assert_eq!(side(&e(1.2, 1.4), 1.1), Side::Above);
        assert_eq!(side(&e(1.1, 1.4), 1.1), Side::Above, "at the threshold counts as reaching it");
        assert_eq!(side(&e(0.9, 1.05), 1.1), Side::Below);
        assert_eq!(side(&e(1.0, 1.2), 1.1), Side::Straddles);
        let one = Estimate::at_95(1, 5.0, 5.0, 5.0);
        assert_eq!(side(&one, 1.1), Side::Straddles, "one sample decides nothing");
    }

    #[test]
    fn intervals_print_their_n() {
        assert_eq!(interval(&e(1.0, 2.0), 2), "1.50 [1.00, 2.00] (n = 10)");
        assert_eq!(interval(&Estimate::at_95(1, 5.0, 5.0, 5.0), 1), "5.0 (n = 1, no interval)");
    }
}
