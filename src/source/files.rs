//! Text outside git's history: files and folders on disk (`keyguard scan --path PATH…`)
//! and standard input (`keyguard scan -`: a CI log, a paste).
//!
//! Every line of such a text is "added", so each file becomes one whole-file
//! [`ScanUnit`], exactly like a new file in a commit: the matcher, filters (inline
//! markers included), baseline and every report format work unchanged.
//!
//! Folders are walked with the `ignore` crate (ripgrep's walker): inside a git work tree
//! the repository's `.gitignore` files, `.git/info/exclude` and the global excludes file
//! are honoured, as git honours them, unless `--no-ignore`. Hidden files are scanned (a
//! `.env` is exactly what this is for), `.git` folders never are (history is `keyguard
//! scan`'s job), symbolic links inside a folder are not followed, and only regular files
//! are read (a FIFO would block). A path named on the command line is always scanned,
//! even when it is ignored: naming it is asking for it.
//!
//! Binary files (git's test: a NUL in the first 8,000 bytes) and archives (zip, jar, tar,
//! gzip, bzip2, xz, zstd, 7z, rar: recognised by their magic bytes, whatever their name)
//! are not read as text; they are counted, and still meet the path rules (a `.p12` on
//! disk is reported), as binary blobs are in commits. A file over the size limit is
//! reported as not scanned, never silently passed.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;

use super::diff::{allow_lines, is_binary, lines_of};
use super::{path_text, Limits, OversizedFile, ScanStats, ScanUnit};

/// The name standard input is reported under (no file has it: `<` is not a path git or
/// a shell would create by accident, and path rules never match it).
pub const STDIN_NAME: &str = "<stdin>";

/// Magic numbers of archive and compressed formats: (offset, bytes).
///
/// Kept here rather than taken from a file-type crate: those also file RTF, PostScript
/// and other *text* formats under "archive", which would hide keys written in them.
const ARCHIVE_MAGIC: &[(usize, &[u8])] = &[
    (0, b"PK\x03\x04"),           // zip, jar, war, apk, whl, docx…
    (0, b"PK\x05\x06"),           // empty zip
    (0, b"\x1f\x8b"),             // gzip (.gz, .tgz)
    (0, b"BZh"),                  // bzip2
    (0, b"\xfd7zXZ\x00"),         // xz
    (0, b"\x28\xb5\x2f\xfd"),     // zstd
    (0, b"7z\xbc\xaf\x27\x1c"),   // 7-Zip
    (0, b"Rar!\x1a\x07"),         // rar
    (0, b"\x1f\x9d"),             // compress (.Z)
    (0, b"LZIP"),                 // lzip
    (0, b"\x04\x22\x4d\x18"),     // lz4 frame
    (257, b"ustar"),              // tar (POSIX and GNU)
    (0, b"!<arch>\n"),            // ar (.a, .deb)
    (0, b"MSCF\x00\x00\x00\x00"), // cabinet
    (0, b"\xed\xab\xee\xdb"),     // rpm
];

/// Whether `content` starts like an archive or a compressed stream.
pub fn is_archive(content: &[u8]) -> bool {
    ARCHIVE_MAGIC
        .iter()
        .any(|(at, magic)| content.get(*at..).is_some_and(|c| c.starts_with(magic)))
}

/// A file's path as reports show it: as given (or found under a folder given), without a
/// leading `./`, in the same text form as repository paths (see [`path_text`]).
fn display_path(path: &Path) -> String {
    let path = path.strip_prefix(".").unwrap_or(path);
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path_text(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        path_text(path.to_string_lossy().as_bytes())
    }
}

/// The unit of one text: every line is scanned. Binary and archive contents give a
/// path-only unit (counted in `stats`), so that path rules still see the file.
pub fn text_unit(path: String, content: &[u8], stats: &mut ScanStats) -> ScanUnit {
    let mut unit = ScanUnit::new(path, None);
    if is_archive(content) {
        stats.archives_skipped += 1;
        return unit;
    }
    if is_binary(content) {
        stats.binary_skipped += 1;
        return unit;
    }
    for (no, line) in lines_of(content) {
        unit.push_line(no, line);
    }
    unit.allow_lines = allow_lines(content);
    stats.files += 1;
    stats.lines += unit.lines.len();
    unit
}

