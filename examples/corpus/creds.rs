//! The corpus benchmark's own table of credential types and their generators.
//!
//! Every generator here is written from the format facts (shared/key-formats.md and the
//! vendors' published descriptions), never from keyguard's rule regexes or examples, so
//! that the benchmark is an independent check of the rules. Checksums (GitHub/npm CRC32
//! in base62, GitLab routable CRC32 in base36, Atlassian, Cloudflare, age Bech32, PGP
//! CRC-24) and structures (DER key bodies, the OpenSSH container, PyPI macaroons, Vault
//! protobuf tokens) are computed by this file's own code rather than by
//! `keyguard::validate`, so a bug in keyguard's validators cannot hide behind a
//! generator that shares it. Only the plain random runs use `template::expand`.
//!
//! Nothing here is a literal credential: every value is generated at run time.

use base64::Engine;
use keyguard::matcher::template::{expand, Rng};

/// How a credential can be recognised, which decides whether its recall is gated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// A distinctive, documented format (prefix, structure or checksum): recall is gated.
    Formatted,
    /// A vendor credential without a distinctive format: recognisable only with the
    /// vendor's name next to it (always planted that way). Recall is reported.
    Context,
    /// A password or secret of no known vendor (`password = "…"`): only a generic rule can
    /// find it. Recall is reported.
    Generic,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Formatted => "formatted",
            Class::Context => "context",
            Class::Generic => "generic",
        }
    }
}

/// The layout of a generated value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One line (a token, a URL, a connection string).
    Line,
    /// A multi-line block (PEM, PGP armor, PuTTY key file).
    Block,
    /// A whole multi-line document (a GCP service-account JSON file).
    Document,
}

/// How the credential is used, which decides the embeddings that make sense for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// Sent in an HTTP header or query parameter (curl lines, request logs).
    Bearer,
    /// A bearer token that also appears in git remote URLs.
    Vcs,
    /// The value is itself a URL or a connection URL.
    Url,
    /// A configuration value only (passwords, secret halves of key pairs).
    Plain,
}

/// Which embeddings a type appears in.
#[derive(Debug, Clone, Copy)]
pub enum Embeds {
    /// Every embedding compatible with its shape, class and usage.
    All,
    /// Those, plus the named special embeddings.
    AllPlus(&'static [&'static str]),
    /// Only the named embeddings.
    Only(&'static [&'static str]),
}

/// One credential type of the benchmark.
#[derive(Clone)]
pub struct CredType {
    pub label: &'static str,
    pub provider: &'static str,
    pub class: Class,
    pub shape: Shape,
    pub usage: Usage,
    /// The environment variable the vendor's SDKs read (UPPER_SNAKE); embeddings derive
    /// `snake`, `camelCase` … forms from it.
    pub var: &'static str,
    /// File name when the credential is a file of its own (keys).
    pub file: &'static str,
    pub embeds: Embeds,
    pub gen: fn(&mut Rng) -> String,
}

/// Expands a template of random runs (`{{b62:30}}` …); our templates are fixed text.
pub fn t(rng: &mut Rng, template: &str) -> String {
    expand(template, rng).unwrap_or_else(|e| panic!("corpus template {template:?}: {e}"))
}

pub const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const B36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
pub const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
pub const HEX: &[u8] = b"0123456789abcdef";
pub const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// `n` rendered in `alphabet`'s base, left-padded with its zero digit to `width`.
pub fn radix(mut n: u32, alphabet: &[u8], width: usize) -> String {
    let base = alphabet.len() as u32;
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(alphabet[(n % base) as usize]);
        n /= base;
    }
    while digits.len() < width {
        digits.push(alphabet[0]);
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

pub fn uuid(rng: &mut Rng) -> String {
    let h = hex(&rng.bytes(16));
    let variant = ["8", "9", "a", "b"][rng.below(4)];
    format!(
        "{}-{}-4{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        variant,
        &h[17..20],
        &h[20..32]
    )
}

/// A digit string that does not start with 0 (ids, phone-like numbers).
pub fn number(rng: &mut Rng, len: usize) -> String {
    let first = (b'1' + rng.below(9) as u8) as char;
    format!(
        "{first}{}",
        rng.string(b"0123456789", len.saturating_sub(1))
    )
}

// ---------------------------------------------------------------------------------
// Checksummed formats (own implementations).

/// GitHub-style token (`ghp_` …, `npm_`): 30 random base62 characters, then the CRC32
/// of those 30 characters in base62 (`0-9A-Za-z`), left-padded to 6.
pub fn github_style(rng: &mut Rng, prefix: &str, good: bool) -> String {
    let body = rng.string(B62, 30);
    let mut sum = radix(crc32(body.as_bytes()), B62, 6);
    if !good {
        sum = corrupt(&sum, B62, rng);
    }
    format!("{prefix}{body}{sum}")
}

/// Replaces one character of a checksum by another of the same alphabet.
pub fn corrupt(sum: &str, alphabet: &[u8], rng: &mut Rng) -> String {
    let mut bytes = sum.as_bytes().to_vec();
    let i = rng.below(bytes.len());
    let old = bytes[i];
    loop {
        let c = alphabet[rng.below(alphabet.len())];
        if c != old {
            bytes[i] = c;
            break;
        }
    }
    String::from_utf8(bytes).unwrap_or_default()
}

/// GitLab routable token.
/// - v0: prefix, base64url(payload, 16 random bytes, 0x10), `.`, base36 length (2), CRC.
/// - v1: prefix, base64url(16 random bytes, payload, payload length), `.01.`, base36
///   length (2), CRC.
///
/// The CRC is the CRC32 of everything before it (prefix included) in base36, 7 wide.
pub fn gitlab_routable(rng: &mut Rng, prefix: &str, version: u8, good: bool) -> String {
    let org = radix(rng.below(5_000_000) as u32 + 1, B36, 1);
    let user = radix(rng.below(30_000_000) as u32 + 1, B36, 1);
    let payload = match version {
        0 => format!("o:{org}"),
        _ => format!("c:1\no:{org}\nu:{user}"),
    };
    let random = rng.bytes(16);
    let mut raw = Vec::new();
    let encoded = if version == 0 {
        raw.extend_from_slice(payload.as_bytes());
        raw.extend_from_slice(&random);
        raw.push(16);
        let b = b64url(&raw);
        format!("{prefix}{b}.{}", radix(b.len() as u32, B36, 2))
    } else {
        raw.extend_from_slice(&random);
        raw.extend_from_slice(payload.as_bytes());
        raw.push(payload.len() as u8);
        let b = b64url(&raw);
        format!("{prefix}{b}.01.{}", radix(b.len() as u32, B36, 2))
    };
    let mut sum = radix(crc32(encoded.as_bytes()), B36, 7);
    if !good {
        sum = corrupt(&sum, B36, rng);
    }
    format!("{encoded}{sum}")
}

/// Atlassian API token: `ATATT3xFfGF0` + 171 base64url + `=` + CRC32 (upper hex) of
/// everything before it.
pub fn atlassian(rng: &mut Rng, good: bool) -> String {
    let head = format!("ATATT3xFfGF0{}=", t(rng, "{{b64url:171}}"));
    let mut sum = format!("{:08X}", crc32(head.as_bytes()));
    if !good {
        sum = corrupt(&sum, b"0123456789ABCDEF", rng);
    }
    format!("{head}{sum}")
}

/// Cloudflare scannable token: prefix + 40 base62 + CRC32 (lower hex) of the 40.
pub fn cloudflare(rng: &mut Rng, prefix: &str, good: bool) -> String {
    let body = rng.string(B62, 40);
    let mut sum = format!("{:08x}", crc32(body.as_bytes()));
    if !good {
        sum = corrupt(&sum, HEX, rng);
    }
    format!("{prefix}{body}{sum}")
}

fn bech32_polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for &v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// Bech32 (BIP-173) encoding of `data` under `hrp`, lower case.
pub fn bech32(hrp: &str, data: &[u8], good: bool, rng: &mut Rng) -> String {
    // 8-bit bytes to 5-bit groups, zero-padded.
    let mut groups = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            groups.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        groups.push(((acc << (5 - bits)) & 31) as u8);
    }
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    values.extend_from_slice(&groups);
    values.extend_from_slice(&[0; 6]);
    let pm = bech32_polymod(&values) ^ 1;
    let mut out = format!("{hrp}1");
    for g in &groups {
        out.push(BECH32[*g as usize] as char);
    }
    let mut sum = String::new();
    for i in 0..6 {
        sum.push(BECH32[((pm >> (5 * (5 - i))) & 31) as usize] as char);
    }
    if !good {
        sum = corrupt(&sum, BECH32, rng);
    }
    out + &sum
}

