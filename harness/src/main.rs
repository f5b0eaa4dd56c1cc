//! The `harness` command line. Errors reach the user through `anyhow` with
//! the file and the fix named by the library's error types.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use harness::models::catalog::{self, id};
use harness::models::{ggml, locate};

#[derive(Parser)]
#[command(name = "harness", version, about = "Measure upstream claims before filing them")]
struct Cli {
    /// The workspace to read and write (default: found from the current folder upward).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Fetch, check and convert every model and data file into the cache.
    Setup {
        /// Optional groups too (`whisper-base`: the multilingual base model and its Q5_K;
        /// `transcription-engines`: tiny.en in Q8_0 and what faster-whisper reads; `long-media`).
        #[arg(long = "with", value_name = "GROUP")]
        with: Vec<String>,
    },
    /// List every component with its version and source; non-zero if any is missing or corrupt.
    Doctor {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run every component once on real media and models (short).
    Smoke {
        /// Also write the results as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run a scenario: the full pipeline under its concurrency, writing run.json.
    Run {
        /// Scenario file (TOML), e.g. scenarios/default.toml.
        scenario: PathBuf,
        /// Output folder (default: .cache/runs/<scenario>-<time>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a scenario value, e.g. --set concurrency.files=3 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Run one stage on one input (decode, keyframes, mel, vad, transcribe, detect, jpeg-decode, tokenize).
    Stage {
        name: String,
        input: PathBuf,
        /// Write the result here instead of stdout (mel writes .npy).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run an experiment and store its evidence in the scratch store.
    Experiment {
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(harness::experiments::names()))]
        name: String,
        /// Pin the result as the report's evidence (copy into reports/data/ and the index).
        #[arg(long)]
        promote: bool,
        /// Repeats per cell (default: the experiment's report grade, 10 for
        /// whole-process measures; 1 with --quick).
        #[arg(long)]
        repeats: Option<usize>,
        /// Short version (CI): the default scenario, no long media.
        #[arg(long)]
        quick: bool,
    },
    /// Reproduce an upstream issue and store the evidence.
    Repro {
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(harness::claims::REPRODUCTIONS.iter().flat_map(|r| [r.name, r.claim])))]
        name: String,
        /// Pin the result as the report's evidence (copy into reports/data/ and the index).
        #[arg(long)]
        promote: bool,
        /// The CI variant: a few cells, under 2 minutes.
        #[arg(long)]
        quick: bool,
        /// Also run concurrent create_state + full under valgrind's helgrind (minutes).
        #[arg(long)]
        helgrind: bool,
        /// Only build the whisper-rs variants the matrix needs, then stop.
        #[arg(long)]
        prepare: bool,
        /// whisper-race: run the create_state race and the oversubscribed cells on this whisper.cpp
        /// source tree (a release's top folder) and, setting by setting, on the bundled one.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["helgrind", "prepare"])]
        whisper_cpp: Option<PathBuf>,
    },
    /// Check a patched fork of an upstream crate before and after (patches/<crate>/<name>.patch).
    Fork {
        #[command(subcommand)]
        command: ForkCmd,
    },
    /// Upstream-ready bundles (bundles/): render them, run them standalone, re-check them upstream.
    Bundle {
        #[command(subcommand)]
        command: BundleCmd,
    },
    /// RSS after each of N sessions of a model, own or shared prepacked weights (what experiment ort-mutex runs).
    #[command(hide = true)]
    SessionMemory { model: String, n: usize, mode: String },
    /// Peak memory of detecting FRAMES frames, the input copied or borrowed (what claim 6's bench import runs).
    #[command(hide = true)]
    InputMemory { mode: String, frames: usize },
    /// One instruction-count probe (what `experiment instruction-counts` runs under valgrind).
    #[command(hide = true)]
    InstrProbe { model: String, variant: String, calls: u64 },
    /// Import criterion results (raw.csv) of a bench-backed claim as evidence (ort-tensor-copy).
    BenchImport {
        claim: String,
        /// Pin the result as the report's evidence (copy into reports/data/ and the index).
        #[arg(long)]
        promote: bool,
    },
    /// Import a scripts/fuzz.sh summary (.cache/fuzz/<stamp>/summary.jsonl) as fuzzing evidence.
    FuzzImport {
        summary: PathBuf,
        /// Pin the result as the fuzzing report's evidence.
        #[arg(long)]
        promote: bool,
    },
    /// Pin evidence files (from a run's scratch store, or already in reports/data/) as their reports' evidence.
    Promote {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Keep the pins measured on other machines (or profiles) and replace only this machine's:
        /// the report then shows every machine's verdicts side by side.
        #[arg(long)]
        beside: bool,
    },
    /// Export a bench-backed claim's newest evidence as bencher.dev BMF JSON (stdout).
    ExportBmf { claim: String },
    /// Render reports from stored evidence: one by name, or --all.
    Report {
        /// Report name (pipeline-perf, whisper-rs-race, ort-mutex, ...).
        name: Option<String>,
        /// Render every report whose evidence exists.
        #[arg(long)]
        all: bool,
    },
    /// Measure claims anew, judge and render them (into the cache), and compare each verdict with the committed one; exit 1 when one changed.
    Check {
        /// Claims to check (default: all).
        claims: Vec<String>,
        /// Short runs (a quick matrix, one repeat, criterion's quick mode).
        #[arg(long, conflicts_with = "full")]
        quick: bool,
        /// Report-grade runs (the default).
        #[arg(long)]
        full: bool,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
        /// Name of this machine or machine profile in check.json (for `check-merge`).
        #[arg(long, default_value = "")]
        label: String,
        /// Measure nothing: list the claims whose pinned evidence was measured on an older
        /// version of their crate than the newest published one.
        #[arg(long, conflicts_with_all = ["quick", "full", "label"])]
        stale: bool,
        /// Measure one claim on these versions of its crate (`seed`, `latest` or exact, comma-separated)
        /// and show each part's verdict per version (the version ledger).
        #[arg(long, value_delimiter = ',', conflicts_with_all = ["stale", "label"])]
        versions: Vec<String>,
    },
    /// Find the first published version where a part's verdict changes: binary search between two versions, one build per step.
    Bisect {
        /// The claim (e.g. ort-mutex).
        claim: String,
        /// The part (e.g. run-needs-mut).
        part: String,
        /// An exact published version at the start of the range.
        #[arg(long)]
        from: String,
        /// An exact published version at the end of the range.
        #[arg(long)]
        to: String,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Merge the check.json of several machines (or machine profiles): each part's verdict per machine, and whether it holds on all.
    CheckMerge {
        /// check.json files, one per machine.
        files: Vec<PathBuf>,
        /// Folder for machines.md and machines.json (default: print the markdown).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List every claim and part with its verdict from the pinned evidence.
    Claims {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
        /// Print README.md's claims table (derived from the registry) instead.
        #[arg(long)]
        readme: bool,
    },
    /// Convert a CTranslate2 Whisper model (faster-whisper) to whisper.cpp's ggml format.
    ConvertWhisper {
        /// CTranslate2 `model.bin` (default: the catalog's tiny.en).
        #[arg(long)]
        model_bin: Option<PathBuf>,
        /// Its `tokenizer.json` (default: the catalog's).
        #[arg(long)]
        tokenizer: Option<PathBuf>,
        /// Output ggml file.
        #[arg(long)]
        out: PathBuf,
        /// Weight format of the 2-D weights (k-quants need rows that are multiples of 256).
        #[arg(long, value_enum, default_value = "f16")]
        weights: harness::models::quantize::Weights,
    },
}

#[derive(Subcommand)]
enum ForkCmd {
    /// Fetch the registry's source, apply the patch to a copy, run the crate's own tests,
    /// the claim's repro and benchmarks on both, and store the evidence.
    Check {
        /// whisper-rs or ort.
        krate: String,
        /// One patch of patches/CRATE/ by name (default: every patch of the crate).
        #[arg(long, conflicts_with = "patch_file")]
        patch: Option<String>,
        /// Your own patch file: a unified diff with a header (Crate, Kind, ...; see forks/patch_file.rs).
        #[arg(long)]
        patch_file: Option<PathBuf>,
        /// The crate version (default: the patch header's `Version`, else the crate's).
        #[arg(long)]
        version: Option<String>,
        /// Fewer trials (a smoke run; the report says how many).
        #[arg(long)]
        quick: bool,
        /// Pin the results as the reports' evidence (copy into reports/data/ and the index).
        #[arg(long)]
        promote: bool,
    },
}

#[derive(Subcommand)]
enum BundleCmd {
    /// List the bundles: kind, crate and version, inputs.
    List,
    /// Render each bundle's run.sh, fix.patch, ISSUE.md and README.md, and bundles/README.md.
    Render,
    /// Run bundles in temporary copies outside the workspace: the defect before, fixed after.
    Check {
        /// Bundles to run (default: all).
        ids: Vec<String>,
        /// Share one cargo target folder between bundles (whisper.cpp built once, not per bundle).
        #[arg(long)]
        quick: bool,
        /// Another published version of the crate than the one the bundle pins.
        #[arg(long)]
        against: Option<String>,
        /// Print the outcomes as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run each bundle against the newest published version of its crate and try its development home.
    Upstream {
        /// Bundles to re-check (default: all).
        ids: Vec<String>,
        /// Share one cargo target folder between bundles.
        #[arg(long)]
        quick: bool,
        /// Pin the result as the bundles' READMEs' evidence.
        #[arg(long)]
        promote: bool,
    },
}

fn bundles_named(ids: &[String]) -> anyhow::Result<Vec<harness::bundles::spec::Bundle>> {
    if ids.is_empty() {
        return Ok(harness::bundles::spec::all()?);
    }
    Ok(ids.iter().map(|i| harness::bundles::spec::find(i)).collect::<Result<_, _>>()?)
}

fn main() -> ExitCode {
    // Behave like other command-line tools when the reader of our output
    // goes away (`harness run ... | head`): exit quietly, no panic.
    // SAFETY: restoring the default disposition of SIGPIPE at start-up.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,whisper_rs=error")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(root) = &cli.root {
        // Before anything asks for the workspace (it is looked up once).
        std::env::set_var(harness::paths::ROOT_ENV, root);
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let cause: &(dyn std::error::Error + 'static) = e.as_ref();
            eprintln!("error: {}", harness::error_chain::message(cause));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Cmd::Setup { with } => {
            let known: Vec<&str> = catalog::ASSETS.iter().filter_map(|a| a.group).collect();
            if let Some(bad) = with.iter().find(|w| !known.contains(&w.as_str())) {
                anyhow::bail!("unknown optional group `{bad}`; known: {}", known.join(", "));
            }
            let outcomes = harness::setup::run(&with);
            let failed: Vec<_> = outcomes.iter().filter(|o| o.result.is_err()).collect();
            for o in &failed {
                eprintln!("setup: {} failed: {}", o.id, o.result.as_ref().err().map(ToString::to_string).unwrap_or_default());
            }
            println!("setup: {} assets ready, {} failed (cache: {})", outcomes.len() - failed.len(), failed.len(), harness::paths::cache_dir().display());
            Ok(if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Doctor { json } => {
            let report = harness::doctor::run();
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", harness::doctor::render(&report));
            }
            Ok(if report.healthy() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Smoke { out } => {
            let steps = harness::smoke::run();
            for s in &steps {
                println!("{} {:<30} {:>9.1} ms  {}", if s.ok { "ok  " } else { "FAIL" }, s.component, s.millis, s.detail);
            }
            if let Some(out) = out {
                let doc = serde_json::json!({
                    "environment": harness::evidence::environment::Environment::capture(),
                    "steps": steps,
                });
                std::fs::write(&out, serde_json::to_string_pretty(&doc)?).with_context(|| format!("writing {}", out.display()))?;
            }
            Ok(if steps.iter().all(|s| s.ok) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Run { scenario, out, set, quiet } => {
            let sc = harness::scenario::load(&scenario, &set)?;
            let out = out.unwrap_or_else(|| {
                let stamp = harness::evidence::run::now_utc().replace([':', '-'], "");
                harness::paths::cache_dir().join("runs").join(format!("{}-{stamp}", sc.name))
            });
            let record = harness::pipeline::run(sc, &scenario, &out, !quiet)?;
            print!("{}", harness::pipeline::summary(&record));
            println!(
                "
run.json: {}",
                out.join("run.json").display()
            );
            // Exit 0: every file ok; 1: some files failed or hung (partial).
            if record.totals.files_failed > 0 {
                // Workers stuck in a hung file must not keep the process alive.
                std::process::exit(1);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Stage { name, input, out } => {
            let output = harness::single_stage::run(&name, &input)?;
            harness::single_stage::emit(output, out.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Experiment { name, repeats, quick, promote } => {
            let e = harness::experiments::get(&name)?;
            let repeats = repeats.unwrap_or(if quick { 1 } else { e.report_grade });
            let path = (e.run)(repeats, quick, &|m| eprintln!("[experiment] {m}"))?;
            stored(&[path], promote)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Repro { name, quick, helgrind, prepare, promote, whisper_cpp } => {
            let r = harness::claims::reproduction(&name)?;
            if whisper_cpp.is_some() && r.name != "whisper-race" {
                anyhow::bail!("--whisper-cpp applies to whisper-race only, not {}", r.name);
            }
            let opts = harness::claims::ReproOptions { quick, helgrind, prepare, whisper_cpp };
            let paths = (r.run)(opts, &|m| eprintln!("[repro] {m}"))?;
            if prepare {
                paths.iter().for_each(|exe| println!("built {}", exe.display()));
            } else {
                stored(&paths, promote)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::BenchImport { claim, promote } => {
            let c = harness::claims::bench_claim(&claim).ok_or_else(|| anyhow::anyhow!("unknown bench-backed claim `{claim}`"))?;
            let p = harness::claims::import_bench(c, &harness::evidence::run::now_utc())?;
            stored(&[p], promote)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Promote { files, beside: true } => {
            for f in &files {
                let pinned = harness::evidence::store::promote_beside(f)?;
                println!(
                    "evidence: {} (pinned beside other machines' in {})",
                    pinned.display(),
                    harness::evidence::store::root().join(harness::evidence::store::INDEX_FILE).display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Promote { files, beside: false } => {
            stored(&files, true)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Fork { command: ForkCmd::Check { krate, patch, patch_file, version, quick, promote } } => {
            let opts = harness::forks::check::Options { krate, patch, patch_file, version, quick };
            let paths = harness::forks::check::run(&opts, harness::claims::fork_repro, &|m| eprintln!("[fork] {m}"))?;
            stored(&paths, promote)?;
            println!("render the claim's report to see the before/after section: harness report --all");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bundle { command } => bundle(command),
        Cmd::SessionMemory { model, n, mode } => {
            let rss = harness::experiments::ort_mutex::session_memory(&model, n, mode == "prepacked")?;
            println!("{}", serde_json::to_string(&rss)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::InputMemory { mode, frames } => {
            let peak = harness::experiments::tensor_input::run_process(&mode, frames)?;
            println!("{}", serde_json::to_string(&peak)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::InstrProbe { model, variant, calls } => {
            let sum = harness::experiments::instructions::probe(&model, &variant, calls)?;
            println!("{sum}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::FuzzImport { summary, promote } => {
            let evidence = harness::evidence::fuzz::evidence(&summary)?;
            let p = harness::evidence::store::write_new(harness::evidence::fuzz::EXPERIMENT, &evidence)?;
            stored(&[p], promote)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ExportBmf { claim } => {
            let c = harness::claims::bench_claim(&claim).ok_or_else(|| anyhow::anyhow!("unknown bench-backed claim `{claim}`"))?;
            let p = harness::evidence::store::pinned(c.claim)
                .ok_or_else(|| harness::evidence::store::not_pinned(c.claim, &format!("harness bench-import {claim}")))?;
            println!("{}", serde_json::to_string_pretty(&harness::report::bmf::from_evidence(&p)?)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Report { name, all } => {
            let names: Vec<String> = match (name, all) {
                (Some(n), false) => vec![n],
                (None, true) => harness::claims::report_names().iter().map(|s| s.to_string()).collect(),
                _ => anyhow::bail!("give one report name or --all (known: {})", harness::claims::report_names().join(", ")),
            };
            let mut failed = 0;
            for n in &names {
                match harness::claims::render_report(n) {
                    Ok(paths) => paths.iter().for_each(|p| println!("wrote {}", p.display())),
                    Err(e) if names.len() == 1 => anyhow::bail!(e),
                    Err(e) => {
                        eprintln!("{n}: {e}");
                        failed += 1;
                    }
                }
            }
            Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::CheckMerge { files, out } => {
            let merged = harness::machines::merge(&files)?;
            let md = harness::machines::render(&merged);
            match out {
                Some(dir) => {
                    std::fs::create_dir_all(&dir)?;
                    std::fs::write(dir.join("machines.json"), serde_json::to_string_pretty(&merged)?)?;
                    std::fs::write(dir.join("machines.md"), md)?;
                    println!("wrote {} and machines.json", dir.join("machines.md").display());
                }
                None => print!("{md}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Check { claims, quick, json, versions, .. } if !versions.is_empty() => {
            let [name] = claims.as_slice() else { anyhow::bail!("--versions takes exactly one claim (got {})", claims.len()) };
            let claim = harness::check::select(std::slice::from_ref(name))?[0];
            let run = harness::versions::check(claim, &versions, quick, &|m| eprintln!("[versions] {m}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&run)?);
            } else {
                print!("{}", harness::versions::table(&run));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bisect { claim, part, from, to, json } => {
            let c = harness::check::select(std::slice::from_ref(&claim))?[0];
            let b = harness::versions::bisect(c, &part, &from, &to, &|m| eprintln!("[bisect] {m}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&b)?);
            } else {
                print!("{}", harness::versions::bisection_text(&b));
            }
            Ok(if b.found.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Check { claims, stale: true, json, .. } => {
            let rows = harness::check::stale(&harness::check::select(&claims)?);
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", harness::check::stale_table(&rows));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Check { claims, quick, full: _, json, label, stale: false, .. } => {
            let selected = harness::check::select(&claims)?;
            let outcomes = harness::check::run(&selected, quick, &label, &|m| eprintln!("[check] {m}"));
            if json {
                println!("{}", serde_json::to_string_pretty(&outcomes)?);
            } else {
                print!("{}", harness::check::table(&outcomes));
            }
            let failures = outcomes.failures();
            for r in &failures {
                let show = |o: Option<harness::claims::verdict::Outcome>| o.map_or_else(|| "none".to_string(), |o| o.label().to_string());
                match r.now {
                    Some(_) => eprintln!("verdict changed: {} {}: committed {}, this run {}", r.claim, r.part, show(r.committed), show(r.now)),
                    None => eprintln!("not judged: {} {}: {}", r.claim, r.part, r.detail),
                }
            }
            Ok(if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Claims { readme: true, .. } => {
            print!("{}", harness::claims::registry::readme_table());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Claims { json, .. } => {
            let rows = harness::claims::pinned_verdicts();
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", harness::claims::verdicts_table(&rows));
            }
            Ok(if rows.iter().all(|r| r.error.is_none()) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::ConvertWhisper { model_bin, tokenizer, out, weights } => {
            let model_bin = match model_bin {
                Some(p) => p,
                None => locate::require(id::WHISPER_CT2)?,
            };
            let tokenizer = match tokenizer {
                Some(p) => p,
                None => locate::require(id::WHISPER_BPE)?,
            };
            let hp = ggml::convert_ct2_whisper(&model_bin, &tokenizer, &out, weights)?;
            let sha = locate::sha256_file(&out)?;
            println!("wrote {} (whisper {}, {:?})\nsha256 {sha}", out.display(), hp.size_name(), hp);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints where each evidence file is; with `promote`, pins it as its
/// report's evidence (otherwise it stays in the scratch store).
fn stored(paths: &[PathBuf], promote: bool) -> anyhow::Result<()> {
    for p in paths {
        if promote {
            let pinned = harness::evidence::store::promote(p)?;
            println!("evidence: {} (pinned in {})", pinned.display(), harness::evidence::store::root().join(harness::evidence::store::INDEX_FILE).display());
        } else {
            println!("evidence: {} (scratch: `harness promote` it to make it a report's evidence)", p.display());
        }
    }
    Ok(())
}

fn bundle(command: BundleCmd) -> anyhow::Result<ExitCode> {
    use harness::bundles::{render, run, upstream};
    match command {
        BundleCmd::List => {
            for b in harness::bundles::spec::all()? {
                let (krate, version) = b.crate_version();
                println!("{:32} {:?} {krate} {version}  ./run.sh {}", b.id, b.kind, b.usage());
            }
            Ok(ExitCode::SUCCESS)
        }
        BundleCmd::Render => {
            let written = render::write_all()?;
            written.iter().for_each(|p| println!("wrote {}", p.display()));
            if written.is_empty() {
                println!("every bundle file is up to date");
            }
            Ok(ExitCode::SUCCESS)
        }
        BundleCmd::Check { ids, quick, against, json } => {
            let bundles = bundles_named(&ids)?;
            let opts = run::Options { quick, against };
            let mut outcomes = Vec::new();
            for (i, b) in bundles.iter().enumerate() {
                eprintln!("[bundle] [{}/{}] {}", i + 1, bundles.len(), b.id);
                // One bundle that cannot run does not stop the others.
                match run::run(b, &opts) {
                    Ok(o) => outcomes.push(o),
                    Err(e) => eprintln!("[bundle] {}: {}", b.id, harness::error_chain::message(&e)),
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&outcomes)?);
            } else {
                for o in &outcomes {
                    println!("{:32} {} {}: {} ({:.0} s)", o.bundle, o.krate, o.version, run::judge(o).describe(), o.wall_s);
                }
            }
            let all = outcomes.len() == bundles.len() && outcomes.iter().all(|o| run::judge(o) == run::Finding::Reproduced);
            Ok(if all { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        BundleCmd::Upstream { ids, quick, promote } => {
            let started_at = harness::evidence::run::now_utc();
            let mut checks = Vec::new();
            for b in bundles_named(&ids)? {
                eprintln!("[bundle] {}: newest published version, then the bundle against it", b.id);
                let c = upstream::check(&b, quick)?;
                let finding = c.outcome.as_ref().map_or("not run".to_string(), |o| run::judge(o).describe().to_string());
                println!("{:32} {} pinned {}, newest {:?}: {finding}; home {}: {:?}", c.bundle, c.krate, c.pinned, c.newest, c.home, c.home_reachable);
                checks.push(c);
            }
            let p = upstream::store(checks, started_at, quick)?;
            stored(&[p], promote)?;
            if promote {
                println!("re-render the bundles to show it: harness bundle render");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
