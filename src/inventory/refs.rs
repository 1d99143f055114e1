//! Which refs hold a key: a branch, tag or remote-tracking ref "contains" a key when its
//! history contains a commit that added it (the key ships with every clone or push of
//! that ref, even if a later commit removed it from the files).
//!
//! One pass over history, parents before children, carries for each commit the set of
//! keys its history added (a bitset over the keys); each ref then reads its tip's set.
//! Linear in commits × keys/64 words, instead of one ancestry query per (ref, commit).

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

/// A set of key indexes.
#[derive(Clone, Default, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn set(&mut self, i: usize) {
        if self.0.len() <= i / 64 {
            self.0.resize(i / 64 + 1, 0);
        }
        self.0[i / 64] |= 1 << (i % 64);
    }

    fn union(&mut self, other: &Bits) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn is_superset(&self, other: &Bits) -> bool {
        other
            .0
            .iter()
            .enumerate()
            .all(|(i, b)| self.0.get(i).copied().unwrap_or(0) & b == *b)
    }
}

/// The refs that contain each key.
#[derive(Debug, Clone, Default)]
pub struct Holders {
    pub branches: BTreeSet<String>,
    pub tags: BTreeSet<String>,
    /// Remote-tracking refs (`origin/main`): the key has left the machine.
    pub remotes: BTreeSet<String>,
}

/// For each key (index into the caller's list), the refs whose history holds one of
/// `added[key]` (the commits that added it). `commits` is the whole history, parents
/// before children (as `history::commits_in` lists it).
pub fn holders(repo: &Repository, commits: &[Oid], added: &[Vec<Oid>]) -> Result<Vec<Holders>> {
    let mut out = vec![Holders::default(); added.len()];
    if added.iter().all(Vec::is_empty) {
        return Ok(out);
    }
    let mut own: HashMap<Oid, Bits> = HashMap::new();
    for (key, ids) in added.iter().enumerate() {
        for id in ids {
            own.entry(*id).or_default().set(key);
        }
    }
    // Commits whose history added nothing share no set at all (`None`); a commit with
    // one parent and nothing of its own shares its parent's set.
    let mut sets: HashMap<Oid, Option<Rc<Bits>>> = HashMap::with_capacity(commits.len());
    for &oid in commits {
        let commit = repo
            .find_commit(oid)
            .with_context(|| format!("reading commit {oid}"))?;
        let mut acc: Option<Rc<Bits>> = None;
        for parent in commit.parent_ids() {
            // A parent outside the walk (a shallow boundary) contributes nothing.
            let Some(Some(p)) = sets.get(&parent) else {
                continue;
            };
            acc = Some(match acc {
                None => Rc::clone(p),
                Some(a) if a.is_superset(p) => a,
                Some(a) => {
                    let mut merged = (*a).clone();
                    merged.union(p);
                    Rc::new(merged)
                }
            });
        }
        if let Some(mine) = own.get(&oid) {
            let mut merged = acc.as_deref().cloned().unwrap_or_default();
            merged.union(mine);
            acc = Some(Rc::new(merged));
        }
        sets.insert(oid, acc);
    }
    let refs = repo.references().context("listing refs")?;
    for r in refs {
        let r = r.context("reading a ref")?;
        let Some(name) = r.name() else { continue };
        let (kind, short) = if let Some(s) = name.strip_prefix("refs/heads/") {
            (0, s)
        } else if let Some(s) = name.strip_prefix("refs/tags/") {
            (1, s)
        } else if let Some(s) = name.strip_prefix("refs/remotes/") {
            // `origin/HEAD` only repeats the remote's default branch.
            if s.ends_with("/HEAD") {
                continue;
            }
            (2, s)
        } else {
            continue;
        };
        // A tag of a tree or a blob has no history.
        let Ok(tip) = r.peel_to_commit() else {
            continue;
        };
        let Some(Some(set)) = sets.get(&tip.id()) else {
            continue;
        };
        for (key, holders) in out.iter_mut().enumerate() {
            if set.contains(key) {
                let list = match kind {
                    0 => &mut holders.branches,
                    1 => &mut holders.tags,
                    _ => &mut holders.remotes,
                };
                list.insert(short.to_string());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_union_and_superset() {
        let mut a = Bits::default();
        a.set(3);
        let mut b = Bits::default();
        b.set(70);
        assert!(!a.is_superset(&b));
        a.union(&b);
        assert!(a.contains(3) && a.contains(70) && !a.contains(4));
        assert!(a.is_superset(&b));
        assert!(Bits::default().is_superset(&Bits::default()));
    }
}
