//! Fuzz target: arbitrary bytes as git's index file (keyguard's own index reader).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../entry.rs"]
#[allow(dead_code)]
mod fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::index(data);
});
