//! Verdicts by machine inside a report: when a claim's evidence is pinned
//! from several machines (or machine profiles) in `reports/data/index.toml`,
//! each pinned file is judged by the claim's own rules and the report shows
//! every machine's verdicts side by side, with whether each holds on all
//! (`holds`, the rule `harness check-merge` uses too).

use serde::{Deserialize, Serialize};

use super::registry::{Claim, Sources};
use super::verdict::Outcome;
use crate::evidence::store;

/// Whether a part's verdict holds on every machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Holds {
    /// The same verdict everywhere.
    Everywhere(Outcome),
    /// Decided the same way where decided; inconclusive or not measured elsewhere.
    WhereDecided(Outcome),
    /// Decided differently on different machines: the verdict depends on the machine.
    Differs,
    /// Not judged on some machine (measuring failed there).
    Incomplete,
}

fn decided(o: Outcome) -> bool {
    matches!(o, Outcome::Confirmed | Outcome::Refuted | Outcome::Partly)
}

/// The rule: one verdict per machine (`None`: not judged there).
pub fn holds(verdicts: &[Option<Outcome>]) -> Holds {
    let Some(all) = verdicts.iter().copied().collect::<Option<Vec<Outcome>>>() else { return Holds::Incomplete };
    let Some(&first) = all.first() else { return Holds::Incomplete };
    if all.iter().all(|&o| o == first) {
        return Holds::Everywhere(first);
    }
    let mut made: Vec<Outcome> = all.into_iter().filter(|&o| decided(o)).collect();
    made.dedup();
    match made.as_slice() {
        [one] => Holds::WhereDecided(*one),
        _ => Holds::Differs,
    }
}

impl Holds {
    /// The cell of the merged table.
    pub fn describe(self) -> String {
        match self {
            Holds::Everywhere(o) => format!("yes: {} on every machine", o.label()),
            Holds::WhereDecided(o) => format!("{} where decided; undecided on the others", o.label()),
            Holds::Differs => "**no: the verdict depends on the machine**".into(),
            Holds::Incomplete => "not judged on every machine".into(),
        }
    }
}

/// How a report names a machine: its CPU, cores and when it measured.
pub fn label(env: &crate::evidence::environment::Environment, started_at: &str) -> String {
    let profile = env.profile.as_ref().map_or(String::new(), |p| format!("{p}: "));
    format!("{profile}{}", label_of_machine(env, started_at))
}

fn label_of_machine(env: &crate::evidence::environment::Environment, started_at: &str) -> String {
    format!("{}, {}", hardware(env), started_at.get(..10).unwrap_or(started_at))
}

/// The CPU, its widest vector unit and its logical cores: virtual machines
/// often name only the vendor ("AMD EPYC"), and the vector unit tells
/// generations apart.
pub fn hardware(env: &crate::evidence::environment::Environment) -> String {
    let has = |f: &str| env.simd.iter().any(|s| s == f);
    let widest = if has("avx512f") {
        " (AVX-512)"
    } else if has("avx2") {
        " (AVX2, no AVX-512)"
    } else {
        ""
    };
    format!("{}{widest}, {} logical core{}", env.cpu_model, env.logical_cores, if env.logical_cores == 1 { "" } else { "s" })
}

/// Whether every environment is the same hardware as far as evidence can
/// tell (CPU model and vector unit).
pub fn same_hardware(envs: &[crate::evidence::environment::Environment]) -> bool {
    envs.windows(2).all(|w| w[0].cpu_model == w[1].cpu_model && w[0].simd == w[1].simd)
}

/// A sentence when the pinned files come from different commits: a
/// difference between them may then come from the code, not the machine.
fn commits_note(envs: &[crate::evidence::environment::Environment]) -> String {
    let mut commits: Vec<&str> = envs.iter().map(|e| e.git_commit.get(..7).unwrap_or(&e.git_commit)).collect();
    commits.dedup();
    if commits.len() < 2 {
        return String::new();
    }
    format!(
        " The files were measured at different commits ({}): a difference between machines may come from the code measured as well as from the machine.",
        commits.join(", ")
    )
}

/// The environment an evidence file records.
fn environment_of(path: &std::path::Path) -> Result<crate::evidence::environment::Environment, crate::claims::ClaimError> {
    let ev: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).map_err(crate::claims::error::io(path))?)
        .map_err(|e| crate::claims::ClaimError::Measurement { what: path.display().to_string(), problem: e.to_string() })?;
    serde_json::from_value(ev["environment"].clone())
        .map_err(|e| crate::claims::ClaimError::Measurement { what: path.display().to_string(), problem: format!("environment: {e}") })
}

