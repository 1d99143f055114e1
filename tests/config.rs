//! Integration tests for configuration: `.keyguard.toml` (and `--config`,
//! `KEYGUARD_CONFIG`, `extends`), custom rules, severities, disabled rules, every kind of
//! allowlist, inline markers, `keyguard config check`, `keyguard rules`, and the located
//! errors every config mistake must produce. Real repositories, real git, the real
//! binary; keys are generated at test time.

use std::path::PathBuf;
use std::process::Output;

use crate::common::*;

/// A custom rule in the spec's own words (the token format is made up).
const ACME_RULE: &str = r#"
[[rules]]
id = "acme-api-key"
description = "Acme API key"
regex = '''acme_[a-z0-9]{32}'''
keywords = ["acme_"]
remediation = "Revoke it at https://acme.example/keys"
"#;

/// A fresh token of the custom rule's format.
fn acme_key() -> String {
    key("acme_{{alnum:32}}")
}

/// An Acme token whose body starts with `prefix` (for allowlist tests).
fn acme_key_with(prefix: &str) -> String {
    key(&format!("acme_{prefix}{{{{alnum:{}}}}}", 32 - prefix.len()))
}

/// A repository whose `.keyguard.toml` holds `config` (written, not committed: keyguard
/// reads it from the work tree).
fn repo_with_config(config: &str) -> Repo {
    let r = Repo::new();
    r.write(".keyguard.toml", config);
    r
}

/// Writes and stages files.
fn stage(r: &Repo, files: &[(&str, String)]) {
    for (path, content) in files {
        r.write(path, content);
        r.git(&["add", path]);
    }
}

/// `keyguard --format json` on the staged changes (with extra args).
fn scan_json(r: &Repo, extra: &[&str]) -> (i32, serde_json::Value, Output) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = r.keyguard(&args);
    let v = json(&out);
    (code(&out), v, out)
}

