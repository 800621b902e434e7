//! Bundles are decoded in memory from bytes: entries become `bundle.tgz:inner/path` evidence,
//! escapes and links are refused with diagnostics, and bombs and truncation are contained.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use flate2::write::GzEncoder;
use flate2::Compression;
use kvcsi_core::{Engine, Evidence, Options};
use std::io::Write;

/// A minimal ustar writer, so the tests control every header field (including hostile ones).
fn tar_entry(out: &mut Vec<u8>, name: &str, type_flag: u8, data: &[u8]) {
    let mut header = [0u8; 512];
    header[..name.len().min(100)].copy_from_slice(&name.as_bytes()[..name.len().min(100)]);
    header[100..107].copy_from_slice(b"0000644");
    header[108..115].copy_from_slice(b"0000000");
    header[116..123].copy_from_slice(b"0000000");
    let size = format!("{:011o}", data.len());
    header[124..135].copy_from_slice(size.as_bytes());
    header[136..147].copy_from_slice(b"00000000000");
    header[156] = type_flag;
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out.resize(out.len() + (512 - data.len() % 512) % 512, 0);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

const EVENT: &str = "Events:\n  Type     Reason       Age   From     Message\n  ----     ------       ----  ----     -------\n  Warning  FailedMount  42s (x16 over 17m)  kubelet  MountVolume.SetUp failed for volume \"secrets-store01-inline\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers\n";

#[test]
fn bundle_entries_become_named_evidence() {
    let mut tar = Vec::new();
    tar_entry(&mut tar, "bundle/pod/describe.txt", b'0', EVENT.as_bytes());
    tar_entry(&mut tar, "../../etc/passwd", b'0', b"root:x:0:0");
    tar_entry(&mut tar, "/etc/shadow", b'0', b"x");
    tar_entry(&mut tar, "bundle/link", b'2', b"");
    tar.extend_from_slice(&[0u8; 1024]);
    let engine = Engine::builtin().unwrap();
    let report = engine.check(
        &[Evidence::new("support.tgz", gzip(&tar))],
        &Options::default(),
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == "driver-not-registered")
        .expect("the bundled event is analysed");
    assert_eq!(
        finding.evidence[0].source,
        "support.tgz:bundle/pod/describe.txt"
    );
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "archive-unsafe-path")
            .count(),
        2,
        "{codes:?}"
    );
    assert!(codes.contains(&"archive-link-skipped"), "{codes:?}");
    assert!(
        !report.to_json().contains("root:x:0:0"),
        "an escaping entry is never read"
    );
}

#[test]
fn truncated_and_plain_gzip() {
    let mut tar = Vec::new();
    tar_entry(&mut tar, "describe.txt", b'0', EVENT.as_bytes());
    let gz = gzip(&tar);
    let engine = Engine::builtin().unwrap();
    let report = engine.check(
        &[Evidence::new("cut.tar.gz", &gz[..gz.len() - 20])],
        &Options::default(),
    );
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.code.starts_with("archive-")),
        "{:?}",
        report.diagnostics
    );
    let plain = engine.check(
        &[Evidence::new("describe.txt.gz", gzip(EVENT.as_bytes()))],
        &Options::default(),
    );
    assert_eq!(
        plain.findings.first().map(|f| f.rule.as_str()),
        Some("driver-not-registered")
    );
    assert_eq!(
        plain.findings[0].evidence[0].source,
        "describe.txt.gz:describe.txt"
    );
}

#[test]
fn gzip_bomb_is_stopped() {
    // 64 MiB of zeros compresses about a thousandfold; the ratio limit stops it early.
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    let engine = Engine::builtin().unwrap();
    let report = engine.check(
        &[
            Evidence::new("bomb.gz", bomb),
            Evidence::new("describe.txt", EVENT),
        ],
        &Options::default(),
    );
    assert!(
        report.diagnostics.iter().any(|d| d.code == "archive-bomb"),
        "{:?}",
        report.diagnostics
    );
    assert_eq!(
        report.findings.first().map(|f| f.rule.as_str()),
        Some("driver-not-registered"),
        "evidence beside the bomb is still analysed"
    );
}
