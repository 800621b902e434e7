//! Classification and segmentation: deciding from content what each part of a document is.
//!
//! A paste may hold an events table, then log lines, then a shell session with `nslookup` and
//! `nc`. Each line yields at most one *signal* (a kind it can only belong to); consecutive lines
//! form a segment of one kind, and lines without a signal (blank lines, wrapped continuations,
//! tool output without markers) stay in the segment they follow. A shell prompt closes the
//! current segment and tells what the next output is. The file name is only a hint, used when the
//! content carries no signal at all.

use crate::text::gated::Gated;
use crate::text::lines::Line;
use crate::text::normalize::split_prefix;
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

/// What a segment holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SegmentKind {
    /// Pod logs: klog printf or structured, logrus text, JSON lines.
    Log,
    /// `kubectl describe pod` (its Events section included).
    DescribePod,
    /// `kubectl get events` table.
    EventsTable,
    /// `nslookup` in BIND, Windows or BusyBox style.
    Nslookup,
    /// `dig`.
    Dig,
    /// `host`.
    Host,
    /// PowerShell `Resolve-DnsName`.
    ResolveDnsName,
    /// `nc` (OpenBSD, BusyBox) or Ncat.
    Nc,
    /// PowerShell `Test-NetConnection`.
    TestNetConnection,
    /// `curl -v`.
    Curl,
    /// A JSON document (`az ... -o json`, `kubectl get -o json`).
    Json,
    /// A YAML document (`kubectl get -o yaml`).
    Yaml,
    /// A `kubectl get` table.
    Table,
    /// A bare value from `--query ... -o tsv`.
    Scalar,
    /// A shell command line (prompt included).
    Command,
    /// Anything else: still scanned for patterns.
    Text,
}

impl SegmentKind {
    /// The kebab-case name used in reports and `kvcsi facts`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::DescribePod => "describe-pod",
            Self::EventsTable => "events-table",
            Self::Nslookup => "nslookup",
            Self::Dig => "dig",
            Self::Host => "host",
            Self::ResolveDnsName => "resolve-dns-name",
            Self::Nc => "nc",
            Self::TestNetConnection => "test-net-connection",
            Self::Curl => "curl",
            Self::Json => "json",
            Self::Yaml => "yaml",
            Self::Table => "table",
            Self::Scalar => "scalar",
            Self::Command => "command",
            Self::Text => "text",
        }
    }
}

/// A run of lines of one kind: indices into the document's lines, inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// The kind.
    pub kind: SegmentKind,
    /// Index of the first line in the document's line vector.
    pub start: usize,
    /// Index one past the last line.
    pub end: usize,
    /// For segments that follow a shell prompt: the command that produced them.
    pub command: Option<String>,
}

