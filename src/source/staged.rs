//! The staged source: exactly what `git commit` is about to record.
//!
//! git runs the pre-commit hook with `GIT_INDEX_FILE` pointing at the index it will
//! commit (a temporary one for `commit -a`, `commit PATH`, `-o`, `-i`), so the repository
//! must be opened with [`git2::Repository::open_from_env`]: only then does libgit2 read that
//! index. The index is only read, never locked or written (git holds `index.lock`).
//! During a merge, a line counts as added only if no parent has it: what the resolution
//! itself introduces.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};
use git2::{ErrorCode, FileMode, Index, Oid, Repository, Tree};

use super::diff::{self, blob_at, Changed, FileChange};
use super::index::{self, IndexFile};
use super::ScanStats;

fn head_tree(repo: &Repository) -> Result<Option<Tree<'_>>> {
    match repo.head() {
        Ok(head) => Ok(Some(head.peel_to_tree().context("reading HEAD's tree")?)),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(e).context("reading HEAD"),
    }
}

/// The trees of the commits being merged into HEAD (empty when not merging).
fn merge_parent_trees<'r>(repo: &'r Repository, head: Option<Oid>) -> Result<Vec<Tree<'r>>> {
    merge_heads(repo, head)?
        .into_iter()
        .map(|oid| {
            repo.find_commit(oid)
                .and_then(|c| c.tree())
                .with_context(|| format!("reading merge parent {oid}"))
        })
        .collect()
}

/// The commits being merged into HEAD.
///
/// `git commit` during a merge finds them in MERGE_HEAD. But `git merge` runs the
/// pre-merge-commit hook *before* it writes MERGE_HEAD, so there the only trace of them is
/// `GIT_REFLOG_ACTION`, which git sets to `merge <name>...` (the names as the user gave
/// them) or, under `git pull`, to `pull ...`, the heads then being FETCH_HEAD's for-merge
/// lines. Without them every line the other branch brings in would count as added, and
/// a merge of a branch whose history already holds a key could never be committed.
/// Only commits HEAD does not already contain count, and names that do not resolve are
/// ignored: a parent that cannot be identified makes the scan stricter, never laxer.
fn merge_heads(repo: &Repository, head: Option<Oid>) -> Result<Vec<Oid>> {
    // MERGE_HEAD lives in the (per-worktree) git dir: one commit id per line, one line per
    // merged branch (several for an octopus merge).
    match std::fs::read_to_string(repo.path().join("MERGE_HEAD")) {
        Ok(text) => {
            return text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| {
                    Oid::from_str(l)
                        .with_context(|| format!("MERGE_HEAD holds {l:?}, not a commit id"))
                })
                .collect()
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).context("reading MERGE_HEAD"),
    }
    let action = std::env::var("GIT_REFLOG_ACTION").unwrap_or_default();
    let mut words = action.split_whitespace();
    let candidates: Vec<Oid> = match words.next() {
        Some("merge") => words
            .flat_map(|name| {
                if name == "FETCH_HEAD" {
                    fetch_head_merges(repo)
                } else {
                    repo.revparse_single(name)
                        .and_then(|o| o.peel_to_commit())
                        .map(|c| vec![c.id()])
                        .unwrap_or_default()
                }
            })
            .collect(),
        Some("pull") => fetch_head_merges(repo),
        _ => Vec::new(),
    };
    let mut out: Vec<Oid> = Vec::new();
    for oid in candidates {
        let contained = match head {
            Some(h) => h == oid || repo.graph_descendant_of(h, oid).unwrap_or(true),
            None => false,
        };
        if !contained && !out.contains(&oid) {
            out.push(oid);
        }
    }
    Ok(out)
}

/// The commits `git fetch` marked for merging (FETCH_HEAD lines without `not-for-merge`).
fn fetch_head_merges(repo: &Repository) -> Vec<Oid> {
    let text = std::fs::read_to_string(repo.path().join("FETCH_HEAD")).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut fields = l.split('\t');
            let oid = Oid::from_str(fields.next()?.trim()).ok()?;
            fields.next()?.is_empty().then_some(oid)
        })
        .filter(|oid| repo.find_commit(*oid).is_ok())
        .collect()
}

