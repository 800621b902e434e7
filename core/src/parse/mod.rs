//! Parsers: from the lines of a segment to facts. One module per format; none knows of rules.

pub mod curl;
pub mod dig;
pub mod dns;
pub mod events;
pub mod host;
pub mod json;
pub mod klog;
pub mod kv_error;
pub mod objects;
pub mod powershell;
pub mod table;
pub mod tcp;
pub mod tree;
pub mod yaml;

use crate::classify::{looks_scalar, looks_tsv, Segment, SegmentKind};
use crate::evidence::Location;
use crate::facts::{Fact, Facts};
use crate::report::Diagnostic;
use crate::text::lines::Line;
use crate::text::normalize::{split_prefix, LinePrefix};
use serde::Serialize;

/// Where parsers put what they find.
#[derive(Debug)]
pub struct Sink<'a> {
    /// Canonical evidence name.
    pub source: &'a str,
    /// Facts of the check.
    pub facts: &'a mut Facts,
    /// Diagnostics of the check.
    pub diagnostics: &'a mut Vec<Diagnostic>,
    /// Maximum nesting of JSON and YAML.
    pub max_nesting: usize,
}

impl Sink<'_> {
    /// Records a fact spanning `first..=last`.
    pub fn fact(
        &mut self,
        kind: &'static str,
        first: u64,
        last: u64,
        text: &str,
        fields: &impl Serialize,
    ) {
        self.facts.push(Fact::new(
            kind,
            Location::new(self.source, first, last),
            text,
            fields,
        ));
    }

    /// Records a diagnostic about this source.
    pub fn diagnostic(&mut self, code: &str, message: String) {
        self.diagnostics
            .push(Diagnostic::new(code, message).with_source(self.source));
    }
}

/// A logical record: one line, or a line and the wrapped lines that continue it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// First line number.
    pub first: u64,
    /// Last line number.
    pub last: u64,
    /// The text, lines joined with `\n`.
    pub text: String,
}

/// Most lines a wrapped record may span; beyond it the next line starts a new record.
const MAX_UNIT_LINES: u64 = 60;

/// Most lines one folded YAML scalar may span: kubectl folds at 80 columns, so this holds an
/// event message of some 30 KiB.
const MAX_FOLDED_LINES: u64 = 400;

fn is_continuation(text: &str) -> bool {
    let t = text.trim_start();
    if t.is_empty() {
        return false;
    }
    text.starts_with([' ', '\t'])
        || [
            "RESPONSE ",
            "ERROR CODE",
            "-----",
            "{",
            "}",
            "\"",
            "GET http",
            "POST http",
            "PUT http",
            "Endpoint ",
            "Caller:",
            "Vault:",
            "Action:",
            "Resource:",
            "Assignment:",
            "DenyAssignmentId:",
            "DecisionReason:",
            "Trace ID:",
            "Correlation ID:",
            "Timestamp:",
        ]
        .iter()
        .any(|p| t.starts_with(p))
}

/// Whether a YAML line continues the scalar of the record above it: a double-quoted string not
/// yet closed (kubectl folds long ones at 80 columns), or a plain scalar folded onto a deeper
/// line that is neither a key nor a list item.
fn yaml_continues(unit: &Unit, line: &str, open_quote: bool) -> bool {
    if open_quote {
        return true;
    }
    let indent = |t: &str| t.len() - t.trim_start().len();
    let Some(first) = unit.text.lines().next() else {
        return false;
    };
    let trimmed = line.trim_start();
    let is_key = trimmed
        .split_once(':')
        .is_some_and(|(k, rest)| (rest.is_empty() || rest.starts_with(' ')) && !k.contains(' '));
    first
        .trim_start()
        .split_once(": ")
        .is_some_and(|(_, v)| !v.is_empty() && !v.starts_with(['"', '\'', '|', '>']))
        && indent(line) > indent(first)
        && !is_key
        && !trimmed.starts_with("- ")
}

/// Double quotes not escaped by a backslash.
fn unescaped_quotes(text: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in text.chars() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => count += 1,
            _ => {}
        }
    }
    count
}

/// Groups the lines of a segment into records: log and text segments join wrapped lines, YAML
/// segments unfold a folded scalar into one line, as a JSON document would print it.
///
/// `kubectl logs --prefix`, `--timestamps` and stern repeat their prefix on every line,
/// continuations included; a continuation joins the record above it when both come from the
/// same container, and only its text after the prefix is kept, so a record reads as the
/// container wrote it.
pub fn units(lines: &[Line], kind: SegmentKind) -> Vec<Unit> {
    let mut units = Vec::new();
    for_each_unit(lines, kind, |unit| units.push(unit));
    units
}

