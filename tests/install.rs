//! Integration tests for getting keyguard to run: `keyguard install` / `uninstall`, the
//! shipped hook scripts (run by a real `git commit`, `git merge` and `git push`),
//! `install.sh`, and the pre-commit framework contract (`.pre-commit-hooks.yaml`,
//! `keyguard pre-commit FILE...`). Every test uses a throwaway repository with its own
//! HOME; keys are generated at test time.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;

const HOOK_MARKER: &str = "keyguard-hook v1";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn is_executable(p: &Path) -> bool {
    fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 == 0o111)
}

fn write_script(p: &Path, body: &str) {
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, body).unwrap();
    fs::set_permissions(p, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Lines in a counter file that hooks append to (0 if it does not exist yet).
fn count(p: &Path) -> usize {
    fs::read_to_string(p)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// A hook that appends one line to `counter` each time it runs.
fn counter_hook(counter: &Path) -> String {
    format!("#!/bin/sh\necho \"ran $*\" >> '{}'\n", counter.display())
}

/// A repository with one commit, so that `git reset` and merges have a HEAD to work from.
fn repo_with_commit() -> Repo {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit_all("initial");
    r
}

/// Runs git in `dir` (absolute, or relative to the repository) without asserting success.
fn git_at(r: &Repo, dir: &str, args: &[&str]) -> Output {
    r.command_in("git", dir).args(args).output().unwrap()
}

fn head(r: &Repo, dir: &str) -> String {
    stdout(&git_at(r, dir, &["rev-parse", "HEAD"]))
}

/// Writes `name` in `dir`, stages it and runs a real `git commit` there (hooks run).
fn commit_file(r: &Repo, dir: &str, name: &str, content: &str) -> Output {
    fs::write(r.path().join(dir).join(name), content).unwrap();
    r.git_in(dir, &["add", name]);
    git_at(r, dir, &["commit", "-q", "-m", &format!("add {name}")])
}

/// Commits a file holding a fresh key with a real `git commit` in `dir`; asserts the key
/// is not echoed back. The key stays staged if the commit was blocked.
fn commit_key(r: &Repo, dir: &str) -> Output {
    let key = github_pat();
    let out = commit_file(r, dir, "settings.py", &format!("TOKEN = \"{key}\"\n"));
    assert_no_secret(&out, &key);
    out
}

fn commit_clean(r: &Repo, dir: &str, n: usize) -> Output {
    commit_file(r, dir, &format!("clean{n}.py"), &format!("print({n})\n"))
}

/// Asserts that keyguard (not something else) stopped the commit and that HEAD did not move.
fn assert_blocked_by_keyguard(r: &Repo, dir: &str, before: &str, out: &Output) {
    assert!(!out.status.success(), "commit went through:\n{}", both(out));
    assert!(
        both(out).contains("commit blocked"),
        "not blocked by keyguard:\n{}",
        both(out)
    );
    assert_eq!(head(r, dir), before, "HEAD moved");
}

fn assert_committed(out: &Output) {
    assert!(out.status.success(), "commit failed:\n{}", both(out));
}

/// Unstages everything (after a blocked commit left a key staged).
fn unstage(r: &Repo, dir: &str) {
    r.git_in(dir, &["reset", "-q"]);
}

/// PATH of this process without any directory holding a `keyguard` executable.
fn path_without_keyguard() -> std::ffi::OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| !d.join("keyguard").exists())
        .collect();
    std::env::join_paths(dirs).unwrap()
}

fn assert_installed(dir: &Path, names: &[&str]) {
    for name in names {
        let p = dir.join(name);
        assert!(p.is_file(), "{} missing", p.display());
        assert!(is_executable(&p), "{} not executable", p.display());
        assert!(
            fs::read_to_string(&p).unwrap().contains(HOOK_MARKER),
            "{} is not keyguard's hook",
            p.display()
        );
    }
}

/// Whether `keyguard pre-push` exists yet in this build (it is being written separately).
fn has_pre_push_command(r: &Repo) -> bool {
    r.keyguard(&["pre-push", "--help"]).status.success()
}

