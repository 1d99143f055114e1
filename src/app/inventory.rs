//! `keyguard inventory` (every key, where it is, what to rotate first) and `keyguard
//! redact` (what its purge plan runs history through). Gathers the sightings: all refs'
//! history with `scan --all`'s pipeline (files and messages), HEAD and the index read
//! whole, untracked files with `--worktree`; `crate::inventory` groups and orders them.

use std::collections::HashMap;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use git2::Oid;

use super::scan::progress_bar;
use super::session::{ignore_broken_pipe, matcher_for, settings_anywhere, Outcome, Session};
use crate::cli::Common;
use crate::finding::Finding;
use crate::inventory::{self, places, purge, Inventory, Sightings};
use crate::report::{self, Format};
use crate::source::history::{self, Range};
use crate::source::messages;
use crate::verify;

pub(super) fn inventory(
    common: &Common,
    worktree: bool,
    purge_plan: Option<&Path>,
) -> Result<Outcome> {
    if common.format == Format::Sarif {
        bail!("--format sarif has no inventory form (SARIF lists results, not keys); use human, json or markdown");
    }
    let s = Session::open(common)?;
    let matcher = s.matcher()?;
    let baseline = s.baseline()?;
    let commits = history::commits_in(&s.repo, &Range::All)?;

    let bar = progress_bar(common, commits.len());
    let tick = |n: u64| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    };
    let mut copies = Vec::new();
    let (mut found, mut stats) = crate::scan::scan_commits_noting_copies(
        &s.repo,
        &commits,
        &matcher,
        &s.settings,
        &baseline,
        &tick,
        Some(&mut copies),
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut units = messages::commit_messages(&s.repo, &commits)?;
    units.extend(messages::tags_of(&s.repo, &commits)?);
    found.extend(crate::scan::scan_units(
        &units,
        &matcher,
        &s.settings,
        &baseline,
    )?);
    oldest_first(&mut found, &commits);

    let mut present =
        places::head_and_index(&s.repo, &matcher, &s.settings, &baseline, &mut stats)?;
    if worktree {
        present.extend(places::untracked(
            &s.repo,
            &matcher,
            &s.settings,
            &baseline,
            &mut stats,
        )?);
    }

    let request = verify::Request {
        flag: common.verify,
        offline: common.offline,
        timeout: common.verify_timeout,
    };
    let everything: Vec<Finding> = found
        .iter()
        .cloned()
        .chain(present.iter().map(|p| p.finding.clone()))
        .collect();
    let verification = verify::stage(&request, &everything, common.show_allowed)?;

    let seen = Sightings {
        history: &found,
        copies: &copies,
        present: &present,
        commits: &commits,
    };
    let entries = inventory::assemble(&s.repo, &seen, verification.as_ref())?;
    let mut inv = Inventory {
        entries,
        stats,
        worktree,
        verification,
        purge_command: None,
    };
    if let Some(dir) = purge_plan {
        inv.purge_command = Some(write_plan(dir, &inv)?);
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match common.format {
        Format::Json => report::inventory::write_json(&inv, common.show_allowed, &mut out),
        Format::Markdown => report::inventory::write_markdown(&inv, common.show_allowed, &mut out),
        _ if common.quiet && inv.entries.is_empty() => Ok(()),
        _ => report::inventory::write_human(&inv, common.show_allowed, &mut out),
    }
    .or_else(ignore_broken_pipe)
    .context("writing the inventory")?;
    Ok(if inv.blocking() > 0 {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// History findings, oldest commit first (messages after their commit's files), so that
/// a key's first sighting is its first commit.
fn oldest_first(found: &mut [Finding], commits: &[Oid]) {
    let index: HashMap<String, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, o)| (o.to_string(), i))
        .collect();
    found.sort_by_key(|f| {
        f.commit
            .as_ref()
            .and_then(|c| index.get(&c.id).copied())
            .unwrap_or(usize::MAX)
    });
}

/// Writes the purge plan of the listed keys that are in history into `dir` and returns
/// the command that runs it.
fn write_plan(dir: &Path, inv: &Inventory) -> Result<String> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the purge plan folder {}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))?;
    let fingerprints: Vec<&str> = inv
        .reported()
        .filter(|e| e.in_history())
        .map(|e| e.fingerprint.as_str())
        .collect();
    let bin = std::env::current_exe().context("finding keyguard's own path")?;
    for (name, text) in purge::plan_files(&bin, &fingerprints) {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        #[cfg(unix)]
        if name.ends_with(".sh") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .with_context(|| format!("making {} executable", path.display()))?;
        }
    }
    Ok(format!(
        "sh {}",
        shell_word(&dir.join("purge.sh").to_string_lossy())
    ))
}

fn shell_word(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// `keyguard redact`: standard input to standard output, listed keys replaced.
pub(super) fn redact(
    common: &Common,
    fingerprints: &Path,
    path: Option<&str>,
    stream: bool,
) -> Result<Outcome> {
    let settings = settings_anywhere(common)?;
    let matcher = matcher_for(&settings)?;
    let listed = purge::read_fingerprints(fingerprints)?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if stream {
        purge::serve(&mut stdin.lock(), &mut out, &matcher, &listed)?;
    } else {
        let mut content = Vec::new();
        stdin
            .lock()
            .read_to_end(&mut content)
            .context("reading standard input")?;
        let (text, _) = purge::redact(&content, path.unwrap_or("-"), &matcher, &listed)?;
        out.write_all(&text)
            .or_else(ignore_broken_pipe)
            .context("writing standard output")?;
    }
    out.flush()
        .or_else(ignore_broken_pipe)
        .context("writing standard output")?;
    Ok(Outcome::Clean)
}
