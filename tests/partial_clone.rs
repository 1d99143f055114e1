//! Partial clones (`git clone --filter=…`): objects the filter left out are reported as
//! not scanned, everything else is scanned, and the exit status follows the findings.
//!
//! Each test clones a real repository through `file://` with a real filter, then moves
//! the source away: nothing can be fetched afterwards, by git or by anyone. keyguard runs
//! with a PATH that holds no `git`, and the clone must miss exactly as many objects after
//! the scan as before (libgit2 never fetches promised objects; keyguard must not either).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::common::*;
use serde_json::Value;

const ZERO: &str = "0000000000000000000000000000000000000000";

/// The source repository's history.
struct Source {
    r: Repo,
    /// A key in a file over 1 KiB: filtered out by `blob:limit=1k`.
    big_key: String,
    /// A key in a small file, unchanged since: present in every clone with blobs.
    small_key: String,
    /// Commit ids, oldest first: add, edit, move+edit, edit notes.
    commits: Vec<String>,
}

fn filler(n: usize) -> String {
    (0..n)
        .map(|i| format!("setting_{i} = compute({i}, scale=2)\n"))
        .collect()
}

fn source() -> Source {
    let r = Repo::new();
    r.git(&["config", "uploadpack.allowFilter", "true"]);
    let big_key = openai_project_key();
    let small_key = github_pat();
    let mut commits = Vec::new();
    let head = |r: &Repo| stdout(&r.git(&["rev-parse", "HEAD"])).trim().to_string();
    r.write("config.py", format!("{}KEY = \"{big_key}\"\n", filler(60)));
    r.write("small.env", format!("TOKEN={small_key}\n"));
    r.write("notes.md", "# notes\n");
    r.commit_all("add config");
    commits.push(head(&r));
    r.write(
        "config.py",
        format!("{}KEY = os.environ[\"KEY\"]\n", filler(60)),
    );
    r.commit_all("key from the environment");
    commits.push(head(&r));
    // Moved and edited: rename detection would compare the (missing) old blob.
    std::fs::create_dir(r.path().join("settings")).unwrap();
    r.git(&["mv", "config.py", "settings/config.py"]);
    let moved = std::fs::read_to_string(r.path().join("settings/config.py")).unwrap();
    r.write("settings/config.py", format!("{moved}DEBUG = False\n"));
    r.commit_all("move config");
    commits.push(head(&r));
    r.write("notes.md", "# notes\n\nmore\n");
    r.commit_all("notes");
    commits.push(head(&r));
    Source {
        r,
        big_key,
        small_key,
        commits,
    }
}

/// Clones the source with `args` into `name` (in the source's test folder) and makes the
/// source unreachable, so that any fetch would fail.
fn clone(src: &Source, args: &[&str], name: &str) -> PathBuf {
    let url = format!("file://{}", src.r.path().display());
    let dest = src.r.home.path().join(name);
    let dest_s = dest.to_str().unwrap().to_string();
    let mut all = vec!["clone", "-q"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[&url, &dest_s]);
    src.r.git(&all);
    dest
}

/// Moves the source away (after the last clone) so nothing can be fetched from it.
fn cut_off(src: &Source) {
    let away = src.r.path().with_extension("gone");
    std::fs::rename(src.r.path(), &away).unwrap();
    // Put it back when the test ends, so the temp dir is cleaned up.
    std::mem::forget(Restore(away, src.r.path().to_path_buf()));
}

struct Restore(PathBuf, PathBuf);
impl Drop for Restore {
    fn drop(&mut self) {
        let _ = std::fs::rename(&self.0, &self.1);
    }
}

/// git in `dir` with the test environment, never fetching lazily.
fn git_at(src: &Source, dir: &Path, args: &[&str]) -> Output {
    let out = src
        .r
        .command_in("git", ".")
        .current_dir(dir)
        .env("GIT_NO_LAZY_FETCH", "1")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    out
}

/// How many objects the clone is missing (`?` lines of `rev-list --missing=print`).
fn missing_count(src: &Source, dir: &Path) -> usize {
    let out = git_at(
        src,
        dir,
        &["rev-list", "--objects", "--all", "--missing=print"],
    );
    stdout(&out).lines().filter(|l| l.starts_with('?')).count()
}

