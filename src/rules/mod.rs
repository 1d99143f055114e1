//! Rules: what a credential looks like, as data.
//!
//! Built-in rules live in `rules/*.toml` at the repository root (embedded at build time
//! by `build.rs`) and use exactly the schema of users' custom rules in `.keyguard.toml`
//! (`schema`). This module turns that data into [`Rule`]s the matcher can run. Regexes of
//! built-in rules are compiled lazily, the first time their keyword shows up, so the
//! cost of a run does not grow with the size of the catalogue.

pub mod check;
pub mod schema;
pub mod template;

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;

use crate::validate::Validator;
use schema::{AllowlistSpec, ConfigDoc, RemediationSpec, RuleSpec, Severity};

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

/// Advice printed with a finding.
#[derive(Debug, Clone, Default)]
pub struct Remediation {
    pub revoke_url: Option<String>,
    pub env_var: Option<String>,
    pub steps: Vec<String>,
}

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

/// Where a rule was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    Custom(String),
}

/// A rule ready to run.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub provider: Option<String>,
    pub keywords: Vec<String>,
    regex_src: Option<String>,
    regex: OnceLock<Result<Regex, String>>,
    pub validators: Vec<Validator>,
    pub entropy: Option<f64>,
    pub min_randomness: Option<f64>,
    /// See `RuleSpec::value_gate`.
    pub value_gate: bool,
    /// See `RuleSpec::keywords_match_case`.
    pub keywords_match_case: bool,
    /// Compiled from `path_globs` on first use (eagerly for custom rules, to validate them).
    paths: OnceLock<Option<GlobSet>>,
    /// The `paths` globs as written (for examples and listings).
    pub path_globs: Vec<String>,
    pub file_rule: bool,
    pub severity: Severity,
    pub remediation: Remediation,
    pub allowlist: SecretAllowlist,
    pub examples: Vec<String>,
    pub near_misses: Vec<String>,
    pub origin: Origin,
    /// See `RuleSpec::prefix_boundary`.
    pub prefix_boundary: PrefixBoundary,
    /// See `RuleSpec::context_allow`.
    pub context_allow: Vec<ContextAllow>,
    /// See `RuleSpec::verify`: the provider check `--verify` runs (built-in rules only).
    pub verify: Option<String>,
}

/// Which characters may touch a token that starts with the rule's fixed prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrefixBoundary {
    /// Not a slice of a longer base64 run (see `matcher::at_token_boundary`).
    #[default]
    Base64,
    /// Only the regex decides.
    None,
}

/// A compiled `[[rules.context_allow]]` entry (see `schema::ContextAllowSpec`).
#[derive(Debug, Clone)]
pub struct ContextAllow {
    pub secret: Option<Regex>,
    pub near: Option<Regex>,
    pub not_near: Option<Regex>,
    pub file: Option<Regex>,
    pub lines: usize,
}

impl Rule {
    /// The compiled regex (compiled on first use). Built-in regexes are checked by the
    /// test suite; custom ones are compiled when the config is loaded.
    pub fn regex(&self) -> Option<Result<&Regex, String>> {
        let src = self.regex_src.as_ref()?;
        let compiled = self.regex.get_or_init(|| compile_regex(src));
        Some(
            compiled
                .as_ref()
                .map_err(|e| format!("rule {}: invalid regex: {e}", self.id)),
        )
    }

    pub fn regex_source(&self) -> Option<&str> {
        self.regex_src.as_deref()
    }

    /// A rule that guesses from the look of a value (`random`, `password` validators or a
    /// `min_randomness`) rather than knowing a format: on overlapping findings, a rule that
    /// knows the format wins.
    pub fn is_heuristic(&self) -> bool {
        self.min_randomness.is_some()
            || self
                .validators
                .iter()
                .any(|v| matches!(v, Validator::Random | Validator::Password))
    }

    pub fn applies_to(&self, path: &str) -> bool {
        self.paths
            .get_or_init(|| glob_set(&self.path_globs))
            .as_ref()
            .is_none_or(|g| g.is_match(path))
    }
}

/// Bound on a compiled regex (and its lazy DFA cache): a user's `\w{1000}{1000}` must
/// become a config error, not minutes of compiling and gigabytes of memory.
const REGEX_SIZE_LIMIT: usize = 32 << 20;

