//! Claim 2's first part, per ort version: "API design requires `&mut self`
//! for inference". Decided from `harness experiment ort-api` (a compile
//! probe calling `Session::run` through `&Session`, one `cargo check` per
//! version) by [`rule`]; the ledger holds every version probed, and
//! `harness bisect ort-mutex run-needs-mut` finds where it changed.

use super::ledger::Entry;
use super::registry::{Part, Sources};
use super::verdict::{Outcome, Verdict};
use crate::evidence::store::{self, Evidence};
use crate::experiments::api_probe::{Ending, Probe};
use crate::experiments::ort_api::{Data, EXPERIMENT};

/// The part.
pub const PART: Part = Part { id: "run-needs-mut", question: "\"API design requires `&mut self` for inference\" (`Session::run` through `&Session`)" };

/// rustc's code for a `&mut self` method called through `&`.
pub const NEEDS_MUT: &str = "E0596";

/// The rule, pure: a clean compile means `run` takes `&self` (refuted);
/// only E0596 in the probe's own code means `&mut self` (confirmed); any
/// other rejection is a broken probe (inconclusive); an ort that does not
/// build or resolve is not measured, with cargo's reason.
pub fn rule(p: &Probe) -> Verdict {
    let v = &p.version;
    let sys = p.resolved.get("ort-sys").map_or(String::new(), |s| format!(" (ort-sys {s})"));
    match &p.ending {
        Ending::Compiled => Verdict::new(PART.id, Outcome::Refuted, format!("ort {v}{sys}: `run` is callable through `&Session`: it takes `&self`")),
        Ending::Rejected { errors } if errors.iter().all(|e| e.code.as_deref() == Some(NEEDS_MUT)) => Verdict::new(
            PART.id,
            Outcome::Confirmed,
            format!("ort {v}{sys}: calling `run` through `&Session` is rejected with {NEEDS_MUT} (cannot borrow as mutable): it takes `&mut self`"),
        ),
        Ending::Rejected { errors } => Verdict::new(
            PART.id,
            Outcome::Inconclusive,
            format!(
                "ort {v}: the probe fails for another reason, so it says nothing about the receiver: {}",
                errors.first().map_or("", |e| e.message.as_str())
            ),
        ),
        Ending::DoesNotBuild { reason } => Verdict::new(PART.id, Outcome::NotMeasured, format!("ort {v} does not build here: {reason}")),
    }
}

/// The probes of the pinned (or given) evidence.
pub fn probes(sources: &Sources) -> Result<Vec<Probe>, crate::claims::ClaimError> {
    let ev: Evidence<Data> = store::read(sources.get(EXPERIMENT)?)?;
    Ok(ev.data.probes)
}

/// The part's verdict for the report's verdict table: on the newest
/// version probed that decided it (today's answer; a newer one that did not
/// build is in the ledger); the ledger shows the others.
pub fn verdict(probes: &[Probe]) -> Verdict {
    let mut judged: Vec<(&Probe, Verdict)> = probes.iter().map(|p| (p, rule(p))).collect();
    judged.sort_by(|a, b| super::ledger::cmp_versions(&a.0.version, &b.0.version));
    let decided = judged.iter().rev().find(|(_, v)| !matches!(v.outcome, Outcome::Inconclusive | Outcome::NotMeasured));
    match decided.or(judged.last()) {
        Some((_, v)) => v.clone(),
        None => Verdict::new(PART.id, Outcome::NotMeasured, "no ort version probed"),
    }
}

/// One ledger entry per version probed.
pub fn ledger(probes: &[Probe]) -> Vec<Entry> {
    probes.iter().map(|p| Entry::new("ort", &p.version, rule(p))).collect()
}

/// Judges the part on one version (one `cargo check`): the bisect step.
pub fn judge_version(version: &str, progress: &dyn Fn(&str)) -> Result<Verdict, crate::claims::ClaimError> {
    progress(&format!("cargo check of the `run(&Session)` probe against ort {version}"));
    Ok(rule(&crate::experiments::ort_api::probe(version)?))
}

