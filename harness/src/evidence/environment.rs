//! The environment fingerprint recorded with every result: CPU, cores, SIMD
//! flags, OS, compiler, crate versions from Cargo.lock and the git commit.

use std::collections::BTreeMap;
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::paths;

/// Crates whose exact versions matter to the claims.
pub const TRACKED_CRATES: &[&str] = &[
    "whisper-rs",
    "whisper-rs-sys",
    "ort",
    "ort-sys",
    "ffmpeg-next",
    "ffmpeg-sys-next",
    "image",
    "zune-jpeg",
    "jpeg-decoder",
    "mozjpeg",
    "mozjpeg-sys",
    "rustfft",
    "rayon",
    "tokenizers",
    "pprof",
    "criterion",
    "loom",
];

/// SIMD features that change which code paths the decoders and ggml take.
pub const SIMD_FLAGS: &[&str] = &["sse4_1", "sse4_2", "ssse3", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx_vnni", "neon", "asimd"];

/// Where and with what a result was produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub cpu_model: String,
    pub logical_cores: usize,
    pub simd: Vec<String>,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
    pub crates: BTreeMap<String, String>,
    pub git_commit: String,
    pub git_dirty: bool,
    /// A name for the machine or machine profile, from `$HARNESS_MACHINE_PROFILE`
    /// (e.g. "1 core (taskset -c 0, same VM)"), so a profile of one machine
    /// is never shown as another machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

impl Environment {
    /// The CPU, its widest vector unit and its logical cores: virtual
    /// machines often name only the vendor ("AMD EPYC"), and the vector unit
    /// tells generations apart.
    pub fn hardware(&self) -> String {
        let has = |f: &str| self.simd.iter().any(|s| s == f);
        let widest = if has("avx512f") {
            " (AVX-512)"
        } else if has("avx2") {
            " (AVX2, no AVX-512)"
        } else {
            ""
        };
        format!("{}{widest}, {} logical core{}", self.cpu_model, self.logical_cores, if self.logical_cores == 1 { "" } else { "s" })
    }

    /// Whether two results come from the same machine, as far as evidence
    /// can tell: the same CPU model, vector unit, core count and profile.
    /// Virtual machines often name only the vendor, so the vector unit and
    /// the cores are what tell two kinds apart.
    pub fn same_machine(&self, other: &Environment) -> bool {
        self.cpu_model == other.cpu_model && self.simd == other.simd && self.logical_cores == other.logical_cores && self.profile == other.profile
    }
}

fn cpuinfo() -> (String, Vec<String>) {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        text.lines().find(|l| l.split(':').next().is_some_and(|k| k.trim() == name)).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim().to_string())
    };
    let model = field("model name").or_else(|| field("Model")).unwrap_or_else(|| std::env::consts::ARCH.into());
    let flags = field("flags").or_else(|| field("Features")).unwrap_or_default();
    let present: Vec<&str> = flags.split_whitespace().collect();
    let simd = SIMD_FLAGS.iter().filter(|f| present.contains(f)).map(|f| f.to_string()).collect();
    (model, simd)
}

fn os_name() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string())))
        .unwrap_or_else(|| std::env::consts::OS.into())
}

fn git(args: &[&str]) -> Option<String> {
    let out = crate::process::output(Command::new("git").args(args).current_dir(paths::workspace_root()), crate::process::limit::TOOL).ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Versions of the tracked crates from the workspace's Cargo.lock (several
/// versions of one crate are joined with `, `).
pub fn locked_versions() -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let Ok(lock) = crate::lockfile::Lock::read(&paths::workspace_root().join("Cargo.lock")) else { return out };
    for pkg in lock.packages.iter().filter(|p| TRACKED_CRATES.contains(&p.name.as_str())) {
        out.entry(pkg.name.clone()).and_modify(|v| *v = format!("{v}, {}", pkg.version)).or_insert_with(|| pkg.version.clone());
    }
    out
}

/// The variable naming a machine profile in evidence.
pub const PROFILE_ENV: &str = "HARNESS_MACHINE_PROFILE";

impl Environment {
    /// Reads the fingerprint of this machine and checkout.
    pub fn capture() -> Self {
        let (cpu_model, simd) = cpuinfo();
        Environment {
            cpu_model,
            logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            simd,
            os: os_name(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()).unwrap_or_default(),
            rustc: env!("HARNESS_RUSTC_VERSION").to_string(),
            crates: locked_versions(),
            git_commit: git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown (not a git checkout)".into()),
            git_dirty: git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty()),
            profile: std::env::var(PROFILE_ENV).ok().filter(|p| !p.trim().is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_machine_is_the_same_cpu_vector_unit_cores_and_profile() {
        let mut a = Environment::capture();
        a.cpu_model = "AMD EPYC".into();
        a.simd = vec!["avx2".into(), "avx512f".into()];
        a.logical_cores = 2;
        a.profile = None;
        let mut later = a.clone();
        later.git_commit = "another".into();
        later.os = "another kernel".into();
        assert!(a.same_machine(&later), "commit and kernel do not make another machine");
        let differs: [fn(&mut Environment); 4] =
            [|e| e.cpu_model = "Intel Xeon".into(), |e| e.simd = vec!["avx2".into()], |e| e.logical_cores = 1, |e| e.profile = Some("1 core (taskset)".into())];
        for change in differs {
            let mut b = a.clone();
            change(&mut b);
            assert!(!a.same_machine(&b), "{b:?}");
        }
    }
}
