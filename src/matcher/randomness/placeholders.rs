//! Values that are no credential whatever their randomness: hand-written stand-ins
//! (`xxxx`, `your-key-here`, `12345678`), references (`${VAR}`, `process.env.X`), and
//! ordinary values (numbers, versions, dates, UUIDs, paths, URLs, labelled hashes,
//! SealedSecret ciphertext). Also the `literal` validator, which needs only these.

use base64::Engine;

use super::model::model;

/// Marks of hand-written stand-ins for a key, compared case-insensitively.
const PLACEHOLDER_MARKS: &[&str] = &[
    "xxxx",
    "****",
    "...",
    "\u{2026}",
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
/// `aaaaaaaa…`, `12345678…`, `a1b2c3d4e5f6…`: written by a person, not by a key generator.
pub fn looks_like_placeholder(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    if PLACEHOLDER_MARKS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    let b = secret.as_bytes();
    longest_repeat(b) >= 6 || longest_sequence(b) >= 8 || interleaved_sequences(b)
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

/// `a1b2c3d4e5f6`: two interleaved sequences, a favourite of hand-made examples.
fn interleaved_sequences(b: &[u8]) -> bool {
    if b.len() < 10 {
        return false;
    }
    let even: Vec<u8> = b.iter().step_by(2).copied().collect();
    let odd: Vec<u8> = b.iter().skip(1).step_by(2).copied().collect();
    longest_sequence(&even) >= 5 && longest_sequence(&odd) >= 5
}

/// Literal words that configuration files use for "no value".
const LITERALS: &[&str] = &[
    "true",
    "false",
    "null",
    "nil",
    "none",
    "undefined",
    "yes",
    "no",
    "on",
    "off",
    "n/a",
    "empty",
    "required",
    "optional",
];

/// Case-insensitive starts of references to a value kept elsewhere (environment,
/// secret managers, template variables, configuration objects, YAML tags).
const REFERENCE_PREFIXES: &[&str] = &[
    "env:",
    "env.",
    "env[",
    "process.env",
    "import.meta.env",
    "os.environ",
    "os.getenv",
    "getenv",
    "system.getenv",
    "environment.",
    "deno.env",
    "bun.env",
    "secrets.",
    "secret.",
    "vars.",
    "var.",
    "local.",
    "data.",
    "module.",
    "config.",
    "conf.",
    "cfg.",
    "settings.",
    "self.",
    "this.",
    "params.",
    "args.",
    "opts.",
    "options.",
    "props.",
    "ctx.",
    "context.",
    "request.",
    "req.",
    "values.",
    ".values.",
    "op://",
    "vault:",
    "vault://",
    "ref+",
    "sm://",
    "ssm:",
    "arn:",
    "secretsmanager:",
    "azurekeyvault",
    "@microsoft.keyvault",
    "keyvault:",
    "file:",
    "@file:",
    "!ref",
    "!sub",
    "!getatt",
    "!importvalue",
    "!secret",
    "!vault",
    "!env",
];

/// Marks of references or templating anywhere in the value.
const REFERENCE_MARKS: &[&str] = &[
    "${",
    "$(",
    "{{",
    "}}",
    "{%",
    "<%",
    "#{",
    "%(",
    "%{",
    "process.env",
    "os.environ",
    "getenv(",
];

/// True for a reference to a value kept elsewhere: `${VAR}`, `$VAR`, `%VAR%`,
/// `process.env.X`, `os.environ["X"]`, `secrets.X`, `{{ .Values.x }}`, `%(x)s`, `!Ref X`,
/// `op://vault/item`, an `UPPER_SNAKE` environment variable name, a dotted chain of
/// identifiers (`config.db.password`), a function call.
pub fn is_reference(s: &str) -> bool {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    if REFERENCE_MARKS.iter().any(|m| lower.contains(m))
        || REFERENCE_PREFIXES.iter().any(|p| lower.starts_with(p))
    {
        return true;
    }
    let b = t.as_bytes();
    match b.first() {
        // `$VAR`, `$env:X`, `${VAR}`: shell, PHP, Perl, PowerShell variables.
        Some(b'$')
            if b.get(1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_' || *c == b'{') =>
        {
            return true
        }
        // `%VAR%`: Windows batch.
        Some(b'%') if b.len() > 2 && b.last() == Some(&b'%') => return true,
        // A YAML tag such as `!vault` or `!ENV`.
        Some(b'!') if b.len() > 1 && b[1..].iter().all(u8::is_ascii_alphabetic) => return true,
        _ => {}
    }
    // A call: `getSecret()`, `vault.read("x")`.
    if let Some(open) = t.find('(') {
        if t.ends_with(')')
            && t[..open]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"_.:$".contains(&c))
        {
            return true;
        }
    }
    is_env_var_name(t) || is_identifier_chain(t, ".") || is_identifier_chain(t, "::")
}

/// `DB_PASSWORD`, `OPENAI_API_KEY`: upper-case words joined by underscores.
fn is_env_var_name(t: &str) -> bool {
    let parts: Vec<&str> = t.split('_').collect();
    parts.len() >= 2
        && t.bytes()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase() || c == b'_')
        && parts.iter().all(|p| {
            p.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && (p.len() < 6 || model(p.as_bytes()) < 0.5)
        })
}

/// `config.database.password`, `self.api_key`, `Settings.Default.Token` (joined by
/// `.`), `windows_sys::core::PWSTR`, `sys::FLAGS_PASS` (by `::`): identifiers none of
/// which looks generated.
fn is_identifier_chain(t: &str, separator: &str) -> bool {
    let parts: Vec<&str> = t.split(separator).collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            let mut b = p.bytes();
            b.next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b'$')
                && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
                && model(p.as_bytes()) < 0.5
        })
}