/// A bare repository with no work tree has no index: nothing can be staged in it. (One
/// used with a work tree is not bare here: see [`use_work_tree_from_env`].)
fn ensure_not_bare(repo: &Repository) -> Result<()> {
    if repo.is_bare() {
        bail!(
            "this is a bare repository with no work tree: there is nothing staged to scan \
             (to commit from a work tree, run git with --work-tree=DIR or set core.worktree \
             and core.bare = false)"
        );
    }
    Ok(())
}

fn index_of(repo: &Repository) -> Result<Index> {
    ensure_not_bare(repo)?;
    repo.index().context("reading the index")
}

/// The index, read by our reader when it can (no SHA-1 pass over the file), else by libgit2.
enum StagedIndex {
    Ours(IndexFile),
    Libgit2(Index),
}

impl StagedIndex {
    fn open(repo: &Repository) -> Result<Self> {
        ensure_not_bare(repo)?;
        match IndexFile::read(&index::index_path(repo)) {
            Some(idx) => Ok(StagedIndex::Ours(idx)),
            None => index_of(repo).map(StagedIndex::Libgit2),
        }
    }

    /// Mode and blob of the stage-0 entry at `raw` (`rel` is the same path for libgit2).
    fn entry(&self, raw: &[u8], rel: &Path) -> Option<(u32, Oid)> {
        match self {
            StagedIndex::Ours(idx) => idx.get(raw).map(|e| (e.mode, e.id)),
            StagedIndex::Libgit2(index) => index.get_path(rel, 0).map(|e| (e.mode, e.id)),
        }
    }
}

/// The tree the index would commit, built in memory.
///
/// Comparing HEAD with the index entry by entry means reading every tree of HEAD (git
/// avoids that with the index's cache-tree, which libgit2's index diff does not use).
/// Writing the index as a tree does use the cache-tree, and subtrees whose ids match
/// HEAD's are then skipped by the tree-to-tree diff without being read. The tree objects
/// are written to an in-memory object store layered over the repository's, never to disk.
/// Returns `None` (use the plain index diff) when that is not possible, e.g. with conflicts.
fn index_tree_in_memory<'r>(repo: &'r Repository, index: &mut Index) -> Option<Tree<'r>> {
    if index.has_conflicts() {
        return None;
    }
    let odb = repo.odb().ok()?;
    // Highest priority: every write goes to memory. If it cannot be added, don't write.
    odb.add_new_mempack_backend(1000).ok()?;
    let oid = index.write_tree().ok()?;
    repo.find_tree(oid).ok()
}

/// The changes between HEAD (or the empty tree) and the index being committed.
pub fn staged_changes(repo: &Repository, stats: &mut ScanStats) -> Result<Vec<FileChange>> {
    ensure_not_bare(repo)?;
    let head = head_tree(repo)?;
    let head_id = repo.head().ok().and_then(|h| h.target());
    let parents = merge_parent_trees(repo, head_id)?;
    let files = match fast_staged_files(repo, head.as_ref(), stats)? {
        Some(files) => files,
        None => libgit2_staged_files(repo, head.as_ref(), stats)?,
    };
    let changes = files
        .into_iter()
        .map(|(raw, old, new)| {
            let others = parents.iter().map(|t| blob_at(t, &raw)).collect();
            FileChange {
                path: super::path_text(&raw),
                old,
                new,
                others,
                whole: false,
            }
        })
        .collect();
    Ok(changes)
}

