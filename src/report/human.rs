//! The human report: what a developer sees when the hook stops a commit.
//!
//! It says where each key is, what it is (masked), and then exactly what to do: revoke
//! or rotate at the provider, load it from the environment instead, and the git
//! commands that take it out of the commit (or, for a push, out of the unpushed
//! history). It ends with how to mark a false positive and, labelled as the last
//! resort, how to skip the hook.
//!
//! Everything printed here that comes from the repository (paths, commit messages, masked
//! values, a repository's own rule texts) goes through [`quote_path`], [`shell_quote`] or
//! [`clean`] first: a hostile repository must not be able to send escape sequences to the
//! terminal or forge report lines with a newline in a file name.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Write;

use colored::Colorize;

use super::{Report, ScanKind};
use crate::finding::{Allowed, Finding};
use crate::rules::schema::Severity;
use crate::source::{path_bytes, Limits, MissingEffect, ObjectKind, ScanStats};

/// Characters a terminal may act on instead of showing: C0 and C1 controls and DEL (ESC
/// starts escape sequences, CR and BS overwrite, LF starts a new report line), line and
/// paragraph separators, and bidirectional overrides, which reorder what is shown
/// ("Trojan Source").
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Writes `c` as a C escape: a letter where C has one, else its UTF-8 bytes in octal.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\x0b' => out.push_str("\\v"),
        '\x0c' => out.push_str("\\f"),
        '\r' => out.push_str("\\r"),
        _ => {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\{b:03o}"));
            }
        }
    }
}

/// Free text from the repository (a commit summary, a masked value, a rule's description
/// in the repository's `.keyguard.toml`) with every character a terminal would act on
/// written as a visible escape.
pub(super) fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A path as the user should see it: as is (spaces, quotes and non-ASCII text included),
/// unless it holds a control character or a byte that is not UTF-8, or starts with a
/// double quote; then in double quotes with C escapes, as git quotes paths
/// (`"dir/a\nb"`, `"caf\351.txt"`). Only a quoted path starts with a quote, so the
/// two forms cannot be confused. `text` is a path as the sources write it (see
/// [`crate::source::path_text`]).
pub(super) fn quote_path(text: &str) -> Cow<'_, str> {
    let raw = path_bytes(text);
    if let Ok(s) = std::str::from_utf8(&raw) {
        if !s.starts_with('"') && !s.chars().any(is_unsafe) {
            // The real name (`path_text` may have doubled a backslash).
            return if s == text {
                Cow::Borrowed(text)
            } else {
                Cow::Owned(s.to_string())
            };
        }
    }
    Cow::Owned(c_quoted(&raw, "\"", '"'))
}

/// `raw` between `open` and `close` with C escapes: the closing quote and backslash
/// escaped, unsafe characters as escapes, bytes that are not UTF-8 in octal. Both
/// git's path quoting and the shell's `$'…'` read it back exactly.
fn c_quoted(raw: &[u8], open: &str, close: char) -> String {
    let mut out = String::from(open);
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                c if c == close || c == '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                c if is_unsafe(c) => push_escaped(&mut out, c),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\{b:03o}"));
        }
    }
    out.push(close);
    out
}

fn human_size(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn where_scanned(kind: ScanKind) -> &'static str {
    match kind {
        ScanKind::Staged => "the staged changes",
        ScanKind::Files => "the staged files",
        ScanKind::Push => "the commits being pushed",
        ScanKind::History => "the history scanned",
        ScanKind::Paths => "the files scanned",
        ScanKind::Stdin => "standard input",
        ScanKind::Message => "the commit message",
    }
}

