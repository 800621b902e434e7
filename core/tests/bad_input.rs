//! Hostile and broken input (issue 9): every case gives a clear diagnostic or error, never a
//! panic; time and memory stay bounded; and the usable evidence beside it is still analysed.
//! Exit status 2 means nothing usable was left.
//!
//! Each case is checked beside a real FailedMount event (`EVENT`), which must still produce its
//! finding. The full-size cases (64 MiB line, ten million lines, 100,000 tar entries) are
//! `#[ignore]`d and run in release by `scripts/test.sh`; each runs in a child process so its
//! peak memory is its own:
//!
//! ```text
//! cargo test --release -p kvcsi-core --test bad_input -- --ignored --test-threads 1
//! ```
//!
//! The debug variants below use smaller sizes with the same shape, so `cargo test` stays fast.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "../../fuzz/src/harness.rs"]
mod harness;

use flate2::write::GzEncoder;
use flate2::Compression;
use kvcsi_core::{Engine, Evidence, Options, Report};
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const EVENT: &str = "Events:\n  Type     Reason       Age   From     Message\n  ----     ------       ----  ----     -------\n  Warning  FailedMount  42s (x16 over 17m)  kubelet  MountVolume.SetUp failed for volume \"secrets-store01-inline\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers\n";
const RULE: &str = "driver-not-registered";

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::builtin().unwrap())
}

/// Checks `hostile` alone and beside the event; returns both reports. The one beside must find
/// the event's cause and cite it.
fn check_beside(hostile: Vec<Evidence>) -> (Report, Report) {
    let alone = engine().check(&hostile, &Options::default());
    let mut with = hostile;
    with.push(Evidence::new("describe-pod.txt", EVENT));
    let beside = engine().check(&with, &Options::default());
    let finding = beside
        .findings
        .iter()
        .find(|f| f.rule == RULE)
        .unwrap_or_else(|| {
            panic!(
                "the event beside the bad input is still analysed: {:#?}",
                beside.diagnostics
            )
        });
    assert!(finding
        .evidence
        .iter()
        .any(|e| e.source == "describe-pod.txt"));
    assert_ne!(beside.exit_status(), 2);
    (alone, beside)
}

