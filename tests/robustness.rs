//! Hostile repositories and exhaustion, end to end.
//!
//! Repositories a scanner should survive: symlinks that point at keys outside the
//! repository or at themselves, submodule changes in history, 100,000-file and 500-deep
//! trees, file names made of newlines, escape sequences and bytes that are not UTF-8,
//! SHA-256 object format, config and hooks that would run programs, a 1 GB blob, 100,000
//! staged files, binary keystores. Each test builds a real repository with the real `git`
//! (with `update-index --cacheinfo` and `fast-import` where a file system would refuse a
//! name or where 100,000 `git add`s would be slow) and runs the real keyguard binary.
//!
//! Peak memory is measured for real: keyguard is reaped with `wait4`, which returns that
//! child's own `ru_maxrss`. Keys are generated at test time; no output may contain one.
#![cfg(unix)]

use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;
use keyguard::source::{path_bytes, Limits};
use serde_json::Value;

const GITHUB: &str = "github-pat";
const ZERO: &str = "0000000000000000000000000000000000000000";

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// One keyguard run, reaped with `wait4`.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    /// Peak resident memory of the keyguard process, in bytes.
    max_rss: u64,
    /// This test process's own peak when it spawned keyguard, in bytes (see [`run`]).
    inherited: u64,
    wall: Duration,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }

    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    fn mib(&self) -> f64 {
        self.max_rss as f64 / f64::from(1u32 << 20)
    }

    /// Asserts keyguard's peak memory stayed under `mib` MiB.
    fn assert_peak_below(&self, mib: f64) {
        let inherited = self.inherited as f64 / f64::from(1u32 << 20);
        assert!(
            inherited < mib,
            "cannot measure keyguard's memory: the probe process had already peaked at \
             {inherited:.1} MiB when it spawned keyguard, and a child's peak starts from its \
             parent's"
        );
        assert!(
            self.mib() < mib,
            "keyguard's peak memory was {:.1} MiB, over {mib} MiB",
            self.mib()
        );
    }
}

/// This process's peak resident memory so far, in bytes (0 where unknown).
fn own_peak_memory() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

/// `ru_maxrss` is in KiB on Linux and in bytes on macOS.
#[cfg(target_os = "linux")]
const RSS_UNIT: u64 = 1024;
#[cfg(not(target_os = "linux"))]
const RSS_UNIT: u64 = 1;

/// Runs keyguard in `r` with stdout and stderr going to files (so nothing in this process
/// grows with its output), and reads that child's own peak memory.
///
/// On Linux a child's `ru_maxrss` starts at its parent's peak (exec keeps the high-water
/// mark of the memory it replaces), and this test process, which runs every integration
/// test, may be big. So keyguard is not spawned from here: this binary is started again
/// as a small, fresh process ([`memory_probe`]) that spawns keyguard, reaps it with
/// `wait4` and writes its exit status and peak to a file.
fn run(r: &Repo, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = |name: &str| dir.path().join(name);
    std::fs::write(file("stdin"), stdin.unwrap_or_default()).expect("stdin file");
    std::fs::write(file("args"), args.join("\0")).expect("args file");
    let start = Instant::now();
    let probe = r
        .command_in(std::env::current_exe().expect("test binary"), ".")
        .args([
            "--exact",
            "robustness::memory_probe",
            "--ignored",
            "--quiet",
        ])
        .args(["--test-threads", "1"])
        .env(PROBE_DIR, dir.path())
        .env(
            "KEYGUARD_PROBE_STDIN",
            if stdin.is_some() { "1" } else { "" },
        )
        .output()
        .expect("start the memory probe");
    let wall = start.elapsed();
    let result = std::fs::read_to_string(file("result"))
        .unwrap_or_else(|e| panic!("the memory probe wrote no result ({e}):\n{}", both(&probe)));
    let (code, max_rss, inherited) = match result.split_whitespace().collect::<Vec<_>>()[..] {
        [c, m, i] => (c.parse().unwrap(), m.parse().unwrap(), i.parse().unwrap()),
        _ => panic!("bad probe result {result:?}"),
    };
    let read = |p: &Path| {
        let mut s = Vec::new();
        File::open(p)
            .and_then(|mut f| f.read_to_end(&mut s))
            .expect("read output");
        String::from_utf8_lossy(&s).into_owned()
    };
    Run {
        code,
        stdout: read(&file("stdout")),
        stderr: read(&file("stderr")),
        max_rss,
        inherited,
        wall,
    }
}

/// Where [`run`] tells the probe its files are: `args` (NUL-separated), `stdin`, and
/// where to put `stdout`, `stderr` and the `result`.
const PROBE_DIR: &str = "KEYGUARD_MEMORY_PROBE_DIR";

/// Not a test of its own: the fresh process [`run`] starts to measure keyguard. It
/// spawns keyguard with the files named in `PROBE_DIR`, reaps it with `wait4` and writes
/// `exit-code peak-bytes own-peak-bytes` to `result`. Ignored, so a normal run skips it.
#[test]
#[ignore = "started by run() as a small parent process; does nothing alone"]
fn memory_probe() {
    let Some(dir) = std::env::var_os(PROBE_DIR) else {
        return;
    };
    let dir = Path::new(&dir);
    let args = std::fs::read(dir.join("args")).expect("args");
    let args: Vec<&OsStr> = if args.is_empty() {
        Vec::new()
    } else {
        args.split(|&b| b == 0).map(OsStr::from_bytes).collect()
    };
    let piped = std::env::var_os("KEYGUARD_PROBE_STDIN").is_some_and(|v| !v.is_empty());
    let mut cmd = std::process::Command::new(keyguard_bin());
    cmd.args(&args)
        .env_remove(PROBE_DIR)
        .env_remove("KEYGUARD_PROBE_STDIN")
        .stdin(if piped { Stdio::piped() } else { Stdio::null() })
        .stdout(File::create(dir.join("stdout")).expect("stdout file"))
        .stderr(File::create(dir.join("stderr")).expect("stderr file"));
    let inherited = own_peak_memory();
    let mut child = cmd.spawn().expect("spawn keyguard");
    if let (true, Some(mut pipe)) = (piped, child.stdin.take()) {
        // keyguard may fail before reading its input (that is what some tests check).
        let input = std::fs::read(dir.join("stdin")).expect("stdin");
        let _ = pipe.write_all(&input);
    }
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own unreaped child; both pointers are to live locals.
        let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if got == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::Interrupted,
            "wait4 failed: {err}"
        );
    }
    // Reaped by wait4 above: `child` must not be waited for again (dropping it does not).
    drop(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let max_rss = usage.ru_maxrss as u64 * RSS_UNIT;
    std::fs::write(dir.join("result"), format!("{code} {max_rss} {inherited}"))
        .expect("write result");
}

