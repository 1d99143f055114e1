//! Checking a rule against its own examples: every example must be reported by the rule,
//! no near-miss may be. Used by the test suite (built-in rules), by `keyguard config
//! check` (custom rules) and by the corpus benchmark.

use anyhow::Result;

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

/// An example that is not reported, or a near-miss that is (or a template that does not
/// expand): which list (`examples` or `near_misses`), which entry, and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub list: &'static str,
    pub index: usize,
    pub message: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Expands and checks every example and near-miss of `rule`; returns the failures. The
/// one checker for built-in rules (the test suite) and custom ones (`config check`).
pub fn check_examples(
    matcher: &Matcher,
    rule: &Rule,
    rng: &mut Rng,
) -> Result<Vec<ExampleFailure>> {
    let path = example_path(&rule.path_globs);
    let mut failures = Vec::new();
    for (list, entries, must_match) in [
        ("examples", &rule.examples, true),
        ("near_misses", &rule.near_misses, false),
    ] {
        for (index, ex) in entries.iter().enumerate() {
            let message = match expand(ex, rng) {
                Err(e) => Some(format!("rule {}: invalid template in {ex:?}: {e}", rule.id)),
                Ok(text) => match (must_match, rule_matches_at(matcher, rule, &path, &text)?) {
                    (true, false) => Some(format!(
                        "rule {}: example {ex:?} is not reported by this rule",
                        rule.id
                    )),
                    (false, true) => Some(format!(
                        "rule {}: near-miss {ex:?} is reported by this rule",
                        rule.id
                    )),
                    _ => None,
                },
            };
            if let Some(message) = message {
                failures.push(ExampleFailure {
                    list,
                    index,
                    message,
                });
            }
        }
    }
    Ok(failures)
}
