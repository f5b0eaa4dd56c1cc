//! ARCHITECTURE.md is the code map; these checks keep it true where code
//! can check it (as rust-analyzer's tidy tests do).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    harness::paths::workspace_root()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module map's top-level bullets (`- `name``), each with its text.
fn sections(map: &str) -> BTreeMap<String, String> {
    let start = map.find("## `harness/src` modules").expect("the map has a modules section");
    let end = map[start..].find("\n## Invariants").map_or(map.len(), |e| start + e);
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut current = String::new();
    for line in map[start..end].lines() {
        if let Some(rest) = line.strip_prefix("- `") {
            current = rest.split('`').next().unwrap_or("").to_string();
        }
        out.entry(current.clone()).or_default().push_str(line);
        out.get_mut(&current).unwrap().push('\n');
    }
    out
}

#[test]
fn every_module_of_the_harness_is_named_in_the_code_map() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let sections = sections(&map);
    let src = root().join("harness/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut missing = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        let parts: Vec<&str> = rel.split('/').collect();
        let named = match parts.as_slice() {
            [file] => sections.contains_key(*file),
            [_, "mod.rs"] => true,
            [top, rest @ ..] => {
                let text = sections.get(&format!("{top}/")).map(String::as_str).unwrap_or("");
                // `a/b.rs` is named as `b.rs`; a file of a sub-folder may be
                // named through its folder (`whisper_rs_race/`) plus itself.
                let file = rest.last().unwrap();
                *file == "mod.rs" || text.contains(&format!("`{file}`")) || text.contains(&format!("{file}`"))
            }
            [] => true,
        };
        if !named {
            missing.push(rel);
        }
    }
    assert!(missing.is_empty(), "ARCHITECTURE.md's module map does not name: {missing:?}");
}

#[test]
fn every_reproduction_crate_is_named_in_the_code_map() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    for e in std::fs::read_dir(root().join("repro")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() && !["src", "tests"].contains(&name.as_str()) {
            assert!(map.contains(&format!("repro/{name}/")), "ARCHITECTURE.md does not name repro/{name}/");
        }
    }
}

/// The layer of every top-level module, from ARCHITECTURE.md's `layers` block.
fn layers(map: &str) -> BTreeMap<String, usize> {
    let start = map.find("```layers\n").expect("ARCHITECTURE.md has a ```layers block") + "```layers\n".len();
    let end = start + map[start..].find("```").expect("the layers block ends");
    let mut out = BTreeMap::new();
    for (level, line) in map[start..end].lines().enumerate() {
        for name in line.split_whitespace() {
            assert!(out.insert(name.to_string(), level).is_none(), "{name} is on two lines of the layers block");
        }
    }
    out
}

