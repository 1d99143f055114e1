//! Merging a chain of config files (base first) with the built-in catalogue into the
//! [`Settings`] a scan runs with. Each step checks its own fields, so every mistake is
//! reported at its file, line and field: custom rules, then the rule ids that
//! `disable` and `[severity]` name, then `[scan]` and `baseline`, then the allowlists,
//! and last the rules in force.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{GlobSet, GlobSetBuilder};

use super::{Loaded, Settings, BASELINE_FILE};
use crate::matcher::allowlist::build_secret_allowlist;
use crate::matcher::rule::parse_globs;
use crate::matcher::{compile_rule, Origin, Rule, SecretAllowlist};
use crate::rules::schema::{AllowlistSpec, Severity};
use crate::rules::{self, ConfigError, SourceText};
use crate::source::Limits;

/// The whole merge (see the module comment for the order of the steps).
pub(super) fn build(
    builtin: &'static [Arc<Rule>],
    chain: &[Loaded],
    repo_root: Option<&Path>,
) -> Result<Settings, ConfigError> {
    let mut warnings = Vec::new();
    let custom = custom_rules(builtin, chain, &mut warnings)?;
    let known: Vec<&str> = builtin
        .iter()
        .map(|r| r.id.as_str())
        .chain(custom.iter().map(|(r, _)| r.id.as_str()))
        .collect();
    let choices = choices(chain, &known)?;
    let allow = allowlists(chain, &mut warnings)?;
    let rules = rules_in_force(builtin, custom, &choices);
    let baseline = choices.baseline.unwrap_or_else(|| {
        repo_root.map_or_else(|| PathBuf::from(BASELINE_FILE), |r| r.join(BASELINE_FILE))
    });
    Ok(Settings {
        rules,
        allow_paths: allow.paths,
        allow_secrets: allow.secrets,
        allow_fingerprints: allow.fingerprints,
        limits: choices.limits,
        baseline,
        files: chain.iter().map(|l| l.path.clone()).collect(),
        warnings,
        disabled: choices.disabled,
        severity_overrides: choices.severity,
        allow_path_patterns: allow.patterns,
        sources: chain
            .iter()
            .map(|l| (l.name.clone(), l.text.clone()))
            .collect(),
    })
}

/// Every file's `[[rules]]`, compiled, with where each was defined. Ids are unique
/// across the built-ins and the whole chain (a second definition is an error, not an
/// override). A rule without keywords is allowed, with a warning: it is slow.
fn custom_rules(
    builtin: &[Arc<Rule>],
    chain: &[Loaded],
    warnings: &mut Vec<String>,
) -> Result<Vec<(Rule, String)>, ConfigError> {
    let builtin_ids: HashSet<&str> = builtin.iter().map(|r| r.id.as_str()).collect();
    let mut custom: Vec<(Rule, String)> = Vec::new();
    for file in chain {
        let src = file.src();
        for spec in &file.doc.rules {
            let rule = compile_rule(&src, spec, Origin::Custom(file.name.clone()))?;
            let here = site(file, spec.id.span());
            if builtin_ids.contains(rule.id.as_str()) {
                return Err(src.error(
                    spec.id.span(),
                    format!("rules[{}].id", rule.id),
                    format!(
                        "duplicate rule id {:?}: a built-in rule has this id; give yours \
                         another id (to replace the built-in, also `disable` it)",
                        rule.id
                    ),
                ));
            }
            if let Some((_, other)) = custom.iter().find(|(r, _)| r.id == rule.id) {
                let across = if other.starts_with(&format!("{}:", file.name)) {
                    ""
                } else {
                    "; ids must be unique across `extends` files (to replace a base rule, \
                     `disable` it and give yours another id)"
                };
                return Err(src.error(
                    spec.id.span(),
                    format!("rules[{}].id", rule.id),
                    format!(
                        "duplicate rule id {:?}, first defined at {other}{across}",
                        rule.id
                    ),
                ));
            }
            if rule.keywords.is_empty() && !rule.file_rule {
                warnings.push(format!(
                    "{here}: rules[{}].keywords: rule {:?} has no `keywords`, so its regex \
                     runs on every added line, which is slow; add a literal every match \
                     contains (e.g. its prefix)",
                    rule.id, rule.id
                ));
            }
            custom.push((rule, here));
        }
    }
    Ok(custom)
}

/// What the chain decides about the rules and the scan, merged base first: `disable`
/// (a union), `[severity]`, `[scan]` and `baseline` (the extending file wins).
#[derive(Default)]
struct Choices {
    disabled: Vec<String>,
    severity: BTreeMap<String, Severity>,
    limits: Limits,
    baseline: Option<PathBuf>,
}

fn choices(chain: &[Loaded], known: &[&str]) -> Result<Choices, ConfigError> {
    let mut out = Choices::default();
    for file in chain {
        let src = file.src();
        let doc = &file.doc;
        for d in &doc.disable {
            check_id(known, &src, d.span(), "disable", d.get_ref())?;
            if !out.disabled.contains(d.get_ref()) {
                out.disabled.push(d.get_ref().clone());
            }
        }
        for (id, sev) in &doc.severity {
            check_id(known, &src, sev.span(), &format!("severity.{id}"), id)?;
            out.severity.insert(id.clone(), *sev.get_ref());
        }
        if let Some(size) = &doc.scan.max_file_size {
            if size.get_ref().0 == 0 {
                return Err(src.error(
                    size.span(),
                    "scan.max_file_size",
                    "a size of 0 would skip every file; use e.g. \"10MiB\"",
                ));
            }
            out.limits.max_file_size = size.get_ref().0;
        }
        if let Some(b) = &doc.baseline {
            out.baseline = Some(file.path.parent().unwrap_or(Path::new(".")).join(b));
        }
    }
    Ok(out)
}

