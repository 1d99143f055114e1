//! Opt-in live verification (`--verify`): a stage after filtering and before reporting
//! that asks each finding's provider, with its least-privileged read-only call, whether
//! the key works.
//!
//! * Without `--verify` (or `[verify] enabled = true` in the user's own config, read
//!   only when there is a finding to verify) nothing here runs: no network call, no file
//!   read, no start-up cost.
//! * A key is only ever sent over TLS (`https_only`) to the host its provider's entry in
//!   [`providers::PROVIDERS`] names, compiled in; a rule only names the provider, and only
//!   a built-in rule may. A repository's `.keyguard.toml` can neither switch this stage on
//!   nor point it anywhere.
//! * Requests run in parallel with a small bound ([`Options::parallel`]), each with a
//!   timeout; each distinct key is asked once per run (results are keyed by fingerprint),
//!   and nothing is written to disk.
//! * `unknown` (timeout, network, rate limit, an answer that cannot be read) is never
//!   reported as dead.
//!
//! The only way to point checks elsewhere is for the test suite: in debug builds,
//! `KEYGUARD_VERIFY_TEST_SERVER=127.0.0.1:PORT` (loopback only) sends every check over
//! plain HTTP to `http://127.0.0.1:PORT/<provider host><path>`. Release builds do not
//! contain that code (see [`test_server`]).

pub mod providers;
pub mod sigv4;
pub mod user_config;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::finding::Finding;
use crate::matcher::Secret;
use providers::{Auth, Judge, Method, Provider};

/// What the provider said about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The key works.
    Live,
    /// The provider refused it: revoked, deleted, expired or never valid.
    Invalid,
    /// No answer that says either (timeout, network, rate limit, unreadable answer).
    Unknown,
    /// keyguard has no read-only check for this kind of key.
    Unsupported,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Invalid => "revoked/invalid",
            Status::Unknown => "unknown",
            Status::Unsupported => "unsupported",
        }
    }
}

/// The result for one finding.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<&'static str>,
    /// What the provider says the key is: account, organization, scopes… when it says.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub identity: BTreeMap<String, String>,
    /// Why, in a few words (`timeout after 5 s`, `HTTP 429 (rate limited)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Verification {
    fn new(status: Status, provider: Option<&'static Provider>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Verification {
            status,
            provider: provider.map(|p| p.label),
            identity: BTreeMap::new(),
            detail: (!detail.is_empty()).then_some(detail),
        }
    }

    /// One line for people: `live (account: octocat, scopes: repo)`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .identity
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        parts.extend(self.detail.clone());
        let by = self.provider.map(|p| format!(" ({p})")).unwrap_or_default();
        if parts.is_empty() {
            format!("{}{by}", self.status.label())
        } else {
            format!("{}{by}: {}", self.status.label(), parts.join(", "))
        }
    }
}

/// How to verify.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Per request.
    pub timeout: Duration,
    /// Requests in flight at once.
    pub parallel: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(5),
            parallel: 4,
        }
    }
}

/// Every verified finding's result, by fingerprint, and what the stage cost.
#[derive(Debug, Clone, Default)]
pub struct Results {
    by_fingerprint: HashMap<String, Arc<Verification>>,
    pub elapsed: Duration,
    pub timeout: Duration,
    /// Requests sent (one per distinct key).
    pub requests: usize,
}

/// Counts for a report's summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub elapsed_ms: u64,
    pub timeout_ms: u64,
    pub requests: usize,
    pub live: usize,
    pub invalid: usize,
    pub unknown: usize,
    pub unsupported: usize,
}

impl Results {
    pub fn get(&self, fingerprint: &str) -> Option<&Verification> {
        self.by_fingerprint.get(fingerprint).map(|v| &**v)
    }

    /// Counts over distinct keys (fingerprints).
    pub fn summary(&self) -> Summary {
        let count = |s: Status| {
            self.by_fingerprint
                .values()
                .filter(|v| v.status == s)
                .count()
        };
        Summary {
            elapsed_ms: self.elapsed.as_millis() as u64,
            timeout_ms: self.timeout.as_millis() as u64,
            requests: self.requests,
            live: count(Status::Live),
            invalid: count(Status::Invalid),
            unknown: count(Status::Unknown),
            unsupported: count(Status::Unsupported),
        }
    }
}