/// The top-level modules a file names through `crate::`.
fn crate_imports(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        // `harness::crate::` cannot occur; skip `$crate::` in macros.
        if i > 0 && text.as_bytes()[i - 1] == b'$' {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        let ident = |s: &str| -> String { s.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect() };
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::c};`: the first name of each item.
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(inner.split(',').map(ident).filter(|n| !n.is_empty()));
        } else if !ident(rest).is_empty() {
            out.push(ident(rest));
        }
    }
    out
}

/// How deep a file's module sits under the crate root: `a.rs` and
/// `a/mod.rs` are 1, `a/b.rs` is 2.
fn module_depth(rel: &str) -> usize {
    let parts: Vec<&str> = rel.split('/').collect();
    if parts.last() == Some(&"mod.rs") {
        parts.len() - 1
    } else {
        parts.len()
    }
}

/// The top-level modules a file reaches through enough `super::` to climb
/// out of its own top module (`super::super::x` from `a/b.rs` is
/// `crate::x`). Inline modules are not counted, so a path that only looks
/// like an escape may be reported; callers keep the names of real modules.
fn super_imports(text: &str, depth: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("super::") {
        let before_ok = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric() && rest.as_bytes()[i - 1] != b':';
        let mut tail = &rest[i..];
        let mut k = 0;
        while let Some(t) = tail.strip_prefix("super::") {
            k += 1;
            tail = t;
        }
        if before_ok && k >= depth {
            let name: String = tail.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
        rest = &rest[i + k * "super::".len()..];
    }
    out
}

/// Link: the layering rule of ARCHITECTURE.md ("imports downwards only").
#[test]
fn modules_import_only_from_lower_layers() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let layers = layers(&map);
    let src = root().join("harness/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        let top = rel.split('/').next().unwrap().trim_end_matches(".rs").to_string();
        if top == "main" || top == "lib" {
            continue;
        }
        let own = *layers.get(&top).unwrap_or_else(|| panic!("`{top}` (harness/src/{rel}) is not in ARCHITECTURE.md's layers block"));
        let text = std::fs::read_to_string(&f).unwrap();
        let depth = module_depth(&rel);
        let escaped = super_imports(&text, depth).into_iter().filter(|m| layers.contains_key(m));
        for used in crate_imports(&text).into_iter().chain(escaped) {
            let theirs = *layers.get(&used).unwrap_or_else(|| panic!("harness/src/{rel} uses crate::{used}, which is not in the layers block"));
            if used != top && theirs >= own {
                wrong.push(format!("harness/src/{rel} (layer {own}, {top}) uses crate::{used} (layer {theirs})"));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "imports against ARCHITECTURE.md's layers:\n{}", wrong.join("\n"));
}

#[test]
fn the_layer_check_sees_an_upward_import() {
    let map = "```layers\na\nb\n```\n";
    let l = layers(map);
    assert_eq!(l["a"], 0);
    assert_eq!(l["b"], 1);
    assert_eq!(crate_imports("use crate::b::x; fn f() { crate::a::y(); $crate::z }"), vec!["b", "a"]);
    assert_eq!(crate_imports("use crate::{media, paths::root};"), vec!["media", "paths"]);
    assert_eq!(module_depth("claims/whisper_rs_race/fork.rs"), 3);
    assert_eq!(module_depth("claims/mod.rs"), 1);
    assert_eq!(super_imports("use super::super::report::Page; use super::judge;", 2), vec!["report"]);
    assert_eq!(super_imports("use super::super::report::Page;", 3), Vec::<String>::new());
}

/// A line with its string literals' contents removed (an unclosed one runs
/// to the end of the line), so prose about `unsafe impl` is not code.
fn without_strings(line: &str) -> String {
    line.split('"').step_by(2).collect::<Vec<_>>().join("\"\"")
}

/// Every `unsafe` block or function in the harness and the repros says why
/// it is sound: a `SAFETY:` comment on it or on one of the 3 lines above.
#[test]
fn every_unsafe_block_says_why_it_is_sound() {
    let mut files = Vec::new();
    for dir in ["harness/src", "repro"] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut missing = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let code = without_strings(l.split("//").next().unwrap_or(""));
            let is_unsafe =
                ["unsafe {", "unsafe{", "unsafe extern", "unsafe fn", "unsafe impl"].iter().any(|u| code.contains(u)) || code.trim_end().ends_with("unsafe");
            if is_unsafe && !lines[i.saturating_sub(3)..=i].iter().any(|p| p.contains("SAFETY:")) {
                missing.push(format!("{}:{}", f.strip_prefix(root()).unwrap().display(), i + 1));
            }
        }
    }
    assert!(missing.is_empty(), "unsafe without a SAFETY: comment: {missing:?}");
}

/// Every external command runs through `harness::process` (a limit, both
/// pipes drained, the command line in errors): no `.output()`, `.status()`,
/// `.spawn()` or `.exec()` on a `Command` elsewhere in the harness.
#[test]
fn external_commands_run_through_the_process_module() {
    let src = root().join("harness/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for f in files.iter().filter(|f| !f.starts_with(src.join("process"))) {
        for (i, l) in std::fs::read_to_string(f).unwrap().lines().enumerate() {
            let code = l.split("//").next().unwrap_or("");
            if [".output()", ".status()", ".spawn()", ".exec()"].iter().any(|c| code.contains(c)) || code.contains("Command::new(\"cargo\")") {
                found.push(format!("{}:{}: {}", f.strip_prefix(&src).unwrap().display(), i + 1, l.trim()));
            }
        }
    }
    assert!(found.is_empty(), "commands run outside harness::process:\n{}", found.join("\n"));
}

/// Module boundaries use typed errors (thiserror), not `Result<_, String>`:
/// a caller can match on what went wrong and the source chain survives.
/// (Evidence fields that record an error as text are data, not signatures.)
#[test]
fn public_functions_return_typed_errors() {
    let src = root().join("harness/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for f in &files {
        for (i, l) in std::fs::read_to_string(f).unwrap().lines().enumerate() {
            let code = l.split("//").next().unwrap_or("");
            let signature = code.contains("pub fn ") || code.contains("pub type ") || (code.trim_start().starts_with("fn ") && code.contains("self"));
            let end = code.trim_end().trim_end_matches(['{', ';']).trim_end();
            if signature && code.contains("Result<") && end.ends_with(", String>") {
                found.push(format!("{}:{}: {}", f.strip_prefix(&src).unwrap().display(), i + 1, l.trim()));
            }
        }
    }
    assert!(found.is_empty(), "public functions returning Result<_, String>:\n{}", found.join("\n"));
}
