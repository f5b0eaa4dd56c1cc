//! The claims' reports (issue: measure the overheads and render each claim's
//! evidence report): each renders from the evidence committed under
//! `reports/data/`, byte for byte the same every time, with a verdict; and
//! the claim-2 experiment runs end to end in its quick form.

use std::process::Command;

fn harness(args: &[&str], envs: &[(&str, &std::path::Path)]) -> (bool, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_harness"));
    c.args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    let o = c.output().expect("harness runs");
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

#[test]
fn every_report_renders_from_committed_evidence_identically_with_a_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    // Every report the registry knows, each written by `harness report NAME`.
    let names = harness::claims::report_names();
    let mut files = Vec::new();
    for name in &names {
        let (ok, stdout, err) = harness(&["report", name], &[("HARNESS_REPORTS_DIR", out)]);
        assert!(ok, "{name}: {err}");
        for file in stdout.lines().filter_map(|l| l.strip_prefix("wrote ")).map(|p| std::path::PathBuf::from(p.trim())) {
            let first = std::fs::read_to_string(&file).unwrap();
            let section = if *name == "pipeline-perf" { "## Stages against their native anchors" } else { "## Verdict" };
            assert!(first.contains(section) && first.contains("## Environment"), "{name} lacks {section}");
            let committed = std::fs::read_to_string(harness::paths::workspace_root().join("reports").join(file.file_name().unwrap())).unwrap();
            assert_eq!(first, committed, "{}: the committed report is not what its committed evidence renders to", file.display());
            files.push((name.to_string(), file, first));
        }
    }
    assert!(files.len() > names.len(), "every report written (the race report writes two)");
    for (name, file, first) in &files {
        harness(&["report", name], &[("HARNESS_REPORTS_DIR", out)]);
        assert_eq!(*first, std::fs::read_to_string(file).unwrap(), "{name}: rendering is not deterministic");
    }
    let reports = &names;
    // The charts the reports link to: every link resolves and each chart is
    // what the committed evidence draws.
    let committed_charts = harness::paths::workspace_root().join("reports/charts");
    let mut linked = 0;
    for entry in std::fs::read_dir(out).unwrap() {
        let md = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for link in md.split("](charts/").skip(1) {
            let file = &link[..link.find(')').unwrap()];
            let svg = std::fs::read_to_string(out.join("charts").join(file)).unwrap_or_else(|e| panic!("chart {file}: {e}"));
            assert!(svg.contains("<svg"), "{file}");
            assert_eq!(
                svg,
                std::fs::read_to_string(committed_charts.join(file)).unwrap_or_default(),
                "reports/charts/{file} is not what its committed evidence draws"
            );
            linked += 1;
        }
    }
    assert!(linked >= reports.len() - 1, "only {linked} charts linked");
}

#[test]
fn ort_mutex_quick_experiment_checks_outputs_then_times_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, rep, scratch) = (dir.path().join("ev"), dir.path().join("rep"), dir.path().join("scratch"));
    let (ok, _, err) =
        harness(&["experiment", "ort-mutex", "--quick", "--repeats", "1", "--promote"], &[("HARNESS_EVIDENCE_DIR", &ev), ("HARNESS_SCRATCH_DIR", &scratch)]);
    assert!(ok, "{err}");
    // The API probe's evidence (claim 2's other experiment) comes from the committed store.
    let api = harness::evidence::store::pinned("ort-api").expect("ort-api evidence is pinned");
    std::fs::create_dir_all(ev.join("ort-api")).unwrap();
    std::fs::copy(&api, ev.join("ort-api/pinned.json")).unwrap();
    let index = std::fs::read_to_string(ev.join("index.toml")).unwrap();
    std::fs::write(ev.join("index.toml"), index.replace("[pins]\n", "[pins]\n\"ort-api\" = [\"ort-api/pinned.json\"]\n")).unwrap();
    let (ok, _, err) = harness(&["report", "ort-mutex"], &[("HARNESS_EVIDENCE_DIR", &ev), ("HARNESS_REPORTS_DIR", &rep)]);
    assert!(ok, "{err}");
    let md = std::fs::read_to_string(rep.join("ort-mutex.md")).unwrap();
    assert!(md.contains("silero-vad-512: equal") && md.contains("| 4 | pool |"), "{md}");
}

