#![no_main]
//! Fuzz target `yaml`: see `kvcsi_fuzz::harness::yaml` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::yaml(data));
