//! DNS answers: `nslookup` in BIND, Windows and BusyBox styles, and what every DNS tool's
//! parser shares (the `dns` fact, address classes, name clean-up). `dig`, `host` and
//! `Resolve-DnsName` have modules of their own.

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

/// Whether an address is routable on the Internet: not private, and not loopback, link-local,
/// unspecified or multicast (which no real answer for a vault name holds).
pub fn is_public(address: &str) -> bool {
    match address.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            !is_private(address)
                && !v4.is_loopback()
                && !v4.is_link_local()
                && !v4.is_unspecified()
                && !v4.is_multicast()
        }
        Ok(IpAddr::V6(v6)) => {
            let first = v6.segments().first().copied().unwrap_or(0);
            !is_private(address)
                && !v6.is_loopback()
                && !v6.is_unspecified()
                && !v6.is_multicast()
                && (first & 0xffc0) != 0xfe80
        }
        Err(_) => false,
    }
}

/// Removes repeated items, keeping the first of each in place.
pub fn dedup_keep_order(items: &mut Vec<String>) {
    let mut seen = std::collections::BTreeSet::new();
    items.retain(|item| seen.insert(item.clone()));
}

impl DnsAnswer {
    /// An empty answer from `tool`.
    pub fn new(tool: &'static str) -> Self {
        Self {
            tool,
            ..Self::default()
        }
    }

    /// Sorts addresses into private and public, and derives what follows from the chain.
    pub fn classify_addresses(&mut self) {
        dedup_keep_order(&mut self.addresses);
        dedup_keep_order(&mut self.cnames);
        if let Some(query) = &self.query {
            // Some tools list the name asked for among the aliases; it is not a step of the chain.
            self.cnames.retain(|c| c != query);
        }
        self.private_addresses = self
            .addresses
            .iter()
            .filter(|a| is_private(a))
            .cloned()
            .collect();
        self.public_addresses = self
            .addresses
            .iter()
            .filter(|a| is_public(a))
            .cloned()
            .collect();
        self.via_privatelink = self.cnames.iter().any(|c| c.contains(".privatelink."))
            || self
                .answer_name
                .as_deref()
                .is_some_and(|n| n.contains(".privatelink."));
        if self.addresses.is_empty()
            && self.error.is_none()
            && self.query.is_some()
            && !self.cnames.is_empty()
        {
            self.error = Some("NOERROR-NODATA".to_owned());
        }
    }
}

/// A DNS name as kvcsi compares it: trimmed, lower case, without the trailing dot.
pub fn clean(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// An address without the port tools add to a server address (`10.0.0.10#53`, BusyBox's
/// `10.0.0.10:53`, `[fd00::10]:53`) or the name old BusyBox prints after it.
pub fn strip_port(address: &str) -> String {
    let a = address.split_whitespace().next().unwrap_or_default();
    if let Some((ip, _)) = a.split_once('#') {
        return ip.to_owned();
    }
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_owned();
    }
    // IPv6 addresses contain colons of their own; only one colon means `IPv4:port`.
    if a.matches(':').count() == 1 {
        return a.split(':').next().unwrap_or(a).to_owned();
    }
    a.to_owned()
}

/// The first argument of a command that is neither an option nor an option's value: the name
/// a lookup asked for.
pub fn query_of_command(command: Option<&str>, options_with_values: &[&str]) -> Option<String> {
    let mut words = command?.split_whitespace().skip(1);
    while let Some(word) = words.next() {
        if options_with_values.contains(&word) {
            words.next();
            continue;
        }
        if word.starts_with('-') || word.starts_with('+') || word.starts_with('@') {
            continue;
        }
        return Some(clean(word.trim_matches(['"', '\''])));
    }
    None
}

/// The normalised error of a lookup message (`NXDOMAIN`, `Non-existent domain`, ...).
fn error_of(message: &str) -> String {
    let m = message.trim();
    let lower = m.to_ascii_lowercase();
    if lower.contains("nxdomain") || lower.contains("non-existent") {
        "NXDOMAIN".to_owned()
    } else if lower.contains("servfail") || lower.contains("server failed") {
        "SERVFAIL".to_owned()
    } else if lower.contains("refused") {
        "REFUSED".to_owned()
    } else if lower.contains("no response")
        || lower.contains("timed out")
        || lower.contains("timed-out")
    {
        "timeout".to_owned()
    } else if lower.contains("no answer") {
        "NOERROR-NODATA".to_owned()
    } else {
        m.to_owned()
    }
}

