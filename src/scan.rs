//! The pipeline: units from a source → matcher → filters → sorted findings.
//!
//! Sources, matcher, filters and reports know nothing of each other; this is the one
//! place that connects them.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Result;
use git2::{Oid, Repository};

use crate::config::Settings;
use crate::filter::{self, Baseline};
use crate::finding::Finding;
use crate::matcher::Matcher;
use crate::source::commits::{self, CopiedChange, SeenPairs};
use crate::source::diff::{self, FileChange, FileOutcome};
use crate::source::repo::par_map;
use crate::source::{CommitInfo, ScanStats, ScanUnit};
use rayon::prelude::*;

/// Reads, matches and filters each change of a staged or named-files scan; findings come
/// back in file, line, column order.
///
/// Each file's unit is matched as soon as it is read and dropped once matched, so memory
/// holds one file per worker and the findings, never the whole commit's text (a 100 MB
/// commit is matched in a few dozen MiB).
pub fn scan_changes(
    repo: &Repository,
    changes: &[FileChange],
    matcher: &Matcher,
    settings: &Settings,
    baseline: &Baseline,
    stats: &mut ScanStats,
) -> Result<Vec<Finding>> {
    let one = |repo: &Repository, c: &FileChange, stats: &mut ScanStats| -> Result<Vec<Finding>> {
        Ok(
            match diff::scan_change(repo, c, None, settings.limits, stats)? {
                FileOutcome::Unit(u) => filter::apply(&u, matcher.scan(&u)?, settings, baseline),
                FileOutcome::Nothing => Vec::new(),
            },
        )
    };
    let mut findings = Vec::new();
    // Spinning up threads costs more than a typical commit's few files take to read.
    if changes.len() < 32 {
        for c in changes {
            findings.extend(one(repo, c, stats)?);
        }
    } else {
        let results = par_map(repo, changes, |repo, c| {
            let mut local = ScanStats::default();
            Ok((one(repo, c, &mut local)?, local))
        });
        for r in results {
            let (found, local) = r?;
            stats.absorb(local);
            findings.extend(found);
        }
    }
    sort(&mut findings);
    Ok(findings)
}

/// Matches and filters units already in memory (files on disk, standard input, commit
/// and tag messages, the stash); findings come back in file, line, column order.
pub fn scan_units(
    units: &[ScanUnit],
    matcher: &Matcher,
    settings: &Settings,
    baseline: &Baseline,
) -> Result<Vec<Finding>> {
    let one = |u: &ScanUnit| -> Result<Vec<Finding>> {
        Ok(filter::apply(u, matcher.scan(u)?, settings, baseline))
    };
    // Parallelism only pays off once there is real text to match.
    let total: usize = units.iter().map(|u| u.text.len()).sum();
    let per_unit: Vec<Vec<Finding>> = if units.len() > 1 && total > 256 * 1024 {
        units.par_iter().map(one).collect::<Result<_>>()?
    } else {
        units.iter().map(one).collect::<Result<_>>()?
    };
    let mut findings: Vec<Finding> = per_unit.into_iter().flatten().collect();
    sort(&mut findings);
    Ok(findings)
}

/// Stable report order within one scan of units: file, line, column, rule.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.rule.id).cmp(&(&b.file, b.line, b.column, &b.rule.id))
    });
}

/// One commit's changes, and what reading them skipped.
type CommitChanges = (Arc<CommitInfo>, Vec<FileChange>, ScanStats);

/// How many commits are read per batch: bounds memory on huge histories while giving
/// the thread pool enough work.
const BATCH: usize = 256;

/// Scans the changes of `commits` (oldest first). Each distinct blob comparison is read
/// and matched once, and attributed to the first commit that made it. Work is spread over
/// all cores; `progress` is told how many commits are done.
pub fn scan_commits(
    repo: &Repository,
    commits: &[Oid],
    matcher: &Matcher,
    settings: &Settings,
    baseline: &Baseline,
    progress: &dyn Fn(u64),
) -> Result<(Vec<Finding>, ScanStats)> {
    scan_commits_noting_copies(repo, commits, matcher, settings, baseline, progress, None)
}

