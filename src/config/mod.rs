//! `.keyguard.toml`: finding it, reading it (with `extends`), and checking every value,
//! so that a mistake is reported with its file, line, column and field instead of
//! silently weakening the scan.
//!
//! How `extends` merges (base first, then each file that extends it):
//! - `disable`, `[[rules]]` and every `[allowlist]` list are unions;
//! - `[severity]`, `[scan]` and `baseline` values of the extending file win;
//! - a rule id may be defined once across the whole chain: a second definition is an
//!   error, not an override, so a team cannot silently replace an organisation's rule
//!   (to change one, `disable` it and add yours under another id, or soften it with
//!   `[severity]`);
//! - a relative `extends` path is relative to the file that contains it.

mod build;

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::GlobSet;

use crate::matcher::{self, examples, template, Matcher, Origin, Rule, SecretAllowlist};
use crate::rules::schema::{ConfigDoc, Severity};
use crate::rules::{self, ConfigError, SourceText};
use crate::source::Limits;

/// The default config file name, at the repository root.
pub const CONFIG_FILE: &str = ".keyguard.toml";
/// The default baseline file name, at the repository root.
pub const BASELINE_FILE: &str = ".keyguard-baseline";

/// Everything the scan needs from configuration, merged and validated.
pub struct Settings {
    pub rules: Vec<Arc<Rule>>,
    pub allow_paths: Option<GlobSet>,
    pub allow_secrets: SecretAllowlist,
    pub allow_fingerprints: HashSet<String>,
    pub limits: Limits,
    /// Baseline path (relative paths are relative to the repository root).
    pub baseline: PathBuf,
    /// Config files read, outermost first.
    pub files: Vec<PathBuf>,
    /// Non-fatal remarks (e.g. a custom rule without keywords).
    pub warnings: Vec<String>,
    /// Built-in rule ids turned off.
    pub disabled: Vec<String>,
    /// `[severity]` entries in force, after merging.
    pub severity_overrides: BTreeMap<String, Severity>,
    /// `[allowlist] paths` as written, across all files.
    pub allow_path_patterns: Vec<String>,
    /// Each config file's name and text, kept to locate problems found after loading
    /// (a custom rule's examples).
    sources: Vec<(String, String)>,
}

/// Which config file applies: `--config`, else `KEYGUARD_CONFIG`, else the repository's
/// `.keyguard.toml` if there is one. The flag says whether the file must exist.
pub fn locate(explicit: Option<&Path>, repo_root: Option<&Path>) -> Option<(PathBuf, bool)> {
    if let Some(p) = explicit {
        return Some((p.to_path_buf(), true));
    }
    if let Some(p) = std::env::var_os("KEYGUARD_CONFIG").filter(|v| !v.is_empty()) {
        return Some((PathBuf::from(p), true));
    }
    let p = repo_root?.join(CONFIG_FILE);
    p.is_file().then_some((p, false))
}

/// One parsed file, kept with its text for locating errors.
struct Loaded {
    path: PathBuf,
    name: String,
    text: String,
    doc: ConfigDoc,
}

impl Loaded {
    fn src(&self) -> SourceText<'_> {
        SourceText {
            name: &self.name,
            text: &self.text,
        }
    }
}

/// Reads and parses one file. `from` is the file and span of the `extends` that named
/// it, so that a missing base is reported at that line.
fn read(path: &Path, from: Option<(&Loaded, Range<usize>)>) -> Result<Loaded, ConfigError> {
    let name = path.display().to_string();
    let not_readable = |what: String| match &from {
        Some((parent, span)) => parent.src().error(span.clone(), "extends", what),
        None => ConfigError {
            file: name.clone(),
            line: 0,
            column: 0,
            field: "config".into(),
            message: what,
        },
    };
    if path.is_dir() {
        return Err(not_readable(format!(
            "{name} is a directory, not a config file"
        )));
    }
    let bytes =
        std::fs::read(path).map_err(|e| not_readable(format!("cannot read {name}: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = rules::line_col(
            &String::from_utf8_lossy(e.as_bytes()),
            e.utf8_error().valid_up_to(),
        );
        ConfigError {
            file: name.clone(),
            line,
            column,
            field: "file".into(),
            message: "config is not valid UTF-8".into(),
        }
    })?;
    let doc = rules::parse_doc(&SourceText {
        name: &name,
        text: &text,
    })?;
    Ok(Loaded {
        path: path.to_path_buf(),
        name,
        text,
        doc,
    })
}

