#![no_main]
//! Fuzz target `dig`: see `kvcsi_fuzz::harness::dig` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::dig(data));
