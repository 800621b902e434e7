//! PowerShell's network cmdlets: `Resolve-DnsName` (to `dns` facts) and `Test-NetConnection`
//! (to `tcp` facts).
//!
//! PowerShell prints objects as a table when the first object's type allows it and falls back to
//! the list form (`Key : value` lines, one block per object) for objects of another type, so one
//! `Resolve-DnsName` answer often holds a CNAME table followed by an A record list. A table cell
//! too long for its column wraps onto the next line inside the same column.

use super::dns::{clean, emit, query_of_command, DnsAnswer};
use super::table::{columns, row, Column};
use super::tcp::TcpProbe;
use super::Sink;
use crate::text::lines::Line;
use std::collections::BTreeMap;

/// One object PowerShell printed: property name to value, and the lines it spans.
#[derive(Debug, Default, Clone)]
struct Object {
    values: BTreeMap<String, String>,
    first: u64,
    last: u64,
}

impl Object {
    fn get(&self, key: &str) -> Option<&String> {
        self.values.get(key)
    }

    fn any(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.values.get(*k).cloned())
    }
}

/// Reads the objects of a segment, whether printed as tables or lists. Lines that are neither
/// (warnings, error records) are skipped.
fn objects(lines: &[Line]) -> Vec<Object> {
    let mut out: Vec<Object> = Vec::new();
    let mut table: Option<Vec<Column>> = None;
    let mut list: Option<Object> = None;
    let mut last_key: Option<String> = None;
    let mut index = 0;
    while let Some(line) = lines.get(index) {
        index += 1;
        let text = line.text.trim_end();
        if text.trim().is_empty() || text.starts_with("WARNING: ") {
            out.extend(list.take());
            table = None;
            last_key = None;
            continue;
        }
        // A header is followed by its dashes: `----  ----  ---`.
        let dashes = lines
            .get(index)
            .is_some_and(|next| is_dash_line(&next.text));
        if dashes && list.is_none() {
            table = Some(columns(text));
            index += 1;
            continue;
        }
        if let Some(cols) = &table {
            let cells = row(text, cols);
            let starts_row = cols
                .get(1)
                .and_then(|c| cells.get(&c.name))
                .is_some_and(|v| !v.is_empty());
            if starts_row {
                out.push(Object {
                    values: cells.into_iter().filter(|(_, v)| !v.is_empty()).collect(),
                    first: line.number,
                    last: line.number,
                });
            } else if let Some(previous) = out.last_mut() {
                // A wrapped cell: its text continues the same column of the row above.
                for (key, value) in cells.into_iter().filter(|(_, v)| !v.is_empty()) {
                    previous.values.entry(key).or_default().push_str(&value);
                }
                previous.last = line.number;
            }
            continue;
        }
        if let Some((key, value)) = list_pair(text) {
            if list.as_ref().is_some_and(|o| o.values.contains_key(&key)) {
                // The same property again: the previous object ended without a blank line.
                out.extend(list.take());
            }
            let object = list.get_or_insert_with(|| Object {
                first: line.number,
                ..Object::default()
            });
            object.values.insert(key.clone(), value);
            object.last = line.number;
            last_key = Some(key);
        } else if let (Some(object), Some(key)) = (list.as_mut(), last_key.as_ref()) {
            // A long value wraps onto an indented line.
            if let Some(value) = object.values.get_mut(key) {
                value.push(' ');
                value.push_str(text.trim());
                object.last = line.number;
            }
        }
    }
    out.extend(list);
    out
}

fn is_dash_line(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty() && t.chars().all(|c| c == '-' || c == ' ')
}

/// `Name       : value` (the key may hold spaces and parentheses: `PingReplyDetails (RTT)`).
fn list_pair(text: &str) -> Option<(String, String)> {
    if text.starts_with(char::is_whitespace) {
        return None;
    }
    let (key, value) = text
        .split_once(" : ")
        .or_else(|| text.trim_end().strip_suffix(" :").map(|k| (k, "")))?;
    let key = key.trim();
    let valid = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '(' || c == ')');
    valid.then(|| (key.to_owned(), value.trim().to_owned()))
}

