//! Validators: offline checks that a regex match really is a credential of its kind.
//!
//! Many modern token formats carry a checksum (GitHub, npm, GitLab routable, Atlassian,
//! Bitbucket, Cloudflare, Grafana, Private Packagist, Polar, age, PGP armor) or a fixed
//! structure (JWT, PEM, Discord bot tokens, basic-auth blobs, OpenPGP packets). Verifying it removes
//! false positives that a regex alone cannot: random text of the right shape fails the
//! checksum 999,999 times in a million. Each validator is named in rule files by the
//! string given in [`Validator::names`]. `complete` is the inverse used by example
//! templates: it computes the checksum a valid token must end with.

use base64::Engine;

use super::randomness;

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
    /// Grafana service-account tokens `glsa_<32>_<8 hex>`: CRC32 of `glsa_<32>`, its four
    /// bytes little-endian, in lower hex.
    GrafanaCrc32,
    /// Private Packagist `packagist_<kind>_<60 hex><8 hex>`: CRC32 of everything before
    /// the last 8 characters, lower hex.
    PackagistCrc32,
    /// Polar `polar_oat_`/`polar_pat_`: 37 random characters + base62 CRC32 of them (6).
    PolarCrc32,
    /// OpenPGP ASCII armor without a checksum line (RFC 9580 drops it): the body must be
    /// base64 of a secret-key packet.
    PgpSecretPacket,
    /// Discord bot token: the first segment is the bot's user id (a snowflake) in base64.
    DiscordToken,
    /// Base64 of `user:password` (Docker `auths`, `.npmrc` `_auth`).
    BasicAuthB64,
    /// A JWT whose header decodes to a JSON object with an `alg`.
    Jwt,
    /// A JWT (as `Jwt`) whose payload claims `"role": "service_role"` (Supabase's secret key).
    JwtServiceRole,
    /// A JWT (as `Jwt`) that is not a public `"role": "anon"` key (Supabase's browser key).
    JwtNotAnon,
    /// `BasicAuthB64` whose password is not a placeholder or a well-known default
    /// (`user:password`, `admin:admin`, `${PASS}`): what an `Authorization: Basic` must carry.
    BasicAuthPassword,
    /// A PEM block whose body is plausible base64 of a key (not a template or a stub).
    PemBody,
    /// A value a random generator produced, for generic rules: see
    /// [`randomness::looks_random`]; the rule's `min_randomness` replaces the default
    /// threshold. (Values of a format some rule owns never get here: see
    /// `RuleSpec::owns_values`.)
    Random,
    /// Base64 of an unencrypted PEM, OpenSSH or PGP private key (kubeconfig
    /// `client-key-data`, Kubernetes Secret `data`, CI variables): the decoded text must
    /// be a private key block that passes the same checks as the armored form.
    PemBase64Private,
    /// A literal a person may have chosen as a password: see
    /// [`randomness::looks_like_password`].
    Password,
    /// A literal value, not a placeholder, reference or empty word: see
    /// [`randomness::looks_like_literal`] (file rules: a `.env` that holds a value).
    Literal,
}