/// Reads `path` and everything it extends, base first.
fn read_chain(path: &Path) -> Result<Vec<Loaded>, ConfigError> {
    let mut chain = vec![read(path, None)?];
    let mut seen: Vec<PathBuf> = vec![canonical(path)];
    while let Some(last) = chain.last() {
        let Some(ext) = &last.doc.extends else { break };
        if ext.get_ref().trim().is_empty() {
            return Err(last.src().error(
                ext.span(),
                "extends",
                "`extends` is empty: name a config file",
            ));
        }
        // Relative to the file that says `extends`, not to the current directory: the
        // same config must mean the same thing from a hook, a subdirectory or CI.
        let base = last
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join(ext.get_ref());
        let canon = canonical(&base);
        if seen.contains(&canon) {
            let chain_text: Vec<String> = chain
                .iter()
                .map(|l| l.name.clone())
                .chain([base.display().to_string()])
                .collect();
            return Err(last.src().error(
                ext.span(),
                "extends",
                format!("`extends` cycle: {}", chain_text.join(" -> ")),
            ));
        }
        seen.push(canon);
        let next = read(&base, Some((last, ext.span())))?;
        chain.push(next);
    }
    chain.reverse();
    Ok(chain)
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// Loads and validates configuration. `explicit` is `--config`; `repo_root` is the work
/// tree (or `None` outside a repository).
pub fn load(explicit: Option<&Path>, repo_root: Option<&Path>) -> Result<Settings, ConfigError> {
    let builtin = matcher::builtin()?;
    let chain = match locate(explicit, repo_root) {
        Some((path, required)) => {
            if !required && !path.is_file() {
                Vec::new()
            } else {
                read_chain(&path)?
            }
        }
        None => Vec::new(),
    };
    build::build(builtin, &chain, repo_root)
}

/// Checks every custom rule against its own `examples` (each must be reported by that
/// rule) and `near_misses` (none may be); returns one located error per failure.
pub fn check_custom_rules(
    settings: &Settings,
    matcher: &Matcher,
) -> anyhow::Result<Vec<ConfigError>> {
    // Fixed seed: the same config gives the same verdict on every run.
    let mut rng = template::Rng::new(0x6b67);
    let mut errors = Vec::new();
    for rule in &settings.rules {
        let Origin::Custom(file) = &rule.origin else {
            continue;
        };
        for failure in examples::check_examples(matcher, rule, &mut rng)? {
            errors.push(locate_rule_entry(
                settings,
                file,
                &rule.id,
                failure.list,
                failure.index,
                failure.message,
            ));
        }
    }
    Ok(errors)
}

/// An error at entry `index` of `rules[id].key` in config file `file`.
fn locate_rule_entry(
    settings: &Settings,
    file: &str,
    id: &str,
    key: &str,
    index: usize,
    message: String,
) -> ConfigError {
    let field = format!("rules[{id}].{key}");
    let Some((name, text)) = settings.sources.iter().find(|(n, _)| n == file) else {
        return ConfigError {
            file: file.to_string(),
            line: 0,
            column: 0,
            field,
            message,
        };
    };
    let span = rule_entry_span(text, id, key, index).unwrap_or(0..0);
    SourceText { name, text }.error(span, field, message)
}

/// Span of `rules[id].key[index]` (or of `key`, or of the rule) in a config text.
fn rule_entry_span(text: &str, id: &str, key: &str, index: usize) -> Option<Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let (tree, _) = DeTable::parse_recoverable(text);
    let get = |t: &DeTable<'_>, k: &str| -> Option<(Range<usize>, Range<usize>)> {
        t.iter()
            .find(|(key, _)| key.get_ref() == k)
            .map(|(key, v)| (key.span(), v.span()))
    };
    let rules = tree
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref() == "rules")
        .map(|(_, v)| v)?;
    let DeValue::Array(items) = rules.get_ref() else {
        return None;
    };
    for item in items.iter() {
        let DeValue::Table(t) = item.get_ref() else {
            continue;
        };
        let Some((_, id_span)) = get(t, "id") else {
            continue;
        };
        let is_it = t
            .iter()
            .find(|(k, _)| k.get_ref() == "id")
            .and_then(|(_, v)| v.get_ref().as_str())
            == Some(id);
        if !is_it {
            continue;
        }
        let entry = t
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .and_then(|(_, v)| match v.get_ref() {
                DeValue::Array(a) => a.get(index).map(|e| e.span()),
                _ => None,
            });
        return entry
            .or_else(|| get(t, key).map(|(k, _)| k))
            .or(Some(id_span));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn load_err(text: &str) -> ConfigError {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "c.toml", text);
        match load(Some(&p), None) {
            Ok(_) => panic!("config should be rejected:\n{text}"),
            Err(e) => e,
        }
    }

    const RULE: &str = "[[rules]]\nid = \"acme\"\ndescription = \"d\"\nkeywords = [\"acme_\"]\nregex = '''acme_[a-z0-9]{32}'''\n";

    #[test]
    fn empty_config_is_valid() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), ".keyguard.toml", "");
        let s = load(Some(&p), None).unwrap();
        assert_eq!(s.rules.len(), matcher::builtin().unwrap().len());
    }

    #[test]
    fn errors_are_located() {
        let e = load_err("[allowlist]\nstopword = [\"x\"]\n");
        assert_eq!(
            (e.line, e.column, e.field.as_str()),
            (2, 1, "allowlist.stopword")
        );
        assert!(e.message.contains("did you mean `stopwords`"), "{e}");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let e = load_err("disable = \"github-pat\"\n");
        assert_eq!((e.line, e.column, e.field.as_str()), (1, 11, "disable"));
        assert!(e.message.contains("expected an array"), "{e}");
        let e = load_err(&format!("{RULE}keywords2 = 1\n"));
        assert_eq!(e.field, "rules[acme].keywords2");
        let e = load_err("[[rules]]\nid = \"x\"\ndescription = \"d\"\nkeywords = \"a\"\n");
        assert_eq!((e.line, e.field.as_str()), (4, "rules[x].keywords"));
        let e = load_err("[[rules]]\nid = \"x\"\nkeywords = [\"a\"]\n");
        assert_eq!((e.line, e.field.as_str()), (1, "rules[x].description"));
        let e = load_err("[scan]\nmax_file_size = \"ten\"\n");
        assert_eq!(
            (e.line, e.column, e.field.as_str()),
            (2, 17, "scan.max_file_size")
        );
        assert!(e.message.contains("invalid size"), "{e}");
        let e = load_err("[scan]\nmax_file_size = true\n");
        assert!(e.message.contains("10MiB"), "{e}");
        let e = load_err("[severity]\ngithub-pat = \"soft\"\n");
        assert_eq!(
            (e.line, e.column, e.field.as_str()),
            (2, 14, "severity.github-pat")
        );
        assert!(e.message.contains("\"block\" or \"warn\""), "{e}");
        let e = load_err("[severity]\ngithub-pat = 1\n");
        assert!(e.message.contains("\"block\" or \"warn\""), "{e}");
        let e = load_err(&format!(
            "{RULE}[rules.remediation]\nrevoke = \"https://x.invalid\"\n"
        ));
        assert_eq!(
            (e.line, e.field.as_str()),
            (7, "rules[acme].remediation.revoke")
        );
        assert!(e.message.contains("did you mean `revoke_url`"), "{e}");
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = load_err("\n[scan]\nmax_file_size = \"10MiB\n");
        assert_eq!((e.line, e.field.as_str()), (3, "scan.max_file_size"));
        assert!(e.message.starts_with("invalid TOML"), "{e}");
        let e = load_err("disable = []\ndisable = []\n");
        assert_eq!((e.line, e.field.as_str()), (2, "disable"));
    }

    #[test]
    fn bad_regex_names_rule() {
        let e = load_err("[[rules]]\nid = \"acme\"\ndescription = \"d\"\nkeywords=[\"a\"]\nregex = '''acme_[a-z'''\n");
        assert_eq!(e.line, 5);
        assert!(e.field.contains("acme"), "{e}");
    }

    #[test]
    fn huge_and_empty_matching_regexes_are_rejected() {
        let e = load_err("[[rules]]\nid = \"big\"\ndescription = \"d\"\nkeywords=[\"a\"]\nregex = '''\\w{1000}{1000}'''\n");
        assert_eq!((e.line, e.field.as_str()), (5, "rules[big].regex"));
        assert!(e.message.contains("too large"), "{e}");
        let e = load_err("[[rules]]\nid = \"empty\"\ndescription = \"d\"\nkeywords=[\"a\"]\nregex = '''(acme_[0-9]{8})?'''\n");
        assert!(e.message.contains("empty string"), "{e}");
    }

    #[test]
    fn allowlist_entries_that_allow_everything_are_rejected() {
        let e = load_err("[allowlist]\nregexes = ['''.*''']\n");
        assert_eq!((e.line, e.field.as_str()), (2, "allowlist.regexes"));
        let e = load_err("[allowlist]\nstopwords = [\"ok\", \"\"]\n");
        assert_eq!(
            (e.line, e.column, e.field.as_str()),
            (2, 20, "allowlist.stopwords")
        );
        let e = load_err("[allowlist]\nfingerprints = [\"ghp_…abcd\"]\n");
        assert_eq!(e.field, "allowlist.fingerprints");
        let e = load_err("[scan]\nmax_file_size = 0\n");
        assert_eq!(e.field, "scan.max_file_size");
    }

    #[test]
    fn duplicate_and_unknown_ids() {
        let e = load_err(&format!("{RULE}{RULE}"));
        assert_eq!((e.line, e.field.as_str()), (7, "rules[acme].id"));
        assert!(e.message.contains("c.toml:2:6"), "{e}");
        let e = load_err("disable = [\"github-pta\"]\n");
        assert!(e.message.contains("did you mean \"github-pat\""), "{e}");
        let e = load_err("[severity]\nnope = \"warn\"\n");
        assert_eq!(e.field, "severity.nope");
    }

    #[test]
    fn keywordless_rule_is_a_warning() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            d.path(),
            "c.toml",
            "[[rules]]\nid = \"k\"\ndescription = \"d\"\nregex = '''zz_[0-9]{8}'''\n",
        );
        let s = load(Some(&p), None).unwrap();
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(s.warnings[0].contains("c.toml:2:6"), "{:?}", s.warnings);
    }

    #[test]
    fn allowlisting_every_path_is_a_warning() {
        let d = tempfile::tempdir().unwrap();
        for (glob, warns) in [
            ("**", true),
            ("*", true),
            ("tests/**", false),
            ("*.snap", false),
        ] {
            let p = write(
                d.path(),
                "c.toml",
                &format!("[allowlist]\npaths = [{glob:?}]\n"),
            );
            let s = load(Some(&p), None).unwrap();
            assert_eq!(
                s.warnings.len(),
                usize::from(warns),
                "{glob}: {:?}",
                s.warnings
            );
        }
    }

    #[test]
    fn extends_merges_relative_to_the_extending_file() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("org")).unwrap();
        write(
            d.path(),
            "org/base.toml",
            &format!("disable = [\"github-pat\"]\n[scan]\nmax_file_size = 100\n{RULE}"),
        );
        let p = write(
            d.path(),
            "team.toml",
            "extends = \"org/base.toml\"\n[scan]\nmax_file_size = \"1KiB\"\n[severity]\nacme = \"warn\"\n[allowlist]\npaths = [\"fixtures/**\"]\n",
        );
        let s = load(Some(&p), None).unwrap();
        assert_eq!(s.files.len(), 2);
        assert!(s.files[0].ends_with("org/base.toml"));
        assert!(!s.rules.iter().any(|r| r.id == "github-pat"));
        let acme = s.rules.iter().find(|r| r.id == "acme").unwrap();
        assert_eq!(acme.severity, Severity::Warn);
        assert_eq!(s.limits.max_file_size, 1024);
        assert!(s.allow_paths.unwrap().is_match("fixtures/a/b.txt"));
    }

    #[test]
    fn errors_in_a_base_file_name_that_file() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("org")).unwrap();
        write(
            d.path(),
            "org/base.toml",
            "# org\n[allowlist]\npaths = [\"ok/**\", \"a/{b\"]\n",
        );
        let p = write(
            d.path(),
            "team.toml",
            "extends = \"org/base.toml\"\n[allowlist]\npaths = [\"x/**\"]\n",
        );
        let e = load(Some(&p), None).err().unwrap();
        assert!(e.file.ends_with("org/base.toml"), "{e}");
        assert_eq!(
            (e.line, e.column, e.field.as_str()),
            (3, 19, "allowlist.paths")
        );
    }

    #[test]
    fn duplicate_rule_across_extends_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "base.toml", RULE);
        let p = write(
            d.path(),
            "team.toml",
            &format!("extends = \"base.toml\"\n{RULE}"),
        );
        let e = load(Some(&p), None).err().unwrap();
        assert!(e.file.ends_with("team.toml"), "{e}");
        assert!(e.message.contains("base.toml:2:6"), "{e}");
    }

    #[test]
    fn extends_cycle_and_missing_base() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.toml", "extends = \"b.toml\"\n");
        write(d.path(), "b.toml", "\nextends = \"a.toml\"\n");
        let e = load(Some(&d.path().join("a.toml")), None).err().unwrap();
        assert!(e.message.contains("cycle"), "{e}");
        assert_eq!((e.line, e.field.as_str()), (2, "extends"));
        let p = write(d.path(), "c.toml", "\n\nextends = \"nope.toml\"\n");
        let e = load(Some(&p), None).err().unwrap();
        assert_eq!((e.line, e.column, e.field.as_str()), (3, 11, "extends"));
        assert!(e.file.ends_with("c.toml"), "{e}");
    }

    #[test]
    fn failing_examples_are_located() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            d.path(),
            "c.toml",
            &format!("{RULE}examples = [\"acme_{{{{alnum:32}}}}\", \"acme_short\"]\nnear_misses = [\"acme_{{{{alnum:31}}}}\"]\n"),
        );
        let s = load(Some(&p), None).unwrap();
        let m = Matcher::new(s.rules.clone(), matcher::builtin_allowlist().unwrap()).unwrap();
        let errs = check_custom_rules(&s, &m).unwrap();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(
            (errs[0].line, errs[0].column, errs[0].field.as_str()),
            (6, 34, "rules[acme].examples")
        );
    }

    #[test]
    fn fingerprint_shape() {
        assert!(build::looks_like_fingerprint("github-pat:0123456789abcdef"));
        assert!(!build::looks_like_fingerprint("ghp_abc"));
        assert!(!build::looks_like_fingerprint(":0123456789abcdef"));
        assert!(!build::looks_like_fingerprint("x:0123456789ABCDEF"));
    }
}
