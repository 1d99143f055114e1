//! The randomness score: how likely a string is machine-generated, in [0, 1] (see the
//! parent module for how the model was derived), and Shannon entropy.

use base64::Engine;

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

/// `log2(P(word starts with letter) * 26)`, in sixteenths of a bit.
const START: [i8; 26] = [
    11, 1, 17, 12, 4, 3, -5, -7, 5, -33, -23, 4, 7, 0, -11, 16, -41, 8, 22, 5, -7, -17, -12, -34,
    -51, -46,
];

/// `log2(P(next letter | letter) * 26)`, in sixteenths of a bit; rows: the first letter.
#[rustfmt::skip]
const BIGRAM: [[i8; 26]; 26] = [
    /* a */ [ -36,    3,   15,    7,  -42,  -32,   -1,  -55,   -6,  -80,  -28,   24,    9,   23,  -72,    4,  -89,   25,   12,   33,  -14,  -27,  -36,  -30,  -23,  -59],
    /* b */ [  26,   -9,    2,   -9,   23,  -15,  -38,  -49,   23,   -9,  -47,   31,  -22,  -33,   16,  -20,  -73,    9,   10,  -20,   18,  -51,  -64,  -57,  -10,  -71],
    /* c */ [  24,  -23,   -6,  -20,   24,  -25,  -33,   21,    1,  -96,   11,    7,  -22,  -36,   36,  -22,  -71,    5,   -5,   21,   -7,  -43,  -58,  -70,  -30,  -86],
    /* d */ [  19,   -7,  -14,    4,   45,  -13,  -28,  -41,   32,  -50,  -53,    0,  -17,  -26,    9,  -20,  -61,    7,    7,  -16,   -4,  -32,  -14,  -46,  -33,  -80],
    /* e */ [   5,  -26,   11,   19,  -11,   -8,  -17,  -50,  -22,  -78,  -49,    6,   -2,   25,  -33,  -11,  -30,   34,   26,   17,  -41,  -12,  -26,    1,  -30,  -73],
    /* f */ [  16,  -18,   -8,   -3,   19,   21,  -33,  -54,   36,  -82,  -67,   16,  -24,  -18,   28,  -23,  -71,    9,    5,   -1,    2,  -60,  -47,  -57,  -22, -107],
    /* g */ [  11,  -36,  -16,  -25,   44,  -26,  -14,    7,   17,  -84,  -53,    1,  -15,    8,    3,  -15,  -69,   25,   18,   -9,    3,  -41,  -43,  -56,  -44,  -63],
    /* h */ [  38,  -31,  -16,  -12,   39,  -36,  -43,  -47,   26,  -73,  -41,  -14,  -13,  -22,   28,  -23,  -71,    1,   -6,    5,   -6,  -46,  -27,  -75,  -16,  -62],
    /* i */ [  -4,  -12,   14,    7,   -2,   -7,    1,  -74,  -57,  -68,  -46,    7,    3,   42,   21,   -8,  -75,   -7,   15,   18,  -59,   -9,  -86,  -36,  -92,   -9],
    /* j */ [  28,  -24,   -8,   -6,   40,  -25,  -37,  -46,    9,  -45,  -13,  -35,  -18,  -23,   34,   -6,  -43,  -29,   15,  -23,   22,  -51,  -24,  -70,  -50,  -48],
    /* k */ [  16,  -16,  -17,   -5,   47,  -19,  -22,  -14,   27,  -49,  -42,   -1,  -17,  -12,    0,  -15,  -55,  -10,   24,   -3,   -6,  -41,  -20,  -73,  -27,  -62],
    /* l */ [  26,  -32,  -25,   -5,   39,  -29,  -37,  -60,   35,  -79,  -36,   18,  -35,  -39,   23,   -4,  -86,  -40,    1,    0,   -2,  -32,  -65,  -79,    4,  -76],
    /* m */ [  38,   -2,  -25,  -18,   40,  -32,  -40,  -59,   22,  -96,  -46,  -18,   -2,  -33,   18,   23,  -52,  -32,    9,  -19,    0,  -55,  -57,  -63,  -35,  -95],
    /* n */ [  17,  -40,   11,   20,   22,    2,   27,  -45,    7,  -61,  -23,  -23,  -38,  -15,    9,  -25,  -73,  -34,   20,   32,   -8,  -20,  -56,  -77,  -44,  -68],
    /* o */ [ -26,  -13,   10,    5,  -36,  -16,  -12,  -55,  -21,  -64,  -23,   13,   10,   39,   -6,    8, -101,   29,    4,    4,   12,  -14,   -4,  -42,  -52,  -82],
    /* p */ [  27,  -34,   -7,  -14,   29,  -21,  -40,   -4,   10,  -94,  -44,   14,  -30,  -32,   20,    8,  -69,   30,    8,   10,   -5,  -37,  -37,  -65,  -17,  -97],
    /* q */ [ -11,  -21,  -18,   -4,  -18,  -18,  -38,  -50,  -21,  -56,  -60,   11,  -13,  -16,  -22,  -16,  -17,   -6,    7,  -16,   62,  -33,  -33,  -68,  -62,  -54],
    /* r */ [  26,  -36,   -3,   -7,   41,  -28,  -14,  -63,   25,  -89,  -23,  -19,   -2,  -15,   24,  -20,  -73,   -6,   11,   10,  -13,  -23,  -52,  -78,  -11,  -81],
    /* s */ [   1,  -45,    8,  -33,   32,  -31,  -30,    5,   23,  -85,  -22,  -15,  -21,  -30,    6,    5,  -43,  -25,   15,   38,    8,  -41,  -34,  -67,  -12,  -22],
    /* t */ [  24,  -38,   -8,  -26,   37,  -26,  -55,    9,   34,  -87,  -57,  -15,  -24,  -36,   14,  -18,  -77,   21,    9,   -2,   -8,  -45,  -40,  -46,    2,  -54],
    /* u */ [  -2,    8,   -1,  -12,    8,   -7,  -19,  -76,    2,  -85,  -52,   17,   15,   31,  -32,   11,  -96,   22,   21,   26,  -61,  -58,  -81,  -42,  -78,  -63],
    /* v */ [  35,  -37,  -11,  -25,   53,  -26,  -38,  -42,   36,  -86,  -59,  -24,  -16,  -33,    5,  -14,  -63,  -24,   -7,  -22,  -54,  -63,  -63,  -58,  -56,  -70],
    /* w */ [  33,  -27,   -5,   -7,   24,  -18,  -45,    2,   30,  -79,  -39,   -8,   -9,   13,   18,   -7,  -56,   12,   20,  -12,  -44,  -47,  -45,  -49,  -58,  -47],
    /* x */ [   9,  -22,   13,   -7,   23,   -4,  -34,  -25,   16,  -69,  -63,   -7,   -3,  -26,  -13,   29,  -42,  -16,    0,   40,  -36,  -30,  -32,   -9,  -13,  -59],
    /* y */ [   6,  -14,    1,  -10,    4,  -19,  -21,  -38,    3,  -73,  -41,    8,   14,   16,   -5,   41,  -63,  -10,   25,   13,  -28,  -27,  -24,  -52,  -35,  -29],
    /* z */ [  23,  -30,  -14,  -15,   55,  -13,  -41,  -23,   19,  -72,  -39,  -18,  -20,  -20,   10,   -6,  -66,  -19,   -5,  -20,  -16,  -29,  -43,  -57,  -26,  -10],
];

