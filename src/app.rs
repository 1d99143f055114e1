//! What each command does. `main` parses arguments and turns the [`Outcome`] (or an
//! error) into the exit status; everything in between is here.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use git2::Repository;

use crate::cli::{Cli, Command, Common, ConfigCommand};
use crate::config::{self, Settings};
use crate::filter::Baseline;
use crate::finding::Finding;
use crate::matcher::Matcher;
use crate::report::{self, Format, Report, ScanKind};
use crate::rules::{self, check, template, Origin};
use crate::source::history::{self, Range};
use crate::source::{push, staged, Limits, ScanStats};
use crate::{install, scan};

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
fn setup_colour(common: &Common) {
    let tty = std::io::stdout().is_terminal();
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    colored::control::set_override(
        tty && !no_color_env && !common.no_color && common.format == Format::Human,
    );
}

pub fn run(cli: Cli) -> Result<Outcome> {
    setup_colour(&cli.common);
    let common = &cli.common;
    match cli.command {
        None => pre_commit(common, &[]),
        Some(Command::PreCommit { files }) => pre_commit(common, &files),
        Some(Command::PrePush { remote, url }) => {
            pre_push(common, remote.as_deref(), url.as_deref())
        }
        Some(Command::Scan { range, all }) => history(common, range_of(range, all)),
        Some(Command::Baseline { range }) => {
            write_baseline(common, range.map_or(Range::All, Range::Spec))
        }
        Some(Command::Install { pre_push }) => install_hooks(pre_push),
        Some(Command::Uninstall) => uninstall_hooks(),
        Some(Command::Rules) => list_rules(common),
        Some(Command::Config {
            command: ConfigCommand::Check,
        }) => config_check(common),
    }
}

/// The work tree root, if the repository has one.
fn repo_root(repo: &Repository) -> Option<PathBuf> {
    repo.workdir().map(Path::to_path_buf)
}

/// Loads configuration (turning a config mistake into a located error).
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

fn matcher(settings: &Settings) -> Result<Matcher> {
    Matcher::new(settings.rules.clone(), rules::builtin_allowlist()?)
}

