//! Validators: offline checks that a regex match really is a credential of its kind.
//!
//! Many modern token formats carry a checksum (GitHub, npm, GitLab routable, Atlassian,
//! Cloudflare, age, PGP armor) or a fixed structure (JWT, PEM). Verifying it removes
//! false positives that a regex alone cannot: random text of the right shape fails the
//! checksum 999,999 times in a million. Each validator is named in rule files by the
//! string given in [`Validator::NAMES`]. `complete` is the inverse used by example
//! templates: it computes the checksum a valid token must end with.

use base64::Engine;

/// A named check applied to the secret a rule captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// `ghp_` / `npm_` style: CRC32 of the 30 random characters, base62, 6 characters.
    GithubCrc32,
    /// GitLab routable tokens: CRC32 of everything before the last 7 characters, base36.
    GitlabCrc32,
    /// Atlassian `ATATT3…`: CRC32 of everything before the last 8 characters, upper hex.
    AtlassianCrc32,
    /// Cloudflare `cfut_`/`cfat_`/`cfk_`: CRC32 of the 40 random characters, lower hex.
    CloudflareCrc32,
    /// age identities: Bech32 checksum over HRP `age-secret-key-`.
    AgeBech32,
    /// OpenPGP ASCII armor: the `=XXXX` CRC-24 line matches the body.
    PgpCrc24,
    /// A JWT whose header decodes to a JSON object with an `alg`.
    Jwt,
    /// A PEM block whose body is plausible base64 of a key (not a template or a stub).
    PemBody,
}

impl Validator {
    pub const NAMES: &'static [&'static str] = &[
        "github-crc32",
        "gitlab-crc32",
        "atlassian-crc32",
        "cloudflare-crc32",
        "age-bech32",
        "pgp-crc24",
        "jwt",
        "pem-body",
    ];

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "github-crc32" => Self::GithubCrc32,
            "gitlab-crc32" => Self::GitlabCrc32,
            "atlassian-crc32" => Self::AtlassianCrc32,
            "cloudflare-crc32" => Self::CloudflareCrc32,
            "age-bech32" => Self::AgeBech32,
            "pgp-crc24" => Self::PgpCrc24,
            "jwt" => Self::Jwt,
            "pem-body" => Self::PemBody,
            _ => return None,
        })
    }

    pub fn check(self, secret: &str) -> bool {
        match self {
            Self::GithubCrc32 => github_crc32(secret),
            Self::GitlabCrc32 => trailing_crc(secret, 7, |c| base36(c, 7)),
            Self::AtlassianCrc32 => trailing_crc(secret, 8, |c| format!("{c:08X}")),
            Self::CloudflareCrc32 => cloudflare_crc32(secret),
            Self::AgeBech32 => age_bech32(secret),
            Self::PgpCrc24 => pgp_crc24(secret),
            Self::Jwt => jwt(secret),
            Self::PemBody => pem_body(secret),
        }
    }
}

/// Runs a validator by name; unknown names fail (so a typo can never pass silently).
pub fn run(name: &str, secret: &str) -> bool {
    Validator::from_name(name).is_some_and(|v| v.check(secret))
}

/// The checksum a token beginning with `token` must end with (for example templates).
/// `alg` is `github`, `gitlab`, `atlassian`, `cloudflare`, `age` or `pgp`.
pub fn complete(alg: &str, token: &str) -> Option<String> {
    Some(match alg {
        "github" => base62(crc(random_part(token)), 6),
        "gitlab" => base36(crc(token), 7),
        "atlassian" => format!("{:08X}", crc(token)),
        "cloudflare" => format!("{:08x}", crc(random_part(token))),
        "age" => {
            let lower = token.to_ascii_lowercase();
            let (hrp, data) = lower.rsplit_once('1')?;
            let values: Vec<u8> = data.bytes().map(bech32_value).collect::<Option<_>>()?;
            let sum = bech32_create_checksum(hrp, &values);
            sum.iter()
                .map(|&v| (BECH32[v as usize] as char).to_ascii_uppercase())
                .collect()
        }
        "pgp" => {
            let body: String = token.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(body)
                .ok()?;
            let c = crc24(&bytes).to_be_bytes();
            format!(
                "={}",
                base64::engine::general_purpose::STANDARD.encode(&c[1..])
            )
        }
        _ => return None,
    })
}

