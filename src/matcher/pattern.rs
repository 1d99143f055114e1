//! How every regex of keyguard is compiled (rules, allowlists, context conditions): on
//! bytes, ASCII classes, bounded size.

use regex::bytes::Regex;

/// Bound on a compiled regex (and its lazy DFA cache): a user's `\w{1000}{1000}` must
/// become a config error, not minutes of compiling and gigabytes of memory.
pub(super) const REGEX_SIZE_LIMIT: usize = 32 << 20;

/// Rule regexes run on bytes with ASCII classes (`\w`, `\s`, `\d`, `\b`, `.` and case folding
/// are ASCII-only unless a pattern opts in with `(?u)`). Credentials are ASCII, and Unicode
/// classes made a context rule take ~10 ms to compile instead of 0.2 ms: at every commit
/// that mentions `token`, that was most of the hook's time.
pub(super) fn compile_regex(src: &str) -> Result<Regex, String> {
    regex::bytes::RegexBuilder::new(src)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}
