//! Kubernetes events: the Events section of `kubectl describe pod`, the `kubectl get events`
//! table, and the pod fields `describe` shows (name, namespace, node, CSI volumes).

use super::{Sink, Unit};
use crate::text::lines::Line;
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The fields of an `events` fact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KubeEvent {
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// E.g. `FailedMount`.
    pub reason: String,
    /// How many times it happened (`(x12 over 8m56s)`, the COUNT column), 1 when not shown.
    pub count: u64,
    /// Age or LAST SEEN as written.
    pub age: Option<String>,
    /// The span the count covers (`8m56s`).
    pub over: Option<String>,
    /// When it first happened: FIRST SEEN of `-o wide`, `firstTimestamp` of `-o json|yaml`.
    pub first_seen: Option<String>,
    /// `pod/<name>` or the described pod.
    pub object: Option<String>,
    /// Namespace, when shown.
    pub namespace: Option<String>,
    /// The reporting component, e.g. `kubelet`.
    pub from: Option<String>,
    /// The node, when the source shows it (`kubelet, aks-node-1`).
    pub node: Option<String>,
    /// The message, wrapped lines joined.
    pub message: String,
    /// The volume named in `MountVolume.SetUp failed for volume "<v>"`.
    pub volume: Option<String>,
    /// `<ns>/<pod>` named in `failed to mount secrets store objects for pod <ns>/<pod>`.
    pub mount_pod: Option<String>,
}

/// The fields of a `k8s_pods` fact read from `kubectl describe pod`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DescribedPod {
    /// Pod name.
    pub name: String,
    /// Namespace.
    pub namespace: Option<String>,
    /// Node name (without the `/IP` suffix).
    pub node: Option<String>,
    /// Pod status.
    pub status: Option<String>,
    /// CSI volumes: `{name, driver, secret_provider_class}`.
    pub csi_volumes: Vec<CsiVolume>,
    /// Where this came from.
    pub source: &'static str,
    /// The pod's service account (workload identity federates on it).
    pub service_account: Option<String>,
    /// The node's IP (the `/IP` suffix of `Node:`).
    pub node_ip: Option<String>,
    /// The pod's IP, when it has one.
    pub ip: Option<String>,
    /// All labels (`Labels:`), absent when `<none>`.
    pub labels: Option<BTreeMap<String, String>>,
    /// Tolerations as printed (`node.kubernetes.io/not-ready:NoExecute op=Exists for 300s`).
    pub tolerations: Vec<String>,
    /// The containers and their states, as `kubectl get pod -o json` gives them.
    pub containers: Vec<DescribedContainer>,
}

/// A container of a described pod.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DescribedContainer {
    /// Container name.
    pub name: String,
    /// `Ready:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    /// `Restart Count:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_count: Option<u64>,
    /// `State:` in lower case (`waiting`, `running`, `terminated`), as the JSON key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The state's `Reason:` (`ContainerCreating`, `CrashLoopBackOff`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `Exit Code:` of `Last State: Terminated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_exit_code: Option<i64>,
    /// `Reason:` of the last state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_reason: Option<String>,
}

/// A CSI inline volume of a pod.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CsiVolume {
    /// Volume name.
    pub name: String,
    /// CSI driver name.
    pub driver: Option<String>,
    /// `secretProviderClass` attribute.
    pub secret_provider_class: Option<String>,
}

static DESCRIBE_ROW: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<type>Normal|Warning)\s+(?P<reason>[A-Za-z]+)\s+(?P<age>\S+(?: \(x\d+ over [^)]+\))?)\s+(?P<from>[^\s,]+(?:, \S+)?)\s+(?P<message>.*)$").ok()
});
/// A describe-style event row pasted on its own, without the column header: the age must look
/// like one (`74s`, `3m2s`, `<unknown>`, with `(x12 over 8m56s)`) so prose is not taken for it.
static LONE_ROW: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<type>Normal|Warning)\s+(?P<reason>[A-Z][A-Za-z]+)\s+(?P<age>(?:(?:\d+[smhdy])+|<unknown>|<invalid>)(?: \(x\d+ over [^)]+\))?)\s+(?P<from>[A-Za-z][\w.-]*(?:, [\w.-]+)?)\s+(?P<message>\S.*)$").ok()
});
/// [`LONE_ROW`]'s captures; the regex is compiled and run only for a line that holds the type
/// of an event, which most lines of a log do not.
fn lone_row(text: &str) -> Option<regex::Captures<'_>> {
    if !text.contains("Normal") && !text.contains("Warning") {
        return None;
    }
    LONE_ROW.as_ref()?.captures(text)
}
static COUNT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\(x(\d+) over ([^)]+)\)").ok());
static VOLUME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"for volume \\?"([^"\\]+)\\?""#).ok());
static MOUNT_POD: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"for pod ([a-z0-9][a-z0-9.-]*/[a-z0-9][a-z0-9.-]*)").ok());

