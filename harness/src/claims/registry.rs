//! The claim registry: every claim the harness judges, as one value each.
//! `ALL` is the one list; the CLI's names, `harness report --all`,
//! `harness claims`, the tests that loop over claims and README's claims
//! table are derived from it. A new claim is one module implementing
//! [`Claim`] and one line in `ALL`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::verdict::Verdict;
use crate::evidence::store;
use crate::report::Page;

/// How a claim's evidence is produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `harness experiment NAME`.
    Experiment(&'static str),
    /// `cargo bench --bench NAME`, then `harness bench-import CLAIM`.
    Bench(&'static str),
    /// `harness repro NAME`.
    Repro(&'static str),
    /// Read from another claim's evidence; nothing runs for it.
    Derived(&'static str),
}

impl Method {
    /// The command that produces the evidence, as a user types it.
    pub fn command(self, claim: &str) -> String {
        match self {
            Method::Experiment(n) => format!("harness experiment {n}"),
            Method::Bench(b) => format!("cargo bench --bench {b} && harness bench-import {claim}"),
            Method::Repro(n) => format!("harness repro {n}"),
            Method::Derived(from) => format!("derived from {from}"),
        }
    }
}

/// One part of a claim: what the seed says, as a question the rule answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub id: &'static str,
    pub question: &'static str,
}

/// The evidence files a claim reads, by experiment name.
#[derive(Debug, Clone, Default)]
pub struct Sources(BTreeMap<String, PathBuf>);

impl Sources {
    /// The pinned evidence of every experiment `claim` reads; a missing pin
    /// names the command that measures it.
    pub fn pinned(claim: &dyn Claim) -> Result<Self, crate::claims::ClaimError> {
        // A broken index is its own error, not "nothing pinned".
        store::load_index()?;
        let mut m = BTreeMap::new();
        for n in claim.evidence() {
            let how = match claim.method() {
                Method::Derived(from) => find(from).map_or_else(|| from.to_string(), |c| c.method().command(c.id())),
                // A claim reading several experiments names the one missing.
                Method::Experiment(_) if crate::experiments::ALL.iter().any(|e| e.name == *n) => format!("harness experiment {n}"),
                other => other.command(claim.id()),
            };
            let p = store::pinned(n).ok_or_else(|| store::not_pinned(n, &how))?;
            m.insert(n.to_string(), p);
        }
        Ok(Sources(m))
    }

    /// The pinned evidence, each experiment pinned from several machines
    /// read from the pin of `here`'s machine where there is one
    /// (`store::pinned_for`): what `harness check` compares with.
    pub fn pinned_for(claim: &dyn Claim, here: &crate::evidence::environment::Environment) -> Result<Self, crate::claims::ClaimError> {
        let mut sources = Self::pinned(claim)?;
        for n in claim.evidence() {
            if let Some(p) = store::pinned_for(n, here) {
                sources = sources.with(n, p);
            }
        }
        Ok(sources)
    }

    /// These sources, with `name` read from `path` instead.
    pub fn with(mut self, name: &str, path: PathBuf) -> Self {
        self.0.insert(name.to_string(), path);
        self
    }

    /// The file of experiment `name`.
    pub fn get(&self, name: &str) -> Result<&Path, crate::claims::ClaimError> {
        self.0.get(name).map(PathBuf::as_path).ok_or_else(|| crate::claims::ClaimError::NoSource { experiment: name.to_string() })
    }
}

/// What a claim is, as data: who it is about and how it is measured.
#[derive(Debug, Clone, Copy)]
pub struct Info {
    /// The id, also the report's name (`harness report ID`).
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    /// The seed's claim number; `None` for a defect found on the way.
    pub seed: Option<u8>,
    /// The upstream crate the claim is about.
    pub upstream: &'static str,
    /// How its evidence is produced.
    pub method: Method,
    /// The experiments whose pinned evidence it reads.
    pub evidence: &'static [&'static str],
    /// Its parts, in report order.
    pub parts: &'static [Part],
    /// The seed's own lines, verbatim (a test checks each against the seed
    /// file); empty for a defect found on the way.
    pub seed_quote: &'static [&'static str],
}

