#![no_main]
//! Fuzz target `archive`: see `kvcsi_fuzz::harness::archive` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::archive(data));
