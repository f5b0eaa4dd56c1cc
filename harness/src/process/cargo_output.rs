//! Reading cargo's output: the part a person needs when a build fails.

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
    fn starts_at_the_first_error() {
        let out = "   Compiling x\nwarning: unused\nerror[E0308]: mismatched types\n --> src/lib.rs:1:1\n  |\nmore\n";
        assert_eq!(super::first_error(out, 2), "error[E0308]: mismatched types\n --> src/lib.rs:1:1");
        assert_eq!(super::first_error("a\nb\nc", 2), "b\nc");
    }
}
