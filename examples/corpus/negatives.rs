//! Hard negatives: files that look like they hold secrets and do not. None may be flagged.
//!
//! Each variant writes one realistic file of its category: placeholders and
//! documentation, references to the environment or a secret manager, vendors' published
//! example keys (assembled here from pieces, so this file never holds them whole),
//! public-by-design keys, encrypted values, hashes, UUIDs and identifiers, lockfile and
//! SRI integrity values, data URIs, public keys and certificates, minified JavaScript,
//! base64 blobs, lookalikes of checksummed formats whose checksum is wrong, `go.sum`,
//! `Cargo.lock`, image digests, and URLs without a password. Random parts are fresh on
//! every run, like the positives.

use keyguard::matcher::template::Rng;

use crate::creds::{self, b64, b64url, number, t, uuid, LOWER_ALNUM};
use crate::embed::{date, word};

/// A way of writing one negative file: `gen(rng, scale)` gives (path, content); `scale`
/// grows the blob-like variants (data URIs, minified bundles).
pub struct Variant {
    pub category: &'static str,
    pub name: &'static str,
    pub gen: fn(&mut Rng, usize) -> (String, String),
}

/// `min` to `min + extra - 1` distinct lines of `pool`, in random order.
fn pick(rng: &mut Rng, mut pool: Vec<String>, min: usize, extra: usize) -> String {
    let k = min + rng.below(extra);
    let mut out = Vec::new();
    while !pool.is_empty() && out.len() < k {
        out.push(pool.swap_remove(rng.below(pool.len())));
    }
    out.join("\n") + "\n"
}

fn hex_n(rng: &mut Rng, n: usize) -> String {
    rng.string(creds::HEX, n)
}

// ---------------------------------------------------------------------------------
// Placeholders and documentation.

fn env_example(rng: &mut Rng, _: usize) -> (String, String) {
    let pool = vec![
        format!("OPENAI_API_KEY=sk-{}", "x".repeat(48)),
        "ANTHROPIC_API_KEY=sk-ant-api03-...".to_string(),
        format!("GITHUB_TOKEN=ghp_{}", "X".repeat(36)),
        "STRIPE_SECRET_KEY=sk_live_...".to_string(),
        "STRIPE_WEBHOOK_SECRET=whsec_REPLACE_ME".to_string(),
        "AWS_ACCESS_KEY_ID=YOUR_ACCESS_KEY_ID".to_string(),
        "AWS_SECRET_ACCESS_KEY=YOUR_SECRET_ACCESS_KEY".to_string(),
        "SLACK_BOT_TOKEN=xoxb-your-bot-token".to_string(),
        "SENDGRID_API_KEY=SG.your-key-here".to_string(),
        "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app_dev".to_string(),
        "REDIS_URL=redis://localhost:6379/0".to_string(),
        format!("HF_TOKEN=hf_{}", "x".repeat(34)),
        "SECRET_KEY=changeme".to_string(),
        "DB_PASSWORD=".to_string(),
        "JWT_SECRET=<generate with: openssl rand -hex 32>".to_string(),
        "GROQ_API_KEY=gsk_...".to_string(),
        "MISTRAL_API_KEY=your-mistral-api-key".to_string(),
        "TWILIO_AUTH_TOKEN=your_auth_token".to_string(),
        "NPM_TOKEN=npm_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX".to_string(),
        "DATADOG_API_KEY=<your-datadog-api-key>".to_string(),
    ];
    let name = [
        ".env.example",
        ".env.sample",
        ".env.template",
        "example.env",
    ][rng.below(4)];
    let body = pick(rng, pool, 8, 6);
    (
        format!("{}/{name}", word(rng)),
        format!("# Copy to .env and fill in your own values.\n{body}"),
    )
}

fn docs_placeholders(rng: &mut Rng, _: usize) -> (String, String) {
    let text = r#"# Getting started

Set your API key before running the examples:

```bash
export OPENAI_API_KEY="sk-..."
curl https://api.openai.com/v1/models -H "Authorization: Bearer $OPENAI_API_KEY"
```

Replace `<YOUR_API_KEY>` with the key from the dashboard. Keys look like `sk-proj-…`,
`ghp_…` or `xoxb-…`; never paste a real one into an issue.

| Variable | Example value |
|---|---|
| `STRIPE_SECRET_KEY` | `sk_live_xxxxxxxxxxxxxxxxxxxxxxxx` |
| `SLACK_WEBHOOK_URL` | `https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX` |
| `MONGODB_URI` | `mongodb+srv://<username>:<password>@cluster0.example.mongodb.net/` |
| `GITHUB_TOKEN` | `ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` |
| `AWS_SECRET_ACCESS_KEY` | `<40 characters from the IAM console>` |

```python
client = Anthropic(api_key="YOUR_API_KEY")
password = "********"
```

Basic authentication works too: `curl -H "Authorization: Basic «basic»" https://api.example.com/v1/me`
(the base64 of `username:password`).
"#;
    (
        format!("{}/docs/getting-started.md", word(rng)),
        text.replace("«basic»", &b64(b"username:password")),
    )
}

fn code_placeholders(rng: &mut Rng, _: usize) -> (String, String) {
    let pool = vec![
        "API_KEY = \"YOUR_API_KEY\"".to_string(),
        "OPENAI_API_KEY = \"sk-proj-REPLACE_ME\"".to_string(),
        "password = \"<password>\"".to_string(),
        "token = \"<token>\"  # set in production".to_string(),
        "client_secret = \"REPLACE_WITH_CLIENT_SECRET\"".to_string(),
        "stripe.api_key = \"sk_test_...\"".to_string(),
        "aws_secret_access_key = \"YOUR_SECRET_KEY_HERE\"".to_string(),
        "db_password = \"changeme\"".to_string(),
        "SLACK_TOKEN = \"xoxb-XXXXXXXXXXXX-XXXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX\"".to_string(),
        "GITLAB_TOKEN = \"glpat-xxxxxxxxxxxxxxxxxxxx\"".to_string(),
        "api_token = \"dummy-token-for-tests\"".to_string(),
        "secret = \"fake-secret\"".to_string(),
        "password = None".to_string(),
        "HF_TOKEN = \"hf_...\"".to_string(),
    ];
    let body = pick(rng, pool, 7, 5);
    (
        format!("{}/examples/quickstart.py", word(rng)),
        format!("\"\"\"Quickstart: fill in your own credentials.\"\"\"\n\n{body}"),
    )
}

fn repeated_sequential(rng: &mut Rng, _: usize) -> (String, String) {
    let pool = vec![
        format!("API_KEY={}", "a".repeat(32)),
        "SECRET=0123456789abcdef0123456789abcdef".to_string(),
        "TOKEN=abcdefghijklmnopqrstuvwxyz012345".to_string(),
        format!(
            "OPENAI_API_KEY=sk-proj-{}T3BlbkFJ{}",
            "a".repeat(74),
            "a".repeat(74)
        ),
        format!("GITHUB_TOKEN=ghp_{}", "0".repeat(36)),
        format!("AWS_ACCESS_KEY_ID=AKIA{}", "A".repeat(16)),
        "password = \"1234567890\"".to_string(),
        format!("ANTHROPIC_API_KEY=sk-ant-api03-{}AA", "x".repeat(93)),
        format!("STRIPE_SECRET_KEY=sk_live_{}", "0".repeat(24)),
        format!(
            "SLACK_BOT_TOKEN=xoxb-{}-{}-{}",
            "0".repeat(12),
            "0".repeat(13),
            "x".repeat(24)
        ),
        format!("SENDGRID_API_KEY=SG.{}.{}", "x".repeat(22), "x".repeat(43)),
        format!("db_password: {}", "*".repeat(16)),
        "client_secret: 11111111111111111111111111111111".to_string(),
    ];
    let body = pick(rng, pool, 6, 6);
    (format!("{}/test/fixtures/settings.env", word(rng)), body)
}

