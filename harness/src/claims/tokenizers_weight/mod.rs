//! Claim 8: "tokenizers is heavy (onig, esaxx, progress bars); a
//! tokenizers-lite crate is needed for WordPiece".
//!
//! Evidence: `harness experiment tokenizers-weight`. Rules (stated in the
//! report): "heavy" is confirmed when the default build costs at least 1.5x
//! a WordPiece-only crate's clean compile time or stripped size; "the C
//! dependencies are the weight" when it costs 1.5x the `fancy-regex` build;
//! "a new crate is needed" is refuted when an existing light crate gives
//! identical ids on every corpus sentence. "heavy" and "the C dependencies"
//! are judged on each tokenizers version built (the ledger); `report.rs`
//! renders the report, `seed.rs` judges each figure the seed gives.

mod report;
pub mod seed;

use super::registry::{Claim, Info, Method, Part, Sources, Versions};
use super::verdict::{Outcome, Verdict};
use crate::evidence::store::{self, Evidence};
use crate::experiments::tokenizer_weight::{BuildResult, Data, Kind, EXPERIMENT, REFERENCE_VERSION};
use crate::measure::stats::median;
use crate::report::Page;

pub use report::render;

/// Claim id.
pub const CLAIM: &str = EXPERIMENT;
/// Report file.
pub const FILE: &str = "tokenizers-weight.md";

/// A build costing this many times another's compile time or size is
/// "heavier".
pub const HEAVY_FACTOR: f64 = 1.5;

/// The parts of claim 8.
pub const PARTS: &[Part] = &[
    Part { id: "heavy", question: "\"tokenizers is heavy\" (against a WordPiece-only crate)" },
    Part { id: "c-deps", question: "the weight is Oniguruma / esaxx (C, C++)" },
    Part { id: "lite-needed", question: "\"a tokenizers-lite crate is needed\"" },
];

/// One build's cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    /// Median clean release compile time, s, and the number of builds.
    pub compile_s: f64,
    pub builds: usize,
    pub stripped_bytes: u64,
    pub binary_bytes: u64,
    /// Packages compiled for the host (the program included), when the
    /// evidence has it; older evidence only has the lock file's count.
    pub compiled_packages: Option<usize>,
    /// Whether its build compiled C or C++.
    pub compiles_c: bool,
}

impl Cost {
    fn of(b: &BuildResult) -> Cost {
        Cost {
            compile_s: median(&b.compile_s),
            builds: b.compile_s.len(),
            stripped_bytes: b.stripped_bytes,
            binary_bytes: b.binary_bytes,
            compiled_packages: b.compiled_packages,
            compiles_c: !b.native_packages.is_empty(),
        }
    }
}

/// What the rules look at, for one tokenizers version.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub version: String,
    pub full: Cost,
    /// The lean build's cost, or why it does not build on this version.
    pub lean: Result<Cost, String>,
    /// What the lean build leaves out, in words.
    pub lean_label: String,
    pub light: Cost,
    pub lean_compiles_c: bool,
    /// `bert_tokenizer` version and its variants that gave identical ids on every sentence.
    pub light_version: String,
    pub light_matching: Vec<String>,
    pub sentences: usize,
}

fn heavier(a: &Cost, b: &Cost) -> bool {
    a.compile_s >= HEAVY_FACTOR * b.compile_s || a.stripped_bytes as f64 >= HEAVY_FACTOR * b.stripped_bytes as f64
}

/// The rules of claim 8, pure.
pub fn rules(f: &Figures) -> Vec<Verdict> {
    let mib = |b: u64| b as f64 / 1048576.0;
    let vs = |a: &Cost, b: &Cost, what: &str| {
        format!(
            "clean compile {:.0} s vs {:.0} s ({what}), {:.2}x (medians of {} and {} builds); stripped {:.2} vs {:.2} MiB, {:.2}x",
            a.compile_s,
            b.compile_s,
            a.compile_s / b.compile_s,
            a.builds,
            b.builds,
            mib(a.stripped_bytes),
            mib(b.stripped_bytes),
            a.stripped_bytes as f64 / b.stripped_bytes as f64
        )
    };
    let yes_no = |c: bool| if c { Outcome::Confirmed } else { Outcome::Refuted };
    let v = &f.version;
    let heavy = Verdict::new("heavy", yes_no(heavier(&f.full, &f.light)), vs(&f.full, &f.light, &format!("tokenizers {v} default vs bert_tokenizer")));
    let c_deps = match &f.lean {
        Ok(_) if !f.full.compiles_c => {
            Verdict::new("c-deps", Outcome::NotMeasured, format!("tokenizers {v}'s default build compiles no C/C++: there is no C weight to compare"))
        }
        Ok(lean) => Verdict::new(
            "c-deps",
            yes_no(heavier(&f.full, lean)),
            format!(
                "{}; {}",
                vs(&f.full, lean, &format!("tokenizers {v} default vs {}", f.lean_label)),
                if f.lean_compiles_c { "the lean build still compiles C/C++" } else { "the lean build compiles no C/C++ at all" }
            ),
        ),
        Err(why) => Verdict::new(
            "c-deps",
            Outcome::NotMeasured,
            format!("tokenizers {v} cannot be built without its C dependencies ({}): {}", f.lean_label, why.lines().next().unwrap_or("")),
        ),
    };
    let lite = if f.light_matching.is_empty() {
        Verdict::new("lite-needed", Outcome::Confirmed, "no existing light crate gave identical ids on every sentence")
    } else {
        Verdict::new(
            "lite-needed",
            Outcome::Refuted,
            format!(
                "an existing crate, `bert_tokenizer` {}, gives identical ids on all {} sentences ({})",
                f.light_version,
                f.sentences,
                f.light_matching.join("; ")
            ),
        )
    };
    vec![heavy, c_deps, lite]
}

