//! A rule ready to run: a [`RuleSpec`] (data from `rules/*.toml` or `.keyguard.toml`)
//! compiled into regexes, globs, validators, allowlists and context conditions. Errors
//! in a user's rule are located by file, line and field here, once; built-in rules are
//! checked by the test suite and compiled lazily.

use std::sync::OnceLock;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;

use super::allowlist::{build_secret_allowlist, SecretAllowlist};
use super::pattern::{compile_regex, REGEX_SIZE_LIMIT};
use super::validate::Validator;
use super::window::Reach;
use crate::rules::schema::{RemediationSpec, RuleSpec, Severity};
use crate::rules::{ConfigError, SourceText};

/// Advice printed with a finding.
#[derive(Debug, Clone, Default)]
pub struct Remediation {
    pub revoke_url: Option<String>,
    pub env_var: Option<String>,
    pub steps: Vec<String>,
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
    /// Whether the regex may run only around keyword hits (see `window`): decided on
    /// first use, like the regex.
    reach: OnceLock<Option<Reach>>,
    pub validators: Vec<Validator>,
    pub entropy: Option<f64>,
    pub min_randomness: Option<f64>,
    /// See `RuleSpec::value_gate`.
    pub value_gate: bool,
    /// See `RuleSpec::keywords_match_case`.
    pub keywords_match_case: bool,
    /// See `RuleSpec::owns_values`.
    pub owns_values: bool,
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
    pub secret: Option<LazyRegex>,
    pub near: Option<LazyRegex>,
    pub not_near: Option<LazyRegex>,
    pub file: Option<LazyRegex>,
    pub lines: usize,
}

/// A regex compiled on first use.
///
/// A built-in rule's context conditions run only for a candidate match of that rule, which
/// most scans never have; compiling all of them when the rules were loaded was half the
/// instructions of a typical commit's scan. Custom ones are compiled when the config is
/// loaded ([`LazyRegex::compiled`]), so that a mistake is reported there; built-in ones are
/// checked by the test suite.
#[derive(Debug, Clone)]
pub struct LazyRegex {
    src: String,
    re: OnceLock<Result<Regex, String>>,
}

impl LazyRegex {
    pub fn new(src: &str) -> Self {
        LazyRegex {
            src: src.to_string(),
            re: OnceLock::new(),
        }
    }

    /// Compiled now: the error, if any, is returned here.
    pub fn compiled(src: &str) -> Result<Self, String> {
        let re = compile_regex(src)?;
        Ok(LazyRegex {
            src: src.to_string(),
            re: OnceLock::from(Ok(re)),
        })
    }

    pub fn get(&self) -> Result<&Regex, String> {
        self.re
            .get_or_init(|| compile_regex(&self.src))
            .as_ref()
            .map_err(|e| format!("invalid regex {:?}: {e}", self.src))
    }
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

    /// How far the regex's matches reach from a keyword inside them, when every match has
    /// one (see `window::reach`); `None`: the regex runs over the whole text.
    pub(super) fn window_reach(&self) -> Option<Reach> {
        *self.reach.get_or_init(|| {
            let src = self.regex_src.as_ref()?;
            if self.file_rule {
                return None;
            }
            super::window::reach(src, &self.keywords)
        })
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

/// The config field a rule's error names (`rules[acme].keywords`). It is formatted only
/// when an error is reported: every commit builds the 321 built-in rules, and formatting five
/// names for each was 1,600 allocations for errors that never happen.
#[derive(Clone, Copy)]
struct Field<'a> {
    id: &'a str,
    name: &'static str,
}

impl From<Field<'_>> for String {
    fn from(f: Field<'_>) -> String {
        format!("rules[{}].{}", f.id, f.name)
    }
}

/// Turns one spec into a rule. Custom rules get their regex compiled now, so a bad one is
/// an error naming the rule; built-in ones wait until their keyword is seen.
pub fn compile_rule(
    src: &SourceText,
    spec: &RuleSpec,
    origin: Origin,
) -> Result<Rule, ConfigError> {
    let id = spec.id.get_ref().clone();
    let field = |name| Field { id: &id, name };
    check_shape(src, spec, &id)?;
    let context_allow = context_allow(src, spec, &origin, field("context_allow"))?;
    let verify = verify_check(src, spec, &origin, field("verify"))?;
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
        reach: OnceLock::new(),
        validators: validators(src, spec, field("validators"))?,
        entropy: spec.entropy,
        min_randomness: spec.min_randomness,
        value_gate: spec.value_gate,
        keywords_match_case: spec.keywords_match_case,
        owns_values: spec.owns_values,
        // Built-in globs are checked by the test suite and compiled when first needed;
        // a user's are compiled now so that a bad one is a located error.
        paths: match origin {
            Origin::Builtin => OnceLock::new(),
            Origin::Custom(_) => OnceLock::from(build_globs(
                src,
                &String::from(field("paths")),
                &spec.paths,
            )?),
        },
        path_globs: spec.paths.iter().map(|p| p.get_ref().clone()).collect(),
        file_rule: spec.file_rule,
        severity: spec.severity.unwrap_or_default(),
        remediation: spec
            .remediation
            .as_ref()
            .map(Remediation::from)
            .unwrap_or_default(),
        allowlist: match (&spec.allowlist, &origin) {
            (Some(a), Origin::Builtin) => SecretAllowlist::lazy_from(a),
            (Some(a), Origin::Custom(_)) => {
                build_secret_allowlist(src, &String::from(field("allowlist")), a)?
            }
            (None, _) => SecretAllowlist::default(),
        },
        examples: spec.examples.clone(),
        near_misses: spec.near_misses.clone(),
        origin,
        prefix_boundary: prefix_boundary(src, spec, field("prefix_boundary"))?,
        context_allow,
        verify,
    };
    if let (Origin::Custom(_), Some(r)) = (&rule.origin, &spec.regex) {
        check_custom_regex(src, &rule, r, field("regex"))?;
    }
    Ok(rule)
}

