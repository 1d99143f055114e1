//! The staged source end to end: keyguard must scan exactly what `git commit` records.
//!
//! Every test builds a real repository with the real `git` CLI and runs the real
//! keyguard binary, by hand and through the hooks `keyguard install` writes, across the
//! ways git builds the index it commits (`-a`, `PATH`, `-o`, `-i`, partial staging,
//! merges, linked worktrees, separate git dirs). Keys are generated at test time and no
//! output may ever contain one.

use std::path::Path;
use std::process::Output;

use crate::common::*;
use serde_json::Value;

const OPENAI: &str = "openai-project-key";
const GITHUB: &str = "github-pat";
const ANTHROPIC: &str = "anthropic-api-key";

/// Runs keyguard in `cwd` and checks that none of `secrets` leaked into its output.
fn kg_in(r: &Repo, cwd: &str, args: &[&str], secrets: &[&str]) -> Output {
    let out = r.keyguard_in(cwd, args);
    for s in secrets {
        assert_no_secret(&out, s);
    }
    out
}

fn kg(r: &Repo, args: &[&str], secrets: &[&str]) -> Output {
    kg_in(r, ".", args, secrets)
}

/// `keyguard [args] --format json` in `cwd`, asserting the exit status; the parsed report.
fn scan_in(r: &Repo, cwd: &str, args: &[&str], secrets: &[&str], want: i32) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = kg_in(r, cwd, &all, secrets);
    assert_eq!(
        code(&out),
        want,
        "keyguard {all:?} exit status\n{}{}",
        stdout(&out),
        stderr(&out)
    );
    json(&out)
}

/// `keyguard --staged --format json` at the repository root.
fn scan(r: &Repo, secrets: &[&str], want: i32) -> Value {
    scan_in(r, ".", &["--staged"], secrets, want)
}

/// 1-based character column of `needle` in `line`.
fn col(line: &str, needle: &str) -> u64 {
    let at = line.find(needle).expect("needle in line");
    line[..at].chars().count() as u64 + 1
}

/// Runs a `git commit`-like command that a hook must block; checks HEAD did not move.
fn assert_blocked(r: &Repo, cwd: &str, args: &[&str], secrets: &[&str]) -> Output {
    let before = head_in(r, cwd);
    let out = r.git_try_in(cwd, args);
    for s in secrets {
        assert_no_secret(&out, s);
    }
    assert!(
        !out.status.success(),
        "git {args:?} should have been blocked:\n{}",
        both(&out)
    );
    assert!(
        both(&out).contains("commit blocked"),
        "the block must come from keyguard:\n{}",
        both(&out)
    );
    assert_eq!(head_in(r, cwd), before, "HEAD moved although blocked");
    out
}

/// Runs a `git commit`-like command that must succeed (hook installed); HEAD moves.
fn assert_commits(r: &Repo, cwd: &str, args: &[&str], secrets: &[&str]) -> Output {
    let before = head_in(r, cwd);
    let out = r.git_try_in(cwd, args);
    for s in secrets {
        assert_no_secret(&out, s);
    }
    assert!(
        out.status.success(),
        "git {args:?} should have succeeded:\n{}",
        both(&out)
    );
    assert_ne!(head_in(r, cwd), before, "no commit was created");
    out
}

fn head_in(r: &Repo, cwd: &str) -> Option<String> {
    let out = r.git_try_in(cwd, &["rev-parse", "-q", "--verify", "HEAD^{commit}"]);
    out.status
        .success()
        .then(|| stdout(&out).trim().to_string())
}

fn install(r: &Repo) {
    let out = r.keyguard(&["install"]);
    assert_eq!(code(&out), 0, "install failed: {}", both(&out));
}

/// A text of `n` harmless numbered lines (enough for rename detection to pair files).
fn filler(n: usize, tag: &str) -> String {
    (1..=n)
        .map(|i| format!("{tag} line {i}: nothing secret here\n"))
        .collect()
}

fn write_abs(path: &Path, content: impl AsRef<[u8]>) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

/// An executable shell script that creates `marker` when run (for "runs nothing" tests).
fn marker_script(dir: &Path, marker: &Path) -> String {
    let script = dir.join("hostile.sh");
    write_abs(
        &script,
        format!(
            "#!/bin/sh\ntouch '{}'\n[ -f \"$1\" ] && cat \"$1\"\nexit 0\n",
            marker.display()
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    script.display().to_string()
}

// ---------------------------------------------------------------------------------
// Plain staging, report fields
// ---------------------------------------------------------------------------------

#[test]
fn staged_key_is_reported_with_location_rule_and_masked_secret() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit_all("init");
    let k = openai_project_key();
    let line3 = format!("client = make(api_key=\"{k}\")");
    r.write(
        "config/settings.py",
        format!("import os\n\n{line3}\nprint('ok')\n"),
    );
    r.git(&["add", "config/settings.py"]);

    let want = vec![hit("config/settings.py", 3, col(&line3, &k), OPENAI)];
    let mut fingerprints = Vec::new();
    // `--staged`, `pre-commit` and no command at all are the same scan.
    for args in [&["--staged"][..], &["pre-commit"][..], &[][..]] {
        let v = scan_in(&r, ".", args, &[&k], 1);
        assert_eq!(hits(&v), want, "keyguard {args:?}");
        let f = &v["findings"][0];
        assert!(f["commit"].is_null(), "staged findings have no commit: {f}");
        let tail: String = k.chars().skip(k.chars().count() - 4).collect();
        assert_eq!(f["secret"], format!("sk-proj-…{tail}"), "masked secret");
        assert_eq!(summary(&v, "blocking"), 1);
        assert_eq!(v["summary"]["scan"], "staged");
        fingerprints.push(f["fingerprint"].as_str().expect("fingerprint").to_string());
    }
    assert!(
        fingerprints.windows(2).all(|w| w[0] == w[1]),
        "{fingerprints:?}"
    );
    assert!(fingerprints[0].starts_with("openai-project-key:"));

    // The human report says where, and never shows the key.
    let out = kg(&r, &["--staged"], &[&k]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("config/settings.py:3:{}", col(&line3, &k))),
        "{text}"
    );
    assert!(text.contains(&fingerprints[0]), "{text}");
}

