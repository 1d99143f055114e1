//! The message source: commit and annotated-tag messages as text to scan.
//!
//! A key pasted into a commit message ("fix auth, was using sk-proj-…") is pushed and
//! kept in history like any file. The commit-msg hook scans the message being committed
//! (the file git passes it); `pre-push` and `scan` scan the messages of the commits they
//! cover and of the annotated tags among them. Each message is one [`ScanUnit`] whose
//! `location` says it is a message and whose `path` is a label (`commit message`,
//! `tag message (v1.0)`), never a file path; every line is "added", numbered from 1.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository};

use super::commits::commit_info;
use super::diff::{allow_lines, lines_of};
use super::{CommitInfo, Location, ScanUnit};

/// The label of a commit message finding.
pub const COMMIT_MESSAGE: &str = "commit message";

/// The label of an annotated tag's message finding.
pub fn tag_label(name: &str) -> String {
    format!("tag message ({name})")
}

/// One message as a unit: every line, numbered from 1.
pub fn message_unit(
    label: String,
    location: Location,
    commit: Option<Arc<CommitInfo>>,
    text: &[u8],
) -> ScanUnit {
    let mut unit = ScanUnit::new(label, commit);
    unit.location = location;
    for (no, line) in lines_of(text) {
        unit.push_line(no, line);
    }
    unit.allow_lines = allow_lines(text);
    unit
}

/// The message the commit-msg hook is given: the file's text above git's scissors line
/// (`# ------------------------ >8 ------------------------`, below which `git commit -v`
/// shows the diff that pre-commit already scanned). Comment lines are scanned too: with
/// `--cleanup=verbatim` they are committed as they are.
pub fn commit_msg_file(path: &Path) -> Result<ScanUnit> {
    let raw = std::fs::read(path)
        .with_context(|| format!("reading the commit message {}", path.display()))?;
    let mut end = raw.len();
    // `lines_of` skips a UTF-8 byte order mark: count it here too.
    let mut at = if raw.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    for (_, line) in lines_of(&raw) {
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.len() > 2 && text[1] == b' ' && &text[2..] == SCISSORS {
            end = at;
            break;
        }
        at += line.len();
    }
    Ok(message_unit(
        COMMIT_MESSAGE.to_string(),
        Location::CommitMessage,
        None,
        &raw[..end],
    ))
}

const SCISSORS: &[u8] = b"------------------------ >8 ------------------------";

/// The message of each commit in `commits`.
pub fn commit_messages(repo: &Repository, commits: &[Oid]) -> Result<Vec<ScanUnit>> {
    let mut units = Vec::with_capacity(commits.len());
    for &oid in commits {
        let c = repo
            .find_commit(oid)
            .with_context(|| format!("reading commit {oid}"))?;
        let info = Arc::new(commit_info(&c));
        units.push(message_unit(
            COMMIT_MESSAGE.to_string(),
            Location::CommitMessage,
            Some(info),
            c.message_raw_bytes(),
        ));
    }
    Ok(units)
}

/// The messages of the annotated tag `oid` and of any tag it points to (a tag of a tag),
/// attributed to the commit the chain ends at. Anything that is not a tag yields nothing.
fn tag_chain(
    repo: &Repository,
    oid: Oid,
    name: &str,
    seen: &mut HashSet<Oid>,
    out: &mut Vec<ScanUnit>,
) {
    let mut id = oid;
    let mut messages: Vec<(String, Vec<u8>)> = Vec::new();
    // A chain is short; the bound only stops a crafted loop-free but endless walk.
    for _ in 0..32 {
        if !seen.insert(id) {
            break;
        }
        let Ok(tag) = repo.find_tag(id) else { break };
        let label = tag
            .name()
            .map(str::to_string)
            .unwrap_or_else(|| name.to_string());
        messages.push((label, tag.message_bytes().unwrap_or_default().to_vec()));
        id = tag.target_id();
        if tag.target_type() != Some(ObjectType::Tag) {
            break;
        }
    }
    let commit = repo.find_commit(id).ok().map(|c| Arc::new(commit_info(&c)));
    for (label, text) in messages {
        out.push(message_unit(
            tag_label(&label),
            Location::TagMessage,
            commit.clone(),
            &text,
        ));
    }
}

/// The messages of the annotated tags a push sends: each pushed object that is a tag.
pub fn pushed_tags(repo: &Repository, pushed: &[(String, Oid)]) -> Result<Vec<ScanUnit>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (local_ref, oid) in pushed {
        if oid.is_zero() {
            continue;
        }
        let name = local_ref.strip_prefix("refs/tags/").unwrap_or(local_ref);
        tag_chain(repo, *oid, name, &mut seen, &mut out);
    }
    Ok(out)
}

/// The messages of the annotated tags (under `refs/tags/`) that point at one of `commits`.
pub fn tags_of(repo: &Repository, commits: &[Oid]) -> Result<Vec<ScanUnit>> {
    let wanted: HashSet<Oid> = commits.iter().copied().collect();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let refs = repo
        .references_glob("refs/tags/*")
        .context("listing tags")?;
    for r in refs {
        let r = r.context("reading a tag")?;
        let Some(oid) = r.target() else { continue };
        // Only annotated tags have a message.
        let Ok(tag) = repo.find_tag(oid) else {
            continue;
        };
        let Ok(target) = tag.target().and_then(|t| t.peel(ObjectType::Commit)) else {
            continue;
        };
        if !wanted.contains(&target.id()) {
            continue;
        }
        let name = r.shorthand().unwrap_or("").to_string();
        tag_chain(repo, oid, &name, &mut seen, &mut out);
    }
    Ok(out)
}