/// [`scan_commits`], also listing in `copies` (when given) every repeated change, so that
/// a caller asking *which commits* brought a key in (the inventory: is it on a pushed
/// branch?) sees the cherry-picked copy on `main` of a change first made on a local
/// branch. Only the first commit is read and matched either way.
pub fn scan_commits_noting_copies(
    repo: &Repository,
    commits: &[Oid],
    matcher: &Matcher,
    settings: &Settings,
    baseline: &Baseline,
    progress: &dyn Fn(u64),
    mut copies: Option<&mut Vec<CopiedChange>>,
) -> Result<(Vec<Finding>, ScanStats)> {
    let mut seen = SeenPairs::default();
    // Only kept when copies are asked for: the first commit of each comparison.
    let mut firsts: HashMap<u128, Arc<CommitInfo>> = HashMap::new();
    let mut stats = ScanStats {
        commits: commits.len(),
        ..ScanStats::default()
    };
    let mut findings = Vec::new();
    for batch in commits.chunks(BATCH) {
        // 1. What each commit changed (tree diffs), in parallel.
        let per_commit: Vec<Result<CommitChanges>> = par_map(repo, batch, |repo, oid| {
            let mut local = ScanStats::default();
            let (info, changes) = commits::commit_changes(repo, *oid, &mut local)?;
            Ok((info, changes, local))
        });
        // 2. Drop comparisons already scanned in an earlier commit (in commit order).
        let mut work: Vec<(Arc<CommitInfo>, FileChange)> = Vec::new();
        for r in per_commit {
            let (info, changes, local) = r?;
            stats.absorb(local);
            for c in changes {
                if let Some(copies) = copies.as_deref_mut() {
                    let key = SeenPairs::key(&c);
                    match firsts.get(&key) {
                        Some(first) => {
                            if let Ok(copy) = Oid::from_str(&info.id) {
                                copies.push(CopiedChange {
                                    first: Arc::clone(first),
                                    path: c.path.clone(),
                                    copy,
                                });
                            }
                            continue;
                        }
                        None => {
                            firsts.insert(key, Arc::clone(&info));
                        }
                    }
                }
                if seen.first_time(&c) {
                    work.push((Arc::clone(&info), c));
                }
            }
        }
        // 3. Read, diff, match and filter each change, in parallel; units are dropped as
        //    soon as they are matched, so memory holds one batch of findings, not text.
        let results: Vec<Result<(Vec<Finding>, ScanStats)>> =
            par_map(repo, &work, |repo, (info, change)| {
                let mut local = ScanStats::default();
                let found =
                    match diff::scan_change(repo, change, Some(info), settings.limits, &mut local)?
                    {
                        FileOutcome::Unit(u) => {
                            filter::apply(&u, matcher.scan(&u)?, settings, baseline)
                        }
                        _ => Vec::new(),
                    };
                Ok((found, local))
            });
        for r in results {
            let (found, local) = r?;
            // `commits` was already counted for the whole run.
            stats.absorb(ScanStats {
                commits: 0,
                ..local
            });
            findings.extend(found);
        }
        progress(batch.len() as u64);
    }
    // Oldest commit first, then file order within a commit.
    let order: HashMap<Oid, usize> = commits.iter().enumerate().map(|(i, o)| (*o, i)).collect();
    findings.sort_by_key(|f| {
        let idx = f
            .commit
            .as_ref()
            .and_then(|c| Oid::from_str(&c.id).ok())
            .and_then(|o| order.get(&o).copied())
            .unwrap_or(0);
        (idx, f.file.clone(), f.line, f.column)
    });
    Ok((findings, stats))
}

/// How many files on disk are read per batch: bounds memory on big folders.
const FILE_BATCH: usize = 512;

/// Scans files on disk (from `files::walk`), a batch at a time: only one batch's text is
/// held in memory.
pub fn scan_files(
    files: &[std::path::PathBuf],
    matcher: &Matcher,
    settings: &Settings,
    baseline: &Baseline,
    stats: &mut ScanStats,
) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for batch in files.chunks(FILE_BATCH) {
        let units = crate::source::files::read_files(batch, settings.limits, stats)?;
        findings.extend(scan_units(&units, matcher, settings, baseline)?);
    }
    sort(&mut findings);
    Ok(findings)
}