#[test]
fn fingerprint_is_stable_across_runs_and_when_the_line_moves() {
    let r = Repo::new();
    let k = github_pat();
    let other = github_pat();
    assert_ne!(k, other);
    r.write("app.env", format!("GITHUB_TOKEN={k}\n"));
    r.git(&["add", "app.env"]);
    let first = scan(&r, &[&k], 1);
    let again = scan(&r, &[&k], 1);
    assert_eq!(hits(&first), vec![hit("app.env", 1, 14, GITHUB)]);
    let fp = first["findings"][0]["fingerprint"].clone();
    assert_eq!(again["findings"][0]["fingerprint"], fp);

    // Five lines above it now, and another key after it.
    r.write(
        "app.env",
        format!("{}GITHUB_TOKEN={k}\nOTHER={other}\n", filler(5, "pad")),
    );
    r.git(&["add", "app.env"]);
    let moved = scan(&r, &[&k, &other], 1);
    assert_eq!(
        hits(&moved),
        vec![hit("app.env", 6, 14, GITHUB), hit("app.env", 7, 7, GITHUB)]
    );
    assert_eq!(moved["findings"][0]["fingerprint"], fp);
    assert_ne!(
        moved["findings"][1]["fingerprint"], fp,
        "another key, another fingerprint"
    );
}

#[test]
fn unborn_head_first_commit_is_scanned_whole() {
    let r = Repo::new();
    assert_eq!(r.head(), None);
    let k1 = anthropic_key();
    let k2 = openai_project_key();
    r.write("b.txt", format!("x\ny\nkey: {k2}\n"));
    r.write("a/first.py", format!("K = '{k1}'\n"));
    r.write("clean.txt", "nothing\n");
    r.git(&["add", "-A"]);
    let v = scan(&r, &[&k1, &k2], 1);
    assert_eq!(
        hits(&v),
        vec![
            hit("a/first.py", 1, 6, ANTHROPIC),
            hit("b.txt", 3, 6, OPENAI)
        ]
    );
    assert_eq!(summary(&v, "files"), 3);

    // The first commit through the hook is blocked too, and a clean one goes through.
    install(&r);
    assert_blocked(&r, ".", &["commit", "-q", "-m", "first"], &[&k1, &k2]);
    r.git(&["rm", "-q", "--cached", "a/first.py", "b.txt"]);
    assert_commits(&r, ".", &["commit", "-q", "-m", "first"], &[&k1, &k2]);
}

// ---------------------------------------------------------------------------------
// The hook, and the indexes git commits from
// ---------------------------------------------------------------------------------

#[test]
fn hook_blocks_a_commit_with_a_key_and_lets_a_clean_one_through() {
    let r = Repo::new();
    r.write("src/main.py", "print('hi')\n");
    r.commit_all("init");
    install(&r);
    let k = openai_project_key();
    r.write("src/main.py", format!("print('hi')\nKEY = \"{k}\"\n"));
    r.git(&["add", "src/main.py"]);
    let out = assert_blocked(&r, ".", &["commit", "-m", "add key"], &[&k]);
    assert!(both(&out).contains("src/main.py:2:8"), "{}", both(&out));

    r.write(
        "src/main.py",
        "print('hi')\nKEY = os.environ['OPENAI_API_KEY']\n",
    );
    r.git(&["add", "src/main.py"]);
    assert_commits(&r, ".", &["commit", "-q", "-m", "read from env"], &[&k]);
}

#[test]
fn commit_all_scans_tracked_files_modified_but_not_staged() {
    let r = Repo::new();
    r.write("settings.ini", "[api]\nkey =\n");
    r.write("notes.txt", "notes\n");
    r.commit_all("init");
    install(&r);
    let k = github_pat();
    // The key is only in the working tree: `git add` was never run for it.
    r.write("settings.ini", format!("[api]\nkey = {k}\n"));
    assert_eq!(scan(&r, &[&k], 0)["findings"], Value::Array(vec![]));
    let out = assert_blocked(&r, ".", &["commit", "-a", "-m", "all"], &[&k]);
    assert!(both(&out).contains("settings.ini:2:7"), "{}", both(&out));
    // An intent-to-add file (`git add -N`) is committed whole by `commit -a`.
    r.write("settings.ini", "[api]\nkey =\n");
    let k2 = openai_project_key();
    r.write("later.env", format!("OPENAI_API_KEY={k2}\n"));
    r.git(&["add", "-N", "later.env"]);
    assert!(
        hits(&scan(&r, &[&k, &k2], 0)).is_empty(),
        "nothing of it is staged yet"
    );
    let out = assert_blocked(&r, ".", &["commit", "-a", "-m", "all"], &[&k, &k2]);
    assert!(both(&out).contains("later.env:1:16"), "{}", both(&out));
    r.git(&["rm", "-q", "--cached", "later.env"]);
    // The aborted `commit -a` left the real index alone: a commit of what is staged passes.
    r.write("notes.txt", "more notes\n");
    r.git(&["add", "notes.txt"]);
    assert_commits(&r, ".", &["commit", "-q", "-m", "notes only"], &[&k]);
    let shown = r.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(stdout(&shown).trim(), "notes.txt");
}

#[test]
fn commit_only_paths_scans_those_paths_and_not_the_rest_of_the_index() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.write("other.txt", "o\n");
    r.commit_all("init");
    install(&r);
    let staged_key = openai_project_key();
    let path_key = github_pat();
    // A key staged in other.txt: not part of `git commit a.txt`.
    r.write("other.txt", format!("o\nTOKEN={staged_key}\n"));
    r.git(&["add", "other.txt"]);
    let secrets = [staged_key.as_str(), path_key.as_str()];

    // a.txt holds a key in the working tree only: `git commit a.txt` commits it.
    r.write("a.txt", format!("a\nT={path_key}\n"));
    for flag in [None, Some("-o"), Some("--only")] {
        let mut args = vec!["commit", "-m", "only a"];
        args.extend(flag);
        args.push("a.txt");
        let out = assert_blocked(&r, ".", &args, &secrets);
        let text = both(&out);
        assert!(text.contains("a.txt:2:3"), "{args:?}: {text}");
        assert!(
            !text.contains("other.txt"),
            "{args:?} reported a file not in the commit: {text}"
        );
    }

    // With a clean a.txt, the commit goes through although other.txt has a staged key,
    // and other.txt stays staged and uncommitted.
    r.write("a.txt", "a\nclean\n");
    assert_commits(
        &r,
        ".",
        &["commit", "-q", "-m", "only a", "a.txt"],
        &secrets,
    );
    let shown = r.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(stdout(&shown).trim(), "a.txt");
    let staged = r.git(&["diff", "--cached", "--name-only"]);
    assert_eq!(stdout(&staged).trim(), "other.txt");
    // ...and a plain commit of the rest of the index is blocked.
    assert_blocked(&r, ".", &["commit", "-m", "rest"], &secrets);
}

