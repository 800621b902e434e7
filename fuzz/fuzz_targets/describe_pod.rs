#![no_main]
//! Fuzz target `describe_pod`: see `kvcsi_fuzz::harness::describe_pod` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::describe_pod(data));
