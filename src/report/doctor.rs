//! What `keyguard doctor` found (the checks themselves are `app::doctor`'s), as JSON or
//! for a human.

use std::io::Write;

use serde::Serialize;

use super::human::{clean, quote_path};
use super::Format;
use crate::finding::Finding;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    Warning,
    Problem,
}

/// A key a check found (masked, with its fingerprint).
#[derive(Debug, Serialize)]
pub struct Exposed {
    pub file: String,
    pub line: u32,
    pub rule_id: String,
    pub secret: String,
    pub fingerprint: String,
    /// `stash@{N}` for keys in the stash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stash: Option<String>,
}

/// One check's verdict.
#[derive(Debug, Serialize)]
pub struct Check {
    pub check: String,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Exposed>,
}

impl Check {
    /// A check without findings.
    pub fn new(check: &str, status: Status, message: String, fix: Option<String>) -> Check {
        Check {
            check: check.to_string(),
            status,
            message,
            fix,
            findings: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Diagnosis {
    pub repository: String,
    /// The pre-commit hook git will run scans with keyguard.
    pub protected: bool,
    /// A key sits in an untracked file or in the stash.
    pub exposed: bool,
    pub checks: Vec<Check>,
}

impl Exposed {
    /// A blocking finding, masked; `stash` names the stash entry it is in.
    pub fn of(f: &Finding, stash: Option<String>) -> Exposed {
        Exposed {
            file: f.file.clone(),
            line: f.line,
            rule_id: f.rule.id.clone(),
            secret: f.masked.clone(),
            fingerprint: f.fingerprint.clone(),
            stash,
        }
    }
}

pub fn write(d: &Diagnosis, format: Format, out: &mut impl Write) -> std::io::Result<()> {
    match format {
        // A diagnosis has no SARIF form: SARIF readers get JSON, as for `rules`.
        Format::Json | Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, d)?;
            writeln!(out)
        }
        // Markdown is refused before any command but `inventory` runs (see `app::run`).
        Format::Human | Format::Markdown => write_human(d, out),
    }
}

/// The human report. Paths and texts from the repository are escaped as in every human
/// report (a file name cannot clear the screen or forge a line).
fn write_human(d: &Diagnosis, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "keyguard doctor: {}", clean(&d.repository))?;
    for c in &d.checks {
        let tag = match c.status {
            Status::Ok => "[ok]     ",
            Status::Warning => "[warning]",
            Status::Problem => "[PROBLEM]",
        };
        writeln!(out, "  {tag} {}: {}", c.check, clean(&c.message))?;
        for f in &c.findings {
            let at = f
                .stash
                .as_deref()
                .map(|s| format!(" in {s}"))
                .unwrap_or_default();
            writeln!(
                out,
                "              {}:{}{at}  {}  {}  {}",
                quote_path(&f.file),
                f.line,
                f.rule_id,
                clean(&f.secret),
                f.fingerprint
            )?;
        }
        if let Some(fix) = &c.fix {
            writeln!(out, "              fix: {}", clean(fix))?;
        }
    }
    let verdict = match (d.protected, d.exposed) {
        (true, false) => "protected, nothing exposed",
        (true, true) => "protected, but keys are exposed (above)",
        (false, false) => "NOT protected: commits are not scanned",
        (false, true) => "NOT protected, and keys are exposed (above)",
    };
    writeln!(out, "keyguard doctor: {verdict}")
}
