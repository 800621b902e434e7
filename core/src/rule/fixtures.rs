//! Rule fixtures: evidence on which a rule must fire and evidence on which it must stay
//! silent, with expected values. Built-in and user rules use the same layout and runner
//! (`kvcsi rules test`).
//!
//! ```text
//! <rule>/fixtures/fire-<name>.<ext>      one file: the rule must report an error or warning
//! <rule>/fixtures/fire-<name>/...        several files checked together
//! <rule>/fixtures/silent-<name>.<ext>    the rule must not report an error or warning
//! <rule>/fixtures/expected.json          {"fire-<name>.<ext>": {"severity": "error", "data": {...}, "subject": {...}}}
//! ```
//!
//! For a single user rule file `x.rhai` the fixtures folder is `x.fixtures/`.
//!
//! `expected.json` maps a fire fixture's name to what its finding must hold: `severity`,
//! `confidence`, `subject` and `data` (only the fields given are compared), `findings` (how many
//! findings of the rule) and `message_contains` (a substring of the English message).

use crate::engine::{Engine, Options};
use crate::evidence::Evidence;
use crate::report::{Finding, Report, Severity};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Whether a fixture expects the rule to fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// One field that differs from what `expected.json` says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// The field, e.g. `severity`, `data.vault`, `subject.pod`.
    pub field: String,
    /// The expected value.
    pub expected: Value,
    /// The actual value (null when absent).
    pub actual: Value,
}

/// The result of one fixture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixtureResult {
    /// Fixture name.
    pub fixture: String,
    /// What it expected.
    pub expect: Expect,
    /// Whether it passed.
    pub passed: bool,
    /// What went wrong besides field differences, one line each.
    pub problems: Vec<String>,
    /// Fields of the finding that differ from `expected.json`.
    pub diff: Vec<Mismatch>,
    /// The evidence kinds of the fixture (segment kinds, as `kvcsi facts` names them).
    pub kinds: Vec<String>,
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
        if path.rsplit('/').next().is_some_and(|n| n.starts_with('.')) {
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
            problems.push(format!(
                "{path}: a fixture's name starts with fire- or silent-"
            ));
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
    for name in expected.keys() {
        match fixtures.get(name) {
            None => problems.push(format!(
                "expected.json names '{name}', which is not a fixture"
            )),
            Some(f) if f.expect == Expect::Silent => problems.push(format!(
                "expected.json names '{name}', a silent fixture; only fire fixtures have expected values"
            )),
            Some(_) => {}
        }
    }
    (fixtures.into_values().collect(), expected, problems)
}

fn alarm(finding: &Finding) -> bool {
    matches!(finding.severity, Severity::Error | Severity::Warning)
}

/// The evidence kinds of a fixture: the kinds of its segments (command lines aside).
pub fn kinds(engine: &Engine, fixture: &Fixture) -> Vec<String> {
    let mut session = engine.session(&Options::default());
    for item in &fixture.evidence {
        session.feed(&item.name, &item.bytes);
        session.end(&item.name);
    }
    let view = session.finish_facts();
    let kinds: BTreeSet<String> = view
        .segments
        .iter()
        .map(|s| s.kind.as_str())
        .filter(|k| *k != "command")
        .map(str::to_owned)
        .collect();
    kinds.into_iter().collect()
}

/// Runs one fixture of `rule` on `engine`.
pub fn run_one(
    engine: &Engine,
    rule: &str,
    fixture: &Fixture,
    expected: Option<&Value>,
) -> FixtureResult {
    let report = engine.check(&fixture.evidence, &Options::default());
    let mine: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == rule && alarm(f))
        .collect();
    let mut problems = Vec::new();
    let mut diff = Vec::new();
    for d in report
        .diagnostics
        .iter()
        .filter(|d| d.rule.as_deref() == Some(rule))
    {
        problems.push(format!("rule diagnostic [{}]: {}", d.code, d.message));
    }
    match fixture.expect {
        Expect::Fire if mine.is_empty() => {
            problems.push(format!(
                "expected '{rule}' to fire; it did not ({})",
                what_happened(&report, rule)
            ));
        }
        Expect::Silent if !mine.is_empty() => {
            for f in &mine {
                problems.push(format!(
                    "expected '{rule}' to stay silent; it reported ({}): {}",
                    f.severity.as_str(),
                    f.message
                ));
            }
        }
        _ => {}
    }
    if let (Expect::Fire, Some(want), false) = (fixture.expect, expected, mine.is_empty()) {
        // Several findings (one per subject): compare with the one closest to the expectation.
        diff = mine
            .iter()
            .map(|got| compare(want, got, mine.len()))
            .min_by_key(Vec::len)
            .unwrap_or_default();
    }
    FixtureResult {
        fixture: fixture.name.clone(),
        expect: fixture.expect,
        passed: problems.is_empty() && diff.is_empty(),
        problems,
        diff,
        kinds: kinds(engine, fixture),
    }
}

