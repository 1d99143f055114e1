//! Commit and tag messages: the commit-msg hook scans the message being committed;
//! `scan`, `pre-push` and `baseline` scan the messages of the commits and annotated tags
//! they cover. Real repositories, the real git CLI and the real binary.

use std::path::Path;

use crate::common::*;
use serde_json::Value;

fn pre_push(r: &Repo, input: &str, format: &str) -> std::process::Output {
    let mut cmd = r.command_in(keyguard_bin(), ".");
    cmd.args(["pre-push", "origin", "/nowhere", "--format", format]);
    run_with_stdin(cmd, input.as_bytes())
}

fn zero() -> String {
    "0".repeat(40)
}

#[test]
fn the_commit_msg_hook_blocks_a_key_in_the_message() {
    let r = Repo::new();
    // A commit-msg hook already there is kept, chained, and runs first.
    let hooks = r.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(
        hooks.join("commit-msg"),
        "#!/bin/sh\necho theirs-ran >> \"$(git rev-parse --git-dir)/theirs.log\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            hooks.join("commit-msg"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    let out = r.keyguard(&["install"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("commit-msg hook installed; the existing hook now runs first"),
        "{}",
        stdout(&out)
    );
    assert!(hooks.join("commit-msg.keyguard-chained").is_file());

    r.write("a.txt", "hello\n");
    r.git(&["add", "a.txt"]);
    let key = openai_project_key();
    let msg = format!("wire up the client\n\nused {key} to test it\n");
    let out = r.git_try(&["commit", "-q", "-m", &msg]);
    assert!(!out.status.success(), "the commit went through");
    let err = stderr(&out);
    assert!(
        err.contains("1 secret in the commit message: commit blocked"),
        "{err}"
    );
    assert!(
        err.contains("commit message:3:6  OpenAI project API key"),
        "{err}"
    );
    assert!(
        err.contains("git commit -e -F \"$(git rev-parse --git-dir)/COMMIT_EDITMSG\""),
        "{err}"
    );
    assert_no_secret(&out, &key);
    assert!(r.head().is_none(), "nothing committed");
    let log = std::fs::read_to_string(r.path().join(".git/theirs.log")).unwrap();
    assert_eq!(log, "theirs-ran\n");

    // A clean message commits; an allow marker in the message is honoured too.
    r.git(&["commit", "-q", "-m", "wire up the client"]);
    assert!(r.head().is_some());
    r.write("b.txt", "x\n");
    r.git(&["add", "b.txt"]);
    let msg = format!("doc: the key format is {key} keyguard:allow\n");
    r.git(&["commit", "-q", "-m", &msg]);

    // Uninstall puts the chained hook back.
    let out = r.keyguard(&["uninstall"]);
    assert_eq!(code(&out), 0);
    assert!(std::fs::read_to_string(hooks.join("commit-msg"))
        .unwrap()
        .contains("theirs-ran"));
}

