//! Fuzz target: arbitrary text as a `.keyguard.toml`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyguard::fuzzing::config(data);
});