#[test]
fn commit_include_paths_scans_the_index_and_the_paths() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.write("other.txt", "o\n");
    r.commit_all("init");
    install(&r);
    let staged_key = openai_project_key();
    let path_key = github_pat();
    let secrets = [staged_key.as_str(), path_key.as_str()];

    // -i PATH: the staged key in other.txt is part of this commit.
    r.write("other.txt", format!("o\nTOKEN={staged_key}\n"));
    r.git(&["add", "other.txt"]);
    r.write("a.txt", "a\nclean\n");
    let out = assert_blocked(&r, ".", &["commit", "-m", "incl", "-i", "a.txt"], &secrets);
    assert!(both(&out).contains("other.txt:2:7"), "{}", both(&out));

    // -i PATH: a key in PATH's working-tree version is part of it as well.
    r.git(&["reset", "-q", "other.txt"]);
    r.write("other.txt", "o\n");
    r.write("a.txt", format!("a\nT={path_key}\n"));
    let out = assert_blocked(
        &r,
        ".",
        &["commit", "-m", "incl", "--include", "a.txt"],
        &secrets,
    );
    let text = both(&out);
    assert!(
        text.contains("a.txt:2:3") && !text.contains("other.txt"),
        "{text}"
    );

    r.write("a.txt", "a\nclean\n");
    assert_commits(
        &r,
        ".",
        &["commit", "-q", "-m", "incl", "-i", "a.txt"],
        &secrets,
    );
}

#[test]
fn partial_staging_key_only_in_the_worktree_is_clean() {
    let r = Repo::new();
    r.write("f.txt", filler(20, "f"));
    r.write("g.txt", "g1\ng2\ng3\n");
    r.commit_all("init");
    let k = openai_project_key();
    let k2 = github_pat();

    // `git add -p`: stage the first hunk (clean), leave the second (the key).
    let mut lines: Vec<String> = filler(20, "f").lines().map(String::from).collect();
    lines[1] = "a clean change".into();
    lines[18] = format!("KEY={k}");
    r.write("f.txt", lines.join("\n") + "\n");
    r.git_stdin(&["add", "-p", "f.txt"], b"y\nn\n");

    // `git apply --cached`: stage a crafted patch that adds only a clean line to g.txt,
    // while the working tree also has a key in it.
    r.write("g.txt", format!("g1\nstaged clean line\ng2\nT={k2}\ng3\n"));
    let patch = "diff --git a/g.txt b/g.txt\n--- a/g.txt\n+++ b/g.txt\n@@ -1,3 +1,4 @@\n g1\n+staged clean line\n g2\n g3\n";
    r.git_stdin(&["apply", "--cached", "-"], patch.as_bytes());

    let staged = r.git(&["diff", "--cached"]);
    let staged = stdout(&staged);
    assert!(staged.contains("+a clean change") && staged.contains("+staged clean line"));
    assert!(
        !staged.contains(&k) && !staged.contains(&k2),
        "the keys must not be staged"
    );

    let v = scan(&r, &[&k, &k2], 0);
    assert!(hits(&v).is_empty());
    assert_eq!(summary(&v, "files"), 2);
    assert_eq!(summary(&v, "lines"), 2, "exactly the two staged lines");

    install(&r);
    assert_commits(&r, ".", &["commit", "-q", "-m", "partial"], &[&k, &k2]);
}

#[test]
fn partial_staging_key_staged_then_removed_from_the_worktree_is_found() {
    let r = Repo::new();
    r.write("f.txt", filler(10, "f"));
    r.commit_all("init");
    let k = anthropic_key();
    let mut lines: Vec<String> = filler(10, "f").lines().map(String::from).collect();
    lines.insert(4, format!("ANTHROPIC_API_KEY={k}"));
    r.write("f.txt", lines.join("\n") + "\n");
    r.git(&["add", "f.txt"]);
    // The working tree no longer has it, but the index (what gets committed) does.
    r.write("f.txt", filler(10, "f"));
    let v = scan(&r, &[&k], 1);
    assert_eq!(hits(&v), vec![hit("f.txt", 5, 19, ANTHROPIC)]);

    install(&r);
    assert_blocked(&r, ".", &["commit", "-m", "x"], &[&k]);
}

#[test]
fn runs_from_a_subdirectory_with_repo_relative_paths() {
    let r = Repo::new();
    r.write("README.md", "x\n");
    r.commit_all("init");
    let k = openai_project_key();
    r.write("services/api/app.cfg", format!("OPENAI_API_KEY={k}\n"));
    r.git(&["add", "-A"]);
    let want = vec![hit("services/api/app.cfg", 1, 16, OPENAI)];
    for cwd in ["services", "services/api"] {
        let v = scan_in(&r, cwd, &["--staged"], &[&k], 1);
        assert_eq!(hits(&v), want, "from {cwd}");
    }
    // The pre-commit framework's file names are relative to the current directory.
    let v = scan_in(&r, "services/api", &["pre-commit", "app.cfg"], &[&k], 1);
    assert_eq!(hits(&v), want);
    let v = scan_in(
        &r,
        "services",
        &["pre-commit", "api/app.cfg", "../README.md"],
        &[&k],
        1,
    );
    assert_eq!(hits(&v), want);
    // git runs hooks from the top of the work tree, whatever directory `git commit` ran in.
    install(&r);
    let out = assert_blocked(&r, "services/api", &["commit", "-m", "x"], &[&k]);
    assert!(
        both(&out).contains("services/api/app.cfg:1:16"),
        "{}",
        both(&out)
    );
}

