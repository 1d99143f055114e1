//! The compiled-in providers `--verify` may ask: for each, the one host a key is sent to
//! (always over TLS), the least-privileged read-only call, and how to read its answer.
//!
//! A rule names its provider by `verify = "…"` (built-in rules only, see
//! `rules::compile_rule`); nothing in any configuration can add a provider, change a host
//! or a path. The request is built here from constants and the key alone.

/// How the key goes into the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `Authorization: <scheme> <key>` (Discord's `Bot`).
    Scheme(&'static str),
    /// A header of its own (`x-api-key`, `PRIVATE-TOKEN`).
    Header(&'static str),
    /// HTTP basic authentication, the key as user name and no password (Stripe).
    BasicUser,
    /// In the path, where `{key}` stands (Telegram's `/bot<token>/getMe`).
    InPath,
    /// AWS Signature Version 4 with an access key id and its secret (STS).
    AwsSigV4,
}

/// How the answer says live or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judge {
    /// By HTTP status: `live` and `invalid` lists below; a 2xx answer must be JSON.
    Status,
    /// Slack: HTTP 200 with `{"ok": true}` or `{"ok": false, "error": …}`.
    SlackOk,
    /// Google API keys: `API_KEY_INVALID` in a 400; a 403 is a key that exists but may
    /// not call this API (restricted, or the API not enabled for its project).
    GoogleKey,
    /// AWS STS `GetCallerIdentity`: XML with `<Arn>`, or an error `<Code>`.
    AwsSts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// One provider's check.
#[derive(Debug)]
pub struct Provider {
    /// The name rules use in `verify = "…"`.
    pub name: &'static str,
    /// Shown in reports.
    pub label: &'static str,
    /// The provider's own API host: the only place this provider's keys are ever sent.
    pub host: &'static str,
    pub method: Method,
    pub path: &'static str,
    pub auth: Auth,
    pub headers: &'static [(&'static str, &'static str)],
    pub body: Option<&'static str>,
    /// Identity read from the JSON answer: (label, JSON pointer).
    pub identity: &'static [(&'static str, &'static str)],
    /// Identity read from answer headers: (label, header name).
    pub identity_headers: &'static [(&'static str, &'static str)],
    /// Statuses that mean the key works (403 for providers whose restricted keys are
    /// refused this call while being valid).
    pub live: &'static [u16],
    /// Statuses that mean the key does not work (revoked, deleted, never valid).
    pub invalid: &'static [u16],
    /// Said of an invalid key, when the provider's answer covers only its own service
    /// (a self-managed GitLab's token is unknown to gitlab.com).
    pub invalid_note: Option<&'static str>,
    pub judge: Judge,
}

const fn get(
    name: &'static str,
    label: &'static str,
    host: &'static str,
    path: &'static str,
    auth: Auth,
) -> Provider {
    Provider {
        name,
        label,
        host,
        method: Method::Get,
        path,
        auth,
        headers: &[],
        body: None,
        identity: &[],
        identity_headers: &[],
        live: &[200],
        invalid: &[401],
        invalid_note: None,
        judge: Judge::Status,
    }
}

const JSON: (&str, &str) = ("accept", "application/json");

/// Every provider, by name. Hosts are compiled in; see the module doc.
pub static PROVIDERS: &[Provider] = &[
    Provider {
        identity_headers: &[
            ("organization", "openai-organization"),
            ("project", "openai-project"),
        ],
        // A project key restricted to some endpoints is refused /v1/models with 403, and works.
        live: &[200, 403],
        ..get(
            "openai",
            "OpenAI",
            "api.openai.com",
            "/v1/models",
            Auth::Bearer,
        )
    },
    Provider {
        identity_headers: &[("organization", "openai-organization")],
        ..get(
            "openai-admin",
            "OpenAI",
            "api.openai.com",
            "/v1/organization/projects?limit=1",
            Auth::Bearer,
        )
    },
    Provider {
        headers: &[("anthropic-version", "2023-06-01")],
        identity_headers: &[("organization", "anthropic-organization-id")],
        ..get(
            "anthropic",
            "Anthropic",
            "api.anthropic.com",
            "/v1/models?limit=1",
            Auth::Header("x-api-key"),
        )
    },
    Provider {
        headers: &[("anthropic-version", "2023-06-01")],
        identity: &[("organization", "/name"), ("organization id", "/id")],
        ..get(
            "anthropic-admin",
            "Anthropic",
            "api.anthropic.com",
            "/v1/organizations/me",
            Auth::Header("x-api-key"),
        )
    },
    Provider {
        headers: &[
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", "2022-11-28"),
        ],
        identity: &[("account", "/login"), ("type", "/type")],
        identity_headers: &[("scopes", "x-oauth-scopes")],
        ..get("github", "GitHub", "api.github.com", "/user", Auth::Bearer)
    },
    Provider {
        headers: &[
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", "2022-11-28"),
        ],
        identity: &[("repositories", "/total_count")],
        ..get(
            "github-installation",
            "GitHub",
            "api.github.com",
            "/installation/repositories?per_page=1",
            Auth::Bearer,
        )
    },
    Provider {
        identity: &[
            ("token", "/name"),
            ("scopes", "/scopes"),
            ("user id", "/user_id"),
            ("expires", "/expires_at"),
        ],
        invalid_note: Some(
            "not valid on gitlab.com (a self-managed GitLab's tokens cannot be checked)",
        ),
        ..get(
            "gitlab",
            "GitLab",
            "gitlab.com",
            "/api/v4/personal_access_tokens/self",
            Auth::Header("private-token"),
        )
    },
    Provider {
        method: Method::Post,
        headers: &[("content-type", "application/x-www-form-urlencoded")],
        body: Some(""),
        identity: &[("team", "/team"), ("user", "/user"), ("url", "/url")],
        identity_headers: &[("scopes", "x-oauth-scopes")],
        judge: Judge::SlackOk,
        ..get(
            "slack",
            "Slack",
            "slack.com",
            "/api/auth.test",
            Auth::Bearer,
        )
    },
    Provider {
        identity: &[
            ("account", "/id"),
            ("name", "/settings/dashboard/display_name"),
        ],
        // A restricted key without the account permission is refused with 403, and works.
        live: &[200, 403],
        ..get(
            "stripe",
            "Stripe",
            "api.stripe.com",
            "/v1/account",
            Auth::BasicUser,
        )
    },
    Provider {
        method: Method::Post,
        headers: &[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        body: Some("Action=GetCallerIdentity&Version=2011-06-15"),
        judge: Judge::AwsSts,
        ..get("aws", "AWS", "sts.amazonaws.com", "/", Auth::AwsSigV4)
    },
    Provider {
        identity: &[
            ("account", "/name"),
            ("token", "/auth/accessToken/displayName"),
            ("role", "/auth/accessToken/role"),
        ],
        ..get(
            "huggingface",
            "Hugging Face",
            "huggingface.co",
            "/api/whoami-v2",
            Auth::Bearer,
        )
    },
    Provider {
        identity: &[("scopes", "/scopes")],
        ..get(
            "sendgrid",
            "SendGrid",
            "api.sendgrid.com",
            "/v3/scopes",
            Auth::Bearer,
        )
    },
    Provider {
        judge: Judge::GoogleKey,
        ..get(
            "google-api-key",
            "Google",
            "generativelanguage.googleapis.com",
            "/v1beta/models?pageSize=1",
            Auth::Header("x-goog-api-key"),
        )
    },
    get(
        "groq",
        "Groq",
        "api.groq.com",
        "/openai/v1/models",
        Auth::Bearer,
    ),
    get(
        "mistral",
        "Mistral",
        "api.mistral.ai",
        "/v1/models",
        Auth::Bearer,
    ),
    Provider {
        identity: &[("balance available", "/is_available")],
        ..get(
            "deepseek",
            "DeepSeek",
            "api.deepseek.com",
            "/user/balance",
            Auth::Bearer,
        )
    },
    Provider {
        identity: &[("key", "/name"), ("team", "/team_id")],
        ..get("xai", "xAI", "api.x.ai", "/v1/api-key", Auth::Bearer)
    },
    Provider {
        identity: &[("key", "/data/label")],
        ..get(
            "openrouter",
            "OpenRouter",
            "openrouter.ai",
            "/api/v1/key",
            Auth::Bearer,
        )
    },
    Provider {
        identity: &[("account", "/username")],
        ..get(
            "replicate",
            "Replicate",
            "api.replicate.com",
            "/v1/account",
            Auth::Bearer,
        )
    },
    Provider {
        identity: &[("account", "/username")],
        ..get(
            "npm",
            "npm",
            "registry.npmjs.org",
            "/-/whoami",
            Auth::Bearer,
        )
    },
    Provider {
        identity: &[("account", "/account/email"), ("status", "/account/status")],
        ..get(
            "digitalocean",
            "DigitalOcean",
            "api.digitalocean.com",
            "/v2/account",
            Auth::Bearer,
        )
    },
    Provider {
        identity: &[("bot", "/result/username")],
        // Telegram answers 404 to a token that is not one.
        invalid: &[401, 404],
        ..get(
            "telegram",
            "Telegram",
            "api.telegram.org",
            "/bot{key}/getMe",
            Auth::InPath,
        )
    },
    Provider {
        identity: &[("bot", "/username"), ("id", "/id")],
        ..get(
            "discord",
            "Discord",
            "discord.com",
            "/api/v10/users/@me",
            Auth::Scheme("Bot"),
        )
    },
    Provider {
        identity: &[("account", "/user/username")],
        ..get(
            "postman",
            "Postman",
            "api.getpostman.com",
            "/me",
            Auth::Header("x-api-key"),
        )
    },
    Provider {
        identity: &[("token status", "/result/status")],
        ..get(
            "cloudflare",
            "Cloudflare",
            "api.cloudflare.com",
            "/client/v4/user/tokens/verify",
            Auth::Bearer,
        )
    },
    Provider {
        headers: &[("accept", "application/vnd.heroku+json; version=3")],
        identity: &[("account", "/email")],
        ..get(
            "heroku",
            "Heroku",
            "api.heroku.com",
            "/account",
            Auth::Bearer,
        )
    },
    Provider {
        headers: &[("content-type", "application/vnd.api+json")],
        identity: &[("account", "/data/attributes/username")],
        ..get(
            "terraform-cloud",
            "HCP Terraform",
            "app.terraform.io",
            "/api/v2/account/details",
            Auth::Bearer,
        )
    },
    Provider {
        headers: &[("notion-version", "2022-06-28")],
        identity: &[
            ("integration", "/name"),
            ("workspace", "/bot/workspace_name"),
        ],
        ..get(
            "notion",
            "Notion",
            "api.notion.com",
            "/v1/users/me",
            Auth::Bearer,
        )
    },
    Provider {
        headers: &[JSON],
        identity: &[("workplace", "/workplace/name"), ("token type", "/type")],
        ..get(
            "doppler",
            "Doppler",
            "api.doppler.com",
            "/v3/me",
            Auth::Bearer,
        )
    },
];

/// The provider a rule's `verify` names.
pub fn find(name: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.name == name)
}
