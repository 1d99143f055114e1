//! Every built-in rule carries its own examples: strings it must report and near-misses
//! it must not. This test expands them (fresh random data, several seeds) and checks
//! both, so a rule without both kinds of example, or one that drifts, fails the build.

use std::sync::Arc;

use keyguard::matcher::Matcher;
use keyguard::rules::{self, check, template::Rng};

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
            let text = rules::template::expand(ex, &mut rng).unwrap();
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
