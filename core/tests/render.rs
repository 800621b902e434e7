//! Snapshots of every renderer (text with and without colour, Markdown, HTML, JSON) in both
//! languages, on a report from a rule defined here, so rule-pack edits never churn them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kvcsi_core::report::{html, markdown, text};
use kvcsi_core::{Engine, Evidence, Lang, Options, RuleSource};

const RULE: &str = r#"
fn meta() {
    #{
        api_version: 1,
        id: "demo-forbidden",
        severity: "error",
        cause: 4,
        needs: ["kv_errors"],
        references: ["https://learn.microsoft.com/azure/key-vault/general/rest-error-codes"],
        text: #{
            en: #{ title: "Vault {vault} refuses the connection", message: "The 403 {code} for {object} says the request did not come through the private link.", fix: "Link the private DNS zone to the VNet of {cluster}.", ask: "Resolve the vault from the node." },
            ja: #{ title: "コンテナー {vault} が接続を拒否しています", message: "{object} の 403 {code} は、要求がプライベート リンク経由でないことを示します。", fix: "プライベート DNS ゾーンを {cluster} の VNet にリンクします。", ask: "ノードからコンテナー名を解決します。" },
        },
        commands: #{ fix: "az network private-dns link vnet create --zone-name privatelink.vaultcore.azure.net --virtual-network <aks-vnet> --name {vault}-link", ask: "nslookup {vault}.vault.azure.net" },
    }
}

fn check(facts, matches) {
    let out = [];
    for e in facts.kv_errors {
        if e.inner_code == "ForbiddenByConnection" {
            out.push(finding(#{
                subject: #{ vault: e.vault },
                params: #{ code: e.inner_code, object: e.object_name, cluster: "aks-demo" },
                data: #{ missing: ["dns-zone-link"] },
                evidence: [e],
                remediation: ["fix"],
                requests: [#{ evidence: "dns", reason: "ask", command: "ask" }],
            }));
        }
    }
    out
}
"#;

const LOG: &str = "I1029 17:37:40.000000       1 main.go:10] starting\nE1029 17:37:42.461313       1 server.go:54] failed to process mount request, error: failed to get objectType:secret, objectName:db-pass, objectVersion:: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code=\"Forbidden\" Message=\"Public network access is disabled. Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl\" InnerError={\"code\":\"ForbiddenByConnection\"} Vault: kv-demo;location=eastus https://kv-demo.vault.azure.net/secrets/db-pass\n";

fn report(lang: Lang) -> kvcsi_core::Report {
    let engine = Engine::builder()
        .builtin(false)
        .rule(RuleSource::user("demo.rhai", RULE))
        .build();
    assert!(
        engine.rules().errors.is_empty(),
        "{:?}",
        engine.rules().errors
    );
    engine.check(
        &[Evidence::new("provider.log", LOG)],
        &Options {
            lang,
            ..Options::default()
        },
    )
}

#[test]
fn renderers() {
    for lang in [Lang::En, Lang::Ja] {
        let report = report(lang);
        assert_eq!(report.exit_status(), 3);
        let suffix = lang.as_str();
        insta::assert_snapshot!(format!("text_{suffix}"), text::render(&report, false));
        insta::assert_snapshot!(format!("markdown_{suffix}"), markdown::render(&report));
        insta::assert_snapshot!(format!("html_{suffix}"), html::render(&report, true));
        insta::assert_snapshot!(format!("json_{suffix}"), report.to_json());
    }
    let coloured = text::render(&report(Lang::En), true);
    assert!(coloured.contains("\x1b[31;1mERROR"));
}

#[test]
fn relocalising_equals_checking_in_that_language() {
    assert_eq!(
        report(Lang::En).localized(Lang::Ja).to_json(),
        report(Lang::Ja).to_json()
    );
}

#[test]
fn redaction_is_on_by_default_and_can_be_turned_off() {
    let secret = "c2lnbmF0dXJl";
    assert!(!report(Lang::En).to_json().contains(secret));
    let engine = Engine::builder()
        .builtin(false)
        .rule(RuleSource::user("demo.rhai", RULE))
        .build();
    let open = engine.check(
        &[Evidence::new("provider.log", LOG)],
        &Options {
            redact: false,
            ..Options::default()
        },
    );
    assert!(open.to_json().contains(secret));
}
