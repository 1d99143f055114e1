//! The matcher: from a unit's added text to candidate secrets.
//!
//! Three stages, cheapest first:
//! 1. a keyword prefilter (one Aho-Corasick automaton over every rule's keywords, run
//!    once over the whole added text of a file) picks the rules worth trying;
//! 2. those rules' regexes run (compiled on first use) and capture the secret;
//! 3. validators reject what is not a credential: checksums and structure, a minimum
//!    entropy, placeholders and documentation values, and allowlisted example values.
//!
//! Filters that depend on the user's decisions (allowlists, inline markers, baseline)
//! come after, in `filter`.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use anyhow::{anyhow, Result};

use crate::randomness;
use crate::rules::{Rule, SecretAllowlist};
use crate::source::ScanUnit;

/// A secret the matcher found, before user filters.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub rule: Arc<Rule>,
    /// Byte range of the secret in the unit's text.
    pub start: usize,
    pub end: usize,
    pub secret: String,
}

/// All rules in force, with their prefilter.
pub struct Matcher {
    rules: Vec<Arc<Rule>>,
    prefilter: Option<AhoCorasick>,
    /// Keyword pattern index -> rules that listed it.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords: always tried.
    always: Vec<usize>,
    /// Allowlisted published example values (from the built-in `[allowlist]`).
    global_allow: &'static SecretAllowlist,
}

impl Matcher {
    pub fn new(rules: Vec<Arc<Rule>>, global_allow: &'static SecretAllowlist) -> Result<Self> {
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                always.push(i);
            }
            for kw in &rule.keywords {
                let kw = kw.to_ascii_lowercase();
                match keywords.iter().position(|k| *k == kw) {
                    Some(p) => keyword_rules[p].push(i),
                    None => {
                        keywords.push(kw);
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        let prefilter = if keywords.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&keywords)
                    .map_err(|e| anyhow!("building keyword prefilter: {e}"))?,
            )
        };
        Ok(Matcher {
            rules,
            prefilter,
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
        if let Some(ac) = &self.prefilter {
            for m in ac.find_overlapping_iter(text) {
                for &r in &self.keyword_rules[m.pattern().as_usize()] {
                    hit[r] = true;
                }
            }
        }
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
            let Some(regex) = rule.regex() else { continue };
            let regex = regex.map_err(|e| anyhow!(e))?;
            for caps in regex.captures_iter(&unit.text) {
                let Some(m) = caps
                    .name("secret")
                    .or_else(|| caps.get(1))
                    .or_else(|| caps.get(0))
                else {
                    continue;
                };
                let secret = m.as_str();
                if self.is_credential(rule, secret) {
                    out.push(Candidate {
                        rule: Arc::clone(rule),
                        start: m.start(),
                        end: m.end(),
                        secret: secret.to_string(),
                    });
                }
            }
        }
        Ok(dedupe(out))
    }

    /// A rule about the file itself (a staged `.env`): one finding at its first added line,
    /// unless the rule also has a regex that must match the content.
    fn file_rule(&self, rule: &Arc<Rule>, unit: &ScanUnit, out: &mut Vec<Candidate>) -> Result<()> {
        let (start, end) = match rule.regex() {
            Some(r) => match r.map_err(|e| anyhow!(e))?.find(&unit.text) {
                Some(m) => (m.start(), m.end()),
                None => return Ok(()),
            },
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

    /// Stage 3: is this capture really a credential?
    pub fn is_credential(&self, rule: &Rule, secret: &str) -> bool {
        if secret.is_empty() {
            return false;
        }
        if !rule.validators.iter().all(|v| v.check(secret)) {
            return false;
        }
        if let Some(min) = rule.entropy {
            if randomness::shannon(secret) < min {
                return false;
            }
        }
        // A verified checksum or structure outweighs a look of being hand-written (a long
        // random body can contain `xxxx` by chance); everything else must not look made up.
        if rule.validators.is_empty() && randomness::looks_like_placeholder(secret) {
            return false;
        }
        !(rule.allowlist.allows(secret) || self.global_allow.allows(secret))
    }
}

/// Where findings overlap (a specific rule and a looser one on the same text), keep the
/// longest secret, and on a tie the rule listed first.
fn dedupe(mut found: Vec<Candidate>) -> Vec<Candidate> {
    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut kept: Vec<Candidate> = Vec::with_capacity(found.len());
    for c in found {
        match kept
            .iter_mut()
            .find(|k| c.start < k.end && k.start < c.end && !(c.rule.file_rule || k.rule.file_rule))
        {
            Some(k) if (c.end - c.start) > (k.end - k.start) => *k = c,
            Some(_) => {}
            None => kept.push(c),
        }
    }
    kept
}
