//! Checking a rule against its own examples: every example must be reported by the rule,
//! no near-miss may be. Used by the test suite (built-in rules), by `keyguard config
//! check` (custom rules) and by the corpus benchmark.

use anyhow::{anyhow, Result};

use super::template::{expand, Rng};
use super::Matcher;
use super::Rule;
use crate::source::ScanUnit;

/// A unit holding `text` as the added lines of `path`.
pub fn unit_of(path: &str, text: &str) -> ScanUnit {
    let mut unit = ScanUnit::new(path.to_string(), None);
    for (i, line) in text.split('\n').enumerate() {
        unit.push_line(i as u32 + 1, line.as_bytes());
    }
    unit
}

/// The path an example is scanned under: the first of the rule's path globs made
/// concrete (`**/.env` → `.env`), or a neutral source file.
pub fn example_path(globs: &[String]) -> String {
    globs
        .first()
        .map(|g| {
            g.trim_start_matches("**/")
                .replace("**", "x")
                .replace('*', "x")
        })
        .unwrap_or_else(|| "src/example.txt".to_string())
}

/// Whether `rule` reports something in `text` (scanned as a file at `path`). A file rule
/// without a regex is about paths only (a binary keystore has no text to match): its
/// examples and near-misses are paths, scanned as a file whose content is not read.
pub fn rule_matches_at(matcher: &Matcher, rule: &Rule, path: &str, text: &str) -> Result<bool> {
    let unit = if rule.file_rule && rule.regex_source().is_none() {
        ScanUnit::new(text.to_string(), None)
    } else {
        unit_of(path, text)
    };
    Ok(matcher.scan(&unit)?.iter().any(|c| c.rule.id == rule.id))
}

/// Expands and checks every example and near-miss of `rule`; returns the failures.
pub fn check_examples(matcher: &Matcher, rule: &Rule, rng: &mut Rng) -> Result<Vec<String>> {
    let path = example_path(&rule.path_globs);
    let mut failures = Vec::new();
    for ex in &rule.examples {
        let text = expand(ex, rng).map_err(|e| anyhow!("rule {}: {e}", rule.id))?;
        if !rule_matches_at(matcher, rule, &path, &text)? {
            failures.push(format!("rule {}: example is not reported: {ex}", rule.id));
        }
    }
    for ex in &rule.near_misses {
        let text = expand(ex, rng).map_err(|e| anyhow!("rule {}: {e}", rule.id))?;
        if rule_matches_at(matcher, rule, &path, &text)? {
            failures.push(format!("rule {}: near-miss is reported: {ex}", rule.id));
        }
    }
    Ok(failures)
}
