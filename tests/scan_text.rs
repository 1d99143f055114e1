//! `keyguard scan --path PATH…` and `keyguard scan -`: text outside git's history, with
//! the same rules, masking, formats and exit codes as every other scan. Real folders,
//! real repositories (for .gitignore), the real binary; keys made at test time.

use std::process::Output;

use crate::common::*;

/// Runs keyguard in the repo's folder with `input` on standard input.
fn keyguard_stdin(r: &Repo, args: &[&str], input: &[u8]) -> Output {
    let mut cmd = r.command_in(keyguard_bin(), ".");
    cmd.args(args);
    run_with_stdin(cmd, input)
}

fn files_of(v: &serde_json::Value) -> Vec<String> {
    hits(v).into_iter().map(|h| h.0).collect()
}

#[test]
fn a_folder_outside_any_repository_is_scanned_with_every_format() {
    let r = Repo::bare_env();
    let key = github_pat();
    r.write(
        "proj/src/app.py",
        format!("import os\n\nTOKEN = \"{key}\"\n"),
    );
    r.write("proj/README.md", "nothing here\n");
    r.write(
        "proj/.env.local",
        format!("OPENAI_API_KEY={}\n", openai_project_key()),
    );

    let out = r.keyguard(&["scan", "--path", "proj"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_no_secret(&out, &key);
    let text = stdout(&out);
    assert!(text.contains("proj/src/app.py:3:10"), "{text}");
    assert!(text.contains("in the files scanned: found"), "{text}");
    assert!(text.contains("Take it out of the text."), "{text}");
    assert!(!text.contains("--no-verify"), "no commit to skip: {text}");

    let out = r.keyguard(&["scan", "--path", "proj", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_no_secret(&out, &key);
    let v = json(&out);
    // Hidden files are scanned: a .env is exactly what this is for.
    assert_eq!(files_of(&v), vec!["proj/.env.local", "proj/src/app.py"]);
    assert_eq!(v["summary"]["scan"], "paths");
    assert_eq!(summary(&v, "files"), 3);
    assert_eq!(summary(&v, "lines"), 5);
    assert!(v["findings"][1]["commit"].is_null());

    let out = r.keyguard(&["scan", "--path", "proj/src/app.py", "--format", "sarif"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_no_secret(&out, &key);
    let sarif = json(&out);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{sarif}");
    assert_eq!(results[0]["ruleId"], "github-pat");

    // A clean file exits 0 and says what it read.
    let out = r.keyguard(&["scan", "--path", "proj/README.md"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        stdout(&out).contains("no secrets in the files scanned (1 line in 1 file)"),
        "{}",
        both(&out)
    );
}

#[test]
fn gitignore_is_honoured_in_a_repository_unless_no_ignore() {
    let r = Repo::new();
    let (ignored, tracked, dot_git) = (github_pat(), github_pat(), github_pat());
    r.write(".gitignore", "secrets/\n*.log\n");
    r.write("src/app.py", format!("T = \"{tracked}\"\n"));
    r.write("secrets/prod.py", format!("T = \"{ignored}\"\n"));
    r.write("build.log", format!("token {ignored}\n"));
    r.write("sub/trace.log", format!("token {ignored}\n"));
    r.write("sub/ok.py", "x = 1\n");
    r.commit_all("init");
    // Never a .git folder, even with --no-ignore: history is `keyguard scan`'s job.
    r.write(".git/keyguard-test-note", format!("T = \"{dot_git}\"\n"));
    let status = stdout(&r.git(&["status", "--porcelain", "--ignored"]));

    let out = r.keyguard_in("src", &["scan", "--path", "..", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(files_of(&json(&out)), vec!["../src/app.py"]);

    // A folder below the root still honours the root's .gitignore; a folder named on
    // the command line is scanned, ignored or not.
    let out = r.keyguard(&["scan", "--path", "sub", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(summary(&json(&out), "files"), 1);
    let out = r.keyguard(&["scan", "--path", "secrets", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));

    let out = r.keyguard(&["scan", "--path", ".", "--no-ignore", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(
        files_of(&json(&out)),
        vec![
            "build.log",
            "secrets/prod.py",
            "src/app.py",
            "sub/trace.log"
        ]
    );
    for k in [&ignored, &tracked, &dot_git] {
        assert_no_secret(&out, k);
    }

    // A file named on the command line is scanned even when ignored.
    let out = r.keyguard(&["scan", "--path", "build.log", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(files_of(&json(&out)), vec!["build.log"]);

    // Scanning changed nothing git can see.
    assert_eq!(
        stdout(&r.git(&["status", "--porcelain", "--ignored"])),
        status
    );
}

#[test]
fn binary_files_and_archives_are_skipped_and_counted() {
    let r = Repo::bare_env();
    let key = github_pat();
    let mut binary = b"\x00\x01header".to_vec();
    binary.extend_from_slice(format!("\nT = \"{key}\"\n").as_bytes());
    r.write("d/blob.bin", &binary);
    // A gzip header, then text: an archive by its magic bytes, whatever its name.
    let mut gz = b"\x1f\x8b\x08\x00".to_vec();
    gz.extend_from_slice(format!("T = \"{key}\"\n").as_bytes());
    r.write("d/notes.txt", &gz);
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend_from_slice(format!("T = \"{key}\"\n").as_bytes());
    r.write("d/app.jar", &zip);
    r.write("d/plain.txt", "hello\n");

    let out = r.keyguard(&["scan", "--path", "d", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let v = json(&out);
    assert_eq!(summary(&v, "binary_skipped"), 1, "{v}");
    assert_eq!(summary(&v, "archives_skipped"), 2, "{v}");
    assert_eq!(summary(&v, "files"), 1, "{v}");

    let out = r.keyguard(&["scan", "--path", "d"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        stdout(&out).contains("skipped 1 binary file and 2 archives"),
        "{}",
        both(&out)
    );

    // Path rules still see a skipped file: a keystore on disk is reported.
    r.write("d/keys/server.p12", b"\x30\x82\x00\x00binary keystore");
    let out = r.keyguard(&["scan", "--path", "d", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(
        finding_rules(&out),
        vec!["keystore-file".to_string()],
        "{}",
        both(&out)
    );
}

#[test]
fn standard_input_is_scanned_like_a_file() {
    let r = Repo::bare_env();
    let key = github_pat();
    let log = format!("step 1 ok\nexport GITHUB_TOKEN={key}\nstep 2 ok\n");

    let out = keyguard_stdin(&r, &["scan", "-"], log.as_bytes());
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_no_secret(&out, &key);
    assert!(stdout(&out).contains("<stdin>:2:"), "{}", both(&out));
    assert!(stdout(&out).contains("in standard input"), "{}", both(&out));

    let out = keyguard_stdin(&r, &["scan", "-", "--format", "json"], log.as_bytes());
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_no_secret(&out, &key);
    let v = json(&out);
    assert_eq!(hits(&v), vec![hit("<stdin>", 2, 21, "github-pat")]);
    assert_eq!(v["summary"]["scan"], "stdin");
    assert_eq!(summary(&v, "lines"), 3);

    let out = keyguard_stdin(&r, &["scan", "-", "--format", "sarif"], log.as_bytes());
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_no_secret(&out, &key);
    assert_eq!(json(&out)["runs"][0]["results"][0]["ruleId"], "github-pat");

    // Clean input, empty input.
    let out = keyguard_stdin(&r, &["scan", "-"], b"all good\n");
    assert_eq!(code(&out), 0, "{}", both(&out));
    let out = keyguard_stdin(&r, &["scan", "-", "-q"], b"");
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(stdout(&out), "");

    // Binary input is skipped and counted, never read as text.
    let mut bin = b"\x00".to_vec();
    bin.extend_from_slice(log.as_bytes());
    let out = keyguard_stdin(&r, &["scan", "-", "--format", "json"], &bin);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(summary(&json(&out), "binary_skipped"), 1);
}

#[test]
fn allow_markers_baseline_and_size_limit_work_as_for_commits() {
    let r = Repo::bare_env();
    let (allowed, accepted) = (github_pat(), github_pat());
    r.write(
        "a.py",
        format!("A = \"{allowed}\"  # keyguard:allow\nB = \"{accepted}\"\n"),
    );
    let out = r.keyguard(&["scan", "--path", "a.py", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let v = json(&out);
    assert_eq!(summary(&v, "allowed_inline"), 1);
    let fp = v["findings"][0]["fingerprint"]
        .as_str()
        .expect("fingerprint")
        .to_string();
    r.write("baseline.txt", format!("{fp}\n"));
    let out = r.keyguard(&[
        "scan",
        "--path",
        "a.py",
        "--baseline",
        "baseline.txt",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(summary(&json(&out), "allowed_baseline"), 1);

    // Over the size limit: reported as not scanned, on disk and on stdin alike.
    let big = format!("{}\nT = \"{accepted}\"\n", "x".repeat(4096));
    r.write("big.txt", &big);
    let out = r.keyguard(&["scan", "--path", "big.txt", "--max-file-size", "1KiB"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        stdout(&out).contains("big.txt was NOT scanned"),
        "{}",
        both(&out)
    );
    let out = keyguard_stdin(
        &r,
        &["scan", "-", "--max-file-size", "1KiB", "--format", "json"],
        big.as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", both(&out));
    let v = json(&out);
    assert_eq!(v["summary"]["oversized"][0]["path"], "<stdin>");
    assert_eq!(
        v["summary"]["oversized"][0]["size"].as_u64(),
        Some(big.len() as u64)
    );
}

#[cfg(unix)]
#[test]
fn symlinks_inside_a_folder_are_not_followed() {
    let r = Repo::bare_env();
    let key = github_pat();
    r.write("outside/key.py", format!("T = \"{key}\"\n"));
    r.write("d/ok.py", "x = 1\n");
    std::os::unix::fs::symlink(r.path().join("outside/key.py"), r.path().join("d/link.py"))
        .expect("symlink");
    std::os::unix::fs::symlink(r.path().join("outside"), r.path().join("d/dir")).expect("symlink");
    let out = r.keyguard(&["scan", "--path", "d", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(summary(&json(&out), "files"), 1);
}

#[test]
fn bad_input_is_a_clear_error() {
    let r = Repo::bare_env();
    let out = r.keyguard(&["scan", "--path", "no/such/dir"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(
        stderr(&out).contains("cannot scan no/such/dir: no such file or folder"),
        "{}",
        both(&out)
    );
    for args in [
        &["scan", "--no-ignore"][..],
        &["scan", "--path", "x", "--all"],
        &["scan", "HEAD", "--path", "x"],
        &["scan", "--path"],
    ] {
        let out = r.keyguard(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", both(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", both(&out));
    }
}
