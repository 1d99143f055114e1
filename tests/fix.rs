//! `keyguard fix`: a staged key moved out of the code into the git-ignored `.env`.
//!
//! Each test stages a file holding a key made at test time in a real repository, runs
//! the real binary (dry run, then `--apply`) and checks the work tree, the index, `.env`
//! and `.gitignore` with the real `git` CLI. Where the interpreter or compiler is on the
//! machine (Python, Node, bash, rustc, Java), the edited program is run with `.env`
//! loaded and must print the same key the literal held. No keyguard output may contain
//! the key.

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use crate::common::*;

/// Runs keyguard and checks that `secret` is not in its output.
fn kg(r: &Repo, args: &[&str], secret: &str) -> Output {
    let out = r.keyguard(args);
    assert_no_secret(&out, secret);
    out
}

/// The index as `git ls-files --stage` shows it (modes, blob ids, paths).
fn index_of(r: &Repo) -> String {
    stdout(&r.git(&["ls-files", "--stage"]))
}

fn read(r: &Repo, rel: &str) -> String {
    std::fs::read_to_string(r.path().join(rel)).unwrap_or_default()
}

fn mode(r: &Repo, rel: &str) -> u32 {
    std::fs::metadata(r.path().join(rel))
        .expect("file exists")
        .permissions()
        .mode()
        & 0o777
}

/// A repository with `path` staged, holding `content` with `{KEY}` replaced by `key`.
fn staged(path: &str, content: &str, key: &str) -> Repo {
    let r = Repo::new();
    r.write("README.md", "demo\n");
    r.commit_all("init");
    r.write(path, content.replace("{KEY}", key));
    r.git(&["add", path]);
    r
}

/// The dry run: exit 1, a masked preview naming `lookup`, and nothing written.
fn dry_run(r: &Repo, path: &str, key: &str, lookup: &str) {
    let (index, file) = (index_of(r), read(r, path));
    let index_bytes = std::fs::read(r.path().join(".git/index")).expect("index");
    let out = kg(r, &["fix"], key);
    assert_eq!(code(&out), 1, "dry run exit status\n{}", both(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("+++ b/{path}")), "{text}");
    assert!(
        text.contains(lookup),
        "preview names the lookup {lookup}:\n{text}"
    );
    assert!(text.contains("dry run"), "{text}");
    assert_eq!(index_of(r), index, "the dry run changed the index");
    assert_eq!(
        std::fs::read(r.path().join(".git/index")).expect("index"),
        index_bytes,
        "the dry run wrote .git/index"
    );
    assert_eq!(read(r, path), file, "the dry run changed the file");
    assert!(!r.path().join(".env").exists(), "the dry run wrote .env");
    assert!(
        !r.path().join(".gitignore").exists(),
        "the dry run wrote .gitignore"
    );
}