#[test]
fn linked_worktree_manual_run_and_hook() {
    let r = Repo::new();
    r.write("base.txt", "base\n");
    r.commit_all("init");
    install(&r);
    let wt = r.home.path().join("wt");
    let wt_s = wt.display().to_string();
    r.git(&["worktree", "add", "-q", "-b", "side", &wt_s]);
    let k = github_pat();
    let k2 = openai_project_key();
    write_abs(&wt.join("deploy/token.txt"), format!("token: {k}\n"));
    r.git_in(&wt_s, &["add", "deploy/token.txt"]);

    let v = scan_in(&r, &wt_s, &["--staged"], &[&k], 1);
    assert_eq!(hits(&v), vec![hit("deploy/token.txt", 1, 8, GITHUB)]);
    let v = scan_in(&r, &format!("{wt_s}/deploy"), &[], &[&k], 1);
    assert_eq!(hits(&v), vec![hit("deploy/token.txt", 1, 8, GITHUB)]);
    // The main worktree's index is a different one: nothing staged there.
    assert!(hits(&scan(&r, &[&k], 0)).is_empty());

    assert_blocked(&r, &wt_s, &["commit", "-m", "wt"], &[&k]);
    // `commit -a` in a linked worktree (its temporary index lives in .git/worktrees/).
    r.git_in(&wt_s, &["rm", "-q", "--cached", "deploy/token.txt"]);
    write_abs(&wt.join("base.txt"), format!("base\nK={k2}\n"));
    let out = assert_blocked(&r, &wt_s, &["commit", "-a", "-m", "wt"], &[&k, &k2]);
    assert!(both(&out).contains("base.txt:2:3"), "{}", both(&out));
    write_abs(&wt.join("base.txt"), "base\nclean\n");
    assert_commits(&r, &wt_s, &["commit", "-q", "-a", "-m", "wt"], &[&k, &k2]);
}

#[test]
fn separate_git_dir_manual_run_and_hook() {
    let r = Repo::bare_env();
    let gd = r.home.path().join("store.git");
    r.git(&[
        "init",
        "-q",
        "-b",
        "main",
        "--separate-git-dir",
        &gd.display().to_string(),
    ]);
    assert!(
        r.path().join(".git").is_file(),
        ".git should be a gitlink file"
    );
    r.write("a.txt", "a\n");
    r.commit_all("init");
    let k = openai_project_key();
    r.write("sub/k.txt", format!("{k}\n"));
    r.git(&["add", "-A"]);
    assert_eq!(
        hits(&scan(&r, &[&k], 1)),
        vec![hit("sub/k.txt", 1, 1, OPENAI)]
    );
    let v = scan_in(&r, "sub", &[], &[&k], 1);
    assert_eq!(hits(&v), vec![hit("sub/k.txt", 1, 1, OPENAI)]);
    install(&r);
    assert!(
        gd.join("hooks/pre-commit").is_file(),
        "hook goes to the real git dir"
    );
    assert_blocked(&r, ".", &["commit", "-m", "k"], &[&k]);
}

#[test]
fn many_files_in_a_linked_worktree_with_commit_all() {
    // 40 changed files take the parallel reading path, which reopens the repository per
    // thread: it must still read the right objects for a linked worktree's temporary index.
    let r = Repo::new();
    for i in 0..40 {
        r.write(&format!("pkg/file_{i:02}.txt"), format!("file {i}\n"));
    }
    r.commit_all("init");
    install(&r);
    let wt = r.home.path().join("many");
    let wt_s = wt.display().to_string();
    r.git(&["worktree", "add", "-q", "-b", "many", &wt_s]);
    let k = anthropic_key();
    for i in 0..40 {
        let extra = if i == 17 {
            format!("k: {k}")
        } else {
            format!("more {i}")
        };
        write_abs(
            &wt.join(format!("pkg/file_{i:02}.txt")),
            format!("file {i}\n{extra}\n"),
        );
    }
    let out = assert_blocked(&r, &wt_s, &["commit", "-a", "-m", "many"], &[&k]);
    assert!(both(&out).contains("pkg/file_17.txt:2:4"), "{}", both(&out));
    r.git_in(&wt_s, &["add", "-A"]);
    let v = scan_in(&r, &wt_s, &[], &[&k], 1);
    assert_eq!(hits(&v), vec![hit("pkg/file_17.txt", 2, 4, ANTHROPIC)]);
    assert_eq!(summary(&v, "files"), 40);
    assert_eq!(summary(&v, "lines"), 40);
}

#[test]
fn paths_with_spaces_and_unicode_are_reported_verbatim() {
    let r = Repo::new();
    let k = github_pat();
    let path = "my dir/naïve ✓ \"quoted\".env";
    r.write(path, format!("T={k}\n"));
    r.git(&["add", "-A"]);
    let v = scan(&r, &[&k], 1);
    assert_eq!(hits(&v), vec![hit(path, 1, 3, GITHUB)]);
    let out = kg(&r, &["--staged"], &[&k]);
    assert!(
        stdout(&out).contains(&format!("{path}:1:3")),
        "{}",
        stdout(&out)
    );
}

// ---------------------------------------------------------------------------------
// Only added lines
// ---------------------------------------------------------------------------------

#[test]
fn removed_lines_never_trigger() {
    let r = Repo::new();
    let k = github_pat();
    r.write("cfg.txt", format!("a\nTOKEN={k}\nb\n"));
    r.commit_all("key committed earlier (no-verify)");
    r.write("cfg.txt", "a\nb\nc\n");
    r.git(&["add", "cfg.txt"]);
    let v = scan(&r, &[&k], 0);
    assert!(hits(&v).is_empty());
    assert_eq!(summary(&v, "lines"), 1, "only `c` is added");
    // Deleting the whole file is clean too.
    r.git(&["rm", "-q", "-f", "cfg.txt"]);
    assert!(hits(&scan(&r, &[&k], 0)).is_empty());
}