impl Validator {
    /// Every validator and the name rules give it (built-in and `.keyguard.toml` alike):
    /// the one list that both directions read.
    const TABLE: &'static [(&'static str, Validator)] = &[
        ("github-crc32", Self::GithubCrc32),
        ("gitlab-crc32", Self::GitlabCrc32),
        ("atlassian-crc32", Self::AtlassianCrc32),
        ("cloudflare-crc32", Self::CloudflareCrc32),
        ("age-bech32", Self::AgeBech32),
        ("pgp-crc24", Self::PgpCrc24),
        ("grafana-crc32", Self::GrafanaCrc32),
        ("packagist-crc32", Self::PackagistCrc32),
        ("polar-crc32", Self::PolarCrc32),
        ("pgp-secret-packet", Self::PgpSecretPacket),
        ("discord-token", Self::DiscordToken),
        ("basic-auth-b64", Self::BasicAuthB64),
        ("jwt", Self::Jwt),
        ("jwt-service-role", Self::JwtServiceRole),
        ("jwt-not-anon", Self::JwtNotAnon),
        ("basic-auth-password", Self::BasicAuthPassword),
        ("pem-body", Self::PemBody),
        ("pem-b64-private", Self::PemBase64Private),
        ("random", Self::Random),
        ("password", Self::Password),
        ("literal", Self::Literal),
    ];

    /// The names a rule may give in `validators`.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::TABLE.iter().map(|(name, _)| *name)
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::TABLE
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// The name rules use for this validator (what `keyguard rules --format json` prints).
    pub fn name(self) -> &'static str {
        Self::TABLE
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("unnamed", |(n, _)| *n)
    }

    pub fn check(self, secret: &str) -> bool {
        self.check_with(secret, None)
    }

    /// [`Validator::check`] with the rule's `min_randomness`, which the `random`
    /// validator uses in place of its default threshold.
    pub fn check_with(self, secret: &str, min_randomness: Option<f64>) -> bool {
        match self {
            Self::GithubCrc32 => github_crc32(secret),
            Self::GitlabCrc32 => trailing_crc(secret, 7, |c| base36(c, 7)),
            Self::AtlassianCrc32 => trailing_crc(secret, 8, |c| format!("{c:08X}")),
            Self::CloudflareCrc32 => cloudflare_crc32(secret),
            Self::AgeBech32 => age_bech32(secret),
            Self::PgpCrc24 => pgp_crc24(secret),
            Self::GrafanaCrc32 => grafana_crc32(secret),
            Self::PackagistCrc32 => trailing_crc(secret, 8, |c| format!("{c:08x}")),
            Self::PolarCrc32 => polar_crc32(secret),
            Self::PgpSecretPacket => pgp_secret_packet(secret),
            Self::DiscordToken => discord_token(secret),
            Self::BasicAuthB64 => basic_auth_b64(secret),
            Self::Jwt => jwt(secret),
            Self::BasicAuthPassword => basic_auth_password(secret),
            Self::JwtServiceRole => jwt_role(secret).is_some_and(|r| r == "service_role"),
            Self::JwtNotAnon => jwt(secret) && jwt_role(secret).is_none_or(|r| r != "anon"),
            Self::PemBody => pem_body(secret),
            Self::PemBase64Private => pem_b64_private(secret),
            Self::Random => {
                !anon_jwt(secret)
                    && randomness::looks_random(
                        secret,
                        min_randomness.unwrap_or(randomness::DEFAULT_MIN_RANDOMNESS),
                    )
            }
            Self::Password => randomness::looks_like_password(secret),
            Self::Literal => randomness::looks_like_literal(secret),
        }
    }
}

/// A JWT whose `role` claim is `anon`: a key made to ship to browsers (Supabase's anon
/// key), which generic rules must not report. Other public-by-design formats are rule
/// data (`context_allow` of generic-secret); this one needs the token decoded.
fn anon_jwt(secret: &str) -> bool {
    secret.starts_with("eyJ") && jwt_role(secret).is_some_and(|r| r == "anon")
}

/// Runs a validator by name; unknown names fail (so a typo can never pass silently).
pub fn run(name: &str, secret: &str) -> bool {
    Validator::from_name(name).is_some_and(|v| v.check(secret))
}

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

fn crc(s: &str) -> u32 {
    crc32fast::hash(s.as_bytes())
}

/// The random body of a `prefix_body` token: what follows the last underscore.
fn random_part(token: &str) -> &str {
    token.rsplit_once('_').map_or(token, |(_, r)| r)
}

const B62: &[u8] = super::template::B62;
const BECH32: &[u8] = super::template::BECH32;

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

/// Grafana renders the CRC32's bytes least significant first, then hex-encodes them.
fn grafana_sum(key: &str) -> String {
    crc(key)
        .to_le_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn grafana_crc32(secret: &str) -> bool {
    let Some((key, sum)) = secret.rsplit_once('_') else {
        return false;
    };
    key.is_ascii() && sum.len() == 8 && grafana_sum(key) == sum
}

fn polar_crc32(secret: &str) -> bool {
    let Some((_, body)) = secret.rsplit_once('_') else {
        return false;
    };
    if body.len() != 43 || !body.is_ascii() {
        return false;
    }
    let (random, sum) = body.split_at(37);
    base62(crc(random), 6) == sum
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

/// The base64 body of an armored block (header lines skipped), and whether it carried a
/// `=XXXX` checksum line.
fn armor_body(secret: &str) -> (String, bool) {
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

fn pgp_secret_packet(secret: &str) -> bool {
    let (body, has_sum) = armor_body(secret);
    // Blocks with a checksum line are `pgp-crc24`'s to judge (and a wrong sum is no key).
    if has_sum {
        return false;
    }
    let Some(bytes) = decode_b64(body.trim_end_matches('=')) else {
        return false;
    };
    let Some(&first) = bytes.first() else {
        return false;
    };
    // RFC 9580 §4.2: bit 7 set; new format (bit 6) keeps the tag in the low six bits, the
    // legacy format in bits 5-2. Tag 5 is a secret-key packet.
    let tag = if first & 0x40 != 0 {
        first & 0x3f
    } else {
        (first >> 2) & 0x0f
    };
    first & 0x80 != 0 && tag == 5 && bytes.len() >= 48
}

fn discord_token(secret: &str) -> bool {
    let Some(id) = secret.split('.').next() else {
        return false;
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(id.trim_end_matches('='))
        .or_else(|_| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id.trim_end_matches('='))
        })
    else {
        return false;
    };
    // A snowflake: 17 to 20 decimal digits, no leading zero.
    (17..=20).contains(&bytes.len()) && bytes[0] != b'0' && bytes.iter().all(u8::is_ascii_digit)
}

/// Standard base64, with or without padding.
fn decode_b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(s.trim_end_matches('='))
        })
        .ok()
}

