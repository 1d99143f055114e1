//! `keyguard install` and `uninstall`: the hook files themselves are `crate::install`'s.

use anyhow::Result;

use super::Outcome;
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

/// One line per hook that `install` or `uninstall` touched.
fn print_actions(dir: &std::path::Path, done: Vec<(&'static str, Action)>) {
    for (name, action) in done {
        if let Some(what) = action.describe(name) {
            println!("keyguard: {name} hook {what}: {}", dir.join(name).display());
        }
    }
}
