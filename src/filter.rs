//! Filters: the user's decisions about what not to report.
//!
//! Path and secret allowlists drop a candidate outright (the user said "this is not a
//! secret"). Inline markers, allowlisted fingerprints and the baseline keep the finding
//! but mark it allowed, so summaries can count them and `--show-allowed` can list them:
//! an allow marker must stay visible in code review.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result};

use crate::config::Settings;
use crate::finding::{fingerprint, mask, Allowed, Finding, Secret};
use crate::matcher::Candidate;
use crate::source::ScanUnit;

/// Fingerprints accepted by a baseline file.
#[derive(Debug, Default)]
pub struct Baseline {
    pub fingerprints: HashSet<String>,
}

impl Baseline {
    /// Reads a baseline: one fingerprint per line, `#` comments and blank lines ignored.
    /// A missing file is an empty baseline.
    pub fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Baseline::default()),
            Err(e) => {
                return Err(e).with_context(|| format!("reading baseline {}", path.display()))
            }
        };
        let fingerprints = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        Ok(Baseline { fingerprints })
    }
}

/// Applies every filter to one unit's candidates.
pub fn apply(
    unit: &ScanUnit,
    candidates: Vec<Candidate>,
    settings: &Settings,
    baseline: &Baseline,
) -> Vec<Finding> {
    if settings
        .allow_paths
        .as_ref()
        .is_some_and(|g| g.is_match(&unit.path))
    {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(candidates.len());
    for c in candidates {
        if !c.rule.file_rule && settings.allow_secrets.allows(&c.secret) {
            continue;
        }
        let (line, column, _) = unit.locate(c.start);
        let fp = fingerprint(&c.rule.id, &c.secret);
        let allowed = if unit.is_allowed_line(line) {
            Some(Allowed::Inline)
        } else if settings.allow_fingerprints.contains(&fp) {
            Some(Allowed::Fingerprint)
        } else if baseline.fingerprints.contains(&fp) {
            Some(Allowed::Baseline)
        } else {
            None
        };
        let masked = if c.rule.file_rule {
            c.secret.clone()
        } else {
            mask(&c.secret, &c.rule.keywords)
        };
        out.push(Finding {
            severity: c.rule.severity,
            rule: c.rule,
            file: unit.path.clone(),
            line,
            column,
            commit: unit.commit.clone(),
            secret: Secret::new(c.secret),
            masked,
            fingerprint: fp,
            allowed,
        });
    }
    out
}
