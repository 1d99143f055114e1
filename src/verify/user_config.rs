//! The user's own keyguard settings: `$XDG_CONFIG_HOME/keyguard/config.toml` (else
//! `~/.config/keyguard/config.toml`), or the file `KEYGUARD_USER_CONFIG` names.
//!
//! Only this file, which belongs to the person running keyguard, can switch verification
//! on by default; a repository's `.keyguard.toml` cannot (it is another file with another
//! schema, and `[verify]` there is an error). keyguard reads this file only when a scan
//! found something it could verify, so a clean commit never touches it.
//!
//! ```toml
//! [verify]
//! enabled = true   # as if --verify were given (--offline overrides it)
//! timeout = 5      # seconds per request
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    #[serde(default)]
    pub verify: VerifySection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifySection {
    #[serde(default)]
    pub enabled: bool,
    /// Seconds per request.
    pub timeout: Option<f64>,
}

/// Where the user's config file is, whether or not it exists.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KEYGUARD_USER_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("keyguard").join("config.toml"))
}

/// Reads the user's config; a missing file is the defaults.
pub fn load() -> Result<UserConfig> {
    let Some(path) = path() else {
        return Ok(UserConfig::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(UserConfig::default()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let config: UserConfig = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message().trim()))?;
    if let Some(t) = config.verify.timeout {
        if !(0.1..=120.0).contains(&t) {
            anyhow::bail!(
                "{}: verify.timeout {t} is out of range: use seconds from 0.1 to 120",
                path.display()
            );
        }
    }
    Ok(config)
}
