//! Per-language edit rules for `keyguard fix`, as data: which files a language covers,
//! what a secret's string literal becomes (an environment lookup), which import that
//! lookup needs, and which lines cannot take a run-time lookup at all. `fix::plan` reads
//! this table; adding a language is adding a row.

/// Where a missing import line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Before the first top-level `import`/`from` line that is not `from __future__`
    /// (those must stay first), else after the leading comments (shebang, coding line).
    Python,
    /// Into the `import ( … )` block, else before the first `import`, else after `package`.
    Go,
}

/// An import the lookup needs, added when `present` finds none.
#[derive(Debug)]
pub struct Import {
    /// A regex (multi-line mode) that matches when the file already imports it.
    pub present: &'static str,
    /// The import as one statement (Go's block form gets a tab and the quoted path).
    pub line: &'static str,
    pub place: Place,
}

/// How the literal is taken out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The string literal (quotes included) becomes the lookup expression.
    Replace,
    /// The whole instruction that sets the value is deleted: a Dockerfile `ENV`/`ARG`
    /// bakes its value into the image's layers and history whatever the value is, so
    /// the variable is passed when the container runs (`--env-file .env`) instead.
    DropLine,
}

#[derive(Debug)]
pub struct Lang {
    pub name: &'static str,
    /// File name extensions, lowercase, without the dot.
    pub extensions: &'static [&'static str],
    /// Whole file names (or `NAME.*` variants, such as `Dockerfile.prod`).
    pub file_names: &'static [&'static str],
    /// Characters that open and close a string literal.
    pub quotes: &'static [char],
    /// When a bare value after `=` or `: ` is a literal too (shell assignments, YAML
    /// scalars): what it becomes (YAML's `- KEY=value` list items take no quotes).
    pub bare_lookup: Option<&'static str>,
    pub edit: Edit,
    /// What the literal becomes: `@NAME@` is the variable's name, `@name@` in lowercase.
    pub lookup: &'static str,
    /// The variable's name in `.env` (Terraform reads `TF_VAR_name` from the environment).
    pub env_name: &'static str,
    pub import: Option<Import>,
    /// Lines (regex) whose value must be known at compile time, with the reason: a
    /// lookup there would not build, so the literal is refused there.
    pub refuse_line: Option<(&'static str, &'static str)>,
    /// Files (a regex over the whole text) this language's lookup does not work in, with
    /// the reason: they are refused whole.
    pub refuse_file: Option<(&'static str, &'static str)>,
    /// A declaration appended to the file once per variable, unless `declared` (a regex
    /// template like `lookup`) already finds one in the file.
    pub declare: Option<(&'static str, &'static str)>,
}

const PY_IMPORT: Import = Import {
    present: r"^\s*import\s+(?:[\w.]+\s*,\s*)*os\s*(?:,|$|#)",
    line: "import os",
    place: Place::Python,
};

const GO_IMPORT: Import = Import {
    present: r#"^\s*(?:import\s+)?(?:_\s+)?"os"\s*$"#,
    line: "\"os\"",
    place: Place::Go,
};

