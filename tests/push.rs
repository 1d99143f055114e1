//! Pre-push scans against real remotes: real `git push` to local bare repositories with
//! the hook installed by `keyguard install --pre-push`, and `keyguard pre-push` run
//! directly with crafted input.
//!
//! Every push test checks three things: the exit status of `git push`, whether the
//! remote ref moved, and (from a `--format json` run of keyguard on the very same hook
//! input, recorded by a chained hook) which commits, files and lines were reported.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;
use serde_json::Value;
use tempfile::TempDir;

const ZERO: &str = "0000000000000000000000000000000000000000";

/// A hook that keyguard's installer will chain (it runs first, with the same input and
/// arguments): it runs `keyguard --format json pre-push` on that input and records the
/// input, the report and the exit status, then lets the real hook decide.
fn recorder_hook(rec: &Path) -> String {
    format!(
        "#!/bin/sh\nrec='{}'\ninput=$(cat)\nprintf '%s\\n' \"$input\" > \"$rec/input\"\nprintf '%s\\n' \"$input\" | keyguard --format json pre-push \"$@\" > \"$rec/out.json\" 2> \"$rec/err\"\necho $? > \"$rec/code\"\nexit 0\n",
        rec.display()
    )
}

/// A working repository with a bare remote `origin` and keyguard's hooks installed.
struct Env {
    repo: Repo,
    _remote_dir: TempDir,
    remote: PathBuf,
    rec: PathBuf,
}

/// What one `git push` did.
struct Pushed {
    out: Output,
    /// The stdin git gave the pre-push hook.
    input: String,
    /// The JSON report keyguard produced for that same input, and its exit status.
    json: Value,
    json_code: i32,
}

impl Pushed {
    fn blocked(&self) -> bool {
        !self.out.status.success()
    }

    /// (commit summary, short id, file, line) of every reported finding.
    fn findings(&self) -> Vec<(String, String, String, u64)> {
        findings(&self.json)
    }

    fn commits_scanned(&self) -> u64 {
        self.json["summary"]["commits"]
            .as_u64()
            .expect("summary.commits")
    }

    fn all_text(&self) -> String {
        format!(
            "{}{}{}",
            stdout(&self.out),
            stderr(&self.out),
            serde_json::to_string(&self.json).unwrap()
        )
    }

    /// The push reported exactly `expected` (commit summary, short id, file, line) after
    /// scanning `scanned` commits, and printed no part of `secret`.
    fn assert_reported(
        &self,
        expected: Vec<(String, String, String, u64)>,
        scanned: u64,
        secret: &str,
    ) {
        assert_eq!(self.findings(), expected);
        assert_eq!(self.commits_scanned(), scanned);
        self.assert_no_secret(secret);
    }

    fn assert_no_secret(&self, secret: &str) {
        assert_no_secret(&self.out, secret);
        assert_text_has_no_secret(&self.all_text(), secret);
    }
}

