#![no_main]
//! Fuzz target `json`: see `kvcsi_fuzz::harness::json` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::json(data));
