//! The built-in catalogue, compiled: every rule of `rules/*.toml` as a [`Rule`], and the
//! built-in global allowlist. Compiled once per process; each rule's regex waits until
//! its keyword shows up, so a run's cost does not grow with the catalogue.

use std::sync::{Arc, OnceLock};

use super::allowlist::SecretAllowlist;
use super::rule::{compile_rule, Origin, Rule};
use crate::rules::{self, ConfigError, SourceText};

/// The built-in catalogue, compiled once per process from the specs `build.rs` parsed.
pub fn builtin() -> Result<&'static [Arc<Rule>], ConfigError> {
    static RULES: OnceLock<Result<Vec<Arc<Rule>>, ConfigError>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            rules::builtin_specs()
                .into_iter()
                .map(|(name, mut spec)| {
                    let src = SourceText { name, text: "" };
                    // Move the (many, long) examples across instead of copying them: this
                    // runs at every hook start.
                    let examples = std::mem::take(&mut spec.examples);
                    let near_misses = std::mem::take(&mut spec.near_misses);
                    let mut rule = compile_rule(&src, &spec, Origin::Builtin)?;
                    rule.examples = examples;
                    rule.near_misses = near_misses;
                    Ok(Arc::new(rule))
                })
                .collect()
        })
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The built-in global allowlist (vendors' published example values and the like),
/// from `[allowlist]` tables in the built-in rule files.
pub fn builtin_allowlist() -> Result<&'static SecretAllowlist, ConfigError> {
    static ALLOW: OnceLock<Result<SecretAllowlist, ConfigError>> = OnceLock::new();
    ALLOW
        .get_or_init(|| Ok(SecretAllowlist::lazy_from(&rules::builtin_allow_spec())))
        .as_ref()
        .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_loads() {
        let rules = builtin().expect("built-in rules parse");
        assert!(!rules.is_empty());
        let mut ids: Vec<_> = rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "duplicate built-in rule ids");
    }

    /// Context regexes are compiled on first use: every built-in one must compile.
    #[test]
    fn builtin_context_regexes_compile() {
        for rule in builtin().expect("built-in rules parse") {
            for c in &rule.context_allow {
                for r in [&c.secret, &c.near, &c.not_near, &c.file]
                    .into_iter()
                    .flatten()
                {
                    if let Err(e) = r.get() {
                        panic!("rule {}: {e}", rule.id);
                    }
                }
            }
        }
    }
}
