//! How random a string is, and whether it is a placeholder.
//!
//! Real keys are produced by a random generator; documentation, templates and test
//! fixtures are written by people. The measures here tell them apart cheaply.

/// Shannon entropy in bits per character.
pub fn shannon(s: &str) -> f64 {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Marks of hand-written stand-ins for a key, compared case-insensitively.
const PLACEHOLDER_MARKS: &[&str] = &[
    "xxxx",
    "****",
    "....",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "your_",
    "your-",
    "yourkey",
    "your api",
    "placeholder",
    "changeme",
    "change_me",
    "replace_me",
    "replaceme",
    "redacted",
    "insert",
    "dummy",
    "fake",
    "sample",
];

/// True for values such as `sk-xxxxxxxx`, `<YOUR_API_KEY>`, `${OPENAI_API_KEY}`,
/// `aaaaaaaa…`, `12345678…`: written by a person, not by a key generator.
pub fn looks_like_placeholder(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    if PLACEHOLDER_MARKS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    longest_repeat(secret.as_bytes()) >= 6 || longest_sequence(secret.as_bytes()) >= 8
}

/// Longest run of one repeated byte.
fn longest_repeat(b: &[u8]) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev = None;
    for &c in b {
        run = if Some(c) == prev { run + 1 } else { 1 };
        prev = Some(c);
        best = best.max(run);
    }
    best
}

/// Longest run of consecutive ascending or descending alphanumerics (`abcdef`, `98765`).
fn longest_sequence(b: &[u8]) -> usize {
    let mut best = 1;
    let (mut up, mut down) = (1, 1);
    for w in b.windows(2) {
        let alnum = w[0].is_ascii_alphanumeric() && w[1].is_ascii_alphanumeric();
        up = if alnum && w[1] == w[0].wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if alnum && w[1] == w[0].wrapping_sub(1) {
            down + 1
        } else {
            1
        };
        best = best.max(up).max(down);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_orders_random_above_text() {
        assert!(shannon("aaaaaaaa") < 0.01);
        assert!(shannon("Zr8q2LmX0pV7wK4n") > 3.5);
        assert_eq!(shannon(""), 0.0);
    }

    #[test]
    fn placeholders() {
        for p in [
            "sk-xxxxxxxxxxxxxxxxxxxx",
            "<YOUR_API_KEY>",
            "${OPENAI_API_KEY}",
            "sk-proj-aaaaaaaaaaaa",
            "key-1234567890",
            "sk-abcdefghijklmnop",
        ] {
            assert!(looks_like_placeholder(p), "{p}");
        }
        for real in ["sk-Zr8q2LmX0pV7wK4nT3BlbkFJ", "ghp_4fT9kQ2mZx"] {
            assert!(!looks_like_placeholder(real), "{real}");
        }
    }
}
