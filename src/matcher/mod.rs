//! The matcher: from a unit's added text to candidate secrets.
//!
//! Three stages, cheapest first:
//! 1. a keyword prefilter (every rule's keywords, searched for in the whole added text of
//!    a file at once; see [`Prefilter`]) picks the rules worth trying;
//! 2. those rules' regexes run (compiled on first use) and capture the secret;
//! 3. validators reject what is not a credential: checksums and structure, a minimum
//!    entropy, placeholders and documentation values, and allowlisted example values.
//!
//! Filters that depend on the user's decisions (allowlists, inline markers, baseline)
//! come after, in `filter`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use anyhow::{anyhow, Result};
use memchr::memmem;

pub mod allowlist;
pub mod builtin;
pub mod examples;
pub mod randomness;
pub mod rule;
pub mod template;
pub mod validate;

pub use allowlist::SecretAllowlist;
pub use builtin::{builtin, builtin_allowlist};
pub use rule::{compile_rule, ContextAllow, Origin, PrefixBoundary, Remediation, Rule};

use crate::source::ScanUnit;

/// A secret the matcher found, before user filters.
#[derive(Clone)]
pub struct Candidate {
    pub rule: Arc<Rule>,
    /// Byte range of the secret in the unit's text.
    pub start: usize,
    pub end: usize,
    pub secret: String,
}

/// Masked like every output: a `{:?}` in a log or a panic message must not print a key.
impl std::fmt::Debug for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Candidate")
            .field("rule", &self.rule.id)
            .field("start", &self.start)
            .field("end", &self.end)
            .field(
                "secret",
                &crate::finding::mask(&self.secret, &self.rule.keywords),
            )
            .finish()
    }
}

/// Finds which keywords occur in a text, case-insensitively.
///
/// A typical commit adds a few kilobytes. Searching those for each keyword with SIMD
/// substring search (`memmem`) takes a fraction of a millisecond, whereas building one
/// Aho-Corasick automaton over hundreds of keywords takes longer than git's whole diff.
/// So small scans use the finders, and once a run has searched more than
/// [`FINDER_BUDGET`] bytes that way (a big commit, a history scan) the automaton is built,
/// once, and used for everything after.
struct Prefilter {
    /// Lower-cased, distinct.
    keywords: Vec<String>,
    finders: Vec<memmem::Finder<'static>>,
    automaton: OnceLock<Option<AhoCorasick>>,
    searched: AtomicUsize,
}

/// Bytes searched keyword by keyword before building the automaton pays off.
const FINDER_BUDGET: usize = 16 * 1024;

impl Prefilter {
    fn new(keywords: Vec<String>) -> Self {
        let finders = keywords
            .iter()
            .map(|k| memmem::Finder::new(k.as_bytes()).into_owned())
            .collect();
        Prefilter {
            keywords,
            finders,
            automaton: OnceLock::new(),
            searched: AtomicUsize::new(0),
        }
    }

    fn automaton(&self) -> Option<&AhoCorasick> {
        self.automaton
            .get_or_init(|| {
                // Overlapping search (every keyword, even inside another) cannot use the
                // SIMD prefilters, so the automaton's own speed is all there is: a DFA
                // (built once, for big scans only) runs it about twice as fast as an NFA.
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&self.keywords)
                    .ok()
            })
            .as_ref()
    }

    /// Calls `found` with the index of every keyword that occurs in `text`.
    fn each_hit(&self, text: &str, mut found: impl FnMut(usize)) {
        let before = self.searched.fetch_add(text.len(), Ordering::Relaxed);
        if before + text.len() > FINDER_BUDGET {
            if let Some(ac) = self.automaton() {
                for m in ac.find_overlapping_iter(text) {
                    found(m.pattern().as_usize());
                }
                return;
            }
        }
        let lower = text.to_ascii_lowercase();
        for (i, f) in self.finders.iter().enumerate() {
            if f.find(lower.as_bytes()).is_some() {
                found(i);
            }
        }
    }
}

/// All rules in force, with their prefilter.
pub struct Matcher {
    rules: Vec<Arc<Rule>>,
    prefilter: Prefilter,
    /// Keyword index -> rules that listed it.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords: always tried.
    always: Vec<usize>,
    /// Allowlisted published example values (from the built-in `[allowlist]`).
    global_allow: &'static SecretAllowlist,
}

