//! `keyguard fix [--apply]`: the staged scan, the plan of `crate::fix` printed (masked),
//! and with `--apply` the edits made and the staged changes scanned again.

use anyhow::{bail, Result};

use super::session::{Outcome, Session};
use crate::cli::Common;
use crate::finding::Finding;
use crate::fix::apply::{self, Ignore};
use crate::fix::Plan;
use crate::report::Format;
use crate::source::{staged, ScanStats};

/// The staged scan of pre-commit, without its report.
fn staged_findings(s: &Session) -> Result<Vec<Finding>> {
    let mut stats = ScanStats::default();
    let changes = staged::staged_changes(&s.repo, &mut stats)?;
    crate::scan::scan_changes(
        &s.repo,
        &changes,
        &s.matcher()?,
        &s.settings,
        &s.baseline()?,
        &mut stats,
    )
}

pub(super) fn fix(common: &Common, do_apply: bool) -> Result<Outcome> {
    if common.format != Format::Human {
        bail!("`keyguard fix` prints a human-readable plan only; drop --format");
    }
    let s = Session::open(common)?;
    let findings = staged_findings(&s)?;
    let blocking = findings.iter().filter(|f| f.blocks()).count();
    if blocking == 0 {
        if !common.quiet {
            println!("keyguard fix: no blocking finding in the staged changes: nothing to fix");
        }
        return Ok(Outcome::Clean);
    }
    let plan = Plan::new(&s.repo, &findings, &s.matcher()?)?;
    let mode = if do_apply {
        "applying"
    } else {
        "dry run: nothing is written; add --apply to make these edits"
    };
    println!(
        "keyguard fix: {blocking} blocking finding{} in the staged changes ({mode})\n",
        plural(blocking)
    );
    for f in &plan.files {
        for v in &f.vars {
            let env = if v.in_env_already {
                format!("{} is already in .env with this value", v.env_name)
            } else {
                format!(".env gets {}=…", v.env_name)
            };
            println!(
                "{}: {} ({}): becomes the {} lookup of {}; {env}",
                f.path, v.masked, v.rule_id, f.lang.name, v.name
            );
        }
        print!("{}", plan.preview(f));
        println!();
    }
    for r in &plan.refused {
        println!(
            "{}:{}: {} ({}): refused: {}\n  by hand: {}\n",
            r.file, r.line, r.masked, r.rule_id, r.reason, r.manual
        );
    }
    if !do_apply {
        let fixable: usize = plan.files.iter().map(|f| f.vars.len()).sum();
        println!(
            "keyguard fix: {fixable} key{} can be moved to .env, {} refused; run `keyguard fix --apply` to edit",
            plural(fixable),
            plan.refused.len()
        );
        return Ok(Outcome::Findings);
    }
    if plan.files.is_empty() {
        println!("keyguard fix: nothing could be fixed; the commit is still blocked");
        return Ok(Outcome::Findings);
    }
    let done = apply::apply(&s.repo, &plan)?;
    match done.ignore {
        Ignore::Already => {}
        Ignore::AddedAndStaged => println!("keyguard fix: added /.env to .gitignore and staged it"),
        Ignore::AddedNotStaged => println!(
            "keyguard fix: added /.env to .gitignore (not staged: .gitignore has unstaged changes of its own; stage it yourself)"
        ),
    }
    if !done.env_added.is_empty() {
        println!(
            "keyguard fix: {} .env (mode 0600, git-ignored): {}",
            if done.env_created {
                "created"
            } else {
                "appended to"
            },
            done.env_added.join(", ")
        );
    }
    println!(
        "keyguard fix: edited and re-staged: {}",
        done.staged.join(", ")
    );

    // The index changed: scan what is staged now, from a fresh session.
    let after = staged_findings(&Session::open(common)?)?;
    let still = after.iter().filter(|f| f.blocks()).count();
    println!();
    println!("Next:");
    println!(
        "  - Rotate {}: it was written to disk, may be in your editor's history, and its old staged copy \
         stays in .git/objects until git prunes it.",
        if plan.files.iter().map(|f| f.vars.len()).sum::<usize>() > 1 { "these keys" } else { "this key" }
    );
    let mut urls: Vec<&str> = plan
        .files
        .iter()
        .flat_map(|f| &f.vars)
        .filter_map(|v| v.revoke_url.as_deref())
        .collect();
    urls.sort_unstable();
    urls.dedup();
    for u in urls {
        println!("    revoke at {u}");
    }
    println!("  - Load .env where the program runs (a dotenv loader, `set -a; . ./.env; set +a`, `docker run --env-file .env`).");
    if plan.files.iter().any(|f| f.lang.name == "Dockerfile") {
        println!("  - The Dockerfile no longer sets the variable: pass it when the container runs (`--env-file .env`, or `env_file: .env` in Compose).");
    }
    if still == 0 {
        println!("\nkeyguard fix: the staged changes are now clean: the commit can go ahead");
        Ok(Outcome::Clean)
    } else {
        println!(
            "\nkeyguard fix: {still} blocking finding{} still staged (see above); the commit is still blocked",
            plural(still)
        );
        Ok(Outcome::Findings)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
