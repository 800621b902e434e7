//! Custom rules through the `kvcsi` binary: loading (`--rules`, overrides, `--no-builtin`),
//! suppressions (`--suppress`, `.kvcsi-ignore`), `kvcsi rules lint|test|definitions`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EVENT: &str = "Events:\n  Type     Reason       Age   From     Message\n  ----     ------       ----  ----     -------\n  Warning  FailedMount  3s    kubelet  MountVolume.SetUp failed for volume \"kv\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers\n";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn kvcsi(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvcsi"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)))
}

#[test]
fn example_rules_pass_their_fixtures_and_fire_in_check() {
    let examples = repo().join("examples/custom-rules");
    let out = kvcsi(&["rules", "test", examples.to_str().unwrap()], &repo());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for id in ["org-spc-naming", "rotation-required", "sidecar-token-error"] {
        assert!(
            text.lines().any(|l| l.starts_with("ok") && l.contains(id)),
            "{text}"
        );
    }
    assert!(!text.contains("warning:"), "{text}");

    let lint = kvcsi(&["rules", "lint", examples.to_str().unwrap()], &repo());
    assert_eq!(lint.status.code(), Some(0), "{}", stdout(&lint));

    let evidence = examples.join("sidecar-token-error.fixtures/fire-sidecar.log");
    let out = kvcsi(
        &[
            "check",
            "--rules",
            examples.to_str().unwrap(),
            "--format",
            "json",
            evidence.to_str().unwrap(),
        ],
        &repo(),
    );
    let report = json(&out);
    assert_eq!(out.status.code(), Some(3));
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "sidecar-token-error" && f["subject"]["vault"] == "kv-shop-prod"));
}

#[test]
fn rules_test_shows_a_diff_and_fails() {
    let dir = workdir("rules-test-diff");
    let examples = repo().join("examples/custom-rules");
    std::fs::copy(
        examples.join("org-spc-naming.rhai"),
        dir.join("org-spc-naming.rhai"),
    )
    .unwrap();
    copy_dir(
        &examples.join("org-spc-naming.fixtures"),
        &dir.join("org-spc-naming.fixtures"),
    );
    let expected = dir.join("org-spc-naming.fixtures/expected.json");
    let text = std::fs::read_to_string(&expected)
        .unwrap()
        .replace("\"spc\": \"azure-kv-sync\"", "\"spc\": \"azure-kv\"");
    std::fs::write(&expected, text).unwrap();
    std::fs::copy(
        dir.join("org-spc-naming.fixtures/fire-spc-yaml.yaml"),
        dir.join("org-spc-naming.fixtures/silent-copied.yaml"),
    )
    .unwrap();
    let out = kvcsi(&["rules", "test", "org-spc-naming.rhai"], &dir);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL  org-spc-naming"), "{text}");
    assert!(text.contains("- subject.spc: \"azure-kv\""), "{text}");
    assert!(text.contains("+ subject.spc: \"azure-kv-sync\""), "{text}");
    assert!(
        text.contains("silent-copied.yaml (must stay silent)"),
        "{text}"
    );

    let out = kvcsi(&["rules", "test", "--json", "org-spc-naming.rhai"], &dir);
    let results = json(&out);
    let fixtures = results["rules"][0]["fixtures"].as_array().unwrap();
    assert!(fixtures
        .iter()
        .any(|f| f["passed"] == false && f["diff"][0]["field"] == "subject.spc"));
}

#[test]
fn rules_test_reports_missing_fixtures_and_coverage() {
    let dir = workdir("rules-test-missing");
    let rule = "fn meta() { #{ api_version: 1, id: \"evt\", severity: \"warning\", needs: [\"events\"], text: #{ en: #{ title: \"t\", message: \"m\" } } } }\nfn check(facts, matches) { if facts.events.len() > 0 { [finding(#{ evidence: facts.events })] } else { [] } }\n";
    std::fs::write(dir.join("evt.rhai"), rule).unwrap();
    let out = kvcsi(&["rules", "test", "evt.rhai"], &dir);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("no fixtures"), "{text}");

    std::fs::create_dir_all(dir.join("evt.fixtures")).unwrap();
    let table = "LAST SEEN   TYPE      REASON        OBJECT      MESSAGE\n3s          Warning   FailedMount   pod/web-1   MountVolume.SetUp failed for volume \"kv\" : timed out\n";
    std::fs::write(dir.join("evt.fixtures/fire-one.txt"), table).unwrap();
    std::fs::write(dir.join("evt.fixtures/fire-two.txt"), table).unwrap();
    std::fs::write(dir.join("evt.fixtures/silent-none.txt"), "nothing here\n").unwrap();
    let out = kvcsi(&["rules", "test", "evt.rhai"], &dir);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("warning: fire fixtures cover 1 evidence kind (events-table) in 2 fixtures"),
        "{text}"
    );
}

#[test]
fn built_in_rules_use_the_same_fixture_runner() {
    let out = kvcsi(&["rules", "test"], &repo());
    let text = stdout(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{text}");
    let list = json(&kvcsi(&["rules", "list", "--json"], &repo()));
    for rule in list.as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        assert!(
            text.lines()
                .any(|l| (l.starts_with("ok") || l.starts_with("FAIL")) && l.contains(id)),
            "{id} missing from:\n{text}"
        );
    }
    assert!(text.contains(" rules, "), "{text}");
}

