//! Claims across upstream versions: `harness check CLAIM --versions
//! seed,latest` (measure the claim on those versions and show the ledger)
//! and `harness bisect CLAIM PART` (binary search over the published
//! versions between two whose verdicts differ, one cheap build per step).
//! The rules live in `claims::ledger`; this module resolves version names,
//! runs the claims' measurements and searches.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::claims::ledger::{self, Entry};
use crate::claims::registry::{Claim, Sources};
use crate::claims::verdict::{Outcome, Verdict};
use crate::claims::ClaimError;

/// Why versions could not be resolved or searched.
#[derive(Debug, thiserror::Error)]
pub enum VersionsError {
    #[error("{claim} has no version ledger (it is measured on the workspace's version only); claims with one: {with}")]
    NoLedger { claim: String, with: String },
    #[error("{claim}: no published `{krate}` version matches the seed's `{seed}`")]
    NoSeedMatch { claim: String, krate: String, seed: String },
    #[error("{claim}: part `{part}` cannot be judged per version by one build; parts that can: {can}")]
    NotBisectable { claim: String, part: String, can: String },
    #[error("{krate}: `{version}` is not a published version (published: {near})\n  fix: pick one of those")]
    NotPublished { krate: String, version: String, near: String },
    #[error("nothing to bisect: {detail}")]
    Nothing { detail: String },
    #[error(transparent)]
    Registry(#[from] crate::crates_io::RegistryError),
    #[error(transparent)]
    Claim(#[from] ClaimError),
}

/// The upstream crate a claim's ledger is about.
fn krate(claim: &dyn Claim) -> &'static str {
    crate::check::upstream_crate(claim)
}

fn claims_with_ledger() -> String {
    crate::claims::registry::ALL.iter().filter(|c| c.versions().is_some()).map(|c| c.id()).collect::<Vec<_>>().join(", ")
}

/// The newest of `published` that is `seed` or extends it (`0.20` -> `0.20.4`).
pub fn seed_match(published: &[String], seed: &str) -> Option<String> {
    let pre = |v: &str| v.contains('-');
    published.iter().filter(|p| ledger::is_seed(seed, p) && (pre(seed) || !pre(p))).max_by(|a, b| ledger::cmp_versions(a, b)).cloned()
}

/// Resolves `seed`, `latest` and exact versions for `claim`, in order,
/// without repeats. A claim whose experiment compiles its versions in
/// resolves `seed` among those.
pub fn resolve(claim: &dyn Claim, names: &[String]) -> Result<Vec<String>, VersionsError> {
    let v = claim.versions().ok_or_else(|| VersionsError::NoLedger { claim: claim.id().into(), with: claims_with_ledger() })?;
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let r = match n.as_str() {
            "latest" => crate::crates_io::newest(krate(claim))?,
            "seed" if !v.built_in.is_empty() => v.built_in.iter().find(|b| v.is_seed(b)).map(|b| b.to_string()).ok_or_else(|| VersionsError::NoSeedMatch {
                claim: claim.id().into(),
                krate: krate(claim).into(),
                seed: v.seed.into(),
            })?,
            "seed" => seed_match(&crate::crates_io::published(krate(claim))?, v.seed).ok_or_else(|| VersionsError::NoSeedMatch {
                claim: claim.id().into(),
                krate: krate(claim).into(),
                seed: v.seed.into(),
            })?,
            exact => exact.to_string(),
        };
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

/// What `check CLAIM --versions` did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionsRun {
    /// The claim measured.
    pub claim: String,
    /// Its upstream crate.
    pub krate: String,
    /// The version the seed names.
    pub seed: String,
    /// As asked (`seed`, `latest`, exact) and as resolved.
    pub asked: Vec<String>,
    pub resolved: Vec<String>,
    /// Each part's verdict per resolved version.
    pub entries: Vec<Entry>,
    /// The evidence this run wrote (scratch store).
    pub evidence: BTreeMap<String, PathBuf>,
}

/// Measures `claim` on `names` and reads its ledger from the new evidence
/// (pinned evidence fills the experiments this measurement does not redo).
pub fn check(claim: &dyn Claim, names: &[String], quick: bool, progress: &dyn Fn(&str)) -> Result<VersionsRun, VersionsError> {
    let resolved = resolve(claim, names)?;
    progress(&format!("{}: measuring {} {}", claim.id(), krate(claim), resolved.join(", ")));
    let written = claim.measure_versions(&resolved, quick, progress)?;
    let sources = written.iter().fold(Sources::pinned(claim)?, |s, (n, p)| s.with(n, p.clone()));
    let entries = claim.ledger(&sources)?.into_iter().filter(|e| resolved.contains(&e.version)).collect();
    Ok(VersionsRun {
        claim: claim.id().into(),
        krate: krate(claim).into(),
        seed: claim.versions().map_or(String::new(), |v| v.seed.into()),
        asked: names.to_vec(),
        resolved,
        entries,
        evidence: written.into_iter().collect(),
    })
}

/// The `--versions` table: per part, each version's verdict and the finding.
pub fn table(r: &VersionsRun) -> String {
    let mut s = format!("{} ({} {}; the seed's: {})\n", r.claim, r.krate, r.resolved.join(", "), r.seed);
    let mut parts: Vec<&str> = r.entries.iter().map(|e| e.verdict.part.as_str()).collect();
    parts.dedup();
    let mut seen = std::collections::BTreeSet::new();
    parts.retain(|p| seen.insert(*p));
    for p in parts {
        s += &format!("  {p}: {}\n", ledger::finding(&ledger::part_finding(&r.entries, p)).replace("**", ""));
        let mut rows: Vec<&Entry> = r.entries.iter().filter(|e| e.verdict.part == p).collect();
        rows.sort_by(|a, b| ledger::cmp_versions(&a.version, &b.version));
        for e in rows {
            s += &format!("    {:<40} {:<13} {}\n", e.label(), e.verdict.outcome.as_str(), e.verdict.figures);
        }
    }
    if r.entries.is_empty() {
        s += "  (no verdicts for these versions)\n";
    }
    s
}

/// One bisect step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// The version judged.
    pub version: String,
    /// The verdict, or why this version could not be judged (then skipped).
    pub verdict: Result<Verdict, String>,
}