#[test]
fn rename_move_and_mode_change_of_a_committed_key_are_clean() {
    let r = Repo::new();
    let k = openai_project_key();
    let body = format!("{}KEY={k}\n", filler(3, "x"));
    r.write("old.env", &body);
    r.write("script.sh", format!("#!/bin/sh\nexport K={k}\n"));
    r.write("dir/moved.txt", &body);
    r.commit_all("keys committed earlier (no-verify)");

    std::fs::create_dir_all(r.path().join("elsewhere/deeper")).unwrap();
    r.git(&["mv", "old.env", "new.env"]);
    r.git(&["mv", "dir/moved.txt", "elsewhere/deeper/moved.txt"]);
    r.git(&["update-index", "--chmod=+x", "script.sh"]);
    let st = r.git(&["diff", "--cached", "-M", "--name-status"]);
    let st = stdout(&st);
    assert!(st.contains("R100") && st.contains("M\tscript.sh"), "{st}");

    let v = scan(&r, &[&k], 0);
    assert!(hits(&v).is_empty(), "{v}");
    assert_eq!(summary(&v, "lines"), 0);
    install(&r);
    assert_commits(&r, ".", &["commit", "-q", "-m", "renames"], &[&k]);
}

#[test]
fn rename_with_an_added_key_reports_only_the_new_key_at_the_new_path() {
    let r = Repo::new();
    let old_key = openai_project_key();
    let new_key = github_pat();
    r.write("conf/app.cfg", format!("{}OLD={old_key}\n", filler(8, "c")));
    r.commit_all("init (no-verify)");
    std::fs::create_dir_all(r.path().join("settings")).unwrap();
    r.git(&["mv", "conf/app.cfg", "settings/app.cfg"]);
    r.write(
        "settings/app.cfg",
        format!("{}OLD={old_key}\nNEW={new_key}\n", filler(8, "c")),
    );
    r.git(&["add", "-A"]);
    let v = scan(&r, &[&old_key, &new_key], 1);
    assert_eq!(hits(&v), vec![hit("settings/app.cfg", 10, 5, GITHUB)]);
    assert_eq!(summary(&v, "lines"), 1);
}

// ---------------------------------------------------------------------------------
// Merges
// ---------------------------------------------------------------------------------

#[test]
fn conflicted_merge_reports_only_what_the_resolution_adds() {
    let r = Repo::new();
    r.write("conf.txt", "top\nshared\nbottom\n");
    r.commit_all("base");
    let ka = openai_project_key();
    let kb = github_pat();
    let knew = anthropic_key();
    let secrets = [ka.as_str(), kb.as_str(), knew.as_str()];
    r.git(&["checkout", "-q", "-b", "theirs"]);
    r.write("conf.txt", format!("top\nA={ka}\nbottom\n"));
    r.commit_all("theirs (no-verify)");
    r.git(&["checkout", "-q", "main"]);
    r.write("conf.txt", format!("top\nB={kb}\nbottom\n"));
    r.commit_all("ours (no-verify)");
    let m = r.git_try(&["merge", "theirs"]);
    assert_eq!(code(&m), 1, "expected a conflict: {}", both(&m));

    // The resolution keeps both sides' lines and adds a key neither parent had.
    r.write(
        "conf.txt",
        format!("top\nA={ka}\nB={kb}\nC={knew}\nbottom\n"),
    );
    r.git(&["add", "conf.txt"]);
    let v = scan(&r, &secrets, 1);
    assert_eq!(hits(&v), vec![hit("conf.txt", 4, 3, ANTHROPIC)]);
    install(&r);
    assert_blocked(&r, ".", &["commit", "--no-edit"], &secrets);
    assert!(r.path().join(".git/MERGE_HEAD").is_file(), "still merging");

    // Taking lines from either parent only: clean, and the merge commit is made.
    r.write("conf.txt", format!("top\nB={kb}\nA={ka}\nbottom\n"));
    r.git(&["add", "conf.txt"]);
    assert!(hits(&scan(&r, &secrets, 0)).is_empty());
    assert_commits(&r, ".", &["commit", "-q", "--no-edit"], &secrets);
    assert!(r
        .git_try(&["rev-parse", "-q", "--verify", "HEAD^2"])
        .status
        .success());
}

/// A branch whose history holds a key (committed with --no-verify) and a `main` that
/// changed the same file elsewhere, so that merging them is a real content merge.
fn diverged_with_key_on_branch(r: &Repo, k: &str) {
    r.write("shared.txt", filler(12, "s"));
    r.commit_all("base");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("shared.txt", format!("TOKEN={k}\n{}", filler(12, "s")));
    r.write("feature.txt", format!("feature\nK={k}\n"));
    r.commit_all("feature (no-verify)");
    r.git(&["checkout", "-q", "main"]);
    r.write("shared.txt", format!("{}main was here\n", filler(12, "s")));
    r.write("main.txt", "main\n");
    r.commit_all("main");
}

#[test]
fn clean_automatic_merge_runs_pre_merge_commit_and_is_allowed() {
    let r = Repo::new();
    let k = openai_project_key();
    diverged_with_key_on_branch(&r, &k);
    install(&r);
    assert!(r.path().join(".git/hooks/pre-merge-commit").is_file());
    let out = assert_commits(
        &r,
        ".",
        &["merge", "--no-ff", "--no-edit", "feature"],
        &[&k],
    );
    // The hook really ran keyguard (it prints its verdict), and nothing was new.
    assert!(
        both(&out).contains("keyguard: no secrets in the staged changes"),
        "{}",
        both(&out)
    );
    assert!(r
        .git_try(&["rev-parse", "-q", "--verify", "HEAD^2"])
        .status
        .success());
    let merged = std::fs::read_to_string(r.path().join("shared.txt")).unwrap();
    assert!(merged.contains("main was here") && merged.starts_with("TOKEN="));
}

#[test]
fn pull_that_merges_runs_pre_merge_commit_and_is_allowed() {
    let up = Repo::new();
    up.write("shared.txt", filler(12, "s"));
    up.commit_all("base");
    let r = Repo::bare_env();
    r.git(&["clone", "-q", &up.path().display().to_string(), "."]);
    let k = github_pat();
    up.write("shared.txt", format!("TOKEN={k}\n{}", filler(12, "s")));
    up.commit_all("upstream key (no-verify)");
    r.write("shared.txt", format!("{}local\n", filler(12, "s")));
    r.commit_all("local");
    install(&r);
    let out = assert_commits(
        &r,
        ".",
        &["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"],
        &[&k],
    );
    assert!(
        both(&out).contains("keyguard: no secrets in the staged changes"),
        "{}",
        both(&out)
    );
    assert!(r
        .git_try(&["rev-parse", "-q", "--verify", "HEAD^2"])
        .status
        .success());
}

