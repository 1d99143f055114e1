//! `keyguard doctor`: is this repository actually protected, and is anything exposed?
//! The diagnosis and its rendering are `report::doctor`'s.
//!
//! Each check says what it found and, when something is wrong, the command that fixes it:
//!
//! * **hooks**: for `pre-commit`, `pre-merge-commit` and `pre-push`, the hook git will
//!   really run (the folder `core.hooksPath` names, from the repository's or the global
//!   config, else the common git dir's `hooks/`): present, executable, and running
//!   keyguard (keyguard's own hook; a husky/lefthook script or the pre-commit framework
//!   calling keyguard), and whether keyguard's hook can find the binary. A keyguard hook
//!   that `core.hooksPath` makes git ignore is pointed out.
//! * **ignored**: whether the file names of the sensitive-file rules (`.env`, `*.p12`, …)
//!   are git-ignored (a warning: many repositories have none of these files).
//! * **untracked**: untracked files that are not ignored (what `git add -A` would stage
//!   next), scanned whole with every rule.
//! * **stash**: every stash entry (its index, work-tree and untracked-files commits),
//!   scanned like history.
//!
//! A missing or broken `pre-commit` hook, or any key found, is a problem (exit 1); other
//! findings are warnings (exit 0). Nothing is written.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use git2::{ConfigLevel, Repository, StatusOptions};

use super::session::{ignore_broken_pipe, Outcome, Session};
use crate::cli::Common;
use crate::config::Settings;
use crate::filter::Baseline;
use crate::finding::Finding;
use crate::matcher::Matcher;
use crate::report::doctor::{Check, Diagnosis, Exposed, Status};
use crate::source::{files, ScanStats};
use crate::{install, report, scan};

/// `keyguard doctor`: exit 1 when the repository is unprotected or a key is exposed.
pub(super) fn doctor(common: &Common) -> Result<Outcome> {
    let s = Session::open(common)?;
    let diagnosis = diagnose(&s.repo, &s.settings, &s.matcher()?)?;
    let stdout = std::io::stdout();
    report::doctor::write(&diagnosis, common.format, &mut stdout.lock())
        .or_else(ignore_broken_pipe)
        .context("writing the report")?;
    Ok(if diagnosis.protected && !diagnosis.exposed {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// Runs every check.
fn diagnose(repo: &Repository, settings: &Settings, matcher: &Matcher) -> Result<Diagnosis> {
    let mut checks = Vec::new();
    for (name, required) in [
        ("pre-commit", true),
        ("pre-merge-commit", false),
        ("pre-push", false),
    ] {
        checks.push(hook_check(repo, name, required)?);
    }
    checks.push(ignored_check(repo, settings));
    checks.push(untracked_check(repo, settings, matcher)?);
    checks.push(stash_check(repo, settings, matcher)?);
    let protected = checks
        .iter()
        .find(|c| c.check == "hook:pre-commit")
        .is_some_and(|c| c.status == Status::Ok);
    let exposed = checks.iter().any(|c| !c.findings.is_empty());
    let repository = repo
        .workdir()
        .unwrap_or_else(|| repo.path())
        .display()
        .to_string();
    Ok(Diagnosis {
        repository,
        protected,
        exposed,
        checks,
    })
}

/// Where `core.hooksPath` comes from, if it is set.
fn hooks_path_origin(repo: &Repository) -> Option<&'static str> {
    let config = repo.config().ok()?;
    let entry = config.get_entry("core.hooksPath").ok()?;
    entry.value().filter(|v| !v.is_empty())?;
    Some(match entry.level() {
        ConfigLevel::Local | ConfigLevel::Worktree | ConfigLevel::App => {
            "this repository's core.hooksPath"
        }
        ConfigLevel::Global | ConfigLevel::XDG => "the global core.hooksPath",
        ConfigLevel::System | ConfigLevel::ProgramData => "the system core.hooksPath",
        _ => "core.hooksPath",
    })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The keyguard binary keyguard's hook would run: the same places, in the same order, as
/// the hook scripts look (`$KEYGUARD_BIN`, `PATH`, `~/.cargo/bin`, the path it was
/// installed from).
fn hook_binary(hook_text: &str) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(b) = std::env::var_os("KEYGUARD_BIN").filter(|b| !b.is_empty()) {
        candidates.push(b.into());
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join("keyguard")));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".cargo/bin/keyguard"));
    }
    // The installed hook names the binary that installed it last in its search list.
    const BEFORE: &str = "\"$HOME/.cargo/bin/keyguard\" \"";
    if let Some(rest) = hook_text
        .find(BEFORE)
        .map(|i| &hook_text[i + BEFORE.len()..])
    {
        if let Some(end) = rest.find('"') {
            if !rest[..end].is_empty() {
                candidates.push(PathBuf::from(&rest[..end]));
            }
        }
    }
    candidates.into_iter().find(|c| is_executable(c))
}

