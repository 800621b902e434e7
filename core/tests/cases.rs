//! The data-driven evidence suite: every folder under `tests/cases/` holds evidence files and an
//! `expected.json` naming every error and warning finding the check must produce (the first
//! one is the root cause and must come first). Any missing or extra alarm fails the suite.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kvcsi_core::{Engine, Evidence, Options, Severity};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases")
}

fn read_files(dir: &Path, prefix: &str, out: &mut Vec<Evidence>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "expected.json" || name.starts_with('.') {
            continue;
        }
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if path.is_dir() {
            read_files(&path, &rel, out);
        } else {
            out.push(Evidence::new(rel, std::fs::read(&path).unwrap()));
        }
    }
}

/// Loads a case: its evidence and its expectations.
pub fn load(dir: &Path) -> (Vec<Evidence>, Value) {
    let mut evidence = Vec::new();
    read_files(dir, "", &mut evidence);
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    (evidence, expected)
}

fn check_case(engine: &Engine, dir: &Path) -> Vec<String> {
    let (evidence, expected) = load(dir);
    let report = engine.check(&evidence, &Options::default());
    let mut problems = Vec::new();
    let alarms: Vec<(String, String)> = report
        .findings
        .iter()
        .filter(|f| matches!(f.severity, Severity::Error | Severity::Warning))
        .map(|f| (f.rule.clone(), f.severity.as_str().to_owned()))
        .collect();
    let wanted: Vec<(String, String)> = expected["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["rule"].as_str().unwrap_or("").to_owned(),
                        f["severity"].as_str().unwrap_or("error").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for want in &wanted {
        if !alarms.contains(want) {
            problems.push(format!("missing {} ({})", want.0, want.1));
        }
    }
    for got in &alarms {
        if !wanted.contains(got) {
            problems.push(format!("extra {} ({})", got.0, got.1));
        }
    }
    if let (Some(first), Some(got)) = (wanted.first(), alarms.first()) {
        if problems.is_empty() && first != got {
            problems.push(format!(
                "root cause {} should come first, got {}",
                first.0, got.0
            ));
        }
    }
    for absent in expected["absent"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if alarms.iter().any(|(r, _)| r == absent) {
            problems.push(format!("{absent} must be absent"));
        }
    }
    for d in report
        .diagnostics
        .iter()
        .filter(|d| d.code.starts_with("rule-"))
    {
        problems.push(format!(
            "rule diagnostic [{}] {}: {}",
            d.code,
            d.rule.as_deref().unwrap_or(""),
            d.message
        ));
    }
    problems
}

#[test]
fn every_case_gives_the_expected_findings() {
    let engine = Engine::builtin().expect("built-in rules load");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    let only = std::env::var("KVCSI_CASE").ok();
    let mut failures = Vec::new();
    let mut ran = 0;
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        ran += 1;
        let problems = check_case(&engine, dir);
        if !problems.is_empty() {
            failures.push(format!("{name}:\n    {}", problems.join("\n    ")));
        }
    }
    assert!(ran > 0, "no case ran");
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
