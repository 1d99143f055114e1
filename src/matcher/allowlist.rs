//! Allowlists of secret values: stopwords and regexes that a candidate secret must not
//! match (a rule's own `allowlist`, the built-in one of published example values, a
//! user's `[allowlist]`).

use std::sync::{Arc, OnceLock};

use memchr::memmem;
use regex::bytes::Regex;
use regex_syntax::hir::literal::{ExtractKind, Extractor};

use super::pattern::compile_regex;
use crate::rules::schema::AllowlistSpec;
use crate::rules::{ConfigError, SourceText};

/// Matched against a candidate secret: if any entry matches, it is not reported.
///
/// Users' regexes are compiled when the config is read (so a bad one is a located error);
/// built-in ones are compiled the first time a candidate secret could match them, since
/// most runs never get that far and a hook must not pay for them up front.
#[derive(Debug, Default, Clone)]
pub struct SecretAllowlist {
    /// Lower-cased substrings.
    pub stopwords: Vec<String>,
    entries: Vec<Arc<Entry>>,
}

/// One regex of an allowlist, compiled on first need.
#[derive(Debug)]
struct Entry {
    src: String,
    /// Literals one of which starts every match (`None`: no such finite set, or not
    /// worked out yet for a user's regex, which is compiled anyway). Most entries are a
    /// vendor's example value, `^AKIA…$`: a secret without that text cannot match, and
    /// the regex need not be compiled to say so.
    prefixes: OnceLock<Option<Vec<Vec<u8>>>>,
    /// `None` when it does not compile (a built-in entry; the test suite rules that out).
    re: OnceLock<Option<Regex>>,
}

impl Entry {
    fn lazy(src: String) -> Self {
        Entry {
            src,
            prefixes: OnceLock::new(),
            re: OnceLock::new(),
        }
    }

    fn matches(&self, secret: &[u8]) -> bool {
        let prefixes = self.prefixes.get_or_init(|| match_prefixes(&self.src));
        if let Some(ps) = prefixes {
            if !ps.iter().any(|p| memmem::find(secret, p).is_some()) {
                return false;
            }
        }
        self.re
            .get_or_init(|| compile_regex(&self.src).ok())
            .as_ref()
            .is_some_and(|r| r.is_match(secret))
    }
}

/// A finite set of non-empty literals one of which every match of `src` starts with, as
/// the regex crate's own prefilters work it out; `None` when there is none (a leading
/// class too wide to spell out, an optional start).
fn match_prefixes(src: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(src)
        .ok()?;
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

impl SecretAllowlist {
    /// An allowlist whose regexes are compiled on first use (built-in data, checked by tests;
    /// a pattern that failed to compile would simply never match).
    pub fn lazy(stopwords: Vec<String>, patterns: Vec<String>) -> Self {
        SecretAllowlist {
            stopwords,
            entries: patterns
                .into_iter()
                .map(|p| Arc::new(Entry::lazy(p)))
                .collect(),
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

    pub fn allows(&self, secret: &str) -> bool {
        if !self.stopwords.is_empty() {
            let lower = secret.to_ascii_lowercase();
            if self.stopwords.iter().any(|w| lower.contains(w.as_str())) {
                return true;
            }
        }
        self.entries.iter().any(|e| e.matches(secret.as_bytes()))
    }

    pub fn is_empty(&self) -> bool {
        self.stopwords.is_empty() && self.entries.is_empty()
    }

    /// How many regexes it holds.
    pub fn regex_count(&self) -> usize {
        self.entries.len()
    }

    /// Adds another allowlist's entries to this one (compiled or not, as they are).
    pub fn extend(&mut self, other: SecretAllowlist) {
        self.stopwords.extend(other.stopwords);
        self.entries.extend(other.entries);
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
        regexes.push(Arc::new(Entry {
            src: r.get_ref().clone(),
            prefixes: OnceLock::from(None),
            re: OnceLock::from(Some(re)),
        }));
    }
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
        entries: regexes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::template::Rng;

    const B62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    #[test]
    fn an_example_value_is_its_own_prefix() {
        let ps = match_prefixes("^ACME0KEY0EXAMPL[E]$").unwrap();
        assert_eq!(ps, [b"ACME0KEY0EXAMPLE".to_vec()]);
        // Alternatives after an optional start: every one is a prefix.
        let ps = match_prefixes("(?:^|[=:])(?:abc[1]|def[2])$").unwrap();
        assert!(ps.iter().any(|p| p == b"abc1") && ps.iter().any(|p| p == b":def2"));
        // No finite set: a leading class, an optional start.
        assert_eq!(match_prefixes("^.*x"), None);
        assert_eq!(
            match_prefixes("(?:ab)?c"),
            Some(vec![b"abc".to_vec(), b"c".to_vec()])
        );
    }

    /// Every built-in allowlist regex (the global one and every rule's) answers exactly as
    /// its compiled regex does, on the example values they list (brackets removed), those
    /// values inside other text and one character off, the rules' kinds of password words,
    /// and random tokens: the prefix check only ever skips compiling a regex that could
    /// not have matched.
    #[test]
    fn prefix_checks_never_change_an_answer() {
        let mut lists = vec![crate::matcher::builtin_allowlist().unwrap().clone()];
        lists.extend(
            crate::matcher::builtin()
                .unwrap()
                .iter()
                .map(|r| r.allowlist.clone()),
        );
        let entries: Vec<&Arc<Entry>> = lists.iter().flat_map(|l| l.entries.iter()).collect();
        assert!(entries.len() > 20, "only {} entries", entries.len());
        let mut texts: Vec<String> = Vec::new();
        for e in &entries {
            let plain: String = e
                .src
                .chars()
                .filter(|c| !"^$[]()?:|\\".contains(*c))
                .collect();
            texts.push(plain.clone());
            texts.push(format!("x={plain}"));
            texts.push(format!("{plain}Z"));
            texts.push(plain.chars().skip(1).collect());
        }
        let mut rng = Rng::new(7);
        for _ in 0..200 {
            texts.push(rng.string(B62, 24));
        }
        for w in [
            "changeme",
            "MyPassword1",
            "db_password",
            "sk-T3BlbkFJx",
            "$VAR",
            "{x}",
        ] {
            texts.push(w.to_string());
        }
        let mut skipped = 0;
        for e in &entries {
            let re = compile_regex(&e.src).expect("built-in allowlist regexes compile");
            for t in &texts {
                let fresh = Entry::lazy(e.src.clone());
                assert_eq!(
                    fresh.matches(t.as_bytes()),
                    re.is_match(t.as_bytes()),
                    "{:?} on {t:?}",
                    e.src
                );
                skipped += usize::from(fresh.re.get().is_none());
            }
        }
        // And it does skip: most texts never compile most entries.
        assert!(
            skipped > entries.len() * texts.len() / 2,
            "skipped {skipped}"
        );
    }
}