#[test]
fn install_in_fresh_repo_blocks_keys_and_passes_clean_commits() {
    let r = repo_with_commit();
    let out = r.keyguard(&["install"]);
    assert!(out.status.success(), "{}", both(&out));
    let hooks = r.path().join(".git/hooks");
    assert_installed(&hooks, &["pre-commit", "pre-merge-commit"]);
    assert!(
        !hooks.join("pre-push").exists(),
        "pre-push installed without --pre-push"
    );
    assert!(
        stdout(&out).contains("pre-commit hook installed"),
        "{}",
        stdout(&out)
    );

    let before = head(&r, ".");
    let out = commit_key(&r, ".");
    assert_blocked_by_keyguard(&r, ".", &before, &out);
    unstage(&r, ".");
    assert_committed(&commit_clean(&r, ".", 1));

    // `git commit -a` commits through a temporary index: the hook must scan that one.
    let key = github_pat();
    r.write("README.md", format!("hello\nTOKEN={key}\n"));
    let before = head(&r, ".");
    let out = git_at(&r, ".", &["commit", "-q", "-a", "-m", "edit"]);
    assert_no_secret(&out, &key);
    assert_blocked_by_keyguard(&r, ".", &before, &out);
}

#[test]
fn installed_hook_finds_keyguard_without_path() {
    // `keyguard install` records where it was run from, so a binary that is not on PATH
    // (cargo's bin dir missing from a GUI client's PATH) still runs.
    let r = repo_with_commit();
    assert!(r.keyguard(&["install"]).status.success());
    assert_key_blocked_without_path(&r);
}

#[test]
fn pre_merge_commit_hook_runs_on_merge_and_passes_a_clean_merge() {
    let r = repo_with_commit();
    let counter = r.home.path().join("merge-counter");
    write_script(
        &r.path().join(".git/hooks/pre-merge-commit"),
        &counter_hook(&counter),
    );
    assert!(r.keyguard(&["install"]).status.success());
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("side.txt", "side\n");
    r.commit_all("side");
    r.git(&["checkout", "-q", "main"]);
    r.write("main.txt", "main\n");
    r.commit_all("main");
    let out = git_at(&r, ".", &["merge", "--no-ff", "-q", "-m", "merge", "side"]);
    assert!(out.status.success(), "{}", both(&out));
    assert_eq!(
        count(&counter),
        1,
        "chained pre-merge-commit hook runs once"
    );
    let parents = stdout(&git_at(&r, ".", &["rev-list", "--parents", "-n1", "HEAD"]));
    assert_eq!(parents.split_whitespace().count(), 3, "merge commit made");
}

#[test]
fn pre_push_is_installed_on_request_and_chains_the_existing_hook() {
    let r = repo_with_commit();
    let log = r.home.path().join("push-log");
    // The hook that was there before: records its arguments and its stdin.
    write_script(
        &r.path().join(".git/hooks/pre-push"),
        &format!(
            "#!/bin/sh\n{{ echo \"args $1 $2\"; cat; }} >> '{}'\n",
            log.display()
        ),
    );
    let out = r.keyguard(&["install", "--pre-push"]);
    assert!(out.status.success(), "{}", both(&out));
    let hooks = r.path().join(".git/hooks");
    assert_installed(&hooks, &["pre-commit", "pre-merge-commit", "pre-push"]);
    assert!(is_executable(&hooks.join("pre-push.keyguard-chained")));

    let remote = tempfile::tempdir().unwrap();
    let remote_path = remote.path().display().to_string();
    r.git(&["init", "-q", "--bare", &remote_path]);
    r.git(&["remote", "add", "origin", &remote_path]);
    let out = git_at(&r, ".", &["push", "-q", "origin", "main"]);
    let logged = fs::read_to_string(&log).unwrap_or_default();
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("args ")).count(),
        1,
        "chained pre-push hook must run exactly once:\n{logged}"
    );
    assert_eq!(lines[0], format!("args origin {remote_path}"));
    // git's pre-push input: "<local ref> <local sha> <remote ref> <remote sha>".
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("refs/heads/main ") && l.contains(" refs/heads/main ")),
        "chained hook did not get the push lines on stdin:\n{logged}"
    );

    if has_pre_push_command(&r) {
        assert!(out.status.success(), "clean push blocked:\n{}", both(&out));
        let key = github_pat();
        r.write("pushed.txt", format!("{key}\n"));
        r.commit_all("key, committed without the hook");
        let out = git_at(&r, ".", &["push", "-q", "origin", "main"]);
        assert_no_secret(&out, &key);
        assert!(!out.status.success(), "push with a key went through");
    } else {
        eprintln!("note: `keyguard pre-push` does not exist yet: only installation and chaining were checked");
    }
}

/// Sets core.hooksPath, installs, and checks the hooks land in `expected` and git runs them.
fn check_hooks_path(r: &Repo, value: &str, expected: &Path) {
    r.git(&["config", "core.hooksPath", value]);
    let out = r.keyguard(&["install"]);
    assert!(out.status.success(), "{}", both(&out));
    assert_installed(expected, &["pre-commit", "pre-merge-commit"]);
    assert!(
        !r.path().join(".git/hooks/pre-commit").exists(),
        "installed in .git/hooks although core.hooksPath = {value}"
    );
    let before = head(r, ".");
    let out = commit_key(r, ".");
    assert_blocked_by_keyguard(r, ".", &before, &out);
    unstage(r, ".");
    assert_committed(&commit_clean(r, ".", 1));
}