fn masked_values(rng: &mut Rng, _: usize) -> (String, String) {
    let mut out = String::new();
    for _ in 0..6 {
        let masked = match rng.below(5) {
            0 => format!(
                "Authorization: Bearer sk-proj-{}{}",
                "*".repeat(40),
                hex_n(rng, 4)
            ),
            1 => format!("token=ghp_{}{}", "*".repeat(28), t(rng, "{{b62:4}}")),
            2 => format!("api_key=sk_live_****{}", t(rng, "{{b62:4}}")),
            3 => "password=[REDACTED]".to_string(),
            _ => format!(
                "AWS_SECRET_ACCESS_KEY=****************{}",
                t(rng, "{{b62:4}}")
            ),
        };
        out.push_str(&format!("{} INFO request config {masked}\n", date(rng)));
    }
    (format!("{}/logs/app.log", word(rng)), out)
}

// ---------------------------------------------------------------------------------
// References to the environment or a secret manager.

fn env_refs_code(rng: &mut Rng, _: usize) -> (String, String) {
    let files: [(&str, &str); 6] = [
        ("app/config.py", "import os\n\nOPENAI_API_KEY = os.environ[\"OPENAI_API_KEY\"]\nANTHROPIC_API_KEY = os.getenv(\"ANTHROPIC_API_KEY\")\npassword = os.environ.get(\"DB_PASSWORD\", \"\")\naws_secret_access_key = os.environ[\"AWS_SECRET_ACCESS_KEY\"]\nGITHUB_TOKEN = settings.GITHUB_TOKEN\n"),
        ("src/config.ts", "export const config = {\n  apiKey: process.env.OPENAI_API_KEY,\n  token: process.env.GITHUB_TOKEN ?? \"\",\n  password: process.env.DB_PASSWORD!,\n  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,\n  stripePublishableKey: import.meta.env.VITE_STRIPE_PUBLISHABLE_KEY,\n};\n"),
        ("src/main/java/com/acme/Env.java", "package com.acme;\n\nfinal class Env {\n    static final String STRIPE_SECRET_KEY = System.getenv(\"STRIPE_SECRET_KEY\");\n    static final String DB_PASSWORD = System.getProperty(\"db.password\");\n}\n"),
        ("internal/config/env.go", "package config\n\nimport \"os\"\n\nvar (\n\tGithubToken = os.Getenv(\"GITHUB_TOKEN\")\n\tSlackToken  = os.Getenv(\"SLACK_BOT_TOKEN\")\n\tdbPassword  = os.Getenv(\"DB_PASSWORD\")\n)\n"),
        ("config/initializers/secrets.rb", "SLACK_BOT_TOKEN = ENV.fetch(\"SLACK_BOT_TOKEN\")\nSTRIPE_SECRET_KEY = Rails.application.credentials.dig(:stripe, :secret_key)\nDB_PASSWORD = ENV[\"DB_PASSWORD\"]\n"),
        ("src/Acme.Api/Secrets.cs", "namespace Acme.Api;\n\ninternal static class Secrets\n{\n    internal static string ClientSecret => Environment.GetEnvironmentVariable(\"AZURE_CLIENT_SECRET\") ?? \"\";\n    internal static string ApiKey => Configuration[\"OpenAI:ApiKey\"];\n}\n"),
    ];
    let (path, text) = files[rng.below(files.len())];
    (format!("{}/{path}", word(rng)), text.to_string())
}

fn env_refs_config(rng: &mut Rng, _: usize) -> (String, String) {
    let files: [(&str, &str); 6] = [
        ("deploy/k8s/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: db\n                  key: password\n            - name: API_TOKEN\n              value: \"${API_TOKEN}\"\n"),
        (".github/workflows/release.yml", "name: release\non: [push]\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    env:\n      OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}\n      NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n    steps:\n      - uses: docker/login-action@v3\n        with:\n          username: ${{ github.actor }}\n          password: ${{ secrets.GITHUB_TOKEN }}\n"),
        ("infra/main.tf", "resource \"aws_db_instance\" \"main\" {\n  username = \"app\"\n  password = var.db_password\n}\n\nprovider \"github\" {\n  token = data.vault_generic_secret.github.data[\"token\"]\n}\n\nprovider \"aws\" {\n  secret_key = var.aws_secret_key\n}\n"),
        ("docker-compose.yml", "services:\n  db:\n    image: postgres:16\n    environment:\n      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD:?required}\n  app:\n    environment:\n      DATABASE_URL: postgres://app:${DB_PASSWORD}@db:5432/app\n      STRIPE_SECRET_KEY: ${STRIPE_SECRET_KEY}\n"),
        ("templates/secrets.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\nstringData:\n  password: {{ .Values.db.password | quote }}\n  api_key: \"{{ lookup('env', 'API_KEY') }}\"\n  token: <%= ENV[\"SERVICE_TOKEN\"] %>\n"),
        ("config/secrets.yml", "production:\n  db_password: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf\n  github_token: vault:secret/data/ci#github_token\n  openai_api_key: op://Engineering/OpenAI/credential\n  stripe_secret_key: sm://projects/123456789/secrets/stripe/versions/latest\n"),
    ];
    let (path, text) = files[rng.below(files.len())];
    (format!("{}/{path}", word(rng)), text.to_string())
}

fn env_refs_shell(rng: &mut Rng, _: usize) -> (String, String) {
    let text = "#!/usr/bin/env bash\nset -euo pipefail\n\nexport GITHUB_TOKEN=\"$(gh auth token)\"\nexport PGPASSWORD=\"$(cat /run/secrets/db_password)\"\nexport AWS_SECRET_ACCESS_KEY=\"${AWS_SECRET_ACCESS_KEY:?missing}\"\ncurl -fsS -H \"Authorization: Bearer ${SLACK_BOT_TOKEN}\" https://slack.com/api/auth.test\nOPENAI_API_KEY=$(vault kv get -field=key secret/openai) ./run.sh\n";
    (format!("{}/scripts/ci.sh", word(rng)), text.to_string())
}

// ---------------------------------------------------------------------------------
// Vendors' published example values, assembled from pieces.

fn aws_doc_pair(rng: &mut Rng) -> (String, String) {
    if rng.below(2) == 0 {
        (
            ["AKIAIOSFODNN7", "EXAMPLE"].concat(),
            ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].concat(),
        )
    } else {
        (
            ["AKIAI44QH8DHB", "EXAMPLE"].concat(),
            ["je7MtGbClwBF/2Zp9Utk/", "h3yCo8nvbEXAMPLEKEY"].concat(),
        )
    }
}

fn jwt_io() -> String {
    [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
        ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ]
    .concat()
}

