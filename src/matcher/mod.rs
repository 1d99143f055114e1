//! The matcher stage: from a unit's added text to candidate secrets.
//!
//! Three steps, cheapest first:
//! 1. a keyword prefilter (`prefilter`: every rule's keywords, searched for in the whole
//!    added text of a file at once) picks the rules worth trying;
//! 2. those rules' regexes (`rule`: compiled from the rule data, on first use) capture the
//!    secret, which must stand at a token boundary and outside an allowed context
//!    (`context`);
//! 3. validators reject what is not a credential: checksums and structure (`validate`),
//!    randomness, placeholders and passwords (`randomness`), allowlisted example values
//!    (`allowlist`).
//!
//! This module holds [`Matcher`], which runs the steps; each step's mechanism is in its
//! own module. The catalogue compiled (`builtin`), the example templates (`template`) and
//! the checker that runs every rule's examples (`examples`) live here too, because they
//! run the matcher. Filters that depend on the user's decisions (allowlists, inline
//! markers, baseline) come after, in `filter`.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{anyhow, Result};
use memchr::memmem;

pub mod allowlist;
pub mod builtin;
mod context;
pub mod examples;
mod pattern;
mod prefilter;
pub mod randomness;
pub mod rule;
pub mod secret;
pub mod template;
pub mod validate;
mod window;

pub use allowlist::SecretAllowlist;
pub use builtin::{builtin, builtin_allowlist};
pub use rule::{compile_rule, ContextAllow, Origin, PrefixBoundary, Remediation, Rule};
pub use secret::{fingerprint, mask, Secret};

use context::{at_token_boundary, context_allows};
use prefilter::Prefilter;
use window::{windows, Lines};

use crate::source::ScanUnit;

/// A secret the matcher found, before user filters. Its `Debug` shows the secret masked.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub rule: Arc<Rule>,
    /// Byte range of the secret in the unit's text.
    pub start: usize,
    pub end: usize,
    pub secret: Secret,
}

/// All rules in force, with their prefilter.
pub struct Matcher {
    rules: Vec<Arc<Rule>>,
    prefilter: Prefilter,
    /// Keyword index -> rules that listed it.
    keyword_rules: Vec<Vec<usize>>,
    /// Rule index -> its keywords' indices.
    rule_keywords: Vec<Vec<usize>>,
    /// Rules without keywords: always tried.
    always: Vec<usize>,
    /// Lower-cased keywords of rules that own the values they prefix (`owns_values`).
    owned_prefixes: Vec<String>,
    /// Allowlisted published example values (from the built-in `[allowlist]`).
    global_allow: &'static SecretAllowlist,
    windowing: Windowing,
}

/// Where a rule's regex runs: over windows around its keyword hits when the rule is
/// window-safe (see `window`), or over the unit's whole text. Both find the same matches;
/// whole-text matching is the reference the tests compare windowed matching with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Windowing {
    /// Windows on texts of at least [`WINDOW_MIN_TEXT`] bytes: on a few kilobytes the whole
    /// text costs less than finding every keyword occurrence.
    Auto,
    /// Windows on every text (tests).
    Always,
    /// The whole text always (tests; benchmarks, via `KEYGUARD_BENCH_WHOLE_TEXT=1`).
    Never,
}

/// Texts from this size on are matched in windows (with [`Windowing::Auto`]).
const WINDOW_MIN_TEXT: usize = 16 * 1024;

/// Per keyword, the byte ranges where it occurs (empty when positions were not needed).
type Hits = Vec<Vec<(usize, usize)>>;

