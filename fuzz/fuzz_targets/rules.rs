//! Fuzz target `rules`: arbitrary bytes as one rule file, through what `chanmix check`
//! and `chanmix fmt` do: parse, check, render the diagnostics, format round trip.
#![no_main]

// Each target uses one of the harness's modules; the others are not dead code elsewhere.
#[allow(dead_code)]
#[path = "../../tests/integration/support/fuzz_harness.rs"]
mod fuzz_harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_harness::rules::run(data);
});