impl Matcher {
    pub fn new(rules: Vec<Arc<Rule>>, global_allow: &'static SecretAllowlist) -> Result<Self> {
        let mut keywords: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                always.push(i);
            }
            for kw in &rule.keywords {
                let kw = kw.to_ascii_lowercase();
                let at = *index.entry(kw.clone()).or_insert_with(|| {
                    keywords.push(kw);
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                });
                keyword_rules[at].push(i);
            }
        }
        Ok(Matcher {
            rules,
            prefilter: Prefilter::new(keywords),
            keyword_rules,
            always,
            global_allow,
        })
    }

    pub fn rules(&self) -> &[Arc<Rule>] {
        &self.rules
    }

    /// Which rules could match `text`: those whose keyword occurs, plus keyword-less ones.
    fn candidates(&self, text: &str) -> Vec<usize> {
        let mut hit = vec![false; self.rules.len()];
        for &i in &self.always {
            hit[i] = true;
        }
        self.prefilter.each_hit(text, |k| {
            for &r in &self.keyword_rules[k] {
                hit[r] = true;
            }
        });
        hit.iter()
            .enumerate()
            .filter_map(|(i, &h)| h.then_some(i))
            .collect()
    }

    /// Every credential in the unit's added text.
    pub fn scan(&self, unit: &ScanUnit) -> Result<Vec<Candidate>> {
        let mut out = Vec::new();
        for i in self.candidates(&unit.text) {
            let rule = &self.rules[i];
            if !rule.applies_to(&unit.path) {
                continue;
            }
            if rule.file_rule {
                self.file_rule(rule, unit, &mut out)?;
                continue;
            }
            if rule.keywords_match_case
                && !rule
                    .keywords
                    .iter()
                    .any(|k| memmem::find(unit.text.as_bytes(), k.as_bytes()).is_some())
            {
                continue;
            }
            if rule.value_gate && !self.has_value_for(rule, unit.text.as_bytes()) {
                continue;
            }
            let Some(regex) = rule.regex() else { continue };
            let regex = regex.map_err(|e| anyhow!(e))?;
            // A regex that names its `secret` reports only matches in which that group took
            // part: an alternative without it is an exclusion (e.g. a password in a URL whose
            // host is a documentation domain), matched first so that it wins.
            let named = regex.capture_names().any(|n| n == Some("secret"));
            for caps in regex.captures_iter(unit.text.as_bytes()) {
                let m = if named {
                    caps.name("secret")
                } else {
                    caps.get(1).or_else(|| caps.get(0))
                };
                let Some(m) = m else {
                    continue;
                };
                let secret = String::from_utf8_lossy(m.as_bytes());
                if !at_token_boundary(rule, unit.text.as_bytes(), m.start(), m.end(), &secret)
                    || context_allows(rule, unit, m.start(), m.end(), &secret)
                {
                    continue;
                }
                if self.is_credential(rule, &secret) {
                    out.push(Candidate {
                        rule: Arc::clone(rule),
                        start: m.start(),
                        end: m.end(),
                        secret: secret.into_owned(),
                    });
                }
            }
        }
        Ok(dedupe(out))
    }

    /// A rule about the file itself (a staged `.env`): one finding at its first added line,
    /// unless the rule also has a regex that must match the content. A regex that names a
    /// `secret` group must match with a value that passes the rule's checks (validators,
    /// placeholders, allowlists), so that `_authToken=${NPM_TOKEN}` does not count.
    fn file_rule(&self, rule: &Arc<Rule>, unit: &ScanUnit, out: &mut Vec<Candidate>) -> Result<()> {
        let (start, end) = match rule.regex() {
            Some(r) => {
                let r = r.map_err(|e| anyhow!(e))?;
                let hit = if r.capture_names().any(|n| n == Some("secret")) {
                    r.captures_iter(unit.text.as_bytes())
                        .filter_map(|c| c.name("secret"))
                        .find(|m| self.is_credential(rule, &String::from_utf8_lossy(m.as_bytes())))
                        .map(|m| (m.start(), m.end()))
                } else {
                    r.find(unit.text.as_bytes()).map(|m| (m.start(), m.end()))
                };
                match hit {
                    Some(span) => span,
                    None => return Ok(()),
                }
            }
            None => (0, 0),
        };
        out.push(Candidate {
            rule: Arc::clone(rule),
            start,
            end,
            secret: unit.path.clone(),
        });
        Ok(())
    }

    /// Stage 1b, for rules with a `value_gate`: could any value in `text` pass the rule's
    /// validators? The regex can only capture a whole run of value characters that ends
    /// at a delimiter, from the run's start or from just after punctuation inside it
    /// (`key=v`, `user:v`, `=>v`) or a leading `-p` (`mysql -pv`); if no such candidate
    /// passes, no match of the regex can, and the regex need not even be compiled.
    ///
    /// The work is bounded (a long run with punctuation every other byte would otherwise
    /// cost quadratic time): past the budget the gate opens and the regex decides.
    pub fn has_value_for(&self, rule: &Rule, text: &[u8]) -> bool {
        // `\s` in an ASCII regex includes the vertical tab, unlike `is_ascii_whitespace`.
        fn is_value(b: u8) -> bool {
            !matches!(
                b,
                b' ' | b'\t'
                    | b'\n'
                    | b'\x0b'
                    | b'\x0c'
                    | b'\r'
                    | b'"'
                    | b'\''
                    | b'`'
                    | b','
                    | b';'
                    | b'&'
                    | b'|'
                    | b'<'
                    | b'>'
                    | b'('
                    | b')'
                    | b'{'
                    | b'}'
                    | b'['
                    | b']'
                    | b'\\'
            )
        }
        const MIN_LEN: usize = 8;
        let mut budget = text.len().saturating_mul(16).saturating_add(1 << 16);
        let mut i = 0;
        while i < text.len() {
            if !is_value(text[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < text.len() && is_value(text[i]) {
                i += 1;
            }
            let run = &text[start..i];
            // The regex wants a closing delimiter (or the end) after the value.
            if run.len() < MIN_LEN || matches!(text.get(i), Some(b'(' | b'{' | b'[')) {
                continue;
            }
            for p in 0..=run.len() - MIN_LEN {
                let boundary = p == 0
                    || !run[p - 1].is_ascii_alphanumeric()
                    || (p == 2 && run.starts_with(b"-p"));
                if !boundary {
                    continue;
                }
                let value = &run[p..];
                if budget < value.len() {
                    return true;
                }
                budget -= value.len();
                if passes_validators(rule, &String::from_utf8_lossy(value)) {
                    return true;
                }
            }
        }
        false
    }

    /// Stage 3: is this capture really a credential?
    pub fn is_credential(&self, rule: &Rule, secret: &str) -> bool {
        if secret.is_empty() {
            return false;
        }
        if !passes_validators(rule, secret) {
            return false;
        }
        if let Some(min) = rule.entropy {
            if randomness::shannon(secret) < min {
                return false;
            }
        }
        if let Some(min) = rule.min_randomness {
            if randomness::score(secret) < min {
                return false;
            }
        }
        // A verified checksum or structure outweighs a look of being hand-written (a long
        // random body can contain `xxxx` by chance); everything else must not look made up.
        if rule.validators.is_empty() && randomness::looks_like_placeholder(secret) {
            return false;
        }
        if rule.allowlist.allows(secret) || self.global_allow.allows(secret) {
            return false;
        }
        // A URL-escaped value is judged by what it says: `pass%20pass` is "pass pass".
        // Escaped control characters (`%01`) are URL-parser test data, not a password.
        let decoded = randomness::percent_decoded(secret, 1);
        if let Some(d) = &decoded {
            if d.bytes().any(|b| b < 0x20 || b == 0x7f) {
                return false;
            }
            if rule.allowlist.allows(d) || self.global_allow.allows(d) {
                return false;
            }
        }
        !made_of_allowed_words(rule, decoded.as_deref().unwrap_or(secret))
    }
}

/// A value made of several words the rule's allowlist accepts one by one, joined by
/// punctuation: `pass1@bar:pass2`, `foo(b]c`, `pass pass` (pieces under 3 characters,
/// such as the `b` and `c` of URL-parser test data, are not judged). A generated value
/// has no such words.
fn made_of_allowed_words(rule: &Rule, value: &str) -> bool {
    if rule.allowlist.is_empty() || value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let mut pieces = value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| p.len() >= 3)
        .peekable();
    pieces.peek().is_some() && pieces.all(|p| rule.allowlist.allows(p))
}

