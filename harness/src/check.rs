//! `harness check`: measure claims anew, judge them by the same rules, render
//! their reports into a scratch folder, and compare each part's verdict with
//! the one its pinned (committed) evidence gives. A verdict that flips is a
//! regression the command exits 1 for.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::claims::registry::{self, Claim, Sources};
use crate::claims::verdict::{Outcome, Verdict};

/// How this run's verdict relates to the committed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agreement {
    /// The same outcome.
    Same,
    /// This run decided nothing (inconclusive or not measured) where the
    /// committed evidence decided: a shorter run, not a contradiction.
    Undecided,
    /// This run decided where the committed evidence did not.
    NewlyDecided,
    /// Both decided, differently: a regression to look at.
    Differs,
}

fn decided(o: Outcome) -> bool {
    !matches!(o, Outcome::Inconclusive | Outcome::NotMeasured)
}

/// The rule, pure.
pub fn agreement(committed: Outcome, now: Outcome) -> Agreement {
    match (committed == now, decided(committed), decided(now)) {
        (true, _, _) => Agreement::Same,
        (false, true, true) => Agreement::Differs,
        (false, true, false) => Agreement::Undecided,
        (false, false, _) => Agreement::NewlyDecided,
    }
}

/// One row of the table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub claim: String,
    pub part: String,
    pub committed: Option<Outcome>,
    pub now: Option<Outcome>,
    pub agreement: Option<Agreement>,
    /// This run's figures, or why there is no verdict.
    pub detail: String,
}

/// Schema id of `check.json`: `machines::merge` refuses files of another.
pub const SCHEMA: &str = "harness.check/1";

fn schema_before_ids() -> String {
    "harness.check/0".into()
}

/// What `harness check` did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcomes {
    /// `SCHEMA` when written (files from before it was recorded read as `harness.check/0`).
    #[serde(default = "schema_before_ids")]
    pub schema: String,
    /// Which machine or machine profile ran it (`--label`), else empty:
    /// merged tables then name it by its CPU and cores.
    #[serde(default)]
    pub label: String,
    pub started_at: String,
    pub environment: crate::evidence::environment::Environment,
    pub quick: bool,
    pub rows: Vec<Row>,
    /// Where this run's evidence and reports are (scratch).
    pub evidence: BTreeMap<String, PathBuf>,
    pub reports_dir: PathBuf,
}

impl Outcomes {
    /// Parts whose verdict flipped, or claims that could not be judged.
    pub fn failures(&self) -> Vec<&Row> {
        self.rows.iter().filter(|r| r.agreement == Some(Agreement::Differs) || r.now.is_none()).collect()
    }
}

/// The claims named (all when none), or an error naming the unknown one.
pub fn select(names: &[String]) -> Result<Vec<&'static dyn Claim>, crate::claims::ClaimError> {
    if names.is_empty() {
        return Ok(registry::ALL.to_vec());
    }
    names
        .iter()
        .map(|n| registry::find(n).ok_or_else(|| crate::claims::ClaimError::Unknown { kind: "claim", name: n.clone(), known: registry::ids().join(", ") }))
        .collect()
}

fn rows_for(claim: &dyn Claim, committed: Result<Vec<Verdict>, String>, now: Result<Vec<Verdict>, String>) -> Vec<Row> {
    let find = |vs: &Result<Vec<Verdict>, String>, part: &str| vs.as_ref().ok().and_then(|v| v.iter().find(|x| x.part == part).cloned());
    claim
        .parts()
        .iter()
        .map(|p| {
            let (c, n) = (find(&committed, p.id), find(&now, p.id));
            let detail = match (&n, &now) {
                (Some(v), _) => v.figures.clone(),
                (None, Err(e)) => e.clone(),
                (None, Ok(_)) => "no verdict for this part".into(),
            };
            Row {
                claim: claim.id().to_string(),
                part: p.id.to_string(),
                committed: c.as_ref().map(|v| v.outcome),
                now: n.as_ref().map(|v| v.outcome),
                agreement: c.zip(n).map(|(c, n)| agreement(c.outcome, n.outcome)),
                detail,
            }
        })
        .collect()
}

