//! Sources: where the text to scan comes from.
//!
//! A source reads git's objects in-process (libgit2, never the working tree, never an
//! external program) and yields [`ScanUnit`]s: the *added* lines of one file in one
//! change, with their line numbers. Everything downstream (matcher, filters, reports)
//! only ever sees units, so a new source (a patch file, a pull request) is one new
//! module here.

pub mod commits;
pub mod diff;
pub mod history;
pub mod index;
pub mod push;
pub mod staged;

use std::sync::Arc;

use serde::Serialize;

/// The commit a unit belongs to (history and push scans; `None` for staged scans).
#[derive(Debug, Clone, Serialize)]
pub struct CommitInfo {
    pub id: String,
    pub short: String,
    pub summary: String,
}

/// The added text of one file in one change.
#[derive(Debug, Clone)]
pub struct ScanUnit {
    /// Repo-relative path with `/` separators (lossy if not UTF-8).
    pub path: String,
    pub commit: Option<Arc<CommitInfo>>,
    /// The added lines, each followed by `\n` (CR and LF stripped from the originals).
    pub text: String,
    /// For each line in `text`: its byte offset in `text` and its line number in the file.
    pub lines: Vec<(usize, u32)>,
    /// Line numbers silenced by inline `keyguard:allow` / `keyguard:allow-next-line` markers.
    pub allow_lines: Vec<u32>,
}

impl ScanUnit {
    pub fn new(path: String, commit: Option<Arc<CommitInfo>>) -> Self {
        ScanUnit {
            path,
            commit,
            text: String::new(),
            lines: Vec::new(),
            allow_lines: Vec::new(),
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

    /// The text of the `idx`-th added line (without its newline).
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
    pub submodules_skipped: usize,
    /// Files over the size limit: (path, size in bytes). Reported, not scanned.
    pub oversized: Vec<OversizedFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OversizedFile {
    pub path: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl ScanStats {
    pub fn absorb(&mut self, other: ScanStats) {
        self.files += other.files;
        self.lines += other.lines;
        self.commits += other.commits;
        self.binary_skipped += other.binary_skipped;
        self.submodules_skipped += other.submodules_skipped;
        self.oversized.extend(other.oversized);
    }
}

/// Limits every source applies.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_file_size: u64,
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
    fn lossy_decoding_keeps_going() {
        let mut u = ScanUnit::new("a".into(), None);
        u.push_line(1, b"\xff\xfeabc");
        assert!(u.text.ends_with("abc\n"));
    }
}
