//! Hostile and broken input: every case gives a clear diagnostic or error, no panic, bounded
//! time and memory, and the usable evidence beside it is still analysed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../fuzz/src/harness.rs"]
mod harness;

use std::path::Path;

/// Every input that once crashed a fuzz target, replayed through the same harness.
#[test]
fn fuzz_regressions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut replayed = 0;
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        let target = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            eprintln!(
                "replaying {target}/{}",
                file.file_name().unwrap().to_string_lossy()
            );
            harness::run(&target, &data);
            replayed += 1;
        }
    }
    assert!(replayed > 0);
}
