//! Normalising what terminals and tools add around the text: ANSI colours, `kubectl logs
//! --timestamps` and `--prefix` prefixes, stern's pod/container prefixes.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

static ANSI: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07").ok());

/// `kubectl logs --timestamps` puts an RFC 3339 timestamp with nanoseconds before each line.
static KUBECTL_TIMESTAMP: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) ").ok()
});

/// `kubectl logs --prefix` writes `[pod/<name>/<container>] `; stern writes `<pod> <container> `,
/// and `<namespace> <pod> <container> ` with `--all-namespaces` or several namespaces. Both repeat
/// the prefix on the tab-indented lines and the ` >` line of a klog multi-line value.
static KUBECTL_PREFIX: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\[pod/(?P<pod>[^/\]\s]+)/(?P<container>[^\]\s]+)\] ").ok());
static STERN_PREFIX: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^(?:[+-] )?(?:[a-z0-9][a-z0-9-]* )?(?P<pod>[a-z0-9][a-z0-9.-]*-[a-z0-9]{4,10}) (?P<container>[a-z0-9][a-z0-9-]*) (?P<rest>[IWEF]\d{4} |time=|\{|[0-9]{4}-|\t| >)").ok()
});

/// Removes ANSI escape sequences.
pub fn strip_ansi(text: &str) -> Cow<'_, str> {
    if !text.contains('\x1b') {
        return Cow::Borrowed(text);
    }
    match ANSI.as_ref() {
        Some(re) => Cow::Owned(re.replace_all(text, "").into_owned()),
        None => Cow::Borrowed(text),
    }
}

/// Where a log line came from, when its prefix says so.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LinePrefix {
    /// Pod name from `--prefix` or stern.
    pub pod: Option<String>,
    /// Container name from `--prefix` or stern.
    pub container: Option<String>,
    /// Timestamp added by `--timestamps`.
    pub timestamp: Option<String>,
}

/// Splits the prefixes kubectl and stern add from the log line itself.
pub fn split_prefix(line: &str) -> (LinePrefix, &str) {
    let mut prefix = LinePrefix::default();
    let mut rest = line;
    // Each regex is anchored at the start of the line: it is compiled and run only when the
    // line starts the way its match must (a character of its first class). The gate is tested
    // before the regex is touched, since reading a `LazyLock` compiles it.
    let first = rest.chars().next();
    let kubectl = rest.starts_with("[pod/");
    let stern = first.is_some_and(|c| matches!(c, '+' | '-' | 'a'..='z' | '0'..='9'));
    if let Some(caps) = kubectl
        .then(|| KUBECTL_PREFIX.as_ref())
        .flatten()
        .and_then(|re| re.captures(rest))
    {
        prefix.pod = caps.name("pod").map(|m| m.as_str().to_owned());
        prefix.container = caps.name("container").map(|m| m.as_str().to_owned());
        rest = rest
            .get(caps.get(0).map_or(0, |m| m.end())..)
            .unwrap_or(rest);
    } else if let Some(caps) = stern
        .then(|| STERN_PREFIX.as_ref())
        .flatten()
        .and_then(|re| re.captures(rest))
    {
        prefix.pod = caps.name("pod").map(|m| m.as_str().to_owned());
        prefix.container = caps.name("container").map(|m| m.as_str().to_owned());
        rest = rest
            .get(caps.name("rest").map_or(0, |m| m.start())..)
            .unwrap_or(rest);
    }
    // `\d` is any Unicode decimal digit; `is_numeric` holds for all of them (and more).
    let timestamp = rest.chars().next().is_some_and(char::is_numeric);
    if let Some(found) = timestamp
        .then(|| KUBECTL_TIMESTAMP.as_ref())
        .flatten()
        .and_then(|re| re.find(rest))
    {
        prefix.timestamp = Some(found.as_str().trim_end().to_owned());
        rest = rest.get(found.end()..).unwrap_or(rest);
    }
    (prefix, rest)
}

/// Whether a value is a placeholder users put where they removed something.
pub fn is_redacted_value(value: &str) -> bool {
    let v = value.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    v.is_empty()
        || v.contains("REDACTED")
        || v.contains("HIDDEN")
        || v.contains("<redacted>")
        || v.chars()
            .all(|c| c == 'x' || c == 'X' || c == '*' || c == '#' || c == '-')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn strips_colours_and_prefixes() {
        assert_eq!(strip_ansi("\x1b[31mE1029\x1b[0m x"), "E1029 x");
        let (p, rest) =
            split_prefix("[pod/csi-abc/secrets-store] 2024-05-01T10:00:00.123456789Z E0501 x");
        assert_eq!(p.pod.as_deref(), Some("csi-abc"));
        assert_eq!(p.container.as_deref(), Some("secrets-store"));
        assert!(p.timestamp.is_some());
        assert_eq!(rest, "E0501 x");
        let (p, rest) =
            split_prefix("kube-system aks-secrets-store-csi-driver-r9nw2 secrets-store E1120 x");
        assert_eq!(p.pod.as_deref(), Some("aks-secrets-store-csi-driver-r9nw2"));
        assert_eq!(p.container.as_deref(), Some("secrets-store"));
        assert_eq!(rest, "E1120 x");
    }

    #[test]
    fn recognises_redactions() {
        for v in [
            "<REDACTED>",
            "***HIDDEN***",
            "##### REDACTED #####",
            "xxx",
            "XXXX",
        ] {
            assert!(is_redacted_value(v), "{v}");
        }
        assert!(!is_redacted_value("mykv"));
    }
}
