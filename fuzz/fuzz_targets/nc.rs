#![no_main]
//! Fuzz target `nc`: see `kvcsi_fuzz::harness::nc` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::nc(data));
