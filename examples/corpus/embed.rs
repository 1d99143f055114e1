//! Embeddings: the realistic files a credential is planted in, and where it lands.
//!
//! An embedding is a file template with the marker `«S»` where the credential goes and a
//! few other markers (`«U»` the vendor's variable name in UPPER_SNAKE, `«s»` snake_case,
//! `«c»` camelCase, `«P»` PascalCase, `«d»` dotted, `«slug»` the vendor in lower case,
//! `«Prov»` the vendor as an identifier, `«proj»` a project name, `«file»` the key's file
//! name, `«date»`, `«cert»`) plus how the value is written there (raw, JSON-escaped,
//! indented as a YAML block, one JSON string per line as in a notebook). Rendering
//! records the exact line span of every planted credential, which is what scoring
//! compares keyguard's findings with.
//!
//! An embedding that puts the variable name on the value's line (`names_var`) can hold
//! any credential; the others (Authorization headers, notebook outputs, nested YAML)
//! only hold formatted credentials, since nothing else could recognise a context-only
//! value there.

use keyguard::matcher::template::Rng;

use crate::creds::{self, Class, CredType, Embeds, Shape, Usage};

/// How the value is written at the marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    Raw,
    /// Inside a JSON (or C-like) double-quoted string: `\n`, `"` and `\` escaped.
    Json,
    /// Lines after the first indented by this many spaces (YAML block scalars, heredocs).
    Indent(usize),
    /// One JSON string per line, as notebook cells store source: each line ends with
    /// `\n",` and the next starts on a new line, indented, with `"`.
    PerLineJson(usize),
    /// A pretty JSON document written on one line.
    Minify,
}

/// One file template.
pub struct Embedding {
    pub name: &'static str,
    pub shape: Shape,
    /// The variable name (or vendor) is on the same line as the value.
    pub names_var: bool,
    /// Only for credentials used this way (empty: any use).
    pub usages: &'static [Usage],
    /// Only for types that ask for it by name (`Embeds::AllPlus`, `Embeds::Only`).
    pub special: bool,
    pub crlf: bool,
    pub path: &'static str,
    pub text: &'static str,
    pub transform: Transform,
}

const BEARER: &[Usage] = &[Usage::Bearer, Usage::Vcs];
const NOT_URL: &[Usage] = &[Usage::Bearer, Usage::Vcs, Usage::Plain];
const URL: &[Usage] = &[Usage::Url];
const VCS: &[Usage] = &[Usage::Vcs];

const fn line(
    name: &'static str,
    names_var: bool,
    path: &'static str,
    text: &'static str,
) -> Embedding {
    Embedding {
        name,
        shape: Shape::Line,
        names_var,
        usages: &[],
        special: false,
        crlf: false,
        path,
        text,
        transform: Transform::Raw,
    }
}

const fn block(
    name: &'static str,
    path: &'static str,
    text: &'static str,
    transform: Transform,
) -> Embedding {
    Embedding {
        name,
        shape: Shape::Block,
        names_var: true,
        usages: &[],
        special: false,
        crlf: false,
        path,
        text,
        transform,
    }
}

const fn doc(
    name: &'static str,
    path: &'static str,
    text: &'static str,
    transform: Transform,
) -> Embedding {
    Embedding {
        shape: Shape::Document,
        ..block(name, path, text, transform)
    }
}

const fn usages(mut e: Embedding, u: &'static [Usage]) -> Embedding {
    e.usages = u;
    e
}

const fn crlf(mut e: Embedding) -> Embedding {
    e.crlf = true;
    e
}

const fn special(mut e: Embedding) -> Embedding {
    e.special = true;
    e
}

const fn json(mut e: Embedding) -> Embedding {
    e.transform = Transform::Json;
    e
}

