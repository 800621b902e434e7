#![no_main]
//! Fuzz target `curl`: see `kvcsi_fuzz::harness::curl` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::curl(data));
