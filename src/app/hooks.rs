//! `keyguard install` and `uninstall`, for one repository or (`--global`) every
//! repository of this user: the hook files themselves are `crate::install`'s.

use anyhow::Result;

use super::session::Outcome;
use crate::install::global::{self, Uninstalled};
use crate::install::{self, Action};
use crate::source::repo::open_repo;

pub(super) fn install(pre_push: bool) -> Result<Outcome> {
    let repo = open_repo()?;
    let (dir, done) = install::install(&repo, pre_push)?;
    print_actions(&dir, done);
    if let Some(w) = install::folder_warning(&dir) {
        println!("keyguard: warning: {w}");
    }
    if std::env::var_os("PATH")
        .is_some_and(|p| !std::env::split_paths(&p).any(|d| d.join("keyguard").is_file()))
    {
        println!(
            "keyguard: note: `keyguard` is not on PATH; the hooks will also look in ~/.cargo/bin and at {}",
            std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
    Ok(Outcome::Clean)
}

pub(super) fn uninstall() -> Result<Outcome> {
    let repo = open_repo()?;
    let (dir, done) = install::uninstall(&repo)?;
    print_actions(&dir, done);
    Ok(Outcome::Clean)
}

/// `keyguard install --global`: what `install::global` did, in words.
pub(super) fn install_global() -> Result<Outcome> {
    let done = global::install()?;
    let verb = if done.already {
        "already installed (hooks updated)"
    } else {
        "installed"
    };
    println!(
        "keyguard: global hooks {verb} in {} ({}); core.hooksPath in {} points there",
        done.dir.display(),
        global::HOOKS.join(", "),
        done.config.display()
    );
    if let Some(p) = &done.previous {
        println!("keyguard: the hooks of the previous global core.hooksPath ({p}) still run, after each repository's own hook");
    }
    println!(
        "keyguard: every repository's own .git/hooks still run first. A repository whose own config sets \
         core.hooksPath (husky, lefthook) overrides the global one: there, add `keyguard pre-commit` to its \
         hook scripts or run `keyguard install` in it; `keyguard doctor` tells which case a repository is in."
    );
    Ok(Outcome::Clean)
}

pub(super) fn uninstall_global() -> Result<Outcome> {
    match global::uninstall()? {
        Uninstalled::NotInstalled => println!("keyguard: no global installation to remove"),
        Uninstalled::Restored(config) => println!(
            "keyguard: global hooks removed; {} is back as it was before `keyguard install --global`",
            config.display()
        ),
        Uninstalled::HooksPathOnly(config) => println!(
            "keyguard: global hooks removed; {} was edited since the install, so only core.hooksPath was put back (the rest is left as it is now)",
            config.display()
        ),
    }
    Ok(Outcome::Clean)
}

/// One line per hook that `install` or `uninstall` touched.
fn print_actions(dir: &std::path::Path, done: Vec<(&'static str, Action)>) {
    for (name, action) in done {
        if let Some(what) = action.describe(name) {
            println!("keyguard: {name} hook {what}: {}", dir.join(name).display());
        }
    }
}
