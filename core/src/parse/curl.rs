//! HTTP exchanges from `curl -v` (Linux builds with OpenSSL and `curl.exe` with Schannel on
//! Windows): where it connected, what it asked, what came back, and why it failed.
//!
//! The verbose trace marks its lines: `*` for curl's own notes, `>` for the request, `<` for the
//! response headers; the body follows the empty `<` line, often with curl's closing note glued
//! to it when the body has no trailing newline (`{...}* Connection #0 to host ... left intact`).
//! A failed transfer ends with `curl: (<exit code>) <message>`. Without `-v` only the body (or
//! the error line) is printed; the command line then gives the method and URL.

use super::Sink;
use crate::text::lines::Line;
use serde::Serialize;
use serde_json::Value;

/// The fields of an `http` fact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HttpExchange {
    /// Always `curl` for now.
    pub tool: &'static str,
    /// Request method.
    pub method: Option<String>,
    /// The URL requested: from the request line and `Host:` header, or from the command line.
    pub url: Option<String>,
    /// The host name requested.
    pub host: Option<String>,
    /// The request path with its query string.
    pub path: Option<String>,
    /// The address curl connected (or tried to connect) to.
    pub address: Option<String>,
    /// The port.
    pub port: Option<u16>,
    /// Addresses the name resolved to (curl 8 prints `* IPv4: ...` and `* IPv6: ...`).
    pub resolved_addresses: Vec<String>,
    /// HTTP status of the (last) response.
    pub status: Option<u16>,
    /// Its reason phrase, e.g. `Forbidden`.
    pub reason: Option<String>,
    /// curl's exit code from `curl: (<n>)`.
    pub error_code: Option<u32>,
    /// curl's error message.
    pub error: Option<String>,
    /// What kind of failure that was: `unresolved`, `timeout`, `refused`, `tls` or `failed`.
    pub error_kind: Option<&'static str>,
    /// The error code of a JSON body: `error.code` (Key Vault) or `error` (Entra ID).
    pub body_code: Option<String>,
    /// `error.innererror.code` of a Key Vault error body.
    pub body_inner_code: Option<String>,
    /// `error.message` or `error_description`.
    pub body_message: Option<String>,
    /// Entra ID error numbers of the body (`error_codes`, or `AADSTS<n>` in its text).
    pub aadsts: Vec<String>,
    /// The top-level keys of a JSON body (never their values: a body may hold a secret or a
    /// token).
    pub body_fields: Vec<String>,
    /// `conn_type` of Key Vault's `x-ms-keyvault-network-info` header: `PrivateLink`, `Ipv4`, ...
    pub conn_type: Option<String>,
    /// The client address Key Vault saw (`addr=` of that header).
    pub client_address: Option<String>,
    /// The private endpoint the request came through (`private_endpoint=` of that header).
    pub private_endpoint_id: Option<String>,
    /// The authority of a `WWW-Authenticate: Bearer authorization="..."` challenge.
    pub challenge_authority: Option<String>,
}

/// One exchange being read, with the lines that make its summary.
#[derive(Debug, Default)]
struct Reading {
    exchange: HttpExchange,
    first: u64,
    last: u64,
    summary: Vec<String>,
    tls: bool,
    headers_done: bool,
    body: String,
}

impl Reading {
    fn started(&self) -> bool {
        self.exchange.method.is_some()
            || self.exchange.status.is_some()
            || self.exchange.error_code.is_some()
    }
}

/// What the command line says about the request, for output without a trace.
#[derive(Debug, Default)]
struct Command {
    url: Option<String>,
    method: Option<String>,
}

fn command_request(command: Option<&str>) -> Command {
    let Some(command) = command else {
        return Command::default();
    };
    let words: Vec<&str> = command
        .split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']))
        .collect();
    let url = words
        .iter()
        .find(|w| w.starts_with("https://") || w.starts_with("http://"))
        .map(|w| (*w).to_owned());
    let explicit = words
        .iter()
        .position(|w| *w == "-X" || *w == "--request")
        .and_then(|i| words.get(i + 1))
        .map(|m| m.to_ascii_uppercase());
    let data = words.iter().any(|w| {
        matches!(*w, "-d" | "-F" | "--form")
            || w.starts_with("--data")
            || (w.starts_with("-d") && w.len() > 2 && !w.starts_with("--"))
    });
    let method = explicit.or_else(|| Some(if data { "POST" } else { "GET" }.to_owned()));
    Command { url, method }
}

