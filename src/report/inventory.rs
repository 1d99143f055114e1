//! The inventory report (`keyguard inventory`) in three formats: human (terminal), JSON
//! (scripts) and Markdown (an issue or a security ticket). Each key is shown masked with
//! its fingerprint, never in full, with its rotation checklist: revoke at the provider,
//! switch every place that holds it, purge history.
//!
//! JSON: `{"keys":[{"fingerprint","rule_id","provider","description","secret"(masked),
//! "severity","urgency","pushed","at_head","in_history","first_commit"{id,short,summary,
//! author,email,date}|null,"commits","messages","places":[{path,line,column,assigned_to,
//! at_head,in_index,untracked}],"branches","tags","remotes","verification"?,
//! "rotation"{revoke_url,steps,update,purge}}], "allowed"?:[…], "summary":{…}}`.

use std::io::Write;

use colored::Colorize;
use serde::Serialize;

use super::human::{clean, quote_path};
use crate::finding::Allowed;
use crate::inventory::{Entry, FirstCommit, Inventory, Place, Urgency};
use crate::rules::schema::Severity;
use crate::source::ScanStats;
use crate::verify::{self, Status, Verification};

/// `path:line` of a place, with what the line assigns the key to.
fn place_text(p: &Place, quote: impl Fn(&str) -> String) -> String {
    let mut s = format!("{}:{}", quote(&p.path), p.line);
    if let Some(name) = &p.assigned_to {
        s.push_str(&format!(" ({})", quote(name)));
    }
    let mut notes = Vec::new();
    if p.presence.in_index && !p.presence.at_head {
        notes.push("staged");
    }
    if p.presence.at_head && !p.presence.in_index {
        notes.push("removed from the index");
    }
    if p.presence.untracked {
        notes.push("untracked");
    }
    if !notes.is_empty() {
        s.push_str(&format!(" [{}]", notes.join(", ")));
    }
    s
}

/// The command that purges history, for the checklist.
fn purge_line(inv: &Inventory, e: &Entry) -> Option<String> {
    if !e.in_history() {
        return None;
    }
    Some(match &inv.purge_command {
        Some(cmd) => format!("{cmd} (in a fresh clone)"),
        None => "keyguard inventory --purge-plan DIR, then sh DIR/purge.sh (in a fresh clone)"
            .to_string(),
    })
}

fn steps(e: &Entry) -> &[String] {
    &e.rule.remediation.steps
}

// ---------------------------------------------------------------------------- human

pub fn write_human(
    inv: &Inventory,
    show_allowed: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    super::human::write_skips(out, &inv.stats)?;
    let reported: Vec<&Entry> = inv.reported().collect();
    writeln!(
        out,
        "{} {} in {} commit(s), HEAD, the index{}",
        "keyguard inventory:".bold(),
        count(reported.len(), "key", "keys"),
        inv.stats.commits,
        if inv.worktree {
            " and untracked files"
        } else {
            ""
        }
    )?;
    if reported.is_empty() {
        writeln!(out, "No key found.")?;
    }
    for (i, e) in reported.iter().enumerate() {
        writeln!(out)?;
        write_entry(inv, i + 1, e, out)?;
    }
    let allowed: Vec<&Entry> = inv.allowed().collect();
    if !allowed.is_empty() {
        writeln!(out)?;
        if show_allowed {
            writeln!(out, "{}", "Allowed (not counted):".dimmed())?;
            for e in &allowed {
                writeln!(
                    out,
                    "  {} {} ({}) [{}]",
                    clean(&e.masked),
                    e.fingerprint,
                    e.rule.id,
                    allowed_label(e.allowed)
                )?;
            }
        } else {
            writeln!(
                out,
                "{}",
                format!(
                    "{} allowed (baseline, allowlist or inline marker) not listed; --show-allowed lists them.",
                    count(allowed.len(), "key", "keys")
                )
                .dimmed()
            )?;
        }
    }
    if let Some(v) = &inv.verification {
        let s = v.summary();
        writeln!(
            out,
            "\nkeyguard: verification: {} asked, {} live, {} revoked/invalid, {} unknown, {} unsupported.",
            count(s.requests, "key", "keys"),
            s.live,
            s.invalid,
            s.unknown,
            s.unsupported
        )?;
    }
    Ok(())
}

