//! Claim 3 at the seed's sizes (issue #12): FFTs of 512 to 262144 points,
//! with rayon over the frames of an STFT of real speech on 1 and on all
//! threads, and serially and as a
//! single large transform split across threads (the seed's "parallelize
//! butterfly operations", prototyped four-step in `repro/fft-sizes/split.rs`
//! from rustfft's own building blocks), on 1 and on all cores.
//!
//! The program `repro/fft-sizes/main.rs` is built once per rustfft version
//! (a generated manifest pins `rustfft = "=V"`: two 6.x versions cannot
//! share one binary), and each round runs every version's program once, in
//! an order rotated by the round, so the versions and variants are measured
//! side by side and each round's samples pair up. Each program checks that
//! its variants agree before timing them (the STFT on all threads
//! bit-identical to the one on 1; the split transform within 1e-4 of
//! rustfft's).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{io, output, ExperimentError};
use crate::evidence::store::{self, Evidence};

/// Experiment id (evidence folder).
pub const EXPERIMENT: &str = "fft-sizes";
/// The FFT sizes measured: the seed's "2048-4096 point FFTs" and "n > 4096"
/// from 512 to 16384 (issue #12), and two larger sizes to find where a
/// split transform starts to pay on this machine.
pub const SIZES: &[usize] = &[512, 1024, 2048, 4096, 8192, 16384, 65536, 262144];
/// The seed's team's version (claim 3: "rustfft v6.2"), newest 6.2 release.
pub const SEED_VERSION: &str = "6.2.0";
/// Variant names the program prints.
pub const VARIANTS: &[&str] = &["frames-1", "frames-n", "single-serial", "mixed-radix", "split-1", "split-n"];

/// One size's samples on one version, index i from round i (paired).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SizeSamples {
    pub n: usize,
    /// The split's `n1 x n2`.
    pub factors: (usize, usize),
    /// STFT frames (hop n/4) in a `frames-*` sample.
    pub frames: usize,
    /// Single transforms in a `single-serial` / `split-*` sample.
    pub reps: usize,
    /// Whole STFTs in a `frames-*` sample.
    #[serde(default)]
    pub passes: usize,
    /// Largest relative error of the split against rustfft over the rounds
    /// (NaN when no round reported one).
    pub split_error: f64,
    /// The most the STFT's blocks of frames can gain on the threads used.
    #[serde(default)]
    pub frames_limit: f64,
    /// Nanoseconds per sample, by variant.
    pub ns: BTreeMap<String, Vec<f64>>,
}

/// One rustfft version's run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VersionRun {
    /// As asked (`6.2.0`).
    pub version: String,
    /// As the build's lock resolved it.
    pub resolved: Option<String>,
    /// Why it did not build or run (cargo's or the program's first error).
    pub error: Option<String>,
    pub sizes: Vec<SizeSamples>,
}

/// The measured data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Data {
    /// Threads of the parallel variants (this machine's cores).
    pub threads: usize,
    pub rounds: usize,
    /// Seconds of speech the STFTs cover.
    pub audio_s: f64,
    pub versions: Vec<VersionRun>,
}

impl store::DataSchema for Data {
    const VERSION: u32 = 1;
}

impl Data {
    /// A version's samples of one size.
    pub fn size(&self, version: &str, n: usize) -> Option<&SizeSamples> {
        self.versions.iter().find(|v| v.resolved.as_deref() == Some(version))?.sizes.iter().find(|s| s.n == n)
    }
}

/// The versions measured by default: the seed's and the workspace's.
pub fn default_versions() -> Vec<String> {
    let lock = crate::lockfile::Lock::read(&crate::paths::workspace_root().join("Cargo.lock")).ok();
    let workspace = lock.as_ref().and_then(|l| l.version("rustfft")).unwrap_or("6.4.1").to_string();
    vec![SEED_VERSION.to_string(), workspace]
}

/// Runs the experiment on the default versions.
pub fn run(repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    run_versions(&default_versions(), repeats, quick, progress)
}