/// Runs one rule's fixtures on `engine`.
pub fn run(
    engine: &Engine,
    rule: &str,
    fixtures: &[Fixture],
    expected: &BTreeMap<String, Value>,
) -> Vec<FixtureResult> {
    fixtures
        .iter()
        .map(|fixture| run_one(engine, rule, fixture, expected.get(&fixture.name)))
        .collect()
}

/// Why a rule did not fire, in a few words, from the report of the fixture.
fn what_happened(report: &Report, rule: &str) -> String {
    if let Some(p) = report.passed.iter().find(|p| p.rule == rule) {
        return format!("it passed: {}", p.reason);
    }
    if let Some(s) = report.skipped.iter().find(|s| s.rule == rule) {
        return format!("it skipped: {}", s.reason);
    }
    if let Some(f) = report.findings.iter().find(|f| f.rule == rule) {
        return format!("it reported only {}: {}", f.severity.as_str(), f.message);
    }
    if report.suppressed.iter().any(|s| s.rule == rule) {
        return "its finding was suppressed".to_owned();
    }
    let others: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    if others.is_empty() {
        "it returned nothing; no rule reported anything".to_owned()
    } else {
        format!(
            "it returned nothing, or a rule that supersedes it explained the evidence; findings: {}",
            others.join(", ")
        )
    }
}

/// Whether an actual value matches the expected one (numbers given as strings match too).
fn same(expected: &Value, actual: &Value) -> bool {
    expected == actual
        || (expected.is_string()
            && (actual.is_number() || actual.is_boolean())
            && serde_json::to_string(actual).is_ok_and(|a| expected.as_str() == Some(a.as_str())))
}

fn compare(want: &Value, got: &Finding, count: usize) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut field = |name: String, expected: &Value, actual: Value| {
        if !same(expected, &actual) {
            out.push(Mismatch {
                field: name,
                expected: expected.clone(),
                actual,
            });
        }
    };
    if let Some(v) = want.get("severity") {
        field(
            "severity".to_owned(),
            v,
            Value::String(got.severity.as_str().to_owned()),
        );
    }
    if let Some(v) = want.get("confidence") {
        field(
            "confidence".to_owned(),
            v,
            Value::String(got.confidence.clone()),
        );
    }
    if let Some(v) = want.get("findings") {
        field("findings".to_owned(), v, Value::from(count));
    }
    if let Some(Value::String(part)) = want.get("message_contains") {
        if !got.message.contains(part.as_str()) {
            field(
                "message".to_owned(),
                &Value::String(format!("…{part}…")),
                Value::String(got.message.clone()),
            );
        }
    }
    let subject = serde_json::to_value(&got.subject).unwrap_or(Value::Null);
    let data = Value::Object(got.data.clone());
    for (section, actual) in [("subject", &subject), ("data", &data)] {
        if let Some(Value::Object(fields)) = want.get(section) {
            for (key, value) in fields {
                field(
                    format!("{section}.{key}"),
                    value,
                    actual.get(key).cloned().unwrap_or(Value::Null),
                );
            }
        }
    }
    out
}

/// Whether a rule's fire fixtures cover enough kinds of evidence, and what is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// The evidence kinds the fire fixtures cover.
    pub kinds: Vec<String>,
    /// Fire fixtures by their kinds (`log`, `describe-pod+log`, ...).
    pub by_kind: BTreeMap<String, Vec<String>>,
    /// What is missing, for a person; `None` when the fixtures cover enough.
    pub missing: Option<String>,
    /// Whether the shortfall is a failure for a built-in rule: at least
    /// [`Coverage::REQUIRED`] fire fixtures of one kind and fewer kinds than required.
    pub repetitive: bool,
}

impl Coverage {
    /// How many different evidence kinds a rule's fire fixtures should cover.
    pub const REQUIRED: usize = 3;
}

/// The coverage of a rule's fire fixtures.
pub fn coverage(results: &[FixtureResult]) -> Coverage {
    let mut kinds = BTreeSet::new();
    let mut by_kind: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in results.iter().filter(|r| r.expect == Expect::Fire) {
        kinds.extend(r.kinds.iter().cloned());
        by_kind
            .entry(r.kinds.join("+"))
            .or_default()
            .push(r.fixture.clone());
    }
    let fires: usize = by_kind.values().map(Vec::len).sum();
    let repetitive =
        kinds.len() < Coverage::REQUIRED && by_kind.values().any(|f| f.len() >= Coverage::REQUIRED);
    let missing = (kinds.len() < Coverage::REQUIRED).then(|| {
        let have = if kinds.is_empty() {
            "no kind".to_owned()
        } else {
            kinds.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        format!(
            "fire fixtures cover {} evidence kind{} ({have}) in {fires} fixture{}; add fire fixtures of {} more kind{} (e.g. describe-pod, events-table, log, json, yaml, curl, nslookup)",
            kinds.len(),
            if kinds.len() == 1 { "" } else { "s" },
            if fires == 1 { "" } else { "s" },
            Coverage::REQUIRED - kinds.len(),
            if Coverage::REQUIRED - kinds.len() == 1 { "" } else { "s" },
        )
    });
    Coverage {
        kinds: kinds.into_iter().collect(),
        by_kind,
        missing,
        repetitive,
    }
}

/// The result of testing one rule: its fixtures, layout problems and coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleTest {
    /// Rule id.
    pub rule: String,
    /// Where the rule came from (file).
    pub source: String,
    /// Whether the rule is a built-in one (stricter coverage).
    pub builtin: bool,
    /// One result per fixture.
    pub fixtures: Vec<FixtureResult>,
    /// Layout problems (failures): bad names, invalid expected.json, missing fixtures.
    pub problems: Vec<String>,
    /// Things to improve that do not fail the test.
    pub warnings: Vec<String>,
    /// Evidence-kind coverage of the fire fixtures.
    pub coverage: Coverage,
}

