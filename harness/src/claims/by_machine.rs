//! Verdicts by machine inside a report: when a claim's evidence is pinned
//! from several machines (or machine profiles) in `reports/data/index.toml`,
//! each pinned file is judged by the claim's own rules and the report shows
//! every machine's verdicts side by side, with whether each holds on all
//! (`holds`, the rule `harness check-merge` uses too).

use serde::{Deserialize, Serialize};

use super::registry::{Claim, Sources};
use super::verdict::Outcome;
use crate::evidence::environment::Environment;
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
    /// Not judged on some machine: measuring failed there, its run lacks
    /// the part, or its figures came partly from other hardware.
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
pub fn label(env: &Environment, started_at: &str) -> String {
    let profile = env.profile.as_ref().map_or(String::new(), |p| format!("{p}: "));
    format!("{profile}{}", label_of_machine(env, started_at))
}

fn label_of_machine(env: &Environment, started_at: &str) -> String {
    format!("{}, {}", env.hardware(), started_at.get(..10).unwrap_or(started_at))
}

/// Whether every environment is the same hardware as far as evidence can
/// tell (CPU model and vector unit).
pub fn same_hardware(envs: &[Environment]) -> bool {
    envs.windows(2).all(|w| w[0].cpu_model == w[1].cpu_model && w[0].simd == w[1].simd)
}

/// A sentence when the pinned files come from different commits: a
/// difference between them may then come from the code, not the machine.
pub fn commits_note(envs: &[Environment]) -> String {
    let mut commits: Vec<&str> = envs.iter().map(|e| e.git_commit.get(..7).unwrap_or(&e.git_commit)).collect();
    commits.sort_unstable();
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
fn environment_of(path: &std::path::Path) -> Result<Environment, crate::claims::ClaimError> {
    let ev: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).map_err(crate::claims::error::io(path))?)
        .map_err(|e| crate::claims::ClaimError::Measurement { what: path.display().to_string(), problem: e.to_string() })?;
    serde_json::from_value(ev["environment"].clone())
        .map_err(|e| crate::claims::ClaimError::Measurement { what: path.display().to_string(), problem: format!("environment: {e}") })
}

/// One pinned file of the experiment that has several: which machine, and
/// what the claim says on it.
struct Machine {
    label: String,
    env: Environment,
    verdicts: Vec<super::verdict::Verdict>,
    /// Other experiments whose figures on this machine come from other
    /// hardware (their only pin is another machine's), as sentences.
    borrowed: Vec<String>,
}

/// The section, when some experiment the claim reads has several pinned
/// files (one per machine); `None` otherwise. Every other experiment is
/// read from its last pin.
pub fn section(claim: &dyn Claim) -> Result<Option<Section>, crate::claims::ClaimError> {
    let Some((experiment, pins)) = claim.evidence().iter().map(|e| (*e, store::pinned_all(e))).find(|(_, p)| p.len() > 1) else { return Ok(None) };
    let mut machines = Vec::new();
    for p in &pins {
        machines.push(judge_on(claim, experiment, p, machines.len() + 1)?);
    }
    let envs: Vec<Environment> = machines.iter().map(|m| m.env.clone()).collect();
    let borrowed: Vec<&String> = machines.iter().flat_map(|m| &m.borrowed).collect();
    let borrowed = if borrowed.is_empty() {
        String::new()
    } else {
        let list: Vec<&str> = borrowed.iter().map(|s| s.as_str()).collect();
        format!(" Not every figure is from its machine: {}; such a machine's verdicts are shown but not counted in the last column.", list.join("; "))
    };
    let mut header = vec!["part".to_string()];
    header.extend((1..=machines.len()).map(|i| format!("machine {i}")));
    header.push("holds on all?".into());
    let (rows, everywhere): (Vec<Vec<String>>, Vec<bool>) = claim.parts().iter().map(|part| row(part.id, &machines)).unzip();
    let differing: Vec<String> = claim.parts().iter().zip(&everywhere).filter(|(_, e)| !**e).map(|(p, _)| format!("`{}`", p.id)).collect();
    let left_out: Vec<usize> = machines.iter().enumerate().filter(|(_, m)| !m.borrowed.is_empty()).map(|(i, _)| i + 1).collect();
    let headline = headline(machines.len(), &machines[machines.len() - 1].label, &differing, &left_out);
    let mut figures = String::from("Each machine's figures, by part:\n\n");
    for part in claim.parts() {
        figures += &format!("- `{}`:\n", part.id);
        for (i, m) in machines.iter().enumerate() {
            let f = m.verdicts.iter().find(|v| v.part == part.id).map_or("(no verdict)", |v| v.figures.as_str());
            figures += &format!("  - machine {}: {f}\n", i + 1);
        }
    }
    let head: Vec<&str> = header.iter().map(String::as_str).collect();
    let list = machines.iter().enumerate().map(|(i, m)| format!("{}. {}", i + 1, m.label)).collect::<Vec<_>>().join("\n");
    let markdown = format!(
        "## Verdicts by machine\n\n`{experiment}` evidence is pinned from {} machines or machine profiles{}; each is judged by the same rules (the figures \
         above are machine {}'s, the last pinned). Rule for the last column (`claims::by_machine::holds`): the same verdict everywhere; or the same where decided and \
         undecided elsewhere; or it depends on the machine. Other evidence the claim reads is taken from the same machine (CPU, vector unit, cores and profile) where it is pinned from it, else from the same hardware (CPU model and vector unit), else its last pin; the two fallbacks are named below.{}{borrowed}\n\n{list}\n\n{}\n{figures}\n",
        machines.len(),
        hardware_note(&envs),
        machines.len(),
        commits_note(&envs),
        crate::report::markdown::table(&head, &rows)
    );
    Ok(Some(Section { markdown, headline }))
}

