//! DNS answers from `host` (BIND 9): `<name> is an alias for <target>.`, `<name> has address
//! <ip>`, `<name> has IPv6 address <ip>`, `Host <name> not found: 3(NXDOMAIN)`.
//!
//! `host` asks for A, AAAA and MX records in turn and prints the alias lines again for each, so
//! the chain is deduplicated. A `Using domain server:` preamble names the server.

use super::dns::{clean, emit, query_of_command, strip_port, DnsAnswer};
use super::Sink;
use crate::text::lines::Line;

/// Parses `host` output into one fact per name asked for.
pub fn parse_host(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let from_command = query_of_command(command, &["-t", "-c", "-W", "-R", "-N", "-m"]);
    let mut answer = DnsAnswer::new("host");
    let mut block: Vec<&Line> = Vec::new();
    let mut server_preamble = false;
    let mut facts = Vec::new();
    for line in lines {
        let text = line.text.trim();
        // A name that neither continues the chain nor ends it starts another lookup.
        let owner = owner_of(text);
        let continues = match (&owner, &answer.query) {
            (Some(owner), Some(query)) => {
                owner == query
                    || answer.cnames.contains(owner)
                    || answer.answer_name.as_ref() == Some(owner)
            }
            _ => true,
        };
        if !continues {
            facts.push((
                std::mem::replace(&mut answer, DnsAnswer::new("host")),
                block,
            ));
            block = Vec::new();
        }
        block.push(line);
        if text.starts_with("Using domain server:") {
            server_preamble = true;
            continue;
        }
        if server_preamble {
            if let Some(address) = text.strip_prefix("Address:") {
                answer.server = Some(strip_port(address));
                server_preamble = false;
            }
            continue;
        }
        if let Some((name, target)) = text.split_once(" is an alias for ") {
            answer.query.get_or_insert_with(|| clean(name));
            answer.cnames.push(clean(target));
        } else if let Some((name, address)) = text
            .split_once(" has IPv6 address ")
            .or_else(|| text.split_once(" has address "))
        {
            answer.query.get_or_insert_with(|| clean(name));
            answer.answer_name = Some(clean(name));
            answer.addresses.push(address.trim().to_owned());
        } else if let Some(rest) = text.strip_prefix("Host ") {
            if let Some((name, reason)) = rest.split_once(" not found: ") {
                answer.query.get_or_insert_with(|| clean(name));
                answer.error = Some(status_of(reason));
            }
        } else if text.contains("connection timed out")
            || text.contains("no servers could be reached")
        {
            answer.error = Some("timeout".to_owned());
        }
    }
    facts.push((answer, block));
    for (mut answer, block) in facts {
        if answer.query.is_none() {
            answer.query = from_command.clone();
        }
        if answer.query.is_none() && answer.addresses.is_empty() && answer.error.is_none() {
            continue;
        }
        answer.classify_addresses();
        emit(&answer, &block, sink);
    }
}

/// The name a line is about, when it is an answer line.
fn owner_of(text: &str) -> Option<String> {
    [" is an alias for ", " has IPv6 address ", " has address "]
        .iter()
        .find_map(|marker| text.split_once(marker).map(|(name, _)| clean(name)))
}

/// `3(NXDOMAIN)` gives `NXDOMAIN`; `2(SERVFAIL)` gives `SERVFAIL`.
fn status_of(reason: &str) -> String {
    let r = reason.trim();
    r.split_once('(')
        .and_then(|(_, rest)| rest.split(')').next())
        .unwrap_or(r)
        .to_owned()
}
