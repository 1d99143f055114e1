//! The corpus benchmark: builds the corpus, stages it in a real git repository, runs
//! the real `keyguard --staged --format json` on it, and scores what keyguard reports.
//!
//! Scoring: a planted credential is detected when keyguard reports a finding in its file
//! on a line of its span (any rule; the rules that fired are recorded). Every other
//! finding is a false positive: in a hard-negative file it flags that file, in a
//! positive file it is a stray finding. A finding about a file as a whole (a file rule,
//! whose `secret` is the path) is counted apart in positive files. Targets: recall of
//! formatted types ≥ `min_formatted_recall` and not one flagged hard-negative file;
//! context and generic recall are reported (and gated only if asked).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use keyguard::matcher::template::Rng;
use serde_json::{json, Value};

use crate::creds::{self, Class, CredType};
use crate::embed::{self, CorpusFile, EMBEDDINGS};
use crate::negatives;

/// What to build and how to judge it.
#[derive(Debug, Clone)]
pub struct Options {
    pub keyguard: PathBuf,
    pub seed: u64,
    /// Files per credential type (each in a different embedding while they last).
    pub per_type: usize,
    /// Size factor of blob-like negatives (data URIs, bundles, base64 fixtures).
    pub scale: usize,
    /// Write the corpus here and keep it (default: a temporary directory).
    pub keep: Option<PathBuf>,
    pub min_formatted_recall: f64,
    pub min_context_recall: Option<f64>,
}

/// The generated corpus.
pub struct Corpus {
    pub types: Vec<CredType>,
    pub files: Vec<CorpusFile>,
}

const AREAS: &[&str] = &["services", "apps", "libs", "tools", "platform"];

fn root(rng: &mut Rng, n: usize) -> String {
    format!(
        "{}/{}-{n:04}",
        AREAS[rng.below(AREAS.len())],
        embed::word(rng)
    )
}

/// Checks that every plant's span lies inside its file (`embed::place` already checked
/// that the value starts on the recorded line): a generator bug would make every score
/// wrong.
fn verify(file: &CorpusFile) {
    let lines: Vec<&str> = file.content.split('\n').collect();
    for p in &file.plants {
        assert!(
            p.start >= 1 && p.end >= p.start && (p.end as usize) <= lines.len(),
            "plant span {}..{} outside {}",
            p.start,
            p.end,
            file.path
        );
    }
}

/// Builds the corpus for `opts` (deterministic for a given seed).
pub fn build(opts: &Options) -> Corpus {
    let mut rng = Rng::new(opts.seed);
    let types = creds::types();
    let mut files = Vec::new();
    let mut n = 0usize;
    for (i, ct) in types.iter().enumerate() {
        let fits: Vec<&'static embed::Embedding> = EMBEDDINGS
            .iter()
            .filter(|e| embed::compatible(ct, e))
            .collect();
        assert!(
            !fits.is_empty(),
            "no embedding fits credential type {}",
            ct.label
        );
        // Spread a type's files over the whole list, not over neighbouring embeddings.
        let start = rng.below(fits.len());
        let step = (fits.len() / opts.per_type).max(1);
        for k in 0..opts.per_type {
            let e = fits[(start + k * step) % fits.len()];
            let value = (ct.gen)(&mut rng);
            let r = root(&mut rng, n);
            n += 1;
            files.push(embed::render(e, ct, i, &value, &r, &mut rng));
        }
    }
    // Key pairs written together (the secret half has no format of its own).
    let idx = |label: &str| types.iter().position(|t| t.label == label);
    if let (Some(id_akia), Some(id_asia), Some(secret)) = (
        idx("aws-access-key-id"),
        idx("aws-sts-key-id"),
        idx("aws-secret-access-key"),
    ) {
        for k in 0..opts.per_type.max(embed::AWS_PAIR_KINDS) {
            let id_idx = if k % 3 == 2 { id_asia } else { id_akia };
            let id = (types[id_idx].gen)(&mut rng);
            let sec = (types[secret].gen)(&mut rng);
            let r = root(&mut rng, n);
            n += 1;
            files.push(embed::aws_pair(
                k,
                (id_idx, id),
                (secret, sec),
                &r,
                &mut rng,
            ));
        }
    }
    let positives = files.len();
    let variants = negatives::variants();
    let mut v = rng.below(variants.len());
    while files.len() < positives * 2 {
        let variant = &variants[v % variants.len()];
        v += 1;
        let (path, content) = (variant.gen)(&mut rng, opts.scale.max(1));
        let r = root(&mut rng, n);
        n += 1;
        files.push(CorpusFile {
            path: format!("{r}/{path}"),
            content,
            plants: Vec::new(),
            negative: Some((variant.category, variant.name)),
        });
    }
    for f in &files {
        verify(f);
    }
    Corpus { types, files }
}

