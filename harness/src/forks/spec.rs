//! What the fork check knows about each crate and patch: how to run the
//! crate's own tests here (and which tests cannot run, with why), which
//! claim a patch serves, and what its repro and benchmark are.

use std::path::PathBuf;

use super::ForkError;

/// A crate the fork check can handle.
pub struct CrateSpec {
    pub name: &'static str,
    /// The version the patches are written against (and the workspace uses).
    pub default_version: &'static str,
    /// `cargo` arguments for the crate's own tests.
    pub test_args: &'static [&'static str],
    /// Tests that cannot run here, each with how many and why. A count of 0
    /// marks the `--skip` filters given to libtest (libtest counts those as
    /// filtered out); the others are compiled out behind a feature, or not
    /// run at all, and are counted from this list.
    pub skipped: &'static [(&'static str, u64, &'static str)],
}

/// What kind of change a patch is (decides what "fixed" means).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Code that should fix a reproduced problem.
    Fix,
    /// Documentation only: no code may change.
    Docs,
    /// A new API.
    Feature,
}

/// A patch and what it is for.
pub struct PatchSpec {
    pub krate: &'static str,
    pub name: &'static str,
    pub kind: Kind,
    /// The report (claim) whose before/after section shows it.
    pub report: &'static str,
    pub title: &'static str,
    /// The change in one paragraph, for the pull-request description.
    pub summary: &'static str,
}

pub const CRATES: &[CrateSpec] = &[
    CrateSpec {
        name: "whisper-rs",
        default_version: "0.16.0",
        // The unit tests use `#![cfg_attr(test, feature(test))]` (benches),
        // so they only build with RUSTC_BOOTSTRAP=1 on a stable toolchain.
        test_args: &["test", "--release", "--no-fail-fast"],
        skipped: &[
            ("whisper_ctx::test::test_tokenize_round_trip (feature test-with-tiny-model)", 1, "needs `./sys/whisper.cpp/models/ggml-tiny.en.bin` from the git repository (not in the published crate), and calls `WhisperInnerContext::new`, which no longer exists: it does not compile in 0.16.0"),
            ("vulkan::vulkan_tests::list_devices (feature vulkan)", 1, "needs a Vulkan build and device"),
            ("vulkan::vulkan_tests::get_device_memory (feature vulkan)", 1, "needs a Vulkan build and device"),
        ],
    },
    CrateSpec {
        name: "ort",
        default_version: "2.0.0-rc.15",
        test_args: &[
            "test", "--release", "--no-fail-fast", "--no-default-features", "--features", "load-dynamic,ndarray,std,api-31", "--lib", "--",
            "--skip", "compiler::tests", "--skip", "device::tests", "--skip", "operator::tests::", "--skip", "session::adapter", "--skip", "session::builder", "--skip", "session::metadata",
        ],
        skipped: &[
            ("--skip compiler::tests, device::tests, operator::tests, session::adapter, session::builder, session::metadata", 0, "need `tests/data/*.onnx` / `.ort` / `.orl` from ort's git repository (the published crate ships `src/` only)"),
            ("io_binding tests (feature fetch-models)", 4, "download models from cdn.pyke.io: no network here"),
            ("value::impl_tensor::copy tests (feature cuda)", 4, "need CUDA: no GPU here"),
            ("doctests (not run: `--lib`)", 114, "31 of the 114 need model files absent from the published crate and one (`environment::init_from`) does not compile in it; the check runs the library's unit tests only"),
        ],
    },
];