/// age X25519 identity: Bech32 of a 32-byte scalar under `age-secret-key-`, upper case.
pub fn age_identity(rng: &mut Rng, good: bool) -> String {
    let key = rng.bytes(32);
    bech32("age-secret-key-", &key, good, rng).to_ascii_uppercase()
}

/// age recipient (public key): Bech32 under `age`, lower case.
pub fn age_recipient(rng: &mut Rng) -> String {
    let key = rng.bytes(32);
    bech32("age", &key, true, rng)
}

/// CRC-24 of OpenPGP ASCII armor (RFC 4880 §6.1).
pub fn crc24(data: &[u8]) -> u32 {
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

// ---------------------------------------------------------------------------------
// Structured bodies: DER, OpenSSH, PGP packets, macaroons, protobuf.

fn der_len(n: usize) -> Vec<u8> {
    match n {
        0..=127 => vec![n as u8],
        128..=255 => vec![0x81, n as u8],
        _ => vec![0x82, (n >> 8) as u8, n as u8],
    }
}

fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend(der_len(body.len()));
    v.extend_from_slice(body);
    v
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A positive DER INTEGER of `n` random bytes with the top bit set (hence a 0x00 lead).
fn big_int(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut b = rng.bytes(n);
    b[0] |= 0x80;
    let mut body = vec![0];
    body.extend(b);
    tlv(0x02, &body)
}

fn small_int(v: &[u8]) -> Vec<u8> {
    tlv(0x02, v)
}

const OID_RSA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];
const OID_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_EC: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// PKCS#1 RSAPrivateKey of a 2048-bit key: the body begins `MIIE…`.
pub fn rsa_pkcs1_der(rng: &mut Rng) -> Vec<u8> {
    seq(&[
        small_int(&[0]),
        big_int(rng, 256),
        small_int(&[1, 0, 1]),
        big_int(rng, 256),
        big_int(rng, 128),
        big_int(rng, 128),
        big_int(rng, 128),
        big_int(rng, 128),
        big_int(rng, 128),
    ])
}

/// PKCS#8 PrivateKeyInfo wrapping an RSA key.
pub fn pkcs8_der(rng: &mut Rng) -> Vec<u8> {
    let alg = seq(&[OID_RSA.to_vec(), vec![0x05, 0x00]]);
    seq(&[small_int(&[0]), alg, tlv(0x04, &rsa_pkcs1_der(rng))])
}

/// SEC1 ECPrivateKey on P-256: the body begins `MHcCAQEEI…`.
pub fn ec_der(rng: &mut Rng) -> Vec<u8> {
    let mut point = vec![0x00, 0x04];
    point.extend(rng.bytes(64));
    seq(&[
        small_int(&[1]),
        tlv(0x04, &rng.bytes(32)),
        tlv(0xa0, OID_P256),
        tlv(0xa1, &tlv(0x03, &point)),
    ])
}

/// PKCS#8 EncryptedPrivateKeyInfo (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC).
pub fn encrypted_pkcs8_der(rng: &mut Rng) -> Vec<u8> {
    let pbes2 = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d,
    ];
    let pbkdf2 = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c,
    ];
    let hmac = [0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
    let aes = [
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a,
    ];
    let kdf = seq(&[
        pbkdf2.to_vec(),
        seq(&[
            tlv(0x04, &rng.bytes(8)),
            small_int(&[0x08, 0x00]),
            seq(&[hmac.to_vec(), vec![0x05, 0x00]]),
        ]),
    ]);
    let cipher = seq(&[aes.to_vec(), tlv(0x04, &rng.bytes(16))]);
    let alg = seq(&[pbes2.to_vec(), seq(&[kdf, cipher])]);
    seq(&[alg, tlv(0x04, &rng.bytes(1232))])
}

/// SubjectPublicKeyInfo of an RSA key (`-----BEGIN PUBLIC KEY-----`, not a secret).
pub fn rsa_spki_der(rng: &mut Rng) -> Vec<u8> {
    let alg = seq(&[OID_RSA.to_vec(), vec![0x05, 0x00]]);
    let key = seq(&[big_int(rng, 256), small_int(&[1, 0, 1])]);
    let mut bits = vec![0];
    bits.extend(key);
    seq(&[alg, tlv(0x03, &bits)])
}

/// An EC public key (SubjectPublicKeyInfo on P-256).
pub fn ec_spki_der(rng: &mut Rng) -> Vec<u8> {
    let alg = seq(&[OID_EC.to_vec(), OID_P256.to_vec()]);
    let mut point = vec![0x00, 0x04];
    point.extend(rng.bytes(64));
    seq(&[alg, tlv(0x03, &point)])
}

/// Something shaped like an X.509 certificate (public by nature).
pub fn certificate_der(rng: &mut Rng) -> Vec<u8> {
    let tbs = seq(&[
        tlv(0xa0, &small_int(&[2])),
        big_int(rng, 16),
        seq(&[vec![
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
        ]]),
        tlv(0x30, &rng.bytes(60)),
        tlv(0x30, &rng.bytes(30)),
        tlv(0x30, &rng.bytes(60)),
        rsa_spki_der(rng),
        tlv(0xa3, &rng.bytes(120)),
    ]);
    let mut sig = vec![0];
    sig.extend(rng.bytes(256));
    seq(&[
        tbs,
        seq(&[vec![
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
        ]]),
        tlv(0x03, &sig),
    ])
}

/// `-----BEGIN label-----`, base64 body in lines of `width`, `-----END label-----`.
pub fn armor(label: &str, body: &[u8], width: usize) -> String {
    let enc = b64(body);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in enc.as_bytes().chunks(width) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----"));
    out
}

