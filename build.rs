//! Embeds the built-in rule catalogue (`rules/*.toml`) into the binary, parsed ahead of
//! time.
//!
//! A hook runs on every commit, so it must not spend its start-up parsing a few hundred
//! kilobytes of TOML. This script parses every rule file once, at build time, and writes
//! Rust code that constructs the same `schema::RuleSpec` values the runtime parser would
//! produce; `rules::builtin()` then compiles them exactly like a user's custom rules (one
//! schema, one compiler). The raw files are embedded too, and a test checks that parsing
//! them at run time gives the very same specs. Adding a rule file is all it takes to ship
//! a rule: nothing to register by hand.

use std::fmt::Write as _;
use std::{env, fs, path::Path};

use toml::{Table, Value};

fn lit(s: &str) -> String {
    format!("{s:?}")
}

fn string(v: &Value, what: &str) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string"))
        .to_string()
}

fn strings(v: Option<&Value>, what: &str) -> Vec<String> {
    match v {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().map(|x| string(x, what)).collect(),
        Some(_) => panic!("{what}: expected an array of strings"),
    }
}

fn float(v: Option<&Value>, what: &str) -> String {
    match v {
        None => "None".into(),
        Some(Value::Float(f)) => format!("Some({f:?}_f64)"),
        Some(Value::Integer(i)) => format!("Some({i}_f64)"),
        Some(_) => panic!("{what}: expected a number"),
    }
}

fn spanned(s: &str) -> String {
    format!("Spanned::new(0..0, {}.to_string())", lit(s))
}

fn vec_of(items: &[String], f: impl Fn(&str) -> String) -> String {
    format!(
        "vec![{}]",
        items.iter().map(|s| f(s)).collect::<Vec<_>>().join(", ")
    )
}

fn owned(s: &str) -> String {
    format!("{}.to_string()", lit(s))
}

fn allowlist(t: &Table, what: &str) -> String {
    for k in t.keys() {
        assert!(
            ["paths", "regexes", "stopwords", "fingerprints"].contains(&k.as_str()),
            "{what}: unknown key {k}"
        );
    }
    format!(
        "AllowlistSpec {{ paths: {}, regexes: {}, stopwords: {}, fingerprints: {} }}",
        vec_of(&strings(t.get("paths"), what), spanned),
        vec_of(&strings(t.get("regexes"), what), spanned),
        vec_of(&strings(t.get("stopwords"), what), spanned),
        vec_of(&strings(t.get("fingerprints"), what), spanned),
    )
}

fn context_allow(v: Option<&Value>, what: &str) -> String {
    let Some(v) = v else {
        return "vec![]".to_string();
    };
    let Value::Array(items) = v else {
        panic!("{what}: context_allow must be an array of tables")
    };
    let mut out = String::from("vec![");
    for item in items {
        let Value::Table(t) = item else {
            panic!("{what}: context_allow entries are tables")
        };
        for k in t.keys() {
            assert!(
                ["secret", "near", "not_near", "file", "lines", "reason"].contains(&k.as_str()),
                "{what}: context_allow: unknown key {k}"
            );
        }
        let o = |k: &str| {
            t.get(k).map_or("None".to_string(), |v| {
                format!("Some({})", owned(&string(v, what)))
            })
        };
        let lines = t.get("lines").map_or("None".to_string(), |v| {
            format!(
                "Some({})",
                v.as_integer()
                    .unwrap_or_else(|| panic!("{what}: context_allow.lines"))
            )
        });
        let _ = write!(
            out,
            "ContextAllowSpec {{ secret: {}, near: {}, not_near: {}, file: {}, lines: {lines}, reason: {} }},",
            o("secret"),
            o("near"),
            o("not_near"),
            o("file"),
            owned(&string(
                t.get("reason")
                    .unwrap_or_else(|| panic!("{what}: context_allow without reason")),
                what
            )),
        );
    }
    out.push(']');
    out
}

