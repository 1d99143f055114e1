//! The settings a scan runs with, merged and validated; and the check of custom rules
//! against their own examples, located in the file that defines them.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use globset::GlobSet;

use crate::matcher::{examples, template, Matcher, Origin, Rule, SecretAllowlist};
use crate::rules::schema::Severity;
use crate::rules::{ConfigError, SourceText};
use crate::source::Limits;

/// The default config file name, at the repository root.
pub const CONFIG_FILE: &str = ".keyguard.toml";
/// The default baseline file name, at the repository root.
pub const BASELINE_FILE: &str = ".keyguard-baseline";

/// Everything the scan needs from configuration, merged and validated.
pub struct Settings {
    pub rules: Vec<Arc<Rule>>,
    pub allow_paths: Option<GlobSet>,
    pub allow_secrets: SecretAllowlist,
    pub allow_fingerprints: HashSet<String>,
    pub limits: Limits,
    /// Baseline path (relative paths are relative to the repository root).
    pub baseline: PathBuf,
    /// Config files read, outermost first.
    pub files: Vec<PathBuf>,
    /// Non-fatal remarks (e.g. a custom rule without keywords).
    pub warnings: Vec<String>,
    /// Built-in rule ids turned off.
    pub disabled: Vec<String>,
    /// `[severity]` entries in force, after merging.
    pub severity_overrides: BTreeMap<String, Severity>,
    /// `[allowlist] paths` as written, across all files.
    pub allow_path_patterns: Vec<String>,
    /// Each config file's name and text, kept to locate problems found after loading
    /// (a custom rule's examples).
    pub(super) sources: Vec<(String, String)>,
}

/// Checks every custom rule against its own `examples` (each must be reported by that
/// rule) and `near_misses` (none may be); returns one located error per failure.
pub fn check_custom_rules(
    settings: &Settings,
    matcher: &Matcher,
) -> anyhow::Result<Vec<ConfigError>> {
    // Fixed seed: the same config gives the same verdict on every run.
    let mut rng = template::Rng::new(0x6b67);
    let mut errors = Vec::new();
    for rule in &settings.rules {
        let Origin::Custom(file) = &rule.origin else {
            continue;
        };
        for failure in examples::check_examples(matcher, rule, &mut rng)? {
            errors.push(locate_rule_entry(
                settings,
                file,
                &rule.id,
                failure.list,
                failure.index,
                failure.message,
            ));
        }
    }
    Ok(errors)
}

/// An error at entry `index` of `rules[id].key` in config file `file`.
fn locate_rule_entry(
    settings: &Settings,
    file: &str,
    id: &str,
    key: &str,
    index: usize,
    message: String,
) -> ConfigError {
    let field = format!("rules[{id}].{key}");
    let Some((name, text)) = settings.sources.iter().find(|(n, _)| n == file) else {
        return ConfigError {
            file: file.to_string(),
            line: 0,
            column: 0,
            field,
            message,
        };
    };
    let span = rule_entry_span(text, id, key, index).unwrap_or(0..0);
    SourceText { name, text }.error(span, field, message)
}

/// Span of `rules[id].key[index]` (or of `key`, or of the rule) in a config text.
fn rule_entry_span(text: &str, id: &str, key: &str, index: usize) -> Option<Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let (tree, _) = DeTable::parse_recoverable(text);
    let get = |t: &DeTable<'_>, k: &str| -> Option<(Range<usize>, Range<usize>)> {
        t.iter()
            .find(|(key, _)| key.get_ref() == k)
            .map(|(key, v)| (key.span(), v.span()))
    };
    let rules = tree
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref() == "rules")
        .map(|(_, v)| v)?;
    let DeValue::Array(items) = rules.get_ref() else {
        return None;
    };
    for item in items.iter() {
        let DeValue::Table(t) = item.get_ref() else {
            continue;
        };
        let Some((_, id_span)) = get(t, "id") else {
            continue;
        };
        let is_it = t
            .iter()
            .find(|(k, _)| k.get_ref() == "id")
            .and_then(|(_, v)| v.get_ref().as_str())
            == Some(id);
        if !is_it {
            continue;
        }
        let entry = t
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .and_then(|(_, v)| match v.get_ref() {
                DeValue::Array(a) => a.get(index).map(|e| e.span()),
                _ => None,
            });
        return entry
            .or_else(|| get(t, key).map(|(k, _)| k))
            .or(Some(id_span));
    }
    None
}