pub const PATCHES: &[PatchSpec] = &[
    PatchSpec {
        krate: "whisper-rs",
        name: "internal-mutex",
        kind: Kind::Fix,
        report: "whisper-rs-race",
        title: "Serialise `create_state` with an internal mutex",
        summary: "Adds a `Mutex<()>` to `WhisperInnerContext`, held only while `whisper_init_state` runs in `WhisperContext::create_state`, so concurrent `create_state` calls on one context are serialised and the `Send`/`Sync` impls hold by construction.",
    },
    PatchSpec {
        krate: "whisper-rs",
        name: "thread-budget-docs",
        kind: Kind::Docs,
        report: "whisper-rs-race",
        title: "Document the thread budget for concurrent states",
        summary: "Documentation only: states of one context may run `full` concurrently; keep (concurrent states) x `n_threads` within the cores, because ggml's CPU backend spin-waits at a barrier and oversubscription makes every call crawl; the `openmp` feature as an alternative thread pool.",
    },
    PatchSpec {
        krate: "whisper-rs",
        name: "thread-budget-guard",
        kind: Kind::Fix,
        report: "whisper-rs-race",
        title: "Warn about, and cap, oversubscribed concurrent `full` calls",
        summary: "`WhisperState::full` counts the `full` calls running on the context; when `n_threads` x running exceeds `available_parallelism()`, it logs a warning and lowers this call's `n_threads` to `max(1, cores / running)`. Calls already running are not changed.",
    },
    PatchSpec {
        krate: "whisper-rs",
        name: "abort-callback-fix",
        kind: Kind::Fix,
        report: "whisper-rs-abort-callback",
        title: "Fix `set_abort_callback_safe`: register the trampoline for the stored type",
        summary: "`set_abort_callback_safe` stores a `Box<dyn FnMut() -> bool>` as user data but registered `trampoline::<F>`, which reads it as the closure's own type; it now registers `trampoline::<Box<dyn FnMut() -> bool>>`, as `set_progress_callback_safe` does. Adds a unit test that calls the registered callback.",
    },
    PatchSpec {
        krate: "ort",
        name: "run-shared",
        kind: Kind::Feature,
        report: "ort-mutex",
        title: "`Session::run_shared(&self)` for CPU-only sessions",
        summary: "Adds `run_shared` / `run_shared_with_options` taking `&self`, allowed only when ONNX Runtime reports every node on the CPU execution provider, all inputs and outputs in CPU memory and no Rust custom operators (otherwise an error), plus `unsafe fn run_shared_unchecked` and `Session::supports_shared_run()`. `run_binding` keeps `&mut self` (it uses the session allocator, which is not `Sync`).",
    },
];

/// Looks a crate up.
pub fn crate_spec(name: &str) -> Result<&'static CrateSpec, ForkError> {
    CRATES.iter().find(|c| c.name == name).ok_or_else(|| ForkError::UnknownCrate {
        krate: name.into(),
        version: String::new(),
        cargo: format!("the fork check knows: {}", CRATES.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")),
    })
}

/// Looks a patch up; its file is `patches/<crate>/<name>.patch`.
pub fn patch_spec(krate: &str, name: &str) -> Result<(&'static PatchSpec, PathBuf), ForkError> {
    let file = crate::paths::workspace_root().join("patches").join(krate).join(format!("{name}.patch"));
    let spec = PATCHES.iter().find(|p| p.krate == krate && p.name == name).ok_or_else(|| ForkError::UnknownPatch {
        krate: krate.into(),
        name: name.into(),
        known: PATCHES.iter().filter(|p| p.krate == krate).map(|p| p.name).collect::<Vec<_>>().join(", "),
    })?;
    if !file.is_file() {
        return Err(ForkError::Io(format!("{}: missing (each patch in forks::spec::PATCHES has a file under patches/)", file.display())));
    }
    Ok((spec, file))
}

/// Every patch of a crate.
pub fn patches_of(krate: &str) -> Vec<&'static PatchSpec> {
    PATCHES.iter().filter(|p| p.krate == krate).collect()
}

/// A line of a documentation patch that changes code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("changes code, not only comments: `{line}`")]
pub struct ChangesCode {
    pub line: String,
}

/// Whether a unified diff changes only comment lines (for `Kind::Docs`).
pub fn comments_only(patch_text: &str) -> Result<(), ChangesCode> {
    for l in patch_text.lines() {
        if l.starts_with("+++") || l.starts_with("---") {
            continue;
        }
        if let Some(body) = l.strip_prefix('+').or_else(|| l.strip_prefix('-')) {
            let t = body.trim();
            if !(t.is_empty() || t.starts_with("//")) {
                return Err(ChangesCode { line: l.to_string() });
            }
        }
    }
    Ok(())
}
