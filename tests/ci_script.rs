//! `ci/keyguard-ci.sh`, the script behind the GitHub Action and the GitLab template, run
//! locally against full and shallow (`git clone --depth N file://…`) clones of a real
//! repository, with real git and the real binary. No network: the "remote" is a folder.
//!
//! The repository: `main` has an old key (committed long before the pull request) that is
//! still in the tree; `feature` branches from main, adds a new key, and main moves on.
//! Scanning `base..head` must report the new key only: a commit at a shallow boundary,
//! diffed against nothing, would report the old one too.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ci/keyguard-ci.sh")
}

struct Fixture {
    origin: Repo,
    clones: tempfile::TempDir,
    base: String,
    old_key: String,
    new_key: String,
}

/// `feature` (3 commits, the second adds `new_key`) off `main` (6 commits, the second adds
/// `old_key`); main then gets 2 more commits. `base` is main's tip.
fn fixture(with_new_key: bool) -> Fixture {
    let origin = Repo::new();
    let (old_key, new_key) = (github_pat(), github_pat());
    for i in 1..=6 {
        origin.write("main.txt", "line\n".repeat(i));
        if i == 2 {
            origin.write("old.py", format!("OLD = \"{old_key}\"\n"));
        }
        origin.commit_all(&format!("main {i}"));
    }
    origin.git(&["checkout", "-q", "-b", "feature"]);
    for i in 1..=3 {
        origin.write("feature.txt", "feat\n".repeat(i));
        if i == 2 && with_new_key {
            origin.write("app/client.py", format!("TOKEN = \"{new_key}\"\n"));
        }
        origin.commit_all(&format!("feature {i}"));
    }
    origin.git(&["checkout", "-q", "main"]);
    for i in 7..=8 {
        origin.write("main.txt", "line\n".repeat(i));
        origin.commit_all(&format!("main {i}"));
    }
    let base = stdout(&origin.git(&["rev-parse", "main"]))
        .trim()
        .to_string();
    Fixture {
        origin,
        clones: tempfile::tempdir().expect("temp dir"),
        base,
        old_key,
        new_key,
    }
}

impl Fixture {
    /// Clones `feature` into a new folder with extra `git clone` arguments.
    fn clone(&self, name: &str, args: &[&str]) -> PathBuf {
        let dest = self.clones.path().join(name);
        let url = format!("file://{}", self.origin.path().display());
        let dest_s = dest.to_str().expect("utf-8 temp path");
        let mut all = vec!["clone", "-q", "--branch", "feature"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[&url, dest_s]);
        self.origin.git(&all);
        dest
    }

    /// Runs the script's `scan` in `dir` with `env` on top of the isolated environment.
    fn run(&self, dir: &Path, env: &[(&str, &str)]) -> Output {
        let mut cmd = self.origin.command_in("bash", dir.to_str().expect("utf-8"));
        cmd.arg(script())
            .arg("scan")
            .env("KEYGUARD_BIN", keyguard_bin());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run keyguard-ci.sh");
        assert_no_secret(&out, &self.old_key);
        assert_no_secret(&out, &self.new_key);
        out
    }

    fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        stdout(&self.origin.git_in(dir.to_str().expect("utf-8"), args))
    }

    fn is_shallow(&self, dir: &Path) -> bool {
        self.git_in(dir, &["rev-parse", "--is-shallow-repository"])
            .trim()
            == "true"
    }
}

/// The files of a SARIF report's results.
fn sarif_files(path: &Path) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("SARIF file")).expect("SARIF JSON");
    v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .expect("uri")
                .to_string()
        })
        .collect()
}

