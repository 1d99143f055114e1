//! `keyguard install --global` / `uninstall --global` with real git under a temporary
//! HOME and GIT_CONFIG_GLOBAL (tests/common isolates both): a new `git init`, a new clone,
//! a repository with its own hook, one with husky's core.hooksPath, a linked worktree,
//! commit messages and pushes; uninstall restores the global config byte for byte.

use std::path::Path;
use std::process::Output;

use crate::common::*;

fn gitconfig(r: &Repo) -> Vec<u8> {
    std::fs::read(r.home.path().join(".gitconfig")).expect("global config")
}

/// git in `dir` (relative to the test folder), whatever the status.
fn git(r: &Repo, dir: &str, args: &[&str]) -> Output {
    r.git_try_in(dir, args)
}

fn init(r: &Repo, name: &str) {
    r.git(&["init", "-q", name]);
    r.write(&format!("{name}/README.md"), "hello\n");
    r.git_in(name, &["add", "-A"]);
    r.git_in(name, &["commit", "-q", "--no-verify", "-m", "init"]);
}

/// Stages a file holding a fresh key in `dir` and tries to commit it.
fn commit_key(r: &Repo, dir: &str) -> (Output, String) {
    let key = github_pat();
    r.write(&format!("{dir}/config.py"), format!("TOKEN = \"{key}\"\n"));
    r.git_in(dir, &["add", "config.py"]);
    let out = git(r, dir, &["commit", "-q", "-m", "add config"]);
    assert_no_secret(&out, &key);
    (out, key)
}

fn assert_blocked(out: &Output) {
    assert!(!out.status.success(), "not blocked: {}", both(out));
    assert!(
        both(out).contains("github-pat"),
        "blocked by something else: {}",
        both(out)
    );
}

