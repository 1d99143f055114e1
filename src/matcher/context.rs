//! Where a match stands: at a token boundary (not a slice of a longer base64 run) and
//! outside the contexts its rule allows (`[[rules.context_allow]]`: a cited RFC test
//! vector, ciphertext in a SealedSecret manifest), judged on the lines around it.

use anyhow::{anyhow, Result};

use super::rule::{LazyRegex, PrefixBoundary, Rule};
use crate::source::ScanUnit;

/// For a match that starts with one of the rule's keywords (a fixed token prefix): the
/// token is not a slice of a longer base64 run. Inside an embedded image, `…Zt+cio`
/// followed by 32 letters and digits and `+Qx…` is not a crates.io token: the regex's own
/// boundaries (`[^A-Za-z0-9_]`) let `+` and `/` through.
///
/// What counts is how much of the base64 alphabet surrounds the token: a blob puts dozens
/// of its letters, digits and `+` on either side, while a real token sits after a
/// separator (`=`, a quote, `://`, `/` in a URL path, an escaped `\n`) with at most a few
/// such characters touching it. A `/` is in both worlds: a blob has one in 64 characters,
/// a URL path one every few. So the run is also read through its `/`s, and it is a blob
/// when its segments are long (`…0m47h/mApMGT6mg/LTAI…+Zbpdm"`), not when they are short
/// (`/v1/ghp_…/items`, `/settings/credentials/ghp_…/rotate`).
pub(super) fn at_token_boundary(
    rule: &Rule,
    text: &[u8],
    start: usize,
    end: usize,
    secret: &str,
) -> bool {
    if rule.prefix_boundary == PrefixBoundary::None || rule.is_heuristic() || rule.file_rule {
        return true;
    }
    let prefixed = rule.keywords.iter().any(|k| {
        k.len() >= 2
            && secret.len() > k.len()
            && secret.as_bytes()[..k.len()].eq_ignore_ascii_case(k.as_bytes())
    });
    if !prefixed {
        return true;
    }
    let before = Run::read(text[..start.min(text.len())].iter().rev());
    let after = Run::read(text.get(end..).unwrap_or_default().iter());
    !Run::is_blob(before, after)
}

/// The base64 alphabet on one side of a token, read outwards through its `/`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    /// Letters, digits and `+` touching the token, before any `/`.
    touching: usize,
    /// Letters, digits and `+` in the whole run.
    chars: usize,
    /// Stretches of them between `/`s.
    segments: usize,
}

impl Run {
    fn read<'a>(bytes: impl Iterator<Item = &'a u8>) -> Run {
        // A few hundred bytes tell a blob from a path; a long line costs no more.
        const LOOK: usize = 512;
        let mut run = Run {
            touching: 0,
            chars: 0,
            segments: 0,
        };
        let (mut in_segment, mut slashed) = (false, false);
        for &c in bytes.take(LOOK) {
            if c == b'/' {
                in_segment = false;
                slashed = true;
            } else if c.is_ascii_alphanumeric() || c == b'+' {
                run.chars += 1;
                run.touching += usize::from(!slashed);
                run.segments += usize::from(!in_segment);
                in_segment = true;
            } else {
                break;
            }
        }
        run
    }

    fn is_blob(before: Run, after: Run) -> bool {
        /// Letters, digits and `+` beyond which a run is a blob: touching the token, or
        /// read through `/`s whose segments are on average longer than a path's.
        const BLOB_RUN: usize = 16;
        const SEGMENT: usize = 12;
        let chars = before.chars + after.chars;
        let segments = before.segments + after.segments;
        before.touching + after.touching >= BLOB_RUN
            || (chars >= BLOB_RUN && chars >= SEGMENT * segments)
    }
}

/// Whether one of the rule's `context_allow` entries drops the match at `start..end`.
/// (An error is a built-in context regex that does not compile, which the test suite
/// rules out.)
pub(super) fn context_allows(
    rule: &Rule,
    unit: &ScanUnit,
    start: usize,
    end: usize,
    secret: &str,
) -> Result<bool> {
    let text = unit.text.as_bytes();
    let is_match = |r: &LazyRegex, hay: &[u8]| -> Result<bool> {
        let re = r
            .get()
            .map_err(|e| anyhow!("rule {}: context_allow: {e}", rule.id))?;
        Ok(re.is_match(hay))
    };
    for c in &rule.context_allow {
        if let Some(r) = &c.secret {
            if !is_match(r, secret.as_bytes())? {
                continue;
            }
        }
        if c.near.is_some() || c.not_near.is_some() {
            let w = window(unit, start, end, c.lines);
            if let Some(r) = &c.near {
                if !is_match(r, &w)? {
                    continue;
                }
            }
            if let Some(r) = &c.not_near {
                if is_match(r, &w)? {
                    continue;
                }
            }
        }
        if let Some(r) = &c.file {
            if !is_match(r, text)? {
                continue;
            }
        }
        return Ok(true);
    }
    Ok(false)
}