/// The `(user, password)` bytes of a base64 `user:password` (HTTP Basic, docker `auth`):
/// a printable, non-empty user name and a non-empty password.
fn decode_basic_auth(secret: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut bytes = decode_b64(secret)?;
    let colon = bytes.iter().position(|&b| b == b':')?;
    let ok =
        colon > 0 && colon + 1 < bytes.len() && bytes[..colon].iter().all(|b| b.is_ascii_graphic());
    ok.then(|| {
        let password = bytes.split_off(colon + 1);
        bytes.truncate(colon);
        (bytes, password)
    })
}

fn basic_auth_b64(secret: &str) -> bool {
    decode_basic_auth(secret).is_some()
}

/// Passwords of documentation and default installs (compared lower-cased, after trailing
/// digits and punctuation are removed): never a secret, whatever the host.
const DEFAULT_PASSWORDS: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pass",
    "passwd",
    "pwd",
    "secret",
    "changeme",
    "changeit",
    "admin",
    "administrator",
    "root",
    "toor",
    "guest",
    "user",
    "username",
    "test",
    "testing",
    "example",
    "default",
    "demo",
    "qwerty",
    "letmein",
    "welcome",
    "mypassword",
    "mysecretpassword",
    "supersecret",
    "secretpassword",
    "foobar",
    "postgres",
    "mysql",
    "redis",
    "rabbitmq",
    "oracle",
    "docker",
    "elastic",
    "minioadmin",
];

fn basic_auth_password(secret: &str) -> bool {
    let Some((user, password)) = decode_basic_auth(secret) else {
        return false;
    };
    let Ok(password) = std::str::from_utf8(&password) else {
        // Not text: random bytes, not a hand-written stand-in.
        return true;
    };
    let lower = password.to_ascii_lowercase();
    let core = lower.trim_end_matches(|c: char| c.is_ascii_digit() || "!@#._-".contains(c));
    password.len() >= 6
        && password.as_bytes() != user.as_slice()
        && !core.is_empty()
        && !DEFAULT_PASSWORDS.contains(&core)
        && !crate::matcher::randomness::looks_like_placeholder(password)
        && crate::matcher::randomness::shannon(password) >= 2.0
}

fn jwt(secret: &str) -> bool {
    jwt_payload(secret).is_some()
}

