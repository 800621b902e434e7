//! TCP reachability probes: `nc` (OpenBSD, BusyBox) and Ncat.

use super::Sink;
use crate::text::lines::Line;
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

/// The fields of a `tcp` fact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TcpProbe {
    /// `nc-openbsd`, `nc-busybox`, `ncat`, `test-netconnection`.
    pub tool: &'static str,
    /// Host probed.
    pub host: Option<String>,
    /// Address connected to, when printed.
    pub address: Option<String>,
    /// Port probed.
    pub port: Option<u16>,
    /// `succeeded`, `timeout`, `refused`, `unresolved` or `failed`.
    pub result: &'static str,
}

struct Shape {
    re: Option<Regex>,
    tool: &'static str,
    result: Option<&'static str>,
}

static SHAPES: LazyLock<Vec<Shape>> = LazyLock::new(|| {
    let specs: [(&str, &str, Option<&str>); 9] = [
        (
            r"^Connection to (?P<host>\S+) (?:\((?P<addr>[^)]+)\) )?(?P<port>\d+) port \[[^\]]*\] succeeded!",
            "nc-openbsd",
            Some("succeeded"),
        ),
        (
            r"^nc: connect to (?P<host>\S+) (?:\((?P<addr>[^)]+)\) )?port (?P<port>\d+) \([^)]*\) (?P<what>timed out.*|failed: .*)$",
            "nc-openbsd",
            None,
        ),
        (
            r#"^nc: getaddrinfo(?: for host "(?P<host>[^"]+)" port (?P<port>\d+))?: (?P<what>.*)$"#,
            "nc-openbsd",
            Some("unresolved"),
        ),
        (
            r"^(?P<host>\S+) \((?P<addr>[^:)]+):(?P<port>\d+)\) open$",
            "nc-busybox",
            Some("succeeded"),
        ),
        (
            r"^nc: (?P<host>\S+) \((?P<addr>[^:)]+):(?P<port>\d+)\): (?P<what>.*)$",
            "nc-busybox",
            None,
        ),
        (
            r"^nc: bad address '(?P<host>[^']+)'",
            "nc-busybox",
            Some("unresolved"),
        ),
        (
            r"^Ncat: Connected to (?P<addr>[^:]+|\[[^\]]+\]):(?P<port>\d+)\.",
            "ncat",
            Some("succeeded"),
        ),
        (
            r#"^Ncat: Could not resolve hostname "(?P<host>[^"]+)""#,
            "ncat",
            Some("unresolved"),
        ),
        (
            r"^Ncat: (?P<what>TIMEOUT\.|Connection timed out\.|Connection refused\.|No route to host\.|.*)$",
            "ncat",
            None,
        ),
    ];
    specs
        .into_iter()
        .map(|(p, tool, result)| Shape {
            re: Regex::new(p).ok(),
            tool,
            result,
        })
        .collect()
});

fn result_of(what: &str) -> &'static str {
    let w = what.to_ascii_lowercase();
    if w.contains("timed out") || w.contains("timeout") || w.contains("in progress") {
        "timeout"
    } else if w.contains("refused") {
        "refused"
    } else if w.contains("name or service not known")
        || w.contains("resolve")
        || w.contains("bad address")
        || w.contains("no address")
        || w.contains("temporary failure in name resolution")
    {
        "unresolved"
    } else {
        "failed"
    }
}

/// Target host and port from an `nc`/`ncat` command line.
fn target_of(command: Option<&str>) -> (Option<String>, Option<u16>) {
    let Some(command) = command else {
        return (None, None);
    };
    let words: Vec<&str> = command.split_whitespace().skip(1).collect();
    let mut positional = Vec::new();
    let mut skip_next = false;
    for w in words {
        if skip_next {
            skip_next = false;
            continue;
        }
        if w == "-w" || w == "-i" || w == "-s" || w == "-p" || w == "--wait" {
            skip_next = true;
            continue;
        }
        if !w.starts_with('-') {
            positional.push(w);
        }
    }
    (
        positional.first().map(|h| h.to_string()),
        positional.get(1).and_then(|p| p.parse().ok()),
    )
}

/// Parses probe lines; each recognised line is one fact.
pub fn parse_nc(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let (command_host, command_port) = target_of(command);
    for line in lines {
        let text = line.text.trim();
        if text.starts_with("Ncat: Version")
            || text.starts_with("Ncat: ") && text.contains("bytes sent")
        {
            continue;
        }
        for shape in SHAPES.iter() {
            let Some(caps) = shape.re.as_ref().and_then(|re| re.captures(text)) else {
                continue;
            };
            let get = |n: &str| caps.name(n).map(|m| m.as_str().to_owned());
            let result = shape
                .result
                .unwrap_or_else(|| result_of(&get("what").unwrap_or_default()));
            let probe = TcpProbe {
                tool: shape.tool,
                host: get("host").or_else(|| command_host.clone()),
                address: get("addr"),
                port: get("port").and_then(|p| p.parse().ok()).or(command_port),
                result,
            };
            sink.fact("tcp", line.number, line.number, &line.text, &probe);
            break;
        }
    }
}