/// The "Verdicts by machine" section, and the sentence the page's verdict
/// opens with: whose evidence the headline verdicts are, and which parts
/// do not hold the same on every machine.
pub struct Section {
    pub markdown: String,
    pub headline: String,
}

/// The verdict's opening sentence (`differing`: the parts that do not hold
/// the same on every machine counted; `left_out`: the machines not counted,
/// their figures partly from another machine's evidence).
pub fn headline(machines: usize, last: &str, differing: &[String], left_out: &[usize]) -> String {
    let which = format!("The verdicts below are judged on machine {machines}'s evidence, the last pinned of {machines}: {last}.");
    let counted = if left_out.is_empty() {
        "every machine".to_string()
    } else {
        let list: Vec<String> = left_out.iter().map(|i| i.to_string()).collect();
        format!("every machine counted (not machine {}: its figures partly come from another machine's evidence)", list.join(", "))
    };
    if differing.is_empty() {
        format!("{which} Every part's verdict is the same on {counted} (\"Verdicts by machine\").\n\n")
    } else {
        format!("{which} **Not the same on {counted}**: {} (\"Verdicts by machine\" gives each machine's verdict).\n\n", differing.join(", "))
    }
}

/// Judges the claim on one pinned file of `experiment`, reading every other
/// experiment from the same machine where it is pinned from it, else from
/// the same hardware, else its last pin; the last two are recorded as
/// borrowed.
fn judge_on(claim: &dyn Claim, experiment: &str, p: &std::path::Path, number: usize) -> Result<Machine, crate::claims::ClaimError> {
    let ev: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).map_err(crate::claims::error::io(p))?)
        .map_err(|e| crate::claims::ClaimError::Measurement { what: p.display().to_string(), problem: e.to_string() })?;
    let env = environment_of(p)?;
    let label = format!("{} (`{}`)", label(&env, ev["started_at"].as_str().unwrap_or("")), crate::report::markdown::data_path(p));
    let mut sources = Sources::pinned(claim)?.with(experiment, p.to_path_buf());
    let mut borrowed = Vec::new();
    for other in claim.evidence().iter().filter(|e| **e != experiment) {
        let Some(used) = store::pinned_for(other, &env) else { continue };
        sources = sources.with(other, used.clone());
        let from = environment_of(&used)?;
        if !from.same_machine(&env) {
            let whose = if same_hardware(&[from.clone(), env.clone()]) { "the same hardware under another profile or core count" } else { "other hardware" };
            borrowed.push(format!(
                "machine {number}'s `{other}` figures come from {whose}, {} (`{}`)",
                from.profile.as_ref().map_or(from.hardware(), |p| format!("{p}: {}", from.hardware())),
                crate::report::markdown::data_path(&used)
            ));
        }
    }
    Ok(Machine { label, verdicts: claim.judge(&sources)?, env, borrowed })
}

/// One part's row: each machine's verdict, and whether it holds on all
/// (`counted_holds`); the last field says whether it holds the same on
/// every machine counted.
fn row(part: &str, machines: &[Machine]) -> (Vec<String>, bool) {
    let per: Vec<Option<Outcome>> = machines.iter().map(|m| m.verdicts.iter().find(|v| v.part == part).map(|v| v.outcome)).collect();
    let own: Vec<bool> = machines.iter().map(|m| m.borrowed.is_empty()).collect();
    let mut r = vec![format!("`{part}`")];
    r.extend(per.iter().zip(&own).map(|(o, own)| {
        let cell = o.map_or("(no verdict)".to_string(), |o| o.label().to_string());
        if *own {
            cell
        } else {
            format!("{cell} (partly another machine's evidence)")
        }
    }));
    let (holds, text) = counted_holds(&per, &own);
    r.push(text);
    (r, matches!(holds, Holds::Everywhere(_)))
}