/// What the command line asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request {
    /// `--verify`.
    pub flag: bool,
    /// `--offline`: never, whatever the user's config says.
    pub offline: bool,
    /// `--verify-timeout`, in seconds.
    pub timeout: Option<f64>,
}

/// The verification stage of a scan: `None` when nobody asked for it. The findings listed
/// in the report (allowed ones too with `show_allowed`) are verified. Without `--verify`,
/// the user's config is read only when one of them could be verified, so a clean scan
/// reads nothing and calls nothing.
pub fn stage(
    request: &Request,
    findings: &[Finding],
    show_allowed: bool,
) -> anyhow::Result<Option<Results>> {
    if request.offline {
        return Ok(None);
    }
    let listed = || {
        findings
            .iter()
            .filter(|f| f.allowed.is_none() || show_allowed)
    };
    if !request.flag && !listed().any(|f| f.rule.verify.is_some()) {
        return Ok(None);
    }
    let user = user_config::load()?;
    if !request.flag && !user.verify.enabled {
        return Ok(None);
    }
    let seconds = request.timeout.or(user.verify.timeout).unwrap_or(5.0);
    let options = Options {
        timeout: Duration::from_secs_f64(seconds),
        ..Options::default()
    };
    Ok(Some(verify(listed(), findings, &options)))
}

/// What a check sends: a bearer-style key, or an AWS key pair.
enum Credential {
    Token(Secret),
    Aws { id: Secret, secret: Secret },
}

struct Job {
    provider: &'static Provider,
    credential: Credential,
    /// Findings' fingerprints that share this result.
    fingerprints: Vec<String>,
}

/// Verifies `findings` (each distinct key once) and returns the results by fingerprint.
/// `context` is every finding of the scan, allowed ones included: an AWS secret is checked
/// with the access key id found next to it, even if that id itself is not reported.
pub fn verify<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    context: &[Finding],
    options: &Options,
) -> Results {
    let start = Instant::now();
    let mut results: HashMap<String, Arc<Verification>> = HashMap::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut add_job = |key: String, job: Job, jobs: &mut Vec<Job>| match by_key.get(&key) {
        Some(&i) => jobs[i].fingerprints.extend(job.fingerprints),
        None => {
            by_key.insert(key, jobs.len());
            jobs.push(job);
        }
    };
    for f in findings {
        if results.contains_key(&f.fingerprint)
            || jobs.iter().any(|j| j.fingerprints.contains(&f.fingerprint))
        {
            continue;
        }
        let provider = f.rule.verify.as_deref().and_then(providers::find);
        let Some(provider) = provider else {
            results.insert(
                f.fingerprint.clone(),
                Arc::new(Verification::new(
                    Status::Unsupported,
                    None,
                    "no read-only check for this kind of key",
                )),
            );
            continue;
        };
        if provider.auth != Auth::AwsSigV4 {
            let job = Job {
                provider,
                credential: Credential::Token(f.secret.clone()),
                fingerprints: vec![f.fingerprint.clone()],
            };
            add_job(
                format!("{}\0{}", provider.name, f.fingerprint),
                job,
                &mut jobs,
            );
            continue;
        }
        match aws_pair(f, context) {
            Ok((id, secret)) => {
                if id.secret.expose().starts_with("ASIA") {
                    results.insert(
                        f.fingerprint.clone(),
                        Arc::new(Verification::new(
                            Status::Unsupported,
                            Some(provider),
                            "temporary credentials (ASIA…) need their session token",
                        )),
                    );
                    continue;
                }
                let job = Job {
                    provider,
                    credential: Credential::Aws {
                        id: id.secret.clone(),
                        secret: secret.secret.clone(),
                    },
                    fingerprints: vec![f.fingerprint.clone()],
                };
                let key = format!("aws\0{}\0{}", id.fingerprint, secret.fingerprint);
                add_job(key, job, &mut jobs);
            }
            Err(why) => {
                results.insert(
                    f.fingerprint.clone(),
                    Arc::new(Verification::new(Status::Unsupported, Some(provider), why)),
                );
            }
        }
    }
    let requests = jobs.len();
    let answers = run_jobs(&jobs, options);
    for (job, v) in jobs.iter().zip(answers) {
        let v = Arc::new(v);
        for fp in &job.fingerprints {
            results.entry(fp.clone()).or_insert_with(|| Arc::clone(&v));
        }
    }
    Results {
        by_fingerprint: results,
        elapsed: start.elapsed(),
        timeout: options.timeout,
        requests,
    }
}

