//! The version ledger: a claim part's verdict pinned to the upstream version
//! it was measured on. A claim that measures several versions (claim 1's
//! matrix runs whisper-rs 0.15.1 and 0.16.0, claim 4's bench decodes with
//! image 0.24 and 0.25, claim 2 compiles its API probe against each ort,
//! claim 8 builds each tokenizers) lists one [`Entry`] per part and
//! version; [`across`] says, by a pure rule, whether the verdict holds on
//! every version or where it changes, and [`section`] renders both.
//! "True on 0.24, false on 0.25" is a finding, not a contradiction.

use serde::{Deserialize, Serialize};

use super::registry::Part;
use super::verdict::{Outcome, Verdict};

/// One part's verdict on one upstream version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The upstream crate, e.g. `whisper-rs`.
    pub krate: String,
    /// Its exact version, e.g. `0.15.1`.
    pub version: String,
    /// What else that version pins, e.g. `whisper-rs-sys 0.14.1, whisper.cpp 1.7.6`
    /// (a -sys crate and the C library it bundles); empty when nothing.
    pub bundled: String,
    /// The verdict (its `part` is the claim's part id).
    pub verdict: Verdict,
}

impl Entry {
    /// An entry without bundled libraries.
    pub fn new(krate: &str, version: &str, verdict: Verdict) -> Self {
        Entry { krate: krate.into(), version: version.into(), bundled: String::new(), verdict }
    }

    /// `version` with what it bundles, as a column header shows it.
    pub fn label(&self) -> String {
        if self.bundled.is_empty() {
            self.version.clone()
        } else {
            format!("{} ({})", self.version, self.bundled)
        }
    }
}

/// How one part's verdict varies over versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Across {
    /// No version decided it.
    Undecided,
    /// Every version that decided it gave this outcome (`undecided` lists
    /// the versions that did not decide).
    Holds { outcome: Outcome, undecided: Vec<String> },
    /// It changes: the first change between consecutive decided versions,
    /// and every later one (`later`: a change back reads as such).
    Changes { before: String, was: Outcome, at: String, now: Outcome, later: Vec<(String, Outcome)> },
}

fn decided(o: Outcome) -> bool {
    !matches!(o, Outcome::Inconclusive | Outcome::NotMeasured)
}

/// Whether `version` is the seed's `seed`: equal, or extending it
/// (`0.25` -> `0.25.10`, never `0.2` -> `0.25.0`).
pub fn is_seed(seed: &str, version: &str) -> bool {
    version == seed || version.strip_prefix(seed).is_some_and(|rest| rest.starts_with('.'))
}