/// Fills the fields derived from the message (volume, pod in the driver's wrapper).
pub fn enrich(event: &mut KubeEvent) {
    let caps = |re: &LazyLock<Option<Regex>>| {
        re.as_ref()
            .and_then(|r| r.captures(&event.message))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_owned())
    };
    event.volume = caps(&VOLUME);
    event.mount_pod = caps(&MOUNT_POD);
}

fn split_count(age: &str) -> (Option<String>, u64, Option<String>) {
    if let Some(caps) = COUNT.as_ref().and_then(|re| re.captures(age)) {
        let count = caps
            .get(1)
            .and_then(|m| m.as_str().parse().ok())
            .unwrap_or(1);
        let over = caps.get(2).map(|m| m.as_str().to_owned());
        let age = age
            .get(..caps.get(0).map_or(age.len(), |m| m.start()))
            .unwrap_or(age)
            .trim();
        return (Some(age.to_owned()), count, over);
    }
    (Some(age.trim().to_owned()), 1, None)
}

fn is_events_header(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words == ["Type", "Reason", "Age", "From", "Message"]
}

/// An event from the captures of [`DESCRIBE_ROW`] or [`LONE_ROW`], for the described pod.
fn row_event(caps: &regex::Captures<'_>, pod: &DescribedPod) -> KubeEvent {
    let get = |n: &str| caps.name(n).map_or("", |m| m.as_str()).to_owned();
    let (age, count, over) = split_count(&get("age"));
    let from = get("from");
    // Before kubectl 1.19 (and in old docs) the From column is `kubelet, <node>`.
    let (from, node) = match from.split_once(", ") {
        Some((f, n)) => (f.to_owned(), Some(n.to_owned())),
        None => (from, None),
    };
    KubeEvent {
        event_type: get("type"),
        reason: get("reason"),
        count,
        age,
        over,
        object: (!pod.name.is_empty()).then(|| format!("pod/{}", pod.name)),
        namespace: pod.namespace.clone(),
        from: Some(from),
        node: node.or_else(|| pod.node.clone()),
        message: get("message").trim_end().to_owned(),
        ..KubeEvent::default()
    }
}

fn row_unit(line: &Line) -> Unit {
    Unit {
        first: line.number,
        last: line.number,
        text: line.text.clone(),
    }
}

/// Joins a wrapped message line to the row above it when it directly follows it.
fn join_wrapped(row: &mut (Unit, KubeEvent), line: &Line) -> bool {
    let t = line.text.trim();
    let (unit, event) = row;
    // The column header's underline (`----  ------`) is not part of a message; an azcore error's
    // dashed rule (dashes only) is.
    let underline = t.starts_with("----") && t.contains(' ');
    if t.is_empty() || underline || unit.last + 1 != line.number {
        return false;
    }
    event.message.push(' ');
    event.message.push_str(t);
    unit.last = line.number;
    unit.text.push('\n');
    unit.text.push_str(&line.text);
    true
}

fn emit_rows(rows: Vec<(Unit, KubeEvent)>, sink: &mut Sink<'_>) {
    for (unit, mut event) in rows {
        enrich(&mut event);
        sink.fact("events", unit.first, unit.last, &unit.text, &event);
    }
}