fn write_entry(inv: &Inventory, n: usize, e: &Entry, out: &mut dyn Write) -> std::io::Result<()> {
    let label = match e.urgency {
        Urgency::LivePushed | Urgency::Pushed => e.urgency.label().red().bold(),
        Urgency::AtHead => e.urgency.label().yellow().bold(),
        _ => e.urgency.label().bold(),
    };
    let warn = if e.severity == Severity::Warn {
        " [warning]"
    } else {
        ""
    };
    writeln!(
        out,
        "{n}. {label}  {} {}{warn}",
        clean(&e.rule.description).bold(),
        format!("({})", e.rule.id).dimmed()
    )?;
    writeln!(
        out,
        "   key          {}  {}",
        clean(&e.masked).bold(),
        e.fingerprint
    )?;
    if let Some(p) = &e.rule.provider {
        writeln!(out, "   provider     {}", clean(p))?;
    }
    if let Some(v) = &e.verification {
        let text = clean(&v.describe()).into_owned();
        let shown = match v.status {
            Status::Live => text.red().bold().to_string(),
            _ => text,
        };
        writeln!(out, "   verified     {shown}")?;
    }
    match &e.first {
        Some(c) => writeln!(
            out,
            "   first added  {} {} by {} <{}>: {}",
            c.short.yellow(),
            c.date,
            clean(&c.author),
            clean(&c.email),
            clean(&c.summary)
        )?,
        None => writeln!(out, "   first added  never committed")?,
    }
    if e.commits > 1 {
        writeln!(out, "   added by     {} commits", e.commits)?;
    }
    for m in &e.messages {
        writeln!(out, "   in           {}", clean(m))?;
    }
    let head: Vec<String> = e
        .places
        .iter()
        .map(|p| place_text(p, |s| quote_path(s).into_owned()))
        .collect();
    writeln!(
        out,
        "   at HEAD      {}",
        if e.at_head() { "yes" } else { "no" }
    )?;
    let list = |v: &std::collections::BTreeSet<String>| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.iter()
                .map(|s| clean(s).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    writeln!(out, "   branches     {}", list(&e.holders.branches))?;
    writeln!(out, "   tags         {}", list(&e.holders.tags))?;
    let pushed = if e.pushed() {
        format!("yes: {}", list(&e.holders.remotes))
            .red()
            .to_string()
    } else {
        "no".to_string()
    };
    writeln!(out, "   pushed       {pushed}")?;
    writeln!(out, "   rotation checklist")?;
    let mut k = 1;
    let revoke = match &e.rule.remediation.revoke_url {
        Some(url) => format!("revoke it and create a new one: {}", clean(url)),
        None => "revoke it at its provider and create a new one".to_string(),
    };
    writeln!(out, "     [ ] {k}. {revoke}")?;
    for s in steps(e) {
        writeln!(out, "         {}", clean(s))?;
    }
    k += 1;
    if head.is_empty() {
        writeln!(
            out,
            "     [ ] {k}. nothing at HEAD or in the index to switch to the new key"
        )?;
    } else {
        writeln!(
            out,
            "     [ ] {k}. switch to the new key (these stop working once it is revoked):"
        )?;
        for h in &head {
            writeln!(out, "           {h}")?;
        }
    }
    if let Some(env) = e
        .rule
        .remediation
        .env_var
        .as_ref()
        .filter(|_| !head.is_empty())
    {
        writeln!(
            out,
            "         and load it from the environment ({}) instead",
            clean(env)
        )?;
    }
    k += 1;
    if let Some(p) = purge_line(inv, e) {
        writeln!(out, "     [ ] {k}. purge it from history: {p}")?;
        if e.pushed() {
            writeln!(
                out,
                "         then force-push every branch and tag, and have every clone re-cloned"
            )?;
        }
    }
    Ok(())
}

fn allowed_label(a: Option<Allowed>) -> &'static str {
    match a {
        Some(Allowed::Inline) => "allowed inline",
        Some(Allowed::Baseline) => "in baseline",
        Some(Allowed::Fingerprint) => "allowlisted fingerprint",
        None => "",
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// ----------------------------------------------------------------------------- JSON

#[derive(Serialize)]
struct JsonPlace<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    assigned_to: Option<&'a str>,
    at_head: bool,
    in_index: bool,
    untracked: bool,
}

#[derive(Serialize)]
struct Rotation<'a> {
    revoke_url: Option<&'a str>,
    steps: &'a [String],
    /// `path:line` of every place that must switch to the new key.
    update: Vec<String>,
    /// How to purge history (null when the key was never committed).
    purge: Option<String>,
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    fingerprint: &'a str,
    rule_id: &'a str,
    provider: Option<&'a str>,
    description: &'a str,
    /// Masked.
    secret: &'a str,
    severity: Severity,
    urgency: Urgency,
    pushed: bool,
    at_head: bool,
    in_history: bool,
    first_commit: Option<&'a FirstCommit>,
    commits: usize,
    messages: &'a [String],
    places: Vec<JsonPlace<'a>>,
    branches: Vec<&'a str>,
    tags: Vec<&'a str>,
    remotes: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed: Option<Allowed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a Verification>,
    rotation: Rotation<'a>,
}

