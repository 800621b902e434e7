//! Canaries through the `kvcsi` binary (issue 9): for every fixture in `tests/canaries/`, every
//! output format, to stdout and to `-o FILE`, and `kvcsi facts` in both formats: no canary in
//! stdout, stderr or the file, the findings and exit status as recorded; `--no-redact` shows
//! them (the opt-out works, so the test proves something). Also the exit-2 path: its stderr
//! summary quotes diagnostics, which must be redacted too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kvcsi(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvcsi"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn fixtures() -> Vec<(PathBuf, Value)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/canaries");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    dirs.into_iter()
        .map(|d| {
            let meta =
                serde_json::from_slice(&std::fs::read(d.join(".canary.json")).unwrap()).unwrap();
            (d, meta)
        })
        .collect()
}

fn markers(meta: &Value) -> Vec<String> {
    meta["markers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

fn leaked<'a>(text: &str, markers: &'a [String]) -> Vec<&'a str> {
    markers
        .iter()
        .filter(|m| text.contains(m.as_str()))
        .map(String::as_str)
        .collect()
}

fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn no_canary_in_any_format_stream_or_file() {
    let out_dir = workdir("secrets-cli");
    for (dir, meta) in fixtures() {
        let markers = markers(&meta);
        let path = dir.to_string_lossy().into_owned();
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        for format in ["text", "json", "markdown", "html"] {
            let output = kvcsi(&["check", "--format", format, &path], &out_dir);
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert_eq!(
                leaked(&all, &markers),
                Vec::<&str>::new(),
                "{case} {format}"
            );
            assert_eq!(
                output.status.code(),
                meta["exit_status"].as_i64().map(|c| c as i32),
                "{case} {format}"
            );
            let file = out_dir.join(format!("{case}.{format}"));
            let file_arg = file.to_string_lossy().into_owned();
            let output = kvcsi(
                &["check", "--format", format, "-o", &file_arg, &path],
                &out_dir,
            );
            let written = std::fs::read_to_string(&file).unwrap();
            assert!(!written.is_empty());
            assert_eq!(
                leaked(&written, &markers),
                Vec::<&str>::new(),
                "{case} -o {format}"
            );
            assert!(output.stdout.is_empty());
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(leaked(&stderr, &markers), Vec::<&str>::new());
        }
        // The findings that depend on the planted lines still fire.
        let output = kvcsi(&["check", "--format", "json", &path], &out_dir);
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        let rules: Vec<(String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_owned(),
                    f["severity"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut rules = rules;
        rules.sort();
        let recorded: Vec<(String, String)> =
            serde_json::from_value(meta["findings"].clone()).unwrap();
        assert_eq!(rules, recorded, "{case}");
        assert_eq!(report["redacted"], true);

        for format in ["text", "json"] {
            let output = kvcsi(&["facts", "--format", format, &path], &out_dir);
            assert!(output.status.success());
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert_eq!(
                leaked(&all, &markers),
                Vec::<&str>::new(),
                "{case} facts {format}"
            );
        }

        // Opting out shows them: the canaries really were in what the report cites.
        let output = kvcsi(
            &["check", "--format", "json", "--no-redact", &path],
            &out_dir,
        );
        let open = String::from_utf8_lossy(&output.stdout);
        assert!(!leaked(&open, &markers).is_empty(), "{case}: --no-redact");
        assert!(open.contains("\"redacted\": false"));
        let output = kvcsi(
            &["facts", "--format", "json", "--no-redact", &path],
            &out_dir,
        );
        assert!(!leaked(&String::from_utf8_lossy(&output.stdout), &markers).is_empty());
    }
}

#[test]
fn nothing_usable_summary_is_redacted() {
    // Exit 2 prints a summary of the diagnostics on stderr; a file name carrying a SAS
    // signature is quoted there.
    let dir = workdir("secrets-cli-exit2");
    let marker = "Zq99K999Xv";
    let name = format!("blob.bin?sv=1&sig={marker}");
    std::fs::write(dir.join(&name), vec![0u8; 8192]).unwrap();
    for format in ["text", "json"] {
        let output = kvcsi(&["check", "--format", format, &name], &dir);
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("nothing usable"), "{stderr}");
        assert!(!stderr.contains(marker), "{stderr}");
        assert!(!String::from_utf8_lossy(&output.stdout).contains(marker));
    }
}
