//! The baseline file: fingerprints of findings accepted when keyguard was adopted, one per
//! line, so they are not reported again. Both directions of the format live here: what
//! `keyguard baseline` writes and what every scan reads.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result};

/// Fingerprints accepted by a baseline file.
#[derive(Debug, Default)]
pub struct Baseline {
    pub fingerprints: HashSet<String>,
}

impl Baseline {
    /// Reads a baseline: one fingerprint per line, `#` comments and blank lines ignored.
    /// A missing file is an empty baseline.
    pub fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Baseline::default()),
            Err(e) => {
                return Err(e).with_context(|| format!("reading baseline {}", path.display()))
            }
        };
        let fingerprints = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        Ok(Baseline { fingerprints })
    }

    /// Writes `fingerprints` (sorted, deduplicated) with a header saying what the file is:
    /// no secrets, line numbers or timestamps, so the file is stable and merges cleanly.
    /// A missing parent folder is created (`--baseline meta/accepted.txt`).
    pub fn write<'a>(
        path: &Path,
        fingerprints: impl IntoIterator<Item = &'a str>,
    ) -> Result<usize> {
        let mut fps: Vec<&str> = fingerprints.into_iter().collect();
        fps.sort_unstable();
        fps.dedup();
        let mut text = String::from(
            "# keyguard baseline: findings accepted when keyguard was adopted (rule id:hash of the secret).\n\
             # They are not reported again. Regenerate with `keyguard baseline`; remove a line to report it again.\n",
        );
        for fp in &fps {
            text.push_str(fp);
            text.push('\n');
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        Ok(fps.len())
    }
}
