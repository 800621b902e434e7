#![no_main]
//! Fuzz target `scan`: see `kvcsi_fuzz::harness::scan` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::scan(data));
