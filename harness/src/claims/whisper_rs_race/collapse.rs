//! Which settings collapse throughput, derived from the cells rather than
//! assumed: candidate rules, simplest first, are checked against every
//! unlocked cell that ran both phases with ggml's own pool (ok or slow);
//! the first that predicts each cell's class is the configuration rule the
//! report and the draft issue state. When none fits, the report says so
//! and lists the cells that contradict the simplest.

use super::judge::Class;

/// A candidate rule for when K concurrent states of `n_threads` each collapse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// K x n_threads > cores.
    OverCores,
    /// K x n_threads > cores and n_threads >= 2: single-thread states never
    /// spin on ggml's barrier, so only pools of two or more collapse.
    OverCoresWithPools,
}

/// The candidates, simplest first.
pub const CANDIDATES: [Rule; 2] = [Rule::OverCores, Rule::OverCoresWithPools];

impl Rule {
    /// Whether the rule predicts a collapse for K states of `n` threads.
    pub fn predicts(self, k: usize, n: usize, cores: usize) -> bool {
        match self {
            Rule::OverCores => k * n > cores,
            Rule::OverCoresWithPools => k * n > cores && n >= 2,
        }
    }

    /// The rule as the report states it.
    pub fn statement(self) -> &'static str {
        match self {
            Rule::OverCores => "throughput collapses when concurrent states x `n_threads` exceeds the cores",
            Rule::OverCoresWithPools => {
                "throughput collapses when concurrent states x `n_threads` exceeds the cores **and** `n_threads` >= 2; states with `n_threads` = 1 did not \
                 collapse even when there were more of them than cores"
            }
        }
    }

    /// The advice that follows, for the draft issue.
    pub fn advice(self) -> &'static str {
        match self {
            Rule::OverCores => "when running several states in parallel, choose n_threads so that states x n_threads <= cores",
            Rule::OverCoresWithPools => {
                "when running several states in parallel with n_threads >= 2, keep states x n_threads <= cores (or use n_threads = 1 per state)"
            }
        }
    }
}

/// One cell as the rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// Concurrent states.
    pub k: usize,
    /// ggml threads per state.
    pub n_threads: usize,
    /// The cell's class (only ok and slow are evidence).
    pub class: Class,
    /// Trials the class rests on.
    pub trials: usize,
}

/// The derivation's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// Fewest and most trials behind one judged cell.
    pub trials: (usize, usize),
    /// The first candidate every cell agrees with; `None` when none does.
    pub rule: Option<Rule>,
    /// The cells judged (ok or slow).
    pub cells: usize,
    /// Cells the simplest candidate mispredicts (why a later one was chosen).
    pub against_simplest: Vec<Cell>,
}

/// The rule, pure: only ok and slow cells are evidence about throughput.
pub fn derive(cells: &[Cell], cores: usize) -> Derived {
    let judged: Vec<Cell> = cells.iter().copied().filter(|c| c.class == Class::Ok || c.class.is_collapse()).collect();
    let wrong = |r: Rule| judged.iter().copied().filter(|c| r.predicts(c.k, c.n_threads, cores) != c.class.is_collapse()).collect::<Vec<_>>();
    let rule = if judged.is_empty() { None } else { CANDIDATES.into_iter().find(|r| wrong(*r).is_empty()) };
    let trials = (judged.iter().map(|c| c.trials).min().unwrap_or(0), judged.iter().map(|c| c.trials).max().unwrap_or(0));
    Derived { trials, rule, cells: judged.len(), against_simplest: wrong(CANDIDATES[0]) }
}

/// The derivation in words, naming the cells behind it.
pub fn describe(d: &Derived, cores: usize) -> String {
    let list = |cs: &[Cell]| cs.iter().map(|c| format!("K = {} with n_threads = {} ({})", c.k, c.n_threads, c.class.as_str())).collect::<Vec<_>>().join(", ");
    let basis = format!("{} cells on {cores} cores, {}-{} trial(s) each", d.cells, d.trials.0, d.trials.1);
    match (d.rule, d.against_simplest.is_empty()) {
        (None, _) if d.cells == 0 => "no unlocked cell finished or slowed: nothing to derive a rule from".into(),
        (None, _) => format!("no candidate rule is consistent with all {basis}; against the simplest (K x n_threads > cores): {}", list(&d.against_simplest)),
        (Some(r), true) => format!("{} (consistent with all {basis})", r.statement()),
        (Some(r), false) => {
            format!("{} (consistent with all {basis}; the simpler \"K x n_threads > cores\" is not: {})", r.statement(), list(&d.against_simplest))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(k: usize, n_threads: usize, class: Class) -> Cell {
        Cell { k, n_threads, class, trials: 1 }
    }

    #[test]
    fn the_simplest_rule_that_fits_every_cell_is_chosen() {
        // On 2 cores: K = 3 and 4 single-thread states ran ok; every pool over the cores was slow.
        let cells =
            [c(1, 1, Class::Ok), c(1, 4, Class::Slow), c(2, 2, Class::Slow), c(3, 1, Class::Ok), c(4, 1, Class::Ok), c(1, 2, Class::Ok), c(2, 1, Class::Ok)];
        let d = derive(&cells, 2);
        assert_eq!(d.rule, Some(Rule::OverCoresWithPools));
        assert_eq!(d.against_simplest, vec![c(3, 1, Class::Ok), c(4, 1, Class::Ok)]);
        assert!(describe(&d, 2).contains("is not: K = 3 with n_threads = 1 (ok)"), "{}", describe(&d, 2));
        assert!(describe(&d, 2).contains("7 cells on 2 cores, 1-1 trial(s) each"), "the basis is stated: {}", describe(&d, 2));
    }

    #[test]
    fn the_plain_rule_when_single_thread_states_collapse_too() {
        let d = derive(&[c(3, 1, Class::Slow), c(1, 1, Class::Ok), c(2, 2, Class::Slow)], 2);
        assert_eq!(d.rule, Some(Rule::OverCores));
        assert!(d.against_simplest.is_empty());
    }

    #[test]
    fn no_rule_when_the_cells_contradict_every_candidate_or_there_are_none() {
        let d = derive(&[c(1, 1, Class::Slow), c(2, 2, Class::Slow)], 2);
        assert_eq!(d.rule, None, "a slow cell within the cores fits no candidate");
        assert!(describe(&d, 2).starts_with("no candidate rule is consistent"));
        let none = derive(&[c(2, 2, Class::Crash)], 2);
        assert_eq!((none.rule, none.cells), (None, 0), "crashes are not throughput evidence");
    }
}