/// For a match that starts with one of the rule's keywords (a fixed token prefix): the
/// token is not a slice of a longer base64 run. Inside an embedded image, `…Zt+cio`
/// followed by 32 letters and digits and `+Qx…` is not a crates.io token: the regex's own
/// boundaries (`[^A-Za-z0-9_]`) let `+` and `/` through.
///
/// What counts is how much of the base64 alphabet's letters, digits and `+` surrounds the
/// token: a blob puts dozens of them on either side, while a real token sits after a
/// separator (`=`, a quote, `://`, `/` in a URL path, an escaped `\n`) with at most a few
/// such characters touching it. One `/` right at the token is looked past: URL path
/// segments are short (`/v1/ghp_…/items`, `https://ghp_…@github.com`), a blob's are not.
fn at_token_boundary(rule: &Rule, text: &[u8], start: usize, end: usize, secret: &str) -> bool {
    /// Letters, digits and `+` touching a token, before and after together, beyond which
    /// it is taken for a slice of a blob.
    const BLOB_RUN: usize = 16;
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
    // The letters, digits and `+` on one side, looking past one `/` right at the token
    // (a blob's `…x/cio…/…` is as much a blob; a path's `/v1/ghp_…` is not).
    fn side<'a>(mut bytes: impl Iterator<Item = &'a u8> + Clone) -> usize {
        let run = |c: &&u8| c.is_ascii_alphanumeric() || **c == b'+';
        if bytes.clone().next() == Some(&b'/') {
            bytes.next();
        }
        bytes.take_while(run).count()
    }
    let before = side(text[..start.min(text.len())].iter().rev());
    let after = side(text.get(end..).unwrap_or_default().iter());
    before + after < BLOB_RUN
}

