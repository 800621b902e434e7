#![no_main]
//! Fuzz target `kv_error`: see `kvcsi_fuzz::harness::kv_error` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::kv_error(data));
