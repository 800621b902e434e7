#![no_main]
//! Fuzz target `scalar`: see `kvcsi_fuzz::harness::scalar` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::scalar(data));