#[test]
fn hooks_path_relative() {
    let r = repo_with_commit();
    let dir = r.path().join(".githooks");
    check_hooks_path(&r, ".githooks", &dir);
}

#[test]
fn hooks_path_absolute() {
    let r = repo_with_commit();
    let shared = tempfile::tempdir().unwrap();
    let dir = shared.path().join("team-hooks");
    check_hooks_path(&r, dir.to_str().unwrap(), &dir);
}

#[test]
fn hooks_path_home_relative() {
    let r = repo_with_commit();
    let dir = r.home.path().join("git-hooks");
    check_hooks_path(&r, "~/git-hooks", &dir);
}

#[test]
fn hooks_path_husky_style_dispatcher_keeps_running_the_users_hooks() {
    // A hook manager in the style of husky: core.hooksPath = .husky/_, whose `pre-commit`
    // hands over to a shared script that finds the user's script by the hook's own name
    // ($0). Chaining must keep that name working, or the user's hooks silently stop.
    let r = repo_with_commit();
    let counter = r.home.path().join("husky-counter");
    write_script(
        &r.path().join(".husky/_/pre-commit"),
        "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/dispatch\"\n",
    );
    write_script(
        &r.path().join(".husky/_/dispatch"),
        "#!/usr/bin/env sh\nname=$(basename \"$0\")\nscript=$(dirname \"$(dirname \"$0\")\")/$name\n[ -f \"$script\" ] || exit 0\nsh -e \"$script\" \"$@\"\n",
    );
    write_script(
        &r.path().join(".husky/pre-commit"),
        &format!("echo ran >> '{}'\n", counter.display()),
    );
    r.git(&["config", "core.hooksPath", ".husky/_"]);
    assert_committed(&commit_clean(&r, ".", 0));
    assert_eq!(count(&counter), 1, "the dispatcher works before install");

    let dir = r.path().join(".husky/_");
    check_hooks_path(&r, ".husky/_", &dir);
    // husky rewrites .husky/_ on `npm install`: say so, and how to keep keyguard.
    let out = r.keyguard(&["install"]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(stdout(&out).contains("husky"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("`keyguard pre-commit` to "),
        "{}",
        stdout(&out)
    );
    // check_hooks_path made one blocked and one clean commit: the user's hook ran for both.
    assert_eq!(
        count(&counter),
        3,
        "the user's husky-style hook must still run once per commit"
    );
}

#[test]
fn existing_hook_is_chained_once_kept_and_restored() {
    let r = repo_with_commit();
    let hooks = r.path().join(".git/hooks");
    let counter = r.home.path().join("counter");
    let original = counter_hook(&counter);
    write_script(&hooks.join("pre-commit"), &original);

    let out = r.keyguard(&["install"]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        stdout(&out).contains("pre-commit.keyguard-chained"),
        "{}",
        stdout(&out)
    );
    assert_installed(&hooks, &["pre-commit"]);
    assert_eq!(
        fs::read_to_string(hooks.join("pre-commit.keyguard-chained")).unwrap(),
        original
    );

    assert_committed(&commit_clean(&r, ".", 1));
    assert_eq!(
        count(&counter),
        1,
        "chained hook runs exactly once per commit"
    );

    // Installing again changes nothing: no double chaining, still exactly once.
    let out = r.keyguard(&["install"]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        stdout(&out).contains("already installed"),
        "{}",
        stdout(&out)
    );
    assert!(!hooks
        .join("pre-commit.keyguard-chained.keyguard-chained")
        .exists());
    assert_eq!(
        fs::read_to_string(hooks.join("pre-commit.keyguard-chained")).unwrap(),
        original
    );
    assert_committed(&commit_clean(&r, ".", 2));
    assert_eq!(count(&counter), 2);

    // A key is still blocked, and the chained hook ran (once) before keyguard.
    let before = head(&r, ".");
    let out = commit_key(&r, ".");
    assert_blocked_by_keyguard(&r, ".", &before, &out);
    assert_eq!(count(&counter), 3);
    unstage(&r, ".");

    // Uninstall puts the original back byte for byte (and executable).
    let out = r.keyguard(&["uninstall"]);
    assert!(out.status.success(), "{}", both(&out));
    assert_eq!(
        fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        original
    );
    assert!(is_executable(&hooks.join("pre-commit")));
    assert!(!hooks.join("pre-commit.keyguard-chained").exists());
    assert!(!hooks.join("pre-merge-commit").exists());
    assert_committed(&commit_clean(&r, ".", 3));
    assert_eq!(count(&counter), 4, "the restored hook runs on its own");
}

#[test]
fn chained_shell_hooks_behave_as_if_run_directly() {
    // Shell-script hooks are sourced so that they keep their name ($0): that must not
    // change what they do. A hook that re-runs "$0" under bash must run once, not loop.
    let r = repo_with_commit();
    let hooks = r.path().join(".git/hooks");
    let counter = r.home.path().join("counter");
    write_script(
        &hooks.join("pre-commit"),
        &format!(
            "#!/bin/sh\n[ -n \"$BASH_VERSION\" ] || exec bash \"$0\" \"$@\"\necho \"bash $BASH_VERSION $(basename \"$0\")\" >> '{}'\n",
            counter.display()
        ),
    );
    assert!(r.keyguard(&["install"]).status.success());
    assert_committed(&commit_clean(&r, ".", 1));
    let log = fs::read_to_string(&counter).unwrap();
    assert_eq!(count(&counter), 1, "{log}");
    assert!(
        log.starts_with("bash ") && log.trim_end().ends_with(" pre-commit"),
        "{log}"
    );
    let out = commit_key(&r, ".");
    assert!(both(&out).contains("commit blocked"), "{}", both(&out));
    assert_eq!(count(&counter), 2);
    unstage(&r, ".");
    assert!(r.keyguard(&["uninstall"]).status.success());

    // Shebang options still apply: with -e, a failing command stops the hook.
    write_script(
        &hooks.join("pre-commit"),
        &format!("#!/bin/sh -e\nfalse\necho ran >> '{}'\n", counter.display()),
    );
    assert!(r.keyguard(&["install"]).status.success());
    let before = head(&r, ".");
    let out = commit_clean(&r, ".", 2);
    assert!(!out.status.success(), "`sh -e` hook's failure ignored");
    assert_eq!(count(&counter), 2);
    assert_eq!(head(&r, "."), before);
}

#[test]
fn failing_existing_hook_still_blocks_the_commit() {
    let r = repo_with_commit();
    let hooks = r.path().join(".git/hooks");
    write_script(
        &hooks.join("pre-commit"),
        "#!/bin/sh\necho 'lint failed' >&2\nexit 1\n",
    );
    assert!(r.keyguard(&["install"]).status.success());
    let before = head(&r, ".");
    let out = commit_clean(&r, ".", 1);
    assert!(
        !out.status.success(),
        "the chained hook's failure was ignored"
    );
    assert!(stderr(&out).contains("lint failed"), "{}", both(&out));
    assert_eq!(head(&r, "."), before);
}

#[test]
fn uninstall_leaves_a_foreign_hook_alone() {
    let r = repo_with_commit();
    let hooks = r.path().join(".git/hooks");
    let theirs = "#!/bin/sh\n# someone else's hook\nexit 0\n";
    write_script(&hooks.join("pre-commit"), theirs);
    let out = r.keyguard(&["uninstall"]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(stdout(&out).contains("left alone"), "{}", stdout(&out));
    assert_eq!(
        fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        theirs
    );

    // Uninstalling keyguard's own hook with nothing chained removes it.
    fs::remove_file(hooks.join("pre-commit")).unwrap();
    assert!(r.keyguard(&["install"]).status.success());
    assert!(r.keyguard(&["uninstall"]).status.success());
    assert!(!hooks.join("pre-commit").exists());
    assert!(!hooks.join("pre-merge-commit").exists());
}

#[test]
fn install_from_a_subdirectory() {
    let r = repo_with_commit();
    fs::create_dir_all(r.path().join("src/deep")).unwrap();
    // A relative core.hooksPath is relative to the work tree root, not to where we stand.
    r.git(&["config", "core.hooksPath", ".githooks"]);
    let out = r.keyguard_in("src/deep", &["install"]);
    assert!(out.status.success(), "{}", both(&out));
    assert_installed(
        &r.path().join(".githooks"),
        &["pre-commit", "pre-merge-commit"],
    );
    assert!(!r.path().join("src/deep/.githooks").exists());

    let before = head(&r, ".");
    let out = commit_key(&r, "src/deep");
    assert_blocked_by_keyguard(&r, ".", &before, &out);
}

#[test]
fn install_from_a_linked_worktree() {
    let r = repo_with_commit();
    let wt_parent = tempfile::tempdir().unwrap();
    let wt = wt_parent.path().join("wt");
    let wt_str = wt.to_str().unwrap();
    r.git(&["worktree", "add", "-q", "-b", "feature", wt_str]);
    let out = r.keyguard_in(wt_str, &["install"]);
    assert!(out.status.success(), "{}", both(&out));
    // Hooks live in the common git dir, shared by every worktree.
    assert_installed(
        &r.path().join(".git/hooks"),
        &["pre-commit", "pre-merge-commit"],
    );
    assert!(!r.path().join(".git/worktrees/wt/hooks").exists());

    let before = head(&r, wt_str);
    let out = commit_key(&r, wt_str);
    assert_blocked_by_keyguard(&r, wt_str, &before, &out);
    unstage(&r, wt_str);
    assert_committed(&commit_clean(&r, wt_str, 1));
}

#[test]
fn hook_without_keyguard_fails_loudly_and_keyguard_bin_fixes_it() {
    let r = repo_with_commit();
    // The hook as shipped: its fallback path is the literal placeholder, not a file.
    let shipped = fs::read_to_string(manifest_dir().join("hooks/pre-commit")).unwrap();
    assert!(shipped.contains("@KEYGUARD_FALLBACK@"));
    write_script(&r.path().join(".git/hooks/pre-commit"), &shipped);

    let before = head(&r, ".");
    fs::write(r.path().join("a.txt"), "nothing secret\n").unwrap();
    r.git(&["add", "a.txt"]);
    let out = r
        .command_in("git", ".")
        .env("PATH", path_without_keyguard())
        .args(["commit", "-q", "-m", "a"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "commit went through unscanned");
    let err = stderr(&out);
    assert!(err.contains("keyguard binary was not found"), "{err}");
    assert!(err.contains("--no-verify"), "{err}");
    assert!(err.contains("KEYGUARD_BIN"), "{err}");
    assert_eq!(head(&r, "."), before);

    // KEYGUARD_BIN points the hook at the binary.
    let key = github_pat();
    fs::write(r.path().join("b.txt"), format!("{key}\n")).unwrap();
    r.git(&["add", "b.txt"]);
    let out = r
        .command_in("git", ".")
        .env("PATH", path_without_keyguard())
        .env("KEYGUARD_BIN", keyguard_bin())
        .args(["commit", "-q", "-m", "b"])
        .output()
        .unwrap();
    assert_no_secret(&out, &key);
    assert_blocked_by_keyguard(&r, ".", &before, &out);
    r.git(&["rm", "-q", "--cached", "b.txt"]);
    let out = r
        .command_in("git", ".")
        .env("PATH", path_without_keyguard())
        .env("KEYGUARD_BIN", keyguard_bin())
        .args(["commit", "-q", "-m", "a"])
        .output()
        .unwrap();
    assert_committed(&out);
}

/// The real cargo and rustup homes: the test's HOME is a temp dir, but cargo needs the
/// toolchain and the registry cache (no downloads).
fn toolchain_env(cmd: &mut std::process::Command) {
    let real_home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home.join(".cargo"));
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home.join(".rustup"));
    cmd.env("CARGO_HOME", cargo_home)
        .env("RUSTUP_HOME", rustup_home);
}

#[test]
fn install_sh_installs_the_binary_and_the_hooks() {
    let r = repo_with_commit();
    let root = tempfile::tempdir().unwrap();
    let mut cmd = r.command_in(manifest_dir().join("install.sh"), ".");
    toolchain_env(&mut cmd);
    // `cargo install` builds the release profile (fat LTO): minutes from cold. A fixed
    // target dir of its own makes later runs reuse that build, and keeps it apart from
    // target/release, which other builds use.
    cmd.env("CARGO_INSTALL_ROOT", root.path())
        .env(
            "CARGO_TARGET_DIR",
            manifest_dir().join("target/install-test"),
        )
        .env("PATH", path_without_keyguard())
        .arg("--pre-push");
    let started = std::time::Instant::now();
    let out = cmd.output().unwrap();
    eprintln!("install.sh took {:?}", started.elapsed());
    assert!(out.status.success(), "{}", both(&out));

    let bin = root.path().join("bin/keyguard");
    assert!(is_executable(&bin), "{} missing", bin.display());
    let text = stdout(&out);
    assert!(
        text.contains(&format!("keyguard {}", env!("CARGO_PKG_VERSION"))),
        "no --version output:\n{text}"
    );
    // Not on PATH: say exactly how to add it.
    assert!(text.contains("is not on your PATH"), "{text}");
    assert!(
        text.contains(&format!(
            "export PATH=\"{}:$PATH\"",
            root.path().join("bin").display()
        )),
        "{text}"
    );
    let hooks = r.path().join(".git/hooks");
    assert_installed(&hooks, &["pre-commit", "pre-merge-commit", "pre-push"]);
    // The hooks remember the installed binary, so they work although it is not on PATH.
    let hook = fs::read_to_string(hooks.join("pre-commit")).unwrap();
    assert!(hook.contains(&bin.canonicalize().unwrap().display().to_string()));
    assert_key_blocked_without_path(&r);
}

#[test]
fn install_sh_without_cargo_points_to_rustup() {
    let r = Repo::new();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let no_cargo: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| !d.join("cargo").exists() && !d.join("keyguard").exists())
        .collect();
    let out = r
        .command_in(manifest_dir().join("install.sh"), ".")
        .env("PATH", std::env::join_paths(no_cargo).unwrap())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("cargo"), "{err}");
    assert!(err.contains("rustup"), "{err}");
    assert!(!r.path().join(".git/hooks/pre-commit").exists());

    // A mistyped option stops before building anything.
    let out = r
        .command_in(manifest_dir().join("install.sh"), ".")
        .arg("--pre-pushh")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unknown argument"), "{}", both(&out));
    assert!(!stdout(&out).contains("building"), "{}", both(&out));
}

