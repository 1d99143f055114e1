//! Every built-in rule carries its own examples: strings it must report and near-misses
//! it must not. This test expands them (fresh random data, several seeds) and checks
//! both, so a rule without both kinds of example, or one that drifts, fails the build.

use std::sync::Arc;

use keyguard::matcher::Matcher;
use keyguard::matcher::{
    self as rules, examples as check,
    template::{self, Rng},
};

fn rule_seed(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn matcher() -> Matcher {
    Matcher::new(
        rules::builtin().unwrap().to_vec(),
        rules::builtin_allowlist().unwrap(),
    )
    .unwrap()
}

#[test]
fn every_rule_has_examples_and_near_misses() {
    for r in rules::builtin().unwrap() {
        assert!(!r.examples.is_empty(), "rule {} has no examples", r.id);
        assert!(
            !r.near_misses.is_empty(),
            "rule {} has no near_misses",
            r.id
        );
        assert!(
            !r.description.is_empty(),
            "rule {} has no description",
            r.id
        );
    }
}

#[test]
fn every_regex_compiles() {
    for r in rules::builtin().unwrap() {
        if let Some(res) = r.regex() {
            res.unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn examples_match_and_near_misses_do_not() {
    let m = matcher();
    let mut failures = Vec::new();
    for seed in 1..=8u64 {
        for r in m.rules() {
            // Each rule draws from its own stream, so adding a rule never changes what
            // another rule's examples expand to.
            let mut rng = Rng::new(seed ^ rule_seed(&r.id));
            failures.extend(
                check::check_examples(&m, r, &mut rng)
                    .unwrap()
                    .into_iter()
                    .map(|f| format!("seed {seed}: {f}")),
            );
        }
    }
    failures.dedup();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn no_example_is_reported_only_by_a_different_rule() {
    // An example of rule A reported by rule B instead of A means two rules overlap and the
    // wrong description would be shown.
    let m = matcher();
    let mut rng = Rng::new(99);
    for r in m.rules() {
        let path = check::example_path(&r.path_globs);
        for ex in &r.examples {
            let text = template::expand(ex, &mut rng).unwrap();
            let found = m.scan(&check::unit_of(&path, &text)).unwrap();
            assert!(
                found
                    .iter()
                    .any(|c| Arc::ptr_eq(&c.rule, r) || c.rule.id == r.id),
                "rule {}: {ex} -> {:?}",
                r.id,
                found.iter().map(|c| &c.rule.id).collect::<Vec<_>>()
            );
        }
    }
}

/// The value gate (see `RuleSpec::value_gate`) skips a rule without running its regex; it
/// must never skip a text in which the regex and validators would find something. Checked
/// on every rule's examples and near-misses and on generated assignments whose values mix
/// punctuation, delimiters and random runs.
#[test]
fn value_gate_never_hides_a_finding() {
    let m = matcher();
    let gated: Vec<_> = m.rules().iter().filter(|r| r.value_gate).collect();
    assert!(gated.len() >= 2, "the generic rules are gated");
    let mut rng = Rng::new(7);
    let mut texts = Vec::new();
    for r in m.rules() {
        for t in r.examples.iter().chain(&r.near_misses) {
            texts.push(template::expand(t, &mut rng).unwrap());
        }
    }
    let names = [
        "api_key",
        "DB_PASSWORD",
        "token",
        "secret",
        "mysql -u x -p",
        "curl -u me:",
        "Authorization: Bearer ",
        "client.password(\"",
    ];
    let ops = [
        "=", " = ", ": ", ":=", "=>", " <- ", "=\"", ": '", " ", "\t",
    ];
    let ends = [
        "", "\"", "'", ";", ",", ")", "]", "}", "(", "[", "&x", "|", " #", "\\",
    ];
    let alphabets: [&[u8]; 4] = [
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        b"abcXYZ019+/=-_.:~!@#$%^*",
        b"abcdef0123456789",
        b"ab=:>-p.",
    ];
    for _ in 0..4000 {
        let alphabet = alphabets[rng.below(alphabets.len())];
        let len = 4 + rng.below(40);
        texts.push(format!(
            "{}{}{}{}\n",
            names[rng.below(names.len())],
            ops[rng.below(ops.len())],
            rng.string(alphabet, len),
            ends[rng.below(ends.len())]
        ));
    }
    let mut opened = 0;
    for text in &texts {
        for r in &gated {
            let regex = r.regex().unwrap().unwrap();
            let found = regex
                .captures_iter(text.as_bytes())
                .filter_map(|c| c.name("secret"))
                .any(|s| m.is_credential(r, &String::from_utf8_lossy(s.as_bytes())));
            let open = m.has_value_for(r, text.as_bytes(), &[]);
            assert!(!found || open, "rule {}: gate closed on {text:?}", r.id);
            opened += usize::from(open);
        }
    }
    // And it does close: most generated texts hold no credential-looking value.
    assert!(opened < texts.len() * gated.len(), "the gate never closed");
}

/// A token with a fixed prefix starts at a boundary and is not a slice of a longer base64
/// run: every prefix rule's example tokens, embedded in the middle of a base64 blob (an
/// image in a JS file), are not reported by that rule.
#[test]
fn no_prefix_rule_reports_a_slice_of_a_base64_blob() {
    use keyguard::matcher::PrefixBoundary;
    let m = matcher();
    let mut rng = Rng::new(11);
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut checked = 0;
    let mut failures = Vec::new();
    for r in m.rules() {
        if r.file_rule || r.is_heuristic() || r.prefix_boundary == PrefixBoundary::None {
            continue;
        }
        let path = check::example_path(&r.path_globs);
        for ex in &r.examples {
            let text = template::expand(ex, &mut rng).unwrap();
            let found = m.scan(&check::unit_of(&path, &text)).unwrap();
            for c in found.iter().filter(|c| c.rule.id == r.id) {
                let prefixed = r.keywords.iter().any(|k| {
                    c.secret.expose().len() > k.len()
                        && c.secret.expose().as_bytes()[..k.len()]
                            .eq_ignore_ascii_case(k.as_bytes())
                });
                // (a token whose own text holds base64 punctuation, such as a macaroon's
                // parts, has no edge a blob could be told apart by)
                if !prefixed
                    || c.secret
                        .expose()
                        .contains(|c: char| c.is_whitespace() || "+/,".contains(c))
                {
                    continue;
                }
                // Letters, digits and `+` around it, or a `/` right at it, as in a blob;
                // or a blob's `/`s close to it on both sides, cutting the runs that touch
                // it short (`…0m47h/mApMGT6mg/TOKEN+Zbpdm"`).
                let (before, after) = match checked % 3 {
                    0 => ("/".to_string(), "+".to_string()),
                    1 => (String::new(), "/".to_string()),
                    _ => (
                        format!("/{}/", rng.string(&b64[..62], 9)),
                        format!("+{}/", rng.string(&b64[..62], 5)),
                    ),
                };
                let blob = format!(
                    "const icon = \"data:image/png;base64,{}{before}{}{after}{}==\";",
                    rng.string(b64, 40).replace('/', "A") + "Q",
                    c.secret.expose(),
                    rng.string(b64, 24).replace('/', "B")
                );
                checked += 1;
                let again = m.scan(&check::unit_of(&path, &blob)).unwrap();
                if again.iter().any(|c| c.rule.id == r.id) {
                    failures.push(format!(
                        "rule {}: reported inside a base64 blob ({ex})",
                        r.id
                    ));
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} prefix tokens checked");
    failures.dedup();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The blob test's counterpart: a token that separators touch is found, in the forms
/// real code writes: a URL's user part, a URL path segment.
#[test]
fn prefix_tokens_touched_by_separators_are_found() {
    let m = matcher();
    let mut rng = Rng::new(5);
    let tokens = [
        ("github-pat", "{{begin}}ghp_{{b62:30}}{{crc:github}}"),
        ("aws-access-key-id", "AKIA{{base32:16}}"),
    ];
    for (rule, template) in tokens {
        let token = template::expand(template, &mut rng).unwrap();
        for line in [
            format!("git clone https://{token}@github.com/acme/app.git"),
            format!("GET /v1/{token}/items"),
            // A long path of short segments is not a blob.
            format!("GET /repos/acme/payments/settings/credentials/{token}/rotate/confirm"),
            format!("https://example.com/api/v2/projects/12345/keys/{token}"),
        ] {
            let found = m.scan(&check::unit_of("src/app.txt", &line)).unwrap();
            assert!(
                found
                    .iter()
                    .any(|c| c.rule.id == rule && c.secret.expose() == token),
                "{rule} not found in {line:?}"
            );
        }
    }
}
