//! Fuzz target: arbitrary bytes as the added text of a file, through the whole matching
//! pipeline (prefilter, every rule's regex, validators, masking, fingerprints).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../entry.rs"]
#[allow(dead_code)]
mod fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::matcher(data);
});
