//! Where keys are now: every file of HEAD's tree and of the index, read whole, and the
//! untracked files of the work tree. Each distinct (path, blob) is read and matched once
//! and then placed: at HEAD, in the index, or both. Every finding keeps the name the
//! line assigns the key to (see [`super::assign`]).

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use git2::{ErrorCode, FileMode, ObjectType, Oid, Repository, Status, StatusOptions};

use super::assign::assigned_name;
use crate::config::Settings;
use crate::filter::{self, Baseline};
use crate::finding::Finding;
use crate::matcher::Matcher;
use crate::source::diff::{self, FileChange, FileOutcome};
use crate::source::repo::par_map;
use crate::source::{
    files, is_missing, path_text, read_error, MissingEffect, ObjectKind, ScanStats, ScanUnit,
};

/// Where a copy of a key is, now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Presence {
    pub at_head: bool,
    pub in_index: bool,
    /// An untracked (not ignored) file of the work tree (`--worktree`).
    pub untracked: bool,
}

/// A finding now present, with the name it is assigned to.
#[derive(Debug, Clone)]
pub struct Present {
    pub finding: Finding,
    pub assigned_to: Option<String>,
    pub presence: Presence,
}

/// The blobs of HEAD's tree (`None` on an unborn branch), by raw path; submodules are
/// not files. A tree a partial clone left out is reported in `stats` and skipped.
fn head_blobs(repo: &Repository, stats: &mut ScanStats) -> Result<HashMap<Vec<u8>, Oid>> {
    let mut out = HashMap::new();
    let head = match repo.head() {
        Ok(h) => h,
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {
            return Ok(out)
        }
        Err(e) => return Err(e).context("reading HEAD"),
    };
    let tree = head
        .peel_to_commit()
        .context("reading HEAD's commit")?
        .tree_id();
    // By hand rather than `Tree::walk`: one missing subtree must not end the walk.
    let mut stack = vec![(Vec::new(), tree)];
    while let Some((prefix, id)) = stack.pop() {
        let tree = match repo.find_tree(id) {
            Ok(t) => t,
            Err(e) if is_missing(repo, &e) => {
                let path = path_text(&prefix);
                stats.missing(&path, None, id, ObjectKind::Tree, MissingEffect::NotScanned);
                continue;
            }
            Err(e) => return Err(read_error(e, id, "a tree of HEAD")),
        };
        for entry in tree.iter() {
            let mut path = prefix.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(entry.name_bytes());
            match entry.kind() {
                Some(ObjectType::Tree) => stack.push((path, entry.id())),
                Some(ObjectType::Blob) => {
                    out.insert(path, entry.id());
                }
                // Submodules (commits) hold no file content here.
                _ => stats.submodules_skipped += 1,
            }
        }
    }
    Ok(out)
}

/// The index's stage-0 blobs (conflicted entries: every stage), by raw path. A bare
/// repository has no index worth reading.
fn index_blobs(repo: &Repository) -> Result<Vec<(Vec<u8>, Oid)>> {
    if repo.is_bare() {
        return Ok(Vec::new());
    }
    let index = repo.index().context("reading the index")?;
    Ok(index
        .iter()
        .filter(|e| e.mode != u32::from(FileMode::Commit))
        .map(|e| (e.path, e.id))
        .collect())
}

/// Every key at HEAD and in the index, each (path, blob) read once and read whole.
pub fn head_and_index(
    repo: &Repository,
    matcher: &Matcher,
    settings: &Settings,
    baseline: &Baseline,
    stats: &mut ScanStats,
) -> Result<Vec<Present>> {
    let head = head_blobs(repo, stats)?;
    let index = index_blobs(repo)?;
    let mut pairs: HashMap<(Vec<u8>, Oid), Presence> = HashMap::new();
    for (path, id) in &head {
        pairs.entry((path.clone(), *id)).or_default().at_head = true;
    }
    for (path, id) in index {
        pairs.entry((path, id)).or_default().in_index = true;
    }
    let mut work: Vec<(FileChange, Presence)> = pairs
        .into_iter()
        .map(|((raw, new), presence)| {
            let change = FileChange {
                path: path_text(&raw),
                old: None,
                new,
                others: Vec::new(),
                whole: true,
            };
            (change, presence)
        })
        .collect();
    work.sort_by(|a, b| a.0.path.cmp(&b.0.path).then(a.0.new.cmp(&b.0.new)));
    let results = par_map(repo, &work, |repo, (change, presence)| {
        let mut local = ScanStats::default();
        let found = match diff::scan_change(repo, change, None, settings.limits, &mut local)? {
            FileOutcome::Unit(u) => placed(&u, matcher, settings, baseline, *presence)?,
            FileOutcome::Nothing => Vec::new(),
        };
        Ok((found, local))
    });
    let mut out = Vec::new();
    for r in results {
        let (found, local) = r?;
        stats.absorb(local);
        out.extend(found);
    }
    Ok(out)
}

/// The untracked files of the work tree that git does not ignore, read from disk.
pub fn untracked(
    repo: &Repository,
    matcher: &Matcher,
    settings: &Settings,
    baseline: &Baseline,
    stats: &mut ScanStats,
) -> Result<Vec<Present>> {
    let workdir = repo
        .workdir()
        .context("--worktree needs a work tree, and this repository is bare")?
        .to_path_buf();
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo
        .statuses(Some(&mut opts))
        .context("listing untracked files")?;
    let named: Vec<(PathBuf, String)> = statuses
        .iter()
        .filter(|s| s.status().contains(Status::WT_NEW))
        .map(|s| {
            let raw = s.path_bytes();
            (workdir.join(diff::os_path(raw)), path_text(raw))
        })
        .filter(|(p, _)| p.is_file())
        .collect();
    let units = files::read_named(&named, settings.limits, stats)?;
    let presence = Presence {
        untracked: true,
        ..Presence::default()
    };
    let mut out = Vec::new();
    for u in &units {
        out.extend(placed(u, matcher, settings, baseline, presence)?);
    }
    Ok(out)
}

/// Matches and filters one whole file, naming what each key is assigned to.
fn placed(
    unit: &ScanUnit,
    matcher: &Matcher,
    settings: &Settings,
    baseline: &Baseline,
    presence: Presence,
) -> Result<Vec<Present>> {
    let findings = filter::apply(unit, matcher.scan(unit)?, settings, baseline);
    Ok(findings
        .into_iter()
        .map(|f| Present {
            assigned_to: left_of(unit, f.line, f.column).and_then(assigned_name),
            finding: f,
            presence,
        })
        .collect())
}

/// The text of line `line` before (character) column `column`.
fn left_of(unit: &ScanUnit, line: u32, column: u32) -> Option<&str> {
    let idx = unit.lines.iter().position(|&(_, n)| n == line)?;
    let start = unit.lines[idx].0;
    let end = unit.lines.get(idx + 1).map_or(unit.text.len(), |l| l.0);
    let text = unit.text.get(start..end)?;
    let cut = text
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(text.len(), |(i, _)| i);
    text.get(..cut)
}