/// `harness check` is a verdict regression gate (claim-registry issue,
/// "a changed verdict makes it exit 1"): committed evidence altered so that
/// claim 2's `prepacked-memory` part reads "confirmed" (an extra session
/// costs nothing when sharing prepacked weights), against a fresh quick run
/// that measures the real memory (about 10 MiB per session either way).
#[test]
fn harness_check_exits_1_naming_a_part_whose_committed_verdict_flips() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, scratch) = (dir.path().join("ev"), dir.path().join("scratch"));
    let committed = harness::evidence::store::pinned("ort-mutex").expect("ort-mutex evidence is pinned");
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&committed).unwrap()).unwrap();
    let mut altered = 0;
    for m in v["data"]["memory"].as_array_mut().unwrap() {
        if m["mode"] == "prepacked weights shared" {
            let rss = m["rss_bytes"].as_array_mut().unwrap();
            let first = rss[1].clone();
            for r in rss.iter_mut().skip(2) {
                *r = first.clone();
            }
            altered += 1;
        }
    }
    assert!(altered > 0, "the committed evidence has prepacked memory rows");
    std::fs::create_dir_all(ev.join("ort-mutex")).unwrap();
    std::fs::write(ev.join("ort-mutex/altered.json"), v.to_string()).unwrap();
    let api = harness::evidence::store::pinned("ort-api").expect("ort-api evidence is pinned");
    std::fs::create_dir_all(ev.join("ort-api")).unwrap();
    std::fs::copy(&api, ev.join("ort-api/pinned.json")).unwrap();
    std::fs::write(ev.join("index.toml"), "[pins]\n\"ort-mutex\" = [\"ort-mutex/altered.json\"]\n\"ort-api\" = [\"ort-api/pinned.json\"]\n").unwrap();
    let run = || harness(&["check", "ort-mutex", "--quick", "--json"], &[("HARNESS_EVIDENCE_DIR", &ev), ("HARNESS_SCRATCH_DIR", &scratch)]);
    let (ok, out, err) = run();
    assert!(!ok, "a flipped verdict must fail the command\n{out}\n{err}");
    let o: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let row = o["rows"].as_array().unwrap().iter().find(|r| r["part"] == "prepacked-memory").expect("a prepacked-memory row");
    assert_eq!((row["committed"].as_str(), row["now"].as_str(), row["agreement"].as_str()), (Some("confirmed"), Some("refuted"), Some("differs")), "{row}");
    assert!(err.contains("prepacked-memory"), "the failure names the part: {err}");
    // The unaltered evidence agrees with the same quick run: exit 0.
    std::fs::write(ev.join("ort-mutex/altered.json"), std::fs::read_to_string(&committed).unwrap()).unwrap();
    let (ok, out, err) = run();
    assert!(ok, "{out}\n{err}");
}