/// (rule id, file) of each reported finding.
fn hits(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["rule_id"].as_str().unwrap_or("").to_string(),
                        f["file"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn pair(rule: &str, file: &str) -> (String, String) {
    (rule.to_string(), file.to_string())
}

fn summary(v: &serde_json::Value, field: &str) -> u64 {
    v["summary"][field]
        .as_u64()
        .unwrap_or_else(|| panic!("summary.{field} missing in {v}"))
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------
// Custom rules and severities
// ---------------------------------------------------------------------------------------

#[test]
fn custom_rule_blocks_its_token_in_a_real_commit() {
    let r = repo_with_config(ACME_RULE);
    r.commit_all("config");
    let before = r.head();
    let install = r.keyguard(&["install"]);
    assert_eq!(code(&install), 0, "{}", both(&install));

    let k = acme_key();
    stage(&r, &[("app/client.py", format!("ACME = \"{k}\"\n"))]);
    let out = r.git_try(&["commit", "-q", "-m", "add client"]);
    let text = both(&out);
    assert!(!out.status.success(), "commit went through:\n{text}");
    assert!(text.contains("commit blocked"), "{text}");
    assert!(text.contains("acme-api-key"), "{text}");
    assert!(text.contains("app/client.py:1:9"), "{text}");
    assert!(
        text.contains("Revoke it at https://acme.example/keys"),
        "custom remediation missing:\n{text}"
    );
    assert_no_secret(&out, &k);
    assert_eq!(r.head(), before, "HEAD moved");
}

#[test]
fn warn_severity_prints_and_lets_the_commit_through() {
    let r = repo_with_config(&ACME_RULE.replace(
        "keywords = [\"acme_\"]",
        "keywords = [\"acme_\"]\nseverity = \"warn\"",
    ));
    r.commit_all("config");
    let before = r.head();
    r.keyguard(&["install"]);
    let k = acme_key();
    stage(&r, &[("app/client.py", format!("ACME = \"{k}\"\n"))]);

    let (c, v, out) = scan_json(&r, &[]);
    assert_eq!(c, 0, "{}", both(&out));
    assert_eq!(hits(&v), vec![pair("acme-api-key", "app/client.py")]);
    assert_eq!(v["findings"][0]["severity"], "warn");
    assert_eq!(summary(&v, "blocking"), 0);
    assert_eq!(summary(&v, "warnings"), 1);

    let out = r.git_try(&["commit", "-q", "-m", "add client"]);
    let text = both(&out);
    assert!(out.status.success(), "commit was blocked:\n{text}");
    assert!(text.contains("warning"), "no warning printed:\n{text}");
    assert!(text.contains("acme-api-key"), "{text}");
    assert!(!text.contains("commit blocked"), "{text}");
    assert_no_secret(&out, &k);
    assert_ne!(r.head(), before, "commit did not happen");
}

#[test]
fn severity_table_softens_a_builtin_without_losing_it() {
    let r = repo_with_config("[severity]\ngithub-pat = \"warn\"\n");
    let gh = github_pat();
    let oa = openai_project_key();
    stage(&r, &[("a.py", format!("T = \"{gh}\"\n"))]);
    let (c, v, out) = scan_json(&r, &[]);
    assert_eq!(c, 0, "a softened rule must not block:\n{}", both(&out));
    assert_eq!(hits(&v), vec![pair("github-pat", "a.py")], "still reported");
    assert_eq!(v["findings"][0]["severity"], "warn");
    // Human output says so.
    let out = r.keyguard(&[]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("warning"), "{}", stdout(&out));
    assert!(stdout(&out).contains("github-pat"), "{}", stdout(&out));

    // Other built-ins keep blocking.
    stage(&r, &[("b.py", format!("K = \"{oa}\"\n"))]);
    let (c, v, _) = scan_json(&r, &[]);
    assert_eq!(c, 1);
    assert_eq!(summary(&v, "blocking"), 1);
    assert_eq!(summary(&v, "warnings"), 1);
}

#[test]
fn disabled_builtin_stays_quiet_and_others_still_report() {
    let r = repo_with_config("disable = [\"github-pat\"]\n");
    stage(&r, &[("a.py", format!("T = \"{}\"\n", github_pat()))]);
    let (c, v, out) = scan_json(&r, &[]);
    assert_eq!(c, 0, "{}", both(&out));
    assert!(hits(&v).is_empty(), "{v}");

    stage(
        &r,
        &[("b.py", format!("K = \"{}\"\n", openai_project_key()))],
    );
    let (c, v, _) = scan_json(&r, &[]);
    assert_eq!(c, 1);
    assert_eq!(hits(&v), vec![pair("openai-project-key", "b.py")]);
}

// ---------------------------------------------------------------------------------------
// Allowlists: each kind allows what it names and nothing else
// ---------------------------------------------------------------------------------------

#[test]
fn allowlist_paths_skip_those_files_only() {
    let r = repo_with_config("[allowlist]\npaths = [\"tests/fixtures/**\"]\n");
    stage(
        &r,
        &[
            (
                "tests/fixtures/creds.py",
                format!("T = \"{}\"\n", github_pat()),
            ),
            (
                "tests/fixtures/deep/more.py",
                format!("T = \"{}\"\n", github_pat()),
            ),
            ("tests/real.py", format!("T = \"{}\"\n", github_pat())),
            (
                "src/fixtures/creds.py",
                format!("T = \"{}\"\n", github_pat()),
            ),
        ],
    );
    r.write("control.toml", "");
    let (_, v, _) = scan_json(&r, &["--config", "control.toml"]);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(4), "{v}");
    let (c, v, _) = scan_json(&r, &[]);
    assert_eq!(c, 1);
    assert_eq!(
        hits(&v),
        vec![
            pair("github-pat", "src/fixtures/creds.py"),
            pair("github-pat", "tests/real.py")
        ]
    );
}

#[test]
fn allowlist_regexes_match_the_secret_only() {
    let r = repo_with_config(&format!(
        "{ACME_RULE}\n[allowlist]\nregexes = ['''^acme_fixture[a-z0-9]+$''']\n"
    ));
    r.write("control.toml", ACME_RULE);
    let allowed = acme_key_with("fixture");
    let other = acme_key();
    // The regex is matched against the secret, not the line: a line that mentions
    // "acme_fixture" elsewhere does not allow a real token on it.
    stage(
        &r,
        &[(
            "a.py",
            format!("A = \"{allowed}\"\nB = \"{other}\"  # not acme_fixture\n"),
        )],
    );
    // Control: without the allowlist both are reported, so it is the allowlist (not
    // another filter) that drops the first.
    let (_, v, _) = scan_json(&r, &["--config", "control.toml"]);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(2), "{v}");
    let (c, v, out) = scan_json(&r, &[]);
    assert_eq!(c, 1, "{}", both(&out));
    assert_eq!(hits(&v), vec![pair("acme-api-key", "a.py")]);
    assert_eq!(v["findings"][0]["line"], 2);
    // Built-ins are subject to it too, and another rule's secret is untouched.
    stage(&r, &[("b.py", format!("T = \"{}\"\n", github_pat()))]);
    let (_, v, _) = scan_json(&r, &[]);
    assert_eq!(
        hits(&v),
        vec![pair("acme-api-key", "a.py"), pair("github-pat", "b.py")]
    );
}

#[test]
fn allowlist_stopwords_are_case_insensitive_substrings_of_the_secret() {
    let r = repo_with_config(&format!(
        "{ACME_RULE}\n[allowlist]\nstopwords = [\"CI0ONLY\"]\n"
    ));
    r.write("control.toml", ACME_RULE);
    let allowed = acme_key_with("ci0only");
    let other = acme_key();
    stage(
        &r,
        &[(
            "a.py",
            format!("A = \"{allowed}\"\nB = \"{other}\"  # ci0only\n"),
        )],
    );
    let (_, v, _) = scan_json(&r, &["--config", "control.toml"]);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(2), "{v}");
    let (c, v, _) = scan_json(&r, &[]);
    assert_eq!(c, 1);
    assert_eq!(hits(&v), vec![pair("acme-api-key", "a.py")]);
    assert_eq!(v["findings"][0]["line"], 2);
}

