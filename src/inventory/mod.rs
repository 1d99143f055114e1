//! The inventory (`keyguard inventory`): every distinct key (by fingerprint) found in
//! history, at HEAD, in the index and in untracked files, with where it is, which refs
//! hold it, whether it has left the machine, and in what order to rotate them.
//!
//! This module owns the grouping and the ordering; `app::inventory` gathers the findings
//! (history through `crate::scan`), `report::inventory` renders. `places` reads HEAD, the
//! index and the work tree whole, `refs` finds the refs that hold each key, `assign` names
//! what a key is assigned to, `purge` is `keyguard redact` and the purge plan.

pub mod assign;
pub mod places;
pub mod purge;
pub mod refs;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use anyhow::Result;
use git2::{Oid, Repository};
use serde::Serialize;

use crate::finding::{Allowed, Finding};
use crate::matcher::Rule;
use crate::rules::schema::Severity;
use crate::source::ScanStats;
use crate::verify::{self, Status, Verification};
pub use places::{Presence, Present};
pub use refs::Holders;

/// How urgently a key must be rotated, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    /// The provider said it works (`--verify`), and a remote-tracking ref holds it.
    LivePushed,
    /// A remote-tracking ref (`refs/remotes/*`) holds it: it has left the machine.
    Pushed,
    /// Not pushed, but in HEAD's files: the next push sends it.
    AtHead,
    /// Only in local history (removed from HEAD, never pushed).
    HistoryOnly,
    /// Never committed: only staged in the index or in an untracked file.
    Uncommitted,
}

impl Urgency {
    pub fn label(self) -> &'static str {
        match self {
            Urgency::LivePushed => "LIVE + PUSHED",
            Urgency::Pushed => "PUSHED",
            Urgency::AtHead => "AT HEAD",
            Urgency::HistoryOnly => "HISTORY ONLY",
            Urgency::Uncommitted => "NOT COMMITTED",
        }
    }
}

/// The commit that first added a key.
#[derive(Debug, Clone, Serialize)]
pub struct FirstCommit {
    pub id: String,
    pub short: String,
    pub summary: String,
    pub author: String,
    pub email: String,
    /// `YYYY-MM-DD HH:MM:SS ±HHMM`, in the author's time zone.
    pub date: String,
    #[serde(skip)]
    pub time: i64,
}

/// One place a key is now (HEAD, the index, an untracked file).
#[derive(Debug, Clone)]
pub struct Place {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub assigned_to: Option<String>,
    pub presence: Presence,
}

/// One distinct key.
#[derive(Debug, Clone)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: Arc<Rule>,
    pub masked: String,
    pub severity: Severity,
    /// Set when every sighting of the key is allowed (the first reason found).
    pub allowed: Option<Allowed>,
    pub first: Option<FirstCommit>,
    /// How many commits added it (a cherry-picked copy counts).
    pub commits: usize,
    /// Commit and tag messages that hold it (`commit message of 1a2b3c4d5e`).
    pub messages: Vec<String>,
    /// Where it is now, sorted by path and line.
    pub places: Vec<Place>,
    pub holders: Holders,
    pub verification: Option<Verification>,
    pub urgency: Urgency,
}

impl Entry {
    pub fn blocks(&self) -> bool {
        self.allowed.is_none() && self.severity == Severity::Block
    }

    pub fn pushed(&self) -> bool {
        !self.holders.remotes.is_empty()
    }

    pub fn at_head(&self) -> bool {
        self.places.iter().any(|p| p.presence.at_head)
    }

    pub fn in_history(&self) -> bool {
        self.commits > 0 || !self.messages.is_empty()
    }

    pub fn live(&self) -> bool {
        self.verification
            .as_ref()
            .is_some_and(|v| v.status == Status::Live)
    }

    /// The places that must switch to the new key: HEAD and the index (an untracked
    /// file is listed too, it holds the key as well).
    pub fn to_update(&self) -> impl Iterator<Item = &Place> {
        self.places.iter()
    }
}

/// The whole inventory, in rotation order.
#[derive(Debug)]
pub struct Inventory {
    pub entries: Vec<Entry>,
    pub stats: ScanStats,
    /// Untracked files were read (`--worktree`).
    pub worktree: bool,
    pub verification: Option<verify::Results>,
    /// The purge command to print, when `--purge-plan` wrote one.
    pub purge_command: Option<String>,
}

impl Inventory {
    pub fn reported(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.allowed.is_none())
    }

    pub fn allowed(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.allowed.is_some())
    }

    pub fn blocking(&self) -> usize {
        self.entries.iter().filter(|e| e.blocks()).count()
    }
}

/// What the sources found, for [`assemble`].
pub struct Sightings<'a> {
    /// History findings (oldest commit first), commit and tag messages included.
    pub history: &'a [Finding],
    /// Later commits that repeated a change already scanned (see `CopiedChange`).
    pub copies: &'a [crate::source::commits::CopiedChange],
    /// Keys now at HEAD, in the index, in untracked files.
    pub present: &'a [Present],
    /// The whole history, parents before children.
    pub commits: &'a [Oid],
}

