//! keyguard on real code already on the machine, offline: the CPython standard library
//! with its test suite, and the sources of this project's own dependencies in the cargo
//! registry. Neither holds a live credential, so every blocking finding is either a
//! reviewed test fixture (listed below, with the reason) or a false alarm, and the test
//! asserts that the blocking findings are exactly the reviewed ones: a new false alarm
//! fails it, and so does a real test key that is no longer found.
//!
//! Nothing is copied: the tree is staged into a throw-away git directory
//! (`GIT_DIR=<tmp> GIT_WORK_TREE=<tree> git add -A`) and scanned with `--staged`.
//!
//! A tree that is missing is skipped with a message, unless `KEYGUARD_REQUIRE_REAL_CODE=1`
//! (CI), when a missing Python standard library is a failure.
//!
//! Subset, to keep the debug binary's run short and the result the same on every
//! machine: of the cargo registry, only the crates named in this repository's Cargo.lock
//! (the registry may hold other projects' crates, which change from one machine to the next).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::common::*;

/// A reviewed blocking finding: files matching `glob` (relative to the scanned tree) hold
/// exactly `count` findings of `rule`, each correct to block.
struct Reviewed {
    glob: &'static str,
    rule: &'static str,
    count: usize,
    reason: &'static str,
}

/// CPython 3.11's test suite ships real private keys for its TLS tests: correct to
/// block in a commit, so they must stay found. One finding per key: the content rule's,
/// naming the path rule `private-key-file` as also matched, except for encrypted keys,
/// whose content rule only warns, so the blocking path rule reports them.
const STDLIB_REVIEWED: &[Reviewed] = &[
    Reviewed {
        glob: "test/certdata/*.pem",
        rule: "private-key",
        count: 12,
        reason: "TLS test keys of the ssl test suite (badcert.pem holds two)",
    },
    Reviewed {
        glob: "test/certdata/*.passwd.pem",
        rule: "private-key-file",
        count: 2,
        reason:
            "passphrase-protected TLS test keys: the content rule only warns, the path rule blocks",
    },
];

/// This project's dependencies hold no credential, except ureq's (the HTTP client of
/// `--verify`) test data, reviewed: correct to block in a commit.
const REGISTRY_REVIEWED: &[Reviewed] = &[
    Reviewed {
        glob: "ureq-*/src/proxy.rs",
        rule: "url-basic-auth",
        count: 2,
        reason: "proxy URL parser tests with a human-chosen password (`p@ssw0rd`, \
                 `p%2540ss+word`): a password in a URL, as it would be in a commit",
    },
    Reviewed {
        glob: "ureq-*/src/unversioned/transport/testdata/key.pem",
        rule: "private-key",
        count: 1,
        reason: "the TLS test key of ureq's transport tests",
    },
];

fn required() -> bool {
    std::env::var_os("KEYGUARD_REQUIRE_REAL_CODE").is_some_and(|v| v == "1")
}

fn python_stdlib() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sysconfig;print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .ok()?;
    let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (out.status.success() && p.join("os.py").is_file()).then_some(p)
}

fn cargo_registry_src() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let src = home.join("registry").join("src");
    // One directory per registry (`index.crates.io-<hash>`); crates.io's is the one used.
    std::fs::read_dir(&src)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("index.crates.io-"))
        })
}

/// `name-version` of every package in Cargo.lock.
fn locked_crates() -> Vec<String> {
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
        .expect("Cargo.lock");
    let mut out = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("version = ") {
            if let Some(n) = name.take() {
                out.push(format!("{n}-{}", v.trim_matches('"')));
            }
        }
    }
    out
}

