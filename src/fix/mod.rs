//! `keyguard fix`: takes a blocking secret's literal out of a staged file and puts an
//! environment lookup in its place, the value going to the repository's `.env`.
//!
//! This stage owns the plan (what each file becomes, what `.env` gains, what is refused
//! and why) and the writes that carry it out (`apply`). It reads the findings of the
//! staged scan; `app` runs that scan, prints the plan and re-scans afterwards. The plan
//! is computed without writing anything, so the dry run and `--apply` show the same
//! edits. Per-language rules are data, in `lang`.

pub mod apply;
pub mod lang;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use git2::{Repository, Status};
use regex::Regex;

use crate::finding::Finding;
use crate::matcher::{secret, Matcher, Secret};
use crate::source::{files, Location, ScanStats};
use lang::{Edit, Lang, Place};

/// One secret taken out: what replaces it and where its value goes.
#[derive(Debug, Clone)]
pub struct Var {
    /// The variable the program reads.
    pub name: String,
    /// Its name in `.env` (differs for Terraform: `TF_VAR_name`).
    pub env_name: String,
    pub secret: Secret,
    pub masked: String,
    pub rule_id: String,
    pub revoke_url: Option<String>,
    /// `.env` already holds this name with this value.
    pub in_env_already: bool,
}

/// One file's edit.
pub struct FileFix {
    pub path: String,
    pub lang: &'static Lang,
    /// The work-tree (and staged) content, and what it becomes. Never printed: only
    /// their masked forms are (see [`Plan::preview`]).
    pub old: String,
    pub new: String,
    pub vars: Vec<Var>,
}

/// A blocking finding `fix` leaves alone, with the reason and what to do by hand.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub file: String,
    pub line: u32,
    pub rule_id: String,
    pub masked: String,
    pub reason: String,
    pub manual: String,
    pub revoke_url: Option<String>,
}

/// Everything `fix` would do, computed without writing.
pub struct Plan {
    pub files: Vec<FileFix>,
    pub refused: Vec<Refusal>,
    /// Every secret found in the files involved, with its masked form: what previews
    /// replace before printing a line.
    masks: Vec<(Secret, String)>,
}

/// The `.env` at the repository root: read to avoid duplicates and conflicts.
pub const ENV_FILE: &str = ".env";

impl Plan {
    /// Plans the fix of every blocking finding in `findings` (a staged scan's).
    /// `matcher` finds the other keys of the files involved (on lines the staged scan
    /// did not read, or allowed ones), so that the preview's context masks them too.
    pub fn new(repo: &Repository, findings: &[Finding], matcher: &Matcher) -> Result<Plan> {
        let root = repo
            .workdir()
            .context("this repository has no work tree: there is no file to fix")?;
        let mut masks: Vec<(Secret, String)> = findings
            .iter()
            .map(|f| (f.secret.clone(), f.masked.clone()))
            .collect();
        masks.sort_by_key(|(s, _)| std::cmp::Reverse(s.expose().len()));
        let mut plan = Plan {
            files: Vec::new(),
            refused: Vec::new(),
            masks,
        };
        let blocking: Vec<&Finding> = findings.iter().filter(|f| f.blocks()).collect();
        if blocking.is_empty() {
            return Ok(plan);
        }
        // The secret store must never be committed itself.
        let index = repo.index().context("reading the index")?;
        if index.get_path(Path::new(ENV_FILE), 0).is_some() {
            for f in blocking {
                plan.refuse(
                    f,
                    "`.env` is tracked by git, so the key cannot be moved there",
                    "untrack it (`git rm --cached .env`), git-ignore it, then run `keyguard fix` again",
                );
            }
            return Ok(plan);
        }
        let env = read_env(&root.join(ENV_FILE))?;
        // name → the secret it stands for in this run (two secrets cannot share a name).
        let mut taken: BTreeMap<String, Secret> = BTreeMap::new();
        let cx = Context {
            repo,
            root,
            env: &env,
            matcher,
        };
        let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in blocking {
            by_file.entry(f.file.as_str()).or_default().push(f);
        }
        for (path, found) in by_file {
            plan.plan_file(&cx, path, &found, &mut taken)?;
        }
        Ok(plan)
    }

