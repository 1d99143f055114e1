//! Opening the repository: the one way every command opens it (as git's hooks see it),
//! and the per-thread copies that parallel reads need (a `git2::Repository` cannot be
//! shared between threads).

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use git2::{ErrorCode, Repository};
use rayon::prelude::*;

/// Opens the repository the way git's hooks see it (honouring `GIT_DIR`,
/// `GIT_INDEX_FILE`, `GIT_WORK_TREE`, and discovery from the current directory).
pub fn open_repo() -> Result<Repository> {
    let repo = Repository::open_from_env()
        .map_err(|e| explain_open_error(&e))
        .with_context(|| {
            let cwd = std::env::current_dir()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            format!("cannot open a git repository at {cwd}")
        })?;
    use_work_tree_from_env(&repo)?;
    Ok(repo)
}

/// Gives the repository the work tree git was told to use, as git itself would.
///
/// A bare repository used with a work tree (the dotfiles pattern, `git
/// --git-dir=~/.dotfiles --work-tree=~ commit`) has `core.bare = true`, and git exports
/// `GIT_WORK_TREE` (often just `.`, relative to the hook's working directory, the work
/// tree root) to its hooks. git lets that variable override `core.bare`; libgit2 ignores
/// it when `core.bare` is set, and resolves a relative one against the git dir instead of
/// the current directory. Without this, such a repository looked bare and every commit
/// was blocked with "nothing staged to scan". A repository with no work tree at all stays
/// bare.
fn use_work_tree_from_env(repo: &Repository) -> Result<()> {
    let Some(value) = std::env::var_os("GIT_WORK_TREE").filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let dir = cwd.join(&value);
    let dir = dir.canonicalize().with_context(|| {
        format!(
            "GIT_WORK_TREE names {}, which is not a folder",
            Path::new(&value).display()
        )
    })?;
    repo.set_workdir(&dir, false)
        .with_context(|| format!("using {} as the work tree", dir.display()))
}

/// Turns libgit2's opening errors into advice a user can act on.
pub fn explain_open_error(e: &git2::Error) -> anyhow::Error {
    let msg = e.message();
    if e.code() == ErrorCode::NotFound {
        anyhow::anyhow!("not a git repository (or any parent directory)")
    } else if msg.contains("objectformat") || msg.contains("sha256") {
        anyhow::anyhow!("SHA-256 repositories are not supported yet by libgit2, which keyguard reads git with ({msg})")
    } else {
        anyhow::anyhow!("{msg}")
    }
}

/// `f` over `items` on the thread pool, each worker with its own handle on the same
/// repository (opened once per worker, not per item). Results come back in item order.
pub fn par_map<T, R, F>(repo: &Repository, items: &[T], f: F) -> Vec<Result<R>>
where
    T: Sync,
    R: Send,
    F: Fn(&Repository, &T) -> Result<R> + Sync + Send,
{
    let gitdir = repo.path().to_path_buf();
    let workdir = repo.workdir().map(Path::to_path_buf);
    items
        .par_iter()
        .map_init(
            || {
                let r = Repository::open(&gitdir)?;
                // A work tree given by GIT_WORK_TREE (see `use_work_tree_from_env`).
                if let Some(w) = &workdir {
                    r.set_workdir(w, false)?;
                }
                Ok::<_, git2::Error>(r)
            },
            |r, item| match r {
                Ok(r) => f(r, item),
                Err(e) => Err(anyhow!("reopening the repository: {e}")),
            },
        )
        .collect()
}