/// Every language `fix` edits. The lookups read the variable at run time and fail
/// loudly where the language makes that the idiom (Python's `os.environ[…]`, Ruby's
/// `ENV.fetch`, Rust's `expect`), so a missing `.env` shows up at once, not as an
/// empty key sent to the provider.
pub const LANGS: &[Lang] = &[
    Lang {
        name: "Python",
        extensions: &["py", "pyw"],
        file_names: &[],
        quotes: &['"', '\''],
        bare_lookup: None,
        edit: Edit::Replace,
        lookup: r#"os.environ["@NAME@"]"#,
        env_name: "@NAME@",
        import: Some(PY_IMPORT),
        refuse_line: None,
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "JavaScript",
        extensions: &["js", "mjs", "cjs", "jsx"],
        file_names: &[],
        quotes: &['"', '\'', '`'],
        bare_lookup: None,
        edit: Edit::Replace,
        lookup: "process.env.@NAME@",
        env_name: "@NAME@",
        import: None,
        refuse_line: None,
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "TypeScript",
        extensions: &["ts", "tsx", "mts", "cts"],
        file_names: &[],
        quotes: &['"', '\'', '`'],
        bare_lookup: None,
        edit: Edit::Replace,
        // `!`: the literal was a `string`; `process.env.X` alone is `string | undefined`
        // and would not type-check where a string is required.
        lookup: "process.env.@NAME@!",
        env_name: "@NAME@",
        import: None,
        refuse_line: None,
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "Go",
        extensions: &["go"],
        file_names: &[],
        quotes: &['"', '`'],
        bare_lookup: None,
        edit: Edit::Replace,
        lookup: r#"os.Getenv("@NAME@")"#,
        env_name: "@NAME@",
        import: Some(GO_IMPORT),
        refuse_line: Some((
            r"^\s*const\b",
            "a Go constant cannot hold a value read at run time",
        )),
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "Rust",
        extensions: &["rs"],
        file_names: &[],
        quotes: &['"'],
        bare_lookup: None,
        edit: Edit::Replace,
        // Borrowed: `&String` goes where the `&str` literal went (deref coercion) and
        // into `impl Into<String>` parameters; a `let` extends the temporary's life.
        lookup: r#"&std::env::var("@NAME@").expect("@NAME@ is not set")"#,
        env_name: "@NAME@",
        import: None,
        refuse_line: Some((
            r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const|static)\b",
            "a Rust const or static cannot hold a value read at run time",
        )),
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "Java",
        extensions: &["java"],
        file_names: &[],
        quotes: &['"'],
        bare_lookup: None,
        edit: Edit::Replace,
        lookup: r#"System.getenv("@NAME@")"#,
        env_name: "@NAME@",
        import: None,
        refuse_line: None,
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "Kotlin",
        extensions: &["kt", "kts"],
        file_names: &[],
        quotes: &['"'],
        bare_lookup: None,
        edit: Edit::Replace,
        lookup: r#"System.getenv("@NAME@")"#,
        env_name: "@NAME@",
        import: None,
        refuse_line: Some((
            r"\bconst\s+val\b",
            "a Kotlin const val cannot hold a value read at run time",
        )),
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "Ruby",
        extensions: &["rb"],
        file_names: &["Gemfile", "Rakefile"],
        quotes: &['"', '\''],
        bare_lookup: None,
        edit: Edit::Replace,
        lookup: r#"ENV.fetch("@NAME@")"#,
        env_name: "@NAME@",
        import: None,
        refuse_line: None,
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "PHP",
        extensions: &["php"],
        file_names: &[],
        quotes: &['"', '\''],
        bare_lookup: None,
        edit: Edit::Replace,
        lookup: "getenv('@NAME@')",
        env_name: "@NAME@",
        import: None,
        refuse_line: Some((
            r"^\s*(?:(?:public|private|protected|final)\s+)*const\b|\bdefine\s*\(",
            "a PHP constant expression cannot call getenv()",
        )),
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "C#",
        extensions: &["cs"],
        file_names: &[],
        quotes: &['"'],
        bare_lookup: None,
        edit: Edit::Replace,
        // Fully qualified: no `using System;` to add.
        lookup: r#"System.Environment.GetEnvironmentVariable("@NAME@")"#,
        env_name: "@NAME@",
        import: None,
        refuse_line: Some((
            r"\bconst\b",
            "a C# const cannot hold a value read at run time",
        )),
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "shell",
        extensions: &["sh", "bash", "zsh", "ksh"],
        file_names: &[".envrc"],
        quotes: &['"', '\''],
        bare_lookup: Some(r#""${@NAME@}""#),
        edit: Edit::Replace,
        lookup: r#""${@NAME@}""#,
        env_name: "@NAME@",
        import: None,
        refuse_line: None,
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "YAML",
        extensions: &["yml", "yaml"],
        file_names: &[],
        quotes: &['"', '\''],
        bare_lookup: Some("${@NAME@}"),
        edit: Edit::Replace,
        // Compose-style interpolation, quoted so YAML reads it as a plain string.
        lookup: r#""${@NAME@}""#,
        env_name: "@NAME@",
        import: None,
        refuse_line: None,
        refuse_file: Some((
            r"(?m)^apiVersion:|^\s*runs-on:|^\s*script:",
            "Kubernetes manifests and CI pipelines do not expand ${VAR}: keep the key in the platform's secret store",
        )),
        declare: None,
    },
    Lang {
        name: "Dockerfile",
        extensions: &["dockerfile"],
        file_names: &["Dockerfile", "Containerfile"],
        quotes: &['"', '\''],
        bare_lookup: Some(""),
        edit: Edit::DropLine,
        lookup: "",
        env_name: "@NAME@",
        import: None,
        refuse_line: None,
        refuse_file: None,
        declare: None,
    },
    Lang {
        name: "Terraform",
        extensions: &["tf"],
        file_names: &[],
        quotes: &['"'],
        bare_lookup: None,
        edit: Edit::Replace,
        lookup: "var.@name@",
        env_name: "TF_VAR_@name@",
        import: None,
        refuse_line: None,
        refuse_file: None,
        declare: Some((
            "\nvariable \"@name@\" {\n  type      = string\n  sensitive = true\n}\n",
            r#"(?m)^\s*variable\s+"@name@"\s*\{"#,
        )),
    },
];

