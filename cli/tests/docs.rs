//! The commands of `docs/rules.md` run as written: its ```` ```<lang> file=<path> ```` blocks are
//! written to a scratch folder, each line of a ```` ```sh run ```` block runs there (a trailing
//! `# exits N` gives the expected exit status, 0 otherwise), and each line of a following
//! ```` ```text output ```` block must appear in what those commands printed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

fn blocks(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_owned(), String::new())),
            (Some(_), Some(rest)) if rest.trim().is_empty() => out.extend(current.take()),
            (Some((_, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

#[test]
fn guide_commands_run_as_written() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let guide = std::fs::read_to_string(repo.join("docs/rules.md")).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("docs-guide");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let blocks = blocks(&guide);
    for (info, body) in &blocks {
        if let Some(path) = info
            .split_whitespace()
            .find_map(|w| w.strip_prefix("file="))
        {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
    }
    let mut ran = 0;
    let mut printed = String::new();
    for (info, body) in &blocks {
        let words: Vec<&str> = info.split_whitespace().collect();
        if words == ["sh", "run"] {
            printed.clear();
            for line in body.lines().filter(|l| !l.trim().is_empty()) {
                let (command, comment) = line.split_once('#').unwrap_or((line, ""));
                let expected: i32 = comment
                    .trim()
                    .strip_prefix("exits ")
                    .map_or(0, |n| n.trim().parse().unwrap());
                let args: Vec<&str> = command.split_whitespace().collect();
                assert_eq!(args.first(), Some(&"kvcsi"), "{line}");
                let output = Command::new(env!("CARGO_BIN_EXE_kvcsi"))
                    .args(&args[1..])
                    .current_dir(&dir)
                    .env("NO_COLOR", "1")
                    .output()
                    .unwrap();
                let stdout = String::from_utf8_lossy(&output.stdout);
                assert_eq!(
                    output.status.code(),
                    Some(expected),
                    "`{}` exited {:?}:\n{stdout}\n{}",
                    command.trim(),
                    output.status.code(),
                    String::from_utf8_lossy(&output.stderr)
                );
                printed.push_str(&stdout);
                ran += 1;
            }
        } else if words == ["text", "output"] {
            for line in body.lines().filter(|l| !l.trim().is_empty()) {
                assert!(
                    printed.contains(line.trim()),
                    "the guide shows `{}`, the commands printed:\n{printed}",
                    line.trim()
                );
            }
        }
    }
    assert!(ran >= 4, "the guide's commands ran ({ran})");
}
