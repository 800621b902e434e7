//! DNS answers: `nslookup` in BIND, Windows and BusyBox styles.

use super::Sink;
use crate::text::lines::Line;
use serde::Serialize;
use std::net::IpAddr;

/// The fields of a `dns` fact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DnsAnswer {
    /// `nslookup`, `dig`, `host` or `Resolve-DnsName`.
    pub tool: &'static str,
    /// The name asked for.
    pub query: Option<String>,
    /// The DNS server that answered.
    pub server: Option<String>,
    /// CNAME chain, in order, without trailing dots.
    pub cnames: Vec<String>,
    /// The final name the addresses belong to.
    pub answer_name: Option<String>,
    /// Addresses in the answer.
    pub addresses: Vec<String>,
    /// Addresses that are private (RFC 1918, CGNAT, ULA).
    pub private_addresses: Vec<String>,
    /// Addresses that are public.
    pub public_addresses: Vec<String>,
    /// The chain goes through a `privatelink` zone.
    pub via_privatelink: bool,
    /// `NXDOMAIN`, `SERVFAIL`, `REFUSED`, `timeout`, `NOERROR-NODATA`.
    pub error: Option<String>,
}

/// Whether an address is private in the sense that matters here: reachable only inside a
/// network (RFC 1918, 100.64/10, unique local IPv6).
pub fn is_private(address: &str) -> bool {
    match address.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || (a == 100 && (64..128).contains(&b))
        }
        Ok(IpAddr::V6(v6)) => (v6.segments().first().copied().unwrap_or(0) & 0xfe00) == 0xfc00,
        Err(_) => false,
    }
}

impl DnsAnswer {
    /// Sorts addresses into private and public.
    pub fn classify_addresses(&mut self) {
        self.addresses.dedup();
        self.private_addresses = self
            .addresses
            .iter()
            .filter(|a| is_private(a))
            .cloned()
            .collect();
        self.public_addresses = self
            .addresses
            .iter()
            .filter(|a| !is_private(a) && a.parse::<IpAddr>().is_ok())
            .cloned()
            .collect();
        self.via_privatelink = self.cnames.iter().any(|c| c.contains(".privatelink."));
        if self.addresses.is_empty()
            && self.error.is_none()
            && self.query.is_some()
            && !self.cnames.is_empty()
        {
            self.error = Some("NOERROR-NODATA".to_owned());
        }
    }
}