/// Logistic weights, in the order of [`Features::vector`], then the bias.
const WEIGHTS: [f64; 7] = [
    -6.0135, // bigram log-likelihood ratio (bits per letter, shrunk when few letters)
    7.8139,  // character-class transitions per character
    2.8391,  // entropy / log2(min(length, alphabet size))
    4.4021,  // ln(length)
    -0.7466, // number of character classes
    4.1909,  // share of digits
    4.0517,  // all hex digits, mixing digits and letters
];
const BIAS: f64 = -17.473;

/// Class of a byte: lower, upper, digit, other.
pub(super) fn class(b: u8) -> usize {
    match b {
        b'a'..=b'z' => 0,
        b'A'..=b'Z' => 1,
        b'0'..=b'9' => 2,
        _ => 3,
    }
}

/// Rough alphabet size a random generator would draw each class from.
const CLASS_SIZE: [f64; 4] = [26.0, 26.0, 10.0, 16.0];

/// The letters of `s` cut into words: runs of letters, split at `aB` (camelCase) and
/// before the last capital of a run followed by a lower-case letter (`HTTPServer`).
pub(super) fn words(s: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, &c) in s.iter().enumerate() {
        if c.is_ascii_alphabetic() {
            if let Some(st) = start {
                let prev = s[i - 1];
                let next = s.get(i + 1).copied().unwrap_or(b' ');
                let camel = prev.is_ascii_lowercase() && c.is_ascii_uppercase();
                let acronym_end = prev.is_ascii_uppercase()
                    && c.is_ascii_uppercase()
                    && next.is_ascii_lowercase();
                if camel || acronym_end {
                    out.push(&s[st..i]);
                    start = Some(i);
                }
            } else {
                start = Some(i);
            }
        } else if let Some(st) = start.take() {
            out.push(&s[st..i]);
        }
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    out
}

