//! Hostile and broken rule files through the core API (what the Python and browser surfaces
//! use): each is contained within two seconds with a diagnostic carrying its stable code and
//! naming the file, the built-in findings are still reported, the exit status is that of the
//! findings, and the engine keeps working afterwards.
//!
//! The hostile files are in `core/tests/hostile/`; the second line of each says the code it
//! must produce (`// expect: rule-limit-operations`). The CLI tests run the same files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kvcsi_core::report::SuppressionList;
use kvcsi_core::{Engine, Evidence, Options, Report, RuleSource};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A FailedMount event the built-in rules diagnose (cause 5: driver not registered).
const EVENT: &str = "Events:\n  Type     Reason       Age   From     Message\n  ----     ------       ----  ----     -------\n  Warning  FailedMount  3s    kubelet  MountVolume.SetUp failed for volume \"kv\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers\n";

const LIMIT: Duration = Duration::from_secs(2);

fn evidence() -> Vec<Evidence> {
    vec![Evidence::new("describe.txt", EVENT)]
}

fn hostile_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

/// Every hostile file with the code it must produce.
fn hostile_files() -> Vec<(String, String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(hostile_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text
                .lines()
                .find_map(|l| l.strip_prefix("// expect: "))
                .unwrap_or_else(|| panic!("{} has no `// expect:` line", path.display()))
                .trim()
                .to_owned();
            let name = format!("hostile/{}", path.file_name().unwrap().to_string_lossy());
            (name, text, code)
        })
        .collect()
}

fn baseline() -> Report {
    Engine::builtin()
        .or_else(|_| Ok::<_, ()>(Engine::builder().build()))
        .unwrap()
        .check(&evidence(), &Options::default())
}

fn finding_keys(report: &Report) -> Vec<(String, String, String)> {
    report
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.clone(),
                f.severity.as_str().to_owned(),
                f.message.clone(),
            )
        })
        .collect()
}