/// The search's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// The last version with the old verdict, and the first with another.
    pub last_before: String,
    pub first_changed: String,
    /// The verdicts judged at those two versions.
    pub before: Outcome,
    pub after: Outcome,
    /// Versions between the two that could not be judged: the change may
    /// lie at any of them, so the result is "between", not "at".
    pub unjudged_between: Vec<String>,
}

fn decided(o: Outcome) -> bool {
    !matches!(o, Outcome::Inconclusive | Outcome::NotMeasured)
}

/// Binary search, pure over `judge`: `versions` in order, the ends judged
/// first and required to decide differently; a version that cannot be
/// judged, or decides nothing, is skipped (as `git bisect skip`). Assumes
/// one change in the range (the result names the first change it finds).
pub fn search(versions: &[String], mut judge: impl FnMut(&str) -> Result<Verdict, String>) -> (Vec<Step>, Result<Found, String>) {
    let mut steps = Vec::new();
    let mut cands: Vec<String> = versions.to_vec();
    let mut outcome_at = |v: &str, steps: &mut Vec<Step>| {
        let r = judge(v);
        let o = r.as_ref().ok().map(|x| x.outcome).filter(|o| decided(*o));
        steps.push(Step { version: v.to_string(), verdict: r });
        o
    };
    if cands.len() < 2 {
        return (steps, Err(format!("fewer than two published versions in the range ({})", cands.join(", "))));
    }
    let (first, last) = (cands[0].clone(), cands[cands.len() - 1].clone());
    let (Some(a), Some(b)) = (outcome_at(&first, &mut steps), outcome_at(&last, &mut steps)) else {
        return (steps, Err(format!("an end of the range decides nothing ({first}, {last}): see the steps")));
    };
    if a == b {
        return (steps, Err(format!("the verdict is {} at both ends ({first}, {last})", a.as_str())));
    }
    let (mut lo, mut hi) = (0, cands.len() - 1);
    let mut outcome_hi = b;
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        let v = cands[mid].clone();
        match outcome_at(&v, &mut steps) {
            None => {
                cands.remove(mid);
                hi -= 1;
            }
            Some(o) if o == a => lo = mid,
            Some(o) => {
                hi = mid;
                outcome_hi = o;
            }
        }
    }
    let (last_before, first_changed) = (cands[lo].clone(), cands[hi].clone());
    let position = |v: &str| versions.iter().position(|x| x == v).unwrap_or(0);
    let unjudged_between = versions[position(&last_before) + 1..position(&first_changed)].to_vec();
    (steps, Ok(Found { last_before, first_changed, before: a, after: outcome_hi, unjudged_between }))
}