#[test]
fn allowlist_fingerprints_from_a_report_allow_that_finding_only() {
    let r = Repo::new();
    let first = github_pat();
    let second = github_pat();
    stage(
        &r,
        &[("a.py", format!("A = \"{first}\"\nB = \"{second}\"\n"))],
    );
    // Take the fingerprint from a previous JSON report, as a user would.
    let (c, v, _) = scan_json(&r, &[]);
    assert_eq!(c, 1);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    let line1 = findings.iter().find(|f| f["line"] == 1).unwrap();
    let fp = line1["fingerprint"].as_str().unwrap().to_string();
    assert!(fp.starts_with("github-pat:"), "{fp}");

    r.write(
        ".keyguard.toml",
        format!("[allowlist]\nfingerprints = [\"{fp}\"]\n"),
    );
    let (c, v, out) = scan_json(&r, &[]);
    assert_eq!(c, 1, "the other key must still block:\n{}", both(&out));
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["line"], 2);
    assert_eq!(summary(&v, "allowed_fingerprint"), 1);
    assert!(v.get("allowed").is_none(), "listed without --show-allowed");

    let (_, v, out) = scan_json(&r, &["--show-allowed"]);
    let allowed = v["allowed"].as_array().expect("allowed array");
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0]["fingerprint"], fp.as_str());
    assert_eq!(allowed[0]["allowed"], "fingerprint");
    assert_no_secret(&out, &first);
    assert_no_secret(&out, &second);

    // Only the second key left: clean.
    r.write("a.py", format!("A = \"{first}\"\n"));
    r.git(&["add", "a.py"]);
    let (c, _, _) = scan_json(&r, &[]);
    assert_eq!(c, 0);
}

// ---------------------------------------------------------------------------------------
// Inline markers and the baseline in the summary
// ---------------------------------------------------------------------------------------

