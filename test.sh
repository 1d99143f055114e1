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

say "git filter-repo (for the inventory purge-plan test)"
if ! git filter-repo --version >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check git-filter-repo \
        || fail "could not install git-filter-repo with pip"
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi
# pip may have installed it under the user base (a read-only site), which is not always on PATH.
if ! git filter-repo --version >/dev/null 2>&1; then
    PATH="$(python3 -m site --user-base)/bin:$PATH"
    # The tests run git under a temporary HOME, which would hide the user site from python.
    PYTHONUSERBASE="$(python3 -m site --user-base)"
    export PATH PYTHONUSERBASE
fi
git filter-repo --version >/dev/null 2>&1 || fail "git-filter-repo is installed but git cannot find it on PATH"
printf 'git filter-repo %s\n' "$(git filter-repo --version)"
# With this set, the purge-plan test fails instead of skipping when git filter-repo is missing.
export KEYGUARD_REQUIRE_FILTER_REPO=1

say "format"
cargo fmt --all -- --check

say "lint"
cargo clippy --all-targets --locked -- -D warnings

say "tests"
cargo test --all-targets --locked

say "keyguard scans its own history"
./target/debug/keyguard scan --all