/// The common case, at `git diff --cached` speed: our own index reader and a cache-tree
/// guided comparison with HEAD (see [`index`]). `None` when libgit2 must do it: an index
/// this reader leaves to libgit2, conflicts, or files both added and deleted (a rename
/// may be among them, and only libgit2 detects renames).
fn fast_staged_files(
    repo: &Repository,
    head: Option<&Tree>,
    stats: &mut ScanStats,
) -> Result<Option<Vec<Changed>>> {
    let Some(idx) = IndexFile::read(&index::index_path(repo)) else {
        return Ok(None);
    };
    let Some(diff) =
        index::staged_files(repo, &idx, head).context("comparing HEAD with the index")?
    else {
        return Ok(None);
    };
    if diff.deletions && diff.files.iter().any(|(_, old, _)| old.is_none()) {
        return Ok(None);
    }
    stats.submodules_skipped += diff.submodules;
    Ok(Some(diff.files))
}

/// The general case: libgit2's tree diff with rename detection.
fn libgit2_staged_files(
    repo: &Repository,
    head: Option<&Tree>,
    stats: &mut ScanStats,
) -> Result<Vec<Changed>> {
    let mut index = index_of(repo)?;
    let mut opts = diff::tree_diff_options();
    let mut diff = match index_tree_in_memory(repo, &mut index) {
        Some(tree) => repo.diff_tree_to_tree(head, Some(&tree), Some(&mut opts)),
        None => repo.diff_tree_to_index(head, Some(&index), Some(&mut opts)),
    }
    .context("comparing HEAD with the index")?;
    let mut submodules = 0;
    let files = diff::changed_files_renamed(repo, &mut diff, None, stats, &mut submodules)?;
    stats.submodules_skipped += submodules;
    Ok(files)
}