fn assert_run_has_no_secret(run: &Run, secret: &str) {
    assert_text_has_no_secret(&run.all(), secret);
}

/// `keyguard ARGS --format json` (with `stdin`), asserting the exit status and that no
/// secret leaked; the parsed report.
fn scan_json(r: &Repo, args: &[&str], stdin: Option<&[u8]>, secrets: &[&str], want: i32) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = run(r, &all, stdin);
    for s in secrets {
        assert_run_has_no_secret(&out, s);
    }
    assert_eq!(out.code, want, "keyguard {all:?}:\n{}", out.all());
    out.json()
}

/// Writes `content` as a blob; its id.
fn blob(r: &Repo, content: &[u8]) -> String {
    let out = r.git_stdin(&["hash-object", "-w", "--stdin"], content);
    stdout(&out).trim().to_string()
}

/// Puts blob `oid` in the index at `path` (any bytes but NUL) with `mode`, without the
/// file system: names a file system would refuse, gitlinks, deep paths.
fn stage_raw(r: &Repo, mode: &str, oid: &str, path: &[u8]) {
    let mut info = format!("{mode},{oid},").into_bytes();
    info.extend_from_slice(path);
    let out = r
        .command_in("git", ".")
        .args(["update-index", "--add", "--cacheinfo"])
        .arg(OsStr::from_bytes(&info))
        .output()
        .expect("run git");
    assert!(out.status.success(), "update-index: {}", stderr(&out));
}

