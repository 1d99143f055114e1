//! Fuzz target: arbitrary bytes as the added text of a file, through the whole matching
//! pipeline (prefilter, every rule's regex, validators, masking, fingerprints).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyguard::fuzzing::matcher(data);
});