fn findings(v: &Value) -> Vec<(String, String, String, u64)> {
    v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["commit"]["summary"].as_str().unwrap_or("").to_string(),
                f["commit"]["short"].as_str().unwrap_or("").to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn init_bare(dir: &Path) {
    let out = std::process::Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Installs the recorder and then keyguard's hooks (which chain the recorder).
fn install_hooks(repo: &Repo, rec: &Path) {
    std::fs::create_dir_all(rec).unwrap();
    let hooks = repo.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("pre-push");
    std::fs::write(&hook, recorder_hook(rec)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = repo.keyguard(&["install", "--pre-push"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(hooks.join("pre-push.keyguard-chained").is_file());
}

impl Env {
    fn new() -> Env {
        let repo = Repo::new();
        let remote_dir = tempfile::tempdir().unwrap();
        let remote = remote_dir.path().join("origin.git");
        init_bare(&remote);
        repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
        let rec = repo.home.path().join("rec");
        install_hooks(&repo, &rec);
        Env {
            repo,
            _remote_dir: remote_dir,
            remote,
            rec,
        }
    }

    fn url(&self) -> &str {
        self.remote.to_str().unwrap()
    }

    /// Commits `content` to `file` (no hooks: this is how earlier secrets got in).
    fn commit_file(&self, file: &str, content: &str, msg: &str) -> String {
        self.repo.write(file, content);
        self.repo.commit_all(msg);
        self.rev("HEAD")
    }

    fn rev(&self, r: &str) -> String {
        stdout(&self.repo.git(&["rev-parse", r])).trim().to_string()
    }

    /// Where `refname` points in the remote, if it exists there.
    fn remote_ref(&self, refname: &str) -> Option<String> {
        remote_ref(&self.repo, &self.remote, refname)
    }

    /// `git push ARGS` through the installed hooks.
    fn push(&self, args: &[&str]) -> Pushed {
        push_in(&self.repo, &self.rec, args)
    }

    /// Pushes without the hooks (how a secret reached the remote before keyguard).
    fn push_unchecked(&self, args: &[&str]) {
        let mut a = vec!["push", "-q", "--no-verify"];
        a.extend_from_slice(args);
        self.repo.git(&a);
    }
}

fn remote_ref(repo: &Repo, remote: &Path, refname: &str) -> Option<String> {
    let out = repo.git_try(&[
        "--git-dir",
        remote.to_str().unwrap(),
        "rev-parse",
        "-q",
        "--verify",
        &format!("{refname}^{{}}"),
    ]);
    out.status
        .success()
        .then(|| stdout(&out).trim().to_string())
}

fn push_in(repo: &Repo, rec: &Path, args: &[&str]) -> Pushed {
    for f in ["input", "out.json", "err", "code"] {
        let _ = std::fs::remove_file(rec.join(f));
    }
    let mut a = vec!["push"];
    a.extend_from_slice(args);
    let out = repo.git_try(&a);
    let read = |f: &str| {
        std::fs::read_to_string(rec.join(f)).unwrap_or_else(|_| {
            panic!(
                "the pre-push hook did not run (no {f}):\n{}{}",
                stdout(&out),
                stderr(&out)
            )
        })
    };
    let json_text = read("out.json");
    let json: Value = serde_json::from_str(&json_text).unwrap_or_else(|e| {
        panic!(
            "bad JSON from the hook ({e}): {json_text}\n{}\n{}",
            read("err"),
            stderr(&out)
        )
    });
    let json_code: i32 = read("code").trim().parse().unwrap();
    let err = read("err");
    let p = Pushed {
        input: read("input"),
        json,
        json_code,
        out,
    };
    // The JSON run and the real hook saw the same input: they must agree.
    assert_eq!(
        p.json_code,
        if p.blocked() { 1 } else { 0 },
        "hook verdict and JSON report disagree:\n{}{}\n{}",
        stdout(&p.out),
        stderr(&p.out),
        err
    );
    p
}

/// Runs `keyguard ARGS` in `repo` with `input` on stdin.
fn keyguard_stdin(repo: &Repo, args: &[&str], input: &str) -> Output {
    let mut cmd = repo.command_in(keyguard_bin(), ".");
    cmd.args(args);
    run_with_stdin(cmd, input.as_bytes())
}

/// A repository whose `main`, holding a three-line `app.cfg`, is on the remote.
fn env_with_pushed_base() -> Env {
    let env = Env::new();
    env.commit_file("app.cfg", "a = 1\nb = 2\nc = 3\n", "base");
    env.push_unchecked(&["origin", "main"]);
    env
}

fn short(sha: &str) -> String {
    sha[..10].to_string()
}

/// A repository whose remote `main` holds an old secret (pushed with --no-verify before
/// keyguard was installed), two commits deep.
fn env_with_pushed_secret(old: &str) -> (Env, String) {
    let env = Env::new();
    env.commit_file("README.md", "# project\n\nSome words.\n", "init");
    let leak = env.commit_file(
        "config.py",
        &format!("import os\nOPENAI_KEY = \"{old}\"\n"),
        "old secret",
    );
    env.push_unchecked(&["origin", "main"]);
    assert_eq!(env.remote_ref("refs/heads/main").as_deref(), Some(&*leak));
    (env, leak)
}

#[test]
fn new_branch_scans_only_commits_the_remote_lacks() {
    let old = openai_project_key();
    let (env, _) = env_with_pushed_secret(&old);
    let r = &env.repo;

    // A clean new branch off main: the old secret on origin/main is not this push's doing.
    r.git(&["switch", "-q", "-c", "feature"]);
    let clean = env.commit_file("feature.txt", "a feature\n", "feature work");
    let p = env.push(&["origin", "feature"]);
    assert!(!p.blocked(), "{}", stderr(&p.out));
    assert!(
        p.input.contains(&format!("refs/heads/feature {ZERO}")),
        "{}",
        p.input
    );
    assert_eq!(
        env.remote_ref("refs/heads/feature").as_deref(),
        Some(&*clean)
    );
    assert!(p.findings().is_empty(), "{:?}", p.findings());
    assert_eq!(p.commits_scanned(), 1);
    p.assert_no_secret(&old);

    // A second new branch whose one new commit holds a key: only that commit is scanned.
    let pat = github_pat();
    r.git(&["switch", "-q", "-c", "leaky", "main"]);
    let leak = env.commit_file(
        "deploy/app.env",
        &format!("REGION=eu\nDEBUG=0\nGITHUB_TOKEN={pat}\n"),
        "add deploy env",
    );
    let p = env.push(&["-u", "origin", "leaky"]);
    assert!(p.blocked());
    assert_eq!(
        env.remote_ref("refs/heads/leaky"),
        None,
        "the ref must not be created"
    );
    assert_eq!(
        p.findings(),
        vec![(
            "add deploy env".to_string(),
            short(&leak),
            "deploy/app.env".to_string(),
            3
        )]
    );
    assert_eq!(p.json["findings"][0]["rule_id"], "github-pat");
    assert_eq!(p.json["findings"][0]["commit"]["id"], leak.as_str());
    assert_eq!(p.commits_scanned(), 1);
    p.assert_no_secret(&old);
    p.assert_no_secret(&pat);
}

#[test]
fn update_of_an_existing_branch_scans_the_new_commits_only() {
    let old = openai_project_key();
    let (env, _) = env_with_pushed_secret(&old);

    let c1 = env.commit_file("settings.ini", "[a]\nx = 1\ny = 2\n", "settings");
    let p = env.push(&["origin", "main"]);
    assert!(!p.blocked(), "{}", stderr(&p.out));
    assert_eq!(env.remote_ref("refs/heads/main").as_deref(), Some(&*c1));
    assert_eq!(p.commits_scanned(), 1);
    assert!(p.findings().is_empty());

    // Change the middle line only: it, and nothing else, is reported.
    let key = anthropic_key();
    env.commit_file("settings.ini", "[a]\nx = 1\n", "shrink");
    let c3 = env.commit_file(
        "settings.ini",
        &format!("[a]\nx = 1\nkey = {key}\nz = 3\n"),
        "configure anthropic",
    );
    let p = env.push(&["origin", "main"]);
    assert!(p.blocked());
    assert_eq!(env.remote_ref("refs/heads/main").as_deref(), Some(&*c1));
    assert!(p
        .input
        .contains(&format!("refs/heads/main {c3} refs/heads/main {c1}")));
    assert_eq!(
        p.findings(),
        vec![(
            "configure anthropic".into(),
            short(&c3),
            "settings.ini".into(),
            3
        )]
    );
    assert_eq!(p.commits_scanned(), 2);
    p.assert_no_secret(&key);
    p.assert_no_secret(&old);
}

#[test]
fn force_push_with_the_old_tip_present_locally() {
    let env = Env::new();
    env.commit_file("a.txt", "base\n", "base");
    let pushed = env.commit_file("b.txt", "one\n", "work");
    env.push_unchecked(&["origin", "main"]);

    // Rewrite the pushed commit so that it now holds a key: blocked, nothing moves.
    let key = openai_project_key();
    env.repo.write("b.txt", format!("one\nk = {key}\n"));
    env.repo.git(&["add", "-A"]);
    env.repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "--amend",
        "-m",
        "work, amended",
    ]);
    let amended = env.rev("HEAD");
    let p = env.push(&["--force", "origin", "main"]);
    assert!(p.blocked());
    assert!(p
        .input
        .contains(&format!("{amended} refs/heads/main {pushed}")));
    assert_eq!(env.remote_ref("refs/heads/main").as_deref(), Some(&*pushed));
    assert_eq!(
        p.findings(),
        vec![("work, amended".into(), short(&amended), "b.txt".into(), 2)]
    );
    assert_eq!(p.commits_scanned(), 1, "only the rewritten commit is new");
    p.assert_no_secret(&key);

    // The usual fix for a secret that did reach the remote: amend it out, force push.
    env.push_unchecked(&["--force", "origin", "main"]);
    env.repo
        .write("b.txt", "one\nk = os.environ['OPENAI_API_KEY']\n");
    env.repo.git(&["add", "-A"]);
    env.repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "--amend",
        "-m",
        "work, fixed",
    ]);
    let fixed = env.rev("HEAD");
    let p = env.push(&["--force", "origin", "main"]);
    assert!(!p.blocked(), "{}", stderr(&p.out));
    assert_eq!(env.remote_ref("refs/heads/main").as_deref(), Some(&*fixed));
    assert!(p.findings().is_empty(), "{:?}", p.findings());
    assert_eq!(p.commits_scanned(), 1);
    p.assert_no_secret(&key);
}

#[test]
fn force_push_without_the_old_tip_falls_back_to_tracking_refs() {
    let env = Env::new();
    env.commit_file("a.txt", "base\n", "base");
    env.push_unchecked(&["origin", "main"]);

    // Clone B is made now, so it never sees what A pushes next.
    let b = Repo::bare_env();
    b.git(&["clone", "-q", env.url(), "."]);
    let b_rec = b.home.path().join("rec");
    install_hooks(&b, &b_rec);

    let a_tip = env.commit_file("a.txt", "base\nfrom A\n", "A's work");
    env.push(&["origin", "main"]);
    assert_eq!(env.remote_ref("refs/heads/main").as_deref(), Some(&*a_tip));
    let missing = b.git_try(&["cat-file", "-e", &a_tip]);
    assert!(!missing.status.success(), "B must not have A's tip");

    // B rewrites main with a key and force pushes: blocked (exit 1, not an error).
    let key = github_pat();
    b.write("b.txt", format!("token: {key}\n"));
    b.commit_all("B's work");
    let b_tip = stdout(&b.git(&["rev-parse", "HEAD"])).trim().to_string();
    let p = push_in(&b, &b_rec, &["--force", "origin", "main"]);
    assert!(p.blocked());
    assert_eq!(p.json_code, 1, "{}", stderr(&p.out));
    assert!(
        p.input
            .contains(&format!("{b_tip} refs/heads/main {a_tip}")),
        "{}",
        p.input
    );
    assert_eq!(env.remote_ref("refs/heads/main").as_deref(), Some(&*a_tip));
    // origin/main in B (the base) hides everything older.
    p.assert_reported(
        vec![("B's work".into(), short(&b_tip), "b.txt".into(), 1)],
        1,
        &key,
    );

    // Without the key the same kind of force push goes through.
    b.write("b.txt", "token: from the environment\n");
    b.git(&["add", "-A"]);
    b.git(&[
        "commit",
        "-q",
        "--no-verify",
        "--amend",
        "-m",
        "B's clean work",
    ]);
    let b_clean = stdout(&b.git(&["rev-parse", "HEAD"])).trim().to_string();
    let p = push_in(&b, &b_rec, &["--force", "origin", "main"]);
    assert!(!p.blocked(), "{}", stderr(&p.out));
    assert_eq!(
        env.remote_ref("refs/heads/main").as_deref(),
        Some(&*b_clean)
    );
    assert_eq!(p.commits_scanned(), 1);
    assert!(p.findings().is_empty());

    // Direct run with a remote sha nobody has: no error, the tracking refs decide.
    let unknown = "1234567890abcdef1234567890abcdef12345678";
    b.write("c.txt", format!("again {key}\n"));
    b.commit_all("C");
    let c = stdout(&b.git(&["rev-parse", "HEAD"])).trim().to_string();
    let input = format!("refs/heads/main {c} refs/heads/main {unknown}\n");
    let out = keyguard_stdin(
        &b,
        &["--format", "json", "pre-push", "origin", env.url()],
        &input,
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(
        findings(&v),
        vec![("C".into(), short(&c), "c.txt".into(), 1)]
    );
    // origin/main now points at b_clean: only C is new.
    assert_eq!(v["summary"]["commits"], 1);
    assert_no_secret(&out, &key);
}

#[test]
fn deleting_a_remote_branch_scans_nothing() {
    let env = Env::new();
    env.commit_file("a.txt", "base\n", "base");
    env.push_unchecked(&["origin", "main"]);
    let key = openai_project_key();
    for branch in ["doomed", "doomed2"] {
        env.repo.git(&["switch", "-q", "-c", branch, "main"]);
        env.commit_file("k.txt", &format!("{key}\n"), "leak");
        env.push_unchecked(&["origin", branch]);
        assert!(env.remote_ref(&format!("refs/heads/{branch}")).is_some());
    }
    env.repo.git(&["switch", "-q", "main"]);

    let p = env.push(&["origin", ":doomed"]);
    assert!(!p.blocked(), "{}", stderr(&p.out));
    assert!(p
        .input
        .starts_with(&format!("(delete) {ZERO} refs/heads/doomed ")));
    assert_eq!(env.remote_ref("refs/heads/doomed"), None);
    assert!(p.findings().is_empty());
    assert_eq!(p.commits_scanned(), 0);

    let p = env.push(&["--delete", "origin", "doomed2"]);
    assert!(!p.blocked(), "{}", stderr(&p.out));
    assert_eq!(env.remote_ref("refs/heads/doomed2"), None);
    assert_eq!(p.commits_scanned(), 0);
    p.assert_no_secret(&key);
}

#[test]
fn every_ref_of_a_multi_ref_push_is_scanned() {
    let env = Env::new();
    env.commit_file("a.txt", "base\n", "base");
    env.push_unchecked(&["origin", "main"]);
    env.repo.git(&["switch", "-q", "-c", "a-clean", "main"]);
    env.commit_file("clean.txt", "nothing to see\n", "clean work");
    env.repo.git(&["switch", "-q", "-c", "b-leaky", "main"]);
    let key = openai_project_key();
    let leak = env.commit_file("leak.txt", &format!("x\n{key}\n"), "leaky work");

    for args in [
        &["origin", "a-clean", "b-leaky"][..],
        &["--all", "origin"][..],
    ] {
        let p = env.push(args);
        assert!(p.blocked(), "{args:?}");
        let lines: Vec<&str> = p.input.lines().filter(|l| !l.is_empty()).collect();
        assert!(lines.len() >= 2, "{}", p.input);
        assert!(
            lines[0].starts_with("refs/heads/a-clean "),
            "the key must be on a later line: {}",
            p.input
        );
        assert_eq!(env.remote_ref("refs/heads/a-clean"), None);
        assert_eq!(env.remote_ref("refs/heads/b-leaky"), None);
        p.assert_reported(
            vec![("leaky work".into(), short(&leak), "leak.txt".into(), 2)],
            2,
            &key,
        );
    }
}

#[test]
fn pushing_commits_the_remote_already_has_scans_nothing() {
    let old = openai_project_key();
    let (env, leak) = env_with_pushed_secret(&old);
    let p = env.push(&["origin", "main:refs/heads/copy"]);
    assert!(!p.blocked(), "{}", stderr(&p.out));
    assert!(p.input.contains(&format!("{leak} refs/heads/copy {ZERO}")));
    assert_eq!(env.remote_ref("refs/heads/copy").as_deref(), Some(&*leak));
    assert_eq!(p.commits_scanned(), 0);
    assert!(p.findings().is_empty());
    p.assert_no_secret(&old);

    // The same from crafted input: an update to the sha the remote already has.
    let input = format!("refs/heads/main {leak} refs/heads/main {leak}\n");
    let out = keyguard_stdin(&env.repo, &["pre-push", "origin", env.url()], &input);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("no secrets"), "{}", stdout(&out));
    assert_no_secret(&out, &old);
}

#[test]
fn push_by_url_uses_the_remote_with_that_url() {
    let old = openai_project_key();
    let (env, _) = env_with_pushed_secret(&old);
    let clean = env.commit_file("n.txt", "new\n", "new work");
    // By URL, in the spellings git passes on: as configured, with a trailing slash, and
    // as a file:// URL. origin (same URL) tells what the remote has.
    let spellings = [
        env.url().to_string(),
        format!("{}/", env.url()),
        format!("file://{}", env.url()),
    ];
    for (i, url) in spellings.iter().enumerate() {
        let dest = format!("HEAD:refs/heads/x{i}");
        let p = env.push(&[url, &dest]);
        assert!(!p.blocked(), "{url}: {}", stderr(&p.out));
        assert_eq!(
            env.remote_ref(&format!("refs/heads/x{i}")).as_deref(),
            Some(&*clean)
        );
        assert_eq!(p.commits_scanned(), 1, "{url}");
        assert!(p.findings().is_empty(), "{url}: {:?}", p.findings());
        p.assert_no_secret(&old);
    }

    let key = github_pat();
    let leak = env.commit_file("n.txt", &format!("new\n{key}\n"), "leak by url");
    let p = env.push(&[env.url(), "HEAD:refs/heads/y"]);
    assert!(p.blocked());
    assert_eq!(env.remote_ref("refs/heads/y"), None);
    // A push by URL updates no tracking ref, so "new work" is still unknown to origin/*.
    p.assert_reported(
        vec![("leak by url".into(), short(&leak), "n.txt".into(), 2)],
        2,
        &key,
    );
}

#[test]
fn push_by_url_without_a_configured_remote() {
    let old = openai_project_key();
    let (env, old_leak) = env_with_pushed_secret(&old);
    env.repo.git(&["remote", "remove", "origin"]);
    let clean = env.commit_file("n.txt", "new\n", "new work");

    // Updating a ref the remote has: its sha (which we have) bounds the scan.
    let p = env.push(&[env.url(), "HEAD:refs/heads/main"]);
    assert!(!p.blocked(), "{}", stderr(&p.out));
    assert_eq!(env.remote_ref("refs/heads/main").as_deref(), Some(&*clean));
    assert_eq!(p.commits_scanned(), 1);
    assert!(p.findings().is_empty());

    // A new ref on a remote we know nothing about: everything it sends is scanned,
    // including the old secret (keyguard cannot tell that the remote has it).
    let p = env.push(&[env.url(), "HEAD:refs/heads/fresh"]);
    assert!(p.blocked());
    assert_eq!(env.remote_ref("refs/heads/fresh"), None);
    p.assert_reported(
        vec![("old secret".into(), short(&old_leak), "config.py".into(), 2)],
        3,
        &old,
    );
}

#[test]
fn secret_added_then_removed_in_the_same_push_is_still_blocked() {
    let env = Env::new();
    env.commit_file("app.py", "import os\n", "init");
    env.push_unchecked(&["origin", "main"]);
    let key = openai_project_key();
    let added = env.commit_file(
        "app.py",
        &format!("import os\nclient = OpenAI(api_key=\"{key}\")\n"),
        "wire up the client",
    );
    env.commit_file(
        "app.py",
        "import os\nclient = OpenAI(api_key=os.environ[\"OPENAI_API_KEY\"])\n",
        "read the key from the environment",
    );
    let p = env.push(&["origin", "main"]);
    assert!(p.blocked());
    assert_eq!(p.commits_scanned(), 2);
    assert_eq!(
        p.findings(),
        vec![(
            "wire up the client".into(),
            short(&added),
            "app.py".into(),
            2
        )]
    );
    assert_ne!(env.remote_ref("refs/heads/main").as_deref(), Some(&*added));
    // git passes the hook's output on (stdout or stderr, depending on the version).
    let human = format!("{}{}", stdout(&p.out), stderr(&p.out));
    for needle in [
        short(&added).as_str(),
        "wire up the client",
        "push blocked",
        "git rebase -i",
        "--amend",
        "reset --soft",
        "git push --no-verify",
    ] {
        assert!(human.contains(needle), "missing {needle:?} in:\n{human}");
    }
    p.assert_no_secret(&key);
}

#[test]
fn annotated_tags_send_their_commits() {
    let env = Env::new();
    env.commit_file("a.txt", "base\n", "base");
    env.push_unchecked(&["origin", "main"]);
    let released = env.rev("HEAD");
    env.repo.git(&["tag", "-a", "v0.9", "-m", "old release"]);

    // A tag whose commit the remote already has: nothing to scan.
    let p = env.push(&["origin", "v0.9"]);
    assert!(!p.blocked(), "{}", stderr(&p.out));
    assert_eq!(
        env.remote_ref("refs/tags/v0.9").as_deref(),
        Some(&*released)
    );
    assert_eq!(p.commits_scanned(), 0);

    let key = aws_key_id();
    let leak = env.commit_file("aws.cfg", &format!("[default]\nid = {key}\n"), "aws config");
    env.commit_file("b.txt", "more\n", "more");
    env.repo.git(&["tag", "-a", "v1.0", "-m", "release 1.0"]);
    let tag_obj = env.rev("v1.0");

    // The tag alone sends its commits.
    let p = env.push(&["origin", "v1.0"]);
    assert!(p.blocked());
    assert!(p
        .input
        .contains(&format!("refs/tags/v1.0 {tag_obj} refs/tags/v1.0 {ZERO}")));
    assert_eq!(env.remote_ref("refs/tags/v1.0"), None);
    assert_eq!(
        p.findings(),
        vec![("aws config".into(), short(&leak), "aws.cfg".into(), 2)]
    );
    assert_eq!(p.commits_scanned(), 2);

    // Together with the branch (and with --follow-tags): the commits are reported once.
    for args in [
        &["origin", "main", "v1.0"][..],
        &["--follow-tags", "origin", "main"][..],
    ] {
        let p = env.push(args);
        assert!(p.blocked(), "{args:?}");
        assert_eq!(env.remote_ref("refs/tags/v1.0"), None);
        assert_eq!(
            env.remote_ref("refs/heads/main").as_deref(),
            Some(&*released)
        );
        p.assert_reported(
            vec![("aws config".into(), short(&leak), "aws.cfg".into(), 2)],
            2,
            &key,
        );
    }
}

#[test]
fn merge_resolution_that_adds_a_key_is_blocked() {
    let env = env_with_pushed_base();
    let r = &env.repo;
    r.git(&["switch", "-q", "-c", "feature"]);
    env.commit_file("feature.txt", "feature\n", "feature");
    r.git(&["switch", "-q", "main"]);
    env.commit_file("main.txt", "main\n", "main work");

    let key = openai_project_key();
    r.git(&["merge", "-q", "--no-ff", "--no-commit", "feature"]);
    r.write("app.cfg", format!("a = 1\nb = 2\nkey = {key}\nc = 3\n"));
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "--no-verify", "-m", "merge feature"]);
    let merge = env.rev("HEAD");

    let p = env.push(&["origin", "main"]);
    assert!(p.blocked());
    assert_ne!(env.remote_ref("refs/heads/main").as_deref(), Some(&*merge));
    p.assert_reported(
        vec![("merge feature".into(), short(&merge), "app.cfg".into(), 3)],
        3,
        &key,
    );
}