/// Parses `Resolve-DnsName` output (tables, lists and the error record) into one `dns` fact.
pub fn parse_resolve_dns_name(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let mut answer = DnsAnswer::new("Resolve-DnsName");
    answer.query = named_argument(command, "-Name")
        .or_else(|| query_of_command(command, &["-Type", "-Server", "-DnsOnly"]))
        .map(|q| clean(&q));
    answer.server = named_argument(command, "-Server");
    for line in lines {
        let text = line.text.trim();
        // `Resolve-DnsName : kv.vault.azure.net : DNS name does not exist`
        let cmdlet = "Resolve-DnsName : ";
        let error_record = text
            .get(..cmdlet.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(cmdlet));
        if let Some(rest) = text.get(cmdlet.len()..).filter(|_| error_record) {
            let (name, message) = rest.rsplit_once(" : ").unwrap_or(("", rest));
            if !name.is_empty() {
                answer.query.get_or_insert_with(|| clean(name));
            }
            answer.error = Some(error_of(message));
        } else if let Some(id) = text
            .strip_prefix("+ FullyQualifiedErrorId")
            .and_then(|r| r.split_once(':'))
            .map(|(_, id)| id.trim())
        {
            // The error id is stable where the message is translated.
            if answer.error.is_none() || id.starts_with("DNS_ERROR_RCODE") {
                answer.error = Some(error_of(id));
            }
        }
    }
    let records: Vec<Object> = objects(lines)
        .into_iter()
        .filter(|o| o.get("Section").is_none_or(|s| s == "Answer"))
        .collect();
    for record in &records {
        let rtype = record.any(&["Type", "QueryType"]).unwrap_or_default();
        let Some(name) = record.get("Name").map(|n| clean(n)) else {
            continue;
        };
        match rtype.as_str() {
            "CNAME" => {
                answer.query.get_or_insert_with(|| name.clone());
                if let Some(target) = record.get("NameHost") {
                    answer.cnames.push(clean(target));
                }
            }
            "A" | "AAAA" => {
                answer.query.get_or_insert_with(|| name.clone());
                answer.answer_name = Some(name);
                if let Some(ip) = record.any(&["IPAddress", "IP4Address", "IP6Address"]) {
                    answer.addresses.push(ip);
                }
            }
            _ => {}
        }
    }
    if answer.query.is_none() && answer.addresses.is_empty() && answer.error.is_none() {
        return;
    }
    answer.classify_addresses();
    let block: Vec<&Line> = lines.iter().collect();
    emit(&answer, &block, sink);
}

/// The value after a named parameter (`-Name kv.vault.azure.net`, `-Server 10.0.0.10`).
fn named_argument(command: Option<&str>, name: &str) -> Option<String> {
    let mut words = command?.split_whitespace();
    words.find(|w| w.eq_ignore_ascii_case(name))?;
    words
        .next()
        .map(|w| w.trim_matches(['"', '\'']).to_owned())
        .filter(|w| !w.starts_with('-'))
}

/// The normalised error of a `Resolve-DnsName` error record, by message or error id.
fn error_of(message: &str) -> String {
    let m = message.trim();
    if m.contains("does not exist") || m.contains("DNS_ERROR_RCODE_NAME_ERROR") {
        "NXDOMAIN".to_owned()
    } else if m.contains("timeout period expired") || m.contains("ERROR_TIMEOUT") {
        "timeout".to_owned()
    } else if m.contains("DNS server failure") || m.contains("RCODE_SERVER_FAILURE") {
        "SERVFAIL".to_owned()
    } else if m.contains("refused") || m.contains("RCODE_REFUSED") {
        "REFUSED".to_owned()
    } else if m.contains("No records") || m.contains("DNS_INFO_NO_RECORDS") {
        "NOERROR-NODATA".to_owned()
    } else {
        m.to_owned()
    }
}

