//! Passwords a person chose: the one list of documentation and default passwords
//! (`changeit`, `P@ssw0rd`), phrases that mark a stand-in, and the `password` validator.

use super::model::{bigram_llr, class, decoded_text, percent_decoded, score, words};
use super::placeholders::{is_ordinary_value, looks_like_placeholder};

/// Words that documentation, tutorials and default configurations use as passwords,
/// alone or dressed up (`P@55w0rd!`, `Admin123`, `changeit`): reporting them would flag
/// every docker-compose quick start. Compared after [`plain_word`]; the last ones are
/// the default passwords of database and service images. The one list: the `password`
/// validator and the basic-auth checks both read it through [`is_stand_in`].
const DEFAULT_PASSWORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "mypassword",
    "yourpassword",
    "secretpassword",
    "mysecretpassword",
    "newpassword",
    "oldpassword",
    "testpassword",
    "secret",
    "supersecret",
    "topsecret",
    "changeme",
    "changeit",
    "admin",
    "administrator",
    "root",
    "toor",
    "letmein",
    "welcome",
    "qwerty",
    "test",
    "testing",
    "default",
    "guest",
    "demo",
    "example",
    "user",
    "username",
    "login",
    "master",
    "postgres",
    "mysql",
    "oracle",
    "redis",
    "rabbitmq",
    "docker",
    "elastic",
    "minioadmin",
];

/// A password reduced to its word: lower case, trailing digits and symbols dropped,
/// common letter-for-digit swaps undone (`P@55w0rd!` and `Password123` → `password`).
fn plain_word(s: &str) -> String {
    s.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation())
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            '@' | '4' => 'a',
            '3' => 'e',
            '1' | '!' => 'i',
            '0' => 'o',
            '5' | '$' => 's',
            '7' => 't',
            other => other,
        })
        .collect()
}

/// Phrases of documentation and tests inside would-be passwords (`ExamplePass1!`,
/// `NotARealPassword1`, `base64EncodedSecretGoesHere`), compared case-insensitively.
const PASSWORD_STAND_INS: &[&str] = &[
    "example",
    "goeshere",
    "here",
    "notreal",
    "not_real",
    "not-real",
    "notareal",
    "foobar",
    "todo",
    "testpass",
    "test_pass",
    "test-pass",
];

/// A password that documentation or a default configuration would use: a default
/// password however dressed up (`P@ssw0rd1!`), or one holding a stand-in phrase
/// (`NotARealPassword`, `foobar123`).
pub fn is_stand_in(password: &str) -> bool {
    let lower = password.to_ascii_lowercase();
    DEFAULT_PASSWORDS.contains(&plain_word(password).as_str())
        || PASSWORD_STAND_INS.iter().any(|w| lower.contains(w))
}

/// The `password` validator: a literal that a person may have chosen as a password.
/// 8 to 128 characters without whitespace; not a placeholder, reference or other ordinary
/// value, not a documentation default (`P@ssw0rd`, `changeit`), not a phrase of four or
/// more words; and either three character
/// classes among lower case, upper case, digits and symbols other than the separators
/// `-_.` (`Tr0ub4dor&3`, `Summer2024!`), or two classes and some randomness (`k8xq2mvz7p`).
/// Kebab- and snake-case names (`api-key-prod-01`) have two classes and no randomness.
/// Values encoded as base64 of text (Kubernetes `data:`) or URL-encoded are judged as the
/// text they encode.
pub fn looks_like_password(s: &str) -> bool {
    match decoded_text(s).or_else(|| percent_decoded(s, 2)) {
        Some(text) => password_literal(&text),
        None => password_literal(s),
    }
}

fn password_literal(s: &str) -> bool {
    let n = s.chars().count();
    if !(8..=128).contains(&n)
        || s.contains(char::is_whitespace)
        || looks_like_placeholder(s)
        || is_ordinary_value(s)
        || is_stand_in(s)
    {
        return false;
    }
    // Four or more words (`SomeKindOfPassword123!`, `PassWordMustBeAtLeast6Chars.`): a
    // phrase from documentation or a form, not a password someone uses.
    let wordy = words(s.as_bytes()).iter().filter(|w| w.len() >= 2).count();
    if wordy >= 4 && bigram_llr(s.as_bytes()).0 >= 0.5 {
        return false;
    }
    let mut present = [false; 4];
    for b in s.bytes().filter(|b| !matches!(b, b'-' | b'_' | b'.')) {
        present[class(b)] = true;
    }
    match present.iter().filter(|&&p| p).count() {
        0 | 1 => false,
        2 => score(s) >= 0.3,
        _ => true,
    }
}
