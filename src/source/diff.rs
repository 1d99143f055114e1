//! Blob-level diffing shared by every source: which lines of a new blob are added.
//!
//! We diff blob contents ourselves (libgit2's xdiff on buffers) instead of asking for a
//! repository diff with patches, because that would let `.gitattributes` (`-diff`,
//! `binary`) decide what is text: a hostile or careless attribute could hide a key. Here
//! binary means "has a NUL byte in its first 8000 bytes", exactly git's own heuristic,
//! and nothing in the repository's config or attributes changes it. A binary file's bytes
//! are never matched, but its path still is (see [`FileOutcome::Unit`]).
//!
//! Every blob is read whole, so sizes are checked from object headers first: nothing over
//! the size limit is inflated, here or in rename detection.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::{Context, Result};
use git2::{Delta, Diff, DiffFindOptions, DiffOptions, FileMode, Oid, Repository, Tree};

use super::{
    is_missing, read_error, CommitInfo, Limits, MissingEffect, ObjectKind, OversizedFile,
    RenameLimited, ScanStats, ScanUnit,
};

/// A file a change adds or modifies: its path exactly as git records it (bytes, not
/// necessarily UTF-8), the blob it replaces (if any) and the new blob. The path is turned
/// into text ([`super::path_text`]) only for the unit; lookups in other trees use the bytes.
pub type Changed = (Vec<u8>, Option<Oid>, Oid);

/// The blob at `path` (raw bytes, `/`-separated) in `tree`, if there is a file there.
///
/// The one lookup every source uses to find another version of a changed file (a merge's
/// other parents). It takes the raw bytes: the text form escapes bytes that are not
/// UTF-8, and looking that text up would never find such a file, so its merged lines
/// would be reported as added.
pub fn blob_at(tree: &Tree, path: &[u8]) -> Option<Oid> {
    tree.get_path(&os_path(path))
        .ok()
        .filter(|e| e.kind() == Some(git2::ObjectType::Blob))
        .map(|e| e.id())
}

