//! Goals: a figure against a stated limit, decided by a rule. A report's
//! goal rows (the pipeline's own targets, the speeds a claim's report
//! compares against) print `Goal::label`, never a hand-made "met".

use crate::measure::stats::{side, Estimate, Side};

/// Whether a goal is met: an interval must lie wholly on one side of the
/// limit (`measure::stats::side`); one figure without an interval is
/// compared as it is, and the report says it is a single figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    Met,
    NotMet,
    Undecided,
}

impl Goal {
    /// The words the report prints.
    pub fn label(self) -> &'static str {
        match self {
            Goal::Met => "met",
            Goal::NotMet => "**NOT met**",
            Goal::Undecided => "undecided at this resolution",
        }
    }
}

/// Goal "at most `limit`" for an estimate.
pub fn at_most(e: &Estimate, limit: f64) -> Goal {
    match side(e, limit) {
        Side::Below => Goal::Met,
        Side::Above if e.ci_low > limit => Goal::NotMet,
        // The interval's low end sits exactly on the limit, or it straddles it.
        _ => Goal::Undecided,
    }
}

/// Goal "at least `limit`" for an estimate.
pub fn at_least(e: &Estimate, limit: f64) -> Goal {
    match side(e, limit) {
        Side::Above => Goal::Met,
        Side::Below => Goal::NotMet,
        Side::Straddles => Goal::Undecided,
    }
}

/// Goal "at most `limit`" for one exact figure (a single measurement or a
/// computed bound).
pub fn figure_at_most(x: f64, limit: f64) -> Goal {
    if x <= limit {
        Goal::Met
    } else {
        Goal::NotMet
    }
}

/// Goal "at least `limit`" for one exact figure.
pub fn figure_at_least(x: f64, limit: f64) -> Goal {
    if x >= limit {
        Goal::Met
    } else {
        Goal::NotMet
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(n: usize, lo: f64, hi: f64) -> Estimate {
        Estimate::at_95(n, (lo + hi) / 2.0, lo, hi)
    }

    #[test]
    fn an_upper_goal_is_met_missed_or_undecided_by_the_interval() {
        assert_eq!(at_most(&e(10, 0.98, 1.04), 1.05), Goal::Met);
        assert_eq!(at_most(&e(10, 1.06, 1.2), 1.05), Goal::NotMet);
        assert_eq!(at_most(&e(10, 1.0, 1.1), 1.05), Goal::Undecided, "straddles the limit");
        assert_eq!(at_most(&e(10, 1.05, 1.1), 1.05), Goal::Undecided, "touches the limit");
        assert_eq!(at_most(&e(1, 0.5, 0.5), 1.05), Goal::Undecided, "one sample has no interval");
    }

    #[test]
    fn a_lower_goal_is_met_missed_or_undecided_by_the_interval() {
        assert_eq!(at_least(&e(10, 1.85, 1.95), 1.8), Goal::Met);
        assert_eq!(at_least(&e(10, 1.2, 1.5), 1.8), Goal::NotMet);
        assert_eq!(at_least(&e(10, 1.7, 1.9), 1.8), Goal::Undecided);
    }

    #[test]
    fn a_single_figure_is_compared_as_it_is() {
        assert_eq!(figure_at_most(1.02, 1.10), Goal::Met);
        assert_eq!(figure_at_most(1.3, 1.10), Goal::NotMet);
        assert_eq!(figure_at_least(0.97, 0.95), Goal::Met);
        assert_eq!(figure_at_least(0.9, 0.95), Goal::NotMet);
    }
}