/// `fix --apply`: exit 0, the file edited to `want` and staged as such, `.env` holding
/// `env_name=key` (0600, ignored, unstaged), the staged scan clean, and a second run
/// with nothing to do.
fn apply_ok(r: &Repo, path: &str, key: &str, want: &str, env_name: &str) {
    let out = kg(r, &["fix", "--apply"], key);
    assert_eq!(code(&out), 0, "apply exit status\n{}", both(&out));
    assert!(stdout(&out).contains("now clean"), "{}", stdout(&out));
    let edited = read(r, path);
    assert!(!edited.contains(key), "the key is still in {path}");
    assert_eq!(edited, want, "edited {path}");
    assert_eq!(
        stdout(&r.git(&["show", &format!(":{path}")])),
        edited,
        "the index holds the edited file"
    );
    assert!(r.git_try(&["diff", "--quiet", "--", path]).status.success());
    let env = read(r, ".env");
    assert!(
        env.lines().any(|l| l == format!("{env_name}={key}")),
        ".env lacks {env_name}=<key>: {}",
        env.lines()
            .map(|l| l.split('=').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(",")
    );
    assert_eq!(mode(r, ".env"), 0o600, ".env mode");
    assert!(
        r.git_try(&["check-ignore", "-q", ".env"]).status.success(),
        ".env is not ignored"
    );
    assert!(
        !r.git_try(&["ls-files", "--error-unmatch", ".env"])
            .status
            .success(),
        ".env is staged"
    );
    let pc = kg(r, &["pre-commit"], key);
    assert_eq!(code(&pc), 0, "pre-commit after fix\n{}", both(&pc));
    // Idempotent: nothing left to do, nothing written.
    let (index, env) = (index_of(r), read(r, ".env"));
    let again = kg(r, &["fix", "--apply"], key);
    assert_eq!(code(&again), 0, "second apply\n{}", both(&again));
    assert!(
        stdout(&again).contains("nothing to fix"),
        "{}",
        stdout(&again)
    );
    assert_eq!((index_of(r), read(r, ".env")), (index, env));
}

/// Runs `script` with bash in the repository after loading `.env`, in an environment
/// without the variable otherwise; its standard output, trimmed.
fn run_with_env(r: &Repo, script: &str) -> String {
    let out = r
        .command_in("bash", ".")
        .args(["-c", &format!("set -a; . ./.env; set +a; {script}")])
        .env_remove("OPENAI_API_KEY")
        .output()
        .expect("run bash");
    assert!(out.status.success(), "{script} failed:\n{}", both(&out));
    stdout(&out).trim().to_string()
}

#[test]
fn python_literal_becomes_os_environ_and_the_program_still_prints_the_key() {
    let key = openai_project_key();
    let src = "print(\"starting\")\napi_key = \"{KEY}\"\nprint(api_key)\n";
    let r = staged("app.py", src, &key);
    dry_run(&r, "app.py", &key, "os.environ[\"OPENAI_API_KEY\"]");
    apply_ok(
        &r,
        "app.py",
        &key,
        "import os\nprint(\"starting\")\napi_key = os.environ[\"OPENAI_API_KEY\"]\nprint(api_key)\n",
        "OPENAI_API_KEY",
    );
    assert_eq!(
        run_with_env(&r, "python3 app.py"),
        format!("starting\n{key}")
    );
}

#[test]
fn python_keeps_an_existing_import_and_the_code_s_own_env_name() {
    let key = openai_project_key();
    let src = "import os\nimport sys\n\nMY_OPENAI_KEY = '{KEY}'\nsys.stdout.write(MY_OPENAI_KEY)\n";
    let r = staged("tool.py", src, &key);
    apply_ok(
        &r,
        "tool.py",
        &key,
        "import os\nimport sys\n\nMY_OPENAI_KEY = os.environ[\"MY_OPENAI_KEY\"]\nsys.stdout.write(MY_OPENAI_KEY)\n",
        "MY_OPENAI_KEY",
    );
    assert_eq!(run_with_env(&r, "python3 tool.py"), key);
}

#[test]
fn node_literal_becomes_process_env() {
    let key = openai_project_key();
    let src = "const apiKey = '{KEY}';\nconsole.log(apiKey);\n";
    let r = staged("index.js", src, &key);
    dry_run(&r, "index.js", &key, "process.env.OPENAI_API_KEY");
    apply_ok(
        &r,
        "index.js",
        &key,
        "const apiKey = process.env.OPENAI_API_KEY;\nconsole.log(apiKey);\n",
        "OPENAI_API_KEY",
    );
    assert_eq!(run_with_env(&r, "node index.js"), key);
}

#[test]
fn shell_assignment_becomes_a_quoted_expansion() {
    let key = openai_project_key();
    let src = "#!/bin/bash\nexport OPENAI_API_KEY={KEY}\necho \"$OPENAI_API_KEY\"\n";
    let r = staged("run.sh", src, &key);
    dry_run(&r, "run.sh", &key, "\"${OPENAI_API_KEY}\"");
    apply_ok(
        &r,
        "run.sh",
        &key,
        "#!/bin/bash\nexport OPENAI_API_KEY=\"${OPENAI_API_KEY}\"\necho \"$OPENAI_API_KEY\"\n",
        "OPENAI_API_KEY",
    );
    assert_eq!(run_with_env(&r, "bash run.sh"), key);
}

#[test]
fn rust_literal_becomes_env_var_expect_and_compiles() {
    let key = openai_project_key();
    // `show` takes the `&str` the literal was: the lookup must still fit there.
    let src = "fn show(k: &str) {\n    println!(\"{}\", k);\n}\n\nfn main() {\n    let key = \"{KEY}\";\n    show(key);\n}\n";
    let r = staged("main.rs", src, &key);
    dry_run(&r, "main.rs", &key, "std::env::var(\"OPENAI_API_KEY\")");
    apply_ok(
        &r,
        "main.rs",
        &key,
        &src.replace(
            "\"{KEY}\"",
            "&std::env::var(\"OPENAI_API_KEY\").expect(\"OPENAI_API_KEY is not set\")",
        ),
        "OPENAI_API_KEY",
    );
    let bin = tempfile::tempdir().expect("temp dir");
    let exe = bin.path().join("demo");
    let built = r
        .command_in("rustc", ".")
        .args(["--edition", "2021", "-o"])
        .arg(&exe)
        .arg("main.rs")
        .output()
        .expect("run rustc");
    assert!(built.status.success(), "rustc:\n{}", both(&built));
    assert_eq!(run_with_env(&r, &exe.display().to_string()), key);
}

#[test]
fn java_literal_becomes_system_getenv_and_runs() {
    let key = openai_project_key();
    let src = "public class App {\n    public static void main(String[] a) {\n        String key = \"{KEY}\";\n        System.out.println(key);\n    }\n}\n";
    let r = staged("App.java", src, &key);
    let want = src.replace("\"{KEY}\"", "System.getenv(\"OPENAI_API_KEY\")");
    dry_run(&r, "App.java", &key, "System.getenv(\"OPENAI_API_KEY\")");
    apply_ok(&r, "App.java", &key, &want, "OPENAI_API_KEY");
    if std::process::Command::new("java")
        .arg("-version")
        .output()
        .is_ok()
    {
        assert_eq!(run_with_env(&r, "java App.java"), key);
    }
}

/// Languages not run here: the edited file must be exactly the idiomatic lookup.
#[test]
fn every_other_language_gets_its_lookup() {
    // (file, content, what it becomes, the name in .env, what the dry run's preview shows)
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "main.go",
            "package main\n\nimport (\n\t\"fmt\"\n)\n\nfunc main() {\n\tkey := \"{KEY}\"\n\tfmt.Println(key)\n}\n",
            "package main\n\nimport (\n\t\"os\"\n\t\"fmt\"\n)\n\nfunc main() {\n\tkey := os.Getenv(\"OPENAI_API_KEY\")\n\tfmt.Println(key)\n}\n",
            "OPENAI_API_KEY",
            "+\tkey := os.Getenv(\"OPENAI_API_KEY\")",
        ),
        (
            "web/client.ts",
            "export const client = new OpenAI({ apiKey: \"{KEY}\" });\n",
            "export const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY! });\n",
            "OPENAI_API_KEY",
            "process.env.OPENAI_API_KEY!",
        ),
        (
            "Main.kt",
            "val key = \"{KEY}\"\n",
            "val key = System.getenv(\"OPENAI_API_KEY\")\n",
            "OPENAI_API_KEY",
            "System.getenv(\"OPENAI_API_KEY\")",
        ),
        (
            "config.rb",
            "OpenAI.api_key = '{KEY}'\n",
            "OpenAI.api_key = ENV.fetch(\"OPENAI_API_KEY\")\n",
            "OPENAI_API_KEY",
            "ENV.fetch(\"OPENAI_API_KEY\")",
        ),
        (
            "config.php",
            "<?php\n$key = '{KEY}';\n",
            "<?php\n$key = getenv('OPENAI_API_KEY');\n",
            "OPENAI_API_KEY",
            "getenv('OPENAI_API_KEY')",
        ),
        (
            "Program.cs",
            "var key = \"{KEY}\";\n",
            "var key = System.Environment.GetEnvironmentVariable(\"OPENAI_API_KEY\");\n",
            "OPENAI_API_KEY",
            "System.Environment.GetEnvironmentVariable(\"OPENAI_API_KEY\")",
        ),
        (
            "compose.yaml",
            "services:\n  app:\n    environment:\n      OPENAI_API_KEY: {KEY}\n",
            "services:\n  app:\n    environment:\n      OPENAI_API_KEY: ${OPENAI_API_KEY}\n",
            "OPENAI_API_KEY",
            "+      OPENAI_API_KEY: ${OPENAI_API_KEY}",
        ),
        (
            "Dockerfile",
            "FROM python:3.12\nENV OPENAI_API_KEY=\"{KEY}\"\nCMD [\"python\", \"app.py\"]\n",
            "FROM python:3.12\nCMD [\"python\", \"app.py\"]\n",
            "OPENAI_API_KEY",
            "-ENV OPENAI_API_KEY=\"sk-proj-…",
        ),
        (
            "infra/main.tf",
            "provider \"openai\" {\n  api_key = \"{KEY}\"\n}\n",
            "provider \"openai\" {\n  api_key = var.openai_api_key\n}\n\nvariable \"openai_api_key\" {\n  type      = string\n  sensitive = true\n}\n",
            "TF_VAR_openai_api_key",
            "+variable \"openai_api_key\" {",
        ),
    ];
    for (path, src, want, env_name, preview) in cases {
        let key = openai_project_key();
        let r = staged(path, src, &key);
        dry_run(&r, path, &key, preview);
        apply_ok(&r, path, &key, want, env_name);
    }
}