fn is_aws_key_id(s: &str) -> bool {
    s.len() == 20
        && ["AKIA", "ASIA", "ABIA", "ACCA"]
            .iter()
            .any(|p| s.starts_with(p))
        && s[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

/// An AWS finding's (key id, secret) pair: the nearest finding of the other half in the
/// same file of the same commit (a key id with the secret below it, as in
/// `~/.aws/credentials`, or on the same line).
fn aws_pair<'a>(
    f: &'a Finding,
    context: &'a [Finding],
) -> Result<(&'a Finding, &'a Finding), &'static str> {
    let same_place = |o: &&Finding| {
        o.file == f.file
            && o.location == f.location
            && o.commit.as_ref().map(|c| &c.id) == f.commit.as_ref().map(|c| &c.id)
            && o.rule.verify.as_deref() == Some("aws")
    };
    let nearest = |want_id: bool| {
        context
            .iter()
            .filter(same_place)
            .filter(|o| is_aws_key_id(o.secret.expose()) == want_id)
            .min_by_key(|o| (o.line.abs_diff(f.line), o.line < f.line))
    };
    if is_aws_key_id(f.secret.expose()) {
        let secret = nearest(false).ok_or(
            "an access key id is checked with its secret access key, which is not next to it",
        )?;
        Ok((f, secret))
    } else {
        let id = nearest(true).ok_or(
            "a secret access key is checked with its access key id, which is not next to it",
        )?;
        Ok((id, f))
    }
}

/// Runs the jobs, at most `options.parallel` at once, and returns their results in order.
fn run_jobs(jobs: &[Job], options: &Options) -> Vec<Verification> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let client = Client::new(options.timeout);
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<Verification>>> = Mutex::new(vec![None; jobs.len()]);
    let workers = options.parallel.clamp(1, 16).min(jobs.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let v = client.check(job);
                if let Ok(mut out) = out.lock() {
                    out[i] = Some(v);
                }
            });
        }
    });
    out.into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            v.unwrap_or_else(|| {
                Verification::new(Status::Unknown, None, "the check did not finish")
            })
        })
        .collect()
}

/// The loopback address the test suite's server listens on: debug builds only, and only
/// a loopback address. In release builds this is a constant `None` and no other path
/// exists: checks go to the compiled-in hosts over TLS, whatever the environment says.
#[cfg(debug_assertions)]
pub fn test_server() -> Option<String> {
    let v = std::env::var("KEYGUARD_VERIFY_TEST_SERVER").ok()?;
    let addr: std::net::SocketAddr = v.parse().ok()?;
    addr.ip().is_loopback().then(|| addr.to_string())
}

/// Release builds: no override of any kind.
#[cfg(not(debug_assertions))]
pub fn test_server() -> Option<String> {
    None
}

/// Where a provider's check goes: `https://<host><path>`; in the test suite's debug
/// builds, the local server (see [`test_server`]).
pub fn url(provider: &Provider, path: &str) -> String {
    match test_server() {
        Some(addr) => format!("http://{addr}/{}{path}", provider.host),
        None => format!("https://{}{path}", provider.host),
    }
}

/// An answer, as much of it as a check reads.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// Why no answer came, in words that hold no part of the request (a URL may hold a key).
fn failure(e: &ureq::Error, timeout: Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("timeout after {:.1} s", timeout.as_secs_f64()),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            format!("timeout after {:.1} s", timeout.as_secs_f64())
        }
        ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
            "network error: provider not reachable".into()
        }
        ureq::Error::Rustls(_) => "TLS error".into(),
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            "the provider answered with a redirect".into()
        }
        ureq::Error::BodyExceedsLimit(_) => "answer too large".into(),
        _ => "unreadable answer".into(),
    }
}

struct Client {
    agent: ureq::Agent,
    timeout: Duration,
}

