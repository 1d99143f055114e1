//! Windowed matching: which rules may run their regex only around their keyword hits
//! instead of over a unit's whole text, and the windows they then run on.
//!
//! On a big unit (a 1 MiB generated file, a minified bundle) a keyword of some rule occurs
//! almost surely, and running that rule's regex over all of the text was most of the
//! matcher's time. A rule is *window-safe* when two facts about every match of its regex,
//! on any text, can be read off the regex itself (its `regex_syntax` HIR):
//!
//! 1. the match contains one of the rule's keywords (ASCII case-insensitively: the keyword
//!    pass reports every occurrence, overlapping ones included), and
//! 2. the match spans at most `lines` line ends (`\n`) and/or at most `bytes` bytes.
//!
//! Then every match lies in the window of one keyword occurrence: from the start of the line
//! `lines` lines above it (and no more than `bytes` before its end) to the end of the line
//! `lines` lines below it (and no more than `bytes` after its start). Windows that touch are
//! merged, and the regex runs in each with `captures_read_at` on the text cut one byte after
//! the window, so look-behind (`\b`, `^`) sees the real bytes before the window, and
//! a match cannot reach the cut (it would need one more line end, or one more byte, than the
//! regex allows), so the bytes it does see after the match are the real ones too. The
//! leftmost-first iteration over the whole text visits the same matches: matches outside
//! every window do not exist, and no match crosses from one window into another.
//!
//! A rule that fails either proof (a keyword-free alternative, `\s*` or `[^"]*` between
//! keyword and value, a multi-line form of unbounded length) keeps whole-text matching.

use std::collections::BTreeSet;
use std::ops::Range;

use regex_syntax::hir::{Class, Hir, HirKind};

/// What the proof allows for one rule: how far a match can reach from a keyword occurrence
/// inside it. `None` for either bound means that bound is unknown (unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reach {
    /// Most line ends (`\n`) one match can contain.
    pub lines: Option<usize>,
    /// Most bytes one match can span.
    pub bytes: Option<usize>,
}

/// Whether `regex` (compiled as `pattern::compile_regex` does: bytes, ASCII classes) is
/// window-safe for `keywords`, and how far its matches reach; `None` when it is not.
pub(super) fn reach(regex: &str, keywords: &[String]) -> Option<Reach> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(regex)
        .ok()?;
    let keywords: Vec<Vec<u8>> = keywords
        .iter()
        .filter(|k| !k.is_empty())
        .map(|k| k.to_ascii_lowercase().into_bytes())
        .collect();
    if keywords.is_empty() || !covered(&hir, &keywords) {
        return None;
    }
    let lines = newlines(&hir);
    let bytes = hir.properties().maximum_len();
    if lines.is_none() && bytes.is_none() {
        return None;
    }
    Some(Reach { lines, bytes })
}

/// Most `\n` bytes one match of `h` can contain (`None`: no bound).
fn newlines(h: &Hir) -> Option<usize> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(0),
        HirKind::Literal(l) => Some(l.0.iter().filter(|&&b| b == b'\n').count()),
        HirKind::Class(c) => Some(usize::from(class_has(c, b'\n'))),
        HirKind::Repetition(r) => match newlines(&r.sub)? {
            0 => Some(0),
            n => r.max.map(|m| m as usize * n),
        },
        HirKind::Capture(c) => newlines(&c.sub),
        HirKind::Concat(hs) => hs
            .iter()
            .try_fold(0usize, |acc, h| acc.checked_add(newlines(h)?)),
        HirKind::Alternation(hs) => hs
            .iter()
            .try_fold(0usize, |acc, h| Some(acc.max(newlines(h)?))),
    }
}

fn class_has(c: &Class, byte: u8) -> bool {
    match c {
        Class::Bytes(b) => b
            .ranges()
            .iter()
            .any(|r| (r.start()..=r.end()).contains(&byte)),
        Class::Unicode(u) => u
            .ranges()
            .iter()
            .any(|r| (r.start()..=r.end()).contains(&char::from(byte))),
    }
}

