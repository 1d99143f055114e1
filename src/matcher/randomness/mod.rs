//! How random a string is, and whether it is a placeholder or some other value that is
//! not a credential.
//!
//! Real keys are produced by a random generator; documentation, templates, identifiers
//! and configuration are written by people. The measures here tell them apart cheaply:
//!
//! - [`shannon`]: Shannon entropy, the classic (weak) measure;
//! - [`score`]: how likely a string is machine-generated, in [0, 1]. A small logistic
//!   model over a letter-bigram log-likelihood ratio (English/code words against
//!   uniformly random letters), the rate of character-class changes, normalised entropy,
//!   length, digit share and hex shape. Encodings of plain text (base64 or hex of
//!   `hello world`) are scored as the text they encode;
//! - [`looks_like_placeholder`] and [`is_ordinary_value`]: values that are no secret
//!   whatever their randomness (references such as `${VAR}` or `process.env.X`, paths,
//!   URLs, versions, UUIDs, numbers, dates, labelled hashes);
//! - [`looks_random`], [`looks_like_password`] and [`looks_like_literal`]: the tests
//!   behind the `random`, `password` and `literal` validators (generic and file rules).
//!
//! How the model was derived (so that it can be re-derived): letter bigram counts come
//! from the words of local English prose and source code (Debian's common-licenses and
//! package copyright files, the Python 3.11 standard library and site-packages, and the
//! Rust crates in the cargo registry), each distinct word weighted by `1 + ln(frequency)`
//! and kept only if seen at least three times, camelCase and snake_case split into words.
//! The table holds `log2(P(next | letter) * 26)` in sixteenths of a bit: positive for
//! pairs that are more common in words than among random letters. The logistic weights
//! were fitted (Newton's method, L2 = 1) on 4,000 strings generated from random alphabets
//! (hex, base62, base64, base64url, lower/upper alphanumerics, letters; 12-64 characters,
//! some with prefixes such as `sk_` or dash groups) against 7,000 identifiers from the
//! same code, compound words in every case style, dotted references, paths, host names
//! and word-plus-digit passwords. Fitted on 70% of that set, the model recalled 99.6% of
//! the random strings in the other 30% at a 0.8% false-positive rate (threshold 0.5);
//! the weights below are the same model refitted on all of it. The unit tests at the end
//! measure it again on hand-written hard negatives and on whole rule matches.
//!
//! Layout: [`model`] holds the score (and Shannon entropy), [`placeholders`] the values
//! that are no credential whatever their score, [`passwords`] the one list of default
//! passwords and the `password` validator; this module combines them into the `random`
//! validator.

pub mod model;
pub mod passwords;
pub mod placeholders;

pub use model::{percent_decoded, score, shannon};
pub use passwords::looks_like_password;
pub use placeholders::{
    is_ordinary_value, is_reference, looks_like_literal, looks_like_placeholder,
};

use base64::Engine;

use model::model;

/// The default `min_randomness` of the `random` validator.
pub const DEFAULT_MIN_RANDOMNESS: f64 = 0.5;

/// The `random` validator: a value a generator produced. Not a placeholder, not an
/// ordinary value (see [`is_ordinary_value`]), no whitespace, 8 to 1024 characters, at
/// most half of them symbols, no `=` but base64 padding, and a [`score`] of at least `min`.
pub fn looks_random(s: &str, min: f64) -> bool {
    let n = s.chars().count();
    // Generators draw mostly letters and digits, even with symbols enabled (a third at
    // most); `g?y/../x` or `%60%7B%7D` are something else.
    let symbols = s
        .trim_end_matches('=')
        .bytes()
        .filter(|b| !b.is_ascii_alphanumeric())
        .count();
    // `sv=2022-11-02&sig=…`, `a=b`: parameters, not a token (base64 pads only at the end).
    let inner_equals = s.trim_end_matches('=').contains('=');
    (8..=1024).contains(&n)
        && symbols * 2 <= n
        && !inner_equals
        && !s.contains(char::is_whitespace)
        // `score` is never above the raw model (decoding only lowers it), and the raw
        // model is the cheapest test that most values fail: identifiers, words and paths
        // are turned away here before the placeholder and ordinary-value lists are
        // searched (half a history scan's matcher time went to those lists).
        && {
            let raw = model(s.as_bytes());
            raw >= min
                && !looks_like_placeholder(s)
                && !is_ordinary_value(s)
                && !encodes_a_word(s)
                && model::lowered_by_decoding(s, raw) >= min
        }
}