fn hook_check(repo: &Repository, name: &str, required: bool) -> Result<Check> {
    let check = format!("hook:{name}");
    let dir = install::hooks_dir(repo)?;
    let hook = dir.join(name);
    let origin = hooks_path_origin(repo);
    let install_cmd = if name == "pre-push" {
        "keyguard install --pre-push"
    } else {
        "keyguard install"
    };
    let missing = if required {
        Status::Problem
    } else {
        Status::Warning
    };
    // keyguard's hook in .git/hooks, which a core.hooksPath elsewhere makes git ignore.
    let shadowed = {
        let default = repo.commondir().join("hooks").join(name);
        (origin.is_some() && default != hook && install::is_keyguard_hook(&default)).then(|| {
            format!(
                " keyguard's hook in {} is ignored: {} sends git to {}.",
                default.display(),
                origin.unwrap_or("core.hooksPath"),
                dir.display()
            )
        })
    }
    .unwrap_or_default();
    // keyguard's global hooks (`install --global`), which a repository's own hooksPath
    // overrides: git runs one folder only.
    let shadowed = match install::global::hooks_dir() {
        Ok(global) if global != dir && global.join(name).is_file() && origin.is_some() => format!(
            "{shadowed} keyguard's global hooks ({}) do not run here: {} overrides the global one.",
            global.display(),
            origin.unwrap_or("core.hooksPath")
        ),
        _ => shadowed,
    };
    let at = match origin {
        Some(o) => format!("{} (from {o})", dir.display()),
        None => dir.display().to_string(),
    };
    let what = match name {
        "pre-push" => "pushes are not scanned",
        "pre-merge-commit" => "merge commits made by `git merge` are not scanned",
        _ => "commits are not scanned",
    };
    if hook.symlink_metadata().is_err() {
        return Ok(Check::new(
            &check,
            missing,
            format!("no {name} hook in {at}: {what}.{shadowed}"),
            Some(install_cmd.to_string()),
        ));
    }
    if !is_executable(&hook) {
        return Ok(Check::new(
            &check,
            missing,
            format!(
                "{} is not executable, so git skips it: {what}.{shadowed}",
                hook.display()
            ),
            Some(format!("chmod +x {}", hook.display())),
        ));
    }
    let text = String::from_utf8_lossy(&std::fs::read(&hook).unwrap_or_default()).into_owned();
    if install::is_keyguard_hook(&hook) {
        return Ok(match hook_binary(&text) {
            Some(bin) => Check::new(
                &check,
                Status::Ok,
                format!(
                    "keyguard's hook {} runs {}",
                    hook.display(),
                    bin.display()
                ),
                None,
            ),
            None => Check::new(
                &check,
                missing,
                format!(
                    "keyguard's hook {} cannot find the keyguard binary (not in $KEYGUARD_BIN, on PATH, in ~/.cargo/bin or where it was installed from): it blocks every {}",
                    hook.display(),
                    if name == "pre-push" { "push" } else { "commit" }
                ),
                Some("put keyguard on PATH (./install.sh), or set KEYGUARD_BIN=/path/to/keyguard".into()),
            ),
        });
    }
    // Another tool's hook: husky or lefthook scripts that call keyguard themselves, or the
    // pre-commit framework with keyguard in its configuration.
    let framework = text.contains("pre-commit.com") || text.contains("INSTALL_PYTHON");
    let config_names_keyguard = || {
        repo.workdir()
            .and_then(|w| std::fs::read_to_string(w.join(".pre-commit-config.yaml")).ok())
            .is_some_and(|c| c.contains("id: keyguard"))
    };
    if (framework && config_names_keyguard()) || (!framework && text.contains("keyguard")) {
        return Ok(Check::new(
            &check,
            Status::Ok,
            format!("{} runs keyguard", hook.display()),
            None,
        ));
    }
    Ok(Check::new(
        &check,
        missing,
        format!(
            "{} does not run keyguard: {what}.{}{shadowed}",
            hook.display(),
            origin
                .map(|o| format!(" git runs this folder because of {o}."))
                .unwrap_or_default()
        ),
        Some(if framework {
            "add `- id: keyguard` to .pre-commit-config.yaml (see the README), or `keyguard install` (keeps this hook and runs it first)".into()
        } else {
            format!("{install_cmd} (keeps this hook and runs it first)")
        }),
    ))
}

/// A file name a path glob of a sensitive-file rule stands for (`**/*.p12` → `example.p12`).
fn sample_name(glob: &str) -> Option<String> {
    let g = glob.trim_start_matches("**/");
    (!g.contains("**") && !g.contains(['[', '{', '?'])).then(|| g.replace('*', "example"))
}

fn ignored_check(repo: &Repository, settings: &Settings) -> Check {
    // (the glob as people write it in .gitignore, a file name it stands for)
    let mut names: Vec<(String, String)> = settings
        .rules
        .iter()
        .filter(|r| r.file_rule)
        .flat_map(|r| r.path_globs.iter())
        .filter_map(|g| Some((g.trim_start_matches("**/").to_string(), sample_name(g)?)))
        .collect();
    names.sort();
    names.dedup();
    let not_ignored: Vec<&String> = names
        .iter()
        .filter(|(_, n)| !repo.is_path_ignored(n.as_str()).unwrap_or(false))
        .map(|(glob, _)| glob)
        .collect();
    if not_ignored.is_empty() {
        return Check::new(
            "ignored",
            Status::Ok,
            format!("all {} sensitive file names are git-ignored", names.len()),
            None,
        );
    }
    let list: Vec<&str> = not_ignored.iter().map(|s| s.as_str()).collect();
    Check::new(
        "ignored",
        Status::Warning,
        format!(
            "{} of {} sensitive file names are not git-ignored: {}",
            list.len(),
            names.len(),
            list.join(", ")
        ),
        Some("list the ones this project could ever hold in .gitignore (for example `.env`, `.env.*.local`, `*.p12`, `*.tfstate`)".into()),
    )
}