#[test]
fn inline_markers_and_baseline_are_counted_and_listed_with_show_allowed() {
    let r = Repo::new();
    let same_line = github_pat();
    let next_line = github_pat();
    let in_baseline = github_pat();
    let reported = github_pat();
    stage(
        &r,
        &[(
            "a.py",
            format!(
                "A = \"{same_line}\"  # keyguard:allow\n\
                 # keyguard:allow-next-line\n\
                 B = \"{next_line}\"\n\
                 C = \"{in_baseline}\"\n\
                 D = \"{reported}\"\n"
            ),
        )],
    );
    let (_, v, _) = scan_json(&r, &[]);
    let fp_c = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["line"] == 4)
        .expect("line 4 reported before it is baselined")["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    r.write(".keyguard-baseline", format!("# accepted\n{fp_c}\n"));

    let (c, v, out) = scan_json(&r, &[]);
    assert_eq!(c, 1, "{}", both(&out));
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["line"], 5);
    assert_eq!(summary(&v, "allowed_inline"), 2);
    assert_eq!(summary(&v, "allowed_baseline"), 1);
    assert!(v.get("allowed").is_none());

    let (_, v, out) = scan_json(&r, &["--show-allowed"]);
    let allowed = v["allowed"].as_array().expect("allowed array");
    let mut kinds: Vec<(u64, String)> = allowed
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["allowed"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            (1, "inline".to_string()),
            (3, "inline".to_string()),
            (4, "baseline".to_string())
        ]
    );
    for k in [&same_line, &next_line, &in_baseline, &reported] {
        assert_no_secret(&out, k);
    }

    // Human: counted in the summary; listed only with --show-allowed.
    let out = r.keyguard(&[]);
    let text = stdout(&out);
    assert!(text.contains("2 allowed inline"), "{text}");
    assert!(text.contains("1 in the baseline"), "{text}");
    assert!(text.contains("--show-allowed"), "{text}");
    let out = r.keyguard(&["--show-allowed"]);
    let text = stdout(&out);
    assert!(text.contains("3 allowed findings"), "{text}");
    assert!(text.contains("a.py:1:"), "{text}");
    assert!(text.contains("a.py:3:"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Where the config comes from
// ---------------------------------------------------------------------------------------

#[test]
fn config_from_keyguard_config_env_and_flag() {
    let r = Repo::new();
    let outside = tempfile::tempdir().unwrap();
    let cfg = outside.path().join("team.toml");
    std::fs::write(&cfg, ACME_RULE).unwrap();
    let bad = outside.path().join("bad.toml");
    std::fs::write(&bad, "disable = [\"no-such-rule\"]\n").unwrap();
    stage(&r, &[("a.py", format!("A = \"{}\"\n", acme_key()))]);

    // No config: the custom format is unknown.
    let out = r.keyguard(&[]);
    assert_eq!(code(&out), 0, "{}", both(&out));

    let out = r
        .command_in(keyguard_bin(), ".")
        .env("KEYGUARD_CONFIG", &cfg)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(finding_rules(&out), vec!["acme-api-key"]);

    let cfg_arg = cfg.to_str().unwrap();
    let out = r.keyguard(&["--config", cfg_arg, "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(finding_rules(&out), vec!["acme-api-key"]);

    // --config wins over KEYGUARD_CONFIG, which wins over .keyguard.toml.
    r.write(".keyguard.toml", "disable = [\"also-no-such-rule\"]\n");
    let out = r
        .command_in(keyguard_bin(), ".")
        .env("KEYGUARD_CONFIG", &bad)
        .args(["--config", cfg_arg])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", both(&out));
    let out = r
        .command_in(keyguard_bin(), ".")
        .env("KEYGUARD_CONFIG", &cfg)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", both(&out));
    let out = r.keyguard(&[]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(
        stderr(&out).contains("also-no-such-rule"),
        "{}",
        stderr(&out)
    );

    // A named file that does not exist is an error, not "no config".
    let out = r.keyguard(&["--config", "missing.toml"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));
}

#[test]
fn config_at_the_root_applies_from_a_subdirectory() {
    let r = repo_with_config(ACME_RULE);
    std::fs::create_dir_all(r.path().join("src/deep")).unwrap();
    stage(
        &r,
        &[("src/deep/a.py", format!("A = \"{}\"\n", acme_key()))],
    );
    let out = r.keyguard_in("src/deep", &["--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(finding_rules(&out), vec!["acme-api-key"]);
}

// ---------------------------------------------------------------------------------------
// extends
// ---------------------------------------------------------------------------------------

#[test]
fn extends_merges_base_and_child_with_relative_paths() {
    // .keyguard.toml -> config/team.toml -> config/org/base.toml: each relative path is
    // resolved from the file that contains it, and keyguard runs from a subdirectory.
    let r = repo_with_config(
        "extends = \"config/team.toml\"\n[allowlist]\npaths = [\"fixtures/**\"]\n",
    );
    r.write(
        "config/team.toml",
        format!("extends = \"org/base.toml\"\n{ACME_RULE}"),
    );
    r.write("config/org/base.toml", "disable = [\"github-pat\"]\n");
    std::fs::create_dir_all(r.path().join("src")).unwrap();
    stage(
        &r,
        &[
            ("src/gh.py", format!("T = \"{}\"\n", github_pat())),
            (
                "fixtures/oa.py",
                format!("K = \"{}\"\n", openai_project_key()),
            ),
            ("src/oa.py", format!("K = \"{}\"\n", openai_project_key())),
            ("src/acme.py", format!("A = \"{}\"\n", acme_key())),
        ],
    );
    let out = r.keyguard_in("src", &["--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let v = json(&out);
    assert_eq!(
        hits(&v),
        vec![
            pair("acme-api-key", "src/acme.py"),
            pair("openai-project-key", "src/oa.py")
        ],
        "base disabled github-pat, middle added acme, child allowlisted fixtures/"
    );

    let out = r.keyguard_in("src", &["config", "check"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let text = stdout(&out);
    assert!(text.contains("config/org/base.toml"), "{text}");
    assert!(text.contains("config/team.toml"), "{text}");
    assert!(text.contains("1 built-in disabled: github-pat"), "{text}");
}

#[test]
fn extends_cycle_is_an_error() {
    let r = repo_with_config("extends = \"a.toml\"\n");
    r.write("a.toml", "# a\nextends = \"b.toml\"\n");
    r.write("b.toml", "extends = \"a.toml\"\n");
    let out = r.keyguard(&["config", "check"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    let err = stderr(&out);
    assert!(err.contains("cycle"), "{err}");
    assert!(err.contains("b.toml:1:11: extends"), "{err}");
    // The staged scan fails the same way (a broken config never means "no checks").
    let out = r.keyguard(&[]);
    assert_eq!(code(&out), 2);
}

#[test]
fn extends_missing_file_names_the_extends_line() {
    let r = repo_with_config("# team config\n\nextends = \"../org/keyguard.toml\"\n");
    let out = r.keyguard(&["config", "check"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    let err = stderr(&out);
    assert!(err.contains(".keyguard.toml:3:11: extends"), "{err}");
    assert!(err.contains("org/keyguard.toml"), "{err}");
}

#[test]
fn errors_in_an_extended_file_name_that_file() {
    let r = repo_with_config("\n\nextends = \"org.toml\"\n");
    r.write(
        "org.toml",
        "# org-wide\n[allowlist]\npaths = [\"ok/**\", \"bad/{x\"]\n",
    );
    let out = r.keyguard(&["config", "check"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("org.toml:3:19: allowlist.paths"), "{err}");
    assert!(!err.contains(".keyguard.toml:"), "{err}");

    r.write("org.toml", "\n[severity]\ngithub-pat = \"loud\"\n");
    let out = r.keyguard(&["config", "check"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("org.toml:3:14: severity.github-pat"), "{err}");
}

#[test]
fn duplicate_rule_id_across_extends_is_an_error() {
    let r = repo_with_config(&format!("extends = \"org.toml\"\n{ACME_RULE}"));
    r.write("org.toml", ACME_RULE);
    let out = r.keyguard(&["config", "check"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains(".keyguard.toml:4:6: rules[acme-api-key].id"),
        "{err}"
    );
    assert!(
        err.contains("org.toml:3:6"),
        "names the first definition: {err}"
    );
}

// ---------------------------------------------------------------------------------------
// Errors: exit 2, file:line:column and the field
// ---------------------------------------------------------------------------------------

/// Runs `config check` on `config` and asserts exit 2 with `where_` (`line:col: field`)
/// and each of `also` in stderr.
fn assert_config_error(config: &str, where_: &str, also: &[&str]) {
    let r = repo_with_config(config);
    for args in [&["config", "check"][..], &[][..]] {
        let out = r.keyguard(args);
        let err = stderr(&out);
        assert_eq!(
            code(&out),
            2,
            "keyguard {args:?} with config:\n{config}\n{}",
            both(&out)
        );
        let located = format!(".keyguard.toml:{where_}");
        assert!(
            err.contains(&located),
            "expected `{located}` in:\n{err}\nconfig:\n{config}"
        );
        for a in also {
            assert!(err.contains(a), "expected `{a}` in:\n{err}");
        }
    }
}

#[test]
fn malformed_toml() {
    assert_config_error(
        "disable = [\"github-pat\"\n",
        "1:24: disable:",
        &["invalid TOML"],
    );
    assert_config_error(
        "[scan]\nmax_file_size = \"10MiB\n",
        "2:23: scan.max_file_size:",
        &["invalid TOML"],
    );
}

#[test]
fn unknown_keys_suggest_the_right_one() {
    assert_config_error(
        "disabel = [\"github-pat\"]\n",
        "1:1: disabel:",
        &["did you mean `disable`"],
    );
    assert_config_error(
        "[allowlist]\nstopword = [\"x\"]\n",
        "2:1: allowlist.stopword:",
        &["did you mean `stopwords`"],
    );
    assert_config_error(
        &ACME_RULE.replace("keywords =", "keyword ="),
        "6:1: rules[acme-api-key].keyword:",
        &["did you mean `keywords`"],
    );
}

#[test]
fn wrong_types() {
    assert_config_error(
        "disable = \"github-pat\"\n",
        "1:11: disable:",
        &["expected an array"],
    );
    assert_config_error(
        &ACME_RULE.replace("keywords = [\"acme_\"]", "keywords = \"acme_\""),
        "6:12: rules[acme-api-key].keywords:",
        &["expected an array"],
    );
    assert_config_error(
        "[allowlist]\npaths = [\"a/**\", 7]\n",
        "2:18: allowlist.paths:",
        &["expected a string"],
    );
    assert_config_error(
        "[scan]\nmax_file_size = \"ten\"\n",
        "2:17: scan.max_file_size:",
        &["invalid size \"ten\""],
    );
    assert_config_error(
        "[severity]\ngithub-pat = \"soft\"\n",
        "2:14: severity.github-pat:",
        &["\"block\" or \"warn\""],
    );
    assert_config_error(
        &ACME_RULE.replace(
            "keywords = [\"acme_\"]",
            "keywords = [\"acme_\"]\nseverity = 1",
        ),
        "7:12: rules[acme-api-key].severity:",
        &["\"block\" or \"warn\""],
    );
}

#[test]
fn invalid_regexes_name_the_rule() {
    assert_config_error(
        &ACME_RULE.replace("acme_[a-z0-9]{32}", "acme_[a-z0-9{32}"),
        "5:9: rules[acme-api-key].regex:",
        &["acme-api-key", "invalid regex"],
    );
    // Compiles in principle, but would take gigabytes: refused, not attempted.
    assert_config_error(
        &ACME_RULE.replace("acme_[a-z0-9]{32}", "acme_\\w{1000}{1000}"),
        "5:9: rules[acme-api-key].regex:",
        &["acme-api-key", "too large"],
    );
    assert_config_error(
        "[allowlist]\nregexes = ['''ok''', '''(unclosed''']\n",
        "2:22: allowlist.regexes:",
        &["invalid regex"],
    );
    assert_config_error(
        "[allowlist]\nregexes = ['''.*''']\n",
        "2:12: allowlist.regexes:",
        &["allow every secret"],
    );
}

#[test]
fn invalid_glob() {
    assert_config_error(
        "[allowlist]\npaths = [\"docs/**\", \"src/{a,b\"]\n",
        "2:21: allowlist.paths:",
        &["invalid glob"],
    );
}

#[test]
fn unknown_rule_ids_in_disable_and_severity() {
    assert_config_error(
        "disable = [\"github-pta\"]\n",
        "1:12: disable:",
        &[
            "unknown rule id \"github-pta\"",
            "did you mean \"github-pat\"",
        ],
    );
    assert_config_error(
        "\n[severity]\nopenai-projekt-key = \"warn\"\n",
        "3:22: severity.openai-projekt-key:",
        &["unknown rule id", "did you mean \"openai-project-key\""],
    );
}

#[test]
fn duplicate_rule_ids() {
    assert_config_error(
        &format!("{ACME_RULE}{ACME_RULE}"),
        "10:6: rules[acme-api-key].id:",
        &["duplicate rule id", ".keyguard.toml:3:6"],
    );
    assert_config_error(
        "[[rules]]\nid = \"github-pat\"\ndescription = \"mine\"\nkeywords = [\"ghp_\"]\nregex = '''ghp_[A-Za-z0-9]{36}'''\n",
        "2:6: rules[github-pat].id:",
        &["built-in"],
    );
}

#[test]
fn custom_rule_examples_must_behave() {
    let config = ACME_RULE.replace(
        "keywords = [\"acme_\"]",
        "keywords = [\"acme_\"]\nexamples = [\"acme_{{alnum:32}}\", \"acme_{{alnum:12}}\"]",
    );
    let r = repo_with_config(&config);
    let out = r.keyguard(&["config", "check"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    let err = stderr(&out);
    assert!(
        err.contains(".keyguard.toml:7:34: rules[acme-api-key].examples"),
        "{err}"
    );
    assert!(err.contains("acme_{{alnum:12}}"), "{err}");
    assert!(
        !err.contains("acme_{{alnum:32}}"),
        "the good example passed: {err}"
    );

    // And a near-miss that matches.
    let config = ACME_RULE.replace(
        "keywords = [\"acme_\"]",
        "keywords = [\"acme_\"]\nnear_misses = [\"acme_{{alnum:33}}\"]",
    );
    let r = repo_with_config(&config);
    let out = r.keyguard(&["config", "check"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(
        stderr(&out).contains(".keyguard.toml:7:16: rules[acme-api-key].near_misses"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rule_without_keywords_is_accepted_with_a_warning() {
    let config = ACME_RULE.replace("keywords = [\"acme_\"]\n", "");
    let r = repo_with_config(&config);
    let out = r.keyguard(&["config", "check"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let err = stderr(&out);
    assert!(err.contains("warning"), "{err}");
    assert!(
        err.contains(".keyguard.toml:3:6: rules[acme-api-key].keywords"),
        "{err}"
    );
    assert!(err.contains("slow"), "{err}");
    // And it still works.
    stage(&r, &[("a.py", format!("A = \"{}\"\n", acme_key()))]);
    let out = r.keyguard(&["--format", "json"]);
    assert_eq!(code(&out), 1);
    assert_eq!(finding_rules(&out), vec!["acme-api-key"]);
}

// ---------------------------------------------------------------------------------------
// `keyguard rules` and `keyguard config check`
// ---------------------------------------------------------------------------------------

#[test]
fn rules_lists_custom_and_omits_disabled() {
    let r = repo_with_config(&format!(
        "disable = [\"github-pat\"]\n[severity]\nopenai-project-key = \"warn\"\n{ACME_RULE}"
    ));
    let out = r.keyguard(&["rules"]);
    let softened = stdout(&out)
        .lines()
        .find(|l| l.starts_with("openai-project-key "))
        .map(String::from)
        .unwrap_or_default();
    assert!(softened.contains("[warn]"), "{softened:?}");
    assert_eq!(code(&out), 0, "{}", both(&out));
    let ids: Vec<String> = stdout(&out)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    assert!(ids.iter().any(|i| i == "acme-api-key"), "{ids:?}");
    assert!(!ids.iter().any(|i| i == "github-pat"), "{ids:?}");
    assert!(ids.iter().any(|i| i == "github-oauth-token"), "{ids:?}");
    assert!(stdout(&out).contains("custom"), "{}", stdout(&out));

    let out = r.keyguard(&["rules", "--format", "json"]);
    let v = json(&out);
    let rows = v.as_array().unwrap();
    let acme = rows.iter().find(|r| r["id"] == "acme-api-key").unwrap();
    assert!(
        acme["origin"].as_str().unwrap().ends_with(".keyguard.toml"),
        "{acme}"
    );
    assert!(!rows.iter().any(|r| r["id"] == "github-pat"));
    let builtin = keyguard::matcher::builtin().unwrap().len();
    assert_eq!(rows.len(), builtin - 1 + 1);
}

#[test]
fn config_check_prints_the_effective_rule_set() {
    let builtin = keyguard::matcher::builtin().unwrap().len();
    let r = Repo::new();
    let out = r.keyguard(&["config", "check"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let text = stdout(&out);
    assert!(text.contains("no config file"), "{text}");
    assert!(
        text.contains(&format!(
            "{builtin} rules in force ({builtin} built-in, 0 custom; 0 built-in disabled: none)"
        )),
        "{text}"
    );

    r.write(
        ".keyguard.toml",
        format!(
            "disable = [\"github-pat\", \"slack-bot-token\"]\n{ACME_RULE}\n[severity]\nopenai-project-key = \"warn\"\n[allowlist]\npaths = [\"a/**\", \"b/**\"]\nstopwords = [\"zz9plural\"]\n[scan]\nmax_file_size = \"1MiB\"\n"
        ),
    );
    let out = r.keyguard(&["config", "check"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let text = stdout(&out);
    let total = builtin - 2 + 1;
    assert!(
        text.contains(&format!(
            "{total} rules in force ({} built-in, 1 custom; 2 built-in disabled: github-pat, slack-bot-token)",
            builtin - 2
        )),
        "{text}"
    );
    assert!(text.contains("custom rule acme-api-key (block)"), "{text}");
    assert!(
        text.contains("severity: openai-project-key = warn"),
        "{text}"
    );
    assert!(
        text.contains("2 path glob(s), 0 regex(es), 1 stopword(s), 0 fingerprint(s)"),
        "{text}"
    );
    assert!(text.contains("max_file_size = 1048576 bytes"), "{text}");
}

#[test]
fn example_config_is_valid_and_documents_every_key() {
    let example = manifest_dir().join(".keyguard.toml.example");
    let text = std::fs::read_to_string(&example).unwrap();
    let r = Repo::new();
    let out = r.keyguard(&["config", "check", "--config", example.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        stderr(&out).is_empty(),
        "the example must not warn:\n{}",
        stderr(&out)
    );
    let checked = stdout(&out);
    assert!(checked.contains("custom rule acme-api-key"), "{checked}");

    // Every key of the schema appears (set, or shown commented out) in the example.
    for key in [
        "extends",
        "disable",
        "baseline",
        "[scan]",
        "max_file_size",
        "[[rules]]",
        "id =",
        "description",
        "provider",
        "keywords",
        "regex =",
        "validators",
        "entropy",
        "paths",
        "file_rule",
        "severity =",
        "remediation",
        "revoke_url",
        "env_var",
        "steps",
        "examples",
        "near_misses",
        "[rules.allowlist]",
        "[allowlist]",
        "regexes",
        "stopwords",
        "fingerprints",
        "[severity]",
        "keyguard:allow",
        "keyguard:allow-next-line",
        "KEYGUARD_CONFIG",
        "--config",
    ] {
        assert!(text.contains(key), "the example does not mention {key}");
    }

    // The example's custom rule works in a real repository, and its allowlist regex does.
    r.write(".keyguard.toml", &text);
    stage(
        &r,
        &[(
            "a.py",
            format!(
                "A = \"{}\"\nB = \"{}\"\n",
                acme_key(),
                acme_key_with("fixture")
            ),
        )],
    );
    let out = r.keyguard(&["--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let v = json(&out);
    assert_eq!(hits(&v), vec![pair("acme-api-key", "a.py")]);
    assert_eq!(v["findings"][0]["line"], 1);
}