/// The published versions from `from` to `to`, inclusive, oldest first;
/// both must be published.
pub fn range(published: &[String], krate: &str, from: &str, to: &str) -> Result<Vec<String>, VersionsError> {
    for v in [from, to] {
        if !published.iter().any(|p| p == v) {
            let mut near = published.to_vec();
            ledger::sort_versions(&mut near);
            let tail = near.iter().rev().take(8).rev().cloned().collect::<Vec<_>>().join(", ");
            return Err(VersionsError::NotPublished { krate: krate.into(), version: v.into(), near: format!("... {tail}") });
        }
    }
    if ledger::cmp_versions(from, to) != std::cmp::Ordering::Less {
        return Err(VersionsError::Nothing { detail: format!("--from {from} is not older than --to {to}") });
    }
    let mut r: Vec<String> = published
        .iter()
        .filter(|p| ledger::cmp_versions(p, from) != std::cmp::Ordering::Less && ledger::cmp_versions(p, to) != std::cmp::Ordering::Greater)
        .cloned()
        .collect();
    ledger::sort_versions(&mut r);
    r.dedup();
    Ok(r)
}

/// What `harness bisect` did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bisection {
    /// The claim and part searched.
    pub claim: String,
    pub part: String,
    /// The upstream crate.
    pub krate: String,
    /// The published versions searched, oldest first.
    pub range: Vec<String>,
    /// Every version judged, in the order judged.
    pub steps: Vec<Step>,
    /// Where the verdict changes, or why no change was found.
    pub found: Result<Found, String>,
}

/// `harness bisect CLAIM PART --from A --to B`.
pub fn bisect(claim: &dyn Claim, part: &str, from: &str, to: &str, progress: &dyn Fn(&str)) -> Result<Bisection, VersionsError> {
    let judge = claim.version_judge(part).ok_or_else(|| VersionsError::NotBisectable {
        claim: claim.id().into(),
        part: part.into(),
        can: claim.parts().iter().filter(|p| claim.version_judge(p.id).is_some()).map(|p| p.id).collect::<Vec<_>>().join(", "),
    })?;
    let k = krate(claim);
    let range = range(&crate::crates_io::published(k)?, k, from, to)?;
    progress(&format!("{} published {k} versions from {from} to {to}: about {} builds", range.len(), (range.len() as f64).log2().ceil() as usize + 2));
    let (steps, found) = search(&range, |v| judge(v, progress).map_err(|e| crate::error_chain::message(&e)));
    Ok(Bisection { claim: claim.id().into(), part: part.into(), krate: k.into(), range, steps, found })
}