#[test]
fn every_hostile_rule_is_contained_with_its_code() {
    let before = baseline();
    assert!(
        !before.findings.is_empty(),
        "the built-in rules diagnose the event"
    );
    let mut failures = Vec::new();
    for (name, text, code) in hostile_files() {
        let started = Instant::now();
        let engine = Engine::builder()
            .rule(RuleSource::user(&name, &text))
            .build();
        let report = engine.check(&evidence(), &Options::default());
        let took = started.elapsed();
        let diagnostic = report.diagnostics.iter().find(|d| d.code == code);
        let problems: Vec<String> = [
            (took >= LIMIT).then(|| format!("took {took:?}")),
            diagnostic
                .is_none()
                .then(|| format!("no {code} diagnostic in {:?}", report.diagnostics)),
            diagnostic
                .filter(|d| {
                    !(d.source.as_deref().unwrap_or_default().contains(&name)
                        || d.message.contains(&name))
                })
                .map(|d| format!("the diagnostic does not name the file: {d:?}")),
            (finding_keys(&report) != finding_keys(&before))
                .then(|| format!("built-in findings changed: {:?}", finding_keys(&report))),
            (report.exit_status() != before.exit_status())
                .then(|| format!("exit status {}", report.exit_status())),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !problems.is_empty() {
            failures.push(format!("{name} (expect {code}): {}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The engine and the process are still healthy: the same check gives the same report.
    assert_eq!(baseline().to_json(), before.to_json());
}

#[test]
fn limit_diagnostics_name_the_limit_and_the_rule() {
    for (name, text, code) in hostile_files() {
        if !code.starts_with("rule-limit-") || text.contains("fn meta() {\n    loop") {
            continue;
        }
        let engine = Engine::builder()
            .builtin(false)
            .rule(RuleSource::user(&name, &text))
            .build();
        let report = engine.check(&evidence(), &Options::default());
        let d = report
            .diagnostics
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("{name}: {:?}", report.diagnostics));
        assert!(d.limit.is_some(), "{name}: {d:?}");
        assert!(
            d.rule.as_deref().is_some_and(|r| r.starts_with("hostile-")),
            "{name}: {d:?}"
        );
    }
}

#[test]
fn all_hostile_rules_at_once_leave_the_built_in_findings() {
    let before = baseline();
    let sources: Vec<RuleSource> = hostile_files()
        .into_iter()
        .map(|(name, text, _)| RuleSource::user(name, text))
        .collect();
    let engine = Engine::builder().rules(sources).build();
    let report = engine.check(&evidence(), &Options::default());
    assert_eq!(finding_keys(&report), finding_keys(&before));
    assert_eq!(report.exit_status(), before.exit_status());
    for (name, _, code) in hostile_files() {
        assert!(
            report.diagnostics.iter().any(|d| d.code == code
                && (d.source.as_deref().unwrap_or_default().contains(&name)
                    || d.message.contains(&name))),
            "{name}: no {code}"
        );
    }
}

#[test]
fn printed_output_goes_to_the_report() {
    let text = std::fs::read_to_string(hostile_dir().join("print.rhai")).unwrap();
    let engine = Engine::builder()
        .builtin(false)
        .rule(RuleSource::user("print.rhai", text))
        .build();
    let report = engine.check(&evidence(), &Options::default());
    let printed: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "rule-output")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(printed.len(), 2, "{printed:?}");
    assert!(printed.iter().all(|m| m.contains("pwned")));
}

#[test]
fn load_errors_name_file_line_and_column_with_a_hint() {
    // (file, text, code, line and column)
    type Case<'a> = (&'a str, &'a str, &'a str, Option<(usize, usize)>);
    let cases: &[Case] = &[
        (
            "syntax.rhai",
            "fn meta() { #{} }\nfn check(facts, matches) {\n    let x = ;\n}\n",
            "rule-syntax",
            Some((3, 13)),
        ),
        (
            "field.rhai",
            "fn meta() {\n    #{\n        api_version: 1,\n        id: \"x-rule\",\n        sevrity: \"error\",\n        text: #{ en: #{ title: \"t\", message: \"m\" } },\n    }\n}\nfn check(facts, matches) { [] }\n",
            "rule-meta-invalid",
            Some((5, 9)),
        ),
        (
            "needs.rhai",
            "fn meta() {\n    #{\n        api_version: 1, id: \"x-rule\", severity: \"error\",\n        needs: [\"events\", \"k8s_spc\"],\n        text: #{ en: #{ title: \"t\", message: \"m\" } },\n    }\n}\nfn check(facts, matches) { [] }\n",
            "rule-meta-invalid",
            Some((4, 9)),
        ),
        (
            "regex.rhai",
            "fn meta() {\n    #{\n        api_version: 1, id: \"x-rule\", severity: \"error\",\n        patterns: #{ p: #{ literals: [\"x\"],\n            regex: \"(?P<v>[a-z]+\" } },\n        text: #{ en: #{ title: \"t\", message: \"m\" } },\n    }\n}\nfn check(facts, matches) { [] }\n",
            "rule-pattern-invalid",
            Some((5, 13)),
        ),
        (
            "arity.rhai",
            "fn meta() { #{} }\n\nfn check(facts) { [] }\n",
            "rule-missing-function",
            Some((3, 1)),
        ),
    ];
    for (file, text, code, at) in cases {
        let engine = Engine::builder()
            .builtin(false)
            .rule(RuleSource::user(*file, *text))
            .build();
        let error = engine
            .rules()
            .errors
            .first()
            .unwrap_or_else(|| panic!("{file} loaded"));
        assert_eq!(error.code, *code, "{file}: {error}");
        assert_eq!(error.file, *file);
        if let Some((line, column)) = at {
            assert_eq!(
                (error.line, error.column),
                (Some(*line), Some(*column)),
                "{file}: {error}"
            );
        }
        assert!(error.hint.is_some(), "{file}: {error}");
    }
    let engine = Engine::builder()
        .builtin(false)
        .rule(RuleSource::user("field.rhai", cases[1].1))
        .build();
    let error = engine.rules().errors.first().unwrap();
    assert!(
        error
            .hint
            .as_deref()
            .unwrap()
            .contains("did you mean `severity`"),
        "{error}"
    );
}

#[test]
fn an_oversized_rule_file_is_refused_before_compiling() {
    let mut text = String::from("fn meta() { #{} }\nfn check(facts, matches) { [] }\n");
    while text.len() <= kvcsi_core::rule::MAX_SOURCE_BYTES {
        text.push_str("// padding padding padding padding padding padding padding padding\n");
    }
    let started = Instant::now();
    let engine = Engine::builder()
        .builtin(false)
        .rule(RuleSource::user("huge.rhai", text))
        .build();
    assert!(started.elapsed() < LIMIT);
    assert_eq!(engine.rules().errors[0].code, "rule-too-large");
}

#[test]
fn a_broken_rule_does_not_stop_the_others() {
    let good = "fn meta() { #{ api_version: 1, id: \"always\", severity: \"warning\", text: #{ en: #{ title: \"t\", message: \"always {n}\" } } } }\nfn check(facts, matches) { [finding(#{ params: #{ n: facts.events.len() } })] }\n";
    let engine = Engine::builder()
        .rule(RuleSource::user("broken.rhai", "fn meta( {"))
        .rule(RuleSource::user("good.rhai", good))
        .build();
    let report = engine.check(&evidence(), &Options::default());
    assert!(report.findings.iter().any(|f| f.rule == "always"));
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.code == "rule-syntax"
            && d.source.as_deref().unwrap().starts_with("broken.rhai:1:")));
}

