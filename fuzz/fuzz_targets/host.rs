#![no_main]
//! Fuzz target `host`: see `kvcsi_fuzz::harness::host` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::host(data));