/// Short base64 of a word (`ZGVtbw==` is "demo", as in a Kubernetes Secret's `data:`):
/// the word is the value, and a word is no generated secret. Too short for
/// [`decoded_text`]; six random bytes decode to letters and digits only rarely, and then
/// do not read as a word.
fn encodes_a_word(s: &str) -> bool {
    use base64::engine::general_purpose::STANDARD;
    if s.len() > 24 || !s.ends_with('=') {
        return false;
    }
    let Ok(bytes) = STANDARD.decode(s) else {
        return false;
    };
    (3..=16).contains(&bytes.len())
        && bytes.iter().all(u8::is_ascii_alphanumeric)
        && (looks_like_placeholder(&String::from_utf8_lossy(&bytes)) || model(&bytes) < 0.5)
}

#[cfg(test)]
mod tests {
    use super::model::{bigram_llr, class, decoded_text, words};
    use super::*;
    use crate::matcher::template::{expand, Rng};
    use base64::engine::general_purpose::STANDARD;

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
            "a1b2c3d4e5f6g7h8",
        ] {
            assert!(looks_like_placeholder(p), "{p}");
        }
        for real in ["sk-Zr8q2LmX0pV7wK4nT3BlbkFJ", "ghp_4fT9kQ2mZx"] {
            assert!(!looks_like_placeholder(real), "{real}");
        }
    }

    #[test]
    fn words_split_like_identifiers() {
        let w: Vec<&[u8]> = words(b"getHTTPServer_v2Name");
        assert_eq!(w, [&b"get"[..], b"HTTP", b"Server", b"v", b"Name"]);
        assert!(words(b"1234").is_empty());
    }

    #[test]
    fn bigram_model_prefers_words_to_random_letters() {
        let (word, _) = bigram_llr(b"authenticationprovider");
        let (random, _) = bigram_llr(b"qzvkxjwpfmgbtyhd");
        assert!(word > 0.5, "{word}");
        assert!(random < -0.5, "{random}");
    }

    #[test]
    fn encoded_text_scores_as_text() {
        let enc = STANDARD.encode("this is only a sentence");
        assert!(decoded_text(&enc).is_some());
        assert!(score(&enc) < 0.5, "{enc}");
        let hex: String = "correct horse"
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(score(&hex) < 0.5, "{hex}");
        let mut rng = Rng::new(3);
        let random = STANDARD.encode(rng.bytes(30));
        assert!(decoded_text(&random).is_none());
        assert!(score(&random) > 0.5, "{random}");
    }

    #[test]
    fn ordinary_values() {
        for v in [
            "true",
            "NULL",
            "8080",
            "0x7fffffff",
            "1.2.3-beta.4",
            "v2.14.0",
            "10.0.0.1:5432",
            "2024-01-15T10:00:00Z",
            "123e4567-e89b-12d3-a456-426614174000",
            "ops@example.com",
            "https://api.example.com/v1",
            "/etc/ssl/private/server.key",
            "C:\\keys\\app.pfx",
            "config/secrets/db.yml",
            "sha256:0d5f3a",
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "%DB_PASSWORD%",
            "process.env.STRIPE_SECRET_KEY",
            "settings.SECRET_KEY",
            "!vault",
            "getSecret()",
            "OPENAI_API_KEY",
            "op://Private/Postgres/password",
        ] {
            assert!(is_ordinary_value(v), "{v}");
        }
        let mut rng = Rng::new(1);
        for tpl in ["{{b62:32}}", "0x{{hex:64}}", "{{b64:40}}", "/{{b64:39}}"] {
            let v = expand(tpl, &mut rng).unwrap();
            assert!(!is_ordinary_value(&v), "{v}");
        }
    }

    /// Realistic machine-generated secrets, fresh from the template generator.
    fn random_secrets(rng: &mut Rng) -> Vec<String> {
        let templates = [
            "{{hex:32}}",
            "{{hex:40}}",
            "{{hex:64}}",
            "{{HEX:32}}",
            "{{b62:16}}",
            "{{b62:20}}",
            "{{b62:32}}",
            "{{b62:40}}",
            "{{b64:40}}",
            "{{b64url:43}}",
            "{{alnum:32}}",
            "{{ALNUM:20}}",
            "{{alpha:24}}",
            "{{base32:32}}",
            "sk_live_{{b62:24}}",
            "key-{{hex:32}}",
            "tok_{{b62:24}}",
            "whsec_{{b64:32}}",
            "SG.{{b64url:22}}.{{b64url:43}}",
            "dop_v1_{{hex:64}}",
            "v1.{{hex:40}}",
            "shpat_{{hex:32}}",
            "AKIA{{base32:16}}",
            "{{ALNUM:5}}-{{ALNUM:5}}-{{ALNUM:5}}-{{ALNUM:5}}",
            "{{jwt}}",
            // short or single-case: harder
            "{{b62:12}}",
            "{{alnum:16}}",
            "{{lower:20}}",
            "{{HEX:16}}",
        ];
        let mut out = Vec::new();
        for _ in 0..2 {
            for t in templates {
                out.push(expand(t, rng).unwrap());
            }
            // base64 of random bytes, padded.
            out.push(STANDARD.encode(rng.bytes(32)));
            out.push(STANDARD.encode(rng.bytes(20)));
        }
        out
    }

    /// Values that sit where secrets sit but are none, hard for an entropy test.
    fn hard_negatives(rng: &mut Rng) -> Vec<String> {
        let mut out: Vec<String> = [
            // identifiers in every style
            "getUserAccountSettings",
            "DATABASE_CONNECTION_TIMEOUT",
            "max_retry_count_per_request",
            "HttpClientFactoryOptions",
            "XMLHttpRequestUpload",
            "onAuthStateChanged",
            "SecretManagerServiceClient",
            "AbstractTokenProviderBean",
            "kubernetes-dashboard-token",
            "my-app-db-credentials",
            "prod-postgres-password",
            "spring-boot-starter-security",
            "webpack.config.production",
            "NSURLAuthenticationMethodHTTPBasic",
            "mysql_native_password",
            "ThisIsNotARealPasswordPleaseChangeIt",
            "correcthorsebatterystaple",
            "please-set-this-in-production",
            "django-insecure-development-only",
            // paths
            "/etc/ssl/private/server.key",
            "./config/secrets.yaml",
            "../shared/credentials.json",
            "~/.ssh/id_ed25519",
            "C:\\Users\\deploy\\keys\\app.pfx",
            "secrets/db/password.txt",
            "/run/secrets/postgres_password",
            "/var/lib/jenkins/secrets/initialAdminPassword",
            // sentences
            "Enter your password",
            "The token expires after one hour.",
            // versions and dates
            "1.2.3-beta.4",
            "v2.14.0",
            "3.11.7",
            "2024-01-15T10:00:00Z",
            "20240115",
            // references and lookups
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "%DB_PASSWORD%",
            "process.env.STRIPE_SECRET_KEY",
            "os.environ['API_KEY']",
            "secrets.GITHUB_TOKEN",
            "{{ .Values.apiKey }}",
            "%(db_password)s",
            "ENV['SECRET_KEY_BASE']",
            "config.get('api_key')",
            "getenv(\"TOKEN\")",
            "!Ref DatabasePassword",
            "op://Private/Postgres/password",
            "settings.SECRET_KEY",
            "System.getenv(\"API_KEY\")",
            "import.meta.env.VITE_API_URL",
            "OPENAI_API_KEY",
            "this.configService.jwtSecret",
            // literals, placeholders
            "true",
            "null",
            "8080",
            "0x7fffffff",
            "",
            "********",
            "xxxxxxxxxxxxxxxx",
            "<your-api-key>",
            "changeme",
            "REPLACE_ME_WITH_A_REAL_KEY",
            "your-secret-here",
            "insert-token-here",
            "dummy-token-value",
            "abcdef1234567890",
            "a1b2c3d4e5f6a7b8",
            // addresses
            "admin@example.com",
            "https://api.example.com/v1/tokens",
            "postgres://db.internal:5432/app",
            "application/json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Generated: UUIDs, labelled hashes, password hashes, encodings of English text.
        for _ in 0..3 {
            out.push(expand("{{hex:8}}-{{hex:4}}-4{{hex:3}}-a{{hex:3}}-{{hex:12}}", rng).unwrap());
            out.push(expand("sha256:{{hex:64}}", rng).unwrap());
            out.push(expand("sha512-{{b64:86}}==", rng).unwrap());
            out.push(expand("$2b$12${{b64:53}}", rng).unwrap());
        }
        for text in [
            "hello world",
            "username:password",
            "this is not a secret",
            "The quick brown fox jumps over the lazy dog",
        ] {
            out.push(STANDARD.encode(text));
        }
        out.push(
            "correct horse"
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect(),
        );
        out
    }

    /// (recall, precision) of `test` on the two sets.
    fn measure(pos: &[String], neg: &[String], test: impl Fn(&str) -> bool) -> (f64, f64) {
        let tp = pos.iter().filter(|s| test(s)).count();
        let fp = neg.iter().filter(|s| test(s)).count();
        let recall = tp as f64 / pos.len() as f64;
        let precision = if tp + fp == 0 {
            1.0
        } else {
            tp as f64 / (tp + fp) as f64
        };
        (recall, precision)
    }

    #[test]
    fn random_validator_recall_and_precision() {
        let (mut pos, mut neg) = (Vec::new(), Vec::new());
        for seed in 1..=5 {
            let mut rng = Rng::new(seed);
            pos.extend(random_secrets(&mut rng));
            neg.extend(hard_negatives(&mut rng));
        }
        // The hand-written negatives are the same for every seed: count them once.
        neg.sort();
        neg.dedup();
        assert!(
            pos.len() >= 40 && neg.len() >= 60,
            "{} {}",
            pos.len(),
            neg.len()
        );

        let (recall, precision) = measure(&pos, &neg, |s| looks_random(s, DEFAULT_MIN_RANDOMNESS));
        // Shannon entropy alone, at the threshold that is usual for generic rules.
        let (e_recall, e_precision) = measure(&pos, &neg, |s| shannon(s) >= 3.5);
        println!(
            "random validator: recall {recall:.3}, precision {precision:.3} ({} secrets, {} hard negatives); \
             shannon >= 3.5: recall {e_recall:.3}, precision {e_precision:.3}",
            pos.len(),
            neg.len()
        );
        for s in &pos {
            if !looks_random(s, DEFAULT_MIN_RANDOMNESS) {
                // The shape only (a9A…), never the generated value.
                let shape: String = s
                    .bytes()
                    .map(|b| ['a', 'A', '9', b as char][class(b)])
                    .collect();
                println!("  missed (score {:.2}): {shape}", score(s));
            }
        }
        for s in &neg {
            if looks_random(s, DEFAULT_MIN_RANDOMNESS) {
                println!("  false positive (score {:.2}): {s}", score(s));
            }
        }
        assert!(recall >= 0.95, "recall {recall}");
        assert!(precision >= 0.97, "precision {precision}");
        assert!(precision > e_precision, "no better than entropy");
    }

    #[test]
    fn passwords() {
        for p in [
            "Tr0ub4dor&3",
            "Winter2024!x",
            "S3cure#Passw0rd",
            "k8Xq2mVz7p",
        ] {
            assert!(looks_like_password(p), "{p}");
        }
        let k8s_base64 = STANDARD.encode("N0t-a-Def4ult!");
        assert!(looks_like_password(&k8s_base64));
        for p in [
            "hunter2",
            "password123",
            "dragon2024",
            "api-key-prod-01",
            "base64EncodedSecretGoesHere",
            "NotARealPassword1",
            "P@ssw0rd",
            "changeit",
            "correcthorsebatterystaple",
            "${DB_PASSWORD}",
            "********",
            "DB_PASSWORD",
            "/run/secrets/db_password",
            "$2b$12$abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHIJKLM",
            &STANDARD.encode("password"),
        ] {
            assert!(!looks_like_password(p), "{p}");
        }
    }

    /// Lines of code and configuration in every common language, `{}` standing for the
    /// value.
    const SECRET_LINES: &[&str] = &[
        // Python
        "API_KEY = \"{}\"",
        "client = Client(api_key=\"{}\")",
        "settings = {\"client_secret\": \"{}\"}",
        // JavaScript / TypeScript
        "const apiKey = '{}';",
        "  authToken: \"{}\",",
        "export const SIGNING_SECRET = `{}`;",
        "const key: string = \"{}\";",
        "headers.set(\"Authorization\", \"Bearer {}\");",
        // Go
        "token := \"{}\"",
        "\tAPIKey: \"{}\",",
        // Java, Kotlin, C#
        "private static final String SECRET_KEY = \"{}\";",
        "val accessToken: String = \"{}\"",
        "var clientSecret = \"{}\";",
        "  <add key=\"ApiKey\" value=\"{}\" />",
        // Ruby, PHP
        "config.api_key = '{}'",
        "  :secret_token => \"{}\",",
        "$apiKey = \"{}\";",
        "define('API_SECRET', '{}');",
        // Rust
        "const API_TOKEN: &str = \"{}\";",
        // shell, env, command lines
        "export GITLAB_TOKEN={}",
        "STRIPE_WEBHOOK_SECRET={}",
        "curl -H \"Authorization: Bearer {}\" https://api.example.com/v1/me",
        "app deploy --api-key {} --region eu",
        // YAML, JSON, TOML, INI, XML, HCL, Dockerfile, Kubernetes
        "secret_key: {}",
        "  \"apiKey\": \"{}\",",
        "token = \"{}\"",
        "secret={}",
        "<password>{}</password>",
        "  access_token = \"{}\"",
        "ENV AUTH_TOKEN={}",
        "- name: WEBHOOK_SECRET\n  value: \"{}\"",
        "stringData:\n  api-token: {}",
        // Terraform, Ruby, docker-compose, PowerShell, make
        "variable \"db_password\" {\n  type    = string\n  default = \"{}\"\n}",
        "ENV['API_KEY'] ||= '{}'",
        "      - API_TOKEN={}",
        "$env:DEPLOY_TOKEN = \"{}\"",
        "export API_TOKEN ?= {}",
    ];

    /// Lines where a random-looking value is no secret: hashes in hash-named fields,
    /// references, identifiers, public keys by design.
    fn non_secret_lines(rng: &mut Rng) -> Vec<String> {
        let mut g = |t: &str| expand(t, rng).unwrap();
        let mut out = vec![
            g("sha256 = \"{{hex:64}}\""),
            g("\"integrity\": \"sha512-{{b64:86}}==\","),
            g("commit: {{hex:40}}"),
            g("etag: \"{{hex:32}}\""),
            g("checksum = \"{{hex:64}}\""),
            g("\"md5\": \"{{hex:32}}\""),
            g("digest: sha256:{{hex:64}}"),
            g("password_hash = \"{{hex:64}}\""),
            g("token_sha256 = \"{{hex:64}}\""),
            g("api_key_digest: {{b64:44}}"),
            g("image: registry.example.com/app@sha256:{{hex:64}}"),
            g("resolved \"https://registry.yarnpkg.com/x/-/x-1.0.0.tgz#{{hex:40}}\""),
            g("csrf_token = \"{{b64url:43}}\""),
            g("nextPageToken: \"{{b64url:40}}\""),
            g("SUPABASE_ANON_KEY={{jwt:role=anon}}"),
            g("STRIPE_PUBLISHABLE_KEY=pk_live_{{b62:24}}"),
            g("public_key = \"{{b64:44}}\""),
            g("NEXT_PUBLIC_FIREBASE_API_KEY={{b64url:39}}"),
            g("request_id = \"{{hex:32}}\""),
            g("session_id: {{b62:32}}"),
            g("client_secret = \"{{hex:8}}-{{hex:4}}-4{{hex:3}}-a{{hex:3}}-{{hex:12}}\""),
            g("api_key_id: {{hex:8}}-{{hex:4}}-4{{hex:3}}-b{{hex:3}}-{{hex:12}}"),
            g("GITHUB_TOKEN={{begin}}ghp_{{b62:30}}{{crc:github:bad}}"),
            g("secret = \"{{lower:4}}\""),
            g("\"AWS::SecretsManager::Secret\": \"{{hex:16}}\","),
            g("\"PurchaseToken\": \"{{b64url:26}}...\","),
        ];
        for (text, line) in [
            ("hello world, it is me", "secret: {}"),
            ("username:password", "token = \"{}\""),
        ] {
            out.push(line.replace("{}", &STANDARD.encode(text)));
        }
        // Public by design, checksums that fail, ciphertext, minified code.
        out.push(g("mapboxgl.accessToken = \"pk.{{jwt}}\";"));
        out.push(g("CLOUDFLARE_API_TOKEN=cfut_{{b62:40}}{{hex:8}}"));
        out.push(g("GITLAB_TOKEN=glpat-{{b64url:27}}.01.{{alnum:9}}"));
        out.push(g("SOPS_AGE_KEY=AGE-SECRET-KEY-1{{bech32:58}}").to_ascii_uppercase());
        let mut sealed = vec![2u8, 0];
        sealed.extend(rng.bytes(512 + 60));
        out.push(format!("  DB_PASSWORD: {}", STANDARD.encode(sealed)));
        out.push("i={apiKey:qy.apiKey||\"\",password:im.password,token:qy.token};".into());
        // A human password is generic-password's, not generic-secret's (split so that the
        // line is not in this file).
        out.push(["DB_PASSWORD=Tr0ub4", "dor&3"].concat());
        out.extend(
            [
                "api_key = os.environ[\"API_KEY\"]",
                "api_key = os.getenv(\"API_KEY\")",
                "token: ${{ secrets.DEPLOY_TOKEN }}",
                "apiKey: process.env.API_KEY,",
                "const key = import.meta.env.VITE_MAPS_KEY;",
                "secret: {{ .Values.secret }}",
                "SECRET_KEY = ENV[\"SECRET_KEY\"]",
                "password = \"%(db_password)s\"",
                "token = get_token()",
                "api_key = config.get(\"api_key\")",
                "secret_key = settings.SECRET_KEY",
                "password: !Ref DatabasePassword",
                "password = \"********\"",
                "api_key = \"your-api-key-here\"",
                "token = \"<token>\"",
                "client_secret: \"\"",
                "password = None",
                "max_tokens = 4096",
                "token_type = \"bearer\"",
                "tokenizer = AutoTokenizer.from_pretrained(\"bert-base-uncased\")",
                "secretName: my-app-tls-secret",
                "secret_ref: prod-db-credentials",
                "credentials: include",
                "password_min_length = 12",
                "signing_key_path = \"/etc/keys/signing.pem\"",
                "token_url = \"https://auth.example.com/oauth/token\"",
                "auth_token_version = \"2.14.0-beta.1\"",
                "api_key_header = \"X-Api-Key\"",
                "secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>",
                "password = getPasswordFromVault(\"db\")",
                "export API_TOKEN=$(vault kv get -field=token secret/ci)",
                "bypass = \"ValidationBypassTokenHandler\"",
                "mkdir -p /var/lib/app/secrets",
                "docker run -p 8080:80 app",
                "Authorization: Basic dXNlcjpwYXNzd29yZA==",
                "The bearer token is described in the documentation.",
                "    pub password: windows_sys::core::PWSTR,",
                "    password = ask_password(\"Password: \")",
                "\"password\": \"%60%7B%7D%5B%5D\",",
                "LAMBDA_TRACE_HEADER_KEY = '_X_AMZN_TRACE_ID'",
                "const FLAGS_PASS = sys::IORING_MSG_RING_FLAGS_PASS;",
                "pub const STATUS_WRONG_PASSWORD: NTSTATUS = 0xC000006A_u32 as _;",
                "api_key = \"0123456789abcdef0123456789abcdef\"",
                "secret = \"ThisIsNotARealSecretJustAnExample\"",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        out
    }

    #[test]
    fn generic_secret_rule_recall_and_precision_in_context() {
        use crate::matcher::examples::unit_of;
        use crate::matcher::Matcher;
        let rules = crate::matcher::builtin().unwrap().to_vec();
        let m = Matcher::new(rules, crate::matcher::builtin_allowlist().unwrap()).unwrap();
        let mut rng = Rng::new(77);
        let secrets = random_secrets(&mut rng);
        let mut found = 0;
        let mut total = 0;
        for (i, line) in SECRET_LINES.iter().enumerate() {
            for k in 0..2 {
                let secret = &secrets[(i * 2 + k) % secrets.len()];
                let text = line.replace("{}", secret);
                total += 1;
                let hits = m.scan(&unit_of("src/app.txt", &text)).unwrap();
                if hits.iter().any(|c| c.secret.expose() == *secret) {
                    found += 1;
                } else {
                    println!("  missed: {line} ({} chars)", secret.len());
                }
            }
        }
        let negatives = non_secret_lines(&mut rng);
        let mut false_pos = 0;
        for line in &negatives {
            let hits = m.scan(&unit_of("src/app.txt", line)).unwrap();
            if hits.iter().any(|c| c.rule.id == "generic-secret") {
                false_pos += 1;
                println!("  false positive: {line}");
            }
        }
        let recall = found as f64 / total as f64;
        let fp_rate = false_pos as f64 / negatives.len() as f64;
        println!(
            "generic-secret in context: recall {recall:.3} ({found}/{total} lines in {} syntaxes), \
             false positives {false_pos}/{} hard negative lines ({fp_rate:.3})",
            SECRET_LINES.len(),
            negatives.len()
        );
        assert!(total >= 60 && negatives.len() >= 60);
        assert!(recall >= 0.95, "recall {recall}");
        assert!(false_pos <= 1, "{false_pos} false positives");
    }

    #[test]
    fn generic_password_rule_in_context() {
        use crate::matcher::examples::unit_of;
        use crate::matcher::Matcher;
        let rules = crate::matcher::builtin().unwrap().to_vec();
        let m = Matcher::new(rules, crate::matcher::builtin_allowlist().unwrap()).unwrap();
        let reported = |line: &str| {
            m.scan(&unit_of("config/app.txt", line))
                .unwrap()
                .iter()
                .any(|c| c.rule.id == "generic-password")
        };
        let mut rng = Rng::new(11);
        let mut g = |t: &str| expand(t, &mut rng).unwrap();
        let human = [
            g("DB_PASSWORD=Harbor{{digits:4}}!"),
            g("  password: \"Lantern{{digits:2}}#Blue\""),
            g("spring.datasource.password=Otter{{upper:2}}{{digits:3}}"),
            g("$smtpPass = 'Copper{{digits:3}}$Fox';"),
            g("mysql -u admin -pRiver{{digits:4}}! app"),
            g("docker login -u ci -p Glacier{{digits:3}}% registry.example.com"),
            g("<add key=\"DbPassword\" value=\"Cedar{{digits:2}}^Lake\" />"),
            g("conn = \"Server=db;User Id=sa;Password=Ember{{digits:3}}@Hill;\""),
            g("client.setPassword(\"Falcon{{digits:3}}*Peak\");"),
            g("- name: POSTGRES_PASSWORD\n  value: Quartz{{digits:4}}!"),
        ];
        let not_passwords = [
            "POSTGRES_PASSWORD=postgres",
            "password: P@55w0rd!",
            "MYSQL_ROOT_PASSWORD=Password123!",
            "password = \"SomeKindOfPassword123!@#\"",
            "\"LocalConsolePassword\": \"PassWordMustBeAtLeast6Chars.\"",
            "password = ask_password(\"Password: \")",
            "    pub pszPassword: windows_sys::core::PWSTR,",
            "password: ${DB_PASSWORD}",
            "password_reset_url = \"https://example.com/reset\"",
            "DB_PASSWORD_FILE=/run/secrets/db-password",
            "password = hashlib.sha256(raw).hexdigest()",
            "let password = prompt_password(\"Password: \")?;",
            "bypass_cache = \"Bypass-All-2024!\"",
            "\"password\": \"%c3%89t%C3%A9\"",
            "passwordField.placeholder = \"Enter-Password1\"",
        ];
        let found = human.iter().filter(|l| reported(l)).count();
        let false_pos: Vec<_> = not_passwords.iter().filter(|l| reported(l)).collect();
        println!(
            "generic-password in context: {found}/{} human passwords reported, {} of {} non-passwords: {false_pos:?}",
            human.len(),
            false_pos.len(),
            not_passwords.len()
        );
        assert_eq!(found, human.len());
        assert!(false_pos.is_empty());
    }

    #[test]
    fn rules_that_know_the_format_win_and_file_rules_need_a_literal() {
        use crate::matcher::examples::unit_of;
        use crate::matcher::Matcher;
        let rules = crate::matcher::builtin().unwrap().to_vec();
        let m = Matcher::new(rules, crate::matcher::builtin_allowlist().unwrap()).unwrap();
        let ids = |path: &str, text: &str| -> Vec<String> {
            m.scan(&unit_of(path, text))
                .unwrap()
                .into_iter()
                .map(|c| c.rule.id.clone())
                .collect()
        };
        let mut rng = Rng::new(5);
        // generic.toml sorts before github.toml, yet the checksummed rule wins the overlap.
        let pat = expand(
            "GITHUB_TOKEN={{begin}}ghp_{{b62:30}}{{crc:github}}",
            &mut rng,
        )
        .unwrap();
        let found = ids("ci.env.sh", &pat);
        assert!(found.contains(&"github-pat".to_string()), "{found:?}");
        assert!(!found.contains(&"generic-secret".to_string()), "{found:?}");
        // A file rule whose regex names a secret reports only a literal value.
        let npmrc = expand(
            "//registry.npmjs.org/:_authToken={{begin}}npm_{{b62:30}}{{crc:github}}",
            &mut rng,
        )
        .unwrap();
        assert!(ids(".npmrc", &npmrc).contains(&"npmrc-file".to_string()));
        assert!(
            !ids(".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}")
                .contains(&"npmrc-file".to_string())
        );
        // `.env.example` documents variables: not a sensitive file.
        let env = expand("SESSION_SECRET={{b64:32}}", &mut rng).unwrap();
        assert!(ids(".env", &env).contains(&"env-file".to_string()));
        assert!(!ids(".env.example", &env).contains(&"env-file".to_string()));
    }

    #[test]
    fn min_randomness_must_be_a_score() {
        use crate::matcher::{compile_rule, Origin};
        use crate::rules::{parse_doc, SourceText};
        let text = "[[rules]]\nid = \"x\"\ndescription = \"x\"\nregex = 'k=(?P<secret>\\w+)'\nmin_randomness = 1.5\n";
        let src = SourceText {
            name: "t.toml",
            text,
        };
        let doc = parse_doc(&src).unwrap();
        let err = compile_rule(&src, &doc.rules[0], Origin::Custom("t.toml".into())).unwrap_err();
        assert!(err.message.contains("min_randomness"), "{err}");
        let ok = text.replace("1.5", "0.7");
        let src = SourceText {
            name: "t.toml",
            text: &ok,
        };
        let doc = parse_doc(&src).unwrap();
        let rule = compile_rule(&src, &doc.rules[0], Origin::Custom("t.toml".into())).unwrap();
        assert_eq!(rule.min_randomness, Some(0.7));
        assert!(rule.is_heuristic());
    }
}
