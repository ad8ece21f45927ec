//! Fuzz target: `drift::fuzzing::policy` must return for any input, never panic or hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    drift::fuzzing::policy(data);
});