/// Every embedding of the corpus.
pub static EMBEDDINGS: &[Embedding] = &[
    // ---- single-line values: code in a dozen languages ----
    line("python-assign", true, "«proj»/settings.py", "\"\"\"Runtime settings for «proj».\"\"\"\nimport os\n\nDEBUG = os.getenv(\"DEBUG\", \"0\") == \"1\"\nREQUEST_TIMEOUT = 30\n«U» = \"«S»\"\nALLOWED_HOSTS = [\"localhost\", \"«proj».internal\"]\n"),
    line("python-client", true, "«proj»/clients/«slug»_client.py", "import logging\n\nfrom «slug» import «Prov»Client\n\nlog = logging.getLogger(__name__)\nclient = «Prov»Client(«s»=\"«S»\", timeout=30)\n\n\ndef ping() -> bool:\n    log.debug(\"pinging «slug»\")\n    return client.ping()\n"),
    line("js-const", true, "«proj»/src/config.js", "'use strict';\n\nconst path = require('path');\n\nconst «c» = '«S»';\n\nmodule.exports = {\n  «c»,\n  root: path.resolve(__dirname, '..'),\n};\n"),
    line("ts-object", true, "«proj»/src/settings.ts", "export const settings = {\n  baseUrl: \"https://api.«slug».com\",\n  «c»: \"«S»\",\n  retries: 3,\n} as const;\n\nexport type Settings = typeof settings;\n"),
    line("go-const", true, "«proj»/internal/«slug»/client.go", "package «slug»\n\nimport (\n\t\"net/http\"\n\t\"time\"\n)\n\nconst «c» = \"«S»\"\n\nvar httpClient = &http.Client{Timeout: 10 * time.Second}\n"),
    line("go-setenv", true, "«proj»/cmd/server/main_test.go", "package main\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\nfunc TestMain(m *testing.M) {\n\tos.Setenv(\"«U»\", \"«S»\")\n\tos.Exit(m.Run())\n}\n"),
    line("java-constant", true, "«proj»/src/main/java/com/acme/«P»Config.java", "package com.acme;\n\npublic final class «P»Config {\n    private static final String «U» = \"«S»\";\n\n    private «P»Config() {}\n\n    public static String value() {\n        return «U»;\n    }\n}\n"),
    crlf(line("csharp-const", true, "«proj»/src/Acme.Api/«P»Options.cs", "namespace Acme.Api\n{\n    public static class «P»Options\n    {\n        public const string «P» = \"«S»\";\n    }\n}\n")),
    crlf(line("xml-appsettings", true, "«proj»/Web.config", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <appSettings>\n    <add key=\"Environment\" value=\"Production\" />\n    <add key=\"«P»\" value=\"«S»\" />\n  </appSettings>\n</configuration>\n")),
    line("ruby-env", true, "«proj»/config/initializers/«slug».rb", "# frozen_string_literal: true\n\nENV[\"«U»\"] ||= \"«S»\"\n\nRails.application.config.x.«slug».timeout = 15\n"),
    line("php-define", true, "«proj»/config/«slug».php", "<?php\n\ndeclare(strict_types=1);\n\ndefine('«U»', '«S»');\n\nreturn [\n    'timeout' => 30,\n];\n"),
    line("rust-const", true, "«proj»/src/«slug».rs", "//! Client for the «slug» API.\n\npub const «U»: &str = \"«S»\";\n\npub fn endpoint() -> &'static str {\n    \"https://api.«slug».com\"\n}\n"),
    line("kotlin-val", true, "«proj»/app/src/main/kotlin/com/acme/Secrets.kt", "package com.acme\n\nobject Secrets {\n    const val «U» = \"«S»\"\n    const val TIMEOUT_MS = 10_000\n}\n"),
    line("swift-let", true, "«proj»/Sources/App/Secrets.swift", "import Foundation\n\nenum Secrets {\n    static let «c» = \"«S»\"\n    static let timeout: TimeInterval = 10\n}\n"),
    line("c-define", true, "«proj»/src/secrets.h", "#ifndef SECRETS_H\n#define SECRETS_H\n\n#define «U» \"«S»\"\n\n#endif /* SECRETS_H */\n"),
    // ---- shells and scripts ----
    line("shell-export", true, "«proj»/scripts/deploy.sh", "#!/usr/bin/env bash\nset -euo pipefail\n\nexport «U»=\"«S»\"\n./bin/deploy --env production \"$@\"\n"),
    crlf(line("powershell", true, "«proj»/scripts/setup.ps1", "$ErrorActionPreference = \"Stop\"\n\n$env:«U» = \"«S»\"\n& .\\bin\\deploy.exe --env production\n")),
    crlf(line("batch", true, "«proj»/scripts/run.cmd", "@echo off\nsetlocal\nset «U»=«S»\ncall bin\\worker.exe %*\n")),
    line("makefile", true, "«proj»/Makefile", ".PHONY: deploy\n\nexport «U» ?= «S»\n\ndeploy:\n\t./scripts/deploy.sh\n"),
    // ---- configuration files ----
    line("dotenv", true, "«proj»/.env", "NODE_ENV=production\nPORT=8080\n«U»=«S»\nLOG_LEVEL=info\n"),
    line("dotenv-quoted", true, "«proj»/.env.production", "# production settings\nAPP_URL=https://«proj».example.com\n«U»=\"«S»\"\n"),
    line("yaml-flat", true, "«proj»/config/app.yml", "app:\n  name: «proj»\n«s»: \"«S»\"\nfeature_flags:\n  beta: false\n"),
    line("yaml-nested", false, "«proj»/config/services.yml", "«slug»:\n  endpoint: https://api.«slug».com\n  api_key: «S»\n  timeout: 10\n"),
    line("k8s-secret", true, "«proj»/deploy/k8s/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: «proj»-env\n  namespace: prod\ntype: Opaque\nstringData:\n  «U»: \"«S»\"\n"),
    line("compose-env", true, "«proj»/docker-compose.yml", "services:\n  app:\n    image: ghcr.io/acme/«proj»:latest\n    environment:\n      - NODE_ENV=production\n      - «U»=«S»\n    ports:\n      - \"8080:8080\"\n"),
    line("gha-env", true, "«proj»/.github/workflows/deploy.yml", "name: deploy\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n      «U»: «S»\n    steps:\n      - uses: actions/checkout@v4\n      - run: ./scripts/deploy.sh\n"),
    line("json-config", true, "«proj»/config/production.json", "{\n  \"name\": \"«proj»\",\n  \"«c»\": \"«S»\",\n  \"timeout\": 30\n}\n"),
    line("toml-config", true, "«proj»/config.toml", "[server]\nport = 8080\n\n[«slug»]\n«s» = \"«S»\"\n"),
    line("properties", true, "«proj»/src/main/resources/application.properties", "server.port=8080\nspring.application.name=«proj»\n«d»=«S»\n"),
    line("ini", true, "«proj»/settings.ini", "[DEFAULT]\ndebug = false\n\n[«slug»]\n«s» = «S»\n"),
    line("terraform-tfvars", true, "«proj»/infra/terraform.tfvars", "region      = \"eu-west-1\"\nenvironment = \"prod\"\n«s» = \"«S»\"\n"),
    line("terraform-provider", false, "«proj»/infra/providers.tf", "terraform {\n  required_version = \">= 1.5\"\n}\n\nprovider \"«slug»\" {\n  token = \"«S»\"\n}\n"),
    line("dockerfile-env", true, "«proj»/Dockerfile", "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nENV «U»=«S»\nRUN pip install -r requirements.txt\nCMD [\"python\", \"-m\", \"«proj»\"]\n"),
    line("dockerfile-arg", true, "«proj»/build/Dockerfile", "FROM node:20-alpine AS build\nARG «U»=«S»\nWORKDIR /src\nCOPY package*.json ./\nRUN npm ci\n"),
    // ---- notebooks ----
    json(line("jupyter-cell", true, "«proj»/notebooks/explore.ipynb", concat!(
        "{\n \"cells\": [\n  {\n   \"cell_type\": \"markdown\",\n   \"metadata\": {},\n   \"source\": [\n    \"# Exploring the «slug» API\"\n   ]\n  },\n",
        "  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 1,\n   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\n",
        "    \"import os\\n\",\n    \"\\n\",\n    \"os.environ[\\\"«U»\\\"] = \\\"«S»\\\"\\n\",\n    \"client = «Prov»Client()\"\n   ]\n  }\n ],\n",
        " \"metadata\": {\n  \"kernelspec\": {\n   \"display_name\": \"Python 3\",\n   \"language\": \"python\",\n   \"name\": \"python3\"\n  }\n },\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n"))),
    json(line("jupyter-output", false, "«proj»/notebooks/debug.ipynb", concat!(
        "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 2,\n   \"metadata\": {},\n   \"outputs\": [\n    {\n     \"data\": {\n      \"text/plain\": [\n",
        "       \"'«S»'\"\n      ]\n     },\n     \"execution_count\": 2,\n     \"metadata\": {},\n     \"output_type\": \"execute_result\"\n    }\n   ],\n",
        "   \"source\": [\n    \"os.environ[\\\"«U»\\\"]\"\n   ]\n  }\n ],\n \"metadata\": {},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n"))),
    // ---- headers, logs, docs, URLs ----
    usages(line("markdown-curl", false, "«proj»/docs/«slug».md", "# Calling the «slug» API\n\nList the models:\n\n```bash\ncurl https://api.«slug».com/v1/models \\\n  -H \"Authorization: Bearer «S»\" \\\n  -H \"Content-Type: application/json\"\n```\n"), BEARER),
    usages(line("http-log", false, "«proj»/logs/requests.log", "«date» INFO  starting worker pid=4121\n«date» DEBUG > GET /v1/status HTTP/1.1\n«date» DEBUG > Host: api.«slug».com\n«date» DEBUG > Authorization: Bearer «S»\n«date» DEBUG < HTTP/1.1 200 OK\n"), BEARER),
    usages(line("url-query", false, "«proj»/scripts/fetch_status.py", "import requests\n\nresp = requests.get(\"https://api.«slug».com/v1/status?api_key=«S»&verbose=1\", timeout=10)\nresp.raise_for_status()\n"), BEARER),
    usages(line("js-fetch", false, "«proj»/web/src/api.js", "export async function listItems() {\n  const res = await fetch(\"https://api.«slug».com/v1/items\", {\n    headers: { Authorization: \"Bearer «S»\" },\n  });\n  return res.json();\n}\n"), BEARER),
    usages(line("git-url", false, "«proj»/scripts/clone.sh", "#!/bin/sh\nset -e\ngit clone https://oauth2:«S»@«slug».com/acme/«proj».git vendor/«proj»\n"), VCS),
    usages(line("url-python", false, "«proj»/notify.py", "import requests\n\n\ndef notify(payload):\n    requests.post(\"«S»\", json=payload, timeout=10)\n"), URL),
    usages(line("url-curl-doc", false, "«proj»/docs/ops.md", "# Operations\n\nTrigger it by hand:\n\n    curl -X POST -H 'Content-Type: application/json' --data '{\"text\":\"deploy done\"}' «S»\n"), URL),
    usages(line("dotenv-crlf", true, "«proj»/win/.env", "APP_ENV=production\n«U»=«S»\n"), NOT_URL),
    // ---- special embeddings (asked for by name) ----
    special(line("npmrc", true, "«proj»/.npmrc", "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=«S»\nalways-auth=true\n")),
    special(line("pypirc", true, "«proj»/.pypirc", "[distutils]\nindex-servers =\n    pypi\n\n[pypi]\nusername = __token__\npassword = «S»\n")),
    special(line("twilio-env", true, "«proj»/.env.local", "TWILIO_ACCOUNT_SID=AC«hex32»\nTWILIO_AUTH_TOKEN=«S»\nTWILIO_FROM=+15005550006\n")),
    special(line("kubeconfig", true, "«proj»/deploy/kubeconfig.yaml", "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: «cert»\n    server: https://10.20.0.1:6443\n  name: «proj»-prod\ncontexts:\n- context:\n    cluster: «proj»-prod\n    user: «proj»-admin\n  name: «proj»-prod\ncurrent-context: «proj»-prod\nusers:\n- name: «proj»-admin\n  user:\n    client-certificate-data: «cert»\n    client-key-data: «S»\n")),
    special(line("docker-config", true, "«proj»/.docker/config.json", "{\n  \"auths\": {\n    \"ghcr.io\": {\n      \"auth\": \"«S»\"\n    }\n  }\n}\n")),
    special(line("basic-header-log", false, "«proj»/logs/proxy-debug.log", "«date» DEBUG upstream request\n«date» DEBUG > POST /api/v2/orders HTTP/1.1\n«date» DEBUG > Authorization: Basic «S»\n«date» DEBUG < HTTP/1.1 201 Created\n")),
    special(line("basic-header-code", false, "«proj»/client/http.py", "import requests\n\nHEADERS = {\"Authorization\": \"Basic «S»\", \"Accept\": \"application/json\"}\n\n\ndef get(url):\n    return requests.get(url, headers=HEADERS, timeout=10)\n")),
    special(line("basic-header-curl", false, "«proj»/docs/api.md", "# API\n\n```bash\ncurl -H 'Authorization: Basic «S»' https://api.internal.example.net/v2/orders\n```\n")),
    // ---- multi-line blocks (private keys) ----
    block("raw-file", "«proj»/deploy/keys/«file»", "«S»\n", Transform::Raw),
    crlf(block("raw-file-crlf", "«proj»/win/keys/«file»", "«S»\n", Transform::Raw)),
    block("yaml-block", "«proj»/deploy/k8s/tls-secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: «proj»-tls\ntype: Opaque\nstringData:\n  «file»: |\n    «S»\n", Transform::Indent(4)),
    block("ansible-block", "«proj»/group_vars/prod.yml", "deploy_user: deploy\ndeploy_key: |\n  «S»\nreload_nginx: true\n", Transform::Indent(2)),
    block("json-escaped", "«proj»/config/signing.json", "{\n  \"name\": \"«proj»-signer\",\n  \"private_key\": \"«S»\\n\",\n  \"algorithm\": \"RS256\"\n}\n", Transform::Json),
    block("dotenv-escaped", "«proj»/.env.signing", "SIGNING_KEY_ID=«hex32»\nPRIVATE_KEY=\"«S»\\n\"\n", Transform::Json),
    block("terraform-heredoc", "«proj»/infra/keys.tf", "resource \"tls_locally_signed_cert\" \"app\" {\n  ca_private_key_pem = <<-EOT\n    «S»\n  EOT\n  validity_period_hours = 8760\n}\n", Transform::Indent(4)),
    block("python-triple", "«proj»/tests/fixtures/keys.py", "\"\"\"Key material for the signing tests.\"\"\"\n\nPRIVATE_KEY = \"\"\"«S»\n\"\"\"\n", Transform::Raw),
    block("shell-heredoc", "«proj»/scripts/bootstrap.sh", "#!/usr/bin/env bash\nmkdir -p ~/.ssh\ncat > ~/.ssh/«file» <<'EOF'\n«S»\nEOF\nchmod 600 ~/.ssh/«file»\n", Transform::Raw),
    block("markdown-block", "«proj»/docs/deploy-key.md", "# Deploy key\n\nThe CI deploy key (do not share):\n\n```\n«S»\n```\n", Transform::Raw),
    block("go-raw-string", "«proj»/internal/auth/key.go", "package auth\n\nconst signingKey = `«S»\n`\n", Transform::Raw),
    block("js-template", "«proj»/src/keys.js", "export const privateKey = `«S»\n`;\n", Transform::Raw),
    block("jupyter-lines", "«proj»/notebooks/signing.ipynb", concat!(
        "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 3,\n   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\n",
        "    \"PRIVATE_KEY = \\\"\\\"\\\"«S»\\n\",\n    \"\\\"\\\"\\\"\\n\",\n    \"signer = load_pem(PRIVATE_KEY)\"\n   ]\n  }\n ],\n",
        " \"metadata\": {},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n"), Transform::PerLineJson(4)),
    block("ruby-heredoc", "«proj»/config/initializers/signing.rb", "SIGNING_KEY = <<~PEM\n  «S»\nPEM\n", Transform::Indent(2)),
    crlf(block("csharp-verbatim", "«proj»/src/Acme.Api/Keys.cs", "namespace Acme.Api\n{\n    internal static class Keys\n    {\n        internal const string Private = @\"«S»\";\n    }\n}\n", Transform::Raw)),
    block("dockerfile-echo", "«proj»/ci/Dockerfile", "FROM alpine:3.20\nRUN mkdir -p /root/.ssh && echo \"«S»\" > /root/.ssh/«file» && chmod 600 /root/.ssh/«file»\n", Transform::Json),
    // ---- whole documents (service-account JSON) ----
    doc("doc-file", "«proj»/credentials/service-account.json", "«S»\n", Transform::Raw),
    doc("doc-k8s", "«proj»/deploy/k8s/gcp-credentials.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gcp-credentials\ntype: Opaque\nstringData:\n  key.json: |\n    «S»\n", Transform::Indent(4)),
    doc("doc-terraform", "«proj»/infra/google.tf", "provider \"google\" {\n  project     = \"«proj»\"\n  credentials = <<EOF\n«S»\nEOF\n}\n", Transform::Raw),
    doc("doc-env-minified", "«proj»/.env.gcp", "GOOGLE_CLOUD_PROJECT=«proj»\nGOOGLE_CREDENTIALS='«S»'\n", Transform::Minify),
    doc("doc-python", "«proj»/tests/conftest.py", "import json\n\nSERVICE_ACCOUNT_INFO = json.loads(r'''«S»''')\n", Transform::Raw),
];

