#![no_main]
//! Fuzz target `table`: see `kvcsi_fuzz::harness::table` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::table(data));