fn codes(report: &Report) -> Vec<&str> {
    report.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

fn has_code(report: &Report, code: &str) -> bool {
    report.diagnostics.iter().any(|d| d.code == code)
}

/// Runs `f`, failing if it takes longer than `budget` (generous: debug builds, a busy machine).
fn within<T>(budget: Duration, what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    eprintln!("{what}: {took:?}");
    assert!(took < budget, "{what} took {took:?} (budget {budget:?})");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A ustar header and data; the tests control every field, hostile ones included.
fn tar_entry(out: &mut Vec<u8>, name: &str, type_flag: u8, data: &[u8], declared: Option<u64>) {
    let mut header = [0u8; 512];
    let n = name.len().min(100);
    header[..n].copy_from_slice(&name.as_bytes()[..n]);
    header[100..107].copy_from_slice(b"0000644");
    header[108..115].copy_from_slice(b"0000000");
    header[116..123].copy_from_slice(b"0000000");
    let link = type_flag == b'1' || type_flag == b'2';
    let stored = if link { 0 } else { data.len() as u64 };
    let size = format!("{:011o}", declared.unwrap_or(stored));
    header[124..135].copy_from_slice(&size.as_bytes()[..11]);
    header[136..147].copy_from_slice(b"00000000000");
    header[156] = type_flag;
    if type_flag == b'2' || type_flag == b'1' {
        header[157..157 + data.len().min(100)].copy_from_slice(&data[..data.len().min(100)]);
    }
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    out.extend_from_slice(&header);
    if type_flag != b'2' && type_flag != b'1' {
        out.extend_from_slice(data);
        out.resize(out.len() + (512 - data.len() % 512) % 512, 0);
    }
}

/// A deterministic stream of bytes (xorshift), so failures reproduce.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

// ---- empty and binary ----

#[test]
fn empty_input() {
    let (alone, _) = check_beside(vec![Evidence::new("empty.txt", "")]);
    assert!(has_code(&alone, "empty-input"), "{:?}", codes(&alone));
    assert_eq!(alone.exit_status(), 2);
    let blank = engine().check(
        &[Evidence::new("blank.txt", "\n\n  \r\n\t\n")],
        &Options::default(),
    );
    assert_eq!(blank.exit_status(), 2, "{:?}", codes(&blank));
    let none = engine().check(&[], &Options::default());
    assert!(has_code(&none, "no-input"));
    assert_eq!(none.exit_status(), 2);
    assert!(none.strict_error().is_some());
}

#[test]
fn random_bytes_are_binary() {
    for seed in 1..=4u64 {
        let bytes = noise(64 * 1024, seed);
        let (alone, beside) = check_beside(vec![Evidence::new("random.bin", bytes)]);
        assert!(has_code(&alone, "binary-input"), "{:?}", codes(&alone));
        assert_eq!(alone.exit_status(), 2, "{:?}", codes(&alone));
        assert!(has_code(&beside, "binary-input"));
        let error = alone
            .strict_error()
            .expect("nothing usable is an error for strict callers");
        assert!(
            error.to_string().contains("random.bin") || error.to_string().contains("binary"),
            "{error}"
        );
    }
}

#[test]
fn png_is_binary() {
    // A real PNG header (signature, IHDR) followed by compressed-looking data.
    let mut png =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0\x5c\x72\xa8\x66".to_vec();
    png.extend_from_slice(b"\0\0\x20\0IDATx\x9c");
    png.extend_from_slice(&noise(16 * 1024, 99));
    png.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
    let (alone, _) = check_beside(vec![Evidence::new("screenshot.png", png)]);
    assert!(has_code(&alone, "binary-input"), "{:?}", codes(&alone));
    assert_eq!(alone.exit_status(), 2);
}

#[test]
fn gzip_without_gz_name_is_decoded() {
    // Content decides, not the name: a gzip named .txt is unpacked and read.
    let (alone, _) = check_beside(vec![Evidence::new("events.txt", gzip(EVENT.as_bytes()))]);
    assert!(
        alone.findings.iter().any(|f| f.rule == RULE),
        "{:?}",
        codes(&alone)
    );
    // Fed one byte at a time, the magic arrives in two chunks: still an archive.
    let gz = gzip(EVENT.as_bytes());
    let mut session = engine().session(&Options::default());
    for byte in &gz {
        session.feed("events.txt", std::slice::from_ref(byte));
    }
    let report = session.finish();
    assert!(
        report.findings.iter().any(|f| f.rule == RULE),
        "{:?}",
        codes(&report)
    );
}

#[test]
fn gzip_of_binary_is_binary() {
    let (alone, _) = check_beside(vec![Evidence::new("blob.gz", gzip(&noise(32 * 1024, 7)))]);
    assert!(has_code(&alone, "binary-input"), "{:?}", codes(&alone));
    assert_eq!(alone.exit_status(), 2);
}

// ---- encodings ----

#[test]
fn invalid_utf8_is_decoded_lossily() {
    let mut bytes = b"garbage \xff\xfe\xc3 here\n".to_vec();
    bytes.extend_from_slice(EVENT.as_bytes());
    bytes.extend_from_slice(b"latin-1 caf\xe9 \xe0 la carte\n");
    let report = engine().check(&[Evidence::new("describe.txt", bytes)], &Options::default());
    assert!(has_code(&report, "invalid-utf8"), "{:?}", codes(&report));
    assert!(report.findings.iter().any(|f| f.rule == RULE));
    assert!(report.to_json().contains('\u{fffd}') || !report.to_json().contains("\\xff"));
}

#[test]
fn crlf_and_boms() {
    let crlf = EVENT.replace('\n', "\r\n");
    let (alone, _) = check_beside(vec![Evidence::new("crlf.txt", crlf.clone())]);
    assert!(alone.findings.iter().any(|f| f.rule == RULE));
    assert!(alone.findings[0]
        .evidence
        .iter()
        .all(|e| !e.text.contains('\r')));
    // Mixed line endings in one file: CRLF, LF, and a lone CR inside a line.
    let mixed = format!("first\r\nsecond\nthird\rstill third\r\n{EVENT}");
    let report = engine().check(&[Evidence::new("mixed.txt", mixed)], &Options::default());
    assert!(report.findings.iter().any(|f| f.rule == RULE));
    // A UTF-8 byte order mark (Notepad, PowerShell 7 `Out-File -Encoding utf8BOM`).
    let bom = format!("\u{feff}{crlf}");
    let report = engine().check(&[Evidence::new("bom.txt", bom)], &Options::default());
    assert!(
        report.findings.iter().any(|f| f.rule == RULE),
        "{:?}",
        codes(&report)
    );
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xfe, 0xff]
    } else {
        vec![0xff, 0xfe]
    };
    for unit in text.encode_utf16() {
        let bytes = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        out.extend_from_slice(&bytes);
    }
    out
}