/// Measures `claims` (quick or full), judges and renders them, and compares
/// with the pinned verdicts. One claim failing to measure does not stop the
/// others: its rows say why.
pub fn run(claims: &[&'static dyn Claim], quick: bool, label: &str, progress: &dyn Fn(&str)) -> Outcomes {
    let started_at = crate::evidence::run::now_utc();
    let stamp = started_at.replace([':', '-'], "");
    let reports_dir = crate::paths::cache_dir().join("check").join(stamp).join("reports");
    let mut fresh: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    for (i, c) in claims.iter().enumerate() {
        progress(&format!("[{}/{}] measuring {}", i + 1, claims.len(), c.id()));
        match c.measure(quick, &|m| progress(&format!("[{}/{}] {}: {m}", i + 1, claims.len(), c.id()))) {
            Ok(files) => fresh.extend(files),
            Err(e) => {
                progress(&format!("[{}/{}] {}: measuring failed: {e}", i + 1, claims.len(), c.id()));
                failed.insert(c.id().to_string(), e.to_string());
            }
        }
    }
    let mut rows = Vec::new();
    // Evidence pinned from several machines: compare with this machine's.
    let here = crate::evidence::environment::Environment::capture();
    for c in claims {
        let committed = Sources::pinned_for(*c, &here).and_then(|s| c.judge(&s)).map_err(|e| e.to_string());
        let now = match failed.get(c.id()) {
            Some(e) => Err(format!("not measured: {e}")),
            None => {
                // This run's evidence where it measured, else the pinned
                // (a derived claim reads what its source measured now).
                let mut sources = Sources::default();
                let mut missing = Vec::new();
                for name in c.evidence() {
                    match fresh.get(*name).cloned().or_else(|| crate::evidence::store::pinned_for(name, &here)) {
                        Some(p) => sources = sources.with(name, p),
                        None => missing.push(*name),
                    }
                }
                if missing.is_empty() {
                    let judged = c.judge(&sources);
                    if let Ok(pages) = c.render(&sources) {
                        for (file, page) in pages {
                            let _ = crate::report::write_in(&reports_dir, &file, &page);
                        }
                    }
                    judged.map_err(|e| e.to_string())
                } else {
                    Err(format!("no evidence for {}", missing.join(", ")))
                }
            }
        };
        rows.extend(rows_for(*c, committed, now));
    }
    let outcomes = Outcomes {
        schema: SCHEMA.into(),
        label: label.into(),
        started_at,
        environment: crate::evidence::environment::Environment::capture(),
        quick,
        rows,
        evidence: fresh,
        reports_dir,
    };
    // JSON first: the table is rendered from this.
    if let Ok(json) = serde_json::to_string_pretty(&outcomes) {
        if let Some(dir) = outcomes.reports_dir.parent() {
            let _ = std::fs::create_dir_all(dir).and_then(|_| std::fs::write(dir.join("check.json"), json));
        }
    }
    outcomes
}

/// The end table: claim, part, committed verdict, this run's, agreement.
pub fn table(o: &Outcomes) -> String {
    let show = |x: Option<Outcome>| x.map_or("-", Outcome::as_str);
    let mut s = format!("{:<26} {:<20} {:<13} {:<13} {}\n", "claim", "part", "committed", "this run", "agree");
    for r in &o.rows {
        let agree = match r.agreement {
            Some(Agreement::Same) => "yes".to_string(),
            Some(Agreement::Undecided) => "undecided here".to_string(),
            Some(Agreement::NewlyDecided) => "newly decided".to_string(),
            Some(Agreement::Differs) => "NO: verdict changed".to_string(),
            None => format!("NO: {}", r.detail),
        };
        s += &format!("{:<26} {:<20} {:<13} {:<13} {}\n", r.claim, r.part, show(r.committed), show(r.now), agree);
    }
    let f = o.failures();
    s += &format!(
        "\n{} parts, {} agree, {} failed; this run's reports: {} (and check.json beside them)\n",
        o.rows.len(),
        o.rows.iter().filter(|r| r.agreement == Some(Agreement::Same)).count(),
        f.len(),
        o.reports_dir.display()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_separates_a_flip_from_a_shorter_run() {
        use Outcome::*;
        assert_eq!(agreement(Refuted, Refuted), Agreement::Same);
        assert_eq!(agreement(Refuted, Confirmed), Agreement::Differs);
        assert_eq!(agreement(Confirmed, Partly), Agreement::Differs);
        assert_eq!(agreement(Refuted, Inconclusive), Agreement::Undecided);
        assert_eq!(agreement(Refuted, NotMeasured), Agreement::Undecided);
        assert_eq!(agreement(Inconclusive, Refuted), Agreement::NewlyDecided);
        assert_eq!(agreement(NotMeasured, Inconclusive), Agreement::NewlyDecided);
    }

    #[test]
    fn a_flipped_verdict_or_an_unjudged_claim_fails_the_check() {
        let row = |committed, now| Row {
            claim: "c".into(),
            part: "p".into(),
            committed: Some(committed),
            now,
            agreement: now.map(|n| agreement(committed, n)),
            detail: String::new(),
        };
        let o = |rows| Outcomes {
            schema: SCHEMA.into(),
            label: String::new(),
            started_at: String::new(),
            environment: crate::evidence::environment::Environment::capture(),
            quick: true,
            rows,
            evidence: BTreeMap::new(),
            reports_dir: PathBuf::new(),
        };
        assert!(o(vec![row(Outcome::Refuted, Some(Outcome::Refuted)), row(Outcome::Refuted, Some(Outcome::Inconclusive))]).failures().is_empty());
        assert_eq!(o(vec![row(Outcome::Refuted, Some(Outcome::Confirmed))]).failures().len(), 1);
        assert_eq!(o(vec![row(Outcome::Refuted, None)]).failures().len(), 1);
    }

    #[test]
    fn unknown_claims_are_refused_naming_the_known_ones() {
        let e = select(&["whisper-rs-raec".into()]).err().unwrap();
        assert!(matches!(&e, crate::claims::ClaimError::Unknown { name, known, .. } if name == "whisper-rs-raec" && known.contains("whisper-rs-race")), "{e}");
        assert_eq!(select(&[]).unwrap().len(), registry::ALL.len());
    }
}

/// Whether a claim was measured on the newest published version of its crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stale {
    /// The pinned evidence measured the newest version.
    Current,
    /// A newer version is published: the verdicts need re-checking.
    Behind,
    /// The newest version or the measured one is not known.
    Unknown,
}

/// The rule: current when any pinned evidence measured the newest version.
pub fn stale_rule(measured: &[String], newest: Option<&str>) -> Stale {
    match newest {
        None => Stale::Unknown,
        Some(_) if measured.is_empty() => Stale::Unknown,
        Some(n) if measured.iter().any(|m| m == n) => Stale::Current,
        Some(_) => Stale::Behind,
    }
}

/// One claim's upstream versions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Staleness {
    pub claim: String,
    pub krate: String,
    /// The crate's versions in the pinned evidence's environments (the
    /// workspace's lock when each was measured).
    pub measured: Vec<String>,
    /// The newest published version, or why it is not known.
    pub newest: Result<String, String>,
    pub stale: Stale,
}