/// [`units`], handed to `f` one at a time as each is complete: a document's records are not
/// held all at once beside its lines (for a 4 MiB log that would be a second copy of it).
pub fn for_each_unit(lines: &[Line], kind: SegmentKind, mut f: impl FnMut(Unit)) {
    let joins = matches!(kind, SegmentKind::Log | SegmentKind::Text);
    // The record being built; only it can still grow.
    let mut current: Option<Unit> = None;
    let mut unit_prefix = LinePrefix::default();
    // Whether the last YAML record ends inside a double-quoted string; kept line by line so a
    // long folded string costs no more than its length.
    let mut open_quote = false;
    let mut azcore = crate::classify::AzcoreBlock::default();
    for line in lines {
        if kind == SegmentKind::Yaml && !line.text.trim().is_empty() {
            if let Some(unit) = current.as_mut() {
                let joinable = unit.last + 1 == line.number
                    && line.number - unit.first < MAX_FOLDED_LINES
                    && yaml_continues(unit, &line.text, open_quote);
                if joinable {
                    // Unfold as YAML reads it: a trailing `\` joins without a space (the next
                    // line's `\ ` is an escaped space), any other fold is one space.
                    let next = line.text.trim_start();
                    open_quote ^= unescaped_quotes(next) % 2 == 1;
                    if unit.text.ends_with('\\') {
                        unit.text.pop();
                        unit.text.push_str(next.strip_prefix('\\').unwrap_or(next));
                    } else {
                        unit.text.push(' ');
                        unit.text.push_str(next);
                    }
                    unit.last = line.number;
                    continue;
                }
            }
        }
        // In describe output and event tables only an azcore error block continues a record:
        // every other line there is indented too, and is a field or a row of its own.
        if matches!(kind, SegmentKind::DescribePod | SegmentKind::EventsTable)
            && azcore.absorbs(&line.text)
        {
            if let Some(unit) = current.as_mut() {
                if unit.last + 1 == line.number && line.number - unit.first < MAX_UNIT_LINES {
                    unit.last = line.number;
                    unit.text.push('\n');
                    unit.text.push_str(&line.text);
                    continue;
                }
            }
        }
        let (prefix, rest) = split_prefix(&line.text);
        let same_source =
            prefix.pod == unit_prefix.pod && prefix.container == unit_prefix.container;
        if joins && same_source && is_continuation(rest) {
            if let Some(unit) = current.as_mut() {
                if unit.last + 1 == line.number && line.number - unit.first < MAX_UNIT_LINES {
                    unit.last = line.number;
                    unit.text.push('\n');
                    unit.text.push_str(rest);
                    continue;
                }
            }
        }
        unit_prefix = prefix;
        if line.text.trim().is_empty() {
            continue;
        }
        open_quote = kind == SegmentKind::Yaml
            && line.text.contains(": \"")
            && unescaped_quotes(&line.text) % 2 == 1;
        let next = Unit {
            first: line.number,
            last: line.number,
            text: line.text.clone(),
        };
        if let Some(done) = current.replace(next) {
            f(done);
        }
    }
    if let Some(done) = current {
        f(done);
    }
}

/// The fields of a `commands` fact: a shell command seen in the evidence.
#[derive(Debug, Clone, Serialize)]
struct CommandLine<'a> {
    command: &'a str,
    tool: &'a str,
}

/// The fields of an `az_scalars` fact.
#[derive(Debug, Clone, Serialize)]
struct ScalarValue<'a> {
    /// The line's value (all of it when it holds several).
    value: &'a str,
    /// The `--query` that selected it, when the command was seen.
    query: Option<&'a str>,
    /// A line of several values (`--query "[a, b]" -o tsv` separates them with tabs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    values: Vec<&'a str>,
}