fn pre_commit(common: &Common, files: &[PathBuf]) -> Result<Outcome> {
    let repo = staged::open_repo()?;
    let root = repo_root(&repo);
    let settings = settings(common, root.as_deref())?;
    let baseline = Baseline::load(&settings.baseline)?;
    let mut stats = ScanStats::default();
    let (kind, changes) = if files.is_empty() {
        (ScanKind::Staged, staged::staged_changes(&repo, &mut stats)?)
    } else {
        (
            ScanKind::Files,
            staged::named_files(&repo, files, &mut stats)?,
        )
    };
    let units = staged::read_changes(&repo, &changes, settings.limits, &mut stats)?;
    let matcher = matcher(&settings)?;
    let findings = scan::scan_units(&units, &matcher, &settings, &baseline)?;
    emit(common, kind, &findings, &stats)
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

fn range_of(range: Option<String>, all: bool) -> Range {
    match (range, all) {
        (_, true) => Range::All,
        (Some(r), false) => Range::Spec(r),
        (None, false) => Range::Head,
    }
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

/// Scans commits and reports them; shared by `pre-push` and `scan`.
fn scan_and_report(
    common: &Common,
    repo: &Repository,
    settings: &Settings,
    kind: ScanKind,
    commits: &[git2::Oid],
) -> Result<Outcome> {
    let baseline = Baseline::load(&settings.baseline)?;
    let matcher = matcher(settings)?;
    let bar = progress_bar(common, commits.len());
    let tick = |n: u64| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    };
    let (findings, stats) =
        scan::scan_commits(repo, commits, &matcher, settings, &baseline, &tick)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    emit(common, kind, &findings, &stats)
}

fn pre_push(common: &Common, remote: Option<&str>, url: Option<&str>) -> Result<Outcome> {
    let repo = staged::open_repo()?;
    let root = repo_root(&repo);
    let settings = settings(common, root.as_deref())?;
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
        .context("reading the pre-push input")?;
    let lines = push::parse_input(&input)?;
    let commits = push::commits_to_push(&repo, &lines, remote, url)?;
    scan_and_report(common, &repo, &settings, ScanKind::Push, &commits)
}

fn history(common: &Common, range: Range) -> Result<Outcome> {
    let repo = staged::open_repo()?;
    let root = repo_root(&repo);
    let settings = settings(common, root.as_deref())?;
    let commits = history::commits_in(&repo, &range)?;
    scan_and_report(common, &repo, &settings, ScanKind::History, &commits)
}

/// `keyguard baseline`: fingerprints of every current finding, sorted, one per line; no
/// secrets, line numbers or timestamps, so the file is stable and merges cleanly.
fn write_baseline(common: &Common, range: Range) -> Result<Outcome> {
    let repo = staged::open_repo()?;
    let root = repo_root(&repo);
    let settings = settings(common, root.as_deref())?;
    let commits = history::commits_in(&repo, &range)?;
    let matcher = matcher(&settings)?;
    // Start from an empty baseline: the file is rewritten from what history holds now.
    let (findings, stats) = scan::scan_commits(
        &repo,
        &commits,
        &matcher,
        &settings,
        &Baseline::default(),
        &|_| {},
    )?;
    let mut fps: Vec<&str> = findings
        .iter()
        .filter(|f| f.allowed != Some(crate::finding::Allowed::Inline))
        .map(|f| f.fingerprint.as_str())
        .collect();
    fps.sort_unstable();
    fps.dedup();
    let mut text = String::from(
        "# keyguard baseline: findings accepted when keyguard was adopted (rule id:hash of the secret).\n\
         # They are not reported again. Regenerate with `keyguard baseline`; remove a line to report it again.\n",
    );
    for fp in &fps {
        text.push_str(fp);
        text.push('\n');
    }
    std::fs::write(&settings.baseline, text)
        .with_context(|| format!("writing {}", settings.baseline.display()))?;
    if !common.quiet {
        println!(
            "keyguard: wrote {} fingerprint(s) from {} commit(s) to {}",
            fps.len(),
            stats.commits,
            settings.baseline.display()
        );
    }
    Ok(Outcome::Clean)
}

fn install_hooks(pre_push: bool) -> Result<Outcome> {
    let repo = staged::open_repo()?;
    let (dir, done) = install::install(&repo, pre_push)?;
    for (name, action) in done {
        let what = match action {
            install::Action::Installed => "installed".to_string(),
            install::Action::Updated => "already installed (updated)".to_string(),
            install::Action::Chained => {
                format!("installed; the existing hook now runs first as {name}.keyguard-chained")
            }
            _ => format!("{action:?}"),
        };
        println!("keyguard: {name} hook {what}: {}", dir.join(name).display());
    }
    if std::env::var_os("PATH")
        .is_some_and(|p| !std::env::split_paths(&p).any(|d| d.join("keyguard").is_file()))
    {
        println!("keyguard: note: `keyguard` is not on PATH; the hooks will also look in ~/.cargo/bin and at {}", std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default());
    }
    Ok(Outcome::Clean)
}

fn uninstall_hooks() -> Result<Outcome> {
    let repo = staged::open_repo()?;
    let (dir, done) = install::uninstall(&repo)?;
    for (name, action) in done {
        let what = match action {
            install::Action::Removed => "removed",
            install::Action::Restored => "removed; the hook it chained is back in place",
            install::Action::NotOurs => "left alone (not keyguard's)",
            install::Action::Absent => continue,
            _ => "unchanged",
        };
        println!("keyguard: {name} hook {what}: {}", dir.join(name).display());
    }
    Ok(Outcome::Clean)
}

/// Settings for commands that work inside or outside a repository.
fn settings_anywhere(common: &Common) -> Result<Settings> {
    let root = Repository::open_from_env().ok().and_then(|r| repo_root(&r));
    settings(common, root.as_deref())
}

fn list_rules(common: &Common) -> Result<Outcome> {
    let settings = settings_anywhere(common)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match common.format {
        // A rule list has no SARIF form of its own: SARIF readers get JSON.
        Format::Json | Format::Sarif => {
            let rows: Vec<_> = settings
                .rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "provider": r.provider,
                        "description": r.description,
                        "keywords": r.keywords,
                        "severity": r.severity,
                        "validators": r.validators.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>(),
                        "origin": match &r.origin { Origin::Builtin => "builtin".to_string(), Origin::Custom(f) => f.clone() },
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out).or_else(ignore_broken_pipe)?;
        }
        Format::Human => {
            for r in &settings.rules {
                let origin = match &r.origin {
                    Origin::Builtin => String::new(),
                    Origin::Custom(f) => format!("  [custom: {f}]"),
                };
                writeln!(
                    out,
                    "{:<36} {:<18} {}{origin}",
                    r.id,
                    r.provider.as_deref().unwrap_or("-"),
                    r.description
                )
                .or_else(ignore_broken_pipe)?;
            }
        }
    }
    Ok(Outcome::Clean)
}

fn config_check(common: &Common) -> Result<Outcome> {
    let settings = settings_anywhere(common)?;
    if settings.files.is_empty() {
        println!("keyguard: no config file (built-in defaults)");
    }
    for f in &settings.files {
        println!("keyguard: read {}", f.display());
    }
    // Custom rules' own examples must behave, or the rule is not doing what its author thinks.
    let matcher = matcher(&settings)?;
    let mut rng = template::Rng::new(0x6b67);
    let mut failures = Vec::new();
    for r in settings
        .rules
        .iter()
        .filter(|r| matches!(r.origin, Origin::Custom(_)))
    {
        failures.extend(check::check_examples(&matcher, r, &mut rng)?);
    }
    let custom = settings
        .rules
        .iter()
        .filter(|r| matches!(r.origin, Origin::Custom(_)))
        .count();
    println!(
        "keyguard: {} rules in force ({} built-in, {custom} custom; {} built-in disabled: {})",
        settings.rules.len(),
        settings.rules.len() - custom,
        settings.disabled.len(),
        if settings.disabled.is_empty() {
            "none".to_string()
        } else {
            settings.disabled.join(", ")
        }
    );
    let limits: Limits = settings.limits;
    println!(
        "keyguard: max_file_size = {} bytes; baseline = {}",
        limits.max_file_size,
        settings.baseline.display()
    );
    if !failures.is_empty() {
        anyhow::bail!("custom rule examples failed:\n  {}", failures.join("\n  "));
    }
    Ok(Outcome::Clean)
}