/// The variable-name forms a template may use.
pub struct Names {
    pub upper: String,
    pub snake: String,
    pub camel: String,
    pub pascal: String,
    pub dotted: String,
    pub slug: String,
    pub prov: String,
}

pub fn names(ct: &CredType) -> Names {
    let words: Vec<String> = ct
        .var
        .split('_')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let cap = |w: &str| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
            .unwrap_or_default()
    };
    let pascal: String = words.iter().map(|w| cap(w)).collect();
    let camel = words
        .first()
        .map(|f| f.clone() + &words[1..].iter().map(|w| cap(w)).collect::<String>())
        .unwrap_or_default();
    let provider = if ct.provider.is_empty() {
        "App"
    } else {
        ct.provider
    };
    let prov: String = provider
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(cap)
        .collect();
    Names {
        upper: ct.var.to_string(),
        snake: words.join("_"),
        camel,
        pascal,
        dotted: words.join("."),
        slug: prov.to_ascii_lowercase(),
        prov,
    }
}

/// Whether `e` may hold a credential of type `ct`.
pub fn compatible(ct: &CredType, e: &Embedding) -> bool {
    match ct.embeds {
        Embeds::Only(list) => return list.contains(&e.name),
        Embeds::AllPlus(list) if list.contains(&e.name) => return true,
        _ => {}
    }
    !e.special
        && e.shape == ct.shape
        && (e.names_var || ct.class == Class::Formatted)
        && (e.usages.is_empty() || e.usages.contains(&ct.usage))
}

