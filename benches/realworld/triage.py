#!/usr/bin/env python3
"""Writes triage.tsv: every blocking finding of keyguard's history scan of a few public
repositories, before (main at the time) and after this branch's rule fixes, with a
verdict. Reads the JSON reports only (rule, file, line, commit, fingerprint): never a
secret or the text of its line.

usage: triage.py BEFORE_DIR AFTER_DIR > triage.tsv
  BEFORE_DIR/AFTER_DIR hold <owner>+<repo>.git.kg.json from
  `keyguard scan --all --format json` run inside each bare clone (benches/realworld.sh
  leaves it as WORKDIR/<owner>+<repo>/keyguard.stdout). Before = main when the real-world
  work began, after = this revision; both on the pinned commits of repos.tsv.
"""
import fnmatch
import json
import os
import sys

REPOS = [
    "BurntSushi+ripgrep", "gin-gonic+gin", "square+okhttp", "square+okhttp@gh-pages",
    "psf+requests", "vitejs+vite", "terraform-aws-modules+terraform-aws-eks",
    "kubernetes+examples", "rust-lang+book", "openai+openai-python", "gitleaks+gitleaks",
    "trufflesecurity+trufflehog", "git+git",
]

# (repo glob, rule, file glob) -> (verdict, cause). First match wins.
VERDICTS = [
    ("git+git", "url-basic-auth", "*", "false-alarm", "placeholder credentials in docs and test setups (passwd-on-proxy, user%40host, proxpass, [user[:password]@] syntax)"),
    ("git+git", "pgp-private-key-block", "t/lib-gpg/*", "test-fixture", "the test suite's GPG private keys: correct to block"),
    ("git+git", "keystore-file", "t/lib-gpg/*", "test-fixture", "the test suite's gpgsm PKCS#12 keystore: correct to block"),
    ("git+git", "generic-secret", "contrib/mw-to-git/t/*", "test-fixture", "$wgSecretKey of the MediaWiki instance the test suite installs: a real-format key, correct to block"),
    ("git+git", "netrc-*", "contrib/credential/netrc/*", "test-fixture", "made-up netrc entries for the credential helper's tests"),
    ("square+okhttp@gh-pages", "private-key", "*", "test-fixture", "example PEM key printed in the TLS library's docs: public, correct to block"),
    ("gitleaks+gitleaks", "generic-secret", "config/gitleaks.toml", "false-alarm", "a list of credential names (snyk_api_key): names a credential, is not one"),
    ("gitleaks+gitleaks", "google-api-key", "config/gitleaks.toml", "real", "published Google API keys the scanner's config lists as known-public: real keys, public by design"),
    ("gitleaks+gitleaks", "generic-secret", "cmd/generate/config/rules/flyio.go", "false-alarm", "a Rails authenticity_token (CSRF form token) quoted as a near-miss in a rule's tests"),
    ("gitleaks+gitleaks", "*", "*", "test-fixture", "the scanner's own test data, rule examples and documented sample output"),
    ("trufflesecurity+trufflehog", "generic-secret", "pkg/detectors/klaviyo/klaviyo.go", "false-alarm", "an Authorization header's scheme name (Klaviyo-API-Key)"),
    ("trufflesecurity+trufflehog", "*", "*", "test-fixture", "the scanner's detector tests and documented sample output"),
    ("*", "private-key*", "*test*", "test-fixture", "TLS/test private key shipped with the test suite: correct to block"),
    ("*", "private-key*", "examples/*", "test-fixture", "example key of a demo/test setup: correct to block"),
    ("*", "private-key*", "high-availability/*", "test-fixture", "example apiserver key in a docs repository: correct to block"),
    ("square+okhttp", "private-key", "*", "test-fixture", "example PEM key printed in the TLS library's docs: public, correct to block"),
    ("psf+requests", "generic-secret", "requests/packages/oauthlib/*", "false-alarm", "published OAuth RFC 5849/6749/6750 example value in a docstring"),
    ("*", "generic-secret", "docs/*", "false-alarm", "Algolia DocSearch search-only apiKey next to appId/indexName: public by design"),
    ("*", "url-basic-auth", "*", "false-alarm", "URL-parser test data: placeholder words behind %-escapes, escaped control characters or one-letter hosts"),
    ("psf+requests", "netrc-credentials", "*", "false-alarm", "netrc-format test data in a Python string (escaped \\n read as part of the password)"),
    ("kubernetes+examples", "generic-secret", "*chap-secret.yaml", "false-alarm", "Kubernetes Secret data: base64 of the word 'demo'"),
    ("kubernetes+examples", "generic-secret", "*README.md", "real", "bearer token / basic-auth password of the authors' demo cluster pasted from `kubectl config view`: a real credential (likely dead), correct to block"),
    ("openai+openai-python", "webhook-signing-secret", "tests/*", "test-fixture", "webhook signing secret made up for the unit tests: correct to block (allow it inline)"),
    ("openai+openai-python", "generic-secret", "api_reference/*", "false-alarm", "WebRTC SDP a=ice-pwd example in the API spec"),
    ("square+okhttp", "google-api-key", "samples/*", "real", "Google API key hard-coded in a sample: valid format, a real key"),
]