impl RuleTest {
    /// Whether the rule fails its test.
    pub fn failed(&self) -> bool {
        !self.problems.is_empty() || self.fixtures.iter().any(|f| !f.passed)
    }
}

/// Tests one rule with its fixture files (paths relative to its fixtures folder).
pub fn test_rule(
    engine: &Engine,
    rule: &str,
    source: &str,
    builtin: bool,
    files: Vec<(String, Vec<u8>)>,
) -> RuleTest {
    let (set, expected, mut problems) = group(files);
    let fixtures = run(engine, rule, &set, &expected);
    let fires = set.iter().filter(|f| f.expect == Expect::Fire).count();
    let silent = set.len() - fires;
    let mut warnings = Vec::new();
    if fires == 0 || silent == 0 {
        let missing = match (fires, silent) {
            (0, 0) => "no fixtures: add fire-*.* (evidence on which it must report) and silent-*.* (evidence on which it must not)".to_owned(),
            (0, _) => "no fire fixture: add evidence on which it must report (fire-*.*)".to_owned(),
            _ => "no silent fixture: add evidence on which it must stay silent (silent-*.*)".to_owned(),
        };
        // Built-in rules are being completed; their missing fixtures are listed, not failed.
        if builtin {
            warnings.push(missing);
        } else {
            problems.push(missing);
        }
    }
    let coverage = coverage(&fixtures);
    if let Some(missing) = &coverage.missing {
        if builtin && coverage.repetitive {
            problems.push(missing.clone());
        } else if fires > 0 {
            warnings.push(missing.clone());
        }
    }
    RuleTest {
        rule: rule.to_owned(),
        source: source.to_owned(),
        builtin,
        fixtures,
        problems,
        warnings,
        coverage,
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

fn show(value: &Value) -> String {
    match value {
        Value::Null => "(absent)".to_owned(),
        other => other.to_string(),
    }
}

/// Renders test results as `kvcsi rules test` prints them: one line per rule (`ok`, `FAIL`),
/// then for a failing rule what went wrong, with a diff of expected (`-`) and actual (`+`)
/// fields; warnings after.
pub fn render(tests: &[RuleTest]) -> String {
    let mut out = String::new();
    let width = tests.iter().map(|t| t.rule.len()).max().unwrap_or(0);
    for t in tests {
        let fires = t
            .fixtures
            .iter()
            .filter(|f| f.expect == Expect::Fire)
            .count();
        let failing = t.fixtures.iter().filter(|f| !f.passed).count();
        let counts = format!(
            "{} fixtures (fire {fires}, silent {})",
            t.fixtures.len(),
            t.fixtures.len() - fires
        );
        if t.failed() {
            let _ = writeln!(
                out,
                "FAIL  {:<width$}  {counts}, {failing} failing  [{}]",
                t.rule, t.source
            );
        } else {
            let _ = writeln!(out, "ok    {:<width$}  {counts}", t.rule);
        }
        for p in &t.problems {
            let _ = writeln!(out, "      problem: {p}");
        }
        for f in t.fixtures.iter().filter(|f| !f.passed) {
            let expect = match f.expect {
                Expect::Fire => "must fire",
                Expect::Silent => "must stay silent",
            };
            let _ = writeln!(out, "      {} ({expect}):", f.fixture);
            for p in &f.problems {
                let _ = writeln!(out, "        {p}");
            }
            if !f.diff.is_empty() {
                let _ = writeln!(out, "        expected.json differs (- expected, + actual):");
                for m in &f.diff {
                    let _ = writeln!(out, "        - {}: {}", m.field, show(&m.expected));
                    let _ = writeln!(out, "        + {}: {}", m.field, show(&m.actual));
                }
            }
        }
        for w in &t.warnings {
            let _ = writeln!(out, "      warning: {w}");
        }
    }
    let failed = tests.iter().filter(|t| t.failed()).count();
    let fixtures: usize = tests.iter().map(|t| t.fixtures.len()).sum();
    let failing: usize = tests
        .iter()
        .map(|t| t.fixtures.iter().filter(|f| !f.passed).count())
        .sum();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        out,
        "\n{}, {failed} failing; {}, {failing} failing",
        plural(tests.len(), "rule"),
        plural(fixtures, "fixture")
    );
    out
}
