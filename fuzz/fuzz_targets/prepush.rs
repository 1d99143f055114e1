//! Fuzz target: arbitrary bytes as git's pre-push hook input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyguard::fuzzing::prepush(data);
});