/// A repository path's exact bytes as a file-system path (git paths need not be UTF-8).
#[cfg(unix)]
pub fn os_path(bytes: &[u8]) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    std::path::PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
pub fn os_path(bytes: &[u8]) -> std::path::PathBuf {
    std::path::PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// git's heuristic: a NUL in the first 8000 bytes makes a blob binary.
pub fn is_binary(content: &[u8]) -> bool {
    memchr_nul(&content[..content.len().min(8000)])
}

fn memchr_nul(b: &[u8]) -> bool {
    b.contains(&0)
}

/// Options for the tree-level diffs every source starts from: type changes included,
/// submodules listed (to be counted), and no binary guess (we decide, see above).
pub fn tree_diff_options() -> DiffOptions {
    let mut opts = DiffOptions::new();
    opts.include_typechange(true)
        .skip_binary_check(true)
        .ignore_submodules(false);
    opts
}

/// Blobs over this size are never compared for inexact rename detection.
///
/// libgit2 reads both blobs of a candidate pair whole into memory to compare them, and
/// skips a pair only when both are over 127 bytes and their sizes differ more than 8×: so
/// staging a 1 GB file next to deleting a 100-byte one made it inflate the whole gigabyte
/// (1 GB of memory, seconds) before a single line was scanned. Above this size only
/// exact renames (same blob) are detected, which never reads a blob.
pub const RENAME_MAX_BLOB: u64 = 10 << 20;

/// Inexact (similarity) rename detection runs only while rename sources × targets stay
/// within this many pairs; past it, moved files are paired by file name (see
/// [`pair_by_name`]).
///
/// libgit2's `rename_limit` bounds the candidates examined per file, not the whole
/// comparison, so a commit that moves and edits thousands of files cost a hashsig
/// comparison for millions of pairs (a 1,194-commit history spent 97% of a 277 s scan
/// there). git bounds the product at `diff.renameLimit`² (1000²) and pairs unique file
/// names first; at libgit2's ~5 µs a pair, 1000² pairs still cost 5 s for one commit (a
/// real javadoc branch has dozens of such commits), so the bound here is 100²: at most
/// ~50 ms. A constant, never the repository's or the user's `diff.renameLimit`: what is
/// scanned must not depend on their config.
pub const SIMILARITY_PAIRS: usize = 100 * 100;

/// Detects renames with fixed settings: the user's `diff.renames` must not change what is
/// scanned (a rename that adds nothing must stay silent).
///
/// Exact renames (same blob) are always detected: that compares ids and reads no blob.
/// Inexact ones (similar content) only within [`SIMILARITY_PAIRS`] (past it the skip is
/// recorded in `stats` for `commit`, and files are paired by name instead) and when every
/// candidate blob can be read and is at most [`RENAME_MAX_BLOB`]. A file left unpaired
/// counts as added, all its lines scanned: stricter, never laxer.
fn find_renames(
    repo: &Repository,
    diff: &mut Diff,
    commit: Option<&CommitInfo>,
    stats: &mut ScanStats,
) -> Result<Pairing> {
    let mut find = DiffFindOptions::new();
    find.renames(true).rename_limit(2000);
    let pairing = match inexact_renames(repo, diff)? {
        Inexact::Allowed => Pairing::Similarity,
        Inexact::TooMany { added, deleted } => {
            stats.rename_limited.push(RenameLimited {
                commit: commit.map(|c| c.id.clone()),
                added,
                deleted,
            });
            find.exact_match_only(true);
            Pairing::ByName
        }
        Inexact::Unreadable => {
            find.exact_match_only(true);
            Pairing::ExactOnly
        }
    };
    diff.find_similar(Some(&mut find))
        .context("detecting renames")?;
    Ok(pairing)
}

/// A regular or executable file: what rename detection pairs (not links or submodules).
fn is_blob(mode: FileMode) -> bool {
    matches!(mode, FileMode::Blob | FileMode::BlobExecutable)
}

/// How the files of a diff were paired with the versions they replace.
#[derive(PartialEq)]
enum Pairing {
    Similarity,
    ExactOnly,
    ByName,
}

/// Every file a tree-level diff adds or changes, renames paired with the file they moved
/// from (see [`find_renames`]); submodules are counted in `submodules`.
pub fn changed_files_renamed(
    repo: &Repository,
    diff: &mut Diff,
    commit: Option<&CommitInfo>,
    stats: &mut ScanStats,
    submodules: &mut usize,
) -> Result<Vec<Changed>> {
    let pairing = find_renames(repo, diff, commit, stats)?;
    let mut files = changed_files(diff, submodules);
    if pairing == Pairing::ByName {
        pair_by_name(diff, &mut files);
    }
    Ok(files)
}

/// Pairs each added file with the deleted file of the same name, when that name is unique
/// among both the added and the deleted files (git pairs unique basenames the same way
/// before its similarity search). Pairing only decides which old version the added lines
/// are computed against, so any pairing is safe: a line the old version lacks is still
/// scanned; a line it has was in the repository already. A wrong pair costs nothing but
/// the diff; no pair means the whole file is scanned.
fn pair_by_name(diff: &Diff, files: &mut [Changed]) {
    fn name(path: &[u8]) -> &[u8] {
        path.rsplit(|&b| b == b'/').next().unwrap_or(path)
    }
    // Deleted blobs left after exact renames, by name; `None` when the name repeats.
    let mut deleted: HashMap<&[u8], Option<Oid>> = HashMap::new();
    for delta in diff.deltas() {
        let old = delta.old_file();
        if delta.status() == Delta::Deleted && is_blob(old.mode()) {
            if let Some(path) = old.path_bytes() {
                deleted
                    .entry(name(path))
                    .and_modify(|e| *e = None)
                    .or_insert(Some(old.id()));
            }
        }
    }
    let mut added: HashMap<Vec<u8>, usize> = HashMap::new();
    for (path, old, _) in files.iter() {
        if old.is_none() {
            *added.entry(name(path).to_vec()).or_default() += 1;
        }
    }
    for (path, old, _) in files.iter_mut() {
        if old.is_none() && added.get(name(path)) == Some(&1) {
            if let Some(Some(id)) = deleted.get(name(path)) {
                *old = Some(*id);
            }
        }
    }
}

/// Whether inexact rename detection may run on a diff.
enum Inexact {
    Allowed,
    /// More than [`SIMILARITY_PAIRS`] pairs left after exact renames.
    TooMany {
        added: usize,
        deleted: usize,
    },
    /// A candidate blob is over [`RENAME_MAX_BLOB`] or not in the repository (a partial
    /// clone): libgit2 would inflate the whole blob, or fail with "object not found".
    Unreadable,
}

/// Decides [`Inexact`] from the diff's deleted (rename sources) and added (targets) blobs.
/// Only object headers are read, and only when the pair count is within the limit.
fn inexact_renames(repo: &Repository, diff: &Diff) -> Result<Inexact> {
    let mut sources = Vec::new();
    let mut targets = Vec::new();
    for delta in diff.deltas() {
        match delta.status() {
            Delta::Deleted if is_blob(delta.old_file().mode()) => {
                sources.push(delta.old_file().id())
            }
            Delta::Added if is_blob(delta.new_file().mode()) => targets.push(delta.new_file().id()),
            _ => {}
        }
    }
    // As git counts them: what is left once exact renames (same blob) are paired.
    let source_ids: HashSet<Oid> = sources.iter().copied().collect();
    let target_ids: HashSet<Oid> = targets.iter().copied().collect();
    sources.retain(|id| !target_ids.contains(id));
    targets.retain(|id| !source_ids.contains(id));
    if sources.is_empty() || targets.is_empty() {
        return Ok(Inexact::Allowed); // libgit2 compares nothing
    }
    if sources.len().saturating_mul(targets.len()) > SIMILARITY_PAIRS {
        return Ok(Inexact::TooMany {
            added: targets.len(),
            deleted: sources.len(),
        });
    }
    let odb = repo.odb().context("opening the object database")?;
    // The object header, not the size libgit2 may have from the index: that one is the
    // work tree file's, after filters, and cut to 32 bits.
    for id in sources.iter().chain(&targets) {
        match odb.read_header(*id) {
            Ok((size, _)) if size as u64 > RENAME_MAX_BLOB => return Ok(Inexact::Unreadable),
            Ok(_) => {}
            // A missing new blob is reported when it is read for scanning.
            Err(e) if is_missing(repo, &e) => return Ok(Inexact::Unreadable),
            Err(e) => return Err(read_error(e, *id, "a rename candidate")),
        }
    }
    Ok(Inexact::Allowed)
}

/// Every file a tree-level diff adds or changes. Deletions and mode-only changes add no
/// line and are left out; submodules are counted, not listed.
fn changed_files(diff: &Diff, submodules: &mut usize) -> Vec<Changed> {
    let mut out = Vec::new();
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
            *submodules += 1;
            continue;
        }
        let Some(path) = new.path_bytes().map(<[u8]>::to_vec) else {
            continue;
        };
        let old = match delta.status() {
            Delta::Added => None,
            _ if delta.old_file().mode() == FileMode::Commit => None,
            _ => Some(delta.old_file().id()).filter(|id| !id.is_zero()),
        };
        if old != Some(new.id()) {
            out.push((path, old, new.id()));
        }
    }
    out
}

