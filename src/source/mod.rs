//! Sources: where the text to scan comes from.
//!
//! A source reads git's objects in-process (libgit2, never the working tree, never an
//! external program) and yields [`ScanUnit`]s: the *added* lines of one file in one
//! change, with their line numbers. Everything downstream (matcher, filters, reports)
//! only ever sees units, so a new source (a patch file, a pull request) is one new
//! module here.

pub mod commits;
pub mod diff;
pub mod files;
pub mod history;
pub mod index;
pub mod messages;
pub mod push;
pub mod repo;
pub mod staged;

use std::sync::Arc;

use serde::Serialize;

// libgit2 inflates every object it reads with zlib's C API; zlib-rs provides that API
// (the same symbols, so libgit2 links to it instead of the system's zlib 1.2), with SIMD
// inflate and checksums (a 2,000-commit history scan: 1.34 s against 1.73 s; README,
// Speed). Its 64-byte-aligned blocks are why keyguard has its own allocator (`alloc`).
use libz_rs_sys as _;

/// Process-wide libgit2 settings for reading, set once before any repository is opened.
///
/// * No hash verification: libgit2 re-hashes every object it reads (SHA-1 with collision
///   detection), a fifth of a history scan's time. git itself only checks hashes in fsck
///   and on transfer, and a scanner reads what git would show either way.
/// * Bounded pack mappings: libgit2 maps pack files in windows of 1 GiB, up to 8 GiB, and
///   every page a scan touches stays resident until the window is unmapped, so a history
///   scan's memory grew with the size of the pack (130 MiB on a 106 MB pack). Windows of
///   4 MiB, at most 32 MiB mapped at once, cost a few more `mmap` calls and bound that part
///   of the memory whatever the repository's size.
pub fn configure_libgit2() {
    git2::opts::strict_hash_verification(false);
    // SAFETY: called before any repository is opened or thread started (libgit2's global
    // options are not synchronised); the values only size the pack mappings.
    unsafe {
        let _ = git2::opts::set_mwindow_size(4 << 20);
        let _ = git2::opts::set_mwindow_mapped_limit(32 << 20);
    }
}

/// The commit a unit belongs to (history and push scans; `None` for staged scans).
#[derive(Debug, Clone, Serialize)]
pub struct CommitInfo {
    pub id: String,
    pub short: String,
    pub summary: String,
}

/// A repository path (raw bytes from git) as text, unambiguously.
///
/// git paths are bytes: they may be invalid UTF-8, and a hostile repository can put any
/// byte but NUL and `/` in a name. Path globs (rules, allowlists) and the reports need
/// text, and two different paths must never be reported the same way (a lossy decode
/// turns every invalid byte into U+FFFD). So: a UTF-8 path is itself, and each byte that
/// is not part of a UTF-8 character is written `\NNN`, in octal, as git quotes it; a
/// backslash that could then be misread as part of an escape (one followed by a
/// backslash or an octal digit) is doubled. Any real path stays readable and glob-able,
/// and [`path_bytes`] gives back the exact bytes. Control characters are kept as they
/// are: the text is data, and each report escapes what it prints (see `report::human`).
pub fn path_text(raw: &[u8]) -> String {
    enum Atom<'a> {
        Text(&'a str),
        Byte(u8),
    }
    let mut atoms = Vec::new();
    for chunk in raw.utf8_chunks() {
        atoms.push(Atom::Text(chunk.valid()));
        atoms.extend(chunk.invalid().iter().map(|&b| Atom::Byte(b)));
    }
    let mut out = String::with_capacity(raw.len());
    for (i, atom) in atoms.iter().enumerate() {
        match atom {
            Atom::Byte(b) => out.push_str(&format!("\\{b:03o}")),
            Atom::Text(t) => {
                let mut chars = t.chars().peekable();
                while let Some(c) = chars.next() {
                    out.push(c);
                    if c != '\\' {
                        continue;
                    }
                    // What comes next in the output: the next character of this text, or
                    // the next atom (an escape starts with a backslash).
                    let next_is_special = match chars.peek() {
                        Some(&n) => n == '\\' || ('0'..='7').contains(&n),
                        None => match atoms.get(i + 1) {
                            Some(Atom::Byte(_)) => true,
                            Some(Atom::Text(t)) => {
                                t.starts_with(|n: char| n == '\\' || ('0'..='7').contains(&n))
                            }
                            None => false,
                        },
                    };
                    if next_is_special {
                        out.push('\\');
                    }
                }
            }
        }
    }
    out
}

