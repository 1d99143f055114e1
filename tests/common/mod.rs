//! Shared helpers for integration tests: real repositories in temp dirs, driven with the
//! real `git` CLI and the real `keyguard` binary, in an environment isolated from the
//! developer's own git config. Keys are generated at test time from templates, never
//! stored in the repository.
#![allow(dead_code)]

pub mod provider_server;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use keyguard::matcher::template::{expand, Rng};
use tempfile::TempDir;

/// The keyguard binary under test.
pub fn keyguard_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keyguard"))
}

/// A fresh, random-looking credential from a template (see `matcher::template`).
pub fn key(template: &str) -> String {
    // A per-process counter keeps two keys made in the same clock tick distinct.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        ^ (std::process::id() as u64) << 32;
    expand(
        template,
        &mut Rng::new(seed ^ template.len() as u64 ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
    )
    .expect("valid template")
}

pub fn openai_project_key() -> String {
    key("sk-proj-{{b64url:74}}T3BlbkFJ{{b64url:73}}A")
}

pub fn github_pat() -> String {
    key("{{begin}}ghp_{{b62:30}}{{crc:github}}")
}

/// An AWS key id that clears the rule's entropy floor (a random one misses it about once
/// in 5,000 draws, which would make a test flaky rather than wrong).
pub fn aws_key_id() -> String {
    loop {
        let k = key("AKIA{{base32:16}}");
        if keyguard::matcher::randomness::shannon(&k) >= 3.3 {
            return k;
        }
    }
}

pub fn anthropic_key() -> String {
    key("sk-ant-api03-{{b64url:93}}AA")
}

/// Asserts that neither the secret nor any 24-character run of it appears in `output`.
pub fn assert_no_secret(output: &Output, secret: &str) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_text_has_no_secret(&all, secret);
}

pub fn assert_text_has_no_secret(text: &str, secret: &str) {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 24 {
        assert!(!text.contains(secret), "output contains the secret");
        return;
    }
    for w in chars.windows(24) {
        let run: String = w.iter().collect();
        assert!(
            !text.contains(&run),
            "output contains 24 characters of the secret in a row: {run}"
        );
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A temporary git repository with its own HOME (so no user config leaks in) and
/// keyguard's directory first on PATH (so installed hooks find the binary under test).
pub struct Repo {
    pub dir: TempDir,
    pub home: TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        let r = Repo::bare_env();
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    /// The environment without `git init` (for clones, separate git dirs, ...).
    pub fn bare_env() -> Repo {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = tempfile::tempdir().expect("temp home");
        std::fs::write(
            home.path().join(".gitconfig"),
            "[user]\n\tname = Test\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        )
        .expect("write gitconfig");
        Repo { dir, home }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn env(&self, cmd: &mut Command) {
        let bin_dir = keyguard_bin()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![bin_dir];
        paths.extend(std::env::split_paths(&path));
        cmd.env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.path().join(".gitconfig"))
            .env("PATH", std::env::join_paths(paths).expect("PATH"))
            .env("NO_COLOR", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("KEYGUARD_CONFIG")
            .env_remove("KEYGUARD_BIN");
    }

    /// A command run in `cwd` (relative to the repo) with the isolated environment.
    pub fn command_in(&self, program: impl AsRef<OsStr>, cwd: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.path().join(cwd));
        self.env(&mut cmd);
        cmd
    }

    pub fn git_in(&self, cwd: &str, args: &[&str]) -> Output {
        let out = self
            .command_in("git", cwd)
            .args(args)
            .output()
            .expect("run git");
        succeeded(args, out)
    }

    /// Runs git and asserts success.
    pub fn git(&self, args: &[&str]) -> Output {
        self.git_in(".", args)
    }

    /// Runs git and returns its output whatever the status.
    pub fn git_try(&self, args: &[&str]) -> Output {
        self.git_try_in(".", args)
    }

    /// Runs git in `cwd` (relative to the repo, or absolute) whatever the status.
    pub fn git_try_in(&self, cwd: &str, args: &[&str]) -> Output {
        self.command_in("git", cwd)
            .args(args)
            .output()
            .expect("run git")
    }

    /// Runs git with `input` on stdin (`git apply --cached`, `git add -p`) and asserts success.
    pub fn git_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = self
            .command_in("git", ".")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn git");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
        succeeded(args, child.wait_with_output().expect("wait for git"))
    }

    /// The commit HEAD points to, or `None` on an unborn branch.
    pub fn head(&self) -> Option<String> {
        let out = self.git_try(&["rev-parse", "-q", "--verify", "HEAD^{commit}"]);
        out.status
            .success()
            .then(|| stdout(&out).trim().to_string())
    }

    pub fn keyguard_in(&self, cwd: &str, args: &[&str]) -> Output {
        self.command_in(keyguard_bin(), cwd)
            .args(args)
            .output()
            .expect("run keyguard")
    }

    pub fn keyguard(&self, args: &[&str]) -> Output {
        self.keyguard_in(".", args)
    }

    /// Writes a file (creating parent directories).
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, content).expect("write file");
    }

    pub fn commit_all(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--no-verify", "-m", msg]);
    }
}

/// Runs `cmd` (a program with its arguments and environment) with `input` on standard
/// input and collects its output. The program may stop reading early (a size limit, an
/// error before reading): a broken pipe is fine.
pub fn run_with_stdin(mut cmd: Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().expect("wait")
}

/// `out` of `git ARGS`, which must have succeeded.
fn succeeded(args: &[&str], out: Output) -> Output {
    assert!(out.status.success(), "git {args:?} failed:\n{}", both(&out));
    out
}

/// Combined stdout and stderr (hooks' output reaches git's stderr).
pub fn both(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// The exit status of a finished process (-1 if killed by a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Parses `--format json` output.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{}\n{}", stdout(o), stderr(o)))
}

/// The rule ids of the findings in a JSON report.
pub fn finding_rules(o: &Output) -> Vec<String> {
    json(o)["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["rule_id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// (file, line, column, rule id) of every finding of a JSON report, in report order.
pub fn hits(v: &serde_json::Value) -> Vec<(String, u64, u64, String)> {
    v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().expect("file").to_string(),
                f["line"].as_u64().expect("line"),
                f["column"].as_u64().expect("column"),
                f["rule_id"].as_str().expect("rule_id").to_string(),
            )
        })
        .collect()
}

pub fn hit(file: &str, line: u64, column: u64, rule: &str) -> (String, u64, u64, String) {
    (file.to_string(), line, column, rule.to_string())
}

/// A counter of a JSON report's summary.
pub fn summary(v: &serde_json::Value, field: &str) -> u64 {
    v["summary"][field]
        .as_u64()
        .unwrap_or_else(|| panic!("summary.{field} in {v}"))
}