/// A rule id named by `disable` or `[severity]` must exist (a typo would silently keep
/// a rule on or blocking); the error suggests the closest id.
fn check_id(
    known: &[&str],
    src: &SourceText,
    span: Range<usize>,
    field: &str,
    id: &str,
) -> Result<(), ConfigError> {
    if known.contains(&id) {
        return Ok(());
    }
    let hint = known
        .iter()
        .map(|k| (strsim::jaro_winkler(id, k), *k))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!("; did you mean {k:?}?"))
        .unwrap_or_default();
    Err(src.error(
        span,
        field,
        format!("unknown rule id {id:?}{hint} (`keyguard rules` lists them)"),
    ))
}

/// The `[allowlist]` tables of the whole chain, as one (every list is a union).
struct Allowlists {
    paths: Option<GlobSet>,
    patterns: Vec<String>,
    secrets: SecretAllowlist,
    fingerprints: HashSet<String>,
}

fn allowlists(chain: &[Loaded], warnings: &mut Vec<String>) -> Result<Allowlists, ConfigError> {
    let mut path_globs = GlobSetBuilder::new();
    let mut patterns = Vec::new();
    let mut secrets = SecretAllowlist::default();
    let mut fingerprints = HashSet::new();
    for file in chain {
        let src = file.src();
        let AllowlistSpec {
            paths,
            fingerprints: fps,
            ..
        } = &file.doc.allowlist;
        // Each file's globs are parsed against that file's text, so a bad glob in a base
        // file is reported in the base file; then they all go into one set.
        for p in paths {
            let globs = parse_globs(&src, "allowlist.paths", std::slice::from_ref(p))?;
            let mut one = GlobSetBuilder::new();
            for g in &globs {
                one.add(g.clone());
                path_globs.add(g.clone());
            }
            if one.build().is_ok_and(|set| {
                ["README", "src/main.rs", "a/b/c.txt"]
                    .iter()
                    .all(|f| set.is_match(f))
            }) {
                warnings.push(format!(
                    "{}: allowlist.paths: {:?} matches every file, so nothing will be scanned",
                    site(file, p.span()),
                    p.get_ref()
                ));
            }
            patterns.push(p.get_ref().clone());
        }
        secrets.extend(build_secret_allowlist(
            &src,
            "allowlist",
            &file.doc.allowlist,
        )?);
        for fp in fps {
            if !looks_like_fingerprint(fp.get_ref()) {
                return Err(src.error(
                    fp.span(),
                    "allowlist.fingerprints",
                    format!(
                        "{:?} is not a fingerprint: copy the `fingerprint` of a finding from \
                         the report (`rule-id:hex`, e.g. from `--format json`)",
                        fp.get_ref()
                    ),
                ));
            }
            fingerprints.insert(fp.get_ref().clone());
        }
    }
    let paths = if patterns.is_empty() {
        None
    } else {
        // Every glob already parsed; building the set can only fail on resource limits,
        // which are reported at the first path entry of the last file that has one.
        let located = chain
            .iter()
            .rev()
            .find_map(|f| f.doc.allowlist.paths.first().map(|p| (f, p.span())));
        Some(path_globs.build().map_err(|e| match located {
            Some((f, span)) => f.src().error(span, "allowlist.paths", e.to_string()),
            None => ConfigError {
                file: "config".into(),
                line: 0,
                column: 0,
                field: "allowlist.paths".into(),
                message: e.to_string(),
            },
        })?)
    };
    Ok(Allowlists {
        paths,
        patterns,
        secrets,
        fingerprints,
    })
}

/// Built-in rules not disabled, then custom ones, each with its `[severity]` override.
fn rules_in_force(
    builtin: &'static [Arc<Rule>],
    custom: Vec<(Rule, String)>,
    choices: &Choices,
) -> Vec<Arc<Rule>> {
    let mut rules: Vec<Arc<Rule>> = Vec::new();
    for r in builtin.iter().filter(|r| !choices.disabled.contains(&r.id)) {
        rules.push(match choices.severity.get(&r.id) {
            // Built-ins are shared statics: an override makes a copy of that one rule.
            Some(&s) if s != r.severity => {
                let mut copy = Rule::clone(r);
                copy.severity = s;
                Arc::new(copy)
            }
            _ => Arc::clone(r),
        });
    }
    for (mut r, _) in custom {
        if choices.disabled.contains(&r.id) {
            continue;
        }
        if let Some(&s) = choices.severity.get(&r.id) {
            r.severity = s;
        }
        rules.push(Arc::new(r));
    }
    rules
}

/// `file:line:column` of a span, for messages that point at a second place.
fn site(file: &Loaded, span: Range<usize>) -> String {
    let (line, col) = rules::line_col(&file.text, span.start);
    format!("{}:{line}:{col}", file.name)
}

/// The shape of a fingerprint as reports print it: `rule-id:hex`.
pub(super) fn looks_like_fingerprint(fp: &str) -> bool {
    fp.rsplit_once(':').is_some_and(|(id, hash)| {
        !id.is_empty()
            && hash.len() >= 8
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}
