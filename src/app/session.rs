//! What the commands share: how a command ends ([`Outcome`]), the repository and settings
//! they start from ([`Session`]), and how a report is printed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use git2::Repository;

use crate::cli::Common;
use crate::config::{self, Settings};
use crate::filter::Baseline;
use crate::finding::Finding;
use crate::matcher::{self, Matcher};
use crate::report::{self, Format, Report, ScanKind};
use crate::source::repo::open_repo;
use crate::source::ScanStats;
use crate::verify;

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

/// Colour only on a terminal, never with `NO_COLOR` or `--no-color`.
pub(super) fn setup_colour(common: &Common) {
    let tty = std::io::stdout().is_terminal();
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    colored::control::set_override(
        tty && !no_color_env && !common.no_color && common.format == Format::Human,
    );
}

/// What every command that works on a repository starts from: the repository as git's
/// hooks see it and the settings in force there (its `.keyguard.toml`, the flags).
pub(super) struct Session {
    pub(super) repo: Repository,
    pub(super) settings: Settings,
}

impl Session {
    pub(super) fn open(common: &Common) -> Result<Self> {
        let repo = open_repo()?;
        let settings = settings(common, repo_root(&repo).as_deref())?;
        Ok(Session { repo, settings })
    }

    pub(super) fn matcher(&self) -> Result<Matcher> {
        matcher_for(&self.settings)
    }

    pub(super) fn baseline(&self) -> Result<Baseline> {
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
pub(super) fn settings_anywhere(common: &Common) -> Result<Settings> {
    let root = Repository::open_from_env().ok().and_then(|r| repo_root(&r));
    settings(common, root.as_deref())
}

pub(super) fn matcher_for(settings: &Settings) -> Result<Matcher> {
    Matcher::new(settings.rules.clone(), matcher::builtin_allowlist()?)
}

/// Prints the report in the chosen format and decides the outcome. Verification (when
/// asked for) runs here, after filtering: it never changes the outcome.
pub(super) fn emit(
    common: &Common,
    kind: ScanKind,
    findings: &[Finding],
    stats: &ScanStats,
) -> Result<Outcome> {
    let request = verify::Request {
        flag: common.verify,
        offline: common.offline,
        timeout: common.verify_timeout,
    };
    let verification = verify::stage(&request, findings, common.show_allowed)?;
    let report = Report {
        kind,
        findings,
        stats,
        show_allowed: common.show_allowed,
        verification: verification.as_ref(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match common.format {
        // Markdown is refused before any command but `inventory` runs (see `app::run`).
        Format::Human | Format::Markdown => report::human::write(&report, &mut out, common.quiet),
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
pub(super) fn ignore_broken_pipe(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e)
    }
}