#[test]
fn pre_commit_hooks_manifest_declares_both_hooks() {
    let text = fs::read_to_string(manifest_dir().join(".pre-commit-hooks.yaml")).unwrap();
    // No YAML parser among the dev-dependencies: split into per-hook blocks.
    let blocks: Vec<&str> = text.split("\n- id: ").skip(1).collect();
    let block = |id: &str| {
        blocks
            .iter()
            .find(|b| b.lines().next() == Some(id))
            .unwrap_or_else(|| panic!("no hook {id} in .pre-commit-hooks.yaml"))
            .to_string()
    };
    let kg = block("keyguard");
    assert!(kg.contains("entry: keyguard pre-commit\n"), "{kg}");
    assert!(kg.contains("language: rust\n"), "{kg}");
    assert!(
        kg.contains("stages: [pre-commit, pre-merge-commit]\n"),
        "{kg}"
    );
    assert!(kg.contains("pass_filenames: true\n"), "{kg}");
    let push = block("keyguard-push");
    assert!(push.contains("entry: keyguard pre-push\n"), "{push}");
    assert!(push.contains("stages: [pre-push]\n"), "{push}");
    assert!(push.contains("pass_filenames: false\n"), "{push}");
    assert!(push.contains("always_run: true\n"), "{push}");

    if let Some(pc) = pre_commit_framework() {
        let out = std::process::Command::new(pc)
            .args(["validate-manifest"])
            .arg(manifest_dir().join(".pre-commit-hooks.yaml"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", both(&out));
    }
}

#[test]
fn pre_commit_file_names_scan_the_whole_staged_file() {
    // What `pre-commit run --all-files` does: it passes every file name, with nothing
    // staged. A key committed earlier must still be found.
    let r = Repo::new();
    let key = github_pat();
    r.write(
        "app/settings.py",
        format!("DEBUG = True\nTOKEN = \"{key}\"\n"),
    );
    r.write("app/clean.py", "print('hi')\n");
    r.commit_all("key committed without the hook");

    let scan = |cwd: &str, files: &[&str]| {
        let mut args = vec!["--format", "json", "pre-commit"];
        args.extend_from_slice(files);
        let out = r.keyguard_in(cwd, &args);
        assert_no_secret(&out, &key);
        out
    };

    // The diff-only default sees nothing staged.
    let out = r.keyguard(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));

    let out = scan(".", &["app/settings.py", "app/clean.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let doc = json(&out);
    let f = &doc["findings"][0];
    assert_eq!(f["file"], "app/settings.py");
    assert_eq!(f["line"], 2);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);

    assert_eq!(scan(".", &["app/clean.py"]).status.code(), Some(0));

    // Names relative to the current directory.
    let out = scan("app", &["settings.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert_eq!(json(&out)["findings"][0]["file"], "app/settings.py");
    assert_eq!(
        scan("app", &["./clean.py", "../app/clean.py"])
            .status
            .code(),
        Some(0)
    );

    // Files not in the index are not part of any commit: ignored.
    r.write("untracked.py", format!("{key}\n"));
    assert_eq!(scan(".", &["untracked.py"]).status.code(), Some(0));
    assert_eq!(scan(".", &["no-such-file.py"]).status.code(), Some(0));

    // It is the staged content that counts, not the working tree.
    r.write("app/settings.py", "DEBUG = True\n");
    assert_eq!(scan(".", &["app/settings.py"]).status.code(), Some(1));
    r.git(&["add", "app/settings.py"]);
    assert_eq!(scan(".", &["app/settings.py"]).status.code(), Some(0));
    r.write("app/clean.py", format!("print('hi')\n# {key}\n"));
    assert_eq!(scan(".", &["app/clean.py"]).status.code(), Some(0));
}

/// The `pre-commit` framework's executable, if it is installed and runs.
fn find_pre_commit_framework() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let exe = std::env::split_paths(&path)
        .map(|d| d.join("pre-commit"))
        .find(|p| is_executable(p))?;
    let ok = std::process::Command::new(&exe)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(exe)
}

/// The framework, or `None` to skip, except where the test runner requires it (./test.sh
/// installs it and sets KEYGUARD_REQUIRE_PRE_COMMIT, so CI can never skip silently).
pub(crate) fn pre_commit_framework() -> Option<PathBuf> {
    let found = find_pre_commit_framework();
    if found.is_none() && std::env::var_os("KEYGUARD_REQUIRE_PRE_COMMIT").is_some() {
        panic!(
            "the pre-commit framework is required (KEYGUARD_REQUIRE_PRE_COMMIT) but not on PATH"
        );
    }
    found
}

#[test]
fn pre_commit_framework_run_all_files_finds_a_committed_key() {
    let Some(pc) = pre_commit_framework() else {
        eprintln!("note: the `pre-commit` framework is not installed (pip install pre-commit): test skipped");
        return;
    };
    let r = Repo::new();
    r.write(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n- repo: local\n  hooks:\n  - id: keyguard\n    name: keyguard\n    entry: {} pre-commit\n    language: system\n    pass_filenames: true\n",
            keyguard_bin().display()
        ),
    );
    r.write("app.py", "print('hi')\n");
    r.commit_all("config");
    let run = || {
        r.command_in(&pc, ".")
            .args(["run", "--all-files"])
            .env("PRE_COMMIT_HOME", r.home.path().join("pre-commit-cache"))
            .output()
            .unwrap()
    };
    let out = run();
    assert!(
        out.status.success(),
        "clean repository failed:\n{}",
        both(&out)
    );

    let key = github_pat();
    r.write("deploy/env.sh", format!("export GITHUB_TOKEN={key}\n"));
    r.commit_all("key committed without the hook");
    let out = run();
    assert_no_secret(&out, &key);
    assert!(
        !out.status.success(),
        "committed key not found:\n{}",
        both(&out)
    );
    assert!(both(&out).contains("deploy/env.sh"), "{}", both(&out));
    assert!(both(&out).contains("github-pat"), "{}", both(&out));
}

#[test]
fn pre_commit_framework_pre_push_stage_blocks_a_pushed_key() {
    let Some(pc) = pre_commit_framework() else {
        eprintln!("note: the `pre-commit` framework is not installed (pip install pre-commit): test skipped");
        return;
    };
    let r = Repo::new();
    r.write(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n- repo: local\n  hooks:\n  - id: keyguard-push\n    name: keyguard-push\n    entry: {} pre-push\n    language: system\n    stages: [pre-push]\n    pass_filenames: false\n    always_run: true\n",
            keyguard_bin().display()
        ),
    );
    r.commit_all("config");
    let remote = tempfile::tempdir().unwrap();
    let remote_path = remote.path().display().to_string();
    r.git(&["init", "-q", "--bare", &remote_path]);
    r.git(&["remote", "add", "origin", &remote_path]);
    r.git(&["push", "-q", "origin", "main"]);
    let cache = r.home.path().join("pre-commit-cache");
    let out = r
        .command_in(&pc, ".")
        .args(["install", "-t", "pre-push"])
        .env("PRE_COMMIT_HOME", &cache)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", both(&out));

    let key = github_pat();
    r.write("deploy/env.sh", format!("export GITHUB_TOKEN={key}\n"));
    r.commit_all("key committed without the hook");
    let out = r
        .command_in("git", ".")
        .args(["push", "-q", "origin", "main"])
        .env("PRE_COMMIT_HOME", &cache)
        .output()
        .unwrap();
    assert_no_secret(&out, &key);
    assert!(!out.status.success(), "pushed a key:\n{}", both(&out));
}

/// Installs keyguard's hooks into the bare repository `git_dir` used with the work tree
/// `work_tree` (both relative to the test folder), the way a dotfiles user would run
/// keyguard by hand: with `GIT_DIR` and `GIT_WORK_TREE` set.
fn install_with_env(r: &Repo, git_dir: &str, work_tree: &str) {
    let out = r
        .command_in(keyguard_bin(), work_tree)
        .arg("install")
        .env("GIT_DIR", r.path().join(git_dir))
        .env("GIT_WORK_TREE", r.path().join(work_tree))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", both(&out));
    assert_installed(&r.path().join(git_dir).join("hooks"), &["pre-commit"]);
}

/// Commits `name` through the hooks in a bare repository used with a work tree; `git`
/// holds the options that point git at both (e.g. `--git-dir=… --work-tree=.`).
fn commit_in_bare(r: &Repo, wt: &str, git: &[&str], name: &str, content: &str) -> Output {
    fs::write(r.path().join(wt).join(name), content).unwrap();
    let msg = format!("add {name}");
    r.git_in(wt, &[git, &["add", name]].concat());
    git_at(r, wt, &[git, &["commit", "-q", "-m", &msg]].concat())
}

/// A bare repository with a work tree has an index and a work tree: its commits are
/// scanned like any other (they were all blocked as "a bare repository: nothing staged").
#[test]
fn a_bare_repository_used_with_a_work_tree_is_scanned_like_any_other() {
    let r = Repo::bare_env();
    let key = github_pat();
    let keyed = format!("TOKEN = \"{key}\"\n");

    // The dotfiles pattern: `git init --bare ~/.dotfiles`, then every command with
    // `--git-dir=~/.dotfiles --work-tree=~` (core.bare stays true; git exports
    // GIT_WORK_TREE to the hook).
    r.git(&["init", "-q", "--bare", "dots1"]);
    fs::create_dir(r.path().join("home1")).unwrap();
    install_with_env(&r, "dots1", "home1");
    let opts: &[&str] = &["--git-dir=../dots1", "--work-tree=."];
    let rev = |wt: &str, opts: &[&str]| {
        let out = git_at(
            &r,
            wt,
            &[opts, &["rev-parse", "-q", "--verify", "HEAD"]].concat(),
        );
        stdout(&out)
    };
    assert_committed(&commit_in_bare(
        &r,
        "home1",
        opts,
        ".bashrc",
        "alias ll='ls -l'\n",
    ));
    let before = rev("home1", opts);
    assert!(!before.is_empty(), "the clean commit was not recorded");
    let out = commit_in_bare(&r, "home1", opts, "settings.py", &keyed);
    assert_no_secret(&out, &key);
    assert_blocked_by_keyguard_at(&out);
    assert_eq!(rev("home1", opts), before, "HEAD moved");

    // The same with core.bare = false and core.worktree in the repository's config (git
    // then exports only GIT_DIR).
    r.git(&["init", "-q", "--bare", "dots2"]);
    fs::create_dir(r.path().join("home2")).unwrap();
    let home2 = r.path().join("home2");
    r.git(&["--git-dir=dots2", "config", "core.bare", "false"]);
    r.git(&[
        "--git-dir=dots2",
        "config",
        "core.worktree",
        home2.to_str().unwrap(),
    ]);
    install_with_env(&r, "dots2", "home2");
    let opts: &[&str] = &["--git-dir=../dots2"];
    assert_committed(&commit_in_bare(&r, "home2", opts, ".vimrc", "set number\n"));
    let before = rev("home2", opts);
    assert!(!before.is_empty(), "the clean commit was not recorded");
    let out = commit_in_bare(&r, "home2", opts, "settings.py", &keyed);
    assert_no_secret(&out, &key);
    assert_blocked_by_keyguard_at(&out);
    assert_eq!(rev("home2", opts), before, "HEAD moved");

    // A bare repository with no work tree has nothing staged: a clear error.
    let out = r.keyguard_in("dots1", &["pre-commit"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(both(&out).contains("bare repository"), "{}", both(&out));
}

/// Asserts that keyguard stopped a commit (HEAD is checked by the caller).
fn assert_blocked_by_keyguard_at(out: &Output) {
    assert!(!out.status.success(), "commit went through:\n{}", both(out));
    assert!(
        both(out).contains("commit blocked"),
        "not blocked by keyguard:\n{}",
        both(out)
    );
}

/// A commit of a key is blocked although `keyguard` is not on PATH (the hook finds the
/// binary it was installed from).
fn assert_key_blocked_without_path(r: &Repo) {
    let before = head(r, ".");
    let key = github_pat();
    fs::write(r.path().join("k.txt"), format!("token {key}\n")).unwrap();
    r.git(&["add", "k.txt"]);
    let out = r
        .command_in("git", ".")
        .env("PATH", path_without_keyguard())
        .args(["commit", "-q", "-m", "k"])
        .output()
        .unwrap();
    assert_no_secret(&out, &key);
    assert_blocked_by_keyguard(r, ".", &before, &out);
}
