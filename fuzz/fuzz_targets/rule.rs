#![no_main]
//! Fuzz target `rule`: see `kvcsi_fuzz::harness::rule` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::rule(data));