    fn refuse(&mut self, f: &Finding, reason: &str, manual: &str) {
        self.refused.push(Refusal {
            file: f.file.clone(),
            line: f.line,
            rule_id: f.rule.id.clone(),
            masked: f.masked.clone(),
            reason: reason.to_string(),
            manual: manual.to_string(),
            revoke_url: f.rule.remediation.revoke_url.clone(),
        });
    }

    fn plan_file(
        &mut self,
        cx: &Context<'_>,
        path: &str,
        found: &[&Finding],
        taken: &mut BTreeMap<String, Secret>,
    ) -> Result<()> {
        let Context {
            repo,
            root,
            env,
            matcher,
        } = *cx;
        let lang_of = lang::for_path(path);
        let manual = |f: &Finding| manual_steps(f, lang_of);
        let refuse_all = |plan: &mut Plan, reason: &str| {
            for f in found {
                plan.refuse(f, reason, &manual(f));
            }
        };
        if found
            .iter()
            .any(|f| f.location != Location::File || f.rule.file_rule)
        {
            for f in found {
                let (reason, steps) = if f.rule.file_rule {
                    (
                        "the whole file is the credential",
                        "unstage it (`git rm --cached FILE`), git-ignore it and keep it out of the repository",
                    )
                } else {
                    ("not in a file", "edit it by hand")
                };
                self.refuse(f, reason, steps);
            }
            return Ok(());
        }
        let Some(lang) = lang_of else {
            refuse_all(self, "no language rule for this kind of file");
            return Ok(());
        };
        let full = root.join(path);
        let meta = match std::fs::symlink_metadata(&full) {
            Ok(m) => m,
            Err(_) => {
                refuse_all(self, "the file is not in the work tree");
                return Ok(());
            }
        };
        if !meta.file_type().is_file() {
            refuse_all(self, "the work-tree entry is not a regular file");
            return Ok(());
        }
        let status = repo
            .status_file(Path::new(path))
            .with_context(|| format!("reading the status of {path}"))?;
        if status.intersects(Status::WT_MODIFIED | Status::WT_DELETED | Status::WT_TYPECHANGE) {
            refuse_all(
                self,
                "the file has unstaged changes, which the edit would mix into the commit",
            );
            return Ok(());
        }
        let bytes = std::fs::read(&full).with_context(|| format!("reading {path}"))?;
        let Ok(old) = String::from_utf8(bytes) else {
            refuse_all(self, "the file is not UTF-8 text");
            return Ok(());
        };

        // Every key the rules see anywhere in the file is masked in the preview, whatever
        // line of context it is on.
        let unit = files::text_unit(path.to_string(), old.as_bytes(), &mut ScanStats::default());
        for c in matcher.scan(&unit)? {
            let masked = secret::mask(c.secret.expose(), &c.rule.keywords);
            self.masks.push((c.secret, masked));
        }
        self.masks
            .sort_by_key(|(s, _)| std::cmp::Reverse(s.expose().len()));
        if let Some((re, why)) = lang.refuse_file {
            if Regex::new(re)?.is_match(&old) {
                refuse_all(self, why);
                return Ok(());
            }
        }
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        let mut vars: Vec<Var> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for f in found {
            let secret = f.secret.expose();
            if seen.contains(&secret) {
                continue; // the same key found twice: its edits are planned once
            }
            seen.push(secret);
            let sites = match sites(lang, &old, secret) {
                Ok(s) => s,
                Err(reason) => {
                    self.refuse(f, &reason, &manual(f));
                    continue;
                }
            };
            let Some(name) = choose_name(lang, &sites, f.rule.remediation.env_var.as_deref())
            else {
                self.refuse(
                    f,
                    "no variable name: the rule names none and the code assigns the key to no identifier",
                    &manual(f),
                );
                continue;
            };
            let env_name = lang::fill(lang.env_name, &name);
            if let Some(other) = taken.get(&env_name) {
                if other.expose() != secret {
                    self.refuse(
                        f,
                        &format!("{env_name} already stands for another key in this fix"),
                        &manual(f),
                    );
                    continue;
                }
            }
            let in_env_already = match env.get(&env_name) {
                Some(v) if v == secret => true,
                Some(_) => {
                    self.refuse(
                        f,
                        &format!("{env_name} is already in .env with another value"),
                        &format!(
                            "decide which value is right: edit .env by hand, or rename the variable; then {}",
                            manual(f)
                        ),
                    );
                    continue;
                }
                None => false,
            };
            if !storable(secret) {
                self.refuse(
                    f,
                    "the key spans several lines or holds a single quote, which one .env line cannot hold",
                    &manual(f),
                );
                continue;
            }
            let new_edits: Vec<(usize, usize, String)> = sites
                .iter()
                .map(|s| (s.start, s.end, lang::fill(s.template, &name)))
                .collect();
            if new_edits
                .iter()
                .any(|(a, b, _)| edits.iter().any(|(c, d, _)| a < d && c < b))
            {
                self.refuse(f, "the key overlaps another key's literal", &manual(f));
                continue;
            }
            edits.extend(new_edits);
            taken.insert(env_name.clone(), f.secret.clone());
            vars.push(Var {
                name,
                env_name,
                secret: f.secret.clone(),
                masked: f.masked.clone(),
                rule_id: f.rule.id.clone(),
                revoke_url: f.rule.remediation.revoke_url.clone(),
                in_env_already,
            });
        }
        if vars.is_empty() {
            return Ok(());
        }
        edits.sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut new = old.clone();
        for (a, b, text) in &edits {
            new.replace_range(*a..*b, text);
        }
        if lang.edit == Edit::Replace {
            if let Some(import) = &lang.import {
                new = add_import(&new, import)?;
            }
            if let Some((decl, declared)) = lang.declare {
                for v in &vars {
                    let re = Regex::new(&lang::fill(declared, &v.name))?;
                    if !re.is_match(&new) {
                        if !new.is_empty() && !new.ends_with('\n') {
                            new.push('\n');
                        }
                        new.push_str(&lang::fill(decl, &v.name));
                    }
                }
            }
        }
        self.files.push(FileFix {
            path: path.to_string(),
            lang,
            old,
            new,
            vars,
        });
        Ok(())
    }

