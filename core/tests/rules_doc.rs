//! `docs/rules.md` stays true: every rule in it loads without an error or a lint warning and
//! passes its fixtures (embedded in the guide as ```` ```<lang> file=<path> ```` blocks), every
//! fact kind and every fact field the repository's evidence produces is documented, every rule
//! diagnostic code is listed, and `rules/kvcsi.d.rhai` is what the engine generates.
//!
//! The guide's Rust example runs as a doctest (`kvcsi_core::rule::RulesGuide`); its shell
//! commands run in `cli/tests/docs.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kvcsi_core::facts::FACT_KINDS;
use kvcsi_core::limits::ScriptLimits;
use kvcsi_core::rule::{self, fixtures};
use kvcsi_core::{Engine, Options, RuleSource};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn guide() -> String {
    std::fs::read_to_string(repo().join("docs/rules.md")).unwrap()
}

/// The fenced code blocks of a Markdown text: (info string, body).
fn blocks(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_owned(), String::new())),
            (Some(_), Some(rest)) if rest.trim().is_empty() => {
                out.extend(current.take());
            }
            (Some((_, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// The `file=` blocks of the guide: path → contents.
fn guide_files() -> BTreeMap<String, String> {
    blocks(&guide())
        .into_iter()
        .filter_map(|(info, body)| {
            let path = info
                .split_whitespace()
                .find_map(|w| w.strip_prefix("file="))?;
            Some((path.to_owned(), body))
        })
        .collect()
}

#[test]
fn guide_rules_load_lint_clean_and_pass_their_fixtures() {
    let files = guide_files();
    let rules: Vec<(&String, &String)> =
        files.iter().filter(|(p, _)| p.ends_with(".rhai")).collect();
    assert!(rules.len() >= 2, "the guide has complete rules");
    let sources: Vec<RuleSource> = rules
        .iter()
        .map(|(path, text)| RuleSource::user(path.as_str(), text.as_str()))
        .collect();
    for lint in rule::lint(sources.clone(), &ScriptLimits::default()) {
        assert!(lint.errors.is_empty(), "{}: {:?}", lint.file, lint.errors);
        assert!(
            lint.warnings.is_empty(),
            "{}: {:?}",
            lint.file,
            lint.warnings
        );
    }
    let engine = Engine::builder().rules(sources).build();
    let own_errors: Vec<_> = engine
        .rules()
        .errors
        .iter()
        .filter(|e| files.contains_key(&e.file))
        .collect();
    assert!(own_errors.is_empty(), "{own_errors:?}");
    for (path, _) in rules {
        let rule = engine
            .rules()
            .rules
            .iter()
            .find(|r| r.source.file == *path)
            .unwrap();
        let dir = format!("{}.fixtures/", path.trim_end_matches(".rhai"));
        let fixture_files: Vec<(String, Vec<u8>)> = files
            .iter()
            .filter_map(|(p, body)| {
                p.strip_prefix(&dir)
                    .map(|rel| (rel.to_owned(), body.as_bytes().to_vec()))
            })
            .collect();
        assert!(
            !fixture_files.is_empty(),
            "{path} has fixtures in the guide"
        );
        let test = fixtures::test_rule(&engine, &rule.meta.id, path, false, fixture_files);
        assert!(
            !test.failed() && test.warnings.is_empty(),
            "{}",
            fixtures::render(&[test])
        );
    }
}

#[test]
fn definitions_file_is_in_sync() {
    let path = repo().join("rules/kvcsi.d.rhai");
    let generated = rule::definitions();
    if std::env::var_os("KVCSI_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "rules/kvcsi.d.rhai is out of date with the rule API; regenerate it with\n  KVCSI_BLESS=1 cargo test -p kvcsi-core --test rules_doc definitions\n(or `kvcsi rules definitions > rules/kvcsi.d.rhai`) and commit it"
    );
}

/// The guide's section for each fact kind (`### \`kind\``).
fn fact_sections(markdown: &str) -> BTreeMap<String, String> {
    let reference = markdown
        .split("## Fact reference")
        .nth(1)
        .expect("the guide has a fact reference");
    reference
        .split("\n### `")
        .skip(1)
        .filter_map(|section| {
            let (kind, rest) = section.split_once('`')?;
            Some((kind.to_owned(), rest.to_owned()))
        })
        .collect()
}

fn evidence_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            evidence_files(&path, out);
        } else if !(name.ends_with(".rhai")
            || name == "expected.json"
            || name.ends_with(".md")
            || name.starts_with('.'))
        {
            out.push(path);
        }
    }
}

