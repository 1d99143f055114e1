//! keyguard: stops API keys from entering a git repository.
//!
//! Data flows one way, one module per stage:
//! `source` (what is committed or pushed, as added lines) → `matcher` (keyword
//! prefilter, regexes, `validate`) → `filter` (allowlists, inline markers, baseline)
//! → `verify` (opt-in live checks, `--verify`) → `inventory` (findings grouped by key,
//! for `keyguard inventory`) → `report` (human, JSON, SARIF, Markdown). `rules` holds the rule schema and the built-in catalogue
//! (data in `rules/*.toml`), `config` reads `.keyguard.toml`, `scan` connects the
//! stages, `install` manages the git hooks, `fix` moves a staged key out of the code
//! into `.env`, `app` implements the commands. `alloc` is the process's allocator (over-aligned
//! blocks without heap fragmentation, for zlib-rs).

pub mod alloc;
pub mod app;
pub mod cli;
pub mod config;
pub mod filter;
pub mod finding;
pub mod fix;
pub mod install;
pub mod inventory;
pub mod matcher;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod verify;
