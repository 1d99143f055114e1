//! Example templates: how rules carry realistic examples without the repository ever
//! holding a realistic key.
//!
//! A rule's `examples` and `near_misses` may contain generators in double braces that
//! are expanded at test time (and by the corpus benchmark) with fresh random data:
//!
//! | generator            | expands to                                              |
//! |----------------------|---------------------------------------------------------|
//! | `{{b62:30}}`         | 30 random characters of `[0-9A-Za-z]` (`{{b62:20-40}}`: random length) |
//! | `{{b64url:N}}` `{{b64:N}}` `{{hex:N}}` `{{HEX:N}}` `{{digits:N}}` `{{lower:N}}` `{{upper:N}}` `{{alnum:N}}` `{{ALNUM:N}}` `{{alpha:N}}` `{{base32:N}}` `{{bech32:N}}` `{{BECH32:N}}` | the same for other alphabets |
//! | `{{begin}}`          | nothing; marks where the token covered by a checksum starts |
//! | `{{crc:ALG}}`        | the checksum of the text since `{{begin}}` (see `validate::complete`) |
//! | `{{crc:ALG:bad}}`    | a checksum that is deliberately wrong                   |
//! | `{{jwt}}` / `{{jwt:role=service_role}}` | a signed-looking HS256 JWT, optional extra claim |
//! | `{{pem:LABEL}}`      | a whole PEM block with a DER-shaped body, e.g. `{{pem:RSA PRIVATE KEY}}` |
//! | `{{pem_escaped:LABEL}}` | the same block with `\n` escapes, as inside JSON     |
//! | `{{pem_b64:LABEL}}`  | the block (with a final newline) in one line of base64, as in a kubeconfig |
//!
//! Anything else in braces is kept literally, so `{{ jinja }}` text stays text.

use base64::Engine;

use super::validate;

use super::validate::checksum::{B62, BECH32};
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8] = b"0123456789abcdef";
const HEX_UP: &[u8] = b"0123456789ABCDEF";
const DIGITS: &[u8] = b"0123456789";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM_UP: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Upper-case Bech32, as age prints identities.
const BECH32_UP: &[u8] = b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";

/// A small deterministic generator (xorshift64*): examples must be reproducible from a
/// seed when a test fails, and the library should not depend on a crypto RNG for this.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

fn alphabet(name: &str) -> Option<&'static [u8]> {
    Some(match name {
        "b62" => B62,
        "b64url" => B64URL,
        "b64" => B64,
        "hex" => HEX,
        "HEX" => HEX_UP,
        "digits" => DIGITS,
        "lower" => LOWER,
        "upper" => UPPER,
        "alnum" => ALNUM,
        "ALNUM" => ALNUM_UP,
        "alpha" => ALPHA,
        "base32" => BASE32,
        "bech32" => BECH32,
        "BECH32" => BECH32_UP,
        _ => return None,
    })
}

fn parse_len(arg: &str, rng: &mut Rng) -> Option<usize> {
    match arg.split_once('-') {
        Some((a, b)) => {
            let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
            (a <= b).then(|| a + rng.below(b - a + 1))
        }
        None => arg.parse().ok(),
    }
}

