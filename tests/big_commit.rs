//! Big staged files (issue 13): a rule's regex runs only on windows around its keyword hits
//! when that provably finds the same matches. These tests stage files far over the size
//! from which windows are used, full of keyword hits and hard negatives, with keys at the
//! edges windows have (first byte, last byte without a newline, inside a very long line,
//! CRLF lines), and check the real binary reports exactly what whole-text matching does
//! (`KEYGUARD_BENCH_WHOLE_TEXT=1`, the benchmarks' switch back to the old path).

use std::process::Output;

use keyguard::matcher::template::{expand, Rng};

use crate::common::*;

/// Hard negatives in the benchmark's mix, with keywords of many rules inside random runs.
fn hard_negatives(rng: &mut Rng, bytes: usize) -> String {
    let mut out = String::new();
    while out.len() < bytes {
        let line = match rng.below(7) {
            0 => expand("cache_key = \"{{hex:64}}\"", rng),
            1 => expand("  \"integrity\": \"sha512-{{b64:86}}==\",", rng),
            2 => expand(
                "id: {{hex:8}}-{{hex:4}}-{{hex:4}}-{{hex:4}}-{{hex:12}}",
                rng,
            ),
            3 => expand("{{b64:30}}ghp_{{b64:20}}AKIA{{b64:12}}xoxb-{{b64:20}}", rng),
            4 => expand("<img src=\"data:image/png;base64,{{b64:120}}\">", rng),
            5 => expand("sha256:{{hex:64}}  image token key secret", rng),
            _ => Ok(format!(
                "let value_{} = compute({});",
                rng.below(999),
                rng.below(99)
            )),
        };
        out.push_str(&line.expect("template"));
        out.push('\n');
    }
    out
}

/// `keyguard --staged --format json` in `repo`, windowed (the default) or whole-text.
fn scan(repo: &Repo, whole_text: bool) -> Output {
    let mut cmd = repo.command_in(keyguard_bin(), ".");
    cmd.args(["--staged", "--format", "json"]);
    if whole_text {
        cmd.env("KEYGUARD_BENCH_WHOLE_TEXT", "1");
    }
    cmd.output().expect("run keyguard")
}

#[test]
fn keys_at_the_edges_of_big_files_are_found_as_by_whole_text_matching() {
    let repo = Repo::new();
    repo.write("README.md", "big\n");
    repo.commit_all("init");
    let mut rng = Rng::new(2026);
    let (pat, openai, aws, anthropic) = (
        github_pat(),
        openai_project_key(),
        aws_key_id(),
        anthropic_key(),
    );
    // The very first bytes of the file, then 200 KB of noise.
    repo.write(
        "data/first.txt",
        format!("{pat}\n{}", hard_negatives(&mut rng, 200_000)),
    );
    // The very last bytes, with no final newline.
    repo.write(
        "data/last.txt",
        format!(
            "{}OPENAI_API_KEY={openai}",
            hard_negatives(&mut rng, 200_000)
        ),
    );
    // Inside a 60 KB line of base64 and keywords (spaces keep the key a token).
    let long: String = hard_negatives(&mut rng, 30_000).replace('\n', " ");
    repo.write(
        "data/long.txt",
        format!(
            "{}{long} aws_access_key_id = {aws} {long}\n{}",
            hard_negatives(&mut rng, 50_000),
            hard_negatives(&mut rng, 50_000)
        ),
    );
    // CRLF lines, the key in the middle.
    let crlf = format!(
        "{}ANTHROPIC_API_KEY=\"{anthropic}\"\n{}",
        hard_negatives(&mut rng, 100_000),
        hard_negatives(&mut rng, 100_000)
    )
    .replace('\n', "\r\n");
    repo.write("data/crlf.txt", crlf);
    repo.git(&["add", "-A"]);

    let windowed = scan(&repo, false);
    let whole = scan(&repo, true);
    assert_eq!(code(&windowed), 1, "{}", both(&windowed));
    let found = hits(&json(&windowed));
    assert_eq!(found, hits(&json(&whole)), "windowed and whole-text differ");
    let rules: Vec<&str> = found.iter().map(|h| h.3.as_str()).collect();
    for (file, rule) in [
        ("data/first.txt", "github-pat"),
        ("data/last.txt", "openai-project-key"),
        ("data/long.txt", "aws-access-key-id"),
        ("data/crlf.txt", "anthropic-api-key"),
    ] {
        assert!(
            found.iter().any(|h| h.0 == file && h.3 == rule),
            "{rule} not found in {file}: {rules:?}"
        );
    }
    assert!(
        found.contains(&hit("data/first.txt", 1, 1, "github-pat")),
        "the first key is at line 1, column 1: {found:?}"
    );
    for secret in [&pat, &openai, &aws, &anthropic] {
        assert_no_secret(&windowed, secret);
    }
}

#[test]
fn big_files_of_hard_negatives_stay_clean_either_way() {
    let repo = Repo::new();
    repo.write("README.md", "big\n");
    repo.commit_all("init");
    let mut rng = Rng::new(7);
    for i in 0..4 {
        repo.write(
            &format!("data/blob{i}.txt"),
            hard_negatives(&mut rng, 300_000),
        );
    }
    repo.git(&["add", "-A"]);
    let windowed = scan(&repo, false);
    let whole = scan(&repo, true);
    assert_eq!(hits(&json(&windowed)), hits(&json(&whole)));
    assert_eq!(code(&windowed), 0, "{}", both(&windowed));
}