#[test]
fn utf16_with_bom_is_decoded() {
    // Windows PowerShell 5.1 writes `>` redirections as UTF-16LE with a BOM.
    for big_endian in [false, true] {
        let bytes = utf16(&EVENT.replace('\n', "\r\n"), big_endian);
        let report = engine().check(
            &[Evidence::new("describe.txt", bytes.clone())],
            &Options::default(),
        );
        assert!(
            report.findings.iter().any(|f| f.rule == RULE),
            "{:?}",
            codes(&report)
        );
        assert!(has_code(&report, "utf16-input"), "{:?}", codes(&report));
        // Chunk boundaries inside code units and inside the BOM change nothing.
        let mut session = engine().session(&Options::default());
        for piece in bytes.chunks(3) {
            session.feed("describe.txt", piece);
        }
        assert_eq!(session.finish().to_json(), report.to_json());
    }
}

// ---- size ----

#[test]
fn long_single_line_debug_size() {
    long_single_line(8 << 20, Duration::from_secs(20));
}

#[test]
#[ignore = "64 MiB; run in release (see the module docs)"]
fn long_single_line_full_size() {
    in_child("long_single_line_full_size_child", 96 * 1024);
}

#[test]
#[ignore = "run by long_single_line_full_size in a child process"]
fn long_single_line_full_size_child() {
    long_single_line(64 << 20, Duration::from_secs(10));
    print_peak();
}

fn long_single_line(size: usize, budget: Duration) {
    // Fed in 1 MiB chunks of one line without a newline, so the test holds 1 MiB, not `size`.
    let mut chunk = Vec::with_capacity(1 << 20);
    while chunk.len() < 1 << 20 {
        chunk.extend_from_slice(b"StatusCode=403 keyvault x ");
    }
    chunk.truncate(1 << 20);
    let report = within(budget, "one long line", || {
        let mut session = engine().session(&Options::default());
        for _ in 0..size >> 20 {
            session.feed("one-line.log", &chunk);
        }
        session.feed("describe-pod.txt", EVENT.as_bytes());
        session.finish()
    });
    assert!(has_code(&report, "line-truncated"), "{:?}", codes(&report));
    assert!(report.findings.iter().any(|f| f.rule == RULE));
    // The cut line is not repeated whole anywhere in the report.
    assert!(report.to_json().len() < 1 << 20);
}

#[test]
fn many_tiny_lines_debug_size() {
    many_tiny_lines(1_000_000, Duration::from_secs(30));
}

#[test]
#[ignore = "ten million lines; run in release (see the module docs)"]
fn many_tiny_lines_full_size() {
    in_child("many_tiny_lines_full_size_child", 96 * 1024);
}

#[test]
#[ignore = "run by many_tiny_lines_full_size in a child process"]
fn many_tiny_lines_full_size_child() {
    many_tiny_lines(10_000_000, Duration::from_secs(20));
    print_peak();
}

fn many_tiny_lines(count: usize, budget: Duration) {
    let report = within(budget, "tiny lines", || {
        let mut session = engine().session(&Options::default());
        let block = "a\n".repeat(1 << 16);
        let mut fed = 0;
        while fed < count {
            session.feed("tiny.log", block.as_bytes());
            fed += 1 << 16;
        }
        session.feed("describe-pod.txt", EVENT.as_bytes());
        session.finish()
    });
    assert!(report.stats.lines >= count as u64);
    assert!(report.findings.iter().any(|f| f.rule == RULE));
}

// ---- nesting and truncation ----

#[test]
fn deeply_nested_json() {
    let depth = 200_000;
    let mut json = "[".repeat(depth);
    json.push_str(&"]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let (alone, _) = within(Duration::from_secs(20), "nested JSON", || {
        check_beside(vec![
            Evidence::new("deep.json", json),
            Evidence::new("deep-objects.json", objects),
        ])
    });
    assert!(
        alone
            .diagnostics
            .iter()
            .filter(|d| d.code == "json-invalid" && d.message.contains("nested too deeply"))
            .count()
            == 2,
        "{:#?}",
        alone.diagnostics
    );
    // Pretty-printed, one bracket per line: the same limit applies.
    let mut tall: String = (0..20_000)
        .map(|i| format!("{}[\n", " ".repeat(i % 8)))
        .collect();
    tall.push_str(&"]\n".repeat(20_000));
    let report = within(Duration::from_secs(20), "tall JSON", || {
        engine().check(&[Evidence::new("tall.json", tall)], &Options::default())
    });
    assert!(has_code(&report, "json-invalid"), "{:?}", codes(&report));
}