/// The exact bytes of a path written by [`path_text`]: `\\` is a backslash, `\NNN` (three
/// octal digits) is that byte, and any other backslash is itself.
pub fn path_bytes(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
                continue;
            }
            if let Some(&[d0, d1, d2]) = b.get(i + 1..i + 4) {
                if (b'0'..=b'3').contains(&d0)
                    && (b'0'..=b'7').contains(&d1)
                    && (b'0'..=b'7').contains(&d2)
                {
                    out.push((d0 - b'0') << 6 | (d1 - b'0') << 3 | (d2 - b'0'));
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// What a unit's text is: the added lines of a file, or a commit's or tag's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Location {
    #[default]
    File,
    /// The message of a commit (or of the commit being made, in the commit-msg hook);
    /// the unit's path is the text `commit message`.
    CommitMessage,
    /// An annotated tag's message; the unit's path is `tag message (NAME)`.
    TagMessage,
}

impl Location {
    pub fn is_message(self) -> bool {
        self != Location::File
    }
}

/// The added text of one file in one change.
///
/// Not `Debug` by derive: `source` is the whole file, secrets and all, and must never be
/// printed (the manual `Debug` below gives its size only).
#[derive(Clone)]
pub struct ScanUnit {
    /// Repo-relative path with `/` separators, as [`path_text`] writes it. Empty `text`
    /// with no `lines` is a file whose content is not scanned (binary or over the size
    /// limit): only rules about the path itself can match it.
    pub path: String,
    pub commit: Option<Arc<CommitInfo>>,
    /// The added lines, each followed by `\n` (CR and LF stripped from the originals).
    pub text: String,
    /// For each line in `text`: its byte offset in `text` and its line number in the file.
    pub lines: Vec<(usize, u32)>,
    /// Line numbers silenced by inline `keyguard:allow` / `keyguard:allow-next-line` markers.
    pub allow_lines: Vec<u32>,
    /// The whole new version of the file (raw bytes from git), when `text` holds only some
    /// of its lines: never matched, only read by `context_allow` rules that look around a
    /// match (the `appId` next to a search-only key whose line alone changed, the
    /// `cat > ~/.netrc <<EOF` 8 lines above a changed password). `None` when every line is
    /// in `text` (a new file, a whole scan): the text is then the file, and keeping the
    /// blob too would double the memory. Lines are counted as `diff::lines_of` does.
    pub source: Option<Arc<[u8]>>,
    /// A file (the default) or a message; for a message, `path` is a label, not a path.
    pub location: Location,
}

impl std::fmt::Debug for ScanUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanUnit")
            .field("path", &self.path)
            .field("commit", &self.commit)
            .field("lines", &self.lines.len())
            .field("text_bytes", &self.text.len())
            .field("allow_lines", &self.allow_lines)
            .field("source_bytes", &self.source.as_ref().map(|s| s.len()))
            .finish()
    }
}

impl ScanUnit {
    pub fn new(path: String, commit: Option<Arc<CommitInfo>>) -> Self {
        ScanUnit {
            path,
            commit,
            text: String::new(),
            lines: Vec::new(),
            allow_lines: Vec::new(),
            source: None,
            location: Location::File,
        }
    }

    /// Appends one line (raw bytes from git, decoded lossily).
    pub fn push_line(&mut self, number: u32, raw: &[u8]) {
        let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        self.lines.push((self.text.len(), number));
        self.text.push_str(&String::from_utf8_lossy(raw));
        self.text.push('\n');
    }

    /// Line number, 1-based character column, and the index into `lines` of a byte
    /// offset in `text`.
    pub fn locate(&self, offset: usize) -> (u32, u32, usize) {
        // Byte regexes can start a match inside a multi-byte character: count from the
        // start of that character.
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let idx = self
            .lines
            .partition_point(|&(start, _)| start <= offset)
            .saturating_sub(1);
        let (start, number) = self.lines.get(idx).copied().unwrap_or((0, 1));
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (number, column as u32, idx)
    }

    /// The text of the `idx`-th added line (without its newline); for tests.
    #[cfg(test)]
    pub fn line_text(&self, idx: usize) -> &str {
        let start = self.lines.get(idx).map_or(0, |l| l.0);
        let end = self.lines.get(idx + 1).map_or(self.text.len(), |l| l.0);
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches('\n')
    }