fn ssh_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend((s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// An OpenSSH ed25519 public key blob.
pub fn ssh_ed25519_public_blob(pk: &[u8]) -> Vec<u8> {
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ssh-ed25519");
    ssh_string(&mut blob, pk);
    blob
}

/// An unencrypted `openssh-key-v1` ed25519 private key container (PROTOCOL.key).
pub fn openssh_private_key(rng: &mut Rng) -> String {
    let pk = rng.bytes(32);
    let sk = rng.bytes(32);
    let mut out = b"openssh-key-v1\0".to_vec();
    ssh_string(&mut out, b"none");
    ssh_string(&mut out, b"none");
    ssh_string(&mut out, b"");
    out.extend(1u32.to_be_bytes());
    ssh_string(&mut out, &ssh_ed25519_public_blob(&pk));
    let check = rng.bytes(4);
    let mut private = Vec::new();
    private.extend(&check);
    private.extend(&check);
    ssh_string(&mut private, b"ssh-ed25519");
    ssh_string(&mut private, &pk);
    ssh_string(&mut private, &[sk, pk.clone()].concat());
    ssh_string(&mut private, b"deploy@build-01");
    let mut pad = 1u8;
    while private.len() % 8 != 0 {
        private.push(pad);
        pad += 1;
    }
    ssh_string(&mut out, &private);
    armor("OPENSSH PRIVATE KEY", &out, 70)
}

/// A PuTTY v3 private key file (unencrypted ed25519).
pub fn putty_private_key(rng: &mut Rng) -> String {
    let pk = rng.bytes(32);
    let public = b64(&ssh_ed25519_public_blob(&pk));
    let mut private = Vec::new();
    ssh_string(&mut private, &rng.bytes(32));
    let mut out = String::from(
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: eddsa-key-20240611\n",
    );
    let lines: Vec<&str> = public
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    out.push_str(&format!("Public-Lines: {}\n", lines.len()));
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&format!("Private-Lines: 1\n{}\n", b64(&private)));
    out.push_str(&format!("Private-MAC: {}", hex(&rng.bytes(32))));
    out
}

fn pgp_mpi(rng: &mut Rng, bits: usize) -> Vec<u8> {
    let mut v = (bits as u16).to_be_bytes().to_vec();
    let mut b = rng.bytes(bits / 8);
    b[0] |= 0x80;
    v.extend(b);
    v
}

/// OpenPGP packets of an RSA key: secret (tag 5) or public (tag 6), a user id and a
/// signature-shaped packet.
pub fn pgp_key_packets(rng: &mut Rng, secret: bool) -> Vec<u8> {
    let mut body = vec![4];
    body.extend((1_600_000_000u32 + rng.below(100_000_000) as u32).to_be_bytes());
    body.push(1);
    body.extend(pgp_mpi(rng, 2048));
    body.extend([0x00, 0x11, 0x01, 0x00, 0x01]);
    if secret {
        body.push(0);
        body.extend(pgp_mpi(rng, 2048));
        body.extend(pgp_mpi(rng, 1024));
        body.extend(pgp_mpi(rng, 1024));
        body.extend(pgp_mpi(rng, 1024));
        body.extend(rng.bytes(2));
    }
    // Old-format packet headers with a two-byte length.
    let tag: u8 = if secret { 0x95 } else { 0x99 };
    let mut out = vec![tag];
    out.extend((body.len() as u16).to_be_bytes());
    out.extend(body);
    let uid = b"Release Signing <release@example.invalid>";
    out.push(0xb4);
    out.push(uid.len() as u8);
    out.extend_from_slice(uid);
    let mut sig = vec![0x04, 0x13, 0x01, 0x08];
    sig.extend(rng.bytes(300));
    out.push(0x89);
    out.extend((sig.len() as u16).to_be_bytes());
    out.extend(sig);
    out
}

/// An ASCII-armored OpenPGP block with its CRC-24 line.
pub fn pgp_armor(label: &str, packets: &[u8], comment: bool) -> String {
    let enc = b64(packets);
    let mut out = format!("-----BEGIN {label}-----\n");
    if comment {
        out.push_str("Comment: https://keys.openpgp.org\n");
    }
    out.push('\n');
    for chunk in enc.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    let c = crc24(packets).to_be_bytes();
    out.push_str(&format!("={}\n", b64(&c[1..])));
    out.push_str(&format!("-----END {label}-----"));
    out
}

fn varint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// PyPI API token: `pypi-` + base64url (no padding) of a version-2 binary macaroon with
/// location `pypi.org`, a UUID identifier, JSON caveats and a 32-byte signature.
pub fn pypi_token(rng: &mut Rng) -> String {
    let mut m = vec![0x02, 0x01, 0x08];
    m.extend_from_slice(b"pypi.org");
    let id = uuid(rng);
    m.extend([0x02, id.len() as u8]);
    m.extend_from_slice(id.as_bytes());
    m.push(0x00);
    let caveats: Vec<String> = match rng.below(3) {
        0 => vec![r#"{"permissions":"user","version":1}"#.to_string()],
        1 => vec![format!(r#"[3,"{}"]"#, uuid(rng))],
        _ => vec![
            format!(
                "[0,{},{}]",
                1_750_000_000 + rng.below(10_000_000),
                1_740_000_000 + rng.below(10_000_000)
            ),
            format!(r#"[1,["{}-{}"]]"#, crate_word(rng), crate_word(rng)),
        ],
    };
    for c in caveats {
        m.push(0x02);
        varint(c.len() as u64, &mut m);
        m.extend_from_slice(c.as_bytes());
        m.push(0x00);
    }
    m.push(0x00);
    m.extend([0x06, 0x20]);
    m.extend(rng.bytes(32));
    format!("pypi-{}", b64url(&m))
}

fn crate_word(rng: &mut Rng) -> &'static str {
    const W: &[&str] = &[
        "fast", "tiny", "py", "json", "http", "async", "data", "cloud", "lib", "tools", "kit",
        "core",
    ];
    W[rng.below(W.len())]
}

/// HashiCorp Vault service token: `hvs.` + base64url of a protobuf holding a 32-byte
/// HMAC and the inner `hvs.` + 24 base62 accessor-style id.
pub fn vault_service_token(rng: &mut Rng) -> String {
    let inner_id = format!("hvs.{}", rng.string(B62, 24));
    let mut inner = vec![0x0a, inner_id.len() as u8];
    inner.extend_from_slice(inner_id.as_bytes());
    inner.push(0x10);
    varint(1 + rng.below(90_000) as u64, &mut inner);
    inner.extend([0x18, 0x02]);
    let mut msg = vec![0x08, 0x01, 0x12, 0x20];
    msg.extend(rng.bytes(32));
    msg.push(0x1a);
    msg.push(inner.len() as u8);
    msg.extend(inner);
    format!("hvs.{}", b64url(&msg))
}

/// An HS256 JWT with the given claims and a random 32-byte signature.
pub fn jwt(rng: &mut Rng, claims: &str) -> String {
    let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    format!(
        "{header}.{}.{}",
        b64url(claims.as_bytes()),
        b64url(&rng.bytes(32))
    )
}

/// A Supabase project JWT (`service_role` is secret, `anon` is public by design).
pub fn supabase_jwt(rng: &mut Rng, role: &str) -> String {
    let iat = 1_650_000_000 + rng.below(100_000_000);
    let claims = format!(
        r#"{{"iss":"supabase","ref":"{}","role":"{role}","iat":{iat},"exp":{}}}"#,
        rng.string(b"abcdefghijklmnopqrstuvwxyz", 20),
        iat + 315_360_000
    );
    jwt(rng, &claims)
}

/// A GCP service-account key file, pretty-printed as the console downloads it.
pub fn gcp_service_account(rng: &mut Rng) -> String {
    let project = format!("{}-prod-{}", crate_word(rng), number(rng, 6));
    let email = format!("deployer@{project}.iam.gserviceaccount.com");
    let pem = armor("PRIVATE KEY", &pkcs8_der(rng), 64).replace('\n', "\\n");
    format!(
        r#"{{
  "type": "service_account",
  "project_id": "{project}",
  "private_key_id": "{}",
  "private_key": "{pem}\n",
  "client_email": "{email}",
  "client_id": "{}",
  "auth_uri": "https://accounts.google.com/o/oauth2/auth",
  "token_uri": "https://oauth2.googleapis.com/token",
  "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
  "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/{}",
  "universe_domain": "googleapis.com"
}}"#,
        hex(&rng.bytes(20)),
        number(rng, 21),
        email.replace('@', "%40")
    )
}

fn azure_ad_secret(rng: &mut Rng) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.";
    const B: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-";
    format!(
        "{}{}Q~{}",
        rng.string(A, 3),
        rng.below(10),
        rng.string(B, 34)
    )
}

fn password(rng: &mut Rng, len: usize) -> String {
    const P: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#*-_.+";
    // Start with a letter so no embedding mistakes the value for a number or a flag.
    let first = rng.string(b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 1);
    first + &rng.string(P, len - 1)
}

/// A URL-safe password for connection URLs.
fn url_password(rng: &mut Rng) -> String {
    const P: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_~";
    let len = 18 + rng.below(10);
    rng.string(B62, 2) + &rng.string(P, len)
}

fn db_user(rng: &mut Rng) -> &'static str {
    const U: &[&str] = &[
        "app",
        "svc_orders",
        "reporting",
        "admin",
        "deploy",
        "etl_user",
    ];
    U[rng.below(U.len())]
}

