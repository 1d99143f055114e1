//! `--verify` end to end: the real binary asks a real local HTTP server (started here,
//! answering like each provider) whether each key works, and reports it in every format.
//! Debug builds of keyguard send checks to `KEYGUARD_VERIFY_TEST_SERVER` (loopback only);
//! release builds have no such override (unit test in `src/verify/mod.rs`).
#![cfg(debug_assertions)]

use std::path::Path;
use std::process::Output;

use crate::common::provider_server::{Behavior, Server};
use crate::common::*;
use keyguard::matcher::template::{expand, Rng};
use serde_json::Value;

fn run(r: &Repo, server: &Server, args: &[&str]) -> Output {
    r.command_in(keyguard_bin(), ".")
        .env("KEYGUARD_VERIFY_TEST_SERVER", &server.addr)
        .args(args)
        .output()
        .expect("run keyguard")
}

/// The verification of the finding whose `file` is `file` (the first one there).
fn verification<'a>(v: &'a Value, file: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == file)
        .unwrap_or_else(|| panic!("no finding in {file}: {v:#}"))
        .get("verification")
        .unwrap_or_else(|| panic!("no verification for {file}: {v:#}"))
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    let text = text.replace(stray, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

struct Keys {
    openai: String,
    github: String,
    anthropic: String,
    slack: String,
    hf: String,
    stripe: String,
    aws_id: String,
    aws_secret: String,
    linear: String,
}

/// A repository with one staged file per behaviour, and the server set up for each key.
fn staged_repo(server: &Server) -> (Repo, Keys) {
    let k = Keys {
        openai: openai_project_key(),
        github: github_pat(),
        anthropic: anthropic_key(),
        slack: key("xoxb-{{digits:12}}-{{digits:13}}-{{b62:24}}"),
        hf: key("hf_{{alpha:34}}"),
        stripe: key("sk_live_{{b62:24}}"),
        aws_id: aws_key_id(),
        aws_secret: key("{{b64:40}}"),
        linear: key("lin_api_{{b62:40}}"),
    };
    server.set(&k.openai, Behavior::Live);
    server.set(&k.github, Behavior::Revoked);
    server.set(&k.anthropic, Behavior::RateLimited);
    server.set(&k.slack, Behavior::Slow);
    server.set(&k.hf, Behavior::Garbage);
    server.set(&k.stripe, Behavior::Html);
    server.set(&k.aws_id, Behavior::Live);
    let r = Repo::new();
    r.write("live.py", format!("OPENAI_API_KEY = \"{}\"\n", k.openai));
    r.write("revoked.py", format!("token = \"{}\"\n", k.github));
    r.write(
        "ratelimited.py",
        format!("ANTHROPIC_API_KEY = \"{}\"\n", k.anthropic),
    );
    r.write("slow.env.txt", format!("SLACK_BOT_TOKEN={}\n", k.slack));
    r.write("garbage.sh", format!("export HF_TOKEN={}\n", k.hf));
    r.write("html.rb", format!("STRIPE_SECRET_KEY={}\n", k.stripe));
    r.write(
        "aws/credentials.ini",
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            k.aws_id, k.aws_secret
        ),
    );
    r.write("unsupported.js", format!("const k = '{}';\n", k.linear));
    r.git(&["add", "-A"]);
    (r, k)
}

