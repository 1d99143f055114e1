//! `keyguard doctor`: real repositories, real hooks, the real binary. Each test breaks
//! protection one way (no hook, a hook git skips, core.hooksPath elsewhere, a hook that
//! cannot find keyguard) or exposes a key (untracked file, stash) and checks the verdict,
//! the fix, the exit status, and that no output holds the key.

use std::process::Output;

use crate::common::*;

/// A repository with one commit.
fn repo() -> Repo {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit_all("init");
    r
}

fn doctor(r: &Repo) -> (Output, serde_json::Value) {
    let out = r.keyguard(&["doctor", "--format", "json"]);
    let v = json(&out);
    (out, v)
}

fn check<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {v}"))
}

#[test]
fn unprotected_until_installed() {
    let r = repo();
    let (out, v) = doctor(&r);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(v["protected"], false);
    let c = check(&v, "hook:pre-commit");
    assert_eq!(c["status"], "problem");
    assert_eq!(c["fix"], "keyguard install");

    let human = r.keyguard(&["doctor"]);
    assert_eq!(code(&human), 1);
    assert!(
        stdout(&human).contains("NOT protected: commits are not scanned"),
        "{}",
        both(&human)
    );

    r.keyguard(&["install"]);
    let (out, v) = doctor(&r);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(v["protected"], true);
    assert_eq!(v["exposed"], false);
    assert_eq!(check(&v, "hook:pre-commit")["status"], "ok");
    assert_eq!(check(&v, "hook:pre-merge-commit")["status"], "ok");
    // Pushes are only a warning: `install` without --pre-push is a choice.
    let push = check(&v, "hook:pre-push");
    assert_eq!(push["status"], "warning");
    assert_eq!(push["fix"], "keyguard install --pre-push");
    let human = r.keyguard(&["doctor"]);
    assert!(
        stdout(&human).contains("protected, nothing exposed"),
        "{}",
        both(&human)
    );
}

#[cfg(unix)]
#[test]
fn a_hook_git_skips_is_reported_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let r = repo();
    r.keyguard(&["install"]);
    let hook = r.path().join(".git/hooks/pre-commit");
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (out, v) = doctor(&r);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let c = check(&v, "hook:pre-commit");
    assert_eq!(c["status"], "problem");
    assert!(
        c["message"]
            .as_str()
            .unwrap_or("")
            .contains("not executable"),
        "{c}"
    );
    assert_eq!(c["fix"], format!("chmod +x {}", hook.display()));
}

#[test]
fn core_hooks_path_elsewhere_shadows_keyguard() {
    let r = repo();
    r.keyguard(&["install"]);
    // Local core.hooksPath (husky, lefthook): git now runs .githooks, not .git/hooks.
    r.git(&["config", "core.hooksPath", ".githooks"]);
    let (out, v) = doctor(&r);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let c = check(&v, "hook:pre-commit");
    assert_eq!(c["status"], "problem");
    let msg = c["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("from this repository's core.hooksPath"),
        "{msg}"
    );
    assert!(msg.contains("keyguard's hook in"), "{msg}");
    assert!(msg.contains("is ignored"), "{msg}");

    // A script there that calls keyguard itself protects the repository.
    r.write(
        ".githooks/pre-commit",
        "#!/bin/sh\nnpx lint-staged\nkeyguard pre-commit\n",
    );
    make_exec(&r.path().join(".githooks/pre-commit"));
    let (out, v) = doctor(&r);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(check(&v, "hook:pre-commit")["status"], "ok");
    // One that does not, does not.
    r.write(".githooks/pre-commit", "#!/bin/sh\nnpx lint-staged\n");
    let (out, v) = doctor(&r);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert!(check(&v, "hook:pre-commit")["message"]
        .as_str()
        .unwrap_or("")
        .contains("does not run keyguard"));

    // The global core.hooksPath is named as such.
    r.git(&["config", "--unset", "core.hooksPath"]);
    let global = r.home.path().join("global-hooks");
    r.git(&[
        "config",
        "--global",
        "core.hooksPath",
        global.to_str().expect("utf-8"),
    ]);
    let (out, v) = doctor(&r);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert!(check(&v, "hook:pre-commit")["message"]
        .as_str()
        .unwrap_or("")
        .contains("from the global core.hooksPath"));
}

