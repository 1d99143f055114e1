//! The module graph of `src/` follows the data flow, and has no cycles.
//!
//! Each top-level module is a layer, lowest first (see `LAYERS`): a module may use
//! modules of lower layers only (a stage never reaches up into the one that consumes
//! it). Within a layer's folder, the graph of submodules has no cycle. Only `use` and
//! `crate::`/`super::` paths in non-test code count; `#[cfg(test)]` modules may use
//! anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules, lowest layer first.
const LAYERS: &[&str] = &[
    // The process-wide allocator: uses nothing of keyguard.
    "alloc",
    "source",
    "rules",
    "matcher",
    "finding",
    "config",
    "filter",
    "verify",
    "inventory",
    "report",
    "scan",
    "fix",
    "install",
    "cli",
    "app",
];

/// `src/a/b.rs` and `src/a/b/mod.rs` → `["a", "b"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's code without comments and without its `#[cfg(test)]` modules (by
/// convention they come last).
fn non_test_code(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => text,
    };
    code.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Module paths a file refers to, resolved to absolute paths (`crate::a::b`,
/// `super::x` from `a::b` → `a::x`), each cut to the longest prefix that is a module.
/// `use child::…` in a `mod.rs` refers to a child module.
fn references(
    me: &[String],
    is_mod_rs: bool,
    code: &str,
    modules: &BTreeSet<Vec<String>>,
) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let starts_word = i == 0 || !ident(bytes[i - 1]);
        let rest = &code[i..];
        let (base, skip): (Vec<String>, usize) = if starts_word && rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if starts_word && rest.starts_with("super::") {
            // `super` of a mod.rs's module is its parent; of a file module, its folder's.
            let mut b = me.to_vec();
            let mut n = 0;
            let mut r = rest;
            while r.starts_with("super::") {
                b.pop();
                n += "super::".len();
                r = &r["super::".len()..];
            }
            (b, n)
        } else {
            i += 1;
            continue;
        };
        let path: Vec<String> = code[i + skip..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or("")
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let mut full = base;
        full.extend(path);
        while !full.is_empty() && !modules.contains(&full) {
            full.pop();
        }
        if !full.is_empty() && full != me {
            out.insert(full);
        }
        i += skip;
    }
    // `use child::…` / `pub use child::…` / `child::f()` inside a folder's mod.rs.
    if is_mod_rs {
        for m in modules
            .iter()
            .filter(|m| m.len() == me.len() + 1 && m.starts_with(me))
        {
            let name = m.last().unwrap();
            let needle = format!("{name}::");
            if code
                .match_indices(&needle)
                .any(|(at, _)| at == 0 || !(ident(bytes[at - 1]) || bytes[at - 1] == b':'))
            {
                out.insert(m.clone());
            }
        }
    }
    out
}

fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    files
        .iter()
        .map(|f| {
            let me = module_of(&src, f);
            let text = std::fs::read_to_string(f).unwrap();
            let is_mod_rs = f.file_name().is_some_and(|n| n == "mod.rs");
            let refs = references(&me, is_mod_rs, &non_test_code(&text), &modules);
            (me, refs)
        })
        .collect()
}

#[test]
fn stages_only_use_lower_layers() {
    let layer = |m: &[String]| {
        m.first()
            .and_then(|top| LAYERS.iter().position(|l| l == top))
    };
    let mut wrong = Vec::new();
    for (from, refs) in graph() {
        let Some(lf) = layer(&from) else {
            // lib.rs and main.rs declare and dispatch; every other module has a layer.
            assert!(
                from.is_empty(),
                "module {} is not in LAYERS",
                from.join("::")
            );
            continue;
        };
        for to in refs {
            let lt = layer(&to).unwrap_or_else(|| panic!("unknown module {}", to.join("::")));
            if lt > lf {
                wrong.push(format!("{} uses {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports from a lower layer to a higher one:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_import_cycles() {
    let g = graph();
    // Depth-first search for a back edge, reporting the cycle it closes.
    fn visit(
        m: &Vec<String>,
        g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<String> {
        if let Some(at) = stack.iter().position(|s| s == m) {
            let cycle: Vec<String> = stack[at..]
                .iter()
                .chain([m])
                .map(|s| s.join("::"))
                .collect();
            return Some(cycle.join(" → "));
        }
        if !done.insert(m.clone()) {
            return None;
        }
        stack.push(m.clone());
        for to in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(to, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        if let Some(cycle) = visit(m, &g, &mut Vec::new(), &mut done) {
            panic!("import cycle: {cycle}");
        }
    }
}

/// The checker itself sees the edges it must see (a checker that finds nothing passes
/// everything).
#[test]
fn the_checker_sees_imports() {
    let g = graph();
    let m = |s: &str| s.split("::").map(str::to_string).collect::<Vec<_>>();
    let refs = &g[&m("matcher")];
    assert!(refs.contains(&m("source")), "{refs:?}");
    assert!(refs.contains(&m("matcher::prefilter")), "{refs:?}");
    assert!(g[&m("matcher::validate::structure")].contains(&m("matcher::validate::checksum")));
    assert!(g[&m("app::scan")].contains(&m("app::session")));
    assert!(g[&m("report::json")].contains(&m("finding")));
}