/// Parses a `curl` segment into `http` facts, one per request.
pub fn parse_curl(lines: &[Line], command: Option<&str>, sink: &mut Sink<'_>) {
    let from_command = command_request(command);
    let mut done: Vec<Reading> = Vec::new();
    let mut current = Reading::default();
    for line in lines {
        let text = line.text.as_str();
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        let connects = trimmed.starts_with("*   Trying ")
            || (trimmed.starts_with("* Host ") && trimmed.contains(" was resolved"))
            || trimmed.starts_with("* Could not resolve host")
            || trimmed.starts_with("* processing: ")
            || trimmed.starts_with("* Rebuilt URL");
        let request = request_line(trimmed);
        let new_request = request.is_some() && current.exchange.method.is_some();
        if (connects && current.started()) || new_request {
            done.push(std::mem::take(&mut current));
        }
        if current.first == 0 {
            current.first = line.number;
        }
        current.last = line.number;
        read_line(&mut current, trimmed, request);
    }
    done.push(current);
    for mut reading in done {
        finish(&mut reading, &from_command);
        let e = &reading.exchange;
        let meaningful = e.method.is_some()
            || e.status.is_some()
            || e.error_code.is_some()
            || e.error.is_some()
            || e.body_code.is_some();
        if !meaningful {
            continue;
        }
        let text = if reading.summary.is_empty() {
            e.url.clone().unwrap_or_default()
        } else {
            reading.summary.join("\n")
        };
        sink.fact(
            "http",
            reading.first,
            reading.last,
            &text,
            &reading.exchange,
        );
    }
}

/// `> GET /secrets/x?api-version=7.4 HTTP/1.1` gives the method and the path.
fn request_line(text: &str) -> Option<(String, String)> {
    let rest = text.strip_prefix("> ")?;
    let mut words = rest.split_whitespace();
    let method = words.next()?;
    let path = words.next()?;
    let version = words.next()?;
    let is_method = method.chars().all(|c| c.is_ascii_uppercase()) && method.len() >= 3;
    (is_method && version.starts_with("HTTP/")).then(|| (method.to_owned(), path.to_owned()))
}

