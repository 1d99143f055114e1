//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning and other dashboards read it.
//!
//! One run, the rules that produced results, one result per finding with its location,
//! the masked secret in the message, and the fingerprint as a partial fingerprint so
//! that a dashboard recognises the same secret across scans. Allowed findings are listed
//! (with `--show-allowed`) as suppressed results.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{json, Value};

use super::Report;
use crate::finding::{Allowed, Finding};
use crate::matcher::Rule;
use crate::rules::schema::Severity;

/// Percent-encodes a repo-relative path (as the sources write it) for a SARIF `uri`: the
/// path's own bytes, so that one that is not UTF-8 is still exact.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in crate::source::path_bytes(path) {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Block => "error",
        Severity::Warn => "warning",
    }
}

fn rule_descriptor(r: &Rule) -> Value {
    let mut help = String::new();
    if let Some(url) = &r.remediation.revoke_url {
        help.push_str(&format!("Revoke or rotate it: {url}. "));
    }
    help.push_str("Treat a key that left the machine as compromised and check its usage. ");
    if let Some(env) = &r.remediation.env_var {
        help.push_str(&format!(
            "Load it from ${env} or a secret manager instead. "
        ));
    }
    for s in &r.remediation.steps {
        help.push_str(s);
        help.push(' ');
    }
    let mut d = json!({
        "id": r.id,
        "name": r.id,
        "shortDescription": { "text": r.description },
        "fullDescription": { "text": format!("{} detected in added lines.", r.description) },
        "help": { "text": help.trim_end() },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": { "tags": ["security", "secrets"], "security-severity": if r.severity == Severity::Block { "9.0" } else { "5.0" } },
    });
    if let Some(url) = &r.remediation.revoke_url {
        d["helpUri"] = json!(url);
    }
    d
}

fn result(report: &Report, f: &Finding, rule_index: usize) -> Value {
    let mut message = format!("{} ({})", f.rule.description, f.masked);
    if f.location.is_message() {
        message.push_str(&format!(" in the {}", f.file));
    }
    if let Some(c) = &f.commit {
        message.push_str(&format!(" added in commit {} \"{}\"", c.short, c.summary));
    }
    if !f.also_matched.is_empty() {
        message.push_str(&format!(" (also matched: {})", f.also_matched.join(", ")));
    }
    let verification = report.verified(f);
    if let Some(v) = verification {
        message.push_str(&format!(" [verified: {}]", v.describe()));
    }
    // A message is no file: it is named as a logical location (the commit's message).
    let location = if f.location.is_message() {
        let owner = f
            .commit
            .as_ref()
            .map_or("(commit being made)", |c| c.id.as_str());
        json!({
            "logicalLocations": [{
                "name": f.file,
                "fullyQualifiedName": format!("{owner}/{}", f.file),
                "kind": "object",
            }],
            "message": { "text": format!("{}, line {}, column {}", f.file, f.line, f.column) },
        })
    } else {
        json!({
            "physicalLocation": {
                "artifactLocation": { "uri": uri(&f.file), "uriBaseId": "%SRCROOT%" },
                "region": { "startLine": f.line.max(1), "startColumn": f.column.max(1) }
            }
        })
    };
    let mut r = json!({
        "ruleId": f.rule.id,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": message },
        "locations": [location],
        "partialFingerprints": { "keyguardSecret/v1": f.fingerprint },
        "properties": { "fingerprint": f.fingerprint, "secret": f.masked },
    });
    if let Some(c) = &f.commit {
        r["properties"]["commit"] = json!(c.id);
    }
    if !f.also_matched.is_empty() {
        r["properties"]["alsoMatched"] = json!(f.also_matched);
    }
    if f.location.is_message() {
        r["properties"]["location"] = json!(f.location);
        r["properties"]["line"] = json!(f.line);
    }
    if let Some(v) = verification {
        r["properties"]["verification"] = json!(v);
    }
    if let Some(why) = f.allowed {
        let (kind, justification) = match why {
            Allowed::Inline => ("inSource", "keyguard:allow marker"),
            Allowed::Baseline => ("external", "in the keyguard baseline"),
            Allowed::Fingerprint => ("external", "fingerprint allowlisted in .keyguard.toml"),
        };
        r["suppressions"] = json!([{ "kind": kind, "justification": justification }]);
    }
    r
}

pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let listed: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.allowed.is_none() || report.show_allowed)
        .collect();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    for f in &listed {
        if !index.contains_key(f.rule.id.as_str()) {
            index.insert(&f.rule.id, rules.len());
            rules.push(rule_descriptor(&f.rule));
        }
    }
    let results: Vec<Value> = listed
        .iter()
        .map(|f| result(report, f, index[f.rule.id.as_str()]))
        .collect();
    let mut doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "keyguard",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            // Columns count characters (code points); SARIF readers assume UTF-16 code
            // units unless told, which shifts every column after an emoji.
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The repository root." } } },
            "results": results,
            "properties": { "scan": report.kind, "stats": report.stats },
        }]
    });
    if let Some(v) = report.verification {
        doc["runs"][0]["properties"]["verification"] = json!(v.summary());
    }
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri("src/a b.py"), "src/a%20b.py");
        assert_eq!(uri("d\u{e9}j\u{e0}.txt"), "d%C3%A9j%C3%A0.txt");
        let raw = crate::source::path_text(b"caf\xe9\n.txt");
        assert_eq!(uri(&raw), "caf%E9%0A.txt");
    }
}