fn vendor_examples(rng: &mut Rng, _: usize) -> (String, String) {
    let (id, secret) = aws_doc_pair(rng);
    let stripe = ["sk_test_4eC39HqLyj", "WDarjtT1zdp7dc"].concat();
    let slack = ["xoxb-17653672481-19874698323-", "pdFZKVeTuE8sk7oOcBrzbqgy"].concat();
    let firebase = ["AIzaSyabcdefghijklmnop", "qrstuvwxyz1234567"].concat();
    let jwt = jwt_io();
    let files = [
        (
            "docs/aws.md",
            format!("# AWS access\n\nThe CLI reads `~/.aws/credentials`:\n\n```ini\n[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n```\n"),
        ),
        (
            "examples/s3_upload.py",
            format!("import boto3\n\n# Documentation example values; use your own.\ns3 = boto3.client(\n    \"s3\",\n    aws_access_key_id=\"{id}\",\n    aws_secret_access_key=\"{secret}\",\n)\n"),
        ),
        (
            "tests/test_jwt.py",
            format!("TOKEN = \"{jwt}\"\n\n\ndef test_decode():\n    assert decode(TOKEN)[\"name\"] == \"John Doe\"\n"),
        ),
        (
            "docs/payments.md",
            format!("# Payments\n\n```bash\ncurl https://api.stripe.com/v1/charges -u {stripe}:\n```\n"),
        ),
        (
            "docs/slack.md",
            format!("# Slack\n\nA bot token looks like `{slack}`.\n"),
        ),
        (
            "src/test/firebase.test.js",
            format!("const config = {{ apiKey: \"{firebase}\", projectId: \"demo-test\" }};\n"),
        ),
    ];
    let (path, text) = &files[rng.below(files.len())];
    (format!("{}/{path}", word(rng)), text.clone())
}

// ---------------------------------------------------------------------------------
// Public by design.

