//! Reports: how findings are shown. Every format prints only masked secrets and
//! fingerprints; the raw value never reaches a writer.

pub mod doctor;
pub mod human;
pub mod inventory;
pub mod json;
pub mod rules;
pub mod sarif;
pub mod settings;

use crate::finding::{Allowed, Finding};
use crate::source::ScanStats;

/// What was scanned, for wording the report and its advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScanKind {
    /// The staged changes of a commit about to be made.
    Staged,
    /// Whole staged files named on the command line (pre-commit framework).
    Files,
    /// Commits about to be pushed.
    Push,
    /// Commits already in history.
    History,
    /// Files and folders on disk (`scan --path`), outside git's history.
    Paths,
    /// Standard input (`scan -`).
    Stdin,
    /// The message of the commit being made (the commit-msg hook).
    Message,
}

/// Everything a report format needs.
pub struct Report<'a> {
    pub kind: ScanKind,
    pub findings: &'a [Finding],
    pub stats: &'a ScanStats,
    /// List allowed findings too, not only count them.
    pub show_allowed: bool,
    /// What the providers said, when `--verify` asked them.
    pub verification: Option<&'a crate::verify::Results>,
}

/// Output format chosen with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    /// `keyguard inventory` only (a report to paste into an issue); refused elsewhere.
    Markdown,
}

impl Report<'_> {
    pub fn reported(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.allowed.is_none())
    }

    pub fn allowed(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.allowed.is_some())
    }

    pub fn count_allowed(&self, why: Allowed) -> usize {
        self.findings
            .iter()
            .filter(|f| f.allowed == Some(why))
            .count()
    }

    /// The provider's answer for `f`, when verification ran.
    pub fn verified(&self, f: &Finding) -> Option<&crate::verify::Verification> {
        self.verification.and_then(|v| v.get(&f.fingerprint))
    }

    pub fn blocking(&self) -> usize {
        self.findings.iter().filter(|f| f.blocks()).count()
    }
}