/// Bound on the strings a finite sub-language is expanded into.
const MAX_STRINGS: usize = 64;
const MAX_STRING_LEN: usize = 64;

/// The lower-cased strings `h` can match, when they are few (a literal, `(?i:ghp_)`,
/// `(?:proj|svcacct)`); `None` when `h` can match more, or too many, strings.
fn finite(h: &Hir) -> Option<BTreeSet<Vec<u8>>> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(BTreeSet::from([Vec::new()])),
        HirKind::Literal(l) => Some(BTreeSet::from([l.0.to_ascii_lowercase()])),
        HirKind::Class(c) => {
            let mut out = BTreeSet::new();
            for b in class_bytes(c)? {
                out.insert(vec![b.to_ascii_lowercase()]);
            }
            (out.len() <= 4).then_some(out)
        }
        HirKind::Capture(c) => finite(&c.sub),
        HirKind::Concat(hs) => hs.iter().try_fold(BTreeSet::from([Vec::new()]), |acc, h| {
            product(&acc, &finite(h)?)
        }),
        HirKind::Alternation(hs) => {
            let mut out = BTreeSet::new();
            for h in hs {
                out.extend(finite(h)?);
                if out.len() > MAX_STRINGS {
                    return None;
                }
            }
            Some(out)
        }
        // `x{3}`, and optional parts such as `(?:app)?` (`discord(?:app)?\.com`): each
        // count from `min` to `max`.
        HirKind::Repetition(r) if r.max.is_some_and(|m| m <= 8 && (m == r.min || m <= 2)) => {
            let sub = finite(&r.sub)?;
            let mut out = BTreeSet::new();
            let mut acc = BTreeSet::from([Vec::new()]);
            for n in 0..=r.max.unwrap_or(0) {
                if n > 0 {
                    acc = product(&acc, &sub)?;
                }
                if n >= r.min {
                    out.extend(acc.iter().cloned());
                }
            }
            (out.len() <= MAX_STRINGS).then_some(out)
        }
        HirKind::Repetition(_) => None,
    }
}