fn re(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

// The line classes below run on every line of a document: each is compiled on first use, in
// its ASCII form for ASCII lines (see `text::gated`; no literal gate, every line is tried).
macro_rules! regex {
    ($name:ident, $pattern:expr) => {
        static $name: Gated = Gated::new(&[""], false, $pattern);
    };
}

/// Commands whose output kvcsi reads; a line starting with one is a command line.
/// PowerShell cmdlet names are case-insensitive.
const COMMANDS: &str = r"(?:kubectl|k|az|nslookup|dig|host|nc|ncat|netcat|curl|curl\.exe|wget|(?i:Resolve-DnsName|Test-NetConnection)|tnc|helm|stern|cat|grep|echo|ping|openssl|telnet)";

static PROMPT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(&format!(
        r"^(?:\([^)]*\) )?(?:[\w.@~:/\\-]*(?: [~/][\w./-]*)? ?[$#%>] ?|PS [^>]*> ?|[A-Z]:\\[^>]*> ?)(?P<cmd>{COMMANDS}\b.*)$"
    ))
});
regex!(
    BARE_COMMAND,
    r"^(?P<cmd>(?:nslookup|dig|nc|ncat|curl|curl\.exe|kubectl|az|(?i:Resolve-DnsName|Test-NetConnection)) +[\w-].*)$"
);
regex!(KLOG, r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^ \]]+\] ");
regex!(LOGRUS, r#"^time="[^"]*" level=\w+ "#);
regex!(JSON_LOG, r#"^\{"(?:level|ts|time|msg|severity)":"#);
// stern announces each container it follows: `+ [<namespace>] <pod> › <container>` (and `-` when
// it goes).
regex!(STERN_EVENT, r"^[+-] (?:\S+ )?\S+ \x{203A} \S+");
regex!(
    EVENTS_HEADER_DESCRIBE,
    r"^\s+Type\s+Reason\s+Age\s+From\s+Message\s*$"
);
regex!(
    EVENTS_TABLE_HEADER,
    r"^(?:NAMESPACE\s+)?LAST SEEN\s+TYPE\s+REASON\s+(?:OBJECT|KIND)\b"
);
regex!(
    DESCRIBE_FIELD,
    r"^(?:Namespace|Priority|Service Account|Node|Start Time|Labels|Annotations|Status|IP|IPs|Controlled By|Containers|Volumes|Conditions|QoS Class|Node-Selectors|Tolerations):\s"
);
regex!(
    NSLOOKUP,
    r"^(?:Server:\s+\S|Address(?: \d+)?:\s+\S+[#:]53\b|Non-authoritative answer:|\*\* server can't find|\*\*\* .* can't find|Aliases:\s|;; connection timed out|\S+\s+canonical name = |DNS request timed out\.)"
);
regex!(
    DIG,
    r"^(?:; <<>> DiG|;; (?:global options|Got answer|->>HEADER<<-|QUESTION SECTION|ANSWER SECTION|Query time|SERVER:|flags:))"
);
regex!(
    HOST,
    r"^(?:\S+ is an alias for \S+\.?$|\S+ has (?:IPv6 )?address \S+$|Host \S+ not found: )"
);
// The table header, the list form PowerShell falls back to for a second record type, and the
// error record `Resolve-DnsName : <name> : DNS name does not exist`.
regex!(
    RESOLVE_DNS_NAME,
    r"^(?:Name\s+Type\s+TTL\s+Section\b|(?:QueryType|IP4Address|IP6Address|NameHost)\s+:\s|(?i:Resolve-DnsName) : )"
);
regex!(
    NC,
    r"^(?:Connection to \S+ (?:\(\S+\) )?\d+ port \[.*succeeded!|nc: (?:connect to|getaddrinfo|bad address|\S+ \(\S+\)|\S+: )|Ncat: |\S+ \(\S+:\d+\) open$)"
);
regex!(
    TNC,
    r"^(?:(?:ComputerName|RemoteAddress|RemotePort|TcpTestSucceeded|PingSucceeded)\s+:|WARNING: (?:TCP connect to|Name resolution of|Ping to) )"
);
regex!(
    CURL,
    r"^(?:\*   Trying |\* (?:Connected to|Could not resolve|Failed to connect|connect to|ALPN|TLS|SSL|Closing connection|closing connection|Connection #|  |Host |using HTTP|Request completely|Mark bundle|Uses proxy|Connection timed out|Resolving timed out|schannel|Server certificate|Established|IPv[46]: |processing: |Rebuilt URL|Hostname was|Immediate connect|Recv failure|Expire in)|> (?:GET|POST|PUT|HEAD|Host:|User-Agent:|Accept:|Metadata:|Content-)|< HTTP/|curl: \(\d+\)|Note: Unnecessary use of -X|\s+% Total\s+% Received)"
);
regex!(
    TABLE_HEADER,
    r"^(?:NAMESPACE|NAME)(?: {2,}[A-Z][A-Z0-9()/-]*(?: [A-Z][A-Z0-9()/-]*)*)+\s*$"
);
regex!(
    YAML_START,
    r"^(?:apiVersion|kind|metadata|items):(?:\s|$)|^---\s*$"
);
regex!(YAML_LINE, r"^(?:[\w./-]+:(?:\s|$)|\s+\S|- |\s*#|\.\.\.$)");
regex!(SCALAR, r"^[\w.:/@+-]{1,200}$");
regex!(NOT_FOUND, r"^Error from server \(NotFound\)");

/// Whether a line is a shell prompt or a bare command line; returns the command.
pub fn command_of(line: &str) -> Option<String> {
    // Each regex is compiled and run only for a line where its match could be: most lines of
    // a log can be neither, and then neither regex is built.
    let command =
        |caps: regex::Captures<'_>| caps.name("cmd").map(|m| m.as_str().trim().to_owned());
    if may_hold_prompt(line) {
        if let Some(caps) = PROMPT.as_ref().and_then(|re| re.captures(line)) {
            return command(caps);
        }
    }
    if line.bytes().next().is_some_and(starts_command) {
        if let Some(caps) = BARE_COMMAND.get(line).and_then(|re| re.captures(line)) {
            return command(caps);
        }
    }
    None
}

/// Whether a byte can start one of [`COMMANDS`] (`R` and `T` in either case for the PowerShell
/// cmdlets, which no other character folds to).
fn starts_command(byte: u8) -> bool {
    b"kandhcwrRtTsgepo".contains(&byte)
}

/// Whether [`PROMPT`] could match `line`: every prompt it knows ends in `$`, `#`, `%` or `>`,
/// followed by at most one space and then the command.
fn may_hold_prompt(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.iter().enumerate().any(|(i, b)| {
        if !b"$#%>".contains(b) {
            return false;
        }
        let next = |n: usize| bytes.get(i + n).copied();
        next(1).is_some_and(starts_command)
            || (next(1) == Some(b' ') && next(2).is_some_and(starts_command))
    })
}

/// What output a command produces.
pub fn kind_of_command(command: &str) -> Option<SegmentKind> {
    let mut words = command.split_whitespace();
    let first = words.next()?.trim_end_matches(".exe");
    let cmdlet = first.to_ascii_lowercase();
    let has = |flag: &str| {
        command
            .split_whitespace()
            .any(|w| w == flag || w.starts_with(&format!("{flag}=")))
    };
    let output_json = command.contains("-o json")
        || command.contains("--output json")
        || command.contains("-ojson")
        || command.contains("-o=json");
    let output_yaml = command.contains("-o yaml")
        || command.contains("--output yaml")
        || command.contains("-oyaml")
        || command.contains("-o=yaml");
    Some(match first {
        "nslookup" => SegmentKind::Nslookup,
        "dig" => SegmentKind::Dig,
        "host" => SegmentKind::Host,
        _ if cmdlet == "resolve-dnsname" => SegmentKind::ResolveDnsName,
        "nc" | "ncat" | "netcat" => SegmentKind::Nc,
        _ if cmdlet == "test-netconnection" || cmdlet == "tnc" => SegmentKind::TestNetConnection,
        "curl" => SegmentKind::Curl,
        "az" if command.contains("-o tsv") || command.contains("--output tsv") => {
            SegmentKind::Scalar
        }
        "az" if command.contains("-o table") || command.contains("--output table") => {
            SegmentKind::Table
        }
        "az" if output_yaml => SegmentKind::Yaml,
        "az" => SegmentKind::Json,
        "kubectl" | "k" => {
            let sub = words.next().unwrap_or_default();
            match sub {
                "logs" => SegmentKind::Log,
                // `kubectl events` (1.26+) prints the events table with `(xN over T)` counts.
                "events" if !output_json && !output_yaml => SegmentKind::EventsTable,
                "describe" => SegmentKind::DescribePod,
                "get" if output_json => SegmentKind::Json,
                "get" if output_yaml => SegmentKind::Yaml,
                "get" if command.contains(" events") || command.contains(" ev ") => {
                    SegmentKind::EventsTable
                }
                "get" => SegmentKind::Table,
                _ if has("-o") && output_json => SegmentKind::Json,
                _ => SegmentKind::Text,
            }
        }
        "stern" => SegmentKind::Log,
        _ => return None,
    })
}

/// The kind a single line can only belong to, if any.
pub fn signal(line: &str) -> Option<SegmentKind> {
    // `kubectl logs --prefix` and stern put the pod and container before every line, and
    // `--timestamps` a timestamp: whatever follows such a prefix is log output.
    let (prefix, rest) = split_prefix(line);
    if prefix.pod.is_some() {
        return Some(SegmentKind::Log);
    }
    if prefix.timestamp.is_some() {
        return (own_signal(rest) == Some(SegmentKind::Log)).then_some(SegmentKind::Log);
    }
    own_signal(line)
}

/// The kind a line without any log prefix can only belong to.
fn own_signal(line: &str) -> Option<SegmentKind> {
    let matches = |re: &Gated| re.get(line).is_some_and(|re| re.is_match(line));
    let first = line.as_bytes().first().copied();
    match first {
        Some(b'I' | b'W' | b'E' | b'F') if matches(&KLOG) => return Some(SegmentKind::Log),
        Some(b't') if matches(&LOGRUS) => return Some(SegmentKind::Log),
        Some(b'{') if matches(&JSON_LOG) => return Some(SegmentKind::Log),
        Some(b'+' | b'-') if matches(&STERN_EVENT) => return Some(SegmentKind::Log),
        Some(b'{' | b'[') => return Some(SegmentKind::Json),
        _ => {}
    }
    let checks: [(&Gated, SegmentKind); 13] = [
        (&EVENTS_HEADER_DESCRIBE, SegmentKind::DescribePod),
        (&EVENTS_TABLE_HEADER, SegmentKind::EventsTable),
        (&DESCRIBE_FIELD, SegmentKind::DescribePod),
        (&DIG, SegmentKind::Dig),
        (&NSLOOKUP, SegmentKind::Nslookup),
        (&HOST, SegmentKind::Host),
        (&RESOLVE_DNS_NAME, SegmentKind::ResolveDnsName),
        (&NC, SegmentKind::Nc),
        (&TNC, SegmentKind::TestNetConnection),
        (&CURL, SegmentKind::Curl),
        (&TABLE_HEADER, SegmentKind::Table),
        (&YAML_START, SegmentKind::Yaml),
        (&NOT_FOUND, SegmentKind::Table),
    ];
    checks
        .into_iter()
        .find(|(re, _)| matches(re))
        .map(|(_, kind)| kind)
}

/// Whether a segment of kind `current` absorbs a line whose own signal is `next`.
fn absorbs(current: SegmentKind, next: SegmentKind) -> bool {
    use SegmentKind::*;
    match (current, next) {
        (a, b) if a == b => true,
        // describe output holds field lines, tables and the events header.
        (DescribePod, EventsTable | Table | Nslookup | Yaml | Host) => true,
        // curl prints the response body (often JSON) after its trace lines.
        (Curl, Json | Nslookup | Host) => true,
        (Nslookup | Dig | Host, Nslookup | Dig | Host) => true,
        (Nc, Nslookup) => false,
        (EventsTable | Table, Table) => true,
        (Yaml, Nslookup | Table | Host | DescribePod) => true,
        (ResolveDnsName | TestNetConnection, Table | Nslookup) => true,
        _ => false,
    }
}

/// Splits a document into segments. Lines must already be normalised.
pub fn segment(lines: &[Line]) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut current: Option<Segment> = None;
    let mut json = JsonDepth::default();
    let mut expected: Option<(SegmentKind, String)> = None;
    let mut azcore = AzcoreBlock::default();

    for (index, line) in lines.iter().enumerate() {
        let text = line.text.as_str();
        // Inside an open JSON document every line belongs to it.
        if let Some(seg) = current.as_mut() {
            if json.open() {
                json.feed(text);
                seg.end = index + 1;
                if !json.open() && seg.kind == SegmentKind::Json {
                    segments.extend(current.take());
                }
                continue;
            }
        }
        // The azcore SDK prints an error over several lines (`GET <url>`, a dashed rule,
        // `RESPONSE 403: ...`, `ERROR CODE: ...`, the JSON body, a dashed rule), and kubectl and
        // the driver print it with those newlines: the block belongs to the record above it.
        if let Some(seg) = current.as_mut() {
            if azcore.absorbs(text) {
                seg.end = index + 1;
                continue;
            }
        }
        if let Some(command) = command_of(text) {
            segments.extend(current.take());
            segments.push(Segment {
                kind: SegmentKind::Command,
                start: index,
                end: index + 1,
                command: Some(command.clone()),
            });
            expected = kind_of_command(&command).map(|k| (k, command));
            continue;
        }
        let trimmed = text.trim_start();
        let mut signal = signal(trimmed).or_else(|| signal(text));
        if trimmed.is_empty() {
            signal = None;
        }
        let indented = text.starts_with([' ', '\t']) && !trimmed.is_empty();
        // YAML lines carry no signal of their own; keep them while they look like YAML. An
        // indented line is always inside the document, whatever it holds (an annotation with
        // the last applied configuration as JSON, a multi-line parameter).
        if let Some(seg) = current.as_ref() {
            if seg.kind == SegmentKind::Yaml {
                let yaml_like =
                    trimmed.is_empty() || YAML_LINE.get(text).is_some_and(|re| re.is_match(text));
                // `kubectl describe` fields look like YAML keys, but no YAML that kubectl or az
                // print has a capitalised `Namespace:` or `Node:` at the top level: a describe
                // pasted after a YAML document starts there.
                let foreign = signal.is_some_and(|s| {
                    s == SegmentKind::Log
                        || s == SegmentKind::Json
                        || (s == SegmentKind::DescribePod && !indented)
                });
                if indented || (yaml_like && !foreign) {
                    if let Some(seg) = current.as_mut() {
                        seg.end = index + 1;
                    }
                    continue;
                }
            }
        }
        // Indented lines continue a log record: klog's multi-line values (`err=<` ... ` >`),
        // wrapped messages and embedded YAML or JSON belong to the line above them. Only a
        // line that starts a record of its own or a `kubectl describe` section breaks out.
        if let Some(seg) = current.as_mut() {
            let breaks = matches!(
                signal,
                Some(SegmentKind::Log | SegmentKind::DescribePod | SegmentKind::EventsTable)
            );
            if seg.kind == SegmentKind::Log && indented && !breaks {
                seg.end = index + 1;
                continue;
            }
        }
        let continues = match (current.as_ref(), signal) {
            (Some(seg), Some(SegmentKind::DescribePod))
                if seg.kind == SegmentKind::Yaml && !indented =>
            {
                false
            }
            // Nor does `kubectl describe` print an unindented `apiVersion:` or `kind:`: that is a
            // manifest pasted after it.
            (Some(seg), Some(SegmentKind::Yaml))
                if seg.kind == SegmentKind::DescribePod
                    && (text.starts_with("apiVersion:") || text.starts_with("kind:")) =>
            {
                false
            }
            (Some(_), None) => true,
            (Some(seg), Some(next)) => absorbs(seg.kind, next),
            (None, _) => false,
        };
        if continues {
            if let Some(seg) = current.as_mut() {
                if seg.kind == SegmentKind::Curl && signal == Some(SegmentKind::Json) {
                    json.feed(text);
                }
                seg.end = index + 1;
            }
            continue;
        }
        if trimmed.is_empty() && current.is_none() {
            continue;
        }
        segments.extend(current.take());
        // `kubectl describe` starts with a `Name:` line that carries no signal of its own, so
        // it went to whatever came before (text, or a table or log pasted just above it).
        let mut start = index;
        if signal == Some(SegmentKind::DescribePod) {
            if let Some(prev) = segments.last() {
                let is_name = prev.kind != SegmentKind::Command
                    && prev.end == index
                    && lines
                        .get(prev.end - 1)
                        .is_some_and(|l| l.text.starts_with("Name:"));
                if is_name {
                    start = prev.end - 1;
                    if prev.start == start {
                        segments.pop();
                    } else if let Some(prev) = segments.last_mut() {
                        prev.end = start;
                    }
                }
            }
        }
        let (kind, command) = match (signal, expected.take()) {
            (Some(kind), Some((expected_kind, command)))
                if absorbs(expected_kind, kind) || kind == SegmentKind::Table =>
            {
                (expected_kind, Some(command))
            }
            (Some(kind), Some((_, command))) => (kind, Some(command)),
            (Some(kind), None) => (kind, None),
            (None, Some((kind, command))) => (kind, Some(command)),
            (None, None) => (SegmentKind::Text, None),
        };
        if kind == SegmentKind::Json {
            json = JsonDepth::default();
            json.feed(text);
            if !json.open() {
                segments.push(Segment {
                    kind,
                    start: index,
                    end: index + 1,
                    command,
                });
                continue;
            }
        }
        current = Some(Segment {
            kind,
            start,
            end: index + 1,
            command,
        });
    }
    segments.extend(current);
    // Trailing blank lines belong to no one.
    for seg in &mut segments {
        while seg.end > seg.start + 1
            && lines
                .get(seg.end - 1)
                .is_some_and(|l| l.text.trim().is_empty())
        {
            seg.end -= 1;
        }
    }
    segments
}

/// Whether a text segment that carries no signal is a bare scalar (`-o tsv` output: one value
/// a line, several values of one line separated by tabs).
pub fn looks_scalar(lines: &[Line]) -> bool {
    let non_empty: Vec<_> = lines.iter().filter(|l| !l.text.trim().is_empty()).collect();
    !non_empty.is_empty()
        && non_empty.len() <= 3
        && non_empty.iter().all(|l| {
            l.text
                .trim()
                .split('\t')
                .map(str::trim)
                .all(|value| SCALAR.get(value).is_some_and(|re| re.is_match(value)))
        })
}

/// Whether a text segment could be `-o tsv` output of values that hold spaces (role names,
/// display names): a few short lines, none indented. Only a `.tsv` name makes it one.
pub fn looks_tsv(lines: &[Line]) -> bool {
    let non_empty: Vec<_> = lines.iter().filter(|l| !l.text.trim().is_empty()).collect();
    !non_empty.is_empty()
        && non_empty.len() <= 50
        && non_empty.iter().all(|l| {
            l.text.len() <= 400
                && !l.text.starts_with([' ', '\t'])
                && !l.text.contains("  ")
                && l.text.chars().all(|c| !c.is_control() || c == '\t')
        })
}

/// Follows an azcore error block that continues a record: it opens at a dashed rule,
/// `RESPONSE nnn:` or `ERROR CODE`, takes the JSON body whole, and ends at the first line that
/// is none of these.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AzcoreBlock {
    open: bool,
    body: JsonDepth,
}