/// Line numbers (1-based) of `new` that are added relative to `old`.
///
/// Myers' algorithm with git's heuristics (imara-diff ports xdiff's), so the added lines are
/// those `git diff` shows, slid to the same places by the indent heuristic git uses by
/// default. Not libgit2's patch machinery: it hashes both buffers with collision-detecting
/// SHA-1 before diffing (a quarter of a history scan's time, measured on a real JS
/// monorepo) although the blob ids are already known, and builds a patch we only read the
/// `+` line numbers of.
pub fn added_line_numbers(old: &[u8], new: &[u8]) -> Vec<u32> {
    use imara_diff::{sources::byte_lines, Algorithm, Diff, InternedInput};
    // Most changes touch a few lines of a big file: the lines both versions start and end
    // with are not diffed at all (xdiff trims them the same way).
    let (head, tail) = common_lines(old, new);
    let skipped = memchr::memchr_iter(b'\n', &new[..head]).count() as u32;
    let (old, new) = (&old[head..old.len() - tail], &new[head..new.len() - tail]);
    if new.is_empty() {
        return Vec::new();
    }
    let input = InternedInput::new(byte_lines(old), byte_lines(new));
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    (0..input.after.len() as u32)
        .filter(|&i| diff.is_added(i))
        .map(|i| skipped + i + 1)
        .collect()
}