#[test]
fn full_clone_scans_exactly_the_commits_since_base_and_writes_sarif() {
    let f = fixture(true);
    let dir = f.clone("full", &[]);
    let status = f.git_in(&dir, &["status", "--porcelain"]);
    let sarif = f.clones.path().join("keyguard.sarif");
    let out = f.run(
        &dir,
        &[
            ("KEYGUARD_BASE", &f.base),
            ("KEYGUARD_SARIF", sarif.to_str().expect("utf-8")),
        ],
    );
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert!(
        stderr(&out).contains("scanning 3 commit(s)"),
        "{}",
        both(&out)
    );
    assert!(!stderr(&out).contains("fetching"), "{}", both(&out));
    let text = stdout(&out);
    assert!(text.contains("app/client.py:1:10"), "{text}");
    assert!(
        !text.contains("old.py"),
        "the old key is not the PR's: {text}"
    );
    assert_eq!(sarif_files(&sarif), vec!["app/client.py"]);
    // A scan only reads.
    assert_eq!(f.git_in(&dir, &["status", "--porcelain"]), status);
}

#[test]
fn a_clean_pull_request_passes() {
    let f = fixture(false);
    let dir = f.clone("full", &[]);
    let out = f.run(&dir, &[("KEYGUARD_BASE", &f.base)]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    // Shallow, fetching what is missing: the same verdict, and the old key (in the tree
    // of every commit) is never taken for an added one.
    let dir = f.clone("shallow", &["--depth", "1"]);
    let out = f.run(&dir, &[("KEYGUARD_BASE", &f.base)]);
    assert_eq!(code(&out), 0, "{}", both(&out));
}

#[test]
fn shallow_clone_fetches_the_base_and_deepens_until_the_range_is_whole() {
    let f = fixture(true);
    let dir = f.clone("depth1", &["--depth", "1"]);
    assert!(f.is_shallow(&dir));
    let sarif = f.clones.path().join("shallow.sarif");
    let out = f.run(
        &dir,
        &[
            ("KEYGUARD_BASE", &f.base),
            ("KEYGUARD_DEEPEN", "1"),
            ("KEYGUARD_SARIF", sarif.to_str().expect("utf-8")),
        ],
    );
    assert_eq!(code(&out), 1, "{}", both(&out));
    let err = stderr(&out);
    assert!(err.contains("is not here: fetching it"), "{err}");
    assert!(err.contains("fetching 1 more commits"), "{err}");
    assert!(err.contains("scanning 3 commit(s)"), "{err}");
    assert!(!stdout(&out).contains("old.py"), "{}", both(&out));
    assert_eq!(sarif_files(&sarif), vec!["app/client.py"]);
    // Still shallow: only what the range needed was fetched.
    assert!(f.is_shallow(&dir));
}

#[test]
fn deep_enough_shallow_clone_needs_no_fetch() {
    let f = fixture(true);
    let dir = f.clone("depth20", &["--depth", "20", "--no-single-branch"]);
    let out = f.run(&dir, &[("KEYGUARD_BASE", &f.base), ("KEYGUARD_FETCH", "0")]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert!(!stderr(&out).contains("fetching"), "{}", both(&out));
    assert!(stdout(&out).contains("app/client.py"), "{}", both(&out));
}

#[test]
fn missing_base_or_cut_history_is_an_error_never_a_pass() {
    let f = fixture(true);
    // The base is not in the clone and fetching is off.
    let dir = f.clone("nofetch", &["--depth", "1"]);
    let out = f.run(&dir, &[("KEYGUARD_BASE", &f.base), ("KEYGUARD_FETCH", "0")]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("the base commit {} is not in this clone", f.base)),
        "{err}"
    );
    assert!(
        err.contains("fetch-depth: 0") && err.contains("GIT_DEPTH: 0"),
        "{err}"
    );

    // The base is here, but the history between it and head is cut.
    f.git_in(&dir, &["fetch", "-q", "--depth=1", "origin", "main"]);
    let out = f.run(&dir, &[("KEYGUARD_BASE", &f.base), ("KEYGUARD_FETCH", "0")]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(
        stderr(&out).contains("is cut by a shallow clone"),
        "{}",
        both(&out)
    );

    // Fetching allowed, but too few deepening fetches to reach the merge base.
    let out = f.run(
        &dir,
        &[
            ("KEYGUARD_BASE", &f.base),
            ("KEYGUARD_DEEPEN", "1"),
            ("KEYGUARD_MAX_FETCHES", "1"),
        ],
    );
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(
        stderr(&out).contains("still cut after 1 fetches"),
        "{}",
        both(&out)
    );

    // A base that exists nowhere.
    let out = f.run(
        &dir,
        &[("KEYGUARD_BASE", "1234567890abcdef1234567890abcdef12345678")],
    );
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(
        stderr(&out).contains("is not in this clone"),
        "{}",
        both(&out)
    );

    // No remote to fetch from.
    let full = f.clone("noremote", &["--depth", "1"]);
    f.git_in(&full, &["remote", "remove", "origin"]);
    let out = f.run(&full, &[("KEYGUARD_BASE", &f.base)]);
    assert_eq!(code(&out), 2, "{}", both(&out));
}

#[test]
fn no_base_scans_the_whole_history_which_a_shallow_clone_must_fetch() {
    let f = fixture(true);
    let zeros = "0".repeat(40);
    let dir = f.clone("full", &[]);
    let out = f.run(&dir, &[("KEYGUARD_BASE", &zeros)]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert!(
        stderr(&out).contains("scanning 9 commit(s)"),
        "{}",
        both(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("old.py") && text.contains("app/client.py"),
        "{text}"
    );

    let dir = f.clone("shallow", &["--depth", "2"]);
    let out = f.run(&dir, &[("KEYGUARD_FETCH", "0")]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(
        stderr(&out).contains("no base commit was given"),
        "{}",
        both(&out)
    );
    let out = f.run(&dir, &[]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert!(
        stderr(&out).contains("fetching the whole history"),
        "{}",
        both(&out)
    );
    assert!(stdout(&out).contains("old.py"), "{}", both(&out));
    assert!(!f.is_shallow(&dir));
}

#[test]
fn install_reuses_a_cached_build_of_the_same_sources() {
    let r = Repo::bare_env();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = r.path().join("cache");
    std::fs::create_dir_all(root.join("bin")).expect("mkdir");
    // A stand-in `cargo` that records its arguments and "builds" keyguard.
    let fake = r.path().join("fakebin");
    std::fs::create_dir_all(&fake).expect("mkdir");
    let log = r.path().join("cargo.log");
    std::fs::write(
        fake.join("cargo"),
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nprintf '#!/bin/sh\\n' > '{}'\nchmod +x '{}'\n",
            log.display(),
            root.join("bin/keyguard").display(),
            root.join("bin/keyguard").display()
        ),
    )
    .expect("write fake cargo");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(fake.join("cargo"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    let path = format!(
        "{}:{}",
        fake.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let install = || {
        r.command_in("bash", ".")
            .arg(script())
            .args([
                "install",
                src.to_str().expect("utf-8"),
                root.to_str().expect("utf-8"),
            ])
            .env("PATH", &path)
            .output()
            .expect("run install")
    };
    let out = install();
    assert_eq!(code(&out), 0, "{}", both(&out));
    let args = std::fs::read_to_string(&log).expect("cargo ran");
    assert!(args.contains("install --locked --force --path"), "{args}");
    assert!(
        args.contains(&format!("--root {}", root.display())),
        "{args}"
    );

    // Same sources: the cached build is used, cargo does not run again.
    let out = install();
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        stderr(&out).contains("using the cached keyguard build"),
        "{}",
        both(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&log).expect("log").lines().count(),
        1
    );

    // Other sources (a stale cache): built again.
    std::fs::write(root.join(".keyguard-source"), "stale\n").expect("write stamp");
    let out = install();
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(
        std::fs::read_to_string(&log).expect("log").lines().count(),
        2
    );
}
