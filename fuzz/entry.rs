//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz). Not part of the shipped
//! library: the fuzz targets and the seed-replay test (`tests/`) include this file, so a
//! plain test replays the seed corpora on stable Rust too. Each one must never panic,
//! whatever the input; the matcher entry also checks the masking invariant.

use std::sync::LazyLock;

use keyguard::matcher::{self, examples, template, Matcher, Origin};
use keyguard::matcher::{fingerprint, mask};
use keyguard::rules::{self, SourceText};
use keyguard::source::push;

static MATCHER: LazyLock<Option<Matcher>> = LazyLock::new(|| {
    let rules = matcher::builtin().ok()?.to_vec();
    Matcher::new(rules, matcher::builtin_allowlist().ok()?).ok()
});

/// The text a matcher input stands for. Inputs starting with 0xFF select a rule example
/// (byte 1: rule, bytes 2..10: seed) and append the rest, so the fuzzer reaches real key
/// shapes (checksums included) that it could never guess from random bytes.
fn matcher_text(m: &Matcher, data: &[u8]) -> String {
    if data.len() >= 10 && data[0] == 0xFF {
        let rules = m.rules();
        let rule = &rules[data[1] as usize % rules.len()];
        let seed = u64::from_le_bytes(data[2..10].try_into().unwrap_or([0; 8]));
        let mut rng = template::Rng::new(seed);
        if let Some(ex) = rule
            .examples
            .get(seed as usize % rule.examples.len().max(1))
        {
            if let Ok(mut text) = template::expand(ex, &mut rng) {
                text.push_str(&String::from_utf8_lossy(&data[10..]));
                return text;
            }
        }
    }
    String::from_utf8_lossy(data).into_owned()
}

/// Arbitrary bytes as added text: must not panic, and no mask may reveal a secret.
pub fn matcher(data: &[u8]) {
    let Some(m) = MATCHER.as_ref() else { return };
    let text = matcher_text(m, data);
    let unit = examples::unit_of("fuzz/input.txt", &text);
    let Ok(found) = m.scan(&unit) else { return };
    for c in found {
        let masked = mask(c.secret.expose(), &c.rule.keywords);
        let chars: Vec<char> = c.secret.expose().chars().collect();
        if chars.len() >= 24 {
            for w in chars.windows(24) {
                let run: String = w.iter().collect();
                assert!(
                    !masked.contains(&run),
                    "mask reveals 24 characters of a secret"
                );
            }
        }
        let _ = fingerprint(&c.rule.id, c.secret.expose());
        let _ = unit.locate(c.start);
    }
}

/// Arbitrary text as a config file: parse, compile every rule; errors are fine, panics
/// are not, and every error must carry a location.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let src = SourceText {
        name: "fuzz.toml",
        text: &text,
    };
    match rules::parse_doc(&src) {
        Ok(doc) => {
            for spec in &doc.rules {
                if let Err(e) =
                    matcher::compile_rule(&src, spec, Origin::Custom("fuzz.toml".into()))
                {
                    assert!(e.line >= 1, "config error without a line: {e}");
                }
            }
        }
        Err(e) => assert!(e.line >= 1, "config error without a line: {e}"),
    }
}

/// Arbitrary bytes as pre-push input.
pub fn prepush(data: &[u8]) {
    let _ = push::parse_input(&String::from_utf8_lossy(data));
}

/// Arbitrary bytes as an index file: decoding never panics, and what it accepts is
/// internally consistent (every entry has a path; lookups find what the list holds).
pub fn index(data: &[u8]) {
    if let Some(idx) = keyguard::source::index::IndexFile::parse(data) {
        for e in idx.entries.iter().take(64) {
            assert!(!e.path.is_empty());
            // Entries come out in git's order, so every stage-0 entry can be looked up.
            if e.stage == 0 {
                assert!(idx.get(&e.path).is_some());
            }
        }
    }
}
