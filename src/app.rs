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
use crate::matcher::{self, Matcher, Origin};
use crate::report::{self, Format, Report, ScanKind};
use crate::source::history::{self, Range};
use crate::source::{push, staged, ScanStats};
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
    crate::source::configure_libgit2();
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
    Matcher::new(settings.rules.clone(), matcher::builtin_allowlist()?)
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
    let matcher = matcher(&settings)?;
    let findings = scan::scan_changes(&repo, &changes, &matcher, &settings, &baseline, &mut stats)?;
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
    let mut lines = push::parse_input(&input)?;
    let (mut remote, mut url) = (remote.map(str::to_string), url.map(str::to_string));
    if lines.is_empty() {
        // The pre-commit framework consumes git's pre-push input itself and passes the
        // push in its environment instead: without this, a framework pre-push would scan
        // nothing and pass.
        if let Some(line) = framework_push_line(&repo)? {
            lines.push(line);
            remote = remote.or_else(|| std::env::var("PRE_COMMIT_REMOTE_NAME").ok());
            url = url.or_else(|| std::env::var("PRE_COMMIT_REMOTE_URL").ok());
        }
    }
    let commits = push::commits_to_push(&repo, &lines, remote.as_deref(), url.as_deref())?;
    scan_and_report(common, &repo, &settings, ScanKind::Push, &commits)
}

/// The push the pre-commit framework describes in `PRE_COMMIT_FROM_REF` (what the
/// remote has, empty or all zeros for a new branch) and `PRE_COMMIT_TO_REF` (what is
/// pushed), as one pre-push input line.
fn framework_push_line(repo: &Repository) -> Result<Option<push::PushLine>> {
    let Some(to) = std::env::var("PRE_COMMIT_TO_REF")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    let resolve = |rev: &str| -> Result<git2::Oid> {
        Ok(repo
            .revparse_single(rev)
            .with_context(|| {
                format!("PRE_COMMIT_*_REF names {rev:?}, which is not in this repository")
            })?
            .id())
    };
    let local = resolve(&to)?;
    let remote = match std::env::var("PRE_COMMIT_FROM_REF")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(from) if from.bytes().any(|b| b != b'0') => {
            resolve(&from).unwrap_or(git2::Oid::zero())
        }
        _ => git2::Oid::zero(),
    };
    let branch = std::env::var("PRE_COMMIT_REMOTE_BRANCH").unwrap_or_default();
    Ok(Some(push::PushLine {
        local_ref: std::env::var("PRE_COMMIT_LOCAL_BRANCH").unwrap_or_else(|_| to.clone()),
        local,
        remote_ref: branch,
        remote,
    }))
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
    // `--baseline meta/accepted.txt` or `baseline = "conf/…"` may name a new folder.
    if let Some(dir) = settings
        .baseline
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
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
    print_actions(&dir, done);
    if let Some(w) = install::folder_warning(&dir) {
        println!("keyguard: warning: {w}");
    }
    if std::env::var_os("PATH")
        .is_some_and(|p| !std::env::split_paths(&p).any(|d| d.join("keyguard").is_file()))
    {
        println!("keyguard: note: `keyguard` is not on PATH; the hooks will also look in ~/.cargo/bin and at {}", std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default());
    }
    Ok(Outcome::Clean)
}

/// One line per hook that `install` or `uninstall` touched.
fn print_actions(dir: &std::path::Path, done: Vec<(&'static str, install::Action)>) {
    for (name, action) in done {
        if let Some(what) = action.describe(name) {
            println!("keyguard: {name} hook {what}: {}", dir.join(name).display());
        }
    }
}

fn uninstall_hooks() -> Result<Outcome> {
    let repo = staged::open_repo()?;
    let (dir, done) = install::uninstall(&repo)?;
    print_actions(&dir, done);
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
                        "validators": r.validators.iter().map(|v| v.name()).collect::<Vec<_>>(),
                        "origin": match &r.origin { Origin::Builtin => "builtin".to_string(), Origin::Custom(f) => f.clone() },
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out).or_else(ignore_broken_pipe)?;
        }
        Format::Human => {
            for r in &settings.rules {
                let mut origin = match &r.origin {
                    Origin::Builtin => String::new(),
                    Origin::Custom(f) => format!("  [custom: {f}]"),
                };
                if r.severity == crate::rules::schema::Severity::Warn {
                    origin.push_str("  [warn]");
                }
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
    print!("{}", config::describe(&settings));
    // Custom rules' own examples must behave, or the rule is not doing what its author thinks.
    let failures = config::check_custom_rules(&settings, &matcher(&settings)?)?;
    if !failures.is_empty() {
        let lines: Vec<String> = failures.iter().map(ToString::to_string).collect();
        anyhow::bail!("custom rule examples failed:\n  {}", lines.join("\n  "));
    }
    Ok(Outcome::Clean)
}