#[test]
fn merge_of_committed_content_reports_nothing_from_the_merge_itself() {
    let env = env_with_pushed_base();
    let r = &env.repo;

    // feature adds a key in app.cfg and reaches the remote without the hook.
    let key = github_pat();
    r.git(&["switch", "-q", "-c", "feature"]);
    env.commit_file(
        "app.cfg",
        &format!("a = 1\nb = 2\nc = 3\ntoken = {key}\n"),
        "feature key",
    );
    env.push_unchecked(&["origin", "feature"]);
    r.git(&["switch", "-q", "main"]);
    // main edits the same file elsewhere, so the merge result differs from both parents.
    env.commit_file("app.cfg", "a = 10\nb = 2\nc = 3\n", "main work");
    r.git(&[
        "merge",
        "-q",
        "--no-ff",
        "--no-edit",
        "--no-verify",
        "feature",
    ]);
    let merge = env.rev("HEAD");
    let merged = std::fs::read_to_string(r.path().join("app.cfg")).unwrap();
    assert!(
        merged.contains("a = 10") && merged.contains(&key),
        "{merged}"
    );

    let p = env.push(&["origin", "main"]);
    assert!(!p.blocked(), "{}", stderr(&p.out));
    assert_eq!(env.remote_ref("refs/heads/main").as_deref(), Some(&*merge));
    assert!(p.findings().is_empty(), "{:?}", p.findings());
    assert_eq!(p.commits_scanned(), 2, "main work and the merge");
    p.assert_no_secret(&key);

    // Same shape, but the feature commit is new too: it, not the merge, is reported.
    let key2 = github_pat();
    r.git(&["switch", "-q", "-c", "feature2"]);
    let f2 = env.commit_file(
        "app.cfg",
        &format!("a = 10\nb = 2\nc = 3\ntoken = {key}\nother = {key2}\n"),
        "feature2 key",
    );
    r.git(&["switch", "-q", "main"]);
    env.commit_file("app.cfg", "a = 11\nb = 2\nc = 3\ntoken = x\n", "main again");
    let conflict = r.git_try(&[
        "merge",
        "-q",
        "--no-ff",
        "--no-edit",
        "--no-verify",
        "feature2",
    ]);
    if !conflict.status.success() {
        // Resolve by taking both sides' edits.
        r.write(
            "app.cfg",
            format!("a = 11\nb = 2\nc = 3\ntoken = x\nother = {key2}\n"),
        );
        r.git(&["add", "-A"]);
        r.git(&["commit", "-q", "--no-verify", "--no-edit"]);
    }
    let merge2 = env.rev("HEAD");
    let p = env.push(&["origin", "main"]);
    assert!(p.blocked());
    assert_eq!(env.remote_ref("refs/heads/main").as_deref(), Some(&*merge));
    let f = p.findings();
    assert!(!f.is_empty());
    assert!(
        f.iter().all(|(_, s, _, _)| *s == short(&f2)),
        "only the feature2 commit may be named, not the merge {}: {f:?}",
        short(&merge2)
    );
    assert!(f
        .iter()
        .any(|(_, _, file, line)| file == "app.cfg" && *line == 5));
    p.assert_no_secret(&key);
    p.assert_no_secret(&key2);
}