/// A credential planted in a file: its type, the embedding, and where it is.
#[derive(Debug, Clone)]
pub struct Plant {
    pub type_idx: usize,
    pub embedding: &'static str,
    pub start: u32,
    pub end: u32,
    /// Column of the value's first character on its first line.
    pub column: u32,
}

/// A file of the corpus.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    pub path: String,
    pub content: String,
    pub plants: Vec<Plant>,
    /// For hard negatives: (category, variant).
    pub negative: Option<(&'static str, &'static str)>,
}

pub fn apply(transform: Transform, value: &str) -> String {
    let json_escape = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    };
    match transform {
        Transform::Raw => value.to_string(),
        Transform::Json => json_escape(value),
        Transform::Indent(n) => value.replace('\n', &format!("\n{}", " ".repeat(n))),
        Transform::PerLineJson(n) => value
            .split('\n')
            .map(|l| l.replace('\\', "\\\\").replace('"', "\\\""))
            .collect::<Vec<_>>()
            .join(&format!("\\n\",\n{}\"", " ".repeat(n))),
        Transform::Minify => value.lines().map(str::trim).collect::<Vec<_>>().join(""),
    }
}

/// Project names for paths and identifiers.
pub const WORDS: &[&str] = &[
    "billing",
    "checkout",
    "ledger",
    "atlas",
    "orion",
    "payments",
    "search",
    "ingest",
    "notify",
    "reports",
    "gateway",
    "accounts",
    "inventory",
    "shipping",
    "analytics",
    "crm",
    "mailer",
    "scheduler",
    "media",
    "catalog",
    "pricing",
    "identity",
    "webhooks",
    "exporter",
];

