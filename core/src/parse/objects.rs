//! Azure resources (`az ... -o json`) and Kubernetes objects (`kubectl get -o json|yaml`),
//! recognised by their shape and normalised into facts that keep the raw object too.

use super::tree::Node;
use super::Sink;
use serde_json::{json, Map, Value};

/// Turns one parsed document into facts: arrays and Kubernetes `List`s give one fact per item.
pub fn facts_of_document(node: &Node, sink: &mut Sink<'_>) {
    if let Some(items) = node.items() {
        for item in items {
            fact_of_object(item, sink);
        }
        return;
    }
    let value = node.to_value();
    if value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        || (value.get("items").is_some_and(Value::is_array) && value.get("kind").is_none())
    {
        if let Some(items) = node.get("items").and_then(Node::items) {
            for item in items {
                fact_of_object(item, sink);
            }
        }
        return;
    }
    if value.get("value").is_some_and(Value::is_array) && value.get("kind").is_none() {
        // ARM list responses (`az rest`) wrap items in `value`.
        if let Some(items) = node.get("value").and_then(Node::items) {
            for item in items {
                fact_of_object(item, sink);
            }
        }
        return;
    }
    fact_of_object(node, sink);
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    Some(cur)
}

fn text(v: &Value, path: &[&str]) -> Value {
    s(v, path).cloned().unwrap_or(Value::Null)
}

fn resource_type(v: &Value) -> String {
    v.get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Decides what an object is and records it.
fn fact_of_object(node: &Node, sink: &mut Sink<'_>) {
    let v = node.to_value();
    if !v.is_object() {
        return;
    }
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    let rtype = resource_type(&v);
    let (fact_kind, mut fields) = match () {
        _ if kind == "Pod" => ("k8s_pods", pod(&v)),
        _ if kind == "CSIDriver" => ("k8s_csidrivers", csidriver(&v)),
        _ if kind == "SecretProviderClass" => ("k8s_spcs", spc(&v)),
        _ if kind == "SecretProviderClassPodStatus" => ("k8s_spc_statuses", spc_status(&v)),
        _ if kind == "ClusterRole" => ("k8s_cluster_roles", cluster_role(&v)),
        _ if kind == "ClusterRoleBinding" => ("k8s_cluster_role_bindings", binding(&v)),
        _ if kind == "Node" => ("k8s_nodes", k8s_node(&v)),
        _ if kind == "DaemonSet" => ("k8s_daemonsets", daemonset(&v)),
        _ if kind == "Event" => ("events", event(&v)),
        _ if rtype == "microsoft.containerservice/managedclusters"
            || v.get("addonProfiles").is_some()
            || v.get("agentPoolProfiles").is_some() =>
        {
            ("az_aks", aks(&v))
        }
        _ if rtype == "microsoft.keyvault/vaults" => ("az_keyvaults", keyvault(&v)),
        _ if rtype.ends_with("privatednszones/virtualnetworklinks") => {
            ("az_dns_links", dns_link(&v))
        }
        _ if rtype.starts_with("microsoft.network/privatednszones/") => {
            ("az_dns_records", dns_record(&v))
        }
        _ if rtype.ends_with("virtualnetworkpeerings") || v.get("peeringState").is_some() => {
            ("az_peerings", peering(&v))
        }
        _ if rtype == "microsoft.network/privateendpoints" => {
            ("az_private_endpoints", private_endpoint(&v))
        }
        _ if rtype
            == "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials" =>
        {
            ("az_federated_credentials", federated_credential(&v))
        }
        _ if rtype == "microsoft.managedidentity/userassignedidentities" => {
            ("az_identities", identity(&v))
        }
        _ if v.get("roleDefinitionName").is_some()
            || (v.get("principalId").is_some()
                && v.get("scope").is_some()
                && v.get("roleDefinitionId").is_some()) =>
        {
            ("az_role_assignments", role_assignment(&v))
        }
        _ if v.get("userAssignedIdentities").is_some()
            || (v.get("principalId").is_some()
                && v.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.contains("Assigned"))) =>
        {
            ("az_identities", vmss_identity(&v))
        }
        _ => return,
    };
    if fact_kind == "events" {
        let mut event = super::events::KubeEvent {
            event_type: fields
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            reason: fields
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            count: fields.get("count").and_then(Value::as_u64).unwrap_or(1),
            age: fields
                .get("last_timestamp")
                .and_then(Value::as_str)
                .map(str::to_owned),
            first_seen: fields
                .get("first_timestamp")
                .and_then(Value::as_str)
                .map(str::to_owned),
            over: None,
            object: fields
                .get("object")
                .and_then(Value::as_str)
                .map(str::to_owned),
            namespace: fields
                .get("namespace")
                .and_then(Value::as_str)
                .map(str::to_owned),
            from: fields
                .get("from")
                .and_then(Value::as_str)
                .map(str::to_owned),
            node: fields
                .get("node")
                .and_then(Value::as_str)
                .map(str::to_owned),
            message: fields
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            ..Default::default()
        };
        super::events::enrich(&mut event);
        sink.fact("events", node.first, node.last, &summary(&v), &event);
        return;
    }
    fields.insert("raw".to_owned(), v.clone());
    sink.fact(
        fact_kind,
        node.first,
        node.last,
        &summary(&v),
        &Value::Object(fields),
    );
}

