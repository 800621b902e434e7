//! The harnesses behind kvcsi's fuzz targets (see `harness.rs`); the targets in
//! `fuzz_targets/` only hand libFuzzer's input to them.

#![forbid(unsafe_code)]

pub mod harness;