pub fn word(rng: &mut Rng) -> &'static str {
    WORDS[rng.below(WORDS.len())]
}

pub fn date(rng: &mut Rng) -> String {
    format!(
        "2024-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}

/// Replaces the context markers of a template (everything but the credential markers).
pub fn fill_markers(text: &str, n: &Names, proj: &str, file: &str, rng: &mut Rng) -> String {
    let mut s = text
        .replace("«U»", &n.upper)
        .replace("«s»", &n.snake)
        .replace("«c»", &n.camel)
        .replace("«P»", &n.pascal)
        .replace("«d»", &n.dotted)
        .replace("«slug»", &n.slug)
        .replace("«Prov»", &n.prov)
        .replace("«proj»", proj)
        .replace("«file»", file);
    while s.contains("«date»") {
        let d = date(rng);
        s = s.replacen("«date»", &d, 1);
    }
    while s.contains("«hex32»") {
        let h = creds::hex(&rng.bytes(16));
        s = s.replacen("«hex32»", &h, 1);
    }
    while s.contains("«cert»") {
        let pem = creds::armor("CERTIFICATE", &creds::certificate_der(rng), 64) + "\n";
        s = s.replacen("«cert»", &creds::b64(pem.as_bytes()), 1);
    }
    s
}

/// Where a value landed: first and last line (1-based, inclusive) and the column
/// (1-based, in characters) of its first character.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
    pub column: u32,
}

/// Substitutes the credential markers (`«S»`, `«S2»` …) with their values and returns the
/// text with the span of each value, in the order given.
pub fn place(template: &str, values: &[(&str, String)]) -> (String, Vec<Span>) {
    let mut spans = vec![Span::default(); values.len()];
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    loop {
        let next = values
            .iter()
            .enumerate()
            .filter_map(|(i, (m, _))| rest.find(m).map(|p| (p, i)))
            .min();
        let Some((pos, i)) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..pos]);
        let start = out.matches('\n').count() as u32 + 1;
        let value = &values[i].1;
        let line_start = out.rfind('\n').map_or(0, |p| p + 1);
        spans[i] = Span {
            start,
            end: start + value.matches('\n').count() as u32,
            column: out[line_start..].chars().count() as u32 + 1,
        };
        out.push_str(value);
        // The value's first line must be on the line recorded for it.
        let first = value.split('\n').next().unwrap_or("");
        let line_end = out[line_start..]
            .find('\n')
            .map_or(out.len(), |p| line_start + p);
        assert!(
            out[line_start..line_end].contains(first),
            "corpus bug: value not on its recorded line {start}"
        );
        rest = &rest[pos + values[i].0.len()..];
    }
    (out, spans)
}