/// Nothing is written on a refusal: the file, the index and `.env` stay as they were.
fn refused(r: &Repo, path: &str, key: &str, reason: &str) -> String {
    let (index, file, env) = (index_of(r), read(r, path), read(r, ".env"));
    let out = kg(r, &["fix", "--apply"], key);
    assert_eq!(code(&out), 1, "a refusal still blocks\n{}", both(&out));
    let text = stdout(&out);
    assert!(text.contains("refused"), "{text}");
    assert!(text.contains(reason), "reason {reason:?} in:\n{text}");
    assert!(text.contains("by hand"), "manual steps in:\n{text}");
    assert_eq!(index_of(r), index, "a refusal changed the index");
    assert_eq!(read(r, path), file, "a refusal changed the file");
    assert_eq!(read(r, ".env"), env, "a refusal changed .env");
    let pc = kg(r, &["pre-commit"], key);
    assert_eq!(code(&pc), 1, "still blocked");
    text
}

#[test]
fn unstaged_changes_in_the_file_are_refused() {
    let key = openai_project_key();
    let r = staged("app.py", "api_key = \"{KEY}\"\n", &key);
    r.write(
        "app.py",
        format!("api_key = \"{key}\"\nprint('unstaged')\n"),
    );
    refused(&r, "app.py", &key, "unstaged changes");
}

