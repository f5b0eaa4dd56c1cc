//! The rendered files of each bundle: `run.sh` (one template for all),
//! `fix.patch` (the registered patch, copied), `ISSUE.md` (from the pinned
//! evidence) and `README.md`; and `bundles/README.md`, the index. A test
//! re-renders them all and compares with what is committed, as for reports.

use std::path::PathBuf;

use super::run::judge;
use super::spec::{self, Bundle, Kind, Text};
use super::{io, upstream, BundleError};
use crate::report::markdown::table;

/// The one `run.sh`, with `@ID@`, `@CRATE@`, `@VERSION@`, `@USAGE@` and
/// `@ARGC@` filled in per bundle.
pub const RUN_SH: &str = include_str!("run.sh");

/// `run.sh` for bundle `b`.
pub fn run_sh(b: &Bundle) -> String {
    let (krate, version) = b.crate_version();
    run_sh_for(&b.id, krate, version, &b.usage(), b.inputs.len())
}

/// `run.sh` for bundle `id` of `krate` `version`, whose repro takes `argc`
/// arguments, shown as `usage`.
pub fn run_sh_for(id: &str, krate: &str, version: &str, usage: &str, argc: usize) -> String {
    RUN_SH.replace("@ID@", id).replace("@CRATE@", krate).replace("@VERSION@", version).replace("@USAGE@", usage).replace("@ARGC@", &argc.to_string())
}

/// The text sent upstream and what decided it.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub title: String,
    pub body: String,
    /// The evidence file it was rendered from.
    pub data: String,
    /// The fork check's rule (`forks::report::decide`): send, or why not.
    pub decided: Option<(bool, Vec<String>)>,
}

/// A quoted block (`> ` lines) as plain text, its bold first line as title.
fn unquote(block: &str) -> (String, String) {
    let lines: Vec<&str> = block.lines().filter_map(|l| l.strip_prefix("> ").or_else(|| (l == ">").then_some(""))).collect();
    let title = lines.first().map(|l| l.trim().trim_matches('*').to_string()).unwrap_or_default();
    let body = lines.iter().skip(1).copied().collect::<Vec<_>>().join("\n").trim().to_string();
    (title, body)
}

/// The page `file` of whichever claim renders it, from pinned evidence.
fn report_page(file: &str) -> Result<String, BundleError> {
    let render = |e: crate::claims::ClaimError| BundleError::Render { what: format!("report {file}"), source: Box::new(e) };
    for claim in crate::claims::registry::ALL {
        let Ok(sources) = crate::claims::registry::Sources::pinned(*claim) else { continue };
        if let Some((_, page)) = claim.render(&sources).map_err(render)?.into_iter().find(|(f, _)| f == file) {
            return Ok(page.markdown);
        }
    }
    Err(BundleError::Render { what: format!("report {file}"), source: "no claim renders it from pinned evidence".into() })
}

/// The "Draft issue" section of a report page, and its data file.
fn draft_issue(report: &str) -> Result<Upstream, BundleError> {
    let page = report_page(&format!("{report}.md"))?;
    let missing = || BundleError::Render { what: format!("reports/{report}.md"), source: "it has no `## Draft issue` section: nothing to send".into() };
    let start = page.find("## Draft issue").ok_or_else(missing)?;
    let rest = &page[start..];
    let section = &rest[..rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3)];
    let (title, body) = unquote(section);
    let data = page.lines().find_map(|l| l.strip_prefix("- Data: `")).and_then(|l| l.split('`').next()).unwrap_or("?").to_string();
    Ok(Upstream { title, body, data, decided: None })
}

