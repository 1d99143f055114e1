//! Finding the config file and reading it with its `extends` chain (base first), each
//! file parsed into the shared schema with located errors.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::settings::CONFIG_FILE;
use crate::rules::schema::ConfigDoc;
use crate::rules::{self, ConfigError, SourceText};

/// Which config file applies: `--config`, else `KEYGUARD_CONFIG`, else the repository's
/// `.keyguard.toml` if there is one. The flag says whether the file must exist.
pub fn locate(explicit: Option<&Path>, repo_root: Option<&Path>) -> Option<(PathBuf, bool)> {
    if let Some(p) = explicit {
        return Some((p.to_path_buf(), true));
    }
    if let Some(p) = std::env::var_os("KEYGUARD_CONFIG").filter(|v| !v.is_empty()) {
        return Some((PathBuf::from(p), true));
    }
    let p = repo_root?.join(CONFIG_FILE);
    p.is_file().then_some((p, false))
}

/// One parsed file, kept with its text for locating errors.
pub(super) struct Loaded {
    pub(super) path: PathBuf,
    pub(super) name: String,
    pub(super) text: String,
    pub(super) doc: ConfigDoc,
}

impl Loaded {
    pub(super) fn src(&self) -> SourceText<'_> {
        SourceText {
            name: &self.name,
            text: &self.text,
        }
    }
}

/// Reads and parses one file. `from` is the file and span of the `extends` that named
/// it, so that a missing base is reported at that line.
fn read(path: &Path, from: Option<(&Loaded, Range<usize>)>) -> Result<Loaded, ConfigError> {
    let name = path.display().to_string();
    let not_readable = |what: String| match &from {
        Some((parent, span)) => parent.src().error(span.clone(), "extends", what),
        None => ConfigError {
            file: name.clone(),
            line: 0,
            column: 0,
            field: "config".into(),
            message: what,
        },
    };
    if path.is_dir() {
        return Err(not_readable(format!(
            "{name} is a directory, not a config file"
        )));
    }
    let bytes =
        std::fs::read(path).map_err(|e| not_readable(format!("cannot read {name}: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = rules::line_col(
            &String::from_utf8_lossy(e.as_bytes()),
            e.utf8_error().valid_up_to(),
        );
        ConfigError {
            file: name.clone(),
            line,
            column,
            field: "file".into(),
            message: "config is not valid UTF-8".into(),
        }
    })?;
    let doc = rules::parse_doc(&SourceText {
        name: &name,
        text: &text,
    })?;
    Ok(Loaded {
        path: path.to_path_buf(),
        name,
        text,
        doc,
    })
}

/// Reads `path` and everything it extends, base first.
pub(super) fn read_chain(path: &Path) -> Result<Vec<Loaded>, ConfigError> {
    let mut chain = vec![read(path, None)?];
    let mut seen: Vec<PathBuf> = vec![canonical(path)];
    while let Some(last) = chain.last() {
        let Some(ext) = &last.doc.extends else { break };
        if ext.get_ref().trim().is_empty() {
            return Err(last.src().error(
                ext.span(),
                "extends",
                "`extends` is empty: name a config file",
            ));
        }
        // Relative to the file that says `extends`, not to the current directory: the
        // same config must mean the same thing from a hook, a subdirectory or CI.
        let base = last
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join(ext.get_ref());
        let canon = canonical(&base);
        if seen.contains(&canon) {
            let chain_text: Vec<String> = chain
                .iter()
                .map(|l| l.name.clone())
                .chain([base.display().to_string()])
                .collect();
            return Err(last.src().error(
                ext.span(),
                "extends",
                format!("`extends` cycle: {}", chain_text.join(" -> ")),
            ));
        }
        seen.push(canon);
        let next = read(&base, Some((last, ext.span())))?;
        chain.push(next);
    }
    chain.reverse();
    Ok(chain)
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}
