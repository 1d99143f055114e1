//! The scanning commands: what is staged (pre-commit), the message of the commit being
//! made (commit-msg), what a push sends (pre-push), history (scan), the baseline written
//! from history (commit and tag messages are scanned with the commits), and text outside
//! history (files and folders on disk, standard input).

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::session::{emit, matcher_for, settings_anywhere, Outcome, Session};
use crate::cli::Common;
use crate::filter::Baseline;
use crate::finding::{Allowed, Finding};
use crate::report::{Format, ScanKind};
use crate::source::history::{self, Range};
use crate::source::{files, messages, push, staged, ScanStats, ScanUnit};

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

/// `keyguard commit-msg FILE`: the message of the commit being made.
pub(super) fn commit_msg(common: &Common, file: &Path) -> Result<Outcome> {
    let s = Session::open(common)?;
    let unit = messages::commit_msg_file(file)?;
    let stats = ScanStats {
        lines: unit.lines.len(),
        ..ScanStats::default()
    };
    let findings = crate::scan::scan_units(&[unit], &s.matcher()?, &s.settings, &s.baseline()?)?;
    emit(common, ScanKind::Message, &findings, &stats)
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
    let pushed: Vec<(String, git2::Oid)> = lines
        .iter()
        .map(|l| (l.local_ref.clone(), l.local))
        .collect();
    let tags = messages::pushed_tags(&s.repo, &pushed)?;
    scan_and_report(common, &s, ScanKind::Push, &commits, tags)
}

pub(super) fn history(common: &Common, range: Range) -> Result<Outcome> {
    let s = Session::open(common)?;
    let commits = history::commits_in(&s.repo, &range)?;
    let tags = messages::tags_of(&s.repo, &commits)?;
    scan_and_report(common, &s, ScanKind::History, &commits, tags)
}

/// Scans commits (their changes and messages) and `tags`' messages, and reports them;
/// shared by `pre-push` and `scan`.
fn scan_and_report(
    common: &Common,
    s: &Session,
    kind: ScanKind,
    commits: &[git2::Oid],
    tags: Vec<ScanUnit>,
) -> Result<Outcome> {
    let matcher = s.matcher()?;
    let baseline = s.baseline()?;
    let bar = progress_bar(common, commits.len());
    let tick = |n: u64| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    };
    let (mut findings, stats) =
        crate::scan::scan_commits(&s.repo, commits, &matcher, &s.settings, &baseline, &tick)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    scan_messages(s, commits, tags, &matcher, &baseline, &mut findings)?;
    emit(common, kind, &findings, &stats)
}

/// Adds the findings in the messages of `commits` and in `tags` (annotated tags' messages)
/// to `findings`, each after the file findings of its commit.
fn scan_messages(
    s: &Session,
    commits: &[git2::Oid],
    tags: Vec<ScanUnit>,
    matcher: &crate::matcher::Matcher,
    baseline: &Baseline,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    let mut units = messages::commit_messages(&s.repo, commits)?;
    units.extend(tags);
    let found = crate::scan::scan_units(&units, matcher, &s.settings, baseline)?;
    if found.is_empty() {
        return Ok(());
    }
    findings.extend(found);
    let ids: Vec<String> = commits.iter().map(|o| o.to_string()).collect();
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    // Stable: file findings keep their order, a commit's message findings follow them.
    findings.sort_by_key(|f| {
        f.commit
            .as_ref()
            .and_then(|c| index.get(c.id.as_str()).copied())
            .unwrap_or(usize::MAX)
    });
    Ok(())
}

/// A progress bar on stderr, only for humans at a terminal (never in JSON/SARIF runs).
pub(super) fn progress_bar(common: &Common, len: usize) -> Option<indicatif::ProgressBar> {
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
    let matcher = s.matcher()?;
    // Start from an empty baseline: the file is rewritten from what history holds now.
    let empty = Baseline::default();
    let (mut findings, stats) =
        crate::scan::scan_commits(&s.repo, &commits, &matcher, &s.settings, &empty, &|_| {})?;
    let tags = messages::tags_of(&s.repo, &commits)?;
    scan_messages(&s, &commits, tags, &matcher, &empty, &mut findings)?;
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

/// `keyguard scan --path PATH…` (`paths`) and `keyguard scan -` (standard input): text
/// outside git's history, with the configuration of the repository around the current
/// directory, if any.
pub(super) fn text(common: &Common, paths: Option<&[PathBuf]>, no_ignore: bool) -> Result<Outcome> {
    let settings = settings_anywhere(common)?;
    let baseline = Baseline::load(&settings.baseline)?;
    let matcher = matcher_for(&settings)?;
    let mut stats = ScanStats::default();
    let (kind, findings) = match paths {
        Some(paths) => {
            let files = files::walk(paths, no_ignore)?;
            let findings =
                crate::scan::scan_files(&files, &matcher, &settings, &baseline, &mut stats)?;
            (ScanKind::Paths, findings)
        }
        None => {
            let stdin = std::io::stdin();
            let unit = files::stdin_unit(stdin.lock(), settings.limits, &mut stats)?;
            let findings = crate::scan::scan_units(&[unit], &matcher, &settings, &baseline)?;
            (ScanKind::Stdin, findings)
        }
    };
    emit(common, kind, &findings, &stats)
}
