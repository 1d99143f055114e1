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

say "pre-commit framework (for the framework integration test)"
if ! python3 -m pre_commit --version >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check pre-commit \
        || fail "could not install the pre-commit framework with pip"
fi
python3 -m pre_commit --version

say "format"
cargo fmt --all -- --check

say "lint"
cargo clippy --all-targets --locked -- -D warnings

say "tests"
cargo test --all-targets --locked

say "keyguard scans its own history"
./target/debug/keyguard scan --all
