//! Checksums that token formats carry (GitHub-style base62 CRC32, GitLab base36, hex
//! CRC32s, Bech32, OpenPGP CRC-24): the checks the validators run and, in [`complete`],
//! the inverse that example templates use to build a valid token.

use base64::Engine;

/// The checksum a token beginning with `token` must end with (for example templates).
/// `alg` is `github`, `gitlab`, `atlassian`, `cloudflare`, `grafana`, `packagist`,
/// `polar`, `age` or `pgp`.
pub fn complete(alg: &str, token: &str) -> Option<String> {
    Some(match alg {
        // Polar uses GitHub's scheme over a 37-character random part.
        "github" | "polar" => base62(crc(random_part(token)), 6),
        // The template writes the separating `_` before the checksum; it is not covered.
        "grafana" => grafana_sum(token.strip_suffix('_').unwrap_or(token)),
        "packagist" => format!("{:08x}", crc(token)),
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

pub(super) fn crc(s: &str) -> u32 {
    crc32fast::hash(s.as_bytes())
}

/// The random body of a `prefix_body` token: what follows the last underscore.
fn random_part(token: &str) -> &str {
    token.rsplit_once('_').map_or(token, |(_, r)| r)
}

/// The base62 alphabet of GitHub-style checksums (digits, upper, lower case).
pub const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// The Bech32 alphabet (BIP 173), in lower case.
pub const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

pub(super) fn base62(mut n: u32, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = B62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).unwrap_or_default()
}

pub(super) fn base36(mut n: u32, width: usize) -> String {
    const B36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = B36[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(out).unwrap_or_default()
}

pub(super) fn github_crc32(secret: &str) -> bool {
    let Some((_, body)) = secret.rsplit_once('_') else {
        return false;
    };
    if body.len() != 36 || !body.is_ascii() {
        return false;
    }
    let (random, sum) = body.split_at(30);
    base62(crc(random), 6) == sum
}

pub(super) fn cloudflare_crc32(secret: &str) -> bool {
    let Some((_, body)) = secret.rsplit_once('_') else {
        return false;
    };
    if body.len() != 48 || !body.is_ascii() {
        return false;
    }
    let (random, sum) = body.split_at(40);
    format!("{:08x}", crc(random)) == sum
}

/// Grafana renders the CRC32's bytes least significant first, then hex-encodes them.
fn grafana_sum(key: &str) -> String {
    crc(key)
        .to_le_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn grafana_crc32(secret: &str) -> bool {
    let Some((key, sum)) = secret.rsplit_once('_') else {
        return false;
    };
    key.is_ascii() && sum.len() == 8 && grafana_sum(key) == sum
}

pub(super) fn polar_crc32(secret: &str) -> bool {
    let Some((_, body)) = secret.rsplit_once('_') else {
        return false;
    };
    if body.len() != 43 || !body.is_ascii() {
        return false;
    }
    let (random, sum) = body.split_at(37);
    base62(crc(random), 6) == sum
}

pub(super) fn trailing_crc(secret: &str, width: usize, render: impl Fn(u32) -> String) -> bool {
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

pub(super) fn age_bech32(secret: &str) -> bool {
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
    // `age-keygen -pq` identities (ML-KEM-768 + X25519) use their own HRP.
    if !matches!(hrp, "age-secret-key-" | "age-secret-key-pq-") || data.len() < 7 {
        return false;
    }
    let Some(values) = data.bytes().map(bech32_value).collect::<Option<Vec<u8>>>() else {
        return false;
    };
    let mut all = hrp_expand(hrp);
    all.extend(values);
    bech32_polymod(all) == 1
}

pub(super) fn crc24(data: &[u8]) -> u32 {
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
pub(super) fn block_lines(block: &str) -> Vec<String> {
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

pub(super) fn pgp_crc24(secret: &str) -> bool {
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

/// The base64 body of an armored block (header lines skipped), and whether it carried a
/// `=XXXX` checksum line.
pub(super) fn armor_body(secret: &str) -> (String, bool) {
    let mut body = String::new();
    for line in block_lines(secret).iter().skip(1) {
        if line.starts_with("-----") {
            break;
        }
        if line.contains(": ") {
            continue;
        }
        if line.starts_with('=') {
            return (body, true);
        }
        body.push_str(line);
    }
    (body, false)
}