fn untracked_check(repo: &Repository, settings: &Settings, matcher: &Matcher) -> Result<Check> {
    let Some(workdir) = repo.workdir() else {
        return Ok(Check::new(
            "untracked",
            Status::Ok,
            "no work tree".into(),
            None,
        ));
    };
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo
        .statuses(Some(&mut opts))
        .context("listing untracked files")?;
    let untracked: Vec<(PathBuf, String)> = statuses
        .iter()
        .filter(|e| e.status().is_wt_new())
        .map(|e| {
            let raw = e.path_bytes();
            (
                workdir.join(crate::source::diff::os_path(raw)),
                crate::source::path_text(raw),
            )
        })
        .filter(|(p, _)| p.symlink_metadata().is_ok_and(|m| m.is_file()))
        .collect();
    let mut stats = ScanStats::default();
    let units = files::read_named(&untracked, settings.limits, &mut stats)?;
    let baseline = Baseline::load(&settings.baseline)?;
    let findings = scan::scan_units(&units, matcher, settings, &baseline)?;
    let blocking: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.allowed.is_none() && f.blocks())
        .collect();
    if blocking.is_empty() {
        return Ok(Check::new(
            "untracked",
            Status::Ok,
            format!(
                "no keys in the {} untracked file(s) `git add -A` would stage",
                untracked.len()
            ),
            None,
        ));
    }
    let mut files: Vec<&str> = blocking.iter().map(|f| f.file.as_str()).collect();
    files.dedup();
    let mut c = Check::new(
        "untracked",
        Status::Problem,
        format!(
            "{} key(s) in untracked files that `git add -A` would stage next",
            blocking.len()
        ),
        Some(format!(
            "move the key out of the file (read it from the environment), or git-ignore the file: {}",
            files
                .iter()
                .map(|f| format!("echo '{f}' >> .gitignore"))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    );
    c.findings = blocking.iter().map(|f| Exposed::of(f, None)).collect();
    Ok(c)
}

fn stash_check(repo: &Repository, settings: &Settings, matcher: &Matcher) -> Result<Check> {
    // Each entry is a commit W (the work tree) whose parents are HEAD then, the index
    // commit and, with `-u`, the untracked files' commit.
    let entries: Vec<git2::Oid> = match repo.reflog("refs/stash") {
        Ok(log) => log.iter().map(|e| e.id_new()).collect(),
        Err(_) => Vec::new(),
    };
    if entries.is_empty() {
        return Ok(Check::new("stash", Status::Ok, "no stash".into(), None));
    }
    let mut commits = Vec::new();
    let mut owner = std::collections::HashMap::new();
    for (n, w) in entries.iter().enumerate() {
        let commit = repo
            .find_commit(*w)
            .with_context(|| format!("reading stash@{{{n}}}"))?;
        // The index and untracked commits first, so a line is blamed where it first appears.
        let mut ids: Vec<git2::Oid> = commit.parent_ids().skip(1).collect();
        ids.push(*w);
        for id in ids {
            owner.entry(id.to_string()).or_insert(n);
            commits.push(id);
        }
    }
    let baseline = Baseline::load(&settings.baseline)?;
    let (findings, _) = scan::scan_commits(repo, &commits, matcher, settings, &baseline, &|_| {})?;
    let blocking: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.allowed.is_none() && f.blocks())
        .collect();
    if blocking.is_empty() {
        return Ok(Check::new(
            "stash",
            Status::Ok,
            format!("no keys in {} stash entr(ies)", entries.len()),
            None,
        ));
    }
    let which = |f: &Finding| {
        f.commit
            .as_ref()
            .and_then(|c| owner.get(&c.id))
            .map(|n| format!("stash@{{{n}}}"))
    };
    let mut c = Check::new(
        "stash",
        Status::Problem,
        format!("{} key(s) in the stash", blocking.len()),
        Some("a stash is local, but `git stash pop` puts the key back in the work tree: drop the entry (`git stash drop stash@{N}`) or remove the key after popping it, and rotate the key if it was ever shared".into()),
    );
    c.findings = blocking.iter().map(|f| Exposed::of(f, which(f))).collect();
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_names_stand_for_globs() {
        assert_eq!(sample_name("**/*.p12").as_deref(), Some("example.p12"));
        assert_eq!(sample_name(".env").as_deref(), Some(".env"));
        assert_eq!(
            sample_name(".env.*.local").as_deref(),
            Some(".env.example.local")
        );
        assert_eq!(sample_name("**/.m2/**"), None);
    }
}
