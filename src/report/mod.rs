//! Reports: how findings are shown. Every format prints only masked secrets and
//! fingerprints; the raw value never reaches a writer.

pub mod human;
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
}

/// Everything a report format needs.
pub struct Report<'a> {
    pub kind: ScanKind,
    pub findings: &'a [Finding],
    pub stats: &'a ScanStats,
    /// List allowed findings too, not only count them.
    pub show_allowed: bool,
}

/// Output format chosen with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
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

    pub fn blocking(&self) -> usize {
        self.findings.iter().filter(|f| f.blocks()).count()
    }
}