#[test]
fn each_answer_is_reported_in_every_format() {
    let server = Server::start();
    let (r, k) = staged_repo(&server);
    let out = run(
        &r,
        &server,
        &["--verify", "--verify-timeout", "1", "--format", "json"],
    );
    // A live key does not change the rule: every finding blocks, whatever its provider says.
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    let live = verification(&v, "live.py");
    assert_eq!(live["status"], "live", "{live}");
    assert_eq!(live["provider"], "OpenAI");
    assert_eq!(live["identity"]["organization"], "org-test");
    let revoked = verification(&v, "revoked.py");
    assert_eq!(revoked["status"], "invalid", "{revoked}");
    assert_eq!(revoked["detail"], "HTTP 401");
    let limited = verification(&v, "ratelimited.py");
    assert_eq!(limited["status"], "unknown", "{limited}");
    assert!(limited["detail"].as_str().unwrap().contains("429"));
    let slow = verification(&v, "slow.env.txt");
    assert_eq!(slow["status"], "unknown", "{slow}");
    assert!(
        slow["detail"].as_str().unwrap().contains("timeout"),
        "{slow}"
    );
    let garbage = verification(&v, "garbage.sh");
    assert_eq!(garbage["status"], "unknown", "{garbage}");
    let html = verification(&v, "html.rb");
    assert_eq!(html["status"], "unknown", "{html}");
    assert!(
        html["detail"].as_str().unwrap().contains("not JSON"),
        "{html}"
    );
    assert_eq!(verification(&v, "unsupported.js")["status"], "unsupported");
    // AWS: the id and the secret on the next line are checked together, signed with SigV4.
    for f in v["findings"].as_array().unwrap() {
        if f["file"] == "aws/credentials.ini" {
            let a = &f["verification"];
            assert_eq!(a["status"], "live", "{f}");
            assert_eq!(a["identity"]["arn"], "arn:aws:iam::123456789012:user/ci");
            assert_eq!(a["identity"]["account"], "123456789012");
        }
    }
    let aws = server
        .seen()
        .into_iter()
        .find(|s| s.host == "sts.amazonaws.com")
        .expect("STS was asked");
    assert_eq!(aws.method, "POST");
    let auth = &aws
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .unwrap()
        .1;
    assert!(
        auth.contains(
            "/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="
        ),
        "{auth}"
    );
    assert!(!auth.contains(&k.aws_secret), "the secret is never sent");
    // Each key was sent only to its own provider's host, the way that provider reads it.
    for s in server.seen() {
        let cred = s.credential.clone().unwrap_or_default();
        let want = match s.host.as_str() {
            "api.openai.com" => &k.openai,
            "api.github.com" => &k.github,
            "api.anthropic.com" => &k.anthropic,
            "slack.com" => &k.slack,
            "huggingface.co" => &k.hf,
            "api.stripe.com" => &k.stripe,
            "sts.amazonaws.com" => &k.aws_id,
            other => panic!("unexpected host {other}"),
        };
        assert_eq!(&cred, want, "{}", s.host);
    }
    let summary = &v["summary"]["verification"];
    assert_eq!(summary["live"], 3, "{summary}"); // openai, the AWS id and its secret
    assert_eq!(summary["invalid"], 1);
    assert_eq!(summary["unknown"], 4);
    assert_eq!(summary["unsupported"], 1);
    assert_eq!(
        summary["requests"], 7,
        "one request per key (the AWS pair is one)"
    );
    assert_eq!(summary["timeout_ms"], 1000);
    assert!(
        summary["elapsed_ms"].as_u64().unwrap() < 2900,
        "parallel: {summary}"
    );
    for secret in [
        &k.openai,
        &k.github,
        &k.anthropic,
        &k.slack,
        &k.hf,
        &k.stripe,
        &k.aws_secret,
        &k.linear,
    ] {
        assert_no_secret(&out, secret);
    }

    // Human.
    let out = run(&r, &server, &["--verify", "--verify-timeout", "1"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.contains("verified     live (OpenAI): organization: org-test"),
        "{text}"
    );
    assert!(
        text.contains("verified     revoked/invalid (GitHub): HTTP 401"),
        "{text}"
    );
    assert!(
        text.contains("verified     unknown (Anthropic): rate limited (HTTP 429)"),
        "{text}"
    );
    assert!(
        text.contains("verified     unknown (Slack): timeout after 1.0 s"),
        "{text}"
    );
    assert!(
        text.contains("verified     unsupported: no read-only check"),
        "{text}"
    );
    assert!(
        text.contains("arn: arn:aws:iam::123456789012:user/ci"),
        "{text}"
    );
    assert!(
        text.contains("keyguard: verification: asked the providers about 7 keys in "),
        "{text}"
    );
    assert!(
        text.contains(
            "(3 live, 1 revoked/invalid, 4 unknown, 1 unsupported; timeout 1.0 s per request)"
        ),
        "{text}"
    );

    // SARIF: valid, with the result in each result's properties and message.
    let out = run(
        &r,
        &server,
        &["--verify", "--verify-timeout", "1", "--format", "sarif"],
    );
    assert_eq!(code(&out), 1);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let validator = sarif_validator();
    assert!(validator.is_valid(&doc), "{doc:#}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let by_file = |file: &str| {
        results
            .iter()
            .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == file)
            .unwrap_or_else(|| panic!("{file}"))
    };
    assert_eq!(
        by_file("live.py")["properties"]["verification"]["status"],
        "live"
    );
    assert!(by_file("live.py")["message"]["text"]
        .as_str()
        .unwrap()
        .contains("[verified: live (OpenAI)"));
    assert_eq!(
        by_file("revoked.py")["properties"]["verification"]["status"],
        "invalid"
    );
    assert_eq!(
        by_file("garbage.sh")["properties"]["verification"]["status"],
        "unknown"
    );
    assert_eq!(doc["runs"][0]["properties"]["verification"]["invalid"], 1);
}