/// Whether one of the rule's `context_allow` entries drops the match at `start..end`.
fn context_allows(rule: &Rule, unit: &ScanUnit, start: usize, end: usize, secret: &str) -> bool {
    let text = unit.text.as_bytes();
    rule.context_allow.iter().any(|c| {
        c.secret
            .as_ref()
            .is_none_or(|r| r.is_match(secret.as_bytes()))
            && (c.near.is_none() && c.not_near.is_none() || {
                let w = window(unit, start, end, c.lines);
                c.near.as_ref().is_none_or(|r| r.is_match(&w))
                    && c.not_near.as_ref().is_none_or(|r| !r.is_match(&w))
            })
            && c.file.as_ref().is_none_or(|r| r.is_match(text))
    })
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

/// The rule's validators (checksums, structure, randomness) all accept `secret`.
fn passes_validators(rule: &Rule, secret: &str) -> bool {
    rule.validators
        .iter()
        .all(|v| v.check_with(secret, rule.min_randomness))
}

/// Where findings overlap (a specific rule and a looser one on the same text), keep the
/// one of a rule that knows the format over one of a heuristic rule (`generic-secret`
/// guesses from randomness; `github-pat` knows), then the longest secret, and on a tie
/// the rule listed first.
fn dedupe(mut found: Vec<Candidate>) -> Vec<Candidate> {
    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut kept: Vec<Candidate> = Vec::with_capacity(found.len());
    for c in found {
        match kept
            .iter_mut()
            .find(|k| c.start < k.end && k.start < c.end && !(c.rule.file_rule || k.rule.file_rule))
        {
            Some(k) if replaces(&c, k) => *k = c,
            Some(_) => {}
            None => kept.push(c),
        }
    }
    kept
}

/// Whether `c` should replace the overlapping, already kept `k`.
fn replaces(c: &Candidate, k: &Candidate) -> bool {
    match (c.rule.is_heuristic(), k.rule.is_heuristic()) {
        (false, true) => true,
        (true, false) => false,
        _ => (c.end - c.start) > (k.end - k.start),
    }
}

#[cfg(test)]
mod prefilter_tests {
    use super::*;

    fn hits(p: &Prefilter, text: &str) -> Vec<usize> {
        let mut v = Vec::new();
        p.each_hit(text, |k| v.push(k));
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn finders_and_automaton_agree() {
        let kws: Vec<String> = ["sk-proj-", "ghp_", "akia", "password", "t3blbkfj"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let texts = [
            "x = SK-PROJ-abc and ghp_",
            "nothing here",
            "AKIA Password T3BlbkFJ",
            "pass word",
        ];
        let small = Prefilter::new(kws.clone());
        let by_finders: Vec<Vec<usize>> = texts.iter().map(|t| hits(&small, t)).collect();
        let big = Prefilter::new(kws);
        big.searched.store(FINDER_BUDGET, Ordering::Relaxed);
        let by_automaton: Vec<Vec<usize>> = texts.iter().map(|t| hits(&big, t)).collect();
        assert!(
            big.automaton.get().is_some(),
            "the automaton path was not taken"
        );
        assert_eq!(by_finders, by_automaton);
        assert_eq!(by_finders[0], vec![0, 1]);
        assert_eq!(by_finders[2], vec![2, 3, 4]);
        assert!(by_finders[1].is_empty() && by_finders[3].is_empty());
    }
}

#[cfg(test)]
mod context_tests {
    use super::*;
    use crate::matcher::template::{expand, Rng};

    fn matcher() -> Matcher {
        Matcher::new(
            crate::matcher::builtin().unwrap().to_vec(),
            crate::matcher::builtin_allowlist().unwrap(),
        )
        .unwrap()
    }

    /// `{:?}` of a candidate shows the masked form, never the key.
    #[test]
    fn candidate_debug_masks_the_secret() {
        let m = matcher();
        let key = expand("{{begin}}ghp_{{b62:30}}{{crc:github}}", &mut Rng::new(9)).unwrap();
        let mut u = ScanUnit::new("src/app.py".into(), None);
        u.push_line(1, format!("token = \"{key}\"").as_bytes());
        let found = m.scan(&u).unwrap();
        assert!(
            found.iter().any(|c| c.secret == key),
            "{} candidates",
            found.len()
        );
        let shown = format!("{found:?}");
        assert!(!shown.contains(&key[4..]), "Debug shows the key: {shown}");
        assert!(shown.contains("github-pat"), "{shown}");
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
}
