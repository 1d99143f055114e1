//! The push source: exactly the commits a `git push` would send.
//!
//! git feeds the pre-push hook one line per ref being pushed:
//! `<local ref> <local sha> <remote ref> <remote sha>`. Every line counts (several
//! branches and tags can go in one push). A deletion (local sha all zeros) sends nothing.
//! What is sent is everything reachable from the local shas that the remote does not
//! already have: we exclude the remote shas named in the input (when we have them
//! locally; after a force push the old tip may be gone) and every remote-tracking ref of
//! that remote (or of any remote with the same URL, for a push by URL). Remote-tracking
//! refs can be stale; that only makes us scan a little more, never less.

use anyhow::{bail, Context, Result};
use git2::{Oid, Repository, Sort};

/// One line of pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushLine {
    pub local_ref: String,
    pub local: Oid,
    pub remote_ref: String,
    pub remote: Oid,
}

/// Parses git's pre-push input. Blank lines are ignored; anything else malformed is an
/// error (a hook must not guess what is being pushed).
pub fn parse_input(input: &str) -> Result<Vec<PushLine>> {
    let mut lines = Vec::new();
    for (no, line) in input.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local, remote_ref, remote] = parts[..] else {
            bail!("pre-push input line {}: expected `<local ref> <local sha> <remote ref> <remote sha>`, got {line:?}", no + 1);
        };
        let oid = |s: &str| {
            Oid::from_str(s).with_context(|| {
                format!("pre-push input line {}: {s:?} is not an object id", no + 1)
            })
        };
        lines.push(PushLine {
            local_ref: local_ref.to_string(),
            local: oid(local)?,
            remote_ref: remote_ref.to_string(),
            remote: oid(remote)?,
        });
    }
    Ok(lines)
}

/// Remote-tracking ref globs of the remote being pushed to: by name, or by URL.
fn remote_globs(repo: &Repository, remote: Option<&str>, url: Option<&str>) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(r) = remote {
        if repo.find_remote(r).is_ok() {
            names.push(r.to_string());
        }
    }
    if names.is_empty() {
        // A push by URL: any configured remote with that URL has the same refs.
        let target = url.or(remote);
        if let (Some(target), Ok(all)) = (target, repo.remotes()) {
            for name in all.iter().flatten() {
                if repo
                    .find_remote(name)
                    .ok()
                    .and_then(|r| r.url().map(|u| u == target))
                    .unwrap_or(false)
                {
                    names.push(name.to_string());
                }
            }
        }
    }
    names
        .into_iter()
        .map(|n| format!("refs/remotes/{n}/*"))
        .collect()
}

/// The commits the push would send, oldest first.
pub fn commits_to_push(
    repo: &Repository,
    lines: &[PushLine],
    remote: Option<&str>,
    url: Option<&str>,
) -> Result<Vec<Oid>> {
    let mut walk = repo.revwalk().context("starting a revision walk")?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .context("sorting the walk")?;
    let mut pushed_any = false;
    for l in lines {
        if l.local.is_zero() {
            continue; // deleting a remote ref sends no commits
        }
        // Tags (annotated) are peeled to the commit they point at; a tag of a tree or a
        // blob sends no commits worth scanning here.
        let obj = repo
            .find_object(l.local, None)
            .with_context(|| format!("{} ({}) is not in this repository", l.local_ref, l.local))?;
        let Ok(commit) = obj.peel_to_commit() else {
            continue;
        };
        walk.push(commit.id())
            .with_context(|| format!("walking from {}", l.local_ref))?;
        pushed_any = true;
    }
    if !pushed_any {
        return Ok(Vec::new());
    }
    for l in lines {
        if !l.remote.is_zero() {
            // After a force push the old remote tip may not exist here: then the remote's
            // tracking refs below are what we know it has.
            if let Ok(c) = repo
                .find_object(l.remote, None)
                .and_then(|o| o.peel_to_commit())
            {
                walk.hide(c.id())
                    .with_context(|| format!("excluding {}", l.remote))?;
            }
        }
    }
    for glob in remote_globs(repo, remote, url) {
        walk.hide_glob(&glob)
            .with_context(|| format!("excluding {glob}"))?;
    }
    walk.collect::<Result<Vec<_>, _>>()
        .context("listing the commits to push")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_line() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let input = format!(
            "refs/heads/main {a} refs/heads/main {z}\n\nrefs/tags/v1 {a} refs/tags/v1 {z}\n"
        );
        let lines = parse_input(&input).unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].remote.is_zero());
        assert_eq!(lines[1].local_ref, "refs/tags/v1");
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_input("refs/heads/main abc").is_err());
        assert!(parse_input("a b c d").is_err());
        assert!(parse_input("").unwrap().is_empty());
    }
}
