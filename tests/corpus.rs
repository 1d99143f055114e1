//! The corpus benchmark as a test: a smaller corpus with a fixed seed, run against the
//! debug binary, held to the same targets as `benches/corpus.sh` (recall of formatted
//! credential types ≥ 99 %, not one flagged hard negative). The generator modules are
//! shared with `examples/corpus/` so that the test and the benchmark cannot drift apart.
//! Also checks the generators themselves against published checksum vectors, since a
//! wrong generator would make every score meaningless.

// The generator modules refer to each other as `crate::creds` and so on (they are the
// corpus example's root modules), so tests.rs declares them at the crate root.
use crate::{bench, creds, embed};

use std::collections::BTreeSet;
use std::path::PathBuf;

use creds::{Class, B36, B62};

fn options() -> bench::Options {
    bench::Options {
        keyguard: PathBuf::from(env!("CARGO_BIN_EXE_keyguard")),
        seed: 20_240_611,
        per_type: 2,
        scale: 1,
        keep: None,
        min_formatted_recall: 0.99,
        min_context_recall: None,
    }
}

#[test]
fn generators_reproduce_published_checksums() {
    // GitHub's published sample token (key-formats.md), split so no scanner sees it whole.
    let body = ["zQWBuTSOoRi4A9spHcVY5n", "cnsDkxkJ"].concat();
    assert_eq!(
        creds::radix(creds::crc32(body.as_bytes()), B62, 6),
        "0mLq17"
    );
    // GitLab's routable sample: CRC32 of everything before the last 7 characters.
    let head = ["glpat-bzox79Of-KE9FD2Ljo", "XXF4CvyxA.0r"].concat();
    assert_eq!(
        creds::radix(creds::crc32(head.as_bytes()), B36, 7),
        "03gxo7s"
    );
    // BIP-173 test vectors.
    let mut rng = keyguard::matcher::template::Rng::new(1);
    assert_eq!(creds::bech32("a", &[], true, &mut rng), "a12uel5l");
    let data: Vec<u8> = (0..20)
        .map(|i| {
            u8::from_str_radix(
                &"00443214c74254b635cf84653a56d7c675be77df"[2 * i..2 * i + 2],
                16,
            )
            .unwrap()
        })
        .collect();
    assert_eq!(
        creds::bech32("abcdef", &data, true, &mut rng),
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"
    );
    // CRC-24/OPENPGP check value.
    assert_eq!(creds::crc24(b"123456789"), 0x21CF02);
    // Wrong-checksum lookalikes really differ from the valid form.
    let good = creds::github_style(&mut rng, "ghp_", true);
    let body = &good[4..34];
    assert_eq!(
        &good[34..],
        creds::radix(creds::crc32(body.as_bytes()), B62, 6)
    );
    let bad = creds::github_style(&mut rng, "ghp_", false);
    assert_ne!(
        &bad[34..],
        creds::radix(creds::crc32(&bad.as_bytes()[4..34]), B62, 6)
    );
}

#[test]
fn corpus_is_deterministic_and_complete() {
    let opts = options();
    let a = bench::build(&opts);
    let b = bench::build(&opts);
    assert_eq!(a.files.len(), b.files.len());
    for (x, y) in a.files.iter().zip(&b.files) {
        assert_eq!((&x.path, &x.content), (&y.path, &y.content));
    }
    let paths: BTreeSet<&str> = a.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths.len(), a.files.len(), "duplicate corpus paths");
    let positives = a.files.iter().filter(|f| f.negative.is_none()).count();
    assert!(
        a.files.len() - positives >= positives,
        "fewer negatives than positives"
    );
    let mut planted = vec![0usize; a.types.len()];
    for p in a.files.iter().flat_map(|f| &f.plants) {
        planted[p.type_idx] += 1;
    }
    for (t, n) in a.types.iter().zip(&planted) {
        assert!(*n >= opts.per_type, "type {} planted {n} times", t.label);
    }
    // Every embedding holds at least one credential type, and every class is present.
    for e in embed::EMBEDDINGS {
        assert!(
            a.types.iter().any(|t| embed::compatible(t, e)),
            "embedding {} fits no type",
            e.name
        );
    }
    for class in [Class::Formatted, Class::Context, Class::Generic] {
        assert!(a.types.iter().any(|t| t.class == class));
    }
    // Every type in key-formats.md's table has a generator here (by a representative).
    for label in [
        "openai-project",
        "anthropic-api",
        "github-pat",
        "gitlab-pat-routable-v1",
        "npm-token",
        "pypi-token",
        "slack-webhook",
        "stripe-live-secret",
        "aws-access-key-id",
        "gcp-service-account",
        "azure-storage-connection-string",
        "atlassian",
        "cloudflare-user-token",
        "age-identity",
        "pgp-private-key",
        "postgres-url",
        "supabase-service-role-jwt",
        "vault-service",
        "sentry-org-token",
    ] {
        assert!(
            a.types.iter().any(|t| t.label == label),
            "missing type {label}"
        );
    }
    // Different seeds give different credentials.
    let c = bench::build(&bench::Options {
        seed: opts.seed + 1,
        ..opts
    });
    assert_ne!(a.files[0].content, c.files[0].content);
}

#[test]
fn keyguard_meets_corpus_targets() {
    let opts = options();
    let results = bench::run(&opts).expect("corpus run");
    let report = bench::markdown(&results);
    eprintln!("{report}");
    // The JSON form carries the same verdict and counts.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.json");
    std::fs::write(
        &path,
        serde_json::to_string(&bench::to_json(&results)).unwrap(),
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(json["gate"]["passed"].as_bool(), Some(results.passed()));
    assert_eq!(
        json["flagged_negative_files"].as_u64(),
        Some(results.flagged_negative_files() as u64)
    );
    assert!(results.run.scanned_files as usize >= results.positive_files + results.negative_files);
    assert!(
        results.passed(),
        "corpus targets missed:\n{}\n(full report above)",
        results.gate_failures.join("\n")
    );
}
