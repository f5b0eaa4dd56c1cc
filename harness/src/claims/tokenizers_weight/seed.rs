//! Claim 8's figures from the seed, each against this machine's
//! measurement of the seed's version (tokenizers 0.20.x; the workspace's
//! version when 0.20 was not built), by `claims::seed_figures::judge`.

use super::{figures_for, main_version, versions, VERSIONS};
use crate::claims::seed_figures::{Claimed, Row};
use crate::experiments::tokenizer_weight::Data;

/// The version the seed's figures are judged on.
pub fn judged_version(d: &Data) -> String {
    versions(d).into_iter().rev().find(|v| crate::claims::ledger::is_seed(VERSIONS.seed, v)).unwrap_or_else(|| main_version(d))
}

/// One row per figure of the seed's claim 8 (empty when the version's
/// default build or the light crate did not compile; the table then says so).
pub fn rows(d: &Data, rel: &str) -> Vec<Row> {
    let v = judged_version(d);
    let Ok(f) = figures_for(d, rel, &v) else { return vec![] };
    let mb = |b: u64| b as f64 / 1e6;
    let deps = |packages: usize| packages.saturating_sub(1) as f64;
    let full_mb = mb(f.full.binary_bytes);
    let light_mb = mb(f.light.binary_bytes);
    vec![
        Row {
            quote: "5MB compiled size",
            claimed: Claimed::About(5.0),
            measured: Some(full_mb),
            interval: None,
            shown: format!("{full_mb:.1} MB (tokenizers {v} default, release binary; {:.1} MB stripped)", mb(f.full.stripped_bytes)),
        },
        Row {
            quote: "50+ dependencies",
            claimed: Claimed::AtLeast(50.0),
            // The lock lists every platform's packages: an upper bound cannot confirm "at least".
            measured: f.full.compiled_packages.map(deps),
            interval: None,
            shown: match f.full.compiled_packages {
                Some(n) => format!("{} packages compiled besides the program (host target, normal and build dependencies)", deps(n)),
                None => "not in this evidence: only the lock file's count, which lists every platform's packages".into(),
            },
        },
        Row {
            quote: "90 second compile time",
            claimed: Claimed::About(90.0),
            measured: Some(f.full.compile_s),
            interval: None,
            shown: format!("{:.0} s clean release build (median of {}; this machine's cores, see Environment)", f.full.compile_s, f.full.builds),
        },
        Row {
            quote: "Minimal WordPiece tokenizer (30KB",
            claimed: Claimed::About(0.03),
            measured: None,
            interval: None,
            shown: format!(
                "the seed's proposed crate does not exist; the smallest existing WordPiece program here (`bert_tokenizer` {}) is {light_mb:.2} MB, std and I/O included",
                f.light_version
            ),
        },
        Row {
            quote: "zero deps",
            claimed: Claimed::AtMost(0.0),
            measured: None,
            interval: None,
            shown: format!(
                "the seed's proposed crate does not exist; `bert_tokenizer` {} compiles {}",
                f.light_version,
                f.light.compiled_packages.map_or("an unrecorded number of packages".to_string(), |n| format!("{} packages besides the program", deps(n)))
            ),
        },
        Row {
            quote: "150x smaller (30KB vs 5MB)",
            claimed: Claimed::About(150.0),
            measured: Some(full_mb / light_mb),
            interval: None,
            shown: format!(
                "{:.1}x against the smallest existing WordPiece crate (tokenizers {v} default / `bert_tokenizer`, whole release binaries, std included)",
                full_mb / light_mb
            ),
        },
        Row {
            quote: "180x faster compile (0.5s vs 90s)",
            claimed: Claimed::About(180.0),
            measured: Some(f.full.compile_s / f.light.compile_s),
            interval: None,
            shown: format!(
                "{:.1}x against the smallest existing WordPiece crate ({:.0} s vs {:.1} s)",
                f.full.compile_s / f.light.compile_s,
                f.full.compile_s,
                f.light.compile_s
            ),
        },
    ]
}

#[cfg(test)]
mod tests {
    use crate::evidence::store::{self, Evidence};

    #[test]
    fn every_row_quotes_the_seed_verbatim_and_is_judged() {
        let seed = std::fs::read_to_string(crate::paths::workspace_root().join(crate::claims::registry::SEED_FILE)).expect("the seed lies in ../shared");
        let path = store::pinned(super::super::CLAIM).expect("claim 8's evidence is pinned");
        let ev: Evidence<super::Data> = store::read(&path).unwrap();
        let rows = super::rows(&ev.data, "pinned");
        assert_eq!(rows.len(), 7, "one row per figure the seed gives");
        for r in &rows {
            assert!(seed.contains(r.quote), "not verbatim in the seed: {:?}", r.quote);
            assert!(!r.shown.is_empty(), "{}", r.quote);
        }
    }
}
