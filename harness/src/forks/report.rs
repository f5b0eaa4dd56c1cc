//! The before/after section a claim's report gets from its patches' fork
//! checks: the crate's own tests, the proof the fork was compiled, the repro
//! and the benchmarks on both sides, and either a ready-to-send pull-request
//! description or "do not send" with the reasons.
//!
//! Rule (`decide`): do not send when the patched crate fails more of its
//! own tests than the unpatched one (or does not build); when a fix's
//! repro showed no problem before (nothing to fix) or still shows it after;
//! or when a benchmark that measures the patch's cost shows a cost above
//! its limit (the lower bound of the 95% interval above it). When the
//! interval is too wide to decide, the description says "undecided at this
//! resolution" instead of claiming the limit is met.

use super::check::{evidence_name, BenchPair, Data};
use super::patch_file::PatchSpec;
use super::spec::{self, Kind};
use crate::evidence::store::{self, Evidence};
use crate::measure::stats::{estimate, ratio, Estimate};
use crate::report::markdown::{est, table};

/// The patch's cost (or gain) as after/before, oriented so that > 1 means
/// the patched side is slower / worse.
/// after / before as a cost (above 1: the patch is slower). Both sides run
/// alternately (before, after, before, ...), so equal-length samples are
/// analysed as pairs; unequal ones (a trial that did not finish) unpaired.
/// A benchmark's cost, patched over unpatched (paired when it can be):
/// above 1 = the patch is slower.
pub fn cost(b: &BenchPair) -> Estimate {
    if b.higher_is_better {
        paired_or_not(&b.before, &b.after)
    } else {
        paired_or_not(&b.after, &b.before)
    }
}

fn paired_or_not(a: &[f64], b: &[f64]) -> Estimate {
    if a.len() == b.len() {
        crate::measure::stats::paired_ratio(a, b)
    } else {
        ratio(a, b)
    }
}

/// Pairs a benchmark takes at full size (report grade), unless it says why
/// fewer (`BenchPair::fewer_because`).
pub const REPORT_GRADE_PAIRS: usize = 10;

/// A patch's cost against its limit, by `measure::stats::side`: an interval
/// below 95% (n < 6) decides nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    NotMeasured,
    /// The whole interval is under the limit.
    Under,
    /// The whole interval is at or over it.
    Over,
    /// The interval straddles it, or is below 95%.
    Undecided,
}

/// The rule for one benchmark's cost against `limit` (0.01: 1%).
pub fn cost_verdict(b: &BenchPair, limit: f64) -> Cost {
    if b.before.is_empty() || b.after.is_empty() {
        return Cost::NotMeasured;
    }
    match crate::measure::stats::side(&cost(b), 1.0 + limit) {
        crate::measure::stats::Side::Below => Cost::Under,
        crate::measure::stats::Side::Above => Cost::Over,
        crate::measure::stats::Side::Straddles => Cost::Undecided,
    }
}

/// What a report says about a benchmark's number of pairs: below report
/// grade, or fewer than that and why; nothing at report grade.
pub fn grade_note(b: &BenchPair) -> Option<String> {
    let n = b.before.len().min(b.after.len());
    match &b.fewer_because {
        _ if n >= REPORT_GRADE_PAIRS => None,
        Some(why) => Some(format!("{}: n = {n}, fewer than {REPORT_GRADE_PAIRS} pairs because {why}.", b.name)),
        None => Some(format!("{}: n = {n} pairs, below report grade ({REPORT_GRADE_PAIRS}); a full `harness fork check` measures at report grade.", b.name)),
    }
}