/// Runs the structural parser of a segment. Line-level extraction (patterns, log records,
/// Key Vault errors) happens in the engine for every segment.
pub fn parse_segment(
    lines: &[Line],
    segment: &Segment,
    name_hint: &str,
    whole_document: bool,
    sink: &mut Sink<'_>,
) {
    let Some(seg_lines) = lines.get(segment.start..segment.end) else {
        return;
    };
    let command = segment.command.as_deref();
    match segment.kind {
        SegmentKind::DescribePod => events::parse_describe(seg_lines, sink),
        SegmentKind::EventsTable => events::parse_table(seg_lines, sink),
        SegmentKind::Nslookup => dns::parse_nslookup(seg_lines, command, sink),
        SegmentKind::Dig => dig::parse_dig(seg_lines, command, sink),
        SegmentKind::Host => host::parse_host(seg_lines, command, sink),
        SegmentKind::ResolveDnsName => {
            powershell::parse_resolve_dns_name(seg_lines, command, sink);
        }
        SegmentKind::Nc => tcp::parse_nc(seg_lines, command, sink),
        SegmentKind::TestNetConnection => {
            powershell::parse_test_net_connection(seg_lines, command, sink);
        }
        SegmentKind::Curl => curl::parse_curl(seg_lines, command, sink),
        SegmentKind::Json => parse_json(seg_lines, command, sink),
        SegmentKind::Yaml => parse_yaml(seg_lines, command, sink),
        SegmentKind::Table => parse_table(seg_lines, command, sink),
        SegmentKind::Command => {
            if let (Some(command), Some(line)) = (command, seg_lines.first()) {
                let tool = command.split_whitespace().next().unwrap_or_default();
                sink.fact(
                    "commands",
                    line.number,
                    line.number,
                    &line.text,
                    &CommandLine { command, tool },
                );
            }
        }
        SegmentKind::Scalar => parse_scalar(seg_lines, command, sink),
        // Values with spaces look like any text; only the name says they are `-o tsv` output.
        SegmentKind::Text
            if whole_document
                && !looks_scalar(seg_lines)
                && name_hint.ends_with(".tsv")
                && looks_tsv(seg_lines) =>
        {
            parse_scalar(seg_lines, command, sink);
        }
        SegmentKind::Text if whole_document && looks_scalar(seg_lines) => {
            let hinted = name_hint.ends_with(".tsv")
                || name_hint.contains("query")
                || name_hint.contains("client")
                || name_hint.contains("-o-tsv");
            if hinted {
                parse_scalar(seg_lines, command, sink);
            } else {
                let value = seg_lines
                    .iter()
                    .map(|l| l.text.trim())
                    .find(|t| !t.is_empty())
                    .unwrap_or_default();
                // A bare value may be a secret (`az ad sp credential reset --query password -o
                // tsv`), and diagnostics end up in tickets: only ids and names are quoted.
                let shown = if looks_identifier(value) {
                    crate::facts::cap_text(value, 60)
                } else {
                    format!("{} characters, not shown", value.chars().count())
                };
                sink.diagnostic(
                    "ambiguous-input",
                    format!("a bare value ({shown}) with no command or name to say what it is; name the file after its command (e.g. aks-addon-clientid.tsv) or paste the command line with it"),
                );
            }
        }
        // `Warning  FailedMount  74s  kubelet  MountVolume.SetUp failed ...` pasted without the
        // events header (alone, or after log lines) carries no signal of its own.
        SegmentKind::Text | SegmentKind::Log => events::parse_rows(seg_lines, sink),
    }
}

/// A GUID, or a lower-case name (vault, DNS name, resource name): safe to quote in a
/// diagnostic. Secrets mix cases or carry symbols.
fn looks_identifier(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 100
        && value.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'_')
        })
}

fn parse_scalar(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let query = command.and_then(query_argument);
    for line in lines.iter().filter(|l| !l.text.trim().is_empty()) {
        let value = line.text.trim();
        let values: Vec<&str> = if value.contains('\t') {
            value.split('\t').map(str::trim).collect()
        } else {
            Vec::new()
        };
        sink.fact(
            "az_scalars",
            line.number,
            line.number,
            &line.text,
            &ScalarValue {
                value,
                query,
                values,
            },
        );
    }
}

/// The value of `--query`, quoted (`"[clientId, principalId]"`) or not.
fn query_argument(command: &str) -> Option<&str> {
    let rest = command.split_once("--query")?.1.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    match rest.chars().next() {
        Some(quote @ ('"' | '\'')) => rest.get(1..)?.split(quote).next(),
        _ => rest.split_whitespace().next(),
    }
}