#[test]
fn bench_evidence_exports_as_bencher_metric_format() {
    let (ok, out, err) = harness(&["export-bmf", "ort-tensor-copy"], &[]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let m = &v["claim6-tensor-input/yolov8n-640/memcpy"]["latency"];
    let (lo, mid, hi) = (m["lower_value"].as_f64().unwrap(), m["value"].as_f64().unwrap(), m["upper_value"].as_f64().unwrap());
    assert!(lo <= mid && mid <= hi && mid > 1e4, "memcpy of 4.9 MB in ns: {lo} {mid} {hi}");
}

/// Claim 8 ("tokenizers is heavy; a tokenizers-lite is needed"): a light
/// WordPiece crate that already exists must give the ids `tokenizers` gives
/// before its weight can be compared. Corpus: every sentence of Debian's
/// licence texts (real English, over 1,000 sentences). Upstream context:
/// <https://github.com/huggingface/tokenizers/issues/1730>.
#[test]
fn claim8_light_wordpiece_crate_gives_the_ids_tokenizers_gives_on_1000_real_sentences() {
    use harness::experiments::tokenizer_weight::{corpus, CORPUS_DIR};
    use harness::models::{catalog::id, locate};
    use harness::stages::wordpiece::{LightBert, LightMode};
    let sentences = corpus(std::path::Path::new(CORPUS_DIR)).unwrap();
    assert!(sentences.len() >= 1000, "{} sentences", sentences.len());
    let hf = harness::stages::tokenize::TextTokenizer::from_catalog(id::MINILM_TOKENIZER).unwrap().without_padding_or_truncation().unwrap();
    let vocab = locate::require(id::MINILM_VOCAB).unwrap();
    let light = LightBert::load(&vocab, LightMode::HfCompatible).unwrap();
    let as_is = LightBert::load(&vocab, LightMode::CrateAsIs).unwrap();
    let (mut wrong, mut wrong_as_is) = (Vec::new(), 0);
    for s in &sentences {
        let want = hf.encode(s).unwrap();
        if light.encode(s) != want {
            wrong.push(s.clone());
        }
        wrong_as_is += usize::from(as_is.encode(s) != want);
    }
    eprintln!("{} sentences; crate as documented differs on {wrong_as_is}", sentences.len());
    assert!(wrong.is_empty(), "{} of {} sentences differ, e.g. {:?}", wrong.len(), sentences.len(), &wrong[..wrong.len().min(3)]);
    // Edge cases the wrapper exists for: each differs with the crate as documented.
    for s in ["zero\u{200b}width soft\u{ad}hyphen", "ΟΔΟΣ", "a [MASK] here", &"x".repeat(101)] {
        assert_eq!(light.encode(s), hf.encode(s).unwrap(), "{s:?}");
        assert_ne!(as_is.encode(s), hf.encode(s).unwrap(), "{s:?}: the crate as documented now agrees; the report's note on the wrapper is stale");
    }
    assert_eq!(light.encode("Café naïve résumé"), hf.encode("Café naïve résumé").unwrap());
}

/// Claims 2 and 6 at the 1% level: the instruction-count experiment runs end
/// to end in its quick form (valgrind, one probe process per count), and the
/// section it feeds renders with a per-call count for each variant.
#[test]
fn instruction_counts_quick_experiment_counts_each_variant_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let (ok, _, err) = harness(&["experiment", "instruction-counts", "--quick", "--repeats", "1"], &[("HARNESS_SCRATCH_DIR", &ev)]);
    assert!(ok, "{err}");
    let file = std::fs::read_dir(ev.join("instruction-counts")).unwrap().next().unwrap().unwrap().path();
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let counts = v["data"]["counts"].as_array().unwrap();
    assert_eq!(counts.len(), 6, "3 variants x 2 call counts");
    // More calls, more instructions: the counts are real.
    for variant in ["view", "copy", "std-mutex"] {
        let n = |calls: u64| counts.iter().find(|c| c["variant"] == variant && c["calls"] == calls).unwrap()["instructions"].as_u64().unwrap();
        assert!(n(6) > n(2) && n(2) > 1_000_000, "{variant}: {} vs {}", n(6), n(2));
    }
}

/// The verdict and the prose follow the evidence, not the other way round:
/// the committed ort-mutex evidence (one shared session at about 0.51x of
/// sessions per thread) is altered so that the shared session keeps up
/// (ratio 1.0), and both the verdict and the report's sentences change.
/// Claim 2 of the seed (<https://github.com/pykeio/ort>, `Session::run(&mut self)`).
#[test]
fn claim2_verdict_and_prose_change_when_the_evidence_changes() {
    use harness::claims::registry::{self, Sources};
    use harness::claims::verdict::Outcome;
    let claim = registry::find("ort-mutex").expect("registered");
    let pinned = harness::evidence::store::pinned("ort-mutex").expect("pinned ort-mutex evidence");
    let mut ev: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&pinned).unwrap()).unwrap();
    let cores = ev["data"]["cores"].as_u64().unwrap();
    let runs = ev["data"]["runs"].as_array_mut().unwrap();
    // Give every mutex run at all cores the calls of the per-thread run of
    // the same model and repeat: throughput ratio 1.0, perfectly fair.
    let per_worker: Vec<serde_json::Value> = runs.iter().filter(|r| r["strategy"] == "per-worker" && r["threads"] == cores).cloned().collect();
    let mut changed = 0;
    for r in runs.iter_mut().filter(|r| r["strategy"] == "mutex" && r["threads"] == cores) {
        let twin = per_worker.iter().find(|p| p["model"] == r["model"]).expect("a per-thread twin");
        r["per_thread_calls"] = twin["per_thread_calls"].clone();
        r["duration_s"] = twin["duration_s"].clone();
        changed += 1;
    }
    assert!(changed > 0);
    let dir = tempfile::tempdir().unwrap();
    let altered = dir.path().join("ort-mutex-altered.json");
    std::fs::write(&altered, serde_json::to_string(&ev).unwrap()).unwrap();

    let api = harness::evidence::store::pinned("ort-api").expect("pinned ort-api evidence");
    let sources = |p: &std::path::Path| Sources::default().with("ort-api", api.clone()).with("ort-mutex", p.to_path_buf());
    let shared = |s: &Sources| claim.judge(s).unwrap().into_iter().find(|v| v.part == "shared-session").unwrap();
    let (before, after) = (shared(&sources(&pinned)), shared(&sources(&altered)));
    assert_eq!(before.outcome, Outcome::Confirmed, "{before:?}");
    assert_eq!(after.outcome, Outcome::Refuted, "{after:?}");
    assert_ne!(before.figures, after.figures);

    let page = |p: &std::path::Path| claim.render(&sources(p)).unwrap()[0].1.markdown.clone();
    let (md_before, md_after) = (page(&pinned), page(&altered));
    assert!(md_before.contains("What costs measurably is funnelling all threads through one session"), "{md_before}");
    assert!(!md_after.contains("What costs measurably"), "the conclusion changed with the data");
    assert!(md_after.contains("did not measurably lose throughput"), "{md_after}");
}