/// Runs the experiment on `versions` of rustfft; a version that does not
/// build or run is recorded with its reason while the others run.
pub fn run_versions(versions: &[String], repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
    let dir = crate::paths::workspace_root().join("target/fft-sizes");
    let audio_file = dir.join("speech.f32");
    let audio_s = write_speech(&audio_file, progress)?;
    let threads = crate::scenario::budget::available_cores().max(1);
    let rounds = if quick { 2 } else { repeats };
    let mut runs: Vec<(VersionRun, Option<PathBuf>)> = Vec::new();
    for v in versions {
        progress(&format!("rustfft {v}: building the program"));
        runs.push(match build(&dir, v) {
            Ok((exe, resolved)) => (VersionRun { version: v.clone(), resolved: Some(resolved), ..Default::default() }, Some(exe)),
            Err(e) => (VersionRun { version: v.clone(), error: Some(e), ..Default::default() }, None),
        });
    }
    let sizes = SIZES.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(",");
    for round in 0..rounds {
        progress(&format!("round {} of {rounds}", round + 1));
        for k in 0..runs.len() {
            let (run, exe) = &mut runs[(k + round) % versions.len().max(1)];
            let Some(e) = exe.clone() else { continue };
            match run_program(&e, &audio_file, threads, &sizes, round) {
                Ok(out) => add_round(run, out),
                Err(why) => {
                    run.error = Some(why);
                    *exe = None;
                }
            }
        }
    }
    let data = Data { threads, rounds, audio_s, versions: runs.into_iter().map(|(r, _)| r).collect() };
    let evidence = Evidence::new(
        EXPERIMENT,
        started_at,
        serde_json::json!({ "rounds": rounds, "quick": quick, "sizes": SIZES, "threads": threads, "versions": versions }),
        vec![],
        data,
    );
    store::write_new(EXPERIMENT, &evidence).map_err(io(&store::scratch_root()))
}

/// The five librivox clips, decoded to 16 kHz, as raw f32 for the program.
fn write_speech(file: &Path, progress: &dyn Fn(&str)) -> Result<f64, ExperimentError> {
    progress("decoding the speech clips");
    let mut audio = Vec::new();
    for c in crate::media::speech_clips() {
        audio.extend(crate::stages::decode::read_audio_16k(&c)?);
    }
    let bytes: Vec<u8> = audio.iter().flat_map(|x| x.to_le_bytes()).collect();
    let parent = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    std::fs::write(file, bytes).map_err(io(file))?;
    Ok(audio.len() as f64 / crate::stages::mel::WHISPER_SAMPLE_RATE as f64)
}

/// Builds the program against `rustfft = "=version"`; the executable and
/// the version resolved, or cargo's first error.
fn build(dir: &Path, version: &str) -> Result<(PathBuf, String), String> {
    let root = crate::paths::workspace_root();
    let project = dir.join(format!("rustfft-{version}"));
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", project.display());
    std::fs::create_dir_all(&project).map_err(|e| fail(&e))?;
    crate::manifest::Manifest::package("fft-sizes", "experiments::fft_sizes")
        .bin("fft-sizes", &root.join("repro/fft-sizes/main.rs"))
        .dependency("rustfft", crate::manifest::exact(version, &[], true))
        .dependency("rayon", "1".into())
        .dependency("transpose", "0.2".into())
        .dependency("serde_json", "1".into())
        .write(&project)
        .map_err(|e| fail(&e))?;
    // Start from the workspace's resolution so shared dependencies keep the harness's versions.
    if !project.join("Cargo.lock").exists() {
        std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock")).map_err(|e| fail(&e))?;
    }
    let mut cmd = crate::process::cargo();
    cmd.args(["build", "--release", "--quiet", "--message-format=json"]).current_dir(&project).env("CARGO_TARGET_DIR", project.join("target"));
    let o = crate::process::output(&mut cmd, crate::process::limit::BUILD).map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(format!("rustfft {version} does not build: {}", crate::process::cargo_output::first_error_json(&o.stdout, &o.stderr_text(), 12)));
    }
    let lock = crate::lockfile::Lock::read(&project.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let resolved = lock.version("rustfft").ok_or_else(|| fail(&"no rustfft in the build's Cargo.lock"))?.to_string();
    Ok((project.join("target/release/fft-sizes"), resolved))
}

