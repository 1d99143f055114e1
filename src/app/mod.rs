//! The commands. `main` parses arguments and turns the [`Outcome`] (or an error) into
//! the exit status; this module only orchestrates: it opens the repository and loads the
//! settings ([`Session`]), asks a source for units, runs the pipeline (`crate::scan`)
//! and hands the findings to a report. Each command family has its own file: `scan`
//! (pre-commit, commit-msg, pre-push, history, baseline, files and stdin), `hooks`
//! (install, uninstall, also `--global`), `fix` (keys moved out of staged files),
//! `inspect` (rules, config check), `doctor`, `inventory` (inventory, redact);
//! `session` holds what they share.

mod doctor;
mod fix;
mod hooks;
mod inspect;
mod inventory;
mod scan;
mod session;

pub use session::Outcome;

use anyhow::Result;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::report::Format;
use crate::source::history::Range;

pub fn run(cli: Cli) -> Result<Outcome> {
    session::setup_colour(&cli.common);
    crate::source::configure_libgit2();
    let common = &cli.common;
    // `--staged` names the default (what a bare `keyguard` scans); with a command it
    // would be silently ignored, so it is a usage error there.
    if cli.staged && cli.command.is_some() {
        anyhow::bail!("--staged scans the staged changes and takes no command; drop one of them");
    }
    // Markdown is a report for people reading an inventory; the other commands' reports
    // (findings for a hook, a CI log) have no use for it.
    if common.format == Format::Markdown && !matches!(cli.command, Some(Command::Inventory { .. }))
    {
        anyhow::bail!(
            "--format markdown is only for `keyguard inventory`; use human, json or sarif"
        );
    }
    match cli.command {
        None => scan::pre_commit(common, &[]),
        Some(Command::PreCommit { files }) => scan::pre_commit(common, &files),
        Some(Command::PrePush { remote, url }) => {
            scan::pre_push(common, remote.as_deref(), url.as_deref())
        }
        Some(Command::CommitMsg { file }) => scan::commit_msg(common, &file),
        Some(Command::Scan { range, .. }) if range.as_deref() == Some("-") => {
            scan::text(common, None, false)
        }
        Some(Command::Scan {
            paths, no_ignore, ..
        }) if !paths.is_empty() => scan::text(common, Some(&paths), no_ignore),
        Some(Command::Scan { range, all, .. }) => scan::history(common, range_of(range, all)),
        Some(Command::Baseline { range }) => {
            scan::write_baseline(common, range.map_or(Range::All, Range::Spec))
        }
        Some(Command::Install { global: true, .. }) => hooks::install_global(),
        Some(Command::Uninstall { global: true }) => hooks::uninstall_global(),
        Some(Command::Install { pre_push, .. }) => hooks::install(pre_push),
        Some(Command::Uninstall { .. }) => hooks::uninstall(),
        Some(Command::Inventory {
            worktree,
            purge_plan,
        }) => inventory::inventory(common, worktree, purge_plan.as_deref()),
        Some(Command::Redact {
            fingerprints,
            path,
            stream,
        }) => inventory::redact(common, &fingerprints, path.as_deref(), stream),
        Some(Command::Fix { apply }) => fix::fix(common, apply),
        Some(Command::Doctor) => doctor::doctor(common),
        Some(Command::Rules) => inspect::list_rules(common),
        Some(Command::Config {
            command: ConfigCommand::Check,
        }) => inspect::config_check(common),
    }
}

fn range_of(range: Option<String>, all: bool) -> Range {
    match (range, all) {
        (_, true) => Range::All,
        (Some(r), false) => Range::Spec(r),
        (None, false) => Range::Head,
    }
}