/// Send or not, with the reasons.
pub fn decide(d: &Data) -> (bool, Vec<String>) {
    let mut reasons = Vec::new();
    let (tb, ta) = (&d.tests_before, &d.tests_after);
    if !ta.ran {
        reasons.push("the patched crate's tests did not run (build failure)".into());
    } else if ta.failed() > tb.failed() {
        reasons.push(format!("the patched crate fails {} of its own tests, the unpatched {}", ta.failed(), tb.failed()));
    }
    if d.kind == Kind::Fix {
        if d.measured.repro.iter().all(|r| !r.problem_before) {
            reasons.push("the repro shows no problem before the patch: there is nothing measurable to fix".into());
        } else if d.measured.repro.iter().any(|r| r.problem_after) {
            reasons.push("the repro still shows the problem after the patch".into());
        }
    }
    if d.kind == Kind::Feature && d.measured.repro.iter().any(|r| r.problem_after) {
        reasons.push("the new API does not work in the repro".into());
    }
    for b in &d.measured.bench {
        if let Some(limit) = b.overhead_limit {
            let c = cost(b);
            match cost_verdict(b, limit) {
                Cost::NotMeasured => reasons.push(format!("{}: not measured", b.name)),
                Cost::Over => reasons.push(format!(
                    "{}: the patch costs more than {:.0}% (after/before {}, lower bound at or above {:.3})",
                    b.name,
                    100.0 * limit,
                    est(&c, 4),
                    1.0 + limit
                )),
                // Not shown under the limit: a maintainer would ask; measure
                // finer (more trials, instruction counts) before sending.
                Cost::Undecided => reasons.push(format!(
                    "{}: the cost against {:.0}% is undecided at this resolution (after/before {}): show it under the limit first",
                    b.name,
                    100.0 * limit,
                    est(&c, 4)
                )),
                Cost::Under => {}
            }
        }
    }
    (reasons.is_empty(), reasons)
}

