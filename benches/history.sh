#!/usr/bin/env bash
# History scan speed: builds keyguard in release mode, generates a repository of about
# 3,000 commits and a few thousand files with `git fast-import` (code, config and prose,
# feature branches merged back, keys planted in random commits and some removed again),
# then times `keyguard scan --all` against `git log -p --all` (the cost of just reading
# the same history as patches) and checks that every planted key was found.
#
#   benches/history.sh                  # 3000 commits, fresh random keys
#   benches/history.sh --commits 6000 --keep /tmp/hist-repo
#
# Uses hyperfine when installed (apt-get install hyperfine), else a timing loop.
# Keys are generated here at run time; nothing realistic is stored in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
commits=3000
keep=
runs=5
while [ $# -gt 0 ]; do
    case "$1" in
        --commits) commits=$2; shift 2 ;;
        --keep) keep=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) echo "usage: $0 [--commits N] [--keep DIR] [--runs N]" >&2; exit 2 ;;
    esac
done
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
cargo build --release --quiet --bin keyguard
kg="$target/release/keyguard"

if [ -n "$keep" ]; then
    rm -rf "$keep"; mkdir -p "$keep"; repo=$keep
else
    repo=$(mktemp -d); trap 'rm -rf "$repo"' EXIT
fi
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
git -C "$repo" init -q -b main
planted="$repo/.git/planted"

gen_start=$(date +%s.%N)
python3 - "$commits" "$planted" <<'PY' | git -C "$repo" fast-import --quiet
import random, string, sys, zlib

n_commits, planted_path = int(sys.argv[1]), sys.argv[2]
rnd = random.SystemRandom()     # keys: fresh every run
rng = random.Random(1234)       # filler: the same shape every run
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = string.ascii_letters + string.digits + "-_"
B32 = string.ascii_uppercase + "234567"

def base62(n, width):
    out = []
    for _ in range(width):
        out.append(B62[n % 62]); n //= 62
    return "".join(reversed(out))

def github_pat():
    body = "".join(rnd.choice(B62) for _ in range(30))
    return "ghp_" + body + base62(zlib.crc32(body.encode()), 6)

def openai_key():
    r = lambda k: "".join(rnd.choice(B64URL) for _ in range(k))
    return "sk-proj-" + r(74) + "T3BlbkFJ" + r(73) + "A"

def aws_id():
    return "AKIA" + "".join(rnd.choice(B32) for _ in range(16))

WORDS = ("request handler config retry timeout buffer session user account payload "
         "cursor index render cache queue worker status metrics options client server "
         "parse encode decode stream batch record schema field value result error").split()

def w(): return rng.choice(WORDS)

def line(kind, i):
    r = rng.random()
    if kind == "py":
        if r < 0.3: return f"    {w()}_{i} = {w()}.{w()}({rng.randint(0, 999)})"
        if r < 0.5: return f"def {w()}_{w()}(self, {w()}, {w()}=None):"
        if r < 0.6: return f"    # {w()} the {w()} before {w()}"
        if r < 0.7: return f"    api_key = os.environ[\"{w().upper()}_API_KEY\"]"
        if r < 0.8: return f"    checksum = \"{rng.getrandbits(256):064x}\""
        return f"    return {w()}({w()}, {w()}={rng.random():.4f})"
    if kind == "js":
        if r < 0.3: return f"  const {w()}{i} = await {w()}.{w()}({rng.randint(0, 99)});"
        if r < 0.5: return f"export function {w()}{w().title()}({w()}, {w()}) {{"
        if r < 0.6: return f"  // TODO: {w()} {w()} {w()}"
        if r < 0.7: return f"  id: \"{rng.getrandbits(128):032x}\","
        return f"  if (!{w()}) throw new Error(\"{w()} {w()}\");"
    if kind == "toml":
        if r < 0.4: return f"{w()}_{i} = {rng.randint(0, 10000)}"
        if r < 0.6: return f"[{w()}.{w()}]"
        if r < 0.7: return f"token = \"${{{w().upper()}_TOKEN}}\""
        return f"{w()} = \"{w()}-{w()}\""
    # markdown
    words = " ".join(w() for _ in range(rng.randint(6, 16)))
    return words.capitalize() + "."

EXT = {"py": "py", "js": "js", "toml": "toml", "md": "md"}
files = {}      # path -> (kind, [lines])
def new_file(i):
    kind = rng.choice(["py", "py", "js", "js", "toml", "md"])
    path = f"{rng.choice(['src', 'lib', 'app', 'docs', 'config', 'tools'])}/{w()}{i}/{w()}_{i}.{EXT[kind]}"
    files[path] = (kind, [line(kind, j) for j in range(rng.randint(40, 120))])
    return path

