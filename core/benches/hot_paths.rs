//! Micro-benchmarks of the hot paths (issue 8): block scanning, classification, fact building,
//! rule evaluation, and engine start-up. `cargo bench -p kvcsi-core --bench hot_paths`.
//!
//! The corpus is the benchmark's own generator (`bench/gen_corpus.py`, fixed seed), written
//! once under `bench/out/` (git-ignored); without Python a built-in sample of the same line
//! shapes is used. The whole-file comparisons with grep, WASM and Python are `bench/run.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kvcsi_core::scan::ScanScratch;
use kvcsi_core::text::lines::{decode_line, split_lines, Line};
use kvcsi_core::{Engine, Evidence, Options};
use std::hint::black_box;
use std::path::{Path, PathBuf};

const SAMPLE_MIB: usize = 8;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `SAMPLE_MIB` MiB of generated klog (`mix`: node or csi).
fn corpus(mix: &str, errors: &str) -> Vec<u8> {
    let out = root().join("bench/out");
    let path = out.join(format!("criterion-{mix}-{errors}-{SAMPLE_MIB}m.log"));
    if !path.exists() {
        let _ = std::fs::create_dir_all(&out);
        let _ = std::process::Command::new("python3")
            .arg(root().join("bench/gen_corpus.py"))
            .arg(&path)
            .args([
                "--size",
                &format!("{SAMPLE_MIB}M"),
                "--mix",
                mix,
                "--errors",
                errors,
            ])
            .output();
    }
    std::fs::read(&path).unwrap_or_else(|_| fallback())
}

fn fallback() -> Vec<u8> {
    let lines = [
        "I1029 08:00:00.045135       1 keyvault.go:89] \"request completed\" method=\"GET\" url=\"https://kv-a.vault.azure.net/secrets/db/?api-version=7.4\" StatusCode=200 latency=\"115ms\" context=\"mount\"\n",
        "I1029 08:00:00.117545       1 provider.go:255] fetching object: db-password, type: secret from key vault kv-prod-weu\n",
        "I1029 08:00:00.308451       1 prober.go:107] \"Probe failed\" probeType=\"Readiness\" pod=\"a/b\" output=\"HTTP probe failed with statuscode: 503\"\n",
        "E1029 08:00:01.231876       1 server.go:54] failed to process mount request, error: keyvault.BaseClient#GetSecret: Failure sending request: StatusCode=0 -- Original Error: context deadline exceeded\n",
    ];
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < SAMPLE_MIB << 20 {
        out.extend_from_slice(lines[if i % 997 == 0 { 3 } else { i % 3 }].as_bytes());
        i += 1;
    }
    out
}

fn example() -> Vec<Evidence> {
    let dir = root().join("examples/private-endpoint");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            Evidence::new(
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn block_scan(c: &mut Criterion) {
    let engine = Engine::builtin().unwrap();
    let mut group = c.benchmark_group("block_scan");
    for mix in ["node", "csi"] {
        let data = corpus(mix, "0.0001");
        group.throughput(Throughput::Bytes(data.len() as u64));
        // The prefilter and in-place identification alone (no confirmation, nothing built).
        group.bench_function(format!("prefilter/{mix}"), |b| {
            let mut scratch = ScanScratch::default();
            b.iter(|| {
                let mut lines = 0u64;
                for block in data.chunks(1 << 20) {
                    let end = memchr_last(block);
                    engine
                        .matcher()
                        .scan_block(&block[..end], &mut scratch, |_, _, g| {
                            lines += g.len() as u64
                        });
                }
                black_box(lines)
            })
        });
        // A whole session in scan mode, rules not evaluated: prefilter, confirmation,
        // classification and the bounded samples.
        for threads in [1, 2] {
            let engine = Engine::builder().scan_threads(threads).build();
            let options = Options {
                evaluate_rules: false,
                ..Options::default()
            };
            group.bench_function(format!("session/{mix}/{threads}t"), |b| {
                b.iter(|| {
                    let mut session = engine.session(&options);
                    for chunk in data.chunks(1 << 20) {
                        session.feed("bench.log", chunk);
                    }
                    black_box(session.finish().stats.candidate_lines)
                })
            });
        }
    }
    let storm = corpus("node", "0.02");
    group.throughput(Throughput::Bytes(storm.len() as u64));
    let options = Options {
        evaluate_rules: false,
        ..Options::default()
    };
    group.bench_function("session/storm-2pct/1t", |b| {
        let engine = Engine::builder().scan_threads(1).build();
        b.iter(|| {
            let mut session = engine.session(&options);
            for chunk in storm.chunks(1 << 20) {
                session.feed("storm.log", chunk);
            }
            black_box(session.finish().stats.candidate_lines)
        })
    });
    group.finish();
}

fn memchr_last(block: &[u8]) -> usize {
    block.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1)
}

fn classification(c: &mut Criterion) {
    let evidence = example();
    let lines: Vec<Vec<Line>> = evidence
        .iter()
        .map(|e| {
            split_lines(&e.bytes)
                .enumerate()
                .map(|(i, raw)| Line {
                    number: i as u64 + 1,
                    text: decode_line(raw, 1 << 16).0.into_owned(),
                })
                .collect()
        })
        .collect();
    c.bench_function("classify/segment examples", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|l| kvcsi_core::classify::segment(l).len())
                .sum::<usize>()
        })
    });
}

fn facts_and_rules(c: &mut Criterion) {
    let engine = Engine::builtin().unwrap();
    let evidence = example();
    let facts_only = Options {
        evaluate_rules: false,
        ..Options::default()
    };
    // Document mode: segmentation, every parser, fact building; no rule runs.
    c.bench_function("facts/examples (documents, no rules)", |b| {
        b.iter(|| black_box(engine.check(&evidence, &facts_only).stats.lines))
    });
    // The same plus every built-in rule once: the difference is rule evaluation.
    c.bench_function("rules/examples (documents + all rules)", |b| {
        b.iter(|| black_box(engine.check(&evidence, &Options::default()).findings.len()))
    });
    // Rules over the largest facts a check keeps (400 log facts, samples full).
    let data = corpus("csi", "0.02");
    let feed = |opts: &Options| {
        let mut s = engine.session(opts);
        for chunk in data.chunks(1 << 20) {
            s.feed("storm.log", chunk);
        }
        s
    };
    c.bench_function("rules/finish with full samples", |b| {
        b.iter_batched(
            || feed(&Options::default()),
            |s| black_box(s.finish().findings.len()),
            BatchSize::PerIteration,
        )
    });
    c.bench_function("rules/finish with full samples, no rules", |b| {
        b.iter_batched(
            || feed(&facts_only),
            |s| black_box(s.finish().findings.len()),
            BatchSize::PerIteration,
        )
    });
}

fn startup(c: &mut Criterion) {
    c.bench_function("startup/Engine::builtin", |b| {
        b.iter(|| black_box(Engine::builtin().unwrap().rules().rules.len()))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(4));
    targets = block_scan, classification, facts_and_rules, startup
}
criterion_main!(benches);