/// Compares versions as semver does (a prerelease before its release);
/// a version semver cannot read sorts as text, after the others.
pub fn cmp_versions(a: &str, b: &str) -> std::cmp::Ordering {
    use cargo_metadata::semver::Version;
    match (Version::parse(a), Version::parse(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// Sorts versions by [`cmp_versions`].
pub fn sort_versions(versions: &mut [String]) {
    versions.sort_by(|a, b| cmp_versions(a, b));
}

/// The rule, pure: `by_version` is (version, outcome) in any order; versions
/// that decided nothing (inconclusive, not measured) neither confirm nor
/// break a holding verdict.
pub fn across(by_version: &[(String, Outcome)]) -> Across {
    let mut versions: Vec<String> = by_version.iter().map(|(v, _)| v.clone()).collect();
    sort_versions(&mut versions);
    let outcome_of = |v: &str| by_version.iter().find(|(x, _)| x == v).map(|(_, o)| *o).unwrap_or(Outcome::NotMeasured);
    let decided_ones: Vec<(String, Outcome)> = versions.iter().map(|v| (v.clone(), outcome_of(v))).filter(|(_, o)| decided(*o)).collect();
    let undecided: Vec<String> = versions.iter().filter(|v| !decided(outcome_of(v))).cloned().collect();
    let Some((_, first)) = decided_ones.first() else { return Across::Undecided };
    match decided_ones.windows(2).find(|w| w[0].1 != w[1].1) {
        Some(w) => {
            let at = decided_ones.iter().position(|(v, _)| *v == w[1].0).unwrap_or(0);
            let later = decided_ones[at..].windows(2).filter(|p| p[0].1 != p[1].1).map(|p| (p[1].0.clone(), p[1].1)).collect();
            Across::Changes { before: w[0].0.clone(), was: w[0].1, at: w[1].0.clone(), now: w[1].1, later }
        }
        None => Across::Holds { outcome: *first, undecided },
    }
}

/// The finding of [`across`] as a sentence.
pub fn finding(a: &Across) -> String {
    match a {
        Across::Undecided => "undecided on every version measured".into(),
        Across::Holds { outcome, undecided } if undecided.is_empty() => format!("holds on every version: {}", outcome.label()),
        Across::Holds { outcome, undecided } => format!("{} wherever decided (undecided on {})", outcome.label(), undecided.join(", ")),
        Across::Changes { before, was, at, now, later } => {
            let then: String = later.iter().map(|(v, o)| format!("; then {} from {v}", o.label())).collect();
            format!("changes between {before} and {at}: {} on {before}, {} on {at}{then}", was.label(), now.label())
        }
    }
}

/// The entries of `part`, oldest version first.
fn of_part<'a>(entries: &'a [Entry], part: &str) -> Vec<&'a Entry> {
    let mut versions: Vec<String> = entries.iter().filter(|e| e.verdict.part == part).map(|e| e.version.clone()).collect();
    sort_versions(&mut versions);
    versions.dedup();
    versions.iter().filter_map(|v| entries.iter().find(|e| e.verdict.part == part && &e.version == v)).collect()
}

/// The finding for one part.
pub fn part_finding(entries: &[Entry], part: &str) -> Across {
    across(&of_part(entries, part).iter().map(|e| (e.version.clone(), e.verdict.outcome)).collect::<Vec<_>>())
}

/// The report section "Verdicts by version": per part, each version's
/// verdict and the finding across them; `seed_version` is marked. Empty
/// when there are no entries.
pub fn section(parts: &[Part], entries: &[Entry], seed_version: &str) -> String {
    if entries.is_empty() {
        return String::new();
    }
    let krate = &entries[0].krate;
    let mut s = format!(
        "## Verdicts by version\n\nEach part's verdict on each `{krate}` version measured, by the same rule (code: `claims::ledger::across`: a verdict holds \
         when every version that decided it agrees; otherwise the first change between versions, oldest first, is named). The seed's version is {seed_version}.\n\n"
    );
    for p in parts {
        let rows = of_part(entries, p.id);
        if rows.is_empty() {
            continue;
        }
        s += &format!("**{}** (`{}`): {}.\n\n", p.question, p.id, finding(&part_finding(entries, p.id)));
        let table: Vec<Vec<String>> = rows
            .iter()
            .map(|e| {
                let mark = if is_seed(seed_version, &e.version) { " (the seed's)" } else { "" };
                vec![format!("{}{mark}", e.label()), e.verdict.outcome.label().to_string(), e.verdict.figures.clone()]
            })
            .collect();
        s += &crate::report::markdown::table(&[krate.as_str(), "verdict", "figures"], &table);
        s += "\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;

    fn v(pairs: &[(&str, Outcome)]) -> Vec<(String, Outcome)> {
        pairs.iter().map(|(a, b)| (a.to_string(), *b)).collect()
    }

    #[test]
    fn a_verdict_holds_when_every_deciding_version_agrees() {
        assert_eq!(across(&v(&[("0.15.1", Refuted), ("0.16.0", Refuted)])), Across::Holds { outcome: Refuted, undecided: vec![] });
        assert_eq!(
            across(&v(&[("0.16.0", Confirmed), ("0.15.1", NotMeasured)])),
            Across::Holds { outcome: Confirmed, undecided: vec!["0.15.1".into()] },
            "an unmeasured version neither confirms nor breaks it"
        );
    }

    #[test]
    fn a_change_names_the_first_pair_oldest_first_in_semver_order() {
        let a = across(&v(&[("2.0.0-rc.15", Confirmed), ("2.0.0-rc.9", Refuted), ("2.0.0-rc.10", Confirmed)]));
        assert_eq!(a, Across::Changes { before: "2.0.0-rc.9".into(), was: Refuted, at: "2.0.0-rc.10".into(), now: Confirmed, later: vec![] });
        let b = across(&v(&[("0.24.9", Partly), ("0.25.10", Refuted)]));
        assert_eq!(b, Across::Changes { before: "0.24.9".into(), was: Partly, at: "0.25.10".into(), now: Refuted, later: vec![] });
        let back = across(&v(&[("1.0.0", Refuted), ("1.1.0", Confirmed), ("1.2.0", Refuted)]));
        assert!(finding(&back).ends_with("then **Refuted** from 1.2.0"), "a change back is named: {}", finding(&back));
        assert!(finding(&b).contains("**Partly** on 0.24.9"), "{}", finding(&b));
    }

    #[test]
    fn nothing_decided_is_undecided() {
        assert_eq!(across(&v(&[("1.0.0", Inconclusive), ("1.1.0", NotMeasured)])), Across::Undecided);
        assert_eq!(across(&[]), Across::Undecided);
    }

    #[test]
    fn semver_orders_prereleases_and_numbers() {
        let mut x: Vec<String> = ["2.0.0-rc.10", "2.0.0", "2.0.0-rc.9", "0.9.0", "junk"].iter().map(|s| s.to_string()).collect();
        sort_versions(&mut x);
        assert_eq!(x, ["0.9.0", "2.0.0-rc.9", "2.0.0-rc.10", "2.0.0", "junk"]);
        // A rebuilt C library is build metadata: right after the version it extends, before the next.
        let mut y: Vec<String> = ["0.16.1", "0.16.0+whisper.cpp-1.9.3", "0.16.0", "0.15.1"].iter().map(|s| s.to_string()).collect();
        sort_versions(&mut y);
        assert_eq!(y, ["0.15.1", "0.16.0", "0.16.0+whisper.cpp-1.9.3", "0.16.1"]);
    }

    #[test]
    fn the_section_marks_the_seed_version_and_follows_the_entries() {
        let parts = [Part { id: "p", question: "q?" }];
        let e = |ver: &str, o| Entry::new("image", ver, Verdict::new("p", o, format!("fig {ver}")));
        let s = section(&parts, &[e("0.25.10", Refuted), e("0.24.9", Partly)], "0.24.9");
        assert!(s.contains("| 0.24.9 (the seed's) | **Partly** | fig 0.24.9 |"), "{s}");
        assert!(s.find("0.24.9 (the seed's)") < s.find("| 0.25.10"), "oldest first");
        assert!(s.contains("changes between 0.24.9 and 0.25.10"));
        let same = section(&parts, &[e("0.25.10", Refuted), e("0.24.9", Refuted)], "0.24.9");
        assert!(same.contains("holds on every version: **Refuted**"), "change the evidence, the text changes: {same}");
        assert_eq!(section(&parts, &[], "x"), "");
    }
}
