//! The push source: exactly the commits a `git push` would send.
//!
//! git feeds the pre-push hook one line per ref being pushed:
//! `<local ref> <local sha> <remote ref> <remote sha>`. Every line counts (several
//! branches and tags can go in one push). A deletion (local sha all zeros) sends nothing.
//! What is sent is everything reachable from the local shas that the remote does not
//! already have: we exclude the remote shas named in the input (when we have them
//! locally; after a force push the old tip may be gone) and every remote-tracking ref of
//! that remote and of any remote with the same URL (a push by URL names no remote; URLs
//! are compared after normalising their spelling). Remote-tracking refs can be stale;
//! that only makes us scan a little more, never less. With no matching remote at all, a
//! new branch is scanned down to its root: keyguard cannot know what the remote holds.

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
        // A full id only: libgit2 would take `abc` as the prefix `abc000…`, turning a
        // truncated line into a different commit instead of an error.
        let oid = |s: &str| {
            let full = matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit());
            full.then(|| Oid::from_str(s).ok())
                .flatten()
                .with_context(|| {
                    format!(
                        "pre-push input line {}: {s:?} is not a full object id (40 hex digits)",
                        no + 1
                    )
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

/// A remote URL in a form that compares equal for two spellings of the same place.
///
/// git hands the hook the URL exactly as typed (`../r.git/`, `file:///srv/r.git`), while
/// the config may hold another spelling; an exact comparison would miss the remote and
/// make a push by URL scan history the remote already has. Local paths are resolved
/// (relative to the hook's working directory, the work tree root, as git does for
/// configured remotes); other URLs lose a trailing `/` and `.git`.
fn normalize_url(url: &str) -> String {
    let url = url.trim();
    let path = url.strip_prefix("file://").unwrap_or(url);
    // `host:path` (scp-like ssh) has a colon before any slash; a local path has none.
    let scp_like = path
        .find(':')
        .is_some_and(|colon| path.find('/').is_none_or(|slash| colon < slash));
    if !path.contains("://") && !scp_like {
        if let Ok(real) = std::fs::canonicalize(path) {
            return real.to_string_lossy().into_owned();
        }
    }
    let trimmed = url.trim_end_matches('/');
    trimmed
        .strip_suffix(".git")
        .unwrap_or(trimmed)
        .trim_end_matches('/')
        .to_string()
}

/// Remote-tracking ref globs of the remote being pushed to: the named remote (if it is
/// one) and every configured remote with the same URL (they track the same refs; a push
/// by URL names no remote at all).
fn remote_globs(repo: &Repository, remote: Option<&str>, url: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    if let Some(r) = remote {
        match repo.find_remote(r) {
            Ok(found) => {
                names.push(r.to_string());
                targets.extend(found.url().map(normalize_url));
                targets.extend(found.pushurl().map(normalize_url));
            }
            // Not a remote's name: for a push by URL git passes the URL here too.
            Err(_) => targets.push(normalize_url(r)),
        }
    }
    targets.extend(url.map(normalize_url));
    targets.retain(|t| !t.is_empty());
    if let (false, Ok(all)) = (targets.is_empty(), repo.remotes()) {
        for name in all.iter().flatten() {
            if names.iter().any(|n| n == name) {
                continue;
            }
            let Ok(r) = repo.find_remote(name) else {
                continue;
            };
            let same = [r.url(), r.pushurl()]
                .into_iter()
                .flatten()
                .any(|u| targets.contains(&normalize_url(u)));
            if same {
                names.push(name.to_string());
            }
        }
    }
    names
        .into_iter()
        .map(|n| format!("refs/remotes/{n}/*"))
        .collect()
}

/// The push the pre-commit framework describes in `PRE_COMMIT_FROM_REF` (what the
/// remote has, empty or all zeros for a new branch) and `PRE_COMMIT_TO_REF` (what is
/// pushed), as one pre-push input line. The framework consumes git's pre-push input
/// itself and passes the push in its environment instead: without this, a framework
/// pre-push would scan nothing and pass.
pub fn framework_push_line(repo: &Repository) -> Result<Option<PushLine>> {
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
    Ok(Some(PushLine {
        local_ref: std::env::var("PRE_COMMIT_LOCAL_BRANCH").unwrap_or_else(|_| to.clone()),
        local,
        remote_ref: branch,
        remote,
    }))
}

/// The commits the push would send, oldest first.
pub fn commits_to_push(
    repo: &Repository,
    lines: &[PushLine],
    remote: Option<&str>,
    url: Option<&str>,
) -> Result<Vec<Oid>> {
    let mut walk = repo.revwalk().context("starting a revision walk")?;
    // Parents before children, and otherwise oldest first (`git log --date-order
    // --reverse`): a change copied to another branch (cherry-pick) is then attributed to
    // the commit that made it first, whatever the order of the refs.
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
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
        .map_err(super::history::walk_error)
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
    fn url_spellings_compare_equal() {
        let d = tempfile::tempdir().unwrap();
        let bare = d.path().join("r.git");
        std::fs::create_dir(&bare).unwrap();
        let plain = bare.to_str().unwrap();
        let want = normalize_url(plain);
        assert_eq!(normalize_url(&format!("{plain}/")), want);
        assert_eq!(normalize_url(&format!("file://{plain}")), want);
        assert_eq!(
            normalize_url("https://example.com/o/r.git/"),
            normalize_url("https://example.com/o/r")
        );
        assert_eq!(
            normalize_url("git@example.com:o/r.git"),
            normalize_url("git@example.com:o/r")
        );
        assert_ne!(
            normalize_url("git@example.com:o/r"),
            normalize_url("git@example.com:o/other")
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_input("refs/heads/main abc").is_err());
        assert!(parse_input("a b c d").is_err());
        let z = "0".repeat(40);
        assert!(parse_input(&format!("refs/heads/x abc123 refs/heads/x {z}")).is_err());
        assert!(parse_input(&format!("refs/heads/x {z} refs/heads/x {}", "f".repeat(39))).is_err());
        assert!(parse_input("").unwrap().is_empty());
    }
}
