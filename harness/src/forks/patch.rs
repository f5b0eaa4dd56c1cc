//! Applying a patch to a copied crate with `patch -p1`, dry run first. A
//! patch that does not apply is an error that names the file and shows the
//! failing hunk.

use std::path::Path;
use std::process::Command;

use super::ForkError;

/// Applies `patch_file` inside `dir` (paths `a/...`/`b/...` relative to the
/// crate root).
pub fn apply(dir: &Path, patch_file: &Path) -> Result<(), ForkError> {
    let text = std::fs::read_to_string(patch_file).map_err(|e| ForkError::Io(format!("{}: {e}", patch_file.display())))?;
    let run = |dry: bool| {
        let mut c = Command::new("patch");
        c.args(["-p1", "--forward", "--batch", "--no-backup-if-mismatch", "-i"]).arg(patch_file).current_dir(dir);
        if dry {
            c.arg("--dry-run");
        }
        crate::process::output(&mut c, crate::process::limit::TOOL).map_err(|e| ForkError::Io(format!("{e} (install it: apt-get install patch)")))
    };
    let o = run(true)?;
    if !o.status.success() {
        let out = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        return Err(ForkError::PatchDoesNotApply { patch: patch_file.to_path_buf(), output: out.trim().to_string(), hunk: failing_hunk(&text, &out) });
    }
    let o = run(false)?;
    if !o.status.success() {
        return Err(ForkError::Io(format!("patch applied in a dry run but not for real: {}", String::from_utf8_lossy(&o.stdout))));
    }
    Ok(())
}

/// The text of the first hunk `patch` reported as failed (`patching file
/// F` ... `Hunk #N FAILED at L`), taken from the patch itself.
pub fn failing_hunk(patch_text: &str, output: &str) -> String {
    let mut file = None;
    let mut failed = None;
    for l in output.lines() {
        if let Some(f) = l.strip_prefix("patching file ").or_else(|| l.strip_prefix("checking file ")) {
            file = Some(f.trim().trim_matches('\'').to_string());
        }
        if let Some(rest) = l.strip_prefix("Hunk #") {
            if rest.contains("FAILED") {
                failed = rest.split_whitespace().next().and_then(|n| n.parse::<usize>().ok()).map(|n| (file.clone(), n));
                break;
            }
        }
        if l.contains("can't find file to patch") {
            return "a file the patch names does not exist in this version".into();
        }
    }
    let Some((Some(file), n)) = failed else { return String::new() };
    // Find the file's section, then its n-th hunk.
    let mut in_file = false;
    let mut count = 0;
    let mut hunk = Vec::new();
    for l in patch_text.lines() {
        if let Some(p) = l.strip_prefix("+++ ") {
            in_file = p.split_whitespace().next().is_some_and(|p| p.trim_start_matches("b/") == file);
            if count == n {
                break;
            }
            continue;
        }
        if !in_file {
            continue;
        }
        if l.starts_with("@@") {
            count += 1;
            if count > n {
                break;
            }
        }
        if count == n && !l.starts_with("--- ") && !l.starts_with("diff ") {
            hunk.push(l);
        }
    }
    format!("{file}, hunk #{n}:\n{}", hunk.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_patch_is_refused_with_its_failing_hunk() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/lib.rs"), "fn a() {}\nfn b() {}\nfn c() {}\n").unwrap();
        let patch = dir.path().join("x.patch");
        std::fs::write(&patch, "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n fn a() {}\n-fn B() {}\n+fn b2() {}\n fn c() {}\n").unwrap();
        match apply(dir.path(), &patch) {
            Err(ForkError::PatchDoesNotApply { hunk, output, .. }) => {
                assert!(hunk.contains("src/lib.rs, hunk #1") && hunk.contains("-fn B() {}"), "{hunk}\n{output}");
            }
            other => panic!("{other:?}"),
        }
        // Untouched by the failed attempt.
        assert_eq!(std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap(), "fn a() {}\nfn b() {}\nfn c() {}\n");
        std::fs::write(&patch, "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n fn a() {}\n-fn b() {}\n+fn b2() {}\n fn c() {}\n").unwrap();
        apply(dir.path(), &patch).unwrap();
        assert!(std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap().contains("fn b2()"));
    }
}
