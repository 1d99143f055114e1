//! Findings: a secret the matcher found, placed (file, line, column, commit) and judged by
//! the filters (allowed or not), as every report format reads it. The secret itself is a
//! [`Secret`], shown only masked or hashed (see `matcher::secret`).

use std::sync::Arc;

use crate::matcher::{Rule, Secret};
use crate::rules::schema::Severity;
use crate::source::CommitInfo;

/// Why a finding that was found is not reported as blocking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Allowed {
    /// `keyguard:allow` on the line, or `keyguard:allow-next-line` above it.
    Inline,
    /// Its fingerprint is in the baseline file.
    Baseline,
    /// Its fingerprint is in `[allowlist] fingerprints`.
    Fingerprint,
}

/// One credential found in the scanned text.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: Arc<Rule>,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub commit: Option<Arc<CommitInfo>>,
    pub secret: Secret,
    pub masked: String,
    pub fingerprint: String,
    pub severity: Severity,
    pub allowed: Option<Allowed>,
    /// Other rules that reported the same secret at the same place (a path rule and a
    /// content rule on one private key file): named, not reported a second time.
    pub also_matched: Vec<String>,
}

impl Finding {
    pub fn blocks(&self) -> bool {
        self.allowed.is_none() && self.severity == Severity::Block
    }
}