#[test]
fn deeply_nested_yaml() {
    let depth = 200_000;
    let flow = format!("a: {}1{}\n", "[".repeat(depth), "]".repeat(depth));
    let block: String = (0..2_000)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect();
    let anchors = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\ni: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    let (alone, _) = within(Duration::from_secs(20), "nested YAML", || {
        check_beside(vec![
            Evidence::new(
                "flow.yaml",
                format!("apiVersion: v1\nkind: ConfigMap\n{flow}"),
            ),
            Evidence::new(
                "block.yaml",
                format!("apiVersion: v1\nkind: ConfigMap\ndata:\n{block}"),
            ),
            Evidence::new(
                "laughs.yaml",
                format!("apiVersion: v1\nkind: ConfigMap\n{anchors}"),
            ),
        ])
    });
    let yaml_invalid = alone
        .diagnostics
        .iter()
        .filter(|d| d.code == "yaml-invalid")
        .count();
    assert!(yaml_invalid >= 2, "{:#?}", alone.diagnostics);
    // Aliases are never expanded, so a billion laughs stays small.
    assert!(alone.to_json().len() < 1 << 20);
}

#[test]
fn truncated_json_and_yaml() {
    let aks = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/cases/article-cause-4-private-endpoint-other-vnet/aks.json"),
    )
    .unwrap();
    let cut = &aks[..aks.len() / 2];
    let spc = "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata:\n  name: azure-kv\nspec:\n  provider: azure\n  parameters:\n    keyvaultName: \"kv-prod\n    objects: |\n      array:\n        - |\n          objectName: x\n";
    let (alone, _) = check_beside(vec![
        Evidence::new("aks.json", cut.to_owned()),
        Evidence::new("spc.yaml", spc),
    ]);
    assert!(has_code(&alone, "json-invalid"), "{:?}", codes(&alone));
    assert!(has_code(&alone, "yaml-invalid"), "{:?}", codes(&alone));
    let json = alone
        .diagnostics
        .iter()
        .find(|d| d.code == "json-invalid")
        .unwrap();
    assert_eq!(json.source.as_deref(), Some("aks.json"));
    assert!(json.message.contains("line"), "{}", json.message);
}

// ---- archives ----

#[test]
fn tar_escapes_links_and_absolute_paths() {
    let mut tar = Vec::new();
    tar_entry(
        &mut tar,
        "bundle/describe.txt",
        b'0',
        EVENT.as_bytes(),
        None,
    );
    tar_entry(
        &mut tar,
        "../../../../tmp/kvcsi-escape",
        b'0',
        b"escaped",
        None,
    );
    tar_entry(&mut tar, "bundle/../../up.txt", b'0', b"escaped", None);
    tar_entry(&mut tar, "/etc/cron.d/kvcsi", b'0', b"escaped", None);
    tar_entry(&mut tar, "C:\\Windows\\kvcsi.txt", b'0', b"escaped", None);
    tar_entry(&mut tar, "bundle/link", b'2', b"/etc/passwd", None);
    tar_entry(&mut tar, "bundle/hard", b'1', b"../../etc/shadow", None);
    tar.extend_from_slice(&[0u8; 1024]);
    let report = engine().check(
        &[Evidence::new("bundle.tgz", gzip(&tar))],
        &Options::default(),
    );
    assert!(report.findings.iter().any(|f| f.rule == RULE));
    let unsafe_paths = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "archive-unsafe-path")
        .count();
    assert_eq!(unsafe_paths, 4, "{:#?}", report.diagnostics);
    assert_eq!(
        report
            .diagnostics
            .iter()
            .filter(|d| d.code == "archive-link-skipped")
            .count(),
        2,
        "{:#?}",
        report.diagnostics
    );
    assert!(
        !report.to_json().contains("escaped"),
        "a refused entry is never read"
    );
    // Only refused entries: nothing usable.
    let mut only_bad = Vec::new();
    tar_entry(&mut only_bad, "../x.txt", b'0', b"escaped", None);
    tar_entry(&mut only_bad, "link", b'2', b"/etc/passwd", None);
    only_bad.extend_from_slice(&[0u8; 1024]);
    let report = engine().check(
        &[Evidence::new("bad.tgz", gzip(&only_bad))],
        &Options::default(),
    );
    assert_eq!(report.exit_status(), 2, "{:?}", codes(&report));
}

