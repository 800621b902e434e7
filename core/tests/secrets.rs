//! No report repeats a credential that was in the evidence (issue 9).
//!
//! A unique canary of every credential kind is planted in every evidence case of `tests/cases`
//! (every evidence kind: events, describe output, logs, curl traces, az JSON, kubectl YAML,
//! shell sessions), on the very lines the findings cite, and again as whole blocks (PEM) and as
//! structured fields. Then:
//!
//! - the findings that depend on those lines still fire (the same rules, the same severities);
//! - no canary appears anywhere: JSON, text (with and without colour), Markdown, HTML, the
//!   Japanese rendering, `kvcsi facts` (JSON and text), diagnostics, strict errors, `Debug`;
//! - with redaction switched off the canaries do appear, so the test proves something.
//!
//! Rules are hostile too: a custom rule that prints, throws and reports fact text cannot
//! smuggle a canary out. The CLI, WASM and Python surfaces have their own canary tests
//! (`cli/tests/secrets_cli.rs`, `bindings-wasm/tests/secrets.test.mjs`,
//! `bindings-python/tests/test_secrets.py`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

use flate2::write::GzEncoder;
use flate2::Compression;
use kvcsi_core::report::{facts_text, html, markdown, text};
use kvcsi_core::{Engine, Evidence, Lang, Options, Report, RuleSource};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Every credential kind the issue names, with how it is written in evidence. `{m}` is the
/// canary: a marker unique to the kind and the case, inside the part that must be hidden.
pub const KINDS: &[(&str, &str)] = &[
    ("jwt", "id=eyJhbGciOiJSUzI1NiJ9.eyJ{m}In0.c2ln{m}"),
    ("bearer", "bearer {m}tok3n"),
    ("authorization", "Authorization: Basic {m}=="),
    (
        "client_secret",
        "client_secret={m}~x&grant_type=client_credentials",
    ),
    ("access_token", "\"access_token\":\"{m}\""),
    ("refresh_token", "refresh_token={m}"),
    ("id_token", "\"id_token\": \"{m}\""),
    (
        "sas",
        "https://acct.blob.core.windows.net/c/b?sv=2021-08-06&sr=b&sp=r&sig={m}%3D",
    ),
    ("storage_key", "key1 {key}"),
    (
        "account_key",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={m}Q==;",
    ),
    (
        "connection_password",
        "Server=tcp:db.example,1433;User ID=app;Password={m};Encrypt=true",
    ),
    ("url_password", "https_proxy=http://svc:{m}@proxy.corp:3128"),
    (
        "private_key",
        "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA{m}\\n-----END RSA PRIVATE KEY-----",
    ),
    (
        "certificate",
        "-----BEGIN CERTIFICATE-----\\nMIIDdzCCAl{m}gAwIBAgIE\\n-----END CERTIFICATE-----",
    ),
    ("entra_secret", "{entra}"),
    ("pem_base64", "tls.key: LS0tLS1CRUdJTi{m}"),
    (
        "cli_flag",
        "az login --service-principal -u app -p {m} --tenant t",
    ),
];

/// The canary of a kind in a case: letters and digits only, so it fits every credential's
/// alphabet, and long and odd enough never to occur by chance.
pub fn marker(kind: usize, case: usize) -> String {
    format!("Zq{kind:02}K{case:03}Xv")
}

/// The credential text of a kind with its canary.
pub fn fragment(kind: usize, case: usize) -> String {
    let m = marker(kind, case);
    let template = KINDS[kind].1;
    // A storage key: 64 random bytes, 86 base64 characters and `==`.
    let key = format!("{m}{}==", "Ab3".repeat(30)[..86 - m.len()].to_owned());
    // A Microsoft Entra client secret: three characters, a digit, `Q~`, then 31 to 34 more.
    let entra = format!("aB38Q~{m}{}", "x".repeat(33 - m.len()));
    template
        .replace("{m}", &m)
        .replace("{key}", &key)
        .replace("{entra}", &entra)
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::builtin().unwrap())
}

/// A case: its name and its files (name, bytes).
type Case = (String, Vec<(String, Vec<u8>)>);

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.file_name().unwrap() != "expected.json")
                .collect();
            files.sort();
            let files = files
                .into_iter()
                .map(|p| {
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read(&p).unwrap(),
                    )
                })
                .collect();
            (
                dir.file_name().unwrap().to_string_lossy().into_owned(),
                files,
            )
        })
        .collect()
}