/// The bisect result as text.
pub fn bisection_text(b: &Bisection) -> String {
    let (first, last) = (b.range.first().map_or("", String::as_str), b.range.last().map_or("", String::as_str));
    let mut s = format!("{} {}: {} versions of {} searched ({first} .. {last})\n", b.claim, b.part, b.range.len(), b.krate);
    for st in &b.steps {
        match &st.verdict {
            Ok(v) => s += &format!("  {:<16} {:<13} {}\n", st.version, v.outcome.as_str(), v.figures),
            Err(e) => s += &format!("  {:<16} skipped: {e}\n", st.version),
        }
    }
    match &b.found {
        Ok(f) if f.unjudged_between.is_empty() => {
            s += &format!(
                "first version where it changes: {} ({} on {}, {} on {})\n",
                f.first_changed,
                f.before.as_str(),
                f.last_before,
                f.after.as_str(),
                f.first_changed
            )
        }
        Ok(f) => {
            s += &format!(
                "it changes between {} ({}) and {} ({}); not judged in between: {}\n",
                f.last_before,
                f.before.as_str(),
                f.first_changed,
                f.after.as_str(),
                f.unjudged_between.join(", ")
            )
        }
        Err(e) => s += &format!("no change found: {e}\n"),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vs(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("2.0.0-rc.{i}")).collect()
    }

    fn oracle(change_at: usize, judged: &mut Vec<String>) -> impl FnMut(&str) -> Result<Verdict, String> + '_ {
        move |v: &str| {
            judged.push(v.to_string());
            let i: usize = v.rsplit('.').next().unwrap().parse().unwrap();
            Ok(Verdict::new("p", if i >= change_at { Outcome::Confirmed } else { Outcome::Refuted }, v))
        }
    }

    #[test]
    fn search_finds_the_first_changed_version_in_log_steps() {
        for change_at in 2..=15 {
            let mut judged = vec![];
            let (steps, found) = search(&vs(15), oracle(change_at, &mut judged));
            let f = found.unwrap();
            assert_eq!(f.first_changed, format!("2.0.0-rc.{change_at}"));
            assert_eq!(f.last_before, format!("2.0.0-rc.{}", change_at - 1));
            assert_eq!((f.before, f.after), (Outcome::Refuted, Outcome::Confirmed));
            assert!(f.unjudged_between.is_empty());
            assert!(steps.len() <= 2 + 4, "{} steps for 15 versions", steps.len());
        }
    }

    #[test]
    fn unjudgeable_versions_are_skipped_and_equal_ends_refused() {
        let (steps, found) = search(&vs(15), |v: &str| {
            let i: usize = v.rsplit('.').next().unwrap().parse().unwrap();
            if (7..=9).contains(&i) {
                return Err(format!("{v} does not build"));
            }
            Ok(Verdict::new("p", if i >= 10 { Outcome::Confirmed } else { Outcome::Refuted }, ""))
        });
        let f = found.unwrap();
        assert_eq!((f.last_before.as_str(), f.first_changed.as_str()), ("2.0.0-rc.6", "2.0.0-rc.10"));
        assert_eq!(f.unjudged_between, ["2.0.0-rc.7", "2.0.0-rc.8", "2.0.0-rc.9"], "the change may be at any unjudged version: 'between', not 'at'");
        assert!(steps.iter().any(|s| s.verdict.is_err()), "a skipped build is kept as a step");
        let (_, same) = search(&vs(5), |_| Ok(Verdict::new("p", Outcome::Refuted, "")));
        assert!(same.unwrap_err().contains("refuted at both ends"));
        let (_, short) = search(&vs(1), |_| Ok(Verdict::new("p", Outcome::Refuted, "")));
        assert!(short.is_err());
    }

    #[test]
    fn the_range_is_inclusive_in_semver_order_and_checks_its_ends() {
        let published: Vec<String> = ["2.0.0-rc.9", "2.0.0-rc.10", "1.16.3", "2.0.0-rc.15", "2.0.0-rc.11"].iter().map(|s| s.to_string()).collect();
        assert_eq!(range(&published, "ort", "2.0.0-rc.9", "2.0.0-rc.11").unwrap(), ["2.0.0-rc.9", "2.0.0-rc.10", "2.0.0-rc.11"]);
        assert!(range(&published, "ort", "2.0.0-rc.11", "2.0.0-rc.9").unwrap_err().to_string().contains("not older than"));
        let e = range(&published, "ort", "2.0.0-rc.99", "2.0.0-rc.15").unwrap_err().to_string();
        assert!(e.contains("`2.0.0-rc.99` is not a published version") && e.contains("2.0.0-rc.15"), "{e}");
    }

    #[test]
    fn the_seed_resolves_to_its_newest_patch_release() {
        let published: Vec<String> = ["0.20.0", "0.20.3", "0.21.0", "0.2.9"].iter().map(|s| s.to_string()).collect();
        assert_eq!(seed_match(&published, "0.20").as_deref(), Some("0.20.3"));
        assert_eq!(seed_match(&published, "0.2").as_deref(), Some("0.2.9"), "0.2 is not a prefix of 0.20");
        assert_eq!(seed_match(&published, "0.19"), None);
        let rc: Vec<String> = ["0.25.0", "0.25.1-rc.1"].iter().map(|s| s.to_string()).collect();
        assert_eq!(seed_match(&rc, "0.25").as_deref(), Some("0.25.0"), "a prerelease is not the seed's release");
    }
}
