//! `keyguard install --global` / `uninstall --global`: every repository of this user.
//!
//! git runs the hooks of one folder: the repository's `core.hooksPath`, else the global
//! one, else `.git/hooks`. So keyguard puts its global hooks (pre-commit,
//! pre-merge-commit, commit-msg, pre-push: one script, `hooks/global/hook`) in its own
//! folder, `$XDG_CONFIG_HOME/keyguard/hooks` (`~/.config/keyguard/hooks`), and points the
//! global `core.hooksPath` at it. Each hook runs the repository's own `.git/hooks/<name>`
//! first (so the pre-commit framework and project hooks keep working), then the hook of
//! the global folder that was configured before, then keyguard.
//!
//! The global config file's exact bytes are kept before the change (or the fact that
//! there was none), with a hash of the file as keyguard left it. Uninstalling writes the
//! old bytes back when the file is still as keyguard left it; when it was edited since,
//! only `core.hooksPath` is put back, and the user is told.
//!
//! A repository whose own config sets `core.hooksPath` (husky, lefthook) overrides the
//! global one, and git never runs these hooks there: install says so, and `keyguard
//! doctor` reports such a repository as not protected, with the fix.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const SCRIPT: &str = include_str!("../../hooks/global/hook");
const MARKER: &str = "keyguard-global-hook v1";
/// The hooks installed globally.
pub const HOOKS: &[&str] = &["pre-commit", "pre-merge-commit", "commit-msg", "pre-push"];

/// What `install --global` changed, to undo it.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    /// The global config file changed.
    config: PathBuf,
    /// Whether it existed before.
    existed: bool,
    /// The global `core.hooksPath` before (raw value), if any.
    previous_hooks_path: Option<String>,
    /// SHA-256 of the file as keyguard left it.
    written_sha256: String,
}

/// keyguard's own folder: `$XDG_CONFIG_HOME/keyguard`, else `~/.config/keyguard`.
fn keyguard_dir() -> Result<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Ok(PathBuf::from(x).join("keyguard"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .context("HOME is not set: cannot find the global git config")?;
    Ok(PathBuf::from(home).join(".config").join("keyguard"))
}

/// The folder of the global hooks.
pub fn hooks_dir() -> Result<PathBuf> {
    Ok(keyguard_dir()?.join("hooks"))
}

fn state_file() -> Result<PathBuf> {
    Ok(keyguard_dir()?.join("global-install.json"))
}

/// The global config file git writes: `$GIT_CONFIG_GLOBAL`, else `~/.gitconfig`.
fn global_config_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("GIT_CONFIG_GLOBAL").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .context("HOME is not set: cannot find the global git config")?;
    Ok(PathBuf::from(home).join(".gitconfig"))
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn backup_file() -> Result<PathBuf> {
    Ok(keyguard_dir()?.join("gitconfig.before-keyguard"))
}

fn hooks_path_in(config: &Path) -> Result<Option<String>> {
    if !config.exists() {
        return Ok(None);
    }
    let cfg =
        git2::Config::open(config).with_context(|| format!("reading {}", config.display()))?;
    match cfg.get_string("core.hooksPath") {
        Ok(v) if !v.is_empty() => Ok(Some(v)),
        _ => Ok(None),
    }
}

fn set_hooks_path(config: &Path, value: Option<&str>) -> Result<()> {
    let mut cfg =
        git2::Config::open(config).with_context(|| format!("opening {}", config.display()))?;
    match value {
        Some(v) => cfg
            .set_str("core.hooksPath", v)
            .with_context(|| format!("setting core.hooksPath in {}", config.display())),
        None => match cfg.remove("core.hooksPath") {
            Ok(()) => Ok(()),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(()),
            Err(e) => Err(e).context("removing core.hooksPath"),
        },
    }
}

/// Expands `~/` as git does for `core.hooksPath`.
fn expand(value: &str) -> PathBuf {
    match (value.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(value),
    }
}

/// What `install --global` did, for the user.
pub struct Installed {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub previous: Option<String>,
    pub already: bool,
}

pub fn install() -> Result<Installed> {
    let dir = hooks_dir()?;
    let config = global_config_path()?;
    let state_path = state_file()?;
    let state: Option<State> = fs::read(&state_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let previous = match &state {
        Some(s) => s.previous_hooks_path.clone(),
        None => hooks_path_in(&config)?,
    };
    if let Some(p) = &previous {
        if p.contains(['\'', '\n']) {
            bail!("the global core.hooksPath ({p:?}) holds a quote or a newline: keyguard cannot chain it safely; change it first");
        }
    }
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.display().to_string())
        .filter(|p| !p.contains(['\'', '"', '$', '`', '\\']))
        .unwrap_or_default();
    let previous_dir = previous
        .as_deref()
        .map(|p| expand(p).display().to_string())
        .unwrap_or_default();
    let body = SCRIPT
        .replace("@KEYGUARD_FALLBACK@", &exe)
        .replace("@KEYGUARD_PREVIOUS@", &previous_dir);
    for name in HOOKS {
        let hook = dir.join(name);
        let tmp = dir.join(format!(".{name}.keyguard-tmp"));
        fs::write(&tmp, &body).with_context(|| format!("writing {}", tmp.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))
                .with_context(|| format!("making {} executable", tmp.display()))?;
        }
        fs::rename(&tmp, &hook).with_context(|| format!("installing {}", hook.display()))?;
    }
    let dir_text = dir
        .to_str()
        .context("keyguard's config folder is not UTF-8: git cannot be pointed at it")?;
    let already = state.is_some() && hooks_path_in(&config)?.as_deref() == Some(dir_text);
    if !already {
        let before = fs::read(&config).ok();
        if state.is_none() {
            // Kept before anything changes, so that uninstall can put it back exactly.
            if let Some(b) = &before {
                fs::write(backup_file()?, b).context("keeping a copy of the global config")?;
            }
        }
        if let Some(parent) = config.parent() {
            fs::create_dir_all(parent).ok();
        }
        if before.is_none() {
            fs::write(&config, b"").with_context(|| format!("creating {}", config.display()))?;
        }
        set_hooks_path(&config, Some(dir_text))?;
        let written = fs::read(&config).context("reading the global config back")?;
        let new_state = State {
            config: config.clone(),
            existed: state.as_ref().map_or(before.is_some(), |s| s.existed),
            previous_hooks_path: previous.clone(),
            written_sha256: sha256(&written),
        };
        fs::write(&state_path, serde_json::to_vec_pretty(&new_state)?)
            .with_context(|| format!("writing {}", state_path.display()))?;
    }
    Ok(Installed {
        dir,
        config,
        previous,
        already,
    })
}

