#![no_main]
//! Fuzz target `check`: see `kvcsi_fuzz::harness::check` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::check(data));
