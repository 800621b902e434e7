//! Determinism (issue 9), as properties over every evidence case in `tests/cases`:
//!
//! 1. the same files in any order, fed whole or in interleaved chunks of any size, give a
//!    byte-identical JSON report;
//! 2. the same segments in any order (the files of a case pasted together as one text, in a
//!    random order) give the same findings: rule, severity, cause, confidence and subject;
//! 3. one engine checking in several threads at once gives each the same report.
//!
//! Orders and chunk sizes come from a seeded generator, so a failure names the seed that
//! reproduces it. `KVCSI_PROPERTY_CASES` (default 2) sets the trials per evidence case; the
//! seed is `KVCSI_PROPERTY_SEED` (default fixed, so CI is reproducible; set it to explore).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

use kvcsi_core::limits::ScriptLimits;
use kvcsi_core::{Engine, Evidence, Options, Report};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::builtin().unwrap())
}

/// A small seeded generator (xorshift64*), enough to shuffle and pick sizes reproducibly.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn trials() -> u64 {
    env_number("KVCSI_PROPERTY_CASES", 2)
}

fn base_seed() -> u64 {
    env_number("KVCSI_PROPERTY_SEED", 0x6b76_6373_6909)
}

/// Every case folder, with its evidence files (named as the case runner names them).
fn cases() -> Vec<(String, Vec<Evidence>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let case = dir.file_name().unwrap().to_string_lossy().into_owned();
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    let name = p.file_name().unwrap().to_string_lossy();
                    name != "expected.json" && !name.starts_with('.')
                })
                .collect();
            files.sort();
            let evidence = files
                .into_iter()
                .map(|p| {
                    let name = format!("{case}/{}", p.file_name().unwrap().to_string_lossy());
                    Evidence::new(name, std::fs::read(&p).unwrap())
                })
                .collect();
            (case, evidence)
        })
        .collect()
}

/// Feeds the evidence interleaved, `chunk` bytes of each in turn.
fn streamed(evidence: &[Evidence], chunk: usize) -> Report {
    let mut session = engine().session(&Options::default());
    let longest = evidence.iter().map(|e| e.bytes.len()).max().unwrap_or(0);
    let mut offset = 0;
    while offset < longest {
        for e in evidence {
            if offset < e.bytes.len() {
                session.feed(
                    &e.name,
                    &e.bytes[offset..(offset + chunk).min(e.bytes.len())],
                );
            }
        }
        offset += chunk;
    }
    session.finish()
}

#[test]
fn file_order_and_chunking_never_change_the_json() {
    let seed = base_seed();
    let mut rng = Rng::new(seed);
    for (case, evidence) in cases() {
        let reference = engine().check(&evidence, &Options::default()).to_json();
        for trial in 0..trials() {
            let mut shuffled = evidence.clone();
            rng.shuffle(&mut shuffled);
            let order: Vec<&str> = shuffled.iter().map(|e| e.name.as_str()).collect();
            let whole = engine().check(&shuffled, &Options::default()).to_json();
            assert!(
                whole == reference,
                "{case}: order {order:?} changed the JSON (seed {seed:#x}, trial {trial})"
            );
            let chunk = 1 + rng.below(if trial == 0 { 16 } else { 8192 });
            let json = streamed(&shuffled, chunk).to_json();
            assert!(
                json == reference,
                "{case}: chunks of {chunk} bytes in order {order:?} changed the JSON (seed {seed:#x}, trial {trial})"
            );
        }
    }
}

/// What "the same findings" means across pastes: everything but where the lines are.
fn finding_keys(report: &Report) -> Vec<String> {
    let mut keys: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?} {} {:?}",
                f.rule,
                f.severity.as_str(),
                f.cause,
                f.confidence,
                f.subject
            )
        })
        .collect();
    keys.sort();
    keys
}

/// The files of a case pasted together as one text, in the given order. Each file ends with a
/// newline and a blank line, as an operator separates what they paste.
fn pasted(evidence: &[Evidence]) -> Evidence {
    let mut text = Vec::new();
    for e in evidence {
        text.extend_from_slice(&e.bytes);
        if !e.bytes.ends_with(b"\n") {
            text.push(b'\n');
        }
        text.push(b'\n');
    }
    Evidence::new("paste.txt", text)
}

#[test]
fn segment_order_never_changes_the_findings() {
    let seed = base_seed() ^ 0x5e9;
    let mut rng = Rng::new(seed);
    let mut compared = 0;
    for (case, evidence) in cases() {
        if evidence.len() < 2 {
            continue;
        }
        let reference = finding_keys(&engine().check(&[pasted(&evidence)], &Options::default()));
        for trial in 0..trials() {
            let mut shuffled = evidence.clone();
            rng.shuffle(&mut shuffled);
            let order: Vec<&str> = shuffled.iter().map(|e| e.name.as_str()).collect();
            let keys = finding_keys(&engine().check(&[pasted(&shuffled)], &Options::default()));
            assert!(
                keys == reference,
                "{case}: pasting in order {order:?} changed the findings (seed {seed:#x}, trial {trial})\nexpected {reference:#?}\ngot {keys:#?}"
            );
            compared += 1;
        }
    }
    assert!(compared > 0);
}

#[test]
fn threads_share_one_engine_and_agree() {
    let engine = Arc::new(Engine::builtin().unwrap());
    let all = cases();
    let picked: Vec<Vec<Evidence>> = all.iter().step_by(7).map(|(_, e)| e.clone()).collect();
    let expected: Vec<String> = picked
        .iter()
        .map(|e| engine.check(e, &Options::default()).to_json())
        .collect();
    let picked = Arc::new(picked);
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let engine = Arc::clone(&engine);
            let picked = Arc::clone(&picked);
            std::thread::spawn(move || {
                let mut out = vec![String::new(); picked.len()];
                // Each thread walks the cases in its own order, so rule calls interleave.
                for k in 0..picked.len() {
                    let i = (k * (t + 1) + t) % picked.len();
                    out[i] = engine.check(&picked[i], &Options::default()).to_json();
                }
                out
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), expected);
    }
}

