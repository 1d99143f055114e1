//! Property: for any generated secret of any rule, no output format (human, JSON, SARIF)
//! contains the secret or 24 characters of it in a row.

use keyguard::config;
use keyguard::filter::{self, Baseline};
use keyguard::matcher::Matcher;
use keyguard::matcher::{self as rules, examples as check, template};
use keyguard::report::{self, Report, ScanKind};
use keyguard::source::ScanStats;
use proptest::prelude::*;

fn leaks(text: &str, secret: &str) -> Option<String> {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 24 {
        return text.contains(secret).then(|| secret.to_string());
    }
    chars
        .windows(24)
        .map(|w| w.iter().collect::<String>())
        .find(|run| text.contains(run.as_str()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn no_format_reveals_a_secret(rule_pick in any::<usize>(), example_pick in any::<usize>(), seed in any::<u64>(), show_allowed in any::<bool>()) {
        let settings = config::load(None, None).unwrap();
        let matcher = Matcher::new(settings.rules.clone(), rules::builtin_allowlist().unwrap()).unwrap();
        let rule = &settings.rules[rule_pick % settings.rules.len()];
        prop_assume!(!rule.examples.is_empty() && !rule.file_rule);
        let example = &rule.examples[example_pick % rule.examples.len()];
        let text = template::expand(example, &mut template::Rng::new(seed)).unwrap();
        let unit = check::unit_of(&check::example_path(&rule.path_globs), &text);
        let found = filter::apply(&unit, matcher.scan(&unit).unwrap(), &settings, &Baseline::default());
        prop_assume!(!found.is_empty());
        let stats = ScanStats::default();
        let report = Report { kind: ScanKind::Staged, findings: &found, stats: &stats, show_allowed, verification: None };
        let mut outputs = Vec::new();
        let mut buf = Vec::new();
        report::human::write(&report, &mut buf, false).unwrap();
        outputs.push(("human", buf));
        let mut buf = Vec::new();
        report::json::write(&report, &mut buf).unwrap();
        outputs.push(("json", buf));
        let mut buf = Vec::new();
        report::sarif::write(&report, &mut buf).unwrap();
        outputs.push(("sarif", buf));
        // A file rule's "secret" is the file's path, which is meant to be shown.
        for f in found.iter().filter(|f| !f.rule.file_rule) {
            for (name, out) in &outputs {
                let out = String::from_utf8_lossy(out);
                prop_assert!(leaks(&out, f.secret.expose()).is_none(), "{} output reveals a secret of rule {}", name, f.rule.id);
            }
        }
    }
}
