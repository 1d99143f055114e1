//! What `keyguard config check` prints: the config files read and the effective rule set.

use std::sync::Arc;

use crate::config::Settings;
use crate::matcher::{Origin, Rule};
use crate::rules::schema::Severity;

/// What `keyguard config check` prints: the files read and the effective rule set.
pub fn describe(settings: &Settings) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    if settings.files.is_empty() {
        line("keyguard: no config file (built-in defaults)".into());
    }
    for (i, f) in settings.files.iter().enumerate() {
        // Outermost (the base) first; say which file extends which.
        let how = if i == 0 { "read" } else { "  extended by" };
        line(format!("keyguard: {how} {}", f.display()));
    }
    let custom: Vec<&Arc<Rule>> = settings
        .rules
        .iter()
        .filter(|r| matches!(r.origin, Origin::Custom(_)))
        .collect();
    line(format!(
        "keyguard: {} rules in force ({} built-in, {} custom; {} built-in disabled: {})",
        settings.rules.len(),
        settings.rules.len() - custom.len(),
        custom.len(),
        settings.disabled.len(),
        if settings.disabled.is_empty() {
            "none".to_string()
        } else {
            settings.disabled.join(", ")
        }
    ));
    let sev = |s: Severity| match s {
        Severity::Block => "block",
        Severity::Warn => "warn",
    };
    for r in &custom {
        let Origin::Custom(file) = &r.origin else {
            continue;
        };
        line(format!(
            "  custom rule {} ({}), from {file}{}",
            r.id,
            sev(r.severity),
            if r.keywords.is_empty() && !r.file_rule {
                "; no keywords (slow)"
            } else {
                ""
            }
        ));
    }
    for (id, s) in &settings.severity_overrides {
        if !settings.disabled.contains(id) {
            line(format!("  severity: {id} = {}", sev(*s)));
        }
    }
    let warn = settings
        .rules
        .iter()
        .filter(|r| r.severity == Severity::Warn)
        .count();
    line(format!(
        "keyguard: {} blocking, {warn} warn-only",
        settings.rules.len() - warn
    ));
    line(format!(
        "keyguard: allowlist: {} path glob(s), {} regex(es), {} stopword(s), {} fingerprint(s)",
        settings.allow_path_patterns.len(),
        settings.allow_secrets.regex_count(),
        settings.allow_secrets.stopwords.len(),
        settings.allow_fingerprints.len()
    ));
    line(format!(
        "keyguard: max_file_size = {} bytes; baseline = {}",
        settings.limits.max_file_size,
        settings.baseline.display()
    ));
    out
}
