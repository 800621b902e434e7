//! Hostile input through the `kvcsi` binary (issue 9): a bundle whose entries try to escape
//! (`../`, absolute paths, links) is read in memory only, and nothing is ever written outside the
//! output the user asked for; bad input gives a clear message and exit status 2 when nothing
//! usable is left, and the usable evidence beside it is still analysed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const EVENT: &str = "Events:\n  Type     Reason       Age   From     Message\n  ----     ------       ----  ----     -------\n  Warning  FailedMount  3s    kubelet  MountVolume.SetUp failed for volume \"kv\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers\n";

fn kvcsi(args: &[&str], dir: &Path, stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvcsi"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every path under `root`, links included (not followed).
fn tree(root: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            out.insert(path.strip_prefix(root).unwrap().to_path_buf());
            if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                stack.push(path);
            }
        }
    }
    out
}

/// A ustar entry; links carry their target in the header and no data.
fn tar_entry(out: &mut Vec<u8>, name: &str, type_flag: u8, data: &[u8]) {
    let mut header = [0u8; 512];
    let n = name.len().min(100);
    header[..n].copy_from_slice(&name.as_bytes()[..n]);
    header[100..107].copy_from_slice(b"0000644");
    header[108..115].copy_from_slice(b"0000000");
    header[116..123].copy_from_slice(b"0000000");
    let link = type_flag == b'1' || type_flag == b'2';
    let size = if link { 0 } else { data.len() };
    header[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    header[136..147].copy_from_slice(b"00000000000");
    header[156] = type_flag;
    if link {
        header[157..157 + data.len()].copy_from_slice(data);
    }
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    out.extend_from_slice(&header);
    if !link {
        out.extend_from_slice(data);
        out.resize(out.len() + (512 - data.len() % 512) % 512, 0);
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// gzip with stored (uncompressed) deflate blocks: enough for a test, no dependency.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let mut chunks = data.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

#[test]
fn a_hostile_bundle_writes_nothing_but_the_requested_output() {
    let root = workdir("bad-input-cli-escape");
    let run = root.join("a/b/run");
    std::fs::create_dir_all(&run).unwrap();
    let outside = std::env::temp_dir().join(format!("kvcsi-escape-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&outside);
    let mut tar = Vec::new();
    tar_entry(&mut tar, "bundle/describe.txt", b'0', EVENT.as_bytes());
    for name in [
        "../escaped-1.txt",
        "../../escaped-2.txt",
        "../../../../../../escaped-3.txt",
        "bundle/../../escaped-4.txt",
        outside.to_str().unwrap(),
        "/escaped-5.txt",
    ] {
        tar_entry(&mut tar, name, b'0', b"escaped\n");
    }
    tar_entry(&mut tar, "bundle/link", b'2', b"../../../escaped-link");
    tar_entry(&mut tar, "bundle/hard", b'1', b"/etc/passwd");
    tar.extend_from_slice(&[0u8; 1024]);
    std::fs::write(run.join("bundle.tgz"), gzip(&tar)).unwrap();
    let before = tree(&root);

    for args in [
        vec!["check", "bundle.tgz"],
        vec!["check", "--format", "json", "bundle.tgz"],
        vec!["check", "--format", "html", "bundle.tgz"],
        vec!["facts", "bundle.tgz"],
        vec!["check", "-"],
    ] {
        let stdin = args
            .contains(&"-")
            .then(|| std::fs::read(run.join("bundle.tgz")).unwrap());
        let output = kvcsi(&args, &run, stdin.as_deref());
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            !stdout.contains("escaped\n"),
            "{args:?}: a refused entry was read"
        );
        assert_eq!(tree(&root), before, "{args:?} wrote files");
        if args[0] == "check" {
            // A finding (error or warning): the bundle's usable entry was analysed.
            assert!(
                matches!(output.status.code(), Some(3 | 4)),
                "{args:?}: {stdout}"
            );
        }
    }
    let output = kvcsi(
        &[
            "check",
            "--format",
            "markdown",
            "-o",
            "report.md",
            "bundle.tgz",
        ],
        &run,
        None,
    );
    assert!(matches!(output.status.code(), Some(3 | 4)));
    let mut expected = before.clone();
    expected.insert(PathBuf::from("a/b/run/report.md"));
    assert_eq!(
        tree(&root),
        expected,
        "only the requested output is written"
    );
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(report.contains("archive-unsafe-path"), "{report}");
    assert!(!outside.exists(), "an absolute entry was written");
}

#[test]
fn bad_input_exit_status_and_messages() {
    let dir = workdir("bad-input-cli-status");
    std::fs::write(dir.join("empty.txt"), "").unwrap();
    let noise: Vec<u8> = (0..65_536u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.join("photo.png"), &noise).unwrap();
    std::fs::write(dir.join("describe.txt"), EVENT).unwrap();
    // Exit 2 when nothing usable is left; with usable evidence beside the bad input, the status
    // of its finding (an error or a warning).
    for (args, statuses, message) in [
        (vec!["check", "empty.txt"], vec![2], "holds no text"),
        (vec!["check", "photo.png"], vec![2], "binary"),
        (
            vec!["check", "empty.txt", "photo.png"],
            vec![2],
            "nothing usable",
        ),
        (
            vec!["check", "photo.png", "describe.txt"],
            vec![3, 4],
            "driver-not-registered",
        ),
        (
            vec!["check", "no-such-file.txt"],
            vec![2],
            "no-such-file.txt",
        ),
    ] {
        let output = kvcsi(&args, &dir, None);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let code = output.status.code().unwrap_or(-1);
        assert!(
            statuses.contains(&code),
            "{args:?}: exit {code}\n{stdout}\n{stderr}"
        );
        assert!(
            stderr.contains(message) || stdout.contains(message),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // Empty stdin is bad input too.
    let output = kvcsi(&["check", "-"], &dir, Some(b""));
    assert_eq!(output.status.code(), Some(2));
}
