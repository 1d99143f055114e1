//! The commit source: what each commit added, for push and history scans.
//!
//! A commit's added lines are those of its diff against its first parent (the empty tree
//! for a root commit). For a merge commit, a line counts only if no parent has it at
//! that path: exactly what the merge resolution introduced (`git log --cc` semantics),
//! the blind spot of scanners that skip merges or diff them against one parent only.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use anyhow::{Context, Result};
use git2::{Commit, Oid, Repository, Tree};

use super::diff::{self, blob_at, Changed, FileChange};
use super::{is_missing, read_error, CommitInfo, MissingEffect, ObjectKind, ScanStats};

pub fn commit_info(c: &Commit) -> CommitInfo {
    let id = c.id().to_string();
    CommitInfo {
        short: id[..id.len().min(10)].to_string(),
        id,
        summary: String::from_utf8_lossy(c.summary_bytes().unwrap_or_default()).into_owned(),
    }
}

/// The file changes commit `oid` introduces. Long because it follows git's own order of
/// cases (root commit, one parent, merge; exact and similar renames; missing trees), each
/// of which a test pins; split up, the order that makes them right would be lost.
pub fn commit_changes(
    repo: &Repository,
    oid: Oid,
    stats: &mut ScanStats,
) -> Result<(Arc<CommitInfo>, Vec<FileChange>)> {
    let commit = repo
        .find_commit(oid)
        .with_context(|| format!("reading commit {oid}"))?;
    let info = Arc::new(commit_info(&commit));
    let missing_tree = |stats: &mut ScanStats, path: &[u8], id: Oid, effect| {
        let path = super::path_text(path);
        stats.missing(&path, Some(&info), id, ObjectKind::Tree, effect);
    };
    // A partial clone made with `--filter=tree:0` has commits but not their trees. A
    // missing tree is never fetched: its files are reported as not scanned (the new
    // tree) or scanned as wholly added (a parent's tree), and the scan goes on.
    let tree = match commit.tree() {
        Ok(tree) => tree,
        Err(e) if is_missing(repo, &e) => {
            missing_tree(stats, b"", commit.tree_id(), MissingEffect::NotScanned);
            return Ok((info, Vec::new()));
        }
        Err(e) => {
            let what = format!("the tree of commit {oid}");
            return Err(read_error(e, commit.tree_id(), &what));
        }
    };
    let mut parents: Vec<Option<Tree>> = Vec::new();
    for i in 0..commit.parent_count() {
        let parent = commit
            .parent(i)
            .with_context(|| format!("reading parent {} of {oid}", i + 1))?;
        match parent.tree() {
            Ok(t) => parents.push(Some(t)),
            Err(e) if is_missing(repo, &e) => {
                missing_tree(stats, b"", parent.tree_id(), MissingEffect::ScannedWhole);
                parents.push(None);
            }
            Err(e) => {
                let what = format!("the tree of commit {}", parent.id());
                return Err(read_error(e, parent.tree_id(), &what));
            }
        }
    }
    let first = parents.first().and_then(Option::as_ref);
    let mut walk = TreeWalk::default();
    walk.compare(repo, first, &tree, &mut Vec::new())
        .with_context(|| format!("diffing {oid}"))?;
    let renames = walk.deleted > 0 && walk.changed.iter().any(|c| c.1.is_none());
    for (path, id, effect) in std::mem::take(&mut walk.missing) {
        missing_tree(stats, &path, id, effect);
    }
    let changed = if renames {
        // Something was deleted and something added: possibly a rename, which only
        // libgit2's similarity detection can pair (so that a moved file's old lines are
        // not reported again). Rare enough to pay for its whole-tree walk.
        let mut submodules = 0;
        match diff_with_renames(repo, first, &tree, &info, &mut submodules, stats) {
            Ok(changed) => {
                stats.submodules_skipped += submodules;
                changed
            }
            // libgit2's diff reads every subtree; with one missing (already reported by
            // the walk) keep the walk's result: no renames, so moved files are scanned
            // whole, stricter.
            Err(e)
                if e.downcast_ref::<git2::Error>()
                    .is_some_and(|e| is_missing(repo, e)) =>
            {
                stats.submodules_skipped += walk.submodules;
                walk.changed
            }
            Err(e) => return Err(e).with_context(|| format!("diffing {oid}")),
        }
    } else {
        stats.submodules_skipped += walk.submodules;
        walk.changed
    };
    let mut changes = Vec::with_capacity(changed.len());
    for (raw, old, new) in changed {
        let others: Vec<Option<Oid>> = parents
            .iter()
            .skip(1)
            .map(|t| t.as_ref().and_then(|t| blob_at(t, &raw)))
            .collect();
        // In a merge, a file identical to another parent's version adds nothing.
        if others.contains(&Some(new)) {
            continue;
        }
        changes.push(FileChange {
            path: super::path_text(&raw),
            old,
            new,
            others,
            whole: false,
        });
    }
    Ok((info, changes))
}

