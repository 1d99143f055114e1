//! Fuzz target: arbitrary text as a `.keyguard.toml`.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../entry.rs"]
#[allow(dead_code)]
mod fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::config(data);
});