fn write_finding(out: &mut dyn Write, report: &Report, f: &Finding) -> std::io::Result<()> {
    // A message's label is keyguard's own text, not a path to quote.
    let place = if f.location.is_message() {
        Cow::Borrowed(f.file.as_str())
    } else {
        quote_path(&f.file)
    };
    let loc = format!("{place}:{}:{}", f.line, f.column);
    let tag = match (f.allowed, f.severity) {
        (Some(Allowed::Inline), _) => " [allowed inline]".dimmed().to_string(),
        (Some(Allowed::Baseline), _) => " [in baseline]".dimmed().to_string(),
        (Some(Allowed::Fingerprint), _) => " [allowlisted fingerprint]".dimmed().to_string(),
        (None, Severity::Warn) => " [warning]".yellow().to_string(),
        (None, Severity::Block) => String::new(),
    };
    writeln!(
        out,
        "  {}  {} {}{}",
        loc.bold(),
        clean(&f.rule.description).red().bold(),
        format!("({})", f.rule.id).dimmed(),
        tag
    )?;
    if let Some(c) = &f.commit {
        writeln!(
            out,
            "      commit       {} {}",
            c.short.yellow(),
            clean(&c.summary)
        )?;
    }
    if f.rule.file_rule {
        // A file rule's "secret" is the path.
        writeln!(out, "      file         {}", quote_path(&f.masked))?;
    } else {
        let len = f.secret.expose().chars().count();
        writeln!(
            out,
            "      secret       {}  {}",
            clean(&f.masked).bold(),
            format!("({len} chars, masked)").dimmed()
        )?;
    }
    if !f.also_matched.is_empty() {
        writeln!(
            out,
            "      also matched {}",
            clean(&f.also_matched.join(", ")).dimmed()
        )?;
    }
    writeln!(out, "      fingerprint  {}", f.fingerprint)?;
    if let Some(v) = report.verified(f) {
        let text = clean(&v.describe()).into_owned();
        let shown = match v.status {
            crate::verify::Status::Live => text.red().bold().to_string(),
            crate::verify::Status::Invalid => text.green().to_string(),
            _ => text.dimmed().to_string(),
        };
        writeln!(out, "      verified     {shown}")?;
    }
    Ok(())
}

/// One line on what verification did, when it ran.
fn write_verification(out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    let Some(v) = report.verification else {
        return Ok(());
    };
    let s = v.summary();
    writeln!(
        out,
        "{} asked the providers about {} in {:.1} s ({} live, {} revoked/invalid, {} unknown, {} unsupported; timeout {:.1} s per request). A finding blocks whatever its provider says.",
        "keyguard: verification:".bold(),
        plural(s.requests, "key", "keys"),
        v.elapsed.as_secs_f64(),
        s.live,
        s.invalid,
        s.unknown,
        s.unsupported,
        v.timeout.as_secs_f64(),
    )
}

pub(super) fn write_skips(out: &mut dyn Write, stats: &ScanStats) -> std::io::Result<()> {
    for o in &stats.oversized {
        let at = o
            .commit
            .as_deref()
            .map(|c| format!(" in commit {}", &c[..c.len().min(10)]))
            .unwrap_or_default();
        let why = if o.limit >= Limits::CEILING {
            format!(
                "{} is over {}, the most keyguard reads into memory for one file (git does not diff files this big either). Check it by hand.",
                human_size(o.size),
                human_size(o.limit)
            )
        } else {
            format!(
                "{} is over the size limit ({}). Check it by hand, or raise [scan] max_file_size in .keyguard.toml.",
                human_size(o.size),
                human_size(o.limit)
            )
        };
        writeln!(
            out,
            "{} {}{at} was NOT scanned: {why}",
            "keyguard: warning:".yellow().bold(),
            quote_path(&o.path),
        )?;
    }
    write_unavailable(out, stats)?;
    if let Some(worst) = stats
        .rename_limited
        .iter()
        .max_by_key(|r| r.added.saturating_mul(r.deleted))
    {
        let n = stats.rename_limited.len();
        let sizes = format!("{} added × {} deleted files", worst.added, worst.deleted);
        let where_ = match n {
            1 => format!(
                "{}({sizes})",
                worst
                    .commit
                    .as_deref()
                    .map(|c| format!("in commit {} ", &c[..c.len().min(10)]))
                    .unwrap_or_default()
            ),
            _ => format!("in {n} commits (the largest: {sizes})"),
        };
        writeln!(
            out,
            "{} rename detection limited {where_}: moved files were paired by file name, any other added file scanned whole.",
            "keyguard: note:".yellow().bold(),
        )?;
    }
    Ok(())
}

/// Binary files and archives a scan of files or stdin did not read as text (their paths
/// still met the path rules).
fn write_text_skips(out: &mut dyn Write, stats: &ScanStats) -> std::io::Result<()> {
    let mut parts = Vec::new();
    if stats.binary_skipped > 0 {
        parts.push(plural(stats.binary_skipped, "binary file", "binary files"));
    }
    if stats.archives_skipped > 0 {
        parts.push(plural(stats.archives_skipped, "archive", "archives"));
    }
    if parts.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{} skipped {} (not read as text; path rules still applied).",
        "keyguard: note:".yellow().bold(),
        parts.join(" and ")
    )
}

/// How many missing objects are listed one by one; the rest are counted (JSON and SARIF
/// list them all). A blob-less clone can miss every old version of every file.
const LISTED_UNAVAILABLE: usize = 10;