/// The rule in words, for the report (the code is [`rule`]).
pub const RULE: &str = "a clean compile of the probe means `run` takes `&self` (refuted); only E0596 in the probe's own code means `&mut self` (confirmed); \
    any other rejection is a broken probe (inconclusive); an ort that does not build or resolve is not measured; the verdict table shows the newest version probed";

/// The results table: what cargo said for each version.
pub fn results(probes: &[Probe]) -> String {
    let mut ps: Vec<&Probe> = probes.iter().collect();
    ps.sort_by(|a, b| super::ledger::cmp_versions(&a.version, &b.version));
    let rows: Vec<Vec<String>> = ps
        .iter()
        .map(|p| {
            let resolved = p.resolved.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
            let said = match &p.ending {
                Ending::Compiled => "compiled".to_string(),
                Ending::Rejected { errors } => errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; "),
                Ending::DoesNotBuild { reason } => format!("does not build: {}", reason.lines().next().unwrap_or("")),
            };
            vec![p.version.clone(), resolved, said, format!("{:.1}", p.seconds)]
        })
        .collect();
    format!(
        "### `Session::run`'s receiver, per ort version

{}
",
        crate::report::markdown::table(&["ort asked", "resolved (Cargo.lock)", "what rustc said about the probe", "cargo check s"], &rows)
    )
}

/// The method paragraph for the report.
pub fn method(probe_source: &str) -> String {
    format!(
        "`harness experiment ort-api` (part `{}`): a compile probe, checked with `cargo check` against each ort version in a generated project (`ort = \"=V\"` with \
         `load-dynamic` and `ort-sys` pinned to the same version, so no ONNX Runtime is downloaded). Rustc's {NEEDS_MUT} in the probe means `run` takes `&mut self`, \
         a clean compile means `&self`. The probe:\n\n```rust\n{probe_source}```\n\n",
        PART.id
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::cargo_output::CompilerError;

    fn probe(version: &str, ending: Ending) -> Probe {
        Probe { version: version.into(), resolved: Default::default(), ending, seconds: 1.0 }
    }
    fn rejected(code: &str) -> Ending {
        Ending::Rejected { errors: vec![CompilerError { package: "probe".into(), code: Some(code.into()), message: format!("error[{code}]") }] }
    }

    #[test]
    fn each_ending_has_its_outcome() {
        assert_eq!(rule(&probe("2.0.0-rc.9", Ending::Compiled)).outcome, Outcome::Refuted);
        assert_eq!(rule(&probe("2.0.0-rc.10", rejected(NEEDS_MUT))).outcome, Outcome::Confirmed);
        assert_eq!(rule(&probe("2.0.0-rc.10", rejected("E0308"))).outcome, Outcome::Inconclusive, "a probe that does not type-check says nothing");
        let nb = rule(&probe("9.9.9", Ending::DoesNotBuild { reason: "error: failed to select a version".into() }));
        assert_eq!(nb.outcome, Outcome::NotMeasured);
        assert!(nb.figures.contains("failed to select a version"), "cargo's reason is kept: {}", nb.figures);
    }

    #[test]
    fn the_table_verdict_is_the_newest_versions() {
        let ps = [probe("2.0.0-rc.15", rejected(NEEDS_MUT)), probe("2.0.0-rc.9", Ending::Compiled)];
        assert_eq!(verdict(&ps).outcome, Outcome::Confirmed);
        assert_eq!(verdict(&[]).outcome, Outcome::NotMeasured);
        let newer_broken = [probe("2.0.0-rc.15", rejected(NEEDS_MUT)), probe("2.0.0-rc.16", Ending::DoesNotBuild { reason: "x".into() })];
        assert_eq!(verdict(&newer_broken).outcome, Outcome::Confirmed, "the newest version that decided");
        assert_eq!(ledger(&ps).len(), 2);
    }
}