    pub fn is_allowed_line(&self, line: u32) -> bool {
        self.allow_lines.binary_search(&line).is_ok()
    }
}

/// What a scan read and what it had to leave out: never silently.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanStats {
    pub files: usize,
    pub lines: usize,
    pub commits: usize,
    pub binary_skipped: usize,
    /// Archives and compressed files on disk or on stdin (`scan --path`, `scan -`):
    /// not read as text, only their paths meet the path rules.
    pub archives_skipped: usize,
    pub submodules_skipped: usize,
    /// Files over the size limit: (path, size in bytes). Reported, not scanned.
    pub oversized: Vec<OversizedFile>,
    /// Objects the scan needed and the repository does not have (a partial clone's
    /// filtered blobs and trees): reported, never fetched.
    pub unavailable: Vec<UnavailableObject>,
    /// Changes whose inexact rename detection was skipped (too many candidates).
    pub rename_limited: Vec<RenameLimited>,
}

/// An object a scan needed but could not read, and what was done instead.
#[derive(Debug, Clone, Serialize)]
pub struct UnavailableObject {
    /// The file (a blob) or folder (a tree; the empty path is a commit's whole tree).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub object: String,
    pub kind: ObjectKind,
    pub effect: MissingEffect,
    /// Why it is not there, as text for people and scripts alike.
    pub why: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectKind {
    Blob,
    Tree,
}

/// What a missing object cost the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingEffect {
    /// The new version itself is missing: its content was not scanned (path rules still
    /// saw its path).
    NotScanned,
    /// Only the version it is compared with is missing: every line of the new version was
    /// scanned as added (stricter, never laxer).
    ScannedWhole,
}

/// One change where inexact rename detection was skipped (too many candidate pairs, see
/// `diff::SIMILARITY_PAIRS`): moved files were paired by unique file name, and any other
/// added file was scanned whole, as a new file.
#[derive(Debug, Clone, Serialize)]
pub struct RenameLimited {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Added files that were candidates for rename targets.
    pub added: usize,
    /// Deleted files that were candidates for rename sources.
    pub deleted: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct OversizedFile {
    pub path: String,
    pub size: u64,
    /// The limit it is over: `max_file_size`, or [`Limits::CEILING`] when that is lower.
    pub limit: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl ScanStats {
    pub fn absorb(&mut self, other: ScanStats) {
        self.files += other.files;
        self.lines += other.lines;
        self.commits += other.commits;
        self.binary_skipped += other.binary_skipped;
        self.archives_skipped += other.archives_skipped;
        self.submodules_skipped += other.submodules_skipped;
        self.oversized.extend(other.oversized);
        self.unavailable.extend(other.unavailable);
        self.rename_limited.extend(other.rename_limited);
    }

    /// Records that `object` (at `path`, in `commit`), left out of a partial clone, could
    /// not be read.
    pub fn missing(
        &mut self,
        path: &str,
        commit: Option<&CommitInfo>,
        object: git2::Oid,
        kind: ObjectKind,
        effect: MissingEffect,
    ) {
        self.unavailable.push(UnavailableObject {
            path: path.to_string(),
            commit: commit.map(|c| c.id.clone()),
            object: object.to_string(),
            kind,
            effect,
            why: "object not available locally (partial clone)",
        });
    }
}

/// Whether a libgit2 error is an object a partial clone left out: not in the repository,
/// and the repository is one that fetches such objects on demand (libgit2, and so
/// keyguard, never does). Anywhere else a missing object is damage, an error (see
/// [`read_error`]): scanning around it would pass a history nobody can check.
pub fn is_missing(repo: &git2::Repository, e: &git2::Error) -> bool {
    e.code() == git2::ErrorCode::NotFound && is_partial_clone(repo)
}

/// The error for reading `object` (`what`: a blob at a path, a commit's tree). Called only
/// when [`is_missing`] said no, so an object not found is one the repository should hold.
pub fn read_error(e: git2::Error, object: git2::Oid, what: &str) -> anyhow::Error {
    if e.code() == git2::ErrorCode::NotFound {
        anyhow::anyhow!(
            "object {object} ({what}) is missing from the repository, which is not a partial \
             clone: the repository is damaged. Run `git fsck --full` to see what is lost, and \
             restore it from another clone"
        )
    } else {
        anyhow::Error::new(e).context(format!("reading object {object} ({what})"))
    }
}

/// git marks a partial clone with `extensions.partialClone` or a promisor remote, and
/// the packs fetched from a promisor remote with a `.promisor` file.
pub fn is_partial_clone(repo: &git2::Repository) -> bool {
    let promisor_pack = || {
        std::fs::read_dir(repo.path().join("objects").join("pack")).is_ok_and(|dir| {
            dir.flatten()
                .any(|e| e.file_name().as_encoded_bytes().ends_with(b".promisor"))
        })
    };
    let Ok(config) = repo.config() else {
        return promisor_pack();
    };
    if config.get_string("extensions.partialclone").is_ok() {
        return true;
    }
    let promisor_remote = repo.remotes().is_ok_and(|remotes| {
        remotes.iter().flatten().any(|name| {
            config
                .get_bool(&format!("remote.{name}.promisor"))
                .unwrap_or(false)
        })
    });
    promisor_remote || promisor_pack()
}

/// Limits every source applies.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_file_size: u64,
}

impl Limits {
    /// The largest file keyguard reads, whatever `max_file_size` says.
    ///
    /// A blob is read whole into memory, and scanning it takes about 2.5× its size (the
    /// blob and its text), 4× when it is diffed against an old version: a 1 GB file would
    /// need gigabytes and most of a minute. git itself stops diffing files at this size
    /// (`core.bigFileThreshold`, 512 MiB) and treats them as binary. A file over it is
    /// reported as not scanned, like any file over the limit.
    pub const CEILING: u64 = 512 << 20;

