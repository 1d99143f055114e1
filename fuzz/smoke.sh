#!/usr/bin/env bash
# Runs each fuzz target for a while (default 60 s each; FUZZ_SECONDS to change), starting
# from the small seed corpora in fuzz/seeds/. Needs the nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
#   fuzz/smoke.sh            # or FUZZ_SECONDS=600 fuzz/smoke.sh for the 10-minute runs
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
for t in matcher config prepush index; do
    mkdir -p "fuzz/corpus/$t"
    echo "== fuzzing $t for ${secs}s"
    cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024
done