/// A proof line with each path under the checkout's `target/` shown from
/// the checkout (`./target/...`), whichever folder the checkout was in when
/// the evidence was taken: the same data renders the same report anywhere.
fn under_workspace(line: &str) -> String {
    line.split(' ')
        .map(|tok| match tok.find("/target/") {
            Some(i) if tok.starts_with('/') => format!(".{}", &tok[i..]),
            _ => tok.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a cost is shown under its limit, over it, or undecided.
fn overhead_verdict(b: &BenchPair, limit: f64) -> String {
    match cost_verdict(b, limit) {
        Cost::NotMeasured => "not measured".into(),
        Cost::Under => format!("cost under {:.0}%: shown", 100.0 * limit),
        Cost::Over => format!("cost over {:.0}%", 100.0 * limit),
        Cost::Undecided => format!("cost vs {:.0}%: undecided at this resolution", 100.0 * limit),
    }
}

fn bench_rows(d: &Data) -> Vec<Vec<String>> {
    d.measured
        .bench
        .iter()
        .map(|b| {
            let (e1, e2) = (estimate(&b.before), estimate(&b.after));
            vec![
                b.name.clone(),
                format!("{} {}", est(&e1, 3), b.unit),
                format!("{} {}", est(&e2, 3), b.unit),
                est(&paired_or_not(&b.after, &b.before), 4),
                b.overhead_limit.map(|l| overhead_verdict(b, l)).unwrap_or_else(|| "-".into()),
            ]
        })
        .collect()
}

fn pr_description(d: &Data, title: &str, summary: &str) -> String {
    let mut s = format!(
        "> **{title}**\n>\n> {summary}\n>\n> Evidence (measured with the patched crate against the unpatched {} {} side by side):\n",
        d.krate, d.version
    );
    for r in &d.measured.repro {
        s += &format!("> - {}: before: {}; after: {}.\n", r.name, r.before, r.after);
    }
    for b in &d.measured.bench {
        s += &format!(
            "> - {}: after/before {} (median [95% CI], {} and {} samples){}.\n",
            b.name,
            est(&paired_or_not(&b.after, &b.before), 4),
            b.before.len(),
            b.after.len(),
            b.overhead_limit.map(|l| format!("; {}", overhead_verdict(b, l))).unwrap_or_default()
        );
    }
    s += &format!(
        "> - The crate's own tests: {} passed, {} failed before; {} passed, {} failed after (`{}`).\n",
        d.tests_before.passed(),
        d.tests_before.failed(),
        d.tests_after.passed(),
        d.tests_after.failed(),
        d.tests_after.command
    );
    s
}

/// The section for report `report` (a claim name), or `None` when none of
/// its patches has been checked.
pub fn section(report: &str) -> Result<Option<String>, crate::report::RenderError> {
    let mut s = String::new();
    let patches = spec::all_patches().map_err(|e| crate::report::RenderError::Input { what: "patches/".into(), source: Box::new(e) })?;
    for p in patches.iter().filter(|p| p.report.as_deref() == Some(report)) {
        let Some(path) = store::pinned(&evidence_name(&p.krate, &p.name)) else { continue };
        let ev: Evidence<Data> = store::read(&path)?;
        let d = &ev.data;
        let rel = crate::report::markdown::data_path(&path);
        if s.is_empty() {
            s += "## Patched forks, before and after\n\n`harness fork check CRATE --patch NAME`: the registry's exact source copied twice, the patch applied to one copy, both built through `[patch.crates-io]` in generated projects (proven from the lock file and `cargo metadata` to be the copies that were compiled), the crate's own tests and the claim's repro and benchmarks run on both, in alternation. Rule: do not send when the patched crate fails more of its own tests, when a fix's repro shows no problem before or still shows it after, or when a benchmark that measures the patch's cost does not show it under the limit: a 95% interval wholly at or above it is a cost over the limit, and one that straddles it, or an interval below 95% (fewer than 6 pairs), is undecided at this resolution.\n\n";
        }
        s += &format!("### `patches/{}/{}.patch` ({} {}, {:?})\n\n{}\n\n", d.krate, d.patch, d.krate, d.version, d.kind, p.summary);
        let tb = &d.tests_before;
        let ta = &d.tests_after;
        s += &table(
            &["the crate's own tests", "passed", "failed", "ignored", "skipped", "wall s"],
            &[
                vec![
                    "unpatched".into(),
                    tb.passed().to_string(),
                    tb.failed().to_string(),
                    tb.ignored().to_string(),
                    tb.skipped_count().to_string(),
                    format!("{:.0}", tb.wall_s),
                ],
                vec![
                    "patched".into(),
                    ta.passed().to_string(),
                    ta.failed().to_string(),
                    ta.ignored().to_string(),
                    ta.skipped_count().to_string(),
                    format!("{:.0}", ta.wall_s),
                ],
            ],
        );
        s += &format!("\nCommand: `{}` (with `RUSTC_BOOTSTRAP=1` on both sides). Skipped, and why:\n\n", ta.command);
        for (what, n, why) in &ta.skipped {
            s += &format!("- {what}{}: {why}\n", if *n > 0 { format!(" ({n})") } else { " (counted by libtest as filtered out)".into() });
        }
        for (label, t) in [("unpatched", tb), ("patched", ta)] {
            if let Some(e) = &t.error {
                s += &format!("\nThe {label} suite did not run:\n\n```\n{e}\n```\n");
            }
            if !t.failures.is_empty() {
                s += &format!("\nFailed on the {label} side: {}\n", t.failures.join(", "));
            }
        }
        if let Some(c) = &d.comments_only {
            s += &format!(
                "\nDocumentation patch, only comments changed: {}.\n",
                match c {
                    Ok(()) => "checked".to_string(),
                    Err(e) => format!("NO ({e})"),
                }
            );
        }
        s += "\nProof that the copies were compiled:\n\n";
        for line in &d.measured.proof {
            s += &format!("- {}\n", under_workspace(line));
        }
        if !d.measured.repro.is_empty() {
            s += "\n";
            s += &table(
                &["repro", "unpatched", "patched"],
                &d.measured.repro.iter().map(|r| vec![r.name.clone(), r.before.clone(), r.after.clone()]).collect::<Vec<_>>(),
            );
        }
        if !d.measured.bench.is_empty() {
            s += "\nMedians [95% CI], in alternation:\n\n";
            s += &table(&["benchmark", "unpatched", "patched", "patched / unpatched", "limit"], &bench_rows(d));
            let notes: Vec<String> = d.measured.bench.iter().filter_map(grade_note).collect();
            if !notes.is_empty() {
                s += &format!("\nRepeats: {}\n", notes.join(" "));
            }
        }
        for n in &d.measured.notes {
            s += &format!("\n{n}\n");
        }
        let (send, reasons) = decide(d);
        if send {
            s += "\n**Ready to send.** Pull-request description:\n\n";
            s += &pr_description(d, &p.title, &p.summary);
            if d.krate == "ort" {
                s += ">\n> Open points, from the maintainers' earlier objections (see `patches/ort/README.md`): whether concurrent CPU runs are acceptable to them at all, and whether a checked API that errors on non-CPU sessions is preferable to an `unsafe fn` alone. Refer to PR #557 and issues #402/#415.\n>\n> Weigh before sending against a session per thread, which needs no patch: its throughput is in the sharing table above and its memory in the memory table.\n";
            }
            if d.patch == "thread-budget-guard" {
                s += ">\n> This changes behaviour (it lowers `n_threads`); open an issue with these numbers first and let the maintainer choose between the guard, a warning only, or the documentation patch.\n";
            }
        } else {
            s += "\n**Do not send**:\n\n";
            for r in reasons {
                s += &format!("- {r}\n");
            }
        }
        if let Some(b) = &p.bundle {
            s += &format!("\n{}\n", bundle_line(b));
        }
        s += &format!("\nData: `{rel}`.\n\n");
    }
    Ok((!s.is_empty()).then_some(s))
}

/// The line a report gives a patch's bundle, where a maintainer can run it.
pub fn bundle_line(bundle: &str) -> String {
    format!(
        "Bundle: [`bundles/{bundle}/`](../bundles/{bundle}/README.md): a standalone repro crate, the patch, the expected output before and after, and `./run.sh` to check both."
    )
}

/// A checked patch's text for upstream, from its pinned fork evidence.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// What the rule decided (`decide`).
    pub send: bool,
    /// Why not, when not.
    pub reasons: Vec<String>,
    /// The pull-request description, as a quoted block.
    pub description: String,
    /// The evidence file, relative to the workspace.
    pub data: String,
}

/// The upstream text of patch `p` from its pinned fork-check evidence, or
/// `None` when it has not been checked and pinned.
pub fn upstream(p: &PatchSpec) -> Result<Option<Upstream>, crate::report::RenderError> {
    let Some(path) = store::pinned(&evidence_name(&p.krate, &p.name)) else { return Ok(None) };
    let ev: Evidence<Data> = store::read(&path)?;
    let (send, reasons) = decide(&ev.data);
    Ok(Some(Upstream { send, reasons, description: pr_description(&ev.data, &p.title, &p.summary), data: crate::report::markdown::data_path(&path) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forks::check::{Measured, Repro};
    use crate::forks::crate_tests::{BinaryCounts, SuiteResult};

    fn data(kind: Kind, repro: (bool, bool), failed_after: u64, cost: &[f64]) -> Data {
        let suite = |failed| SuiteResult {
            ran: true,
            binaries: vec![BinaryCounts { binary: "lib".into(), passed: 9, failed, ignored: 0, filtered: 0 }],
            ..Default::default()
        };
        Data {
            krate: "k".into(),
            version: "1".into(),
            patch: "p".into(),
            kind,
            patch_sha256: String::new(),
            registry_source: String::new(),
            comments_only: None,
            tests_before: suite(0),
            tests_after: suite(failed_after),
            measured: Measured {
                proof: vec![],
                repro: vec![Repro { name: "r".into(), before: String::new(), after: String::new(), problem_before: repro.0, problem_after: repro.1 }],
                bench: vec![BenchPair {
                    name: "b".into(),
                    unit: "s".into(),
                    higher_is_better: false,
                    before: vec![1.0; 8],
                    after: cost.to_vec(),
                    overhead_limit: Some(0.01),
                    fewer_because: None,
                }],
                notes: vec![],
            },
        }
    }

    #[test]
    fn proof_paths_render_the_same_from_any_checkout() {
        assert_eq!(under_workspace("/work/main/target/x/Cargo.lock: ok"), "./target/x/Cargo.lock: ok");
        assert_eq!(
            under_workspace("cargo metadata: ort manifest /tmp/ci/target/forks/a/Cargo.toml"),
            "cargo metadata: ort manifest ./target/forks/a/Cargo.toml"
        );
    }

    #[test]
    fn sends_only_a_fix_that_fixes_passes_and_costs_under_its_limit() {
        assert!(decide(&data(Kind::Fix, (true, false), 0, &[1.0; 8])).0);
        assert!(!decide(&data(Kind::Fix, (false, false), 0, &[1.0; 8])).0, "nothing to fix");
        assert!(!decide(&data(Kind::Fix, (true, true), 0, &[1.0; 8])).0, "not fixed");
        assert!(!decide(&data(Kind::Fix, (true, false), 1, &[1.0; 8])).0, "a test fails");
        assert!(!decide(&data(Kind::Fix, (true, false), 0, &[1.05; 8])).0, "costs 5%");
        assert!(
            !decide(&data(Kind::Fix, (true, false), 0, &[0.97, 1.03, 0.98, 1.02, 0.99, 1.01, 1.0, 1.0])).0,
            "an undecided cost is not a cost shown under the limit"
        );
        assert!(decide(&data(Kind::Fix, (true, false), 0, &[1.001; 8])).0, "a cost shown under the limit");
        assert!(decide(&data(Kind::Docs, (false, false), 0, &[1.0; 8])).0);
    }

    #[test]
    fn each_cost_outcome_and_a_small_sample_decides_nothing() {
        let bench = |before: usize, after: &[f64]| data(Kind::Fix, (true, false), 0, after).measured.bench[0].clone().with_before(before);
        assert_eq!(cost_verdict(&bench(8, &[1.001; 8]), 0.01), Cost::Under);
        assert_eq!(cost_verdict(&bench(8, &[1.05; 8]), 0.01), Cost::Over);
        assert_eq!(cost_verdict(&bench(8, &[0.97, 1.03, 0.98, 1.02, 0.99, 1.01, 1.0, 1.0]), 0.01), Cost::Undecided);
        assert_eq!(cost_verdict(&bench(0, &[]), 0.01), Cost::NotMeasured);
        // Five pairs all at 1.001: no 95% interval exists at n = 5.
        assert_eq!(cost_verdict(&bench(5, &[1.001; 5]), 0.01), Cost::Undecided);
    }

    #[test]
    fn a_benchmark_below_report_grade_says_so_and_one_with_a_reason_gives_it() {
        let mut b = data(Kind::Fix, (true, false), 0, &[1.0; 6]).measured.bench[0].clone().with_before(6);
        assert!(grade_note(&b).unwrap().contains("n = 6 pairs, below report grade (10)"));
        b.fewer_because = Some("counts are exact".into());
        assert!(grade_note(&b).unwrap().contains("fewer than 10 pairs because counts are exact"));
        let mut full = data(Kind::Fix, (true, false), 0, &[1.0; 10]).measured.bench[0].clone().with_before(10);
        assert_eq!(grade_note(&full), None);
        full.fewer_because = Some("a reason no longer needed".into());
        assert_eq!(grade_note(&full), None, "at report grade a reason for fewer is not printed");
    }

    impl BenchPair {
        fn with_before(mut self, n: usize) -> Self {
            self.before = vec![1.0; n];
            self
        }
    }
}