fn joined(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The path an `az aks show --query <path>` selected, when it is a plain path
/// (`addonProfiles.azureKeyvaultSecretsProvider`), not a projection.
fn aks_query_path(command: Option<&str>) -> Option<Vec<&str>> {
    let command = command?;
    let mut words = command.split_whitespace();
    if (words.next(), words.next(), words.next()) != (Some("az"), Some("aks"), Some("show")) {
        return None;
    }
    let query = query_argument(command)?;
    let path: Vec<&str> = query.split('.').collect();
    path.iter()
        .all(|p| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .then_some(path)
}

fn parse_json(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let first = lines.first().map_or(1, |l| l.number);
    match json::parse(&joined(lines), first, sink.max_nesting) {
        Ok(node) => match aks_query_path(command) {
            Some(path) => objects::facts_of_aks_part(&node, &path, sink),
            None => objects::facts_of_document(&node, sink),
        },
        Err(error) => sink.diagnostic("json-invalid", format!("JSON from line {first} could not be read (line {}: {}); its lines were still scanned as text", error.line, error.message)),
    }
}

fn parse_yaml(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let first = lines.first().map_or(1, |l| l.number);
    let aks_path = aks_query_path(command);
    match yaml::parse(&joined(lines), first, sink.max_nesting) {
        Ok(documents) => {
            for document in &documents {
                match &aks_path {
                    Some(path) => objects::facts_of_aks_part(document, path, sink),
                    None => objects::facts_of_document(document, sink),
                }
            }
        }
        Err(error) => sink.diagnostic("yaml-invalid", format!("YAML from line {first} could not be read ({error}); its lines were still scanned as text")),
    }
}

/// The fields of a `k8s_not_found` fact.
#[derive(Debug, Clone, Serialize)]
struct NotFound {
    resource: String,
    name: String,
}

/// The custom resource a `kubectl get` lists, for tables whose columns alone do not say
/// (`NAME  AGE`): `kubectl get secretproviderclass[es] [-A]` and the pod statuses.
fn crd_table_kind(command: Option<&str>) -> Option<&'static str> {
    let mut words = command?.split_whitespace();
    if !matches!(words.next(), Some("kubectl" | "k")) || words.next() != Some("get") {
        return None;
    }
    // The resource is any word after `get` (flags and their values may come first).
    words.find_map(|word| {
        let word = word.to_ascii_lowercase();
        let resource = word.split('/').next().unwrap_or_default();
        let resource = resource
            .strip_suffix(".secrets-store.csi.x-k8s.io")
            .unwrap_or(resource);
        match resource {
            // A table row has no parameters, and rule spc-invalid reads every `k8s_spcs` fact
            // as a whole SecretProviderClass (no keyvaultName → "invalid"): the rows become
            // facts once that rule skips `source: "table"`.
            "secretproviderclass" | "secretproviderclasses" => SPC_TABLE_ROWS,
            "secretproviderclasspodstatus" | "secretproviderclasspodstatuses" => {
                Some("k8s_spc_statuses")
            }
            _ => None,
        }
    })
}

/// The fact kind of `kubectl get secretproviderclass` table rows (see [`crd_table_kind`]).
const SPC_TABLE_ROWS: Option<&str> = None;

fn parse_table(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let crd_kind = crd_table_kind(command);
    let mut columns: Vec<table::Column> = Vec::new();
    let mut kind: Option<&'static str> = None;
    for line in lines {
        let text = line.text.as_str();
        if let Some(rest) = text.strip_prefix("Error from server (NotFound): ") {
            // `clusterroles.rbac.authorization.k8s.io "secretprovidersyncing-role" not found`
            let resource = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
            let name = rest.split('"').nth(1).unwrap_or_default().to_owned();
            sink.fact(
                "k8s_not_found",
                line.number,
                line.number,
                text,
                &NotFound { resource, name },
            );
            continue;
        }
        if text.starts_with("NAME") || text.starts_with("NAMESPACE") {
            columns = table::columns(text);
            let has = |n: &str| columns.iter().any(|c| c.name == n);
            kind = if has("DESIRED") && has("CURRENT") {
                Some("k8s_daemonsets")
            } else if has("READY") && has("STATUS") {
                Some("k8s_pods")
            } else if has("ATTACHREQUIRED") || has("PODINFOONMOUNT") {
                Some("k8s_csidrivers")
            } else if has("ROLE") {
                Some("k8s_cluster_role_bindings")
            } else if has("CREATED AT") && columns.len() == 2 {
                Some("k8s_cluster_roles")
            } else if has("STATUS") && has("ROLES") {
                Some("k8s_nodes")
            } else if crd_kind.is_some() && has("NAME") && has("AGE") {
                crd_kind
            } else {
                None
            };
            continue;
        }
        let Some(kind) = kind else { continue };
        if text.trim().is_empty() {
            continue;
        }
        let row = table::row(text, &columns);
        let get = |n: &str| {
            row.get(n)
                .cloned()
                .filter(|v| !v.is_empty() && v != "<none>")
        };
        let number = |n: &str| get(n).and_then(|v| v.parse::<u64>().ok());
        let fields = match kind {
            "k8s_pods" => serde_json::json!({
                "name": get("NAME"), "namespace": get("NAMESPACE"), "ready": get("READY"), "status": get("STATUS"),
                "restarts": get("RESTARTS"), "node": get("NODE"), "ip": get("IP"), "source": "table",
                "app": get("NAME").map(|n| app_of_pod_name(&n)),
                // `708 (3m44s ago)` counts 708 restarts.
                "restart_count": get("RESTARTS").and_then(|r| r.split_whitespace().next().and_then(|n| n.parse::<u64>().ok())),
            }),
            "k8s_csidrivers" => serde_json::json!({
                "name": get("NAME"), "attach_required": get("ATTACHREQUIRED").map(|v| v == "true"),
                "pod_info_on_mount": get("PODINFOONMOUNT").map(|v| v == "true"), "modes": get("MODES"),
                "requires_republish": get("REQUIRESREPUBLISH").map(|v| v == "true"),
                "token_requests": get("TOKENREQUESTS").filter(|v| v != "<unset>"),
            }),
            "k8s_nodes" => serde_json::json!({
                "name": get("NAME"), "status": get("STATUS"), "roles": get("ROLES"), "os": get("OS-IMAGE"),
                "version": get("VERSION"), "internal_ip": get("INTERNAL-IP"),
                "unschedulable": get("STATUS").map(|s| s.split(',').any(|p| p == "SchedulingDisabled")),
                "ready": get("STATUS").map(|s| if s.split(',').any(|p| p == "Ready") { "True" } else { "False" }),
            }),
            "k8s_spcs" | "k8s_spc_statuses" => serde_json::json!({
                "name": get("NAME"), "namespace": get("NAMESPACE"), "age": get("AGE"), "source": "table",
            }),
            "k8s_daemonsets" => serde_json::json!({
                "name": get("NAME"), "namespace": get("NAMESPACE"), "desired": number("DESIRED"),
                "current": number("CURRENT"), "ready": number("READY"), "available": number("AVAILABLE"),
                "node_selector": get("NODE SELECTOR"), "source": "table",
            }),
            // `ClusterRole/secretprovidersyncing-role`: the role's name as `-o yaml` gives it.
            _ => {
                let role = get("ROLE");
                let (role_kind, role) = match role.as_deref().and_then(|r| r.split_once('/')) {
                    Some((kind, name)) => (Some(kind.to_owned()), Some(name.to_owned())),
                    None => (None, role),
                };
                serde_json::json!({ "name": get("NAME"), "role": role, "role_kind": role_kind })
            }
        };
        sink.fact(kind, line.number, line.number, text, &fields);
    }
}

/// Guesses a pod's app from its generated name (`aks-secrets-store-csi-driver-x7k2p`).
fn app_of_pod_name(name: &str) -> String {
    let parts: Vec<&str> = name.split('-').collect();
    let keep = parts.len().saturating_sub(
        if parts.len() > 2
            && parts.iter().rev().nth(1).is_some_and(|p| {
                p.len() >= 8 && p.len() <= 10 && p.chars().all(|c| c.is_ascii_alphanumeric())
            })
        {
            2
        } else {
            1
        },
    );
    parts
        .get(..keep.max(1))
        .map(|p| p.join("-"))
        .unwrap_or_default()
}

/// Runs one parser over a text, for the parsers' unit tests.
#[cfg(test)]
pub(crate) fn test_facts(
    text: &str,
    parser: impl FnOnce(&[Line], &mut Sink<'_>),
) -> Vec<serde_json::Value> {
    let lines: Vec<Line> = text
        .lines()
        .enumerate()
        .map(|(i, t)| Line {
            number: i as u64 + 1,
            text: t.to_owned(),
        })
        .collect();
    let mut facts = Facts::new(1000);
    let mut diagnostics = Vec::new();
    let mut sink = Sink {
        source: "test",
        facts: &mut facts,
        diagnostics: &mut diagnostics,
        max_nesting: 64,
    };
    parser(&lines, &mut sink);
    facts
        .all()
        .map(|f| serde_json::Value::Object(f.fields.clone()))
        .collect()
}
