#![no_main]
//! Fuzz target `test_net_connection`: see `kvcsi_fuzz::harness::test_net_connection` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::test_net_connection(data));
