//! Claim 8's report: builds per tokenizers version, ids and throughput, the
//! verdicts (on the workspace's version, then per version), the seed's
//! figures, what to file.

use std::path::Path;

use super::{figures, ledger, main_version, rules, seed, HEAVY_FACTOR, INFO, PARTS, VERSIONS};
use crate::claims::verdict::Outcome;
use crate::evidence::store::{self, Evidence};
use crate::experiments::tokenizer_weight::{BuildResult, Data, Kind, EXPERIMENT};
use crate::measure::stats::{estimate, median, ratio};
use crate::report::chart::{bars, Bar};
use crate::report::markdown::{environment, est, table};
use crate::report::Page;

fn build_rows(d: &Data) -> Vec<Vec<String>> {
    d.builds
        .iter()
        .map(|b| match b.error_line() {
            Some(e) => vec![b.build.clone(), format!("does not build: {e}"), "-".into(), "-".into(), "-".into(), "-".into()],
            None => vec![
                b.build.clone(),
                b.compile_s.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(", "),
                b.compiled_packages.map_or(format!("- ({} in the lock)", b.packages), |n| format!("{n} ({} in the lock)", b.packages)),
                format!("{:.2}", b.binary_bytes as f64 / 1048576.0),
                format!("{:.2}", b.stripped_bytes as f64 / 1048576.0),
                if b.native_packages.is_empty() { "none".into() } else { b.native_packages.join(", ") },
            ],
        })
        .collect()
}

/// Where the last clean build of each spent its time (`cargo build --timings`).
fn slowest_units(d: &Data) -> String {
    let rows: Vec<Vec<String>> = d
        .builds
        .iter()
        .filter(|b| !b.slowest_units.is_empty())
        .map(|b| vec![b.build.clone(), b.slowest_units.iter().take(4).map(|u| format!("{} {:.1} s", u.unit, u.seconds)).collect::<Vec<_>>().join("; ")])
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    format!(
        "\nWhere each build's time goes (the four slowest units of its last clean build, from `cargo build --timings`; units run in parallel, so they do not add up to the wall time):\n\n{}",
        table(&["build", "slowest units"], &rows)
    )
}

fn is_reference(b: &BuildResult, d: &Data) -> bool {
    b.kind() == Kind::Default && b.main_crate_version == main_version(d)
}