/// The upstream text of bundle `b`, or `None` when its evidence is not pinned yet.
pub fn upstream_text(b: &Bundle) -> Result<Option<Upstream>, BundleError> {
    match &b.text {
        Text::ForkCheck => {
            let u =
                crate::forks::report::upstream(&b.patch).map_err(|e| BundleError::Render { what: b.patch.file.display().to_string(), source: Box::new(e) })?;
            Ok(u.map(|u| {
                let (title, body) = unquote(&u.description);
                Upstream { title, body, data: u.data, decided: Some((u.send, u.reasons)) }
            }))
        }
        Text::Report(report) => draft_issue(report).map(Some),
    }
}

fn issue_md(b: &Bundle, u: &Option<Upstream>) -> String {
    let Some(u) = u else {
        return format!(
            "# {}\n\nNot rendered: the patch has no pinned fork-check evidence. Run `harness fork check {} --patch {} --promote`, then `harness bundle render`.\n",
            b.patch.title, b.patch.krate, b.patch.name
        );
    };
    let mut s =
        format!("<!-- Rendered by `harness bundle render` from {}; change the evidence or the renderer, not this file. -->\n\n# {}\n\n", u.data, u.title);
    if b.kind == Kind::Issue {
        s += "*An issue first: `fix.patch` in this bundle is a proposal for the maintainers to weigh, not a pull request.*\n\n";
    }
    s += &u.body;
    if matches!(b.text, Text::Report(_)) {
        s += &format!(
            "\n\nProposed patch (`fix.patch`, against {} {}): **{}**. {}",
            b.patch.krate,
            b.patch.version.as_deref().unwrap_or("?"),
            b.patch.title,
            b.patch.summary
        );
    }
    s += &format!(
        "\n\nReproduction: this folder, without any other code. `./run.sh {}` builds `repro/` against the published {} {}, then with `fix.patch` applied, and compares both outputs with `expected-before.txt` and `expected-after.txt`.\n",
        b.usage(),
        b.patch.krate,
        b.patch.version.as_deref().unwrap_or("?")
    );
    s
}

fn fenced(text: &str) -> String {
    format!("```\n{}\n```\n", text.trim_end())
}

fn status_line(b: &Bundle, u: &Option<Upstream>) -> String {
    let kind = match b.kind {
        Kind::PullRequest => format!("A pull request to {} ({})", b.send_to, b.home),
        Kind::Issue => format!("An issue for {} ({}), with the patch as a proposal", b.send_to, b.home),
    };
    let rule = match u.as_ref().and_then(|u| u.decided.as_ref()) {
        Some((true, _)) => " The fork check's rule (`forks::report::decide`) says: ready to send.".to_string(),
        Some((false, reasons)) => format!(" The fork check's rule (`forks::report::decide`) says: do not send as a pull request yet ({}).", reasons.join("; ")),
        None if u.is_some() => " Its text is the report's draft issue.".to_string(),
        None => " Its patch has not been checked yet.".to_string(),
    };
    format!("{kind}.{rule}")
}

fn upstream_section(b: &Bundle) -> Result<String, BundleError> {
    let mut s = String::from("## Still true upstream?\n\n");
    let Some((ev, data)) = upstream::pinned()? else {
        return Ok(s + "Not checked yet: `harness bundle upstream --promote` runs every bundle against the newest published version of its crate.\n");
    };
    let Some(c) = ev.data.checks.iter().find(|c| c.bundle == b.id) else {
        return Ok(s + &format!("This bundle was not in the last upstream check (`{data}`): run `harness bundle upstream --promote`.\n"));
    };
    let newest = match &c.newest {
        Ok(v) if *v == c.pinned => format!("{v} (the pinned version)"),
        Ok(v) => v.clone(),
        Err(e) => format!("unknown: {e}"),
    };
    let finding = c.outcome.as_ref().map_or("not run: the newest version is not known".to_string(), |o| judge(o).describe().to_string());
    let home = match &c.home_reachable {
        Ok(()) => format!("{}: reachable, but the bundle was run against the registry's version only", c.home),
        Err(e) => format!("{}: {e}; checked against the registry only", c.home),
    };
    s += &table(
        &["checked", "newest published", "the bundle against it", "development home"],
        &[vec![ev.finished_at.clone(), format!("{} {newest}", c.krate), finding, home]],
    );
    s += &format!("\nData: `{data}` (environment in that file).\n");
    Ok(s)
}

