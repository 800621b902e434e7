//! DNS answers from `dig` (BIND 9): the header's status, the question, the answer section's
//! records, and the server line; `dig +short` when the command line says so.

use super::dns::{clean, emit, query_of_command, strip_port, DnsAnswer};
use super::Sink;
use crate::text::lines::Line;

/// One resource record of an answer section.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    owner: String,
    rtype: String,
    data: String,
}

/// Record types that can appear in an answer section; the first of them after the owner name
/// is the type (TTL and class may be hidden with `+nottlid` and `+nocl`).
const TYPES: &[&str] = &[
    "A", "AAAA", "CNAME", "SOA", "NS", "PTR", "MX", "TXT", "SRV", "CAA", "DNAME",
];

fn record(line: &str) -> Option<Record> {
    let mut words = line.split_whitespace();
    let owner = words.next()?;
    let rest: Vec<&str> = words.collect();
    let position = rest.iter().position(|w| TYPES.contains(w))?;
    // Everything before the type must be a TTL or a class, or this is not a record line.
    let prefix_ok = rest
        .iter()
        .take(position)
        .all(|w| w.parse::<u64>().is_ok() || matches!(*w, "IN" | "CH" | "HS" | "ANY"));
    if !prefix_ok {
        return None;
    }
    let rtype = (*rest.get(position)?).to_owned();
    let data = rest.get(position + 1..)?.join(" ");
    Some(Record {
        owner: clean(owner),
        rtype,
        data,
    })
}

/// Follows the CNAME records from `query` and collects the addresses at the end of the chain.
fn answer_from_records(answer: &mut DnsAnswer, records: &[Record]) {
    let mut name = answer.query.clone();
    // Each CNAME step is taken once, so a looping chain cannot loop here.
    for _ in 0..records.len() {
        let Some(current) = name.clone() else { break };
        let next = records
            .iter()
            .find(|r| r.rtype == "CNAME" && r.owner == current)
            .map(|r| clean(&r.data));
        match next {
            Some(target) if !answer.cnames.contains(&target) => {
                answer.cnames.push(target.clone());
                name = Some(target);
            }
            _ => break,
        }
    }
    // Records the chain did not reach (another query's, or a chain printed without the query)
    // still count: dig prints only what the server answered for this question.
    for r in records.iter().filter(|r| r.rtype == "CNAME") {
        let target = clean(&r.data);
        if !answer.cnames.contains(&target) {
            answer.cnames.push(target);
        }
    }
    for r in records
        .iter()
        .filter(|r| r.rtype == "A" || r.rtype == "AAAA")
    {
        answer.answer_name.get_or_insert_with(|| r.owner.clone());
        answer.addresses.push(r.data.clone());
    }
}