fn evidence(files: &[(String, Vec<u8>)]) -> Vec<Evidence> {
    files
        .iter()
        .map(|(name, bytes)| Evidence::new(name.clone(), bytes.clone()))
        .collect()
}

/// All canaries of a case, as one line of text.
fn all_fragments(case: usize) -> String {
    (0..KINDS.len())
        .map(|k| fragment(k, case))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Multi-line blocks operators paste: real PEM blocks and an HTTP request with its headers.
fn blocks(case: usize) -> String {
    let pk = marker(
        KINDS.iter().position(|k| k.0 == "private_key").unwrap(),
        case,
    );
    let cert = marker(
        KINDS.iter().position(|k| k.0 == "certificate").unwrap(),
        case,
    );
    let auth = marker(
        KINDS.iter().position(|k| k.0 == "authorization").unwrap(),
        case,
    );
    format!(
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n{pk}MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAo\n-----END PRIVATE KEY-----\n\
         -----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n{cert}RTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD\n-----END CERTIFICATE-----\n\
         > GET /secrets/x?api-version=7.4 HTTP/1.1\n> Host: kv.vault.azure.net\n> Authorization: Bearer eyJ0eXAiOiJKV1QifQ.eyJ{auth}fQ.{auth}\n>\n"
    )
}

/// The lines each finding of `report` cites, by file name.
fn cited(report: &Report) -> BTreeMap<String, BTreeSet<u64>> {
    let mut out: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for finding in &report.findings {
        for e in &finding.evidence {
            out.entry(e.source.clone())
                .or_default()
                .extend(e.lines[0]..=e.lines[1]);
        }
    }
    out
}

/// Plants the canaries of `case` in a file, by kind: on the cited lines of text (and a block
/// at the end), as fields of every JSON object, and as a Secret document after YAML.
fn plant(name: &str, bytes: &[u8], lines: Option<&BTreeSet<u64>>, case: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let fragments = all_fragments(case);
    if name.ends_with(".json") {
        if let Ok(mut value) = serde_json::from_str::<Value>(&text) {
            plant_json(&mut value, case, 0);
            return serde_json::to_vec_pretty(&value).unwrap();
        }
    }
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        let mut out = text.into_owned();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: canary\nstringData:\n");
        for k in 0..KINDS.len() {
            out.push_str(&format!("  f{k}: |\n    {}\n", fragment(k, case)));
        }
        out.push_str(&format!("  clientsecret: {}\n", marker(0, case)));
        out.push_str(&format!("  tls.key: |\n{}", indent(&blocks(case))));
        return out.into_bytes();
    }
    let mut out = String::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let number = i as u64 + 1;
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body.strip_suffix('\r').unwrap_or(body), "\n"),
            None => (line, ""),
        };
        out.push_str(body);
        // A line that opens a klog multi-line value (`err=<`) must still end with it.
        if lines.is_some_and(|l| l.contains(&number)) && !body.ends_with('<') {
            out.push(' ');
            out.push_str(&fragments);
        }
        out.push_str(end);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&blocks(case));
    out.into_bytes()
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

fn plant_json(value: &mut Value, case: usize, depth: usize) {
    match value {
        Value::Object(map) if depth <= 3 => {
            for v in map.values_mut() {
                plant_json(v, case, depth + 1);
            }
            map.insert("clientSecret".into(), Value::String(marker(0, case) + "cs"));
            map.insert("accessToken".into(), Value::String(fragment(0, case)));
            map.insert("password".into(), Value::String(marker(1, case) + "pw"));
            map.insert("notes".into(), Value::String(all_fragments(case)));
        }
        Value::Array(items) => {
            for v in items {
                plant_json(v, case, depth + 1);
            }
        }
        _ => {}
    }
}

fn rules_and_severities(report: &Report) -> Vec<(String, &'static str)> {
    let mut out: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.severity.as_str()))
        .collect();
    out.sort();
    out
}

