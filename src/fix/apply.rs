//! The writes of `keyguard fix --apply`, and nothing else in keyguard writes these:
//! `.gitignore` (so that `.env` is ignored), `.env` (the one file that holds the key,
//! mode 0600), the edited source files, and the index (the edited files re-staged).
//!
//! Order matters for never losing a key: `.env` is ignored first, then holds the value,
//! and only then is the literal taken out of the source. Every file is written to a
//! temporary file in its own folder and renamed over the old one, keeping its mode.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use git2::{Repository, Status};

use super::{env_line, Plan, ENV_FILE};

/// What `apply` did to `.gitignore`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignore {
    /// `.env` was already ignored.
    Already,
    /// `.env` appended to `.gitignore`, which was then staged.
    AddedAndStaged,
    /// Appended, but not staged: `.gitignore` had unstaged changes of its own.
    AddedNotStaged,
}

/// What `apply` wrote.
#[derive(Debug)]
pub struct Applied {
    pub ignore: Ignore,
    /// `.env` did not exist and was created (mode 0600).
    pub env_created: bool,
    /// Names appended to `.env`.
    pub env_added: Vec<String>,
    /// Source files edited and re-staged.
    pub staged: Vec<String>,
}

pub fn apply(repo: &Repository, plan: &Plan) -> Result<Applied> {
    let root = repo
        .workdir()
        .context("this repository has no work tree")?
        .to_path_buf();
    let env_path = root.join(ENV_FILE);
    if std::fs::symlink_metadata(&env_path).is_ok_and(|m| !m.file_type().is_file()) {
        bail!(".env is not a regular file (a symlink?): refusing to write the key through it");
    }
    let mut index = repo.index().context("reading the index")?;
    let ignore = ensure_ignored(repo, &root, &mut index)?;

    // .env: the existing text kept byte for byte, the new lines appended.
    let lines = plan.env_lines();
    let existing = match std::fs::read(&env_path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).context("reading .env"),
    };
    let env_created = existing.is_none();
    if !lines.is_empty() {
        let mut text = existing.unwrap_or_default();
        if !text.is_empty() && !text.ends_with(b"\n") {
            text.push(b'\n');
        }
        for (name, secret) in &lines {
            text.extend_from_slice(env_line(name, secret.expose()).as_bytes());
            text.push(b'\n');
        }
        write_atomic(&env_path, &text, 0o600).context("writing .env")?;
    }

    let mut staged = Vec::new();
    for f in &plan.files {
        let full = root.join(&f.path);
        write_atomic(&full, f.new.as_bytes(), 0o644)
            .with_context(|| format!("writing {}", f.path))?;
        index
            .add_path(Path::new(&f.path))
            .with_context(|| format!("staging {}", f.path))?;
        staged.push(f.path.clone());
    }
    index.write().context("writing the index")?;
    Ok(Applied {
        ignore,
        env_created: env_created && !lines.is_empty(),
        env_added: lines.into_iter().map(|(n, _)| n).collect(),
        staged,
    })
}

/// Makes sure git ignores `.env`: appends it to the root `.gitignore` when it is not,
/// and stages that `.gitignore` unless it has unstaged changes of its own (those are
/// the user's to commit, not ours to mix in).
fn ensure_ignored(repo: &Repository, root: &Path, index: &mut git2::Index) -> Result<Ignore> {
    if repo
        .is_path_ignored(ENV_FILE)
        .context("checking whether .env is ignored")?
    {
        return Ok(Ignore::Already);
    }
    let path = root.join(".gitignore");
    let clean = match repo.status_file(Path::new(".gitignore")) {
        Ok(s) => !s.intersects(
            Status::WT_MODIFIED | Status::WT_DELETED | Status::WT_TYPECHANGE | Status::WT_NEW,
        ),
        Err(e) if e.code() == git2::ErrorCode::NotFound => true,
        Err(e) => return Err(e).context("reading the status of .gitignore"),
    };
    let mut text = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).context("reading .gitignore"),
    };
    if !text.is_empty() && !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.extend_from_slice(b"# Local secrets (keyguard fix)\n/.env\n");
    write_atomic(&path, &text, 0o644).context("writing .gitignore")?;
    if clean {
        index
            .add_path(Path::new(".gitignore"))
            .context("staging .gitignore")?;
        Ok(Ignore::AddedAndStaged)
    } else {
        Ok(Ignore::AddedNotStaged)
    }
}

/// Replaces `path` with `bytes` through a temporary file in the same folder (a crash
/// leaves the old file or the new one, never half of one). An existing file keeps its
/// mode; a new one gets `new_mode`.
fn write_atomic(path: &Path, bytes: &[u8], new_mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .context("a file to write has no parent folder")?;
    let mode = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    match mode {
        Some(p) => tmp.as_file().set_permissions(p)?,
        None => set_new_mode(tmp.as_file(), new_mode)?,
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn set_new_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

/// Without Unix mode bits the temporary file's own permissions (its owner's) stand.
#[cfg(not(unix))]
fn set_new_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}
