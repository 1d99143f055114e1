//! What a key is assigned to: the variable, setting or field name on the line left of
//! the secret (`OPENAI_API_KEY` in `OPENAI_API_KEY = "…"`, `api_key` in YAML's
//! `api_key: …`, `token` in JSON's `"token": "…"`). It is the name a rotation has to
//! look for in deployments, CI settings and secret stores, so one generic function reads
//! it in any language rather than a parser per format.

/// Assignment operators, longest first so that `:=` and `=>` win over `:` and `=`.
const OPERATORS: &[&str] = &[":=", "=>", "=", ":"];

/// Words that may stand between the operator and the key (`Authorization: Bearer …`).
const VALUE_PREFIXES: &[&str] = &["Bearer ", "bearer ", "Basic ", "basic ", "token ", "Token "];

/// The name `left` (the line up to the secret) assigns the secret to, if it reads as an
/// assignment: an identifier, then an operator, then at most an opening quote, one of
/// [`VALUE_PREFIXES`], or a run of text without spaces or quotes (the start of a URL
/// that holds the key). Operators are tried from the right, so the nearest assignment
/// wins (`client = OpenAI(api_key="…` → `api_key`).
pub fn assigned_name(left: &str) -> Option<String> {
    let mut end = left.len();
    while end > 0 {
        let (pos, op) = OPERATORS
            .iter()
            .filter_map(|op| left[..end].rfind(op).map(|p| (p, *op)))
            // The rightmost operator; at the same place the longest (`:=` over `=`).
            .max_by_key(|(p, op)| (*p + op.len(), op.len()))?;
        // `:=` found as `=` one byte further: step back onto the full operator.
        let (pos, op) = widen(left, pos, op);
        if value_prefix_ok(&left[pos + op.len()..]) {
            if let Some(name) = name_before(&left[..pos]) {
                return Some(name);
            }
        }
        end = pos;
    }
    None
}

/// `=` preceded by `:` is `:=`; `>` is never an operator alone, so `=>` is found whole.
fn widen<'a>(left: &str, pos: usize, op: &'a str) -> (usize, &'a str) {
    if op == "=" && pos > 0 && left.as_bytes()[pos - 1] == b':' {
        (pos - 1, ":=")
    } else {
        (pos, op)
    }
}

/// What may stand between the operator and the secret.
fn value_prefix_ok(between: &str) -> bool {
    let mut rest = between.trim_start();
    rest = rest
        .strip_prefix(['"', '\'', '`'])
        .unwrap_or(rest)
        .trim_start();
    for p in VALUE_PREFIXES {
        if let Some(r) = rest.strip_prefix(p) {
            rest = r.trim_start();
            break;
        }
    }
    // `scheme://…`: the colon of a URL, not an assignment.
    !rest.starts_with("//")
        && !rest.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ',' | ';'))
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '@')
}

/// The identifier that ends `before` (the text left of the operator), past closing
/// quotes and brackets (`"token"`, `headers["Authorization"]`, `$key`). A name right
/// after `/` or `:` is part of a URL (`//user:pass@`), not an assignment.
fn name_before(before: &str) -> Option<String> {
    let trimmed = before.trim_end().trim_end_matches([']', ')']);
    let unquoted = trimmed.trim_end_matches(['"', '\'', '`']);
    let quoted = unquoted.len() != trimmed.len();
    let trimmed = unquoted;
    let start = trimmed
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_name_char(c))
        .last()
        .map(|(i, _)| i)?;
    let name = &trimmed[start..];
    // After `/` or `:` it is part of a URL (`//user:pass@`); right after an opening
    // quote, with none closing it, it is inside a string value, not a name.
    let prev = &trimmed[..start];
    if prev.ends_with(['/', ':']) || (!quoted && prev.ends_with(['"', '\'', '`'])) {
        return None;
    }
    let name = name.trim_start_matches(['-', '$', '@', '.']);
    (!name.is_empty() && name.chars().any(char::is_alphabetic)).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(left: &str) -> Option<String> {
        assigned_name(left)
    }

    #[test]
    fn reads_assignments_in_many_languages() {
        let cases = [
            (r#"OPENAI_API_KEY = ""#, "OPENAI_API_KEY"), // Python, TOML
            ("export OPENAI_API_KEY=", "OPENAI_API_KEY"), // shell, .env
            ("  api_key: ", "api_key"),                  // YAML
            (r#"  "token": ""#, "token"),                // JSON
            (r#"$config['secret'] => '"#, "secret"),     // PHP
            (r#"token := ""#, "token"),                  // Go
            (r#"const apiKey = ""#, "apiKey"),           // JavaScript
            (r#"client = OpenAI(api_key=""#, "api_key"), // keyword argument
            (r#"headers["Authorization"] = "Bearer "#, "Authorization"),
            ("Authorization: Bearer ", "Authorization"),
            (r#"{"a": 1, "token": ""#, "token"),
            ("DATABASE_URL=postgres://app:", "DATABASE_URL"),
            (r#"<add key="StripeKey" value=""#, "value"),
            ("  - name: x\n    password: ", "password"),
            ("--token=", "token"),
            ("aws_secret_access_key = ", "aws_secret_access_key"),
            (r#"url = "https://user:"#, "url"),
        ];
        for (left, want) in cases {
            assert_eq!(name(left).as_deref(), Some(want), "{left:?}");
        }
    }

    #[test]
    fn no_name_when_the_line_is_not_an_assignment() {
        for left in [
            "",
            "curl -H ",
            "see ",
            r#"print(""#,
            "1 = ",
            r#"x("https://"#,
            r#"x = "a b "#,
        ] {
            assert_eq!(name(left), None, "{left:?}");
        }
    }
}