fn readme_md(b: &Bundle, u: &Option<Upstream>) -> Result<String, BundleError> {
    let (krate, version) = b.crate_version();
    let read = |f: &str| std::fs::read_to_string(b.dir.join(f)).map_err(io(&b.dir.join(f)));
    let mut s = format!(
        "<!-- Rendered by `harness bundle render`; edit bundle.toml, the patch header or the renderer, not this file. -->\n\n# Bundle: {}\n\n",
        b.patch.title
    );
    s += &format!("{}\n\n{}\n\n", status_line(b, u), b.patch.summary);
    s += &format!("## Run it\n\n```sh\n./run.sh {}\n```\n\n", b.usage());
    for i in &b.inputs {
        s += &format!("- `{}`: {}\n", i.usage(), i.help());
    }
    s += &format!(
        "\nIt copies `repro/` to a temporary folder, builds it against the published {krate} {version} (its own `Cargo.lock`, `--locked`), runs it, \
         then applies `fix.patch` to a copy of that same registry source and runs it again through `[patch.crates-io]`. Exit 0 when both outputs \
         are the expected ones, 1 when one differs (the difference is printed), 3 when the patch does not apply (the failing hunk is printed). \
         `./run.sh --against VERSION ...` does the same against another published version. Needs cargo, `patch` and crates.io, nothing else.\n\n"
    );
    s += &format!(
        "## Expected output\n\nBefore the patch (`expected-before.txt`):\n\n{}\nAfter it (`expected-after.txt`):\n\n{}\n",
        fenced(&read("expected-before.txt")?),
        fenced(&read("expected-after.txt")?)
    );
    s += "Lines the repro prints on stderr starting with `info` (timings, memory) depend on the machine and are shown, not compared.\n\n";
    s += &format!(
        "## Files\n\n- `ISSUE.md`: the {} text, rendered from the pinned evidence.\n- `repro/`: the minimal program, depending only on {krate} (and what its Cargo.toml lists).\n- `fix.patch`: `{}`, copied (the header lines above the diff are skipped by `patch`).\n- `run.sh`: the one command.\n- `expected-before.txt`, `expected-after.txt`: the outputs it checks.\n\n",
        if b.kind == Kind::Issue { "issue" } else { "pull-request" },
        crate::report::markdown::data_path(&b.patch.file)
    );
    s += &upstream_section(b)?;
    Ok(s)
}

/// Every rendered file of bundle `b`, by path.
pub fn files(b: &Bundle) -> Result<Vec<(PathBuf, String)>, BundleError> {
    let u = upstream_text(b)?;
    let patch = std::fs::read_to_string(&b.patch.file).map_err(io(&b.patch.file))?;
    Ok(vec![
        (b.dir.join("run.sh"), run_sh(b)),
        (b.dir.join("fix.patch"), patch),
        (b.dir.join("ISSUE.md"), issue_md(b, &u)),
        (b.dir.join("README.md"), readme_md(b, &u)?),
    ])
}