pub use crate::claims::registry::upstream_crate;

/// The versions of `krate` that `claim`'s pinned evidence was measured on.
fn measured_versions(claim: &dyn Claim, krate: &str) -> Vec<String> {
    let mut out: Vec<String> = claim
        .evidence()
        .iter()
        .flat_map(|e| crate::evidence::store::pinned_all(e))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .filter_map(|v| v["environment"]["crates"][krate].as_str().map(String::from))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Each claim's measured versions against the newest published one
/// (`crates_io::newest`, asked once per crate).
pub fn stale(claims: &[&'static dyn Claim]) -> Vec<Staleness> {
    let mut newest: BTreeMap<&str, Result<String, String>> = BTreeMap::new();
    claims
        .iter()
        .map(|c| {
            let krate = upstream_crate(*c);
            let n = newest.entry(krate).or_insert_with(|| crate::crates_io::newest(krate).map_err(|e| crate::error_chain::message(&e))).clone();
            let measured = measured_versions(*c, krate);
            let stale = stale_rule(&measured, n.as_deref().ok());
            Staleness { claim: c.id().to_string(), krate: krate.to_string(), measured, newest: n, stale }
        })
        .collect()
}

/// The `--stale` table.
pub fn stale_table(rows: &[Staleness]) -> String {
    let mut s = format!("{:<27}{:<14}{:<24}{:<24}{}\n", "claim", "crate", "measured on", "newest published", "re-check?");
    for r in rows {
        let newest = r.newest.clone().unwrap_or_else(|e| format!("unknown ({e})"));
        let verdict = match r.stale {
            Stale::Current => "no: measured on the newest",
            Stale::Behind => "yes: a newer version is published",
            Stale::Unknown => "unknown",
        };
        s += &format!("{:<27}{:<14}{:<24}{:<24}{}\n", r.claim, r.krate, r.measured.join(", "), newest, verdict);
    }
    s
}

#[cfg(test)]
mod stale_tests {
    use super::*;

    #[test]
    fn stale_rule_names_every_case() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(stale_rule(&v(&["0.16.0"]), Some("0.16.0")), Stale::Current);
        assert_eq!(stale_rule(&v(&["0.15.1", "0.16.0"]), Some("0.16.0")), Stale::Current);
        assert_eq!(stale_rule(&v(&["0.25.10"]), Some("0.25.11")), Stale::Behind);
        assert_eq!(stale_rule(&v(&[]), Some("1.0.0")), Stale::Unknown);
        assert_eq!(stale_rule(&v(&["1.0.0"]), None), Stale::Unknown);
    }

    #[test]
    fn every_claim_names_a_crate_its_evidence_records() {
        for c in registry::ALL {
            let k = upstream_crate(*c);
            assert!(crate::evidence::environment::TRACKED_CRATES.contains(&k), "{}: upstream crate `{k}` is not among the crates evidence records", c.id());
        }
    }
}