#[test]
fn an_unknown_file_type_is_refused_with_manual_steps() {
    let key = openai_project_key();
    let r = staged("notes.txt", "openai key: {KEY}\n", &key);
    let text = refused(&r, "notes.txt", &key, "no language rule");
    assert!(text.contains("OPENAI_API_KEY"), "{text}");
    assert!(!r.path().join(".gitignore").exists());
}

#[test]
fn a_key_inside_a_longer_string_is_refused() {
    let key = openai_project_key();
    let r = staged(
        "app.py",
        "headers = {\"Authorization\": \"Bearer {KEY}\"}\n",
        &key,
    );
    refused(&r, "app.py", &key, "longer string");
}

#[test]
fn a_kubernetes_manifest_is_refused_it_does_not_expand_variables() {
    let key = openai_project_key();
    let src = "apiVersion: v1\nkind: Secret\nstringData:\n  OPENAI_API_KEY: {KEY}\n";
    let r = staged("k8s/secret.yaml", src, &key);
    refused(&r, "k8s/secret.yaml", &key, "do not expand");
}

#[test]
fn a_name_already_in_env_with_another_value_is_refused() {
    let key = openai_project_key();
    let other = openai_project_key();
    let r = staged("app.py", "api_key = \"{KEY}\"\n", &key);
    r.write(".gitignore", ".env\n");
    r.write(".env", format!("OPENAI_API_KEY={other}\n"));
    refused(&r, "app.py", &key, "already in .env with another value");
}

#[test]
fn an_existing_env_keeps_its_mode_and_lines_and_gitignore_is_staged() {
    let key = openai_project_key();
    let r = staged("app.py", "api_key = \"{KEY}\"\n", &key);
    r.write(".env", "DEBUG=1");
    std::fs::set_permissions(
        r.path().join(".env"),
        std::fs::Permissions::from_mode(0o640),
    )
    .expect("chmod");
    let out = kg(&r, &["fix", "--apply"], &key);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(read(&r, ".env"), format!("DEBUG=1\nOPENAI_API_KEY={key}\n"));
    assert_eq!(mode(&r, ".env"), 0o640, "an existing .env keeps its mode");
    // .env was not ignored: .gitignore now says so, and is staged with the fix.
    assert!(read(&r, ".gitignore").lines().any(|l| l == "/.env"));
    assert!(stdout(&r.git(&["show", ":.gitignore"])).contains("/.env"));
    assert!(r.git_try(&["check-ignore", "-q", ".env"]).status.success());
}