/// Runs `git fast-import` in `r`, streaming what `feed` writes (never all in memory:
/// this process's own peak memory is inherited by the children it spawns).
fn fast_import(r: &Repo, feed: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
    let mut child = r
        .command_in("git", ".")
        .args(["fast-import", "--quiet", "--done"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fast-import");
    {
        let mut w = BufWriter::with_capacity(64 * 1024, child.stdin.take().expect("stdin"));
        feed(&mut w).expect("feed fast-import");
        w.write_all(b"done\n").expect("feed fast-import");
        w.flush().expect("feed fast-import");
    }
    let out = child.wait_with_output().expect("wait for fast-import");
    assert!(out.status.success(), "fast-import: {}", stderr(&out));
}

fn commit_header(w: &mut dyn Write, branch: &str, msg: &str) -> std::io::Result<()> {
    write!(
        w,
        "commit refs/heads/{branch}\ncommitter Test <test@example.invalid> 1700000000 +0000\ndata {}\n{msg}\n",
        msg.len()
    )
}

/// Asserts that `text` holds nothing a terminal would act on: no control character but
/// the newlines between report lines, no bidirectional override.
fn assert_terminal_safe(text: &str) {
    for (i, line) in text.lines().enumerate() {
        let bad: Vec<char> = line
            .chars()
            .filter(|&c| {
                c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            })
            .collect();
        assert!(
            bad.is_empty(),
            "line {} holds raw control characters {bad:?}: {line:?}",
            i + 1
        );
    }
}

/// An executable script that creates `marker` when run.
fn marker_script(path: &Path, marker: &Path) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(
        path,
        format!("#!/bin/sh\ntouch '{}'\nexit 0\n", marker.display()),
    )
    .expect("write script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn init_bare(r: &Repo, dir: &Path, extra: &[&str]) {
    let mut args = vec!["init", "-q", "--bare", "-b", "main"];
    args.extend(extra);
    let out = r
        .command_in("git", ".")
        .args(&args)
        .arg(dir)
        .output()
        .expect("run git");
    assert!(out.status.success(), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------
// 1. Symlinks: the committed blob is the link text; nothing is followed on disk
// ---------------------------------------------------------------------------------

#[test]
fn symlinks_are_never_followed() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit_all("init");
    let k_file = github_pat();
    let k_dir = openai_project_key();
    let k_tree = anthropic_key();
    // Keys in files the links point at: outside the repository, in a directory outside
    // it, and in an untracked directory of the work tree.
    let outside = r.home.path().join("outside-secret.txt");
    std::fs::write(&outside, format!("TOKEN={k_file}\n")).expect("write");
    let outside_dir = r.home.path().join("secret-dir");
    std::fs::create_dir_all(&outside_dir).expect("mkdir");
    std::fs::write(
        outside_dir.join("key.env"),
        format!("OPENAI_API_KEY={k_dir}\n"),
    )
    .expect("write");
    r.write("untracked/inner.txt", format!("key {k_tree}\n"));
    let link = |target: &Path, name: &str| {
        std::os::unix::fs::symlink(target, r.path().join(name)).expect("symlink")
    };
    link(&outside, "to-file");
    link(&outside_dir, "to-outside-dir");
    link(Path::new("untracked"), "to-untracked-dir");
    link(Path::new("loop-b"), "loop-a");
    link(Path::new("loop-a"), "loop-b");
    link(Path::new("self"), "self");
    r.git(&[
        "add",
        "to-file",
        "to-outside-dir",
        "to-untracked-dir",
        "loop-a",
        "loop-b",
        "self",
    ]);
    let staged = stdout(&r.git(&["ls-files", "-s"]));
    assert_eq!(
        staged.lines().filter(|l| l.starts_with("120000 ")).count(),
        6,
        "{staged}"
    );
    let secrets = [k_file.as_str(), k_dir.as_str(), k_tree.as_str()];
    let v = scan_json(&r, &["--staged"], None, &secrets, 0);
    assert!(hits(&v).is_empty(), "{v}");
    // Six blobs of one line each: the link texts, nothing behind them.
    assert_eq!(summary(&v, "files"), 6);
    assert_eq!(summary(&v, "lines"), 6);
    // The pre-commit framework's file mode reads the index entries, not the links either.
    let v = scan_json(
        &r,
        &["pre-commit", "to-file", "to-outside-dir", "loop-a", "self"],
        None,
        &secrets,
        0,
    );
    assert!(hits(&v).is_empty(), "{v}");
    assert_eq!(summary(&v, "files"), 4);
    // And in history.
    r.git(&["commit", "-q", "--no-verify", "-m", "links"]);
    let v = scan_json(&r, &["scan", "--all"], None, &secrets, 0);
    assert!(hits(&v).is_empty(), "{v}");
}

#[test]
fn symlink_whose_target_text_is_a_key_is_scanned_like_text() {
    // The link text is what git stores and pushes: a key written there leaks like a key
    // in a file, so it is reported (at the link's path, line 1).
    let r = Repo::new();
    let k = github_pat();
    std::os::unix::fs::symlink(&k, r.path().join("weird-link")).expect("symlink");
    r.git(&["add", "weird-link"]);
    let v = scan_json(&r, &["--staged"], None, &[&k], 1);
    assert_eq!(hits(&v), vec![hit("weird-link", 1, 1, GITHUB)]);
    r.git(&["commit", "-q", "--no-verify", "-m", "link"]);
    let v = scan_json(&r, &["scan"], None, &[&k], 1);
    assert_eq!(hits(&v), vec![hit("weird-link", 1, 1, GITHUB)]);
}

// ---------------------------------------------------------------------------------
// 2. Submodules in history and pushes
// ---------------------------------------------------------------------------------

#[test]
fn gitmodules_and_gitlink_changes_in_history_and_pushes() {
    let r = Repo::new();
    let remote = r.home.path().join("remote.git");
    init_bare(&r, &remote, &[]);
    let url = remote.display().to_string();
    r.git(&["remote", "add", "origin", &url]);
    r.write("a.txt", "a\n");
    r.commit_all("c0");
    let c0 = r.head().expect("HEAD");
    let gitmodules =
        |url: &str| format!("[submodule \"vendor/lib\"]\n\tpath = vendor/lib\n\turl = {url}\n");
    // c1: a submodule appears; c2: its URL and pinned commit change.
    r.write(".gitmodules", gitmodules("https://example.invalid/lib.git"));
    r.git(&["add", ".gitmodules"]);
    stage_raw(&r, "160000", &c0, b"vendor/lib");
    r.git(&["commit", "-q", "--no-verify", "-m", "c1: add submodule"]);
    let c1 = r.head().expect("HEAD");
    r.git(&["push", "-q", "--no-verify", "origin", "main"]);
    r.write(
        ".gitmodules",
        gitmodules("https://example.invalid/lib2.git"),
    );
    r.git(&["add", ".gitmodules"]);
    stage_raw(&r, "160000", &c1, b"vendor/lib");
    r.git(&["commit", "-q", "--no-verify", "-m", "c2: move submodule"]);
    let c2 = r.head().expect("HEAD");

    let v = scan_json(&r, &["scan", "--all"], None, &[], 0);
    assert!(hits(&v).is_empty(), "{v}");
    assert_eq!(summary(&v, "commits"), 3);
    assert_eq!(summary(&v, "submodules_skipped"), 2);
    // a.txt, then .gitmodules twice: it is an ordinary text file.
    assert_eq!(summary(&v, "files"), 3);

    // c3: a token in the submodule URL, with another gitlink update.
    let k = github_pat();
    r.write(
        ".gitmodules",
        gitmodules(&format!(
            "https://x-access-token:{k}@github.com/acme/lib.git"
        )),
    );
    r.git(&["add", ".gitmodules"]);
    stage_raw(&r, "160000", &c2, b"vendor/lib");
    r.git(&["commit", "-q", "--no-verify", "-m", "c3: private submodule"]);
    let c3 = r.head().expect("HEAD");
    let v = scan_json(&r, &["scan", "--all"], None, &[&k], 1);
    let found = hits(&v);
    assert_eq!(found.len(), 1, "{v}");
    assert_eq!((found[0].0.as_str(), found[0].1), (".gitmodules", 3));
    assert_eq!(v["findings"][0]["commit"]["id"], c3.as_str());
    assert_eq!(summary(&v, "submodules_skipped"), 3);

    // A push of c2 and c3 over c1 (what the remote has).
    let input = format!("refs/heads/main {c3} refs/heads/main {c1}\n");
    let v = scan_json(
        &r,
        &["pre-push", "origin", &url],
        Some(input.as_bytes()),
        &[&k],
        1,
    );
    assert_eq!(summary(&v, "commits"), 2);
    assert_eq!(summary(&v, "submodules_skipped"), 2);
    assert_eq!(hits(&v).len(), 1, "{v}");
    assert_eq!(v["findings"][0]["commit"]["id"], c3.as_str());
    // c2 alone: a gitlink and a URL change, nothing to report.
    let input = format!("refs/heads/main {c2} refs/heads/main {c1}\n");
    let v = scan_json(
        &r,
        &["pre-push", "origin", &url],
        Some(input.as_bytes()),
        &[],
        0,
    );
    assert_eq!(summary(&v, "submodules_skipped"), 1);
    assert_eq!(summary(&v, "files"), 1);
}

// ---------------------------------------------------------------------------------
// 3. Huge and deep trees
// ---------------------------------------------------------------------------------

#[test]
fn head_with_100k_files_and_one_staged_change() {
    const FILES: usize = 100_000;
    let r = Repo::new();
    let t = Instant::now();
    fast_import(&r, |w| {
        w.write_all(b"blob\nmark :1\ndata 25\nnothing secret in here.\n\n")?;
        commit_header(w, "main", "a hundred thousand files")?;
        for i in 0..FILES {
            writeln!(w, "M 100644 :1 src/m{:03}/f{:03}.txt", i / 1000, i % 1000)?;
        }
        w.write_all(b"\n")
    });
    // The index gets HEAD's entries without a checkout: keyguard reads the index only.
    r.git(&["read-tree", "HEAD"]);
    let built = t.elapsed();
    let k = github_pat();
    r.write("src/m050/new.py", format!("x = 1\nTOKEN = '{k}'\n"));
    r.git(&["add", "src/m050/new.py"]);
    let out = run(&r, &["--staged", "--format", "json"], None);
    assert_run_has_no_secret(&out, &k);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = out.json();
    assert_eq!(hits(&v), vec![hit("src/m050/new.py", 2, 10, GITHUB)]);
    assert_eq!(summary(&v, "files"), 1);
    out.assert_peak_below(64.0);
    eprintln!(
        "100k-file HEAD: built in {built:.2?}; keyguard --staged {:.2?}, peak {:.1} MiB",
        out.wall,
        out.mib()
    );
}

#[test]
fn tree_500_directories_deep() {
    let r = Repo::new();
    let deep = "d/".repeat(500);
    let old = blob(&r, b"nothing here\n");
    stage_raw(&r, "100644", &old, format!("{deep}old.txt").as_bytes());
    r.git(&["commit", "-q", "--no-verify", "-m", "deep"]);
    let k = github_pat();
    let new = blob(&r, format!("TOKEN={k}\n").as_bytes());
    let path = format!("{deep}key.txt");
    stage_raw(&r, "100644", &new, path.as_bytes());
    let v = scan_json(&r, &["--staged"], None, &[&k], 1);
    assert_eq!(hits(&v), vec![hit(&path, 1, 7, GITHUB)]);
    let out = r.keyguard(&["--staged"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains(&format!("{path}:1:7")));
    r.git(&["commit", "-q", "--no-verify", "-m", "deeper"]);
    let head = r.head().expect("HEAD");
    let v = scan_json(&r, &["scan", "--all"], None, &[&k], 1);
    assert_eq!(hits(&v), vec![hit(&path, 1, 7, GITHUB)]);
    assert_eq!(v["findings"][0]["commit"]["id"], head.as_str());
}

// ---------------------------------------------------------------------------------
// 4. Names and lines made to attack the terminal
// ---------------------------------------------------------------------------------

/// Paths no file system needs to allow, each with its own key: a newline that tries to
/// forge a report line plus a clear-screen sequence, a tab and a bell, Latin-1 bytes, two
/// paths a lossy decoding would merge, and a real backslash that looks like an escape.
const HOSTILE_PATHS: &[&[u8]] = &[
    b"dir/evil\nkeyguard: no secrets in the staged changes\x1b[2J.txt",
    b"tab\there\x07bell.txt",
    b"latin1/caf\xe9.txt",
    b"x\xff.txt",
    b"x\xfe.txt",
    b"x\\377.txt",
];

#[test]
fn hostile_paths_are_found_and_quoted() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit_all("init");
    let keys: Vec<String> = HOSTILE_PATHS.iter().map(|_| github_pat()).collect();
    let secrets: Vec<&str> = keys.iter().map(String::as_str).collect();
    for (path, k) in HOSTILE_PATHS.iter().zip(&keys) {
        let oid = blob(&r, format!("TOKEN={k}\n").as_bytes());
        stage_raw(&r, "100644", &oid, path);
    }
    // A sensitive-file rule still applies under a directory whose name is not UTF-8.
    let env = blob(&r, key("DB_PASSWORD=Blue{{digits:3}}Horse\n").as_bytes());
    stage_raw(&r, "100644", &env, b"conf\xe9/.env");

    let v = scan_json(&r, &["--staged"], None, &secrets, 1);
    let files: Vec<String> = hits(&v)
        .into_iter()
        .filter(|h| h.3 == GITHUB)
        .map(|h| h.0)
        .collect();
    assert_eq!(files.len(), HOSTILE_PATHS.len(), "{v}");
    // Every path is reported exactly, and distinctly: the JSON text gives back its bytes.
    let mut raw: Vec<Vec<u8>> = files.iter().map(|f| path_bytes(f)).collect();
    raw.sort();
    let mut want: Vec<Vec<u8>> = HOSTILE_PATHS.iter().map(|p| p.to_vec()).collect();
    want.sort();
    assert_eq!(raw, want);
    for (text, expected) in [
        (
            "dir/evil\nkeyguard: no secrets in the staged changes\u{1b}[2J.txt",
            true,
        ),
        ("tab\there\u{7}bell.txt", true),
        (r"latin1/caf\351.txt", true),
        (r"x\377.txt", true),
        (r"x\376.txt", true),
        (r"x\\377.txt", true),
    ] {
        assert_eq!(
            files.iter().any(|f| f == text),
            expected,
            "{text:?} in {files:?}"
        );
    }
    assert!(
        hits(&v)
            .iter()
            .any(|h| h.0 == r"conf\351/.env" && h.3 == "env-file"),
        "{v}"
    );

    // Human output: git's quoting, nothing raw, no forged line.
    let human = run(&r, &["--staged"], None);
    for s in &secrets {
        assert_run_has_no_secret(&human, s);
    }
    assert_eq!(human.code, 1, "{}", human.all());
    assert_terminal_safe(&human.stdout);
    assert!(
        !human
            .stdout
            .lines()
            .any(|l| l.starts_with("keyguard: no secrets")),
        "a file name forged a report line:\n{}",
        human.stdout
    );
    for shown in [
        r#"  "dir/evil\nkeyguard: no secrets in the staged changes\033[2J.txt":1:7  "#,
        r#"  "tab\there\abell.txt":1:7  "#,
        r#"  "latin1/caf\351.txt":1:7  "#,
        r#"  "x\377.txt":1:7  "#,
        r#"  "x\376.txt":1:7  "#,
        // A real backslash is shown as it is: only a quoted name starts with a quote.
        r#"  x\377.txt:1:7  "#,
        // The advice quotes for a shell, and `--` keeps a name from being an option.
        r"git restore --staged -- $'dir/evil\nkeyguard: no secrets in the staged changes\033[2J.txt'",
        r"git add -- $'latin1/caf\351.txt'",
        r"git add -- 'x\377.txt'",
    ] {
        assert!(
            human.stdout.contains(shown),
            "missing {shown:?} in:\n{}",
            human.stdout
        );
    }

    // SARIF: valid JSON, the exact bytes percent-encoded.
    let sarif = run(&r, &["--staged", "--format", "sarif"], None);
    assert_eq!(sarif.code, 1);
    let doc: Value = serde_json::from_str(&sarif.stdout).expect("SARIF is JSON");
    let uris: Vec<&str> = doc["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|res| {
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str()
        })
        .collect();
    for uri in ["x%FF.txt", "x%FE.txt", "x%5C377.txt", "latin1/caf%E9.txt"] {
        assert!(uris.contains(&uri), "{uri} not in {uris:?}");
    }

    // The same names in history.
    r.git(&["commit", "-q", "--no-verify", "-m", "hostile names"]);
    let v = scan_json(&r, &["scan"], None, &secrets, 1);
    let mut in_history: Vec<Vec<u8>> = hits(&v)
        .iter()
        .filter(|h| h.3 == GITHUB)
        .map(|h| path_bytes(&h.0))
        .collect();
    in_history.sort();
    assert_eq!(in_history, want);
    let human = run(&r, &["scan"], None);
    assert_eq!(human.code, 1);
    assert_terminal_safe(&human.stdout);
}

#[test]
fn control_characters_in_lines_commit_messages_and_repo_config_are_neutralised() {
    let r = Repo::new();
    // The repository's own config names a rule, and its texts try escape sequences too.
    r.write(
        ".keyguard.toml",
        "[[rules]]\nid = \"acme-key\"\ndescription = \"Acme \\u001b[31mred\\u001b[0m key\"\nkeywords = [\"acme_\"]\nregex = '''acme_[a-f0-9]{32}'''\nremediation = \"Revoke it\\u001b]0;pwned\\u0007 now\"\n",
    );
    r.commit_all("config");
    let k = github_pat();
    let generic = key("{{b62:32}}");
    let acme = key("acme_{{hex:32}}");
    r.write(
        "term.log",
        format!(
            "\u{1b}[2J\u{1b}[H fake prompt $\nTOKEN={k} \u{1b}]0;pwned\u{7}\r\u{1b}[1A\napi_key = {generic}\u{1b}]0;x\u{7}\nACME={acme}\u{1b}[5m\n"
        ),
    );
    r.git(&["add", "term.log"]);
    let secrets = [k.as_str(), generic.as_str(), acme.as_str()];
    let out = run(&r, &["--staged"], None);
    for s in secrets {
        assert_run_has_no_secret(&out, s);
    }
    assert_eq!(out.code, 1, "{}", out.all());
    assert_terminal_safe(&out.stdout);
    assert!(out.stdout.contains("term.log:2:7"), "{}", out.stdout);
    // The generic rule's value runs into the escape sequence: its masked tail shows it.
    assert!(out.stdout.contains(r"\033  ("), "{}", out.stdout);
    assert!(
        out.stdout.contains(r"Acme \033[31mred\033[0m key"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(r"Revoke it\033]0;pwned\a now"),
        "{}",
        out.stdout
    );
    // JSON keeps the exact text, as JSON escapes.
    let v = scan_json(&r, &["--staged"], None, &secrets, 1);
    assert_eq!(hits(&v).len(), 3, "{v}");
    let json_text = run(&r, &["--staged", "--format", "json"], None).stdout;
    assert!(!json_text.contains('\u{1b}'));
    assert!(v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["description"] == "Acme \u{1b}[31mred\u{1b}[0m key"));

    // A commit message is repository data too (push and history reports print it).
    r.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        "innocent\u{1b}[2J\u{1b}]0;pwned\u{7}\rfix",
    ]);
    let out = run(&r, &["scan"], None);
    for s in secrets {
        assert_run_has_no_secret(&out, s);
    }
    assert_eq!(out.code, 1, "{}", out.all());
    assert_terminal_safe(&out.stdout);
    assert!(
        out.stdout.contains(r"innocent\033[2J\033]0;pwned\a\rfix"),
        "{}",
        out.stdout
    );
}