/// A command with an environment isolated from the user's git and keyguard config.
fn isolated(program: &Path, cwd: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(cwd)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("KEYGUARD_CONFIG")
        .env_remove("KEYGUARD_BIN");
    cmd
}

fn git(dir: &Path, home: &Path, args: &[&str]) -> Result<()> {
    let out = isolated(Path::new("git"), dir, home)
        .args(args)
        .output()
        .with_context(|| format!("running git {args:?}"))?;
    if !out.status.success() {
        bail!(
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// One finding of keyguard's JSON report.
#[derive(Debug, Clone)]
pub struct Reported {
    pub rule_id: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub masked: String,
}

/// What running keyguard on the staged corpus gave.
pub struct Run {
    pub findings: Vec<Reported>,
    pub wall_ms: f64,
    pub exit_code: i32,
    pub scanned_files: u64,
    pub scanned_lines: u64,
    pub rules_in_force: Option<usize>,
}

/// Writes the corpus into a fresh repository, stages it, and runs keyguard on it.
pub fn stage_and_run(corpus: &Corpus, opts: &Options) -> Result<Run> {
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home)?;
    std::fs::write(
        home.join(".gitconfig"),
        "[user]\n\tname = Corpus\n\temail = corpus@example.invalid\n[init]\n\tdefaultBranch = main\n[core]\n\tautocrlf = false\n\tsafecrlf = false\n",
    )?;
    let repo = match &opts.keep {
        Some(dir) => {
            if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
                bail!(
                    "--keep {}: directory exists and is not empty",
                    dir.display()
                );
            }
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => {
            let d = tmp.path().join("repo");
            std::fs::create_dir_all(&d)?;
            d
        }
    };
    for f in &corpus.files {
        let p = repo.join(&f.path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, &f.content).with_context(|| format!("writing {}", p.display()))?;
    }
    git(&repo, &home, &["init", "-q"])?;
    git(&repo, &home, &["add", "-A"])?;
    eprintln!("corpus: staged");

    let keyguard = std::fs::canonicalize(&opts.keyguard).with_context(|| {
        format!(
            "keyguard binary {} not found (build it, or pass --keyguard PATH)",
            opts.keyguard.display()
        )
    })?;
    let started = Instant::now();
    let out = isolated(&keyguard, &repo, &home)
        .args(["--staged", "--format", "json"])
        .output()
        .with_context(|| format!("running {}", keyguard.display()))?;
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    let exit_code = out.status.code().unwrap_or(-1);
    if exit_code != 0 && exit_code != 1 {
        bail!(
            "keyguard exited with {exit_code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let doc: Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "keyguard's JSON report does not parse: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let findings = doc["findings"]
        .as_array()
        .context("no findings array in keyguard's report")?
        .iter()
        .map(|f| Reported {
            rule_id: f["rule_id"].as_str().unwrap_or("?").to_string(),
            file: f["file"].as_str().unwrap_or("").to_string(),
            line: f["line"].as_u64().unwrap_or(0) as u32,
            column: f["column"].as_u64().unwrap_or(0) as u32,
            masked: f["secret"].as_str().unwrap_or("").to_string(),
        })
        .collect();
    let summary = &doc["summary"];
    let rules_in_force = isolated(&keyguard, &repo, &home)
        .args(["rules", "--format", "json"])
        .output()
        .ok()
        .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
        .and_then(|v| v.as_array().map(Vec::len));
    Ok(Run {
        findings,
        wall_ms,
        exit_code,
        scanned_files: summary["files"].as_u64().unwrap_or(0),
        scanned_lines: summary["lines"].as_u64().unwrap_or(0),
        rules_in_force,
    })
}

/// A planted credential that keyguard missed.
#[derive(Debug, Clone)]
pub struct Miss {
    pub file: String,
    pub line: u32,
    pub embedding: &'static str,
}

/// Results for one credential type.
#[derive(Debug, Clone)]
pub struct TypeResult {
    pub label: &'static str,
    pub provider: &'static str,
    pub class: Class,
    pub planted: usize,
    pub detected: usize,
    pub rules: BTreeMap<String, usize>,
    pub missed: Vec<Miss>,
}

/// A finding in a hard-negative file.
#[derive(Debug, Clone)]
pub struct NegativeHit {
    pub variant: &'static str,
    pub file: String,
    pub line: u32,
    pub rule_id: String,
    /// What keyguard reported, masked by keyguard.
    pub masked: String,
    /// Up to 100 characters of the line, from 30 before the finding.
    pub text: String,
}

/// Results for one hard-negative category.
#[derive(Debug, Clone, Default)]
pub struct CategoryResult {
    pub files: usize,
    pub flagged_files: usize,
    pub hits: Vec<NegativeHit>,
}

/// Everything measured.
pub struct Results {
    pub opts: Options,
    pub run: Run,
    pub types: Vec<TypeResult>,
    pub categories: BTreeMap<&'static str, CategoryResult>,
    /// Per embedding, formatted types only: (planted, detected).
    pub embeddings: BTreeMap<&'static str, (usize, usize)>,
    pub stray: Vec<Reported>,
    pub file_level: usize,
    pub true_findings: usize,
    pub positive_files: usize,
    pub negative_files: usize,
    pub lines: usize,
    pub bytes: usize,
    pub gate_failures: Vec<String>,
}

impl Results {
    /// (types, planted, detected) of a class.
    pub fn class_totals(&self, class: Class) -> (usize, usize, usize) {
        self.types
            .iter()
            .filter(|t| t.class == class)
            .fold((0, 0, 0), |(n, p, d), t| {
                (n + 1, p + t.planted, d + t.detected)
            })
    }

    pub fn flagged_negative_files(&self) -> usize {
        self.categories.values().map(|c| c.flagged_files).sum()
    }

    pub fn false_findings(&self) -> usize {
        self.stray.len()
            + self
                .categories
                .values()
                .map(|c| c.hits.len())
                .sum::<usize>()
    }

    pub fn precision(&self) -> f64 {
        ratio(
            self.true_findings,
            self.true_findings + self.false_findings(),
        )
    }

    pub fn passed(&self) -> bool {
        self.gate_failures.is_empty()
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Compares keyguard's findings with what was planted.
pub fn score(corpus: &Corpus, run: Run, opts: &Options) -> Results {
    let mut types: Vec<TypeResult> = corpus
        .types
        .iter()
        .map(|t| TypeResult {
            label: t.label,
            provider: t.provider,
            class: t.class,
            planted: 0,
            detected: 0,
            rules: BTreeMap::new(),
            missed: Vec::new(),
        })
        .collect();
    let mut by_file: HashMap<&str, Vec<&Reported>> = HashMap::new();
    for f in &run.findings {
        by_file.entry(f.file.as_str()).or_default().push(f);
    }
    let mut categories: BTreeMap<&'static str, CategoryResult> = BTreeMap::new();
    let mut embeddings: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    let (mut stray, mut file_level, mut true_findings) = (Vec::new(), 0, 0);
    for file in &corpus.files {
        let found = by_file.remove(file.path.as_str()).unwrap_or_default();
        if let Some((category, variant)) = file.negative {
            let c = categories.entry(category).or_default();
            c.files += 1;
            if !found.is_empty() {
                c.flagged_files += 1;
            }
            let lines: Vec<&str> = file.content.split('\n').collect();
            for f in found {
                // The text around the finding (lines of minified code are long).
                let line: Vec<char> = lines
                    .get((f.line as usize).saturating_sub(1))
                    .map(|l| l.trim_end_matches('\r').chars().collect())
                    .unwrap_or_default();
                let from = (f.column as usize).saturating_sub(31).min(line.len());
                let text: String = line[from..(from + 100).min(line.len())].iter().collect();
                c.hits.push(NegativeHit {
                    variant,
                    file: f.file.clone(),
                    line: f.line,
                    rule_id: f.rule_id.clone(),
                    masked: f.masked.clone(),
                    text: text.trim().to_string(),
                });
            }
            continue;
        }
        let mut hit = vec![false; file.plants.len()];
        for f in found {
            // The plant this finding is about: the one whose span holds its line; when two
            // values share a line (a CSV row), the one starting last at or before its column.
            let on_line = |p: &&embed::Plant| (p.start..=p.end).contains(&f.line);
            let plant = file
                .plants
                .iter()
                .enumerate()
                .filter(|(_, p)| on_line(p))
                .max_by_key(|(_, p)| {
                    let before = p.start != f.line || p.column <= f.column;
                    (
                        before,
                        if before {
                            p.column
                        } else {
                            u32::MAX - p.column
                        },
                    )
                });
            match plant {
                Some((i, p)) => {
                    true_findings += 1;
                    if !hit[i] {
                        hit[i] = true;
                        *types[p.type_idx]
                            .rules
                            .entry(f.rule_id.clone())
                            .or_default() += 1;
                    }
                }
                None if f.masked == f.file => file_level += 1,
                None => stray.push(f.clone()),
            }
        }
        for (p, &h) in file.plants.iter().zip(&hit) {
            let t = &mut types[p.type_idx];
            t.planted += 1;
            if h {
                t.detected += 1;
            } else {
                t.missed.push(Miss {
                    file: file.path.clone(),
                    line: p.start,
                    embedding: p.embedding,
                });
            }
            if t.class == Class::Formatted {
                let e = embeddings.entry(p.embedding).or_default();
                e.0 += 1;
                e.1 += usize::from(h);
            }
        }
    }
    // Findings in files the corpus does not have would be a keyguard path bug.
    for (_, rest) in by_file {
        stray.extend(rest.into_iter().cloned());
    }
    let positive_files = corpus.files.iter().filter(|f| f.negative.is_none()).count();
    let mut results = Results {
        opts: opts.clone(),
        run,
        types,
        categories,
        embeddings,
        stray,
        file_level,
        true_findings,
        positive_files,
        negative_files: corpus.files.len() - positive_files,
        lines: corpus.files.iter().map(|f| f.content.lines().count()).sum(),
        bytes: corpus.files.iter().map(|f| f.content.len()).sum(),
        gate_failures: Vec::new(),
    };
    let (_, p, d) = results.class_totals(Class::Formatted);
    if ratio(d, p) < opts.min_formatted_recall {
        results.gate_failures.push(format!(
            "formatted recall {} < target {}",
            pct(d, p),
            pct_f(opts.min_formatted_recall)
        ));
    }
    if let Some(min) = opts.min_context_recall {
        let (_, p, d) = results.class_totals(Class::Context);
        if ratio(d, p) < min {
            results.gate_failures.push(format!(
                "context recall {} < target {}",
                pct(d, p),
                pct_f(min)
            ));
        }
    }
    let flagged = results.flagged_negative_files();
    if flagged > 0 {
        results.gate_failures.push(format!(
            "{flagged} hard-negative file(s) flagged (target 0)"
        ));
    }
    results
}

/// Builds, runs and scores: the whole benchmark.
pub fn run(opts: &Options) -> Result<Results> {
    let t = Instant::now();
    let corpus = build(opts);
    eprintln!(
        "corpus: generated {} files in {:.0} ms",
        corpus.files.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let run = stage_and_run(&corpus, opts)?;
    Ok(score(&corpus, run, opts))
}

fn pct(a: usize, b: usize) -> String {
    pct_f(ratio(a, b))
}

fn pct_f(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('`', "'")
}

/// The report as Markdown tables.
pub fn markdown(r: &Results) -> String {
    let mut o = String::new();
    let kg = &r.run;
    o.push_str("# keyguard corpus benchmark\n\n");
    o.push_str(&format!(
        "Seed {} · keyguard `{}` ({} rules in force) · {} credential types, {} files each\n\n",
        r.opts.seed,
        r.opts.keyguard.display(),
        kg.rules_in_force
            .map_or_else(|| "?".to_string(), |n| n.to_string()),
        r.types.len(),
        r.opts.per_type
    ));
    o.push_str(&format!(
        "Corpus: {} positive files ({} planted credentials), {} hard-negative files; {} files, {} lines, {} KiB staged. \
         keyguard scanned {} files / {} lines in **{:.0} ms** (wall time, exit {}).\n\n",
        r.positive_files,
        r.types.iter().map(|t| t.planted).sum::<usize>(),
        r.negative_files,
        r.positive_files + r.negative_files,
        r.lines,
        r.bytes / 1024,
        kg.scanned_files,
        kg.scanned_lines,
        kg.wall_ms,
        kg.exit_code
    ));

    o.push_str("## Summary\n\n| measure | types | planted | detected | value | target | |\n|---|---|---|---|---|---|---|\n");
    for class in [Class::Formatted, Class::Context, Class::Generic] {
        let (n, p, d) = r.class_totals(class);
        let (target, ok) = match (class, r.opts.min_context_recall) {
            (Class::Formatted, _) => (
                format!("≥ {}", pct_f(r.opts.min_formatted_recall)),
                if ratio(d, p) >= r.opts.min_formatted_recall {
                    "pass"
                } else {
                    "**FAIL**"
                },
            ),
            (Class::Context, Some(min)) => (
                format!("≥ {}", pct_f(min)),
                if ratio(d, p) >= min {
                    "pass"
                } else {
                    "**FAIL**"
                },
            ),
            _ => ("report only".to_string(), ""),
        };
        o.push_str(&format!(
            "| {} recall | {n} | {p} | {d} | {} | {target} | {ok} |\n",
            class.name(),
            pct(d, p)
        ));
    }
    let flagged = r.flagged_negative_files();
    o.push_str(&format!(
        "| flagged hard-negative files | | {} files | {flagged} | {} | 0 | {} |\n",
        r.negative_files,
        pct(flagged, r.negative_files),
        if flagged == 0 { "pass" } else { "**FAIL**" }
    ));
    o.push_str(&format!(
        "| precision (findings at a planted line / all findings) | | {} findings | {} | {} | report only | |\n\n",
        r.true_findings + r.false_findings(),
        r.true_findings,
        pct(r.true_findings, r.true_findings + r.false_findings())
    ));
    if r.file_level > 0 {
        o.push_str(&format!(
            "{} file-level finding(s) in positive files (rules about a file as a whole) are left out of precision.\n\n",
            r.file_level
        ));
    }

    o.push_str("## Recall per credential type\n\n| type | class | provider | detected | recall | rules that fired | missed in (embedding) |\n|---|---|---|---|---|---|---|\n");
    let mut rows: Vec<&TypeResult> = r.types.iter().collect();
    rows.sort_by(|a, b| {
        a.class
            .cmp(&b.class)
            .then(ratio(a.detected, a.planted).total_cmp(&ratio(b.detected, b.planted)))
            .then(a.label.cmp(b.label))
    });
    for t in rows {
        let rules: Vec<String> = t.rules.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
        let mut missed: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &t.missed {
            *missed.entry(m.embedding).or_default() += 1;
        }
        let missed: Vec<String> = missed
            .iter()
            .map(|(k, v)| {
                if *v > 1 {
                    format!("{k} ×{v}")
                } else {
                    k.to_string()
                }
            })
            .collect();
        o.push_str(&format!(
            "| {} | {} | {} | {}/{} | {} | {} | {} |\n",
            t.label,
            t.class.name(),
            if t.provider.is_empty() {
                "-"
            } else {
                t.provider
            },
            t.detected,
            t.planted,
            pct(t.detected, t.planted),
            cell(&rules.join(", ")),
            missed.join(", ")
        ));
    }

    o.push_str("\n## Recall per embedding (formatted types)\n\n| embedding | detected | recall |\n|---|---|---|\n");
    let mut emb: Vec<(&&str, &(usize, usize))> = r.embeddings.iter().collect();
    emb.sort_by(|a, b| {
        ratio(a.1 .1, a.1 .0)
            .total_cmp(&ratio(b.1 .1, b.1 .0))
            .then(a.0.cmp(b.0))
    });
    for (name, (p, d)) in emb {
        o.push_str(&format!("| {name} | {d}/{p} | {} |\n", pct(*d, *p)));
    }

    o.push_str("\n## Hard negatives per category\n\n| category | files | flagged files | rules that fired |\n|---|---|---|---|\n");
    for (cat, c) in &r.categories {
        let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
        for h in &c.hits {
            *rules.entry(h.rule_id.as_str()).or_default() += 1;
        }
        let rules: Vec<String> = rules.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
        o.push_str(&format!(
            "| {cat} | {} | {} | {} |\n",
            c.files,
            c.flagged_files,
            rules.join(", ")
        ));
    }
    let hits: Vec<(&&str, &NegativeHit)> = r
        .categories
        .iter()
        .flat_map(|(cat, c)| c.hits.iter().map(move |h| (cat, h)))
        .collect();
    if !hits.is_empty() {
        o.push_str("\n### Findings in hard negatives (first 60)\n\n| category/variant | file:line | rule | reported | text around it |\n|---|---|---|---|---|\n");
        for (cat, h) in hits.iter().take(60) {
            o.push_str(&format!(
                "| {cat}/{} | {}:{} | {} | `{}` | `{}` |\n",
                h.variant,
                h.file,
                h.line,
                h.rule_id,
                cell(&h.masked),
                cell(&h.text)
            ));
        }
    }
    if !r.stray.is_empty() {
        o.push_str("\n### Stray findings in positive files (not on a planted line; first 40)\n\n| file:line | rule |\n|---|---|\n");
        for s in r.stray.iter().take(40) {
            o.push_str(&format!("| {}:{} | {} |\n", s.file, s.line, s.rule_id));
        }
    }
    o.push_str("\n## Gate\n\n");
    if r.passed() {
        o.push_str("PASS: all targets met.\n");
    } else {
        o.push_str("FAIL:\n");
        for f in &r.gate_failures {
            o.push_str(&format!("- {f}\n"));
        }
    }
    o
}

/// The results as one JSON document (for scripts and trend tracking).
pub fn to_json(r: &Results) -> Value {
    let class = |c: Class| {
        let (n, p, d) = r.class_totals(c);
        json!({"types": n, "planted": p, "detected": d, "recall": ratio(d, p)})
    };
    json!({
        "seed": r.opts.seed,
        "keyguard": r.opts.keyguard.display().to_string(),
        "rules_in_force": r.run.rules_in_force,
        "per_type": r.opts.per_type,
        "corpus": {
            "positive_files": r.positive_files,
            "negative_files": r.negative_files,
            "lines": r.lines,
            "bytes": r.bytes,
        },
        "keyguard_run": {
            "wall_ms": r.run.wall_ms,
            "exit_code": r.run.exit_code,
            "scanned_files": r.run.scanned_files,
            "scanned_lines": r.run.scanned_lines,
            "findings": r.run.findings.len(),
        },
        "recall": {
            "formatted": class(Class::Formatted),
            "context": class(Class::Context),
            "generic": class(Class::Generic),
        },
        "precision": r.precision(),
        "true_findings": r.true_findings,
        "false_findings": r.false_findings(),
        "file_level_findings": r.file_level,
        "flagged_negative_files": r.flagged_negative_files(),
        "types": r.types.iter().map(|t| json!({
            "label": t.label,
            "provider": t.provider,
            "class": t.class.name(),
            "planted": t.planted,
            "detected": t.detected,
            "recall": ratio(t.detected, t.planted),
            "rules": t.rules,
            "missed": t.missed.iter().map(|m| json!({"file": m.file, "line": m.line, "embedding": m.embedding})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "embeddings": r.embeddings.iter().map(|(k, (p, d))| json!({"embedding": k, "planted": p, "detected": d})).collect::<Vec<_>>(),
        "negatives": r.categories.iter().map(|(cat, c)| json!({
            "category": cat,
            "files": c.files,
            "flagged_files": c.flagged_files,
            "findings": c.hits.iter().map(|h| json!({"variant": h.variant, "file": h.file, "line": h.line, "rule_id": h.rule_id, "reported": h.masked, "text": h.text})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "stray_findings": r.stray.iter().map(|s| json!({"file": s.file, "line": s.line, "rule_id": s.rule_id})).collect::<Vec<_>>(),
        "gate": {"passed": r.passed(), "failures": r.gate_failures},
    })
}