/// Objects a partial clone does not have: what they cost the scan, and how to get them.
fn write_unavailable(out: &mut dyn Write, stats: &ScanStats) -> std::io::Result<()> {
    if stats.unavailable.is_empty() {
        return Ok(());
    }
    for (effect, what) in [
        (MissingEffect::NotScanned, "NOT scanned"),
        (
            MissingEffect::ScannedWhole,
            "scanned whole, every line as added, since the earlier version is absent",
        ),
    ] {
        let items: Vec<_> = stats
            .unavailable
            .iter()
            .filter(|u| u.effect == effect)
            .collect();
        let Some(first) = items.first() else { continue };
        let noun = if items.iter().all(|u| u.kind == ObjectKind::Blob) {
            plural(items.len(), "file was", "files were")
        } else {
            plural(items.len(), "file or folder was", "files or folders were")
        };
        writeln!(
            out,
            "{} {noun} {what}: {}:",
            "keyguard: warning:".yellow().bold(),
            first.why
        )?;
        for u in items.iter().take(LISTED_UNAVAILABLE) {
            let at = u
                .commit
                .as_deref()
                .map(|c| format!(" in commit {}", &c[..c.len().min(10)]))
                .unwrap_or_default();
            let path = match (u.kind, u.path.is_empty()) {
                (ObjectKind::Tree, true) => "(every file of the commit)".into(),
                (ObjectKind::Tree, false) => format!("{}/", quote_path(&u.path)),
                (ObjectKind::Blob, _) => quote_path(&u.path).into_owned(),
            };
            writeln!(out, "    {path}{at}")?;
        }
        if items.len() > LISTED_UNAVAILABLE {
            writeln!(
                out,
                "    … and {} more (--format json lists them all)",
                items.len() - LISTED_UNAVAILABLE
            )?;
        }
    }
    writeln!(
        out,
        "  keyguard never downloads anything. To scan everything, fetch the missing objects first: \
         `git fetch --refetch --no-filter origin` (every object, unfiltered), `git backfill` \
         (git 2.49 or later: the missing blobs), or clone again without --filter."
    )
}

