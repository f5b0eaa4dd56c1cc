//! Found while building the pipeline's watchdog (not one of the seed's
//! claims): whisper-rs's `FullParams::set_abort_callback_safe` registers
//! `trampoline::<F>` (the closure's own type) but passes it a
//! `Box<Box<dyn FnMut() -> bool>>` as user data, so the closure runs on the
//! wrong memory: a safe API with undefined behaviour. The harness's
//! transcription first segfaulted with it; it now uses the raw API with its
//! own trampoline.
//!
//! `harness repro whisper-abort-callback` runs the probe
//! (`whisper-race-cell MODEL CLIP --abort-callback-check`: a closure that
//! captures 42 reports what it sees) on each whisper-rs version, each in its
//! own process; rule: confirmed when the value seen is not 42 or the process
//! crashes, refuted when it is 42.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::evidence::store::{self, Evidence};
use crate::forks::variant::{self, WhisperVariant};
use crate::models::{catalog, locate};
use crate::report::markdown::{environment, table};

/// Claim id.
pub const CLAIM: &str = "whisper-rs-abort-callback";
/// Report file.
pub const FILE: &str = "whisper-rs-abort-callback.md";

/// One probe run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Probe {
    pub variant: String,
    pub exit: String,
    /// The probe's JSON line, if it got that far.
    pub line: Option<serde_json::Value>,
}

/// Stored data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Data {
    pub probes: Vec<Probe>,
}

/// Runs the probe on whisper-rs 0.16.0 and 0.15.1 and stores the evidence.
pub fn run(progress: &dyn Fn(&str)) -> Result<PathBuf, String> {
    let started_at = crate::evidence::run::now_utc();
    let model = locate::require(catalog::id::WHISPER_GGML).map_err(|e| e.to_string())?;
    let clip = crate::media::speech_clips()[1].clone();
    let mut probes = Vec::new();
    for v in [WhisperVariant::workspace_default(), WhisperVariant::registry("0.15.1", &[])] {
        progress(&format!("abort-callback probe on {}", v.name()));
        let exe = variant::build_race_cell(&v, progress).map_err(|e| e.to_string())?;
        let out = Command::new(exe).arg(&model).arg(&clip).arg("--abort-callback-check").env("GGML_NO_BACKTRACE", "1").output().map_err(|e| e.to_string())?;
        let exit = super::whisper_rs_race::trial::describe_exit(out.status);
        let line = String::from_utf8_lossy(&out.stdout).lines().find(|l| l.contains("abort-callback-check")).and_then(|l| serde_json::from_str(l).ok());
        probes.push(Probe { variant: v.name(), exit, line });
    }
    let evidence = Evidence::new(CLAIM, started_at, serde_json::json!({}), vec![], Data { probes });
    store::write_new(CLAIM, &evidence).map_err(|e| e.to_string())
}

/// Renders the report.
pub fn render(path: &Path) -> Result<String, String> {
    let ev: Evidence<Data> = store::read(path)?;
    let rel = crate::report::markdown::data_path(path);
    let mut s = String::from("# whisper-rs: `FullParams::set_abort_callback_safe` calls the closure on the wrong memory\n\n");
    s += "Not one of the seed's claims: found while building the pipeline's watchdog, whose transcription heartbeat segfaulted through this API.\n\n";
    s += "## The defect (from the source)\n\n`whisper_params.rs`, `set_abort_callback_safe<O, F>` (whisper-rs 0.16.0, same in 0.15.1): the closure is boxed twice \
          (`Box::new(Box::new(closure) as Box<dyn FnMut() -> bool>)`) and passed as user data, but the registered C callback is `trampoline::<F>`, which casts the \
          user data to `*mut F`, the closure's own type. The trampoline therefore treats the outer box's contents (a pointer and a vtable) as the closure's captured \
          variables. `set_progress_callback_safe` gets it right (`trampoline::<Box<dyn FnMut(i32)>>`). The box is also never freed.\n\n";
    s += "## Method\n\nA closure capturing `42u64` stores what it sees into a static; whisper runs one `full` on real speech with it as the abort callback. \
          Each run is its own process (the wrong read may crash).\n\n## Results\n\n";
    let mut confirmed = Vec::new();
    let rows: Vec<Vec<String>> = ev
        .data
        .probes
        .iter()
        .map(|p| {
            let seen = p.line.as_ref().and_then(|l| l["seen"].as_u64());
            let bad = !p.exit.starts_with("exit 0") || seen != Some(42);
            if bad {
                confirmed.push(p.variant.clone());
            }
            vec![
                p.variant.clone(),
                p.exit.clone(),
                seen.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                if bad { "**wrong**".into() } else { "42 (correct)".into() },
            ]
        })
        .collect();
    s += &table(&["build", "process", "value the closure saw", "verdict"], &rows);
    s += "\n## Verdict\n\n";
    if confirmed.is_empty() {
        s += "**Not confirmed**: the closure saw its captured value.\n\n";
    } else {
        s += &format!("**Confirmed** on {}: a safe function lets a closure run on memory of another type (undefined behaviour; here it reads a heap pointer instead of 42).\n\n", confirmed.join(" and "));
        s += "## Draft issue (whisper-rs)\n\n> **`FullParams::set_abort_callback_safe` is unsound: trampoline type does not match the user data**\n>\n> \
              `set_abort_callback_safe` passes `Box<Box<dyn FnMut() -> bool>>` as user data but registers `trampoline::<F>`, which casts it to `*mut F`. \
              A closure capturing `42u64` observes a pointer value instead (reproduction attached: `whisper-race-cell MODEL CLIP --abort-callback-check`). \
              Fix: register `trampoline::<Box<dyn FnMut() -> bool>>`, as `set_progress_callback_safe` does, and keep the box in `abort_callback_safe` so it is freed.\n\n\
              Where: whisper-rs (codeberg.org/tazz4843/whisper-rs), to be sent by a person.\n\n";
    }
    if let Some(section) = crate::forks::report::section(CLAIM)? {
        s += &section;
    }
    s += &environment(&ev.environment, &rel);
    Ok(s)
}

/// Renders the newest evidence.
pub fn render_latest() -> Result<PathBuf, String> {
    let p = store::pinned(CLAIM).ok_or_else(|| store::not_pinned(CLAIM, "harness repro whisper-abort-callback"))?;
    crate::report::write(FILE, &render(&p)?.into()).map_err(|e| e.to_string())
}