/// Expands every generator in `template`. Errors name the generator that failed.
pub fn expand(template: &str, rng: &mut Rng) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut begin = 0usize;
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let inner = &after[..end];
        match expand_one(inner, &out[begin.min(out.len())..], rng)? {
            Some(Piece::Text(s)) => out.push_str(&s),
            Some(Piece::Begin) => begin = out.len(),
            None => {
                // Not a generator: keep the braces literally.
                out.push_str("{{");
                out.push_str(inner);
                out.push_str("}}");
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

enum Piece {
    Text(String),
    Begin,
}

fn expand_one(inner: &str, token: &str, rng: &mut Rng) -> Result<Option<Piece>, String> {
    let (name, arg) = inner.split_once(':').unwrap_or((inner, ""));
    if name == "begin" && arg.is_empty() {
        return Ok(Some(Piece::Begin));
    }
    if let Some(alpha) = alphabet(name) {
        let len = parse_len(arg, rng).ok_or_else(|| format!("bad length in {{{{{inner}}}}}"))?;
        return Ok(Some(Piece::Text(rng.string(alpha, len))));
    }
    let text = match name {
        "crc" => {
            let (alg, bad) = match arg.strip_suffix(":bad") {
                Some(alg) => (alg, true),
                None => (arg, false),
            };
            let good = validate::complete(alg, token)
                .ok_or_else(|| format!("unknown checksum {alg:?} in {{{{{inner}}}}}"))?;
            if bad {
                corrupt(&good)
            } else {
                good
            }
        }
        "jwt" => jwt(arg, rng),
        "pem" => pem(arg, rng, "\n"),
        "pem_escaped" => pem(arg, rng, "\\n"),
        // Kubeconfig `client-key-data` and Secret `data` hold the whole PEM file in base64.
        "pem_b64" => {
            base64::engine::general_purpose::STANDARD.encode(format!("{}\n", pem(arg, rng, "\n")))
        }
        _ => return Ok(None),
    };
    Ok(Some(Piece::Text(text)))
}

/// Changes one character of a checksum while keeping its alphabet plausible.
fn corrupt(good: &str) -> String {
    let mut chars: Vec<char> = good.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = match *last {
            '0' => '1',
            'a' => 'b',
            'A' => 'B',
            'q' => 'p',
            'Q' => 'P',
            c if c.is_ascii_digit() => '0',
            c if c.is_ascii_lowercase() => 'a',
            _ => 'A',
        };
    }
    chars.into_iter().collect()
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn jwt(arg: &str, rng: &mut Rng) -> String {
    let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let mut claims = format!(
        r#"{{"sub":"{}","iat":{}"#,
        rng.string(ALNUM, 12),
        1_700_000_000 + rng.below(50_000_000)
    );
    if let Some((k, v)) = arg.split_once('=') {
        claims.push_str(&format!(r#","{k}":"{v}""#));
    }
    claims.push('}');
    let sig = b64url(&rng.bytes(32));
    format!("{header}.{}.{sig}", b64url(claims.as_bytes()))
}

fn pem(label: &str, rng: &mut Rng, newline: &str) -> String {
    let label = if label.is_empty() {
        "PRIVATE KEY"
    } else {
        label
    };
    // A DER SEQUENCE header followed by random bytes: structurally what a key body is.
    let mut der = vec![0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00];
    if label == "OPENSSH PRIVATE KEY" {
        der = b"openssh-key-v1\0".to_vec();
    }
    der.extend(rng.bytes(900));
    let body = base64::engine::general_purpose::STANDARD.encode(&der);
    let mut out = format!("-----BEGIN {label}-----{newline}");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str(newline);
    }
    out.push_str(&format!("-----END {label}-----"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_alphabets_and_lengths() {
        let mut rng = Rng::new(7);
        let s = expand("x={{hex:8}} y={{b62:3-5}}", &mut rng).unwrap();
        let (x, y) = s.split_once(' ').unwrap();
        assert_eq!(x.len(), 2 + 8);
        assert!(x[2..].bytes().all(|b| HEX.contains(&b)));
        assert!((5..=7).contains(&y.len()));
    }

    #[test]
    fn unknown_generators_stay_literal() {
        let mut rng = Rng::new(1);
        assert_eq!(
            expand("{{ var }} {{x}}", &mut rng).unwrap(),
            "{{ var }} {{x}}"
        );
        assert_eq!(expand("a {{b62:5", &mut rng).unwrap(), "a {{b62:5");
    }

    #[test]
    fn checksum_covers_text_since_begin() {
        let mut rng = Rng::new(3);
        let s = expand("t = {{begin}}ghp_{{b62:30}}{{crc:github}}", &mut rng).unwrap();
        let token = s.strip_prefix("t = ").unwrap();
        assert!(validate::Validator::GithubCrc32.check_with(token, None));
        let bad = expand("{{begin}}ghp_{{b62:30}}{{crc:github:bad}}", &mut rng).unwrap();
        assert!(!validate::Validator::GithubCrc32.check_with(&bad, None));
    }

    #[test]
    fn same_seed_same_output() {
        let t = "{{b64url:40}} {{jwt}} {{pem:EC PRIVATE KEY}}";
        assert_eq!(expand(t, &mut Rng::new(9)), expand(t, &mut Rng::new(9)));
    }
}
