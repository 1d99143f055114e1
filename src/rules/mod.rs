//! Rules as data: what a credential looks like, before anything is compiled.
//!
//! Built-in rules live in `rules/*.toml` at the repository root (parsed at build time by
//! `build.rs` and embedded) and use exactly the schema of users' custom rules in
//! `.keyguard.toml` ([`schema`]). This module owns that schema, the one parser for it
//! ([`parse_doc`], with errors located by file, line and field) and the built-in specs.
//! Turning a spec into something that runs is the matcher's job (`matcher::rule`).

pub mod schema;

use std::ops::Range;

use schema::{AllowlistSpec, ConfigDoc, RuleSpec};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// A mistake in a rule or config file, located for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The field (or rule id and field) at fault, e.g. `rules[acme-key].regex`.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Line 0 means "no position" (the file itself could not be read).
        if self.line == 0 {
            return write!(f, "{}: {}: {}", self.file, self.field, self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, self.field, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// Line and column (1-based, in characters) of a byte offset in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Where a set of specs came from, for error messages.
pub struct SourceText<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl SourceText<'_> {
    pub fn error(
        &self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = line_col(self.text, span.start);
        ConfigError {
            file: self.name.to_string(),
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Parses a TOML document into the shared schema, with a located error naming the field
/// (`rules[acme].keywords`, `scan.max_file_size`), not just the TOML crate's message.
pub fn parse_doc(src: &SourceText) -> Result<ConfigDoc, ConfigError> {
    toml::from_str::<ConfigDoc>(src.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let raw = e.message().trim().to_string();
        let (tree, syntax_errors) = toml::de::DeTable::parse_recoverable(src.text);
        let at = field_in(tree.get_ref(), span.start);
        let field = match missing_field_name(&raw) {
            // serde points a missing field at its table: name the field inside it.
            Some(missing) => match at {
                Some(table) => format!("{table}.{missing}"),
                None => missing,
            },
            None => at
                .or_else(|| field_on_line(src.text, span.start))
                .unwrap_or_else(|| "toml".to_string()),
        };
        let mut message = if syntax_errors.is_empty() {
            friendly_type_names(&raw)
        } else {
            format!("invalid TOML: {raw}")
        };
        if let Some(hint) = did_you_mean(&raw) {
            message = format!("{message}; did you mean `{hint}`?");
        }
        src.error(span, field, message)
    })
}

/// serde speaks of sequences, maps and f64; a config author writes arrays, tables and
/// numbers.
fn friendly_type_names(message: &str) -> String {
    message
        .replace("expected a sequence", "expected an array, e.g. [\"...\"]")
        .replace("expected a map", "expected a table")
        .replace("expected f64", "expected a number")
        .replace("expected u64", "expected a whole number")
        .replace("expected a boolean", "expected true or false")
}

fn missing_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// The field at byte `offset` of a parsed TOML document, as a path: `scan.max_file_size`,
/// `rules[acme].keywords` (an array-of-tables entry is named by its `id`, else `#n`),
/// `severity.generic-secret`. The most specific key or value around the offset wins.
fn field_in(table: &toml::de::DeTable, offset: usize) -> Option<String> {
    // (strictly inside, span length, path): strictly inside beats touching the end
    // (errors at the end of an unclosed array), then the shortest span wins.
    let mut best: Option<(bool, usize, String)> = None;
    visit_table(table, "", offset, &mut best);
    best.map(|(_, _, p)| p)
}

type Best = Option<(bool, usize, String)>;

fn consider(span: Range<usize>, offset: usize, path: &str, best: &mut Best) {
    let strict = span.start <= offset && offset < span.end;
    let touching = offset == span.end;
    if !(strict || touching) || path.is_empty() {
        return;
    }
    let better = match best {
        None => true,
        // On a tie the later (deeper) one wins: an array-of-tables entry shares its
        // header span with the array.
        Some((s, len, _)) => {
            (strict, std::cmp::Reverse(span.len())) >= (*s, std::cmp::Reverse(*len))
        }
    };
    if better {
        *best = Some((strict, span.len(), path.to_string()));
    }
}

fn visit_table(table: &toml::de::DeTable, prefix: &str, offset: usize, best: &mut Best) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        consider(key.span(), offset, &path, best);
        visit_value(value, &path, offset, best);
    }
}

fn visit_value(
    value: &toml::Spanned<toml::de::DeValue>,
    path: &str,
    offset: usize,
    best: &mut Best,
) {
    consider(value.span(), offset, path, best);
    match value.get_ref() {
        toml::de::DeValue::Table(t) => visit_table(t, path, offset, best),
        toml::de::DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                match item.get_ref() {
                    toml::de::DeValue::Table(t) => {
                        let id = t
                            .iter()
                            .find(|(k, _)| k.get_ref() == "id")
                            .and_then(|(_, v)| v.get_ref().as_str().map(str::to_string))
                            .unwrap_or_else(|| format!("#{}", i + 1));
                        let item_path = format!("{path}[{id}]");
                        consider(item.span(), offset, &item_path, best);
                        visit_table(t, &item_path, offset, best);
                    }
                    // Entries of a plain array are named by the array; the column says which.
                    _ => visit_value(item, path, offset, best),
                }
            }
        }
        _ => {}
    }
}