/// keyguard in `dir`, with no `git` on PATH, checking no key leaks into its output.
fn keyguard_at(src: &Source, dir: &Path, args: &[&str], input: Option<&str>) -> Output {
    let bin_dir = keyguard_bin().parent().unwrap().to_path_buf();
    let mut cmd = src.r.command_in(keyguard_bin(), ".");
    cmd.current_dir(dir)
        .env("PATH", &bin_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.unwrap_or("").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_no_secret(&out, &src.big_key);
    assert_no_secret(&out, &src.small_key);
    out
}

/// (path, commit, effect) of every unavailable object in a JSON report.
fn unavailable(v: &Value) -> Vec<(String, String, String)> {
    v["summary"]["unavailable"]
        .as_array()
        .unwrap_or_else(|| panic!("summary.unavailable in {v}"))
        .iter()
        .map(|u| {
            assert_eq!(u["why"], "object not available locally (partial clone)");
            (
                u["path"].as_str().unwrap().to_string(),
                u["commit"].as_str().unwrap_or("").to_string(),
                u["effect"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// (rule, commit, file) of each finding.
fn found(v: &Value) -> Vec<(String, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["commit"]["id"].as_str().unwrap_or("").to_string(),
                f["file"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn history_scan_of_a_partial_clone_reports_missing_blobs_and_scans_the_rest() {
    let src = source();
    let none = clone(&src, &["--bare", "--filter=blob:none"], "none.git");
    let limit = clone(&src, &["--bare", "--filter=blob:limit=1k"], "limit.git");
    let trees = clone(&src, &["--bare", "--filter=tree:0"], "trees.git");
    cut_off(&src);
    let c = &src.commits;

    // No blob at all: nothing to find, every file version listed as not scanned, exit 0.
    let before = missing_count(&src, &none);
    assert!(before > 0);
    let out = keyguard_at(&src, &none, &["scan", "--all", "--format", "json"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    assert!(found(&v).is_empty(), "{v:#}");
    let missing = unavailable(&v);
    assert!(
        missing.contains(&("config.py".into(), c[0].clone(), "not-scanned".into())),
        "{missing:?}"
    );
    assert!(missing.contains(&(
        "settings/config.py".into(),
        c[2].clone(),
        "not-scanned".into()
    )));
    assert_eq!(missing_count(&src, &none), before, "objects were fetched");

    // The human report says what was not scanned, why, and how to get it.
    let out = keyguard_at(&src, &none, &["scan", "--all"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "were NOT scanned",
        "(partial clone)",
        &format!("config.py in commit {}", &c[0][..10]),
        "git fetch --refetch --no-filter",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
    // SARIF carries the same list in the run's properties.
    let out = keyguard_at(&src, &none, &["scan", "--all", "--format", "sarif"], None);
    assert_eq!(code(&out), 0);
    let sarif = json(&out);
    let listed = &sarif["runs"][0]["properties"]["stats"]["unavailable"];
    assert_eq!(listed.as_array().map(Vec::len), Some(missing.len()));

    // Blobs under 1 KiB are there: the small file's key is found, the big file is listed.
    let out = keyguard_at(&src, &limit, &["scan", "--all", "--format", "json"], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(
        found(&v),
        vec![("github-pat".into(), c[0].clone(), "small.env".into())]
    );
    let missing = unavailable(&v);
    assert!(missing.contains(&("config.py".into(), c[0].clone(), "not-scanned".into())));
    assert!(
        missing.iter().all(|m| m.0.contains("config.py")),
        "{missing:?}"
    );

    // No trees either: every commit is listed, nothing fails.
    let out = keyguard_at(&src, &trees, &["scan", "--all", "--format", "json"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    let listed = v["summary"]["unavailable"].as_array().unwrap();
    assert_eq!(listed.len(), c.len(), "{v:#}");
    assert!(listed
        .iter()
        .all(|u| u["kind"] == "tree" && u["path"] == ""));
}

#[test]
fn pre_push_from_a_partial_clone_scans_what_it_has() {
    let src = source();
    let work = clone(&src, &["--filter=blob:none"], "work");
    cut_off(&src);
    let c = &src.commits;
    // The checkout fetched HEAD's blobs; older versions are missing.
    let key = aws_key_id();
    std::fs::write(
        work.join("notes.md"),
        format!("# notes\n\nmore\naws = {key}\n"),
    )
    .unwrap();
    git_at(&src, &work, &["commit", "-q", "-a", "-m", "add aws"]);
    let tip = stdout(&git_at(&src, &work, &["rev-parse", "HEAD"]))
        .trim()
        .to_string();
    let backup = src.r.home.path().join("backup.git");
    git_at(
        &src,
        src.r.home.path(),
        &["init", "-q", "--bare", backup.to_str().unwrap()],
    );

    // A new remote has nothing: every commit is pushed and scanned.
    let input = format!("refs/heads/main {tip} refs/heads/main {ZERO}\n");
    let url = backup.to_str().unwrap();
    let before = missing_count(&src, &work);
    let out = keyguard_at(
        &src,
        &work,
        &["--format", "json", "pre-push", url, url],
        Some(&input),
    );
    assert_no_secret(&out, &key);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    // The small file's blob is HEAD's (fetched by the checkout); the new key is local.
    assert_eq!(
        found(&v),
        vec![
            ("github-pat".into(), c[0].clone(), "small.env".into()),
            ("aws-access-key-id".into(), tip.clone(), "notes.md".into()),
        ],
        "{v:#}"
    );
    let missing = unavailable(&v);
    assert!(missing.contains(&("config.py".into(), c[0].clone(), "not-scanned".into())));
    // The last commit's notes.md is here, the version it edits is not: scanned whole.
    assert!(
        missing.contains(&("notes.md".into(), c[3].clone(), "scanned-whole".into())),
        "{missing:?}"
    );
    assert_eq!(missing_count(&src, &work), before, "objects were fetched");

    // Through the installed hook and a real push: blocked, and the report says why.
    let install = src
        .r
        .command_in(keyguard_bin(), ".")
        .current_dir(&work)
        .args(["install", "--pre-push"])
        .output()
        .unwrap();
    assert!(install.status.success(), "{}", stderr(&install));
    let push = src
        .r
        .command_in("git", ".")
        .current_dir(&work)
        .env("GIT_NO_LAZY_FETCH", "1")
        .args(["push", "-q", url, "main"])
        .output()
        .unwrap();
    assert_no_secret(&push, &key);
    assert_no_secret(&push, &src.small_key);
    assert!(!push.status.success(), "push went through");
    let text = format!("{}{}", stdout(&push), stderr(&push));
    assert!(text.contains("push blocked"), "{text}");
    assert!(text.contains("NOT scanned"), "{text}");
}

#[test]
fn pre_commit_in_a_partial_clone_scans_a_file_whose_old_version_is_missing() {
    let src = source();
    let work = clone(&src, &["--filter=blob:none", "--no-checkout"], "work");
    cut_off(&src);
    // The index from HEAD, without any blob (no checkout).
    git_at(&src, &work, &["reset", "-q"]);
    let key = anthropic_key();
    std::fs::write(work.join("notes.md"), format!("# notes\nkey = {key}\n")).unwrap();
    git_at(&src, &work, &["add", "notes.md"]);
    // A file staged from an old version that was never fetched.
    let old = stdout(&git_at(
        &src,
        &work,
        &["rev-parse", &format!("{}:config.py", src.commits[0])],
    ))
    .trim()
    .to_string();
    git_at(
        &src,
        &work,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("100644,{old},restored.py"),
        ],
    );
    let before = missing_count(&src, &work);
    let out = keyguard_at(&src, &work, &["pre-commit", "--format", "json"], None);
    assert_no_secret(&out, &key);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(
        hits(&v),
        vec![hit("notes.md", 2, 7, "anthropic-api-key")],
        "{v:#}"
    );
    let mut missing = unavailable(&v);
    missing.sort();
    assert_eq!(
        missing,
        vec![
            ("notes.md".into(), String::new(), "scanned-whole".into()),
            ("restored.py".into(), String::new(), "not-scanned".into()),
        ]
    );
    assert_eq!(missing_count(&src, &work), before, "objects were fetched");

    // Without the key, the commit is clean: missing objects alone never block.
    std::fs::write(work.join("notes.md"), "# notes\nclean\n").unwrap();
    git_at(&src, &work, &["add", "notes.md"]);
    let out = keyguard_at(&src, &work, &["pre-commit"], None);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("NOT scanned"), "{}", stdout(&out));
}

/// Outside a partial clone a missing object is damage, not a filter: the scan fails
/// (exit 2) naming the object and `git fsck`, rather than passing a history it could not
/// read. A partial clone is still known by its promisor packs when its config no longer
/// says so, and stays a partial clone (reported, exit by findings).
#[test]
fn a_missing_object_outside_a_partial_clone_is_an_error() {
    let r = Repo::new();
    r.write("app.py", "print('hello')\n");
    r.commit_all("init");
    r.write("app.py", "print('hello')\nprint('bye')\n");
    r.commit_all("bye");
    let blob = stdout(&r.git(&["rev-parse", "HEAD:app.py"]))
        .trim()
        .to_string();
    let loose = r
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(&loose).expect("the blob is a loose object");
    for args in [
        &["scan", "--all"][..],
        &["scan", "--all", "--format", "json"],
    ] {
        let out = r.keyguard(args);
        assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&blob) && err.contains("git fsck"), "{err}");
        assert!(err.contains("app.py"), "{err}");
    }

    // A partial clone whose config lost its promisor settings: its packs still say so.
    let src = source();
    let limit = clone(&src, &["--bare", "--filter=blob:limit=1k"], "limit.git");
    cut_off(&src);
    let packs: Vec<_> = std::fs::read_dir(limit.join("objects/pack"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".promisor"))
        .collect();
    assert!(!packs.is_empty(), "git marks the fetched packs");
    git_at(
        &src,
        &limit,
        &["config", "--unset", "remote.origin.promisor"],
    );
    let config = std::fs::read_to_string(limit.join("config")).unwrap();
    assert!(
        !config.to_lowercase().contains("partialclone ="),
        "{config}"
    );
    let out = keyguard_at(&src, &limit, &["scan", "--all", "--format", "json"], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(found(&v).len(), 1, "{v:#}");
    assert!(!unavailable(&v).is_empty(), "{v:#}");
}