/// What the line being read continues, in Windows output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    None,
    Addresses,
    Aliases,
}

/// Parses `nslookup` output. Several lookups in one segment (each starting at `Server:`) give
/// several facts; `command` is the command line that produced it, if seen.
///
/// BIND and BusyBox print the chain as `<name> canonical name = <target>` lines, then `Name:`
/// and `Address:` pairs; BusyBox repeats the answer for its A and AAAA queries. Windows prints
/// `Name:` (the final name), `Address:` or `Addresses:`, then `Aliases:` with the name asked
/// for first and the chain after it, on indented lines.
pub fn parse_nslookup(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let query_from_command = query_of_command(command, &["-type", "-q", "-port", "-timeout"]);
    // A `Server:` line starts the next lookup only once the current one has its own: Windows
    // prints a timeout or `*** ... can't find` before `Server:` when its standard error reaches
    // the terminal first, and that line belongs to the lookup that follows.
    let mut blocks: Vec<Vec<&Line>> = Vec::new();
    let mut has_server = false;
    for line in lines {
        let server = line.text.starts_with("Server:");
        if blocks.is_empty() || (server && has_server) {
            blocks.push(Vec::new());
            has_server = false;
        }
        has_server |= server;
        if let Some(block) = blocks.last_mut() {
            block.push(line);
        }
    }
    for block in blocks {
        let mut answer = DnsAnswer::new("nslookup");
        let mut aliases: Vec<String> = Vec::new();
        let mut in_answer = false;
        let mut open = Open::None;
        let mut server_address_seen = false;
        for line in &block {
            let text = line.text.trim_end();
            let trimmed = text.trim();
            let indented = text.starts_with(char::is_whitespace);
            if indented && !trimmed.is_empty() && open != Open::None {
                match open {
                    Open::Aliases => aliases.push(clean(trimmed)),
                    _ => answer.addresses.push(strip_port(trimmed)),
                }
                continue;
            }
            open = Open::None;
            if let Some(server) = trimmed.strip_prefix("Server:") {
                // The address after `Server:` is the server's, even after an answer header.
                in_answer = false;
                server_address_seen = false;
                let server = server.trim();
                if !server.eq_ignore_ascii_case("unknown") && !server.is_empty() {
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
            if let Some(rest) = cant_find(trimmed) {
                let (name, error) = rest.rsplit_once(':').unwrap_or((rest, "NXDOMAIN"));
                answer.query.get_or_insert_with(|| clean(name));
                answer.error = Some(error_of(error));
                continue;
            }
            if trimmed.contains("connection timed out")
                || trimmed.contains("no servers could be reached")
                || trimmed.starts_with("DNS request timed out")
                || (trimmed.starts_with("***") && trimmed.contains("timed-out"))
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
                continue;
            }
            if let Some(alias) = trimmed.strip_prefix("Aliases:") {
                aliases.push(clean(alias));
                open = Open::Aliases;
                continue;
            }
            let address = trimmed
                .strip_prefix("Addresses:")
                .or_else(|| trimmed.strip_prefix("Address:"))
                .or_else(|| numbered_address(trimmed));
            if let Some(value) = address {
                let value = value.trim();
                if !in_answer && !server_address_seen {
                    server_address_seen = true;
                    if answer.server.is_none() && !value.is_empty() {
                        answer.server = Some(strip_port(value));
                    }
                    continue;
                }
                if !value.is_empty() {
                    answer.addresses.push(strip_port(value));
                }
                open = Open::Addresses;
            }
        }
        if !aliases.is_empty() {
            // Windows: the first alias is the name asked for, the rest are the chain, and the
            // final name (`Name:`) ends it, as the target of the last alias.
            answer.query.get_or_insert_with(|| aliases.remove(0));
            answer.cnames.extend(aliases);
            if let Some(name) = answer.answer_name.clone() {
                answer.cnames.push(name);
            }
        }
        // Without a chain the output names only the final name; the command, when seen, says
        // what was asked.
        if answer.query.is_none() {
            answer.query = query_from_command
                .clone()
                .or_else(|| answer.answer_name.clone());
        }
        if answer.query.is_none() && answer.addresses.is_empty() && answer.error.is_none() {
            continue;
        }
        answer.classify_addresses();
        emit(&answer, &block, sink);
    }
}

/// `Address 1: 10.0.0.10 kube-dns...` (BusyBox before 1.28) gives its value.
fn numbered_address(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("Address ")?;
    let (number, value) = rest.split_once(':')?;
    number.trim().parse::<u32>().is_ok().then_some(value)
}

/// The `<name>: <reason>` of `** server can't find ...` (BIND, BusyBox) or `*** <server> can't
/// find ...` and `*** Can't find <name>: No answer` (Windows, BIND), but not Windows's
/// `*** Can't find server name for address ...`, which is about the server's own PTR record.
fn cant_find(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("** server can't find ").or_else(|| {
        let stars = line.strip_prefix("*** ")?;
        if stars.starts_with("Can't find server name") {
            return None;
        }
        stars
            .split_once("can't find ")
            .or_else(|| stars.split_once("Can't find "))
            .map(|(_, rest)| rest)
    })?;
    Some(rest.trim())
}

/// Records a `dns` fact spanning the block's lines.
pub fn emit(answer: &DnsAnswer, block: &[&Line], sink: &mut Sink<'_>) {
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
    sink.fact("dns", first, last, &text, answer);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn nslookup(text: &str, command: Option<&str>) -> Vec<serde_json::Value> {
        crate::parse::test_facts(text, |lines, sink| parse_nslookup(lines, command, sink))
    }

    #[test]
    fn windows_lists_the_query_first_among_aliases() {
        let facts = nslookup(
            "Server:  UnKnown\nAddress:  10.1.0.4\n\nNon-authoritative answer:\nName:    azkms-prod-eus-a.eastus.cloudapp.azure.com\nAddresses:  2603:1030:7:5::24\n          20.62.134.229\nAliases:  www.vault.azure.net\n          data-prod-eus.vaultcore.azure.net\n",
            None,
        );
        let f = &facts[0];
        assert_eq!(f["query"], "www.vault.azure.net");
        assert_eq!(f["server"], "10.1.0.4");
        assert_eq!(
            f["cnames"],
            serde_json::json!([
                "data-prod-eus.vaultcore.azure.net",
                "azkms-prod-eus-a.eastus.cloudapp.azure.com"
            ])
        );
        assert_eq!(
            f["addresses"],
            serde_json::json!(["2603:1030:7:5::24", "20.62.134.229"])
        );
        assert_eq!(f["public_addresses"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn stderr_first_and_old_busybox_layouts() {
        // Windows under Git Bash prints the error before the server lines.
        let facts = nslookup(
            "*** UnKnown can't find kv-x.vault.azure.net: Non-existent domain\nServer:  UnKnown\nAddress:  192.168.86.1\n",
            None,
        );
        assert_eq!(facts.len(), 1);
        assert_eq!(facts[0]["error"], "NXDOMAIN");
        assert_eq!(facts[0]["server"], "192.168.86.1");
        // BusyBox before 1.28 numbers addresses and appends the reverse name.
        let facts = nslookup(
            "Server:    10.0.0.10\nAddress 1: 10.0.0.10 kube-dns.kube-system.svc.cluster.local\n\nName:      kv.vault.azure.net\nAddress 1: 10.10.1.4 kv.privatelink.vaultcore.azure.net\n",
            Some("nslookup kv.vault.azure.net"),
        );
        assert_eq!(facts[0]["server"], "10.0.0.10");
        assert_eq!(facts[0]["addresses"], serde_json::json!(["10.10.1.4"]));
        assert_eq!(strip_port("[fd00::10]:53"), "fd00::10");
        assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
    }

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
