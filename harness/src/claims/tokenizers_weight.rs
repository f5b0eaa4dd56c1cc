//! Claim 8: "tokenizers is heavy (onig, esaxx, progress bars); a
//! tokenizers-lite crate is needed for WordPiece".
//!
//! Evidence: `harness experiment tokenizers-weight`. Rules (stated in the
//! report): "heavy" is confirmed when the default build costs at least 1.5x
//! a WordPiece-only crate's clean compile time or stripped size; "the C
//! dependencies are the weight" when it costs 1.5x the `fancy-regex` build;
//! "a new crate is needed" is refuted when an existing light crate gives
//! identical ids on every corpus sentence.

use std::path::Path;

use super::registry::{Claim, Info, Method, Part, Sources};
use super::verdict::{Outcome, Verdict};
use crate::evidence::store::{self, Evidence};
use crate::experiments::tokenizer_weight::{Data, EXPERIMENT};
use crate::measure::stats::{estimate, median, ratio};
use crate::report::chart::{bars, Bar};
use crate::report::markdown::{environment, est, table};
use crate::report::Page;

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
}

/// What the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub full: Cost,
    pub lean: Cost,
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
    let heavy = Verdict::new("heavy", yes_no(heavier(&f.full, &f.light)), vs(&f.full, &f.light, "tokenizers default vs bert_tokenizer"));
    let c_deps = Verdict::new(
        "c-deps",
        yes_no(heavier(&f.full, &f.lean)),
        format!(
            "{}; {}",
            vs(&f.full, &f.lean, "default vs `fancy-regex`, no Oniguruma or esaxx"),
            if f.lean_compiles_c { "the lean build still compiles C/C++" } else { "the lean build compiles no C/C++ at all" }
        ),
    );
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

/// The figures of an evidence file.
pub fn figures(d: &Data, rel: &str) -> Result<Figures, crate::report::RenderError> {
    let build = |n: &str| d.builds.iter().find(|b| b.build == n).ok_or_else(|| crate::report::RenderError::missing(rel, format!("no `{n}` build")));
    let cost = |n: &str| build(n).map(|b| Cost { compile_s: median(&b.compile_s), builds: b.compile_s.len(), stripped_bytes: b.stripped_bytes });
    Ok(Figures {
        full: cost("tokenizers-default")?,
        lean: cost("tokenizers-fancy-regex")?,
        light: cost("bert_tokenizer")?,
        lean_compiles_c: !build("tokenizers-fancy-regex")?.native_packages.is_empty(),
        light_version: build("bert_tokenizer")?.main_crate_version.clone(),
        light_matching: d.variants.iter().filter(|v| v.build == "bert_tokenizer" && v.mismatches.is_empty()).map(|v| v.variant.clone()).collect(),
        sentences: d.corpus_sentences,
    })
}

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
}

