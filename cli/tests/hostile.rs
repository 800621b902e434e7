//! The hostile rule files of `core/tests/hostile/` through the `kvcsi` binary: each run ends
//! within two seconds, the report names the file with the expected code, the built-in findings
//! and the exit status are those of the evidence, and nothing the rule printed reaches the
//! terminal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const EVENT: &str = "Events:\n  Type     Reason       Age   From     Message\n  ----     ------       ----  ----     -------\n  Warning  FailedMount  3s    kubelet  MountVolume.SetUp failed for volume \"kv\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers\n";

fn kvcsi(args: &[&str], dir: &Path) -> (Output, Duration) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_kvcsi"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (output, started.elapsed())
}

fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn findings(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn hostile_rules_are_contained_by_the_cli() {
    let dir = workdir("hostile-cli");
    std::fs::write(dir.join("describe.txt"), EVENT).unwrap();
    let (base, _) = kvcsi(&["check", "--format", "json", "describe.txt"], &dir);
    let baseline: Value = serde_json::from_slice(&base.stdout).unwrap();
    assert!(!findings(&baseline).is_empty());

    let hostile = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&hostile)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "hostile files: {}", files.len());
    let mut failures = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text
            .lines()
            .find_map(|l| l.strip_prefix("// expect: "))
            .unwrap()
            .trim()
            .to_owned();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(&path, dir.join(&name)).unwrap();
        let (output, took) = kvcsi(
            &[
                "check",
                "--rules",
                &name,
                "--format",
                "json",
                "describe.txt",
            ],
            &dir,
        );
        let mut problems = Vec::new();
        if took >= Duration::from_secs(2) {
            problems.push(format!("took {took:?}"));
        }
        if output.status.code() != base.status.code() {
            problems.push(format!("exit status {:?}", output.status.code()));
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !stderr.is_empty() {
            problems.push(format!("stderr: {stderr}"));
        }
        match serde_json::from_slice::<Value>(&output.stdout) {
            Err(e) => problems.push(format!("stdout is not a report: {e}")),
            Ok(report) => {
                if findings(&report) != findings(&baseline) {
                    problems.push(format!("findings changed: {:?}", findings(&report)));
                }
                let named = report["diagnostics"].as_array().unwrap().iter().any(|d| {
                    d["code"] == code.as_str()
                        && (d["source"].as_str().unwrap_or_default().contains(&name)
                            || d["message"].as_str().unwrap_or_default().contains(&name))
                });
                if !named {
                    problems.push(format!(
                        "no {code} naming {name}: {}",
                        report["diagnostics"]
                    ));
                }
            }
        }
        std::fs::remove_file(dir.join(&name)).unwrap();
        if !problems.is_empty() {
            failures.push(format!("{name} (expect {code}): {}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn printed_text_never_reaches_the_terminal() {
    let dir = workdir("hostile-print");
    std::fs::write(dir.join("describe.txt"), EVENT).unwrap();
    let hostile = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/hostile");
    std::fs::copy(hostile.join("print.rhai"), dir.join("print.rhai")).unwrap();
    let (output, _) = kvcsi(
        &[
            "check",
            "--rules",
            "print.rhai",
            "--color",
            "never",
            "describe.txt",
        ],
        &dir,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.is_empty(), "{stderr}");
    // The text report lists the output as a diagnostic of the rule, never as a bare line.
    for line in stdout.lines().filter(|l| l.contains("pwned")) {
        assert!(
            line.contains("rule-output") || line.contains("print:") || line.contains("debug"),
            "{line}"
        );
    }
    assert!(!stdout.lines().any(|l| l.trim() == "pwned"));
}