fn make_exec(p: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

#[test]
fn a_hook_that_cannot_find_keyguard() {
    let r = repo();
    r.keyguard(&["install"]);
    let hook = r.path().join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).expect("hook");
    let exe = keyguard_bin()
        .canonicalize()
        .expect("binary path")
        .display()
        .to_string();
    assert!(
        text.contains(&exe),
        "the hook names where it was installed from"
    );
    std::fs::write(&hook, text.replace(&exe, "/nonexistent/keyguard")).expect("write");
    let out = r
        .command_in(keyguard_bin(), ".")
        .args(["doctor", "--format", "json"])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("run");
    assert_eq!(code(&out), 1, "{}", both(&out));
    let v = json(&out);
    let c = check(&v, "hook:pre-commit");
    assert_eq!(c["status"], "problem");
    assert!(
        c["message"]
            .as_str()
            .unwrap_or("")
            .contains("cannot find the keyguard binary"),
        "{c}"
    );
    // With the binary on PATH, as the hook would see it, it is fine again.
    let (out, _) = doctor(&r);
    assert_eq!(code(&out), 0, "{}", both(&out));
}

#[test]
fn keys_in_untracked_files_and_the_stash_are_exposed() {
    let r = repo();
    r.keyguard(&["install"]);
    let (untracked, ignored, stashed, stashed_new) =
        (github_pat(), github_pat(), github_pat(), github_pat());
    r.write(".gitignore", "secret.txt\n");
    r.commit_all("ignore");
    r.write("notes/todo.txt", format!("token {untracked}\n"));
    r.write("secret.txt", format!("token {ignored}\n"));
    let (out, v) = doctor(&r);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(v["protected"], true);
    assert_eq!(v["exposed"], true);
    let c = check(&v, "untracked");
    assert_eq!(c["status"], "problem");
    let files: Vec<&str> = c["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert_eq!(
        files,
        vec!["notes/todo.txt"],
        "ignored files are not staged by add -A"
    );
    assert!(c["fix"].as_str().unwrap_or("").contains(".gitignore"));
    for k in [&untracked, &ignored] {
        assert_no_secret(&out, k);
    }
    std::fs::remove_file(r.path().join("notes/todo.txt")).expect("rm");

    // A key in a modified tracked file, stashed; and one in an untracked file, `stash -u`.
    r.write("README.md", format!("hello\nTOKEN={stashed}\n"));
    r.git(&["stash", "-q"]);
    r.write("new.py", format!("T = \"{stashed_new}\"\n"));
    r.git(&["stash", "-q", "-u"]);
    let (out, v) = doctor(&r);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(check(&v, "untracked")["status"], "ok");
    let c = check(&v, "stash");
    assert_eq!(c["status"], "problem", "{c}");
    let mut seen: Vec<(String, String)> = c["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_string(),
                f["stash"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("README.md".to_string(), "stash@{1}".to_string()),
            ("new.py".to_string(), "stash@{0}".to_string())
        ]
    );
    let human = r.keyguard(&["doctor"]);
    for k in [&stashed, &stashed_new] {
        assert_no_secret(&out, k);
        assert_no_secret(&human, k);
    }
    assert!(stdout(&human).contains("in stash@{1}"), "{}", both(&human));
    // Scanning changed nothing: both entries are still there, the tree is clean.
    assert_eq!(stdout(&r.git(&["stash", "list"])).lines().count(), 2);
    assert_eq!(stdout(&r.git(&["status", "--porcelain"])), "");
}

#[test]
fn sensitive_file_names_not_ignored_are_a_warning() {
    let r = repo();
    r.keyguard(&["install"]);
    let (out, v) = doctor(&r);
    assert_eq!(code(&out), 0, "a warning is not a failure: {}", both(&out));
    let c = check(&v, "ignored");
    assert_eq!(c["status"], "warning");
    let msg = c["message"].as_str().unwrap_or("").to_string();
    assert!(msg.contains(".env,") && msg.contains("*.p12"), "{msg}");

    r.write(".gitignore", ".env*\n*.p12\n");
    let (_, v) = doctor(&r);
    let msg = check(&v, "ignored")["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(!msg.contains(".env") && !msg.contains("*.p12"), "{msg}");
}

#[test]
fn outside_a_repository_is_an_error() {
    let r = Repo::bare_env();
    let out = r.keyguard(&["doctor"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(stderr(&out).contains("not a git repository"));
}
