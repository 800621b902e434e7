//! Every report the suite can produce validates against `docs/report.schema.json`: the reports
//! of all evidence cases, of every built-in rule fixture, of the example, in both languages,
//! with and without redaction.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kvcsi_core::rule::fixtures;
use kvcsi_core::{Engine, Evidence, Lang, Options};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn evidence_of(dir: &Path) -> Vec<Evidence> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().unwrap() != "expected.json" {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(Evidence::new(name, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[test]
fn every_report_matches_the_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let engine = Engine::builtin().expect("built-in rules load");
    let mut inputs: Vec<(String, Vec<Evidence>)> = Vec::new();
    let cases = root().join("tests/cases");
    if let Ok(dirs) = std::fs::read_dir(&cases) {
        for dir in dirs {
            let dir = dir.unwrap().path();
            if dir.is_dir() {
                inputs.push((dir.display().to_string(), evidence_of(&dir)));
            }
        }
    }
    inputs.push((
        "examples/private-endpoint".into(),
        evidence_of(&root().join("examples/private-endpoint")),
    ));
    for rule in &engine.rules().rules {
        let (set, _, _) = fixtures::group(fixtures::builtin(&rule.meta.id));
        for fixture in set {
            inputs.push((
                format!("{}:{}", rule.meta.id, fixture.name),
                fixture.evidence,
            ));
        }
    }
    inputs.push(("empty".into(), vec![]));
    inputs.push(("blank".into(), vec![Evidence::new("blank.txt", "")]));
    assert!(inputs.len() > 3);
    let mut failures = Vec::new();
    for (name, evidence) in &inputs {
        for (lang, redact) in [(Lang::En, true), (Lang::Ja, false)] {
            let report = engine.check(
                evidence,
                &Options {
                    lang,
                    redact,
                    ..Options::default()
                },
            );
            let json: Value = serde_json::from_str(&report.to_json()).unwrap();
            for error in validator.iter_errors(&json) {
                failures.push(format!(
                    "{name} ({lang:?}): {error} at {}",
                    error.instance_path()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} schema violations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
