//! `keyguard inventory` and `keyguard redact`: real repositories with a bare "remote",
//! keys (made at test time) pushed, local, removed at HEAD, on a tagged branch, only
//! staged and untracked; the inventory's entries, order, refs, places, formats, exit
//! codes, and the purge plan run through the real git filter-repo when it is installed.

use std::process::Output;

use crate::common::*;
use serde_json::Value;

/// The scenario's repository and its keys.
struct World {
    r: Repo,
    /// In app.py, conf/settings.yaml and config.json on main; pushed.
    pushed: String,
    /// Added then removed on main; both pushed.
    removed: String,
    /// At HEAD on main, committed after the push: local only.
    local: String,
    /// On branch `feature` (tag v1) only.
    feature: String,
    /// Staged, never committed.
    staged: String,
    /// In an untracked file.
    untracked: String,
    /// In a git-ignored file: never listed.
    ignored: String,
    /// Commit ids: the pushed key's commit, the local key's commit.
    pushed_commit: String,
    local_commit: String,
}

fn head(r: &Repo) -> String {
    stdout(&r.git(&["rev-parse", "HEAD"])).trim().to_string()
}

fn world() -> World {
    let r = Repo::new();
    let remote = r.home.path().join("remote.git");
    r.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    r.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    let (pushed, removed, local) = (openai_project_key(), github_pat(), aws_key_id());
    let (feature, staged, untracked, ignored) = (
        anthropic_key(),
        openai_project_key(),
        github_pat(),
        github_pat(),
    );
    r.write(".gitignore", "*.log\n");
    r.write(
        "app.py",
        format!("import os\n\nOPENAI_API_KEY = \"{pushed}\"\n"),
    );
    r.write(
        "conf/settings.yaml",
        format!("openai:\n  model: gpt\n  api_key: {pushed}\n"),
    );
    r.write(
        "config.json",
        format!("{{\n  \"token\": \"{pushed}\"\n}}\n"),
    );
    r.commit_all("add the OpenAI key");
    let pushed_commit = head(&r);
    r.write("old.env", format!("GITHUB_TOKEN={removed}\n"));
    r.commit_all("add a token");
    r.git(&["rm", "-q", "old.env"]);
    r.git(&["commit", "-q", "--no-verify", "-m", "remove the token"]);
    r.git(&["push", "-q", "origin", "main"]);
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("feature.py", format!("ANTHROPIC_API_KEY = \"{feature}\"\n"));
    r.commit_all("feature work");
    r.git(&["tag", "-a", "-m", "release", "v1"]);
    r.git(&["checkout", "-q", "main"]);
    r.write(
        "creds.ini",
        format!("[default]\naws_access_key_id = {local}\n"),
    );
    r.commit_all("local credentials");
    let local_commit = head(&r);
    r.write("staged.py", format!("KEY = \"{staged}\"\n"));
    r.git(&["add", "staged.py"]);
    r.write("notes.txt", format!("token: {untracked}\n"));
    r.write("debug.log", format!("token: {ignored}\n"));
    World {
        r,
        pushed,
        removed,
        local,
        feature,
        staged,
        untracked,
        ignored,
        pushed_commit,
        local_commit,
    }
}

impl World {
    fn keys(&self) -> [&str; 7] {
        [
            &self.pushed,
            &self.removed,
            &self.local,
            &self.feature,
            &self.staged,
            &self.untracked,
            &self.ignored,
        ]
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.r.keyguard(args);
        for k in self.keys() {
            assert_no_secret(&out, k);
        }
        out
    }
}

/// The one entry of `v` (a JSON inventory) that `pred` accepts.
fn entry(v: &Value, pred: impl Fn(&Value) -> bool) -> &Value {
    let keys = v["keys"].as_array().expect("keys");
    let found: Vec<&Value> = keys.iter().filter(|k| pred(k)).collect();
    assert_eq!(found.len(), 1, "one matching entry in {v:#}");
    found[0]
}

