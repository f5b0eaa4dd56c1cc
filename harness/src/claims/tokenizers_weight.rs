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

/// Renders the report.
pub fn render(path: &Path) -> Result<Page, String> {
    let ev: Evidence<Data> = store::read(path)?;
    let d = &ev.data;
    let rel = crate::report::markdown::data_path(path);
    let build = |n: &str| d.builds.iter().find(|b| b.build == n).ok_or_else(|| format!("{rel}: no `{n}` build"));
    let (full, lean, light) = (build("tokenizers-default")?, build("tokenizers-fancy-regex")?, build("bert_tokenizer")?);
    let mut s = String::from("# tokenizers: is it too heavy for WordPiece? (claim 8)\n\n## The claim\n\n");
    s += "> tokenizers - Lighter Weight Alternative ... tokenizers crate is heavy (many dependencies) ... Proposed: `tokenizers-lite` with only WordPiece. \
          Impact: faster compile, smaller binary.\n>\n> (seed, claim 8, tokenizers v0.20)\n\n";
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
         Ids are compared with the default build's, sentence by sentence. Throughput: the programs run in alternation, {} passes each.\n\n## Results\n\n",
        full.main_crate_version,
        light.main_crate_version,
        ev.environment.logical_cores,
        d.corpus_sentences,
        d.corpus_tokens,
        d.corpus_source,
        d.corpus_sha256,
        d.variants.first().map_or(0, |v| v.ns_per_pass.len()),
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

    s += "\n## Verdict\n\nRules: \"heavy\" is confirmed when the default build costs at least 1.5x a WordPiece-only crate's clean compile time or stripped size; \
          \"the C dependencies are the weight\" (huggingface/tokenizers#1730) when the default build costs at least 1.5x the fancy-regex build; \
          \"a new crate is needed\" is refuted when an existing light crate gives identical ids on every corpus sentence.\n\n";
    let (cf, cl, cx) = (median(&full.compile_s), median(&lean.compile_s), median(&light.compile_s));
    let mib = |b: u64| b as f64 / 1048576.0;
    let heavy = cf >= 1.5 * cx || full.stripped_bytes as f64 >= 1.5 * light.stripped_bytes as f64;
    let c_weight = cf >= 1.5 * cl || full.stripped_bytes as f64 >= 1.5 * lean.stripped_bytes as f64;
    let matching: Vec<&str> = d.variants.iter().filter(|v| v.build == "bert_tokenizer" && v.mismatches.is_empty()).map(|v| v.variant.as_str()).collect();
    let weight = format!(
        "{}: clean compile {cf:.0} s (tokenizers, default) vs {cx:.0} s (bert_tokenizer), {:.0}x; stripped {:.2} vs {:.2} MiB, {:.1}x.",
        if heavy { "**Confirmed**" } else { "**Not confirmed**" },
        cf / cx,
        mib(full.stripped_bytes),
        mib(light.stripped_bytes),
        full.stripped_bytes as f64 / light.stripped_bytes as f64
    );
    let onig = format!(
        "{}: without Oniguruma and esaxx (`fancy-regex`) the build takes {cl:.0} s instead of {cf:.0} s ({:.2}x) and the binary is {:.2} instead of {:.2} MiB; {}.",
        if c_weight { "**Confirmed**" } else { "**Not confirmed** on this machine" },
        cf / cl,
        mib(lean.stripped_bytes),
        mib(full.stripped_bytes),
        if lean.native_packages.is_empty() { "the lean build compiles no C/C++ at all" } else { "the lean build still compiles C/C++" }
    );
    let remedy = if matching.is_empty() {
        "**Not refuted**: no existing light crate gave identical ids on every sentence.".to_string()
    } else {
        format!(
            "**Refuted**: an existing crate, `bert_tokenizer` {}, gives identical ids on all {} sentences ({}), and encodes faster (table above).",
            light.main_crate_version,
            d.corpus_sentences,
            matching.join("; ")
        )
    };
    s += &table(
        &["part of the claim", "verdict"],
        &[
            vec!["\"tokenizers is heavy\" (against a WordPiece-only crate)".into(), weight],
            vec!["the weight is Oniguruma / esaxx (C, C++)".into(), onig],
            vec!["\"a tokenizers-lite crate is needed\"".into(), remedy],
        ],
    );
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
    s += "\n## What to file\n\n**Do not file** a new crate or a split request: a light WordPiece crate exists and gives the same ids. The lean feature set \
          (`default-features = false, features = [\"fancy-regex\"]`) is worth knowing for builds without a C/C++ toolchain, but on this machine it saves \
          little compile time; the weight is the crate's breadth, which a WordPiece-only pipeline can avoid by using `bert_tokenizer` with the fixes in \
          `stages/wordpiece.rs`, tested against `tokenizers` as this harness does.\n\n";
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, vec![chart_compile, chart_speed]))
}

/// Renders the newest evidence.
pub fn render_latest() -> Result<std::path::PathBuf, String> {
    let p = store::pinned(EXPERIMENT).ok_or_else(|| store::not_pinned(EXPERIMENT, "harness experiment tokenizers-weight"))?;
    crate::report::write(FILE, &render(&p)?).map_err(|e| e.to_string())
}