fn read_line(r: &mut Reading, text: &str, request: Option<(String, String)>) {
    let e = &mut r.exchange;
    if let Some((method, path)) = request {
        e.method = Some(method);
        e.path = Some(path);
        r.summary.push(text.to_owned());
        r.headers_done = false;
        return;
    }
    if let Some(note) = text.strip_prefix("* ") {
        read_note(r, note.trim_start());
        return;
    }
    if let Some(header) = text.strip_prefix("> ") {
        if let Some(host) = header_value(header, "Host") {
            e.host = Some(host_without_port(&host));
        }
        return;
    }
    if let Some(header) = text.strip_prefix('<') {
        let header = header.trim();
        if header.is_empty() {
            r.headers_done = true;
            return;
        }
        if let Some(status) = header.strip_prefix("HTTP/") {
            // `HTTP/1.1 403 Forbidden`, `HTTP/2 403`
            let mut words = status.split_whitespace().skip(1);
            e.status = words.next().and_then(|s| s.parse().ok());
            let reason = words.collect::<Vec<_>>().join(" ");
            e.reason = Some(reason).filter(|r| !r.is_empty());
            r.summary.push(text.to_owned());
        } else if let Some(info) = header_value(header, "x-ms-keyvault-network-info") {
            for pair in info.split(';') {
                match pair.trim().split_once('=') {
                    Some(("conn_type", v)) => e.conn_type = Some(v.to_owned()),
                    Some(("addr", v)) => e.client_address = Some(v.to_owned()),
                    Some(("private_endpoint", v)) => e.private_endpoint_id = Some(v.to_owned()),
                    _ => {}
                }
            }
        } else if let Some(challenge) = header_value(header, "WWW-Authenticate") {
            e.challenge_authority = challenge
                .split("authorization=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned);
        }
        return;
    }
    if let Some(rest) = text.strip_prefix("curl: (") {
        if let Some((code, message)) = rest.split_once(')') {
            e.error_code = code.parse().ok();
            e.error = Some(message.trim().to_owned());
            r.summary.push(text.to_owned());
        }
        return;
    }
    // Anything else is body text; curl glues its closing note to a body without a newline.
    let body = [
        "* Connection #",
        "* Closing connection",
        "* closing connection",
    ]
    .iter()
    .filter_map(|note| text.find(note))
    .min()
    .map_or(text, |at| text.get(..at).unwrap_or(text));
    if r.headers_done || e.status.is_none() {
        r.body.push_str(body);
        r.body.push('\n');
    }
}

/// curl's own notes: where it connected, what it resolved, why it failed.
fn read_note(r: &mut Reading, note: &str) {
    let e = &mut r.exchange;
    if let Some(target) = note.strip_prefix("Trying ") {
        // `Trying 203.0.113.44:443...`, `Trying [::1]:443...`
        let target = target.trim_end_matches('.');
        if let Some((address, port)) = target.rsplit_once(':') {
            e.address = Some(address.trim_matches(['[', ']']).to_owned());
            e.port = port.parse().ok();
        }
    } else if let Some(rest) = note.strip_prefix("Connected to ") {
        // `Connected to kv.vault.azure.net (203.0.113.44) port 443 (#0)`
        let mut words = rest.split_whitespace();
        let name = words.next().unwrap_or_default().to_owned();
        e.host.get_or_insert(name);
        if let Some(address) = words.next() {
            e.address = Some(address.trim_matches(['(', ')']).to_owned());
        }
        if let (Some("port"), Some(port)) = (words.next(), words.next()) {
            e.port = port.parse().ok();
        }
    } else if let Some(rest) = note.strip_prefix("Established connection to ") {
        // curl 8.10+: `Established connection to host (10.0.0.1 port 443) from ...`
        let mut words = rest.split_whitespace();
        let name = words.next().unwrap_or_default().to_owned();
        e.host.get_or_insert(name);
        if let Some(address) = words.next() {
            e.address = Some(address.trim_start_matches('(').to_owned());
        }
        if let (Some("port"), Some(port)) = (words.next(), words.next()) {
            e.port = port.trim_end_matches(')').parse().ok();
        }
    } else if let Some(rest) = note.strip_prefix("Host ") {
        // curl 8: `Host kv.vault.azure.net:443 was resolved.`
        if let Some((host, _)) = rest.split_once(" was resolved") {
            if let Some((name, port)) = host.rsplit_once(':') {
                e.host = Some(name.to_owned());
                e.port = port.parse().ok();
            }
        }
    } else if let Some(list) = note
        .strip_prefix("IPv4: ")
        .or_else(|| note.strip_prefix("IPv6: "))
    {
        e.resolved_addresses.extend(
            list.split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty() && *a != "(none)")
                .map(str::to_owned),
        );
    } else if let Some(host) = note.strip_prefix("Could not resolve host: ") {
        e.host.get_or_insert_with(|| host.trim().to_owned());
        e.error.get_or_insert_with(|| note.to_owned());
    } else if note.starts_with("Failed to connect to")
        || (note.starts_with("connect to ") && note.contains(" failed"))
        || note.starts_with("Connection timed out")
        || note.starts_with("Resolving timed out")
    {
        e.error = Some(note.to_owned());
    } else if note.starts_with("TLS")
        || note.starts_with("SSL")
        || note.starts_with("ALPN")
        || note.starts_with("schannel")
    {
        r.tls = true;
    }
}

/// The value of a header line `Name: value`, matched case-insensitively.
fn header_value(header: &str, name: &str) -> Option<String> {
    let (key, value) = header.split_once(':')?;
    key.trim()
        .eq_ignore_ascii_case(name)
        .then(|| value.trim().to_owned())
}

fn host_without_port(host: &str) -> String {
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.contains(':') => {
            name.to_owned()
        }
        _ => host.to_owned(),
    }
}

/// Fills what the lines imply: the URL, the failure kind, the body's error.
fn finish(r: &mut Reading, command: &Command) {
    let tls = r.tls;
    let e = &mut r.exchange;
    e.tool = "curl";
    e.url = match (&e.host, &e.path) {
        (Some(host), Some(path)) => {
            let scheme = if tls || e.port == Some(443) || path.starts_with("https") {
                "https"
            } else {
                "http"
            };
            let port = match (scheme, e.port) {
                ("https", Some(443)) | ("http", Some(80)) | (_, None) => String::new(),
                (_, Some(p)) => format!(":{p}"),
            };
            Some(format!("{scheme}://{host}{port}{path}"))
        }
        _ => command.url.clone(),
    };
    if e.host.is_none() {
        e.host = e
            .url
            .as_deref()
            .and_then(|u| u.split("://").nth(1))
            .and_then(|rest| rest.split(['/', '?']).next())
            .map(host_without_port);
    }
    if e.method.is_none() && (e.status.is_some() || !r.body.trim().is_empty()) {
        e.method = command.method.clone();
    }
    let message = e.error.clone().unwrap_or_default().to_ascii_lowercase();
    e.error_kind = match (e.error_code, e.error.is_some()) {
        (Some(6), _) => Some("unresolved"),
        (Some(28), _) => Some("timeout"),
        (Some(35 | 51 | 53 | 54 | 58 | 59 | 60 | 66 | 77 | 80 | 82 | 83 | 90 | 91), _) => {
            Some("tls")
        }
        (_, true) if message.contains("could not resolve") => Some("unresolved"),
        (_, true) if message.contains("timed out") || message.contains("timeout") => {
            Some("timeout")
        }
        (_, true) if message.contains("refused") => Some("refused"),
        (Some(_), _) | (None, true) => Some("failed"),
        (None, false) => None,
    };
    read_body(e, &r.body);
}

