#!/usr/bin/env bash
# keyguard speed benchmark: builds deterministic workloads as real git repos and times
# whole commands with hyperfine, each next to git's own cost on the same repo.
#
#   benches/run.sh [WORKDIR]      (default: ./bench-work; KEYGUARD_BENCH_SCALE=0.2 for a quick run)
#
# Prints a Markdown table (times, ratio to the git floor, peak RSS) and writes it to
# WORKDIR/results.md. Needs python3, git, hyperfine and GNU time (`apt-get install
# hyperfine time` on Debian); it installs hyperfine/time itself when apt-get is usable.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mkdir -p "${1:-$here/bench-work}" && cd "${1:-$here/bench-work}" && pwd)
scale=${KEYGUARD_BENCH_SCALE:-1}
runs=${KEYGUARD_BENCH_RUNS:-10}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine || [ ! -x /usr/bin/time ]; then
    if need apt-get; then
        apt-get install -y hyperfine time >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y hyperfine time >/dev/null; }
    fi
fi
need hyperfine || { echo "benches/run.sh: hyperfine is required (apt-get install hyperfine)" >&2; exit 2; }

echo "== building release binary" >&2
(cd "$here" && cargo build --release --quiet)
kg="${CARGO_TARGET_DIR:-$here/target}/release/keyguard"

if [ ! -f "$work/.generated-$scale" ]; then
    echo "== generating workloads in $work (scale $scale)" >&2
    rm -rf "$work"/{typical,big,history,minified,lines,tiny,moved,moved-staged}
    python3 "$here/benches/gen.py" "$work" --scale "$scale"
    touch "$work/.generated-$scale"
fi

# mean seconds of a command, via hyperfine's JSON export
mean() { # dir name cmd...
    local dir=$1 name=$2; shift 2
    (cd "$dir" && hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/$name.json" -i "$@" >/dev/null 2>&1)
    python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$work/$name.json"
}
# peak resident memory (KiB) of one run
peak() { # dir cmd...
    local dir=$1; shift
    # (keyguard exits 1 when it finds the planted keys: that is not a failure here)
    (cd "$dir" && { /usr/bin/time -f %M "$@" 2>&1 >/dev/null || true; } | tail -1)
}
# the git floor commands go through sh so that output can be discarded like keyguard's
row() { # label dir kg-cmd git-cmd target
    local label=$1 dir=$2 kcmd=$3 gcmd=$4 target=$5
    local k g mem ratio
    k=$(mean "$dir" "$label-kg" "$kcmd")
    g=$(mean "$dir" "$label-git" "sh -c '$gcmd >/dev/null'")
    mem=$(peak "$dir" $kcmd)
    ratio=$(python3 -c "print('%.2f' % ($k / $g))")
    printf '| %s | %.1f ms | %.1f ms | %s× | %s | %.1f MiB |\n' "$label" "$(python3 -c "print($k*1000)")" "$(python3 -c "print($g*1000)")" "$ratio" "$target" "$(python3 -c "print($mem/1024)")"
}

out="$work/results.md"
{
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(git --version); scale $scale; $runs runs each"
    echo
    echo "| workload | keyguard | git floor | ratio | target | keyguard peak RSS |"
    echo "|---|---|---|---|---|---|"
    row typical "$work/typical" "$kg --staged -q" "git diff --cached -U0" "≤ 1.5×"
    row big "$work/big" "$kg --staged -q" "git diff --cached -U0" "≤ 1.5×"
    row history "$work/history" "$kg scan --all -q --format json" "git log -p --all" "≤ 0.6×"
    row minified-10MB "$work/minified" "$kg --staged -q --max-file-size 64M" "git diff --cached -U0" "linear"
    row 1M-lines "$work/lines" "$kg --staged -q --max-file-size 64M" "git diff --cached -U0" "linear"
    row 50k-tiny-files "$work/tiny" "$kg --staged -q" "git diff --cached -U0" "linear"
    row move-5000-staged "$work/moved-staged" "$kg --staged -q" "git diff --cached -U0" "linear"
    row move-5000-commit "$work/moved" "$kg scan HEAD~1..HEAD -q" "git log -p -1 HEAD" "linear"
} | tee "$out"

# Correctness alongside speed: no false alarm on big, every planted key found in history.
echo >&2
if (cd "$work/big" && "$kg" --staged -q >/dev/null); then echo "big: no findings (as expected)" >&2; else echo "big: FALSE ALARM" >&2; fi
found=$(cd "$work/history" && { "$kg" scan --all --format json || true; } | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
planted=$(grep -c . "$work/history-planted.txt")
echo "history: $found findings for $planted planted keys" >&2
