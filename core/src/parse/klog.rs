//! Log lines: klog printf and structured styles, logrus text, JSON lines.

use crate::text::gated::Gated;
use serde::Serialize;
use std::collections::BTreeMap;

// Compiled on first use, in their ASCII form for ASCII lines (see `text::gated`).
static KLOG: Gated = Gated::new(
    &[""],
    false,
    r"^(?P<sev>[IWEF])(?P<date>\d{4}) (?P<time>\d\d:\d\d:\d\d\.\d+)\s+(?P<pid>\d+) (?P<file>[^ \]]+)\] ?(?P<rest>.*)$",
);
static LOGRUS: Gated = Gated::new(
    &[""],
    false,
    r#"^time="(?P<time>[^"]*)" level=(?P<level>\w+) (?P<rest>.*)$"#,
);

/// The fields of a `logs` fact.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LogRecord {
    /// `klog`, `klog-structured`, `logrus`, `json` or `plain`.
    pub format: &'static str,
    /// `error`, `warning`, `info` or `fatal`, when the line says.
    pub severity: Option<&'static str>,
    /// The timestamp as written (klog: `MMDD hh:mm:ss.uuuuuu`).
    pub time: Option<String>,
    /// Source file and line, e.g. `server.go:54`.
    pub file: Option<String>,
    /// The message without its header.
    pub message: String,
    /// Structured key/value pairs (`err`, `pod`, `spc`, ...), unescaped.
    pub fields: BTreeMap<String, String>,
    /// Pod, from `--prefix`, stern or a `pod=` field.
    pub pod: Option<String>,
    /// Container, from `--prefix` or stern.
    pub container: Option<String>,
}

fn severity_of_letter(letter: &str) -> Option<&'static str> {
    match letter {
        "E" => Some("error"),
        "W" => Some("warning"),
        "I" => Some("info"),
        "F" => Some("fatal"),
        _ => None,
    }
}

fn severity_of_word(word: &str) -> Option<&'static str> {
    match word.to_ascii_lowercase().as_str() {
        "error" | "err" => Some("error"),
        "warning" | "warn" => Some("warning"),
        "info" | "debug" | "trace" => Some("info"),
        "fatal" | "panic" => Some("fatal"),
        _ => None,
    }
}

/// Parses one log line (prefixes already split off). Returns `None` for lines that are not in a
/// log format.
pub fn parse(line: &str) -> Option<LogRecord> {
    // Each regex is anchored: it is compiled and run only for a line that starts the way its
    // match must, which leaves the other unbuilt in a log of one format.
    let klog = line.starts_with(['I', 'W', 'E', 'F']);
    if let Some(caps) = klog
        .then(|| KLOG.get(line))
        .flatten()
        .and_then(|re| re.captures(line))
    {
        let rest = caps.name("rest").map_or("", |m| m.as_str());
        let mut record = LogRecord {
            format: "klog",
            severity: caps
                .name("sev")
                .and_then(|m| severity_of_letter(m.as_str())),
            time: Some(format!(
                "{} {}",
                caps.name("date").map_or("", |m| m.as_str()),
                caps.name("time").map_or("", |m| m.as_str())
            )),
            file: caps.name("file").map(|m| m.as_str().to_owned()),
            ..LogRecord::default()
        };
        if rest.starts_with('"') {
            let (message, after) = quoted(rest);
            record.format = "klog-structured";
            record.message = message;
            record.fields = key_values(after);
        } else {
            record.message = rest.to_owned();
        }
        record.pod = record.fields.get("pod").cloned();
        return Some(record);
    }
    let logrus = line.starts_with("time=\"");
    if let Some(caps) = logrus
        .then(|| LOGRUS.get(line))
        .flatten()
        .and_then(|re| re.captures(line))
    {
        let mut fields = key_values(caps.name("rest").map_or("", |m| m.as_str()));
        let message = fields.remove("msg").unwrap_or_default();
        return Some(LogRecord {
            format: "logrus",
            severity: caps
                .name("level")
                .and_then(|m| severity_of_word(m.as_str())),
            time: caps.name("time").map(|m| m.as_str().to_owned()),
            message,
            pod: fields.get("pod").cloned(),
            fields,
            ..LogRecord::default()
        });
    }
    if line.starts_with('{') && line.ends_with('}') {
        let value: serde_json::Value = serde_json::from_str(line).ok()?;
        let object = value.as_object()?;
        let text = |key: &str| {
            object
                .get(key)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        };
        let message = text("msg").or_else(|| text("message"))?;
        let fields = object
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "msg" | "message" | "level" | "ts" | "time" | "severity" | "caller"
                )
            })
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                )
            })
            .collect::<BTreeMap<_, _>>();
        return Some(LogRecord {
            format: "json",
            severity: text("level")
                .or_else(|| text("severity"))
                .and_then(|l| severity_of_word(&l)),
            time: text("ts").or_else(|| text("time")),
            file: text("caller"),
            message,
            pod: fields.get("pod").cloned(),
            fields,
            container: None,
        });
    }
    None
}