/// The advice block, tailored to the providers and files involved.
/// One function, top to bottom in the order the advice is printed, so the text reads
/// as the user will see it.
fn write_advice(
    out: &mut dyn Write,
    report: &Report,
    blocking: &[&Finding],
) -> std::io::Result<()> {
    writeln!(out, "{}", "What to do now".bold().underline())?;
    writeln!(
        out,
        "  1. {} A key that ever left this machine (pushed, pasted, shared, synced) is compromised: revoke or rotate it and check its recent usage.",
        "Revoke or rotate.".bold()
    )?;
    let mut seen = BTreeSet::new();
    for f in blocking.iter().filter(|f| seen.insert(f.rule.id.clone())) {
        let who = clean(f.rule.provider.as_deref().unwrap_or(&f.rule.description));
        if let Some(url) = &f.rule.remediation.revoke_url {
            writeln!(out, "       {who}: {}", clean(url).cyan())?;
        }
        for step in &f.rule.remediation.steps {
            writeln!(out, "       {who}: {}", clean(step))?;
        }
    }
    let env_vars: BTreeSet<&str> = blocking
        .iter()
        .filter_map(|f| f.rule.remediation.env_var.as_deref())
        .collect();
    let env_hint = if env_vars.is_empty() {
        String::from("an environment variable")
    } else {
        env_vars
            .iter()
            .map(|v| format!("${}", clean(v)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        out,
        "  2. {} Read it at run time from {env_hint} or a secret manager (e.g. os.environ[\"…\"], process.env.…), and keep .env files listed in .gitignore.",
        "Keep it out of the code.".bold()
    )?;
    let files: BTreeSet<&str> = blocking
        .iter()
        .filter(|f| !f.location.is_message())
        .map(|f| f.file.as_str())
        .collect();
    match report.kind {
        ScanKind::Message => {
            writeln!(
                out,
                "  3. {} Nothing was committed; git kept the message in .git/COMMIT_EDITMSG:",
                "Take it out of the message.".bold()
            )?;
            writeln!(
                out,
                "       git commit -e -F \"$(git rev-parse --git-dir)/COMMIT_EDITMSG\"    # edit the key out and commit again"
            )?;
        }
        ScanKind::Staged | ScanKind::Files => {
            writeln!(
                out,
                "  3. {} Your working-tree edits stay as they are:",
                "Take it out of this commit.".bold()
            )?;
            // `--`: a path that starts with `-` must not be read as an option.
            for file in &files {
                let q = shell_quote(file);
                writeln!(out, "       git restore --staged -- {q}    # unstage it")?;
                writeln!(
                    out,
                    "       # edit {q}: remove the key, read it from the environment instead"
                )?;
                writeln!(out, "       git add -- {q}")?;
            }
        }
        ScanKind::Push => {
            writeln!(
                out,
                "  3. {} Deleting the line in a new commit does not help: the key stays in the commits that would be pushed.",
                "Rewrite the unpushed commits.".bold()
            )?;
            writeln!(
                out,
                "       git commit --amend                 # if it is in the last commit"
            )?;
            writeln!(out, "       git rebase -i <remote>/<branch>    # edit the commit that added it (see `commit` above)")?;
            writeln!(out, "       git reset --soft <remote>/<branch> # or squash all unpushed commits and commit again")?;
        }
        ScanKind::History => {
            writeln!(
                out,
                "  3. {} If these commits were ever pushed, rotating the key (step 1) is what protects you: rewriting history does not un-leak it.",
                "It is already in history.".bold()
            )?;
            writeln!(out, "       git rebase -i <commit>^            # only for commits not pushed yet: edit the one that added it")?;
            writeln!(out, "       keyguard baseline                  # after rotating: accept the old, now dead key so it is not reported again")?;
        }
        ScanKind::Paths | ScanKind::Stdin => {
            writeln!(
                out,
                "  3. {} Not in a commit yet: delete it from the file (or never commit that file: list it in .gitignore). A text that was shared (a CI log, a paste, a chat) has leaked it: rotating (step 1) is what protects you.",
                "Take it out of the text.".bold()
            )?;
        }
    }
    if report.kind != ScanKind::Message && blocking.iter().any(|f| f.location.is_message()) {
        writeln!(
            out,
            "     {} `git commit --amend` rewords the last commit; `git rebase -i <commit>^` with `reword` an earlier one (unpushed commits only). A tag: `git tag -f -a <name> <commit>`.",
            "A key in a commit or tag message:".bold()
        )?;
    }
    writeln!(
        out,
        "  {} add a comment containing `keyguard:allow` on that line (or `keyguard:allow-next-line` on the line above), or add its fingerprint to [allowlist] fingerprints in .keyguard.toml.",
        "Not a secret?".bold()
    )?;
    let skip = match report.kind {
        ScanKind::Push => "git push --no-verify",
        ScanKind::History | ScanKind::Paths | ScanKind::Stdin => return Ok(()),
        _ => "git commit --no-verify",
    };
    writeln!(
        out,
        "  {} `{skip}` skips every check of this {}. Only if you are sure.",
        "Last resort:".bold().red(),
        if skip.contains("push") {
            "push"
        } else {
            "commit"
        }
    )
}

/// Quotes a path (as the sources write it) for a shell when it needs it: single quotes
/// for printable text; `$'…'` with C escapes (POSIX.1-2024, bash, zsh, ksh) for a path
/// with control characters or bytes that are not UTF-8, which single quotes would print
/// raw to the terminal.
fn shell_quote(text: &str) -> String {
    let raw = path_bytes(text);
    if !raw.is_empty()
        && raw
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(b))
    {
        return text.to_string();
    }
    if let Ok(s) = std::str::from_utf8(&raw) {
        if !s.chars().any(is_unsafe) {
            return format!("'{}'", s.replace('\'', "'\\''"));
        }
    }
    c_quoted(&raw, "$'", '\'')
}

/// The whole human report, in the order it is printed (header, findings, summary,
/// advice); kept in one piece so the layout can be read as the output.
pub fn write(report: &Report, out: &mut dyn Write, quiet: bool) -> std::io::Result<()> {
    let reported: Vec<&Finding> = report.reported().collect();
    let blocking: Vec<&Finding> = reported.iter().copied().filter(|f| f.blocks()).collect();
    let warnings: Vec<&Finding> = reported.iter().copied().filter(|f| !f.blocks()).collect();
    write_skips(out, report.stats)?;
    if !quiet && matches!(report.kind, ScanKind::Paths | ScanKind::Stdin) {
        write_text_skips(out, report.stats)?;
    }

    let allowed_note = {
        let parts: Vec<String> = [
            (Allowed::Inline, "allowed inline"),
            (Allowed::Baseline, "in the baseline"),
            (Allowed::Fingerprint, "allowlisted by fingerprint"),
        ]
        .iter()
        .filter_map(|(k, label)| {
            let n = report.count_allowed(*k);
            (n > 0).then(|| format!("{n} {label}"))
        })
        .collect();
        if parts.is_empty() {
            String::new()
        } else {
            let hint = if report.show_allowed {
                ""
            } else {
                "; --show-allowed lists them"
            };
            format!(" ({}{hint})", parts.join(", "))
        }
    };

    if blocking.is_empty() && warnings.is_empty() {
        if !quiet {
            let s = report.stats;
            let commits = if s.commits > 0 {
                format!("{}, ", plural(s.commits, "commit", "commits"))
            } else {
                String::new()
            };
            writeln!(
                out,
                "{} no secrets in {} ({commits}{} in {}){allowed_note}",
                "keyguard:".green(),
                where_scanned(report.kind),
                plural(s.lines, "line", "lines"),
                plural(s.files, "file", "files"),
            )?;
        }
    } else {
        if !blocking.is_empty() {
            let verdict = match report.kind {
                ScanKind::Push => "push blocked",
                ScanKind::History => "found in history",
                ScanKind::Paths | ScanKind::Stdin => "found",
                _ => "commit blocked",
            };
            writeln!(
                out,
                "{} {} in {}: {}{allowed_note}\n",
                "keyguard:".red().bold(),
                plural(blocking.len(), "secret", "secrets").red().bold(),
                where_scanned(report.kind),
                verdict.red().bold()
            )?;
            for f in &blocking {
                write_finding(out, report, f)?;
            }
            writeln!(out)?;
        }
        if !warnings.is_empty() {
            writeln!(
                out,
                "{} {} (severity \"warn\", not blocking):\n",
                "keyguard:".yellow().bold(),
                plural(warnings.len(), "warning", "warnings")
            )?;
            for f in &warnings {
                write_finding(out, report, f)?;
            }
            writeln!(out)?;
        }
        if !blocking.is_empty() {
            write_advice(out, report, &blocking)?;
        }
    }
    if report.show_allowed {
        let allowed: Vec<&Finding> = report.allowed().collect();
        if !allowed.is_empty() {
            writeln!(
                out,
                "\n{} {}:",
                "keyguard:".dimmed(),
                plural(allowed.len(), "allowed finding", "allowed findings")
            )?;
            for f in allowed {
                write_finding(out, report, f)?;
            }
        }
    }
    if !report.findings.is_empty() {
        write_verification(out, report)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::path_text;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("src/a.py"), "src/a.py");
        assert_eq!(shell_quote("my file"), "'my file'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("d\u{e9}j\u{e0}"), "'d\u{e9}j\u{e0}'");
        assert_eq!(shell_quote("a\nb\u{1b}[2J'"), "$'a\\nb\\033[2J\\''");
        assert_eq!(shell_quote(&path_text(b"caf\xe9")), "$'caf\\351'");
    }

    #[test]
    fn paths_are_quoted_like_git() {
        assert_eq!(quote_path("src/a b.py"), "src/a b.py");
        assert_eq!(quote_path("d\u{e9}j\u{e0}.txt"), "d\u{e9}j\u{e0}.txt");
        assert_eq!(quote_path("dir/a\nb\tc"), "\"dir/a\\nb\\tc\"");
        assert_eq!(quote_path("x\u{1b}[2J\u{7}"), "\"x\\033[2J\\a\"");
        // Quotes and backslashes inside a name are shown as they are ...
        assert_eq!(quote_path("say \"hi\".txt"), "say \"hi\".txt");
        assert_eq!(quote_path(&path_text(b"x\\377")), "x\\377");
        // ... but a name that starts with a quote could pass for a quoted one.
        assert_eq!(quote_path("\"x\\n\""), "\"\\\"x\\\\n\\\"\"");
        assert_eq!(quote_path(&path_text(b"caf\xe9.txt")), "\"caf\\351.txt\"");
        assert_eq!(quote_path(&path_text(b"a\\\xff")), "\"a\\\\\\377\"");
        // C1 controls and bidirectional overrides, as their UTF-8 bytes.
        assert_eq!(quote_path("a\u{9b}b"), "\"a\\302\\233b\"");
        assert_eq!(quote_path("a\u{202e}b"), "\"a\\342\\200\\256b\"");
    }

    #[test]
    fn free_text_is_cleaned() {
        assert_eq!(clean("fix: the thing"), "fix: the thing");
        assert_eq!(clean("\u{1b}]0;pwned\u{7}x\ry"), "\\033]0;pwned\\ax\\ry");
        assert!(!clean("a\u{9b}2Jb").chars().any(|c| c.is_control()));
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(12 << 20), "12.0 MiB");
        assert_eq!(human_size(5), "5 B");
    }
}