#[test]
fn every_repository_is_protected_and_uninstall_restores_the_config() {
    let r = Repo::bare_env();
    let before = gitconfig(&r);
    let out = r.keyguard(&["install", "--global"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        stdout(&out).contains("global hooks installed"),
        "{}",
        both(&out)
    );
    // Twice changes nothing.
    let after_install = gitconfig(&r);
    let out = r.keyguard(&["install", "--global"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(gitconfig(&r), after_install);

    // A new `git init`: blocked; a clean commit goes through.
    init(&r, "new");
    let (out, _) = commit_key(&r, "new");
    assert_blocked(&out);
    r.git_in("new", &["reset", "-q", "--hard"]);
    r.write("new/clean.txt", "nothing secret\n");
    r.git_in("new", &["add", "clean.txt"]);
    r.git_in("new", &["commit", "-q", "-m", "clean"]);

    // The commit message is scanned too (commit-msg).
    r.write("new/more.txt", "more\n");
    r.git_in("new", &["add", "more.txt"]);
    let key = github_pat();
    let out = git(
        &r,
        "new",
        &["commit", "-q", "-m", &format!("use token {key}")],
    );
    assert_no_secret(&out, &key);
    assert_blocked(&out);
    r.git_in("new", &["reset", "-q", "--hard"]);

    // A linked worktree.
    r.git_in("new", &["worktree", "add", "-q", "../wt", "-b", "wt"]);
    let (out, _) = commit_key(&r, "wt");
    assert_blocked(&out);

    // A new clone, and a push from it.
    r.git(&["init", "-q", "--bare", "origin.git"]);
    r.git_in("new", &["push", "-q", "../origin.git", "HEAD:main"]);
    r.git(&["clone", "-q", "origin.git", "clone"]);
    let (out, _) = commit_key(&r, "clone");
    assert_blocked(&out);
    r.git_in(
        "clone",
        &["commit", "-q", "--no-verify", "-m", "key, unchecked"],
    );
    let out = git(&r, "clone", &["push", "-q", "origin", "HEAD:main"]);
    assert_blocked(&out);
    assert!(both(&out).contains("push blocked"), "{}", both(&out));

    // Uninstall: the global config is byte for byte what it was, and nothing is blocked.
    let out = r.keyguard(&["uninstall", "--global"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(stdout(&out).contains("is back as it was"), "{}", both(&out));
    assert_eq!(gitconfig(&r), before);
    assert!(!r.home.path().join(".config/keyguard/hooks").exists());
    let (out, _) = commit_key(&r, "new");
    assert!(out.status.success(), "{}", both(&out));
    let out = r.keyguard(&["uninstall", "--global"]);
    assert!(
        stdout(&out).contains("no global installation"),
        "{}",
        both(&out)
    );
}

fn exec(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

#[test]
fn repository_hooks_and_the_previous_global_hooks_still_run() {
    let r = Repo::bare_env();
    // A global hooks folder the user had before.
    let mine = r.home.path().join("myhooks");
    std::fs::create_dir_all(&mine).expect("mkdir");
    let global_marker = r.home.path().join("global-ran");
    std::fs::write(
        mine.join("pre-commit"),
        format!("#!/bin/sh\necho ran >> '{}'\n", global_marker.display()),
    )
    .expect("write");
    exec(&mine.join("pre-commit"));
    r.git(&[
        "config",
        "--global",
        "core.hooksPath",
        mine.to_str().expect("utf-8"),
    ]);
    let before = gitconfig(&r);

    let out = r.keyguard(&["install", "--global"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        stdout(&out).contains("previous global core.hooksPath"),
        "{}",
        both(&out)
    );

    // A repository with its own hook, which must fail the commit when it fails.
    init(&r, "own");
    let repo_marker = r.path().join("repo-ran");
    r.write(
        "own/.git/hooks/pre-commit",
        format!(
            "#!/bin/sh\necho ran >> '{}'\n[ ! -f STOP ]\n",
            repo_marker.display()
        ),
    );
    exec(&r.path().join("own/.git/hooks/pre-commit"));
    r.write("own/a.txt", "a\n");
    r.git_in("own", &["add", "a.txt"]);
    r.git_in("own", &["commit", "-q", "-m", "a"]);
    assert!(repo_marker.exists(), "the repository's hook ran");
    assert!(global_marker.exists(), "the previous global hook ran");
    let (out, _) = commit_key(&r, "own");
    assert_blocked(&out);
    // The repository's hook still decides too.
    r.git_in("own", &["reset", "-q", "--hard"]);
    r.write("own/STOP", "");
    r.write("own/b.txt", "b\n");
    r.git_in("own", &["add", "b.txt"]);
    let out = git(&r, "own", &["commit", "-q", "-m", "b"]);
    assert!(!out.status.success(), "{}", both(&out));

    // `keyguard install` in a repository goes to its .git/hooks, not the global folder.
    let out = r.keyguard_in("own", &["install"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(r
        .path()
        .join("own/.git/hooks/pre-commit.keyguard-chained")
        .exists());
    assert!(!r
        .home
        .path()
        .join(".config/keyguard/hooks/pre-commit.keyguard-chained")
        .exists());

    let out = r.keyguard(&["uninstall", "--global"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(gitconfig(&r), before);
}

#[test]
fn husky_core_hooks_path_is_reported_by_doctor() {
    let r = Repo::bare_env();
    r.keyguard(&["install", "--global"]);
    init(&r, "web");
    r.write("web/.husky/pre-commit", "#!/bin/sh\necho lint\n");
    exec(&r.path().join("web/.husky/pre-commit"));
    r.git_in("web", &["config", "core.hooksPath", ".husky"]);
    // git runs the repository's hooksPath, never the global one: not protected, and
    // doctor says so, with the fix.
    let (out, _) = commit_key(&r, "web");
    assert!(out.status.success(), "{}", both(&out));
    let out = r.keyguard_in("web", &["doctor", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let v = json(&out);
    assert_eq!(v["protected"], false);
    let c = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "hook:pre-commit")
        .expect("pre-commit check")
        .clone();
    assert!(
        c["message"]
            .as_str()
            .unwrap_or("")
            .contains("because of this repository's core.hooksPath. keyguard's global hooks"),
        "{c}"
    );
    // In a repository without its own hooksPath, doctor sees the global hooks.
    init(&r, "plain");
    let out = r.keyguard_in("plain", &["doctor", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["protected"], true, "{v}");
}

#[test]
fn a_config_edited_after_install_keeps_the_edit() {
    let r = Repo::bare_env();
    r.keyguard(&["install", "--global"]);
    r.git(&["config", "--global", "alias.st", "status"]);
    let out = r.keyguard(&["uninstall", "--global"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        stdout(&out).contains("only core.hooksPath"),
        "{}",
        both(&out)
    );
    let text = String::from_utf8(gitconfig(&r)).expect("utf-8");
    assert!(text.contains("st = status"), "{text}");
    assert!(!text.contains("hooksPath"), "{text}");
}

/// A repository that uses the pre-commit framework keeps it under `install --global`:
/// the framework's `.git/hooks/pre-commit` runs (and can fail the commit), and keyguard
/// still blocks a key. The framework refuses `pre-commit install` while any
/// `core.hooksPath` is set, so after `install --global` it is installed with the global
/// config hidden (`GIT_CONFIG_GLOBAL=/dev/null`), as the README says.
#[test]
fn pre_commit_framework_in_a_repository_still_runs() {
    let Some(pc) = crate::install::pre_commit_framework() else {
        eprintln!("note: the `pre-commit` framework is not installed: test skipped");
        return;
    };
    let r = Repo::bare_env();
    let out = r.keyguard(&["install", "--global"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    init(&r, "fw");
    let marker = r.path().join("framework-ran");
    r.write(
        "fw/.pre-commit-config.yaml",
        format!(
            "repos:\n- repo: local\n  hooks:\n  - id: marker\n    name: marker\n    entry: sh -c 'echo ran >> {}; [ ! -f STOP ]'\n    language: system\n    pass_filenames: false\n    always_run: true\n",
            marker.display()
        ),
    );
    r.git_in("fw", &["add", ".pre-commit-config.yaml"]);
    r.git_in(
        "fw",
        &["commit", "-q", "--no-verify", "-m", "framework config"],
    );
    // Refused while the global core.hooksPath is visible…
    let refused = r
        .command_in(&pc, "fw")
        .arg("install")
        .output()
        .expect("run pre-commit");
    assert!(!refused.status.success(), "{}", both(&refused));
    // …installed with it hidden.
    let out = r
        .command_in(&pc, "fw")
        .arg("install")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run pre-commit");
    assert!(out.status.success(), "{}", both(&out));

    r.write("fw/a.txt", "a\n");
    r.git_in("fw", &["add", "a.txt"]);
    let out = git(&r, "fw", &["commit", "-q", "-m", "a"]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(marker.exists(), "the framework's hook did not run");
    let (out, _) = commit_key(&r, "fw");
    assert_blocked(&out);
    // The framework still decides too.
    r.git_in("fw", &["reset", "-q", "--hard"]);
    r.write("fw/STOP", "");
    r.write("fw/b.txt", "b\n");
    r.git_in("fw", &["add", "b.txt"]);
    let out = git(&r, "fw", &["commit", "-q", "-m", "b"]);
    assert!(
        !out.status.success(),
        "a failing framework hook must fail the commit"
    );
}