impl AzcoreBlock {
    fn is_marker(text: &str) -> bool {
        let t = text.trim();
        (t.len() >= 20 && t.bytes().all(|b| b == b'-'))
            || t.starts_with("ERROR CODE")
            || (t.starts_with("RESPONSE ") && t.as_bytes().get(9).is_some_and(u8::is_ascii_digit))
    }

    /// Whether `text` belongs to the block (opening it on a marker).
    pub(crate) fn absorbs(&mut self, text: &str) -> bool {
        if self.body.open() {
            self.body.feed(text);
            return true;
        }
        if Self::is_marker(text) {
            self.open = true;
            return true;
        }
        if self.open && text.trim_start().starts_with('{') {
            self.body = JsonDepth::default();
            self.body.feed(text);
            return true;
        }
        self.open = false;
        false
    }
}

/// Tracks bracket depth across lines of a JSON document, ignoring brackets inside strings.
#[derive(Debug, Default, Clone, Copy)]
struct JsonDepth {
    depth: i64,
    in_string: bool,
    escaped: bool,
    started: bool,
}

impl JsonDepth {
    fn feed(&mut self, text: &str) {
        for byte in text.bytes() {
            if self.in_string {
                match (self.escaped, byte) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    self.started = true;
                }
                b'}' | b']' => self.depth -= 1,
                _ => {}
            }
        }
    }

    fn open(&self) -> bool {
        self.started && self.depth > 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn lines(text: &str) -> Vec<Line> {
        text.lines()
            .enumerate()
            .map(|(i, t)| Line {
                number: i as u64 + 1,
                text: t.to_owned(),
            })
            .collect()
    }

    fn kinds(text: &str) -> Vec<(SegmentKind, usize, usize)> {
        segment(&lines(text))
            .into_iter()
            .map(|s| (s.kind, s.start + 1, s.end))
            .collect()
    }

    #[test]
    fn splits_a_mixed_paste() {
        let paste = "\
LAST SEEN   TYPE      REASON        OBJECT          MESSAGE
2m          Warning   FailedMount   pod/app-1       MountVolume.SetUp failed
E1029 17:37:42.461313       1 server.go:54] failed to process mount request
I1029 17:37:43.000000       1 main.go:10] ok
$ nslookup kv.vault.azure.net
Server:\t\t168.63.129.16
Address:\t168.63.129.16#53