#[test]
fn merge_without_commit_then_an_added_key_is_caught() {
    let r = Repo::new();
    let k = openai_project_key();
    let knew = github_pat();
    diverged_with_key_on_branch(&r, &k);
    r.git(&["merge", "-q", "--no-ff", "--no-commit", "feature"]);
    // Nothing new yet: both keys' lines come from a parent.
    assert!(hits(&scan(&r, &[&k], 0)).is_empty());
    r.write("main.txt", format!("main\nNEW={knew}\n"));
    r.git(&["add", "main.txt"]);
    let v = scan(&r, &[&k, &knew], 1);
    assert_eq!(hits(&v), vec![hit("main.txt", 2, 5, GITHUB)]);
    install(&r);
    assert_blocked(&r, ".", &["commit", "--no-edit"], &[&k, &knew]);
}

// ---------------------------------------------------------------------------------
// What a file is made of
// ---------------------------------------------------------------------------------

#[test]
fn binary_file_is_skipped_and_counted() {
    let r = Repo::new();
    let k = openai_project_key();
    let mut blob = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    blob.extend(format!("\nKEY={k}\n").as_bytes());
    r.write("logo.png", &blob);
    r.git(&["add", "logo.png"]);
    let v = scan(&r, &[&k], 0);
    assert!(hits(&v).is_empty());
    assert_eq!(summary(&v, "binary_skipped"), 1);
    assert_eq!(summary(&v, "files"), 0);
}

#[test]
fn submodule_entry_is_skipped_and_counted() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit_all("init");
    let head = r.head().expect("HEAD");
    let k = github_pat();
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{head},vendor/lib"),
    ]);
    r.write("b.txt", format!("T={k}\n"));
    r.git(&["add", "b.txt"]);
    let v = scan(&r, &[&k], 1);
    assert_eq!(hits(&v), vec![hit("b.txt", 1, 3, GITHUB)]);
    assert_eq!(summary(&v, "submodules_skipped"), 1);
}

#[test]
fn crlf_and_missing_final_newline_keep_lines_and_columns() {
    let r = Repo::new();
    let k1 = openai_project_key();
    let k2 = github_pat();
    r.write(
        "win.txt",
        format!("first\r\nsecond\r\nKEY={k1}\r\nlast\r\n"),
    );
    r.write("tail.txt", format!("one\ntwo\nTOKEN={k2}"));
    r.git(&["add", "-A"]);
    let v = scan(&r, &[&k1, &k2], 1);
    assert_eq!(
        hits(&v),
        vec![hit("tail.txt", 3, 7, GITHUB), hit("win.txt", 3, 5, OPENAI)]
    );
    // The CR is not part of the secret: the masked tail is the key's own.
    let tail: String = k1.chars().skip(k1.chars().count() - 4).collect();
    assert_eq!(v["findings"][1]["secret"], format!("sk-proj-…{tail}"));
}

#[test]
fn latin1_text_around_a_key_is_still_scanned() {
    let r = Repo::new();
    let k = anthropic_key();
    let mut content = b"# Caf\xe9 cr\xe8me br\xfbl\xe9e\nnom=\xe9\xe9 ".to_vec();
    content.extend(k.as_bytes());
    content.extend(b" \xe0 bient\xf4t\n");
    r.write("latin1.conf", &content);
    r.git(&["add", "latin1.conf"]);
    let v = scan(&r, &[&k], 1);
    // `nom=` + two latin-1 characters + a space come before it.
    assert_eq!(hits(&v), vec![hit("latin1.conf", 2, 8, ANTHROPIC)]);
}

#[test]
fn utf8_byte_order_mark_does_not_shift_columns() {
    let r = Repo::new();
    let k = github_pat();
    r.write("bom.txt", format!("\u{feff}TOKEN={k}\n"));
    r.git(&["add", "bom.txt"]);
    let v = scan(&r, &[&k], 1);
    assert_eq!(hits(&v), vec![hit("bom.txt", 1, 7, GITHUB)]);
}

#[test]
fn text_with_control_characters_or_a_late_nul_is_still_text() {
    // Binary means a NUL in the first 8000 bytes, as in git: neither control characters
    // nor a NUL further on make a file binary (and so unscanned).
    let r = Repo::new();
    let old = "log start\n\u{1}\u{2}\u{3}\u{4}\u{5}\u{6} control\n";
    r.write("term.log", old);
    let late = format!("{}\0 late nul\n", "x".repeat(8100));
    r.write("late.dat", &late);
    r.commit_all("init");
    let k = openai_project_key();
    let k2 = github_pat();
    r.write("term.log", format!("{old}KEY={k}\n"));
    r.write("late.dat", format!("{late}T={k2}\n"));
    r.git(&["add", "-A"]);
    let v = scan(&r, &[&k, &k2], 1);
    assert_eq!(
        hits(&v),
        vec![hit("late.dat", 2, 3, GITHUB), hit("term.log", 3, 5, OPENAI)]
    );
    assert_eq!(summary(&v, "lines"), 2);
    assert_eq!(summary(&v, "binary_skipped"), 0);
}

#[test]
fn key_in_the_middle_of_a_one_megabyte_line_is_found() {
    let r = Repo::new();
    let k = openai_project_key();
    let half = "lorem ipsum dolor sit amet ".repeat(512 * 1024 / 27);
    let line = format!("{half}{k} {half}");
    assert!(line.len() > 1_000_000);
    r.write("huge.min.js", format!("start\n{line}\n"));
    r.git(&["add", "huge.min.js"]);
    let v = scan(&r, &[&k], 1);
    assert_eq!(
        hits(&v),
        vec![hit("huge.min.js", 2, half.len() as u64 + 1, OPENAI)]
    );
}