#[test]
fn lint_names_file_line_column_and_hint() {
    let dir = workdir("rules-lint");
    std::fs::write(
        dir.join("typo.rhai"),
        "fn meta() {\n    #{\n        api_version: 1,\n        id: \"typo\",\n        sevrity: \"error\",\n        text: #{ en: #{ title: \"t\", message: \"m\" } },\n    }\n}\nfn check(facts, matches) { [] }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("kinds.rhai"),
        "fn meta() { #{ api_version: 1, id: \"kinds\", severity: \"info\", needs: [\"events\"], text: #{ en: #{ title: \"t\", message: \"m\" } } } }\nfn check(facts, matches) { let x = facts.event; [] }\n",
    )
    .unwrap();
    let out = kvcsi(&["rules", "lint", "."], &dir);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("typo.rhai:5:9: unknown metadata field `sevrity` [rule-meta-invalid]"),
        "{text}"
    );
    assert!(text.contains("hint: did you mean `severity`?"), "{text}");
    assert!(
        text.contains("facts.event, but there is no such fact kind")
            && text.contains("did you mean facts.events?"),
        "{text}"
    );

    let hostile = repo().join("core/tests/hostile");
    let out = kvcsi(&["rules", "lint", hostile.to_str().unwrap()], &repo());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains("bare-loop.rhai:3:1: a rule file may only define functions"),
        "{text}"
    );
    assert!(text.contains("[rule-pattern-invalid]"), "{text}");
}

#[test]
fn definitions_match_the_committed_file() {
    let out = kvcsi(&["rules", "definitions"], &repo());
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read_to_string(repo().join("rules/kvcsi.d.rhai")).unwrap();
    assert_eq!(
        stdout(&out),
        committed,
        "rules/kvcsi.d.rhai is stale: KVCSI_BLESS=1 cargo test -p kvcsi-core --test rules_doc"
    );
}

#[test]
fn overrides_and_no_builtin() {
    let dir = workdir("rules-override");
    std::fs::write(dir.join("describe.txt"), EVENT).unwrap();
    let list = json(&kvcsi(&["rules", "list", "--json"], &dir));
    let Some(first) = list.as_array().unwrap().first() else {
        return;
    };
    let id = first["id"].as_str().unwrap();
    std::fs::create_dir_all(dir.join("mine")).unwrap();
    std::fs::write(
        dir.join("mine/override.rhai"),
        format!("fn meta() {{ #{{ api_version: 1, id: \"{id}\", severity: \"warning\", text: #{{ en: #{{ title: \"mine\", message: \"my version\" }} }} }} }}\nfn check(facts, matches) {{ [finding(#{{}})] }}\n"),
    )
    .unwrap();
    let out = kvcsi(
        &[
            "check",
            "--rules",
            "mine",
            "--format",
            "json",
            "describe.txt",
        ],
        &dir,
    );
    let report = json(&out);
    assert_eq!(report["overrides"][0]["rule"], id);
    assert_eq!(report["overrides"][0]["source"], "mine/override.rhai");
    let text = stdout(&kvcsi(&["check", "--rules", "mine", "describe.txt"], &dir));
    assert!(
        text.contains(&format!("override: {id} <- mine/override.rhai")),
        "{text}"
    );

    let out = kvcsi(
        &["rules", "list", "--no-builtin", "--rules", "mine", "--json"],
        &dir,
    );
    assert_eq!(json(&out).as_array().unwrap().len(), 1);
    let out = kvcsi(&["check", "--no-builtin", "describe.txt"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rules"));
}

#[test]
fn suppressions_from_a_file_and_from_kvcsi_ignore() {
    let dir = workdir("rules-suppress");
    std::fs::write(dir.join("describe.txt"), EVENT).unwrap();
    let base = kvcsi(&["check", "--format", "json", "describe.txt"], &dir);
    let baseline = json(&base);
    let Some(first) = baseline["findings"].as_array().unwrap().first() else {
        return;
    };
    let rule = first["rule"].as_str().unwrap().to_owned();
    let only_finding = baseline["findings"].as_array().unwrap().len() == 1;

    std::fs::write(
        dir.join("team.ignore"),
        format!("# lab cluster\n{rule}  # reason: tracked in OPS-123\n"),
    )
    .unwrap();
    let out = kvcsi(
        &[
            "check",
            "--suppress",
            "team.ignore",
            "--format",
            "json",
            "describe.txt",
        ],
        &dir,
    );
    let report = json(&out);
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule"] != rule.as_str()));
    assert_eq!(report["suppressed"][0]["rule"], rule.as_str());
    assert_eq!(report["suppressed"][0]["reason"], "tracked in OPS-123");
    assert_eq!(report["suppressed"][0]["entry"], "team.ignore:2");
    if only_finding {
        assert_eq!(
            out.status.code(),
            Some(0),
            "suppressed findings do not change the exit status"
        );
    }
    let text = stdout(&kvcsi(
        &["check", "--suppress", "team.ignore", "describe.txt"],
        &dir,
    ));
    assert!(text.contains("tracked in OPS-123"), "{text}");

    // .kvcsi-ignore in the current folder is read by the CLI without being named.
    std::fs::rename(dir.join("team.ignore"), dir.join(".kvcsi-ignore")).unwrap();
    let report = json(&kvcsi(&["check", "--format", "json", "describe.txt"], &dir));
    assert_eq!(report["suppressed"][0]["entry"], ".kvcsi-ignore:2");

    // A scope that does not match leaves the finding.
    std::fs::write(
        dir.join(".kvcsi-ignore"),
        format!("{rule} namespace=elsewhere # reason: other team\n"),
    )
    .unwrap();
    let out = kvcsi(&["check", "--format", "json", "describe.txt"], &dir);
    assert_eq!(out.status.code(), base.status.code());
    assert!(json(&out)["suppressed"].as_array().unwrap().is_empty());

    // An entry without a reason is refused, naming the file and line.
    std::fs::write(dir.join(".kvcsi-ignore"), format!("{rule}\n")).unwrap();
    let out = kvcsi(&["check", "describe.txt"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".kvcsi-ignore, line 1"));
}