#[test]
fn tar_with_huge_declared_size() {
    let mut tar = Vec::new();
    tar_entry(&mut tar, "describe.txt", b'0', EVENT.as_bytes(), None);
    // Declares 8 GiB and holds a few bytes: the stream ends first.
    tar_entry(
        &mut tar,
        "huge.log",
        b'0',
        b"E1029 short",
        Some(0o77_777_777_777),
    );
    let report = within(Duration::from_secs(10), "huge declared size", || {
        engine().check(
            &[Evidence::new("bundle.tgz", gzip(&tar))],
            &Options::default(),
        )
    });
    assert!(report.findings.iter().any(|f| f.rule == RULE));
    assert!(
        has_code(&report, "archive-truncated"),
        "{:?}",
        codes(&report)
    );
    // A GNU base-256 size beyond u64 is refused without overflow.
    let mut tar = Vec::new();
    tar_entry(&mut tar, "describe.txt", b'0', EVENT.as_bytes(), None);
    let mut header = [0u8; 512];
    header[..8].copy_from_slice(b"huge.bin");
    header[124] = 0x80;
    header[125..136].fill(0xff);
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    tar.extend_from_slice(&header);
    tar.extend_from_slice(&[0u8; 1024]);
    let report = engine().check(
        &[Evidence::new("bundle.tgz", gzip(&tar))],
        &Options::default(),
    );
    assert!(report.findings.iter().any(|f| f.rule == RULE));
    assert!(has_code(&report, "archive-corrupt"), "{:?}", codes(&report));
}

#[test]
fn tar_with_an_empty_long_name() {
    // Found by fuzzing: an empty GNU long name swallowed the next entry's data.
    let mut tar = Vec::new();
    tar_entry(&mut tar, "././@LongLink", b'L', b"", None);
    tar_entry(&mut tar, "describe.txt", b'0', EVENT.as_bytes(), None);
    tar_entry(&mut tar, "second.txt", b'0', b"hello\n", None);
    tar.extend_from_slice(&[0u8; 1024]);
    let report = engine().check(
        &[Evidence::new("bundle.tgz", gzip(&tar))],
        &Options::default(),
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == RULE)
        .expect("entry read");
    assert_eq!(finding.evidence[0].source, "bundle.tgz:describe.txt");
}

/// A tar.gz of `count` small log files after the event, compressed as it is written so the
/// test never holds the uncompressed archive.
fn many_entries(count: usize) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    let mut tar = Vec::new();
    tar_entry(&mut tar, "describe.txt", b'0', EVENT.as_bytes(), None);
    for i in 0..count {
        tar_entry(
            &mut tar,
            &format!("logs/{i}.log"),
            b'0',
            b"I1029 17:37:42.461313 1 x.go:1] ok\n",
            None,
        );
        if tar.len() > 1 << 16 {
            encoder.write_all(&tar).unwrap();
            tar.clear();
        }
    }
    tar.extend_from_slice(&[0u8; 1024]);
    encoder.write_all(&tar).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn tar_with_many_entries_debug_size() {
    let tgz = many_entries(12_000);
    let report = within(Duration::from_secs(60), "12,000 entries", || {
        engine().check(&[Evidence::new("bundle.tgz", tgz)], &Options::default())
    });
    assert!(report.findings.iter().any(|f| f.rule == RULE));
    assert!(
        has_code(&report, "archive-too-many-entries"),
        "{:?}",
        codes(&report)
    );
}

#[test]
#[ignore = "100,000 entries; run in release (see the module docs)"]
fn tar_with_many_entries_full_size() {
    in_child("tar_with_many_entries_full_size_child", 96 * 1024);
}