impl<'a> JsonEntry<'a> {
    fn new(inv: &'a Inventory, e: &'a Entry) -> Self {
        let strs =
            |s: &'a std::collections::BTreeSet<String>| s.iter().map(String::as_str).collect();
        JsonEntry {
            fingerprint: &e.fingerprint,
            rule_id: &e.rule.id,
            provider: e.rule.provider.as_deref(),
            description: &e.rule.description,
            secret: &e.masked,
            severity: e.severity,
            urgency: e.urgency,
            pushed: e.pushed(),
            at_head: e.at_head(),
            in_history: e.in_history(),
            first_commit: e.first.as_ref(),
            commits: e.commits,
            messages: &e.messages,
            places: e
                .places
                .iter()
                .map(|p| JsonPlace {
                    path: &p.path,
                    line: p.line,
                    column: p.column,
                    assigned_to: p.assigned_to.as_deref(),
                    at_head: p.presence.at_head,
                    in_index: p.presence.in_index,
                    untracked: p.presence.untracked,
                })
                .collect(),
            branches: strs(&e.holders.branches),
            tags: strs(&e.holders.tags),
            remotes: strs(&e.holders.remotes),
            allowed: e.allowed,
            verification: e.verification.as_ref(),
            rotation: Rotation {
                revoke_url: e.rule.remediation.revoke_url.as_deref(),
                steps: steps(e),
                update: e
                    .places
                    .iter()
                    .map(|p| format!("{}:{}", p.path, p.line))
                    .collect(),
                purge: purge_line(inv, e),
            },
        }
    }
}

#[derive(Serialize)]
struct Summary<'a> {
    keys: usize,
    blocking: usize,
    pushed: usize,
    at_head: usize,
    history_only: usize,
    uncommitted: usize,
    allowed: usize,
    #[serde(flatten)]
    stats: &'a ScanStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<verify::Summary>,
}

#[derive(Serialize)]
struct Doc<'a> {
    keys: Vec<JsonEntry<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed: Option<Vec<JsonEntry<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purge_command: Option<&'a str>,
    summary: Summary<'a>,
}

