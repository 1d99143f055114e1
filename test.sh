#!/usr/bin/env bash
# keyguard's whole test suite, exactly as CI runs it (.ci/run calls this script):
#   ./test.sh
# It installs what the tests need (Rust components, the pre-commit framework), then runs
# formatting and lint checks, every unit and integration test, and finally keyguard's
# own scan over this repository's history (fixtures must never hold a literal key).
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'test.sh: %s\n' "$*" >&2; exit 2; }

command -v cargo >/dev/null 2>&1 || fail "cargo not found: install Rust with rustup (https://rustup.rs)"
command -v git >/dev/null 2>&1 || fail "git not found"

say "toolchain"
cargo --version
if command -v rustup >/dev/null 2>&1; then
    rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi
cargo fmt --version >/dev/null 2>&1 || fail "rustfmt missing (rustup component add rustfmt)"
cargo clippy --version >/dev/null 2>&1 || fail "clippy missing (rustup component add clippy)"

say "pre-commit framework (for the framework integration tests)"
if ! command -v pre-commit >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check pre-commit \
        || fail "could not install the pre-commit framework with pip"
    # pyenv only exposes a new console script after a rehash.
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi
command -v pre-commit >/dev/null 2>&1 || fail "pre-commit is installed but not on PATH"
pre-commit --version
# With this set, the framework tests fail instead of skipping when pre-commit is missing.
export KEYGUARD_REQUIRE_PRE_COMMIT=1
# And the real-code test (tests/real_code.rs) fails instead of skipping without python3's
# standard library, which this script needs anyway (pip above).
export KEYGUARD_REQUIRE_REAL_CODE=1

say "format"
cargo fmt --all -- --check

say "lint"
cargo clippy --all-targets --locked -- -D warnings

say "tests"
cargo test --all-targets --locked

say "keyguard scans its own history"
./target/debug/keyguard scan --all
