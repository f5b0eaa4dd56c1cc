//! Claim 4's anchor, side by side (issue #12): libjpeg-turbo's own
//! `tjbench` (Debian's libjpeg-turbo, a process per measurement) and the
//! Rust decoders (in this process: mozjpeg-sys's libjpeg-turbo, image 0.25
//! with zune-jpeg, image 0.24 with jpeg-decoder) decoding the same images
//! to RGB8 on one thread each, interleaved: every round times every way on
//! every image, the ways' order rotating by round, so a round's figures
//! pair up and drift of the machine cancels in their ratios.
//!
//! Correctness first: Debian's `djpeg` must decode every image to the same
//! pixels as mozjpeg-sys (PSNR >= [`MIN_PSNR_DB`]), and so must every Rust
//! decoder, before anything is timed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::error::{io, ExperimentError};
use crate::evidence::store::{self, Evidence};
use crate::stages::jpeg::{decode_rgb, psnr, JpegDecoder};

/// Experiment id (evidence folder).
pub const EXPERIMENT: &str = "jpeg-tjbench";
/// The way that is libjpeg-turbo's own benchmark.
pub const TJBENCH: &str = "tjbench";
/// The decoders timed in this process, beside `tjbench`.
pub const DECODERS: [JpegDecoder; 3] = [JpegDecoder::Mozjpeg, JpegDecoder::Image, JpegDecoder::Image024];
/// Seconds each way decodes one image per round (after as long a warm-up
/// for the in-process decoders, and tjbench's own `-warmup`).
pub const SECONDS: f64 = 1.0;
const WARMUP: f64 = 0.5;
/// Decoders that agree with libjpeg-turbo reach this PSNR (the bench's bar).
pub const MIN_PSNR_DB: f64 = 40.0;
/// The picture made from the pipeline's generated video is SYNTHETIC.
pub const SYNTHETIC_IMAGE: &str = "keyframe-640x360-SYNTHETIC-picture";

/// One image of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageInfo {
    pub name: String,
    pub width: usize,
    pub height: usize,
    /// Debian's `djpeg` against mozjpeg-sys, and each Rust decoder against
    /// mozjpeg-sys (`None`: identical pixels, an infinite PSNR, which JSON
    /// cannot hold).
    pub psnr_db: BTreeMap<String, Option<f64>>,
}

/// The measured data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Data {
    /// Debian's libjpeg-turbo package (`libturbojpeg0`, which tjbench links).
    pub debian_libjpeg_turbo: String,
    /// The mozjpeg-sys crate (its vendored libjpeg-turbo fork) in Cargo.lock.
    pub mozjpeg_sys: String,
    /// The image versions in Cargo.lock.
    pub image_versions: String,
    pub images: Vec<ImageInfo>,
    /// Megapixels per second by image, then way, index = round.
    pub mpixels_per_s: BTreeMap<String, BTreeMap<String, Vec<f64>>>,
}

impl store::DataSchema for Data {
    const VERSION: u32 = 1;
}

impl Data {
    /// The ways in this evidence.
    pub fn ways(&self) -> Vec<String> {
        std::iter::once(TJBENCH.to_string()).chain(DECODERS.iter().map(|d| d.name().to_string())).collect()
    }
}

/// The images: the bench's photos as shipped, the coffee photo re-encoded
/// two ways by mozjpeg, and the pipeline's first keyframe of the generated
/// video (SYNTHETIC picture), as files, since tjbench reads files.
pub fn image_files() -> Result<Vec<(String, PathBuf)>, ExperimentError> {
    use crate::models::{catalog::id, locate};
    use crate::stages::jpeg::{encode_rgb, EncodeOptions, Subsampling};
    let mut v = Vec::new();
    for (name, aid) in [("rocket-640x427", id::PHOTO_ROCKET), ("hubble-1000x872", id::PHOTO_HUBBLE), ("retina-1411x1411", id::PHOTO_RETINA)] {
        v.push((name.to_string(), locate::require(aid)?));
    }
    let coffee = image::open(locate::require(id::PHOTO_COFFEE)?)?.to_rgb8();
    let dir = crate::paths::cache_dir().join("anchors");
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    for (name, opts) in [
        ("coffee-q85-420-baseline", EncodeOptions { quality: 85.0, subsampling: Subsampling::S420, progressive: false }),
        ("coffee-q85-444-progressive", EncodeOptions { quality: 85.0, subsampling: Subsampling::S444, progressive: true }),
    ] {
        let bytes = encode_rgb(coffee.as_raw(), coffee.width() as usize, coffee.height() as usize, opts)?;
        let p = dir.join(format!("{name}.jpg"));
        std::fs::write(&p, bytes).map_err(io(&p))?;
        v.push((name.to_string(), p));
    }
    let quality = crate::scenario::Jpeg::default().quality;
    let video = locate::require(id::VIDEO_MP4)?;
    if let Some((_, bytes)) = crate::pipeline::keyframes::pipeline_keyframes(&video, quality, 1)?.pop() {
        let p = dir.join(format!("{SYNTHETIC_IMAGE}.jpg"));
        std::fs::write(&p, bytes).map_err(io(&p))?;
        v.push((SYNTHETIC_IMAGE.to_string(), p));
    }
    Ok(v)
}