#[test]
fn without_verify_there_is_no_network_call() {
    let server = Server::start();
    let (r, _) = staged_repo(&server);
    let quiet = |args: &[&str], expect: &[i32]| {
        let out = run(&r, &server, args);
        assert!(expect.contains(&code(&out)), "{args:?}: {}", stderr(&out));
        assert!(
            !stdout(&out).contains("verif"),
            "{args:?}: {}",
            stdout(&out)
        );
    };
    quiet(&["--format", "json"], &[1]);
    quiet(&["--verify", "--offline"], &[1, 2]);
    let out = run(&r, &server, &["--format", "json"]);
    assert!(json(&out)["summary"].get("verification").is_none());
    // History too: the keys committed, then scanned (they are found, and nobody is asked).
    r.commit_all("keys");
    quiet(&["scan", "--all"], &[1]);
    quiet(&["scan", "--all", "--format", "sarif"], &[1]);
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

#[test]
fn only_the_users_own_config_enables_verification() {
    let server = Server::start();
    let (r, _) = staged_repo(&server);
    // A repository's .keyguard.toml cannot switch it on ...
    r.write(".keyguard.toml", "[verify]\nenabled = true\n");
    let out = run(&r, &server, &[]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains("verify"), "{}", stderr(&out));
    // ... nor make a rule of its own send what it matches to a provider.
    r.write(
        ".keyguard.toml",
        "[[rules]]\nid = \"acme\"\ndescription = \"Acme\"\nregex = 'acme_[a-z0-9]{32}'\nkeywords = [\"acme_\"]\nverify = \"openai\"\n",
    );
    let out = run(&r, &server, &["--verify"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("rules[acme].verify"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("built-in rules only"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_file(r.path().join(".keyguard.toml")).unwrap();
    assert!(server.seen().is_empty());

    // The user's config does, and --offline overrides it.
    let dir = r.home.path().join(".config/keyguard");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[verify]\nenabled = true\ntimeout = 1\n",
    )
    .unwrap();
    let out = run(&r, &server, &["--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["summary"]["verification"]["timeout_ms"], 1000);
    assert_eq!(verification(&v, "live.py")["status"], "live");
    server.clear();
    let out = run(&r, &server, &["--offline"]);
    assert_eq!(code(&out), 1);
    assert!(server.seen().is_empty());
    // A mistake in it is an error naming the file.
    std::fs::write(dir.join("config.toml"), "[verify]\nenabeld = true\n").unwrap();
    let out = run(&r, &server, &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("config.toml"), "{}", stderr(&out));
}

#[test]
fn history_and_push_verify_each_key_once() {
    let server = Server::start();
    let r = Repo::new();
    let pat = github_pat();
    r.write("a.py", format!("t = '{pat}'\n"));
    r.commit_all("one");
    r.write("b.py", format!("again = '{pat}'\n"));
    r.commit_all("two");
    let out = run(
        &r,
        &server,
        &["scan", "--all", "--verify", "--format", "json"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["findings"].as_array().unwrap().len(), 2);
    assert_eq!(verification(&v, "b.py")["identity"]["account"], "octo-test");
    assert_eq!(verification(&v, "b.py")["identity"]["scopes"], "repo, gist");
    assert_eq!(v["summary"]["verification"]["requests"], 1);
    assert_eq!(server.seen().len(), 1, "cached per fingerprint for the run");

    // pre-push --verify, as the hook would run it with git's input on stdin.
    let head = r.head().unwrap();
    let input = format!(
        "refs/heads/main {head} refs/heads/main {}\n",
        "0".repeat(40)
    );
    let mut cmd = r.command_in(keyguard_bin(), ".");
    cmd.env("KEYGUARD_VERIFY_TEST_SERVER", &server.addr).args([
        "pre-push", "origin", "/nowhere", "--verify", "--format", "json",
    ]);
    let out = run_with_stdin(cmd, input.as_bytes());
    assert_eq!(code(&out), 1);
    assert_eq!(verification(&json(&out), "a.py")["status"], "live");
}

/// Every built-in rule that names a provider, from its own example: the key reaches
/// that provider's host the way the provider reads it, and live and revoked answers are
/// read as such.
#[test]
fn every_provider_live_and_revoked() {
    let server = Server::start();
    let r = Repo::new();
    let mut texts = Vec::new();
    let mut rng = Rng::new(7);
    let rules = keyguard::matcher::builtin().unwrap();
    for rule in rules.iter().filter(|r| r.verify.is_some()) {
        let text = expand(&rule.examples[0], &mut rng).unwrap();
        r.write(&format!("ex/{}.txt", rule.id), format!("{text}\n"));
        texts.push((rule.id.clone(), text));
    }
    r.git(&["add", "-A"]);
    for (mode, want) in [(Behavior::Live, "live"), (Behavior::Revoked, "invalid")] {
        server.set_default(mode);
        server.clear();
        let out = run(&r, &server, &["--verify", "--format", "json"]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let v = json(&out);
        for (id, _) in &texts {
            let file = format!("ex/{id}.txt");
            let f = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["file"] == file.as_str() && f["rule_id"] == id.as_str())
                .unwrap_or_else(|| panic!("{id} not reported from its example: {v:#}"));
            let status = &f["verification"]["status"];
            if matches!(id.as_str(), "aws-access-key-id" | "aws-secret-access-key") {
                // Alone in its file: the other half of the pair is missing.
                assert_eq!(status, "unsupported", "{id}: {f}");
            } else {
                assert_eq!(status, want, "{id}: {f}");
            }
        }
        for s in server.seen() {
            let cred = s.credential.clone().unwrap_or_default();
            assert!(
                cred.len() >= 16 && texts.iter().any(|(_, t)| t.contains(&cred)),
                "{} got no key of ours where it reads one: {s:?}",
                s.host
            );
        }
    }
    let hosts: std::collections::BTreeSet<String> =
        server.seen().into_iter().map(|s| s.host).collect();
    assert!(hosts.len() >= 25, "{hosts:?}");
}