/// Stages `pathspecs` of `tree` into a temporary git directory and runs
/// `keyguard --staged --format json` on it. Returns the blocking findings as
/// (file, rule) and the number of seconds it took.
fn scan_tree(tree: &Path, pathspecs: &[String]) -> (Vec<(String, String)>, f64) {
    let env = Repo::bare_env();
    let git_dir = env.path().join("scan.git");
    let run = |program: &Path, args: &[&str]| {
        let mut cmd = env.command_in(program, ".");
        cmd.env("GIT_DIR", &git_dir)
            .env("GIT_WORK_TREE", tree)
            .args(args);
        cmd.output().expect("run")
    };
    let git = Path::new("git");
    let o = run(git, &["init", "-q"]);
    assert!(o.status.success(), "git init: {}", stderr(&o));
    std::fs::write(
        git_dir.join("info").join("exclude"),
        "site-packages/\n__pycache__/\n*.pyc\n",
    )
    .expect("exclude file");
    let mut add = vec!["add", "-A", "--"];
    add.extend(pathspecs.iter().map(String::as_str));
    let o = run(git, &add);
    assert!(o.status.success(), "git add: {}", stderr(&o));
    let started = Instant::now();
    let o = run(&keyguard_bin(), &["--staged", "--format", "json"]);
    let secs = started.elapsed().as_secs_f64();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "keyguard failed on {}: {}",
        tree.display(),
        stderr(&o)
    );
    let v = json(&o);
    let found = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "block" && f.get("allowed").is_none())
        .map(|f| {
            (
                f["file"].as_str().expect("file").to_string(),
                f["rule_id"].as_str().expect("rule").to_string(),
            )
        })
        .collect();
    (found, secs)
}

/// Every blocking finding matches a reviewed entry, and each entry is matched exactly
/// `count` times (the most specific entry, listed first, takes a finding).
fn assert_reviewed(what: &str, found: &[(String, String)], reviewed: &[Reviewed]) {
    let globs: Vec<globset::GlobMatcher> = reviewed
        .iter()
        .map(|r| {
            globset::GlobBuilder::new(r.glob)
                .literal_separator(true)
                .build()
                .expect("glob")
                .compile_matcher()
        })
        .collect();
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    let mut unexpected = Vec::new();
    for (file, rule) in found {
        // Entries are tried most specific first: a longer glob before a shorter one.
        let mut order: Vec<usize> = (0..reviewed.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(reviewed[i].glob.len()));
        match order
            .into_iter()
            .find(|&i| reviewed[i].rule == rule && globs[i].is_match(file))
        {
            Some(i) => *counts.entry(i).or_default() += 1,
            None => unexpected.push(format!("{file}: {rule}")),
        }
    }
    let mut wrong_counts = Vec::new();
    for (i, r) in reviewed.iter().enumerate() {
        let n = counts.get(&i).copied().unwrap_or(0);
        if n != r.count {
            wrong_counts.push(format!(
                "{} {}: {n} findings, reviewed {} ({})",
                r.glob, r.rule, r.count, r.reason
            ));
        }
    }
    assert!(
        unexpected.is_empty() && wrong_counts.is_empty(),
        "{what}: blocking findings differ from the reviewed list\nnot reviewed (false alarms?):\n  {}\nreviewed entries with another count (a real key lost, or a new one):\n  {}",
        unexpected.join("\n  "),
        wrong_counts.join("\n  ")
    );
}

#[test]
fn python_stdlib_blocks_only_its_reviewed_test_keys() {
    let Some(stdlib) = python_stdlib() else {
        assert!(
            !required(),
            "KEYGUARD_REQUIRE_REAL_CODE=1 but no Python standard library was found (python3 -c 'import sysconfig; ...')"
        );
        eprintln!("skipped: no Python standard library (python3) on this machine");
        return;
    };
    let (found, secs) = scan_tree(&stdlib, &[".".to_string()]);
    eprintln!(
        "python stdlib {}: {} blocking findings in {secs:.1} s",
        stdlib.display(),
        found.len()
    );
    assert_reviewed("python stdlib", &found, STDLIB_REVIEWED);
}

#[test]
fn cargo_registry_dependencies_block_nothing_unreviewed() {
    let Some(registry) = cargo_registry_src() else {
        eprintln!("skipped: no cargo registry sources on this machine");
        return;
    };
    let crates: Vec<String> = locked_crates()
        .into_iter()
        .filter(|c| registry.join(c).is_dir())
        .collect();
    if crates.is_empty() {
        eprintln!(
            "skipped: none of Cargo.lock's crates is in {}",
            registry.display()
        );
        return;
    }
    let (found, secs) = scan_tree(&registry, &crates);
    eprintln!(
        "cargo registry ({} crates of Cargo.lock): {} blocking findings in {secs:.1} s",
        crates.len(),
        found.len()
    );
    assert_reviewed("cargo registry", &found, REGISTRY_REVIEWED);
}
