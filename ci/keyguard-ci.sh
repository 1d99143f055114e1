#!/usr/bin/env bash
# keyguard in CI: the one script behind the GitHub Action (action.yml) and the GitLab CI
# template (ci/gitlab/keyguard.gitlab-ci.yml), so that both behave the same and can be
# tested locally with real git (tests/ci_script.rs).
#
#   keyguard-ci.sh scan                 scan exactly the commits of a pull/merge request or push
#   keyguard-ci.sh install SRC ROOT     build keyguard from SRC into ROOT/bin, unless ROOT already
#                                       holds a build of the same sources (a CI cache)
#   keyguard-ci.sh source-hash SRC      the key of those sources (for the CI cache)
#
# `scan` reads its settings from the environment:
#   KEYGUARD_BASE    the commit the changes are compared with: the pull request's base, the
#                    merge request's diff base, the commit before a push. Empty or all zeros
#                    (a new branch): HEAD's whole history is scanned.
#   KEYGUARD_HEAD    the last commit to scan (default HEAD).
#   KEYGUARD_SARIF   also write a SARIF report to this file (for code scanning).
#   KEYGUARD_BIN     the keyguard binary (default: `keyguard` on PATH).
#   KEYGUARD_FETCH   1 (default): fetch what a shallow or single-branch clone lacks from
#                    KEYGUARD_REMOTE (default origin); 0: never fetch, fail instead.
#   KEYGUARD_DEEPEN  commits added per deepening fetch (default 50); KEYGUARD_MAX_FETCHES how
#                    many deepening fetches at most (default 20) before giving up.
#
# The scan is exact or it fails: the commits between base and head must all be here with
# their parents. A commit at a shallow clone's boundary has no parents locally, so its diff
# would be its whole tree (or, worse, a base that is not here would make the range
# meaningless). So the script fetches what is missing when it can, and otherwise stops
# with exit 2 and says which fetch depth is needed. It never passes silently.
#
# Exit status: keyguard's own. 0 clean, 1 secrets found, 2 error (including history that
# is not all here).

set -u

say() { printf 'keyguard-ci: %s\n' "$*" >&2; }
die() {
    printf 'keyguard-ci: error: %s\n' "$*" >&2
    exit 2
}

source_hash() {
    src=$1
    [ -f "$src/Cargo.toml" ] || die "$src is not a keyguard source folder (no Cargo.toml)"
    (
        cd "$src" || exit 2
        find Cargo.toml Cargo.lock build.rs src rules hooks -type f -print0 2>/dev/null |
            LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
    )
}

install_keyguard() {
    src=${1:-}
    root=${2:-}
    [ -n "$src" ] && [ -n "$root" ] || die "usage: keyguard-ci.sh install SRC ROOT"
    key=$(source_hash "$src") || exit 2
    if [ -x "$root/bin/keyguard" ] && [ "$(cat "$root/.keyguard-source" 2>/dev/null)" = "$key" ]; then
        say "using the cached keyguard build in $root/bin (sources $key)"
        return 0
    fi
    command -v cargo >/dev/null 2>&1 || die "cargo is not installed: keyguard is built from source (install Rust with rustup, or use an image that has it)"
    say "building keyguard from $src into $root/bin (sources $key)"
    cargo install --locked --force --path "$src" --root "$root" || die "building keyguard failed"
    printf '%s\n' "$key" >"$root/.keyguard-source"
}

# Whether the range's commits are all here with their parents: no commit that would be
# scanned sits on a shallow boundary.
complete() {
    shallow=$(git rev-parse --git-path shallow)
    [ -s "$shallow" ] || return 0
    ! git rev-list "$@" -- | grep -qxFf "$shallow"
}

is_zero() { case "$1" in *[!0]*) return 1 ;; *) return 0 ;; esac; }

can_fetch() {
    [ "${KEYGUARD_FETCH:-1}" = 1 ] && git remote get-url "$remote" >/dev/null 2>&1
}

