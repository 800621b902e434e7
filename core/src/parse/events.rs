//! Kubernetes events: the Events section of `kubectl describe pod`, the `kubectl get events`
//! table, and the pod fields `describe` shows (name, namespace, node, CSI volumes).

use super::{Sink, Unit};
use crate::text::lines::Line;
use regex::Regex;
use serde::Serialize;
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
    Regex::new(r"^\s*(?P<type>Normal|Warning)\s+(?P<reason>[A-Za-z]+)\s+(?P<age>\S+(?: \(x\d+ over [^)]+\))?)\s+(?P<from>\S+(?:, \S+)?)\s+(?P<message>.*)$").ok()
});
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

/// Parses `kubectl describe pod` output.
pub fn parse_describe(lines: &[Line], sink: &mut Sink<'_>) {
    let mut pod = DescribedPod {
        source: "describe",
        ..DescribedPod::default()
    };
    let mut first_line = None;
    let mut section = Section::Fields;
    let mut volumes = VolumeReader::default();
    let mut rows: Vec<(Unit, KubeEvent)> = Vec::new();
    for line in lines {
        let text = line.text.as_str();
        // A pasted Events block may lack both the pod header and the `Events:` line; its
        // column header alone starts the rows.
        if section != Section::Events && is_events_header(text) {
            section = Section::Events;
            continue;
        }
        if section != Section::Events {
            // An unindented `Key:` line starts a top-level field or section; everything indented
            // belongs to the section above it, so container names are never taken for volumes.
            if !text.starts_with([' ', '\t']) && !text.trim().is_empty() {
                section = Section::Fields;
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
                } else if text.starts_with("Volumes:") {
                    section = Section::Volumes;
                } else if text.starts_with("Events:") {
                    section = Section::Events;
                }
                continue;
            }
            if section == Section::Volumes {
                volumes.feed(text);
            }
            continue;
        }
        if let Some(caps) = DESCRIBE_ROW.as_ref().and_then(|re| re.captures(text)) {
            let get = |n: &str| caps.name(n).map_or("", |m| m.as_str()).to_owned();
            let (age, count, over) = split_count(&get("age"));
            let from = get("from");
            let (from, node) = match from.split_once(", ") {
                Some((f, n)) => (f.to_owned(), Some(n.to_owned())),
                None => (from, None),
            };
            let event = KubeEvent {
                event_type: get("type"),
                reason: get("reason"),
                count,
                age,
                over,
                object: (!pod.name.is_empty()).then(|| format!("pod/{}", pod.name)),
                namespace: pod.namespace.clone(),
                from: Some(from),
                node: node.or_else(|| pod.node.clone()),
                message: get("message"),
                ..KubeEvent::default()
            };
            rows.push((
                Unit {
                    first: line.number,
                    last: line.number,
                    text: text.to_owned(),
                },
                event,
            ));
        } else if let Some((unit, event)) = rows.last_mut() {
            // A wrapped message continues on indented lines.
            let t = text.trim();
            if !t.is_empty() && !t.starts_with("----") && unit.last + 1 == line.number {
                event.message.push(' ');
                event.message.push_str(t);
                unit.last = line.number;
                unit.text.push('\n');
                unit.text.push_str(text);
            }
        }
    }
    pod.csi_volumes = volumes.finish();
    for (unit, mut event) in rows {
        enrich(&mut event);
        sink.fact("events", unit.first, unit.last, &unit.text, &event);
    }
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

/// Where in `kubectl describe pod` output a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Top-level fields and sections kvcsi does not read (Containers, Conditions, ...).
    Fields,
    /// The `Volumes:` section.
    Volumes,
    /// The `Events:` section.
    Events,
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
}
