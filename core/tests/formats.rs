//! Every evidence format an operator has, proven by the facts it yields.
//!
//! The fixtures are real command outputs: the shared set vendored in `tests/shared-formats` (or the
//! folder named by `KVCSI_SHARED_FORMATS`) and the ones this repository adds in `tests/formats`,
//! each cited in a `SOURCES.md` beside it. For every file an insta snapshot records the segments
//! (kinds, line ranges, commands), the facts rules will see (every field, `raw` objects left out
//! because they are the fixture's own JSON), and the diagnostics. The other tests check that the
//! facts come from content, not from names, and survive being pasted together.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kvcsi_core::{Engine, Options};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// The name snapshots give the evidence, so they do not depend on where the fixture lives.
const EVIDENCE: &str = "<evidence>";

fn shared_dir() -> PathBuf {
    std::env::var_os("KVCSI_SHARED_FORMATS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/shared-formats"),
        PathBuf::from,
    )
}

fn local_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/formats")
}

/// The fixture files of a folder, sorted, `SOURCES.md` left out.
fn fixtures(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "the format fixtures are missing at {} ({e}); set KVCSI_SHARED_FORMATS to their folder",
            dir.display()
        )
    });
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "SOURCES.md"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Feeds pieces of evidence to one session (no rules) and returns the facts view as JSON.
fn facts_of(pieces: &[(&str, &[u8])]) -> Value {
    let engine = Engine::builder().builtin(false).build();
    let mut session = engine.session(&Options::default());
    for (name, bytes) in pieces {
        session.feed(name, bytes);
        session.end(name);
    }
    serde_json::to_value(session.finish_facts()).unwrap()
}

/// Replaces the evidence name wherever the view carries it.
fn normalise_source(value: &mut Value, name: &str) {
    match value {
        Value::Object(map) => {
            if map.get("source").and_then(Value::as_str) == Some(name) {
                map.insert("source".to_owned(), json!(EVIDENCE));
            }
            map.values_mut().for_each(|v| normalise_source(v, name));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| normalise_source(v, name)),
        _ => {}
    }
}

/// The facts of one fixture as its snapshot shows them.
fn snapshot_view(name: &str, bytes: &[u8]) -> Value {
    let mut view = facts_of(&[(name, bytes)]);
    normalise_source(&mut view, name);
    let facts = view
        .get("facts")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|(kind, facts)| {
            let facts: Vec<Value> = facts
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut fact| {
                    if let Some(map) = fact.as_object_mut() {
                        map.remove("raw");
                    }
                    fact
                })
                .collect();
            (kind, Value::Array(facts))
        })
        .collect::<Map<String, Value>>();
    json!({
        "segments": view["segments"],
        "facts": facts,
        "diagnostics": view["diagnostics"],
    })
}

fn snapshot_all(prefix: &str, dir: &Path) {
    for path in fixtures(dir) {
        let name = file_name(&path);
        let bytes = std::fs::read(&path).unwrap();
        let view = snapshot_view(&name, &bytes);
        let kinds = view["facts"].as_object().map_or(0, Map::len);
        assert!(kinds > 0, "{name}: no facts at all: {view:#}");
        insta::assert_json_snapshot!(format!("{prefix}__{name}"), view);
    }
}

#[test]
fn shared_fixtures_give_their_facts() {
    snapshot_all("shared", &shared_dir());
}

#[test]
fn local_fixtures_give_their_facts() {
    snapshot_all("local", &local_dir());
}

/// Only `-o tsv` output is told apart by its name; every other kind comes from content.
fn named_by_content(path: &Path) -> bool {
    !file_name(path).ends_with(".tsv")
}

#[test]
fn kinds_come_from_content_not_names() {
    for path in [fixtures(&shared_dir()), fixtures(&local_dir())].concat() {
        if !named_by_content(&path) {
            continue;
        }
        let name = file_name(&path);
        let bytes = std::fs::read(&path).unwrap();
        let expected = snapshot_view(&name, &bytes);
        // A neutral name, and one that would suggest a scalar, change nothing.
        for other in ["evidence.txt", "az-query-clientid.tsv"] {
            let got = snapshot_view(other, &bytes);
            assert_eq!(got, expected, "{name} read as {other}");
        }
    }
}