/// Rule regexes run on bytes with ASCII classes (`\w`, `\s`, `\d`, `\b`, `.` and case folding
/// are ASCII-only unless a pattern opts in with `(?u)`). Credentials are ASCII, and Unicode
/// classes made a context rule take ~10 ms to compile instead of 0.2 ms: at every commit
/// that mentions `token`, that was most of the hook's time.
fn compile_regex(src: &str) -> Result<Regex, String> {
    regex::bytes::RegexBuilder::new(src)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

/// Builds globs for `paths` entries, reporting the bad one.
pub fn build_globs(
    src: &SourceText,
    field: &str,
    globs: &[toml::Spanned<String>],
) -> Result<Option<GlobSet>, ConfigError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in parse_globs(src, field, globs)? {
        b.add(g);
    }
    b.build()
        .map(Some)
        .map_err(|e| src.error(globs[0].span(), field, e.to_string()))
}

/// Compiles a built-in rule's globs on first use. They are checked by the test suite; if
/// one were broken anyway, the rule applies everywhere rather than nowhere.
fn glob_set(globs: &[String]) -> Option<GlobSet> {
    let spanned: Vec<toml::Spanned<String>> = globs
        .iter()
        .map(|g| toml::Spanned::new(0..0, g.clone()))
        .collect();
    build_globs(
        &SourceText {
            name: "built-in",
            text: "",
        },
        "paths",
        &spanned,
    )
    .ok()
    .flatten()
}

