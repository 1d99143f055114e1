//! Structure checks: formats without a checksum whose shape can still be verified
//! offline (an OpenPGP secret-key packet, a Discord bot token's snowflake, base64 of
//! `user:password`, a JWT's header and claims, a PEM body).

use base64::Engine;

use super::checksum::{armor_body, block_lines, pgp_crc24};
use crate::matcher::randomness;

pub(super) fn pgp_secret_packet(secret: &str) -> bool {
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

pub(super) fn discord_token(secret: &str) -> bool {
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

pub(super) fn basic_auth_b64(secret: &str) -> bool {
    decode_basic_auth(secret).is_some()
}

pub(super) fn basic_auth_password(secret: &str) -> bool {
    let Some((user, password)) = decode_basic_auth(secret) else {
        return false;
    };
    let Ok(password) = std::str::from_utf8(&password) else {
        // Not text: random bytes, not a hand-written stand-in.
        return true;
    };
    // Digits and symbols only (`123456`, `1234!`): a stand-in too.
    let has_letters = password.bytes().any(|b| b.is_ascii_alphabetic()) || !password.is_ascii();
    password.len() >= 6
        && password.as_bytes() != user.as_slice()
        && has_letters
        && !randomness::passwords::is_stand_in(password)
        && !randomness::looks_like_placeholder(password)
        && randomness::shannon(password) >= 2.0
}

pub(super) fn jwt(secret: &str) -> bool {
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
pub(super) fn jwt_role(secret: &str) -> Option<String> {
    jwt_payload(secret)?
        .get("role")
        .and_then(|r| r.as_str())
        .map(str::to_string)
}

/// Decodes base64 that wraps a PEM block (possibly line-wrapped, as `base64` writes it)
/// and checks that the block is an unencrypted private key. Certificates, public keys
/// and encrypted keys are base64-encoded into configs all the time and are not secrets
/// (encrypted ones are `private-key-encrypted`'s call, in their armored form).
pub(super) fn pem_b64_private(secret: &str) -> bool {
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

pub(super) fn pem_body(secret: &str) -> bool {
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
