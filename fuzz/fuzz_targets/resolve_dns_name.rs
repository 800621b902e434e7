#![no_main]
//! Fuzz target `resolve_dns_name`: see `kvcsi_fuzz::harness::resolve_dns_name` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::resolve_dns_name(data));