/// README's claims table is the registry's, so adding a claim cannot leave
/// the documentation behind.
#[test]
fn readme_lists_every_claim_of_the_registry() {
    let readme = std::fs::read_to_string(harness::paths::workspace_root().join("README.md")).unwrap();
    let table = harness::claims::registry::readme_table();
    assert!(readme.contains(&table), "README.md's claims table differs from the registry; paste this:\n{table}");
}

/// Claim 2 of the seed, "API design requires `&mut self` for inference",
/// across ort versions: `Session::run` took `&self` in 2.0.0-rc.9 and
/// `&mut self` from rc.10 (<https://github.com/pykeio/ort/commit/bd2aff7>,
/// "make `Session::run` take `&mut self`"). `harness bisect` must find
/// rc.10 from the compile probes alone, and `check --versions` must report
/// a version that does not exist with cargo's reason while the others
/// still run (the versions issue's bad input).
#[test]
fn claim2_run_takes_mut_self_from_ort_rc10_found_by_bisect() {
    let (ok, out, err) = harness(&["bisect", "ort-mutex", "run-needs-mut", "--from", "2.0.0-rc.9", "--to", "2.0.0-rc.11", "--json"], &[]);
    assert!(ok, "{err}\n{out}");
    let b: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(b["found"]["Ok"]["first_changed"], "2.0.0-rc.10", "{out}");
    assert_eq!(b["found"]["Ok"]["before"], "refuted");
    assert_eq!(b["found"]["Ok"]["after"], "confirmed");

    let (ok, out, err) = harness(&["check", "ort-mutex", "--versions", "seed,9.9.9"], &[]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("2.0.0-rc.10") && out.contains("confirmed"), "the seed's version resolves and is judged: {out}");
    assert!(out.contains("9.9.9") && out.contains("not measured") && out.contains("failed to select a version"), "cargo's reason is kept: {out}");
}

/// Issue #12: every seed claim's report judges the seed's own figures, and
/// every quoted figure is the seed's text verbatim.
#[test]
fn every_seed_claim_report_judges_the_seeds_figures_quoted_verbatim() {
    let root = harness::paths::workspace_root();
    let seed = std::fs::read_to_string(root.join(harness::claims::registry::SEED_FILE)).expect("the seed is readable");
    for claim in harness::claims::registry::ALL.iter().filter(|c| c.seed_number().is_some()) {
        // A claim's report is named after it.
        let file = format!("{}.md", claim.id());
        let report = std::fs::read_to_string(root.join("reports").join(&file)).unwrap();
        let table = report.split("## The seed's figures").nth(1).unwrap_or_else(|| panic!("{file} has no table of the seed's figures"));
        let rows: Vec<&str> = table.lines().take_while(|l| !l.starts_with("## ")).filter(|l| l.starts_with("| \"")).collect();
        assert!(!rows.is_empty(), "{file}: the seed's figures table has no rows");
        for r in rows {
            let quote = r.trim_start_matches("| \"").split("\" |").next().unwrap();
            assert!(seed.contains(quote), "{file}: {quote:?} is not verbatim in the seed");
        }
    }
}