/// One round of the program; its JSON, or why it failed.
fn run_program(exe: &Path, audio: &Path, threads: usize, sizes: &str, round: usize) -> Result<serde_json::Value, String> {
    let mut cmd = std::process::Command::new(exe);
    cmd.arg(audio).arg(threads.to_string()).arg(sizes).arg(round.to_string());
    let o = crate::process::checked(&mut cmd, crate::process::limit::PROBE).map_err(|e| e.to_string())?;
    serde_json::from_slice(&o.stdout).map_err(|e| output(exe.display())(e).to_string())
}

/// Appends one round's samples to a version's.
fn add_round(run: &mut VersionRun, out: serde_json::Value) {
    for s in out["sizes"].as_array().into_iter().flatten() {
        let Some(n) = s["n"].as_u64().map(|n| n as usize) else { continue };
        let idx = match run.sizes.iter().position(|x| x.n == n) {
            Some(i) => i,
            None => {
                let f = |k: usize| s["factors"][k].as_u64().unwrap_or(0) as usize;
                run.sizes.push(SizeSamples {
                    n,
                    factors: (f(0), f(1)),
                    frames: s["frames"].as_u64().unwrap_or(0) as usize,
                    reps: s["reps"].as_u64().unwrap_or(0) as usize,
                    passes: s["passes"].as_u64().unwrap_or(1) as usize,
                    frames_limit: s["frames_limit"].as_f64().unwrap_or(f64::NAN),
                    split_error: f64::NAN,
                    ..Default::default()
                });
                run.sizes.len() - 1
            }
        };
        let size = &mut run.sizes[idx];
        let err = s["split_error_1"].as_f64().unwrap_or(f64::NAN).max(s["split_error_n"].as_f64().unwrap_or(f64::NAN));
        // NaN stays NaN only while no round reported an error (f64::max ignores NaN).
        size.split_error = size.split_error.max(err);
        for v in VARIANTS {
            if let Some(ns) = s["ns"][*v].as_f64() {
                size.ns.entry(v.to_string()).or_default().push(ns);
            }
        }
    }
    run.sizes.sort_by_key(|s| s.n);
}

#[cfg(test)]
#[path = "../../../repro/fft-sizes/split.rs"]
mod split;

#[cfg(test)]
mod tests {
    use rustfft::num_complex::Complex;

    use super::split::{relative_error, SplitFft};

    fn spectrum_agrees(n: usize, threads: usize) -> f64 {
        let input: Vec<Complex<f32>> = (0..n).map(|i| Complex::new(((i * 7919) % 1000) as f32 / 500.0 - 1.0, 0.0)).collect();
        let mut reference = input.clone();
        rustfft::FftPlanner::new().plan_fft_forward(n).process(&mut reference);
        let split = SplitFft::new(n).expect("splits");
        let mut scratch = vec![vec![Complex::default(); split.scratch_len()]; threads];
        let (mut x, mut work) = (input, vec![Complex::default(); n]);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| split.process(&mut x, &mut work, &mut scratch));
        relative_error(&x, &reference)
    }

    #[test]
    fn the_split_transform_equals_rustffts_at_every_size_and_thread_count() {
        for n in super::SIZES.iter().copied().filter(|&n| n <= 65536).chain([400, 12, 4]) {
            for threads in [1, 2, 3] {
                let e = spectrum_agrees(n, threads);
                assert!(e < 1e-5, "n = {n}, {threads} threads: relative error {e:e}");
            }
        }
    }

    #[test]
    fn a_size_that_cannot_be_split_is_refused() {
        assert!(SplitFft::new(13).is_none());
        assert!(SplitFft::new(2).is_none());
        assert_eq!(SplitFft::new(2048).unwrap().factors(), (32, 64));
    }

    #[test]
    fn a_broken_transform_would_be_caught() {
        let a = vec![Complex::new(1.0f32, 0.0); 8];
        let mut b = a.clone();
        b[3] = Complex::new(1.1, 0.0);
        assert!(relative_error(&b, &a) > 0.09);
    }
}
