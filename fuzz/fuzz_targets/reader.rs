//! Fuzz target `reader`: parse, analyse (everything `report --json` computes, with and
//! without a baseline), serialise, the requirement model and the structural checks.
//! The code paths live in `fuzz/harness.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::reader(data);
});