/// Parses a record: its first line (prefixes already split off) and the lines that continue it.
///
/// klog's structured style prints a multi-line value as `key=<`, the value's lines each indented
/// by one tab, and a line ` >` that closes it and may carry further pairs; those values become
/// fields. Other continuation lines (wrapped messages, printf-style dumps) extend the message.
pub fn parse_unit<'a>(first: &str, more: impl Iterator<Item = &'a str>) -> Option<LogRecord> {
    let mut record = parse(first)?;
    let mut open = (record.format == "klog-structured")
        .then(|| open_block_key(first))
        .flatten();
    let mut block: Vec<&str> = Vec::new();
    for line in more {
        let Some(key) = open.clone() else {
            record.message.push('\n');
            record.message.push_str(line);
            continue;
        };
        if let Some(after) = line.strip_prefix(" >") {
            record.fields.insert(key, block.join("\n"));
            block.clear();
            record.fields.extend(key_values(after));
            open = open_block_key(after);
        } else {
            block.push(line.strip_prefix('\t').unwrap_or(line));
        }
    }
    // A block cut off by the end of the paste still says what it held.
    if let Some(key) = open {
        if !block.is_empty() {
            record.fields.insert(key, block.join("\n"));
        }
    }
    if record.pod.is_none() {
        record.pod = record.fields.get("pod").cloned();
    }
    Some(record)
}

/// The key of a multi-line value that a structured klog line opens at its end (`err=<`).
fn open_block_key(line: &str) -> Option<String> {
    let head = line.trim_end().strip_suffix("=<")?;
    let key = head.rsplit(char::is_whitespace).next()?;
    (!key.is_empty() && !key.contains(['"', '='])).then(|| key.to_owned())
}

/// Reads a Go-quoted string at the start of `text`; returns it unescaped and the rest.
fn quoted(text: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((index, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, other)) => out.push(other),
                None => break,
            },
            '"' => return (out, text.get(index + 1..).unwrap_or_default()),
            other => out.push(other),
        }
    }
    (out, "")
}

/// Parses `key=value key="quoted value"` pairs.
pub fn key_values(mut text: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    loop {
        text = text.trim_start();
        let Some(eq) = text.find('=') else { break };
        let key = text.get(..eq).unwrap_or_default();
        if key.is_empty() || key.contains(char::is_whitespace) {
            // Not a key: skip one word and try again.
            match text.find(char::is_whitespace) {
                Some(space) => {
                    text = text.get(space..).unwrap_or_default();
                    continue;
                }
                None => break,
            }
        }
        let after = text.get(eq + 1..).unwrap_or_default();
        let (value, rest) = if after.starts_with('"') {
            quoted(after)
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (
                after.get(..end).unwrap_or_default().to_owned(),
                after.get(end..).unwrap_or_default(),
            )
        };
        fields.insert(key.to_owned(), value);
        text = rest;
    }
    fields
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_printf_klog() {
        let r = parse(
            "E1029 17:37:42.461313       1 server.go:54] failed to process mount request, error: x",
        )
        .unwrap();
        assert_eq!(r.format, "klog");
        assert_eq!(r.severity, Some("error"));
        assert_eq!(r.file.as_deref(), Some("server.go:54"));
        assert_eq!(r.message, "failed to process mount request, error: x");
    }

    #[test]
    fn parses_structured_klog() {
        let line = r#"E0610 22:27:02.283100       1 secretproviderclasspodstatus_controller.go:325] "failed to create Kubernetes secret" err="secrets is forbidden: User \"system:serviceaccount:default:secrets-store-csi-driver\" cannot create" spc="default/azure-linux" pod="default/busybox""#;
        let r = parse(line).unwrap();
        assert_eq!(r.format, "klog-structured");
        assert_eq!(r.message, "failed to create Kubernetes secret");
        assert!(
            r.fields["err"].contains("\"system:serviceaccount:default:secrets-store-csi-driver\"")
        );
        assert_eq!(r.pod.as_deref(), Some("default/busybox"));
    }

    #[test]
    fn reads_multi_line_values() {
        let first = r#"E1120 18:41:06.194117       1 nodeserver.go:242] "failed to mount secrets store object content" err=<"#;
        let more = [
            "\trpc error: code = Unknown desc = failed to mount objects",
            "\tRESPONSE 403: 403 Forbidden",
            r#" > pod="default/busybox" isRemountRequest=false"#,
        ];
        let r = parse_unit(first, more.into_iter()).unwrap();
        assert_eq!(r.message, "failed to mount secrets store object content");
        assert_eq!(
            r.fields["err"],
            "rpc error: code = Unknown desc = failed to mount objects\nRESPONSE 403: 403 Forbidden"
        );
        assert_eq!(r.fields["isRemountRequest"], "false");
        assert_eq!(r.pod.as_deref(), Some("default/busybox"));
        let r = parse_unit(
            "I1029 17:36:41.902781       1 provider.go:223] objects: array:",
            ["  - |", "    objectName: x"].into_iter(),
        )
        .unwrap();
        assert_eq!(r.message, "objects: array:\n  - |\n    objectName: x");
    }

    #[test]
    fn parses_logrus_and_json() {
        let r = parse(r#"time="2020-06-01T10:00:00Z" level=error msg="failed to mount" pod=x"#)
            .unwrap();
        assert_eq!(
            (r.format, r.severity, r.message.as_str()),
            ("logrus", Some("error"), "failed to mount")
        );
        let r = parse(r#"{"level":"error","ts":1,"msg":"boom","err":"e"}"#).unwrap();
        assert_eq!(r.fields["err"], "e");
    }
}
