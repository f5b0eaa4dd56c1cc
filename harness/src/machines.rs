//! Verdicts across machines: the `check.json` of several `harness check`
//! runs (one per machine, or per machine profile such as one core pinned
//! with `taskset`) merged into one table, each part's verdict per machine
//! and whether it holds on all of them (`holds`). The merge refuses files
//! it cannot compare, naming them: another schema, other claims, quick runs
//! mixed with full ones. A part that only some runs have (their harnesses
//! come from different commits) is shown as "not in this run" there, and
//! does not hold on all.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::check::{Outcomes, SCHEMA};
use crate::claims::verdict::Outcome;
use crate::report::markdown::table;

/// Why check runs cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("give at least two check.json files (one per machine); got {0}")]
    TooFew(usize),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a `harness check` result ({source})\n  fix: give the check.json written beside a check run's reports")]
    NotCheck { path: PathBuf, source: serde_json::Error },
    #[error("{path}: schema {found}, this harness merges {expected}\n  fix: re-run `harness check` there with this harness version")]
    Schema { path: PathBuf, found: String, expected: &'static str },
    #[error("{first} and {second} checked different claims ({difference})\n  fix: run the same `harness check CLAIMS` on every machine")]
    Claims { first: PathBuf, second: PathBuf, difference: String },
    #[error("{first} is a {first_kind} run and {second} a {second_kind} one: their verdicts are not comparable\n  fix: merge quick runs with quick runs")]
    Grade { first: PathBuf, first_kind: &'static str, second: PathBuf, second_kind: &'static str },
}

pub use crate::claims::by_machine::{holds, Holds};

/// One machine's run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub name: String,
    pub file: PathBuf,
    pub run: Outcomes,
}

/// One part across machines.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    pub claim: String,
    pub part: String,
    pub verdicts: Vec<Option<Outcome>>,
    pub figures: Vec<String>,
    /// Whether each run has the part at all (a harness from before the part existed has not).
    #[serde(default)]
    pub in_run: Vec<bool>,
    pub holds: Holds,
}

/// The merged runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Merged {
    pub machines: Vec<Machine>,
    pub parts: Vec<Part>,
}

fn name_of(run: &Outcomes) -> String {
    if !run.label.is_empty() {
        return run.label.clone();
    }
    run.environment.hardware()
}

fn read(path: &Path) -> Result<Outcomes, MergeError> {
    let text = std::fs::read_to_string(path).map_err(|source| MergeError::Io { path: path.to_path_buf(), source })?;
    let run: Outcomes = serde_json::from_str(&text).map_err(|source| MergeError::NotCheck { path: path.to_path_buf(), source })?;
    if run.schema != SCHEMA {
        return Err(MergeError::Schema { path: path.to_path_buf(), found: run.schema, expected: SCHEMA });
    }
    Ok(run)
}

fn claims_of(run: &Outcomes) -> Vec<String> {
    let mut k: Vec<String> = run.rows.iter().map(|r| r.claim.clone()).collect();
    k.sort();
    k.dedup();
    k
}

/// Every part any run judged, in the order the runs list them: runs made
/// by harnesses of different commits may know different parts of a claim.
fn union_of_parts(runs: &[Outcomes]) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for row in runs.iter().flat_map(|r| &r.rows) {
        let key = (row.claim.clone(), row.part.clone());
        if keys.contains(&key) {
            continue;
        }
        // A part only a later run has goes with its claim's other parts.
        match keys.iter().rposition(|(claim, _)| *claim == key.0) {
            Some(i) => keys.insert(i + 1, key),
            None => keys.push(key),
        }
    }
    keys
}

fn grade(quick: bool) -> &'static str {
    if quick {
        "quick"
    } else {
        "report-grade"
    }
}