/// Renders the report.
pub fn render(path: &Path) -> Result<Page, crate::report::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    let d = &ev.data;
    let rel = crate::report::markdown::data_path(path);
    let build = |n: &str| d.builds.iter().find(|b| b.build == n).ok_or_else(|| crate::report::RenderError::missing(&rel, format!("no `{n}` build")));
    let (full, light) = (build("tokenizers-default")?, build("bert_tokenizer")?);
    let mut s = String::from("# tokenizers: is it too heavy for WordPiece? (claim 8)\n\n## The claim\n\n");
    s += &super::registry::seed_section(&INFO);
    s += "## What upstream says\n\n- Default features: `progressbar`, `onig`, `esaxx_fast`. `default-features = false` alone does not compile; \
          `default-features = false, features = [\"fancy-regex\"]` builds without Oniguruma (since 0.21.2). Compile-time complaint: huggingface/tokenizers#1730 \
          (most of the time in `onig_sys`).\n- Light WordPiece crates already exist on crates.io: `bert_tokenizer`, `wordpieces` (word splitting only), \
          `rust_tokenizers`, `kitoken`. This report uses `bert_tokenizer` 0.1.3 (no C, six dependencies, full BERT basic tokenizer + WordPiece).\n\n";
    s += &format!(
        "## Method\n\n`harness experiment tokenizers-weight`: one minimal program (`repro/tokenizer-weight/main.rs`: load the all-MiniLM-L6-v2 tokenizer, \
         encode every sentence, write the ids, then time passes over the corpus) built three ways, each in its own folder with a generated manifest: \
         `tokenizers` {} with default features, the same with `default-features = false, features = [\"fancy-regex\"]`, and `bert_tokenizer` {} \
         through the harness's `stages/wordpiece.rs`. Clean compile: dependencies fetched first (not timed), target folder emptied, `cargo build --release` \
         on {} cores, wall time. Size: the release binary and the same after `strip`.\n\n\
         Corpus: {} sentences ({} tokens) from {}, sha256 `{}`. `tokenizers` runs without the padding and truncation the model's file sets, so whole \
         sentences are compared. `bert_tokenizer` runs two ways: as its documentation shows (`FullTokenizer`, lowercase, strip accents), and with the four fixes \
         in `stages/wordpiece.rs` (100-character word limit, dropping all Unicode \"Other\" characters, per-character lowercasing, verbatim special tokens). \
         Ids are compared with the default build's, sentence by sentence. Throughput: the programs run in alternation, {} passes each. Builds: {}\n\n## Results\n\n",
        full.main_crate_version,
        light.main_crate_version,
        ev.environment.logical_cores,
        d.corpus_sentences,
        d.corpus_tokens,
        d.corpus_source,
        d.corpus_sha256,
        d.variants.first().map_or(0, |v| v.ns_per_pass.len()),
        crate::experiments::grade_note(EXPERIMENT, ev.parameters["compile_repeats"].as_u64().unwrap_or(0) as usize),
    );
    let rows: Vec<Vec<String>> = d
        .builds
        .iter()
        .map(|b| {
            vec![
                b.build.clone(),
                b.compile_s.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(", "),
                b.packages.to_string(),
                format!("{:.2}", b.binary_bytes as f64 / 1048576.0),
                format!("{:.2}", b.stripped_bytes as f64 / 1048576.0),
                if b.native_packages.is_empty() { "none".into() } else { b.native_packages.join(", ") },
            ]
        })
        .collect();
    s += &table(&["build", "clean compile s (each run)", "packages in lock", "binary MiB", "stripped MiB", "C/C++ build deps"], &rows);
    let chart_compile = bars(
        "tokenizers-weight-compile.svg",
        "Clean release build of a minimal tokenizing program",
        "seconds (median of clean builds)",
        &d.builds.iter().map(|b| Bar::exact(b.build.clone(), median(&b.compile_s))).collect::<Vec<_>>(),
        None,
    )?;
    s += &format!("\n{}", chart_compile.markdown("clean compile time per build"));

    s += "\nIds against `tokenizers` (default features), and encode throughput (sentences per second, median [95% CI] over passes):\n\n";
    let reference = d.variants.first().map(|v| v.ns_per_pass.clone()).unwrap_or_default();
    let sps = |ns: &[f64]| ns.iter().map(|x| d.corpus_sentences as f64 / (x / 1e9)).collect::<Vec<_>>();
    let mut vrows = Vec::new();
    let mut tbars = Vec::new();
    for v in &d.variants {
        vrows.push(vec![
            v.variant.clone(),
            format!("{} of {}", v.mismatches.len(), d.corpus_sentences),
            est(&estimate(&sps(&v.ns_per_pass)), 0),
            est(&ratio(&reference, &v.ns_per_pass), 2),
        ]);
        tbars.push(Bar::from_estimate(v.variant.clone(), &estimate(&sps(&v.ns_per_pass)), 1.0));
    }
    s += &table(&["tokenizer", "sentences with different ids", "sentences/s", "speed vs default tokenizers"], &vrows);
    let chart_speed =
        bars("tokenizers-weight-throughput.svg", "Encoding the corpus, one sentence at a time", "sentences per second (median, 95% CI)", &tbars, None)?;
    s += &format!("\n{}", chart_speed.markdown("encode throughput per tokenizer"));
    for v in d.variants.iter().filter(|v| !v.mismatches.is_empty()) {
        s += &format!("\nEvery mismatch of {} ({}):\n\n", v.variant, v.mismatches.len());
        let rows: Vec<Vec<String>> = v
            .mismatches
            .iter()
            .map(|m| vec![m.line.to_string(), m.sentence.replace('|', "\\|"), format!("`{}`", m.reference), format!("`{}`", m.ids)])
            .collect();
        s += &table(&["line", "sentence", "tokenizers ids", "ids"], &rows);
    }

    let verdicts = rules(&figures(d, &rel)?);
    s += &format!(
        "\n## Verdict\n\nRules (code: `claims::tokenizers_weight::rules`): \"heavy\" is confirmed when the default build costs at least {HEAVY_FACTOR}x \
         a WordPiece-only crate's clean compile time or stripped size, refuted otherwise; \"the C dependencies are the weight\" (huggingface/tokenizers#1730) \
         likewise against the fancy-regex build; \"a new crate is needed\" is refuted when an existing light crate gives identical ids on every corpus \
         sentence. Compile times are medians of few clean builds, without an interval.\n\n"
    );
    s += &super::verdict_table(PARTS, &verdicts);
    let as_is_ok = d.variants.iter().any(|v| v.variant == "bert_tokenizer as documented" && v.mismatches.is_empty());
    s += &format!(
        "\n{} The wrapper's fixes are for inputs the licence texts do not contain (zero-width characters and soft hyphens, a word-final Greek sigma, \
         literal `[MASK]`, words over 100 characters), where the crate as documented differs: the test \
         `claim8_light_wordpiece_crate_gives_the_ids_tokenizers_gives_on_1000_real_sentences` checks both on those.\n",
        if as_is_ok {
            "On the corpus, `bert_tokenizer` used as documented matched too."
        } else {
            "On the corpus, `bert_tokenizer` used as documented did not match everywhere (mismatches listed above)."
        }
    );
    s += "\n## What to file\n\n";
    s += if verdicts[2].outcome == Outcome::Refuted {
        "**Do not file** a new crate or a split request: a light WordPiece crate exists and gives the same ids (a WordPiece-only pipeline can use \
         `bert_tokenizer` with the fixes in `stages/wordpiece.rs`, tested against `tokenizers` as this harness does)."
    } else {
        "No existing light crate matched `tokenizers` here: a light WordPiece crate may be worth proposing, with this corpus as its test."
    };
    s += if verdicts[1].outcome == Outcome::Confirmed {
        " The lean feature set (`default-features = false, features = [\"fancy-regex\"]`) saves much of the build here: worth documenting.\n\n"
    } else {
        " The lean feature set (`default-features = false, features = [\"fancy-regex\"]`) helps builds without a C/C++ toolchain, but saves little here.\n\n"
    };
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, vec![chart_compile, chart_speed]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(compile_s: f64, mib: u64) -> Cost {
        Cost { compile_s, builds: 3, stripped_bytes: mib << 20 }
    }

    fn fig() -> Figures {
        Figures {
            full: cost(56.0, 4),
            lean: cost(51.0, 4),
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
        let halved = Figures { lean: cost(28.0, 4), ..fig() };
        assert_eq!(rules(&halved)[1].outcome, Outcome::Confirmed, "2x faster without onig confirms the C weight");
        let light_as_heavy = Figures { light: cost(50.0, 4), ..fig() };
        assert_eq!(rules(&light_as_heavy)[0].outcome, Outcome::Refuted);
        let no_match = Figures { light_matching: vec![], ..fig() };
        assert_eq!(rules(&no_match)[2].outcome, Outcome::Confirmed);
    }
}