/// Groups the findings by fingerprint and orders the keys.
pub fn assemble(
    repo: &Repository,
    seen: &Sightings,
    verification: Option<&verify::Results>,
) -> Result<Vec<Entry>> {
    let mut order: Vec<String> = Vec::new();
    let mut by_fp: HashMap<String, Entry> = HashMap::new();
    let mut added: HashMap<String, BTreeSet<Oid>> = HashMap::new();
    let mut copies: HashMap<(&str, &str), Vec<Oid>> = HashMap::new();
    for c in seen.copies {
        copies
            .entry((c.first.id.as_str(), c.path.as_str()))
            .or_default()
            .push(c.copy);
    }
    for f in seen.history {
        let fp = entry_for(&mut by_fp, &mut order, f);
        let Some(c) = &f.commit else { continue };
        let e = by_fp.get_mut(&fp).expect("entry");
        if f.location.is_message() {
            let label = format!("{} of {}", f.file, c.short);
            if !e.messages.contains(&label) {
                e.messages.push(label);
            }
        }
        if e.first.is_none() {
            e.first = first_commit(repo, &c.id);
        }
        let ids = added.entry(fp).or_default();
        if let Ok(oid) = Oid::from_str(&c.id) {
            ids.insert(oid);
        }
        if let Some(more) = copies.get(&(c.id.as_str(), f.file.as_str())) {
            ids.extend(more.iter().copied());
        }
    }
    for p in seen.present {
        let fp = entry_for(&mut by_fp, &mut order, &p.finding);
        let e = by_fp.get_mut(&fp).expect("entry");
        e.places.push(Place {
            path: p.finding.file.clone(),
            line: p.finding.line,
            column: p.finding.column,
            assigned_to: p.assigned_to.clone(),
            presence: p.presence,
        });
    }
    let added_lists: Vec<Vec<Oid>> = order
        .iter()
        .map(|fp| {
            added
                .get(fp)
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default()
        })
        .collect();
    let holders = refs::holders(repo, seen.commits, &added_lists)?;
    let mut entries: Vec<Entry> = Vec::with_capacity(order.len());
    for ((fp, h), ids) in order.iter().zip(holders).zip(&added_lists) {
        let mut e = by_fp.remove(fp).expect("entry");
        e.holders = h;
        e.commits = ids.len();
        e.places
            .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
        e.verification = verification.and_then(|v| v.get(fp)).cloned();
        e.urgency = urgency(&e);
        entries.push(e);
    }
    entries.sort_by(|a, b| {
        let key = |e: &Entry| {
            (
                e.urgency,
                !e.live(),
                e.severity != Severity::Block,
                e.first.as_ref().map_or(i64::MAX, |c| c.time),
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    Ok(entries)
}

/// The entry of `f`'s key (new ones in first-seen order), updated with `f`.
fn entry_for(by_fp: &mut HashMap<String, Entry>, order: &mut Vec<String>, f: &Finding) -> String {
    let e = by_fp.entry(f.fingerprint.clone()).or_insert_with(|| {
        order.push(f.fingerprint.clone());
        new_entry(f)
    });
    // Allowed only if every sighting is.
    if f.allowed.is_none() {
        e.allowed = None;
    }
    if f.severity == Severity::Block {
        e.severity = Severity::Block;
    }
    f.fingerprint.clone()
}

fn new_entry(f: &Finding) -> Entry {
    Entry {
        fingerprint: f.fingerprint.clone(),
        rule: Arc::clone(&f.rule),
        masked: f.masked.clone(),
        severity: f.severity,
        allowed: f.allowed,
        first: None,
        commits: 0,
        messages: Vec::new(),
        places: Vec::new(),
        holders: Holders::default(),
        verification: None,
        urgency: Urgency::Uncommitted,
    }
}

/// The ordering rules: live and pushed, pushed, at HEAD, history only, never committed.
fn urgency(e: &Entry) -> Urgency {
    if e.pushed() {
        if e.live() {
            Urgency::LivePushed
        } else {
            Urgency::Pushed
        }
    } else if e.at_head() {
        Urgency::AtHead
    } else if e.in_history() {
        Urgency::HistoryOnly
    } else {
        Urgency::Uncommitted
    }
}

fn first_commit(repo: &Repository, id: &str) -> Option<FirstCommit> {
    let c = repo.find_commit(Oid::from_str(id).ok()?).ok()?;
    let author = c.author();
    let when = author.when();
    Some(FirstCommit {
        id: id.to_string(),
        short: id[..id.len().min(10)].to_string(),
        summary: String::from_utf8_lossy(c.summary_bytes().unwrap_or_default()).into_owned(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: format_time(when.seconds(), when.offset_minutes()),
        time: when.seconds(),
    })
}

/// `YYYY-MM-DD HH:MM:SS ±HHMM` (as `git log --date=iso`). By hand: one civil-date
/// conversion (Howard Hinnant's `civil_from_days`) does not justify a date crate.
pub fn format_time(seconds: i64, offset_minutes: i32) -> String {
    let local = seconds + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_git_prints_them() {
        assert_eq!(format_time(0, 0), "1970-01-01 00:00:00 +0000");
        // `git log --date=iso` of 1700000000 at +0100 and -0530.
        assert_eq!(format_time(1_700_000_000, 60), "2023-11-14 23:13:20 +0100");
        assert_eq!(
            format_time(1_700_000_000, -330),
            "2023-11-14 16:43:20 -0530"
        );
        assert_eq!(format_time(951_782_400, 0), "2000-02-29 00:00:00 +0000");
    }
}