#[test]
#[ignore = "run by tar_with_many_entries_full_size in a child process"]
fn tar_with_many_entries_full_size_child() {
    let tgz = many_entries(100_000);
    let report = within(Duration::from_secs(20), "100,000 entries", || {
        engine().check(&[Evidence::new("bundle.tgz", tgz)], &Options::default())
    });
    assert!(report.findings.iter().any(|f| f.rule == RULE));
    assert!(has_code(&report, "archive-too-many-entries"));
    // Diagnostics do not grow with the entries refused.
    assert!(
        report.diagnostics.len() < 50,
        "{}",
        report.diagnostics.len()
    );
    print_peak();
}

#[test]
fn gzip_bomb() {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 512 * 1024);
    let (alone, _) = within(Duration::from_secs(20), "gzip bomb", || {
        check_beside(vec![Evidence::new("bomb.tar.gz", bomb)])
    });
    assert!(has_code(&alone, "archive-bomb"), "{:?}", codes(&alone));
    assert_eq!(
        alone.exit_status(),
        2,
        "zeros are no evidence: {:?}",
        codes(&alone)
    );
}

#[test]
fn truncated_gzip_keeps_what_was_read() {
    let mut tar = Vec::new();
    tar_entry(&mut tar, "describe.txt", b'0', EVENT.as_bytes(), None);
    tar_entry(&mut tar, "more.txt", b'0', &noise(64 * 1024, 3), None);
    let gz = gzip(&tar);
    let report = engine().check(
        &[Evidence::new("half.tgz", gz[..gz.len() / 2].to_vec())],
        &Options::default(),
    );
    assert!(
        report.findings.iter().any(|f| f.rule == RULE),
        "{:?}",
        codes(&report)
    );
    assert!(
        codes(&report).iter().any(|c| c.starts_with("archive-")),
        "{:?}",
        codes(&report)
    );
}

// ---- fuzz regressions ----

/// Every input that once crashed a fuzz target, replayed through the same harness.
#[test]
fn fuzz_regressions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut replayed = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
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

/// The committed seeds too: every harness property holds on every realistic input.
#[test]
fn fuzz_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let target = dir.file_name().unwrap().to_string_lossy().into_owned();
        if target == "check" || target == "rule" {
            continue; // slow in debug; replayed by the fuzz script on every run
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            harness::run(&target, &std::fs::read(file.unwrap().path()).unwrap());
        }
    }
}

// ---- child processes for memory ----

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

fn print_peak() {
    if let Some(peak) = peak_rss_kib() {
        println!("peak_rss_kib={peak}");
    }
}

/// Runs the ignored test `name` of this binary in a child process and checks its peak memory.
fn in_child(name: &str, max_kib: u64) {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{name} failed:\n{stdout}\n{stderr}"
    );
    eprintln!("{stderr}");
    // libtest prints `test <name> ... ` before the test's own output, on the same line.
    let printed = stdout
        .split("peak_rss_kib=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next());
    if let Some(peak) = printed {
        let peak: u64 = peak.trim().parse().unwrap();
        eprintln!("{name}: peak RSS {peak} KiB");
        assert!(
            peak < max_kib,
            "{name}: peak RSS {peak} KiB (limit {max_kib} KiB)"
        );
    } else if cfg!(target_os = "linux") {
        panic!("{name} printed no peak memory:\n{stdout}");
    }
}

/// Times every input of a fuzz corpus through its harness and prints the slowest, to spot
/// super-linear paths: `KVCSI_TIME_TARGET=kv_error cargo test --release --test bad_input
/// time_corpus -- --ignored --nocapture` (reads fuzz/corpus/<target>).
#[test]
#[ignore = "a tool, not a test"]
fn time_corpus() {
    let Ok(target) = std::env::var("KVCSI_TIME_TARGET") else {
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(&target);
    let mut times = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        harness::run(&target, &data); // warm: lazily compiled patterns
        let start = Instant::now();
        harness::run(&target, &data);
        times.push((start.elapsed(), data.len(), path));
    }
    times.sort();
    for (took, len, path) in times.iter().rev().take(5) {
        // How the time grows with the input: the input repeated 2, 4 and 8 times.
        let data = std::fs::read(path).unwrap();
        let growth: Vec<String> = [2usize, 4, 8]
            .iter()
            .map(|k| {
                let big = data.repeat(*k);
                let start = Instant::now();
                harness::run(&target, &big);
                format!("x{k}: {:?}", start.elapsed())
            })
            .collect();
        println!(
            "{took:?} {len} bytes {} ({})",
            path.display(),
            growth.join(", ")
        );
    }
}