impl Client {
    fn new(timeout: Duration) -> Client {
        let local = test_server().is_some();
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            // A redirect could carry the key's header to another host: never follow one.
            .max_redirects(0)
            .https_only(!local)
            .user_agent(concat!("keyguard/", env!("CARGO_PKG_VERSION")));
        if local {
            config = config.proxy(None);
        }
        Client {
            agent: config.build().into(),
            timeout,
        }
    }

    fn check(&self, job: &Job) -> Verification {
        let p = job.provider;
        match self.send(job) {
            Ok(answer) => judge(p, &answer, &job.credential),
            Err(why) => Verification::new(Status::Unknown, Some(p), why),
        }
    }

    fn send(&self, job: &Job) -> Result<Answer, String> {
        let p = job.provider;
        let mut headers: Vec<(String, String)> = p
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut path = p.path.to_string();
        let body = p.body.unwrap_or("").as_bytes();
        match (&job.credential, p.auth) {
            (Credential::Token(k), Auth::Bearer) => {
                headers.push(("authorization".into(), format!("Bearer {}", k.expose())))
            }
            (Credential::Token(k), Auth::Scheme(s)) => {
                headers.push(("authorization".into(), format!("{s} {}", k.expose())))
            }
            (Credential::Token(k), Auth::Header(h)) => {
                headers.push((h.to_string(), k.expose().to_string()))
            }
            (Credential::Token(k), Auth::BasicUser) => {
                use base64::Engine;
                let b =
                    base64::engine::general_purpose::STANDARD.encode(format!("{}:", k.expose()));
                headers.push(("authorization".into(), format!("Basic {b}")));
            }
            (Credential::Token(k), Auth::InPath) => {
                // Only a key of path-safe characters goes into a path.
                if !k
                    .expose()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_:".contains(&b))
                {
                    return Err("the key holds characters a URL path cannot".into());
                }
                path = path.replace("{key}", k.expose());
            }
            (Credential::Aws { id, secret }, Auth::AwsSigV4) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let date = sigv4::amz_date(now);
                let signed: Vec<(&str, &str)> = p.headers.to_vec();
                let auth = sigv4::authorization(
                    &sigv4::ToSign {
                        method: "POST",
                        host: p.host,
                        path: "/",
                        query: "",
                        headers: &signed,
                        body,
                        region: "us-east-1",
                        service: "sts",
                        amz_date: &date,
                    },
                    id.expose(),
                    secret.expose(),
                );
                headers.push(("x-amz-date".into(), date));
                headers.push(("authorization".into(), auth));
            }
            _ => return Err("no way to send this key".into()),
        }
        let url = url(p, &path);
        let result = match p.method {
            Method::Get => {
                let mut r = self.agent.get(&url);
                for (k, v) in &headers {
                    r = r.header(k, v);
                }
                r.call()
            }
            Method::Post => {
                let mut r = self.agent.post(&url);
                for (k, v) in &headers {
                    r = r.header(k, v);
                }
                r.send(body)
            }
        };
        let mut response = result.map_err(|e| failure(&e, self.timeout))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().ok()?.to_string(),
                ))
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(256 * 1024)
            .read_to_string()
            .map_err(|e| failure(&e, self.timeout))?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// Slack's `error` values that mean the token does not work.
const SLACK_DEAD: &[&str] = &[
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "no_permission",
    "org_login_required",
];