#[test]
fn oversized_file_is_reported_not_scanned() {
    let r = Repo::new();
    let k = openai_project_key();
    let k2 = github_pat();
    let big = format!("{}KEY={k}\n", filler(60, "big"));
    assert!(big.len() > 1024);
    r.write("data/big.txt", &big);
    r.git(&["add", "-A"]);

    let v = scan_in(&r, ".", &["--max-file-size", "1KiB"], &[&k], 0);
    assert!(hits(&v).is_empty());
    let over = v["summary"]["oversized"].as_array().expect("oversized");
    assert_eq!(over.len(), 1, "{v}");
    assert_eq!(over[0]["path"], "data/big.txt");
    assert_eq!(over[0]["size"].as_u64(), Some(big.len() as u64));

    let out = kg(&r, &["--max-file-size", "1KiB"], &[&k]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let text = both(&out);
    assert!(
        text.contains("data/big.txt") && text.contains("NOT scanned"),
        "{text}"
    );

    // Without the limit the key in it is found; with the limit and another finding, exit 1.
    assert_eq!(hits(&scan(&r, &[&k], 1)).len(), 1);
    r.write("small.txt", format!("T={k2}\n"));
    r.git(&["add", "small.txt"]);
    let v = scan_in(&r, ".", &["--max-file-size", "1KiB"], &[&k, &k2], 1);
    assert_eq!(hits(&v), vec![hit("small.txt", 1, 3, GITHUB)]);
    assert_eq!(v["summary"]["oversized"][0]["path"], "data/big.txt");
}

// ---------------------------------------------------------------------------------
// Hostile configuration
// ---------------------------------------------------------------------------------

#[test]
fn hostile_git_config_changes_nothing_and_runs_nothing() {
    let r = Repo::new();
    let k_old = openai_project_key();
    let k_new = github_pat();
    let k_txt = anthropic_key();
    let secrets = [k_old.as_str(), k_new.as_str(), k_txt.as_str()];
    r.write(
        "app/old_name.py",
        format!("{}OLD = '{k_old}'\n", filler(6, "p")),
    );
    r.commit_all("init (no-verify)");
    r.git(&["mv", "app/old_name.py", "app/new_name.py"]);
    r.write(
        "app/new_name.py",
        format!("{}OLD = '{k_old}'\nNEW = '{k_new}'\n", filler(6, "p")),
    );
    r.write(".gitattributes", "* diff=hostile filter=hostile\n");
    r.write("notes.txt", format!("key {k_txt}\n"));
    r.git(&["add", "-A"]);

    // Only now the hostile settings: git itself would run these programs.
    let marker = r.home.path().join("ran.marker");
    let script = marker_script(r.home.path(), &marker);
    for (key, value) in [
        ("diff.external", script.as_str()),
        ("diff.hostile.textconv", &script),
        ("diff.hostile.command", &script),
        ("diff.hostile.binary", "true"),
        ("filter.hostile.clean", &script),
        ("filter.hostile.smudge", &script),
        ("filter.hostile.process", &script),
        ("core.fsmonitor", &script),
        ("core.pager", &script),
        ("color.diff", "always"),
        ("color.ui", "always"),
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("diff.renames", "false"),
        ("diff.context", "0"),
        ("diff.algorithm", "patience"),
    ] {
        r.git(&["config", key, value]);
    }
    let out = r
        .command_in(keyguard_bin(), ".")
        .env("GIT_EXTERNAL_DIFF", &script)
        .args(["--staged", "--format", "json"])
        .output()
        .expect("run keyguard");
    for s in secrets {
        assert_no_secret(&out, s);
    }
    assert_eq!(code(&out), 1, "{}", both(&out));
    let v = json(&out);
    assert_eq!(
        hits(&v),
        vec![
            hit("app/new_name.py", 8, 8, GITHUB),
            hit("notes.txt", 1, 5, ANTHROPIC)
        ]
    );
    assert!(!stdout(&out).contains('\u{1b}'), "no colour codes in JSON");
    let human = kg(&r, &["--staged"], &secrets);
    assert_eq!(code(&human), 1);
    assert!(
        stdout(&human).contains("app/new_name.py:8:8"),
        "{}",
        stdout(&human)
    );
    assert!(
        !marker.exists(),
        "keyguard ran a program named by git config"
    );
}

#[test]
fn gitattributes_cannot_hide_a_key_in_a_text_file() {
    let r = Repo::new();
    r.write(
        ".gitattributes",
        "*.env -diff\n*.txt binary\n*.cfg -text diff=none\n",
    );
    r.commit_all("attributes");
    let k1 = openai_project_key();
    let k2 = github_pat();
    let k3 = anthropic_key();
    r.write("prod.env", format!("OPENAI_API_KEY={k1}\n"));
    r.write("notes.txt", format!("token {k2}\n"));
    r.write("x.cfg", format!("k={k3}\n"));
    r.git(&["add", "-A"]);
    let v = scan(&r, &[&k1, &k2, &k3], 1);
    assert_eq!(
        hits(&v),
        vec![
            hit("notes.txt", 1, 7, GITHUB),
            hit("prod.env", 1, 16, OPENAI),
            hit("x.cfg", 1, 3, ANTHROPIC)
        ]
    );
    assert_eq!(summary(&v, "binary_skipped"), 0);
}

// ---------------------------------------------------------------------------------
// Read-only
// ---------------------------------------------------------------------------------

fn index_state(r: &Repo) -> (Vec<u8>, std::time::SystemTime) {
    let p = r.path().join(".git/index");
    let meta = std::fs::metadata(&p).expect("index");
    (
        std::fs::read(&p).expect("index"),
        meta.modified().expect("mtime"),
    )
}

#[test]
fn keyguard_never_writes_the_index() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit_all("init");
    let k = openai_project_key();
    r.write("a.txt", format!("a\n{k}\n"));
    r.write("b.txt", "b\n");
    r.git(&["add", "-A"]);
    // Make the working tree differ from the index's stat data, so that a refresh would write.
    std::thread::sleep(std::time::Duration::from_millis(20));
    r.write("b.txt", "b changed\n");
    let before = index_state(&r);
    for args in [
        &["--staged"][..],
        &["--format", "json"][..],
        &["pre-commit", "a.txt"][..],
    ] {
        let out = kg(&r, args, &[&k]);
        assert_eq!(code(&out), 1, "{args:?}: {}", both(&out));
        assert!(
            !r.path().join(".git/index.lock").exists(),
            "index.lock left behind"
        );
    }
    assert!(before == index_state(&r), "the index file was rewritten");
}