/// A stream larger than the document limit is parsed structurally up to a cut and scanned
/// after it. The cut must not depend on how the stream was chunked (the CLI reads 1 MiB, the
/// page and Python other sizes), or the same file would give different reports.
#[test]
fn large_streams_give_the_same_json_whatever_the_chunking() {
    let event = "  Warning  FailedMount  42s (x16 over 17m)  kubelet  MountVolume.SetUp failed for volume \"secrets-store01-inline\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers\n";
    let error = "E1029 17:37:42.461313       1 server.go:54] failed to process mount request, error: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code=\"Forbidden\" Message=\"Public network access is disabled\" InnerError={\"code\":\"ForbiddenByConnection\"}\n";
    for (what, line) in [
        ("long lines", "I1029 17:37:42.461313       1 server.go:139] \"mount request succeeded\" pod=\"default/app\" StatusCode=200\n"),
        ("tiny lines", "ok\n"),
    ] {
        let mut text = String::from("Events:\n  Type     Reason       Age   From     Message\n  ----     ------       ----  ----     -------\n");
        text.push_str(event);
        let mut n = 0;
        while text.len() < 5 << 20 {
            text.push_str(if n % 20_000 == 7 { error } else { line });
            n += 1;
        }
        let bytes = text.as_bytes();
        let mut reference = None;
        for chunk in [1 << 20, 65_543, (4 << 20) + 1, 5 << 20, 997] {
            let mut session = engine().session(&Options::default());
            for piece in bytes.chunks(chunk) {
                session.feed("big.log", piece);
            }
            let json = session.finish().to_json();
            match &reference {
                None => reference = Some(json),
                Some(r) => assert!(json == *r, "{what}: chunks of {chunk} bytes changed the JSON"),
            }
        }
    }
}

/// Two large log streams fed in interleaved chunks, with failures dense enough to overflow
/// every bounded sample in every block, CRLF and invalid UTF-8 lines and an over-long line:
/// what a scan worker thread sees, in every shape it must hand back in order.
fn large_interleaved_streams() -> Vec<(String, Vec<u8>)> {
    let error = "E1029 17:37:42.461313       1 server.go:54] failed to process mount request, error: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code=\"Forbidden\" Message=\"Public network access is disabled\" InnerError={\"code\":\"ForbiddenByConnection\"}";
    let info = "I1029 17:37:42.461313       1 server.go:139] \"node publish volume complete\" pod=\"default/app\" targetPath=\"/var/lib/kubelet/pods/0b1c/volumes/kubernetes.io~csi/secrets-store01-inline/mount\"";
    let mut streams = Vec::new();
    for (name, every) in [("provider.log", 97usize), ("driver.log", 1_003)] {
        let mut bytes = Vec::new();
        let mut n = 0usize;
        while bytes.len() < 9 << 20 {
            let line = if n % every == 5 { error } else { info };
            bytes.extend_from_slice(format!("{line} n={n}").as_bytes());
            match n % 4_001 {
                17 => bytes.extend_from_slice(b"\r\n"),
                29 => bytes.extend_from_slice(b" \xff\xfe not UTF-8\n"),
                _ => bytes.push(b'\n'),
            }
            if n == 30_000 {
                bytes.extend_from_slice(&vec![b'x'; 200 << 10]);
                bytes.extend_from_slice(b" StatusCode=429 over-long\n");
            }
            n += 1;
        }
        streams.push((name.to_owned(), bytes));
    }
    streams
}

/// Reports do not depend on the number of scan threads, nor on how streams interleave while a
/// block of one of them is still being scanned on the other thread.
#[test]
fn scan_threads_never_change_the_report() {
    let streams = large_interleaved_streams();
    let mut reference: Option<(String, String)> = None;
    // The rules see hundreds of facts here; on a loaded machine a debug build could run into the
    // rules' wall clock, which this test is not about.
    let limits = ScriptLimits {
        wall_clock: Duration::from_secs(120),
        check_wall_clock: Duration::from_secs(600),
        ..ScriptLimits::default()
    };
    for threads in [1, 2] {
        let engine = Engine::builder()
            .scan_threads(threads)
            .script_limits(limits.clone())
            .build();
        for chunk in [1 << 20, 300_007] {
            let mut session = engine.session(&Options::default());
            let mut offsets = vec![0usize; streams.len()];
            while offsets.iter().zip(&streams).any(|(o, (_, b))| *o < b.len()) {
                for ((name, bytes), offset) in streams.iter().zip(offsets.iter_mut()) {
                    let end = (*offset + chunk).min(bytes.len());
                    session.feed(name, &bytes[*offset..end]);
                    *offset = end;
                }
            }
            session.end("driver.log");
            let facts = {
                let mut again = engine.session(&Options::default());
                for (name, bytes) in &streams {
                    for piece in bytes.chunks(chunk) {
                        again.feed(name, piece);
                    }
                }
                serde_json::to_string(&again.finish_facts()).unwrap()
            };
            let json = session.finish().to_json();
            assert!(json.contains("ForbiddenByConnection"));
            match &reference {
                None => reference = Some((json, facts)),
                Some((r, f)) => {
                    assert!(
                        json == *r,
                        "{threads} threads, chunks of {chunk}: the report changed"
                    );
                    assert!(
                        facts == *f,
                        "{threads} threads, chunks of {chunk}: the facts changed"
                    );
                }
            }
        }
    }
}
