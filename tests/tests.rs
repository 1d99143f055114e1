//! keyguard's integration tests: one test binary (helpers compile once), one module per
//! area. Every test drives the real `git` CLI and the real `keyguard` binary on
//! repositories built in temporary folders; `common` holds the shared helpers.

mod common;

// The corpus generator (examples/corpus/), shared with the corpus test.
#[path = "../examples/corpus/bench.rs"]
mod bench;
#[path = "../examples/corpus/creds.rs"]
mod creds;
#[path = "../examples/corpus/embed.rs"]
mod embed;
#[path = "../examples/corpus/negatives.rs"]
mod negatives;

mod big_commit;
mod ci_script;
mod cli;
mod config;
mod corpus;
mod doctor;
mod fix;
mod fuzz_seeds;
mod global;
mod history;
mod install;
mod inventory;
mod masking;
mod messages;
mod module_graph;
mod partial_clone;
mod push;
mod real_code;
mod robustness;
mod rule_examples;
mod scan_text;
mod staged;
mod verify;
