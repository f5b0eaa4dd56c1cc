//! `harness doctor`: every component with its version and source, checked.
//! A failing check carries the exact fix; the command exits non-zero then.

use std::process::Command;

use serde::Serialize;

use crate::evidence::environment::Environment;
use crate::models::catalog::{self, Origin};
use crate::models::{ggml, locate, onnxruntime};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Optional component missing: some commands will say so.
    Warn,
    Fail,
}

/// One line of the doctor's report.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub group: &'static str,
    pub name: String,
    pub status: Status,
    /// Version, path, checksum, source: what was found.
    pub detail: String,
    /// What to run when it is not OK.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub environment: Environment,
    pub checks: Vec<Check>,
}

impl Report {
    /// True when no check failed.
    pub fn healthy(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }
}

fn ok(group: &'static str, name: impl Into<String>, detail: impl Into<String>) -> Check {
    Check { group, name: name.into(), status: Status::Ok, detail: detail.into(), fix: None }
}

fn bad(group: &'static str, name: impl Into<String>, status: Status, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check { group, name: name.into(), status, detail: detail.into(), fix: Some(fix.into()) }
}

fn tool_version(cmd: &str, args: &[&str]) -> Option<String> {
    let out = crate::process::output(Command::new(cmd).args(args), crate::process::limit::TOOL).ok()?;
    let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
    String::from_utf8_lossy(&text).lines().next().map(|l| l.trim().to_string())
}

fn lib_version(v: u32) -> String {
    format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff)
}

fn native_checks(env: &Environment, checks: &mut Vec<Check>) {
    let g = "native";
    checks.push(ok("cpu", env.cpu_model.clone(), format!("{} logical cores; SIMD: {}", env.logical_cores, env.simd.join(" "))));
    use ffmpeg_next as ff;
    checks.push(ok(
        g,
        "FFmpeg libraries (system, via pkg-config)",
        format!(
            "libavcodec {}, libavformat {}, libswscale {}, libswresample {}, libavutil {}",
            lib_version(ff::codec::version()),
            lib_version(ff::format::version()),
            lib_version(ff::software::scaling::version()),
            lib_version(ff::software::resampling::version()),
            lib_version(ff::util::version()),
        ),
    ));
    let crate_v = |n: &str| env.crates.get(n).cloned().unwrap_or_else(|| "?".into());
    checks.push(ok(
        g,
        "whisper.cpp (bundled in whisper-rs-sys)",
        format!("whisper-rs {}, whisper-rs-sys {}; {}", crate_v("whisper-rs"), crate_v("whisper-rs-sys"), whisper_rs::print_system_info().trim()),
    ));
    checks.push(ok(g, "libjpeg-turbo (bundled in mozjpeg-sys)", format!("mozjpeg {}, mozjpeg-sys {}", crate_v("mozjpeg"), crate_v("mozjpeg-sys"))));
    match onnxruntime::verify_library() {
        Ok(path) => match onnxruntime::environment() {
            Ok(_) => checks.push(ok(
                g,
                "ONNX Runtime library",
                format!("{} (version {} per catalog; {}); ort {}", path.display(), catalog::ONNXRUNTIME.version, ort::info(), crate_v("ort")),
            )),
            Err(e) => checks.push(bad(g, "ONNX Runtime library", Status::Fail, e.to_string(), "re-run scripts/setup.sh")),
        },
        Err(e) => checks.push(bad(g, "ONNX Runtime library", Status::Fail, e.to_string(), "run scripts/setup.sh, or set ORT_DYLIB_PATH")),
    }
}