fn index(bundles: &[Bundle]) -> Result<String, BundleError> {
    let mut rows = Vec::new();
    let checks = upstream::pinned()?;
    for b in bundles {
        let (krate, version) = b.crate_version();
        let u = upstream_text(b)?;
        let rule = match u.as_ref().and_then(|u| u.decided.as_ref()) {
            Some((true, _)) => "ready to send",
            Some((false, _)) => "do not send as a pull request yet",
            None => "-",
        };
        let up = checks
            .as_ref()
            .and_then(|(ev, _)| ev.data.checks.iter().find(|c| c.bundle == b.id))
            .and_then(|c| c.outcome.as_ref().map(|o| format!("{} {}: {}", o.krate, o.version, judge(o).describe())))
            .unwrap_or_else(|| "not checked".into());
        rows.push(vec![
            format!("[`{}`]({}/README.md)", b.id, b.id),
            match b.kind {
                Kind::PullRequest => "pull request".into(),
                Kind::Issue => "issue first".into(),
            },
            format!("{krate} {version}"),
            rule.to_string(),
            up,
        ]);
    }
    let mut s = String::from(
        "<!-- Rendered by `harness bundle render`; edit harness/src/bundles/render.rs, not this file. -->\n\n# bundles/\n\n\
         One folder per finding worth sending upstream, runnable without this harness: a maintainer copies the folder and runs `./run.sh`.\n\n",
    );
    s += &table(&["bundle", "kind", "against", "fork check's rule", "newest published version (last upstream check)"], &rows);
    s += &format!(
        "\n## What a bundle holds\n\nBy hand: `{}` (kind, who receives it, where its text comes from, the repro's inputs), `repro/` (a crate with its own \
         `Cargo.toml` and `Cargo.lock`, its own `[workspace]`, depending only on the upstream crate), `expected-before.txt` and `expected-after.txt` \
         (the repro's stdout; timings and memory go to stderr and are not compared). The patch stays in `patches/CRATE/`; its header line \
         `Bundle: ID` ties it to the folder.\n\nRendered by `harness bundle render`: `run.sh` (one template, `harness/src/bundles/run.sh`), \
         `fix.patch`, `ISSUE.md` (from the pinned evidence) and `README.md`. A test re-renders them and fails when the committed files differ.\n\n\
         ## How they are checked\n\n- `harness bundle check [ID...]` runs each bundle in a temporary copy outside the workspace with the \
         harness's models: the defect before, fixed after. `--quick` shares one cargo target folder between bundles (whisper.cpp is built \
         once instead of once per bundle); the builds and runs are the same. CI runs `harness bundle check --quick`.\n\
         - `harness bundle upstream [--promote]` runs each against the newest published version of its crate and tries its development \
         home; the READMEs show the pinned result.\n",
        spec::FILE
    );
    Ok(s)
}

/// Every rendered file of every bundle, and the index.
pub fn all_files() -> Result<Vec<(PathBuf, String)>, BundleError> {
    let bundles = spec::all()?;
    let mut out = vec![(spec::root().join("README.md"), index(&bundles)?)];
    for b in &bundles {
        out.extend(files(b)?);
    }
    Ok(out)
}

/// Writes every rendered file that differs from its rendering; returns those written.
pub fn write_all() -> Result<Vec<PathBuf>, BundleError> {
    let mut written = Vec::new();
    for (path, text) in all_files()? {
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, &text).map_err(io(&path))?;
            if path.extension().is_some_and(|e| e == "sh") {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(io(&path))?;
            }
            written.push(path);
        }
    }
    Ok(written)
}

/// The committed files that differ from their rendering (empty when up to date).
pub fn stale() -> Result<Vec<PathBuf>, BundleError> {
    Ok(all_files()?.into_iter().filter(|(p, t)| std::fs::read_to_string(p).ok().as_deref() != Some(t.as_str())).map(|(p, _)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_description_becomes_title_and_body() {
        let (t, b) = unquote("> **Fix it**\n>\n> One.\n> Two.\n");
        assert_eq!((t.as_str(), b.as_str()), ("Fix it", "One.\nTwo."));
    }

    #[test]
    fn run_sh_has_no_placeholder_left_and_names_the_crate() {
        for b in spec::all().unwrap() {
            let s = run_sh(&b);
            for placeholder in ["@ID@", "@CRATE@", "@VERSION@", "@USAGE@", "@ARGC@"] {
                assert!(!s.contains(placeholder), "{}: {placeholder} left in run.sh", b.id);
            }
            assert!(s.contains(&format!("crate={}\n", b.patch.krate)), "{}", b.id);
        }
    }
}