/// What `uninstall --global` did.
pub enum Uninstalled {
    NotInstalled,
    /// The config file was written back byte for byte.
    Restored(PathBuf),
    /// The config had changed since: only core.hooksPath was put back.
    HooksPathOnly(PathBuf),
}

pub fn uninstall() -> Result<Uninstalled> {
    let state_path = state_file()?;
    let Ok(bytes) = fs::read(&state_path) else {
        return Ok(Uninstalled::NotInstalled);
    };
    let state: State = serde_json::from_slice(&bytes)
        .with_context(|| format!("reading {}", state_path.display()))?;
    let current = fs::read(&state.config).ok();
    let outcome = if current.as_deref().map(sha256).as_deref() == Some(&state.written_sha256) {
        if state.existed {
            let backup =
                fs::read(backup_file()?).context("reading the copy of the global config")?;
            fs::write(&state.config, backup)
                .with_context(|| format!("restoring {}", state.config.display()))?;
        } else {
            fs::remove_file(&state.config)
                .with_context(|| format!("removing {}", state.config.display()))?;
        }
        Uninstalled::Restored(state.config.clone())
    } else {
        if current.is_some() {
            let ours = hooks_dir()?;
            let now = hooks_path_in(&state.config)?;
            // Only undo our own setting: a hooksPath the user set since is theirs.
            if now.as_deref().map(expand) == Some(ours) {
                set_hooks_path(&state.config, state.previous_hooks_path.as_deref())?;
            }
        }
        Uninstalled::HooksPathOnly(state.config.clone())
    };
    let dir = hooks_dir()?;
    for name in HOOKS {
        let hook = dir.join(name);
        if fs::read_to_string(&hook).is_ok_and(|t| t.contains(MARKER)) {
            fs::remove_file(&hook).with_context(|| format!("removing {}", hook.display()))?;
        }
    }
    let _ = fs::remove_dir(&dir);
    let _ = fs::remove_file(backup_file()?);
    fs::remove_file(&state_path).with_context(|| format!("removing {}", state_path.display()))?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_script_is_marked_and_has_its_placeholders() {
        assert!(super::SCRIPT.contains(super::MARKER));
        assert!(super::SCRIPT.contains("@KEYGUARD_FALLBACK@"));
        assert!(super::SCRIPT.contains("@KEYGUARD_PREVIOUS@"));
    }
}