/// Reads the error fields of a JSON body.
fn read_body(e: &mut HttpExchange, body: &str) {
    let start = body.find(['{', '[']);
    let Some(json) = start.and_then(|s| body.get(s..)) else {
        return;
    };
    let Some(Ok(value)) = serde_json::Deserializer::from_str(json)
        .into_iter::<Value>()
        .next()
    else {
        return;
    };
    let Some(object) = value.as_object() else {
        return;
    };
    e.body_fields = object.keys().cloned().collect();
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    match object.get("error") {
        // Key Vault and ARM: {"error": {"code", "message", "innererror": {"code"}}}
        Some(Value::Object(error)) => {
            e.body_code = text(error.get("code"));
            e.body_message = text(error.get("message"));
            e.body_inner_code = error
                .get("innererror")
                .and_then(|inner| inner.get("code"))
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        // Entra ID: {"error": "invalid_client", "error_description", "error_codes": [..]}
        Some(Value::String(code)) => {
            e.body_code = Some(code.clone());
            e.body_message = text(object.get("error_description"));
        }
        _ => {}
    }
    let mut aadsts: Vec<String> = object
        .get("error_codes")
        .and_then(Value::as_array)
        .map(|codes| codes.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    if aadsts.is_empty() {
        if let Some(message) = &e.body_message {
            aadsts = message
                .match_indices("AADSTS")
                .filter_map(|(at, _)| message.get(at + 6..))
                .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
                .filter(|n: &String| !n.is_empty())
                .collect();
        }
    }
    e.aadsts = aadsts;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn curl(text: &str, command: Option<&str>) -> Vec<serde_json::Value> {
        crate::parse::test_facts(text, |lines, sink| parse_curl(lines, command, sink))
    }

    #[test]
    fn a_body_alone_takes_method_and_url_from_the_command() {
        let facts = curl(
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#,
            Some("curl -X POST https://login.microsoftonline.com/t/oauth2/v2.0/token -d 'grant_type=client_credentials'"),
        );
        let f = &facts[0];
        assert_eq!(f["method"], "POST");
        assert_eq!(
            f["url"],
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        );
        assert_eq!(f["host"], "login.microsoftonline.com");
        assert_eq!(f["body_code"], "invalid_client");
        assert_eq!(f["aadsts"], serde_json::json!(["7000215"]));
    }

    #[test]
    fn each_request_is_an_exchange() {
        let text = "*   Trying 10.0.0.1:80...\n* Connected to kv (10.0.0.1) port 80 (#0)\n> GET /a HTTP/1.1\n> Host: kv\n>\n< HTTP/1.1 302 Found\n< Location: /b\n<\n* Issue another request to this URL: 'http://kv/b'\n> GET /b HTTP/1.1\n> Host: kv\n>\n< HTTP/1.1 404 Not Found\n<\n* Connection #0 to host kv left intact\n";
        let facts = curl(text, None);
        assert_eq!(facts.len(), 2);
        assert_eq!(facts[0]["status"], 302);
        assert_eq!(facts[1]["url"], "http://kv/b");
        assert_eq!(facts[1]["status"], 404);
    }

    #[test]
    fn failures_are_classified() {
        let facts = curl("*   Trying 10.0.0.1:443...\n* connect to 10.0.0.1 port 443 failed: Connection refused\n* Failed to connect to kv port 443 after 3 ms: Connection refused\n* Closing connection 0\ncurl: (7) Failed to connect to kv port 443 after 3 ms: Connection refused\n", None);
        assert_eq!(facts[0]["error_code"], 7);
        assert_eq!(facts[0]["error_kind"], "refused");
    }
}