/// The section, when some experiment the claim reads has several pinned
/// files (one per machine); `None` otherwise. Every other experiment is
/// read from its last pin.
pub fn section(claim: &dyn Claim) -> Result<Option<String>, crate::claims::ClaimError> {
    let Some((experiment, pins)) = claim.evidence().iter().map(|e| (*e, store::pinned_all(e))).find(|(_, p)| p.len() > 1) else { return Ok(None) };
    let mut machines = Vec::new();
    let mut envs = Vec::new();
    let mut verdicts = Vec::new();
    for p in &pins {
        let ev: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).map_err(crate::claims::error::io(p))?)
            .map_err(|e| crate::claims::ClaimError::Measurement { what: p.display().to_string(), problem: e.to_string() })?;
        let env: crate::evidence::environment::Environment = serde_json::from_value(ev["environment"].clone())
            .map_err(|e| crate::claims::ClaimError::Measurement { what: p.display().to_string(), problem: format!("environment: {e}") })?;
        machines.push(format!("{} (`{}`)", label(&env, ev["started_at"].as_str().unwrap_or("")), crate::report::markdown::data_path(p)));
        let mut sources = Sources::pinned(claim)?.with(experiment, p.clone());
        // Other evidence pinned from several machines: the file from this machine, when there is one.
        for other in claim.evidence().iter().filter(|e| **e != experiment) {
            let same = store::pinned_all(other).into_iter().rev().find(|q| environment_of(q).is_ok_and(|e| same_hardware(&[e, env.clone()])));
            if let (Some(q), true) = (same, store::pinned_all(other).len() > 1) {
                sources = sources.with(other, q);
            }
        }
        envs.push(env);
        verdicts.push(claim.judge(&sources)?);
    }
    // A profile of one machine (a name set, or the same CPU) is not another machine.
    let profiles = if envs.iter().any(|e| e.profile.is_some()) || same_hardware(&envs) {
        " (the same CPU model on all: read \"machine\" as \"machine or profile\", not as different hardware)"
    } else {
        ""
    };
    let mut header = vec!["part".to_string()];
    header.extend((1..=machines.len()).map(|i| format!("machine {i}")));
    header.push("holds on all?".into());
    let rows: Vec<Vec<String>> = claim
        .parts()
        .iter()
        .map(|part| {
            let per: Vec<Option<Outcome>> = verdicts.iter().map(|vs| vs.iter().find(|v| v.part == part.id).map(|v| v.outcome)).collect();
            let mut r = vec![format!("`{}`", part.id)];
            r.extend(per.iter().map(|o| o.map_or("(no verdict)".to_string(), |o| o.label().to_string())));
            r.push(holds(&per).describe());
            r
        })
        .collect();
    let mut figures = String::from("Each machine's figures, by part:\n\n");
    for part in claim.parts() {
        figures += &format!("- `{}`:\n", part.id);
        for (i, vs) in verdicts.iter().enumerate() {
            let f = vs.iter().find(|v| v.part == part.id).map_or("(no verdict)", |v| v.figures.as_str());
            figures += &format!("  - machine {}: {f}\n", i + 1);
        }
    }
    let head: Vec<&str> = header.iter().map(String::as_str).collect();
    let list = machines.iter().enumerate().map(|(i, m)| format!("{}. {m}", i + 1)).collect::<Vec<_>>().join("\n");
    Ok(Some(format!(
        "## Verdicts by machine\n\n`{experiment}` evidence is pinned from {} machines or machine profiles{profiles}; each is judged by the same rules (the figures \
         above are machine {}'s, the last pinned). Rule for the last column (`claims::by_machine::holds`): the same verdict everywhere; or the same where decided and \
         undecided elsewhere; or it depends on the machine. Other evidence pinned from several machines is matched to each by hardware (CPU model and vector unit); any other evidence the claim reads is its last pin, the same for every machine.{}\n\n{list}\n\n{}\n{figures}\n",
        machines.len(),
        machines.len(),
        commits_note(&envs),
        crate::report::markdown::table(&head, &rows)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;

    #[test]
    fn holds_names_every_case() {
        assert_eq!(holds(&[Some(Refuted), Some(Refuted)]), Holds::Everywhere(Refuted));
        assert_eq!(holds(&[Some(Inconclusive), Some(Inconclusive)]), Holds::Everywhere(Inconclusive));
        assert_eq!(holds(&[Some(Confirmed), Some(Inconclusive)]), Holds::WhereDecided(Confirmed));
        assert_eq!(holds(&[Some(NotMeasured), Some(Refuted), Some(Refuted)]), Holds::WhereDecided(Refuted));
        assert_eq!(holds(&[Some(Confirmed), Some(Refuted)]), Holds::Differs);
        assert_eq!(holds(&[Some(Partly), Some(Confirmed)]), Holds::Differs);
        assert_eq!(holds(&[Some(Confirmed), None]), Holds::Incomplete);
        assert_eq!(holds(&[]), Holds::Incomplete);
    }

    fn env(simd: &[&str], commit: &str) -> crate::evidence::environment::Environment {
        let mut e = crate::evidence::environment::Environment::capture();
        e.cpu_model = "AMD EPYC".into();
        e.logical_cores = 2;
        e.simd = simd.iter().map(|s| s.to_string()).collect();
        e.git_commit = commit.into();
        e
    }

    #[test]
    fn machines_with_one_model_name_differ_by_their_vector_unit() {
        let (zen4, zen3) = (env(&["avx2", "avx512f"], "aaaaaaaa"), env(&["avx2"], "aaaaaaaa"));
        assert_eq!(hardware(&zen4), "AMD EPYC (AVX-512), 2 logical cores");
        assert_eq!(hardware(&zen3), "AMD EPYC (AVX2, no AVX-512), 2 logical cores");
        assert!(!same_hardware(&[zen4.clone(), zen3.clone()]));
        assert!(same_hardware(&[zen3.clone(), zen3.clone()]));
        assert_eq!(commits_note(&[zen4.clone(), zen3.clone()]), "");
        let later = env(&["avx2"], "bbbbbbbb");
        assert!(commits_note(&[zen4, later]).contains("different commits (aaaaaaa, bbbbbbb)"));
    }
}
