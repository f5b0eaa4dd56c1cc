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

use super::registry::{Claim, Info, Method, Part, Sources};
use super::verdict::{Outcome, Verdict};
use crate::evidence::store::{self, Evidence};
use crate::forks::variant::{self, WhisperVariant};
use crate::models::{catalog, locate};
use crate::report::markdown::{environment, table};
use crate::report::Page;

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

impl crate::evidence::store::DataSchema for Data {
    const VERSION: u32 = 1;
}

/// Runs the probe on whisper-rs 0.16.0 and 0.15.1 and stores the evidence.
pub fn run(progress: &dyn Fn(&str)) -> Result<PathBuf, crate::claims::ClaimError> {
    let started_at = crate::evidence::run::now_utc();
    let model = locate::require(catalog::id::WHISPER_GGML)?;
    let clip = crate::media::speech_clips()[1].clone();
    let mut probes = Vec::new();
    for v in [WhisperVariant::workspace_default(), WhisperVariant::registry("0.15.1", &[])] {
        progress(&format!("abort-callback probe on {}", v.name()));
        let exe = variant::build_race_cell(&v, progress)?;
        let out = crate::process::output(
            Command::new(exe).arg(&model).arg(&clip).arg("--abort-callback-check").env("GGML_NO_BACKTRACE", "1"),
            crate::process::limit::PROBE,
        )?;
        let exit = super::whisper_rs_race::trial::describe_exit(out.status);
        let line = String::from_utf8_lossy(&out.stdout).lines().find(|l| l.contains("abort-callback-check")).and_then(|l| serde_json::from_str(l).ok());
        probes.push(Probe { variant: v.name(), exit, line });
    }
    let evidence = Evidence::new(CLAIM, started_at, serde_json::json!({}), vec![], Data { probes });
    store::write_new(CLAIM, &evidence).map_err(crate::claims::error::scratch)
}

/// The parts of this defect report.
pub const PARTS: &[Part] = &[Part { id: "unsound", question: "`set_abort_callback_safe` runs the closure on memory of another type" }];

/// Whether a probe saw the closure's own captured value (42) and exited cleanly.
fn probe_ok(p: &Probe) -> bool {
    p.exit.starts_with("exit 0") && p.line.as_ref().and_then(|l| l["seen"].as_u64()) == Some(42)
}

/// The rule, pure: confirmed when the closure saw anything but its captured
/// value (or the process died) on any build probed; refuted when every build
/// passed; not measured without probes.
pub fn rules(probes: &[Probe]) -> Vec<Verdict> {
    let wrong: Vec<&str> = probes.iter().filter(|p| !probe_ok(p)).map(|p| p.variant.as_str()).collect();
    let v = if probes.is_empty() {
        Verdict::new("unsound", Outcome::NotMeasured, "no probe ran")
    } else if wrong.is_empty() {
        Verdict::new("unsound", Outcome::Refuted, format!("the closure saw its captured value on all {} builds probed", probes.len()))
    } else {
        Verdict::new(
            "unsound",
            Outcome::Confirmed,
            format!("the closure did not see its captured 42 on {} of {} builds ({})", wrong.len(), probes.len(), wrong.join(", ")),
        )
    };
    vec![v]
}

/// What the claim is, for the registry.
pub const INFO: Info = Info {
    id: CLAIM,
    title: "`FullParams::set_abort_callback_safe` calls the closure on the wrong memory",
    seed: None,
    upstream: "whisper-rs",
    method: Method::Repro("whisper-abort-callback"),
    evidence: &[CLAIM],
    parts: PARTS,
    seed_quote: &[],
};

/// The defect in the registry (found on the way, not one of the seed's claims).
pub struct AbortCallbackClaim;

impl Claim for AbortCallbackClaim {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn measure(&self, _quick: bool, progress: &dyn Fn(&str)) -> Result<Vec<(String, PathBuf)>, crate::claims::ClaimError> {
        Ok(vec![(CLAIM.to_string(), run(progress)?)])
    }
    fn judge(&self, sources: &Sources) -> Result<Vec<Verdict>, crate::claims::ClaimError> {
        let ev: Evidence<Data> = store::read(sources.get(CLAIM)?)?;
        Ok(rules(&ev.data.probes))
    }
    fn render(&self, sources: &Sources) -> Result<Vec<(String, Page)>, crate::claims::ClaimError> {
        Ok(vec![(FILE.to_string(), render(sources.get(CLAIM)?)?.into())])
    }
}

/// Renders the report.
pub fn render(path: &Path) -> Result<String, crate::report::RenderError> {
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
    let verdicts = rules(&ev.data.probes);
    let rows: Vec<Vec<String>> = ev
        .data
        .probes
        .iter()
        .map(|p| {
            let seen = p.line.as_ref().and_then(|l| l["seen"].as_u64());
            let bad = !probe_ok(p);
            vec![
                p.variant.clone(),
                p.exit.clone(),
                seen.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                if bad { "**wrong**".into() } else { "42 (correct)".into() },
            ]
        })
        .collect();
    s += &table(&["build", "process", "value the closure saw", "verdict"], &rows);
    s += "\n## Verdict\n\nRule (code: `claims::whisper_rs_abort_callback::rules`): confirmed when, on any build probed, the closure sees anything \
          but its captured 42 or the process dies; refuted when every build passes.\n\n";
    s += &super::verdict_table(PARTS, &verdicts);
    s += "\n";
    if verdicts[0].outcome == Outcome::Confirmed {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(exit: &str, seen: Option<u64>) -> Probe {
        Probe { variant: "whisper-rs 0.16.0".into(), exit: exit.into(), line: seen.map(|v| serde_json::json!({ "seen": v })) }
    }

    #[test]
    fn a_wrong_value_or_a_dead_process_confirms_and_42_everywhere_refutes() {
        assert_eq!(rules(&[probe("exit 0", Some(93907803850448))])[0].outcome, Outcome::Confirmed);
        assert_eq!(rules(&[probe("signal 11", None)])[0].outcome, Outcome::Confirmed);
        assert_eq!(rules(&[probe("exit 0", Some(42)), probe("exit 0", Some(42))])[0].outcome, Outcome::Refuted);
        assert_eq!(rules(&[])[0].outcome, Outcome::NotMeasured);
    }
}
