//! The commands. `main` parses arguments and turns the [`Outcome`] (or an error) into
//! the exit status; this module only orchestrates: it opens the repository and loads the
//! settings ([`Session`]), asks a source for units, runs the pipeline (`crate::scan`)
//! and hands the findings to a report. Each command family has its own file: `scan`
//! (pre-commit, pre-push, history, baseline), `hooks` (install, uninstall), `inspect`
//! (rules, config check).

mod hooks;
mod inspect;
mod scan;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use git2::Repository;

use crate::cli::{Cli, Command, Common, ConfigCommand};
use crate::config::{self, Settings};
use crate::filter::Baseline;
use crate::finding::Finding;
use crate::matcher::{self, Matcher};
use crate::report::{self, Format, Report, ScanKind};
use crate::source::history::Range;
use crate::source::repo::open_repo;
use crate::source::ScanStats;

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report (exit 0).
    Clean,
    /// At least one blocking finding (exit 1).
    Findings,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
        }
    }
}

pub fn run(cli: Cli) -> Result<Outcome> {
    setup_colour(&cli.common);
    crate::source::configure_libgit2();
    let common = &cli.common;
    match cli.command {
        None => scan::pre_commit(common, &[]),
        Some(Command::PreCommit { files }) => scan::pre_commit(common, &files),
        Some(Command::PrePush { remote, url }) => {
            scan::pre_push(common, remote.as_deref(), url.as_deref())
        }
        Some(Command::Scan { range, all }) => scan::history(common, range_of(range, all)),
        Some(Command::Baseline { range }) => {
            scan::write_baseline(common, range.map_or(Range::All, Range::Spec))
        }
        Some(Command::Install { pre_push }) => hooks::install(pre_push),
        Some(Command::Uninstall) => hooks::uninstall(),
        Some(Command::Rules) => inspect::list_rules(common),
        Some(Command::Config {
            command: ConfigCommand::Check,
        }) => inspect::config_check(common),
    }
}

/// Colour only on a terminal, never with `NO_COLOR` or `--no-color`.
fn setup_colour(common: &Common) {
    let tty = std::io::stdout().is_terminal();
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    colored::control::set_override(
        tty && !no_color_env && !common.no_color && common.format == Format::Human,
    );
}

fn range_of(range: Option<String>, all: bool) -> Range {
    match (range, all) {
        (_, true) => Range::All,
        (Some(r), false) => Range::Spec(r),
        (None, false) => Range::Head,
    }
}

/// What every command that works on a repository starts from: the repository as git's
/// hooks see it and the settings in force there (its `.keyguard.toml`, the flags).
struct Session {
    repo: Repository,
    settings: Settings,
}

impl Session {
    fn open(common: &Common) -> Result<Self> {
        let repo = open_repo()?;
        let settings = settings(common, repo_root(&repo).as_deref())?;
        Ok(Session { repo, settings })
    }

    fn matcher(&self) -> Result<Matcher> {
        matcher_for(&self.settings)
    }

    fn baseline(&self) -> Result<Baseline> {
        Baseline::load(&self.settings.baseline)
    }
}

/// The work tree root, if the repository has one.
fn repo_root(repo: &Repository) -> Option<PathBuf> {
    repo.workdir().map(Path::to_path_buf)
}

/// Loads configuration (a config mistake is a located error), applies the flags that
/// override it, and prints its warnings.
fn settings(common: &Common, root: Option<&Path>) -> Result<Settings> {
    let mut s = config::load(common.config.as_deref(), root)?;
    if let Some(size) = common.max_file_size {
        s.limits.max_file_size = size;
    }
    if let Some(b) = &common.baseline {
        s.baseline = b.clone();
    }
    for w in &s.warnings {
        eprintln!("keyguard: warning: {w}");
    }
    Ok(s)
}

/// Settings for commands that work inside or outside a repository.
fn settings_anywhere(common: &Common) -> Result<Settings> {
    let root = Repository::open_from_env().ok().and_then(|r| repo_root(&r));
    settings(common, root.as_deref())
}

fn matcher_for(settings: &Settings) -> Result<Matcher> {
    Matcher::new(settings.rules.clone(), matcher::builtin_allowlist()?)
}

/// Prints the report in the chosen format and decides the outcome.
fn emit(
    common: &Common,
    kind: ScanKind,
    findings: &[Finding],
    stats: &ScanStats,
) -> Result<Outcome> {
    let report = Report {
        kind,
        findings,
        stats,
        show_allowed: common.show_allowed,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match common.format {
        Format::Human => report::human::write(&report, &mut out, common.quiet),
        Format::Json => report::json::write(&report, &mut out),
        Format::Sarif => report::sarif::write(&report, &mut out),
    }
    .or_else(ignore_broken_pipe)
    .context("writing the report")?;
    Ok(if report.blocking() > 0 {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// A closed pipe (`keyguard … | head`) is not an error worth exit 2.
fn ignore_broken_pipe(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e)
    }
}