/// The bytes of a small class (at most 8 ranges of at most 8 bytes, ASCII only).
fn class_bytes(c: &Class) -> Option<Vec<u8>> {
    let ranges: Vec<(u32, u32)> = match c {
        Class::Bytes(b) => b
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Unicode(u) => u
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    if ranges.len() > 8 || ranges.iter().any(|&(a, b)| b >= 0x80 || b - a >= 8) {
        return None;
    }
    Some(
        ranges
            .iter()
            .flat_map(|&(a, b)| a..=b)
            .map(|b| b as u8)
            .collect(),
    )
}

/// Every concatenation of a string of `a` with one of `b`, within the bounds.
fn product(a: &BTreeSet<Vec<u8>>, b: &BTreeSet<Vec<u8>>) -> Option<BTreeSet<Vec<u8>>> {
    if a.len().saturating_mul(b.len()) > MAX_STRINGS {
        return None;
    }
    let mut out = BTreeSet::new();
    for x in a {
        for y in b {
            if x.len() + y.len() > MAX_STRING_LEN {
                return None;
            }
            out.insert([x.as_slice(), y.as_slice()].concat());
        }
    }
    Some(out)
}

fn has_keyword(s: &[u8], keywords: &[Vec<u8>]) -> bool {
    keywords
        .iter()
        .any(|k| s.windows(k.len()).any(|w| w == k.as_slice()))
}

/// Whether every match of `h` contains one of the (lower-cased) keywords.
fn covered(h: &Hir, keywords: &[Vec<u8>]) -> bool {
    if let Some(set) = finite(h) {
        return set.iter().all(|s| has_keyword(s, keywords));
    }
    match h.kind() {
        HirKind::Capture(c) => covered(&c.sub, keywords),
        HirKind::Repetition(r) => r.min >= 1 && covered(&r.sub, keywords),
        HirKind::Alternation(hs) => hs.iter().all(|h| covered(h, keywords)),
        HirKind::Concat(hs) => {
            // A keyword may span adjacent parts (`(?i:gh)` `p_`): runs of consecutive finite
            // parts are expanded together; a part that is not finite may be covered itself.
            let mut run: Option<BTreeSet<Vec<u8>>> = None;
            for h in hs {
                if covered(h, keywords) {
                    return true;
                }
                match finite(h) {
                    Some(set) => {
                        let joined = run.as_ref().and_then(|r| product(r, &set));
                        run = Some(joined.unwrap_or(set));
                        if run
                            .as_ref()
                            .is_some_and(|r| r.iter().all(|s| has_keyword(s, keywords)))
                        {
                            return true;
                        }
                    }
                    None => run = None,
                }
            }
            false
        }
        _ => false,
    }
}

/// The line ends of a text (offsets of its `\n` bytes), found once per unit and shared by
/// the rules that run windowed on it.
pub(super) struct Lines {
    ends: Vec<usize>,
    len: usize,
}

impl Lines {
    pub(super) fn new(text: &[u8]) -> Self {
        Lines {
            ends: memchr::memchr_iter(b'\n', text).collect(),
            len: text.len(),
        }
    }

    /// Index of the line holding byte `at`.
    fn line_of(&self, at: usize) -> usize {
        self.ends.partition_point(|&e| e < at)
    }

    /// Offset where line `i` starts.
    fn start(&self, i: usize) -> usize {
        match i {
            0 => 0,
            _ => self.ends.get(i - 1).map_or(self.len, |&e| e + 1),
        }
    }

    /// Offset just past line `i`'s `\n` (the text's end for the last line).
    fn end(&self, i: usize) -> usize {
        self.ends.get(i).map_or(self.len, |&e| e + 1)
    }
}

/// The merged windows, in text order, for keyword occurrences `hits` (byte ranges, any
/// order) of a rule whose matches have `reach`. Each window ends at most at the text's end:
/// the regex runs on `text[..window.end]` from `window.start`.
pub(super) fn windows(
    hits: &mut [(usize, usize)],
    reach: Reach,
    lines: Option<&Lines>,
    len: usize,
) -> Vec<Range<usize>> {
    hits.sort_unstable();
    let mut out: Vec<Range<usize>> = Vec::new();
    // Hits on the line of the previous one share its line window: found once, not for
    // each hit, so that a long line with many hits costs no more than one with one.
    let mut line_cache: Option<(usize, usize, usize, usize)> = None; // (line start, line end, window start, window end)
    for &(s, e) in hits.iter() {
        let (mut lo, mut hi) = (0, len);
        if let (Some(k), Some(lines)) = (reach.lines, lines) {
            let (ws, we) = match line_cache {
                Some((ls, le, ws, we)) if ls <= s && e <= le => (ws, we),
                _ => {
                    let first = lines.line_of(s);
                    let last = lines.line_of(e.saturating_sub(1).max(s));
                    let ws = lines.start(first.saturating_sub(k));
                    let we = lines.end(last.saturating_add(k));
                    line_cache = Some((lines.start(first), lines.end(last), ws, we));
                    (ws, we)
                }
            };
            lo = ws;
            hi = we;
        }
        if let Some(n) = reach.bytes {
            // A match holding `s..e` starts at or after `e - n` and ends at or before
            // `s + n`; one more byte keeps the cut out of its look-ahead.
            lo = lo.max(e.saturating_sub(n));
            hi = hi.min(s.saturating_add(n).saturating_add(1)).min(len);
        }
        out.push(lo..hi);
    }
    // Byte bounds depend on each keyword's length, so window starts need not follow the
    // hits' order.
    out.sort_unstable_by_key(|w| (w.start, w.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(out.len());
    for w in out {
        match merged.last_mut() {
            Some(m) if w.start <= m.end => m.end = m.end.max(w.end),
            _ => merged.push(w),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kws(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn prefixed_tokens_are_window_safe() {
        let r = reach(
            r"(?:^|[^A-Za-z0-9_])(?P<secret>(?i:ghp_)[A-Za-z0-9]{36})(?:[^A-Za-z0-9_]|$)",
            &kws(&["ghp_"]),
        )
        .unwrap();
        assert_eq!(r.lines, Some(2));
        assert_eq!(r.bytes, Some(42));
        let r = reach(
            r"sk-(?:proj|svcacct)-[A-Za-z0-9]+",
            &kws(&["sk-proj-", "sk-svcacct-"]),
        )
        .unwrap();
        assert_eq!((r.lines, r.bytes), (Some(0), None));
        // An optional part inside the keyword's run.
        let r = reach(
            r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}",
            &kws(&["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"]),
        )
        .unwrap();
        assert_eq!(r.lines, Some(0));
        assert!(reach(r"disc(?:ord)?/", &kws(&["discord/"])).is_none());
    }

    #[test]
    fn what_breaks_the_proof() {
        // An alternative without the keyword.
        assert!(reach(r"ghp_[a-z]{4}|[0-9a-f]{40}", &kws(&["ghp_"])).is_none());
        // An optional keyword.
        assert!(reach(r"(?:ghp_)?[a-z]{36}", &kws(&["ghp_"])).is_none());
        // A keyword other than the rule's.
        assert!(reach(r"token=[a-z]{8}", &kws(&["key"])).is_none());
        // Unbounded in both lines and length.
        assert!(reach(r"key\s*=\s*\S+", &kws(&["key"])).is_none());
        // Bounded in length only.
        let r = reach(r"key[\s=]{1,3}[a-z]{8}", &kws(&["KEY"])).unwrap();
        assert_eq!((r.lines, r.bytes), (Some(3), Some(14)));
    }

    #[test]
    fn windows_cover_the_reach_and_merge() {
        let text = b"aa\nbb key cc\ndd\nee\nff key\ngg\n";
        let lines = Lines::new(text);
        let mut hits = vec![(22, 25), (6, 9)];
        let one_line = Reach {
            lines: Some(0),
            bytes: None,
        };
        assert_eq!(
            windows(&mut hits, one_line, Some(&lines), text.len()),
            [3..13, 19..26]
        );
        let two = Reach {
            lines: Some(2),
            bytes: None,
        };
        assert_eq!(
            windows(&mut hits, two, Some(&lines), text.len()),
            vec![0..text.len()]
        );
        let short = Reach {
            lines: None,
            bytes: Some(4),
        };
        assert_eq!(windows(&mut hits, short, None, text.len()), [5..11, 21..27]);
    }

    use crate::matcher::template::{expand, Rng};
    use crate::matcher::{builtin, builtin_allowlist, Candidate, Matcher, Windowing};
    use crate::source::ScanUnit;

    /// A line of noise: another keyword (the rule's own, in any case), random base64 or
    /// hex with keywords inside, or plain code.
    fn noise(rng: &mut Rng, keywords: &[String]) -> String {
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let kw = |rng: &mut Rng| -> String {
            let k = &keywords[rng.below(keywords.len())];
            match rng.below(3) {
                0 => k.to_ascii_uppercase(),
                1 => k.to_ascii_lowercase(),
                _ => k.clone(),
            }
        };
        match rng.below(6) {
            0 => format!("{} = \"{}\"", kw(rng), rng.string(B64, 40)),
            1 => format!("{}{}{}", rng.string(B64, 30), kw(rng), rng.string(B64, 30)),
            2 => format!(
                "cache_key = \"{}\" # {}",
                rng.string(b"0123456789abcdef", 64),
                kw(rng)
            ),
            3 => format!("let x = {};", rng.below(1000)),
            4 => String::new(),
            _ => format!("{}{}", kw(rng), kw(rng)),
        }
    }

    /// A unit whose text is exactly `text` (CR bytes, a missing final newline and all),
    /// with its lines counted at `\n`.
    fn raw_unit(path: &str, text: String) -> ScanUnit {
        let mut u = ScanUnit::new(path.to_string(), None);
        let mut off = 0;
        for (no, line) in text.split_inclusive('\n').enumerate() {
            u.lines.push((off, no as u32 + 1));
            off += line.len();
        }
        u.text = text;
        u
    }

    fn key(c: &Candidate) -> (String, usize, usize, String) {
        (
            c.rule.id.clone(),
            c.start,
            c.end,
            c.secret.expose().to_string(),
        )
    }

    /// The proof, tested: for every built-in rule, its examples and near-misses in texts
    /// full of keyword hits (the rule's own and others', on the same line and the lines
    /// around), with CRLF line ends, no final newline, and very long lines, are reported
    /// identically by windowed and whole-text matching.
    #[test]
    fn windowed_and_whole_text_matching_agree_on_every_rule() {
        let rules = builtin().unwrap().to_vec();
        let whole = Matcher::new(rules.clone(), builtin_allowlist().unwrap())
            .unwrap()
            .with_windowing(Windowing::Never);
        let windowed = Matcher::new(rules.clone(), builtin_allowlist().unwrap())
            .unwrap()
            .with_windowing(Windowing::Always);
        let mut all_keywords: Vec<String> = rules.iter().flat_map(|r| r.keywords.clone()).collect();
        all_keywords.sort();
        all_keywords.dedup();
        let mut rng = Rng::new(13);
        let (mut safe, mut compared, mut found) = (0, 0, 0);
        for rule in &rules {
            if rule.window_reach().is_some() {
                safe += 1;
            }
            let own: Vec<String> = if rule.keywords.is_empty() {
                all_keywords.clone()
            } else {
                rule.keywords.clone()
            };
            let path = crate::matcher::examples::example_path(&rule.path_globs);
            for template in rule.examples.iter().chain(&rule.near_misses) {
                for shape in 0..4 {
                    let example = expand(template, &mut rng).unwrap();
                    let mut lines: Vec<String> = Vec::new();
                    for _ in 0..rng.below(6) {
                        let pool = if rng.below(2) == 0 {
                            &own
                        } else {
                            &all_keywords
                        };
                        lines.push(noise(&mut rng, pool));
                    }
                    match shape {
                        // The example on a very long line, between keyword-laden noise.
                        3 => {
                            let mut long = String::new();
                            while long.len() < 6000 {
                                long.push_str(&noise(&mut rng, &own));
                                long.push(' ');
                            }
                            lines.push(format!("{long} {example} {long}"));
                        }
                        _ => lines.push(example.clone()),
                    }
                    for _ in 0..rng.below(6) {
                        lines.push(noise(&mut rng, &own));
                    }
                    let unit = match shape {
                        // CRLF line ends and no final newline, as a message or a pasted text
                        // could have.
                        1 => raw_unit(&path, lines.join("\r\n")),
                        2 => raw_unit(&path, lines.join("\n")),
                        _ => crate::matcher::examples::unit_of(&path, &lines.join("\n")),
                    };
                    let a: Vec<_> = whole.scan(&unit).unwrap().iter().map(key).collect();
                    let b: Vec<_> = windowed.scan(&unit).unwrap().iter().map(key).collect();
                    assert_eq!(
                        a, b,
                        "rule {}: windowed matching differs on {:?}",
                        rule.id, unit.text
                    );
                    compared += 1;
                    found += a.iter().filter(|c| c.0 == rule.id).count();
                }
            }
        }
        eprintln!(
            "{safe} of {} rules window-safe; {compared} texts, {found} findings of the rule",
            rules.len()
        );
        assert!(safe * 2 > rules.len(), "only {safe} window-safe rules");
        assert!(
            found * 4 > compared,
            "too few findings ({found}) to compare"
        );
    }
}