fn sentry_org_token(rng: &mut Rng) -> String {
    let claims = format!(
        r#"{{"iat":{}.{},"url":"https://sentry.io","region_url":"https://{}.sentry.io","org":"{}-{}"}}"#,
        1_690_000_000 + rng.below(80_000_000),
        number(rng, 6),
        ["us", "de"][rng.below(2)],
        crate_word(rng),
        crate_word(rng)
    );
    let secret = b64(&rng.bytes(32));
    format!(
        "sntrys_{}_{}",
        b64(claims.as_bytes()),
        secret.trim_end_matches('=')
    )
}

fn discord_bot_token(rng: &mut Rng) -> String {
    let len = 18 + rng.below(2);
    let id = number(rng, len);
    let first = base64::engine::general_purpose::STANDARD_NO_PAD.encode(id.as_bytes());
    format!("{first}.{}", t(rng, "{{b64url:6}}.{{b64url:38}}"))
}

fn onepassword_sa(rng: &mut Rng) -> String {
    let json = format!(
        r#"{{"signInAddress":"my.1password.com","userAuth":{{"method":"SRPg-4096","alg":"PBES2g-HS256","iterations":650000,"salt":"{}"}},"email":"{}@1passwordserviceaccounts.com","srpX":"{}","muk":{{"alg":"A256GCM","ext":true,"k":"{}","key_ops":["encrypt","decrypt"],"kty":"oct","kid":"mp"}},"secretKey":"A3-{}-{}-{}-{}-{}-{}","throttleSecret":{{"seed":"{}","deviceUuid":"{}"}},"deviceUuid":"{}"}}"#,
        t(rng, "{{b64url:22}}"),
        rng.string(b"abcdefghijklmnopqrstuvwxyz234567", 13),
        hex(&rng.bytes(32)),
        t(rng, "{{b64url:43}}"),
        t(rng, "{{ALNUM:6}}"),
        t(rng, "{{ALNUM:6}}"),
        t(rng, "{{ALNUM:5}}"),
        t(rng, "{{ALNUM:5}}"),
        t(rng, "{{ALNUM:5}}"),
        t(rng, "{{ALNUM:5}}"),
        hex(&rng.bytes(32)),
        rng.string(LOWER_ALNUM, 26),
        rng.string(LOWER_ALNUM, 26)
    );
    format!("ops_{}", b64url(json.as_bytes()))
}

fn grafana_cloud(rng: &mut Rng) -> String {
    let json = format!(
        r#"{{"o":"{}","n":"stack-{}-hm-read-{}","k":"{}","m":{{"r":"prod-us-east-0"}}}}"#,
        number(rng, 7),
        number(rng, 6),
        crate_word(rng),
        rng.string(B62, 24)
    );
    format!("glc_{}", b64(json.as_bytes()).trim_end_matches('='))
}

fn mapbox_token(rng: &mut Rng, kind: &str) -> String {
    let json = format!(
        r#"{{"u":"{}{}","a":"{}"}}"#,
        crate_word(rng),
        number(rng, 3),
        rng.string(LOWER_ALNUM, 25)
    );
    format!(
        "{kind}.{}.{}",
        b64url(json.as_bytes()),
        t(rng, "{{b64url:22}}")
    )
}

fn bedrock_key(rng: &mut Rng) -> String {
    let inner = format!(
        "BedrockAPIKey-{}-at-{}:{}",
        rng.string(LOWER_ALNUM, 4),
        number(rng, 12),
        t(rng, "{{b64:40}}")
    );
    format!("ABSK{}", b64(inner.as_bytes()))
}

fn telegram_bot_token(rng: &mut Rng) -> String {
    let len = 9 + rng.below(2);
    let id = number(rng, len);
    format!("{id}:AA{}", t(rng, "{{b64url:33}}"))
}

fn kube_client_key(rng: &mut Rng) -> String {
    let pem = armor("RSA PRIVATE KEY", &rsa_pkcs1_der(rng), 64) + "\n";
    b64(pem.as_bytes())
}

fn docker_auth(rng: &mut Rng) -> String {
    let pair = format!("deploy-bot:{}", rng.string(B62, 28));
    b64(pair.as_bytes())
}

fn azure_sas_url(rng: &mut Rng) -> String {
    let sig = b64(&rng.bytes(32))
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    format!(
        "https://{}{}.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=sco&sp=rwdlacx&se=2026-12-31T23:59:59Z&st=2024-01-01T00:00:00Z&spr=https&sig={sig}",
        crate_word(rng),
        rng.string(LOWER_ALNUM, 8)
    )
}

