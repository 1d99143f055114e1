//! Command-line arguments (clap). Parsing only: what each command does is in `app`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "keyguard",
    version,
    about = "Stops API keys from entering a git repository: scans exactly what is being committed or pushed.",
    after_help = "Exit status: 0 clean, 1 secrets found, 2 error.\nWith no command, keyguard scans the staged changes (same as --staged / pre-commit)."
)]
pub struct Cli {
    /// Scan the staged changes (the default when no command is given).
    #[arg(long)]
    pub staged: bool,

    #[command(flatten)]
    pub common: Common,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value = "human")]
    pub format: Format,

    /// Config file (default: .keyguard.toml at the repository root, or $KEYGUARD_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Baseline file (default: .keyguard-baseline at the repository root, or `baseline` in the config).
    #[arg(long, global = true, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Never colour the output (colour is only used on a terminal, and never with NO_COLOR set).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Also list findings silenced by inline markers, the baseline or allowlisted fingerprints.
    #[arg(long, global = true)]
    pub show_allowed: bool,

    /// Print nothing when there is nothing to report.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Skip (and report) files larger than this, e.g. 10MiB (overrides [scan] max_file_size).
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,

    /// Ask each finding's provider whether the key works (network: read-only calls to the
    /// provider's own API over TLS). Off unless given, or enabled in the user's
    /// ~/.config/keyguard/config.toml.
    #[arg(long, global = true, conflicts_with = "offline")]
    pub verify: bool,

    /// Never verify, even when the user's config enables it.
    #[arg(long, global = true)]
    pub offline: bool,

    /// Seconds each verification request may take (default 5).
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_timeout)]
    pub verify_timeout: Option<f64>,
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if (0.1..=120.0).contains(&t) => Ok(t),
        _ => Err(format!(
            "invalid timeout {s:?}: use seconds from 0.1 to 120"
        )),
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    crate::rules::schema::parse_byte_size(s)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan what is about to be committed (what the pre-commit hook runs). Given FILES (as
    /// the pre-commit framework passes them), scan the whole staged content of those files.
    PreCommit {
        /// Files whose whole staged content to scan.
        files: Vec<PathBuf>,
    },
    /// Scan the commits a push would send (what the pre-push hook runs). Reads git's
    /// pre-push input (`<local ref> <local sha> <remote ref> <remote sha>` lines) on stdin.
    PrePush {
        /// The remote's name (or its URL, for a push to a URL).
        remote: Option<String>,
        /// The remote's URL.
        url: Option<String>,
    },
    /// Scan the message of the commit being made (what the commit-msg hook runs; git
    /// passes the message file).
    CommitMsg {
        /// The file holding the message (`.git/COMMIT_EDITMSG`).
        file: PathBuf,
    },
    /// Scan the added lines of every commit in a range of history and report, for each
    /// secret, the commit that introduced it. With --path, scan files and folders on disk
    /// instead; with `-`, scan standard input (a CI log, a paste).
    Scan {
        /// `REV` (its history) or `A..B`. Default: HEAD's history. `-`: standard input.
        range: Option<String>,
        /// Every commit reachable from any ref.
        #[arg(long, conflicts_with = "range")]
        all: bool,
        /// Scan these files and folders as they are on disk, outside git's history
        /// (folders honour .gitignore inside a repository).
        #[arg(long = "path", value_name = "PATH", num_args = 1.., conflicts_with_all = ["range", "all"])]
        paths: Vec<PathBuf>,
        /// With --path: also scan files that .gitignore and git's other exclude files ignore.
        #[arg(long, requires = "paths")]
        no_ignore: bool,
    },
    /// Every key in the repository, one entry per key: where it is (first commit, HEAD,
    /// the index, untracked files with --worktree), which branches and tags hold it,
    /// whether it is pushed (a remote-tracking ref holds it), and what to rotate first,
    /// with a rotation checklist. Formats: human, json, markdown.
    Inventory {
        /// Also read the work tree's untracked files (not ignored ones).
        #[arg(long)]
        worktree: bool,
        /// Write into DIR a plan that purges the keys from history with git filter-repo
        /// and `keyguard redact` (fingerprints only: no file holds a key).
        #[arg(long, value_name = "DIR")]
        purge_plan: Option<PathBuf>,
    },
    /// Copy standard input to standard output with every key whose fingerprint is listed
    /// in FILE replaced by ***REMOVED*** (what a purge plan runs history through).
    Redact {
        /// Fingerprints (`rule_id:hex`, one a line), as `inventory --purge-plan` writes them.
        #[arg(long, value_name = "FILE")]
        fingerprints: PathBuf,
        /// The path the text comes from, for rules limited to some paths.
        #[arg(long, value_name = "PATH", conflicts_with = "stream")]
        path: Option<String>,
        /// Many texts over one pipe (`LEN PATHLEN` line, path, text; answered `LEN` line,
        /// text), for filter-repo callbacks.
        #[arg(long)]
        stream: bool,
    },
    /// Write the current findings of history (all refs by default) to the baseline file,
    /// as fingerprints: they will not be reported again.
    Baseline {
        /// `REV` or `A..B` instead of all refs.
        range: Option<String>,
    },
    /// Install keyguard's git hooks (pre-commit, pre-merge-commit, commit-msg) into the
    /// current repository (honours core.hooksPath and chains any hook already there).
    Install {
        /// Also install the pre-push hook.
        #[arg(long)]
        pre_push: bool,
        /// For every repository of this user, existing and future: pre-commit,
        /// pre-merge-commit, commit-msg and pre-push through the global core.hooksPath
        /// (each repository's own hooks still run first).
        #[arg(long, conflicts_with = "pre_push")]
        global: bool,
    },
    /// Remove keyguard's hooks and restore the hooks they replaced.
    Uninstall {
        /// Remove the global hooks and restore the previous global git config.
        #[arg(long)]
        global: bool,
    },
    /// Check that this repository is protected (the hooks git will run include keyguard)
    /// and that nothing is exposed (keys in untracked files or the stash; sensitive files
    /// not git-ignored). Exit 1 when unprotected or exposed.
    Doctor,
    /// Move the keys that block the staged changes out of the code: each literal becomes
    /// an environment lookup in the file's language and the key goes to the git-ignored
    /// `.env`. Without --apply, only shows the edits (masked).
    Fix {
        /// Make the edits: write `.env`, the files and `.gitignore`, and re-stage them.
        #[arg(long)]
        apply: bool,
    },
    /// List the rules in force (built-in and custom, without disabled ones).
    Rules,
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config file and print the effective rule set.
    Check,
}