// ---------------------------------------------------------------------------------
// 5. SHA-256 repositories
// ---------------------------------------------------------------------------------

const SHA256_ERROR: &str = "SHA-256 repositories are not supported yet by libgit2";

#[test]
fn sha256_repository_is_a_clear_error_and_the_hooks_block() {
    let r = Repo::bare_env();
    r.git(&["init", "-q", "--object-format=sha256", "-b", "main"]);
    r.write("a.txt", "a\n");
    r.commit_all("first");
    let head = r.head().expect("HEAD");
    assert_eq!(head.len(), 64, "not a SHA-256 repository: {head}");
    r.write("b.txt", "b\n");
    r.git(&["add", "b.txt"]);
    let zero = "0".repeat(64);
    let input = format!("refs/heads/main {head} refs/heads/main {zero}\n");
    for (args, stdin) in [
        (&["--staged"][..], None),
        (&["pre-commit"][..], None),
        (&["pre-commit", "b.txt"][..], None),
        (
            &["pre-push", "origin", "/nowhere"][..],
            Some(input.as_bytes()),
        ),
        (&["scan", "--all"][..], None),
        (&["scan", "--format", "json"][..], None),
    ] {
        let out = run(&r, args, stdin);
        assert_eq!(out.code, 2, "{args:?}: {}", out.all());
        assert!(out.stdout.is_empty(), "{args:?}: no report on error");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line, got {lines:?}");
        assert!(
            lines[0].starts_with("keyguard: error:") && lines[0].contains(SHA256_ERROR),
            "{args:?}: {lines:?}"
        );
    }

    // The hooks (installed in a hooks folder shared through core.hooksPath, since
    // `keyguard install` cannot open this repository either) block and say what to do.
    let hooks = r.home.path().join("shared-hooks");
    let helper = Repo::new();
    helper.git(&["config", "core.hooksPath", &hooks.display().to_string()]);
    let out = helper.keyguard(&["install", "--pre-push"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    r.git(&["config", "core.hooksPath", &hooks.display().to_string()]);
    let out = r.git_try(&["commit", "-q", "-m", "second"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!out.status.success(), "commit went through:\n{text}");
    assert_eq!(r.head().as_deref(), Some(head.as_str()), "HEAD moved");
    for needle in [
        SHA256_ERROR,
        "this commit was NOT scanned for secrets",
        "git commit --no-verify",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
    // The way out it names works.
    r.git(&["commit", "-q", "--no-verify", "-m", "second"]);
    let second = r.head().expect("HEAD");

    let remote = r.home.path().join("remote.git");
    init_bare(&r, &remote, &["--object-format=sha256"]);
    let out = r.git_try(&["push", &remote.display().to_string(), "main"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!out.status.success(), "push went through:\n{text}");
    for needle in [
        SHA256_ERROR,
        "this push was NOT scanned for secrets",
        "git push --no-verify",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
    let remote_main = r.git_try_in(
        ".",
        &[
            "--git-dir",
            &remote.display().to_string(),
            "rev-parse",
            "-q",
            "--verify",
            "refs/heads/main",
        ],
    );
    assert!(!remote_main.status.success(), "the push reached the remote");
    assert_ne!(second, head);
}

// ---------------------------------------------------------------------------------
// 6. The repository's own hooks and config run nothing
// ---------------------------------------------------------------------------------

#[test]
fn hostile_config_and_hooks_run_nothing_in_scan_and_pre_push() {
    let r = Repo::new();
    let remote = r.home.path().join("remote.git");
    init_bare(&r, &remote, &[]);
    r.write("README.md", "hello\n");
    r.commit_all("init");
    let base = r.head().expect("HEAD");
    let k = github_pat();
    r.write(
        ".gitattributes",
        "* diff=hostile filter=hostile merge=hostile\n",
    );
    r.write("notes.txt", format!("token {k}\n"));
    r.write("app.cfg", "x = 1\n");
    r.commit_all("add notes");
    let head = r.head().expect("HEAD");

    // Only now the hostile settings (git itself would run them while committing).
    let marker = r.home.path().join("ran.marker");
    let script = r.home.path().join("hostile.sh");
    marker_script(&script, &marker);
    let hooks = r.home.path().join("hostile-hooks");
    for hook in [
        "pre-commit",
        "pre-push",
        "post-checkout",
        "post-commit",
        "post-index-change",
        "reference-transaction",
        "fsmonitor-watchman",
        "push-to-checkout",
    ] {
        marker_script(&hooks.join(hook), &marker);
    }
    let script = script.display().to_string();
    let hooks = hooks.display().to_string();
    let helper = format!("!{script}");
    let ext_url = format!("ext::sh -c touch% {}", marker.display());
    r.git(&["remote", "add", "origin", &ext_url]);
    for (key, value) in [
        ("core.hooksPath", hooks.as_str()),
        ("core.fsmonitor", &script),
        ("core.pager", &script),
        ("core.editor", &script),
        ("core.askPass", &script),
        ("core.sshCommand", &script),
        ("sequence.editor", &script),
        ("credential.helper", &helper),
        ("gpg.program", &script),
        ("log.showSignature", "true"),
        ("diff.external", &script),
        ("diff.hostile.textconv", &script),
        ("diff.hostile.command", &script),
        ("diff.hostile.binary", "true"),
        ("filter.hostile.clean", &script),
        ("filter.hostile.smudge", &script),
        ("filter.hostile.process", &script),
        ("filter.hostile.required", "true"),
        ("merge.hostile.driver", &script),
        ("protocol.ext.allow", "always"),
        ("pager.log", &script),
        ("color.ui", "always"),
        ("diff.noprefix", "true"),
        ("diff.renames", "false"),
    ] {
        r.git(&["config", key, value]);
    }
    let env_run = |args: &[&str], stdin: Option<&[u8]>| {
        let mut cmd = r.command_in(keyguard_bin(), ".");
        cmd.env("GIT_EXTERNAL_DIFF", &script)
            .env("GIT_SSH_COMMAND", &script)
            .env("GIT_PAGER", &script)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn keyguard");
        if let Some(mut pipe) = child.stdin.take() {
            let _ = pipe.write_all(stdin.unwrap_or_default());
        }
        child.wait_with_output().expect("wait for keyguard")
    };
    let want = vec![hit("notes.txt", 1, 7, GITHUB)];
    for args in [
        &["scan", "--format", "json"][..],
        &["scan", "--all", "--format", "json"],
    ] {
        let out = env_run(args, None);
        assert_no_secret(&out, &k);
        assert_eq!(code(&out), 1, "{args:?}: {}", stderr(&out));
        assert_eq!(hits(&json(&out)), want);
    }
    let input = format!("refs/heads/main {head} refs/heads/main {ZERO}\n");
    let out = env_run(
        &["pre-push", "origin", &ext_url, "--format", "json"],
        Some(input.as_bytes()),
    );
    assert_no_secret(&out, &k);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(hits(&json(&out)), want);
    // An update of a branch the remote has (the base commit): only the new commit.
    let input = format!("refs/heads/main {head} refs/heads/main {base}\n");
    let out = env_run(&["pre-push", "origin", &ext_url], Some(input.as_bytes()));
    assert_no_secret(&out, &k);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        !stdout(&out).contains('\u{1b}'),
        "colour although not a terminal"
    );
    assert!(
        !marker.exists(),
        "keyguard ran a program named by the repository's config or hooks"
    );
}

// ---------------------------------------------------------------------------------
// 7. Exhaustion
// ---------------------------------------------------------------------------------

const GIB: u64 = 1 << 30;

/// Streams `size` bytes of text (a line with a key first, then filler lines) to `w`.
fn write_big_text(w: &mut dyn Write, size: u64, key: &str) -> std::io::Result<()> {
    let first = format!("TOKEN={key}\n");
    w.write_all(first.as_bytes())?;
    let line = b"lorem ipsum dolor sit amet, nothing secret on this line at all, ok\n";
    let chunk: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 1024)
        .collect();
    let mut left = size - first.len() as u64;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        w.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    Ok(())
}

#[test]
fn one_gigabyte_blob_is_reported_not_read() {
    let r = Repo::new();
    // A file of under 128 bytes to delete in the same change: libgit2's rename detection
    // compares any added file with it, whatever their sizes (it used to inflate the whole
    // gigabyte for that).
    r.write("tiny.txt", "tiny\n");
    r.write("README.md", "hello\n");
    r.commit_all("init");
    let k = github_pat();
    let t = Instant::now();
    let mut child = r
        .command_in("git", ".")
        .args(["hash-object", "-w", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hash-object");
    {
        let mut w = BufWriter::with_capacity(256 * 1024, child.stdin.take().expect("stdin"));
        write_big_text(&mut w, GIB, &k).expect("write blob");
        w.flush().expect("write blob");
    }
    let out = child.wait_with_output().expect("hash-object");
    assert!(out.status.success(), "{}", stderr(&out));
    let oid = stdout(&out).trim().to_string();
    stage_raw(&r, "100644", &oid, b"data/huge.log");
    r.git(&["rm", "-q", "--cached", "tiny.txt"]);
    eprintln!("1 GiB blob written in {:.2?}", t.elapsed());

    // Default limit (10 MiB).
    let out = run(&r, &["--staged", "--format", "json"], None);
    assert_run_has_no_secret(&out, &k);
    assert_eq!(out.code, 0, "{}", out.all());
    let v = out.json();
    assert!(hits(&v).is_empty(), "{v}");
    let over = &v["summary"]["oversized"];
    assert_eq!(over.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(over[0]["path"], "data/huge.log");
    assert_eq!(over[0]["size"].as_u64(), Some(GIB));
    assert_eq!(over[0]["limit"].as_u64(), Some(10 << 20));
    out.assert_peak_below(64.0);
    eprintln!(
        "1 GiB staged, default limit: {:.2?}, peak {:.1} MiB",
        out.wall,
        out.mib()
    );
    let human = run(&r, &["--staged"], None);
    assert_eq!(human.code, 0, "{}", human.all());
    assert!(
        human
            .stdout
            .contains("data/huge.log was NOT scanned: 1.0 GiB is over the size limit (10.0 MiB)"),
        "{}",
        human.stdout
    );

    // A limit above the ceiling: the file is still not read, and the warning says why.
    let out = run(
        &r,
        &["--staged", "--max-file-size", "2G", "--format", "json"],
        None,
    );
    assert_run_has_no_secret(&out, &k);
    assert_eq!(out.code, 0, "{}", out.all());
    let v = out.json();
    assert_eq!(
        v["summary"]["oversized"][0]["limit"].as_u64(),
        Some(Limits::CEILING)
    );
    out.assert_peak_below(64.0);
    eprintln!(
        "1 GiB staged, --max-file-size 2G: {:.2?}, peak {:.1} MiB",
        out.wall,
        out.mib()
    );
    let human = run(&r, &["--staged", "--max-file-size", "2G"], None);
    assert!(
        human
            .stdout
            .contains("is over 512.0 MiB, the most keyguard reads into memory for one file"),
        "{}",
        human.stdout
    );

    // In history (the commit also deletes tiny.txt) and in a push.
    r.git(&["commit", "-q", "--no-verify", "-m", "huge"]);
    let head = r.head().expect("HEAD");
    let out = run(&r, &["scan", "--all", "--format", "json"], None);
    assert_run_has_no_secret(&out, &k);
    assert_eq!(out.code, 0, "{}", out.all());
    let v = out.json();
    assert_eq!(v["summary"]["oversized"][0]["commit"], head.as_str());
    out.assert_peak_below(64.0);
    eprintln!(
        "1 GiB in history: {:.2?}, peak {:.1} MiB",
        out.wall,
        out.mib()
    );
    let input = format!("refs/heads/main {head} refs/heads/main {ZERO}\n");
    let out = run(
        &r,
        &["pre-push", "origin", "/nowhere"],
        Some(input.as_bytes()),
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("NOT scanned"), "{}", out.stdout);
    out.assert_peak_below(64.0);
}

#[test]
fn one_hundred_thousand_staged_files() {
    const FILES: usize = 100_000;
    const WITH_KEY: usize = 61_803;
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit_all("init");
    let k = github_pat();
    let t = Instant::now();
    fast_import(&r, |w| {
        for i in 0..FILES {
            let text = if i == WITH_KEY {
                format!("file {i}\nTOKEN={k}\n")
            } else {
                format!("file {i}: nothing secret\n")
            };
            write!(w, "blob\nmark :{}\ndata {}\n{text}\n", i + 1, text.len())?;
        }
        commit_header(w, "side", "a hundred thousand new files")?;
        w.write_all(b"M 100644 inline README.md\ndata 6\nhello\n")?;
        for i in 0..FILES {
            writeln!(
                w,
                "M 100644 :{} gen/d{:03}/f{:03}.txt",
                i + 1,
                i / 1000,
                i % 1000
            )?;
        }
        w.write_all(b"\n")
    });
    // Stage all of them on top of HEAD.
    r.git(&["read-tree", "side"]);
    eprintln!(
        "100k distinct blobs written and staged in {:.2?}",
        t.elapsed()
    );
    let with_key = format!("gen/d{:03}/f{:03}.txt", WITH_KEY / 1000, WITH_KEY % 1000);

    let out = run(&r, &["--staged", "--format", "json"], None);
    assert_run_has_no_secret(&out, &k);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = out.json();
    assert_eq!(hits(&v), vec![hit(&with_key, 2, 7, GITHUB)]);
    assert_eq!(summary(&v, "files"), FILES as u64);
    assert_eq!(summary(&v, "lines"), FILES as u64 + 1);
    // Linear, about 1 KiB per staged file (git diff --cached: about half that).
    out.assert_peak_below(160.0);
    eprintln!(
        "100k staged files: keyguard --staged {:.2?}, peak {:.1} MiB",
        out.wall,
        out.mib()
    );

    // The same change as a commit, in history.
    let out = run(&r, &["scan", "side", "--format", "json"], None);
    assert_run_has_no_secret(&out, &k);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(hits(&out.json()), vec![hit(&with_key, 2, 7, GITHUB)]);
    out.assert_peak_below(128.0);
    eprintln!(
        "100k files in one commit: keyguard scan {:.2?}, peak {:.1} MiB",
        out.wall,
        out.mib()
    );
}

#[test]
fn baseline_memory_of_a_trivial_run() {
    // What the measurement itself reads for a run that does almost nothing: the bounds
    // above are far from it, and it shows the wait4 numbers are keyguard's own.
    let r = Repo::new();
    let out = run(&r, &["--staged"], None);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.max_rss > 0);
    out.assert_peak_below(32.0);
    eprintln!("trivial --staged: peak {:.1} MiB", out.mib());
}

// ---------------------------------------------------------------------------------
// 8. Binary credential files
// ---------------------------------------------------------------------------------

/// Bytes that look like a PKCS#12 file (DER, with NULs) and happen to hold `key`.
fn binary_with(key: &str) -> Vec<u8> {
    let mut b = vec![
        0x30, 0x82, 0x0a, 0x1d, 0x02, 0x01, 0x03, 0x30, 0x82, 0x09, 0x00, 0x00,
    ];
    b.extend_from_slice(format!("\nTOKEN={key}\n").as_bytes());
    b.extend_from_slice(&[0u8; 64]);
    b
}

#[test]
fn binary_keystores_are_reported_by_path_and_their_bytes_are_not_matched() {
    let r = Repo::new();
    r.write(
        ".keyguard.toml",
        "[[rules]]\nid = \"acme-license\"\ndescription = \"Acme license file\"\nfile_rule = true\npaths = [\"*.acmelic\"]\n",
    );
    r.write("README.md", "hello\n");
    r.commit_all("init");
    let keys: Vec<String> = (0..5).map(|_| github_pat()).collect();
    let secrets: Vec<&str> = keys.iter().map(String::as_str).collect();
    r.write("certs/release.p12", binary_with(&keys[0]));
    r.write("android/app/upload.jks", binary_with(&keys[1]));
    r.write("img/logo.png", binary_with(&keys[2]));
    r.write("vendor/site.acmelic", binary_with(&keys[3]));
    r.git(&["add", "-A"]);
    let v = scan_json(&r, &["--staged"], None, &secrets, 1);
    // Path rules (built-in and custom) see the binary files; no content rule matched
    // the keys inside them.
    assert_eq!(
        hits(&v),
        vec![
            hit("android/app/upload.jks", 1, 1, "keystore-file"),
            hit("certs/release.p12", 1, 1, "keystore-file"),
            hit("vendor/site.acmelic", 1, 1, "acme-license"),
        ]
    );
    assert_eq!(summary(&v, "binary_skipped"), 4);
    assert_eq!(summary(&v, "files"), 0);
    let human = run(&r, &["--staged"], None);
    assert_eq!(human.code, 1);
    assert!(
        human
            .stdout
            .contains("      file         certs/release.p12"),
        "{}",
        human.stdout
    );

    // Over the size limit: not read, still named.
    let mut big = binary_with(&keys[4]);
    big.resize(4096, 0);
    r.write("backup/server.pfx", &big);
    r.git(&["add", "backup/server.pfx"]);
    let v = scan_json(
        &r,
        &["--staged", "--max-file-size", "1KiB"],
        None,
        &secrets,
        1,
    );
    assert!(hits(&v).contains(&hit("backup/server.pfx", 1, 1, "keystore-file")));
    assert_eq!(v["summary"]["oversized"][0]["path"], "backup/server.pfx");

    // In history, each keystore with the commit that added it; an unchanged one is not
    // reported again by the next commit.
    r.git(&["commit", "-q", "--no-verify", "-m", "keystores"]);
    let first = r.head().expect("HEAD");
    r.write("other.txt", "x\n");
    r.commit_all("unrelated");
    let v = scan_json(&r, &["scan", "--all"], None, &secrets, 1);
    let found: Vec<(String, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or_default().to_string(),
                f["commit"]["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 4, "{v}");
    assert!(found.iter().all(|(_, c)| *c == first), "{found:?}");
}