/// Every credential type of the benchmark.
pub fn types() -> Vec<CredType> {
    use Class::{Context as C, Formatted as F, Generic as G};
    use Shape::{Document, Line};
    use Usage::{Bearer, Plain, Url, Vcs};
    #[allow(clippy::too_many_arguments)]
    fn ty(
        label: &'static str,
        provider: &'static str,
        class: Class,
        shape: Shape,
        usage: Usage,
        var: &'static str,
        gen: fn(&mut Rng) -> String,
    ) -> CredType {
        CredType {
            label,
            provider,
            class,
            shape,
            usage,
            var,
            file: "",
            embeds: Embeds::All,
            gen,
        }
    }
    fn key_file(label: &'static str, file: &'static str, gen: fn(&mut Rng) -> String) -> CredType {
        CredType {
            file,
            ..ty(
                label,
                "",
                Class::Formatted,
                Shape::Block,
                Usage::Plain,
                "PRIVATE_KEY",
                gen,
            )
        }
    }
    fn with(c: CredType, embeds: Embeds) -> CredType {
        CredType { embeds, ..c }
    }
    vec![
        // OpenAI (key-formats.md #1-5).
        ty(
            "openai-legacy",
            "OpenAI",
            F,
            Line,
            Bearer,
            "OPENAI_API_KEY",
            |r| t(r, "sk-{{b62:20}}T3BlbkFJ{{b62:20}}"),
        ),
        ty(
            "openai-project",
            "OpenAI",
            F,
            Line,
            Bearer,
            "OPENAI_API_KEY",
            |r| t(r, "sk-proj-{{b64url:74}}T3BlbkFJ{{b64url:73}}A"),
        ),
        ty(
            "openai-project-58",
            "OpenAI",
            F,
            Line,
            Bearer,
            "OPENAI_API_KEY",
            |r| t(r, "sk-proj-{{b64url:58}}T3BlbkFJ{{b64url:58}}"),
        ),
        ty(
            "openai-project-short",
            "OpenAI",
            F,
            Line,
            Bearer,
            "OPENAI_API_KEY",
            |r| t(r, "sk-proj-{{b64url:20}}T3BlbkFJ{{b64url:20}}"),
        ),
        ty(
            "openai-service-account",
            "OpenAI",
            F,
            Line,
            Bearer,
            "OPENAI_API_KEY",
            |r| t(r, "sk-svcacct-{{b64url:74}}T3BlbkFJ{{b64url:73}}A"),
        ),
        ty(
            "openai-admin",
            "OpenAI",
            F,
            Line,
            Bearer,
            "OPENAI_ADMIN_KEY",
            |r| t(r, "sk-admin-{{b64url:58}}T3BlbkFJ{{b64url:58}}"),
        ),
        ty(
            "openai-none-long",
            "OpenAI",
            F,
            Line,
            Bearer,
            "OPENAI_API_KEY",
            |r| t(r, "sk-None-{{b64url:74}}T3BlbkFJ{{b64url:73}}A"),
        ),
        ty(
            "openai-none-short",
            "OpenAI",
            F,
            Line,
            Bearer,
            "OPENAI_API_KEY",
            |r| t(r, "sk-None-{{b62:48}}"),
        ),
        // Anthropic (#6-7).
        ty(
            "anthropic-api",
            "Anthropic",
            F,
            Line,
            Bearer,
            "ANTHROPIC_API_KEY",
            |r| t(r, "sk-ant-api03-{{b64url:93}}AA"),
        ),
        ty(
            "anthropic-admin",
            "Anthropic",
            F,
            Line,
            Bearer,
            "ANTHROPIC_ADMIN_KEY",
            |r| t(r, "sk-ant-admin01-{{b64url:93}}AA"),
        ),
        // GitHub (#8-9): CRC32 checksums computed here.
        ty("github-pat", "GitHub", F, Line, Vcs, "GITHUB_TOKEN", |r| {
            github_style(r, "ghp_", true)
        }),
        ty(
            "github-oauth",
            "GitHub",
            F,
            Line,
            Vcs,
            "GITHUB_TOKEN",
            |r| github_style(r, "gho_", true),
        ),
        ty(
            "github-user-to-server",
            "GitHub",
            F,
            Line,
            Vcs,
            "GITHUB_TOKEN",
            |r| github_style(r, "ghu_", true),
        ),
        ty(
            "github-server-to-server",
            "GitHub",
            F,
            Line,
            Vcs,
            "GH_TOKEN",
            |r| github_style(r, "ghs_", true),
        ),
        ty(
            "github-refresh",
            "GitHub",
            F,
            Line,
            Bearer,
            "GITHUB_REFRESH_TOKEN",
            |r| github_style(r, "ghr_", true),
        ),
        ty(
            "github-fine-grained",
            "GitHub",
            F,
            Line,
            Vcs,
            "GITHUB_TOKEN",
            |r| t(r, "github_pat_{{b62:22}}_{{b62:59}}"),
        ),
        // GitLab (#10-13).
        ty("gitlab-pat", "GitLab", F, Line, Vcs, "GITLAB_TOKEN", |r| {
            t(r, "glpat-{{b64url:20}}")
        }),
        ty(
            "gitlab-pat-routable-v0",
            "GitLab",
            F,
            Line,
            Vcs,
            "GITLAB_TOKEN",
            |r| gitlab_routable(r, "glpat-", 0, true),
        ),
        ty(
            "gitlab-pat-routable-v1",
            "GitLab",
            F,
            Line,
            Vcs,
            "GITLAB_TOKEN",
            |r| gitlab_routable(r, "glpat-", 1, true),
        ),
        ty(
            "gitlab-runner",
            "GitLab",
            F,
            Line,
            Plain,
            "CI_RUNNER_TOKEN",
            |r| t(r, "glrt-{{b64url:20}}"),
        ),
        ty(
            "gitlab-runner-routable",
            "GitLab",
            F,
            Line,
            Plain,
            "CI_RUNNER_TOKEN",
            |r| gitlab_routable(r, "glrt-t1_", 1, true),
        ),
        ty(
            "gitlab-runner-registration",
            "GitLab",
            F,
            Line,
            Plain,
            "REGISTRATION_TOKEN",
            |r| t(r, "GR1348941{{b64url:20}}"),
        ),
        ty(
            "gitlab-deploy",
            "GitLab",
            F,
            Line,
            Vcs,
            "GITLAB_DEPLOY_TOKEN",
            |r| t(r, "gldt-{{b64url:20}}"),
        ),
        ty(
            "gitlab-feed",
            "GitLab",
            F,
            Line,
            Bearer,
            "GITLAB_FEED_TOKEN",
            |r| t(r, "glft-{{b64url:20}}"),
        ),
        ty(
            "gitlab-trigger",
            "GitLab",
            F,
            Line,
            Plain,
            "GITLAB_TRIGGER_TOKEN",
            |r| t(r, "glptt-{{hex:40}}"),
        ),
        // npm (#14).
        with(
            ty("npm-token", "npm", F, Line, Bearer, "NPM_TOKEN", |r| {
                github_style(r, "npm_", true)
            }),
            Embeds::AllPlus(&["npmrc"]),
        ),
        with(
            ty("npm-legacy-uuid", "npm", C, Line, Plain, "NPM_TOKEN", uuid),
            Embeds::Only(&["npmrc"]),
        ),
        // PyPI (#15).
        with(
            ty(
                "pypi-token",
                "PyPI",
                F,
                Line,
                Plain,
                "PYPI_API_TOKEN",
                pypi_token,
            ),
            Embeds::AllPlus(&["pypirc"]),
        ),
        // Slack (#16-19).
        ty(
            "slack-bot",
            "Slack",
            F,
            Line,
            Bearer,
            "SLACK_BOT_TOKEN",
            |r| t(r, "xoxb-{{digits:12}}-{{digits:13}}-{{b62:24}}"),
        ),
        ty(
            "slack-user",
            "Slack",
            F,
            Line,
            Bearer,
            "SLACK_USER_TOKEN",
            |r| {
                t(
                    r,
                    "xoxp-{{digits:12}}-{{digits:12}}-{{digits:13}}-{{hex:32}}",
                )
            },
        ),
        ty(
            "slack-app",
            "Slack",
            F,
            Line,
            Bearer,
            "SLACK_APP_TOKEN",
            |r| t(r, "xapp-1-A{{ALNUM:10}}-{{digits:13}}-{{hex:64}}"),
        ),
        ty(
            "slack-webhook",
            "Slack",
            F,
            Line,
            Url,
            "SLACK_WEBHOOK_URL",
            |r| {
                t(
                    r,
                    "https://hooks.slack.com/services/T{{ALNUM:10}}/B{{ALNUM:10}}/{{b62:24}}",
                )
            },
        ),
        ty(
            "slack-config",
            "Slack",
            F,
            Line,
            Bearer,
            "SLACK_CONFIG_TOKEN",
            |r| t(r, "xoxe.xoxp-1-{{b62:146}}"),
        ),
        ty(
            "slack-config-refresh",
            "Slack",
            F,
            Line,
            Plain,
            "SLACK_CONFIG_REFRESH_TOKEN",
            |r| t(r, "xoxe-1-{{b62:146}}"),
        ),
        // Stripe (#20).
        ty(
            "stripe-live-secret",
            "Stripe",
            F,
            Line,
            Bearer,
            "STRIPE_SECRET_KEY",
            |r| t(r, "sk_live_51{{b62:97}}"),
        ),
        ty(
            "stripe-live-secret-legacy",
            "Stripe",
            F,
            Line,
            Bearer,
            "STRIPE_SECRET_KEY",
            |r| t(r, "sk_live_{{b62:24}}"),
        ),
        ty(
            "stripe-restricted",
            "Stripe",
            F,
            Line,
            Bearer,
            "STRIPE_RESTRICTED_KEY",
            |r| t(r, "rk_live_51{{b62:97}}"),
        ),
        ty(
            "stripe-test-secret",
            "Stripe",
            F,
            Line,
            Bearer,
            "STRIPE_SECRET_KEY",
            |r| t(r, "sk_test_51{{b62:97}}"),
        ),
        // AWS (#21) and Bedrock.
        ty(
            "aws-access-key-id",
            "AWS",
            F,
            Line,
            Plain,
            "AWS_ACCESS_KEY_ID",
            |r| t(r, "AKIA{{base32:16}}"),
        ),
        ty(
            "aws-sts-key-id",
            "AWS",
            F,
            Line,
            Plain,
            "AWS_ACCESS_KEY_ID",
            |r| t(r, "ASIA{{base32:16}}"),
        ),
        ty(
            "aws-secret-access-key",
            "AWS",
            C,
            Line,
            Plain,
            "AWS_SECRET_ACCESS_KEY",
            |r| t(r, "{{b64:40}}"),
        ),
        ty(
            "aws-bedrock-api-key",
            "AWS",
            F,
            Line,
            Bearer,
            "AWS_BEARER_TOKEN_BEDROCK",
            bedrock_key,
        ),
        // Google (#22-24, #49).
        ty(
            "gcp-api-key",
            "Google",
            F,
            Line,
            Bearer,
            "GOOGLE_API_KEY",
            |r| t(r, "AIzaSy{{b64url:33}}"),
        ),
        ty(
            "gemini-aq-key",
            "Google",
            F,
            Line,
            Bearer,
            "GEMINI_API_KEY",
            |r| t(r, "AQ.Ab8RN6{{b64url:44}}"),
        ),
        ty(
            "gcp-service-account",
            "Google",
            F,
            Document,
            Plain,
            "GOOGLE_CREDENTIALS",
            gcp_service_account,
        ),
        // Azure (#25-26).
        ty(
            "azure-storage-connection-string",
            "Azure",
            F,
            Line,
            Plain,
            "AZURE_STORAGE_CONNECTION_STRING",
            |r| {
                let account = format!("{}{}", crate_word(r), r.string(LOWER_ALNUM, 8));
                format!("DefaultEndpointsProtocol=https;AccountName={account};AccountKey={};EndpointSuffix=core.windows.net", b64(&r.bytes(64)))
            },
        ),
        ty(
            "azure-storage-key",
            "Azure",
            C,
            Line,
            Plain,
            "AZURE_STORAGE_ACCOUNT_KEY",
            |r| b64(&r.bytes(64)),
        ),
        ty(
            "azure-sas-url",
            "Azure",
            F,
            Line,
            Url,
            "AZURE_BACKUP_SAS_URL",
            azure_sas_url,
        ),
        ty(
            "azure-ad-client-secret",
            "Azure",
            F,
            Line,
            Plain,
            "AZURE_CLIENT_SECRET",
            azure_ad_secret,
        ),
        // Hugging Face (#27).
        ty(
            "huggingface-token",
            "Hugging Face",
            F,
            Line,
            Bearer,
            "HF_TOKEN",
            |r| t(r, "hf_{{alpha:34}}"),
        ),
        ty(
            "huggingface-org-token",
            "Hugging Face",
            F,
            Line,
            Bearer,
            "HF_ORG_TOKEN",
            |r| t(r, "api_org_{{alpha:34}}"),
        ),
        // Twilio (#28-29): the SIDs are identifiers; the secrets have no prefix.
        with(
            ty(
                "twilio-auth-token",
                "Twilio",
                C,
                Line,
                Plain,
                "TWILIO_AUTH_TOKEN",
                |r| t(r, "{{hex:32}}"),
            ),
            Embeds::AllPlus(&["twilio-env"]),
        ),
        ty(
            "twilio-api-secret",
            "Twilio",
            C,
            Line,
            Plain,
            "TWILIO_API_SECRET",
            |r| t(r, "{{b62:32}}"),
        ),
        // SendGrid, Mailgun (#30-31).
        ty(
            "sendgrid",
            "SendGrid",
            F,
            Line,
            Bearer,
            "SENDGRID_API_KEY",
            |r| t(r, "SG.{{b64url:22}}.{{b64url:43}}"),
        ),
        ty(
            "mailgun-legacy",
            "Mailgun",
            C,
            Line,
            Bearer,
            "MAILGUN_API_KEY",
            |r| t(r, "key-{{hex:32}}"),
        ),
        ty(
            "mailgun",
            "Mailgun",
            C,
            Line,
            Bearer,
            "MAILGUN_API_KEY",
            |r| t(r, "{{hex:32}}-{{hex:8}}-{{hex:8}}"),
        ),
        // Shopify, DigitalOcean, Databricks (#32-34).
        ty(
            "shopify-admin",
            "Shopify",
            F,
            Line,
            Bearer,
            "SHOPIFY_ACCESS_TOKEN",
            |r| t(r, "shpat_{{hex:32}}"),
        ),
        ty(
            "shopify-custom-app",
            "Shopify",
            F,
            Line,
            Bearer,
            "SHOPIFY_ACCESS_TOKEN",
            |r| t(r, "shpca_{{hex:32}}"),
        ),
        ty(
            "shopify-private-app",
            "Shopify",
            F,
            Line,
            Bearer,
            "SHOPIFY_PASSWORD",
            |r| t(r, "shppa_{{hex:32}}"),
        ),
        ty(
            "shopify-shared-secret",
            "Shopify",
            F,
            Line,
            Plain,
            "SHOPIFY_API_SECRET",
            |r| t(r, "shpss_{{hex:32}}"),
        ),
        ty(
            "digitalocean-pat",
            "DigitalOcean",
            F,
            Line,
            Bearer,
            "DIGITALOCEAN_TOKEN",
            |r| t(r, "dop_v1_{{hex:64}}"),
        ),
        ty(
            "digitalocean-oauth",
            "DigitalOcean",
            F,
            Line,
            Bearer,
            "DIGITALOCEAN_TOKEN",
            |r| t(r, "doo_v1_{{hex:64}}"),
        ),
        ty(
            "digitalocean-refresh",
            "DigitalOcean",
            F,
            Line,
            Plain,
            "DIGITALOCEAN_REFRESH_TOKEN",
            |r| t(r, "dor_v1_{{hex:64}}"),
        ),
        ty(
            "databricks",
            "Databricks",
            F,
            Line,
            Bearer,
            "DATABRICKS_TOKEN",
            |r| t(r, "dapi{{hex:32}}"),
        ),
        // Discord, Telegram (#35-36).
        ty(
            "discord-bot",
            "Discord",
            C,
            Line,
            Plain,
            "DISCORD_BOT_TOKEN",
            discord_bot_token,
        ),
        ty(
            "telegram-bot",
            "Telegram",
            C,
            Line,
            Plain,
            "TELEGRAM_BOT_TOKEN",
            telegram_bot_token,
        ),
        // JWT with a privileged role (#37, #57).
        ty(
            "supabase-service-role-jwt",
            "Supabase",
            F,
            Line,
            Bearer,
            "SUPABASE_SERVICE_ROLE_KEY",
            |r| supabase_jwt(r, "service_role"),
        ),
        // Private keys (#38-42).
        key_file("rsa-private-key", "id_rsa", |r| {
            armor("RSA PRIVATE KEY", &rsa_pkcs1_der(r), 64)
        }),
        key_file("pkcs8-private-key", "server.key", |r| {
            armor("PRIVATE KEY", &pkcs8_der(r), 64)
        }),
        key_file("ec-private-key", "ec-signing.pem", |r| {
            armor("EC PRIVATE KEY", &ec_der(r), 64)
        }),
        key_file("openssh-private-key", "id_ed25519", openssh_private_key),
        key_file("encrypted-private-key", "tls-encrypted.key", |r| {
            armor("ENCRYPTED PRIVATE KEY", &encrypted_pkcs8_der(r), 64)
        }),
        key_file("pgp-private-key", "release-signing.asc", |r| {
            let comment = r.below(2) == 0;
            pgp_armor("PGP PRIVATE KEY BLOCK", &pgp_key_packets(r, true), comment)
        }),
        with(
            key_file("putty-private-key", "deploy.ppk", putty_private_key),
            Embeds::Only(&["raw-file", "yaml-block", "ansible-block", "markdown-block"]),
        ),
        with(
            ty(
                "kubeconfig-client-key",
                "Kubernetes",
                F,
                Line,
                Plain,
                "KUBE_CLIENT_KEY_DATA",
                kube_client_key,
            ),
            Embeds::Only(&[
                "kubeconfig",
                "dotenv",
                "yaml-flat",
                "json-config",
                "k8s-secret",
            ]),
        ),
        // Connection and basic-auth URLs (#43-44).
        ty(
            "postgres-url",
            "PostgreSQL",
            F,
            Line,
            Url,
            "DATABASE_URL",
            |r| {
                let (u, p) = (db_user(r), url_password(r));
                format!(
                    "postgres://{u}:{p}@db-{}.internal:5432/orders",
                    r.string(LOWER_ALNUM, 6)
                )
            },
        ),
        ty(
            "postgresql-url",
            "PostgreSQL",
            F,
            Line,
            Url,
            "DATABASE_URL",
            |r| {
                let (u, p) = (db_user(r), url_password(r));
                format!("postgresql://{u}:{p}@{}.cluster-{}.eu-west-1.rds.amazonaws.com:5432/app?sslmode=require", crate_word(r), r.string(LOWER_ALNUM, 12))
            },
        ),
        ty("mysql-url", "MySQL", F, Line, Url, "MYSQL_URL", |r| {
            let (u, p) = (db_user(r), url_password(r));
            format!("mysql://{u}:{p}@mysql.{}.svc:3306/shop", crate_word(r))
        }),
        ty(
            "mongodb-srv-url",
            "MongoDB",
            F,
            Line,
            Url,
            "MONGODB_URI",
            |r| {
                let (u, p) = (db_user(r), url_password(r));
                format!(
                    "mongodb+srv://{u}:{p}@cluster0.{}.mongodb.net/?retryWrites=true&w=majority",
                    r.string(LOWER_ALNUM, 5)
                )
            },
        ),
        ty("redis-url", "Redis", F, Line, Url, "REDIS_URL", |r| {
            let p = url_password(r);
            format!("redis://:{p}@redis-{}.cache.internal:6379/0", number(r, 5))
        }),
        ty("rediss-url", "Redis", F, Line, Url, "REDIS_URL", |r| {
            let p = url_password(r);
            format!("rediss://default:{p}@{}.upstash.io:6379", crate_word(r))
        }),
        ty("amqp-url", "RabbitMQ", F, Line, Url, "AMQP_URL", |r| {
            let (u, p) = (db_user(r), url_password(r));
            format!("amqps://{u}:{p}@{}.rmq.cloudamqp.com/vhost", crate_word(r))
        }),
        ty("basic-auth-url", "", F, Line, Url, "ARTIFACTS_URL", |r| {
            let p = url_password(r);
            format!(
                "https://ci-bot:{p}@nexus.{}-corp.io/repository/releases/",
                crate_word(r)
            )
        }),
        with(
            ty(
                "http-basic-auth-header",
                "",
                F,
                Line,
                Plain,
                "AUTHORIZATION",
                |r| {
                    let p = url_password(r);
                    b64(format!("{}:{p}", db_user(r)).as_bytes())
                },
            ),
            Embeds::Only(&["basic-header-log", "basic-header-code", "basic-header-curl"]),
        ),
        ty("ftp-url", "", F, Line, Url, "FTP_URL", |r| {
            let p = url_password(r);
            format!(
                "ftp://uploader:{p}@ftp.{}-logistics.com/incoming",
                crate_word(r)
            )
        }),
        // AI providers (#45-53).
        ty("groq", "Groq", F, Line, Bearer, "GROQ_API_KEY", |r| {
            t(r, "gsk_{{b62:52}}")
        }),
        ty(
            "replicate",
            "Replicate",
            F,
            Line,
            Bearer,
            "REPLICATE_API_TOKEN",
            |r| t(r, "r8_{{b62:37}}"),
        ),
        ty(
            "perplexity",
            "Perplexity",
            F,
            Line,
            Bearer,
            "PERPLEXITY_API_KEY",
            |r| t(r, "pplx-{{b62:48}}"),
        ),
        ty("xai", "xAI", F, Line, Bearer, "XAI_API_KEY", |r| {
            t(r, "xai-{{b62:80}}")
        }),
        ty(
            "openrouter",
            "OpenRouter",
            F,
            Line,
            Bearer,
            "OPENROUTER_API_KEY",
            |r| t(r, "sk-or-v1-{{hex:64}}"),
        ),
        ty(
            "mistral",
            "Mistral",
            C,
            Line,
            Bearer,
            "MISTRAL_API_KEY",
            |r| t(r, "{{b62:32}}"),
        ),
        ty("cohere", "Cohere", C, Line, Bearer, "COHERE_API_KEY", |r| {
            t(r, "{{b62:40}}")
        }),
        ty(
            "deepseek",
            "DeepSeek",
            C,
            Line,
            Bearer,
            "DEEPSEEK_API_KEY",
            |r| t(r, "sk-{{hex:32}}"),
        ),
        // Cloudflare (#54-55).
        ty(
            "cloudflare-user-token",
            "Cloudflare",
            F,
            Line,
            Bearer,
            "CLOUDFLARE_API_TOKEN",
            |r| cloudflare(r, "cfut_", true),
        ),
        ty(
            "cloudflare-account-token",
            "Cloudflare",
            F,
            Line,
            Bearer,
            "CLOUDFLARE_API_TOKEN",
            |r| cloudflare(r, "cfat_", true),
        ),
        ty(
            "cloudflare-global-key",
            "Cloudflare",
            F,
            Line,
            Plain,
            "CLOUDFLARE_API_KEY",
            |r| cloudflare(r, "cfk_", true),
        ),
        ty(
            "cloudflare-origin-ca",
            "Cloudflare",
            F,
            Line,
            Plain,
            "CLOUDFLARE_ORIGIN_CA_KEY",
            |r| t(r, "v1.0-{{hex:24}}-{{hex:146}}"),
        ),
        ty(
            "cloudflare-legacy-token",
            "Cloudflare",
            C,
            Line,
            Bearer,
            "CLOUDFLARE_API_TOKEN",
            |r| t(r, "{{b64url:40}}"),
        ),
        ty(
            "cloudflare-legacy-global-key",
            "Cloudflare",
            C,
            Line,
            Plain,
            "CLOUDFLARE_API_KEY",
            |r| t(r, "{{hex:37}}"),
        ),
        // Vercel, Supabase, Linear, Notion (#56-59).
        ty(
            "vercel-pat",
            "Vercel",
            F,
            Line,
            Bearer,
            "VERCEL_TOKEN",
            |r| t(r, "vcp_{{b62:56}}"),
        ),
        ty(
            "vercel-api-key",
            "Vercel",
            F,
            Line,
            Bearer,
            "VERCEL_API_KEY",
            |r| t(r, "vck_{{b62:56}}"),
        ),
        ty(
            "vercel-legacy",
            "Vercel",
            C,
            Line,
            Bearer,
            "VERCEL_TOKEN",
            |r| t(r, "{{b62:24}}"),
        ),
        ty(
            "supabase-pat",
            "Supabase",
            F,
            Line,
            Bearer,
            "SUPABASE_ACCESS_TOKEN",
            |r| t(r, "sbp_{{hex:40}}"),
        ),
        ty(
            "supabase-secret-key",
            "Supabase",
            F,
            Line,
            Bearer,
            "SUPABASE_SECRET_KEY",
            |r| t(r, "sb_secret_{{b64url:22}}_{{b64url:8}}"),
        ),
        ty("linear", "Linear", F, Line, Bearer, "LINEAR_API_KEY", |r| {
            t(r, "lin_api_{{b62:40}}")
        }),
        ty("notion", "Notion", F, Line, Bearer, "NOTION_TOKEN", |r| {
            t(r, "ntn_{{digits:11}}{{b62:35}}")
        }),
        ty(
            "notion-legacy",
            "Notion",
            C,
            Line,
            Bearer,
            "NOTION_TOKEN",
            |r| t(r, "secret_{{b62:43}}"),
        ),
        // Atlassian, Doppler, Vault, Terraform, Pulumi, Postman (#60-65).
        ty(
            "atlassian",
            "Atlassian",
            F,
            Line,
            Bearer,
            "JIRA_API_TOKEN",
            |r| atlassian(r, true),
        ),
        ty(
            "doppler-personal",
            "Doppler",
            F,
            Line,
            Bearer,
            "DOPPLER_TOKEN",
            |r| t(r, "dp.pt.{{b62:43}}"),
        ),
        ty(
            "doppler-service",
            "Doppler",
            F,
            Line,
            Bearer,
            "DOPPLER_TOKEN",
            |r| t(r, "dp.st.prd.{{b62:40-44}}"),
        ),
        ty(
            "vault-service",
            "HashiCorp Vault",
            F,
            Line,
            Bearer,
            "VAULT_TOKEN",
            vault_service_token,
        ),
        ty(
            "vault-batch",
            "HashiCorp Vault",
            F,
            Line,
            Bearer,
            "VAULT_TOKEN",
            |r| t(r, "hvb.AAAAAQ{{b64url:150-220}}"),
        ),
        ty(
            "vault-legacy",
            "HashiCorp Vault",
            C,
            Line,
            Bearer,
            "VAULT_TOKEN",
            |r| t(r, "s.{{b62:24}}"),
        ),
        ty(
            "terraform-cloud",
            "HashiCorp Terraform",
            F,
            Line,
            Bearer,
            "TFE_TOKEN",
            |r| t(r, "{{b62:14}}.atlasv1.{{b62:67}}"),
        ),
        ty(
            "pulumi",
            "Pulumi",
            F,
            Line,
            Bearer,
            "PULUMI_ACCESS_TOKEN",
            |r| t(r, "pul-{{hex:40}}"),
        ),
        ty(
            "postman",
            "Postman",
            F,
            Line,
            Bearer,
            "POSTMAN_API_KEY",
            |r| t(r, "PMAK-{{hex:24}}-{{hex:34}}"),
        ),
        // Square, Braintree, Heroku, Firebase, Sentry, age (#66-71).
        ty(
            "square-access-token",
            "Square",
            F,
            Line,
            Bearer,
            "SQUARE_ACCESS_TOKEN",
            |r| t(r, "EAAA{{b62:60}}"),
        ),
        ty(
            "square-legacy-token",
            "Square",
            F,
            Line,
            Bearer,
            "SQUARE_ACCESS_TOKEN",
            |r| t(r, "sq0atp-{{b64url:22}}"),
        ),
        ty(
            "square-oauth-secret",
            "Square",
            F,
            Line,
            Plain,
            "SQUARE_APPLICATION_SECRET",
            |r| t(r, "sq0csp-{{b64url:43}}"),
        ),
        ty(
            "braintree",
            "Braintree",
            F,
            Line,
            Plain,
            "BRAINTREE_ACCESS_TOKEN",
            |r| t(r, "access_token$production${{alnum:16}}${{hex:32}}"),
        ),
        ty("heroku", "Heroku", F, Line, Bearer, "HEROKU_API_KEY", |r| {
            t(r, "HRKU-AA{{b64url:58}}")
        }),
        ty(
            "heroku-legacy",
            "Heroku",
            C,
            Line,
            Bearer,
            "HEROKU_API_KEY",
            uuid,
        ),
        ty(
            "firebase-fcm-server-key",
            "Firebase",
            F,
            Line,
            Plain,
            "FCM_SERVER_KEY",
            |r| t(r, "AAAA{{b64url:7}}:APA91b{{b64url:134}}"),
        ),
        ty(
            "sentry-user-token",
            "Sentry",
            F,
            Line,
            Bearer,
            "SENTRY_AUTH_TOKEN",
            |r| t(r, "sntryu_{{hex:64}}"),
        ),
        ty(
            "sentry-org-token",
            "Sentry",
            F,
            Line,
            Bearer,
            "SENTRY_AUTH_TOKEN",
            sentry_org_token,
        ),
        ty("age-identity", "age", F, Line, Plain, "SOPS_AGE_KEY", |r| {
            age_identity(r, true)
        }),
        // Also relevant (key-formats.md, "Also relevant to keyguard").
        ty(
            "onepassword-service-account",
            "1Password",
            F,
            Line,
            Bearer,
            "OP_SERVICE_ACCOUNT_TOKEN",
            onepassword_sa,
        ),
        ty(
            "grafana-service-account",
            "Grafana",
            F,
            Line,
            Bearer,
            "GRAFANA_TOKEN",
            // Grafana appends the CRC-32 of everything before the last `_` (little-endian
            // hex); a random suffix would only be caught by the generic rule.
            |r| t(r, "{{begin}}glsa_{{b62:32}}_{{crc:grafana}}"),
        ),
        ty(
            "grafana-cloud",
            "Grafana",
            F,
            Line,
            Bearer,
            "GRAFANA_CLOUD_TOKEN",
            grafana_cloud,
        ),
        ty(
            "dockerhub-pat",
            "Docker",
            F,
            Line,
            Plain,
            "DOCKERHUB_TOKEN",
            |r| t(r, "dckr_pat_{{b64url:27}}"),
        ),
        ty(
            "tailscale-api-key",
            "Tailscale",
            F,
            Line,
            Bearer,
            "TS_API_KEY",
            |r| t(r, "tskey-api-k{{b62:11}}CNTRL-{{b62:33}}"),
        ),
        ty(
            "tailscale-auth-key",
            "Tailscale",
            F,
            Line,
            Plain,
            "TS_AUTHKEY",
            |r| t(r, "tskey-auth-k{{b62:11}}CNTRL-{{b62:33}}"),
        ),
        ty(
            "langsmith",
            "LangChain",
            F,
            Line,
            Bearer,
            "LANGSMITH_API_KEY",
            |r| t(r, "lsv2_pt_{{hex:32}}_{{hex:10}}"),
        ),
        ty("nvidia", "NVIDIA", F, Line, Bearer, "NVIDIA_API_KEY", |r| {
            t(r, "nvapi-{{b64url:64}}")
        }),
        ty(
            "together",
            "Together",
            F,
            Line,
            Bearer,
            "TOGETHER_API_KEY",
            |r| t(r, "tgp_v1_{{b64url:43}}"),
        ),
        ty(
            "mapbox-secret",
            "Mapbox",
            F,
            Line,
            Bearer,
            "MAPBOX_SECRET_TOKEN",
            |r| mapbox_token(r, "sk"),
        ),
        ty(
            "newrelic-user-key",
            "New Relic",
            F,
            Line,
            Bearer,
            "NEW_RELIC_API_KEY",
            |r| t(r, "NRAK-{{ALNUM:27}}"),
        ),
        // Vendor keys without a prefix: context only.
        ty(
            "datadog-api-key",
            "Datadog",
            C,
            Line,
            Bearer,
            "DATADOG_API_KEY",
            |r| t(r, "{{hex:32}}"),
        ),
        ty(
            "datadog-app-key",
            "Datadog",
            C,
            Line,
            Bearer,
            "DATADOG_APP_KEY",
            |r| t(r, "{{hex:40}}"),
        ),
        ty(
            "algolia-admin-key",
            "Algolia",
            C,
            Line,
            Bearer,
            "ALGOLIA_ADMIN_API_KEY",
            |r| t(r, "{{hex:32}}"),
        ),
        ty(
            "okta-api-token",
            "Okta",
            C,
            Line,
            Bearer,
            "OKTA_API_TOKEN",
            |r| t(r, "00{{b64url:40}}"),
        ),
        with(
            ty(
                "docker-config-auth",
                "Docker",
                C,
                Line,
                Plain,
                "DOCKER_AUTH",
                docker_auth,
            ),
            Embeds::Only(&["docker-config"]),
        ),
        // No vendor at all: what a generic rule must find.
        ty(
            "generic-password",
            "Acme",
            G,
            Line,
            Plain,
            "DB_PASSWORD",
            |r| {
                let len = 16 + r.below(8);
                password(r, len)
            },
        ),
        ty(
            "generic-api-key",
            "Acme",
            G,
            Line,
            Bearer,
            "ACME_API_KEY",
            |r| t(r, "{{b62:32}}"),
        ),
        ty(
            "generic-client-secret",
            "Acme",
            G,
            Line,
            Plain,
            "OAUTH_CLIENT_SECRET",
            |r| t(r, "{{b64url:40}}"),
        ),
        ty(
            "generic-auth-token",
            "Acme",
            G,
            Line,
            Bearer,
            "SERVICE_AUTH_TOKEN",
            |r| t(r, "{{hex:40}}"),
        ),
        ty(
            "generic-secret-key",
            "Acme",
            G,
            Line,
            Plain,
            "SECRET_KEY",
            |r| password(r, 50),
        ),
    ]
}
