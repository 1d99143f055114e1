#!/usr/bin/env python3
"""Deterministic benchmark workloads for keyguard, built as real git repositories.

Usage: gen.py WORKDIR [--scale F]

Creates under WORKDIR:
  typical/   a real source tree committed (the text files of the running Python's standard
             library: ~2,400 files of real code, tests and data), then 3 files with 60 added
             lines of real code staged: no secret
  typical-key/  the same, plus one line holding a generated key (one finding)
  big/       the typical tree plus ~100 MB of new text files staged: no secrets, many hard
             negatives (hashes, UUIDs, base64 blobs, integrity strings, cache_key lines)
  history/   ~2,000 commits over the tree (~200 MB of blob content across history), keys
             added and removed in old commits and one on an unmerged branch;
             history/planted.txt lists the planted keys' fingerprint-free descriptions
  minified/  a staged 10 MB single-line minified file
  lines/     a staged file of 1M short lines
  tiny/      100,000 tiny files staged
  moved/     10,000 files, then one commit moving and editing every one of them
  moved-staged/  the same move and edit, staged
  longhist/  50,000 small commits (each edits one of 500 small files)

Keys are generated here at run time from their public formats; nothing realistic is
stored in the repository. The same seed always gives the same workloads.
"""
import base64
import hashlib
import os
import random
import subprocess
import sys
import uuid

SEED = 20261123
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
WORDS = (
    "the of and to in is for on with as by at from that this be are it an or was which not "
    "config server client request response handler value result error index buffer stream "
    "user account session token cache router build deploy test module import export return "
    "function class struct impl public private static async await const let var if else "
    "match while loop break continue true false null none self super new delete update"
).split()