    /// `text` with every known secret replaced by its masked form.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (s, masked) in &self.masks {
            if !s.expose().is_empty() {
                out = out.replace(s.expose(), masked);
            }
        }
        out
    }

    /// A unified diff of one file's edit, masked before diffing: it never holds a secret.
    pub fn preview(&self, fix: &FileFix) -> String {
        use imara_diff::{Algorithm, BasicLineDiffPrinter, Diff, InternedInput, UnifiedDiffConfig};
        let (old, new) = (self.mask(&fix.old), self.mask(&fix.new));
        let input = InternedInput::new(old.as_str(), new.as_str());
        let mut diff = Diff::compute(Algorithm::Histogram, &input);
        diff.postprocess_lines(&input);
        let body = diff
            .unified_diff(
                &BasicLineDiffPrinter(&input.interner),
                UnifiedDiffConfig::default(),
                &input,
            )
            .to_string();
        format!("--- a/{0}\n+++ b/{0}\n{body}", fix.path)
    }

    /// The `.env` lines this plan adds, one per new variable (value included: only
    /// `apply` writes these, to `.env` only).
    pub fn env_lines(&self) -> Vec<(String, &Secret)> {
        let mut out: Vec<(String, &Secret)> = Vec::new();
        for v in self.files.iter().flat_map(|f| &f.vars) {
            if !v.in_env_already && !out.iter().any(|(n, _)| *n == v.env_name) {
                out.push((v.env_name.clone(), &v.secret));
            }
        }
        out
    }
}

/// What planning each file reads: the repository, its root, the existing `.env`, the
/// rules.
#[derive(Clone, Copy)]
struct Context<'a> {
    repo: &'a Repository,
    root: &'a Path,
    env: &'a BTreeMap<String, String>,
    matcher: &'a Matcher,
}

/// One place a secret is taken from: the byte range replaced, and by what.
#[derive(Debug)]
struct Site {
    start: usize,
    end: usize,
    template: &'static str,
    /// The identifier the literal is assigned to, if any (`OPENAI_API_KEY = "…"`,
    /// `api_key="…"`, `ENV NAME=…`).
    ident: Option<String>,
}

