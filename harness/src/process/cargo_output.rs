//! Reading cargo's output: the part a person needs when a build fails.

use cargo_metadata::diagnostic::DiagnosticLevel;
use cargo_metadata::Message;

/// The first compiler error of a build run with `--message-format=json`:
/// the first error-level compiler message as rustc renders it (its first
/// `lines` lines); where cargo failed before compiling anything (a
/// manifest or registry error), the first `error` of its stderr.
pub fn first_error_json(stdout: &[u8], stderr: &str, lines: usize) -> String {
    for m in Message::parse_stream(stdout).map_while(Result::ok) {
        if let Message::CompilerMessage(cm) = m {
            if matches!(cm.message.level, DiagnosticLevel::Error | DiagnosticLevel::Ice) {
                let text = cm.message.rendered.unwrap_or(cm.message.message);
                let text: Vec<&str> = text.lines().take(lines).collect();
                return format!("{} (in {}):\n{}", cm.target.name, cm.package_id.repr, text.join("\n"));
            }
        }
    }
    first_error(stderr, lines)
}

/// One compiler error of a build run with `--message-format=json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompilerError {
    /// The package the error is in (its name, from the package id).
    pub package: String,
    /// rustc's error code (`E0596`), when it has one.
    pub code: Option<String>,
    /// The error's first line as rustc renders it.
    pub message: String,
}

/// Every error-level compiler message of a JSON build output.
pub fn compiler_errors(stdout: &[u8]) -> Vec<CompilerError> {
    Message::parse_stream(stdout)
        .map_while(Result::ok)
        .filter_map(|m| match m {
            Message::CompilerMessage(cm) if matches!(cm.message.level, DiagnosticLevel::Error | DiagnosticLevel::Ice) => Some(CompilerError {
                package: cm.target.name.clone(),
                code: cm.message.code.as_ref().map(|c| c.code.clone()),
                message: cm.message.rendered.as_deref().unwrap_or(&cm.message.message).lines().next().unwrap_or("").to_string(),
            }),
            _ => None,
        })
        .collect()
}

/// The first `error` line of cargo's output and the `lines - 1` after it
/// (the compiler's explanation), or the last `lines` lines when no line
/// starts with `error`.
pub fn first_error(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    match all.iter().position(|l| l.starts_with("error")) {
        Some(i) => all[i..all.len().min(i + lines)].join("\n"),
        None => all[all.len().saturating_sub(lines)..].join("\n"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_error_comes_from_the_json_messages() {
        let warning = r#"{"reason":"compiler-message","package_id":"path+file:///x#a@0.1.0","manifest_path":"/x/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"a","src_path":"/x/src/lib.rs","edition":"2021","doc":true,"doctest":true,"test":true},"message":{"rendered":"warning: unused\n","$message_type":"diagnostic","children":[],"code":null,"level":"warning","message":"unused","spans":[]}}"#;
        let error =
            warning.replace("warning: unused", r"error[E0308]: mismatched types\n --> src/lib.rs:1:1").replace(r#""level":"warning""#, r#""level":"error""#);
        let stdout = format!("{warning}\n{error}\n");
        let e = super::first_error_json(stdout.as_bytes(), "error: could not compile `a`", 2);
        assert!(e.starts_with("a (in path+file:///x#a@0.1.0):\nerror[E0308]: mismatched types\n --> src/lib.rs:1:1"), "{e}");
        assert_eq!(super::first_error_json(b"", "   Updating index\nerror: no matching package named `x`", 1), "error: no matching package named `x`");
    }

    #[test]
    fn compiler_errors_keep_package_and_code() {
        let msg = r#"{"reason":"compiler-message","package_id":"path+file:///x#probe@0.0.0","manifest_path":"/x/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"probe","src_path":"/x/src/lib.rs","edition":"2021","doc":true,"doctest":true,"test":true},"message":{"rendered":"error[E0596]: cannot borrow `*s` as mutable\n --> x\n","$message_type":"diagnostic","children":[],"code":{"code":"E0596","explanation":null},"level":"error","message":"cannot borrow","spans":[]}}"#;
        let e = super::compiler_errors(format!("{msg}\n").as_bytes());
        assert_eq!(
            e,
            vec![super::CompilerError { package: "probe".into(), code: Some("E0596".into()), message: "error[E0596]: cannot borrow `*s` as mutable".into() }]
        );
        assert!(super::compiler_errors(b"").is_empty());
    }

    #[test]
    fn starts_at_the_first_error() {
        let out = "   Compiling x\nwarning: unused\nerror[E0308]: mismatched types\n --> src/lib.rs:1:1\n  |\nmore\n";
        assert_eq!(super::first_error(out, 2), "error[E0308]: mismatched types\n --> src/lib.rs:1:1");
        assert_eq!(super::first_error("a\nb\nc", 2), "b\nc");
    }
}
