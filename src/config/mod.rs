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

//!
//! Layout: `read` finds and reads the chain of files, `build` merges it with the
//! built-in catalogue, `settings` is the result (and checks custom rules' examples).

mod build;
mod read;
mod settings;

use std::path::Path;

pub use read::locate;
use read::read_chain;
pub use settings::{check_custom_rules, Settings, BASELINE_FILE, CONFIG_FILE};

use crate::matcher;
use crate::rules::ConfigError;

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
#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::matcher::Matcher;
    use crate::rules::schema::Severity;

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