/// What a rule must have whatever else it says: a usable id, a regex (or a file rule
/// with paths), a randomness threshold within range.
fn check_shape(src: &SourceText, spec: &RuleSpec, id: &str) -> Result<(), ConfigError> {
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
    if spec.file_rule && spec.paths.is_empty() {
        return Err(src.error(
            spec.id.span(),
            field("paths"),
            "a `file_rule` needs `paths`",
        ));
    }
    Ok(())
}

/// The provider check `--verify` runs for the rule's matches: built-in rules only, since
/// a repository's config must not choose where keyguard sends a key.
fn verify_check(
    src: &SourceText,
    spec: &RuleSpec,
    origin: &Origin,
    field: Field,
) -> Result<Option<String>, ConfigError> {
    match (&spec.verify, origin) {
        (None, _) => Ok(None),
        (Some(v), Origin::Builtin) => Ok(Some(v.clone())),
        (Some(_), Origin::Custom(_)) => Err(src.error(
            spec.id.span(),
            field,
            "`verify` is for built-in rules only: a repository's config cannot choose where \
             keyguard sends a key (live verification is switched on by the user, with \
             --verify, for the built-in providers)",
        )),
    }
}

/// The rule's validators, by the names a config uses; an unknown one lists the known.
fn validators(
    src: &SourceText,
    spec: &RuleSpec,
    field: Field,
) -> Result<Vec<Validator>, ConfigError> {
    spec.validators
        .iter()
        .map(|v| {
            Validator::from_name(v.get_ref()).ok_or_else(|| {
                src.error(
                    v.span(),
                    field,
                    format!(
                        "unknown validator {:?}; known: {}",
                        v.get_ref(),
                        Validator::names().collect::<Vec<_>>().join(", ")
                    ),
                )
            })
        })
        .collect()
}

impl From<&RemediationSpec> for Remediation {
    fn from(spec: &RemediationSpec) -> Self {
        match spec {
            RemediationSpec::Text(t) => Remediation {
                steps: vec![t.clone()],
                ..Default::default()
            },
            RemediationSpec::Detailed(d) => Remediation {
                revoke_url: d.revoke_url.clone(),
                env_var: d.env_var.clone(),
                steps: d.steps.clone(),
            },
        }
    }
}

fn prefix_boundary(
    src: &SourceText,
    spec: &RuleSpec,
    field: Field,
) -> Result<PrefixBoundary, ConfigError> {
    match spec.prefix_boundary.as_deref() {
        None | Some("base64") => Ok(PrefixBoundary::Base64),
        Some("none") => Ok(PrefixBoundary::None),
        Some(other) => Err(src.error(
            spec.id.span(),
            field,
            format!("unknown prefix_boundary {other:?}: use \"base64\" or \"none\""),
        )),
    }
}

/// A built-in rule's conditions are compiled on first use (see [`LazyRegex`]); a custom
/// rule's now, so that a mistake is an error at its line.
fn context_allow(
    src: &SourceText,
    spec: &RuleSpec,
    origin: &Origin,
    field: Field,
) -> Result<Vec<ContextAllow>, ConfigError> {
    let custom = matches!(origin, Origin::Custom(_));
    spec.context_allow
        .iter()
        .map(|c| {
            let re = |r: &Option<String>| -> Result<Option<LazyRegex>, ConfigError> {
                r.as_deref()
                    .map(|r| {
                        if !custom {
                            return Ok(LazyRegex::new(r));
                        }
                        LazyRegex::compiled(r).map_err(|e| src.error(spec.id.span(), field, e))
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
        .collect()
}

/// A user's regex is compiled now, so that a mistake is an error at its line: too big
/// once compiled, invalid, or matching the empty string (an optional secret).
fn check_custom_regex(
    src: &SourceText,
    rule: &Rule,
    r: &toml::Spanned<String>,
    field: Field,
) -> Result<(), ConfigError> {
    let id = &rule.id;

    match rule.regex() {
        Some(Err(e)) if e.contains("exceeds size limit") => {
            return Err(src.error(
                r.span(),
                field,
                format!(
                    "rule {id}: regex is too large once compiled (limit {} MiB): use \
                     smaller counted repetitions (e.g. `{{32}}`, not `{{1000}}`) or a \
                     narrower class than Unicode `\\w`",
                    REGEX_SIZE_LIMIT >> 20
                ),
            ))
        }
        Some(Err(e)) => return Err(src.error(r.span(), field, e)),
        // A regex that matches the empty string has an optional secret: it is almost
        // always a `*` or `?` where `+` or `{32}` was meant.
        Some(Ok(re)) if re.is_match(b"") => {
            return Err(src.error(
                r.span(),
                field,
                format!(
                    "rule {id}: regex matches the empty string; make the secret part \
                     mandatory (e.g. `+` or `{{32}}`, not `*` or `?`)"
                ),
            ))
        }
        _ => {}
    }
    Ok(())
}