/// Reads and merges check.json files, refusing any that cannot be compared.
pub fn merge(files: &[PathBuf]) -> Result<Merged, MergeError> {
    if files.len() < 2 {
        return Err(MergeError::TooFew(files.len()));
    }
    let runs: Vec<Outcomes> = files.iter().map(|f| read(f)).collect::<Result<_, _>>()?;
    let (first, first_file) = (&runs[0], &files[0]);
    for (run, file) in runs.iter().zip(files).skip(1) {
        let (a, b) = (claims_of(first), claims_of(run));
        if a != b {
            let only = |x: &[String], y: &[String]| x.iter().filter(|k| !y.contains(k)).cloned().collect::<Vec<_>>();
            let difference = format!("only in the first: [{}]; only in the second: [{}]", only(&a, &b).join(", "), only(&b, &a).join(", "));
            return Err(MergeError::Claims { first: first_file.clone(), second: file.clone(), difference });
        }
        if run.quick != first.quick {
            return Err(MergeError::Grade { first: first_file.clone(), first_kind: grade(first.quick), second: file.clone(), second_kind: grade(run.quick) });
        }
    }
    let parts = union_of_parts(&runs)
        .into_iter()
        .map(|(claim, part)| {
            let cells: Vec<Option<(Option<Outcome>, String)>> =
                runs.iter().map(|r| r.rows.iter().find(|x| x.claim == claim && x.part == part).map(|x| (x.now, x.detail.clone()))).collect();
            let verdicts: Vec<Option<Outcome>> = cells.iter().map(|c| c.as_ref().and_then(|c| c.0)).collect();
            let in_run: Vec<bool> = cells.iter().map(Option::is_some).collect();
            let figures = cells.into_iter().map(|c| c.map(|c| c.1).unwrap_or_default()).collect();
            Part { claim, part, holds: holds(&verdicts), verdicts, figures, in_run }
        })
        .collect();
    let machines = runs.into_iter().zip(files).map(|(run, f)| Machine { name: name_of(&run), file: f.clone(), run }).collect();
    Ok(Merged { machines, parts })
}

/// The merged table as markdown: the machines, then each part per machine.
pub fn render(m: &Merged) -> String {
    let mut s = String::from("# Verdicts by machine\n\n");
    s += &format!(
        "`harness check-merge`: {} `harness check` runs ({}), one per machine or machine profile, each part judged by the claim's own rule on that \
         machine's evidence. Rule for the last column (`machines::holds`): the same verdict everywhere; or the same where decided and undecided \
         elsewhere; or it depends on the machine.\n\n",
        m.machines.len(),
        grade(m.machines[0].run.quick)
    );
    let rows: Vec<Vec<String>> = m
        .machines
        .iter()
        .map(|x| {
            let e = &x.run.environment;
            vec![
                x.name.clone(),
                e.cpu_model.clone(),
                e.logical_cores.to_string(),
                e.simd.join(" "),
                e.os.clone(),
                format!("{}{}", e.git_commit.get(..10).unwrap_or(&e.git_commit), if e.git_dirty { " (dirty)" } else { "" }),
                x.run.started_at.clone(),
            ]
        })
        .collect();
    s += &table(&["machine", "CPU", "logical cores", "SIMD", "OS", "commit", "started"], &rows);
    let envs: Vec<crate::evidence::environment::Environment> = m.machines.iter().map(|x| x.run.environment.clone()).collect();
    let commits = crate::claims::by_machine::commits_note(&envs);
    if !commits.is_empty() {
        s += &format!("\n{}\n", commits.trim_start());
    }
    s += "\n";
    let mut header = vec!["claim", "part"];
    header.extend(m.machines.iter().map(|x| x.name.as_str()));
    header.push("holds on all?");
    let rows: Vec<Vec<String>> = m
        .parts
        .iter()
        .map(|p| {
            let mut r = vec![p.claim.clone(), p.part.clone()];
            r.extend(p.verdicts.iter().zip(&p.in_run).map(|(v, &in_run)| match (v, in_run) {
                (_, false) => "not in this run".to_string(),
                (None, true) => "not judged".to_string(),
                (Some(o), true) => o.label().to_string(),
            }));
            r.push(p.holds.describe());
            r
        })
        .collect();
    s += &table(&header, &rows);
    s += "\n## Figures per machine\n\n";
    for p in &m.parts {
        s += &format!("- {} {}:\n", p.claim, p.part);
        for ((x, f), in_run) in m.machines.iter().zip(&p.figures).zip(&p.in_run) {
            let figure = if !in_run {
                "not in this run (its harness did not have the part)"
            } else if f.is_empty() {
                "-"
            } else {
                f
            };
            s += &format!("  - {}: {figure}\n", x.name);
        }
    }
    s
}