/// Renders the report.
pub fn render(path: &Path) -> Result<Page, crate::report::RenderError> {
    let ev: Evidence<Data> = store::read(path)?;
    let d = &ev.data;
    let rel = crate::report::markdown::data_path(path);
    let f = figures(d, &rel)?;
    let reference_build = d.builds.iter().find(|b| is_reference(b, d)).map(|b| b.build.clone()).unwrap_or_default();
    let versions = super::versions(d);
    let mut s = String::from("# tokenizers: is it too heavy for WordPiece? (claim 8)\n\n## The claim\n\n");
    s += &crate::claims::registry::seed_section(&INFO);
    s += "## What upstream says\n\n- Default features: `progressbar`, `onig`, `esaxx_fast`. `default-features = false` alone does not compile; \
          `default-features = false, features = [\"fancy-regex\"]` builds without Oniguruma (upstream: since 0.21.2; measured here: 0.20.4 does not build so, 0.23.2 does). Compile-time complaint: huggingface/tokenizers#1730 \
          (most of the time in `onig_sys`).\n- tokenizers 1.0 prereleases (1.0.0-rc.3) split the crate (`tk-encode`, `tk-serialize`, `tk-convert`, `tk-train`): a \
          read-only `PipelineTokenizer` replaces `Tokenizer`, training and C++ (`esaxx_fast`) are opt-in, and a build can keep only the models its \
          `tokenizer.json` needs (`default-features = false, features = [\"wordpiece\", ...]`); files written by 0.x are upgraded with `canonicalize_file`.\n\
          - Light WordPiece crates already exist on crates.io: `bert_tokenizer`, `wordpieces` (word splitting only), \
          `rust_tokenizers`, `kitoken`. This report uses `bert_tokenizer` 0.1.3 (no C, six dependencies, full BERT basic tokenizer + WordPiece).\n\n";
    s += &format!(
        "## Method\n\n`harness experiment tokenizers-weight`: one minimal program (`repro/tokenizer-weight/main.rs`: load the all-MiniLM-L6-v2 tokenizer, \
         encode every sentence, write the ids, then time passes over the corpus) built several ways, each in its own folder with a generated manifest: \
         for each tokenizers version ({}) its default features and its lean set (0.x: `default-features = false, features = [\"fancy-regex\"]`, no Oniguruma; \
         1.x: `default-features = false, features = [\"wordpiece\", \"normalizers\"]`), and `bert_tokenizer` {} through the harness's `stages/wordpiece.rs`. \
         Clean compile: dependencies fetched first (not timed), target folder emptied, `cargo build --release --timings` on {} cores, wall time; {}. \
         Size: the release binary and the same after `strip`. A build that does not compile is shown with cargo's first error.\n\n\
         Corpus: {} sentences ({} tokens) from {}, sha256 `{}`. `tokenizers` runs without the padding and truncation the model's file sets, so whole \
         sentences are compared. `bert_tokenizer` runs two ways: as its documentation shows (`FullTokenizer`, lowercase, strip accents), and with the four fixes \
         in `stages/wordpiece.rs` (100-character word limit, dropping all Unicode \"Other\" characters, per-character lowercasing, verbatim special tokens). \
         Ids are compared with tokenizers {}'s default build, sentence by sentence. Throughput: the programs run in alternation, {} passes each. Builds: {}\n\n## Results\n\n",
        versions.join(", "),
        f.light_version,
        ev.environment.logical_cores,
        if ev.parameters["interleaved"].as_bool() == Some(true) {
            "builds interleaved, a round of every build at a time, the order rotated each round"
        } else {
            "each build's clean builds one after another (not interleaved)"
        },
        d.corpus_sentences,
        d.corpus_tokens,
        d.corpus_source,
        d.corpus_sha256,
        main_version(d),
        d.variants.first().map_or(0, |v| v.ns_per_pass.len()),
        crate::experiments::grade_note(EXPERIMENT, ev.parameters["compile_repeats"].as_u64().unwrap_or(0) as usize),
    );
    s += &table(
        &[
            "build",
            "clean compile s (each run)",
            "packages compiled for this machine (in Cargo.lock, every platform)",
            "binary MiB",
            "stripped MiB",
            "C/C++ build deps",
        ],
        &build_rows(d),
    );
    s += &slowest_units(d);
    let chart_compile = bars(
        "tokenizers-weight-compile.svg",
        "Clean release build of a minimal tokenizing program",
        "seconds (median of clean builds)",
        &d.builds.iter().filter(|b| b.error.is_none()).map(|b| Bar::exact(b.build.clone(), median(&b.compile_s))).collect::<Vec<_>>(),
        None,
    )?;
    s += &format!("\n{}", chart_compile.markdown("clean compile time per build"));

    s += &format!(
        "\nIds against `tokenizers` {} (default features), and encode throughput (sentences per second, median [95% CI] over passes):\n\n",
        main_version(d)
    );
    let reference = d.variants.iter().find(|v| v.build == reference_build).or(d.variants.first()).map(|v| v.ns_per_pass.clone()).unwrap_or_default();
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
    s += &table(&["tokenizer", "sentences with different ids", "sentences/s", &format!("speed vs tokenizers {} default", main_version(d))], &vrows);
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

    let verdicts = rules(&f);
    s += &format!(
        "\n## Verdict\n\nRules (code: `claims::tokenizers_weight::rules`), on tokenizers {}: \"heavy\" is confirmed when the default build costs at least {HEAVY_FACTOR}x \
         a WordPiece-only crate's clean compile time or stripped size, refuted otherwise; \"the C dependencies are the weight\" (huggingface/tokenizers#1730) \
         likewise against the lean build (not measured where the lean build does not compile); \"a new crate is needed\" is refuted when an existing light \
         crate gives identical ids on every corpus sentence. Compile times are medians of few clean builds, without an interval.\n\n",
        f.version
    );
    s += &crate::claims::verdict_table(PARTS, &verdicts);
    s += "\n";
    s += &crate::claims::ledger::section(PARTS, &ledger(d, &rel), VERSIONS.seed);
    let as_is_ok = d.variants.iter().any(|v| v.variant == "bert_tokenizer as documented" && v.mismatches.is_empty());
    s += &format!(
        "{} The wrapper's fixes are for inputs the licence texts do not contain (zero-width characters and soft hyphens, a word-final Greek sigma, \
         literal `[MASK]`, words over 100 characters), where the crate as documented differs: the test \
         `claim8_light_wordpiece_crate_gives_the_ids_tokenizers_gives_on_1000_real_sentences` checks both on those.\n\n",
        if as_is_ok {
            "On the corpus, `bert_tokenizer` used as documented matched too."
        } else {
            "On the corpus, `bert_tokenizer` used as documented did not match everywhere (mismatches listed above)."
        }
    );
    s += &crate::claims::seed_figures::table(&seed::rows(d, &rel));
    s += "\n## What to file\n\n";
    s += if verdicts[2].outcome == Outcome::Refuted {
        "**Do not file** a new crate or a split request: a light WordPiece crate exists and gives the same ids (a WordPiece-only pipeline can use \
         `bert_tokenizer` with the fixes in `stages/wordpiece.rs`, tested against `tokenizers` as this harness does)."
    } else {
        "No existing light crate matched `tokenizers` here: a light WordPiece crate may be worth proposing, with this corpus as its test."
    };
    s += if verdicts[1].outcome == Outcome::Confirmed {
        " The lean feature set saves much of the build here: worth documenting."
    } else {
        " The lean feature set helps builds without a C/C++ toolchain, but saves little here."
    };
    s += &upstream_split(d);
    s += "\n\n";
    s += &environment(&ev.environment, &rel);
    Ok(Page::new(s, vec![chart_compile, chart_speed]))
}

/// What the 1.x prerelease measured here says about the request, from its
/// builds: only when its lean build compiled and gave the reference's ids.
fn upstream_split(d: &Data) -> String {
    let lean1 = d.builds.iter().find(|b| b.kind() == Kind::Lean && !b.main_crate_version.starts_with("0.") && b.error.is_none());
    let Some(b) = lean1 else { return String::new() };
    let matched = d.variants.iter().any(|v| v.build == b.build && v.mismatches.is_empty());
    if !matched {
        return format!(" tokenizers {}'s lean build did not give the same ids on every sentence (listed above).", b.main_crate_version);
    }
    format!(
        " Upstream already answers the split request in its 1.0 prerelease: tokenizers {} with only WordPiece gives the same ids on all {} sentences from a \
         {:.2} MiB stripped program compiled in {:.0} s, so the request is for its release, not a new crate.",
        b.main_crate_version,
        d.corpus_sentences,
        b.stripped_bytes as f64 / 1048576.0,
        median(&b.compile_s)
    )
}