fn crc(s: &str) -> u32 {
    crc32fast::hash(s.as_bytes())
}

/// The random body of a `prefix_body` token: what follows the last underscore.
fn random_part(token: &str) -> &str {
    token.rsplit_once('_').map_or(token, |(_, r)| r)
}

const B62: &[u8] = crate::rules::template::B62;
const BECH32: &[u8] = crate::rules::template::BECH32;

fn base62(mut n: u32, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = B62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).unwrap_or_default()
}

fn base36(mut n: u32, width: usize) -> String {
    const B36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = B36[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(out).unwrap_or_default()
}

fn github_crc32(secret: &str) -> bool {
    let Some((_, body)) = secret.rsplit_once('_') else {
        return false;
    };
    if body.len() != 36 || !body.is_ascii() {
        return false;
    }
    let (random, sum) = body.split_at(30);
    base62(crc(random), 6) == sum
}

fn cloudflare_crc32(secret: &str) -> bool {
    let Some((_, body)) = secret.rsplit_once('_') else {
        return false;
    };
    if body.len() != 48 || !body.is_ascii() {
        return false;
    }
    let (random, sum) = body.split_at(40);
    format!("{:08x}", crc(random)) == sum
}

fn trailing_crc(secret: &str, width: usize, render: impl Fn(u32) -> String) -> bool {
    if secret.len() <= width || !secret.is_ascii() {
        return false;
    }
    let (head, sum) = secret.split_at(secret.len() - width);
    render(crc(head)) == sum
}

fn bech32_value(c: u8) -> Option<u8> {
    BECH32.iter().position(|&b| b == c).map(|p| p as u8)
}

fn bech32_polymod(values: impl IntoIterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn hrp_expand(hrp: &str) -> Vec<u8> {
    let mut v: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    v.push(0);
    v.extend(hrp.bytes().map(|b| b & 31));
    v
}

fn bech32_create_checksum(hrp: &str, data: &[u8]) -> [u8; 6] {
    let mut values = hrp_expand(hrp);
    values.extend_from_slice(data);
    values.extend_from_slice(&[0; 6]);
    let pm = bech32_polymod(values) ^ 1;
    let mut out = [0u8; 6];
    for (i, o) in out.iter_mut().enumerate() {
        *o = ((pm >> (5 * (5 - i))) & 31) as u8;
    }
    out
}

fn age_bech32(secret: &str) -> bool {
    // Bech32 strings are single-case; age prints identities upper case.
    if secret.bytes().any(|b| b.is_ascii_lowercase())
        && secret.bytes().any(|b| b.is_ascii_uppercase())
    {
        return false;
    }
    let lower = secret.to_ascii_lowercase();
    let Some((hrp, data)) = lower.rsplit_once('1') else {
        return false;
    };
    if hrp != "age-secret-key-" || data.len() < 7 {
        return false;
    }
    let Some(values) = data.bytes().map(bech32_value).collect::<Option<Vec<u8>>>() else {
        return false;
    };
    let mut all = hrp_expand(hrp);
    all.extend(values);
    bech32_polymod(all) == 1
}

fn crc24(data: &[u8]) -> u32 {
    let mut crc: u32 = 0x00B7_04CE;
    for &b in data {
        crc ^= u32::from(b) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= 0x0186_4CFB;
            }
        }
    }
    crc & 0x00FF_FFFF
}

