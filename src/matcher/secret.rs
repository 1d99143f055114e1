//! The only two ways a secret ever leaves keyguard: masked and hashed.
//!
//! The full secret is held in a [`Secret`], which has no `Display` and whose `Debug`
//! prints the masked form, so no `println!`/`{:?}`/serializer can leak it by accident.

use sha2::{Digest, Sha256};

/// A secret value held in memory only.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Self {
        Secret(s)
    }

    /// The raw value, for matching and hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", mask(&self.0, &[]))
    }
}

/// How many characters of a secret may be shown at the end.
fn tail_len(body_chars: usize) -> usize {
    match body_chars {
        0..=11 => 0,
        12..=23 => 2,
        _ => 4,
    }
}

/// The public prefix (the longest of `prefixes` the secret starts with, at most 16
/// characters and a third of the secret), then `…`, then at most the last 4 characters.
/// Never more than 20 characters of the secret in total, never a newline.
pub fn mask(secret: &str, prefixes: &[String]) -> String {
    let first_line = secret.lines().next().unwrap_or("");
    let chars: Vec<char> = first_line.chars().collect();
    let total = secret.chars().count();
    let prefix_len = prefixes
        .iter()
        .filter(|p| first_line.starts_with(p.as_str()))
        .map(|p| p.chars().count())
        .filter(|&n| n <= 16 && n * 3 <= total)
        .max()
        .unwrap_or(0);
    let multiline = first_line.len() != secret.len();
    let body = chars.len() - prefix_len;
    let tail = if multiline { 0 } else { tail_len(body) };
    let prefix: String = chars[..prefix_len].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{prefix}…{end}")
}

/// A stable identifier of (rule, secret): independent of file, line and commit, so it
/// survives edits and moves. It is an iterated, salted SHA-256 (the rule id is the salt)
/// cut to 64 bits, so that a weak generic password cannot be recovered from a baseline
/// by a quick dictionary attack.
pub fn fingerprint(rule_id: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"keyguard-v1\0");
    h.update(rule_id.as_bytes());
    h.update(b"\0");
    h.update(secret.as_bytes());
    let mut d = h.finalize();
    for _ in 0..4096 {
        let mut h = Sha256::new();
        h.update(rule_id.as_bytes());
        h.update(d);
        d = h.finalize();
    }
    let hex: String = d[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{rule_id}:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_shows_prefix_and_short_tail() {
        let s = format!("sk-proj-{}", "Ab1".repeat(40));
        let m = mask(&s, &["sk-proj-".into(), "sk-".into()]);
        assert_eq!(m, "sk-proj-…1Ab1");
        assert_eq!(mask("hunter2", &[]), "…");
        assert_eq!(mask("abcdefghijklmn", &[]), "…mn");
    }

    #[test]
    fn mask_of_multiline_shows_no_body() {
        assert_eq!(mask("MIIEabc\nsecondline", &[]), "…");
    }

    #[test]
    fn secret_debug_is_masked() {
        let s = Secret::new("supersecretvalue1234567890".into());
        assert!(!format!("{s:?}").contains("supersecret"));
    }

    #[test]
    fn fingerprint_is_stable_and_rule_scoped() {
        assert_eq!(fingerprint("r", "x"), fingerprint("r", "x"));
        assert_ne!(fingerprint("r", "x"), fingerprint("s", "x"));
        assert!(fingerprint("r", "x").starts_with("r:"));
        assert_eq!(fingerprint("r", "x").len(), 2 + 16);
    }
}