/// For text too broken to parse: `key` of `key = …` on the offset's line, under the
/// nearest `[table]` header above it.
fn field_on_line(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let header = before[..line_start].lines().rev().find_map(|l| {
        let l = l.trim();
        l.starts_with('[')
            .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_string())
    });
    let trimmed = line.trim();
    if trimmed.starts_with('[') {
        return Some(
            trimmed
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string(),
        );
    }
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"'))?;
    if key.is_empty() {
        return header;
    }
    Some(match header {
        Some(h) => format!("{h}.{key}"),
        None => key.to_string(),
    })
}

fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" messages: the closest name.
fn did_you_mean(message: &str) -> Option<String> {
    let unknown = unknown_field_name(message)?;
    let expected = message.split("expected").nth(1)?;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|cand| (strsim::jaro_winkler(&unknown, cand), cand))
        .filter(|(score, _)| *score > 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// The built-in rule specs with the name of the file each comes from, in catalogue order.
pub fn builtin_specs() -> Vec<(&'static str, RuleSpec)> {
    generated::builtin_specs()
}

/// The built-in global allowlist's spec (the `[allowlist]` tables of the rule files).
pub fn builtin_allow_spec() -> AllowlistSpec {
    generated::builtin_allow_spec()
}

/// Code written by `build.rs`: the built-in rule specs, parsed at build time.
mod generated {
    use super::schema::{
        AllowlistSpec, ContextAllowSpec, RemediationDetail, RemediationSpec, RuleSpec, Severity,
    };
    use toml::Spanned;

    include!(concat!(env!("OUT_DIR"), "/builtin_specs.rs"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn did_you_mean_picks_closest() {
        let m = "unknown field `stopword`, expected one of `paths`, `regexes`, `stopwords`, `fingerprints`";
        assert_eq!(did_you_mean(m).as_deref(), Some("stopwords"));
    }

    #[test]
    fn build_time_specs_equal_the_runtime_parse() {
        // build.rs parses rules/*.toml ahead of time; users' files go through parse_doc.
        // Both must read the built-in files identically: one format, one meaning.
        let generated = generated::builtin_specs();
        let mut at = 0;
        for (name, text) in BUILTIN_RULE_FILES {
            let doc = parse_doc(&SourceText { name, text }).unwrap_or_else(|e| panic!("{e}"));
            for spec in doc.rules {
                let (gen_name, gen_spec) = &generated[at];
                assert_eq!((gen_name, gen_spec), (name, &spec), "rule #{at} differs");
                at += 1;
            }
        }
        assert_eq!(at, generated.len());
    }
}