/// Renders one credential of type `ct` (index `type_idx`) into embedding `e`.
pub fn render(
    e: &'static Embedding,
    ct: &CredType,
    type_idx: usize,
    value: &str,
    root: &str,
    rng: &mut Rng,
) -> CorpusFile {
    let n = names(ct);
    let proj = word(rng);
    let file = if ct.file.is_empty() {
        "secret.txt"
    } else {
        ct.file
    };
    let text = fill_markers(e.text, &n, proj, file, rng);
    let path = format!("{root}/{}", fill_markers(e.path, &n, proj, file, rng));
    let (mut content, spans) = place(&text, &[("«S»", apply(e.transform, value))]);
    if e.crlf {
        content = content.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    CorpusFile {
        path,
        content,
        plants: vec![Plant {
            type_idx,
            embedding: e.name,
            start: spans[0].start,
            end: spans[0].end,
            column: spans[0].column,
        }],
        negative: None,
    }
}

/// Files that hold an AWS key id and its secret together, as people really write them.
const AWS_PAIRS: &[(&str, &str, &str)] = &[
    (
        "aws-credentials-file",
        "«proj»/deploy/aws/credentials",
        "[default]\naws_access_key_id = «S»\naws_secret_access_key = «S2»\nregion = eu-west-1\n",
    ),
    (
        "aws-csv",
        "«proj»/ci/new_user_credentials.csv",
        "User name,Password,Access key ID,Secret access key,Console login link\nci-deployer,,«S»,«S2»,https://«acct».signin.aws.amazon.com/console\n",
    ),
    (
        "aws-boto3",
        "«proj»/jobs/upload.py",
        "import boto3\n\ns3 = boto3.client(\n    \"s3\",\n    aws_access_key_id=\"«S»\",\n    aws_secret_access_key=\"«S2»\",\n)\n",
    ),
    (
        "aws-terraform-provider",
        "«proj»/infra/aws.tf",
        "provider \"aws\" {\n  region     = \"us-east-1\"\n  access_key = \"«S»\"\n  secret_key = \"«S2»\"\n}\n",
    ),
];

/// An AWS key-pair file: plants of `id_idx` and `secret_idx`.
pub fn aws_pair(
    which: usize,
    (id_idx, id): (usize, String),
    (secret_idx, secret): (usize, String),
    root: &str,
    rng: &mut Rng,
) -> CorpusFile {
    let (name, path, text) = AWS_PAIRS[which % AWS_PAIRS.len()];
    let proj = word(rng);
    let acct = creds::number(rng, 12);
    let text = text.replace("«proj»", proj).replace("«acct»", &acct);
    let (content, spans) = place(&text, &[("«S»", id), ("«S2»", secret)]);
    CorpusFile {
        path: format!("{root}/{}", path.replace("«proj»", proj)),
        content,
        plants: [id_idx, secret_idx]
            .iter()
            .zip(&spans)
            .map(|(&type_idx, s)| Plant {
                type_idx,
                embedding: name,
                start: s.start,
                end: s.end,
                column: s.column,
            })
            .collect(),
        negative: None,
    }
}

pub const AWS_PAIR_KINDS: usize = AWS_PAIRS.len();
