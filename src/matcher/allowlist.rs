//! Allowlists of secret values: stopwords and regexes that a candidate secret must not
//! match (a rule's own `allowlist`, the built-in one of published example values, a
//! user's `[allowlist]`).

use std::sync::OnceLock;

use regex::bytes::Regex;

use super::pattern::compile_regex;
use crate::rules::schema::AllowlistSpec;
use crate::rules::{ConfigError, SourceText};

/// Matched against a candidate secret: if any entry matches, it is not reported.
///
/// Users' regexes are compiled when the config is read (so a bad one is a located error);
/// built-in ones are compiled the first time a candidate secret needs them, since most
/// runs never get that far and a hook must not pay for them up front.
#[derive(Debug, Default, Clone)]
pub struct SecretAllowlist {
    /// Lower-cased substrings.
    pub stopwords: Vec<String>,
    patterns: Vec<String>,
    regexes: OnceLock<Vec<Regex>>,
}

impl SecretAllowlist {
    /// An allowlist whose regexes are compiled on first use (built-in data, checked by tests;
    /// a pattern that failed to compile would simply never match).
    pub fn lazy(stopwords: Vec<String>, patterns: Vec<String>) -> Self {
        SecretAllowlist {
            stopwords,
            patterns,
            regexes: OnceLock::new(),
        }
    }

    /// A built-in allowlist spec, compiled on first use.
    pub fn lazy_from(spec: &AllowlistSpec) -> Self {
        Self::lazy(
            spec.stopwords
                .iter()
                .map(|w| w.get_ref().to_ascii_lowercase())
                .collect(),
            spec.regexes.iter().map(|r| r.get_ref().clone()).collect(),
        )
    }

    fn compiled(&self) -> &[Regex] {
        self.regexes.get_or_init(|| {
            self.patterns
                .iter()
                .filter_map(|p| compile_regex(p).ok())
                .collect()
        })
    }

    pub fn allows(&self, secret: &str) -> bool {
        if !self.stopwords.is_empty() {
            let lower = secret.to_ascii_lowercase();
            if self.stopwords.iter().any(|w| lower.contains(w.as_str())) {
                return true;
            }
        }
        !self.patterns.is_empty()
            && self
                .compiled()
                .iter()
                .any(|r| r.is_match(secret.as_bytes()))
    }

    pub fn is_empty(&self) -> bool {
        self.stopwords.is_empty() && self.patterns.is_empty()
    }

    /// How many regexes it holds.
    pub fn regex_count(&self) -> usize {
        self.patterns.len()
    }

    /// Adds another allowlist's entries to this one.
    pub fn extend(&mut self, other: SecretAllowlist) {
        let mut regexes = self.compiled().to_vec();
        regexes.extend(other.compiled().iter().cloned());
        self.stopwords.extend(other.stopwords);
        self.patterns.extend(other.patterns);
        self.regexes = OnceLock::from(regexes);
    }
}

/// Compiles a rule-local or global allowlist's secret matchers. `table` names the
/// allowlist in errors (`allowlist`, `rules[acme].allowlist`).
pub fn build_secret_allowlist(
    src: &SourceText,
    table: &str,
    spec: &AllowlistSpec,
) -> Result<SecretAllowlist, ConfigError> {
    let field = format!("{table}.regexes");
    let mut regexes = Vec::with_capacity(spec.regexes.len());
    for r in &spec.regexes {
        let re = compile_regex(r.get_ref())
            .map_err(|e| src.error(r.span(), &field, format!("invalid regex: {e}")))?;
        // An allowlist entry that allows everything is a scan switched off by accident.
        if re.is_match(b"") {
            return Err(src.error(
                r.span(),
                &field,
                format!(
                    "regex {:?} matches the empty string, so it would allow every secret; \
                     say what it must contain (e.g. `EXAMPLE`, `^test_`)",
                    r.get_ref()
                ),
            ));
        }
        regexes.push(re);
    }
    let patterns = spec.regexes.iter().map(|r| r.get_ref().clone()).collect();
    let mut stopwords = Vec::with_capacity(spec.stopwords.len());
    for w in &spec.stopwords {
        if w.get_ref().trim().is_empty() {
            return Err(src.error(
                w.span(),
                format!("{table}.stopwords"),
                "an empty stopword would allow every secret",
            ));
        }
        stopwords.push(w.get_ref().to_ascii_lowercase());
    }
    Ok(SecretAllowlist {
        stopwords,
        patterns,
        regexes: OnceLock::from(regexes),
    })
}
