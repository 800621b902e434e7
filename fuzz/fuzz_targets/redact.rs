#![no_main]
//! Fuzz target `redact`: see `kvcsi_fuzz::harness::redaction` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::redaction(data));