scan() {
    git rev-parse --git-dir >/dev/null 2>&1 || die "not inside a git repository ($(pwd))"
    remote=${KEYGUARD_REMOTE:-origin}
    base=${KEYGUARD_BASE:-}
    head_rev=${KEYGUARD_HEAD:-HEAD}
    kg=${KEYGUARD_BIN:-keyguard}
    command -v "$kg" >/dev/null 2>&1 || die "the keyguard binary was not found ($kg): set KEYGUARD_BIN or put keyguard on PATH"
    head=$(git rev-parse --verify --quiet "$head_rev^{commit}") ||
        die "the head commit $head_rev is not in this clone"
    fix="check out the whole history (GitHub: actions/checkout with fetch-depth: 0; GitLab: GIT_DEPTH: 0), or let this script fetch what is missing (KEYGUARD_FETCH=1, a remote named $remote that it can reach)"

    if is_zero "$base"; then
        # No base (a new branch, or a manual run): HEAD's whole history.
        range=("$head")
        what="the whole history of $head"
        if ! complete "${range[@]}"; then
            if can_fetch; then
                say "shallow clone and no base commit: fetching the whole history from $remote"
                git fetch --quiet --no-tags --unshallow "$remote" "$head" ||
                    die "fetching the whole history from $remote failed"
            fi
            complete "${range[@]}" ||
                die "this is a shallow clone and no base commit was given, so the whole history of $head must be scanned, and it is not all here: $fix."
        fi
    else
        if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
            can_fetch ||
                die "the base commit $base is not in this clone (a shallow or single-branch checkout), so the commits since it cannot be told apart: $fix."
            say "the base commit $base is not here: fetching it from $remote"
            depth=()
            [ "$(git rev-parse --is-shallow-repository)" = true ] && depth=(--depth=1)
            git fetch --quiet --no-tags "${depth[@]}" "$remote" "$base" ||
                die "the base commit $base is not in this clone and fetching it from $remote failed: $fix."
            git rev-parse --verify --quiet "$base^{commit}" >/dev/null ||
                die "the base commit $base is not in this clone, nor on $remote: is it the right commit? ($fix)"
        fi
        base=$(git rev-parse --verify "$base^{commit}")
        range=("$base..$head")
        what="$base..$head"
        fetches=0
        max=${KEYGUARD_MAX_FETCHES:-20}
        step=${KEYGUARD_DEEPEN:-50}
        while ! complete "${range[@]}"; do
            can_fetch ||
                die "the history between $base and $head is cut by a shallow clone: $fix."
            [ "$fetches" -lt "$max" ] ||
                die "the history between $base and $head is still cut after $max fetches of $step more commits each: $fix."
            fetches=$((fetches + 1))
            say "the history between base and head is cut (shallow clone): fetching $step more commits from $remote"
            git fetch --quiet --no-tags --deepen="$step" "$remote" "$base" "$head" ||
                die "deepening the clone from $remote failed: $fix."
        done
    fi

    count=$(git rev-list --count "${range[@]}" --)
    say "scanning $count commit(s): $what"
    "$kg" scan "${range[@]}"
    status=$?
    if [ -n "${KEYGUARD_SARIF:-}" ]; then
        "$kg" scan --quiet --format sarif "${range[@]}" >"$KEYGUARD_SARIF"
        sarif_status=$?
        [ "$sarif_status" -le 1 ] || die "writing the SARIF report failed (exit $sarif_status)"
        say "SARIF report written to $KEYGUARD_SARIF"
    fi
    exit "$status"
}

case "${1:-}" in
scan) scan ;;
install)
    shift
    install_keyguard "$@"
    ;;
source-hash) source_hash "${2:-}" ;;
*) die "usage: keyguard-ci.sh scan | install SRC ROOT | source-hash SRC" ;;
esac