/// Algorithm labels and password-hash formats: the value is a digest, not a secret.
const HASH_PREFIXES: &[&str] = &[
    "sha1:",
    "sha1-",
    "sha224:",
    "sha256:",
    "sha256-",
    "sha384:",
    "sha384-",
    "sha512:",
    "sha512-",
    "md5:",
    "md5-",
    "blake2b:",
    "blake3:",
    "$1$",
    "$2a$",
    "$2b$",
    "$2y$",
    "$5$",
    "$6$",
    "$apr1$",
    "$argon2",
    "$scrypt$",
    "$pbkdf2",
    "{ssha}",
    "{sha}",
    "{ssha512}",
    "pbkdf2_sha256$",
    "pbkdf2:sha256:",
    "scrypt:",
    "bcrypt$",
    "argon2$",
];

fn is_number(t: &str) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        // Short hex literals are numbers (with a type suffix: `0xC000006A_u32`); 64 hex
        // digits after `0x` are an Ethereum key.
        let digits = hex.bytes().take_while(u8::is_ascii_hexdigit).count();
        let suffix = hex[digits..].trim_start_matches('_');
        return (1..=16).contains(&digits)
            && (suffix.is_empty()
                || (suffix.len() <= 5
                    && suffix.starts_with(['u', 'i'])
                    && suffix[1..].bytes().all(|c| c.is_ascii_alphanumeric())));
    }
    let mut digits = 0;
    for c in t.bytes() {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' | b'_' | b',' | b'e' | b'E' | b'-' | b'+' => {}
            _ => return false,
        }
    }
    digits > 0
}

/// `1.2.3`, `v2.0.1-beta.3`, `10.0.0.1:5432`, `1.2.3+build.5`.
fn is_version(t: &str) -> bool {
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    let core_end = t.find(['-', '+', '~', ':']).unwrap_or(t.len());
    let core: Vec<&str> = t[..core_end].split('.').collect();
    (2..=4).contains(&core.len())
        && core
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|c| c.is_ascii_digit()))
        && t[core_end..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-+.~:".contains(&c))
        && t[core_end..].len() <= 24
}

