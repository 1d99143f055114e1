//! The commit source: what each commit added, for push and history scans.
//!
//! A commit's added lines are those of its diff against its first parent (the empty tree
//! for a root commit). For a merge commit, a line counts only if no parent has it at
//! that path: exactly what the merge resolution introduced (`git log --cc` semantics),
//! the blind spot of scanners that skip merges or diff them against one parent only.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use git2::{Commit, Delta, DiffFindOptions, DiffOptions, FileMode, Oid, Repository, Tree};

use super::diff::FileChange;
use super::{CommitInfo, ScanStats};

pub fn commit_info(c: &Commit) -> CommitInfo {
    let id = c.id().to_string();
    CommitInfo {
        short: id[..id.len().min(10)].to_string(),
        id,
        summary: String::from_utf8_lossy(c.summary_bytes().unwrap_or_default()).into_owned(),
    }
}

fn blob_at(tree: &Tree, path: &str) -> Option<Oid> {
    tree.get_path(Path::new(path))
        .ok()
        .filter(|e| e.kind() == Some(git2::ObjectType::Blob))
        .map(|e| e.id())
}

/// The file changes commit `oid` introduces.
pub fn commit_changes(
    repo: &Repository,
    oid: Oid,
    stats: &mut ScanStats,
) -> Result<(Arc<CommitInfo>, Vec<FileChange>)> {
    let commit = repo
        .find_commit(oid)
        .with_context(|| format!("reading commit {oid}"))?;
    let info = Arc::new(commit_info(&commit));
    let tree = commit
        .tree()
        .with_context(|| format!("reading the tree of {oid}"))?;
    let parents: Vec<Tree> = commit
        .parents()
        .map(|p| p.tree())
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading the parents of {oid}"))?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true)
        .skip_binary_check(true)
        .ignore_submodules(false);
    let mut diff = repo
        .diff_tree_to_tree(parents.first(), Some(&tree), Some(&mut opts))
        .with_context(|| format!("diffing {oid}"))?;
    let mut find = DiffFindOptions::new();
    find.renames(true).rename_limit(2000);
    diff.find_similar(Some(&mut find))
        .context("detecting renames")?;
    let mut changes = Vec::new();
    for delta in diff.deltas() {
        if matches!(
            delta.status(),
            Delta::Deleted
                | Delta::Unmodified
                | Delta::Ignored
                | Delta::Untracked
                | Delta::Conflicted
        ) {
            continue;
        }
        let new = delta.new_file();
        if new.mode() == FileMode::Commit {
            stats.submodules_skipped += 1;
            continue;
        }
        let Some(path) = new
            .path_bytes()
            .map(|p| String::from_utf8_lossy(p).into_owned())
        else {
            continue;
        };
        let old = match delta.status() {
            Delta::Added => None,
            _ if delta.old_file().mode() == FileMode::Commit => None,
            _ => Some(delta.old_file().id()).filter(|id| !id.is_zero()),
        };
        let others: Vec<Option<Oid>> = parents.iter().skip(1).map(|t| blob_at(t, &path)).collect();
        // In a merge, a file identical to another parent's version adds nothing.
        if others.contains(&Some(new.id())) {
            continue;
        }
        changes.push(FileChange {
            path,
            old,
            new: new.id(),
            others,
            whole: false,
        });
    }
    Ok((info, changes))
}

/// Remembers which blob comparisons were already scanned, so that a change that appears
/// in many commits (cherry-picks, rebased copies, the same file on many branches) is
/// read and matched once, and attributed to the first (oldest) commit that made it.
#[derive(Default)]
pub struct SeenPairs(HashSet<u64>);

impl SeenPairs {
    /// True the first time this (old, new, others) comparison is offered.
    pub fn first_time(&mut self, c: &FileChange) -> bool {
        let mut h = DefaultHasher::new();
        (c.old, c.new, &c.others).hash(&mut h);
        self.0.insert(h.finish())
    }
}
