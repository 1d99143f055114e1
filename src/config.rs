//! `.keyguard.toml`: finding it, reading it (with `extends`), and checking every value,
//! so that a mistake is reported with its file, line, column and field instead of
//! silently weakening the scan.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::GlobSet;

use crate::rules::schema::{AllowlistSpec, ConfigDoc, Severity};
use crate::rules::{
    self, build_globs, build_secret_allowlist, compile_rule, ConfigError, Origin, Rule,
    SecretAllowlist, SourceText,
};
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
}

/// Which config file applies: `--config`, else `KEYGUARD_CONFIG`, else the repository's
/// `.keyguard.toml` if there is one.
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

fn read(
    path: &Path,
    from: Option<(&Loaded, std::ops::Range<usize>)>,
) -> Result<Loaded, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read(path).map_err(|e| match &from {
        Some((parent, span)) => {
            parent
                .src()
                .error(span.clone(), "extends", format!("cannot read {name}: {e}"))
        }
        None => ConfigError {
            file: name.clone(),
            line: 0,
            column: 0,
            field: "file".into(),
            message: format!("cannot read config: {e}"),
        },
    })?;
    let text = String::from_utf8(text).map_err(|e| {
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
    loop {
        let last = chain.last().expect("chain is never empty");
        let Some(ext) = &last.doc.extends else { break };
        let base = last
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join(ext.get_ref());
        let canon = canonical(&base);
        if seen.contains(&canon) {
            return Err(last.src().error(
                ext.span(),
                "extends",
                format!(
                    "`extends` cycle: {} is already part of this chain",
                    base.display()
                ),
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
    let builtin = rules::builtin()?;
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
    build(builtin, &chain, repo_root)
}

fn build(
    builtin: &'static [Arc<Rule>],
    chain: &[Loaded],
    repo_root: Option<&Path>,
) -> Result<Settings, ConfigError> {
    let builtin_ids: HashSet<&str> = builtin.iter().map(|r| r.id.as_str()).collect();
    let mut custom: Vec<(Rule, String)> = Vec::new();
    let mut disabled: Vec<String> = Vec::new();
    let mut severity: BTreeMap<String, Severity> = BTreeMap::new();
    let mut limits = Limits::default();
    let mut baseline = None;
    let mut allow_path_globs = Vec::new();
    let mut allow_secrets = SecretAllowlist::default();
    let mut allow_fingerprints = HashSet::new();
    let mut warnings = Vec::new();

    // First pass: custom rules from every file, so `disable`/`severity` can name them.
    for file in chain {
        let src = file.src();
        for spec in &file.doc.rules {
            let rule = compile_rule(&src, spec, Origin::Custom(file.name.clone()))?;
            let (line, col) = rules::line_col(&file.text, spec.id.span().start);
            let here = format!("{}:{line}:{col}", file.name);
            if builtin_ids.contains(rule.id.as_str()) {
                return Err(src.error(spec.id.span(), "rules.id", format!("duplicate rule id {:?}: a built-in rule has this id (pick another id, or `disable` the built-in)", rule.id)));
            }
            if let Some((_, other)) = custom.iter().find(|(r, _)| r.id == rule.id) {
                return Err(src.error(
                    spec.id.span(),
                    "rules.id",
                    format!("duplicate rule id {:?} (first defined at {other})", rule.id),
                ));
            }
            if rule.keywords.is_empty() && !rule.file_rule {
                warnings.push(format!("{here}: rule {:?} has no `keywords`: its regex runs on every added line, which is slow", rule.id));
            }
            custom.push((rule, here));
        }
    }
    let known: Vec<&str> = builtin
        .iter()
        .map(|r| r.id.as_str())
        .chain(custom.iter().map(|(r, _)| r.id.as_str()))
        .collect();
    let check_id = |src: &SourceText,
                    span: std::ops::Range<usize>,
                    field: &str,
                    id: &str|
     -> Result<(), ConfigError> {
        if known.contains(&id) {
            return Ok(());
        }
        let hint = known
            .iter()
            .map(|k| (strsim::jaro_winkler(id, k), *k))
            .filter(|(s, _)| *s > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| format!("; did you mean {k:?}?"))
            .unwrap_or_default();
        Err(src.error(
            span,
            field,
            format!("unknown rule id {id:?}{hint} (`keyguard rules` lists them)"),
        ))
    };

    for file in chain {
        let src = file.src();
        let doc = &file.doc;
        for d in &doc.disable {
            check_id(&src, d.span(), "disable", d.get_ref())?;
            disabled.push(d.get_ref().clone());
        }
        for (id, sev) in &doc.severity {
            check_id(&src, sev.span(), &format!("severity.{id}"), id)?;
            severity.insert(id.clone(), *sev.get_ref());
        }
        if let Some(size) = &doc.scan.max_file_size {
            limits.max_file_size = size.get_ref().0;
        }
        if let Some(b) = &doc.baseline {
            baseline = Some(file.path.parent().unwrap_or(Path::new(".")).join(b));
        }
        let AllowlistSpec {
            paths,
            fingerprints,
            ..
        } = &doc.allowlist;
        if let Some(g) = build_globs(&src, "allowlist.paths", paths)? {
            allow_path_globs.push(g);
        }
        let part = build_secret_allowlist(&src, "allowlist.regexes", &doc.allowlist)?;
        allow_secrets.stopwords.extend(part.stopwords);
        allow_secrets.regexes.extend(part.regexes);
        allow_fingerprints.extend(fingerprints.iter().cloned());
    }
    // One GlobSet for all files' path allowlists.
    let allow_paths = if allow_path_globs.is_empty() {
        None
    } else {
        let mut all_specs = Vec::new();
        for file in chain {
            all_specs.extend(file.doc.allowlist.paths.iter().cloned());
        }
        build_globs(
            &SourceText {
                name: "allowlist",
                text: "",
            },
            "allowlist.paths",
            &all_specs,
        )?
    };

    let mut rules: Vec<Arc<Rule>> = Vec::new();
    for r in builtin.iter().filter(|r| !disabled.contains(&r.id)) {
        rules.push(match severity.get(&r.id) {
            // Built-ins are shared statics: an override makes a copy of that one rule.
            Some(&s) if s != r.severity => {
                let mut copy = Rule::clone(r);
                copy.severity = s;
                Arc::new(copy)
            }
            _ => Arc::clone(r),
        });
    }
    for (r, _) in custom {
        if disabled.contains(&r.id) {
            continue;
        }
        let sev = severity.get(&r.id).copied();
        let mut r = r;
        if let Some(s) = sev {
            r.severity = s;
        }
        rules.push(Arc::new(r));
    }
    let baseline = baseline.unwrap_or_else(|| {
        repo_root.map_or_else(|| PathBuf::from(BASELINE_FILE), |r| r.join(BASELINE_FILE))
    });
    Ok(Settings {
        rules,
        allow_paths,
        allow_secrets,
        allow_fingerprints,
        limits,
        baseline,
        files: chain.iter().map(|l| l.path.clone()).collect(),
        warnings,
        disabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn empty_config_is_valid() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), ".keyguard.toml", "");
        let s = load(Some(&p), None).unwrap();
        assert_eq!(s.rules.len(), rules::builtin().unwrap().len());
    }

    #[test]
    fn errors_are_located() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "c.toml", "[allowlist]\nstopword = [\"x\"]\n");
        let e = load(Some(&p), None).err().unwrap();
        assert_eq!((e.line, e.field.as_str()), (2, "stopword"));
        assert!(e.message.contains("did you mean `stopwords`"), "{e}");
    }

    #[test]
    fn bad_regex_names_rule() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "c.toml", "[[rules]]\nid = \"acme\"\ndescription = \"d\"\nkeywords=[\"a\"]\nregex = '''acme_[a-z'''\n");
        let e = load(Some(&p), None).err().unwrap();
        assert_eq!(e.line, 5);
        assert!(e.field.contains("acme"), "{e}");
    }

    #[test]
    fn extends_cycle_detected() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.toml", "extends = \"b.toml\"\n");
        write(d.path(), "b.toml", "extends = \"a.toml\"\n");
        let e = load(Some(&d.path().join("a.toml")), None).err().unwrap();
        assert!(e.message.contains("cycle"), "{e}");
    }
}