def rnd(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def crc_b62(s):
    import zlib

    n = zlib.crc32(s.encode()) & 0xFFFFFFFF
    out = ""
    for _ in range(6):
        out = B62[n % 62] + out
        n //= 62
    return out


def openai_key(rng):
    return "sk-proj-" + rnd(rng, B64URL, 74) + "T3BlbkFJ" + rnd(rng, B64URL, 73) + "A"


def github_key(rng):
    body = rnd(rng, B62, 30)
    return "ghp_" + body + crc_b62(body)


def code_line(rng):
    kind = rng.random()
    if kind < 0.5:
        return "    " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
    if kind < 0.7:
        return f"    let {rng.choice(WORDS)}_{rng.randint(0, 999)} = {rng.choice(WORDS)}({rng.randint(0, 10**6)});"
    if kind < 0.8:
        return f"# {' '.join(rng.choice(WORDS) for _ in range(8))}"
    if kind < 0.9:
        return f'    "{rng.choice(WORDS)}": "{rng.choice(WORDS)}-{rng.randint(0, 9999)}",'
    return ""


def text_file(rng, size):
    lines = []
    total = 0
    while total < size:
        l = code_line(rng)
        lines.append(l)
        total += len(l) + 1
    return "\n".join(lines) + "\n"


def hard_negative_line(rng):
    k = rng.randrange(8)
    if k == 0:
        return f'cache_key = "{hashlib.sha256(os.urandom(8)).hexdigest()}"'
    if k == 1:
        return f'  "integrity": "sha512-{base64.b64encode(os.urandom(64)).decode()}",'
    if k == 2:
        return f"id: {uuid.UUID(int=rng.getrandbits(128))}"
    if k == 3:
        return f"commit {hashlib.sha1(os.urandom(8)).hexdigest()}"
    if k == 4:
        return base64.b64encode(os.urandom(57)).decode()
    if k == 5:
        return f'<img src="data:image/png;base64,{base64.b64encode(os.urandom(90)).decode()}">'
    if k == 6:
        return f"sha256:{hashlib.sha256(os.urandom(8)).hexdigest()}  image"
    return code_line(rng)


def hard_negative_file(rng, size):
    out, total = [], 0
    while total < size:
        l = hard_negative_line(rng)
        out.append(l)
        total += len(l) + 1
    return "\n".join(out) + "\n"


def git(cwd, *args, input=None):
    subprocess.run(["git", *args], cwd=cwd, check=True, input=input, stdout=subprocess.DEVNULL)


def init(path):
    os.makedirs(path, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "bench")
    git(path, "config", "user.email", "bench@example.invalid")
    git(path, "config", "commit.gpgsign", "false")


def real_files(scale):
    """The standard library's text files (sorted, so the same Python gives the same tree):
    real code, not generated lines. Binary files, caches and installed packages are left out."""
    import sysconfig

    root = sysconfig.get_paths()["stdlib"]
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(
            x for x in dirs
            if x not in ("site-packages", "__pycache__", "lib-dynload") and not x.startswith("config-")
        )
        for f in sorted(files):
            full = os.path.join(d, f)
            if os.path.islink(full) or os.path.getsize(full) > (1 << 20):
                continue
            with open(full, "rb") as fh:
                data = fh.read()
            if b"\0" in data[:8000]:
                continue
            out.append((os.path.relpath(full, root), data))
    return out[: max(10, int(len(out) * scale))]


def base_tree(path, files):
    for rel, data in files:
        p = os.path.join(path, "lib", rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    git(path, "add", "-A")
    git(path, "commit", "-q", "--no-verify", "-m", "base")
    # packed, as a cloned repository is
    git(path, "repack", "-adq")


def typical(root, scale):
    """A real tree, and an ordinary commit on it: 3 files, 20 lines of real code added to each
    (lines taken from another file of the tree). `typical-key` adds one line holding a key."""
    rng = random.Random(SEED)
    files = real_files(scale)
    code = [(rel, data) for rel, data in files if rel.endswith(".py") and len(data) > 4000]
    targets = [code[len(code) // 7][0], code[len(code) // 2][0], code[len(code) * 5 // 6][0]]
    donor = code[len(code) // 3][1].decode("utf-8", "replace").splitlines()
    start = len(donor) // 2
    for name in ("typical", "typical-key"):
        path = os.path.join(root, name)
        if name == "typical":
            init(path)
            base_tree(path, files)
        else:
            subprocess.run(["git", "clone", "-q", os.path.join(root, "typical"), path], check=True)
            git(path, "config", "user.name", "bench")
            git(path, "config", "user.email", "bench@example.invalid")
        for i, rel in enumerate(targets):
            with open(os.path.join(path, "lib", rel), "a") as f:
                f.write("\n".join(donor[start + 20 * i : start + 20 * (i + 1)]) + "\n")
                if name == "typical-key" and i == 1:
                    f.write(f'OPENAI_API_KEY = "{openai_key(rng)}"\n')
        git(path, "add", "-A")
    return os.path.join(root, "typical")


def big(root, scale):
    rng = random.Random(SEED + 1)
    src = os.path.join(root, "typical")
    path = os.path.join(root, "big")
    subprocess.run(["git", "clone", "-q", src, path], check=True)
    git(path, "config", "user.name", "bench")
    git(path, "config", "user.email", "bench@example.invalid")
    os.makedirs(os.path.join(path, "data"), exist_ok=True)
    for i in range(int(100 * scale)):
        with open(os.path.join(path, f"data/blob{i:03d}.txt"), "w") as f:
            f.write(hard_negative_file(rng, 1 << 20))
    git(path, "add", "-A")
    return path


def history(root, scale):
    """~2,000 commits via fast-import: each touches a few files of a ~2,000-file tree."""
    rng = random.Random(SEED + 2)
    path = os.path.join(root, "history")
    init(path)
    n_commits = int(2000 * scale)
    n_files = int(2000 * scale) or 10
    planted = []
    stream = []
    mark = 0
    contents = {}
    secret_commits = {n_commits // 10: "openai", n_commits // 3: "github", n_commits // 2: "openai-removed"}
    removals = {}
    for c in range(n_commits):
        changes = []
        if c == 0:
            touched = range(n_files)
        else:
            touched = [rng.randrange(n_files) for _ in range(rng.randint(1, 4))]
        for fi in touched:
            old = contents.get(fi, "")
            add = text_file(rng, 900 if c else 45000)
            new = old + add if len(old) < 60000 else add
            contents[fi] = new
            changes.append((f"src/f{fi:05d}.txt", new))
        kind = secret_commits.get(c)
        if kind:
            key = openai_key(rng) if kind.startswith("openai") else github_key(rng)
            fi = rng.randrange(n_files)
            contents[fi] = contents.get(fi, "") + f'API_KEY = "{key}"\n'
            changes.append((f"src/f{fi:05d}.txt", contents[fi]))
            planted.append(f"commit#{c} {kind} src/f{fi:05d}.txt")
            if kind.endswith("removed"):
                removals[c + 2] = fi
        if c in removals:
            fi = removals[c]
            contents[fi] = "\n".join(l for l in contents[fi].split("\n") if "API_KEY" not in l)
            changes.append((f"src/f{fi:05d}.txt", contents[fi]))
        stream.append(f"commit refs/heads/main\nmark :{c + 1}\ncommitter bench <b@example.invalid> {1700000000 + c * 60} +0000\n")
        msg = f"change {c}"
        stream.append(f"data {len(msg)}\n{msg}\n")
        if c > 0:
            stream.append(f"from :{c}\n")
        for p, data in changes:
            b = data.encode()
            stream.append(f"M 100644 inline {p}\ndata {len(b)}\n")
            stream.append(data)
            stream.append("\n")
        mark = c + 1
    # An unmerged branch off an old commit, holding a key.
    key = github_key(rng)
    branch_data = f'token = "{key}"\n'
    stream.append(f"commit refs/heads/feature\ncommitter bench <b@example.invalid> 1800000000 +0000\ndata 7\nfeature\nfrom :{max(1, mark // 4)}\n")
    stream.append(f"M 100644 inline feature.txt\ndata {len(branch_data)}\n{branch_data}\n")
    planted.append("branch feature github feature.txt")
    git(path, "fast-import", "--quiet", input="".join(stream).encode())
    git(path, "checkout", "-q", "-f", "main")
    with open(os.path.join(root, "history-planted.txt"), "w") as f:
        f.write("\n".join(planted) + "\n")
    return path


def pathological(root, scale):
    rng = random.Random(SEED + 3)
    p = os.path.join(root, "minified")
    init(p)
    parts = []
    total = 0
    while total < int(10_000_000 * scale):
        s = f"function {rnd(rng, 'abcdefgh', 2)}(e,t){{return e.{rng.choice(WORDS)}(t,{rng.randint(0, 999)})}};var {rnd(rng, 'xyz', 2)}=\"{rnd(rng, B62, 16)}\";"
        parts.append(s)
        total += len(s)
    with open(os.path.join(p, "app.min.js"), "w") as f:
        f.write("".join(parts))
    git(p, "add", "-A")

    p = os.path.join(root, "lines")
    init(p)
    with open(os.path.join(p, "many.txt"), "w") as f:
        for i in range(int(1_000_000 * scale)):
            f.write(f"{rng.choice(WORDS)} {i}\n")
    git(p, "add", "-A")

    p = os.path.join(root, "tiny")
    init(p)
    for i in range(int(100_000 * scale)):
        d = os.path.join(p, f"d{i // 1000:03d}")
        if i % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"t{i:05d}.txt"), "w") as f:
            f.write(f"{rng.choice(WORDS)} {i}\n")
    git(p, "add", "-A")


def moved(root, scale):
    """A commit that moves and edits 10,000 files: the shape that makes similarity rename
    detection quadratic (added x deleted files). `moved` holds it as a commit, `moved-staged`
    holds the same change staged."""
    rng = random.Random(SEED + 4)
    n = int(10_000 * scale) or 10
    path = os.path.join(root, "moved")
    init(path)
    for i in range(n):
        d = os.path.join(path, f"old/m{i % 50:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:05d}.txt"), "w") as f:
            f.write(text_file(rng, 2000))
    git(path, "add", "-A")
    git(path, "commit", "-q", "--no-verify", "-m", "base")
    staged = os.path.join(root, "moved-staged")
    subprocess.run(["git", "clone", "-q", path, staged], check=True)
    for repo in (path, staged):
        git(repo, "config", "user.name", "bench")
        git(repo, "config", "user.email", "bench@example.invalid")
        os.rename(os.path.join(repo, "old"), os.path.join(repo, "new"))
        for i in range(n):
            with open(os.path.join(repo, f"new/m{i % 50:02d}/f{i:05d}.txt"), "a") as f:
                f.write(code_line(rng) + "\n")
        git(repo, "add", "-A")
    git(path, "commit", "-q", "--no-verify", "-m", "move and edit every file")
    return path


def longhist(root, scale):
    """50,000 small commits: each replaces or appends a line or two in one of 500 files.
    Measures per-commit overhead (commit and tree reads, diffs of small blobs)."""
    rng = random.Random(SEED + 5)
    path = os.path.join(root, "longhist")
    init(path)
    n = int(50_000 * scale) or 10
    contents = {}
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE)
    w = proc.stdin.write
    for c in range(n):
        fi = rng.randrange(500)
        lines = contents.get(fi, [])
        if len(lines) > 40:
            lines[rng.randrange(len(lines))] = code_line(rng)
        else:
            lines.append(code_line(rng))
        contents[fi] = lines
        data = ("\n".join(lines) + "\n").encode()
        msg = f"change {c}".encode()
        w(f"commit refs/heads/main\ncommitter bench <b@example.invalid> {1700000000 + c} +0000\n".encode())
        w(f"data {len(msg)}\n".encode() + msg + b"\n")
        w(f"M 100644 inline src/f{fi:03d}.txt\ndata {len(data)}\n".encode() + data + b"\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("fast-import failed")
    git(path, "checkout", "-q", "-f", "main")


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    root = os.path.abspath(sys.argv[1])
    scale = float(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--scale" else 1.0
    os.makedirs(root, exist_ok=True)
    only = os.environ.get("KEYGUARD_BENCH_ONLY", "typical,big,history,pathological,moved,longhist").split(",")
    if "typical" in only or "big" in only:
        typical(root, scale)
    if "big" in only:
        big(root, scale)
    if "history" in only:
        history(root, scale)
    if "pathological" in only:
        pathological(root, scale)
    if "moved" in only:
        moved(root, scale)
    if "longhist" in only:
        longhist(root, scale)


if __name__ == "__main__":
    main()