fn has_place(k: &Value, path: &str) -> bool {
    k["places"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["path"] == path)
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn one_entry_per_key_in_rotation_order_with_refs_and_places() {
    let w = world();
    let out = w.run(&["inventory", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let v = json(&out);
    let keys = v["keys"].as_array().unwrap();
    // Pushed, removed, local, feature, staged: one entry each (the pushed key is in 3 files).
    assert_eq!(keys.len(), 5, "{v:#}");
    let urgencies: Vec<&str> = keys
        .iter()
        .map(|k| k["urgency"].as_str().unwrap())
        .collect();
    assert_eq!(
        urgencies,
        ["pushed", "pushed", "at-head", "history-only", "uncommitted"]
    );

    let pushed = entry(&v, |k| has_place(k, "app.py"));
    assert_eq!(pushed["rule_id"], "openai-project-key");
    assert_eq!(pushed["pushed"], true);
    assert_eq!(pushed["at_head"], true);
    assert_eq!(strs(&pushed["remotes"]), ["origin/main"]);
    assert_eq!(strs(&pushed["branches"]), ["feature", "main"]);
    assert_eq!(strs(&pushed["tags"]), ["v1"]);
    assert_eq!(pushed["first_commit"]["id"], w.pushed_commit.as_str());
    assert_eq!(pushed["first_commit"]["author"], "Test");
    assert_eq!(pushed["first_commit"]["email"], "test@example.invalid");
    assert_eq!(pushed["first_commit"]["summary"], "add the OpenAI key");
    let places: Vec<(String, u64, String)> = pushed["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap().to_string(),
                p["line"].as_u64().unwrap(),
                p["assigned_to"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("app.py".to_string(), 3, "OPENAI_API_KEY".to_string()),
            ("conf/settings.yaml".to_string(), 3, "api_key".to_string()),
            ("config.json".to_string(), 2, "token".to_string()),
        ]
    );
    assert_eq!(
        strs(&pushed["rotation"]["update"]),
        ["app.py:3", "conf/settings.yaml:3", "config.json:2"]
    );
    assert!(pushed["rotation"]["revoke_url"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));
    assert!(pushed["rotation"]["purge"]
        .as_str()
        .unwrap()
        .contains("--purge-plan"));

    let removed = entry(&v, |k| k["rule_id"].as_str().unwrap().starts_with("github"));
    assert_eq!(removed["pushed"], true);
    assert_eq!(removed["at_head"], false);
    assert_eq!(removed["places"].as_array().unwrap().len(), 0);
    assert_eq!(strs(&removed["branches"]), ["feature", "main"]);

    let local = entry(&v, |k| has_place(k, "creds.ini"));
    assert_eq!(local["urgency"], "at-head");
    assert_eq!(local["pushed"], false);
    assert_eq!(strs(&local["branches"]), ["main"]);
    assert!(strs(&local["tags"]).is_empty());
    assert_eq!(local["first_commit"]["id"], w.local_commit.as_str());
    assert_eq!(local["places"][0]["assigned_to"], "aws_access_key_id");

    let feature = entry(&v, |k| k["rule_id"].as_str().unwrap().contains("anthropic"));
    assert_eq!(feature["urgency"], "history-only");
    assert_eq!(strs(&feature["branches"]), ["feature"]);
    assert_eq!(strs(&feature["tags"]), ["v1"]);
    assert!(strs(&feature["remotes"]).is_empty());

    let staged = entry(&v, |k| has_place(k, "staged.py"));
    assert_eq!(staged["urgency"], "uncommitted");
    assert!(staged["first_commit"].is_null());
    assert!(staged["rotation"]["purge"].is_null());
    assert_eq!(staged["places"][0]["in_index"], true);
    assert_eq!(staged["places"][0]["at_head"], false);
    assert_eq!(staged["places"][0]["assigned_to"], "KEY");

    assert_eq!(summary(&v, "keys"), 5);
    assert_eq!(summary(&v, "pushed"), 2);
    assert_eq!(summary(&v, "blocking"), 5);
}

#[test]
fn worktree_adds_untracked_files_but_never_ignored_ones() {
    let w = world();
    let v = json(&w.run(&["inventory", "--worktree", "--format", "json"]));
    assert_eq!(v["keys"].as_array().unwrap().len(), 6, "{v:#}");
    let untracked = entry(&v, |k| has_place(k, "notes.txt"));
    assert_eq!(untracked["places"][0]["untracked"], true);
    assert_eq!(untracked["urgency"], "uncommitted");
    assert!(!v.to_string().contains("debug.log"));
}

#[test]
fn human_and_markdown_show_the_checklist_and_no_key() {
    let w = world();
    let out = w.run(&["inventory"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("5 keys"), "{text}");
    let first = text.find("1. PUSHED").expect("pushed first");
    let at_head = text.find("3. AT HEAD").expect("at HEAD third");
    assert!(first < at_head);
    assert!(text.contains("app.py:3 (OPENAI_API_KEY)"), "{text}");
    assert!(text.contains("pushed       yes: origin/main"), "{text}");
    assert!(text.contains("rotation checklist"));

    let out = w.run(&["inventory", "--format", "markdown"]);
    assert_eq!(code(&out), 1);
    let md = stdout(&out);
    assert!(md.contains(
        "| # | Urgency | Provider | Rule | Key (masked) | Fingerprint | First commit | At HEAD | Branches | Tags | Pushed to |"
    ), "{md}");
    assert!(md.contains("- [ ] Revoke it"), "{md}");
    assert!(md.contains("origin/main"));
}

#[test]
fn markdown_is_refused_by_other_commands_and_sarif_by_inventory() {
    let w = world();
    let out = w.run(&["scan", "--all", "--format", "markdown"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("only for `keyguard inventory`"));
    let out = w.run(&["inventory", "--format", "sarif"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn a_clean_repository_exits_0_and_no_repository_exits_2() {
    let r = Repo::new();
    r.write("a.txt", "nothing here\n");
    r.commit_all("init");
    let out = r.keyguard(&["inventory", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(json(&out)["keys"].as_array().unwrap().len(), 0);

    let dir = tempfile::tempdir().unwrap();
    let out = r
        .command_in(keyguard_bin(), ".")
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .arg("inventory")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(stderr(&out).contains("not a git repository"));
}

#[test]
fn baselined_keys_are_listed_only_with_show_allowed_and_not_counted() {
    let r = Repo::new();
    let key = openai_project_key();
    r.write("app.py", format!("OPENAI_API_KEY = \"{key}\"\n"));
    r.commit_all("key");
    assert_eq!(code(&r.keyguard(&["baseline"])), 0);
    let out = r.keyguard(&["inventory", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let v = json(&out);
    assert_eq!(v["keys"].as_array().unwrap().len(), 0);
    assert_eq!(summary(&v, "allowed"), 1);
    let out = r.keyguard(&["inventory", "--show-allowed", "--format", "json"]);
    assert_eq!(code(&out), 0);
    let v = json(&out);
    assert_eq!(v["allowed"][0]["allowed"], "baseline");
    assert_no_secret(&out, &key);
}

#[test]
fn a_key_cherry_picked_onto_a_pushed_branch_is_pushed() {
    let r = Repo::new();
    let remote = r.home.path().join("remote.git");
    r.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    r.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    r.write("a.txt", "a\n");
    r.commit_all("init");
    r.git(&["checkout", "-q", "-b", "topic"]);
    let key = github_pat();
    r.write("t.env", format!("TOKEN={key}\n"));
    r.commit_all("token on topic");
    let topic = head(&r);
    r.git(&["checkout", "-q", "main"]);
    // A commit of its own first, so the copy is a different commit (a cherry-pick onto
    // the same parent in the same second would be the very same commit).
    r.write("b.txt", "b\n");
    r.commit_all("main work");
    r.git(&["cherry-pick", topic.as_str()]);
    r.git(&["push", "-q", "origin", "main"]);
    let out = r.keyguard(&["inventory", "--format", "json"]);
    let v = json(&out);
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{v:#}");
    assert_eq!(keys[0]["pushed"], true, "{v:#}");
    assert_eq!(keys[0]["commits"], 2);
    assert_eq!(strs(&keys[0]["branches"]), ["main", "topic"]);
    assert_no_secret(&out, &key);
}

fn redact(r: &Repo, fingerprints: &std::path::Path, input: &str) -> Output {
    let mut cmd = r.command_in(keyguard_bin(), ".");
    cmd.args(["redact", "--fingerprints", fingerprints.to_str().unwrap()]);
    run_with_stdin(cmd, input.as_bytes())
}

#[test]
fn redact_replaces_listed_keys_only() {
    let w = world();
    let v = json(&w.run(&["inventory", "--format", "json"]));
    let fp = entry(&v, |k| has_place(k, "app.py"))["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let file = w.r.home.path().join("fps");
    std::fs::write(&file, format!("{fp}\n")).unwrap();
    let input = format!(
        "a = \"{}\"\nb = \"{}\"\r\nc = \"{}\"\n",
        w.pushed, w.feature, w.pushed
    );
    let out = redact(&w.r, &file, &input);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let want = format!(
        "a = \"***REMOVED***\"\nb = \"{}\"\r\nc = \"***REMOVED***\"\n",
        w.feature
    );
    assert_eq!(stdout(&out), want);
    // Not a fingerprint: refused, exit 2.
    std::fs::write(&file, format!("{}\n", w.pushed)).unwrap();
    let out = redact(&w.r, &file, "x\n");
    assert_eq!(code(&out), 2);
    assert_no_secret(&out, &w.pushed);
}

/// `git filter-repo`, when this machine has it (`pip install git-filter-repo`).
fn has_filter_repo(r: &Repo) -> bool {
    r.git_try(&["filter-repo", "--version"]).status.success()
}

#[test]
fn purge_plan_holds_no_key_and_purges_history() {
    let w = world();
    let plan = w.r.home.path().join("plan");
    let out = w.run(&[
        "inventory",
        "--purge-plan",
        plan.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 1);
    let v = json(&out);
    let command = v["purge_command"].as_str().unwrap().to_string();
    assert!(command.ends_with("purge.sh"), "{command}");
    let mut names: Vec<String> = std::fs::read_dir(&plan)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "file-callback.py",
            "fingerprints",
            "message-callback.py",
            "purge.sh"
        ]
    );
    for n in &names {
        let text = std::fs::read_to_string(plan.join(n)).unwrap();
        for k in w.keys() {
            assert_text_has_no_secret(&text, k);
        }
    }
    // The committed keys, not the staged one.
    let fps = std::fs::read_to_string(plan.join("fingerprints")).unwrap();
    let listed: Vec<&str> = fps.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(listed.len(), 4, "{fps}");

    if !has_filter_repo(&w.r) {
        assert!(
            std::env::var_os("KEYGUARD_REQUIRE_FILTER_REPO").is_none(),
            "KEYGUARD_REQUIRE_FILTER_REPO is set but `git filter-repo` is not on PATH"
        );
        eprintln!(
            "git filter-repo is not installed: purge plan not run (redact is tested on its own)"
        );
        return;
    }
    let fresh = w.r.home.path().join("fresh");
    let url = format!("file://{}", w.r.path().display());
    w.r.git(&["clone", "-q", "--no-local", &url, fresh.to_str().unwrap()]);
    // Every branch and tag, not only the default branch.
    w.r.git_in(
        fresh.to_str().unwrap(),
        &[
            "fetch",
            "-q",
            "origin",
            "+refs/heads/*:refs/heads/*",
            "--update-head-ok",
        ],
    );
    let before = w.r.keyguard_in(
        fresh.to_str().unwrap(),
        &["scan", "--all", "--format", "json"],
    );
    assert_eq!(code(&before), 1);
    let run =
        w.r.command_in("sh", fresh.to_str().unwrap())
            .arg(plan.join("purge.sh"))
            .output()
            .unwrap();
    assert!(run.status.success(), "{}", both(&run));
    for k in w.keys() {
        assert_no_secret(&run, k);
    }
    let after = w.r.keyguard_in(
        fresh.to_str().unwrap(),
        &["scan", "--all", "--format", "json"],
    );
    assert_eq!(code(&after), 0, "{}", both(&after));
    let app = std::fs::read_to_string(fresh.join("app.py")).unwrap();
    assert!(app.contains("OPENAI_API_KEY = \"***REMOVED***\""), "{app}");
}

#[test]
fn a_partial_clone_is_inventoried_without_fetching() {
    let src = Repo::new();
    src.git(&["config", "uploadpack.allowFilter", "true"]);
    let old = openai_project_key();
    let now = github_pat();
    src.write("old.py", format!("KEY = \"{old}\"\n"));
    src.commit_all("old key");
    src.git(&["rm", "-q", "old.py"]);
    src.write("now.env", format!("TOKEN={now}\n"));
    src.commit_all("new key");
    let dest = src.home.path().join("partial");
    let url = format!("file://{}", src.path().display());
    src.git(&[
        "clone",
        "-q",
        "--filter=blob:none",
        &url,
        dest.to_str().unwrap(),
    ]);
    // Make the source unreachable: nothing can be fetched.
    let away = src.path().with_extension("gone");
    std::fs::rename(src.path(), &away).unwrap();
    let out = src
        .command_in(keyguard_bin(), ".")
        .current_dir(&dest)
        .args(["inventory", "--format", "json"])
        .output()
        .unwrap();
    std::fs::rename(&away, src.path()).unwrap();
    assert_eq!(code(&out), 1, "{}", both(&out));
    let v = json(&out);
    // HEAD's blobs are checked out, so the current key is found.
    let keys = v["keys"].as_array().unwrap();
    assert!(keys.iter().any(|k| has_place(k, "now.env")), "{v:#}");
    assert!(
        !v["summary"]["unavailable"].as_array().unwrap().is_empty(),
        "{v:#}"
    );
    assert_no_secret(&out, &old);
    assert_no_secret(&out, &now);
}

/// `--verify` with a local server answering as the providers: the live pushed key comes
/// first, and every format shows what the provider said.
#[cfg(debug_assertions)]
#[test]
fn verify_puts_live_pushed_keys_first_in_every_format() {
    use crate::common::provider_server::{Behavior, Server};
    let server = Server::start();
    let w = world();
    server.set(&w.pushed, Behavior::Revoked);
    server.set(&w.removed, Behavior::Live);
    let run = |format: &str| {
        let out =
            w.r.command_in(keyguard_bin(), ".")
                .env("KEYGUARD_VERIFY_TEST_SERVER", &server.addr)
                .args([
                    "inventory",
                    "--verify",
                    "--verify-timeout",
                    "2",
                    "--format",
                    format,
                ])
                .output()
                .unwrap();
        for k in w.keys() {
            assert_no_secret(&out, k);
        }
        out
    };
    let out = run("json");
    assert_eq!(code(&out), 1, "{}", both(&out));
    let v = json(&out);
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys[0]["urgency"], "live-pushed", "{v:#}");
    assert!(keys[0]["rule_id"].as_str().unwrap().starts_with("github"));
    assert_eq!(keys[0]["verification"]["status"], "live");
    assert_eq!(keys[1]["urgency"], "pushed");
    assert_ne!(keys[1]["verification"]["status"], "live");
    assert!(stdout(&run("human")).contains("1. LIVE + PUSHED"));
    assert!(stdout(&run("markdown")).contains("LIVE + PUSHED (live)"));
}

/// A new repository (unborn HEAD): `scan --all` and `inventory` find no history instead
/// of failing, and a staged key is still inventoried.
#[test]
fn a_new_repository_with_a_staged_key() {
    let r = Repo::new();
    let out = r.keyguard(&["scan", "--all"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let key = openai_project_key();
    r.write("k.py", format!("KEY = \"{key}\"\n"));
    r.git(&["add", "k.py"]);
    let out = r.keyguard(&["inventory", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let v = json(&out);
    assert_eq!(v["keys"][0]["urgency"], "uncommitted");
    assert_eq!(v["keys"][0]["places"][0]["in_index"], true);
    assert_no_secret(&out, &key);
}

/// `redact --stream` (what the purge plan's callbacks talk to): framed requests in,
/// framed answers out, one process for many texts.
#[test]
fn redact_stream_answers_each_framed_request() {
    let w = world();
    let v = json(&w.run(&["inventory", "--format", "json"]));
    let fp = entry(&v, |k| has_place(k, "app.py"))["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let file = w.r.home.path().join("fps");
    std::fs::write(&file, format!("{fp}\n")).unwrap();
    let texts = [
        (b"app.py".as_slice(), format!("K = \"{}\"\n", w.pushed)),
        (b"b.txt".as_slice(), "nothing\n".to_string()),
    ];
    let mut input = Vec::new();
    for (path, text) in &texts {
        input.extend(format!("{} {}\n", text.len(), path.len()).as_bytes());
        input.extend(*path);
        input.extend(text.as_bytes());
    }
    let mut cmd = w.r.command_in(keyguard_bin(), ".");
    cmd.args([
        "redact",
        "--stream",
        "--fingerprints",
        file.to_str().unwrap(),
    ]);
    let out = run_with_stdin(cmd, &input);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let want = "20\nK = \"***REMOVED***\"\n8\nnothing\n";
    assert_eq!(stdout(&out), want);
    assert_no_secret(&out, &w.pushed);
}