/// The throughput `tjbench` prints for decompression, in megapixels per second.
pub fn parse_tjbench(stdout: &str) -> Option<f64> {
    let after = stdout.split("Decompress").nth(1)?;
    after.lines().find(|l| l.contains("Throughput"))?.split_whitespace().find_map(|w| w.parse::<f64>().ok())
}

fn missing_tool(tool: &str) -> ExperimentError {
    ExperimentError::Input { input: tool.into(), problem: "not found; fix: apt-get install libjpeg-turbo-progs (Debian's libjpeg-turbo tools)".into() }
}

/// Debian's libjpeg-turbo decodes `path` (djpeg, to PPM): RGB8 pixels.
fn djpeg_pixels(path: &std::path::Path) -> Result<Vec<u8>, ExperimentError> {
    let mut cmd = Command::new("djpeg");
    cmd.args(["-ppm"]).arg(path);
    let out = crate::process::checked(&mut cmd, crate::process::limit::TOOL).map_err(|e| match e {
        crate::process::ProcessError::Start { .. } => missing_tool("djpeg"),
        other => other.into(),
    })?;
    let img = image::load_from_memory_with_format(&out.stdout, image::ImageFormat::Pnm)?;
    Ok(img.to_rgb8().into_raw())
}

/// One tjbench measurement of `path`: megapixels per second decoding to RGB.
fn tjbench(path: &std::path::Path) -> Result<f64, ExperimentError> {
    let mut cmd = Command::new("tjbench");
    cmd.arg(path).args(["-rgb", "-nowrite", "-benchtime", &SECONDS.to_string(), "-warmup", &WARMUP.to_string()]);
    let out = crate::process::checked(&mut cmd, crate::process::limit::TOOL).map_err(|e| match e {
        crate::process::ProcessError::Start { .. } => missing_tool("tjbench"),
        other => other.into(),
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_tjbench(&text).ok_or_else(|| ExperimentError::Input {
        input: format!("tjbench {}", path.display()),
        problem: format!("no decompression throughput in its output: {text}"),
    })
}

/// Decodes for `seconds` after a warm-up: megapixels per second.
fn time_decoder(decoder: JpegDecoder, jpeg: &[u8], out: &mut Vec<u8>) -> Result<f64, ExperimentError> {
    let mut run_for = |secs: f64| -> Result<(u64, Duration, u64), ExperimentError> {
        let (start, mut n, mut px) = (Instant::now(), 0u64, 0u64);
        while start.elapsed().as_secs_f64() < secs {
            let d = decode_rgb(decoder, jpeg, out)?;
            px += (d.width * d.height) as u64;
            n += 1;
        }
        Ok((n, start.elapsed(), px))
    };
    run_for(WARMUP)?;
    let (_, elapsed, px) = run_for(SECONDS)?;
    Ok(px as f64 / elapsed.as_secs_f64() / 1e6)
}

/// Every way must decode `jpeg` to libjpeg-turbo's pixels before it is timed.
fn check_agreement(name: &str, path: &std::path::Path, jpeg: &[u8]) -> Result<ImageInfo, ExperimentError> {
    let mut reference = Vec::new();
    let d = decode_rgb(JpegDecoder::Mozjpeg, jpeg, &mut reference)?;
    // Different sizes are a disagreement of their own (psnr needs equal sizes).
    let against = |way: &str, px: &[u8]| {
        if px.len() == reference.len() {
            Ok(psnr(px, &reference))
        } else {
            Err(ExperimentError::Disagree { what: format!("{name}: {way} gives {} bytes of RGB, mozjpeg-sys {}", px.len(), reference.len()) })
        }
    };
    let mut psnr_db = BTreeMap::new();
    psnr_db.insert(TJBENCH.to_string(), against("Debian's djpeg", &djpeg_pixels(path)?)?);
    for dec in DECODERS.iter().filter(|d| **d != JpegDecoder::Mozjpeg) {
        let mut out = Vec::new();
        decode_rgb(*dec, jpeg, &mut out)?;
        psnr_db.insert(dec.name().to_string(), against(dec.name(), &out)?);
    }
    if let Some((way, db)) = psnr_db.iter().find(|(_, db)| **db < MIN_PSNR_DB) {
        let who = if way == TJBENCH { "Debian's djpeg (the libjpeg-turbo tjbench runs)".to_string() } else { way.clone() };
        return Err(ExperimentError::Disagree { what: format!("{name}: {who} against mozjpeg-sys at {db:.1} dB (< {MIN_PSNR_DB} dB)") });
    }
    let psnr_db = psnr_db.into_iter().map(|(w, db)| (w, db.is_finite().then_some(db))).collect();
    Ok(ImageInfo { name: name.to_string(), width: d.width, height: d.height, psnr_db })
}

fn debian_version(package: &str) -> String {
    let mut cmd = Command::new("dpkg-query");
    cmd.args(["-W", "-f=${Version}", package]);
    match crate::process::checked(&mut cmd, crate::process::limit::TOOL) {
        Ok(o) => format!("{package} {}", String::from_utf8_lossy(&o.stdout).trim()),
        Err(_) => format!("{package}: unknown (no Debian package database)"),
    }
}

fn versions(lock: &crate::lockfile::Lock, name: &str) -> String {
    lock.named(name).map(|p| format!("{name} {}", p.version)).collect::<Vec<_>>().join(", ")
}

/// Runs the experiment: `repeats` rounds (2 with `quick`).
pub fn run(repeats: usize, quick: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, ExperimentError> {
    let started_at = crate::evidence::run::now_utc();
    let rounds = super::balanced_rounds(if quick { 2 } else { repeats.max(2) }, Data::default().ways().len());
    let lock = crate::lockfile::Lock::read(&crate::paths::workspace_root().join("Cargo.lock"))?;
    let files = image_files()?;
    let mut images = Vec::new();
    let mut jpegs = Vec::new();
    for (name, path) in &files {
        let jpeg = std::fs::read(path).map_err(io(path))?;
        images.push(check_agreement(name, path, &jpeg)?);
        jpegs.push(jpeg);
    }
    let ways = Data::default().ways();
    progress(&format!("tjbench and {} decoders on {} images: {rounds} rounds of about {:.0} s", DECODERS.len(), files.len(), files.len() * ways.len() * 2));
    let mut mps: BTreeMap<String, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    let mut out = Vec::new();
    for round in 0..rounds {
        progress(&format!("round {}/{rounds}", round + 1));
        for ((name, path), jpeg) in files.iter().zip(&jpegs) {
            for k in super::rotated_order(ways.len(), round) {
                let v = match k {
                    0 => tjbench(path)?,
                    k => time_decoder(DECODERS[k - 1], jpeg, &mut out)?,
                };
                mps.entry(name.clone()).or_default().entry(ways[k].clone()).or_default().push(v);
            }
        }
    }
    let data = Data {
        debian_libjpeg_turbo: debian_version("libturbojpeg0"),
        mozjpeg_sys: versions(&lock, "mozjpeg-sys"),
        image_versions: versions(&lock, "image"),
        images,
        mpixels_per_s: mps,
    };
    let synthetic = files.iter().filter(|(n, _)| n == SYNTHETIC_IMAGE).map(|(n, _)| n.clone()).collect();
    let evidence =
        Evidence::new(EXPERIMENT, started_at, serde_json::json!({ "rounds": rounds, "quick": quick, "seconds": SECONDS, "warmup": WARMUP }), synthetic, data);
    store::write_new(EXPERIMENT, &evidence).map_err(io(&store::scratch_root()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tjbench_throughput_is_read_from_the_decompression_block() {
        let out = "Image size: 640 x 427\nDecompress    --> Frame rate:         512.3 fps\n                  Throughput:          140.01 Megapixels/sec\n";
        assert_eq!(parse_tjbench(out), Some(140.01));
        assert_eq!(parse_tjbench("Compress --> Throughput: 9.0 Megapixels/sec\n"), None, "compression's figure is not decompression's");
    }
}