/// `az aks show --query <path> -o json|yaml` prints only the part of the cluster at `path`
/// (`addonProfiles.azureKeyvaultSecretsProvider`, `httpProxyConfig`): it is read as that part of
/// the cluster, so its fields are those `az aks show` gives, and `query` says it is a part.
pub fn facts_of_aks_part(node: &Node, path: &[&str], sink: &mut Sink<'_>) {
    let printed = node.to_value();
    if !printed.is_object() {
        return;
    }
    let mut value = printed.clone();
    for key in path.iter().rev() {
        let mut map = Map::new();
        map.insert((*key).to_owned(), value);
        value = Value::Object(map);
    }
    let mut fields = aks(&value);
    // The part says nothing of the node pools: no pools is not "none".
    if path.first() != Some(&"agentPoolProfiles") {
        fields.remove("node_pools");
        fields.remove("vnet_subnet_ids");
    }
    fields.insert("query".to_owned(), Value::String(path.join(".")));
    fields.insert("raw".to_owned(), printed);
    sink.fact(
        "az_aks",
        node.first,
        node.last,
        &format!("az aks show --query {}", path.join(".")),
        &Value::Object(fields),
    );
}

fn summary(v: &Value) -> String {
    // Kubernetes objects name their kind; Azure resources their type (an AKS cluster's `kind`
    // is a SKU such as `Base`).
    let kubernetes = v.get("apiVersion").is_some();
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .filter(|_| kubernetes)
        .or_else(|| v.get("type").and_then(Value::as_str))
        .or_else(|| v.get("kind").and_then(Value::as_str))
        .unwrap_or("object");
    let name = s(v, &["metadata", "name"])
        .or_else(|| v.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("{kind} {name}").trim().to_owned()
}

/// The first present value among several spellings of a key.
fn first_of(v: &Value, keys: &[&str]) -> Value {
    keys.iter()
        .find_map(|k| v.get(k).filter(|x| !x.is_null()).cloned())
        .unwrap_or(Value::Null)
}

fn obj(pairs: Value) -> Map<String, Value> {
    match pairs {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Leaves out the fields of a built item that were not found, as facts do at their top level
/// ("fields that were not found are absent").
fn compact(item: Value) -> Value {
    match item {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

fn meta_only(v: &Value) -> Map<String, Value> {
    obj(
        json!({ "name": text(v, &["metadata", "name"]), "namespace": text(v, &["metadata", "namespace"]) }),
    )
}

fn cluster_role(v: &Value) -> Map<String, Value> {
    let mut fields = meta_only(v);
    fields.insert("rules".to_owned(), text(v, &["rules"]));
    fields
}

/// The state of each container: whether it is ready, how often it restarted, and why it waits
/// or ended (`CrashLoopBackOff`, `Error`), which the pod phase (`Running`) hides.
fn container_states(v: &Value) -> Vec<Value> {
    let statuses = s(v, &["status", "containerStatuses"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    statuses
        .iter()
        .map(|c| {
            let state = c.get("state").and_then(Value::as_object);
            let (state_name, detail) = state
                .and_then(|m| m.iter().next())
                .map_or((Value::Null, Value::Null), |(k, d)| {
                    (Value::String(k.clone()), d.clone())
                });
            let last = s(c, &["lastState", "terminated"]);
            compact(json!({
                "name": text(c, &["name"]),
                "ready": text(c, &["ready"]),
                "restart_count": text(c, &["restartCount"]),
                "state": state_name,
                "reason": text(&detail, &["reason"]),
                "last_exit_code": last.and_then(|t| t.get("exitCode")).cloned().unwrap_or(Value::Null),
                "last_reason": last.and_then(|t| t.get("reason")).cloned().unwrap_or(Value::Null),
            }))
        })
        .collect()
}

fn pod(v: &Value) -> Map<String, Value> {
    let volumes: Vec<Value> = s(v, &["spec", "volumes"])
        .and_then(Value::as_array)
        .map(|vols| {
            vols.iter()
                .filter_map(|vol| {
                    let csi = vol.get("csi")?;
                    Some(compact(json!({
                        "name": text(vol, &["name"]),
                        "driver": text(csi, &["driver"]),
                        "secret_provider_class": text(csi, &["volumeAttributes", "secretProviderClass"]),
                        "node_publish_secret_ref": text(csi, &["nodePublishSecretRef", "name"]),
                    })))
                })
                .collect()
        })
        .unwrap_or_default();
    let labels = text(v, &["metadata", "labels"]);
    obj(json!({
        "name": text(v, &["metadata", "name"]),
        "namespace": text(v, &["metadata", "namespace"]),
        "node": text(v, &["spec", "nodeName"]),
        "status": text(v, &["status", "phase"]),
        "app": labels.get("app").cloned().unwrap_or(Value::Null),
        "labels": labels,
        "host_network": text(v, &["spec", "hostNetwork"]),
        "service_account": text(v, &["spec", "serviceAccountName"]),
        "csi_volumes": volumes,
        "source": "json",
        "ip": text(v, &["status", "podIP"]),
        "host_ip": text(v, &["status", "hostIP"]),
        "containers": container_states(v),
        "tolerations": s(v, &["spec", "tolerations"]).cloned().unwrap_or(json!([])),
    }))
}

fn csidriver(v: &Value) -> Map<String, Value> {
    obj(json!({
        "name": text(v, &["metadata", "name"]),
        "pod_info_on_mount": text(v, &["spec", "podInfoOnMount"]),
        "attach_required": text(v, &["spec", "attachRequired"]),
        "modes": text(v, &["spec", "volumeLifecycleModes"]),
    }))
}

fn spc(v: &Value) -> Map<String, Value> {
    let params = text(v, &["spec", "parameters"]);
    let p = |k: &str| params.get(k).cloned().unwrap_or(Value::Null);
    obj(json!({
        "name": text(v, &["metadata", "name"]),
        "namespace": text(v, &["metadata", "namespace"]),
        "provider": text(v, &["spec", "provider"]),
        "keyvault_name": p("keyvaultName"),
        // The provider reads both spellings of these keys.
        "tenant_id": first_of(&params, &["tenantId", "tenantID"]),
        "client_id": first_of(&params, &["clientID", "clientId"]),
        "user_assigned_identity_id": p("userAssignedIdentityID"),
        "use_vm_managed_identity": p("useVMManagedIdentity"),
        "use_pod_identity": p("usePodIdentity"),
        "use_azure_token_proxy": p("useAzureTokenProxy"),
        "cloud_name": p("cloudName"),
        "objects": p("objects"),
        "keyvault_objects": keyvault_objects(params.get("objects").and_then(Value::as_str)),
        "parameters": params,
        "secret_objects": text(v, &["spec", "secretObjects"]),
    }))
}

/// The objects a SecretProviderClass asks for. Its `objects` parameter is a YAML document held
/// in a string (`array:` of strings, each a YAML map of `objectName`, `objectType`, ...).
fn keyvault_objects(objects: Option<&str>) -> Value {
    let Some(text) = objects else {
        return Value::Null;
    };
    let items: Vec<Value> = super::yaml::parse(text, 1, 16)
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .and_then(|doc| doc.get("array").and_then(|a| a.items().map(<[_]>::to_vec)))
        .unwrap_or_default()
        .iter()
        .filter_map(|item| {
            // Each item is usually a block string holding a map; a map written inline works too.
            let value = match item.to_value() {
                Value::String(inner) => super::yaml::parse(&inner, 1, 16)
                    .ok()?
                    .into_iter()
                    .next()?
                    .to_value(),
                other => other,
            };
            let field = |k: &str| {
                value
                    .get(k)
                    .filter(|x| !x.is_null())
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                    .filter(|x| !x.is_empty())
            };
            Some(compact(json!({
                "name": field("objectName"),
                "type": field("objectType"),
                "version": field("objectVersion"),
                "alias": field("objectAlias"),
                "format": field("objectFormat"),
                "encoding": field("objectEncoding"),
            })))
        })
        .collect();
    Value::Array(items)
}

fn spc_status(v: &Value) -> Map<String, Value> {
    obj(json!({
        "node": text(v, &["metadata", "labels", "internal.secrets-store.csi.k8s.io/node-name"]),
        "name": text(v, &["metadata", "name"]),
        "namespace": text(v, &["metadata", "namespace"]),
        "pod": text(v, &["status", "podName"]),
        "spc": text(v, &["status", "secretProviderClassName"]),
        "mounted": text(v, &["status", "mounted"]),
        "target_path": text(v, &["status", "targetPath"]),
        "objects": text(v, &["status", "objects"]),
    }))
}

fn binding(v: &Value) -> Map<String, Value> {
    obj(json!({
        "name": text(v, &["metadata", "name"]),
        "role": text(v, &["roleRef", "name"]),
        "role_kind": text(v, &["roleRef", "kind"]),
        "subjects": text(v, &["subjects"]),
    }))
}

fn k8s_node(v: &Value) -> Map<String, Value> {
    obj(json!({
        "name": text(v, &["metadata", "name"]),
        "taints": s(v, &["spec", "taints"]).cloned().unwrap_or(json!([])),
        "os": text(v, &["metadata", "labels", "kubernetes.io/os"]),
        "agentpool": text(v, &["metadata", "labels", "agentpool"]),
        "unschedulable": v.pointer("/spec/unschedulable").cloned().unwrap_or(json!(false)),
        "ready": ready_condition(v),
    }))
}

/// The node's `Ready` condition: `True`, `False` or `Unknown`.
fn ready_condition(v: &Value) -> Value {
    s(v, &["status", "conditions"])
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .and_then(|c| c.get("status").cloned())
        .unwrap_or(Value::Null)
}

fn daemonset(v: &Value) -> Map<String, Value> {
    obj(json!({
        "name": text(v, &["metadata", "name"]),
        "namespace": text(v, &["metadata", "namespace"]),
        "tolerations": s(v, &["spec", "template", "spec", "tolerations"]).cloned().unwrap_or(json!([])),
        "desired": text(v, &["status", "desiredNumberScheduled"]),
        "ready": text(v, &["status", "numberReady"]),
        "current": text(v, &["status", "currentNumberScheduled"]),
        "available": text(v, &["status", "numberAvailable"]),
        "misscheduled": text(v, &["status", "numberMisscheduled"]),
        "node_selector": text(v, &["spec", "template", "spec", "nodeSelector"]),
        "app": text(v, &["metadata", "labels", "app"]),
    }))
}

fn event(v: &Value) -> Map<String, Value> {
    obj(json!({
        "type": text(v, &["type"]),
        "reason": text(v, &["reason"]),
        "count": v.get("count").cloned().or_else(|| s(v, &["series", "count"]).cloned()).unwrap_or(json!(1)),
        "message": text(v, &["message"]),
        "namespace": text(v, &["involvedObject", "namespace"]),
        "object": Value::String(format!(
            "{}/{}",
            s(v, &["involvedObject", "kind"]).and_then(Value::as_str).unwrap_or("").to_ascii_lowercase(),
            s(v, &["involvedObject", "name"]).and_then(Value::as_str).unwrap_or("")
        )),
        "from": text(v, &["source", "component"]),
        "node": text(v, &["source", "host"]),
        "last_timestamp": v.get("lastTimestamp").filter(|t| !t.is_null()).or_else(|| v.get("eventTime")).cloned().unwrap_or(Value::Null),
        "first_timestamp": text(v, &["firstTimestamp"]),
    }))
}

fn aks(v: &Value) -> Map<String, Value> {
    let pools = s(v, &["agentPoolProfiles"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // Pools usually share a subnet; the subnets are listed once each.
    let mut subnet_ids: Vec<Value> = Vec::new();
    for id in pools.iter().filter_map(|p| p.get("vnetSubnetId")) {
        if !id.is_null() && !subnet_ids.contains(id) {
            subnet_ids.push(id.clone());
        }
    }
    let node_pools: Vec<Value> = pools
        .iter()
        .map(|p| {
            compact(json!({
                "name": text(p, &["name"]),
                "count": text(p, &["count"]),
                "mode": text(p, &["mode"]),
                "os_type": text(p, &["osType"]),
                "node_taints": p.get("nodeTaints").filter(|t| !t.is_null()).cloned().unwrap_or(json!([])),
                "vnet_subnet_id": text(p, &["vnetSubnetId"]),
            }))
        })
        .collect();
    let addon = s(v, &["addonProfiles", "azureKeyvaultSecretsProvider"])
        .or_else(|| s(v, &["addonProfiles", "azurekeyvaultsecretsprovider"]))
        .cloned()
        .unwrap_or(Value::Null);
    obj(json!({
        "name": text(v, &["name"]),
        "resource_group": text(v, &["resourceGroup"]),
        "node_resource_group": text(v, &["nodeResourceGroup"]),
        "addon_enabled": text(&addon, &["enabled"]),
        "addon_client_id": text(&addon, &["identity", "clientId"]),
        "addon_object_id": text(&addon, &["identity", "objectId"]),
        "addon_identity_resource_id": text(&addon, &["identity", "resourceId"]),
        "rotation_enabled": text(&addon, &["config", "enableSecretRotation"]),
        "rotation_poll_interval": text(&addon, &["config", "rotationPollInterval"]),
        "oidc_issuer_enabled": text(v, &["oidcIssuerProfile", "enabled"]),
        "oidc_issuer_url": first_of(&text(v, &["oidcIssuerProfile"]), &["issuerUrl", "issuerURL"]),
        "workload_identity_enabled": text(v, &["securityProfile", "workloadIdentity", "enabled"]),
        "kubelet_client_id": text(v, &["identityProfile", "kubeletidentity", "clientId"]),
        "kubelet_object_id": text(v, &["identityProfile", "kubeletidentity", "objectId"]),
        "tenant_id": text(v, &["identity", "tenantId"]),
        "pod_identity_enabled": text(v, &["podIdentityProfile", "enabled"]),
        "http_proxy": text(v, &["httpProxyConfig", "httpProxy"]),
        "https_proxy": text(v, &["httpProxyConfig", "httpsProxy"]),
        "no_proxy": text(v, &["httpProxyConfig", "noProxy"]),
        "vnet_subnet_ids": Value::Array(subnet_ids),
        "node_pools": node_pools,
    }))
}

fn keyvault(v: &Value) -> Map<String, Value> {
    let props = text(v, &["properties"]);
    let p = |path: &[&str]| text(&props, path);
    let pecs: Vec<Value> = props
        .get("privateEndpointConnections")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .map(|pec| {
                    compact(json!({
                        "private_endpoint_id": text(pec, &["privateEndpoint", "id"]).as_str().map_or(text(pec, &["properties", "privateEndpoint", "id"]), |x| Value::String(x.to_owned())),
                        "status": s(pec, &["privateLinkServiceConnectionState", "status"]).or_else(|| s(pec, &["properties", "privateLinkServiceConnectionState", "status"])).cloned().unwrap_or(Value::Null),
                        "provisioning_state": s(pec, &["provisioningState"]).or_else(|| s(pec, &["properties", "provisioningState"])).cloned().unwrap_or(Value::Null),
                    }))
                })
                .collect()
        })
        .unwrap_or_default();
    obj(json!({
        "name": text(v, &["name"]),
        "resource_group": text(v, &["resourceGroup"]),
        "location": text(v, &["location"]),
        "vault_uri": p(&["vaultUri"]),
        "tenant_id": p(&["tenantId"]),
        "rbac_authorization": p(&["enableRbacAuthorization"]),
        "public_network_access": p(&["publicNetworkAccess"]),
        "default_action": p(&["networkAcls", "defaultAction"]),
        "bypass": p(&["networkAcls", "bypass"]),
        "ip_rules": p(&["networkAcls", "ipRules"]),
        "virtual_network_rules": p(&["networkAcls", "virtualNetworkRules"]),
        "access_policies": p(&["accessPolicies"]),
        "private_endpoint_connections": pecs,
    }))
}

fn dns_link(v: &Value) -> Map<String, Value> {
    let vnet_id = s(v, &["virtualNetwork", "id"])
        .or_else(|| s(v, &["properties", "virtualNetwork", "id"]))
        .cloned()
        .unwrap_or(Value::Null);
    let zone = v
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| id.split("/privateDnsZones/").nth(1))
        .and_then(|rest| rest.split('/').next())
        .map(str::to_owned);
    obj(json!({
        "name": text(v, &["name"]),
        "zone": zone,
        "vnet_id": vnet_id,
        "vnet_name": vnet_id.as_str().and_then(|id| id.rsplit('/').next()).map(str::to_owned),
        "state": s(v, &["virtualNetworkLinkState"]).or_else(|| s(v, &["properties", "virtualNetworkLinkState"])).cloned().unwrap_or(Value::Null),
        "provisioning_state": text(v, &["provisioningState"]),
        "registration_enabled": text(v, &["registrationEnabled"]),
    }))
}

fn dns_record(v: &Value) -> Map<String, Value> {
    let addresses: Vec<Value> = s(v, &["aRecords"])
        .or_else(|| s(v, &["properties", "aRecords"]))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| r.get("ipv4Address").cloned())
                .collect()
        })
        .unwrap_or_default();
    obj(json!({ "name": text(v, &["name"]), "fqdn": text(v, &["fqdn"]), "addresses": addresses }))
}

fn peering(v: &Value) -> Map<String, Value> {
    let remote = s(v, &["remoteVirtualNetwork", "id"])
        .cloned()
        .unwrap_or(Value::Null);
    obj(json!({
        "name": text(v, &["name"]),
        "state": text(v, &["peeringState"]),
        "sync_level": text(v, &["peeringSyncLevel"]),
        "remote_vnet_id": remote,
        "remote_vnet_name": remote.as_str().and_then(|id| id.rsplit('/').next()).map(str::to_owned),
        "allow_forwarded_traffic": text(v, &["allowForwardedTraffic"]),
        "use_remote_gateways": text(v, &["useRemoteGateways"]),
    }))
}

fn private_endpoint(v: &Value) -> Map<String, Value> {
    let connections = s(v, &["privateLinkServiceConnections"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let first = connections.first().cloned().unwrap_or(Value::Null);
    let subnet = text(v, &["subnet", "id"]);
    obj(json!({
        "name": text(v, &["name"]),
        "subnet_id": subnet,
        "vnet_name": subnet.as_str().and_then(|id| id.split("/virtualNetworks/").nth(1)).and_then(|r| r.split('/').next()).map(str::to_owned),
        "target_id": s(&first, &["privateLinkServiceId"]).cloned().unwrap_or(Value::Null),
        "group_ids": s(&first, &["groupIds"]).cloned().unwrap_or(Value::Null),
        "status": s(&first, &["privateLinkServiceConnectionState", "status"]).cloned().unwrap_or(Value::Null),
        "provisioning_state": text(v, &["provisioningState"]),
        "ip_addresses": Value::Array(
            s(v, &["customDnsConfigs"]).and_then(Value::as_array).map(|c| c.iter().filter_map(|d| d.get("ipAddresses").and_then(Value::as_array).cloned()).flatten().collect::<Vec<_>>()).unwrap_or_default()
                .into_iter()
                // A static private IP shows in `ipConfigurations` when no DNS config lists it.
                .chain(s(v, &["ipConfigurations"]).and_then(Value::as_array).map(|c| c.iter().filter_map(|i| i.get("privateIPAddress").or_else(|| s(i, &["properties", "privateIPAddress"])).cloned()).collect::<Vec<_>>()).unwrap_or_default())
                .fold(Vec::new(), |mut all: Vec<Value>, ip| { if !all.contains(&ip) { all.push(ip); } all })
        ),
        "fqdns": Value::Array(
            s(v, &["customDnsConfigs"]).and_then(Value::as_array).map(|c| c.iter().filter_map(|d| d.get("fqdn").cloned()).collect()).unwrap_or_default()
        ),
    }))
}

fn identity(v: &Value) -> Map<String, Value> {
    obj(json!({
        "name": text(v, &["name"]),
        "client_id": text(v, &["clientId"]),
        "principal_id": text(v, &["principalId"]),
        "tenant_id": text(v, &["tenantId"]),
        "id": text(v, &["id"]),
        "source": "identity",
    }))
}

fn federated_credential(v: &Value) -> Map<String, Value> {
    // The identity's name is the path segment before `/federatedIdentityCredentials/`.
    let identity = v
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| id.split("/userAssignedIdentities/").nth(1))
        .and_then(|rest| rest.split('/').next())
        .map(str::to_owned);
    obj(json!({
        "name": text(v, &["name"]),
        "identity": identity,
        "issuer": first_of(v, &["issuer"]),
        "subject": first_of(v, &["subject"]),
        "audiences": text(v, &["audiences"]),
    }))
}

fn vmss_identity(v: &Value) -> Map<String, Value> {
    let assigned: Vec<Value> = v
        .get("userAssignedIdentities")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(id, ident)| compact(json!({ "id": id, "name": id.rsplit('/').next(), "client_id": text(ident, &["clientId"]), "principal_id": text(ident, &["principalId"]) })))
                .collect()
        })
        .unwrap_or_default();
    obj(json!({
        "principal_id": text(v, &["principalId"]),
        "type": text(v, &["type"]),
        "user_assigned": assigned,
        "source": "vmss",
    }))
}

fn role_assignment(v: &Value) -> Map<String, Value> {
    obj(json!({
        "role": text(v, &["roleDefinitionName"]),
        "principal_id": text(v, &["principalId"]),
        "principal_name": text(v, &["principalName"]),
        "principal_type": text(v, &["principalType"]),
        "scope": text(v, &["scope"]),
    }))
}