/// The lines of the file within `lines` of the lines holding `start..end`, in file order,
/// each ending in `\n`. They come from the whole file (`unit.source`) when the unit holds
/// only some of its lines: added text joins the hunks of a file, so a line that follows in
/// the text may be far away in the file, and the line that decides (`cat > ~/.netrc`) may
/// be unchanged. Without a source every line is in the text, and it is read instead.
/// Runs only for a candidate match of a rule with context conditions.
fn window(unit: &ScanUnit, start: usize, end: usize, lines: usize) -> Vec<u8> {
    let text = unit.text.as_bytes();
    let ls = &unit.lines;
    if ls.is_empty() {
        return text.to_vec();
    }
    let first = ls
        .partition_point(|&(off, _)| off <= start)
        .saturating_sub(1);
    let last = ls
        .partition_point(|&(off, _)| off < end)
        .saturating_sub(1)
        .max(first);
    let lines = u32::try_from(lines).unwrap_or(u32::MAX);
    let low = ls[first].1.saturating_sub(lines).max(1);
    let high = ls[last].1.saturating_add(lines);
    let mut out = Vec::new();
    let mut push = |line: &[u8]| {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        out.push(b'\n');
    };
    match &unit.source {
        Some(source) => crate::source::diff::lines_of(source)
            .skip_while(|&(no, _)| no < low)
            .take_while(|&(no, _)| no <= high)
            .for_each(|(_, line)| push(line)),
        None => {
            for (i, &(off, no)) in ls.iter().enumerate() {
                if (first..=last).contains(&i) || (low..=high).contains(&no) {
                    let to = ls.get(i + 1).map_or(text.len(), |l| l.0).min(text.len());
                    push(&text[off.min(to)..to]);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::Matcher;
    use super::*;
    use crate::matcher::template::{expand, Rng};

    fn matcher() -> Matcher {
        Matcher::new(
            crate::matcher::builtin().unwrap().to_vec(),
            crate::matcher::builtin_allowlist().unwrap(),
        )
        .unwrap()
    }

    /// A context line counts when it is near in the file, not merely next in the added
    /// text: two hunks of one commit are joined in the unit's text.
    #[test]
    fn context_is_near_in_the_file_not_in_the_added_text() {
        let m = matcher();
        let value = expand("{{hex:64}}", &mut Rng::new(3)).unwrap();
        let unit = |second_line: u32| {
            let mut u = ScanUnit::new("src/vectors.rs".into(), None);
            u.push_line(10, b"// RFC 8032 section 7.1, TEST 1");
            u.push_line(
                second_line,
                format!("const SECRET_KEY = \"{value}\";").as_bytes(),
            );
            u
        };
        let rules_at = |u: &ScanUnit| -> Vec<String> {
            m.scan(u)
                .unwrap()
                .into_iter()
                .map(|c| c.rule.id.clone())
                .collect()
        };
        assert!(rules_at(&unit(11)).is_empty(), "a cited test vector");
        // The citation unchanged, read from the whole file around the line that changed
        // (a byte order mark and CRLF line ends do not shift the lines).
        let file = |citation: u32| {
            let mut f = b"\xef\xbb\xbf".to_vec();
            for no in 1..=420u32 {
                match no {
                    _ if no == citation => f.extend_from_slice(b"// RFC 8032 section 7.1, TEST 1"),
                    400 => {
                        f.extend_from_slice(format!("const SECRET_KEY = \"{value}\";").as_bytes())
                    }
                    _ => f.extend_from_slice(format!("let x{no} = {no};").as_bytes()),
                }
                f.extend_from_slice(b"\r\n");
            }
            f
        };
        let changed = |citation: u32| {
            let mut u = ScanUnit::new("src/vectors.rs".into(), None);
            u.push_line(
                400,
                format!("const SECRET_KEY = \"{value}\";\r\n").as_bytes(),
            );
            u.source = Some(Arc::from(file(citation)));
            u
        };
        assert!(rules_at(&changed(397)).is_empty(), "a citation in the file");
        assert_eq!(rules_at(&changed(390)), ["generic-secret"], "too far above");
        assert_eq!(rules_at(&changed(410)), ["generic-secret"], "too far below");
        assert_eq!(
            rules_at(&unit(400)),
            ["generic-secret"],
            "far from the citation"
        );
    }

    /// Read through its `/`s, a blob's run is long and its segments are long; a path's
    /// segments are short, however many there are.
    #[test]
    fn a_blob_is_told_from_a_path_by_its_segments() {
        let after = |s: &str| Run::read(s.as_bytes().iter());
        let before = |s: &str| Run::read(s.as_bytes().iter().rev());
        let run = |touching, chars, segments| Run {
            touching,
            chars,
            segments,
        };
        assert_eq!(after("ab+c/de/"), run(4, 6, 2));
        assert_eq!(after("/x\"y"), run(0, 1, 1));
        let blob = "bFzKzp0JGSi+6jvCh1AtToXJSgx2RYsaMMERpHYItpfqNntLD+/rPkFYY36f/mApMGT6mg/";
        assert!(Run::is_blob(before(blob), after("+Zbpdm\">")));
        // Touching the token: a blob with or without `/`s.
        assert!(Run::is_blob(before("\"AAAAbbbbCCCCdddd"), after("\"")));
        let path = "GET /repos/acme/payments/settings/credentials/";
        assert!(!Run::is_blob(before(path), after("/rotate/confirm/now")));
        assert!(!Run::is_blob(before("GET /v1/"), after("/items")));
        // One long segment right at the token is as much a blob as touching letters.
        assert!(Run::is_blob(before("=abcdefghijklmnopqrs/"), after("\"")));
    }
}
