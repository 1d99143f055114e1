//! The on-disk rule format, shared by the built-in catalogue and users' `.keyguard.toml`.
//!
//! One schema, one parser: a built-in rule file is just a `.keyguard.toml` that holds
//! nothing but `[[rules]]` (and possibly an `[allowlist]`). Everything here is plain
//! data deserialized with serde; turning it into something that can match lives in
//! [`crate::rules::compile`].

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A whole configuration document (`.keyguard.toml` or a built-in rule file).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigDoc {
    /// Another config file merged *under* this one (relative to this file).
    pub extends: Option<Spanned<String>>,
    /// Built-in rule ids to turn off.
    #[serde(default)]
    pub disable: Vec<Spanned<String>>,
    #[serde(default)]
    pub scan: ScanSpec,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    #[serde(default)]
    pub allowlist: AllowlistSpec,
    /// Per-rule severity override, e.g. `generic-secret = "warn"`.
    #[serde(default)]
    pub severity: BTreeMap<String, Spanned<Severity>>,
    /// Where the baseline file lives (default `.keyguard-baseline`).
    pub baseline: Option<String>,
}

/// `[scan]`: limits of what is read.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSpec {
    /// `"10MiB"`, `"512KiB"`, or a plain number of bytes.
    pub max_file_size: Option<Spanned<ByteSize>>,
}

/// A size written either as a number of bytes or as a string with a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(ByteSize(n)),
            Raw::Str(s) => parse_byte_size(&s)
                .map(ByteSize)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Parses `10MiB`, `10 MB`, `512k`, `1048576`.
pub fn parse_byte_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?}: expected e.g. \"10MiB\""))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => {
            return Err(format!(
                "invalid size unit {other:?} in {s:?}: use B, KiB, MiB or GiB"
            ))
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size {s:?} is too large"))
}

/// Whether a finding blocks the commit or is only printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Block,
    Warn,
}

/// One `[[rules]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: Spanned<String>,
    pub description: String,
    pub provider: Option<String>,
    /// Literal strings (case-insensitive) of which at least one must occur in the text
    /// before the regex is tried: the prefilter that keeps hundreds of rules cheap.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The pattern. The secret is the named group `secret`, else group 1, else the match.
    pub regex: Option<Spanned<String>>,
    /// Named checks run on the secret after the regex matched (checksums, structure).
    #[serde(default)]
    pub validators: Vec<Spanned<String>>,
    /// Minimum Shannon entropy (bits per character) of the secret.
    pub entropy: Option<f64>,
    /// Only files whose repo-relative path matches one of these globs.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// A rule about a file's *name* (e.g. a staged `.env`): reported once per file.
    #[serde(default)]
    pub file_rule: bool,
    pub severity: Option<Severity>,
    pub remediation: Option<RemediationSpec>,
    /// Text that must be reported by this rule (templates, see `rules::template`).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Near-misses that must not be reported by this rule.
    #[serde(default)]
    pub near_misses: Vec<String>,
    /// Rule-local allowlist (stopwords and regexes matched against the secret).
    pub allowlist: Option<AllowlistSpec>,
}

/// Remediation: either a single sentence or structured advice.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RemediationSpec {
    Text(String),
    Detailed(RemediationDetail),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemediationDetail {
    /// The provider's page where the key is revoked or rotated.
    pub revoke_url: Option<String>,
    /// The environment variable the provider's SDKs read.
    pub env_var: Option<String>,
    /// Provider-specific steps, one sentence each.
    #[serde(default)]
    pub steps: Vec<String>,
}

/// `[allowlist]`: what is never reported.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Matched against the secret.
    #[serde(default)]
    pub regexes: Vec<Spanned<String>>,
    /// Case-insensitive substrings of the secret.
    #[serde(default)]
    pub stopwords: Vec<String>,
    #[serde(default)]
    pub fingerprints: Vec<String>,
}
