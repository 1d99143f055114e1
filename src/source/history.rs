//! The history source: which commits `keyguard scan` and `keyguard baseline` read.

use anyhow::{bail, Context, Result};
use git2::{ErrorCode, Oid, Repository, Sort};

/// What part of history to scan.
#[derive(Debug, Clone)]
pub enum Range {
    /// Every commit reachable from any ref (and HEAD).
    All,
    /// `REV` (its ancestors) or `A..B` (reachable from B, not from A).
    Spec(String),
    /// HEAD's ancestors.
    Head,
}

/// The commits in `range`, oldest first (so a finding is attributed to the commit that
/// introduced it, before any later copy of the same change).
pub fn commits_in(repo: &Repository, range: &Range) -> Result<Vec<Oid>> {
    let mut walk = repo.revwalk().context("starting a revision walk")?;
    // Parents before children, and otherwise oldest first (`git log --date-order
    // --reverse`): a change copied to another branch (cherry-pick) is then attributed to
    // the commit that made it first, whatever the order of the refs.
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
        .context("sorting the walk")?;
    match range {
        Range::All => {
            walk.push_glob("*").context("walking all refs")?;
            // An unborn HEAD (a new repository) has no history; libgit2 reports it as a
            // generic reference error here, not as `UnbornBranch`.
            let unborn = matches!(repo.head(), Err(e) if e.code() == ErrorCode::UnbornBranch);
            match if unborn { Ok(()) } else { walk.push_head() } {
                Ok(()) => {}
                Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {}
                Err(e) => return Err(e).context("walking HEAD"),
            }
        }
        Range::Head => match walk.push_head() {
            Ok(()) => {}
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {
                return Ok(Vec::new())
            }
            Err(e) => return Err(e).context("walking HEAD"),
        },
        Range::Spec(spec) => {
            if spec.contains("...") {
                bail!("symmetric ranges (A...B) are not supported; use A..B or a single revision");
            }
            if let Some((from, to)) = spec.split_once("..") {
                let to = if to.is_empty() { "HEAD" } else { to };
                let from = if from.is_empty() { "HEAD" } else { from };
                walk.push(peel(repo, to)?)?;
                walk.hide(peel(repo, from)?)?;
            } else {
                walk.push(peel(repo, spec)?)?;
            }
        }
    }
    walk.collect::<Result<Vec<_>, _>>()
        .map_err(walk_error)
        .context("listing commits")
}

/// A revision walk that fails on a missing commit cannot be completed: which commits
/// come before it is unknowable. Unlike a missing blob or tree (reported, the rest
/// scanned), this stays an error, but one that says what is wrong and how to fix it.
pub fn walk_error(e: git2::Error) -> anyhow::Error {
    if e.code() == git2::ErrorCode::NotFound {
        anyhow::anyhow!(
            "a commit in the range is not in this repository, so the history cannot be walked \
             past it ({}). Fetch the missing history first (`git fetch --unshallow` for a shallow \
             clone, `git fetch --refetch` otherwise) or scan a range that stops before it (A..B).",
            e.message()
        )
    } else {
        e.into()
    }
}

fn peel(repo: &Repository, rev: &str) -> Result<Oid> {
    let obj = repo
        .revparse_single(rev)
        .with_context(|| format!("unknown revision {rev:?}"))?;
    Ok(obj
        .peel_to_commit()
        .with_context(|| format!("{rev:?} is not a commit"))?
        .id())
}
