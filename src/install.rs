//! `keyguard install` / `uninstall`: putting the hooks where git will run them.
//!
//! The hooks folder is the one git uses: `core.hooksPath` when set (husky, lefthook,
//! team folders; `~` expanded, relative paths taken from the work tree root as git
//! does), else the common git dir's `hooks/` (shared by all linked worktrees). A hook
//! already there is never overwritten: it is renamed `<hook>.keyguard-chained` and our
//! hook runs it first, exactly once. Installing twice changes nothing; uninstalling
//! puts the original back.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use git2::Repository;

/// Marks a hook file as keyguard's own.
const MARKER: &str = "keyguard-hook v1";
const FALLBACK: &str = "@KEYGUARD_FALLBACK@";
const CHAINED_SUFFIX: &str = ".keyguard-chained";

/// The hook scripts shipped in `hooks/`.
const HOOKS: &[(&str, &str)] = &[
    ("pre-commit", include_str!("../hooks/pre-commit")),
    (
        "pre-merge-commit",
        include_str!("../hooks/pre-merge-commit"),
    ),
    ("pre-push", include_str!("../hooks/pre-push")),
];

/// The folder git runs hooks from for this repository.
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf> {
    let config = repo.config().context("reading git config")?;
    match config.get_path("core.hooksPath") {
        Ok(p) if !p.as_os_str().is_empty() => {
            if p.is_absolute() {
                Ok(p)
            } else {
                // git runs hooks from the work tree root (the git dir for bare repos).
                let base = repo.workdir().unwrap_or_else(|| repo.path());
                Ok(base.join(p))
            }
        }
        _ => Ok(repo.commondir().join("hooks")),
    }
}

/// What happened to one hook.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Installed,
    Chained,
    Updated,
    Removed,
    Restored,
    NotOurs,
    Absent,
}

fn is_ours(path: &Path) -> bool {
    fs::read_to_string(path).is_ok_and(|t| t.contains(MARKER))
}

fn make_executable(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("making {} executable", path.display()))?;
    }
    Ok(())
}

fn install_one(dir: &Path, name: &str, script: &str) -> Result<Action> {
    let hook = dir.join(name);
    let chained = dir.join(format!("{name}{CHAINED_SUFFIX}"));
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.display().to_string());
    // A path with a quote could break out of the shell string: then rely on PATH only.
    let fallback = exe
        .filter(|p| !p.contains(['\'', '"', '$', '`', '\\']))
        .unwrap_or_default();
    let body = script.replace(FALLBACK, &fallback);
    let existed = hook.symlink_metadata().is_ok();
    let action = if !existed {
        Action::Installed
    } else if is_ours(&hook) {
        Action::Updated
    } else {
        if chained.symlink_metadata().is_ok() {
            bail!(
                "{} exists and is not keyguard's, and {} exists too: move one of them away, then run `keyguard install` again",
                hook.display(),
                chained.display()
            );
        }
        fs::rename(&hook, &chained)
            .with_context(|| format!("keeping the existing hook as {}", chained.display()))?;
        Action::Chained
    };
    // Write to a temporary file and rename, so git never runs a half-written hook.
    let tmp = dir.join(format!(".{name}.keyguard-tmp"));
    fs::write(&tmp, body).with_context(|| format!("writing {}", tmp.display()))?;
    make_executable(&tmp)?;
    fs::rename(&tmp, &hook).with_context(|| format!("installing {}", hook.display()))?;
    Ok(action)
}

fn uninstall_one(dir: &Path, name: &str) -> Result<Action> {
    let hook = dir.join(name);
    let chained = dir.join(format!("{name}{CHAINED_SUFFIX}"));
    if hook.symlink_metadata().is_err() {
        return Ok(Action::Absent);
    }
    if !is_ours(&hook) {
        return Ok(Action::NotOurs);
    }
    fs::remove_file(&hook).with_context(|| format!("removing {}", hook.display()))?;
    if chained.symlink_metadata().is_ok() {
        fs::rename(&chained, &hook).with_context(|| format!("restoring {}", hook.display()))?;
        return Ok(Action::Restored);
    }
    Ok(Action::Removed)
}

/// Installs pre-commit and pre-merge-commit (and pre-push if asked). Returns the hooks
/// folder and what was done to each hook.
pub fn install(
    repo: &Repository,
    pre_push: bool,
) -> Result<(PathBuf, Vec<(&'static str, Action)>)> {
    let dir = hooks_dir(repo)?;
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut done = Vec::new();
    for (name, script) in HOOKS {
        if *name == "pre-push" && !pre_push {
            continue;
        }
        done.push((*name, install_one(&dir, name, script)?));
    }
    Ok((dir, done))
}

/// Removes every keyguard hook, restoring the hooks they chained.
pub fn uninstall(repo: &Repository) -> Result<(PathBuf, Vec<(&'static str, Action)>)> {
    let dir = hooks_dir(repo)?;
    let mut done = Vec::new();
    for (name, _) in HOOKS {
        done.push((*name, uninstall_one(&dir, name)?));
    }
    Ok((dir, done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_and_restore_round_trip() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("pre-commit"), "#!/bin/sh\necho theirs\n").unwrap();
        assert_eq!(
            install_one(d.path(), "pre-commit", HOOKS[0].1).unwrap(),
            Action::Chained
        );
        assert_eq!(
            install_one(d.path(), "pre-commit", HOOKS[0].1).unwrap(),
            Action::Updated
        );
        assert!(is_ours(&d.path().join("pre-commit")));
        assert_eq!(
            fs::read_to_string(d.path().join("pre-commit.keyguard-chained")).unwrap(),
            "#!/bin/sh\necho theirs\n"
        );
        assert_eq!(
            uninstall_one(d.path(), "pre-commit").unwrap(),
            Action::Restored
        );
        assert_eq!(
            fs::read_to_string(d.path().join("pre-commit")).unwrap(),
            "#!/bin/sh\necho theirs\n"
        );
        assert_eq!(
            uninstall_one(d.path(), "pre-commit").unwrap(),
            Action::NotOurs
        );
    }

    #[test]
    fn shipped_hooks_are_marked() {
        for (name, script) in HOOKS {
            assert!(script.contains(MARKER), "{name}");
            assert!(script.contains(FALLBACK), "{name}");
        }
    }
}
