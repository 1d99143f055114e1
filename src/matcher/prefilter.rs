//! The keyword prefilter: which rules' keywords occur in a text, case-insensitively.
//! It decides which regexes run at all, so it is the matcher's hot path.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use memchr::memmem;

/// Finds which keywords occur in a text, case-insensitively.
///
/// A typical commit adds a few kilobytes. Searching those for each keyword with SIMD
/// substring search (`memmem`) takes a fraction of a millisecond, whereas building one
/// Aho-Corasick automaton over hundreds of keywords takes longer than git's whole diff.
/// So small scans use the finders, and once a run has searched more than
/// [`FINDER_BUDGET`] bytes that way (a big commit, a history scan) the automaton is built,
/// once, and used for everything after.
pub(super) struct Prefilter {
    /// Lower-cased, distinct.
    keywords: Vec<String>,
    finders: Vec<memmem::Finder<'static>>,
    automaton: OnceLock<Option<AhoCorasick>>,
    searched: AtomicUsize,
}

/// Bytes searched keyword by keyword before building the automaton pays off.
const FINDER_BUDGET: usize = 16 * 1024;

impl Prefilter {
    pub(super) fn new(keywords: Vec<String>) -> Self {
        let finders = keywords
            .iter()
            .map(|k| memmem::Finder::new(k.as_bytes()).into_owned())
            .collect();
        Prefilter {
            keywords,
            finders,
            automaton: OnceLock::new(),
            searched: AtomicUsize::new(0),
        }
    }

    fn automaton(&self) -> Option<&AhoCorasick> {
        self.automaton
            .get_or_init(|| {
                // Overlapping search (every keyword, even inside another) cannot use the
                // SIMD prefilters, so the automaton's own speed is all there is: a DFA
                // (built once, for big scans only) runs it about twice as fast as an NFA.
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&self.keywords)
                    .ok()
            })
            .as_ref()
    }

    /// Calls `found` with the index of a keyword that occurs in `text` and the byte range of
    /// an occurrence: with `every`, for each occurrence (overlapping ones too), which windowed
    /// matching needs; otherwise at least once for each keyword that occurs.
    pub(super) fn each_hit(
        &self,
        text: &str,
        every: bool,
        mut found: impl FnMut(usize, usize, usize),
    ) {
        let before = self.searched.fetch_add(text.len(), Ordering::Relaxed);
        if before + text.len() > FINDER_BUDGET {
            if let Some(ac) = self.automaton() {
                for m in ac.find_overlapping_iter(text) {
                    found(m.pattern().as_usize(), m.start(), m.end());
                }
                return;
            }
        }
        let lower = text.to_ascii_lowercase();
        let lower = lower.as_bytes();
        for (i, f) in self.finders.iter().enumerate() {
            let n = self.keywords[i].len();
            let mut from = 0;
            // A finder's own iterator skips overlapping occurrences (`aa` in `aaa`).
            while let Some(at) = lower.get(from..).and_then(|h| f.find(h)) {
                found(i, from + at, from + at + n);
                if !every {
                    break;
                }
                from += at + 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(p: &Prefilter, text: &str) -> Vec<usize> {
        let mut v = Vec::new();
        p.each_hit(text, false, |k, _, _| v.push(k));
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn finders_and_automaton_agree() {
        let kws: Vec<String> = ["sk-proj-", "ghp_", "akia", "password", "t3blbkfj"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let texts = [
            "x = SK-PROJ-abc and ghp_",
            "nothing here",
            "AKIA Password T3BlbkFJ",
            "pass word",
        ];
        let small = Prefilter::new(kws.clone());
        let by_finders: Vec<Vec<usize>> = texts.iter().map(|t| hits(&small, t)).collect();
        let big = Prefilter::new(kws);
        big.searched.store(FINDER_BUDGET, Ordering::Relaxed);
        let by_automaton: Vec<Vec<usize>> = texts.iter().map(|t| hits(&big, t)).collect();
        assert!(
            big.automaton.get().is_some(),
            "the automaton path was not taken"
        );
        assert_eq!(by_finders, by_automaton);
        assert_eq!(by_finders[0], vec![0, 1]);
        assert_eq!(by_finders[2], vec![2, 3, 4]);
        assert!(by_finders[1].is_empty() && by_finders[3].is_empty());
    }

    /// Windowed matching needs every occurrence, overlapping ones too, from both paths.
    #[test]
    fn finders_and_automaton_report_every_occurrence() {
        let kws: Vec<String> = ["aa", "key", "akey"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let text = "aaa KEY akey_x Key";
        let all = |p: &Prefilter| {
            let mut v = Vec::new();
            p.each_hit(text, true, |k, s, e| v.push((k, s, e)));
            v.sort_unstable();
            v
        };
        let small = Prefilter::new(kws.clone());
        let big = Prefilter::new(kws);
        big.searched.store(FINDER_BUDGET, Ordering::Relaxed);
        let by_finders = all(&small);
        assert_eq!(by_finders, all(&big));
        assert_eq!(
            by_finders,
            [
                (0, 0, 2),
                (0, 1, 3),
                (1, 4, 7),
                (1, 9, 12),
                (1, 15, 18),
                (2, 8, 12)
            ]
        );
    }
}