#[test]
fn a_bare_value_needs_a_name_or_a_command() {
    let guid = b"00000000-0000-0000-0000-000000000005\n";
    let neutral = facts_of(&[("evidence.txt", guid)]);
    assert!(neutral["facts"].get("az_scalars").is_none(), "{neutral:#}");
    let codes: Vec<&str> = neutral["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["ambiguous-input"]);

    let named = facts_of(&[("aks-addon-clientid.tsv", guid)]);
    assert_eq!(
        named["facts"]["az_scalars"][0]["value"],
        "00000000-0000-0000-0000-000000000005"
    );
    assert!(named["diagnostics"].as_array().unwrap().is_empty());

    let pasted = b"$ az aks show -g rg-aks-demo -n aks-demo --query addonProfiles.azureKeyvaultSecretsProvider.identity.clientId -o tsv\n00000000-0000-0000-0000-000000000005\n";
    let with_command = facts_of(&[("evidence.txt", pasted)]);
    let scalar = &with_command["facts"]["az_scalars"][0];
    assert_eq!(scalar["value"], "00000000-0000-0000-0000-000000000005");
    assert_eq!(
        scalar["query"],
        "addonProfiles.azureKeyvaultSecretsProvider.identity.clientId"
    );
    assert!(with_command["diagnostics"].as_array().unwrap().is_empty());

    // Values with spaces are `-o tsv` output only when the name says so.
    let roles = b"Key Vault Secrets User\nKey Vault Reader\n";
    assert!(facts_of(&[("evidence.txt", roles)])["facts"]
        .get("az_scalars")
        .is_none());
    let named = facts_of(&[("role-names.tsv", roles)]);
    assert_eq!(named["facts"]["az_scalars"][1]["value"], "Key Vault Reader");
}

/// The fixtures of one incident as an operator would paste them: each after its command.
struct Scenario {
    name: &'static str,
    prompt: &'static str,
    steps: &'static [(&'static str, &'static str)],
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "private endpoint in another VNet",
        prompt: "$ ",
        steps: &[
            ("kubectl describe pod busybox-secrets-store-inline-user-msi", "shared/kubectl-describe-pod_failedmount_forbidden-by-connection.txt"),
            ("kubectl get events -A", "shared/kubectl-get-events_table.txt"),
            ("nslookup kv-aks-demo-01.vault.azure.net", "shared/nslookup-bind_public-ip-via-privatelink-cname.txt"),
            ("dig kv-aks-demo-01.vault.azure.net", "shared/dig_public-ip-via-privatelink-cname.txt"),
            ("nc -v -w 2 kv-aks-demo-01.vault.azure.net 443", "shared/nc-openbsd_timeout.txt"),
            ("curl -v https://kv-aks-demo-01.vault.azure.net/secrets/ExampleSecret?api-version=7.4 -H \"Authorization: Bearer $TOKEN\"", "shared/curl-v_get-secret_403_forbidden-by-connection.txt"),
            ("az network private-dns link vnet list -g rg-hub-network -z privatelink.vaultcore.azure.net", "shared/az-network-private-dns-link-vnet-list_without-aks-vnet-link.json"),
            ("az network vnet peering list -g rg-aks-demo --vnet-name vnet-aks-demo", "shared/az-network-vnet-peering-list_initiated-and-disconnected.json"),
            ("az keyvault show -n kv-aks-demo-01", "shared/az-keyvault-show_public-access-disabled_private-endpoint.json"),
            ("az network private-endpoint show -g rg-hub-network -n pe-kv-aks-demo-01", "shared/az-network-private-endpoint-show_keyvault.json"),
            ("host kv-aks-demo-01.vault.azure.net", "local/host_public-ip-via-privatelink-alias.txt"),
        ],
    },
    Scenario {
        name: "checks from a Windows jump box",
        prompt: "PS C:\\> ",
        steps: &[
            ("nslookup kv-aks-demo-01.vault.azure.net", "local/nslookup-windows_public-ip-via-privatelink-alias.txt"),
            ("Resolve-DnsName kv-aks-demo-01.vault.azure.net", "local/resolve-dnsname_public-ip-via-privatelink-cname.txt"),
            ("Test-NetConnection kv-aks-demo-01.vault.azure.net -Port 443", "local/test-netconnection_failed.txt"),
            ("curl.exe -v https://kv-aks-demo-01.vault.azure.net/secrets/ExampleSecret?api-version=7.4 -H \"Authorization: Bearer $token\"", "local/curl-exe-v_get-secret_403_schannel.txt"),
            ("nslookup kv-aks-demo-01.vault.azure.net", "local/nslookup-windows_timeout.txt"),
            ("Resolve-DnsName kv-aks-demo-1.vault.azure.net", "local/resolve-dnsname_nxdomain.txt"),
            ("Test-NetConnection kv-aks-demo-1.vault.azure.net -Port 443", "local/test-netconnection_name-resolution-failed.txt"),
        ],
    },
    Scenario {
        name: "from inside a BusyBox pod",
        prompt: "/ # ",
        steps: &[
            ("nslookup kv-aks-demo-01.vault.azure.net", "shared/nslookup-busybox_private-ip.txt"),
            ("nc -v -w 2 kv-aks-demo-01.vault.azure.net 443", "shared/nc-busybox_success.txt"),
            ("nslookup kv-aks-demo-1.vault.azure.net", "shared/nslookup-busybox_nxdomain.txt"),
            ("curl -v -X POST https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token -d 'grant_type=client_credentials&scope=https://vault.azure.net/.default'", "shared/curl-v_token-request_401_aadsts7000215.txt"),
            ("curl -v https://kv-aks-demo-01.vault.azure.net/secrets/ExampleSecret?api-version=7.4", "shared/curl-v_get-secret_401.txt"),
            ("curl -v --connect-timeout 10 https://kv-aks-demo-01.vault.azure.net/secrets/ExampleSecret?api-version=7.4", "local/curl-v_connect-timeout.txt"),
            ("curl -v https://kv-aks-demo-1.vault.azure.net/secrets/ExampleSecret?api-version=7.4", "local/curl-v_could-not-resolve-host.txt"),
            ("nc -v -w 2 kv-aks-demo-01.vault.azure.net 443", "shared/nc-ncat_timeout.txt"),
        ],
    },
    Scenario {
        name: "driver missing on a tainted node",
        prompt: "$ ",
        steps: &[
            ("kubectl describe pod inference-api-6c8d9f7b5-qx4zt -n ml", "shared/kubectl-describe-pod_failedmount_driver-not-registered.txt"),
            ("kubectl get csidriver", "shared/kubectl-get-csidriver.txt"),
            ("kubectl get pods -A -l 'app in (csi-secrets-store-provider-azure,secrets-store-csi-driver)' -o wide", "shared/kubectl-get-pods-o-wide_helm_node-missing-driver.txt"),
            ("kubectl get nodes -o wide", "shared/kubectl-get-nodes-o-wide.txt"),
            ("kubectl get nodes -o json", "shared/kubectl-get-nodes-o-json_taints.json"),
            ("kubectl get ds -n kube-system", "local/kubectl-get-daemonset_kube-system.txt"),
            ("kubectl get ds secrets-store-csi-driver -n kube-system -o yaml", "local/kubectl-get-daemonset-o-yaml_secrets-store-csi-driver_tolerations.yaml"),
        ],
    },
    Scenario {
        name: "identities and access",
        prompt: "$ ",
        steps: &[
            ("az aks show -g rg-aks-demo -n aks-demo", "shared/az-aks-show_keyvault-secrets-provider-addon.json"),
            ("az aks show -g rg-aks-demo -n aks-demo --query addonProfiles.azureKeyvaultSecretsProvider.identity.clientId -o tsv", "shared/az-aks-show_query-addon-identity-clientid.tsv"),
            ("az identity show -g rg-aks-demo -n id-aks-demo-workload", "shared/az-identity-show.json"),
            ("az identity show -g rg-aks-demo -n id-aks-demo-workload --query \"{clientId:clientId, principalId:principalId}\" -o tsv", "local/az-identity-show_query-clientid-principalid.tsv"),
            ("az vmss identity show -g MC_rg-aks-demo_aks-demo_eastus -n aks-nodepool1-29360345-vmss", "local/az-vmss-identity-show_aks-nodepool.json"),
            ("az role assignment list --scope /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aks-demo/providers/Microsoft.KeyVault/vaults/kv-aks-demo-01", "shared/az-role-assignment-list_key-vault-secrets-user.json"),
            ("az role assignment list --scope /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aks-demo/providers/Microsoft.KeyVault/vaults/kv-aks-demo-01 --query \"[].roleDefinitionName\" -o tsv", "local/az-role-assignment-list_query-role-names.tsv"),
            ("kubectl get secretproviderclass azure-kvname-user-msi -o yaml", "shared/kubectl-get-secretproviderclass-o-yaml_user-assigned-identity-sync.yaml"),
            ("kubectl get secretproviderclass azure-kvname-workload-identity -n ml -o json", "local/kubectl-get-secretproviderclass-o-json_workload-identity.json"),
            ("kubectl get secretproviderclasspodstatus -o yaml", "shared/kubectl-get-secretproviderclasspodstatus-o-yaml.yaml"),
        ],
    },
    Scenario {
        name: "logs of the driver and the provider",
        prompt: "$ ",
        steps: &[
            ("kubectl logs -n kube-system aks-secrets-store-provider-azure-bfl6m", "shared/logs_provider-azure_klog-structured_v1.log"),
            ("kubectl logs --prefix --all-containers -n kube-system aks-secrets-store-csi-driver-m2cqq", "local/kubectl-logs_prefix_all-containers_secrets-store-csi-driver.txt"),
            ("stern -n kube-system -l 'app in (secrets-store-csi-driver,secrets-store-provider-azure)'", "local/stern_driver-and-provider.txt"),
            ("kubectl logs -n kube-system csi-secrets-store-provider-azure-4ngf4", "shared/logs_provider-azure_klog-text_legacy-v0.0.9.log"),
            ("kubectl logs -n kube-system csi-secrets-store-secrets-store-csi-driver-7x2kp -c secrets-store", "shared/logs_secrets-store-csi-driver_logrus-text_legacy-v0.0.11.log"),
        ],
    },
    Scenario {
        name: "events in every output",
        prompt: "$ ",
        steps: &[
            ("kubectl get events -n default -o wide", "local/kubectl-get-events_o-wide.txt"),
            ("kubectl events -n default", "local/kubectl-events_default.txt"),
            ("kubectl get events -n default -o json", "shared/kubectl-get-events_o-json.json"),
            ("kubectl get events -n default -o yaml", "local/kubectl-get-events_o-yaml.yaml"),
            ("kubectl get clusterrole secretprovidersyncing-role", "shared/kubectl-get-clusterrole_secretprovidersyncing-role.txt"),
            ("kubectl get clusterrole secretprovidersyncing-role -o yaml", "local/kubectl-get-clusterrole-o-yaml_secretprovidersyncing-role.yaml"),
            ("kubectl get clusterrolebinding secretprovidersyncing-rolebinding", "local/kubectl-get-clusterrolebinding_secretprovidersyncing-rolebinding_notfound.txt"),
        ],
    },
];