/// Everything a report can be turned into, as text.
fn every_output(report: &Report, facts: &str) -> Vec<(&'static str, String)> {
    let ja = report.localized(Lang::Ja);
    let mut out = vec![
        ("json", report.to_json()),
        ("text", text::render(report, false)),
        ("text colour", text::render(report, true)),
        ("markdown", markdown::render(report)),
        ("html", html::render(report, true)),
        ("html fragment", html::render(report, false)),
        ("json ja", ja.to_json()),
        ("markdown ja", markdown::render(&ja)),
        ("debug", format!("{report:?}")),
        ("facts", facts.to_owned()),
    ];
    if let Some(error) = report.strict_error() {
        out.push(("strict error", format!("{error} {error:?}")));
    }
    out
}

fn facts_outputs(engine: &Engine, evidence: &[Evidence], redact: bool) -> String {
    let options = Options {
        redact,
        ..Options::default()
    };
    let mut session = engine.session(&options);
    for e in evidence {
        session.feed(&e.name, &e.bytes);
    }
    let view = session.finish_facts();
    let view = if redact { view.redacted() } else { view };
    format!(
        "{}\n{}",
        serde_json::to_string(&view).unwrap(),
        facts_text(&view)
    )
}

fn check(engine: &Engine, evidence: &[Evidence], redact: bool) -> Report {
    let options = Options {
        redact,
        ..Options::default()
    };
    engine.check(evidence, &options)
}

