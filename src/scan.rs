//! The pipeline: units from a source → matcher → filters → sorted findings.
//!
//! Sources, matcher, filters and reports know nothing of each other; this is the one
//! place that connects them.

use anyhow::Result;
use rayon::prelude::*;

use crate::config::Settings;
use crate::filter::{self, Baseline};
use crate::finding::Finding;
use crate::matcher::Matcher;
use crate::source::ScanUnit;

/// Matches and filters every unit; findings come back in file, line, column order.
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

/// Stable report order: by commit (as given by the source), file, line, column, rule.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.rule.id).cmp(&(&b.file, b.line, b.column, &b.rule.id))
    });
}
