//! Validators: offline checks that a regex match really is a credential of its kind.
//!
//! Many modern token formats carry a checksum (GitHub, npm, GitLab routable, Atlassian,
//! Bitbucket, Cloudflare, Grafana, Private Packagist, Polar, age, PGP armor) or a fixed
//! structure (JWT, PEM, Discord bot tokens, basic-auth blobs, OpenPGP packets). Verifying it removes
//! false positives that a regex alone cannot: random text of the right shape fails the
//! checksum 999,999 times in a million. Each validator is named in rule files by the
//! string given in [`Validator::names`]. [`complete`] (in `checksum`) is the inverse used by example
//! templates: it computes the checksum a valid token must end with.

pub mod checksum;
mod structure;

pub use checksum::complete;
use checksum::*;
use structure::*;

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

    /// Whether `secret` passes; `min_randomness` is the rule's, which the `random`
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
#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::checksum::{crc24, BECH32};
    use super::*;

    /// Runs a validator by name; unknown names fail.
    fn run(name: &str, secret: &str) -> bool {
        Validator::from_name(name).is_some_and(|v| v.check_with(secret, None))
    }

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