fn is_uuid(t: &str) -> bool {
    let t = t
        .trim_start_matches("urn:uuid:")
        .trim_matches(|c| c == '{' || c == '}');
    let groups: Vec<&str> = t.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// `2024-01-15`, `2024-01-15T10:00:00Z`, `15/01/2024`.
fn is_date(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    (digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10))
        || (digits(0..2)
            && b.get(2) == Some(&b'/')
            && digits(3..5)
            && b.get(5) == Some(&b'/')
            && digits(6..10))
}

fn is_email(t: &str) -> bool {
    let Some((local, domain)) = t.split_once('@') else {
        return false;
    };
    let Some((_, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
        && (2..=24).contains(&tld.len())
        && tld.bytes().all(|c| c.is_ascii_alphabetic())
}

/// `/etc/ssl/private/server.key`, `./config/app.yaml`, `C:\keys\app.pfx`,
/// `secrets/db/password.txt`: every segment a word, not a generated run.
fn is_path(t: &str) -> bool {
    let b = t.as_bytes();
    let rooted = t.starts_with(['/', '~', '\\'])
        || t.starts_with("./")
        || t.starts_with("../")
        || (b.len() > 2
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && matches!(b[2], b'\\' | b'/'));
    let segments: Vec<&str> = t.split(['/', '\\']).filter(|s| !s.is_empty()).collect();
    (rooted || (segments.len() >= 2 && model(b) < 0.5))
        && !segments.is_empty()
        && segments.iter().all(|s| model(s.as_bytes()) < 0.5)
}

/// True for values that are no credential whatever their randomness: booleans, nulls,
/// numbers, versions, dates, UUIDs, e-mail addresses, URLs (credentials in URLs have
/// rules of their own), paths, labelled hashes and password hashes, references.
pub fn is_ordinary_value(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    LITERALS.contains(&lower.as_str())
        || HASH_PREFIXES.iter().any(|p| lower.starts_with(p))
        || lower.contains("://")
        || is_number(t)
        || is_version(t)
        || is_uuid(t)
        || is_date(t)
        || is_email(t)
        || is_path(t)
        || is_reference(t)
        || is_sealed_ciphertext(t)
}

/// A Bitnami SealedSecret value (`encryptedData:`): base64 of a big-endian u16 length of
/// the RSA-encrypted session key (256, 384 or 512 bytes), that key, then AES-GCM data
/// (kubeseal's hybrid encryption).
/// Ciphertext only the cluster can open, not a secret (values start `AQA`, `AYA`, `AgA`).
fn is_sealed_ciphertext(t: &str) -> bool {
    use base64::engine::general_purpose::STANDARD;
    if t.len() < 340 || !t.starts_with('A') {
        return false;
    }
    let Ok(bytes) = STANDARD.decode(t) else {
        return false;
    };
    let key_len = bytes
        .get(..2)
        .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
    // then at least one byte of data and the 16-byte GCM tag
    [256, 384, 512].contains(&key_len) && bytes.len() > 2 + key_len + 16
}

/// The `literal` validator: a value written in place, not a placeholder (`your-key-here`,
/// `********`), a reference (`${VAR}`, `process.env.X`), an empty or "no value" word, or
/// a URL without a password in it. What file rules need to tell a `.env` that holds a
/// secret from one that only names them.
pub fn looks_like_literal(s: &str) -> bool {
    let t = s.trim().trim_matches(['"', '\'', '`']);
    let lower = t.to_ascii_lowercase();
    if t.is_empty()
        || looks_like_placeholder(t)
        || is_reference(t)
        || LITERALS.contains(&lower.as_str())
    {
        return false;
    }
    match t.split_once("://") {
        // `scheme://user:password@host`: only a URL with a password in it is a secret.
        Some((_, rest)) => rest
            .split(['/', '?', '#'])
            .next()
            .and_then(|auth| auth.rsplit_once('@'))
            .is_some_and(|(userinfo, _)| {
                userinfo.split_once(':').is_some_and(|(_, p)| !p.is_empty())
            }),
        None => true,
    }
}