/// Every file under .git/objects, with its size: keyguard builds the index's tree in an
/// in-memory object store, and must never leave an object on disk.
fn object_files(r: &Repo) -> Vec<(std::path::PathBuf, u64)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, u64)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                walk(&e.path(), out);
            } else {
                out.push((e.path(), meta.len()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&r.path().join(".git/objects"), &mut out);
    out.sort();
    out
}

#[test]
fn keyguard_never_writes_objects() {
    let r = Repo::new();
    for d in 0..5 {
        r.write(&format!("dir{d}/sub/file.txt"), format!("line {d}\n"));
    }
    r.commit_all("init");
    let k = openai_project_key();
    r.write("dir3/sub/file.txt", format!("line 3\nKEY={k}\n"));
    r.write("dir9/new.txt", "new\n");
    r.git(&["add", "-A"]);
    let before = object_files(&r);
    let out = kg(&r, &["--staged"], &[&k]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(before, object_files(&r), "keyguard wrote to .git/objects");
    // A plain `git commit` leaves the cache-tree valid; the scan must agree with it too.
    r.git(&["commit", "-q", "--no-verify", "-m", "with key"]);
    r.write(
        "dir1/sub/file.txt",
        format!("line 1\nKEY2={}\n", github_pat()),
    );
    r.git(&["add", "-A"]);
    let before = object_files(&r);
    let out = kg(&r, &["--staged", "--format", "json"], &[]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        vec!["dir1/sub/file.txt"],
        "only the newly staged key"
    );
    assert_eq!(before, object_files(&r), "keyguard wrote to .git/objects");
}

#[test]
fn keyguard_works_while_git_holds_the_index_lock() {
    let r = Repo::new();
    let k = github_pat();
    r.write("a.txt", format!("T={k}\n"));
    r.git(&["add", "-A"]);
    // During a hook git holds index.lock: keyguard must not need it.
    let lock = r.path().join(".git/index.lock");
    std::fs::write(&lock, b"held by git").unwrap();
    let v = scan(&r, &[&k], 1);
    assert_eq!(hits(&v), vec![hit("a.txt", 1, 3, GITHUB)]);
    assert_eq!(std::fs::read(&lock).unwrap(), b"held by git");
}

// ---------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------

/// Asserts exit 2 and exactly one line on stderr that contains `cause`.
fn assert_error(out: &Output, cause: &str) {
    assert_eq!(code(out), 2, "{}", both(out));
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got:\n{err}");
    assert!(lines[0].starts_with("keyguard: error:"), "{err}");
    assert!(
        lines[0].contains(cause),
        "stderr should mention {cause:?}: {err}"
    );
}

#[test]
fn not_a_repository_is_exit_2() {
    let r = Repo::bare_env();
    let parent = r.path().parent().expect("parent").display().to_string();
    for args in [&[][..], &["--staged"][..], &["pre-commit"][..]] {
        let out = r
            .command_in(keyguard_bin(), ".")
            .env("GIT_CEILING_DIRECTORIES", &parent)
            .args(args)
            .output()
            .expect("run keyguard");
        assert_error(&out, "not a git repository");
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn missing_or_malformed_config_is_exit_2() {
    let r = Repo::new();
    let k = openai_project_key();
    r.write("a.txt", format!("{k}\n"));
    r.git(&["add", "a.txt"]);
    let out = kg(&r, &["--staged", "--config", "no-such-config.toml"], &[&k]);
    assert_error(&out, "no-such-config.toml");

    r.write("bad.toml", "[[rules]\nid = \n");
    let out = kg(&r, &["--config", "bad.toml"], &[&k]);
    assert_error(&out, "bad.toml");

    // The repository's own .keyguard.toml is read by default.
    r.write(".keyguard.toml", "[scan]\nmax_file_size = \"lots\"\n");
    let out = kg(&r, &["--staged"], &[&k]);
    assert_error(&out, ".keyguard.toml");
}

// ---------------------------------------------------------------------------------
// Inline markers
// ---------------------------------------------------------------------------------

#[test]
fn inline_allow_marker_silences_the_line_and_is_counted() {
    let r = Repo::new();
    let k = openai_project_key();
    let k2 = github_pat();
    r.write(
        "test_fixture.py",
        format!("FAKE = '{k}'  # keyguard:allow\nREAL = '{k2}'\n"),
    );
    r.git(&["add", "-A"]);
    let v = scan(&r, &[&k, &k2], 1);
    assert_eq!(hits(&v), vec![hit("test_fixture.py", 2, 9, GITHUB)]);
    assert_eq!(summary(&v, "allowed_inline"), 1);

    r.write(
        "test_fixture.py",
        format!("FAKE = '{k}'  # keyguard:allow\n"),
    );
    r.git(&["add", "-A"]);
    let v = scan(&r, &[&k], 0);
    assert!(hits(&v).is_empty());
    assert_eq!(summary(&v, "allowed_inline"), 1);
    assert!(
        v.get("allowed").is_none(),
        "allowed list only with --show-allowed"
    );

    let v = scan_in(&r, ".", &["--show-allowed"], &[&k], 0);
    let allowed = v["allowed"].as_array().expect("allowed list");
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0]["file"], "test_fixture.py");
    assert_eq!(allowed[0]["line"], 1);
    assert_eq!(allowed[0]["rule_id"], OPENAI);
    assert_eq!(allowed[0]["allowed"], "inline");

    let out = kg(&r, &["--show-allowed"], &[&k]);
    assert_eq!(code(&out), 0);
    assert!(
        stdout(&out).contains("test_fixture.py:1:9"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("allowed inline"), "{}", stdout(&out));
}

#[test]
fn allow_next_line_works_when_the_marker_line_is_unchanged_context() {
    let r = Repo::new();
    r.write(
        "fixtures.py",
        "# keyguard:allow-next-line\nDUMMY = None\nOTHER = None\n",
    );
    r.commit_all("init");
    let k = anthropic_key();
    let k2 = openai_project_key();
    // Only lines 2 and 3 change; the marker on line 1 is unchanged.
    r.write(
        "fixtures.py",
        format!("# keyguard:allow-next-line\nDUMMY = '{k}'\nOTHER = '{k2}'\n"),
    );
    r.git(&["add", "-A"]);
    let v = scan(&r, &[&k, &k2], 1);
    assert_eq!(hits(&v), vec![hit("fixtures.py", 3, 10, OPENAI)]);
    assert_eq!(summary(&v, "allowed_inline"), 1);
    assert_eq!(summary(&v, "lines"), 2);
}