#[test]
fn every_fact_kind_and_field_is_documented() {
    let sections = fact_sections(&guide());
    for kind in FACT_KINDS {
        assert!(
            sections.contains_key(*kind),
            "docs/rules.md has no `### \\`{kind}\\`` section in its fact reference"
        );
    }
    // Every field the repository's evidence gives must be in its kind's section.
    let mut files = Vec::new();
    for dir in ["rules", "tests/cases", "examples"] {
        evidence_files(&repo().join(dir), &mut files);
    }
    let engine = Engine::builder().build();
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let mut session = engine.session(&Options::default());
        session.feed(&file.to_string_lossy(), &bytes);
        for (kind, facts) in session.finish_facts().facts {
            for fact in facts {
                for field in fact.as_object().unwrap().keys() {
                    seen.entry(kind.clone()).or_default().insert(field.clone());
                }
            }
        }
    }
    let common = ["kind", "at", "text", "raw"];
    let mut missing = Vec::new();
    for (kind, fields) in &seen {
        let Some(section) = sections.get(kind) else {
            missing.push(format!("kind {kind}"));
            continue;
        };
        for field in fields.iter().filter(|f| !common.contains(&f.as_str())) {
            if !section.contains(&format!("| `{field}` |")) {
                missing.push(format!("{kind}.{field}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/rules.md (## Fact reference) does not document: {}",
        missing.join(", ")
    );
}

#[test]
fn every_rule_diagnostic_code_is_documented() {
    let guide = guide();
    let mut codes: BTreeSet<String> = [
        "rule-syntax",
        "rule-top-level-code",
        "rule-missing-function",
        "rule-meta-invalid",
        "rule-pattern-invalid",
        "rule-meta-error",
        "rule-duplicate-id",
        "rule-too-large",
        "rule-error",
        "rule-bad-return",
        "rule-output",
        "rule-limit-operations",
        "rule-limit-wall-clock",
        "rule-limit-call-depth",
        "rule-limit-string-size",
        "rule-limit-array-size",
        "rule-limit-map-size",
        "rule-limit-memory",
        "rule-limit-data-size",
        "rule-limit-variables",
        "rule-limit-results",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    // And whatever the hostile files expect.
    for entry in std::fs::read_dir(repo().join("core/tests/hostile")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        if let Some(code) = text.lines().find_map(|l| l.strip_prefix("// expect: ")) {
            codes.insert(code.trim().to_owned());
        }
    }
    for code in codes {
        assert!(
            guide.contains(&format!("| `{code}` |")),
            "docs/rules.md does not list {code}"
        );
        if code.starts_with("rule-limit-") && code != "rule-limit-results" {
            assert!(
                kvcsi_core::rule::limit_name(&code).is_some(),
                "{code} has no limit name"
            );
        }
    }
}

#[test]
fn documented_limits_are_the_defaults() {
    let guide = guide();
    let limits = ScriptLimits::default();
    let thousands = |n: u64| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    for expected in [
        format!("{} operations per call", thousands(limits.max_operations)),
        format!("{} second per call", limits.wall_clock.as_secs()),
        format!("{} nested calls", limits.max_call_levels),
        format!("a string of {} MiB", limits.max_string_size >> 20),
        format!(
            "{} items in an array",
            thousands(limits.max_array_size as u64)
        ),
        format!("{} entries in a map", thousands(limits.max_map_size as u64)),
        format!("{} MiB held in variables", limits.max_memory >> 20),
        format!(
            "{} MiB of text or {} items",
            limits.max_value_string_size >> 20,
            thousands(limits.max_value_items as u64)
        ),
        format!(
            "{} variables at once",
            thousands(limits.max_variables as u64)
        ),
        format!("{} results per call", thousands(rule::MAX_RESULTS as u64)),
    ] {
        assert!(
            guide.contains(&expected),
            "docs/rules.md should say `{expected}`"
        );
    }
}

#[test]
fn built_in_rules_lint_without_errors() {
    // Built-in regexes are compiled lazily by the matcher; an invalid one would match nothing.
    for lint in rule::lint(rule::builtin_sources(), &ScriptLimits::default()) {
        assert!(lint.errors.is_empty(), "{}: {:?}", lint.file, lint.errors);
    }
}