/// Parses `paths` entries into globs (each error located at its entry), without building
/// a set, so that globs from several files can go into one set.
pub fn parse_globs(
    src: &SourceText,
    field: &str,
    globs: &[toml::Spanned<String>],
) -> Result<Vec<Glob>, ConfigError> {
    let mut out = Vec::with_capacity(globs.len());
    for g in globs {
        let glob = Glob::new(g.get_ref()).map_err(|e| {
            src.error(
                g.span(),
                field,
                format!("invalid glob {:?}: {e}", g.get_ref()),
            )
        })?;
        out.push(glob);
        // `dir/**` should also match `dir` itself being reported as a path prefix; and a bare
        // file name like `.env` should match at any depth, as in .gitignore.
        if !g.get_ref().contains('/') {
            if let Ok(anywhere) = Glob::new(&format!("**/{}", g.get_ref())) {
                out.push(anywhere);
            }
        }
    }
    Ok(out)
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

/// A built-in allowlist: compiled on first use.
fn lazy_secret_allowlist(spec: &AllowlistSpec) -> SecretAllowlist {
    SecretAllowlist::lazy(
        spec.stopwords
            .iter()
            .map(|w| w.get_ref().to_ascii_lowercase())
            .collect(),
        spec.regexes.iter().map(|r| r.get_ref().clone()).collect(),
    )
}

/// Turns one spec into a rule. Custom rules get their regex compiled now, so a bad one is
/// an error naming the rule; built-in ones wait until their keyword is seen.
pub fn compile_rule(
    src: &SourceText,
    spec: &RuleSpec,
    origin: Origin,
) -> Result<Rule, ConfigError> {
    let id = spec.id.get_ref().clone();
    let field = |f: &str| format!("rules[{id}].{f}");
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(src.error(
            spec.id.span(),
            "rules.id",
            format!("invalid rule id {id:?}: use letters, digits, '-', '_' or '.'"),
        ));
    }
    if spec.regex.is_none() && !spec.file_rule {
        return Err(src.error(
            spec.id.span(),
            field("regex"),
            "a rule needs a `regex` (or `file_rule = true` with `paths`)",
        ));
    }
    if let Some(m) = spec.min_randomness {
        if !(0.0..=1.0).contains(&m) {
            return Err(src.error(
                spec.id.span(),
                field("min_randomness"),
                format!("min_randomness {m} is out of range: use a score from 0 to 1, e.g. 0.6"),
            ));
        }
    }
    if let (Some(_), Origin::Custom(_)) = (&spec.verify, &origin) {
        return Err(src.error(
            spec.id.span(),
            field("verify"),
            "`verify` is for built-in rules only: a repository's config cannot choose where \
             keyguard sends a key (live verification is switched on by the user, with \
             --verify, for the built-in providers)",
        ));
    }
    if spec.file_rule && spec.paths.is_empty() {
        return Err(src.error(
            spec.id.span(),
            field("paths"),
            "a `file_rule` needs `paths`",
        ));
    }
    // Checked above: only a built-in rule names a provider check.
    let verify = spec.verify.clone().filter(|_| origin == Origin::Builtin);
    let rule = Rule {
        id: id.clone(),
        description: spec.description.clone(),
        provider: spec.provider.clone(),
        keywords: spec
            .keywords
            .iter()
            .filter(|k| !k.is_empty())
            .cloned()
            .collect(),
        regex_src: spec.regex.as_ref().map(|r| r.get_ref().clone()),
        regex: OnceLock::new(),
        validators: spec
            .validators
            .iter()
            .map(|v| {
                Validator::from_name(v.get_ref()).ok_or_else(|| {
                    src.error(
                        v.span(),
                        field("validators"),
                        format!(
                            "unknown validator {:?}; known: {}",
                            v.get_ref(),
                            Validator::names().collect::<Vec<_>>().join(", ")
                        ),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        entropy: spec.entropy,
        min_randomness: spec.min_randomness,
        value_gate: spec.value_gate,
        keywords_match_case: spec.keywords_match_case,
        // Built-in globs are checked by the test suite and compiled when first needed;
        // a user's are compiled now so that a bad one is a located error.
        paths: match origin {
            Origin::Builtin => OnceLock::new(),
            Origin::Custom(_) => OnceLock::from(build_globs(src, &field("paths"), &spec.paths)?),
        },
        path_globs: spec.paths.iter().map(|p| p.get_ref().clone()).collect(),
        file_rule: spec.file_rule,
        severity: spec.severity.unwrap_or_default(),
        remediation: match &spec.remediation {
            None => Remediation::default(),
            Some(RemediationSpec::Text(t)) => Remediation {
                steps: vec![t.clone()],
                ..Default::default()
            },
            Some(RemediationSpec::Detailed(d)) => Remediation {
                revoke_url: d.revoke_url.clone(),
                env_var: d.env_var.clone(),
                steps: d.steps.clone(),
            },
        },
        allowlist: match (&spec.allowlist, &origin) {
            (Some(a), Origin::Builtin) => lazy_secret_allowlist(a),
            (Some(a), Origin::Custom(_)) => build_secret_allowlist(src, &field("allowlist"), a)?,
            (None, _) => SecretAllowlist::default(),
        },
        examples: spec.examples.clone(),
        near_misses: spec.near_misses.clone(),
        origin,
        prefix_boundary: match spec.prefix_boundary.as_deref() {
            None | Some("base64") => PrefixBoundary::Base64,
            Some("none") => PrefixBoundary::None,
            Some(other) => {
                return Err(src.error(
                    spec.id.span(),
                    field("prefix_boundary"),
                    format!("unknown prefix_boundary {other:?}: use \"base64\" or \"none\""),
                ))
            }
        },
        context_allow: spec
            .context_allow
            .iter()
            .map(|c| {
                let re = |r: &Option<String>| -> Result<Option<Regex>, ConfigError> {
                    r.as_deref()
                        .map(|r| {
                            compile_regex(r)
                                .map_err(|e| src.error(spec.id.span(), field("context_allow"), e))
                        })
                        .transpose()
                };
                Ok(ContextAllow {
                    secret: re(&c.secret)?,
                    near: re(&c.near)?,
                    not_near: re(&c.not_near)?,
                    file: re(&c.file)?,
                    lines: c.lines.unwrap_or(3) as usize,
                })
            })
            .collect::<Result<_, ConfigError>>()?,
        verify,
    };
    if let (Origin::Custom(_), Some(r)) = (&rule.origin, &spec.regex) {
        match rule.regex() {
            Some(Err(e)) if e.contains("exceeds size limit") => {
                return Err(src.error(
                    r.span(),
                    field("regex"),
                    format!(
                        "rule {id}: regex is too large once compiled (limit {} MiB): use \
                         smaller counted repetitions (e.g. `{{32}}`, not `{{1000}}`) or a \
                         narrower class than Unicode `\\w`",
                        REGEX_SIZE_LIMIT >> 20
                    ),
                ))
            }
            Some(Err(e)) => return Err(src.error(r.span(), field("regex"), e)),
            // A regex that matches the empty string has an optional secret: it is almost
            // always a `*` or `?` where `+` or `{32}` was meant.
            Some(Ok(re)) if re.is_match(b"") => {
                return Err(src.error(
                    r.span(),
                    field("regex"),
                    format!(
                        "rule {id}: regex matches the empty string; make the secret part \
                         mandatory (e.g. `+` or `{{32}}`, not `*` or `?`)"
                    ),
                ))
            }
            _ => {}
        }
    }
    Ok(rule)
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

/// The built-in catalogue, compiled once per process from the specs `build.rs` parsed.
pub fn builtin() -> Result<&'static [Arc<Rule>], ConfigError> {
    static RULES: OnceLock<Result<Vec<Arc<Rule>>, ConfigError>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            generated::builtin_specs()
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
        .get_or_init(|| Ok(lazy_secret_allowlist(&generated::builtin_allow_spec())))
        .as_ref()
        .map_err(Clone::clone)
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
}