    /// The size above which a file is not read: `max_file_size`, at most [`Self::CEILING`].
    pub fn file_limit(&self) -> u64 {
        self.max_file_size.min(Self::CEILING)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 10 << 20,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_maps_offsets_to_file_lines() {
        let mut u = ScanUnit::new("a".into(), None);
        u.push_line(3, b"abc\r\n");
        u.push_line(9, "h\u{e9}llo key\n".as_bytes());
        assert_eq!(u.text, "abc\nh\u{e9}llo key\n");
        assert_eq!(u.locate(0), (3, 1, 0));
        let off = u.text.find("key").unwrap();
        assert_eq!(u.locate(off), (9, 7, 1));
        assert_eq!(u.line_text(1), "h\u{e9}llo key");
    }

    #[test]
    fn path_text_is_the_path_when_it_can_be() {
        for p in [
            "src/a.py",
            "my file.txt",
            "d\u{e9}j\u{e0}/x",
            "a\nb\tc\u{1b}[2J",
            r"C:\temp\x",
        ] {
            assert_eq!(path_text(p.as_bytes()), p);
        }
    }

    #[test]
    fn path_text_escapes_invalid_bytes_and_ambiguous_backslashes() {
        assert_eq!(path_text(b"caf\xe9.txt"), r"caf\351.txt");
        assert_eq!(path_text(b"x\xff"), r"x\377");
        // A real backslash that would read as an escape is doubled.
        assert_eq!(path_text(br"x\377"), r"x\\377");
        assert_eq!(path_text(b"a\\\xff"), r"a\\\377");
        assert_eq!(path_text(br"a\\b"), r"a\\\b");
        // Three different paths, three different texts.
        let texts = [
            path_text(b"x\xff"),
            path_text(b"x\xfe"),
            path_text(br"x\377"),
        ];
        assert!(texts[0] != texts[1] && texts[1] != texts[2] && texts[0] != texts[2]);
    }

    proptest::proptest! {
        #[test]
        fn path_bytes_inverts_path_text(raw in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'\\', b'0', b'3', b'7', b'8', 0xe9, 0xff, 0xc3, 0xa9, b'\n']),
            0..12,
        )) {
            proptest::prop_assert_eq!(path_bytes(&path_text(&raw)), raw);
        }

        #[test]
        fn any_bytes_round_trip(raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..24)) {
            proptest::prop_assert_eq!(path_bytes(&path_text(&raw)), raw);
        }
    }

    #[test]
    fn lossy_decoding_keeps_going() {
        let mut u = ScanUnit::new("a".into(), None);
        u.push_line(1, b"\xff\xfeabc");
        assert!(u.text.ends_with("abc\n"));
    }
}