fn leaks(outputs: &[(&'static str, String)], case: usize) -> Vec<String> {
    let mut found = Vec::new();
    for (what, text) in outputs {
        for (k, (kind, _)) in KINDS.iter().enumerate() {
            if let Some(at) = text.find(&marker(k, case)) {
                // Enough context to see which line and field let it through.
                let mut from = at.saturating_sub(120);
                while !text.is_char_boundary(from) {
                    from -= 1;
                }
                let mut to = (at + 40).min(text.len());
                while !text.is_char_boundary(to) {
                    to += 1;
                }
                found.push(format!("{kind} in {what}: …{}…", &text[from..to]));
            }
        }
    }
    found
}

#[test]
fn no_canary_survives_in_any_output_and_findings_still_fire() {
    let mut shown_unredacted: BTreeSet<&str> = BTreeSet::new();
    let mut failures = Vec::new();
    for (index, (case, files)) in cases().iter().enumerate() {
        let baseline = engine().check(&evidence(files), &Options::default());
        let cited = cited(&baseline);
        let planted: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(name, bytes)| {
                (
                    name.clone(),
                    plant(name, bytes, cited.get(name.as_str()), index),
                )
            })
            .collect();
        let planted = evidence(&planted);

        let report = check(engine(), &planted, true);
        if rules_and_severities(&report) != rules_and_severities(&baseline) {
            failures.push(format!(
                "{case}: findings changed with canaries planted: {:?} -> {:?}",
                rules_and_severities(&baseline),
                rules_and_severities(&report)
            ));
        }
        let outputs = every_output(&report, &facts_outputs(engine(), &planted, true));
        for leak in leaks(&outputs, index) {
            failures.push(format!("{case}: {leak}"));
        }

        let open = check(engine(), &planted, false);
        assert!(!open.redacted);
        let open_outputs = every_output(&open, &facts_outputs(engine(), &planted, false));
        for (k, (kind, _)) in KINDS.iter().enumerate() {
            if open_outputs
                .iter()
                .any(|(_, t)| t.contains(&marker(k, index)))
            {
                shown_unredacted.insert(kind);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} leaks:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let missing: Vec<_> = KINDS
        .iter()
        .map(|k| k.0)
        .filter(|k| !shown_unredacted.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "with redaction off these kinds never reached a report, so the test proves nothing for them: {missing:?}"
    );
}

#[test]
fn canaries_in_findings_evidence_are_redacted_not_dropped() {
    // The cited line stays in the report with its credential replaced by the mark.
    let (case, files) = cases()
        .into_iter()
        .find(|(c, _)| c == "article-cause-8-unauthorized-401")
        .unwrap();
    let baseline = engine().check(&evidence(&files), &Options::default());
    let cited = cited(&baseline);
    let planted: Vec<Evidence> = files
        .iter()
        .map(|(n, b)| Evidence::new(n.clone(), plant(n, b, cited.get(n.as_str()), 999)))
        .collect();
    let report = engine().check(&planted, &Options::default());
    let finding = &report.findings[0];
    let text: String = finding.evidence.iter().map(|e| e.text.as_str()).collect();
    assert!(text.contains("[REDACTED]"), "{case}: {text}");
    assert!(report.redacted);
}

#[test]
fn bundles_and_utf16_are_redacted_too() {
    let (_, files) = cases()
        .into_iter()
        .find(|(c, _)| c == "access-denied-rbac-azcore")
        .unwrap();
    let baseline = engine().check(&evidence(&files), &Options::default());
    let cited = cited(&baseline);
    let case = 998;
    let mut tar = Vec::new();
    for (name, bytes) in &files {
        let data = plant(name, bytes, cited.get(name.as_str()), case);
        let mut header = [0u8; 512];
        header[..name.len()].copy_from_slice(name.as_bytes());
        header[100..107].copy_from_slice(b"0000644");
        header[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
        header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        tar.extend_from_slice(&header);
        tar.extend_from_slice(&data);
        tar.resize(tar.len() + (512 - data.len() % 512) % 512, 0);
    }
    tar.extend_from_slice(&[0u8; 1024]);
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(&tar).unwrap();
    let bundle = Evidence::new("support-bundle.tgz", gz.finish().unwrap());
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(
            format!("{}\r\n", all_fragments(case))
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let evidence = vec![bundle, Evidence::new("dns.txt", utf16)];
    let report = engine().check(&evidence, &Options::default());
    assert_eq!(
        rules_and_severities(&report),
        rules_and_severities(&baseline)
    );
    let outputs = every_output(&report, &facts_outputs(engine(), &evidence, true));
    assert_eq!(leaks(&outputs, case), Vec::<String>::new());
    let open = engine().check(
        &evidence,
        &Options {
            redact: false,
            ..Options::default()
        },
    );
    assert!(open.to_json().contains(&marker(0, case)));
}

/// A user rule doing its worst with the facts: printing them, throwing them, and putting them
/// in every field of a finding, a pass, a skip and a request.
const LEAKY_RULE: &str = r#"
fn meta() {
    #{
        api_version: 1,
        id: "leaky",
        severity: "warning",
        needs: [],
        text: #{ en: #{ title: "{t}", message: "{t}", step: "{t}", why: "{t}", pass: "{t}" } },
        commands: #{ step: "echo {t}" },
    }
}
fn check(facts, matches) {
    let texts = [];
    for kind in facts.keys() {
        for f in facts[kind] { texts.push(f.text); }
    }
    let all = "";
    for t in texts { all += t; all += " "; print(t); debug(t); }
    let at = [];
    for kind in facts.keys() { for f in facts[kind] { at.push(f.at); } }
    [
        finding(#{
            title: "title", message: "message", params: #{ t: all },
            subject: #{ pod: all }, data: #{ all: all, list: texts },
            evidence: at, remediation: [["step", "step"]],
            requests: [request(#{ evidence: "logs", reason: "why", command: "step", params: #{ t: all } })],
        }),
        pass("pass", #{ t: all }),
        skip("why", ["dns"]),
        request(#{ evidence: "dns", reason: "why", params: #{ t: all } }),
    ]
}
"#;

const THROWING_RULE: &str = r#"
fn meta() {
    #{ api_version: 1, id: "thrower", severity: "error", needs: [], text: #{ en: #{ title: "t", message: "m" } } }
}
fn check(facts, matches) {
    let all = "";
    for kind in facts.keys() { for f in facts[kind] { all += f.text; } }
    throw all;
}
"#;

#[test]
fn rules_cannot_smuggle_canaries_out() {
    let engine = Engine::builder()
        .rule(RuleSource::user("leaky.rhai", LEAKY_RULE))
        .rule(RuleSource::user("thrower.rhai", THROWING_RULE))
        .build();
    assert!(
        engine.rules().errors.is_empty(),
        "{:?}",
        engine.rules().errors
    );
    let (_, files) = cases()
        .into_iter()
        .find(|(c, _)| c == "article-cause-8-unauthorized-401")
        .unwrap();
    let baseline = engine.check(&evidence(&files), &Options::default());
    let cited = cited(&baseline);
    let case = 997;
    let planted: Vec<Evidence> = files
        .iter()
        .map(|(n, b)| Evidence::new(n.clone(), plant(n, b, cited.get(n.as_str()), case)))
        .collect();
    let report = engine.check(&planted, &Options::default());
    assert!(report.findings.iter().any(|f| f.rule == "leaky"));
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.rule.as_deref() == Some("thrower")));
    assert!(report.diagnostics.iter().any(|d| d.code == "rule-output"));
    let outputs = every_output(&report, "");
    assert_eq!(leaks(&outputs, case), Vec::<String>::new());
    // Unredacted, the same rule does show them: the rule really tried.
    let open = engine.check(
        &planted,
        &Options {
            redact: false,
            ..Options::default()
        },
    );
    assert!(!leaks(&every_output(&open, ""), case).is_empty());
}

#[test]
fn diagnostics_never_quote_a_secret() {
    // A bare secret (`az ad sp credential reset --query password -o tsv > sp.txt`), invalid
    // JSON with an unquoted secret, a binary file whose name carries a SAS signature.
    let case = 996;
    let m = marker(0, case);
    let evidence = vec![
        Evidence::new("sp.txt", format!("Xy{m}Pw.9\n")),
        Evidence::new("creds.json", format!("{{\"password\": Xy{m}9}}\n")),
        Evidence::new(format!("blob?sv=1&sig={m}.bin"), vec![0u8; 4096]),
    ];
    let report = engine().check(&evidence, &Options::default());
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert!(codes.contains(&"ambiguous-input"), "{codes:?}");
    assert!(codes.contains(&"json-invalid"), "{codes:?}");
    assert!(codes.contains(&"binary-input"), "{codes:?}");
    let outputs = every_output(&report, &facts_outputs(engine(), &evidence, true));
    assert_eq!(leaks(&outputs, case), Vec::<String>::new());
}

/// Cases written to `tests/canaries/` for the CLI, WASM and Python canary tests: together they
/// hold every evidence kind (describe, events, klog and azcore logs, curl traces, az JSON,
/// kubectl YAML, shell sessions, a pasted mix).
const FIXTURE_CASES: &[&str] = &[
    "access-denied-forbidden-by-policy-curl",
    "article-cause-4-private-endpoint-other-vnet",
    "article-cause-8-unauthorized-401",
    "keyvault-firewall-private-ip-via-proxy",
    "mixed-paste-firewall",
    "node-publish-secret-ref-missing",
    "service-principal-secret-invalid-aadsts7000215",
];

/// The canary fixtures as files: `<case>/<evidence>` planted, and `<case>/.canary.json` with
/// the canaries to look for and the findings that must still fire (a dot file, so folder walks
/// never read it as evidence).
fn canary_fixtures() -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let all = cases();
    for (n, name) in FIXTURE_CASES.iter().enumerate() {
        let case = 900 + n;
        let (_, files) = all.iter().find(|(c, _)| c == name).unwrap();
        let baseline = engine().check(&evidence(files), &Options::default());
        let cited = cited(&baseline);
        let mut planted = Vec::new();
        for (file, bytes) in files {
            let data = plant(file, bytes, cited.get(file.as_str()), case);
            out.insert(format!("{name}/{file}"), data.clone());
            planted.push(Evidence::new(file.clone(), data));
        }
        let report = engine().check(&planted, &Options::default());
        assert_eq!(
            rules_and_severities(&report),
            rules_and_severities(&baseline)
        );
        let meta = serde_json::json!({
            "markers": (0..KINDS.len()).map(|k| marker(k, case)).collect::<Vec<_>>(),
            "findings": rules_and_severities(&report),
            "exit_status": report.exit_status(),
        });
        out.insert(
            format!("{name}/.canary.json"),
            serde_json::to_vec_pretty(&meta).unwrap(),
        );
    }
    out
}

/// The fixtures in `tests/canaries/` hold through the core: the recorded findings fire and no
/// canary leaks. `KVCSI_UPDATE_CANARIES=1` rewrites them from `tests/cases` first (after a case
/// or a rule changed).
#[test]
fn canary_fixtures_hold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/canaries");
    if std::env::var_os("KVCSI_UPDATE_CANARIES").is_some() {
        let wanted = canary_fixtures();
        let _ = std::fs::remove_dir_all(&root);
        for (path, bytes) in &wanted {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        std::fs::write(root.join("README.md"), CANARY_README).unwrap();
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), FIXTURE_CASES.len());
    for dir in dirs {
        let meta: Value =
            serde_json::from_slice(&std::fs::read(dir.join(".canary.json")).unwrap()).unwrap();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        files.sort();
        let evidence: Vec<Evidence> = files
            .iter()
            .map(|p| {
                Evidence::new(
                    p.file_name().unwrap().to_string_lossy(),
                    std::fs::read(p).unwrap(),
                )
            })
            .collect();
        let report = engine().check(&evidence, &Options::default());
        let recorded: Vec<(String, String)> =
            serde_json::from_value(meta["findings"].clone()).unwrap();
        let now: Vec<(String, String)> = rules_and_severities(&report)
            .into_iter()
            .map(|(r, s)| (r, s.to_owned()))
            .collect();
        assert_eq!(
            now,
            recorded,
            "{}: findings changed; regenerate with KVCSI_UPDATE_CANARIES=1 cargo test -p kvcsi-core --test secrets canary_fixtures_hold",
            dir.display()
        );
        let outputs = every_output(&report, &facts_outputs(engine(), &evidence, true));
        for marker in meta["markers"].as_array().unwrap() {
            let marker = marker.as_str().unwrap();
            for (what, text) in &outputs {
                assert!(
                    !text.contains(marker),
                    "{}: {marker} in {what}",
                    dir.display()
                );
            }
        }
    }
}

const CANARY_README: &str = "# Canary fixtures

Evidence cases from `tests/cases` with a unique canary of every credential kind planted on the
lines their findings cite (and as PEM blocks, JSON fields and a Secret document). Each
`.canary.json` lists the canaries that must never appear in any output and the findings that
must still fire. Generated by `core/tests/secrets.rs`:

```text
KVCSI_UPDATE_CANARIES=1 cargo test -p kvcsi-core --test secrets canary_fixtures_hold
```

Used by `cli/tests/secrets_cli.rs`, `bindings-wasm/tests/secrets.test.mjs` and
`bindings-python/tests/test_secrets.py`.
";

/// A rule that disguises what it reads (reversed, one character at a time) so no pattern in the
/// report could recognise it: it still cannot leak a credential, because when redacting, the
/// rules are given the evidence already redacted.
const DISGUISING_RULE: &str = r#"
fn meta() {
    #{ api_version: 1, id: "disguise", severity: "warning", needs: [],
       text: #{ en: #{ title: "t", message: "{t}" } } }
}
fn check(facts, matches) {
    let out = "";
    for kind in facts.keys() {
        for f in facts[kind] {
            let chars = f.text.to_chars();
            let i = chars.len() - 1;
            while i >= 0 { out += chars[i]; out += "."; i -= 1; }
        }
    }
    [finding(#{ params: #{ t: out } })]
}
"#;

#[test]
fn rules_see_the_evidence_redacted() {
    let engine = Engine::builder()
        .builtin(false)
        .rule(RuleSource::user("disguise.rhai", DISGUISING_RULE))
        .build();
    assert!(
        engine.rules().errors.is_empty(),
        "{:?}",
        engine.rules().errors
    );
    let case = 995;
    // Error lines of a log become log facts, whatever they hold.
    let evidence = vec![Evidence::new(
        "provider.log",
        format!(
            "E1120 10:00:00.000000       1 server.go:1] failed: {}\n",
            all_fragments(case)
        ),
    )];
    let disguised = |m: &str| m.chars().rev().map(|c| format!("{c}.")).collect::<String>();
    let report = engine.check(&evidence, &Options::default());
    let json = report.to_json();
    for (k, (kind, _)) in KINDS.iter().enumerate() {
        assert!(
            !json.contains(&disguised(&marker(k, case))),
            "{kind} leaked disguised"
        );
    }
    // Unredacted, the same rule shows them disguised: it really read them.
    let open = engine.check(
        &evidence,
        &Options {
            redact: false,
            ..Options::default()
        },
    );
    assert!(open.to_json().contains(&disguised(&marker(0, case))));
}