#[test]
fn user_rules_override_built_ins_and_run_alone() {
    let builtin = Engine::builder().build();
    let Some(original) = builtin.rules().rules.first() else {
        return;
    };
    let id = original.meta.id.clone();
    let text = format!(
        "fn meta() {{ #{{ api_version: 1, id: \"{id}\", severity: \"info\", text: #{{ en: #{{ title: \"mine\", message: \"replaced\" }} }} }} }}\nfn check(facts, matches) {{ [finding(#{{}})] }}\n"
    );
    let engine = Engine::builder()
        .rule(RuleSource::user("mine/override.rhai", &text))
        .build();
    let report = engine.check(&evidence(), &Options::default());
    assert_eq!(report.overrides.len(), 1);
    assert_eq!(report.overrides[0].rule, id);
    assert_eq!(report.overrides[0].source, "mine/override.rhai");
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == id && f.message == "replaced"));
    assert_eq!(engine.rules().rules.len(), builtin.rules().rules.len());

    let alone = Engine::builder()
        .builtin(false)
        .rule(RuleSource::user("mine/override.rhai", &text))
        .build();
    assert_eq!(alone.rules().rules.len(), 1);
    assert!(alone
        .check(&evidence(), &Options::default())
        .overrides
        .is_empty());

    let twice = Engine::builder()
        .builtin(false)
        .rule(RuleSource::user("a.rhai", &text))
        .rule(RuleSource::user("b.rhai", &text))
        .build();
    let error = twice.rules().errors.first().unwrap();
    assert_eq!(error.code, "rule-duplicate-id");
    assert_eq!(error.file, "b.rhai");
}

#[test]
fn suppressions_silence_findings_and_say_why() {
    let before = baseline();
    let Some(first) = before.findings.first() else {
        return;
    };
    let list = SuppressionList::parse(
        "team.ignore",
        &format!("{} # reason: known on the lab cluster\n", first.rule),
    )
    .unwrap();
    let options = Options {
        suppressions: list,
        ..Options::default()
    };
    let report = Engine::builder().build().check(&evidence(), &options);
    assert!(report.findings.iter().all(|f| f.rule != first.rule));
    let s = report
        .suppressed
        .iter()
        .find(|s| s.rule == first.rule)
        .unwrap();
    assert_eq!(s.reason, "known on the lab cluster");
    assert_eq!(s.entry, "team.ignore:1");
    // Suppressed findings do not count towards the exit status.
    let rest_error = report
        .findings
        .iter()
        .any(|f| f.severity == kvcsi_core::Severity::Error);
    if !rest_error && report.findings.is_empty() {
        assert_eq!(report.exit_status(), 0);
    }
    // A scope that does not match leaves the finding alone.
    let scoped = SuppressionList::parse(
        "team.ignore",
        &format!("{} namespace=elsewhere # reason: other team\n", first.rule),
    )
    .unwrap();
    let report = Engine::builder().build().check(
        &evidence(),
        &Options {
            suppressions: scoped,
            ..Options::default()
        },
    );
    assert!(report.findings.iter().any(|f| f.rule == first.rule));
}

#[test]
fn large_facts_do_not_trip_the_limits_of_a_well_behaved_rule() {
    // 1000 long error lines: 400 log facts of 3 KiB each reach the rules.
    let mut log = String::new();
    for i in 0..1000 {
        log.push_str(&format!(
            "E1120 10:00:{:02}.000000       1 server.go:1] \"failed to mount\" err=\"{}{i}\"\n",
            i % 60,
            "x".repeat(3000)
        ));
    }
    let rule = "fn meta() { #{ api_version: 1, id: \"counts\", severity: \"info\", needs: [\"logs\"], text: #{ en: #{ title: \"t\", message: \"{n} {m}\" } } } }\n\
        fn index(facts) { let by = #{}; for l in facts.logs { by[`${l.at.lines[0]}`] = #{ log: l, msg: l.text }; } by }\n\
        fn check(facts, matches) { let by = index(facts); let errors = facts.logs.filter(|l| l.severity == \"error\"); [finding(#{ params: #{ n: facts.logs.len(), m: by.len() + errors.len() } })] }\n";
    let engine = Engine::builder()
        .builtin(false)
        .rule(RuleSource::user("counts.rhai", rule))
        .build();
    let started = Instant::now();
    let report = engine.check(&[Evidence::new("big.log", log)], &Options::default());
    assert!(started.elapsed() < LIMIT);
    assert!(
        report
            .diagnostics
            .iter()
            .all(|d| !d.code.starts_with("rule-")),
        "{:?}",
        report.diagnostics
    );
    assert_eq!(report.findings[0].message, "400 800");
}