fn fixture_path(reference: &str) -> PathBuf {
    match reference.split_once('/') {
        Some(("shared", name)) => shared_dir().join(name),
        Some(("local", name)) => local_dir().join(name),
        _ => panic!("bad fixture reference {reference}"),
    }
}

/// A fact without where it came from: pasted together, facts keep their content but move.
fn content(fact: &Value) -> Map<String, Value> {
    let mut map = fact.as_object().cloned().unwrap_or_default();
    map.remove("at");
    map
}

/// Fields a command line may add to a fact whose output alone did not name them.
const FROM_COMMAND: &[&str] = &["host", "port", "query", "server", "url", "method"];

/// Whether `pasted` is `alone` with, at most, fields the command line filled in.
fn same_fact(alone: &Map<String, Value>, pasted: &Map<String, Value>) -> bool {
    alone.iter().all(|(k, v)| pasted.get(k) == Some(v))
        && pasted
            .keys()
            .all(|k| alone.contains_key(k) || FROM_COMMAND.contains(&k.as_str()))
}

fn segment_kinds(view: &Value) -> Vec<String> {
    view["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .filter(|k| *k != "command")
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_scenario_pasted_at_once_gives_the_same_facts() {
    for scenario in SCENARIOS {
        let mut paste = String::new();
        let mut kinds = Vec::new();
        let mut expected: Vec<(String, Map<String, Value>)> = Vec::new();
        for (command, reference) in scenario.steps {
            let path = fixture_path(reference);
            let bytes = std::fs::read(&path).unwrap();
            let name = file_name(&path);
            let alone = facts_of(&[(&name, &bytes)]);
            // Alone, only its `.tsv` name made a bare value a scalar; after its command the
            // segment is one from the start.
            kinds.extend(segment_kinds(&alone).into_iter().map(|k| {
                if k == "text" && name.ends_with(".tsv") {
                    "scalar".to_owned()
                } else {
                    k
                }
            }));
            for (kind, facts) in alone["facts"].as_object().unwrap() {
                for fact in facts.as_array().unwrap() {
                    expected.push((kind.clone(), content(fact)));
                }
            }
            paste.push_str(scenario.prompt);
            paste.push_str(command);
            paste.push('\n');
            let text = String::from_utf8_lossy(&bytes);
            paste.push_str(&text);
            if !text.ends_with('\n') {
                paste.push('\n');
            }
        }
        assert!(
            !expected.is_empty(),
            "{}: no facts to compare",
            scenario.name
        );
        let pasted = facts_of(&[("paste.txt", paste.as_bytes())]);
        assert_eq!(
            segment_kinds(&pasted),
            kinds,
            "{}: segments differ when pasted together",
            scenario.name
        );
        let commands = pasted["facts"]["commands"].as_array().map_or(0, Vec::len);
        assert_eq!(commands, scenario.steps.len(), "{}", scenario.name);
        let mut got: Vec<(String, Map<String, Value>)> = pasted["facts"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(kind, _)| kind.as_str() != "commands")
            .flat_map(|(kind, facts)| {
                facts
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| (kind.clone(), content(f)))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (kind, fact) in &expected {
            let found = got
                .iter()
                .position(|(k, f)| k == kind && same_fact(fact, f))
                .unwrap_or_else(|| {
                    panic!(
                        "{}: this {kind} fact is missing or changed when pasted together:\n{:#}",
                        scenario.name,
                        Value::Object(fact.clone())
                    )
                });
            got.remove(found);
        }
        assert!(
            got.is_empty(),
            "{}: facts only the paste gives: {got:#?}",
            scenario.name
        );
        assert!(
            pasted["diagnostics"].as_array().unwrap().is_empty(),
            "{}: {:#}",
            scenario.name,
            pasted["diagnostics"]
        );
    }
}

#[test]
fn the_facts_view_names_segments_and_line_ranges() {
    let path = shared_dir().join("dig_private-ip.txt");
    let engine = Engine::builder().builtin(false).build();
    let mut session = engine.session(&Options::default());
    session.feed("dig.txt", &std::fs::read(path).unwrap());
    let view = session.finish_facts();
    let text = kvcsi_core::report::facts_text(&view);
    assert!(text.contains("dig.txt:2-20  dig"), "{text}");
    assert!(
        text.contains("\"private_addresses\":[\"10.10.1.4\"]"),
        "{text}"
    );
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["segments"][0]["lines"], json!([2, 20]));
    assert_eq!(json["facts"]["dns"][0]["server"], "10.0.0.10");
}
