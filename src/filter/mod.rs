//! Filters: the user's decisions about what not to report.
//!
//! Path and secret allowlists drop a candidate outright (the user said "this is not a
//! secret"). Inline markers, allowlisted fingerprints and the baseline keep the finding
//! but mark it allowed, so summaries can count them and `--show-allowed` can list them:
//! an allow marker must stay visible in code review.

pub mod baseline;

pub use baseline::Baseline;

use crate::config::Settings;
use crate::finding::{Allowed, Finding};
use crate::matcher::{fingerprint, mask, Candidate};
use crate::source::ScanUnit;

/// Applies every filter to one unit's candidates.
pub fn apply(
    unit: &ScanUnit,
    candidates: Vec<Candidate>,
    settings: &Settings,
    baseline: &Baseline,
) -> Vec<Finding> {
    if settings
        .allow_paths
        .as_ref()
        .is_some_and(|g| g.is_match(&unit.path))
    {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(candidates.len());
    let mut spans = Vec::with_capacity(candidates.len());
    for c in candidates {
        if !c.rule.file_rule && settings.allow_secrets.allows(c.secret.expose()) {
            continue;
        }
        let (line, column, _) = unit.locate(c.start);
        let fp = fingerprint(&c.rule.id, c.secret.expose());
        let allowed = if unit.is_allowed_line(line) {
            Some(Allowed::Inline)
        } else if settings.allow_fingerprints.contains(&fp) {
            Some(Allowed::Fingerprint)
        } else if baseline.fingerprints.contains(&fp) {
            Some(Allowed::Baseline)
        } else {
            None
        };
        let masked = if c.rule.file_rule {
            c.secret.expose().to_string()
        } else {
            mask(c.secret.expose(), &c.rule.keywords)
        };
        out.push(Finding {
            severity: c.rule.severity,
            rule: c.rule,
            file: unit.path.clone(),
            line,
            column,
            commit: unit.commit.clone(),
            secret: c.secret,
            masked,
            fingerprint: fp,
            allowed,
            also_matched: Vec::new(),
        });
        spans.push((c.start, c.end));
    }
    merge_same_place(out, &spans)
}

/// How much a rule knows about what it found: a content rule that knows the format beats
/// one that guesses from randomness, and both beat a rule about the file's name, which
/// knows nothing of the content.
fn specificity(f: &Finding) -> u8 {
    match (f.rule.file_rule, f.rule.is_heuristic()) {
        (true, _) => 0,
        (false, true) => 1,
        (false, false) => 2,
    }
}

/// One secret at one place is one finding. Findings of one unit (one file of one commit)
/// on the same line whose spans overlap, or where one of them is a rule about the whole
/// file, are one secret seen by several rules: the most specific rule reports it and names
/// the others in `also_matched`. Merging never changes whether the scan blocks: if any of
/// the merged findings blocks, the kept one is the most specific of those that block (a
/// committed `.env` whose password only warns stays an `env-file` finding).
fn merge_same_place(found: Vec<Finding>, spans: &[(usize, usize)]) -> Vec<Finding> {
    if found.len() < 2 {
        return found;
    }
    let overlap = |a: usize, b: usize| spans[a].0 < spans[b].1 && spans[b].0 < spans[a].1;
    // Groups by union-find. Content findings join when their spans overlap; a rule about
    // the whole file joins one finding on its line (the first content one, else the first
    // other file rule), never two secrets that merely share a line.
    let mut group: Vec<usize> = (0..found.len()).collect();
    fn root(g: &mut [usize], mut i: usize) -> usize {
        while g[i] != i {
            g[i] = g[g[i]];
            i = g[i];
        }
        i
    }
    fn union(g: &mut [usize], a: usize, b: usize) {
        let (ra, rb) = (root(g, a), root(g, b));
        g[ra.max(rb)] = ra.min(rb);
    }
    for a in 0..found.len() {
        for b in a + 1..found.len() {
            let content = !found[a].rule.file_rule && !found[b].rule.file_rule;
            if content && found[a].line == found[b].line && overlap(a, b) {
                union(&mut group, a, b);
            }
        }
    }
    for a in (0..found.len()).filter(|&a| found[a].rule.file_rule) {
        let same_line = |b: &usize| *b != a && found[*b].line == found[a].line;
        let partner = (0..found.len())
            .filter(same_line)
            .find(|&b| !found[b].rule.file_rule)
            .or_else(|| (0..found.len()).filter(same_line).find(|&b| b < a));
        if let Some(b) = partner {
            union(&mut group, a, b);
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); found.len()];
    for i in 0..found.len() {
        let r = root(&mut group, i);
        members[r].push(i);
    }
    let mut slots: Vec<Option<Finding>> = found.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(slots.len());
    for m in members.into_iter().filter(|m| !m.is_empty()) {
        let mut items: Vec<Finding> = m.iter().filter_map(|&i| slots[i].take()).collect();
        // One secret is accepted or not as a whole: when any member is allowed (its
        // fingerprint in the baseline or the allowlist, or a marker on its line), all are.
        // The report and `keyguard baseline` show only the kept finding's fingerprint, so
        // that is the one users accept; were the others judged alone, accepting it would
        // hand the block to the next member (`generic-secret` baselined, `env-file`
        // blocks) and the baseline would never settle. Allowing the group, rather than
        // writing every member's fingerprint to the baseline, also settles baselines and
        // `[allowlist] fingerprints` written before, and keeps one line per secret.
        if let Some(why) = items.iter().find_map(|f| f.allowed) {
            for f in &mut items {
                f.allowed.get_or_insert(why);
            }
        }
        // A finding that blocks first (merging must not turn a blocking secret into a
        // warning, nor a warning into a block), then the most specific, then the longer
        // secret, then the rule listed first (the sort is stable).
        items.sort_by_key(|f| {
            (
                !f.blocks(),
                std::cmp::Reverse(specificity(f)),
                std::cmp::Reverse(f.secret.expose().len()),
            )
        });
        let mut it = items.into_iter();
        let Some(mut kept) = it.next() else { continue };
        for other in it {
            if !kept.also_matched.contains(&other.rule.id) && other.rule.id != kept.rule.id {
                kept.also_matched.push(other.rule.id.clone());
            }
        }
        out.push(kept);
    }
    out
}
