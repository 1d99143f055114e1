//! `--format json`: one object for scripts.
//!
//! `{"findings":[{"rule_id","description","provider","file","line","column","commit",
//! "secret","fingerprint","severity","also_matched"?}], "allowed":[…], "summary":{…}}`. `secret` is the
//! masked form; `commit` is null for staged scans. `file` is the path itself when it is
//! UTF-8 (control characters are JSON escapes like any other); a byte that is not UTF-8
//! is written `\NNN` in octal, as git quotes it (see `source::path_text`), so two paths
//! never read the same.

use std::io::Write;

use serde::Serialize;

use super::{Report, ScanKind};
use crate::finding::{Allowed, Finding};
use crate::rules::schema::Severity;
use crate::source::{CommitInfo, Location, ScanStats};
use crate::verify::{self, Verification};

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    description: &'a str,
    provider: Option<&'a str>,
    file: &'a str,
    line: u32,
    column: u32,
    commit: Option<&'a CommitInfo>,
    /// Masked: public prefix and at most the last 4 characters.
    secret: &'a str,
    fingerprint: &'a str,
    severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed: Option<Allowed>,
    /// Other rules that reported the same secret at the same place.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    also_matched: &'a [String],
    /// `commit-message` or `tag-message` (then `file` is a label, not a path); absent for files.
    #[serde(skip_serializing_if = "is_file")]
    location: Location,
    /// What the provider said, with `--verify`.
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a Verification>,
}

fn is_file(l: &Location) -> bool {
    *l == Location::File
}

impl<'a> JsonFinding<'a> {
    fn new(f: &'a Finding, report: &'a Report) -> Self {
        JsonFinding {
            rule_id: &f.rule.id,
            description: &f.rule.description,
            provider: f.rule.provider.as_deref(),
            file: &f.file,
            line: f.line,
            column: f.column,
            commit: f.commit.as_deref(),
            secret: &f.masked,
            fingerprint: &f.fingerprint,
            severity: f.severity,
            allowed: f.allowed,
            also_matched: &f.also_matched,
            location: f.location,
            verification: report.verified(f),
        }
    }
}

#[derive(Serialize)]
struct Summary<'a> {
    scan: ScanKind,
    blocking: usize,
    warnings: usize,
    allowed_inline: usize,
    allowed_baseline: usize,
    allowed_fingerprint: usize,
    #[serde(flatten)]
    stats: &'a ScanStats,
    /// With `--verify`: counts over distinct keys, time taken, requests sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<verify::Summary>,
}

#[derive(Serialize)]
struct Doc<'a> {
    findings: Vec<JsonFinding<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed: Option<Vec<JsonFinding<'a>>>,
    summary: Summary<'a>,
}

pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let doc = Doc {
        findings: report
            .reported()
            .map(|f| JsonFinding::new(f, report))
            .collect(),
        allowed: report.show_allowed.then(|| {
            report
                .allowed()
                .map(|f| JsonFinding::new(f, report))
                .collect()
        }),
        summary: Summary {
            scan: report.kind,
            blocking: report.blocking(),
            warnings: report
                .reported()
                .filter(|f| f.severity == Severity::Warn)
                .count(),
            allowed_inline: report.count_allowed(Allowed::Inline),
            allowed_baseline: report.count_allowed(Allowed::Baseline),
            allowed_fingerprint: report.count_allowed(Allowed::Fingerprint),
            stats: report.stats,
            verification: report.verification.map(verify::Results::summary),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