/// Normalises a PEM-ish block found in any embedding (raw, indented YAML, JSON `\n`
/// escapes, quoted heredocs) into its lines.
fn block_lines(block: &str) -> Vec<String> {
    block
        .replace("\\r\\n", "\n")
        .replace("\\n", "\n")
        .lines()
        .map(|l| {
            l.trim()
                .trim_matches(|c| c == '"' || c == '\'' || c == ',')
                .trim()
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

fn pgp_crc24(secret: &str) -> bool {
    let lines = block_lines(secret);
    // Body: after the header lines (`Key: value`), up to the `=XXXX` checksum line.
    let mut body = String::new();
    let mut sum = None;
    for line in lines.iter().skip(1) {
        if line.starts_with("-----") {
            break;
        }
        if line.contains(": ") {
            continue;
        }
        if let Some(s) = line.strip_prefix('=') {
            sum = Some(s.to_string());
            break;
        }
        body.push_str(line);
    }
    let Some(sum) = sum else { return false };
    let (Ok(bytes), Ok(expected)) = (
        base64::engine::general_purpose::STANDARD.decode(&body),
        base64::engine::general_purpose::STANDARD.decode(&sum),
    ) else {
        return false;
    };
    expected.len() == 3 && crc24(&bytes).to_be_bytes()[1..] == expected[..]
}

fn jwt(secret: &str) -> bool {
    let mut parts = secret.split('.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let decode = |s: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    };
    let header_ok = decode(header)
        .and_then(|h| {
            h.get("alg")
                .and_then(|a| a.as_str())
                .map(|a| !a.eq_ignore_ascii_case("none"))
        })
        .unwrap_or(false);
    header_ok && decode(payload).is_some_and(|p| p.is_object())
}

fn pem_body(secret: &str) -> bool {
    let lines = block_lines(secret);
    let body: String = lines
        .iter()
        .filter(|l| !l.starts_with("-----") && !l.contains(':'))
        .map(String::as_str)
        .collect();
    if body.len() < 64
        || body
            .bytes()
            .any(|b| !(b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='))
    {
        return false;
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD
        .decode(body.trim_end_matches('='))
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(body.trim_end_matches('='))
        })
    else {
        return false;
    };
    // A DER SEQUENCE, or the OpenSSH container magic.
    bytes.len() >= 48 && (bytes[0] == 0x30 || bytes.starts_with(b"openssh-key-v1\0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_published_sample_checksum() {
        // The format's published example (also in shared/key-formats.md): a
        // documentation token, split so that no scanner sees it whole in this file.
        let sample = ["ghp_zQWBuTSOoRi4A9spHcVY5ncnsDk", "xkJ0mLq17"].concat();
        assert!(run("github-crc32", &sample));
        let broken = ["ghp_zQWBuTSOoRi4A9spHcVY5ncnsDk", "xkJ0mLq18"].concat();
        assert!(!run("github-crc32", &broken));
    }

    #[test]
    fn gitlab_routable_published_sample() {
        let sample = ["glpat-bzox79Of-KE9FD2LjoXXF4C", "vyxA.0r03gxo7s"].concat();
        assert!(run("gitlab-crc32", &sample));
        assert!(!run("gitlab-crc32", &sample.replace("7s", "7t")));
    }

    #[test]
    fn bech32_round_trip() {
        let mut rng = crate::rules::template::Rng::new(5);
        let data: String = rng.string(BECH32, 52).to_ascii_uppercase();
        let head = format!("AGE-SECRET-KEY-1{data}");
        let key = format!("{head}{}", complete("age", &head).unwrap());
        assert!(run("age-bech32", &key));
        let mut broken = key.clone();
        broken.replace_range(20..21, if &key[20..21] == "Q" { "P" } else { "Q" });
        assert!(!run("age-bech32", &broken));
    }

    #[test]
    fn crc24_known_vector() {
        // RFC 4880: CRC-24 of the empty input is the init value.
        assert_eq!(crc24(b""), 0xB704CE);
    }

    #[test]
    fn jwt_needs_alg() {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let good = format!("{}.{}.sig", enc(r#"{"alg":"HS256"}"#), enc(r#"{"a":1}"#));
        assert!(jwt(&good));
        let none = format!("{}.{}.sig", enc(r#"{"alg":"none"}"#), enc(r#"{"a":1}"#));
        assert!(!jwt(&none));
        assert!(!jwt("eyJhbGciOi.abc.def"));
    }

    #[test]
    fn unknown_validator_fails_closed() {
        assert!(!run("no-such-validator", "anything"));
        assert!(Validator::NAMES
            .iter()
            .all(|n| Validator::from_name(n).is_some()));
    }
}