/// The language of a repository path (`/`-separated), by file name then extension.
pub fn for_path(path: &str) -> Option<&'static Lang> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let by_name = LANGS.iter().find(|l| {
        l.file_names.iter().any(|n| {
            file == *n
                || file
                    .strip_prefix(n)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    });
    if by_name.is_some() {
        return by_name;
    }
    let ext = file.rsplit_once('.')?.1.to_ascii_lowercase();
    LANGS.iter().find(|l| l.extensions.contains(&ext.as_str()))
}

/// Fills a template: `@NAME@` → the name, `@name@` → the name in lowercase (no
/// language here uses `@` around a word, so no escaping is needed).
pub fn fill(template: &str, name: &str) -> String {
    template
        .replace("@NAME@", name)
        .replace("@name@", &name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_their_language() {
        assert_eq!(for_path("src/app.py").map(|l| l.name), Some("Python"));
        assert_eq!(for_path("web/x.TSX").map(|l| l.name), Some("TypeScript"));
        assert_eq!(for_path("Dockerfile").map(|l| l.name), Some("Dockerfile"));
        assert_eq!(
            for_path("ci/Dockerfile.prod").map(|l| l.name),
            Some("Dockerfile")
        );
        assert_eq!(for_path("infra/main.tf").map(|l| l.name), Some("Terraform"));
        assert!(for_path("notes.txt").is_none());
        assert!(for_path("Makefile").is_none());
    }

    #[test]
    fn templates_fill_names_and_braces() {
        assert_eq!(fill(r#""${@NAME@}""#, "A_KEY"), r#""${A_KEY}""#);
        assert_eq!(fill("var.@name@", "A_KEY"), "var.a_key");
        assert_eq!(fill("TF_VAR_@name@", "A_KEY"), "TF_VAR_a_key");
    }

    #[test]
    fn every_regex_compiles() {
        for l in LANGS {
            if let Some(i) = &l.import {
                regex::Regex::new(&format!("(?m){}", i.present)).unwrap();
            }
            for (r, _) in l.refuse_line.iter().chain(&l.refuse_file) {
                regex::Regex::new(r).unwrap();
            }
            if let Some((_, d)) = l.declare {
                regex::Regex::new(&fill(d, "X")).unwrap();
            }
        }
    }
}