/// Byte lengths of the whole lines `old` and `new` share at their start and at their end
/// (not overlapping).
fn common_lines(old: &[u8], new: &[u8]) -> (usize, usize) {
    let same = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    if same == old.len() && same == new.len() {
        return (same, 0);
    }
    // Back to the start of the line the first difference is in.
    let head = memchr::memrchr(b'\n', &old[..same]).map_or(0, |i| i + 1);
    let room = old.len().min(new.len()) - head;
    let mut tail = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    // Forward to a line start in both versions.
    let starts_line = |text: &[u8], len: usize| {
        let at = text.len() - len;
        at == head || text[at - 1] == b'\n'
    };
    while tail > 0 && !(starts_line(old, tail) && starts_line(new, tail)) {
        tail -= 1;
    }
    (head, tail)
}

/// Iterates `(line_number, line_bytes)` over a blob's lines. A UTF-8 byte order mark is
/// not part of the first line: editors do not show it, so columns must not count it.
pub fn lines_of(content: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    let mut rest = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
    let mut no = 0;
    // memchr finds the line ends with SIMD; `split_inclusive` tests byte by byte.
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let (line, after) = rest.split_at(end);
        rest = after;
        no += 1;
        Some((no, line))
    })
}

/// Lines silenced by inline markers, computed on the whole new blob so that
/// `keyguard:allow-next-line` works even when the marker line itself is unchanged.
pub fn allow_lines(content: &[u8]) -> Vec<u32> {
    const MARK: &[u8] = b"keyguard:allow";
    if memchr::memmem::find(content, MARK).is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (no, line) in lines_of(content) {
        let mut rest = line;
        while let Some(pos) = memchr::memmem::find(rest, MARK) {
            let after = &rest[pos + MARK.len()..];
            if after.starts_with(b"-next-line") {
                out.push(no + 1);
            } else {
                out.push(no);
            }
            rest = after;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// What one file of a change yields.
pub enum FileOutcome {
    /// Its added lines; or, for a file whose content is not scanned (binary, or over the
    /// size limit, counted in the stats), a unit with no text: rules about the path
    /// itself (a committed `.p12` keystore) still apply, content rules find nothing.
    Unit(ScanUnit),
    /// Nothing added.
    Nothing,
}

/// The versions of a file to compare. `others` are extra parents (merges): a line is
/// reported only if it is added relative to `old` *and* to every one of them.
pub struct FileChange {
    pub path: String,
    pub old: Option<Oid>,
    pub new: Oid,
    pub others: Vec<Option<Oid>>,
    /// Scan every line of `new` (pre-commit framework file mode).
    pub whole: bool,
}

/// The unit of a file whose content is not scanned: its path only, so that rules about
/// the path still see it (binary keystores are exactly the files path rules are for).
/// Content rules run on no text and find nothing. A version that one of the merged
/// parents already has is not introduced by this change.
fn path_only(change: &FileChange, commit: Option<&Arc<CommitInfo>>) -> FileOutcome {
    if change.others.contains(&Some(change.new)) {
        return FileOutcome::Nothing;
    }
    FileOutcome::Unit(ScanUnit::new(change.path.clone(), commit.cloned()))
}

/// Reads the blobs of `change` and builds its unit, recording skips in `stats`. Long
/// because it is the one place that decides, in order, every reason a file is not
/// scanned (missing, too big, binary, LFS pointer, unchanged lines) and counts it.
pub fn scan_change(
    repo: &Repository,
    change: &FileChange,
    commit: Option<&Arc<CommitInfo>>,
    limits: Limits,
    stats: &mut ScanStats,
) -> Result<FileOutcome> {
    if Some(change.new) == change.old && !change.whole {
        return Ok(FileOutcome::Nothing);
    }
    let odb = repo.odb().context("opening the object database")?;
    // Check the size from the object header before inflating anything: a blob is read
    // whole into memory.
    let (size, _) = match odb.read_header(change.new) {
        Ok(header) => header,
        // A partial clone's filtered blob: never fetched (no network from a scan), and
        // never a reason to give up on the rest. Reported as not scanned; its path is
        // still checked.
        Err(e) if is_missing(repo, &e) => {
            let info = commit.map(|c| &**c);
            let (new, path) = (change.new, change.path.as_str());
            stats.missing(path, info, new, ObjectKind::Blob, MissingEffect::NotScanned);
            return Ok(path_only(change, commit));
        }
        Err(e) => return Err(read_error(e, change.new, &format!("{:?}", change.path))),
    };
    let limit = limits.file_limit();
    if size as u64 > limit {
        stats.oversized.push(OversizedFile {
            path: change.path.clone(),
            size: size as u64,
            limit,
            commit: commit.map(|c| c.id.clone()),
        });
        return Ok(path_only(change, commit));
    }
    let new_blob = repo
        .find_blob(change.new)
        .with_context(|| format!("reading blob {} ({:?})", change.new, change.path))?;
    let new = new_blob.content();
    if is_binary(new) {
        stats.binary_skipped += 1;
        return Ok(path_only(change, commit));
    }
    let mut read_old = |oid: Option<Oid>| -> Result<Option<git2::Blob<'_>>> {
        let Some(oid) = oid else { return Ok(None) };
        let (size, _) = match odb.read_header(oid) {
            Ok(header) => header,
            // The version to compare with is not here (a partial clone): every line of
            // the new one counts as added, stricter rather than blind, and said so.
            Err(e) if is_missing(repo, &e) => {
                let info = commit.map(|c| &**c);
                let (path, whole) = (change.path.as_str(), MissingEffect::ScannedWhole);
                stats.missing(path, info, oid, ObjectKind::Blob, whole);
                return Ok(None);
            }
            Err(e) => {
                let what = format!("an earlier version of {:?}", change.path);
                return Err(read_error(e, oid, &what));
            }
        };
        // An old version too big to read counts as absent: every line of the new one is
        // then added, which can only make the scan stricter.
        if size as u64 > limit.saturating_mul(4).min(Limits::CEILING) {
            return Ok(None);
        }
        let blob = repo
            .find_blob(oid)
            .with_context(|| format!("reading blob {oid}"))?;
        // A binary old version contributes no lines: everything in the new text is new.
        Ok((!is_binary(blob.content())).then_some(blob))
    };
    let mut wanted: Option<Vec<u32>> = None;
    if !change.whole {
        let old = read_old(change.old)?;
        let mut set = match &old {
            Some(old) => added_line_numbers(old.content(), new),
            None => (1..=lines_of(new).count() as u32).collect(),
        };
        for other in &change.others {
            if set.is_empty() {
                break;
            }
            if let Some(other) = read_old(*other)? {
                let vs_other = added_line_numbers(other.content(), new);
                set.retain(|n| vs_other.binary_search(n).is_ok());
            }
        }
        wanted = Some(set);
    }
    let mut unit = ScanUnit::new(change.path.clone(), commit.cloned());
    match &wanted {
        None => {
            for (no, line) in lines_of(new) {
                unit.push_line(no, line);
            }
        }
        Some(set) if set.is_empty() => return Ok(FileOutcome::Nothing),
        Some(set) => {
            let mut want = set.iter().copied().peekable();
            let mut total = 0;
            for (no, line) in lines_of(new) {
                total = no;
                if want.peek() == Some(&no) {
                    unit.push_line(no, line);
                    want.next();
                }
            }
            // Some lines are not in the text: keep the whole file for rules that read the
            // lines around a match (see `ScanUnit::source`).
            if set.len() < total as usize {
                unit.source = Some(Arc::from(new));
            }
        }
    }
    unit.allow_lines = allow_lines(new);
    stats.files += 1;
    stats.lines += unit.lines.len();
    Ok(FileOutcome::Unit(unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_only() {
        let old = b"a\nb\nc\n";
        let new = b"a\nB\nc\nd";
        assert_eq!(added_line_numbers(old, new), vec![2, 4]);
        assert!(added_line_numbers(new, new).is_empty());
    }

    /// What makes a line diff safe for scanning, on random edits of code-like text: every
    /// line whose text the old version does not have is added (a new secret is never
    /// missed), and the lines not added are, in order, lines of the old version (only text
    /// that was already there is skipped). Which of two equal lines counts as the added
    /// one may differ from xdiff's choice; that changes a reported line number, never
    /// what is found.
    #[test]
    fn added_lines_are_a_valid_diff() {
        let pool: Vec<&[u8]> = vec![
            b"fn main() {\n",
            b"}\n",
            b"\n",
            b"    let x = 1;\n",
            b"    return x;\n",
            b"// comment\n",
            b"    }\n",
            b"    if x {\n",
            b"key = value\n",
            b"end",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..5000 {
            let old: Vec<u8> = (0..next(30))
                .flat_map(|_| pool[next(pool.len())].to_vec())
                .collect();
            let old_lines: Vec<&[u8]> = old.split_inclusive(|&b| b == b'\n').collect();
            let mut new_lines = old_lines.clone();
            for _ in 0..next(6) {
                let at = next(new_lines.len() + 1);
                match next(3) {
                    0 if at < new_lines.len() => {
                        new_lines.remove(at);
                    }
                    1 => new_lines.insert(at, b"novel line\n"),
                    _ => new_lines.insert(at, pool[next(pool.len())]),
                }
            }
            let new: Vec<u8> = new_lines.concat();
            // (a line without its newline joins the next one)
            let new_lines: Vec<&[u8]> = new.split_inclusive(|&b| b == b'\n').collect();
            let added = added_line_numbers(&old, &new);
            for (i, line) in new_lines.iter().enumerate() {
                if !old_lines.contains(line) {
                    assert!(
                        added.contains(&(i as u32 + 1)),
                        "{new_lines:?} vs {old_lines:?}"
                    );
                }
            }
            let mut rest = old_lines.iter();
            for (i, line) in new_lines.iter().enumerate() {
                if !added.contains(&(i as u32 + 1)) {
                    assert!(rest.any(|o| o == line), "kept lines are not a subsequence");
                }
            }
        }
    }

    #[test]
    fn common_lines_are_whole_lines() {
        assert_eq!(common_lines(b"a\nb\nc\n", b"a\nB\nc\n"), (2, 2));
        assert_eq!(common_lines(b"ab", b"abc\n"), (0, 0));
        assert_eq!(common_lines(b"x\nab", b"y\nab"), (0, 2));
        // "b\n" ends both, but the old one's is the first line's end: overlap is refused.
        assert_eq!(common_lines(b"a\nb\n", b"a\nb\nb\n"), (4, 0));
        assert_eq!(common_lines(b"same\n", b"same\n"), (5, 0));
        assert_eq!(added_line_numbers(b"a\nb\n", b"a\nb\nb\n"), vec![3]);
        assert_eq!(added_line_numbers(b"a\nbc", b"a\nb"), vec![2]);
        assert_eq!(added_line_numbers(b"a\nb\n", b"a\n"), Vec::<u32>::new());
    }

    #[test]
    fn markers() {
        let content = b"x\n# keyguard:allow-next-line\nsecret\nother keyguard:allow\n";
        assert_eq!(allow_lines(content), vec![3, 4]);
        assert!(allow_lines(b"nothing here").is_empty());
    }

    #[test]
    fn byte_order_mark_is_not_part_of_line_one() {
        let lines: Vec<_> = lines_of(b"\xef\xbb\xbfa\nb").collect();
        assert_eq!(lines, vec![(1, &b"a\n"[..]), (2, &b"b"[..])]);
    }

    #[test]
    fn binary_heuristic() {
        assert!(is_binary(b"ab\0cd"));
        assert!(!is_binary(b"abcd"));
        let mut late = vec![b'a'; 9000];
        late.push(0);
        assert!(!is_binary(&late));
    }
}
