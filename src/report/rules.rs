//! What `keyguard rules` prints: the rules in force, as a table or as JSON (with the
//! names a config uses for validators).

use std::io::Write;
use std::sync::Arc;

use super::Format;
use crate::matcher::{Origin, Rule};
use crate::rules::schema::Severity;

pub fn write(rules: &[Arc<Rule>], format: Format, out: &mut impl Write) -> std::io::Result<()> {
    match format {
        // A rule list has no SARIF form of its own: SARIF readers get JSON.
        Format::Json | Format::Sarif => {
            let rows: Vec<_> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "provider": r.provider,
                        "description": r.description,
                        "keywords": r.keywords,
                        "severity": r.severity,
                        "validators": r.validators.iter().map(|v| v.name()).collect::<Vec<_>>(),
                        "origin": match &r.origin {
                            Origin::Builtin => "builtin".to_string(),
                            Origin::Custom(f) => f.clone(),
                        },
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)
        }
        // Markdown is refused before any command but `inventory` runs (see `app::run`).
        Format::Human | Format::Markdown => {
            for r in rules {
                let mut origin = match &r.origin {
                    Origin::Builtin => String::new(),
                    Origin::Custom(f) => format!("  [custom: {f}]"),
                };
                if r.severity == Severity::Warn {
                    origin.push_str("  [warn]");
                }
                writeln!(
                    out,
                    "{:<36} {:<18} {}{origin}",
                    r.id,
                    r.provider.as_deref().unwrap_or("-"),
                    r.description
                )?;
            }
            Ok(())
        }
    }
}