pub fn write_json(inv: &Inventory, show_allowed: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let by = |u: &[Urgency]| inv.reported().filter(|e| u.contains(&e.urgency)).count();
    let doc = Doc {
        keys: inv.reported().map(|e| JsonEntry::new(inv, e)).collect(),
        allowed: show_allowed.then(|| inv.allowed().map(|e| JsonEntry::new(inv, e)).collect()),
        purge_command: inv.purge_command.as_deref(),
        summary: Summary {
            keys: inv.reported().count(),
            blocking: inv.blocking(),
            pushed: by(&[Urgency::LivePushed, Urgency::Pushed]),
            at_head: by(&[Urgency::AtHead]),
            history_only: by(&[Urgency::HistoryOnly]),
            uncommitted: by(&[Urgency::Uncommitted]),
            allowed: inv.allowed().count(),
            stats: &inv.stats,
            verification: inv.verification.as_ref().map(verify::Results::summary),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

// ------------------------------------------------------------------------- Markdown

/// Text from the repository in Markdown: control characters escaped (as for the
/// terminal), and every character Markdown could read as markup backslash-escaped, so
/// a file name cannot forge a link, a table cell or a heading.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
        if "\\`*_{}[]<>#|~&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn write_markdown(
    inv: &Inventory,
    show_allowed: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let reported: Vec<&Entry> = inv.reported().collect();
    writeln!(out, "# Key inventory\n")?;
    writeln!(
        out,
        "{} in {} commit(s), HEAD, the index{}. Rotate them in this order.\n",
        count(reported.len(), "key", "keys"),
        inv.stats.commits,
        if inv.worktree {
            " and untracked files"
        } else {
            ""
        }
    )?;
    if !reported.is_empty() {
        writeln!(
            out,
            "| # | Urgency | Provider | Rule | Key (masked) | Fingerprint | First commit | At HEAD | Branches | Tags | Pushed to |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|")?;
    }
    let join = |v: &std::collections::BTreeSet<String>| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.iter().map(|s| md(s)).collect::<Vec<_>>().join(", ")
        }
    };
    for (i, e) in reported.iter().enumerate() {
        let urgency = match &e.verification {
            Some(v) => format!("{} ({})", e.urgency.label(), v.status.label()),
            None => e.urgency.label().to_string(),
        };
        let first = e.first.as_ref().map_or("never committed".to_string(), |c| {
            format!("`{}` {} by {}", c.short, md(&c.date), md(&c.author))
        });
        let head: Vec<String> = e
            .places
            .iter()
            .filter(|p| p.presence.at_head)
            .map(|p| place_text(p, md))
            .collect();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | `{}` | {} | {} | {} | {} | {} |",
            i + 1,
            urgency,
            md(e.rule.provider.as_deref().unwrap_or("-")),
            md(&e.rule.id),
            md(&e.masked),
            e.fingerprint,
            first,
            if head.is_empty() {
                "no".to_string()
            } else {
                head.join("<br>")
            },
            join(&e.holders.branches),
            join(&e.holders.tags),
            join(&e.holders.remotes),
        )?;
    }
    for (i, e) in reported.iter().enumerate() {
        writeln!(
            out,
            "\n## {}. {} ({})\n",
            i + 1,
            md(&e.rule.description),
            md(&e.masked)
        )?;
        if let Some(v) = &e.verification {
            writeln!(out, "Verified: {}\n", md(&v.describe()))?;
        }
        let revoke = match &e.rule.remediation.revoke_url {
            Some(url) => format!(
                "Revoke it and create a new one: <{}>",
                url.replace('>', "%3E")
            ),
            None => "Revoke it at its provider and create a new one".to_string(),
        };
        writeln!(out, "- [ ] {revoke}")?;
        for s in steps(e) {
            writeln!(out, "  - {}", md(s))?;
        }
        if e.places.is_empty() {
            writeln!(
                out,
                "- [ ] Nothing at HEAD or in the index to switch to the new key"
            )?;
        } else {
            writeln!(
                out,
                "- [ ] Switch to the new key (these stop working once it is revoked):"
            )?;
            for p in &e.places {
                writeln!(out, "  - {}", place_text(p, md))?;
            }
        }
        if let Some(p) = purge_line(inv, e) {
            writeln!(
                out,
                "- [ ] Purge it from history: `{}`",
                p.replace('`', "'")
            )?;
        }
    }
    if show_allowed {
        let allowed: Vec<&Entry> = inv.allowed().collect();
        if !allowed.is_empty() {
            writeln!(out, "\n## Allowed (not counted)\n")?;
            for e in allowed {
                writeln!(
                    out,
                    "- {} `{}` ({})",
                    md(&e.masked),
                    e.fingerprint,
                    allowed_label(e.allowed)
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_cannot_forge_cells_links_or_lines() {
        assert_eq!(md("a|b`c"), "a\\|b\\`c");
        assert_eq!(md("[x](y)"), "\\[x\\](y)");
        assert_eq!(md("dir/a\nb"), "dir/a\\\\nb");
        assert_eq!(md("app.py"), "app.py");
    }
}
