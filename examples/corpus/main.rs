//! `cargo run --release --example corpus -- [--keyguard PATH] [--json FILE] …`
//!
//! The corpus benchmark: generates structurally valid credentials of every type (never
//! stored anywhere but the temporary corpus), plants them in realistic files of many
//! kinds next to at least as many hard negatives, stages everything in a real git
//! repository, runs `keyguard --staged --format json` and prints recall per credential
//! type, false positives per hard-negative category, precision and keyguard's wall time
//! as Markdown. Exit status: 0 targets met, 1 targets missed, 2 error.
//!
//! `benches/corpus.sh` builds keyguard in release mode and runs this in one command;
//! `tests/corpus.rs` runs a smaller, fixed-seed corpus against the debug binary.

mod bench;
mod creds;
mod embed;
mod negatives;

use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "keyguard's corpus benchmark: recall, false positives, precision, speed")]
struct Args {
    /// The keyguard binary to measure.
    #[arg(long, default_value = "target/release/keyguard")]
    keyguard: PathBuf,
    /// Seed of the generators (default: a fresh one, printed in the report).
    #[arg(long)]
    seed: Option<u64>,
    /// Files per credential type, each in a different embedding while they last.
    #[arg(long, default_value_t = 8)]
    per_type: usize,
    /// Size factor of blob-like hard negatives (data URIs, bundles, base64 fixtures).
    #[arg(long, default_value_t = 4)]
    scale: usize,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the corpus repository here and keep it (must be empty or absent).
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Minimum recall of formatted credential types.
    #[arg(long, default_value_t = 0.99)]
    min_formatted_recall: f64,
    /// Also gate the recall of context-only vendor credentials.
    #[arg(long)]
    min_context_recall: Option<f64>,
}

fn main() {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            % 1_000_000_007
    });
    let opts = bench::Options {
        keyguard: args.keyguard,
        seed,
        per_type: args.per_type.max(1),
        scale: args.scale.max(1),
        keep: args.keep,
        min_formatted_recall: args.min_formatted_recall,
        min_context_recall: args.min_context_recall,
    };
    let results = match bench::run(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("corpus: error: {e:#}");
            std::process::exit(2);
        }
    };
    print!("{}", bench::markdown(&results));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&bench::to_json(&results)).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("corpus: error: writing {}: {e}", path.display());
            std::process::exit(2);
        }
    }
    std::process::exit(if results.passed() { 0 } else { 1 });
}