#[test]
fn the_same_key_twice_in_a_file_is_replaced_everywhere_and_stored_once() {
    let key = openai_project_key();
    let src = "a = \"{KEY}\"\nb = \"{KEY}\"\n";
    let r = staged("keys.py", src, &key);
    let out = kg(&r, &["fix", "--apply"], &key);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(
        read(&r, "keys.py"),
        "import os\na = os.environ[\"OPENAI_API_KEY\"]\nb = os.environ[\"OPENAI_API_KEY\"]\n"
    );
    assert_eq!(read(&r, ".env").matches(&key).count(), 1);
}

#[test]
fn a_key_already_in_env_with_the_same_value_is_not_added_twice() {
    let key = openai_project_key();
    let r = staged("app.py", "api_key = \"{KEY}\"\n", &key);
    r.write(".gitignore", ".env\n");
    r.write(".env", format!("OPENAI_API_KEY={key}\n"));
    let dry = kg(&r, &["fix"], &key);
    assert!(stdout(&dry).contains("already in .env"), "{}", stdout(&dry));
    let out = kg(&r, &["fix", "--apply"], &key);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(read(&r, ".env"), format!("OPENAI_API_KEY={key}\n"));
    assert_eq!(
        read(&r, ".gitignore"),
        ".env\n",
        "already ignored: .gitignore untouched"
    );
    assert_eq!(
        read(&r, "app.py"),
        "import os\napi_key = os.environ[\"OPENAI_API_KEY\"]\n"
    );
}

#[test]
fn fix_works_from_a_subfolder_and_puts_env_at_the_root() {
    let key = openai_project_key();
    let r = staged(
        "src/app/client.js",
        "module.exports = { key: \"{KEY}\" };\n",
        &key,
    );
    let out = r.keyguard_in("src", &["fix", "--apply"]);
    assert_no_secret(&out, &key);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert_eq!(
        read(&r, "src/app/client.js"),
        "module.exports = { key: process.env.OPENAI_API_KEY };\n"
    );
    assert!(read(&r, ".env").contains("OPENAI_API_KEY="));
    assert!(!r.path().join("src/.env").exists());
    assert_eq!(code(&r.keyguard(&["pre-commit"])), 0);
}

#[test]
fn a_tracked_env_is_refused_the_key_would_be_committed() {
    let key = openai_project_key();
    let r = staged("app.py", "api_key = \"{KEY}\"\n", &key);
    r.write(".env", "DEBUG=1\n");
    r.git(&["add", ".env"]);
    refused(&r, "app.py", &key, "`.env` is tracked");
}

#[test]
fn a_gitignore_with_unstaged_changes_is_edited_but_not_staged() {
    let key = openai_project_key();
    let r = staged("app.py", "api_key = \"{KEY}\"\n", &key);
    r.write(".gitignore", "target/\n");
    r.git(&["add", ".gitignore"]);
    r.write(".gitignore", "target/\nnode_modules/\n");
    let out = kg(&r, &["fix", "--apply"], &key);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(stdout(&out).contains("not staged"), "{}", stdout(&out));
    assert_eq!(
        read(&r, ".gitignore"),
        "target/\nnode_modules/\n# Local secrets (keyguard fix)\n/.env\n"
    );
    assert_eq!(stdout(&r.git(&["show", ":.gitignore"])), "target/\n");
    assert!(r.git_try(&["check-ignore", "-q", ".env"]).status.success());
}

#[test]
fn the_preview_masks_other_keys_on_context_lines() {
    // An old key accepted with an inline marker sits next to the new one: the preview's
    // context shows its line, masked.
    let old = openai_project_key();
    let key = openai_project_key();
    let r = Repo::new();
    r.write("app.py", format!("legacy = \"{old}\"  # keyguard:allow\n"));
    r.commit_all("init");
    r.write(
        "app.py",
        format!("legacy = \"{old}\"  # keyguard:allow\napi_key = \"{key}\"\n"),
    );
    r.git(&["add", "app.py"]);
    let out = kg(&r, &["fix"], &key);
    assert_no_secret(&out, &old);
    assert!(
        stdout(&out).contains(" legacy = \"sk-proj-…"),
        "{}",
        stdout(&out)
    );
    let out = kg(&r, &["fix", "--apply"], &key);
    assert_no_secret(&out, &old);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        read(&r, "app.py").contains(&old),
        "the accepted key is left alone"
    );
}