fn public_keys_by_design(rng: &mut Rng, _: usize) -> (String, String) {
    let proj = word(rng);
    let sender = number(rng, 12);
    match rng.below(9) {
        0 => (
            format!("{proj}/web/.env.production"),
            format!(
                "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=pk_live_51{}\nNEXT_PUBLIC_APP_URL=https://{proj}.example.com\n",
                t(rng, "{{b62:97}}")
            ),
        ),
        1 => (
            format!("{proj}/web/src/stripe.ts"),
            format!(
                "import {{ loadStripe }} from \"@stripe/stripe-js\";\n\nexport const stripePromise = loadStripe(\"pk_live_{}\");\nexport const testKey = \"pk_test_{}\";\n",
                t(rng, "{{b62:24}}"),
                t(rng, "{{b62:24}}")
            ),
        ),
        2 => {
            let anon = creds::supabase_jwt(rng, "anon");
            (
                format!("{proj}/web/src/supabase.ts"),
                format!(
                    "import {{ createClient }} from \"@supabase/supabase-js\";\n\nconst supabaseUrl = \"https://{}.supabase.co\";\nconst supabaseAnonKey = \"{anon}\";\n\nexport const supabase = createClient(supabaseUrl, supabaseAnonKey);\n",
                    rng.string(b"abcdefghijklmnopqrstuvwxyz", 20)
                ),
            )
        }
        3 => (
            format!("{proj}/app/sentry.py"),
            format!(
                "import sentry_sdk\n\nsentry_sdk.init(\n    dsn=\"https://{}@o{}.ingest.sentry.io/{}\",\n    traces_sample_rate=0.1,\n)\n",
                hex_n(rng, 32),
                number(rng, 6),
                number(rng, 7)
            ),
        ),
        4 => (
            format!("{proj}/web/src/firebase.js"),
            format!(
                "import {{ initializeApp }} from \"firebase/app\";\n\nconst firebaseConfig = {{\n  apiKey: \"AIzaSy{}\",\n  authDomain: \"{proj}-prod.firebaseapp.com\",\n  projectId: \"{proj}-prod\",\n  storageBucket: \"{proj}-prod.appspot.com\",\n  messagingSenderId: \"{sender}\",\n  appId: \"1:{sender}:web:{}\",\n  measurementId: \"G-{}\"\n}};\n\nexport const app = initializeApp(firebaseConfig);\n",
                t(rng, "{{b64url:33}}"),
                hex_n(rng, 22),
                t(rng, "{{ALNUM:10}}")
            ),
        ),
        5 => (
            format!("{proj}/android/app/google-services.json"),
            format!(
                "{{\n  \"project_info\": {{\n    \"project_number\": \"{sender}\",\n    \"project_id\": \"{proj}-prod\",\n    \"storage_bucket\": \"{proj}-prod.appspot.com\"\n  }},\n  \"client\": [\n    {{\n      \"client_info\": {{\n        \"mobilesdk_app_id\": \"1:{sender}:android:{}\",\n        \"android_client_info\": {{ \"package_name\": \"com.acme.{proj}\" }}\n      }},\n      \"api_key\": [\n        {{\n          \"current_key\": \"AIzaSy{}\"\n        }}\n      ]\n    }}\n  ],\n  \"configuration_version\": \"1\"\n}}\n",
                hex_n(rng, 16),
                t(rng, "{{b64url:33}}")
            ),
        ),
        6 => (
            format!("{proj}/web/src/map.js"),
            format!(
                "import mapboxgl from \"mapbox-gl\";\n\nmapboxgl.accessToken = \"{}\";\n",
                {
                    let json = format!(r#"{{"u":"{proj}","a":"{}"}}"#, rng.string(LOWER_ALNUM, 25));
                    format!("pk.{}.{}", b64url(json.as_bytes()), t(rng, "{{b64url:22}}"))
                }
            ),
        ),
        7 => (
            format!("{proj}/web/index.html"),
            format!(
                "<!doctype html>\n<html>\n<head>\n  <meta name=\"google-signin-client_id\" content=\"{}-{}.apps.googleusercontent.com\">\n  <script src=\"https://www.google.com/recaptcha/api.js\" async defer></script>\n</head>\n<body>\n  <div class=\"g-recaptcha\" data-sitekey=\"6L{}\"></div>\n</body>\n</html>\n",
                number(rng, 12),
                rng.string(LOWER_ALNUM, 32),
                t(rng, "{{b64url:38}}")
            ),
        ),
        _ => (
            format!("{proj}/web/src/analytics.ts"),
            format!(
                "import posthog from \"posthog-js\";\n\nposthog.init(\"phc_{}\", {{ api_host: \"https://us.i.posthog.com\" }});\n",
                t(rng, "{{b62:43}}")
            ),
        ),
    }
}

// ---------------------------------------------------------------------------------
// Encrypted values.

fn sops_enc(rng: &mut Rng) -> String {
    let len = 12 + rng.below(40);
    format!(
        "ENC[AES256_GCM,data:{},iv:{},tag:{},type:str]",
        b64(&rng.bytes(len)),
        b64(&rng.bytes(32)),
        b64(&rng.bytes(16))
    )
}

fn age_armor(rng: &mut Rng, indent: &str) -> String {
    let mut body = format!(
        "age-encryption.org/v1\n-> X25519 {}\n{}\n--- {}\n",
        b64(&rng.bytes(32)).trim_end_matches('='),
        b64(&rng.bytes(32)).trim_end_matches('='),
        b64(&rng.bytes(32)).trim_end_matches('=')
    )
    .into_bytes();
    body.extend(rng.bytes(48));
    creds::armor("AGE ENCRYPTED FILE", &body, 64).replace('\n', &format!("\n{indent}"))
}

fn sops_yaml(rng: &mut Rng, _: usize) -> (String, String) {
    let mut out = String::new();
    for key in [
        "db_password",
        "api_key",
        "aws_secret_access_key",
        "github_token",
        "stripe_secret_key",
    ] {
        out.push_str(&format!("{key}: {}\n", sops_enc(rng)));
    }
    out.push_str(&format!(
        "sops:\n    kms: []\n    gcp_kms: []\n    azure_kv: []\n    hc_vault: []\n    age:\n        - recipient: {}\n          enc: |\n            {}\n    lastmodified: \"{}\"\n    mac: {}\n    pgp: []\n    unencrypted_suffix: _unencrypted\n    version: 3.8.1\n",
        creds::age_recipient(rng),
        age_armor(rng, "            "),
        date(rng),
        sops_enc(rng)
    ));
    (format!("{}/secrets/prod.enc.yaml", word(rng)), out)
}

fn sops_dotenv(rng: &mut Rng, _: usize) -> (String, String) {
    let mut out = String::new();
    for key in ["OPENAI_API_KEY", "DB_PASSWORD", "SLACK_BOT_TOKEN"] {
        out.push_str(&format!("{key}={}\n", sops_enc(rng)));
    }
    out.push_str(&format!(
        "sops_age__list_0__map_enc={}\\n\nsops_age__list_0__map_recipient={}\nsops_lastmodified={}\nsops_mac={}\nsops_version=3.8.1\n",
        age_armor(rng, "").replace('\n', "\\n"),
        creds::age_recipient(rng),
        date(rng),
        sops_enc(rng)
    ));
    (format!("{}/.env.enc", word(rng)), out)
}

fn vault_hex_lines(rng: &mut Rng, indent: &str, lines: usize) -> String {
    (0..lines)
        .map(|_| format!("{indent}{}", hex_n(rng, 80)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ansible_vault_file(rng: &mut Rng, _: usize) -> (String, String) {
    let lines = 6 + rng.below(10);
    (
        format!("{}/group_vars/prod/vault.yml", word(rng)),
        format!(
            "$ANSIBLE_VAULT;1.1;AES256\n{}\n",
            vault_hex_lines(rng, "", lines)
        ),
    )
}

fn ansible_vault_inline(rng: &mut Rng, _: usize) -> (String, String) {
    let mut out = String::from("db_user: app\n");
    for key in ["db_password", "api_token", "aws_secret_access_key"] {
        out.push_str(&format!(
            "{key}: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n{}\n",
            vault_hex_lines(rng, "          ", 5)
        ));
    }
    (format!("{}/group_vars/all.yml", word(rng)), out)
}

fn sealed_secret(rng: &mut Rng, _: usize) -> (String, String) {
    let proj = word(rng);
    let mut data = String::new();
    for key in ["DB_PASSWORD", "OPENAI_API_KEY", "STRIPE_SECRET_KEY"] {
        let mut blob = vec![0x02, 0x00];
        let len = 530 + rng.below(60);
        blob.extend(rng.bytes(len));
        data.push_str(&format!("    {key}: {}\n", b64(&blob)));
    }
    (
        format!("{proj}/deploy/k8s/sealed-secret.yaml"),
        format!("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {proj}-secrets\n  namespace: prod\nspec:\n  encryptedData:\n{data}  template:\n    metadata:\n      name: {proj}-secrets\n"),
    )
}

fn encrypted_misc(rng: &mut Rng, _: usize) -> (String, String) {
    let proj = word(rng);
    match rng.below(5) {
        0 => (format!("{proj}/secrets/backup-key.age"), age_armor(rng, "") + "\n"),
        1 => {
            let mut packets = vec![0x85, 0x02, 0x0c, 0x03];
            packets.extend(rng.bytes(520));
            packets.extend([0xd2, 0xc0, 0x4a, 0x01]);
            packets.extend(rng.bytes(330));
            (
                format!("{proj}/secrets/credentials.json.asc"),
                creds::pgp_armor("PGP MESSAGE", &packets, false) + "\n",
            )
        }
        2 => (
            format!("{proj}/src/main/resources/application-prod.properties"),
            format!(
                "spring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.username=app\nspring.datasource.password=ENC({})\njasypt.encryptor.password=${{JASYPT_ENCRYPTOR_PASSWORD}}\n",
                b64(&rng.bytes(48))
            ),
        ),
        3 => (
            format!("{proj}/config/vault-transit.yml"),
            format!(
                "db_password:\n  ciphertext: vault:v1:{}\napi_key:\n  ciphertext: vault:v1:{}\n",
                b64(&rng.bytes(60)),
                b64(&rng.bytes(44))
            ),
        ),
        _ => (
            format!("{proj}/config/credentials.yml.enc"),
            format!(
                "{}--{}--{}\n",
                b64(&rng.bytes(300)),
                b64(&rng.bytes(12)),
                b64(&rng.bytes(16))
            ),
        ),
    }
}

// ---------------------------------------------------------------------------------
// Hashes.

const PY_PACKAGES: &[&str] = &[
    "requests",
    "urllib3",
    "certifi",
    "idna",
    "charset-normalizer",
    "pydantic",
    "httpx",
    "anyio",
    "sniffio",
    "boto3",
];
const NPM_PACKAGES: &[&str] = &[
    "lodash",
    "react",
    "react-dom",
    "axios",
    "chalk",
    "debug",
    "ms",
    "semver",
    "uuid",
    "express",
    "commander",
    "tslib",
];
const GO_MODULES: &[&str] = &[
    "github.com/google/uuid",
    "github.com/spf13/cobra",
    "golang.org/x/sys",
    "golang.org/x/net",
    "github.com/stretchr/testify",
    "gopkg.in/yaml.v3",
    "github.com/prometheus/client_golang",
    "go.uber.org/zap",
];
const CRATES: &[&str] = &[
    "serde",
    "serde_json",
    "regex",
    "aho-corasick",
    "memchr",
    "libc",
    "anyhow",
    "clap",
    "tokio",
    "bytes",
    "itoa",
    "ryu",
];

fn version(rng: &mut Rng) -> String {
    format!("{}.{}.{}", rng.below(5), rng.below(30), rng.below(20))
}

fn hashes_python(rng: &mut Rng, _: usize) -> (String, String) {
    let proj = word(rng);
    if rng.below(2) == 0 {
        let mut out = String::from("# This file is autogenerated by pip-compile\n");
        for p in PY_PACKAGES.iter().take(5 + rng.below(5)) {
            let v = version(rng);
            out.push_str(&format!(
                "{p}=={v} \\\n    --hash=sha256:{} \\\n    --hash=sha256:{}\n",
                hex_n(rng, 64),
                hex_n(rng, 64)
            ));
        }
        (format!("{proj}/requirements.txt"), out)
    } else {
        let mut out = format!(
            "{{\n    \"_meta\": {{\n        \"hash\": {{\n            \"sha256\": \"{}\"\n        }},\n        \"pipfile-spec\": 6\n    }},\n    \"default\": {{\n",
            hex_n(rng, 64)
        );
        let n = 4 + rng.below(4);
        for (i, p) in PY_PACKAGES.iter().take(n).enumerate() {
            let sep = if i + 1 == n { "" } else { "," };
            out.push_str(&format!(
                "        \"{p}\": {{\n            \"hashes\": [\n                \"sha256:{}\",\n                \"sha256:{}\"\n            ],\n            \"version\": \"=={}\"\n        }}{sep}\n",
                hex_n(rng, 64),
                hex_n(rng, 64),
                version(rng)
            ));
        }
        out.push_str("    }\n}\n");
        (format!("{proj}/Pipfile.lock"), out)
    }
}

fn hashes_git(rng: &mut Rng, _: usize) -> (String, String) {
    let proj = word(rng);
    match rng.below(3) {
        0 => {
            let mut out = String::from("# Changelog\n\n## 2.4.0\n\n");
            for msg in ["Fix retry loop", "Add webhook signature check", "Bump dependencies", "Rotate signing key handling"] {
                let sha = hex_n(rng, 40);
                out.push_str(&format!("- {msg} ([{}](https://github.com/acme/{proj}/commit/{sha}))\n", &sha[..7]));
            }
            (format!("{proj}/CHANGELOG.md"), out)
        }
        1 => (
            format!("{proj}/.github/workflows/ci.yml"),
            format!(
                "name: ci\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@{} # v4.1.7\n      - uses: actions/setup-node@{} # v4.0.3\n      - uses: actions/cache@{} # v4.0.2\n        with:\n          key: npm-{}\n      - run: npm test\n",
                hex_n(rng, 40),
                hex_n(rng, 40),
                hex_n(rng, 40),
                hex_n(rng, 64)
            ),
        ),
        _ => {
            let mut out = String::new();
            for _ in 0..3 {
                out.push_str(&format!(
                    "commit {}\nAuthor: Dev Eloper <dev@example.invalid>\nDate:   Mon Jun 3 10:{:02}:00 2024 +0200\n\n    Merge branch 'feature/{}'\n\n",
                    hex_n(rng, 40),
                    rng.below(60),
                    word(rng)
                ));
            }
            (format!("{proj}/docs/release-notes.txt"), out)
        }
    }
}

fn hashes_misc(rng: &mut Rng, _: usize) -> (String, String) {
    let proj = word(rng);
    match rng.below(4) {
        0 => (
            format!("{proj}/build/cache.toml"),
            format!(
                "cache_key = \"{}\"\ncontent_hash = \"{}\"\netag = \"W/\\\"{}\\\"\"\nchecksum = \"sha1:{}\"\nrevision = \"{}\"\nsourceHash = \"{}\"\n",
                hex_n(rng, 64),
                hex_n(rng, 64),
                hex_n(rng, 32),
                hex_n(rng, 40),
                hex_n(rng, 40),
                hex_n(rng, 64)
            ),
        ),
        1 => {
            let mut out = String::new();
            for f in ["app-linux-amd64.tar.gz", "app-darwin-arm64.tar.gz", "app-windows-amd64.zip"] {
                out.push_str(&format!("{}  {f}\n", hex_n(rng, 128)));
            }
            (format!("{proj}/dist/SHA512SUMS"), out)
        }
        2 => {
            let mut out = String::from("# This file is maintained automatically by \"terraform init\".\n\n");
            for p in ["hashicorp/aws", "hashicorp/random", "cloudflare/cloudflare"] {
                out.push_str(&format!(
                    "provider \"registry.terraform.io/{p}\" {{\n  version     = \"{}\"\n  hashes = [\n    \"h1:{}\",\n    \"zh:{}\",\n    \"zh:{}\",\n  ]\n}}\n\n",
                    version(rng),
                    b64(&rng.bytes(32)),
                    hex_n(rng, 64),
                    hex_n(rng, 64)
                ));
            }
            (format!("{proj}/infra/.terraform.lock.hcl"), out)
        }
        _ => (
            format!("{proj}/flake.lock"),
            format!(
                "{{\n  \"nodes\": {{\n    \"nixpkgs\": {{\n      \"locked\": {{\n        \"lastModified\": 1717179513,\n        \"narHash\": \"sha256-{}\",\n        \"owner\": \"NixOS\",\n        \"repo\": \"nixpkgs\",\n        \"rev\": \"{}\",\n        \"type\": \"github\"\n      }}\n    }}\n  }},\n  \"version\": 7\n}}\n",
                b64(&rng.bytes(32)),
                hex_n(rng, 40)
            ),
        ),
    }
}

// ---------------------------------------------------------------------------------
// UUIDs and identifiers.

fn uuids(rng: &mut Rng, _: usize) -> (String, String) {
    let proj = word(rng);
    match rng.below(4) {
        0 => {
            let (a, b) = (uuid(rng).to_uppercase(), uuid(rng).to_uppercase());
            (
                format!("{proj}/Acme.sln"),
                format!(
                    "\r\nMicrosoft Visual Studio Solution File, Format Version 12.00\r\nProject(\"{{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}}\") = \"Acme.Api\", \"src\\Acme.Api\\Acme.Api.csproj\", \"{{{a}}}\"\r\nEndProject\r\nProject(\"{{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}}\") = \"Acme.Tests\", \"tests\\Acme.Tests\\Acme.Tests.csproj\", \"{{{b}}}\"\r\nEndProject\r\nGlobal\r\n\tGlobalSection(ProjectConfigurationPlatforms) = postSolution\r\n\t\t{{{a}}}.Debug|Any CPU.ActiveCfg = Debug|Any CPU\r\n\t\t{{{b}}}.Release|Any CPU.Build.0 = Release|Any CPU\r\n\tEndGlobalSection\r\nEndGlobal\r\n"
                ),
            )
        }
        1 => (
            format!("{proj}/infra/azure.auto.tfvars"),
            format!(
                "tenant_id       = \"{}\"\nsubscription_id = \"{}\"\nclient_id       = \"{}\"\nresource_group  = \"rg-{proj}-prod\"\n",
                uuid(rng),
                uuid(rng),
                uuid(rng)
            ),
        ),
        2 => {
            let mut out = String::new();
            for _ in 0..6 {
                out.push_str(&format!(
                    "{} INFO request_id={} session_id={} trace_id={} status=200\n",
                    date(rng),
                    uuid(rng),
                    uuid(rng),
                    hex_n(rng, 32)
                ));
            }
            (format!("{proj}/logs/access.log"), out)
        }
        _ => (
            format!("{proj}/test/fixtures/orders.json"),
            format!(
                "[\n  {{\"id\": \"{}\", \"customer_id\": \"{}\", \"correlationId\": \"{}\", \"total\": 4200}},\n  {{\"id\": \"{}\", \"customer_id\": \"{}\", \"correlationId\": \"{}\", \"total\": 990}}\n]\n",
                uuid(rng), uuid(rng), uuid(rng), uuid(rng), uuid(rng), uuid(rng)
            ),
        ),
    }
}

fn identifiers(rng: &mut Rng, _: usize) -> (String, String) {
    let pool = vec![
        format!("TWILIO_ACCOUNT_SID=AC{}", hex_n(rng, 32)),
        format!("AWS_ACCOUNT_ID={}", number(rng, 12)),
        format!(
            "AWS_ROLE_ARN=arn:aws:iam::{}:role/ci-deploy",
            number(rng, 12)
        ),
        format!("STRIPE_ACCOUNT_ID=acct_{}", t(rng, "{{b62:16}}")),
        format!("STRIPE_PRICE_ID=price_1{}", t(rng, "{{b62:23}}")),
        format!("SLACK_CHANNEL_ID=C0{}", t(rng, "{{ALNUM:9}}")),
        format!("AUTH0_CLIENT_ID={}", t(rng, "{{b62:32}}")),
        "AUTH0_DOMAIN=acme.eu.auth0.com".to_string(),
        format!("AZURE_CLIENT_ID={}", uuid(rng)),
        format!("ALGOLIA_APP_ID={}", t(rng, "{{ALNUM:10}}")),
        format!("GOOGLE_CLOUD_PROJECT_NUMBER={}", number(rng, 12)),
        format!("GA_MEASUREMENT_ID=G-{}", t(rng, "{{ALNUM:10}}")),
        format!("GITHUB_APP_CLIENT_ID=Iv1.{}", hex_n(rng, 16)),
        format!("GITHUB_OAUTH_CLIENT_ID=Ov23li{}", t(rng, "{{b62:14}}")),
        format!("GITHUB_APP_ID={}", number(rng, 6)),
        "DATADOG_SITE=datadoghq.eu".to_string(),
        format!("SENTRY_PROJECT_ID={}", number(rng, 7)),
    ];
    let body = pick(rng, pool, 8, 6);
    (format!("{}/config/ids.env", word(rng)), body)
}

// ---------------------------------------------------------------------------------
// Lockfiles and subresource integrity.

fn sri(rng: &mut Rng, bytes: usize) -> String {
    b64(&rng.bytes(bytes))
}

fn lockfiles(rng: &mut Rng, _: usize) -> (String, String) {
    let proj = word(rng);
    match rng.below(5) {
        0 => {
            let mut out = format!("{{\n  \"name\": \"{proj}\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {{\n    \"\": {{\n      \"name\": \"{proj}\",\n      \"version\": \"1.0.0\"\n    }}");
            for p in NPM_PACKAGES.iter().take(5 + rng.below(6)) {
                let v = version(rng);
                out.push_str(&format!(
                    ",\n    \"node_modules/{p}\": {{\n      \"version\": \"{v}\",\n      \"resolved\": \"https://registry.npmjs.org/{p}/-/{p}-{v}.tgz\",\n      \"integrity\": \"sha512-{}\",\n      \"license\": \"MIT\"\n    }}",
                    sri(rng, 64)
                ));
            }
            out.push_str("\n  }\n}\n");
            (format!("{proj}/package-lock.json"), out)
        }
        1 => {
            let mut out = String::from("# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n");
            for p in NPM_PACKAGES.iter().take(5 + rng.below(6)) {
                let v = version(rng);
                out.push_str(&format!(
                    "{p}@^{v}:\n  version \"{v}\"\n  resolved \"https://registry.yarnpkg.com/{p}/-/{p}-{v}.tgz#{}\"\n  integrity sha512-{}\n\n",
                    hex_n(rng, 40),
                    sri(rng, 64)
                ));
            }
            (format!("{proj}/yarn.lock"), out)
        }
        2 => {
            let mut out = String::from("lockfileVersion: '9.0'\n\npackages:\n\n");
            for p in NPM_PACKAGES.iter().take(5 + rng.below(6)) {
                out.push_str(&format!(
                    "  {p}@{}:\n    resolution: {{integrity: sha512-{}}}\n    engines: {{node: '>=12'}}\n\n",
                    version(rng),
                    sri(rng, 64)
                ));
            }
            (format!("{proj}/pnpm-lock.yaml"), out)
        }
        3 => (
            format!("{proj}/public/index.html"),
            format!(
                "<!doctype html>\n<html lang=\"en\">\n<head>\n  <link href=\"https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/css/bootstrap.min.css\" rel=\"stylesheet\" integrity=\"sha384-{}\" crossorigin=\"anonymous\">\n  <script src=\"https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.bundle.min.js\" integrity=\"sha384-{}\" crossorigin=\"anonymous\"></script>\n  <script src=\"https://code.jquery.com/jquery-3.7.1.min.js\" integrity=\"sha256-{}\" crossorigin=\"anonymous\"></script>\n</head>\n<body></body>\n</html>\n",
                sri(rng, 48),
                sri(rng, 48),
                sri(rng, 32)
            ),
        ),
        _ => {
            let mut out = String::from("{\n    \"_readme\": [\"This file locks the dependencies of your project to a known state\"],\n    \"content-hash\": \"");
            out.push_str(&hex_n(rng, 32));
            out.push_str("\",\n    \"packages\": [\n");
            let n = 3 + rng.below(3);
            for i in 0..n {
                let sep = if i + 1 == n { "" } else { "," };
                out.push_str(&format!(
                    "        {{\n            \"name\": \"symfony/{}\",\n            \"version\": \"v{}\",\n            \"dist\": {{\n                \"type\": \"zip\",\n                \"url\": \"https://api.github.com/repos/symfony/x/zipball/{}\",\n                \"reference\": \"{}\",\n                \"shasum\": \"\"\n            }}\n        }}{sep}\n",
                    word(rng),
                    version(rng),
                    hex_n(rng, 40),
                    hex_n(rng, 40)
                ));
            }
            out.push_str("    ]\n}\n");
            (format!("{proj}/composer.lock"), out)
        }
    }
}

// ---------------------------------------------------------------------------------
// Data URIs, base64 blobs, minified bundles.

fn png_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut v = vec![
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R',
    ];
    v.extend(rng.bytes(len));
    v
}

fn data_uris(rng: &mut Rng, scale: usize) -> (String, String) {
    let proj = word(rng);
    let size = 300 * scale + rng.below(600 * scale);
    match rng.below(5) {
        0 => (
            format!("{proj}/web/src/styles/logo.css"),
            format!(
                ".logo {{\n  width: 32px;\n  background-image: url(\"data:image/png;base64,{}\");\n}}\n",
                b64(&png_bytes(rng, size))
            ),
        ),
        1 => (
            format!("{proj}/web/public/email.html"),
            format!(
                "<table>\n  <tr><td><img alt=\"logo\" src=\"data:image/png;base64,{}\"></td></tr>\n</table>\n",
                b64(&png_bytes(rng, size))
            ),
        ),
        2 => {
            let mut svg = String::from("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 24 24\"><path d=\"");
            for _ in 0..(20 * scale) {
                svg.push_str(&format!("M{} {}l{} {}", rng.below(24), rng.below(24), rng.below(9), rng.below(9)));
            }
            svg.push_str("\"/></svg>");
            (
                format!("{proj}/web/src/icons.js"),
                format!("export const checkIcon = \"data:image/svg+xml;base64,{}\";\n", b64(svg.as_bytes())),
            )
        }
        3 => {
            let mut font = b"wOF2\x00\x01\x00\x00".to_vec();
            font.extend(rng.bytes(size));
            (
                format!("{proj}/web/src/fonts.css"),
                format!(
                    "@font-face {{\n  font-family: \"Inter\";\n  src: url(data:font/woff2;base64,{}) format(\"woff2\");\n}}\n",
                    b64(&font)
                ),
            )
        }
        _ => {
            let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
            jpeg.extend(rng.bytes(size));
            (
                format!("{proj}/test/fixtures/profile.json"),
                format!(
                    "{{\n  \"name\": \"Test User\",\n  \"thumbnail\": \"data:image/jpeg;base64,{}\"\n}}\n",
                    b64(&jpeg)
                ),
            )
        }
    }
}

fn base64_blobs(rng: &mut Rng, scale: usize) -> (String, String) {
    let proj = word(rng);
    match rng.below(4) {
        0 => {
            let mut out = String::from("{\n  \"messages\": [\n");
            let n = 3 + rng.below(3);
            for i in 0..n {
                let sep = if i + 1 == n { "" } else { "," };
                let len = 100 + rng.below(300 * scale);
                out.push_str(&format!(
                    "    {{\"id\": {i}, \"payload\": \"{}\", \"signature\": \"{}\", \"nonce\": \"{}\", \"salt\": \"{}\"}}{sep}\n",
                    b64(&rng.bytes(len)),
                    b64(&rng.bytes(64)),
                    b64(&rng.bytes(12)),
                    b64(&rng.bytes(16))
                ));
            }
            out.push_str("  ]\n}\n");
            (format!("{proj}/test/fixtures/messages.json"), out)
        }
        1 => {
            let len = 600 * scale;
            let body = b64(&rng.bytes(len));
            let lines: Vec<&str> = body
                .as_bytes()
                .chunks(76)
                .map(|c| std::str::from_utf8(c).unwrap_or_default())
                .collect();
            (
                format!("{proj}/test/fixtures/invoice.eml"),
                format!(
                    "From: billing@example.invalid\nTo: customer@example.invalid\nSubject: Your invoice\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: application/pdf; name=\"invoice.pdf\"\nContent-Transfer-Encoding: base64\n\n{}\n--b1--\n",
                    lines.join("\n")
                ),
            )
        }
        2 => (
            format!("{proj}/web/src/__snapshots__/Avatar.test.js.snap"),
            format!(
                "// Jest Snapshot v1, https://goo.gl/fbAQLP\n\nexports[`Avatar renders 1`] = `\"{}\"`;\n",
                b64(&rng.bytes(200 * scale))
            ),
        ),
        _ => {
            let mut proto = vec![0x0a, 0x04];
            proto.extend_from_slice(b"test");
            proto.extend(rng.bytes(80 * scale));
            (
                format!("{proj}/testdata/grpc_cases.yaml"),
                format!("- name: roundtrip\n  data: {}\n  expect_ok: true\n", b64(&proto)),
            )
        }
    }
}

fn ident(rng: &mut Rng) -> String {
    let n = 1 + rng.below(2);
    rng.string(b"abcdefghijklmnopqrstuvwxyz", n)
}

fn minified_js(rng: &mut Rng, scale: usize) -> (String, String) {
    let proj = word(rng);
    let mut lines = Vec::new();
    for _ in 0..(1 + scale) {
        let mut l = String::from("!function(){\"use strict\";");
        while l.len() < 6000 * scale {
            let (a, b, c) = (ident(rng), ident(rng), ident(rng));
            let frag = match rng.below(12) {
                0 => format!("function {a}({b},{c}){{return {b}.{}({c})}}", word(rng)),
                1 => format!("var {a}=\"{}\";", hex_n(rng, 20)),
                2 => format!("{a}.p+\"static/js/\"+({{{}:\"{}\"}}[{b}]||{b})+\".\"+{{{}:\"{}\"}}[{b}]+\".chunk.js\";", rng.below(999), word(rng), rng.below(999), hex_n(rng, 8)),
                3 => format!("{a}.headers.Authorization=\"Bearer \"+{b}.token;"),
                4 => format!("{a}={{apiKey:{b}.apiKey||\"\",password:{c}.password,token:{b}.token}};"),
                5 => format!("if(!{a})throw new Error(\"Missing API key\");"),
                6 => format!("{a}.exports=JSON.parse('{{\"name\":\"{}\",\"version\":\"{}\"}}');", word(rng), version(rng)),
                7 => {
                    let len = 30 + rng.below(40);
                    format!("{a}=\"{}\";", b64(&rng.bytes(len)))
                }
                8 => format!("{a}.src=\"/assets/{}.{}.png\";", word(rng), hex_n(rng, 20)),
                9 => format!("for(var {a}=0;{a}<{b}.length;{a}++){c}({b}[{a}]);"),
                10 => format!("{a}.integrity=\"sha384-{}\";", b64(&rng.bytes(48))),
                _ => format!("{a}=function({b}){{return {b}&&{b}.__esModule?{b}:{{default:{b}}}}};"),
            };
            l.push_str(&frag);
        }
        l.push_str("}();");
        lines.push(l);
    }
    lines.push(format!(
        "//# sourceMappingURL=main.{}.js.map",
        hex_n(rng, 8)
    ));
    (
        format!("{proj}/web/dist/assets/main.{}.min.js", hex_n(rng, 8)),
        lines.join("\n") + "\n",
    )
}

// ---------------------------------------------------------------------------------
// Public keys and certificates.

fn public_keys(rng: &mut Rng, _: usize) -> (String, String) {
    let proj = word(rng);
    match rng.below(9) {
        0 => (format!("{proj}/keys/jwt-public.pem"), creds::armor("PUBLIC KEY", &creds::rsa_spki_der(rng), 64) + "\n"),
        1 => (format!("{proj}/keys/ec-public.pem"), creds::armor("PUBLIC KEY", &creds::ec_spki_der(rng), 64) + "\n"),
        2 => {
            let mut out = String::new();
            for _ in 0..2 + rng.below(2) {
                out.push_str(&creds::armor("CERTIFICATE", &creds::certificate_der(rng), 64));
                out.push('\n');
            }
            (format!("{proj}/certs/ca-bundle.crt"), out)
        }
        3 => {
            let mut out = String::new();
            for user in ["deploy@ci", "alice@laptop", "bob@workstation"] {
                let blob = creds::ssh_ed25519_public_blob(&rng.bytes(32));
                out.push_str(&format!("ssh-ed25519 {} {user}\n", b64(&blob)));
            }
            let mut rsa = Vec::new();
            for part in [&b"ssh-rsa"[..], &[1, 0, 1][..]] {
                rsa.extend((part.len() as u32).to_be_bytes());
                rsa.extend_from_slice(part);
            }
            let n = rng.bytes(257);
            rsa.extend((n.len() as u32).to_be_bytes());
            rsa.extend(n);
            out.push_str(&format!("ssh-rsa {} ops@bastion\n", b64(&rsa)));
            (format!("{proj}/deploy/authorized_keys"), out)
        }
        4 => {
            let blob = creds::ssh_ed25519_public_blob(&rng.bytes(32));
            (
                format!("{proj}/deploy/known_hosts"),
                format!(
                    "github.com ssh-ed25519 {}\n|1|{}|{} ssh-ed25519 {}\n",
                    b64(&blob),
                    b64(&rng.bytes(20)),
                    b64(&rng.bytes(20)),
                    b64(&creds::ssh_ed25519_public_blob(&rng.bytes(32)))
                ),
            )
        }
        5 => (
            format!("{proj}/keys/release-signing.pub.asc"),
            creds::pgp_armor("PGP PUBLIC KEY BLOCK", &creds::pgp_key_packets(rng, false), true) + "\n",
        ),
        6 => (
            format!("{proj}/.sops.yaml"),
            format!(
                "creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: >-\n      {},\n      {}\n",
                creds::age_recipient(rng),
                creds::age_recipient(rng)
            ),
        ),
        7 => (
            format!("{proj}/web/public/.well-known/jwks.json"),
            format!(
                "{{\"keys\":[{{\"kty\":\"RSA\",\"kid\":\"{}\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"{}\",\"e\":\"AQAB\"}}]}}\n",
                hex_n(rng, 16),
                b64url(&rng.bytes(256))
            ),
        ),
        _ => {
            let ca = creds::armor("CERTIFICATE", &creds::certificate_der(rng), 64) + "\n";
            (
                format!("{proj}/deploy/kubeconfig-ci.yaml"),
                format!(
                    "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    server: https://10.20.0.1:6443\n  name: prod\nusers:\n- name: ci\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [\"eks\", \"get-token\", \"--cluster-name\", \"prod\"]\n",
                    b64(ca.as_bytes())
                ),
            )
        }
    }
}

// ---------------------------------------------------------------------------------
// Checksummed formats with a wrong checksum.

fn bad_checksums(rng: &mut Rng, _: usize) -> (String, String) {
    let pool = vec![
        format!("GITHUB_TOKEN={}", creds::github_style(rng, "ghp_", false)),
        format!("GH_TOKEN={}", creds::github_style(rng, "ghs_", false)),
        format!("oauth_token: {}", creds::github_style(rng, "gho_", false)),
        format!(
            "\"refresh_token\": \"{}\"",
            creds::github_style(rng, "ghr_", false)
        ),
        format!(
            "user_token = \"{}\"",
            creds::github_style(rng, "ghu_", false)
        ),
        format!(
            "//registry.npmjs.org/:_authToken={}",
            creds::github_style(rng, "npm_", false)
        ),
        format!("NPM_TOKEN={}", creds::github_style(rng, "npm_", false)),
        format!(
            "GITLAB_TOKEN={}",
            creds::gitlab_routable(rng, "glpat-", 0, false)
        ),
        format!(
            "GITLAB_TOKEN={}",
            creds::gitlab_routable(rng, "glpat-", 1, false)
        ),
        format!("JIRA_API_TOKEN={}", creds::atlassian(rng, false)),
        format!("SOPS_AGE_KEY={}", creds::age_identity(rng, false)),
        format!(
            "CLOUDFLARE_API_TOKEN={}",
            creds::cloudflare(rng, "cfut_", false)
        ),
    ];
    let body = pick(rng, pool, 3, 3);
    let proj = word(rng);
    match rng.below(3) {
        0 => (format!("{proj}/test/fixtures/tokens.env"), body),
        1 => {
            // YAML: only the first `=` of a line is the assignment (values may hold `=`).
            let yaml: Vec<String> = body.lines().map(|l| l.replacen('=', ": ", 1)).collect();
            (format!("{proj}/config/ci.yml"), yaml.join("\n") + "\n")
        }
        _ => (format!("{proj}/test/token_format_test.txt"), body),
    }
}

// ---------------------------------------------------------------------------------
// Dependency manifests and image digests.

fn go_sum(rng: &mut Rng, _: usize) -> (String, String) {
    let mut out = String::new();
    for m in GO_MODULES.iter().take(4 + rng.below(5)) {
        let v = format!("v{}", version(rng));
        out.push_str(&format!("{m} {v} h1:{}\n", b64(&rng.bytes(32))));
        out.push_str(&format!("{m} {v}/go.mod h1:{}\n", b64(&rng.bytes(32))));
    }
    (format!("{}/go.sum", word(rng)), out)
}

fn cargo_lock(rng: &mut Rng, _: usize) -> (String, String) {
    let mut out = String::from("# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n\n");
    for c in CRATES.iter().take(5 + rng.below(6)) {
        out.push_str(&format!(
            "[[package]]\nname = \"{c}\"\nversion = \"{}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n\n",
            version(rng),
            hex_n(rng, 64)
        ));
    }
    (format!("{}/Cargo.lock", word(rng)), out)
}

fn docker_digests(rng: &mut Rng, _: usize) -> (String, String) {
    let proj = word(rng);
    match rng.below(4) {
        0 => (
            format!("{proj}/Dockerfile"),
            format!(
                "FROM python:3.12-slim@sha256:{} AS base\nFROM gcr.io/distroless/python3@sha256:{}\nCOPY --from=base /app /app\n",
                hex_n(rng, 64),
                hex_n(rng, 64)
            ),
        ),
        1 => (
            format!("{proj}/deploy/k8s/deployment.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {proj}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/acme/{proj}@sha256:{}\n        - name: proxy\n          image: envoyproxy/envoy:v1.30.1@sha256:{}\n",
                hex_n(rng, 64),
                hex_n(rng, 64)
            ),
        ),
        2 => (
            format!("{proj}/logs/docker-pull.log"),
            format!(
                "latest: Pulling from acme/{proj}\n{}: Pull complete\n{}: Pull complete\nDigest: sha256:{}\nStatus: Downloaded newer image for acme/{proj}:latest\n",
                hex_n(rng, 12),
                hex_n(rng, 12),
                hex_n(rng, 64)
            ),
        ),
        _ => (
            format!("{proj}/build/image-manifest.json"),
            format!(
                "{{\n  \"schemaVersion\": 2,\n  \"config\": {{\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"sha256:{}\", \"size\": 7023}},\n  \"layers\": [\n    {{\"digest\": \"sha256:{}\", \"size\": 32654}},\n    {{\"digest\": \"sha256:{}\", \"size\": 16724}}\n  ]\n}}\n",
                hex_n(rng, 64),
                hex_n(rng, 64),
                hex_n(rng, 64)
            ),
        ),
    }
}

// ---------------------------------------------------------------------------------
// URLs without a secret.

fn urls_without_secret(rng: &mut Rng, _: usize) -> (String, String) {
    let pool = vec![
        "DATABASE_URL=postgres://localhost:5432/app_dev".to_string(),
        "DATABASE_URL=postgres://app@db.internal:5432/app".to_string(),
        "DATABASE_URL=postgresql://app:${DB_PASSWORD}@db.internal:5432/app".to_string(),
        "MONGODB_URI=mongodb+srv://<username>:<password>@cluster0.abcde.mongodb.net/".to_string(),
        "REDIS_URL=redis://localhost:6379/0".to_string(),
        "AMQP_URL=amqp://guest:guest@localhost:5672/".to_string(),
        "ADMIN_URL=http://admin:admin@localhost:8080/".to_string(),
        "PROXY_URL=https://username:password@proxy.example.com:8443".to_string(),
        "GIT_URL=https://x-access-token:${GITHUB_TOKEN}@github.com/acme/app.git".to_string(),
        "NPM_REGISTRY=https://${NPM_TOKEN}@registry.npmjs.org/".to_string(),
        "HOMEPAGE=https://docs.example.com/guide?version=2&lang=en".to_string(),
        "MYSQL_URL=mysql://root:root@127.0.0.1:3306/test".to_string(),
        "SENTRY_URL=https://sentry.io/organizations/acme/".to_string(),
        format!(
            "ARTIFACT_URL=https://artifacts.example.net/releases/app-{}.tar.gz",
            version(rng)
        ),
    ];
    let body = pick(rng, pool, 6, 6);
    (format!("{}/.env.development", word(rng)), body)
}

/// Every hard-negative variant.
pub fn variants() -> Vec<Variant> {
    let v = |category, name, gen| Variant {
        category,
        name,
        gen,
    };
    vec![
        v(
            "placeholder",
            "env-example",
            env_example as fn(&mut Rng, usize) -> (String, String),
        ),
        v("placeholder", "docs", docs_placeholders),
        v("placeholder", "code", code_placeholders),
        v("placeholder", "repeated-sequential", repeated_sequential),
        v("placeholder", "masked", masked_values),
        v("env-reference", "code", env_refs_code),
        v("env-reference", "config", env_refs_config),
        v("env-reference", "shell", env_refs_shell),
        v("vendor-example", "published", vendor_examples),
        v("public-by-design", "public-keys", public_keys_by_design),
        v("encrypted", "sops-yaml", sops_yaml),
        v("encrypted", "sops-dotenv", sops_dotenv),
        v("encrypted", "ansible-vault", ansible_vault_file),
        v("encrypted", "ansible-vault-inline", ansible_vault_inline),
        v("encrypted", "sealed-secret", sealed_secret),
        v("encrypted", "misc", encrypted_misc),
        v("hash", "python-lock", hashes_python),
        v("hash", "git-sha", hashes_git),
        v("hash", "misc", hashes_misc),
        v("uuid", "uuid", uuids),
        v("identifier", "ids", identifiers),
        v("lockfile-sri", "lockfiles", lockfiles),
        v("data-uri", "data-uri", data_uris),
        v("base64-blob", "blobs", base64_blobs),
        v("minified-js", "bundle", minified_js),
        v("public-key-cert", "keys-certs", public_keys),
        v("bad-checksum", "lookalikes", bad_checksums),
        v("go-sum", "go.sum", go_sum),
        v("cargo-lock", "Cargo.lock", cargo_lock),
        v("docker-digest", "digests", docker_digests),
        v("url-no-secret", "urls", urls_without_secret),
    ]
}