/// Describe-style event rows pasted without their header (`Warning  FailedMount  74s  kubelet
/// MountVolume.SetUp failed ...`), alone or among other text; a message wrapped onto indented
/// lines is joined.
pub fn parse_rows(lines: &[Line], sink: &mut Sink<'_>) {
    let pod = DescribedPod::default();
    let mut rows: Vec<(Unit, KubeEvent)> = Vec::new();
    let mut open = false;
    for line in lines {
        if let Some(caps) = lone_row(&line.text) {
            rows.push((row_unit(line), row_event(&caps, &pod)));
            open = true;
            continue;
        }
        open = open
            && line.text.starts_with([' ', '\t'])
            && rows.last_mut().is_some_and(|row| join_wrapped(row, line));
    }
    emit_rows(rows, sink);
}

/// Which multi-line field of `kubectl describe pod` the indented lines continue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Multi {
    Labels,
    Tolerations,
}

/// Parses `kubectl describe pod` output.
pub fn parse_describe(lines: &[Line], sink: &mut Sink<'_>) {
    let mut pod = DescribedPod {
        source: "describe",
        ..DescribedPod::default()
    };
    let mut first_line = None;
    let mut section = Section::Fields;
    let mut multi: Option<Multi> = None;
    let mut volumes = VolumeReader::default();
    let mut containers = ContainerReader::default();
    let mut rows: Vec<(Unit, KubeEvent)> = Vec::new();
    // Whether the last line was a row (or its wrapped message) outside the Events section.
    let mut lone_open = false;
    for line in lines {
        let text = line.text.as_str();
        // A pasted Events block may lack both the pod header and the `Events:` line; its
        // column header alone starts the rows.
        if section != Section::Events && is_events_header(text) {
            section = Section::Events;
            continue;
        }
        if section != Section::Events {
            // A row pasted without its header (`kubectl describe pod | grep Warning`).
            if let Some(caps) = lone_row(text) {
                rows.push((row_unit(line), row_event(&caps, &pod)));
                lone_open = true;
                continue;
            }
            lone_open = lone_open
                && text.starts_with([' ', '\t'])
                && rows.last_mut().is_some_and(|row| join_wrapped(row, line));
            if lone_open {
                continue;
            }
            // An unindented `Key:` line starts a top-level field or section; everything indented
            // belongs to the section above it, so container names are never taken for volumes.
            if !text.starts_with([' ', '\t']) && !text.trim().is_empty() {
                section = Section::Fields;
                multi = None;
                let field = |name: &str| {
                    text.strip_prefix(name)
                        .map(|v| v.trim().to_owned())
                        .filter(|v| !v.is_empty() && v != "<none>")
                };
                if text.starts_with("Name:") {
                    if pod.name.is_empty() {
                        pod.name = field("Name:").unwrap_or_default();
                        first_line = Some(line.number);
                    }
                } else if let Some(ns) = field("Namespace:") {
                    pod.namespace.get_or_insert(ns);
                } else if let Some(node) = field("Node:") {
                    let (name, ip) = node.split_once('/').unwrap_or((node.as_str(), ""));
                    pod.node = Some(name.to_owned()).filter(|n| !n.is_empty() && n != "<none>");
                    pod.node_ip = Some(ip.to_owned()).filter(|ip| !ip.is_empty());
                } else if let Some(status) = field("Status:") {
                    pod.status.get_or_insert(status);
                } else if let Some(account) = field("Service Account:") {
                    pod.service_account.get_or_insert(account);
                } else if let Some(ip) = field("IP:") {
                    pod.ip.get_or_insert(ip);
                } else if text.starts_with("Labels:") {
                    multi = Some(Multi::Labels);
                    add_label(&mut pod, field("Labels:").as_deref());
                } else if text.starts_with("Tolerations:") {
                    multi = Some(Multi::Tolerations);
                    pod.tolerations.extend(field("Tolerations:"));
                } else if text.starts_with("Containers:") {
                    section = Section::Containers;
                } else if text.starts_with("Volumes:") {
                    section = Section::Volumes;
                } else if text.starts_with("Events:") {
                    section = Section::Events;
                }
                continue;
            }
            match (section, multi) {
                (Section::Volumes, _) => volumes.feed(text),
                (Section::Containers, _) => containers.feed(text),
                (_, Some(Multi::Labels)) => add_label(&mut pod, Some(text.trim())),
                (_, Some(Multi::Tolerations)) if !text.trim().is_empty() => {
                    pod.tolerations.push(text.trim().to_owned());
                }
                _ => {}
            }
            continue;
        }
        if let Some(caps) = DESCRIBE_ROW.as_ref().and_then(|re| re.captures(text)) {
            rows.push((row_unit(line), row_event(&caps, &pod)));
        } else if let Some(row) = rows.last_mut() {
            // A wrapped message continues on the following lines.
            join_wrapped(row, line);
        }
    }
    pod.csi_volumes = volumes.finish();
    pod.containers = containers.finish();
    emit_rows(rows, sink);
    if let (Some(first), false) = (first_line, pod.name.is_empty()) {
        let last = lines.last().map_or(first, |l| l.number);
        sink.fact(
            "k8s_pods",
            first,
            last,
            &format!("Name: {}", pod.name),
            &pod,
        );
    }
}

