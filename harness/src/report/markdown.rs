//! Markdown building blocks shared by every report.

use crate::evidence::environment::Environment;
use crate::measure::stats::Estimate;

/// An evidence file's path as reports show it: relative to the workspace.
pub fn data_path(path: &std::path::Path) -> String {
    path.strip_prefix(crate::paths::workspace_root()).unwrap_or(path).display().to_string()
}

/// A table from a header and rows.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!("| {} |\n|{}\n", header.join(" | "), header.iter().map(|_| "---|").collect::<String>());
    for r in rows {
        s += &format!("| {} |\n", r.join(" | "));
    }
    s
}

/// `median [low, high]` with `digits` decimals.
pub fn est(e: &Estimate, digits: usize) -> String {
    crate::measure::stats::show(e, digits)
}

/// The environment section every report carries.
pub fn environment(env: &Environment, source: &str) -> String {
    let crates = env.crates.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
    format!(
        "## Environment\n\n- CPU: {} ({} logical cores; SIMD: {})\n- OS: {} (kernel {})\n- Compiler: {}\n- Commit: {}{}\n- Crates (Cargo.lock): {}\n- Data: `{}`\n",
        env.cpu_model,
        env.logical_cores,
        env.simd.join(" "),
        env.os,
        env.kernel,
        env.rustc,
        env.git_commit,
        if env.git_dirty { " (with uncommitted changes)" } else { "" },
        crates,
        source
    )
}