/// Mean bigram log-likelihood ratio (bits per letter) of the words in `s`, and how many
/// letters it is based on.
pub(super) fn bigram_llr(s: &[u8]) -> (f64, usize) {
    let mut total = 0i64;
    let mut events = 0usize;
    let idx = |c: u8| usize::from(c.to_ascii_lowercase() - b'a');
    for w in words(s) {
        let Some(&first) = w.first() else { continue };
        total += i64::from(START[idx(first)]);
        events += 1;
        for p in w.windows(2) {
            total += i64::from(BIGRAM[idx(p[0])][idx(p[1])]);
            events += 1;
        }
    }
    if events == 0 {
        return (0.0, 0);
    }
    (total as f64 / 16.0 / events as f64, events)
}

/// The model's inputs for one string.
struct Features {
    bigram: f64,
    transitions: f64,
    entropy_ratio: f64,
    ln_len: f64,
    classes: f64,
    digits: f64,
    hex: f64,
}

impl Features {
    fn of(s: &[u8]) -> Features {
        let n = s.len();
        let mut present = [false; 4];
        let mut digits = 0usize;
        let mut changes = 0usize;
        for (i, &b) in s.iter().enumerate() {
            let c = class(b);
            present[c] = true;
            if c == 2 {
                digits += 1;
            }
            if i > 0 && class(s[i - 1]) != c {
                changes += 1;
            }
        }
        let alphabet: f64 = (0..4).filter(|&c| present[c]).map(|c| CLASS_SIZE[c]).sum();
        let span = (n as f64).min(alphabet);
        let entropy = shannon(&String::from_utf8_lossy(s));
        let (llr, events) = bigram_llr(s);
        let all_hex = s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            || s.iter().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'));
        let hex = n >= 12 && all_hex && present[2] && (present[0] || present[1]);
        Features {
            bigram: llr * (events as f64 / 8.0).min(1.0),
            transitions: changes as f64 / (n.max(2) - 1) as f64,
            entropy_ratio: if span > 1.0 {
                entropy / span.log2()
            } else {
                0.0
            },
            ln_len: (n.max(1) as f64).ln(),
            classes: present.iter().filter(|&&p| p).count() as f64,
            digits: digits as f64 / n.max(1) as f64,
            hex: if hex { 1.0 } else { 0.0 },
        }
    }

