//! The `install --global` / `uninstall --global` commands: what `global` did, in words.

use anyhow::Result;

use crate::app::Outcome;
use crate::global::{self, Uninstalled};

pub fn install() -> Result<Outcome> {
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

pub fn uninstall() -> Result<Outcome> {
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
