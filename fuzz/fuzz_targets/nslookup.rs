#![no_main]
//! Fuzz target `nslookup`: see `kvcsi_fuzz::harness::nslookup` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::nslookup(data));