/// Reads an answer into a result.
fn judge(p: &'static Provider, a: &Answer, cred: &Credential) -> Verification {
    let unknown = |why: String| Verification::new(Status::Unknown, Some(p), why);
    if a.status == 429 {
        return unknown("rate limited (HTTP 429)".into());
    }
    if a.status >= 500 {
        return unknown(format!("provider error (HTTP {})", a.status));
    }
    let json: Option<serde_json::Value> = serde_json::from_str(&a.body).ok();
    let invalid = |detail: &str| {
        let detail = match p.invalid_note {
            Some(note) if detail.is_empty() => note.to_string(),
            Some(note) => format!("{detail}; {note}"),
            None => detail.to_string(),
        };
        Verification::new(Status::Invalid, Some(p), detail)
    };
    let mut v = match p.judge {
        Judge::Status => {
            if p.invalid.contains(&a.status) {
                return invalid(&format!("HTTP {}", a.status));
            }
            if !p.live.contains(&a.status) {
                return unknown(format!("unexpected answer (HTTP {})", a.status));
            }
            if (200..300).contains(&a.status) && json.is_none() {
                return unknown(format!("unreadable answer (HTTP {}, not JSON)", a.status));
            }
            let detail = if a.status == 403 {
                "accepted, but not allowed this call (a restricted key)"
            } else {
                ""
            };
            Verification::new(Status::Live, Some(p), detail)
        }
        Judge::SlackOk => {
            let Some(j) = json.as_ref().filter(|_| a.status == 200) else {
                return unknown(format!("unreadable answer (HTTP {})", a.status));
            };
            match (j["ok"].as_bool(), j["error"].as_str()) {
                (Some(true), _) => Verification::new(Status::Live, Some(p), ""),
                (Some(false), Some(e)) if SLACK_DEAD.contains(&e) => return invalid(&clip(e)),
                (Some(false), Some(e)) => return unknown(clip(e)),
                _ => return unknown("unreadable answer".into()),
            }
        }
        Judge::GoogleKey => {
            let bad = ["API_KEY_INVALID", "API key not valid", "API_KEY_EXPIRED"];
            if matches!(a.status, 400 | 401 | 403) && bad.iter().any(|b| a.body.contains(b)) {
                return invalid(&format!("HTTP {}", a.status));
            }
            match a.status {
                200 if json.is_some() => Verification::new(Status::Live, Some(p), ""),
                403 if json.is_some() => Verification::new(
                    Status::Live,
                    Some(p),
                    "the key exists but may not call the Gemini API (restricted, or the API is not enabled)",
                ),
                s => return unknown(format!("unexpected answer (HTTP {s})")),
            }
        }
        Judge::AwsSts => {
            let code = xml_text(&a.body, "Code");
            match (a.status, code.as_deref()) {
                (200, _) if xml_text(&a.body, "Arn").is_some() => {
                    let mut v = Verification::new(Status::Live, Some(p), "");
                    for (label, tag) in [
                        ("arn", "Arn"),
                        ("account", "Account"),
                        ("user id", "UserId"),
                    ] {
                        if let Some(t) = xml_text(&a.body, tag) {
                            v.identity.insert(label.into(), clip(&t));
                        }
                    }
                    v
                }
                (_, Some("InvalidClientTokenId")) => {
                    return invalid("unknown or deleted access key id")
                }
                (_, Some("SignatureDoesNotMatch")) => {
                    return invalid("the secret does not match the access key id")
                }
                (_, Some("ExpiredToken")) => return invalid("expired"),
                (s, _) => return unknown(format!("unexpected answer (HTTP {s})")),
            }
        }
    };
    let secret = match cred {
        Credential::Token(k) => k.expose(),
        Credential::Aws { secret, .. } => secret.expose(),
    };
    if let Some(j) = &json {
        for (label, pointer) in p.identity {
            if let Some(text) = j.pointer(pointer).and_then(value_text) {
                v.identity.insert(label.to_string(), text);
            }
        }
    }
    for (label, header) in p.identity_headers {
        if let Some((_, value)) = a.headers.iter().find(|(k, _)| k == header) {
            if !value.trim().is_empty() {
                v.identity.insert(label.to_string(), clip(value.trim()));
            }
        }
    }
    // Whatever the answer says, it must not put the key (or a long piece of it) in a report.
    v.identity.retain(|_, text| !shares_run(text, secret, 12));
    v
}

/// A JSON value as short text: strings as they are, numbers and booleans written out,
/// arrays of those joined (at most 12 items).
fn value_text(v: &serde_json::Value) -> Option<String> {
    let one = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match v {
        serde_json::Value::Array(items) => {
            let texts: Vec<String> = items.iter().filter_map(one).collect();
            if texts.is_empty() {
                return None;
            }
            let mut s = texts.iter().take(12).cloned().collect::<Vec<_>>().join(" ");
            if texts.len() > 12 {
                s.push_str(&format!(" … ({} in all)", texts.len()));
            }
            Some(clip(&s))
        }
        v => one(v).map(|s| clip(&s)),
    }
}

/// At most 160 characters, control characters dropped.
fn clip(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= 160 {
        return clean;
    }
    let mut out: String = clean.chars().take(159).collect();
    out.push('…');
    out
}

