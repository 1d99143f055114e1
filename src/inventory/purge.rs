//! Purging keys from history without writing them down: `keyguard redact` and the purge
//! plan.
//!
//! `git filter-repo --replace-text` wants each secret written in a file, which is what
//! keyguard never does. Instead the plan holds only fingerprints, and filter-repo pipes
//! every file version and message through `keyguard redact`, which finds the keys again
//! with the matcher and replaces each one whose fingerprint is listed by
//! [`REPLACEMENT`]. The secrets exist only in memory, as while scanning.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::matcher::{fingerprint, Matcher};
use crate::source::files::text_unit;
use crate::source::ScanStats;

/// What a purged key is replaced with (filter-repo's own default).
pub const REPLACEMENT: &[u8] = b"***REMOVED***";

/// The fingerprints file of a plan: one `rule_id:hex` a line; `#` comments and blank
/// lines are skipped. Anything else is an error (a secret pasted here by mistake must
/// not be silently ignored).
pub fn read_fingerprints(path: &Path) -> Result<HashSet<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading fingerprints from {}", path.display()))?;
    let mut out = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let ok = line.rsplit_once(':').is_some_and(|(rule, hex)| {
            !rule.is_empty() && hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !ok {
            bail!(
                "{}:{}: not a fingerprint (expected RULE_ID:16 hex digits, as `keyguard inventory` prints)",
                path.display(),
                i + 1
            );
        }
        out.insert(line.to_string());
    }
    Ok(out)
}

/// `content` with every key listed in `fingerprints` replaced, and how many places were
/// replaced. `path` is the file's path when known (rules limited to some paths need it).
/// Binary content and content with no listed key come back unchanged, byte for byte.
pub fn redact(
    content: &[u8],
    path: &str,
    matcher: &Matcher,
    fingerprints: &HashSet<String>,
) -> Result<(Vec<u8>, usize)> {
    let mut stats = ScanStats::default();
    let unit = text_unit(path.to_string(), content, &mut stats);
    let mut secrets: Vec<Vec<u8>> = Vec::new();
    for c in matcher.scan(&unit)? {
        // A path rule's "secret" is the file's name: nothing to cut out of the content.
        if c.rule.file_rule {
            continue;
        }
        if fingerprints.contains(&fingerprint(&c.rule.id, c.secret.expose())) {
            let s = c.secret.expose().as_bytes().to_vec();
            // The unit's lines lost their CRs: a multi-line key written with CRLF is
            // found in the original bytes in that form too.
            if s.contains(&b'\n') {
                let crlf = String::from_utf8_lossy(&s)
                    .replace('\n', "\r\n")
                    .into_bytes();
                secrets.push(crlf);
            }
            secrets.push(s);
        }
    }
    if secrets.is_empty() {
        return Ok((content.to_vec(), 0));
    }
    // Longest first, so a key that contains another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    let mut out = content.to_vec();
    let mut count = 0;
    for s in &secrets {
        let (replaced, n) = replace_all(&out, s);
        out = replaced;
        count += n;
    }
    Ok((out, count))
}

fn replace_all(haystack: &[u8], needle: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(haystack.len());
    let mut n = 0;
    let mut rest = haystack;
    while let Some(i) = memchr::memmem::find(rest, needle) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(REPLACEMENT);
        rest = &rest[i + needle.len()..];
        n += 1;
    }
    out.extend_from_slice(rest);
    (out, n)
}

/// `keyguard redact --stream`: many texts over one pipe, so that filter-repo starts
/// keyguard once, not once per file. Each request is a header line `LEN PATHLEN`, then
/// PATHLEN bytes of path, then LEN bytes of content; each answer is a line `LEN`, then
/// LEN bytes. Ends at end of input.
pub fn serve(
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    matcher: &Matcher,
    fingerprints: &HashSet<String>,
) -> Result<usize> {
    let mut total = 0;
    let mut header = String::new();
    loop {
        header.clear();
        if input.read_line(&mut header).context("reading a request")? == 0 {
            return Ok(total);
        }
        let mut nums = header.split_ascii_whitespace().map(str::parse::<usize>);
        let (Some(Ok(len)), Some(Ok(path_len)), None) = (nums.next(), nums.next(), nums.next())
        else {
            bail!(
                "bad request header {:?}: expected `LEN PATHLEN`",
                header.trim_end()
            );
        };
        let mut path = vec![0; path_len];
        input.read_exact(&mut path).context("reading a path")?;
        let mut content = vec![0; len];
        input.read_exact(&mut content).context("reading a text")?;
        let path = crate::source::path_text(&path);
        let (out, n) = redact(&content, &path, matcher, fingerprints)?;
        total += n;
        writeln!(output, "{}", out.len())?;
        output.write_all(&out)?;
        output.flush()?;
    }
}