/// The tokenizers versions built in `d`, oldest first.
pub fn versions(d: &Data) -> Vec<String> {
    let mut v: Vec<String> = d.builds.iter().filter(|b| b.kind() != Kind::Light).map(|b| b.main_crate_version.clone()).collect();
    super::ledger::sort_versions(&mut v);
    v.dedup();
    v
}

/// The version the verdict table judges: the workspace's, else the newest built.
pub fn main_version(d: &Data) -> String {
    let v = versions(d);
    if v.iter().any(|x| x == REFERENCE_VERSION) {
        REFERENCE_VERSION.to_string()
    } else {
        v.last().cloned().unwrap_or_default()
    }
}

fn build<'a>(d: &'a Data, rel: &str, kind: Kind, version: Option<&str>) -> Result<&'a BuildResult, crate::report::RenderError> {
    d.builds
        .iter()
        .find(|b| b.kind() == kind && version.is_none_or(|v| b.main_crate_version == v))
        .ok_or_else(|| crate::report::RenderError::missing(rel, format!("no {kind:?} build{}", version.map_or(String::new(), |v| format!(" of {v}")))))
}

/// The figures of one tokenizers `version` in an evidence file.
pub fn figures_for(d: &Data, rel: &str, version: &str) -> Result<Figures, crate::report::RenderError> {
    let full = build(d, rel, Kind::Default, Some(version))?;
    let lean = build(d, rel, Kind::Lean, Some(version))?;
    let light = build(d, rel, Kind::Light, None)?;
    if let Some(e) = full.error_line() {
        return Err(crate::report::RenderError::missing(rel, format!("tokenizers {version} with default features did not build: {e}")));
    }
    // Every part compares with the light crate: without it nothing is judged.
    if let Some(e) = light.error_line() {
        return Err(crate::report::RenderError::missing(rel, format!("the light crate ({}) did not build: {e}", light.build)));
    }
    Ok(Figures {
        version: version.to_string(),
        full: Cost::of(full),
        lean: match lean.error_line() {
            None => Ok(Cost::of(lean)),
            Some(e) => Err(e.to_string()),
        },
        lean_label: crate::experiments::tokenizer_weight::lean_label(version).to_string(),
        light: Cost::of(light),
        lean_compiles_c: !lean.native_packages.is_empty(),
        light_version: light.main_crate_version.clone(),
        light_matching: d.variants.iter().filter(|v| v.build == light.build && v.mismatches.is_empty()).map(|v| v.variant.clone()).collect(),
        sentences: d.corpus_sentences,
    })
}

/// The figures the verdict table judges.
pub fn figures(d: &Data, rel: &str) -> Result<Figures, crate::report::RenderError> {
    figures_for(d, rel, &main_version(d))
}

/// The ledger: "heavy" and "the C dependencies" on every version whose
/// default build compiled.
pub fn ledger(d: &Data, rel: &str) -> Vec<super::ledger::Entry> {
    versions(d)
        .iter()
        .flat_map(|v| match figures_for(d, rel, v) {
            Ok(f) => rules(&f).into_iter().filter(|x| x.part != "lite-needed").map(|x| super::ledger::Entry::new("tokenizers", v, x)).collect::<Vec<_>>(),
            // A version that does not build is in the ledger, with cargo's reason.
            Err(e) => {
                ["heavy", "c-deps"].iter().map(|p| super::ledger::Entry::new("tokenizers", v, Verdict::new(p, Outcome::NotMeasured, e.to_string()))).collect()
            }
        })
        .collect()
}

/// The versions of the ledger: any tokenizers version builds.
pub const VERSIONS: Versions = Versions { seed: "0.20", built_in: &[] };

