//! Integration tests for keyguard's command-line contract, which scripts and CI depend
//! on: exit status (0 clean, 1 findings, 2 error), the `--format json` schema, colour
//! only on a terminal, a quiet clean run, `keyguard rules`, `--help` and `--version`.

use std::path::Path;
use std::process::Command;

use crate::common::*;

fn has_ansi(text: &str) -> bool {
    text.contains('\u{1b}')
}

/// A repository with one clean file staged.
fn clean_staged() -> Repo {
    let r = Repo::new();
    r.write("app.py", "print('hello')\n");
    r.git(&["add", "app.py"]);
    r
}

/// A repository with a fresh key staged at `src/config.py` line 3; returns the key.
fn key_staged() -> (Repo, String) {
    let r = Repo::new();
    let key = github_pat();
    r.write("src/config.py", format!("import os\n\nTOKEN = \"{key}\"\n"));
    r.git(&["add", "src/config.py"]);
    (r, key)
}

#[test]
fn exit_0_when_clean_and_1_on_findings() {
    let r = clean_staged();
    let out = r.keyguard(&[]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let out = r.keyguard(&["pre-commit"]);
    assert_eq!(code(&out), 0, "{}", both(&out));

    let (r, key) = key_staged();
    for args in [
        &[][..],
        &["pre-commit"],
        &["--staged"],
        &["--format", "json"],
    ] {
        let out = r.keyguard(args);
        assert_no_secret(&out, &key);
        assert_eq!(code(&out), 1, "{args:?}: {}", both(&out));
    }
}

#[test]
fn exit_2_outside_a_repository() {
    let r = Repo::bare_env();
    for args in [&[][..], &["pre-commit"], &["install"], &["uninstall"]] {
        let out = r.keyguard(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", both(&out));
        assert!(
            stderr(&out).contains("not a git repository"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(!r.path().join(".git").exists());
}

#[test]
fn exit_2_on_usage_errors() {
    let r = clean_staged();
    for args in [
        &["--bogus"][..],
        &["no-such-command"],
        &["--format", "xml"],
        &["install", "--bogus"],
        &["--max-file-size", "lots"],
    ] {
        let out = r.keyguard(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", both(&out));
        assert!(
            stdout(&out).is_empty(),
            "{args:?}: usage errors go to stderr"
        );
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }
}

#[test]
fn exit_2_when_the_config_file_is_missing() {
    let r = clean_staged();
    let out = r.keyguard(&["--config", "does-not-exist.toml"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(
        stderr(&out).contains("does-not-exist.toml"),
        "{}",
        stderr(&out)
    );
    // $KEYGUARD_CONFIG names a file that must exist just the same.
    let out = r
        .command_in(keyguard_bin(), ".")
        .env("KEYGUARD_CONFIG", r.path().join("gone.toml"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(stderr(&out).contains("gone.toml"), "{}", stderr(&out));
}

/// `--staged` names the default scan; given with a command it would be ignored, so it
/// is refused, while `keyguard --staged` alone scans the index.
#[test]
fn staged_flag_with_a_command_is_a_usage_error() {
    let r = clean_staged();
    let out = r.keyguard(&["--staged"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let out = r.keyguard(&["--staged", "rules"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(stderr(&out).contains("--staged"), "{}", stderr(&out));
}

#[test]
fn exit_2_on_malformed_config_naming_file_line_and_column() {
    let r = clean_staged();
    r.write(".keyguard.toml", "[scan]\nmax_file_size = = 3\n");
    for args in [&[][..], &["config", "check"], &["rules"]] {
        let out = r.keyguard(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", both(&out));
        let err = stderr(&out);
        let at = err
            .find(".keyguard.toml:2:")
            .unwrap_or_else(|| panic!("{args:?}: no file:line in {err}"));
        // file:line:col, with a number for the column.
        let col: String = err[at + ".keyguard.toml:2:".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        assert!(!col.is_empty(), "{args:?}: no column in {err}");
    }
    // Also with an explicit --config pointing at it from elsewhere.
    let out = r.keyguard_in(".", &["--config", ".keyguard.toml"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(".keyguard.toml:2:"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn empty_config_is_valid_and_keeps_builtin_rules() {
    let r = clean_staged();
    r.write(".keyguard.toml", "");
    let out = r.keyguard(&[]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let out = r.keyguard(&["config", "check"]);
    assert_eq!(code(&out), 0, "{}", both(&out));

    let (r, key) = key_staged();
    r.write(".keyguard.toml", "");
    let out = r.keyguard(&[]);
    assert_no_secret(&out, &key);
    assert_eq!(code(&out), 1, "{}", both(&out));
}

#[test]
fn json_schema() {
    let (r, key) = key_staged();
    let out = r.keyguard(&["--format", "json"]);
    assert_no_secret(&out, &key);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let doc = json(&out);
    let findings = doc["findings"].as_array().expect("findings array");
    assert_eq!(findings.len(), 1, "{doc:#}");
    let f = &findings[0];
    assert_eq!(f["rule_id"], "github-pat");
    assert!(
        f["description"].as_str().is_some_and(|d| !d.is_empty()),
        "{f:#}"
    );
    assert_eq!(f["file"], "src/config.py");
    assert_eq!(f["line"], 3);
    // 1-based column of the key on `TOKEN = "<key>"`.
    assert_eq!(f["column"], 10);
    assert!(
        f["commit"].is_null(),
        "staged findings have no commit: {f:#}"
    );
    let secret = f["secret"].as_str().expect("secret is a string");
    assert!(
        !secret.is_empty() && secret != key,
        "secret must be masked: {secret}"
    );
    assert!(
        f["fingerprint"].as_str().is_some_and(|s| s.len() >= 8),
        "{f:#}"
    );
    let summary = doc["summary"].as_object().expect("summary object");
    assert_eq!(summary["blocking"], 1);
    assert_eq!(summary["scan"], "staged");
    assert!(summary.contains_key("files"), "{summary:?}");

    // Clean: still a document, with no findings.
    let r = clean_staged();
    let out = r.keyguard(&["--format", "json"]);
    assert_eq!(code(&out), 0);
    let doc = json(&out);
    assert_eq!(doc["findings"].as_array().map(Vec::len), Some(0));
    assert_eq!(doc["summary"]["blocking"], 0);
}

#[test]
fn no_colour_when_not_a_terminal() {
    let (r, key) = key_staged();
    let run = |extra: &[&str], no_color_env: bool| {
        let mut cmd = r.command_in(keyguard_bin(), ".");
        cmd.args(extra);
        if !no_color_env {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd.output().unwrap();
        assert_no_secret(&out, &key);
        assert_eq!(code(&out), 1);
        assert!(
            !has_ansi(&both(&out)),
            "{extra:?}: escape codes in {}",
            both(&out)
        );
    };
    run(&[], false);
    run(&[], true);
    run(&["--no-color"], false);
}

/// Runs keyguard under `script` so that stdout is a terminal; `None` if `script`
/// (util-linux) is not available.
fn on_tty(r: &Repo, args: &str, no_color: bool) -> Option<String> {
    let probe = Command::new("script")
        .args(["-qec", "true", "/dev/null"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return None;
    }
    let bin = keyguard_bin();
    assert!(!bin.display().to_string().contains('\''));
    let mut cmd = r.command_in("script", ".");
    cmd.args(["-qec", &format!("'{}' {args}", bin.display()), "/dev/null"]);
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    let out = cmd.output().unwrap();
    Some(both(&out))
}

#[test]
fn colour_only_on_a_terminal_without_no_color() {
    let (r, key) = key_staged();
    let Some(coloured) = on_tty(&r, "", false) else {
        eprintln!("note: `script` is not available: terminal colour not tested");
        return;
    };
    assert_text_has_no_secret(&coloured, &key);
    assert!(coloured.contains("commit blocked"), "{coloured}");
    assert!(has_ansi(&coloured), "no colour on a terminal: {coloured:?}");

    let plain = on_tty(&r, "", true).unwrap();
    assert!(plain.contains("commit blocked"), "{plain}");
    assert!(!has_ansi(&plain), "colour despite NO_COLOR: {plain:?}");

    let plain = on_tty(&r, "--no-color", false).unwrap();
    assert!(plain.contains("commit blocked"), "{plain}");
    assert!(!has_ansi(&plain), "colour despite --no-color: {plain:?}");

    let json_out = on_tty(&r, "--format json", false).unwrap();
    assert!(!has_ansi(&json_out), "colour in JSON: {json_out:?}");
}

#[test]
fn clean_run_prints_at_most_one_line() {
    let r = clean_staged();
    let out = r.keyguard(&[]);
    assert_eq!(code(&out), 0);
    let text = both(&out);
    assert!(text.lines().count() <= 1, "{text}");
    assert!(!text.contains("--no-verify"), "{text}");

    let out = r.keyguard(&["--quiet"]);
    assert_eq!(code(&out), 0);
    assert_eq!(both(&out), "", "--quiet prints nothing when clean");

    // Nothing staged at all is clean too.
    let r = Repo::new();
    let out = r.keyguard(&[]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(both(&out).lines().count() <= 1);
}

#[test]
fn rules_lists_ids_in_text_and_json() {
    let r = Repo::bare_env();
    let out = r.keyguard(&["rules", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let rules = json(&out);
    let rules = rules.as_array().expect("an array of rules");
    assert!(rules.len() >= 5, "{} rules", rules.len());
    let mut ids = Vec::new();
    for rule in rules {
        let id = rule["id"].as_str().expect("id");
        assert!(!id.is_empty());
        assert!(
            rule["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{rule}"
        );
        assert!(rule.get("provider").is_some(), "{rule}");
        ids.push(id.to_string());
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "duplicate rule ids");
    assert!(ids.iter().any(|i| i == "github-pat"));
    // Validators by the names a config uses, so a listed rule can be copied into one.
    let github = rules.iter().find(|r| r["id"] == "github-pat").unwrap();
    assert_eq!(
        github["validators"],
        serde_json::json!(["github-crc32"]),
        "{github}"
    );

    let out = r.keyguard(&["rules"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let text = stdout(&out);
    for id in &ids {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().next() == Some(id)),
            "{id} missing from `keyguard rules`"
        );
    }

    // A disabled rule disappears; a custom one appears.
    let r = Repo::new();
    r.write(
        ".keyguard.toml",
        "disable = [\"github-pat\"]\n\n[[rules]]\nid = \"acme-token\"\ndescription = \"ACME token\"\nkeywords = [\"acme_\"]\nregex = '''(?P<secret>acme_[a-z0-9]{32})'''\n",
    );
    let out = r.keyguard(&["rules", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let ids: Vec<String> = json(&out)
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str().map(String::from))
        .collect();
    assert!(ids.iter().any(|i| i == "acme-token"), "{ids:?}");
    assert!(!ids.iter().any(|i| i == "github-pat"), "{ids:?}");
}

#[test]
fn help_and_version() {
    let r = Repo::bare_env();
    for flag in ["--help", "-h"] {
        let out = r.keyguard(&[flag]);
        assert_eq!(code(&out), 0, "{flag}");
        let text = stdout(&out);
        assert!(text.contains("Usage"), "{text}");
        assert!(text.contains("install"), "{text}");
        assert!(text.contains("Exit status"), "{text}");
    }
    let out = r.keyguard(&["--version"]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out).trim(),
        format!("keyguard {}", env!("CARGO_PKG_VERSION"))
    );
    let out = r.keyguard(&["install", "--help"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("--pre-push"));
    assert!(!Path::new(&r.path().join(".git")).exists());
}

/// A private key file is one secret at one place: the content rule (which knows the PEM
/// format) reports it once and names the path rule as also matched, in every format.
#[test]
fn one_private_key_file_is_one_finding_naming_the_other_rule() {
    let r = Repo::new();
    let pem = key("{{pem:RSA PRIVATE KEY}}");
    r.write("certs/server.key", &pem);
    r.git(&["add", "-A"]);
    let o = r.keyguard(&["--staged", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", both(&o));
    let v = json(&o);
    let found = v["findings"].as_array().expect("findings");
    assert_eq!(found.len(), 1, "{v}");
    assert_eq!(found[0]["rule_id"], "private-key");
    assert_eq!(
        found[0]["also_matched"],
        serde_json::json!(["private-key-file"])
    );
    assert_eq!(summary(&v, "blocking"), 1);
    let human = r.keyguard(&["--staged", "--no-color"]);
    let text = stdout(&human);
    assert!(text.contains("also matched private-key-file"), "{text}");
    let sarif = r.keyguard(&["--staged", "--format", "sarif"]);
    let s: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0]["properties"]["alsoMatched"],
        serde_json::json!(["private-key-file"])
    );
    assert_no_secret(&o, &pem);
}
