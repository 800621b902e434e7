#![no_main]
//! Fuzz target `klog`: see `kvcsi_fuzz::harness::klog` for what it calls and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kvcsi_fuzz::harness::klog(data));