/// Whether `text` holds `n` characters of `secret` in a row.
fn shares_run(text: &str, secret: &str, n: usize) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < n {
        return !secret.is_empty() && text.contains(secret);
    }
    chars
        .windows(n)
        .any(|w| text.contains(&w.iter().collect::<String>()))
}

/// The text of the first `<tag>…</tag>` in an XML answer.
fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_verify_names_a_provider_and_hosts_are_fixed() {
        for r in crate::matcher::builtin().unwrap() {
            if let Some(name) = &r.verify {
                assert!(
                    providers::find(name).is_some(),
                    "rule {}: unknown verify {name:?}",
                    r.id
                );
            }
        }
        for p in providers::PROVIDERS {
            assert!(
                p.host
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b)),
                "{}: a host name, nothing else",
                p.name
            );
            assert!(p.path.starts_with('/'), "{}", p.name);
            assert_eq!(
                providers::PROVIDERS
                    .iter()
                    .filter(|q| q.name == p.name)
                    .count(),
                1
            );
        }
    }

    #[test]
    fn the_override_is_loopback_only_and_absent_from_release_builds() {
        let p = providers::find("github").unwrap();
        std::env::set_var("KEYGUARD_VERIFY_TEST_SERVER", "10.1.2.3:80");
        assert_eq!(url(p, "/user"), "https://api.github.com/user");
        std::env::set_var("KEYGUARD_VERIFY_TEST_SERVER", "127.0.0.1:9");
        if cfg!(debug_assertions) {
            assert_eq!(url(p, "/user"), "http://127.0.0.1:9/api.github.com/user");
        } else {
            // A release build has no override: the variable changes nothing.
            assert_eq!(url(p, "/user"), "https://api.github.com/user");
        }
        std::env::remove_var("KEYGUARD_VERIFY_TEST_SERVER");
        assert_eq!(url(p, "/user"), "https://api.github.com/user");
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: vec![("x-oauth-scopes".into(), "repo, gist".into())],
            body: body.into(),
        }
    }

    #[test]
    fn answers_are_read_per_provider() {
        let k = Credential::Token(Secret::new(
            "ghp_notarealkeyatall0000000000000000000".into(),
        ));
        let gh = providers::find("github").unwrap();
        let v = judge(gh, &answer(200, r#"{"login":"octo","type":"User"}"#), &k);
        assert_eq!(v.status, Status::Live);
        assert_eq!(v.identity["account"], "octo");
        assert_eq!(v.identity["scopes"], "repo, gist");
        assert_eq!(judge(gh, &answer(401, "{}"), &k).status, Status::Invalid);
        assert_eq!(judge(gh, &answer(429, ""), &k).status, Status::Unknown);
        assert_eq!(judge(gh, &answer(403, "{}"), &k).status, Status::Unknown);
        assert_eq!(
            judge(gh, &answer(200, "<html>"), &k).status,
            Status::Unknown
        );
        assert_eq!(judge(gh, &answer(503, ""), &k).status, Status::Unknown);
        let slack = providers::find("slack").unwrap();
        assert_eq!(
            judge(
                slack,
                &answer(200, r#"{"ok":false,"error":"token_revoked"}"#),
                &k
            )
            .status,
            Status::Invalid
        );
        assert_eq!(
            judge(
                slack,
                &answer(200, r#"{"ok":false,"error":"ratelimited"}"#),
                &k
            )
            .status,
            Status::Unknown
        );
        let aws = providers::find("aws").unwrap();
        let body =
            "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>";
        assert_eq!(judge(aws, &answer(403, body), &k).status, Status::Invalid);
        let google = providers::find("google-api-key").unwrap();
        let body = r#"{"error":{"code":400,"status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#;
        assert_eq!(
            judge(google, &answer(400, body), &k).status,
            Status::Invalid
        );
        assert_eq!(judge(google, &answer(403, "{}"), &k).status, Status::Live);
        // An answer that echoes the key does not bring it into the report.
        let v = judge(
            gh,
            &answer(200, r#"{"login":"ghp_notarealkeyatall000"}"#),
            &k,
        );
        assert!(!v.identity.contains_key("account"));
    }
}