const MODE_TYPE: i32 = 0o170000;
const MODE_TREE: i32 = 0o040000;
const MODE_GITLINK: i32 = 0o160000;

/// Compares two trees the way git does: subtrees with the same id are skipped without
/// being read. libgit2's tree diff reads every subtree of both sides, which made it
/// two thirds of a history scan's time on a repository of a few thousand files.
#[derive(Default)]
struct TreeWalk {
    /// Added or modified files (blobs and symlinks), in tree order.
    changed: Vec<Changed>,
    /// Paths (files or whole folders) present before and gone now.
    deleted: usize,
    /// Submodule pointers added or moved: not scanned, but counted.
    submodules: usize,
    /// Subtrees not in the repository (partial clone): path, id, and what that cost.
    missing: Vec<(Vec<u8>, Oid, MissingEffect)>,
}

impl TreeWalk {
    /// Walks two trees in git's sort order in one merge-like pass (one function: the
    /// cursor logic over both sides must stay in one place to stay in step).
    fn compare(
        &mut self,
        repo: &Repository,
        old: Option<&Tree>,
        new: &Tree,
        prefix: &mut Vec<u8>,
    ) -> Result<()> {
        // Both trees are sorted in git's order: walk them side by side.
        let mut olds = old.into_iter().flat_map(|t| t.iter()).peekable();
        for entry in new.iter() {
            let (id, mode) = (entry.id(), entry.filemode());
            let mut was = None;
            while let Some(o) = olds.peek() {
                match git_order(o.name_bytes(), o.filemode(), entry.name_bytes(), mode) {
                    Ordering::Less => {
                        self.deleted += 1;
                        olds.next();
                    }
                    Ordering::Equal => {
                        was = olds.next().map(|o| (o.id(), o.filemode()));
                        break;
                    }
                    Ordering::Greater => break,
                }
            }
            if was == Some((id, mode)) {
                continue; // unchanged file, or a whole unchanged folder
            }
            let len = prefix.len();
            if !prefix.is_empty() {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(entry.name_bytes());
            match mode & MODE_TYPE {
                MODE_TREE => match repo.find_tree(id) {
                    Ok(sub) => {
                        // Same name and order means the old entry is a folder too. If
                        // that one is missing, everything in the new folder is added.
                        let old_sub = match was.map(|(o, _)| repo.find_tree(o)).transpose() {
                            Ok(old_sub) => old_sub,
                            Err(e) if is_missing(repo, &e) => {
                                let old = was.map_or(id, |w| w.0);
                                let whole = MissingEffect::ScannedWhole;
                                self.missing.push((prefix.clone(), old, whole));
                                None
                            }
                            Err(e) => {
                                let old = was.map_or(id, |w| w.0);
                                let what = format!("folder {}", super::path_text(prefix));
                                return Err(read_error(e, old, &what));
                            }
                        };
                        self.compare(repo, old_sub.as_ref(), &sub, prefix)?;
                    }
                    Err(e) if is_missing(repo, &e) => {
                        let not = MissingEffect::NotScanned;
                        self.missing.push((prefix.clone(), id, not));
                        // Whatever the old folder held is not known to be gone.
                    }
                    Err(e) => {
                        let what = format!("folder {}", super::path_text(prefix));
                        return Err(read_error(e, id, &what));
                    }
                },
                MODE_GITLINK => self.submodules += 1,
                _ => {
                    let old_blob = match was {
                        Some((_, m)) if m & MODE_TYPE == MODE_GITLINK => None,
                        other => other.map(|(o, _)| o),
                    };
                    // A mode change alone (chmod +x) adds no line.
                    if old_blob != Some(id) {
                        self.changed.push((prefix.clone(), old_blob, id));
                    }
                }
            }
            prefix.truncate(len);
        }
        self.deleted += olds.count();
        Ok(())
    }
}

/// git's tree entry order: names compared bytewise, a folder's name as if it ended in
/// `/`. So a file and a folder of the same name are different entries (a type change
/// is a deletion plus an addition), exactly as git sees them.
fn git_order(a: &[u8], a_mode: i32, b: &[u8], b_mode: i32) -> Ordering {
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n]).then_with(|| {
        let end = |name: &[u8], mode: i32| {
            name.get(n)
                .copied()
                .unwrap_or(if mode & MODE_TYPE == MODE_TREE {
                    b'/'
                } else {
                    0
                })
        };
        end(a, a_mode).cmp(&end(b, b_mode))
    })
}

