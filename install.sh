#!/usr/bin/env bash
# Builds and installs keyguard from this checkout with `cargo install`, then, when run
# from inside another project's git work tree, installs keyguard's hooks there.
#
#   /path/to/keyguard/install.sh              # install the binary (+ hooks if in a repo)
#   /path/to/keyguard/install.sh --pre-push   # ... and the pre-push hook too
#
# Where the binary goes follows cargo's own rules: $CARGO_INSTALL_ROOT/bin, else
# $CARGO_HOME/bin, else ~/.cargo/bin.
set -euo pipefail

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

pre_push=
for arg in "$@"; do
    case "$arg" in
        --pre-push) pre_push=--pre-push ;;
        -h | --help)
            sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument: $arg (only --pre-push is accepted)" ;;
    esac
done

# The checkout this script lives in, whatever the current directory is.
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

if ! command -v cargo >/dev/null 2>&1; then
    die "cargo (the Rust toolchain) was not found on PATH. Install it with rustup (https://rustup.rs):
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh
then open a new shell (or run: . \"\$HOME/.cargo/env\") and run this script again."
fi

say "building and installing keyguard from $src_dir (release build; this takes a minute or two)"
# --locked: build exactly the dependency versions that were tested (Cargo.lock).
# --force: replace an older keyguard already installed.
cargo install --path "$src_dir" --locked --force

install_root=${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}
bin_dir="$install_root/bin"
kg="$bin_dir/keyguard"
if [ ! -x "$kg" ]; then
    # A cargo config `install.root` can move it: ask the shell where it ended up.
    kg=$(command -v keyguard || true)
    [ -n "$kg" ] || die "cargo install succeeded but keyguard is neither in $bin_dir nor on PATH"
    bin_dir=$(dirname "$kg")
fi
say "installed $kg"
"$kg" --version

on_path=no
IFS=: read -r -a path_dirs <<<"${PATH:-}"
for d in "${path_dirs[@]}"; do
    if [ -n "$d" ] && [ "$(cd "$d" 2>/dev/null && pwd -P)" = "$(cd "$bin_dir" && pwd -P)" ]; then
        on_path=yes
        break
    fi
done
if [ "$on_path" = no ]; then
    say "$bin_dir is not on your PATH. Add it, e.g. for bash:"
    say "    echo 'export PATH=\"$bin_dir:\$PATH\"' >> ~/.bashrc && . ~/.bashrc"
    say "(zsh: ~/.zshrc; fish: fish_add_path $bin_dir). Hooks installed by this keyguard remember its full path ($kg), so they work meanwhile."
fi

# Hooks: only for a project the user is standing in, never for keyguard's own checkout.
# (--is-inside-work-tree prints "false" and succeeds inside a .git directory.)
top=
if [ "$(git rev-parse --is-inside-work-tree 2>/dev/null || :)" = true ]; then
    top=$(cd "$(git rev-parse --show-toplevel)" && pwd -P)
fi
if [ -n "$top" ] && [ "$top" != "$src_dir" ]; then
    say "installing the git hooks in $top"
    # The absolute path, so the hooks record where keyguard is even when it is not on PATH.
    # shellcheck disable=SC2086 # $pre_push is empty or one word.
    "$kg" install $pre_push
else
    say "to protect a project, run this in its git work tree:"
    say "    keyguard install              # pre-commit and pre-merge-commit hooks"
    say "    keyguard install --pre-push   # also scan what is pushed"
fi