/// Where `secret` sits in `text` and what each place becomes; an error (the reason)
/// when any place is not a whole literal this language's rule can replace.
fn sites(lang: &Lang, text: &str, secret: &str) -> std::result::Result<Vec<Site>, String> {
    static ASSIGNED: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let assigned = ASSIGNED.get_or_init(|| {
        Regex::new(
            r#"([A-Za-z_][A-Za-z0-9_]*)["']?\]?\s*(?::\s*[A-Za-z_][\w<>\[\]|. ]*?)?\s*(?::=|=>|=|:)\s*["'`]?$"#,
        )
        .expect("valid regex")
    });
    static DOCKER: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let docker = DOCKER.get_or_init(|| {
        Regex::new(r#"^\s*(?i:ENV|ARG)\s+([A-Za-z_][A-Za-z0-9_]*)(?:=|\s+)(["']?)$"#)
            .expect("valid regex")
    });
    let mut out = Vec::new();
    for (a, _) in text.match_indices(secret) {
        let b = a + secret.len();
        let line_start = text[..a].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[b..].find('\n').map_or(text.len(), |i| b + i);
        let line = text[line_start..line_end].trim_end_matches('\r');
        if let Some((re, why)) = lang.refuse_line {
            if Regex::new(re).is_ok_and(|r| r.is_match(line)) {
                return Err(why.to_string());
            }
        }
        let before = &text[line_start..a];
        let after = text[b..line_end].trim_end_matches('\r');
        if lang.edit == Edit::DropLine {
            let caps = docker.captures(before).ok_or(
                "only a single `ENV NAME=value` or `ARG NAME=value` instruction on its own line can be removed",
            )?;
            let quote = &caps[2];
            if after.trim_end() != quote {
                return Err(
                    "the instruction sets more than this one variable, or the key is part of a longer value"
                        .into(),
                );
            }
            let end = if line_end < text.len() {
                line_end + 1
            } else {
                line_end
            };
            out.push(Site {
                start: line_start,
                end,
                template: "",
                ident: Some(caps[1].to_string()),
            });
            continue;
        }
        let prev = before.chars().next_back();
        let next = after.chars().next();
        let site = match (prev, next) {
            (Some(q), Some(n)) if q == n && lang.quotes.contains(&q) => {
                let open = a - q.len_utf8();
                let prefix = &text[line_start..open];
                let forbidden = |c: char| c.is_alphanumeric() || "_@$#\\\"'`".contains(c);
                if prefix.chars().next_back().is_some_and(forbidden)
                    || after[n.len_utf8()..].starts_with(['"', '\'', '`'])
                {
                    return Err(
                        "the key is in a prefixed, raw or multi-quoted string literal; edit it by hand"
                            .into(),
                    );
                }
                Site {
                    start: open,
                    end: b + n.len_utf8(),
                    template: lang.lookup,
                    ident: assigned.captures(prefix).map(|c| c[1].to_string()),
                }
            }
            _ => {
                match lang.bare_lookup {
                    Some(bare)
                        if (before.ends_with('=') || before.ends_with(": "))
                            && next.is_none_or(|c| c.is_whitespace() || c == ';') =>
                    {
                        Site {
                            start: a,
                            end: b,
                            template: bare,
                            ident: assigned.captures(before).map(|c| c[1].to_string()),
                        }
                    }
                    _ => return Err(
                        "the key is part of a longer string or expression (a URL, `Bearer …`): \
                         which part to read from the environment is ambiguous"
                            .into(),
                    ),
                }
            }
        };
        out.push(site);
    }
    if out.is_empty() {
        return Err("the key is not in the work-tree file as it was staged".into());
    }
    Ok(out)
}

/// The variable's name. A name the code already spells like an environment variable
/// (`OPENAI_API_KEY = "…"`, `export TOKEN=…`) comes first: other readers (scripts,
/// deploy settings) may already use it. Then the provider's conventional name (the
/// rule's `env_var`, which its SDKs read by themselves), then the assigned identifier in
/// upper snake case (`apiKey` → `API_KEY`). A Dockerfile's `ENV NAME` is always kept:
/// the container reads that name.
fn choose_name(lang: &Lang, sites: &[Site], env_var: Option<&str>) -> Option<String> {
    let idents: Vec<&str> = sites.iter().filter_map(|s| s.ident.as_deref()).collect();
    if lang.edit == Edit::DropLine {
        return idents.first().map(|s| s.to_string());
    }
    let upper = |s: &&&str| {
        s.len() >= 2
            && s.starts_with(|c: char| c.is_ascii_uppercase())
            && s.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    };
    if let Some(n) = idents.iter().find(upper) {
        return Some(n.to_string());
    }
    if let Some(e) = env_var.filter(|e| valid_name(e)) {
        return Some(e.to_string());
    }
    idents
        .first()
        .map(|s| upper_snake(s))
        .filter(|n| valid_name(n))
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `apiKey` → `API_KEY`, `api_key` → `API_KEY`.
fn upper_snake(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Whether one `.env` line can hold the value (bare, or in single quotes, which a value
/// holding a quote or a line break cannot use).
fn storable(secret: &str) -> bool {
    !secret.contains(['\n', '\r', '\''])
}

fn needs_quotes(value: &str) -> bool {
    !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_+/=.:@%,~".contains(c))
}

/// `NAME=value`, the value in single quotes when a shell would otherwise read it
/// differently (dotenv loaders and `set -a; . ./.env` both take single quotes literally).
pub fn env_line(name: &str, value: &str) -> String {
    if needs_quotes(value) {
        format!("{name}='{value}'")
    } else {
        format!("{name}={value}")
    }
}

/// The variables of an existing `.env` (`NAME=value`, `export NAME=value`, quotes
/// removed); empty when there is none.
pub fn read_env(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut vars = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        if let Some((name, value)) = line.split_once('=') {
            let value = value.trim();
            let value = [('"', '"'), ('\'', '\'')]
                .iter()
                .find_map(|(o, c)| value.strip_prefix(*o)?.strip_suffix(*c))
                .unwrap_or(value);
            vars.insert(name.trim().to_string(), value.to_string());
        }
    }
    Ok(vars)
}

/// `text` with `import` added where the language expects it, unless already there.
fn add_import(text: &str, import: &lang::Import) -> Result<String> {
    if Regex::new(&format!("(?m){}", import.present))?.is_match(text) {
        return Ok(text.to_string());
    }
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    // Byte offsets of each line's start.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&i| i < text.len())
        .collect();
    let line_at = |i: usize| text[i..].split('\n').next().unwrap_or("");
    let mut out = text.to_string();
    match import.place {
        Place::Python => {
            let is_import = |l: &str| l.starts_with("import ") || l.starts_with("from ");
            let future = |l: &str| l.starts_with("from __future__");
            let pos = starts
                .iter()
                .copied()
                .find(|&i| is_import(line_at(i)) && !future(line_at(i)))
                .or_else(|| {
                    let last_future = starts.iter().copied().rfind(|&i| future(line_at(i)))?;
                    Some(last_future + line_at(last_future).len() + 1)
                })
                .or_else(|| {
                    starts.iter().copied().find(|&i| {
                        let l = line_at(i).trim();
                        !(l.is_empty() || l.starts_with('#'))
                    })
                })
                .unwrap_or(text.len())
                .min(text.len());
            out.insert_str(pos, &format!("{}{nl}", import.line));
        }
        Place::Go => {
            let block = starts.iter().copied().find(|&i| {
                line_at(i).trim_end().starts_with("import (")
                    && line_at(i).trim_end().ends_with('(')
            });
            let single = starts
                .iter()
                .copied()
                .find(|&i| line_at(i).starts_with("import "));
            let package = starts
                .iter()
                .copied()
                .find(|&i| line_at(i).starts_with("package "));
            if let Some(i) = block {
                let at = (i + line_at(i).len() + 1).min(text.len());
                out.insert_str(at, &format!("\t{}{nl}", import.line));
            } else if let Some(i) = single {
                out.insert_str(i, &format!("import {}{nl}", import.line));
            } else if let Some(i) = package {
                let at = i + line_at(i).trim_end_matches('\r').len();
                out.insert_str(at, &format!("{nl}{nl}import {}", import.line));
            } else {
                anyhow::bail!("a Go file without a package clause");
            }
        }
    }
    Ok(out)
}

/// What to do by hand when `fix` leaves a finding alone: in the file's language when
/// it has a rule (`lang`), generically otherwise.
fn manual_steps(f: &Finding, lang: Option<&Lang>) -> String {
    let name = f
        .rule
        .remediation
        .env_var
        .clone()
        .unwrap_or_else(|| "A_NAME".to_string());
    let read = match lang {
        Some(l) if l.edit == Edit::Replace => format!("`{}`", lang::fill(l.lookup, &name)),
        _ => format!("the environment variable {name} in this file's language"),
    };
    format!(
        "replace the key with a read of {read} (building any longer string around it), \
         add `{name}=<the key>` to the git-ignored .env, then `git add {}`",
        f.file
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(path: &str) -> &'static Lang {
        lang::for_path(path).unwrap()
    }

    #[test]
    fn a_whole_literal_is_replaced_quotes_and_all() {
        let s = sites(lang("a.py"), "KEY = \"abc123\"\n", "abc123").unwrap();
        assert_eq!((s[0].start, s[0].end), (6, 14));
        assert_eq!(s[0].ident.as_deref(), Some("KEY"));
    }

    #[test]
    fn longer_strings_and_prefixed_literals_are_refused() {
        assert!(sites(lang("a.py"), "h = \"Bearer abc123\"\n", "abc123").is_err());
        assert!(sites(lang("a.py"), "h = f\"abc123\"\n", "abc123").is_err());
        assert!(sites(lang("a.py"), "h = \"\"\"abc123\"\"\"\n", "abc123").is_err());
        assert!(sites(lang("a.rs"), "const K: &str = \"abc123\";\n", "abc123").is_err());
    }

    #[test]
    fn bare_values_in_shell_and_yaml() {
        let sh = sites(lang("a.sh"), "export TOKEN=abc123\n", "abc123").unwrap();
        assert_eq!(sh[0].ident.as_deref(), Some("TOKEN"));
        assert_eq!(sh[0].template, r#""${@NAME@}""#);
        let y = sites(lang("a.yml"), "env:\n  - API=abc123\n", "abc123").unwrap();
        assert_eq!(y[0].template, "${@NAME@}");
    }

    #[test]
    fn names_prefer_the_code_s_env_style_name_then_the_rule_s() {
        let py = lang("a.py");
        let s = sites(py, "MY_KEY = \"abc123\"\n", "abc123").unwrap();
        assert_eq!(
            choose_name(py, &s, Some("OPENAI_API_KEY")).unwrap(),
            "MY_KEY"
        );
        let s = sites(py, "c = Client(api_key=\"abc123\")\n", "abc123").unwrap();
        assert_eq!(
            choose_name(py, &s, Some("OPENAI_API_KEY")).unwrap(),
            "OPENAI_API_KEY"
        );
        assert_eq!(choose_name(py, &s, None).unwrap(), "API_KEY");
        let js = lang("a.ts");
        let s = sites(js, "const apiKey: string = \"abc123\";\n", "abc123").unwrap();
        assert_eq!(choose_name(js, &s, None).unwrap(), "API_KEY");
    }

    #[test]
    fn imports_go_where_the_language_wants_them() {
        let py = lang::for_path("a.py").unwrap().import.as_ref().unwrap();
        assert_eq!(
            add_import("#!/usr/bin/env python3\nprint(1)\n", py).unwrap(),
            "#!/usr/bin/env python3\nimport os\nprint(1)\n"
        );
        assert_eq!(
            add_import("from __future__ import annotations\nimport sys\n", py).unwrap(),
            "from __future__ import annotations\nimport os\nimport sys\n"
        );
        assert_eq!(
            add_import("import sys, os\n", py).unwrap(),
            "import sys, os\n"
        );
        let go = lang::for_path("a.go").unwrap().import.as_ref().unwrap();
        assert_eq!(
            add_import("package main\n\nimport (\n\t\"fmt\"\n)\n", go).unwrap(),
            "package main\n\nimport (\n\t\"os\"\n\t\"fmt\"\n)\n"
        );
        assert_eq!(
            add_import("package main\n\nfunc main() {}\n", go).unwrap(),
            "package main\n\nimport \"os\"\n\nfunc main() {}\n"
        );
    }

    #[test]
    fn env_lines_quote_only_when_needed() {
        assert_eq!(env_line("A", "sk-x_y/z+="), "A=sk-x_y/z+=");
        assert_eq!(env_line("A", "p a$s"), "A='p a$s'");
        assert!(!storable("a\nb"));
    }
}
