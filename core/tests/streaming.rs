//! The session is the primary API: chunking must not change the result, names may interleave,
//! the same files in any order give byte-identical JSON, and memory stays flat however large
//! the input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use kvcsi_core::{Engine, Evidence, Options};
use std::path::Path;

fn example() -> Vec<Evidence> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/private-endpoint");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            Evidence::new(
                format!(
                    "private-endpoint/{}",
                    p.file_name().unwrap().to_string_lossy()
                ),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn chunk_size_does_not_change_the_report() {
    let engine = Engine::builtin().unwrap();
    let evidence = example();
    let whole = engine.check(&evidence, &Options::default()).to_json();
    for chunk in [1, 7, 4096] {
        let mut session = engine.session(&Options::default());
        // Interleave the streams chunk by chunk.
        let longest = evidence.iter().map(|e| e.bytes.len()).max().unwrap();
        let mut offset = 0;
        while offset < longest {
            for e in &evidence {
                if offset < e.bytes.len() {
                    session.feed(
                        &e.name,
                        &e.bytes[offset..(offset + chunk).min(e.bytes.len())],
                    );
                }
            }
            offset += chunk;
        }
        assert_eq!(session.finish().to_json(), whole, "chunk size {chunk}");
    }
}

#[test]
fn file_order_does_not_change_the_report() {
    let engine = Engine::builtin().unwrap();
    let mut evidence = example();
    let forward = engine.check(&evidence, &Options::default()).to_json();
    evidence.reverse();
    assert_eq!(
        engine.check(&evidence, &Options::default()).to_json(),
        forward
    );
}

#[test]
fn crlf_and_colour_do_not_change_findings() {
    let engine = Engine::builtin().unwrap();
    let plain = engine.check(&example(), &Options::default());
    let decorated: Vec<Evidence> = example()
        .into_iter()
        .map(|e| {
            let text = String::from_utf8(e.bytes).unwrap();
            let crlf = text
                .lines()
                .map(|l| {
                    if l.starts_with("Events:") {
                        format!("\x1b[1m{l}\x1b[0m")
                    } else {
                        l.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("\r\n");
            Evidence::new(e.name, crlf)
        })
        .collect();
    let report = engine.check(&decorated, &Options::default());
    let rules = |r: &kvcsi_core::Report| {
        r.findings
            .iter()
            .map(|f| (f.rule.clone(), f.severity))
            .collect::<Vec<_>>()
    };
    assert_eq!(rules(&report), rules(&plain));
}

/// Peak resident memory of this process, from /proc (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Feeds `total` bytes of realistic provider log through one session in 1 MiB chunks. One line
/// in 500 is a Key Vault error, so 100 MiB already hold more errors than the bounded samples keep
/// (400 facts per kind): the two sizes then differ in size only, not in how full the samples are
/// (memory does grow while they fill, up to their caps, whatever the input size).
fn feed_generated(engine: &Engine, total: usize) -> kvcsi_core::Report {
    let info = "I1029 17:37:42.461313       1 server.go:139] \"mount request succeeded\" pod=\"default/app-7d4b9c\" secretProviderClass=\"azure-kv\" StatusCode=200\n";
    let error = "E1029 17:37:42.461313       1 server.go:54] failed to process mount request, error: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code=\"Forbidden\" Message=\"Public network access is disabled\" InnerError={\"code\":\"ForbiddenByConnection\"}\n";
    let mut chunk = String::with_capacity(1 << 20);
    let mut n = 0;
    while chunk.len() + error.len() < (1 << 20) {
        chunk.push_str(if n % 500 == 0 { error } else { info });
        n += 1;
    }
    let mut session = engine.session(&Options::default());
    let mut fed = 0;
    while fed < total {
        session.feed("provider.log", chunk.as_bytes());
        fed += chunk.len();
    }
    session.finish()
}

#[test]
#[ignore = "feeds 1 GiB; run in release: cargo test --release -p kvcsi-core --test streaming -- --ignored"]
fn memory_stays_flat_for_a_gigabyte() {
    let engine = Engine::builtin().unwrap();
    let small = feed_generated(&engine, 100 << 20);
    let after_small = peak_rss_kib().unwrap();
    let large = feed_generated(&engine, 1 << 30);
    let after_large = peak_rss_kib().unwrap();
    assert!(large.stats.bytes >= 1 << 30);
    assert!(large.stats.candidate_lines > small.stats.candidate_lines * 9);
    let growth = after_large.saturating_sub(after_small);
    eprintln!("peak RSS after 100 MiB: {after_small} KiB; after 1 GiB: {after_large} KiB; growth {growth} KiB");
    assert!(
        growth < 8 * 1024,
        "memory grew by {growth} KiB between 100 MiB and 1 GiB"
    );
    assert!(after_large < 128 * 1024, "peak RSS {after_large} KiB");
}

/// A log's head is parsed structurally for 1 MiB, other text for 4 MiB: structural parsing
/// finds nothing more in log lines and costs far more per byte than the block scan.
#[test]
fn a_log_head_is_cut_sooner_than_other_text() {
    let engine = Engine::builtin().unwrap();
    let log_line = "I1029 17:37:42.461313       1 server.go:139] \"node publish volume complete\" pod=\"default/app\"\n";
    let yaml_line = "    - objectName: secret-name-that-is-fairly-long\n";
    for (line, expected) in [
        (log_line, "larger than 1 MiB"),
        (yaml_line, "larger than 4 MiB"),
    ] {
        let text = line.repeat((5 << 20) / line.len());
        let report = engine.check(
            &[Evidence::new("big.txt", text.into_bytes())],
            &Options::default(),
        );
        let large = report
            .diagnostics
            .iter()
            .find(|d| d.code == "large-input")
            .map(|d| d.message.clone())
            .unwrap_or_default();
        assert!(large.contains(expected), "{line:?}: {large}");
    }
}

/// Reading a stream with `feed_from` (straight into the session's buffers once it is
/// block-scanned) gives the report `feed` gives, for any read size.
#[test]
fn feed_from_a_reader_gives_the_same_report() {
    let engine = Engine::builtin().unwrap();
    let line = "I1029 17:37:42.461313       1 server.go:139] \"node publish volume complete\" pod=\"default/app\"\n";
    let error = "E1029 17:37:42.461313       1 server.go:54] failed to process mount request, error: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code=\"Forbidden\" Message=\"Public network access is disabled\" InnerError={\"code\":\"ForbiddenByConnection\"}\n";
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 6 << 20 {
        text.push_str(if n % 5_000 == 3 { error } else { line });
        n += 1;
    }
    let bytes = text.as_bytes();
    let mut fed = engine.session(&Options::default());
    fed.feed("big.log", bytes);
    let expected = fed.finish().to_json();
    for max in [1 << 20, 300_007, 4 << 20] {
        let mut session = engine.session(&Options::default());
        let mut reader = bytes;
        while session.feed_from("big.log", &mut reader, max).unwrap() > 0 {}
        assert!(
            session.finish().to_json() == expected,
            "reads of {max} bytes"
        );
    }
}
