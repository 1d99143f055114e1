//! A real local HTTP server that answers like the providers `--verify` asks (debug builds
//! of keyguard send every check to it when `KEYGUARD_VERIFY_TEST_SERVER` names it). It
//! listens on 127.0.0.1 only, reads each request for real, finds the key where the
//! provider expects it (Authorization, x-api-key, the path…), and answers per key:
//! live, revoked, rate-limited, slow, or garbage that is not HTTP at all.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    Live,
    Revoked,
    RateLimited,
    /// Answers after 3 s (beyond the tests' 1 s timeout).
    Slow,
    /// Bytes that are not HTTP.
    Garbage,
    /// HTTP 200 whose body is not what the provider sends (HTML).
    Html,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub host: String,
    pub path: String,
    pub method: String,
    /// The key found where the provider reads it (the access key id for AWS).
    pub credential: Option<String>,
    pub headers: Vec<(String, String)>,
}

#[derive(Clone)]
pub struct Server {
    pub addr: String,
    behaviors: Arc<Mutex<HashMap<String, Behavior>>>,
    default: Arc<Mutex<Behavior>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let server = Server {
            addr: listener.local_addr().expect("addr").to_string(),
            behaviors: Arc::default(),
            default: Arc::new(Mutex::new(Behavior::Live)),
            seen: Arc::default(),
        };
        let s = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || s.handle(stream));
            }
        });
        server
    }

    /// How to answer requests carrying `key` (exactly, as sent).
    pub fn set(&self, key: &str, b: Behavior) {
        self.behaviors.lock().unwrap().insert(key.to_string(), b);
    }

    /// How to answer any other key.
    pub fn set_default(&self, b: Behavior) {
        *self.default.lock().unwrap() = b;
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }

    fn handle(&self, stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        let _ = reader.read_exact(&mut body);
        let rest = target.trim_start_matches('/');
        let (host, path) = match rest.find('/') {
            Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
            None => (rest.to_string(), "/".to_string()),
        };
        let credential = credential(&host, &path, &headers);
        self.seen.lock().unwrap().push(Seen {
            host: host.clone(),
            path: path.clone(),
            method: method.clone(),
            credential: credential.clone(),
            headers: headers.clone(),
        });
        let behavior = credential
            .as_ref()
            .and_then(|c| self.behaviors.lock().unwrap().get(c).copied())
            .unwrap_or(*self.default.lock().unwrap());
        let mut stream = stream;
        let (status, extra, body) = match behavior {
            Behavior::Garbage => {
                let _ = stream.write_all(b"\x00\x01\x02 not http at all \xff\r\n\r\n");
                return;
            }
            Behavior::Slow => {
                std::thread::sleep(Duration::from_secs(3));
                live(&host, &path)
            }
            Behavior::Live => live(&host, &path),
            Behavior::Revoked => revoked(&host),
            Behavior::RateLimited => (429, vec![], r#"{"error":"rate limited"}"#.to_string()),
            Behavior::Html => (
                200,
                vec![],
                "<html><body>Welcome to the hotel wifi</body></html>".to_string(),
            ),
        };
        let mut head = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
            body.len()
        );
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body.as_bytes());
    }
}

/// Where each provider reads its key.
fn credential(host: &str, path: &str, headers: &[(String, String)]) -> Option<String> {
    let h = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if host == "api.telegram.org" {
        return path
            .strip_prefix("/bot")
            .and_then(|p| p.split('/').next())
            .map(str::to_string);
    }
    for name in ["x-api-key", "private-token", "x-goog-api-key"] {
        if let Some(v) = h(name) {
            return Some(v);
        }
    }
    let auth = h("authorization")?;
    if let Some(rest) = auth.strip_prefix("AWS4-HMAC-SHA256 Credential=") {
        return rest.split('/').next().map(str::to_string);
    }
    if let Some(b) = auth.strip_prefix("Basic ") {
        let raw = base64::engine::general_purpose::STANDARD.decode(b).ok()?;
        let text = String::from_utf8(raw).ok()?;
        return Some(text.trim_end_matches(':').to_string());
    }
    auth.split_once(' ').map(|(_, k)| k.to_string())
}

type Answer = (u16, Vec<(&'static str, &'static str)>, String);

fn live(host: &str, path: &str) -> Answer {
    let json = |b: &str| b.to_string();
    match host {
        "api.openai.com" => (200, vec![("openai-organization", "org-test")], json(r#"{"object":"list","data":[]}"#)),
        "api.anthropic.com" if path.contains("organizations") => {
            (200, vec![], json(r#"{"id":"org-1","name":"Acme","type":"organization"}"#))
        }
        "api.anthropic.com" => (200, vec![("anthropic-organization-id", "org-1")], json(r#"{"data":[]}"#)),
        "api.github.com" if path.starts_with("/installation") => (200, vec![], json(r#"{"total_count":3}"#)),
        "api.github.com" => (200, vec![("x-oauth-scopes", "repo, gist")], json(r#"{"login":"octo-test","type":"User"}"#)),
        "gitlab.com" => (200, vec![], json(r#"{"name":"ci","scopes":["read_api","read_user"],"user_id":7}"#)),
        "slack.com" => (200, vec![("x-oauth-scopes", "chat:write")], json(r#"{"ok":true,"team":"Acme","user":"deploy-bot","url":"https://acme.slack.com/"}"#)),
        "api.stripe.com" => (200, vec![], json(r#"{"id":"acct_1Test","settings":{"dashboard":{"display_name":"Acme"}}}"#)),
        "sts.amazonaws.com" => (
            200,
            vec![],
            "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn><UserId>AIDAEXAMPLEUSERID</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>".to_string(),
        ),
        "huggingface.co" => (200, vec![], json(r#"{"name":"hf-user","auth":{"accessToken":{"displayName":"ci","role":"read"}}}"#)),
        "api.sendgrid.com" => (200, vec![], json(r#"{"scopes":["mail.send"]}"#)),
        "api.telegram.org" => (200, vec![], json(r#"{"ok":true,"result":{"username":"acme_bot"}}"#)),
        _ => (200, vec![], json(r#"{"username":"someone","name":"someone"}"#)),
    }
}

fn revoked(host: &str) -> Answer {
    match host {
        "slack.com" => (200, vec![], r#"{"ok":false,"error":"token_revoked"}"#.to_string()),
        "sts.amazonaws.com" => (
            403,
            vec![],
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>".to_string(),
        ),
        "generativelanguage.googleapis.com" => (
            400,
            vec![],
            r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#.to_string(),
        ),
        _ => (401, vec![], r#"{"error":"invalid key"}"#.to_string()),
    }
}