/// Parses `Test-NetConnection` output: one `tcp` fact per object that tested a port, and one
/// for a name that did not resolve.
///
/// The cmdlet reports only whether the TCP test succeeded, not why it failed, so a failed test
/// is `failed`; its `WARNING: Name resolution of <host> failed` line makes it `unresolved`.
pub fn parse_test_net_connection(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let port_from_command = named_argument(command, "-Port").and_then(|p| p.parse().ok());
    let host_from_command = named_argument(command, "-ComputerName").or_else(|| {
        query_of_command(
            command,
            &[
                "-Port",
                "-InformationLevel",
                "-CommonTCPPort",
                "-ComputerName",
            ],
        )
    });
    let unresolved = lines.iter().find_map(|l| {
        l.text
            .trim()
            .strip_prefix("WARNING: Name resolution of ")
            .map(|rest| (l, rest.split_whitespace().next().map(str::to_owned)))
    });
    let mut emitted = false;
    let mut previous_end = 0;
    for object in objects(lines)
        .iter()
        .filter(|o| o.get("ComputerName").is_some())
    {
        // The warnings printed just before an object are about it and belong to its evidence.
        let first = lines
            .iter()
            .filter(|l| l.number > previous_end && l.number < object.first)
            .find(|l| l.text.trim_start().starts_with("WARNING: "))
            .map_or(object.first, |l| l.number);
        previous_end = object.last;
        let result = match object.get("TcpTestSucceeded").map(String::as_str) {
            Some("True") => "succeeded",
            Some(_) => "failed",
            None if unresolved.is_some() => "unresolved",
            None => continue,
        };
        let probe = TcpProbe {
            tool: "test-netconnection",
            host: object
                .get("ComputerName")
                .cloned()
                .or_else(|| host_from_command.clone()),
            address: object
                .get("RemoteAddress")
                .cloned()
                .filter(|a| !a.is_empty()),
            port: object
                .get("RemotePort")
                .and_then(|p| p.parse().ok())
                .or(port_from_command),
            result,
        };
        let text = lines
            .iter()
            .filter(|l| l.number >= first && l.number <= object.last && !l.text.trim().is_empty())
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        sink.fact("tcp", first, object.last, &text, &probe);
        emitted = true;
    }
    // `WARNING: Name resolution of <host> failed` may come without an object at all.
    if let (false, Some((line, host))) = (emitted, unresolved) {
        let probe = TcpProbe {
            tool: "test-netconnection",
            host: host.or(host_from_command),
            address: None,
            port: port_from_command,
            result: "unresolved",
        };
        sink.fact("tcp", line.number, line.number, &line.text, &probe);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn several_probes_and_their_warnings() {
        let text = "ComputerName     : a.example\nRemoteAddress    : 10.0.0.1\nRemotePort       : 443\nTcpTestSucceeded : True\n\nWARNING: TCP connect to (10.0.0.2 : 443) failed\nComputerName           : b.example\nRemoteAddress          : 10.0.0.2\nRemotePort             : 443\nPingSucceeded          : True\nPingReplyDetails (RTT) : 2 ms\nTcpTestSucceeded       : False\n";
        let facts = crate::parse::test_facts(text, |lines, sink| {
            parse_test_net_connection(lines, None, sink);
        });
        assert_eq!(facts.len(), 2);
        assert_eq!(facts[0]["result"], "succeeded");
        assert_eq!(facts[1]["host"], "b.example");
        assert_eq!(facts[1]["result"], "failed");
        assert_eq!(
            list_pair("PingReplyDetails (RTT) : 2 ms").unwrap().0,
            "PingReplyDetails (RTT)"
        );
    }
}
