#![no_main]
//! Fuzz target `classify`: see `kvcsi_fuzz::harness::classify` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::classify(data));