    fn vector(&self) -> [f64; 7] {
        [
            self.bigram,
            self.transitions,
            self.entropy_ratio,
            self.ln_len,
            self.classes,
            self.digits,
            self.hex,
        ]
    }
}

fn logistic(s: &[u8]) -> f64 {
    let z: f64 = Features::of(s)
        .vector()
        .iter()
        .zip(WEIGHTS)
        .map(|(x, w)| x * w)
        .sum::<f64>()
        + BIAS;
    1.0 / (1.0 + (-z).exp())
}

/// What follows word-like prefixes (`sk_live_`, `key-`, `v1.`) when at least 10
/// characters remain: the part a generator produced.
fn body_after_prefix(s: &[u8]) -> Option<&[u8]> {
    let mut pos = 0;
    loop {
        let letters = s[pos..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        if !(1..=10).contains(&letters) {
            break;
        }
        match s.get(pos + letters) {
            Some(b'_' | b'-' | b'.') => pos += letters + 1,
            _ => break,
        }
    }
    (pos > 0 && s.len() - pos >= 10).then(|| &s[pos..])
}

/// The model on raw text: the better of the whole string and its body after a prefix.
pub(super) fn model(s: &[u8]) -> f64 {
    let whole = logistic(s);
    match body_after_prefix(s) {
        Some(body) => whole.max(logistic(body)),
        None => whole,
    }
}

/// Printable ASCII text (at least 6 characters) that `s` is the base64 or hex encoding
/// of: `aGVsbG8gd29ybGQ=` is "hello world", not a key.
pub(super) fn decoded_text(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 8 {
        return None;
    }
    let bytes = if b.len() % 2 == 0 && b.len() >= 12 && b.iter().all(u8::is_ascii_hexdigit) {
        (0..b.len() / 2)
            .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
        let body = s.trim_end_matches('=');
        STANDARD_NO_PAD
            .decode(body)
            .or_else(|_| URL_SAFE_NO_PAD.decode(body))
            .ok()?
    };
    let printable = |c: &u8| (0x20..0x7f).contains(c) || matches!(c, b'\t' | b'\n' | b'\r');
    (bytes.len() >= 6 && bytes.iter().all(printable))
        .then(|| String::from_utf8_lossy(&bytes).into_owned())
}

/// `s` with its `%XX` escapes decoded, when it has at least `min_escapes` of them:
/// `%60%7B%7D` is "`{}", URL-encoded text whose escapes would otherwise look random (the
/// randomness model asks for two), and `pass%20pass` is "pass pass" (the matcher judges a
/// URL-escaped secret by what it says, from one escape on).
pub fn percent_decoded(s: &str, min_escapes: usize) -> Option<String> {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut escapes = 0;
    let mut i = 0;
    while i < b.len() {
        match (
            b[i],
            b.get(i + 1).and_then(|&c| hex(c)),
            b.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                escapes += 1;
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    (escapes >= min_escapes.max(1)).then(|| String::from_utf8_lossy(&out).into_owned())
}

/// How likely `s` is to have been produced by a random generator, in [0, 1]. Not a
/// probability calibrated on real data, but monotone in the evidence: long, class-mixing,
/// un-wordlike strings score near 1; identifiers, words, paths and sentences near 0.
pub fn score(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    lowered_by_decoding(s, model(s.as_bytes()))
}

/// [`score`] given the raw model of `s` (callers that test the raw model first, as a
/// cheap necessary condition, need not compute it twice).
pub(super) fn lowered_by_decoding(s: &str, raw: f64) -> f64 {
    // Only ever lowers the score: random bytes that happen to decode to printable text
    // must not make an identifier look random.
    match decoded_text(s).or_else(|| percent_decoded(s, 2)) {
        Some(text) => raw.min(model(text.as_bytes())),
        None => raw,
    }
}