Non-authoritative answer:
kv.vault.azure.net\tcanonical name = kv.privatelink.vaultcore.azure.net.
Name:\tazkms.cloudapp.azure.com
Address: 20.1.2.3
$ nc -v -w 2 kv.vault.azure.net 443
nc: connect to kv.vault.azure.net port 443 (tcp) timed out: Operation now in progress
{
  \"a\": [1, {\"b\": \"}\"}]
}
";
        assert_eq!(
            kinds(paste),
            vec![
                (SegmentKind::EventsTable, 1, 2),
                (SegmentKind::Log, 3, 4),
                (SegmentKind::Command, 5, 5),
                (SegmentKind::Nslookup, 6, 12),
                (SegmentKind::Command, 13, 13),
                (SegmentKind::Nc, 14, 14),
                (SegmentKind::Json, 15, 17),
            ]
        );
    }

    #[test]
    fn describe_pod_after_a_table_keeps_its_name() {
        // Found by the segment-order property (core/tests/determinism.rs): pasted after a
        // table, the `Name:` line stayed with the table and the pod lost its name.
        let text = "NAMESPACE   NAME                AGE\ndefault     azure-kv-checkout   6h\n\nName:         app\nNamespace:    checkout\nNode:         aks-1/10.0.0.4\n";
        assert_eq!(
            kinds(text),
            vec![(SegmentKind::Table, 1, 2), (SegmentKind::DescribePod, 4, 6)]
        );
    }

    #[test]
    fn describe_pod_after_yaml_is_not_yaml() {
        // Found by the segment-order property: a describe pasted after a SecretProviderClass
        // in YAML was read as more YAML, and the pod was lost.
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n\nName:         app\nNamespace:    lab\nNode:         aks-1/10.0.0.4\n";
        assert_eq!(
            kinds(text),
            vec![(SegmentKind::Yaml, 1, 4), (SegmentKind::DescribePod, 6, 8)]
        );
    }

    #[test]
    fn yaml_after_describe_pod_is_yaml() {
        let text = "Name:         app\nNamespace:    lab\nNode:         aks-1/10.0.0.4\n\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
        assert_eq!(
            kinds(text),
            vec![(SegmentKind::DescribePod, 1, 3), (SegmentKind::Yaml, 5, 8)]
        );
    }

    #[test]
    fn describe_pod_keeps_its_events() {
        let text = "Name:         app\nNamespace:    default\nNode:         aks-1/10.0.0.4\nEvents:\n  Type     Reason       Age   From     Message\n  ----     ------       ----  ----     -------\n  Warning  FailedMount  3s    kubelet  MountVolume.SetUp failed\n";
        let segs = kinds(text);
        assert_eq!(segs.last().map(|s| s.0), Some(SegmentKind::DescribePod));
        assert!(segs.iter().all(|s| s.0 != SegmentKind::Log));
    }

    #[test]
    fn azcore_error_blocks_stay_with_their_record() {
        let text = "E1029 17:37:42.461313       1 server.go:54] failed to process mount request, error: GET https://kv.vault.azure.net/secrets/x/\n--------------------------------------------------------------------------------\nRESPONSE 404: 404 Not Found\nERROR CODE: SecretNotFound\n--------------------------------------------------------------------------------\n{\n  \"error\": {\n    \"code\": \"SecretNotFound\"\n  }\n}\n--------------------------------------------------------------------------------\nI1029 17:37:43.000000       1 main.go:10] next\n".replace("\\n", "\n");
        assert_eq!(kinds(&text), vec![(SegmentKind::Log, 1, 12)]);
    }
}