/// What the claim is, for the registry.
pub const INFO: Info = Info {
    id: CLAIM,
    title: "tokenizers is heavy; a tokenizers-lite crate is needed for WordPiece",
    seed: Some(8),
    upstream: "tokenizers",
    method: Method::Experiment(EXPERIMENT),
    evidence: &[EXPERIMENT],
    parts: PARTS,
    seed_quote: &[
        "**Package**: tokenizers v0.20 (HuggingFace)",
        "- 5MB compiled size",
        "- 50+ dependencies",
        "- 90 second compile time",
        "- Most users only need WordPiece (BERT-family models)",
        "/// Minimal WordPiece tokenizer (30KB, zero deps)",
        "- 150x smaller (30KB vs 5MB)",
        "- 180x faster compile (0.5s vs 90s)",
    ],
};

/// Claim 8 in the registry.
pub struct TokenizersClaim;

impl Claim for TokenizersClaim {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn measure(&self, quick: bool, progress: &dyn Fn(&str)) -> Result<Vec<(String, std::path::PathBuf)>, crate::claims::ClaimError> {
        let path = crate::experiments::run_named(EXPERIMENT, quick, progress)?;
        Ok(vec![(EXPERIMENT.to_string(), path)])
    }
    fn judge(&self, sources: &Sources) -> Result<Vec<Verdict>, crate::claims::ClaimError> {
        let path = sources.get(EXPERIMENT)?;
        let ev: Evidence<Data> = store::read(path)?;
        Ok(rules(&figures(&ev.data, &crate::report::markdown::data_path(path))?))
    }
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError> {
        Ok(vec![(FILE.to_string(), render(sources.get(EXPERIMENT)?)?)])
    }
    fn versions(&self) -> Option<&'static Versions> {
        Some(&VERSIONS)
    }
    fn ledger(&self, sources: &Sources) -> Result<Vec<super::ledger::Entry>, crate::claims::ClaimError> {
        let path = sources.get(EXPERIMENT)?;
        let ev: Evidence<Data> = store::read(path)?;
        Ok(ledger(&ev.data, &crate::report::markdown::data_path(path)))
    }
    fn measure_versions(
        &self,
        versions: &[String],
        quick: bool,
        progress: &dyn Fn(&str),
    ) -> Result<Vec<(String, std::path::PathBuf)>, crate::claims::ClaimError> {
        let repeats = crate::experiments::ALL.iter().find(|e| e.name == EXPERIMENT).map_or(3, |e| e.report_grade);
        let path = crate::experiments::tokenizer_weight::run_versions(versions, repeats, quick, progress)?;
        Ok(vec![(EXPERIMENT.to_string(), path)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(compile_s: f64, mib: u64) -> Cost {
        Cost { compile_s, builds: 3, stripped_bytes: mib << 20, binary_bytes: mib << 20, compiled_packages: Some(10), compiles_c: true }
    }

    fn fig() -> Figures {
        Figures {
            version: "0.23.2".into(),
            full: cost(56.0, 4),
            lean: Ok(cost(51.0, 4)),
            lean_label: "fancy-regex, no onig".into(),
            light: cost(2.0, 1),
            lean_compiles_c: false,
            light_version: "0.1.3".into(),
            light_matching: vec!["bert_tokenizer with fixes".into()],
            sentences: 1008,
        }
    }

    #[test]
    fn each_part_reaches_both_outcomes() {
        let v = rules(&fig());
        assert_eq!((v[0].outcome, v[1].outcome, v[2].outcome), (Outcome::Confirmed, Outcome::Refuted, Outcome::Refuted));
        let halved = Figures { lean: Ok(cost(28.0, 4)), ..fig() };
        assert_eq!(rules(&halved)[1].outcome, Outcome::Confirmed, "2x faster without onig confirms the C weight");
        let light_as_heavy = Figures { light: cost(50.0, 4), ..fig() };
        assert_eq!(rules(&light_as_heavy)[0].outcome, Outcome::Refuted);
        let no_match = Figures { light_matching: vec![], ..fig() };
        assert_eq!(rules(&no_match)[2].outcome, Outcome::Confirmed);
        let no_lean = Figures { lean: Err("error[E0432]: unresolved import `onig`".into()), ..fig() };
        let v = rules(&no_lean);
        assert_eq!(v[1].outcome, Outcome::NotMeasured, "a lean build that does not compile decides nothing about the C weight");
        assert!(v[1].figures.contains("unresolved import `onig`"), "cargo's reason is kept: {}", v[1].figures);
        let no_c = Figures { full: Cost { compiles_c: false, ..cost(36.0, 2) }, ..fig() };
        assert_eq!(rules(&no_c)[1].outcome, Outcome::NotMeasured, "no C in the default build: nothing to test");
    }
}