def verdict(repo, rule, file):
    for rg, ru, fg, v, why in VERDICTS:
        if fnmatch.fnmatch(repo, rg) and fnmatch.fnmatch(rule, ru) and fnmatch.fnmatch(file, fg):
            return v, why
    return "unreviewed", "?"


def blocking(path):
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError):
        return None
    return [x for x in d["findings"] if x["severity"] == "block" and "allowed" not in x]


def main():
    before_dir, after_dir = sys.argv[1], sys.argv[2]
    print("repo\tcommit\tfile\tline\trule_id\tfingerprint\tverdict\tcause/reason")
    summary = []
    for repo in REPOS:
        before = blocking(os.path.join(before_dir, repo + ".git.kg.json")) or []
        after = blocking(os.path.join(after_dir, repo + ".git.kg.json"))
        after_at = {}
        for x in after or []:
            after_at[(x["commit"]["id"], x["file"], x["line"], x["rule_id"])] = x
            for other in x.get("also_matched", []):
                after_at.setdefault((x["commit"]["id"], x["file"], x["line"], other), dict(x, merged=other))
        counts = {}
        for x in before:
            key = (x["commit"]["id"], x["file"], x["line"], x["rule_id"])
            v, why = verdict(repo, x["rule_id"], x["file"])
            a = after_at.get(key) if after is not None else None
            if after is None:
                status = "after: not re-run"
            elif a is None:
                status = "after: no longer reported"
            elif "merged" in a:
                status = "after: merged into the %s finding (also_matched)" % a["rule_id"]
            else:
                status = "after: still blocks"
            counts[v] = counts.get(v, 0) + 1
            print("\t".join([repo, x["commit"]["short"][:10], x["file"], str(x["line"]), x["rule_id"],
                             x["fingerprint"], v, "%s [%s]" % (why, status)]))
        new = []
        before_keys = {(x["commit"]["id"], x["file"], x["line"], x["rule_id"]) for x in before}
        for x in after or []:
            if (x["commit"]["id"], x["file"], x["line"], x["rule_id"]) not in before_keys:
                v, why = verdict(repo, x["rule_id"], x["file"])
                new.append(x)
                print("\t".join([repo, x["commit"]["short"][:10], x["file"], str(x["line"]), x["rule_id"],
                                 x["fingerprint"], v, "%s [after only]" % why]))
        summary.append((repo, len(before), None if after is None else len(after), counts))
    for repo, nb, na, counts in summary:
        print("# %s: blocking before %d, after %s; before by verdict: %s" % (
            repo, nb, "n/a" if na is None else na, ", ".join("%s %d" % kv for kv in sorted(counts.items()))),
            file=sys.stderr)


if __name__ == "__main__":
    main()
