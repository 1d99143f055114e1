#!/usr/bin/env bash
# The corpus benchmark in one command: builds keyguard in release mode, generates a fresh
# corpus of planted credentials and hard negatives, stages it in a temporary git
# repository, runs `keyguard --staged --format json` on it and prints recall, false
# positives, precision and wall time as Markdown (see examples/corpus/main.rs).
#
#   benches/corpus.sh                        # fresh seed, 8 files per credential type
#   benches/corpus.sh --seed 42 --json out.json --per-type 12
#
# Exit status: 0 targets met, 1 targets missed, 2 error.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin keyguard
# The generator itself is fast in a debug build; only keyguard needs release.
cargo build --quiet --example corpus
exec "$target/debug/examples/corpus" --keyguard "$target/release/keyguard" "$@"