/// Adds one `key=value` label line of `Labels:` (`<none>` and empty lines add nothing).
fn add_label(pod: &mut DescribedPod, line: Option<&str>) {
    let Some((key, value)) = line.and_then(|l| l.split_once('=')) else {
        return;
    };
    if !key.is_empty() && !key.contains(' ') {
        pod.labels
            .get_or_insert_with(BTreeMap::new)
            .insert(key.to_owned(), value.to_owned());
    }
}

/// Where in `kubectl describe pod` output a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Top-level fields and sections kvcsi does not read (Conditions, ...).
    Fields,
    /// The `Containers:` section.
    Containers,
    /// The `Volumes:` section.
    Volumes,
    /// The `Events:` section.
    Events,
}

/// Reads the `Containers:` section: `  <name>:` starts a container; `    State:`,
/// `    Last State:`, `    Ready:`, `    Restart Count:` and the `      Reason:` /
/// `      Exit Code:` lines under a state describe it.
#[derive(Debug, Default)]
struct ContainerReader {
    current: Option<DescribedContainer>,
    /// Whether the detail lines belong to `Last State:` (else `State:`).
    in_last: bool,
    done: Vec<DescribedContainer>,
}

impl ContainerReader {
    fn feed(&mut self, text: &str) {
        if let Some(name) = volume_header(text) {
            self.done.extend(self.current.take());
            self.current = Some(DescribedContainer {
                name,
                ..DescribedContainer::default()
            });
            self.in_last = false;
            return;
        }
        let Some(container) = self.current.as_mut() else {
            return;
        };
        let t = text.trim();
        let value = |name: &str| {
            t.strip_prefix(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if let Some(state) = value("State:") {
            self.in_last = false;
            container.state = Some(state.to_ascii_lowercase());
        } else if let Some(state) = value("Last State:") {
            self.in_last = state != "<none>";
        } else if let Some(ready) = value("Ready:") {
            container.ready = match ready.as_str() {
                "True" => Some(true),
                "False" => Some(false),
                _ => None,
            };
        } else if let Some(count) = value("Restart Count:") {
            container.restart_count = count.parse().ok();
        } else if let Some(reason) = value("Reason:") {
            if self.in_last {
                container.last_reason = Some(reason);
            } else {
                container.reason = Some(reason);
            }
        } else if let Some(code) = value("Exit Code:") {
            if self.in_last {
                container.last_exit_code = code.parse().ok();
            }
        } else if !text.starts_with("      ") {
            // Any other field of the container ends the state block above it.
            self.in_last = false;
        }
    }

    fn finish(mut self) -> Vec<DescribedContainer> {
        self.done.extend(self.current.take());
        self.done
    }
}

/// Reads the `Volumes:` section: `  <name>:` starts a volume, its indented lines describe it;
/// only CSI volumes are kept.
#[derive(Debug, Default)]
struct VolumeReader {
    current: Option<(CsiVolume, bool)>,
    done: Vec<CsiVolume>,
}

impl VolumeReader {
    fn feed(&mut self, text: &str) {
        if let Some(name) = volume_header(text) {
            self.flush();
            self.current = Some((
                CsiVolume {
                    name,
                    ..CsiVolume::default()
                },
                false,
            ));
            return;
        }
        let Some((volume, is_csi)) = self.current.as_mut() else {
            return;
        };
        let t = text.trim();
        if let Some(kind) = t.strip_prefix("Type:") {
            *is_csi = kind.trim().starts_with("CSI");
        } else if let Some(driver) = t.strip_prefix("Driver:") {
            volume.driver = Some(driver.trim().to_owned()).filter(|d| !d.is_empty());
        } else if let Some(attrs) = t.strip_prefix("VolumeAttributes:") {
            volume.secret_provider_class = attr(attrs);
        } else if let Some(spc) = t.strip_prefix("secretProviderClass=") {
            volume.secret_provider_class = Some(spc.trim().to_owned());
        }
    }

    fn flush(&mut self) {
        if let Some((volume, is_csi)) = self.current.take() {
            if is_csi || volume.driver.is_some() {
                self.done.push(volume);
            }
        }
    }

    fn finish(mut self) -> Vec<CsiVolume> {
        self.flush();
        self.done
    }
}

fn volume_header(text: &str) -> Option<String> {
    // Volumes are listed as `  <name>:` followed by `    Type: CSI (...)`.
    let t = text.strip_prefix("  ")?;
    if t.starts_with(' ') {
        return None;
    }
    let name = t.strip_suffix(':')?;
    (!name.is_empty() && !name.contains(' ')).then(|| name.to_owned())
}

fn attr(attrs: &str) -> Option<String> {
    attrs.split([',', ' ']).find_map(|kv| {
        kv.trim()
            .strip_prefix("secretProviderClass=")
            .map(str::to_owned)
    })
}

/// Parses the `kubectl get events` table (plain and `-o wide`) by the header's column offsets.
pub fn parse_table(lines: &[Line], sink: &mut Sink<'_>) {
    let Some((header_index, header)) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.text.contains("LAST SEEN") && l.text.contains("REASON"))
    else {
        return;
    };
    let columns = super::table::columns(&header.text);
    for line in lines.iter().skip(header_index + 1) {
        if line.text.trim().is_empty() || line.text.contains("LAST SEEN") {
            continue;
        }
        let row = super::table::row(&line.text, &columns);
        let get = |name: &str| row.get(name).cloned().filter(|v| !v.is_empty());
        let Some(event_type) = get("TYPE") else {
            continue;
        };
        let (age, mut count, over) = split_count(&get("LAST SEEN").unwrap_or_default());
        let first_seen = get("FIRST SEEN");
        if let Some(c) = get("COUNT").and_then(|c| c.parse().ok()) {
            count = c;
        }
        let source = get("SOURCE");
        let (from, node) = match source.as_deref().map(|s| s.split_once(", ")) {
            Some(Some((f, n))) => (Some(f.to_owned()), Some(n.to_owned())),
            _ => (source, None),
        };
        let mut event = KubeEvent {
            event_type,
            reason: get("REASON").unwrap_or_default(),
            count,
            age,
            over,
            first_seen,
            // `kubectl events` writes the kind as the API does (`Pod/x`), `get events` in lower
            // case (`pod/x`); facts use the lower case form.
            object: get("OBJECT").map(|o| match o.split_once('/') {
                Some((kind, name)) => format!("{}/{name}", kind.to_ascii_lowercase()),
                None => o,
            }),
            namespace: get("NAMESPACE"),
            from,
            node,
            message: get("MESSAGE").unwrap_or_default(),
            ..KubeEvent::default()
        };
        enrich(&mut event);
        sink.fact("events", line.number, line.number, &line.text, &event);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn splits_counts() {
        assert_eq!(
            split_count("42s (x12 over 8m56s)"),
            (Some("42s".into()), 12, Some("8m56s".into()))
        );
        assert_eq!(split_count("3s"), (Some("3s".into()), 1, None));
    }

    // The article's cause-5 row, and cause 6 with its `vmss` node.
    const CAUSE5: &str = "  Warning  FailedMount  42s (x12 over 8m56s)  kubelet, akswin000000  MountVolume.SetUp failed for volume \"secrets-store01-inline\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers";
    const CAUSE6: &str = "Warning  FailedMount  85s (x10 over 5m35s)  kubelet, aks-default-28951543-vmss000000  MountVolume.SetUp failed for volume \"secrets-store01-inline\" : kubernetes.io/csi: mounter.SetupAt failed: rpc error: code = Unknown desc = failed to mount secrets store objects for pod default/nginx-secrets-store-inline-user-msi, err: failed to find provider binary azure, err: stat /etc/kubernetes/secrets-store-csi-providers/azure/provider-azure: no such file or directory";

    fn check_old_from(event: &serde_json::Value, node: &str) {
        assert_eq!(event["from"], "kubelet");
        assert_eq!(event["node"], node);
        assert!(event["message"]
            .as_str()
            .unwrap()
            .starts_with("MountVolume.SetUp failed"));
    }

    #[test]
    fn old_from_column_under_a_header() {
        let text = format!("Events:\n  Type     Reason       Age                   From                   Message\n  ----     ------       ----                  ----                   -------\n{CAUSE5}\n  {CAUSE6}\n");
        let facts = crate::parse::test_facts(&text, parse_describe);
        assert_eq!(facts.len(), 2);
        check_old_from(&facts[0], "akswin000000");
        assert_eq!(
            (facts[0]["count"].as_u64(), facts[0]["over"].as_str()),
            (Some(12), Some("8m56s"))
        );
        check_old_from(&facts[1], "aks-default-28951543-vmss000000");
    }

    #[test]
    fn rows_without_a_header() {
        for (text, node) in [
            (CAUSE5, Some("akswin000000")),
            (CAUSE6, Some("aks-default-28951543-vmss000000")),
        ] {
            for parser in [parse_rows, parse_describe] {
                let facts = crate::parse::test_facts(text, parser);
                assert_eq!(facts.len(), 1, "{text}");
                check_old_from(&facts[0], node.unwrap());
            }
        }
        let lone = "Warning  FailedMount  74s  kubelet  MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod default/busybox, err: rpc error: code = Unknown desc = failed to mount objects,\n    error: failed to get objectType:secret, objectName:db-pass, objectVersion::\nnot part of it\n";
        let facts = crate::parse::test_facts(lone, parse_rows);
        assert_eq!(facts.len(), 1);
        let e = &facts[0];
        assert_eq!(
            (e["from"].as_str(), e["age"].as_str()),
            (Some("kubelet"), Some("74s"))
        );
        assert!(e.get("node").is_none());
        assert!(e["message"]
            .as_str()
            .unwrap()
            .ends_with("objectName:db-pass, objectVersion::"));
        assert_eq!(e["mount_pod"], "default/busybox");
        // Prose that starts with `Warning` is no row.
        assert!(
            crate::parse::test_facts("Warning  Something happened here  today", parse_rows)
                .is_empty()
        );
    }

    #[test]
    fn describe_labels_tolerations_containers() {
        let text = "Name:             app-7f6d8c9b5-kt2wq\nNamespace:        shop\nService Account:  shop-sa\nLabels:           app=app\n                  pod-template-hash=7f6d8c9b5\nAnnotations:      <none>\nContainers:\n  app:\n    Image:          registry.example/app:1\n    State:          Waiting\n      Reason:       CrashLoopBackOff\n    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    1\n    Ready:          False\n    Restart Count:  7\n  sidecar:\n    State:          Running\n      Started:      Sat, 22 Nov 2025 04:10:55 +0000\n    Ready:          True\n    Restart Count:  0\nTolerations:      node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n                  node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\nEvents:           <none>\n";
        let facts = crate::parse::test_facts(text, parse_describe);
        let pod = &facts[0];
        assert_eq!(pod["service_account"], "shop-sa");
        assert_eq!(
            pod["labels"],
            serde_json::json!({"app": "app", "pod-template-hash": "7f6d8c9b5"})
        );
        assert_eq!(pod["tolerations"].as_array().unwrap().len(), 2);
        assert_eq!(
            pod["containers"],
            serde_json::json!([
                {"name": "app", "ready": false, "restart_count": 7, "state": "waiting", "reason": "CrashLoopBackOff", "last_exit_code": 1, "last_reason": "Error"},
                {"name": "sidecar", "ready": true, "restart_count": 0, "state": "running"}
            ])
        );
        let none = crate::parse::test_facts(
            "Name:   x\nLabels: <none>\nTolerations:  <none>\n",
            parse_describe,
        );
        assert!(none[0].get("labels").is_none());
    }
}