/// The callback filter-repo runs for each file version (`--file-info-callback`): it
/// sends the contents to one `keyguard redact --stream` and stores what comes back.
/// Results are cached by blob, as the same version is seen in many commits.
const FILE_CALLBACK: &str = r#"# keyguard purge plan: filter-repo --file-info-callback body (no secret here).
global _kg
try:
    _kg
except NameError:
    import os, subprocess
    _kg = subprocess.Popen(
        [os.environ["KEYGUARD_BIN"], "redact", "--stream",
         "--fingerprints", os.environ["KEYGUARD_FINGERPRINTS"]],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
if mode == b"160000":
    return (filename, mode, blob_id)
key = (filename, blob_id)
if key not in value.data:
    contents = value.get_contents_by_identifier(blob_id)
    if contents is None or value.is_binary(contents):
        value.data[key] = blob_id
    else:
        _kg.stdin.write(b"%d %d\n" % (len(contents), len(filename)) + filename + contents)
        _kg.stdin.flush()
        size = int(_kg.stdout.readline())
        new = _kg.stdout.read(size)
        value.data[key] = blob_id if new == contents else value.insert_file_with_contents(new)
return (filename, mode, value.data[key])
"#;

/// The callback for commit and tag messages (`--message-callback`).
const MESSAGE_CALLBACK: &str = r#"# keyguard purge plan: filter-repo --message-callback body (no secret here).
global _kg
try:
    _kg
except NameError:
    import os, subprocess
    _kg = subprocess.Popen(
        [os.environ["KEYGUARD_BIN"], "redact", "--stream",
         "--fingerprints", os.environ["KEYGUARD_FINGERPRINTS"]],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
label = b"commit message"
_kg.stdin.write(b"%d %d\n" % (len(message), len(label)) + label + message)
_kg.stdin.flush()
size = int(_kg.stdout.readline())
return _kg.stdout.read(size)
"#;

/// The files of a purge plan, by name: none holds a secret.
pub fn plan_files(keyguard_bin: &Path, fingerprints: &[&str]) -> Vec<(&'static str, String)> {
    let mut fp = String::from(
        "# Fingerprints of the keys to purge (written by `keyguard inventory --purge-plan`).\n\
         # Not secrets: `keyguard redact` finds each key again by matching, then hashing.\n",
    );
    for f in fingerprints {
        fp.push_str(f);
        fp.push('\n');
    }
    let script = format!(
        "#!/bin/sh\n\
         # Rewrites this repository's history with every key listed in ./fingerprints\n\
         # replaced by ***REMOVED*** (files and commit and tag messages), using\n\
         # git filter-repo (https://github.com/newren/git-filter-repo) and keyguard redact.\n\
         # Run it in a fresh clone (filter-repo refuses otherwise; pass --force to insist).\n\
         # Rotate the keys first: purging history does not make a pushed key safe again.\n\
         # Extra arguments go to git filter-repo.\n\
         set -eu\n\
         plan=$(cd \"$(dirname \"$0\")\" && pwd)\n\
         KEYGUARD_BIN={bin}\n\
         KEYGUARD_FINGERPRINTS=\"$plan/fingerprints\"\n\
         export KEYGUARD_BIN KEYGUARD_FINGERPRINTS\n\
         exec git filter-repo \\\n  \
           --file-info-callback \"$plan/file-callback.py\" \\\n  \
           --message-callback \"$plan/message-callback.py\" \\\n  \
           \"$@\"\n",
        bin = sh_quote(&keyguard_bin.to_string_lossy()),
    );
    vec![
        ("fingerprints", fp),
        ("file-callback.py", FILE_CALLBACK.to_string()),
        ("message-callback.py", MESSAGE_CALLBACK.to_string()),
        ("purge.sh", script),
    ]
}

/// Single-quoted for sh.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_all_counts_and_keeps_the_rest() {
        let (out, n) = replace_all(b"a KEY b KEY", b"KEY");
        assert_eq!(out, b"a ***REMOVED*** b ***REMOVED***");
        assert_eq!(n, 2);
        assert_eq!(replace_all(b"none", b"KEY"), (b"none".to_vec(), 0));
    }

    #[test]
    fn fingerprints_file_rejects_anything_else() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "# c\n\nopenai-api-key:0123456789abcdef\n").unwrap();
        assert_eq!(read_fingerprints(&p).unwrap().len(), 1);
        std::fs::write(&p, "sk-proj-notafingerprint\n").unwrap();
        assert!(read_fingerprints(&p).is_err());
    }

    #[test]
    fn plan_files_name_no_secret_and_quote_the_binary() {
        let files = plan_files(Path::new("/opt/it's/keyguard"), &["r:0123456789abcdef"]);
        let script = &files.iter().find(|(n, _)| *n == "purge.sh").unwrap().1;
        assert!(script.contains("KEYGUARD_BIN='/opt/it'\\''s/keyguard'"));
        assert!(files[0].1.contains("r:0123456789abcdef\n"));
    }
}