fn tool_checks(checks: &mut Vec<Check>) {
    let g = "tools";
    let tools: [(&str, &[&str], Status, &str, &str); 6] = [
        ("ffmpeg", &["-version"], Status::Fail, "apt-get install ffmpeg", "generates test media; native decode anchor"),
        ("python3", &["-m", "pip", "--version"], Status::Fail, "apt-get install python3-pip", "fetches registry wheels"),
        ("gdb", &["--version"], Status::Warn, "apt-get install gdb", "captures stacks of stalled work"),
        ("valgrind", &["--version"], Status::Warn, "apt-get install valgrind", "instruction counts, helgrind"),
        ("tjbench", &["-h"], Status::Warn, "apt-get install libjpeg-turbo-progs", "libjpeg-turbo's own JPEG benchmark"),
        ("hyperfine", &["--version"], Status::Warn, "apt-get install hyperfine", "times whole commands"),
    ];
    for (cmd, args, missing, fix, why) in tools {
        match tool_version(cmd, args) {
            Some(v) => checks.push(ok(g, cmd, format!("{v} ({why})"))),
            None => checks.push(bad(g, cmd, missing, format!("not found ({why})"), fix)),
        }
    }
}

fn asset_checks(checks: &mut Vec<Check>) {
    let g = "assets";
    for a in catalog::ASSETS.iter() {
        let optional = !a.default;
        if optional && locate::require(a.id).is_err() {
            let group = a.group.unwrap_or_default();
            checks.push(bad(g, a.id, Status::Warn, "optional, not fetched", format!("harness setup --with {group}")));
            continue;
        }
        let source = match a.origin {
            Origin::InWheel { wheel, member } => format!("PyPI {}=={} ({member})", wheel.package, wheel.version),
            Origin::Debian { package, .. } => format!("Debian {package}"),
            Origin::Converted { how, .. } => how.to_string(),
            Origin::Concatenated { parts } => format!("joined from {}", parts.join(" + ")),
            Origin::Generated { how } => how.to_string(),
        };
        let user = if locate::is_user_override(a) { " [user-supplied via $".to_string() + a.override_env.unwrap_or("") + "]" } else { String::new() };
        match locate::verify(a) {
            Ok((path, sha)) => {
                let mut detail = format!("{}{user}\n      sha256 {sha}\n      from {source}; licence {}", path.display(), a.license);
                if matches!(a.origin, Origin::Converted { .. }) {
                    match ggml::check_header(&path) {
                        Ok(hp) => detail += &format!("\n      whisper {} (n_vocab {}, {} mels)", hp.size_name(), hp.n_vocab, hp.n_mels),
                        Err(e) => {
                            checks.push(bad(g, a.id, Status::Fail, e.to_string(), locate::fix_for(a)));
                            continue;
                        }
                    }
                }
                checks.push(ok(g, a.id, detail));
            }
            Err(e) => checks.push(bad(g, a.id, Status::Fail, e.to_string(), locate::fix_for(a))),
        }
    }
    for clip in crate::media::speech_clips() {
        if !clip.is_file() {
            checks.push(bad(g, clip.display().to_string(), Status::Fail, "missing speech clip", "apt-get install pocketsphinx-testdata"));
        }
    }
}

/// Runs every check.
pub fn run() -> Report {
    let environment = Environment::capture();
    let mut checks = Vec::new();
    native_checks(&environment, &mut checks);
    tool_checks(&mut checks);
    asset_checks(&mut checks);
    Report { environment, checks }
}

/// The report as text for a terminal.
pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let e = &report.environment;
    s += &format!("harness doctor: {} on {} ({}), {}\n", e.rustc, e.os, e.kernel, e.git_commit);
    let mut group = "";
    for c in &report.checks {
        if c.group != group {
            group = c.group;
            s += &format!("\n[{group}]\n");
        }
        let mark = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        s += &format!("  {mark} {}: {}\n", c.name, c.detail);
        if let Some(fix) = &c.fix {
            s += &format!("       fix: {fix}\n");
        }
    }
    let fails = report.checks.iter().filter(|c| c.status == Status::Fail).count();
    s += &if fails == 0 { "\nall required components present and verified\n".to_string() } else { format!("\n{fails} check(s) failed; run the fixes above\n") };
    s
}