#[test]
fn commit_msg_scans_above_the_scissors_line_only() {
    let r = Repo::new();
    let key = github_pat();
    let file = r.path().join("MSG");
    std::fs::write(
        &file,
        format!("subject\n# ------------------------ >8 ------------------------\ndiff --git a/x b/x\n+token = \"{key}\"\n"),
    )
    .unwrap();
    let out = r.keyguard(&["commit-msg", file.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    std::fs::write(
        &file,
        format!("subject\n# a comment line, committed with --cleanup=verbatim: {key}\n"),
    )
    .unwrap();
    let out = r.keyguard(&["commit-msg", file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code(&out), 1);
    let v = json(&out);
    let f = &v["findings"][0];
    assert_eq!(f["file"], "commit message");
    assert_eq!(f["location"], "commit-message");
    assert_eq!(f["line"], 2);
    assert_eq!(f["commit"], Value::Null);
    assert_eq!(v["summary"]["scan"], "message");
}

#[test]
fn scan_reports_keys_in_commit_and_tag_messages() {
    let r = Repo::new();
    r.write("a.txt", "one\n");
    r.commit_all("first");
    let key = github_pat();
    r.write("a.txt", "two\n");
    r.commit_all(&format!("rotate\n\nold token was {key}\n"));
    let commit = r.head().unwrap();
    let tag_key = anthropic_key();
    r.git(&[
        "tag",
        "-a",
        "v1.0",
        "-m",
        &format!("release\n\nANTHROPIC_API_KEY={tag_key}"),
    ]);
    // A lightweight tag has no message; a tag of a tag is followed.
    r.git(&["tag", "light"]);

    let out = r.keyguard(&["scan", "--all", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{v:#}");
    assert_eq!(findings[0]["file"], "commit message");
    assert_eq!(findings[0]["location"], "commit-message");
    assert_eq!(findings[0]["line"], 3);
    assert_eq!(findings[0]["commit"]["id"], commit.as_str());
    assert_eq!(findings[1]["file"], "tag message (v1.0)");
    assert_eq!(findings[1]["location"], "tag-message");
    assert_eq!(findings[1]["rule_id"], "anthropic-api-key");
    assert_eq!(findings[1]["commit"]["id"], commit.as_str());
    assert_no_secret(&out, &key);
    assert_no_secret(&out, &tag_key);

    let out = r.keyguard(&["scan", "--all"]);
    let text = stdout(&out);
    assert!(text.contains("commit message:3:15  GitHub"), "{text}");
    assert!(
        text.contains("tag message (v1.0):3:19  Anthropic"),
        "{text}"
    );
    assert!(text.contains("A key in a commit or tag message:"), "{text}");

    // SARIF: a logical location (no file), valid against the schema.
    let out = r.keyguard(&["scan", "--all", "--format", "sarif"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    let text = text.replace(stray, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let validator = jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap();
    assert!(validator.is_valid(&doc), "{doc:#}");
    let res = &doc["runs"][0]["results"][0];
    assert_eq!(
        res["locations"][0]["logicalLocations"][0]["name"],
        "commit message"
    );
    assert_eq!(
        res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        format!("{commit}/commit message")
    );
    assert_eq!(res["properties"]["location"], "commit-message");
    assert!(res["message"]["text"]
        .as_str()
        .unwrap()
        .contains("in the commit message"));

    // A range that stops before the commit sees neither.
    let out = r.keyguard(&["scan", "HEAD~1"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));

    // The baseline accepts them like any finding.
    let out = r.keyguard(&["baseline"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("wrote 2 fingerprint(s)"),
        "{}",
        stdout(&out)
    );
    let out = r.keyguard(&["scan", "--all"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn pre_push_scans_the_messages_it_sends() {
    let r = Repo::new();
    r.write("a.txt", "one\n");
    r.commit_all("first");
    let base = r.head().unwrap();
    let key = github_pat();
    r.write("a.txt", "two\n");
    r.commit_all(&format!("use {key}"));
    let head = r.head().unwrap();
    let input = format!("refs/heads/main {head} refs/heads/main {base}\n");
    let out = pre_push(&r, &input, "json");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["findings"][0]["file"], "commit message");
    assert_eq!(v["findings"][0]["commit"]["id"], head.as_str());
    // Already on the remote: not sent, not scanned.
    let input = format!("refs/heads/main {head} refs/heads/main {head}\n");
    assert_eq!(code(&pre_push(&r, &input, "json")), 0);

    // An annotated tag pushed on its own: its message is what is sent.
    let tag_key = openai_project_key();
    r.git(&["tag", "-a", "v2", "-m", &format!("notes: {tag_key}")]);
    let tag = String::from_utf8(r.git(&["rev-parse", "v2"]).stdout)
        .unwrap()
        .trim()
        .to_string();
    let input = format!("refs/tags/v2 {tag} refs/tags/v2 {}\n", zero());
    let out = pre_push(&r, &input, "human");
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.contains("tag message (v2):1:8  OpenAI project API key"),
        "{text}"
    );
    assert_no_secret(&out, &tag_key);
}