/// A path from the command line as the bytes git records (`/`-separated).
#[cfg(unix)]
fn git_path_bytes(p: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn git_path_bytes(p: &Path) -> Vec<u8> {
    p.to_string_lossy().replace('\\', "/").into_bytes()
}

/// Whole staged contents of the named files (paths relative to the current directory):
/// what the pre-commit framework asks for when it hands over file names.
pub fn named_files(
    repo: &Repository,
    files: &[PathBuf],
    stats: &mut ScanStats,
) -> Result<Vec<FileChange>> {
    let index = StagedIndex::open(repo)?;
    let workdir = repo.workdir().context("repository has no working tree")?;
    let workdir = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    let mut changes = Vec::new();
    for f in files {
        let rel = repo_relative(&workdir, &cwd, f)
            .with_context(|| format!("{} is outside the repository", f.display()))?;
        let raw = git_path_bytes(&rel);
        match index.entry(&raw, &rel) {
            Some((mode, _)) if mode == u32::from(FileMode::Commit) => stats.submodules_skipped += 1,
            Some((_, id)) => changes.push(FileChange {
                path: super::path_text(&raw),
                old: None,
                new: id,
                others: Vec::new(),
                whole: true,
            }),
            // Not in the index (deleted, untracked): nothing of it will be committed.
            None => {}
        }
    }
    Ok(changes)
}

/// `file` (relative to `cwd`) as a path relative to the work tree, resolved lexically
/// so that deleted files still work.
fn repo_relative(workdir: &Path, cwd: &Path, file: &Path) -> Option<PathBuf> {
    let joined = if file.is_absolute() {
        file.to_path_buf()
    } else {
        cwd.join(file)
    };
    let mut norm = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                norm.pop();
            }
            Component::CurDir => {}
            other => norm.push(other),
        }
    }
    norm.strip_prefix(workdir).ok().map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::template::Rng;
    use std::process::Command;

    /// Runs the real git CLI in `dir`, isolated from the developer's configuration.
    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    const NAMES: &[&str] = &[
        "a", "b.txt", "c-d", "c.d", "c", "d/e", "d/f/g", "d/f/h", "d-x", "d0", "z/y/x/w",
    ];

    /// Applies a random change to the work tree at one of a few colliding names (files
    /// that become directories and back, `a` vs `a.b` vs `a-b` orderings, symlinks).
    fn random_change(dir: &Path, rng: &mut Rng) {
        let name = NAMES[rng.below(NAMES.len())];
        let path = dir.join(name);
        let _ = std::fs::remove_dir_all(&path);
        match rng.below(6) {
            0 => {
                let _ = std::fs::remove_file(&path);
            }
            1 => {
                let _ = std::fs::remove_file(&path);
                let _ = std::fs::create_dir_all(&path);
                let _ = std::fs::write(path.join("inner"), rng.string(b"xyz\n", 20));
            }
            2 => {
                let _ = std::fs::remove_file(&path);
                if let Some(parent) = path.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                let _ = std::os::unix::fs::symlink(rng.string(b"abc", 5), &path);
            }
            _ => {
                if let Some(parent) = path.parent() {
                    if parent.is_file() {
                        let _ = std::fs::remove_file(parent);
                    }
                    let _ = std::fs::create_dir_all(parent);
                }
                let _ = std::fs::remove_file(&path);
                let len = 1 + rng.below(40);
                let _ = std::fs::write(&path, rng.string(b"pqr\n", len));
            }
        }
    }

    /// The fast index reader and the libgit2 diff must agree on every staged state they
    /// both handle: random histories with files turning into directories, symlinks,
    /// deletions, intent-to-add entries, index version 4, and cache trees in every state.
    #[test]
    fn fast_staged_files_agree_with_libgit2() {
        let mut compared = 0;
        for seed in 0..24u64 {
            let tmp = tempfile::tempdir().expect("temp dir");
            let dir = tmp.path();
            git(dir, &["init", "-q"]);
            let mut rng = Rng::new(seed);
            if seed % 3 == 0 {
                git(dir, &["update-index", "--index-version", "4"]);
            }
            for round in 0..4 {
                for _ in 0..3 + rng.below(6) {
                    random_change(dir, &mut rng);
                }
                git(dir, &["add", "-A"]);
                if rng.below(3) == 0 {
                    let _ = std::fs::write(dir.join("ita"), "x\n");
                    git(dir, &["add", "-N", "ita"]);
                }
                if rng.below(2) == 0 {
                    // `git write-tree` refreshes the cache tree without committing.
                    git(dir, &["write-tree"]);
                }
                let repo = Repository::open(dir).expect("open");
                let head = head_tree(&repo).expect("head");
                let mut fast_stats = ScanStats::default();
                let fast = fast_staged_files(&repo, head.as_ref(), &mut fast_stats).expect("fast");
                let mut slow_stats = ScanStats::default();
                let mut slow =
                    libgit2_staged_files(&repo, head.as_ref(), &mut slow_stats).expect("libgit2");
                if let Some(mut fast) = fast {
                    // libgit2 lists an intent-to-add path as an empty new file; git does
                    // not commit it. Either way there is no line to scan.
                    let empty = Oid::hash_object(git2::ObjectType::Blob, b"").expect("hash");
                    slow.retain(|(path, _, new)| !(path == b"ita" && *new == empty));
                    fast.sort();
                    slow.sort();
                    assert_eq!(fast, slow, "seed {seed} round {round}");
                    assert_eq!(fast_stats.submodules_skipped, slow_stats.submodules_skipped);
                    compared += 1;
                }
                if round % 2 == 1 {
                    let _ = std::fs::remove_file(dir.join("ita"));
                    git(dir, &["add", "-A"]);
                    git(dir, &["commit", "-q", "--allow-empty", "-m", "r"]);
                }
            }
        }
        // Most states have no added+deleted pair and take the fast path.
        assert!(compared >= 40, "only {compared} states compared");
    }

    #[test]
    fn relative_paths_resolve_lexically() {
        let wd = Path::new("/repo");
        assert_eq!(
            repo_relative(wd, Path::new("/repo/sub"), Path::new("../a.txt")),
            Some(PathBuf::from("a.txt"))
        );
        assert_eq!(
            repo_relative(wd, Path::new("/repo"), Path::new("./x/y")),
            Some(PathBuf::from("x/y"))
        );
        assert_eq!(
            repo_relative(wd, Path::new("/elsewhere"), Path::new("a")),
            None
        );
    }
}
