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
