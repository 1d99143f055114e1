//! The scanning commands: what is staged (pre-commit), what a push sends (pre-push),
//! history (scan), and the baseline written from history.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{emit, Outcome, Session};
use crate::cli::Common;
use crate::filter::Baseline;
use crate::finding::Allowed;
use crate::report::{Format, ScanKind};
use crate::source::history::{self, Range};
use crate::source::{push, staged, ScanStats};

pub(super) fn pre_commit(common: &Common, files: &[PathBuf]) -> Result<Outcome> {
    let s = Session::open(common)?;
    let mut stats = ScanStats::default();
    let (kind, changes) = if files.is_empty() {
        (
            ScanKind::Staged,
            staged::staged_changes(&s.repo, &mut stats)?,
        )
    } else {
        (
            ScanKind::Files,
            staged::named_files(&s.repo, files, &mut stats)?,
        )
    };
    let findings = crate::scan::scan_changes(
        &s.repo,
        &changes,
        &s.matcher()?,
        &s.settings,
        &s.baseline()?,
        &mut stats,
    )?;
    emit(common, kind, &findings, &stats)
}

pub(super) fn pre_push(
    common: &Common,
    remote: Option<&str>,
    url: Option<&str>,
) -> Result<Outcome> {
    let s = Session::open(common)?;
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
        .context("reading the pre-push input")?;
    let mut lines = push::parse_input(&input)?;
    let (mut remote, mut url) = (remote.map(str::to_string), url.map(str::to_string));
    if lines.is_empty() {
        if let Some(line) = push::framework_push_line(&s.repo)? {
            lines.push(line);
            remote = remote.or_else(|| std::env::var("PRE_COMMIT_REMOTE_NAME").ok());
            url = url.or_else(|| std::env::var("PRE_COMMIT_REMOTE_URL").ok());
        }
    }
    let commits = push::commits_to_push(&s.repo, &lines, remote.as_deref(), url.as_deref())?;
    scan_and_report(common, &s, ScanKind::Push, &commits)
}

pub(super) fn history(common: &Common, range: Range) -> Result<Outcome> {
    let s = Session::open(common)?;
    let commits = history::commits_in(&s.repo, &range)?;
    scan_and_report(common, &s, ScanKind::History, &commits)
}

/// Scans commits and reports them; shared by `pre-push` and `scan`.
fn scan_and_report(
    common: &Common,
    s: &Session,
    kind: ScanKind,
    commits: &[git2::Oid],
) -> Result<Outcome> {
    let bar = progress_bar(common, commits.len());
    let tick = |n: u64| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    };
    let (findings, stats) = crate::scan::scan_commits(
        &s.repo,
        commits,
        &s.matcher()?,
        &s.settings,
        &s.baseline()?,
        &tick,
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    emit(common, kind, &findings, &stats)
}

/// A progress bar on stderr, only for humans at a terminal (never in JSON/SARIF runs).
fn progress_bar(common: &Common, len: usize) -> Option<indicatif::ProgressBar> {
    if common.format != Format::Human
        || common.quiet
        || !std::io::stderr().is_terminal()
        || len < 50
    {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} scanning {pos}/{len} commits [{bar:30}] {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// `keyguard baseline`: the fingerprints of every current finding of history (the file
/// format is `filter::baseline`'s).
pub(super) fn write_baseline(common: &Common, range: Range) -> Result<Outcome> {
    let s = Session::open(common)?;
    let commits = history::commits_in(&s.repo, &range)?;
    // Start from an empty baseline: the file is rewritten from what history holds now.
    let (findings, stats) = crate::scan::scan_commits(
        &s.repo,
        &commits,
        &s.matcher()?,
        &s.settings,
        &Baseline::default(),
        &|_| {},
    )?;
    let written = Baseline::write(
        &s.settings.baseline,
        findings
            .iter()
            .filter(|f| f.allowed != Some(Allowed::Inline))
            .map(|f| f.fingerprint.as_str()),
    )?;
    if !common.quiet {
        println!(
            "keyguard: wrote {written} fingerprint(s) from {} commit(s) to {}",
            stats.commits,
            s.settings.baseline.display()
        );
    }
    Ok(Outcome::Clean)
}