#[test]
fn malformed_input_is_an_error() {
    let env = Env::new();
    let head = env.commit_file("a.txt", "x\n", "x");
    let cases = [
        ("garbage\n", "pre-push input line 1"),
        (
            &*format!("refs/heads/main {head} refs/heads/main\n"),
            "expected `<local ref> <local sha> <remote ref> <remote sha>`",
        ),
        (
            &*format!("refs/heads/main {head} refs/heads/main {ZERO}\nrefs/heads/x nothex refs/heads/x {ZERO}\n"),
            "line 2",
        ),
        (
            &*format!("refs/heads/main {} refs/heads/main {ZERO}\n", "ab".repeat(20)),
            "not in this repository",
        ),
        // A truncated id is not a prefix to guess from.
        (
            &*format!("refs/heads/main {} refs/heads/main {ZERO}\n", &head[..12]),
            "not a full object id",
        ),
        (
            &*format!("refs/heads/main {head} refs/heads/main {}\n", &head[..39]),
            "not a full object id",
        ),
    ];
    for (input, needle) in cases {
        let out = keyguard_stdin(&env.repo, &["pre-push", "origin", env.url()], input);
        assert_eq!(code(&out), 2, "{input:?}: {}{}", stdout(&out), stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("keyguard: error:"), "{err}");
        assert!(
            err.contains(needle),
            "{input:?}: expected {needle:?} in {err}"
        );
        assert!(
            stdout(&out).is_empty(),
            "no report on error: {}",
            stdout(&out)
        );
    }
    // Blank lines and surrounding whitespace are fine; several lines are all read.
    let key = openai_project_key();
    let leak = env.commit_file("b.txt", &format!("{key}\n"), "leak");
    let input = format!(
        "\n(delete) {ZERO} refs/heads/gone {head}\n  refs/heads/main {head} refs/heads/main {ZERO}  \n\nrefs/heads/main {leak} refs/heads/other {ZERO}\n"
    );
    let out = keyguard_stdin(
        &env.repo,
        &["--format", "json", "pre-push", "origin", env.url()],
        &input,
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(
        findings(&json(&out)),
        vec![("leak".into(), short(&leak), "b.txt".into(), 1)]
    );
    assert_no_secret(&out, &key);
}