fn rule(t: &Table, file: &str) -> String {
    const KEYS: &[&str] = &[
        "id",
        "description",
        "provider",
        "keywords",
        "regex",
        "validators",
        "entropy",
        "min_randomness",
        "value_gate",
        "keywords_match_case",
        "owns_values",
        "paths",
        "file_rule",
        "severity",
        "remediation",
        "examples",
        "near_misses",
        "allowlist",
        "prefix_boundary",
        "context_allow",
    ];
    let id = string(
        t.get("id")
            .unwrap_or_else(|| panic!("{file}: a rule without id")),
        file,
    );
    let what = format!("{file}: rule {id}");
    for k in t.keys() {
        assert!(KEYS.contains(&k.as_str()), "{what}: unknown key {k}");
    }
    let opt_str = |k: &str| {
        t.get(k).map_or("None".to_string(), |v| {
            format!("Some({})", owned(&string(v, &what)))
        })
    };
    let remediation = match t.get("remediation") {
        None => "None".to_string(),
        Some(Value::String(s)) => format!("Some(RemediationSpec::Text({}))", owned(s)),
        Some(Value::Table(r)) => {
            for k in r.keys() {
                assert!(
                    ["revoke_url", "env_var", "steps"].contains(&k.as_str()),
                    "{what}: remediation: unknown key {k}"
                );
            }
            let o = |k: &str| {
                r.get(k).map_or("None".to_string(), |v| {
                    format!("Some({})", owned(&string(v, &what)))
                })
            };
            format!(
                "Some(RemediationSpec::Detailed(RemediationDetail {{ revoke_url: {}, env_var: {}, steps: {} }}))",
                o("revoke_url"),
                o("env_var"),
                vec_of(&strings(r.get("steps"), &what), owned)
            )
        }
        Some(_) => panic!("{what}: remediation must be a string or a table"),
    };
    let severity = match t.get("severity").map(|v| string(v, &what)).as_deref() {
        None => "None".to_string(),
        Some("block") => "Some(Severity::Block)".to_string(),
        Some("warn") => "Some(Severity::Warn)".to_string(),
        Some(other) => panic!("{what}: severity {other:?}"),
    };
    let allow = match t.get("allowlist") {
        None => "None".to_string(),
        Some(Value::Table(a)) => format!("Some({})", allowlist(a, &what)),
        Some(_) => panic!("{what}: allowlist must be a table"),
    };
    format!(
        "RuleSpec {{ id: {id}, description: {desc}, provider: {provider}, keywords: {keywords}, regex: {regex}, \
         validators: {validators}, entropy: {entropy}, min_randomness: {minr}, value_gate: {gate}, keywords_match_case: {kmc}, owns_values: {owns}, paths: {paths}, file_rule: {file_rule}, \
         severity: {severity}, remediation: {remediation}, examples: {examples}, near_misses: {near}, allowlist: {allow}, prefix_boundary: {pb}, context_allow: {ctx} }}",
        id = spanned(&id),
        desc = owned(&string(t.get("description").unwrap_or_else(|| panic!("{what}: no description")), &what)),
        provider = opt_str("provider"),
        keywords = vec_of(&strings(t.get("keywords"), &what), owned),
        regex = t.get("regex").map_or("None".to_string(), |v| format!("Some({})", spanned(&string(v, &what)))),
        validators = vec_of(&strings(t.get("validators"), &what), spanned),
        entropy = float(t.get("entropy"), &what),
        minr = float(t.get("min_randomness"), &what),
        gate = t.get("value_gate").is_some_and(|v| v.as_bool().unwrap_or_else(|| panic!("{what}: value_gate"))),
        kmc = t.get("keywords_match_case").is_some_and(|v| v.as_bool().unwrap_or_else(|| panic!("{what}: keywords_match_case"))),
        owns = t.get("owns_values").is_some_and(|v| v.as_bool().unwrap_or_else(|| panic!("{what}: owns_values"))),
        paths = vec_of(&strings(t.get("paths"), &what), spanned),
        file_rule = t.get("file_rule").is_some_and(|v| v.as_bool().unwrap_or_else(|| panic!("{what}: file_rule"))),
        examples = vec_of(&strings(t.get("examples"), &what), owned),
        near = vec_of(&strings(t.get("near_misses"), &what), owned),
        pb = opt_str("prefix_boundary"),
        ctx = context_allow(t.get("context_allow"), &what),
    )
}

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&root).join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("rules/ directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();

    let mut raw = String::from("/// Built-in rule files as written: (name, contents).\npub static BUILTIN_RULE_FILES: &[(&str, &str)] = &[\n");
    let mut specs = String::from(
        "/// The built-in rules, parsed at build time: (file name, spec).\n\
         pub fn builtin_specs() -> Vec<(&'static str, RuleSpec)> {\n    vec![\n",
    );
    let mut allow = AllowlistParts::default();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = format!(
            "rules/{}",
            f.file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8 rule file name")
        );
        let _ = writeln!(
            raw,
            "    ({name:?}, include_str!({:?})),",
            f.display().to_string()
        );
        let text = fs::read_to_string(f).unwrap_or_else(|e| panic!("{name}: {e}"));
        let doc: Table = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        for (k, v) in &doc {
            match (k.as_str(), v) {
                ("rules", Value::Array(rules)) => {
                    for r in rules {
                        let t = r
                            .as_table()
                            .unwrap_or_else(|| panic!("{name}: [[rules]] entries are tables"));
                        let _ = writeln!(specs, "        ({name:?}, {}),", rule(t, &name));
                    }
                }
                ("allowlist", Value::Table(a)) => {
                    allow.regexes.extend(strings(a.get("regexes"), &name));
                    allow.stopwords.extend(strings(a.get("stopwords"), &name));
                    assert!(
                        a.get("paths").is_none() && a.get("fingerprints").is_none(),
                        "{name}: the built-in allowlist takes regexes and stopwords only"
                    );
                }
                (other, _) => panic!(
                    "{name}: built-in rule files hold [[rules]] and [allowlist] only, not {other}"
                ),
            }
        }
    }
    raw.push_str("];\n");
    specs.push_str("    ]\n}\n");
    let _ = write!(
        specs,
        "/// The built-in global allowlist (published example values).\npub fn builtin_allow_spec() -> AllowlistSpec {{\n    {}\n}}\n",
        allowlist(
            &Table::from_iter([
                ("regexes".to_string(), Value::Array(allow.regexes.into_iter().map(Value::String).collect())),
                ("stopwords".to_string(), Value::Array(allow.stopwords.into_iter().map(Value::String).collect())),
            ]),
            "allowlist"
        )
    );
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).to_path_buf();
    fs::write(out.join("builtin_rules.rs"), raw).expect("write builtin_rules.rs");
    fs::write(out.join("builtin_specs.rs"), specs).expect("write builtin_specs.rs");
}

#[derive(Default)]
struct AllowlistParts {
    regexes: Vec<String>,
    stopwords: Vec<String>,
}