/// Every regular file under `paths` that is to be scanned, in a stable order. With
/// `no_ignore`, `.gitignore` and the other exclude files are not honoured.
pub fn walk(paths: &[PathBuf], no_ignore: bool) -> Result<Vec<PathBuf>> {
    let Some((first, rest)) = paths.split_first() else {
        bail!("no path to scan: give at least one file or folder after --path");
    };
    for p in paths {
        p.metadata()
            .with_context(|| format!("cannot scan {}: no such file or folder", p.display()))?;
    }
    let mut builder = ignore::WalkBuilder::new(first);
    for p in rest {
        builder.add(p);
    }
    builder
        .standard_filters(false)
        .hidden(false)
        .parents(!no_ignore)
        .git_ignore(!no_ignore)
        .git_exclude(!no_ignore)
        .git_global(!no_ignore)
        .require_git(true)
        .follow_links(false)
        .sort_by_file_name(std::ffi::OsStr::cmp)
        .filter_entry(|e| !(e.depth() > 0 && e.file_name() == ".git"));
    let mut files = Vec::new();
    for entry in builder.build() {
        let entry = match entry {
            Ok(e) => e,
            // A file or folder that cannot be read is never silently passed over.
            Err(e) if e.io_error().is_some() => {
                return Err(anyhow::anyhow!("{e}")).context("walking the paths to scan")
            }
            // A malformed .gitignore line: git ignores it too.
            Err(e) => {
                eprintln!("keyguard: warning: {e}");
                continue;
            }
        };
        if entry.file_type().is_some_and(|t| t.is_file()) {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// Reads one file into its unit (named `shown` in reports), or records it as over the
/// size limit.
fn read_file(
    path: &Path,
    shown: String,
    limits: Limits,
    stats: &mut ScanStats,
) -> Result<ScanUnit> {
    let size = path
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let limit = limits.file_limit();
    if size > limit {
        stats.oversized.push(OversizedFile {
            path: shown.clone(),
            size,
            limit,
            commit: None,
        });
        return Ok(ScanUnit::new(shown, None));
    }
    let content = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text_unit(shown, &content, stats))
}

/// Reads `files` (from [`walk`]) into units, in parallel.
pub fn read_files(
    files: &[PathBuf],
    limits: Limits,
    stats: &mut ScanStats,
) -> Result<Vec<ScanUnit>> {
    let named: Vec<(PathBuf, String)> =
        files.iter().map(|p| (p.clone(), display_path(p))).collect();
    read_named(&named, limits, stats)
}

/// Reads files into units reported under the given names (repo-relative paths, say), in
/// parallel.
pub fn read_named(
    files: &[(PathBuf, String)],
    limits: Limits,
    stats: &mut ScanStats,
) -> Result<Vec<ScanUnit>> {
    let read: Vec<Result<(ScanUnit, ScanStats)>> = files
        .par_iter()
        .map(|(p, shown)| {
            let mut local = ScanStats::default();
            read_file(p, shown.clone(), limits, &mut local).map(|u| (u, local))
        })
        .collect();
    let mut units = Vec::with_capacity(read.len());
    for r in read {
        let (unit, local) = r?;
        stats.absorb(local);
        units.push(unit);
    }
    Ok(units)
}

/// Reads standard input (or any reader) whole into one unit named [`STDIN_NAME`]. Past
/// the size limit nothing is scanned and the input is reported as over it.
pub fn stdin_unit(mut input: impl Read, limits: Limits, stats: &mut ScanStats) -> Result<ScanUnit> {
    let limit = limits.file_limit();
    let mut content = Vec::new();
    (&mut input)
        .take(limit.saturating_add(1))
        .read_to_end(&mut content)
        .context("reading standard input")?;
    if content.len() as u64 > limit {
        // Count the rest, so the report gives the real size; nothing more is kept.
        let rest = std::io::copy(&mut input, &mut std::io::sink()).unwrap_or(0);
        stats.oversized.push(OversizedFile {
            path: STDIN_NAME.to_string(),
            size: content.len() as u64 + rest,
            limit,
            commit: None,
        });
        return Ok(ScanUnit::new(STDIN_NAME.to_string(), None));
    }
    Ok(text_unit(STDIN_NAME.to_string(), &content, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_by_magic() {
        assert!(is_archive(b"PK\x03\x04rest"));
        assert!(is_archive(b"\x1f\x8b\x08\x00"));
        let mut tar = vec![b'a'; 300];
        tar[257..262].copy_from_slice(b"ustar");
        assert!(is_archive(&tar));
        assert!(!is_archive(b"{\\rtf1 key = 1}"));
        assert!(!is_archive(b"PK"));
        assert!(!is_archive(b""));
    }

    #[test]
    fn a_text_is_one_whole_unit() {
        let mut stats = ScanStats::default();
        let u = text_unit(
            "a".into(),
            b"one\r\ntwo # keyguard:allow\nthree",
            &mut stats,
        );
        assert_eq!(u.text, "one\ntwo # keyguard:allow\nthree\n");
        assert_eq!(u.allow_lines, vec![2]);
        assert_eq!((stats.files, stats.lines), (1, 3));
        let u = text_unit("b".into(), b"x\0y", &mut stats);
        assert!(u.text.is_empty() && u.lines.is_empty());
        assert_eq!(stats.binary_skipped, 1);
    }

    #[test]
    fn display_paths_drop_the_leading_dot() {
        assert_eq!(display_path(Path::new("./src/a.py")), "src/a.py");
        assert_eq!(display_path(Path::new("/tmp/x/.env")), "/tmp/x/.env");
        assert_eq!(display_path(Path::new(".env")), ".env");
    }
}