/// A bundle of compressed bombs: each entry is a small gzip that expands to megabytes, padded
/// with noise so the bundle itself does not look like a bomb. Every inner bomb is stopped, and
/// all the archives of one check share one budget of decompressed bytes, so the work stays
/// bounded by that budget, not by the number of entries.
fn nested_bombs(entries: usize) -> Vec<u8> {
    let mut inner = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        inner.write_all(&zeros).unwrap();
    }
    let inner = inner.finish().unwrap();
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    let mut tar = Vec::new();
    tar_entry(&mut tar, "describe.txt", b'0', EVENT.as_bytes(), None);
    for i in 0..entries {
        tar_entry(&mut tar, &format!("logs/{i}.log.gz"), b'0', &inner, None);
        tar_entry(
            &mut tar,
            &format!("pad/{i}.bin"),
            b'0',
            &noise(inner.len() / 2, i as u64 + 1),
            None,
        );
        encoder.write_all(&tar).unwrap();
        tar.clear();
    }
    tar.extend_from_slice(&[0u8; 1024]);
    encoder.write_all(&tar).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn nested_gzip_bombs() {
    let bundle = nested_bombs(200);
    // 200 inner bombs stop at 16 MiB each (their own ratio limit): 3.2 GiB to inflate. A check
    // with a 256 MiB budget for all its archives stops after about 16 of them.
    let engine = Engine::builder()
        .input_limits(kvcsi_core::limits::InputLimits {
            max_archive_bytes: 256 << 20,
            ..Default::default()
        })
        .build();
    let report = within(Duration::from_secs(30), "200 nested bombs", || {
        engine.check(&[Evidence::new("bundle.tgz", bundle)], &Options::default())
    });
    assert!(report.findings.iter().any(|f| f.rule == RULE));
    assert!(has_code(&report, "archive-bomb"), "{:?}", codes(&report));
    let budget = report
        .diagnostics
        .iter()
        .find(|d| d.code == "archive-too-large")
        .unwrap_or_else(|| panic!("{:#?}", report.diagnostics));
    assert!(budget.message.contains("in all"), "{}", budget.message);
}

// ---- hostile rule sets ----

/// Each rule is bounded by its own wall clock, and a whole rule set by the check's: forty rules
/// that each spin until stopped end in about the check budget, not forty times the rule limit,
/// and the built-in rules (run first) still report.
#[test]
fn a_slow_rule_set_shares_one_time_budget() {
    let rules = (0..40).map(|i| {
        kvcsi_core::RuleSource::user(
            format!("slow/{i:02}.rhai"),
            format!(
                "fn meta() {{ #{{ api_version: 1, id: \"slow-{i:02}\", severity: \"error\", needs: [], text: #{{ en: #{{ title: \"t\", message: \"m\" }} }} }} }}\n\
                 fn check(facts, matches) {{ let x = 0; loop {{ x += 1; }} }}\n"
            ),
        )
    });
    let engine = Engine::builder()
        .rules(rules)
        .script_limits(kvcsi_core::limits::ScriptLimits {
            max_operations: u64::MAX,
            wall_clock: Duration::from_millis(200),
            check_wall_clock: Duration::from_secs(1),
            ..Default::default()
        })
        .build();
    let report = within(Duration::from_secs(10), "40 slow rules", || {
        engine.check(
            &[Evidence::new("describe-pod.txt", EVENT)],
            &Options::default(),
        )
    });
    assert!(
        report.findings.iter().any(|f| f.rule == RULE),
        "built-in rules ran first"
    );
    let skipped = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "rule-limit-check-time")
        .count();
    let stopped = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "rule-limit-wall-clock")
        .count();
    assert!(skipped > 0 && stopped > 0, "{:?}", codes(&report));
    assert_eq!(skipped + stopped, 40, "{:?}", codes(&report));
    assert!(matches!(
        report.strict_error(),
        Some(kvcsi_core::Error::LimitExceeded { .. })
    ));
}

// ---- hostile text in reports ----

/// Markup and control characters that evidence (and a rule echoing it) may carry into a report.
const HOSTILE_TEXT: &str = " \x1b]52;c;ZXZpbA==\x1b\\ \x1bc \x1b7 back\x08\x08 cr\rover \u{9b}2J ```` ![beacon](https://evil.example/b.png) <img src=x onerror=alert(1)> <script>alert(1)</script> [click](https://evil.example/) `code";

