//! The on-disk rule format, shared by the built-in catalogue and users' `.keyguard.toml`.
//!
//! One schema, one parser: a built-in rule file is just a `.keyguard.toml` that holds
//! nothing but `[[rules]]` (and possibly an `[allowlist]`). Everything here is plain
//! data deserialized with serde; turning it into something that can match lives in
//! `crate::matcher::rule`.

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
        // A visitor rather than an untagged enum, so a wrong value gets a message that says
        // what is expected instead of "data did not match any variant".
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a size such as \"10MiB\" or a number of bytes")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(n))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<ByteSize, E> {
                u64::try_from(n)
                    .map(ByteSize)
                    .map_err(|_| E::custom(format!("invalid size {n}: a size cannot be negative")))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<ByteSize, E> {
                parse_byte_size(s).map(ByteSize).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Block,
    Warn,
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // By hand: the derived enum lets TOML answer a number with "wanted string or table".
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Severity;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"block\" or \"warn\"")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Severity, E> {
                match s {
                    "block" => Ok(Severity::Block),
                    "warn" => Ok(Severity::Warn),
                    other => Err(E::custom(format!(
                        "unknown severity {other:?}, expected \"block\" or \"warn\""
                    ))),
                }
            }
        }
        d.deserialize_str(V)
    }
}

/// One `[[rules]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
    /// When the regex names a `secret` group, a match in which it did not take part is not
    /// reported: that is how an alternative listed first excludes documentation values.
    pub regex: Option<Spanned<String>>,
    /// Named checks run on the secret after the regex matched (checksums, structure).
    #[serde(default)]
    pub validators: Vec<Spanned<String>>,
    /// Minimum Shannon entropy (bits per character) of the secret.
    pub entropy: Option<f64>,
    /// Minimum randomness score (0 to 1, see `randomness::score`) of the secret: how likely
    /// a generator produced it. With the `random` validator it replaces that validator's
    /// default threshold (0.5).
    pub min_randomness: Option<f64>,
    /// The regex's `secret` is a whole run of value characters (anything but whitespace,
    /// quotes and ``,;&|<>(){}[]\``) ending at a delimiter other than an opening bracket.
    /// Then, before compiling the regex, the matcher checks that the text holds such a run
    /// (or a tail of one after punctuation) that passes the rule's validators, and skips
    /// the rule when none does. For big heuristic regexes (generic secrets), whose
    /// keywords occur in nearly every commit and whose compilation costs milliseconds.
    #[serde(default)]
    pub value_gate: bool,
    /// The keywords only count in the case written (`PUBLIC_` but not `public_`): the
    /// prefilter is case-insensitive, and this rule's regex would be compiled and run on
    /// every text that merely says `public_`.
    #[serde(default)]
    pub keywords_match_case: bool,
    /// A value that starts with one of this rule's keywords (its fixed token prefix) is of
    /// this rule's format, and only this rule judges it: heuristic rules (generic secrets
    /// and passwords) leave it alone. A real token is reported here; a made-up example
    /// that fails this rule's checksum (`ghp_` + 36 characters with a wrong CRC, a
    /// truncated PyPI macaroon) is reported by nothing.
    #[serde(default)]
    pub owns_values: bool,
    /// Only files whose repo-relative path matches one of these globs.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// A rule about a file's *name* (e.g. a staged `.env`): reported once per file.
    #[serde(default)]
    pub file_rule: bool,
    pub severity: Option<Severity>,
    pub remediation: Option<RemediationSpec>,
    /// Text that must be reported by this rule (templates, see `matcher::template`).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Near-misses that must not be reported by this rule.
    #[serde(default)]
    pub near_misses: Vec<String>,
    /// Rule-local allowlist (stopwords and regexes matched against the secret).
    pub allowlist: Option<AllowlistSpec>,
    /// For a match that starts with one of the rule's keywords (a token with a fixed
    /// prefix): `"base64"` (the default) drops it when it is a slice of a longer base64 run
    /// (16 or more letters, digits or `+` touching it, or long segments of them between
    /// `/`s, as in an embedded image; see `matcher::context`); `"none"`: only the regex
    /// decides.
    pub prefix_boundary: Option<String>,
    /// Contexts in which a match is not a credential (a cited RFC test vector, ciphertext
    /// in a SealedSecret manifest, a public search key next to its index name).
    #[serde(default)]
    pub context_allow: Vec<ContextAllowSpec>,
    /// Which compiled-in provider check `--verify` asks whether the key works (see
    /// `verify::providers`). Built-in rules only: a repository's rule cannot send a match
    /// to any provider.
    pub verify: Option<String>,
}

/// One `[[rules.context_allow]]` entry. A match is dropped when every condition given
/// holds: `secret` matches the secret, `near` matches the lines around it (`lines` lines
/// above and below, 3 by default; 0 is the match's own line), `not_near` does not, and
/// `file` matches the file's added text. Regexes use the same ASCII syntax as rule regexes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextAllowSpec {
    pub secret: Option<String>,
    pub near: Option<String>,
    pub not_near: Option<String>,
    pub file: Option<String>,
    pub lines: Option<u32>,
    /// Why such a match is not a credential (documentation only).
    pub reason: String,
}

/// Remediation: either a single sentence or structured advice.
#[derive(Debug, Clone, PartialEq)]
pub enum RemediationSpec {
    Text(String),
    Detailed(RemediationDetail),
}

impl<'de> Deserialize<'de> for RemediationSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // By hand, not `untagged`: a typo inside the table must surface as "unknown field
        // `revoke`, expected `revoke_url`…", not as "did not match any variant".
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RemediationSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sentence or a table with revoke_url, env_var, steps")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<RemediationSpec, E> {
                Ok(RemediationSpec::Text(s.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RemediationSpec, A::Error> {
                RemediationDetail::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RemediationSpec::Detailed)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Matched against the secret.
    #[serde(default)]
    pub regexes: Vec<Spanned<String>>,
    /// Case-insensitive substrings of the secret.
    #[serde(default)]
    pub stopwords: Vec<Spanned<String>>,
    /// Fingerprints (`rule-id:hash`) of findings accepted as they are.
    #[serde(default)]
    pub fingerprints: Vec<Spanned<String>>,
}