/// Parses `dig` output. One fact per question (`dig a b` prints a block for each).
pub fn parse_dig(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let from_command = query_of_command(command, &["-t", "-c", "-p", "-q", "-x", "-b", "-k", "-y"]);
    let short = command.is_some_and(|c| c.split_whitespace().any(|w| w == "+short"));
    if short && !lines.iter().any(|l| l.text.starts_with(';')) {
        parse_short(lines, from_command, sink);
        return;
    }
    // A new block starts at the banner, or at a second `Got answer` under one banner.
    let mut blocks: Vec<Vec<&Line>> = Vec::new();
    let mut answered = false;
    for line in lines {
        let banner = line.text.starts_with("; <<>> DiG");
        let got = line.text.starts_with(";; Got answer:");
        if blocks.is_empty() || banner || (got && answered) {
            blocks.push(Vec::new());
            answered = false;
        }
        answered |= got;
        if let Some(block) = blocks.last_mut() {
            block.push(line);
        }
    }
    for block in blocks {
        let mut answer = DnsAnswer::new("dig");
        let mut records = Vec::new();
        let mut section = "";
        let mut status: Option<String> = None;
        let mut banner_query: Option<String> = None;
        for line in &block {
            let text = line.text.trim();
            if let Some(rest) = text.strip_prefix("; <<>> DiG") {
                // `; <<>> DiG 9.18.30 <<>> kv.vault.azure.net`: the last words are the arguments.
                banner_query = rest
                    .rsplit_once("<<>>")
                    .and_then(|(_, args)| {
                        args.split_whitespace()
                            .find(|w| !w.starts_with(['+', '-', '@']))
                    })
                    .map(clean);
            } else if let Some(header) = text.strip_prefix(";; ->>HEADER<<-") {
                status = header
                    .split(',')
                    .find_map(|part| part.trim().strip_prefix("status:"))
                    .map(|s| s.trim().to_owned());
            } else if let Some(server) = text.strip_prefix(";; SERVER:") {
                answer.server = Some(strip_port(server.trim()));
            } else if text.starts_with(";; connection timed out")
                || text.contains("no servers could be reached")
            {
                answer.error = Some("timeout".to_owned());
            } else if let Some(name) = text.strip_suffix(" SECTION:") {
                section = name.trim_start_matches(';').trim();
            } else if let Some(question) = text.strip_prefix(';') {
                if section == "QUESTION" && !question.starts_with(';') {
                    if let Some(name) = question.split_whitespace().next() {
                        answer.query = Some(clean(name));
                    }
                }
            } else if section == "ANSWER" {
                records.extend(record(text));
            }
        }
        if answer.query.is_none() {
            answer.query = banner_query.or_else(|| from_command.clone());
        }
        match status.as_deref() {
            Some("NOERROR") | None => {}
            Some(other) => answer.error = Some(other.to_owned()),
        }
        answer_from_records(&mut answer, &records);
        if status.as_deref() == Some("NOERROR") && answer.addresses.is_empty() {
            answer
                .error
                .get_or_insert_with(|| "NOERROR-NODATA".to_owned());
        }
        if answer.query.is_none() && answer.error.is_none() && answer.addresses.is_empty() {
            continue;
        }
        answer.classify_addresses();
        emit(&answer, &block, sink);
    }
}

/// `dig +short`: the chain's names, then the addresses, one a line.
fn parse_short(lines: &[Line], query: Option<String>, sink: &mut Sink<'_>) {
    let mut answer = DnsAnswer::new("dig");
    answer.query = query;
    let block: Vec<&Line> = lines.iter().collect();
    for line in &block {
        let value = line.text.trim();
        if value.is_empty() {
            continue;
        }
        if value.parse::<std::net::IpAddr>().is_ok() {
            answer.addresses.push(value.to_owned());
        } else {
            answer.cnames.push(clean(value));
        }
    }
    if !answer.addresses.is_empty() {
        answer.answer_name = answer.cnames.last().cloned().or(answer.query.clone());
    }
    answer.classify_addresses();
    emit(&answer, &block, sink);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn nxdomain_and_short_answers() {
        let text = "; <<>> DiG 9.18.30 <<>> kv-x.vault.azure.net\n;; global options: +cmd\n;; Got answer:\n;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 1\n;; flags: qr rd ra; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1\n\n;; QUESTION SECTION:\n;kv-x.vault.azure.net.\t\tIN\tA\n\n;; AUTHORITY SECTION:\nvault.azure.net.\t60\tIN\tSOA\tns1.example. hostmaster.example. 1 900 600 86400 60\n\n;; SERVER: 10.0.0.10#53(10.0.0.10) (UDP)\n";
        let facts = crate::parse::test_facts(text, |lines, sink| parse_dig(lines, None, sink));
        assert_eq!(facts[0]["query"], "kv-x.vault.azure.net");
        assert_eq!(facts[0]["error"], "NXDOMAIN");
        assert_eq!(facts[0]["addresses"], serde_json::json!([]));
        let facts = crate::parse::test_facts(
            "kv.privatelink.vaultcore.azure.net.\n10.10.1.4\n",
            |lines, sink| parse_dig(lines, Some("dig +short kv.vault.azure.net"), sink),
        );
        assert_eq!(facts[0]["query"], "kv.vault.azure.net");
        assert_eq!(
            facts[0]["private_addresses"],
            serde_json::json!(["10.10.1.4"])
        );
        assert_eq!(facts[0]["via_privatelink"], true);
    }
}