/// The payload of a JWT whose header names a real `alg` and whose payload is a JSON object.
fn jwt_payload(secret: &str) -> Option<serde_json::Value> {
    let mut parts = secret.split('.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return None;
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
    decode(payload).filter(|p| header_ok && p.is_object())
}

/// The `role` claim of a valid JWT (Supabase puts `anon` or `service_role` there).
fn jwt_role(secret: &str) -> Option<String> {
    jwt_payload(secret)?
        .get("role")
        .and_then(|r| r.as_str())
        .map(str::to_string)
}

/// Decodes base64 that wraps a PEM block (possibly line-wrapped, as `base64` writes it)
/// and checks that the block is an unencrypted private key. Certificates, public keys
/// and encrypted keys are base64-encoded into configs all the time and are not secrets
/// (encrypted ones are `private-key-encrypted`'s call, in their armored form).
fn pem_b64_private(secret: &str) -> bool {
    let compact: String = secret
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(char::from)
        .collect();
    let Some(bytes) = decode_b64(&compact) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return false;
    };
    let Some(rest) = text.strip_prefix("-----BEGIN ") else {
        return false;
    };
    let Some((label, _)) = rest.split_once("-----") else {
        return false;
    };
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return false;
    }
    match label {
        "PGP PRIVATE KEY BLOCK" => pgp_crc24(text) || pgp_secret_packet(text),
        "PRIVATE KEY"
        | "RSA PRIVATE KEY"
        | "EC PRIVATE KEY"
        | "DSA PRIVATE KEY"
        | "OPENSSH PRIVATE KEY" => {
            // Only the block itself: text after the END line is not part of the key.
            let end = format!("-----END {label}-----");
            text.find(&end)
                .is_some_and(|i| pem_body(&text[..i + end.len()]))
        }
        _ => false,
    }
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
    let Some(bytes) = decode_b64(body.trim_end_matches('=')) else {
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
        let mut rng = crate::matcher::template::Rng::new(5);
        let data: String = rng.string(BECH32, 52).to_ascii_uppercase();
        let head = format!("AGE-SECRET-KEY-1{data}");
        let key = format!("{head}{}", complete("age", &head).unwrap());
        assert!(run("age-bech32", &key));
        let mut broken = key.clone();
        broken.replace_range(20..21, if &key[20..21] == "Q" { "P" } else { "Q" });
        assert!(!run("age-bech32", &broken));
    }

    #[test]
    fn grafana_published_test_vector() {
        // Grafana's own unit-test token (`satokengen`), obviously not a live key.
        let sample = ["glsa_iNValIdinValiDinvalid", "invalidinva_5b582697"].concat();
        assert!(run("grafana-crc32", &sample));
        assert!(!run("grafana-crc32", &sample.replace("97", "98")));
        let key = "glsa_iNValIdinValiDinvalidinvalidinva_";
        assert_eq!(complete("grafana", key).as_deref(), Some("5b582697"));
    }

    #[test]
    fn packagist_and_polar_round_trip() {
        let mut rng = crate::matcher::template::Rng::new(11);
        let head = format!("packagist_ort_{}", rng.string(b"0123456789abcdef", 60));
        let token = format!("{head}{}", complete("packagist", &head).unwrap());
        assert!(run("packagist-crc32", &token));
        assert!(!run(
            "packagist-crc32",
            &token.replace("packagist_ort_", "packagist_out_")
        ));

        let head = format!("polar_oat_{}", rng.string(B62, 37));
        let token = format!("{head}{}", complete("polar", &head).unwrap());
        assert!(run("polar-crc32", &token));
        // GitHub's validator wants 30 random characters, not 37.
        assert!(!run("github-crc32", &token));
        let mut broken = token.clone();
        broken.replace_range(12..13, if &token[12..13] == "A" { "B" } else { "A" });
        assert!(!run("polar-crc32", &broken));
    }

    #[test]
    fn age_post_quantum_identity() {
        let mut rng = crate::matcher::template::Rng::new(4);
        let head = format!(
            "AGE-SECRET-KEY-PQ-1{}",
            rng.string(BECH32, 52).to_ascii_uppercase()
        );
        let key = format!("{head}{}", complete("age", &head).unwrap());
        assert!(run("age-bech32", &key));
        assert!(!run("age-bech32", &key.replace("-PQ-", "-QP-")));
    }

    #[test]
    fn discord_token_id_is_a_snowflake() {
        let enc = |s: &str| base64::engine::general_purpose::STANDARD_NO_PAD.encode(s);
        assert!(discord_token(&format!(
            "{}.GhTzQw.abc",
            enc("118700421438249780")
        )));
        assert!(discord_token(&format!(
            "{}.GhTzQw.abc",
            enc("1187004214382497802")
        )));
        // Not digits, too short, or a leading zero: not a user id.
        assert!(!discord_token(&format!(
            "{}.GhTzQw.abc",
            enc("11870042143824978x")
        )));
        assert!(!discord_token(&format!("{}.GhTzQw.abc", enc("1187004214"))));
        assert!(!discord_token(&format!(
            "{}.GhTzQw.abc",
            enc("018700421438249780")
        )));
    }

    #[test]
    fn basic_auth_needs_user_and_password() {
        let enc = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
        assert!(basic_auth_b64(&enc(b"deployer:s3cr3t-pass")));
        assert!(basic_auth_b64(&enc(b"ci:\x9f\x00binary")));
        assert!(!basic_auth_b64(&enc(b"no-colon-here")));
        assert!(!basic_auth_b64(&enc(b":password-only")));
        assert!(!basic_auth_b64(&enc(b"user:")));
        assert!(!basic_auth_b64("not base64 at all!"));
    }

    #[test]
    fn pgp_secret_packet_without_checksum() {
        let enc = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let block = |body: &[u8], sum: &str| {
            format!(
                "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{}\n{sum}-----END PGP PRIVATE KEY BLOCK-----",
                enc(body)
            )
        };
        let mut secret_key = vec![0xc5u8, 0x58, 0x04];
        secret_key.extend([7u8; 60]);
        assert!(pgp_secret_packet(&block(&secret_key, "")));
        // Legacy packet header for tag 5 (0x94-0x97).
        secret_key[0] = 0x95;
        assert!(pgp_secret_packet(&block(&secret_key, "")));
        // A public-key packet (tag 6) is not a secret.
        secret_key[0] = 0xc6;
        assert!(!pgp_secret_packet(&block(&secret_key, "")));
        // With a checksum line, pgp-crc24 decides.
        secret_key[0] = 0xc5;
        assert!(!pgp_secret_packet(&block(&secret_key, "=AbCd\n")));
    }

    #[test]
    fn crc24_known_vector() {
        // RFC 4880: CRC-24 of the empty input is the init value.
        assert_eq!(crc24(b""), 0xB704CE);
    }

    #[test]
    fn basic_auth_password_rejects_defaults() {
        let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        for doc in [
            "user:password",
            "admin:admin",
            "admin:Password123!",
            "ci:${CI_PASSWORD}",
            "me:12345678",
            "deploy:short",
            "nocolon",
        ] {
            assert!(!run("basic-auth-password", &enc(doc)), "{doc}");
        }
        assert!(run("basic-auth-password", &enc("deploy:Vq8#mZt2Lp")));
        // Random bytes after the user (what templates generate) are not a placeholder.
        let mut raw = b"ci-robot:".to_vec();
        raw.extend([0xf3, 0x9a, 0x01, 0xc7, 0x88, 0x2e, 0xd0, 0x5b]);
        assert!(run(
            "basic-auth-password",
            &base64::engine::general_purpose::STANDARD.encode(raw)
        ));
    }

    #[test]
    fn jwt_roles() {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = |claims: &str| {
            format!(
                "{}.{}.c2lnbmF0dXJl",
                enc(r#"{"alg":"HS256","typ":"JWT"}"#),
                enc(claims)
            )
        };
        let service = token(r#"{"iss":"supabase","role":"service_role"}"#);
        let anon = token(r#"{"iss":"supabase","role":"anon"}"#);
        let plain = token(r#"{"sub":"42"}"#);
        assert!(run("jwt-service-role", &service));
        assert!(!run("jwt-service-role", &anon));
        assert!(!run("jwt-service-role", &plain));
        assert!(run("jwt-not-anon", &service));
        assert!(run("jwt-not-anon", &plain));
        assert!(!run("jwt-not-anon", &anon));
        // Structure still required: a role claim does not rescue an unsigned token.
        let unsigned = format!("{}.{}.", enc(r#"{"alg":"none"}"#), enc(r#"{"role":"x"}"#));
        assert!(!run("jwt-not-anon", &unsigned));
        assert!(!run("jwt-service-role", "eyJhbGciOi.abc.def"));
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
        for n in Validator::names() {
            let v = Validator::from_name(n).unwrap();
            assert_eq!(v.name(), n, "{v:?} has two names");
        }
    }
    #[test]
    fn base64_pem_only_unencrypted_private_keys() {
        use crate::matcher::template::{expand, Rng};
        let mut rng = Rng::new(11);
        for label in [
            "RSA PRIVATE KEY",
            "PRIVATE KEY",
            "EC PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
        ] {
            let value = expand(&format!("{{{{pem_b64:{label}}}}}"), &mut rng).unwrap();
            assert!(value.starts_with("LS0tLS1CRUdJTi"), "{value}");
            assert!(run("pem-b64-private", &value), "{label}");
            // As `base64` wraps it (76 columns), indented in a YAML block scalar.
            let wrapped: Vec<&str> = value
                .as_bytes()
                .chunks(76)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            assert!(run("pem-b64-private", &wrapped.join("\n    ")), "{label}");
            // Cut short (a truncated paste or documentation): the body check fails.
            assert!(!run("pem-b64-private", &value[..120]), "{label}");
        }
        for label in ["CERTIFICATE", "PUBLIC KEY", "ENCRYPTED PRIVATE KEY"] {
            let value = expand(&format!("{{{{pem_b64:{label}}}}}"), &mut rng).unwrap();
            assert!(!run("pem-b64-private", &value), "{label}");
        }
        // A legacy encrypted PEM keeps its RSA label: the Proc-Type header gives it away.
        let pem = expand("{{pem:RSA PRIVATE KEY}}", &mut rng).unwrap().replacen(
            "-----\n",
            "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n",
            1,
        );
        assert!(run("pem-body", &pem));
        let encoded = base64::engine::general_purpose::STANDARD.encode(pem);
        assert!(!run("pem-b64-private", &encoded));
        assert!(!run("pem-b64-private", "not base64 at all"));
    }
}