impl Matcher {
    pub fn new(rules: Vec<Arc<Rule>>, global_allow: &'static SecretAllowlist) -> Result<Self> {
        let mut keywords: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        let mut rule_keywords = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                always.push(i);
            }
            let mut own = Vec::new();
            for kw in &rule.keywords {
                let kw = kw.to_ascii_lowercase();
                let at = *index.entry(kw.clone()).or_insert_with(|| {
                    keywords.push(kw);
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                });
                keyword_rules[at].push(i);
                own.push(at);
            }
            rule_keywords.push(own);
        }
        let owned_prefixes = rules
            .iter()
            .filter(|r| r.owns_values)
            .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
            .collect();
        Ok(Matcher {
            owned_prefixes,
            rules,
            prefilter: Prefilter::new(keywords),
            keyword_rules,
            rule_keywords,
            always,
            global_allow,
            // Hidden switch for benchmarks (whole-text matching as before windows): not a
            // user setting, it changes no finding.
            windowing: match std::env::var_os("KEYGUARD_BENCH_WHOLE_TEXT") {
                Some(v) if v == "1" => Windowing::Never,
                _ => Windowing::Auto,
            },
        })
    }

    /// The same matcher with another [`Windowing`] (tests compare them).
    pub fn with_windowing(mut self, windowing: Windowing) -> Self {
        self.windowing = windowing;
        self
    }

    pub fn rules(&self) -> &[Arc<Rule>] {
        &self.rules
    }

    /// Which rules could match `text`: those whose keyword occurs, plus keyword-less ones;
    /// with `every`, also where each keyword occurs.
    fn candidates(&self, text: &str, every: bool) -> (Vec<usize>, Hits) {
        let mut hit = vec![false; self.rules.len()];
        for &i in &self.always {
            hit[i] = true;
        }
        let mut hits: Hits = Vec::new();
        if every {
            hits.resize_with(self.keyword_rules.len(), Vec::new);
        }
        self.prefilter.each_hit(text, every, |k, start, end| {
            for &r in &self.keyword_rules[k] {
                hit[r] = true;
            }
            if every {
                hits[k].push((start, end));
            }
        });
        let rules = hit
            .iter()
            .enumerate()
            .filter_map(|(i, &h)| h.then_some(i))
            .collect();
        (rules, hits)
    }

    /// Every credential in the unit's added text.
    pub fn scan(&self, unit: &ScanUnit) -> Result<Vec<Candidate>> {
        let every = match self.windowing {
            Windowing::Auto => unit.text.len() >= WINDOW_MIN_TEXT,
            Windowing::Always => true,
            Windowing::Never => false,
        };
        let (mut candidates, hits) = self.candidates(&unit.text, every);
        // Rules that know a format run before the heuristic ones, so that a heuristic rule
        // can leave alone the values they already found (see `claimed`). The order within
        // each group is kept: it breaks ties in `dedupe`.
        candidates.sort_by_key(|&i| self.rules[i].is_heuristic());
        let text = unit.text.as_bytes();
        let mut lines: Option<Lines> = None;
        let mut out = Vec::new();
        for i in candidates {
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
                    .any(|k| memmem::find(text, k.as_bytes()).is_some())
            {
                continue;
            }
            if rule.value_gate
                && !self.has_value_for(rule, text, &claimed(rule, &out).collect::<Vec<_>>())
            {
                continue;
            }
            let Some(regex) = rule.regex() else { continue };
            let regex = regex.map_err(|e| anyhow!(e))?;
            // A regex that names its `secret` reports only matches in which that group took
            // part: an alternative without it is an exclusion (e.g. a password in a URL whose
            // host is a documentation domain), matched first so that it wins.
            let named = regex.capture_names().position(|n| n == Some("secret"));
            let reach = if every { rule.window_reach() } else { None };
            let Some(reach) = reach else {
                for caps in regex.captures_iter(text) {
                    let m = match named {
                        Some(g) => caps.get(g),
                        None => caps.get(1).or_else(|| caps.get(0)),
                    };
                    if let Some(m) = m {
                        self.consider(rule, unit, m.start(), m.end(), &mut out)?;
                    }
                }
                continue;
            };
            let mut rule_hits: Vec<(usize, usize)> = self.rule_keywords[i]
                .iter()
                .flat_map(|&k| hits[k].iter().copied())
                .collect();
            let lines = reach
                .lines
                .map(|_| &*lines.get_or_insert_with(|| Lines::new(text)));
            let mut locs = regex.capture_locations();
            for w in windows(&mut rule_hits, reach, lines, text.len()) {
                // Cut after the window, searched from its start: what precedes the window
                // is still there for `\b` and `^` to see (see `window`).
                let hay = &text[..w.end];
                let mut at = w.start;
                while at <= hay.len() {
                    let Some(m) = regex.captures_read_at(&mut locs, hay, at) else {
                        break;
                    };
                    let span = match named {
                        Some(g) => locs.get(g),
                        None => locs.get(1).or_else(|| locs.get(0)),
                    };
                    if let Some((start, end)) = span {
                        self.consider(rule, unit, start, end, &mut out)?;
                    }
                    at = if m.end() > m.start() {
                        m.end()
                    } else {
                        m.end() + 1
                    };
                }
            }
        }
        Ok(dedupe(out))
    }

    /// A match's secret at `start..end` of the unit's text: kept if it stands at a token
    /// boundary, outside the rule's allowed contexts, and is a credential.
    fn consider(
        &self,
        rule: &Arc<Rule>,
        unit: &ScanUnit,
        start: usize,
        end: usize,
        out: &mut Vec<Candidate>,
    ) -> Result<()> {
        let text = unit.text.as_bytes();
        if claimed(rule, out).any(|(s, e)| s <= start && end <= e) {
            return Ok(());
        }
        let secret = String::from_utf8_lossy(&text[start..end]);
        if !at_token_boundary(rule, text, start, end, &secret)
            || context_allows(rule, unit, start, end, &secret)?
        {
            return Ok(());
        }
        if self.is_credential(rule, &secret) {
            out.push(Candidate {
                rule: Arc::clone(rule),
                start,
                end,
                secret: Secret::new(secret.into_owned()),
            });
        }
        Ok(())
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
            secret: Secret::new(unit.path.clone()),
        });
        Ok(())
    }

    /// Stage 1b, for rules with a `value_gate`: could any value in `text` pass the rule's
    /// validators? The regex can only capture a whole run of value characters that ends
    /// at a delimiter, from the run's start or from just after punctuation inside it
    /// (`key=v`, `user:v`, `=>v`) or a leading `-p` (`mysql -pv`); if no such candidate
    /// passes, no match of the regex can, and the regex need not even be compiled.
    ///
    /// A value inside a span of `claimed` (see [`claimed`]) is not a candidate: the rule
    /// would not report it. So the line that holds an OpenAI key does not, by itself, make
    /// the generic rule's big regex compile.
    ///
    /// The work is bounded (a long run with punctuation every other byte would otherwise
    /// cost quadratic time): past the budget the gate opens and the regex decides.
    pub fn has_value_for(&self, rule: &Rule, text: &[u8], claimed: &[(usize, usize)]) -> bool {
        // A byte that can be part of a value: not whitespace (`\s` in an ASCII regex
        // includes the vertical tab, unlike `is_ascii_whitespace`), quote or delimiter. A
        // table: this runs over every byte of every unit a value-gated rule's keyword is in.
        const VALUE: [bool; 256] = {
            let mut t = [true; 256];
            let stops = b" \t\n\x0b\x0c\r\"'`,;&|<>(){}[]\\";
            let mut i = 0;
            while i < stops.len() {
                t[stops[i] as usize] = false;
                i += 1;
            }
            t
        };
        let is_value = |b: u8| VALUE[usize::from(b)];
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
                let at = start + p;
                if claimed.iter().any(|&(s, e)| s <= at && i <= e) {
                    continue;
                }
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

    /// A value that starts with the fixed prefix of a rule that owns its format: only that
    /// rule judges it (see `RuleSpec::owns_values`).
    fn owned_by_format_rule(&self, secret: &str) -> bool {
        let s = secret.as_bytes();
        self.owned_prefixes
            .iter()
            // A value that is only the prefix (a truncated example, a doc stub) is the
            // format's constant, not a secret: owned too, or the generic rules would report it.
            .any(|p| s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
    }

    /// Stage 3: is this capture really a credential?
    pub fn is_credential(&self, rule: &Rule, secret: &str) -> bool {
        if secret.is_empty() {
            return false;
        }
        if rule.is_heuristic() && self.owned_by_format_rule(secret) {
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

/// For a heuristic rule: the spans of the unit's text that rules knowing a format have
/// already found (they run first). A heuristic match inside one of them is that rule's
/// finding read less well (`generic-secret` on the body of an OpenAI key), which `dedupe`
/// would drop; it is dropped before it is even searched for. Empty for other rules.
fn claimed<'a>(rule: &Rule, found: &'a [Candidate]) -> impl Iterator<Item = (usize, usize)> + 'a {
    let heuristic = rule.is_heuristic();
    found
        .iter()
        .filter(move |c| heuristic && !c.rule.is_heuristic() && !c.rule.file_rule)
        .map(|c| (c.start, c.end))
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
///
/// This is about text: which rule's reading of overlapping bytes is right. Findings that
/// survive the user's filters are merged once more in `filter` (one secret seen by a path
/// rule and a content rule, or by rules whose verdicts differ): only there is it known
/// which of them block.
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
mod tests {
    use super::*;
    use crate::matcher::template::{expand, Rng};

    fn matcher() -> Matcher {
        Matcher::new(builtin().unwrap().to_vec(), builtin_allowlist().unwrap()).unwrap()
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
            found.iter().any(|c| c.secret.expose() == key),
            "{} candidates",
            found.len()
        );
        let shown = format!("{found:?}");
        assert!(!shown.contains(&key[4..]), "Debug shows the key: {shown}");
        assert!(shown.contains("github-pat"), "{shown}");
    }

    /// A value that a rule knowing its format found is not a candidate for the heuristic
    /// rules: it neither opens their value gate (so their big regexes are not compiled for
    /// it) nor yields a second, overlapping finding; a random value elsewhere still does.
    #[test]
    fn heuristic_rules_skip_values_a_format_rule_found() {
        let m = matcher();
        let mut rng = Rng::new(9);
        let key = expand("sk-proj-{{b64url:74}}T3BlbkFJ{{b64url:74}}", &mut rng).unwrap();
        let generic = m.rules.iter().find(|r| r.id == "generic-secret").unwrap();
        let line = format!("OPENAI_API_KEY = \"{key}\"\n");
        let (s, e) = (line.find("sk-").unwrap(), line.len() - 2);
        assert!(m.has_value_for(generic, line.as_bytes(), &[]));
        assert!(!m.has_value_for(generic, line.as_bytes(), &[(s, e)]));
        let scan = |text: &str| -> Vec<(String, String)> {
            let mut u = ScanUnit::new("src/settings.py".into(), None);
            for (no, l) in text.lines().enumerate() {
                u.push_line(no as u32 + 1, format!("{l}\n").as_bytes());
            }
            m.scan(&u)
                .unwrap()
                .into_iter()
                .map(|c| (c.rule.id.clone(), c.secret.expose().to_string()))
                .collect()
        };
        assert_eq!(
            scan(&line),
            [("openai-project-key".to_string(), key.clone())]
        );
        let other = expand("{{b62:32}}", &mut rng).unwrap();
        let both = format!("{line}client_secret = \"{other}\"\n");
        assert_eq!(
            scan(&both),
            [
                ("openai-project-key".to_string(), key),
                ("generic-secret".to_string(), other)
            ]
        );
    }

    /// A value of a format some rule owns (`owns_values`) is that rule's alone to judge:
    /// generic rules report neither a Google key in a Firebase config nor a made-up
    /// GitHub token with a wrong checksum, and still report the same random body alone.
    #[test]
    fn generic_rules_leave_owned_formats_to_their_rule() {
        let m = matcher();
        let mut rng = Rng::new(3);
        let rules_at = |text: String| -> Vec<String> {
            let mut u = ScanUnit::new("src/config.js".into(), None);
            u.push_line(1, text.as_bytes());
            m.scan(&u)
                .unwrap()
                .into_iter()
                .map(|c| c.rule.id.clone())
                .collect()
        };
        let body = expand("{{b64url:35}}", &mut rng).unwrap();
        assert_eq!(
            rules_at(format!("client_secret = \"Zx9q{body}\"")),
            ["generic-secret"]
        );
        assert!(rules_at(format!("client_secret = \"AIza{body}\""))
            .iter()
            .all(|r| r != "generic-secret"));
        let token = expand("{{begin}}ghp_{{b62:30}}{{crc:github:bad}}", &mut rng).unwrap();
        assert!(rules_at(format!("client_secret = \"{token}\"")).is_empty());
        // A value that is only an owned prefix (a truncated example) is the format's
        // constant: no generic rule reports it either.
        let owned = m.rules.iter().filter(|r| r.owns_values);
        for prefix in owned.flat_map(|r| r.keywords.iter()) {
            assert!(
                rules_at(format!("API_TOKEN={prefix}"))
                    .iter()
                    .all(|r| !m.rules.iter().any(|x| &x.id == r && x.is_heuristic())),
                "a bare owned prefix was reported by a generic rule"
            );
        }
    }
}