/// The changes of one commit as libgit2's diff with rename detection sees them.
fn diff_with_renames(
    repo: &Repository,
    old: Option<&Tree>,
    new: &Tree,
    commit: &CommitInfo,
    submodules: &mut usize,
    stats: &mut ScanStats,
) -> Result<Vec<Changed>> {
    let mut opts = diff::tree_diff_options();
    let mut diff = repo.diff_tree_to_tree(old, Some(new), Some(&mut opts))?;
    diff::changed_files_renamed(repo, &mut diff, Some(commit), stats, submodules)
}

/// A later commit that made the very same change (same path, same blobs) as an earlier
/// one, whose findings are reported at the earlier one: a cherry-pick, a rebased copy.
#[derive(Debug, Clone)]
pub struct CopiedChange {
    /// The commit the change's findings are attributed to.
    pub first: Arc<CommitInfo>,
    /// The changed file.
    pub path: String,
    /// The commit that repeated it.
    pub copy: Oid,
}

/// Remembers which blob comparisons were already scanned, so that a change that appears
/// in many commits (cherry-picks, rebased copies, the same file on many branches) is
/// read and matched once, and attributed to the first (oldest) commit that made it.
///
/// The path is part of the key: path allowlists and rules limited to some paths make the
/// same blobs mean different things at different paths (a key in an allowlisted fixture
/// copied to `src/`), so only a repeat at the same path may be skipped. Keys are kept as
/// 128-bit hashes (memory stays small on huge histories; a collision, which would skip a
/// change, is out of reach at any realistic history size).
#[derive(Default)]
pub struct SeenPairs(HashSet<u128>);

impl SeenPairs {
    /// True the first time this (path, old, new, others) comparison is offered.
    pub fn first_time(&mut self, c: &FileChange) -> bool {
        self.0.insert(Self::key(c))
    }

