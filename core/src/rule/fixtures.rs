//! Rule fixtures: evidence on which a rule must fire and evidence on which it must stay
//! silent, with expected values. Built-in and user rules use the same layout and runner.
//!
//! ```text
//! <rule>/fixtures/fire-<name>.<ext>      one file: the rule must report an error or warning
//! <rule>/fixtures/fire-<name>/...        several files checked together
//! <rule>/fixtures/silent-<name>.<ext>    the rule must not report an error or warning
//! <rule>/fixtures/expected.json          {"fire-<name>.<ext>": {"severity": "error", "data": {...}, "subject": {...}}}
//! ```

use crate::engine::{Engine, Options};
use crate::evidence::Evidence;
use crate::report::{Finding, Severity};
use serde_json::Value;
use std::collections::BTreeMap;

/// Whether a fixture expects the rule to fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// Must report an error or warning.
    Fire,
    /// Must not.
    Silent,
}

/// One fixture: a name and its evidence files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    /// `fire-<name>` or `silent-<name>` (with extension for single files).
    pub name: String,
    /// What it expects.
    pub expect: Expect,
    /// Evidence, named `<fixture>/<file>` for folders.
    pub evidence: Vec<Evidence>,
}

/// The result of one fixture.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FixtureResult {
    /// Fixture name.
    pub fixture: String,
    /// What it expected.
    pub expect: Expect,
    /// Whether it passed.
    pub passed: bool,
    /// What differed, one line per problem (expected vs actual).
    pub problems: Vec<String>,
}

/// Groups a rule's fixture files (paths relative to its fixtures folder) into fixtures, and
/// reads `expected.json`. Unknown files are reported as problems.
pub fn group(
    files: Vec<(String, Vec<u8>)>,
) -> (Vec<Fixture>, BTreeMap<String, Value>, Vec<String>) {
    let mut fixtures: BTreeMap<String, Fixture> = BTreeMap::new();
    let mut expected = BTreeMap::new();
    let mut problems = Vec::new();
    for (path, bytes) in files {
        if path == "expected.json" {
            match serde_json::from_slice::<BTreeMap<String, Value>>(&bytes) {
                Ok(map) => expected = map,
                Err(e) => problems.push(format!("expected.json is not valid JSON: {e}")),
            }
            continue;
        }
        let (head, rest) = match path.split_once('/') {
            Some((dir, file)) => (dir.to_owned(), Some(file.to_owned())),
            None => (path.clone(), None),
        };
        let expect = if head.starts_with("fire-") {
            Expect::Fire
        } else if head.starts_with("silent-") {
            Expect::Silent
        } else {
            problems.push(format!("{path}: fixture names start with fire- or silent-"));
            continue;
        };
        let name = rest.map_or_else(|| head.clone(), |file| format!("{head}/{file}"));
        fixtures
            .entry(head.clone())
            .or_insert_with(|| Fixture {
                name: head.clone(),
                expect,
                evidence: Vec::new(),
            })
            .evidence
            .push(Evidence::new(name, bytes));
    }
    (fixtures.into_values().collect(), expected, problems)
}

fn alarm(finding: &Finding) -> bool {
    matches!(finding.severity, Severity::Error | Severity::Warning)
}

/// Runs one rule's fixtures on `engine`.
pub fn run(
    engine: &Engine,
    rule: &str,
    fixtures: &[Fixture],
    expected: &BTreeMap<String, Value>,
) -> Vec<FixtureResult> {
    let options = Options::default();
    fixtures
        .iter()
        .map(|fixture| {
            let report = engine.check(&fixture.evidence, &options);
            let mine: Vec<&Finding> = report
                .findings
                .iter()
                .filter(|f| f.rule == rule && alarm(f))
                .collect();
            let mut problems = Vec::new();
            for d in report
                .diagnostics
                .iter()
                .filter(|d| d.rule.as_deref() == Some(rule))
            {
                problems.push(format!("rule diagnostic [{}]: {}", d.code, d.message));
            }
            match fixture.expect {
                Expect::Fire if mine.is_empty() => {
                    let others: Vec<&str> =
                        report.findings.iter().map(|f| f.rule.as_str()).collect();
                    problems.push(format!(
                        "expected '{rule}' to fire; it did not (findings: [{}])",
                        others.join(", ")
                    ));
                }
                Expect::Silent if !mine.is_empty() => {
                    problems.push(format!(
                        "expected '{rule}' to stay silent; it reported: {}",
                        mine.first().map_or("", |f| f.message.as_str())
                    ));
                }
                _ => {}
            }
            if let (Expect::Fire, Some(want), Some(got)) =
                (fixture.expect, expected.get(&fixture.name), mine.first())
            {
                compare(want, got, &mut problems);
            }
            FixtureResult {
                fixture: fixture.name.clone(),
                expect: fixture.expect,
                passed: problems.is_empty(),
                problems,
            }
        })
        .collect()
}

fn compare(want: &Value, got: &Finding, problems: &mut Vec<String>) {
    if let Some(severity) = want.get("severity").and_then(Value::as_str) {
        if severity != got.severity.as_str() {
            problems.push(format!(
                "severity: expected {severity}, got {}",
                got.severity.as_str()
            ));
        }
    }
    if let Some(confidence) = want.get("confidence").and_then(Value::as_str) {
        if confidence != got.confidence {
            problems.push(format!(
                "confidence: expected {confidence}, got {}",
                got.confidence
            ));
        }
    }
    for (section, actual) in [
        ("data", Value::Object(got.data.clone())),
        (
            "subject",
            serde_json::to_value(&got.subject).unwrap_or(Value::Null),
        ),
    ] {
        if let Some(Value::Object(fields)) = want.get(section) {
            for (key, value) in fields {
                let actual_value = actual.get(key).cloned().unwrap_or(Value::Null);
                let matches = actual_value == *value
                    || (value.is_string()
                        && actual_value.is_number()
                        && value
                            .as_str()
                            .is_some_and(|v| actual_value.to_string().as_str() == v));
                if !matches {
                    problems.push(format!(
                        "{section}.{key}: expected {value}, got {actual_value}"
                    ));
                }
            }
        }
    }
}

/// The built-in fixtures of a rule, embedded at build time.
pub fn builtin(rule: &str) -> Vec<(String, Vec<u8>)> {
    crate::builtin::FIXTURES
        .iter()
        .filter(|(id, _, _)| *id == rule)
        .map(|(_, path, bytes)| ((*path).to_owned(), bytes.to_vec()))
        .collect()
}
