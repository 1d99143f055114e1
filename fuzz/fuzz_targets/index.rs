//! Fuzz target: arbitrary bytes as git's index file (keyguard's own index reader).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyguard::fuzzing::index(data);
});