fn clean(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn strip_port(address: &str) -> String {
    let a = address.trim();
    if let Some((ip, _)) = a.split_once('#') {
        return ip.to_owned();
    }
    // BusyBox writes `10.0.0.10:53`; IPv6 addresses contain colons of their own.
    if a.matches(':').count() == 1 {
        return a.split(':').next().unwrap_or(a).to_owned();
    }
    a.to_owned()
}

/// Parses `nslookup` output. Several lookups in one segment (each starting at `Server:`) give
/// several facts; `command` is the command line that produced it, if seen.
pub fn parse_nslookup(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let query_from_command = command.and_then(|c| {
        c.split_whitespace()
            .skip(1)
            .find(|w| !w.starts_with('-'))
            .map(clean)
    });
    let mut blocks: Vec<Vec<&Line>> = Vec::new();
    for line in lines {
        if line.text.starts_with("Server:") || blocks.is_empty() {
            blocks.push(Vec::new());
        }
        if let Some(block) = blocks.last_mut() {
            block.push(line);
        }
    }
    for block in blocks {
        let mut answer = DnsAnswer {
            tool: "nslookup",
            ..DnsAnswer::default()
        };
        let mut in_answer = false;
        let mut in_aliases = false;
        let mut server_address_seen = false;
        for line in &block {
            let text = line.text.trim_end();
            let trimmed = text.trim();
            if let Some(server) = trimmed.strip_prefix("Server:") {
                let server = server.trim();
                if server != "UnKnown" && server != "Unknown" {
                    answer.server = Some(strip_port(server));
                }
                continue;
            }
            if trimmed.starts_with("Non-authoritative answer")
                || trimmed.starts_with("Authoritative answers")
            {
                in_answer = true;
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix("** server can't find ").or_else(|| {
                trimmed
                    .strip_prefix("*** ")
                    .and_then(|r| r.split_once("can't find ").map(|(_, x)| x))
            }) {
                let (name, error) = rest.rsplit_once(':').unwrap_or((rest, "NXDOMAIN"));
                answer.query.get_or_insert_with(|| clean(name));
                let error = error.trim();
                answer.error = Some(
                    if error.contains("Non-existent") || error.contains("NXDOMAIN") {
                        "NXDOMAIN".to_owned()
                    } else {
                        error.to_owned()
                    },
                );
                continue;
            }
            if trimmed.contains("connection timed out")
                || trimmed.contains("no servers could be reached")
                || trimmed.contains("timed out")
            {
                answer.error = Some("timeout".to_owned());
                continue;
            }
            if let Some((left, right)) = trimmed.split_once("canonical name =") {
                let from = clean(left);
                if answer.cnames.is_empty() {
                    answer.query.get_or_insert(from);
                }
                answer.cnames.push(clean(right));
                in_answer = true;
                continue;
            }
            if let Some(name) = trimmed.strip_prefix("Name:") {
                answer.answer_name = Some(clean(name));
                in_answer = true;
                in_aliases = false;
                continue;
            }
            if let Some(rest) = trimmed
                .strip_prefix("Address")
                .or_else(|| trimmed.strip_prefix("Addresses"))
            {
                let value = rest
                    .trim_start_matches(|c: char| {
                        c == 'e' || c == 's' || c.is_ascii_digit() || c == ' '
                    })
                    .trim_start_matches(':')
                    .trim();
                in_aliases = false;
                if !in_answer && !server_address_seen {
                    server_address_seen = true;
                    if answer.server.is_none() {
                        answer.server = Some(strip_port(value));
                    }
                    continue;
                }
                if !value.is_empty() {
                    answer.addresses.push(strip_port(value));
                }
                continue;
            }
            if let Some(alias) = trimmed.strip_prefix("Aliases:") {
                in_aliases = true;
                answer.cnames.push(clean(alias));
                continue;
            }
            if in_aliases && !trimmed.is_empty() && text.starts_with(char::is_whitespace) {
                answer.cnames.push(clean(trimmed));
                continue;
            }
            // Windows lists extra addresses on indented lines under `Addresses:`.
            if in_answer
                && text.starts_with(char::is_whitespace)
                && trimmed.parse::<IpAddr>().is_ok()
            {
                answer.addresses.push(trimmed.to_owned());
            }
        }
        // Windows prints aliases after the final name: the query is the first alias.
        if answer.query.is_none() {
            answer.query = if answer.cnames.is_empty() {
                answer.answer_name.clone()
            } else {
                answer.cnames.first().cloned()
            };
        }
        if let (Some(from_command), Some(query)) = (&query_from_command, &answer.query) {
            if !answer.cnames.iter().any(|c| c == from_command)
                && query != from_command
                && answer.cnames.is_empty()
                && answer.answer_name.as_deref() != Some(from_command)
            {
                answer.query = Some(from_command.clone());
            }
        }
        if answer.query.is_none() {
            answer.query = query_from_command.clone();
        }
        if answer.query.is_none() && answer.addresses.is_empty() && answer.error.is_none() {
            continue;
        }
        answer.classify_addresses();
        let first = block.first().map_or(0, |l| l.number);
        let last = block
            .iter()
            .rev()
            .find(|l| !l.text.trim().is_empty())
            .map_or(first, |l| l.number);
        let text = block
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        sink.fact("dns", first, last, &text, &answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        assert!(
            is_private("10.1.2.3")
                && is_private("172.20.0.4")
                && is_private("192.168.1.1")
                && is_private("100.64.0.1")
        );
        assert!(
            !is_private("20.1.2.3") && !is_private("168.63.129.16") && !is_private("172.32.0.1")
        );
    }
}