    /// The 128-bit key of a comparison (path, old, new, others).
    pub fn key(c: &FileChange) -> u128 {
        let half = |salt: u8| {
            let mut h = DefaultHasher::new();
            (salt, &c.path, c.old, c.new, &c.others).hash(&mut h);
            h.finish()
        };
        (u128::from(half(1)) << 64) | u128::from(half(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a tree from (path, mode, content or id) entries.
    fn tree<'r>(repo: &'r Repository, files: &[(&str, i32, &str)]) -> Tree<'r> {
        fn build(repo: &Repository, files: &[(Vec<&str>, i32, Oid)]) -> Oid {
            let mut b = repo.treebuilder(None).unwrap();
            let mut dirs: Vec<&str> = Vec::new();
            for (parts, mode, id) in files {
                if parts.len() == 1 {
                    b.insert(parts[0], *id, *mode).unwrap();
                } else if !dirs.contains(&parts[0]) {
                    dirs.push(parts[0]);
                }
            }
            for d in dirs {
                let sub: Vec<(Vec<&str>, i32, Oid)> = files
                    .iter()
                    .filter(|(p, _, _)| p.len() > 1 && p[0] == d)
                    .map(|(p, m, i)| (p[1..].to_vec(), *m, *i))
                    .collect();
                b.insert(d, build(repo, &sub), 0o040000).unwrap();
            }
            b.write().unwrap()
        }
        let entries: Vec<(Vec<&str>, i32, Oid)> = files
            .iter()
            .map(|(p, m, c)| {
                let id = if *m == 0o160000 {
                    Oid::from_str(c).unwrap()
                } else {
                    repo.blob(c.as_bytes()).unwrap()
                };
                (p.split('/').collect(), *m, id)
            })
            .collect();
        repo.find_tree(build(repo, &entries)).unwrap()
    }

    #[test]
    fn git_order_puts_folders_after_their_name_with_a_slash() {
        let (f, t) = (0o100644, 0o040000);
        assert_eq!(git_order(b"foo", t, b"foo.txt", f), Ordering::Greater);
        assert_eq!(git_order(b"foo", f, b"foo.txt", f), Ordering::Less);
        assert_eq!(git_order(b"foo", t, b"foo0", f), Ordering::Less);
        assert_eq!(git_order(b"foo", t, b"foo", f), Ordering::Greater);
        assert_eq!(git_order(b"foo", t, b"foo", t), Ordering::Equal);
        assert_eq!(git_order(b"foo", 0o160000, b"foo", f), Ordering::Equal);
    }

    #[test]
    fn tree_walk_agrees_with_libgit2() {
        let d = tempfile::tempdir().unwrap();
        let repo = Repository::init(d.path()).unwrap();
        let sub1 = "1111111111111111111111111111111111111111";
        let sub2 = "2222222222222222222222222222222222222222";
        let v1 = tree(
            &repo,
            &[
                ("a.txt", 0o100644, "a\n"),
                ("dir/b.txt", 0o100644, "b\n"),
                ("dir/sub/c.txt", 0o100644, "c\n"),
                ("link", 0o120000, "dir/b.txt"),
                ("mod", 0o160000, sub1),
                ("x", 0o100644, "a file that becomes a folder\n"),
                ("y/z.txt", 0o100644, "a folder that becomes a file\n"),
                // Names that sort differently as files and as folders.
                ("foo.txt", 0o100644, "1\n"),
                ("foo/bar.txt", 0o100644, "2\n"),
                ("foo-bar", 0o100644, "3\n"),
                ("foo0/x", 0o100644, "4\n"),
            ],
        );
        let v2 = tree(
            &repo,
            &[
                ("a.txt", 0o100755, "a\n"),
                ("dir/b.txt", 0o100644, "b\n"),
                ("dir/new.txt", 0o100644, "new\n"),
                ("dir/sub/c.txt", 0o100644, "c\nc2\n"),
                ("link", 0o120000, "a.txt"),
                ("mod", 0o160000, sub2),
                ("x/inner.txt", 0o100644, "completely different words here\n"),
                ("y", 0o100644, "now just one line of other text\n"),
                ("foo.txt", 0o100644, "1\n1b\n"),
                ("foo/bar.txt", 0o100644, "2\n2b\n"),
                ("foo-bar", 0o100644, "3\n3b\n"),
                ("foo0/x", 0o100644, "4\n4b\n"),
            ],
        );
        for (old, new) in [(None, &v1), (Some(&v1), &v2), (Some(&v2), &v1)] {
            let mut walk = TreeWalk::default();
            walk.compare(&repo, old, new, &mut Vec::new()).unwrap();
            let mut subs = 0;
            let info = CommitInfo {
                id: String::new(),
                short: String::new(),
                summary: String::new(),
            };
            let mut stats = ScanStats::default();
            let mut want =
                diff_with_renames(&repo, old, new, &info, &mut subs, &mut stats).unwrap();
            let mut got = walk.changed.clone();
            want.sort();
            got.sort();
            assert_eq!(got, want);
            assert_eq!(walk.submodules, subs);
        }
        // The second step edits, adds, changes a mode, a link, a submodule and two types.
        let mut walk = TreeWalk::default();
        walk.compare(&repo, Some(&v1), &v2, &mut Vec::new())
            .unwrap();
        let paths: Vec<String> = walk
            .changed
            .iter()
            .map(|c| super::super::path_text(&c.0))
            .collect();
        assert_eq!(
            paths,
            [
                "dir/new.txt",
                "dir/sub/c.txt",
                "foo-bar",
                "foo.txt",
                "foo/bar.txt",
                "foo0/x",
                "link",
                "x/inner.txt",
                "y"
            ]
        );
        assert!(walk
            .changed
            .iter()
            .all(|c| c.1.is_some() == !matches!(&c.0[..], b"dir/new.txt" | b"x/inner.txt" | b"y")));
        assert_eq!(walk.deleted, 2, "x (a file) and y/ (a folder) went away");
        assert_eq!(walk.submodules, 1);
    }
}
