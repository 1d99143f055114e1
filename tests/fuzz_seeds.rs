//! Replays the fuzz targets' seed corpora (fuzz/seeds/) and a few thousand generated
//! inputs through the same entry points as the fuzzers, on stable Rust: a cheap, always-on
//! smoke test of "never panics, never reveals a secret".

use std::path::Path;

#[path = "../fuzz/entry.rs"]
mod fuzzing;

use keyguard::matcher::template::Rng;

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert!(!out.is_empty(), "no seeds for {target}");
    // Mutations of every seed: truncations and byte flips, like a fuzzer's first steps.
    let mut rng = Rng::new(7);
    for s in out.clone() {
        for _ in 0..50 {
            let mut m = s.clone();
            if !m.is_empty() {
                let i = rng.below(m.len());
                m[i] = rng.next_u64() as u8;
                m.truncate(rng.below(m.len()) + 1);
            }
            out.push(m);
        }
    }
    out
}

#[test]
fn matcher_seeds() {
    for s in seeds("matcher") {
        fuzzing::matcher(&s);
    }
    // Every rule's examples, through the 0xFF selector the fuzzer uses.
    let mut rng = Rng::new(11);
    for rule in 0..=255u8 {
        let mut input = vec![0xFF, rule];
        input.extend(rng.next_u64().to_le_bytes());
        input.extend(b" and\x00 some \xff trailing bytes");
        fuzzing::matcher(&input);
    }
}

#[test]
fn config_seeds() {
    for s in seeds("config") {
        fuzzing::config(&s);
    }
}

#[test]
fn prepush_seeds() {
    for s in seeds("prepush") {
        fuzzing::prepush(&s);
    }
}

#[test]
fn index_seeds() {
    // The seeds are real index files (v2 with a cache tree, v4) that the reader accepts.
    for name in ["v2-cache-tree", "v4"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/seeds/index")
            .join(name);
        let idx = keyguard::source::index::IndexFile::parse(&std::fs::read(path).unwrap())
            .unwrap_or_else(|| panic!("seed {name} does not parse"));
        assert_eq!(idx.entries.len(), 3, "{name}");
        assert!(idx.get(b"src/a/b.rs").is_some(), "{name}");
    }
    for s in seeds("index") {
        fuzzing::index(&s);
    }
}