/// The upstream versions a claim is measured on (the version ledger).
#[derive(Debug, Clone, Copy)]
pub struct Versions {
    /// The version the seed names ("0.25", "2.0.0-rc.10"): a measured
    /// version is the seed's when it equals it or extends it (`0.25.10`).
    pub seed: &'static str,
    /// Versions the claim's experiment compiles in (one binary measures
    /// both); empty when the claim builds whatever version it is asked.
    pub built_in: &'static [&'static str],
}

impl Versions {
    /// Whether `version` is the seed's.
    pub fn is_seed(&self, version: &str) -> bool {
        super::ledger::is_seed(self.seed, version)
    }
}

/// Judges one part on one published version with one cheap build (a
/// compile probe): what `harness bisect` calls per step.
pub type VersionJudge = fn(&str, &dyn Fn(&str)) -> Result<Verdict, crate::claims::ClaimError>;

/// A claim: what the seed says, how it is measured, the rules that decide
/// each part, and the report.
pub trait Claim: Sync {
    /// The claim as data.
    fn info(&self) -> &'static Info;
    /// Measures the claim anew into the scratch store; returns the evidence
    /// files written, by experiment name (a derived claim measures nothing).
    fn measure(&self, quick: bool, progress: &dyn Fn(&str)) -> Result<Vec<(String, PathBuf)>, crate::claims::ClaimError>;
    /// One verdict per part, from the evidence, by the claim's rules.
    fn judge(&self, sources: &Sources) -> Result<Vec<Verdict>, crate::claims::ClaimError>;
    /// The report pages (file name and page) from the same evidence.
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError>;

    /// The id, also the report's name.
    fn id(&self) -> &'static str {
        self.info().id
    }
    /// The seed's claim number.
    fn seed_number(&self) -> Option<u8> {
        self.info().seed
    }
    /// How its evidence is produced.
    fn method(&self) -> Method {
        self.info().method
    }
    /// The experiments whose pinned evidence it reads.
    fn evidence(&self) -> &'static [&'static str] {
        self.info().evidence
    }
    /// Its parts, in report order.
    fn parts(&self) -> &'static [Part] {
        self.info().parts
    }
    /// The versions it is measured on; `None` when it has no ledger.
    fn versions(&self) -> Option<&'static Versions> {
        None
    }
    /// Each part's verdict per upstream version measured (the ledger);
    /// empty when the evidence covers one version.
    fn ledger(&self, _sources: &Sources) -> Result<Vec<super::ledger::Entry>, crate::claims::ClaimError> {
        Ok(vec![])
    }
    /// Measures the claim on exact `versions` of its upstream crate. By
    /// default: the claim's own measurement when every version asked is
    /// one it compiles in, else an error naming those.
    fn measure_versions(&self, versions: &[String], quick: bool, progress: &dyn Fn(&str)) -> Result<Vec<(String, PathBuf)>, crate::claims::ClaimError> {
        let built_in = self.versions().map_or(&[][..], |v| v.built_in);
        match versions.iter().find(|v| !built_in.contains(&v.as_str())) {
            None if !built_in.is_empty() => self.measure(quick, progress),
            missing => Err(crate::claims::ClaimError::Versions {
                claim: self.id().to_string(),
                asked: missing.cloned().unwrap_or_default(),
                available: if built_in.is_empty() { "none (this claim has no version ledger)".into() } else { built_in.join(", ") },
            }),
        }
    }
    /// The per-version judge of `part`, when one cheap build decides it.
    fn version_judge(&self, _part: &str) -> Option<VersionJudge> {
        None
    }
}

/// The crate a claim is about: the first word of `Info::upstream`.
pub fn upstream_crate(claim: &dyn Claim) -> &'static str {
    claim.info().upstream.split_whitespace().next().unwrap_or("")
}