/// The last column: `holds` over the machines judged on their own
/// evidence, naming the machines left out (their figures partly come from
/// another machine's evidence, so they cannot vouch for themselves).
pub fn counted_holds(per: &[Option<Outcome>], own: &[bool]) -> (Holds, String) {
    let counted: Vec<Option<Outcome>> = per.iter().zip(own).filter(|(_, own)| **own).map(|(o, _)| *o).collect();
    let holds = holds(&counted);
    let left_out: Vec<String> = own.iter().enumerate().filter(|(_, own)| !**own).map(|(i, _)| (i + 1).to_string()).collect();
    let text = match (left_out.is_empty(), counted.is_empty()) {
        (true, _) => holds.describe(),
        (false, true) => "not decided: every machine was judged partly on another machine's evidence".into(),
        (false, false) => format!("{} (machine {} not counted)", holds.describe(), left_out.join(", ")),
    };
    (holds, text)
}

/// How many hardware kinds the pinned files come from, and whether some of
/// them share one (profiles or repeat runs of one machine kind).
pub fn hardware_note(envs: &[Environment]) -> String {
    let mut kinds: Vec<(&str, &[String])> = envs.iter().map(|e| (e.cpu_model.as_str(), e.simd.as_slice())).collect();
    kinds.sort();
    kinds.dedup();
    match kinds.len() {
        1 => " (one hardware kind, by CPU model and vector unit, on all: read \"machine\" as \"machine or profile\", not as different hardware)".to_string(),
        n if n < envs.len() => format!(
            " ({n} hardware kinds by CPU model and vector unit; some entries share one (a profile such as a core limit, or a repeat run): read \"machine\" as \"machine or profile\")"
        ),
        n => format!(" ({n} hardware kinds by CPU model and vector unit)"),
    }
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

    fn env(simd: &[&str], commit: &str) -> Environment {
        let mut e = Environment::capture();
        e.cpu_model = "AMD EPYC".into();
        e.logical_cores = 2;
        e.simd = simd.iter().map(|s| s.to_string()).collect();
        e.git_commit = commit.into();
        e
    }

    #[test]
    fn machines_with_one_model_name_differ_by_their_vector_unit() {
        let (zen4, zen3) = (env(&["avx2", "avx512f"], "aaaaaaaa"), env(&["avx2"], "aaaaaaaa"));
        assert_eq!(zen4.hardware(), "AMD EPYC (AVX-512), 2 logical cores");
        assert_eq!(zen3.hardware(), "AMD EPYC (AVX2, no AVX-512), 2 logical cores");
        assert!(!same_hardware(&[zen4.clone(), zen3.clone()]));
        assert!(same_hardware(&[zen3.clone(), zen3.clone()]));
        assert_eq!(commits_note(&[zen4.clone(), zen3.clone()]), "");
        let later = env(&["avx2"], "bbbbbbbb");
        assert!(commits_note(&[zen4, later]).contains("different commits (aaaaaaa, bbbbbbb)"));
    }

    #[test]
    fn a_machine_judged_on_another_machines_evidence_is_not_counted() {
        let both = counted_holds(&[Some(Refuted), Some(Refuted)], &[true, true]);
        assert_eq!(both, (Holds::Everywhere(Refuted), Holds::Everywhere(Refuted).describe()));
        let (h, text) = counted_holds(&[Some(Confirmed), Some(Refuted), Some(Refuted)], &[false, true, true]);
        assert_eq!(h, Holds::Everywhere(Refuted), "machine 1's Confirmed is not counted");
        assert!(text.ends_with("(machine 1 not counted)"), "{text}");
        let (h, _) = counted_holds(&[Some(Refuted), Some(Confirmed), Some(Refuted)], &[true, true, false]);
        assert_eq!(h, Holds::Differs, "the machines on their own evidence already differ");
        assert!(counted_holds(&[Some(Refuted)], &[false]).1.starts_with("not decided"));
    }

    #[test]
    fn the_headline_names_whose_evidence_and_the_parts_that_differ() {
        let same = headline(2, "AMD EPYC (AVX2, no AVX-512)", &[], &[]);
        assert!(same.contains("machine 2's evidence") && same.contains("the same on every machine ("), "{same}");
        let differ = headline(3, "x", &["`gain`".into()], &[]);
        assert!(differ.contains("**Not the same on every machine**: `gain`"), "{differ}");
        let partly = headline(3, "x", &[], &[1]);
        assert!(partly.contains("the same on every machine counted (not machine 1:"), "{partly}");
    }

    #[test]
    fn the_hardware_note_counts_kinds_and_says_when_entries_share_one() {
        let (zen4, zen3) = (env(&["avx2", "avx512f"], "a"), env(&["avx2"], "a"));
        assert!(hardware_note(&[zen4.clone(), zen4.clone()]).contains("one hardware kind"));
        assert_eq!(hardware_note(&[zen4.clone(), zen3.clone()]), " (2 hardware kinds by CPU model and vector unit)");
        assert!(hardware_note(&[zen4.clone(), zen4, zen3]).contains("2 hardware kinds by CPU model and vector unit; some entries share one"));
    }
}
