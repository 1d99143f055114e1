//! The human report: what a developer sees when the hook stops a commit.
//!
//! It says where each key is, what it is (masked), and then exactly what to do: revoke
//! or rotate at the provider, load it from the environment instead, and the git
//! commands that take it out of the commit (or, for a push, out of the unpushed
//! history). It ends with how to mark a false positive and, labelled as the last
//! resort, how to skip the hook.

use std::collections::BTreeSet;
use std::io::Write;

use colored::Colorize;

use super::{Report, ScanKind};
use crate::finding::{Allowed, Finding};
use crate::rules::schema::Severity;
use crate::source::ScanStats;

fn human_size(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn where_scanned(kind: ScanKind) -> &'static str {
    match kind {
        ScanKind::Staged => "the staged changes",
        ScanKind::Files => "the staged files",
        ScanKind::Push => "the commits being pushed",
        ScanKind::History => "the history scanned",
    }
}

fn write_finding(out: &mut dyn Write, f: &Finding) -> std::io::Result<()> {
    let loc = format!("{}:{}:{}", f.file, f.line, f.column);
    let tag = match (f.allowed, f.severity) {
        (Some(Allowed::Inline), _) => " [allowed inline]".dimmed().to_string(),
        (Some(Allowed::Baseline), _) => " [in baseline]".dimmed().to_string(),
        (Some(Allowed::Fingerprint), _) => " [allowlisted fingerprint]".dimmed().to_string(),
        (None, Severity::Warn) => " [warning]".yellow().to_string(),
        (None, Severity::Block) => String::new(),
    };
    writeln!(
        out,
        "  {}  {} {}{}",
        loc.bold(),
        f.rule.description.red().bold(),
        format!("({})", f.rule.id).dimmed(),
        tag
    )?;
    if let Some(c) = &f.commit {
        writeln!(out, "      commit       {} {}", c.short.yellow(), c.summary)?;
    }
    if f.rule.file_rule {
        writeln!(out, "      file         {}", f.masked)?;
    } else {
        let len = f.secret.expose().chars().count();
        writeln!(
            out,
            "      secret       {}  {}",
            f.masked.bold(),
            format!("({len} chars, masked)").dimmed()
        )?;
    }
    writeln!(out, "      fingerprint  {}", f.fingerprint)
}

fn write_skips(out: &mut dyn Write, stats: &ScanStats) -> std::io::Result<()> {
    for o in &stats.oversized {
        let at = o
            .commit
            .as_deref()
            .map(|c| format!(" in commit {}", &c[..c.len().min(10)]))
            .unwrap_or_default();
        writeln!(
            out,
            "{} {}{at} was NOT scanned: {} is over the size limit. Check it by hand, or raise [scan] max_file_size in .keyguard.toml.",
            "keyguard: warning:".yellow().bold(),
            o.path,
            human_size(o.size)
        )?;
    }
    Ok(())
}