out = sys.stdout.buffer
mark = 0
t = 1_600_000_000
def emit(branch, msg, changed, parents=()):
    global mark, t
    mark += 1; t += 97
    o = [f"commit refs/heads/{branch}\nmark :{mark}\n",
         f"author Dev <dev@example.invalid> {t} +0000\ncommitter Dev <dev@example.invalid> {t} +0000\n"]
    m = msg.encode()
    o.append(f"data {len(m)}\n"); o.append(msg + "\n")
    for k, p in enumerate(parents):
        o.append(f"{'from' if k == 0 else 'merge'} :{p}\n")
    for p in changed:
        body = ("\n".join(files[p][1]) + "\n").encode()
        o.append(f"M 100644 inline {p}\ndata {len(body)}\n")
        out.write("".join(o).encode()); o = []
        out.write(body); out.write(b"\n")
    out.write(("".join(o) + "\n").encode())
    return mark

def edit(p, i):
    kind, lines = files[p]
    for _ in range(rng.randint(1, 5)):
        at = rng.randrange(len(lines) + 1)
        if rng.random() < 0.5 and at < len(lines):
            lines[at] = line(kind, i)
        else:
            lines.insert(at, line(kind, i))

planted = []
initial = [new_file(i) for i in range(1500)]
tip = emit("main", "initial import", initial)
i = 1
while i < n_commits:
    if i % 100 == 50:
        # A feature branch of 5 commits, merged back with --no-ff.
        # Its files are not touched on main meanwhile, so the merge takes them as they are.
        base = tip
        ftip = None
        fchanged = []
        for k in range(5):
            p = rng.choice(list(files))
            edit(p, i)
            fchanged.append(p)
            ftip = emit("feature", f"feature work {i}", [p], (base,) if k == 0 else ())
            i += 1
        p = rng.choice([q for q in files if q not in fchanged]); edit(p, i)
        tip = emit("main", f"main work {i}", [p]); i += 1
        tip = emit("main", f"Merge branch 'feature' ({i})", sorted(set(fchanged)), (tip, ftip)); i += 1
        continue
    changed = []
    if rng.random() < 0.5:
        changed.append(new_file(10000 + i))
    for _ in range(rng.randint(1, 3)):
        p = rng.choice(list(files)); edit(p, i); changed.append(p)
    if i % 150 == 7:
        # Plant a key in a new line of an existing file; sometimes remove it again soon.
        p = rng.choice([q for q in files if files[q][0] in ("py", "toml")])
        key = rng.choice([github_pat, openai_key, aws_id])()
        kind, lines = files[p]
        lines.insert(rng.randrange(len(lines) + 1), f"SECRET_{i} = \"{key}\"")
        changed.append(p)
        planted.append(key)
    tip = emit("main", f"change {i}", sorted(set(changed)))
    i += 1
out.write(b"done\n")
with open(planted_path, "w") as f:
    f.write("\n".join(planted) + "\n")
PY
git -C "$repo" reset -q --hard main
gen_end=$(date +%s.%N)

n_commits=$(git -C "$repo" rev-list --all | wc -l)
n_files=$(git -C "$repo" ls-files | wc -l)
patch_bytes=$(git -C "$repo" log -p --all | wc -c)
n_planted=$(grep -c . "$planted" || true)
echo "repository: $n_commits commits, $n_files files, $((patch_bytes / 1024)) KiB of \`git log -p --all\` output, $n_planted keys planted"
printf 'generated in %.1f s; machine: %s cores\n' "$(echo "$gen_end - $gen_start" | bc)" "$(nproc)"

# Every planted key must be found (keyguard exits 1 when it finds secrets).
found=$(cd "$repo" && "$kg" scan --all --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))' || true)
echo "keyguard scan --all: $found findings for $n_planted planted keys"

cd "$repo"
if command -v hyperfine >/dev/null 2>&1; then
    hyperfine --warmup 1 --runs "$runs" -i -N \
        "$kg scan --all --format json --quiet" \
        "git log -p --all" \
        --output=null
else
    for cmd in "$kg scan --all --format json --quiet" "git log -p --all"; do
        best=
        for _ in $(seq "$runs"); do
            s=$(date +%s.%N); $cmd >/dev/null || true; e=$(date +%s.%N)
            d=$(echo "$e - $s" | bc)
            if [ -z "$best" ] || [ "$(echo "$d < $best" | bc)" = 1 ]; then best=$d; fi
        done
        printf '%-50s best of %s: %.3f s\n' "$cmd" "$runs" "$best"
    done
fi
if [ "$found" != "$n_planted" ]; then
    echo "MISSED: found $found of $n_planted planted keys" >&2
    exit 1
fi