const ECHO_RULE: &str = r#"
fn meta() {
    #{ api_version: 1, id: "echo", severity: "warning", needs: [],
       text: #{ en: #{ title: "{t}", message: "{t}", step: "{t}" } }, commands: #{ step: "echo {t}" } }
}
fn check(facts, matches) {
    let t = "";
    for e in facts.events { t += e.message; }
    [finding(#{ params: #{ t: t }, subject: #{ pod: t }, evidence: facts.events.map(|e| e.at),
                remediation: [["step", "step"]] })]
}
"#;

/// Markdown with code blocks and code spans removed, as a renderer would show it as markup.
fn markdown_outside_code(markdown: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<usize> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        let ticks = trimmed.chars().take_while(|c| *c == '`').count();
        match fence {
            Some(open) if ticks >= open && trimmed[ticks..].trim().is_empty() => fence = None,
            Some(_) => {}
            None if ticks >= 3 => fence = Some(ticks),
            None => {
                // A backslash before punctuation makes it a literal character, not markup.
                let mut unescaped = String::new();
                let mut chars = line.chars().peekable();
                while let Some(c) = chars.next() {
                    match chars.peek() {
                        Some(next) if c == '\\' && next.is_ascii_punctuation() => {
                            chars.next();
                            unescaped.push('_');
                        }
                        _ => unescaped.push(c),
                    }
                }
                let line = unescaped.as_str();
                // Drop code spans: a run of n backticks up to the next run of exactly n.
                let mut rest = line;
                while let Some(start) = rest.find('`') {
                    out.push_str(&rest[..start]);
                    let n = rest[start..].chars().take_while(|c| *c == '`').count();
                    let after = &rest[start + n..];
                    let close = "`".repeat(n);
                    let mut end = None;
                    let mut from = 0;
                    while let Some(p) = after[from..].find(&close) {
                        let at = from + p;
                        let run = after[at..].chars().take_while(|c| *c == '`').count();
                        if run == n {
                            end = Some(at);
                            break;
                        }
                        from = at + run;
                    }
                    match end {
                        Some(e) => rest = &after[e + n..],
                        None => {
                            out.push_str(&rest[start..start + n]);
                            rest = after;
                        }
                    }
                }
                out.push_str(rest);
                out.push('\n');
            }
        }
    }
    assert!(fence.is_none(), "a code block was left open:\n{markdown}");
    out
}

#[test]
fn hostile_text_cannot_drive_a_terminal_or_a_ticket() {
    let event = EVENT.replace(
        "registered CSI drivers",
        &format!("registered CSI drivers{HOSTILE_TEXT}"),
    );
    let engine = Engine::builder()
        .rule(kvcsi_core::RuleSource::user("echo.rhai", ECHO_RULE))
        .build();
    for redact in [true, false] {
        let options = Options {
            redact,
            ..Options::default()
        };
        let report = engine.check(
            &[Evidence::new("describe-pod.txt", event.clone())],
            &options,
        );
        assert!(report.findings.iter().any(|f| f.rule == "echo"));
        assert!(report.findings.iter().any(|f| f.rule == RULE));
        let plain = kvcsi_core::report::text::render(&report, false);
        for c in ['\x1b', '\r', '\x08', '\u{9b}', '\x07'] {
            assert!(!plain.contains(c), "{c:?} reached the terminal:\n{plain}");
        }
        // In colour, the only escape sequences are the renderer's own colours.
        let coloured = kvcsi_core::report::text::render(&report, true);
        for (i, _) in coloured.match_indices('\x1b') {
            let tail = &coloured[i + 1..];
            let sgr = tail.starts_with('[')
                && tail[1..].find('m').is_some_and(|m| {
                    tail[1..1 + m]
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == ';')
                });
            assert!(
                sgr,
                "a foreign escape sequence: {:?}",
                &tail[..tail.len().min(12)]
            );
        }
        let markdown = kvcsi_core::report::markdown::render(&report);
        let markup = markdown_outside_code(&markdown);
        for bad in ["<img", "<script", "![", "](https://evil"] {
            assert!(!markup.contains(bad), "{bad} is live markup in:\n{markup}");
        }
        let html = kvcsi_core::report::html::render(&report, true);
        for bad in ["<img", "<script", "onerror=alert(1)>"] {
            assert!(!html.contains(bad), "{bad} is live HTML");
        }
    }
}