/// Every claim, in the seed's order.
pub static ALL: &[&dyn Claim] = &[
    &super::whisper_rs_race::RaceClaim,
    &super::ort_mutex::OrtMutexClaim,
    &super::rustfft_parallel::RustfftClaim,
    &super::image_jpeg::ImageJpegClaim,
    &super::whisper_batch::BatchClaim,
    &super::ort_tensor_copy::TensorCopyClaim,
    &super::ffmpeg_swscale::SwscaleClaim,
    &super::tokenizers_weight::TokenizersClaim,
    &super::whisper_rs_abort_callback::AbortCallbackClaim,
];

/// The claim with id `id`.
pub fn find(id: &str) -> Option<&'static dyn Claim> {
    ALL.iter().copied().find(|c| c.id() == id)
}

/// Every claim id, for help texts and errors.
pub fn ids() -> Vec<&'static str> {
    ALL.iter().map(|c| c.id()).collect()
}

/// The claims table README.md carries (a test checks it matches).
pub fn readme_table() -> String {
    let mut s = String::from("| claim | seed | upstream | measured by | parts |\n|---|---|---|---|---|\n");
    for c in ALL {
        let seed = c.seed_number().map_or("found on the way".to_string(), |n| n.to_string());
        let parts = c.parts().iter().map(|p| format!("`{}`", p.id)).collect::<Vec<_>>().join(", ");
        let how = match c.method() {
            Method::Derived(_) => c.method().command(c.id()),
            m => format!("`{}`", m.command(c.id())),
        };
        s += &format!("| `{}`: {} | {} | {} | {how} | {parts} |\n", c.id(), c.info().title, seed, c.info().upstream);
    }
    s
}

/// Where the seed document lies, relative to the workspace.
pub const SEED_FILE: &str = "../shared/seeds/000_3734ee3ba5c02f54.txt";

/// A report's "The claim" section: the seed's lines, verbatim.
pub fn seed_section(info: &Info) -> String {
    if info.seed_quote.is_empty() {
        return "Not one of the seed's claims.\n\n".into();
    }
    let mut s = String::new();
    for q in info.seed_quote {
        s += &format!("> {q}\n>\n");
    }
    s += &format!("> (the seed, claim {}, verbatim: `{SEED_FILE}`)\n\n", info.seed.map_or("-".to_string(), |n| n.to_string()));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quote_of_the_seed_is_verbatim() {
        let path = crate::paths::workspace_root().join(SEED_FILE);
        let seed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (the seed lies beside the checkout, in ../shared)", path.display()));
        for c in ALL {
            assert_eq!(c.info().seed_quote.is_empty(), c.seed_number().is_none(), "{}: a seed claim quotes the seed", c.id());
            for q in c.info().seed_quote {
                assert!(seed.contains(q), "{}: not verbatim in the seed: {q:?}", c.id());
            }
        }
    }

    #[test]
    fn ids_and_part_ids_are_unique_and_every_claim_reads_evidence() {
        let mut ids = ids();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len(), "duplicate claim id");
        for c in ALL {
            let mut parts: Vec<_> = c.parts().iter().map(|p| p.id).collect();
            let n = parts.len();
            parts.sort();
            parts.dedup();
            assert_eq!(parts.len(), n, "{}: duplicate part id", c.id());
            assert!(n > 0 && !c.evidence().is_empty(), "{}", c.id());
        }
    }

    #[test]
    fn versions_a_claim_compiles_in_are_the_ones_it_builds() {
        let lock = crate::lockfile::Lock::read(&crate::paths::workspace_root().join("Cargo.lock")).unwrap();
        for c in ALL {
            let Some(v) = c.versions() else { continue };
            let krate = upstream_crate(*c);
            for b in v.built_in {
                let in_lock = lock.named(krate).any(|p| p.version == *b);
                let a_variant = krate == "whisper-rs" && crate::forks::variant::bundled(b).is_some();
                assert!(in_lock || a_variant, "{}: {krate} {b} is neither in Cargo.lock nor a whisper-rs variant", c.id());
            }
            assert!(v.built_in.is_empty() || v.built_in.iter().any(|b| v.is_seed(b)), "{}: the seed's {} is not among the versions built in", c.id(), v.seed);
        }
    }
}