/// The advice block, tailored to the providers and files involved.
fn write_advice(
    out: &mut dyn Write,
    report: &Report,
    blocking: &[&Finding],
) -> std::io::Result<()> {
    writeln!(out, "{}", "What to do now".bold().underline())?;
    writeln!(
        out,
        "  1. {} A key that ever left this machine (pushed, pasted, shared, synced) is compromised: revoke or rotate it and check its recent usage.",
        "Revoke or rotate.".bold()
    )?;
    let mut seen = BTreeSet::new();
    for f in blocking.iter().filter(|f| seen.insert(f.rule.id.clone())) {
        let who = f.rule.provider.as_deref().unwrap_or(&f.rule.description);
        if let Some(url) = &f.rule.remediation.revoke_url {
            writeln!(out, "       {who}: {}", url.cyan())?;
        }
        for step in &f.rule.remediation.steps {
            writeln!(out, "       {who}: {step}")?;
        }
    }
    let env_vars: BTreeSet<&str> = blocking
        .iter()
        .filter_map(|f| f.rule.remediation.env_var.as_deref())
        .collect();
    let env_hint = if env_vars.is_empty() {
        String::from("an environment variable")
    } else {
        env_vars
            .iter()
            .map(|v| format!("${v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        out,
        "  2. {} Read it at run time from {env_hint} or a secret manager (e.g. os.environ[\"…\"], process.env.…), and keep .env files listed in .gitignore.",
        "Keep it out of the code.".bold()
    )?;
    let files: BTreeSet<&str> = blocking.iter().map(|f| f.file.as_str()).collect();
    match report.kind {
        ScanKind::Staged | ScanKind::Files => {
            writeln!(
                out,
                "  3. {} Your working-tree edits stay as they are:",
                "Take it out of this commit.".bold()
            )?;
            for file in &files {
                let q = shell_quote(file);
                writeln!(out, "       git restore --staged {q}    # unstage it")?;
                writeln!(
                    out,
                    "       # edit {q}: remove the key, read it from the environment instead"
                )?;
                writeln!(out, "       git add {q}")?;
            }
        }
        ScanKind::Push => {
            writeln!(
                out,
                "  3. {} Deleting the line in a new commit does not help: the key stays in the commits that would be pushed.",
                "Rewrite the unpushed commits.".bold()
            )?;
            writeln!(
                out,
                "       git commit --amend                 # if it is in the last commit"
            )?;
            writeln!(out, "       git rebase -i <remote>/<branch>    # edit the commit that added it (see `commit` above)")?;
            writeln!(out, "       git reset --soft <remote>/<branch> # or squash all unpushed commits and commit again")?;
        }
        ScanKind::History => {
            writeln!(
                out,
                "  3. {} If these commits were ever pushed, rotating the key (step 1) is what protects you: rewriting history does not un-leak it.",
                "It is already in history.".bold()
            )?;
            writeln!(out, "       git rebase -i <commit>^            # only for commits not pushed yet: edit the one that added it")?;
            writeln!(out, "       keyguard baseline                  # after rotating: accept the old, now dead key so it is not reported again")?;
        }
    }
    writeln!(
        out,
        "  {} add a comment containing `keyguard:allow` on that line (or `keyguard:allow-next-line` on the line above), or add its fingerprint to [allowlist] fingerprints in .keyguard.toml.",
        "Not a secret?".bold()
    )?;
    let skip = match report.kind {
        ScanKind::Push => "git push --no-verify",
        ScanKind::History => return Ok(()),
        _ => "git commit --no-verify",
    };
    writeln!(
        out,
        "  {} `{skip}` skips every check of this {}. Only if you are sure.",
        "Last resort:".bold().red(),
        if skip.contains("push") {
            "push"
        } else {
            "commit"
        }
    )
}

/// Quotes a path for a POSIX shell when it needs it.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

pub fn write(report: &Report, out: &mut dyn Write, quiet: bool) -> std::io::Result<()> {
    let reported: Vec<&Finding> = report.reported().collect();
    let blocking: Vec<&Finding> = reported.iter().copied().filter(|f| f.blocks()).collect();
    let warnings: Vec<&Finding> = reported.iter().copied().filter(|f| !f.blocks()).collect();
    write_skips(out, report.stats)?;

    let allowed_note = {
        let parts: Vec<String> = [
            (Allowed::Inline, "allowed inline"),
            (Allowed::Baseline, "in the baseline"),
            (Allowed::Fingerprint, "allowlisted by fingerprint"),
        ]
        .iter()
        .filter_map(|(k, label)| {
            let n = report.count_allowed(*k);
            (n > 0).then(|| format!("{n} {label}"))
        })
        .collect();
        if parts.is_empty() {
            String::new()
        } else {
            let hint = if report.show_allowed {
                ""
            } else {
                "; --show-allowed lists them"
            };
            format!(" ({}{hint})", parts.join(", "))
        }
    };

    if blocking.is_empty() && warnings.is_empty() {
        if !quiet {
            let s = report.stats;
            let commits = if s.commits > 0 {
                format!("{}, ", plural(s.commits, "commit", "commits"))
            } else {
                String::new()
            };
            writeln!(
                out,
                "{} no secrets in {} ({commits}{} in {}){allowed_note}",
                "keyguard:".green(),
                where_scanned(report.kind),
                plural(s.lines, "line", "lines"),
                plural(s.files, "file", "files"),
            )?;
        }
    } else {
        if !blocking.is_empty() {
            let verdict = match report.kind {
                ScanKind::Push => "push blocked",
                ScanKind::History => "found in history",
                _ => "commit blocked",
            };
            writeln!(
                out,
                "{} {} in {}: {}{allowed_note}\n",
                "keyguard:".red().bold(),
                plural(blocking.len(), "secret", "secrets").red().bold(),
                where_scanned(report.kind),
                verdict.red().bold()
            )?;
            for f in &blocking {
                write_finding(out, f)?;
            }
            writeln!(out)?;
        }
        if !warnings.is_empty() {
            writeln!(
                out,
                "{} {} (severity \"warn\", not blocking):\n",
                "keyguard:".yellow().bold(),
                plural(warnings.len(), "warning", "warnings")
            )?;
            for f in &warnings {
                write_finding(out, f)?;
            }
            writeln!(out)?;
        }
        if !blocking.is_empty() {
            write_advice(out, report, &blocking)?;
        }
    }
    if report.show_allowed {
        let allowed: Vec<&Finding> = report.allowed().collect();
        if !allowed.is_empty() {
            writeln!(
                out,
                "\n{} {}:",
                "keyguard:".dimmed(),
                plural(allowed.len(), "allowed finding", "allowed findings")
            )?;
            for f in allowed {
                write_finding(out, f)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("src/a.py"), "src/a.py");
        assert_eq!(shell_quote("my file"), "'my file'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(12 << 20), "12.0 MiB");
        assert_eq!(human_size(5), "5 B");
    }
}
