//! Credential redaction, applied as evidence text enters a report.
//!
//! Identifiers an operator needs to act on (vault names, client ids, object ids, tenant ids) are
//! kept; secrets that would let a reader of a shared report act as the operator are replaced.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// The replacement text, chosen so it never matches the patterns below again.
pub const MARK: &str = "[REDACTED]";

struct Redactor {
    pattern: Regex,
    /// Capture group kept before the mark (the key or scheme), if any.
    keep: Option<usize>,
    /// Literals of which at least one must occur for the pattern to possibly match.
    gate: &'static [&'static str],
}

static REDACTORS: LazyLock<Vec<Redactor>> = LazyLock::new(|| {
    let specs: [(&str, Option<usize>, &'static [&'static str]); 9] = [
        // PEM bodies of private keys and certificates, inside one line (escaped \n) or a block.
        (
            r"(-----BEGIN [A-Z0-9 ]+-----)[\s\S]*?-----END [A-Z0-9 ]+-----",
            Some(1),
            &["-----BEGIN"],
        ),
        // JSON Web Tokens: header.payload.signature, the header always starts `eyJ`.
        (
            r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
            None,
            &["eyJ"],
        ),
        // Authorization headers in curl -v output and HTTP dumps, whatever their scheme.
        (
            r#"(?i)(authorization\s*:\s*)(?:(?:bearer|basic|pop|sharedkey|sharedaccesssignature)\s+)?[^\s"',;\\]+"#,
            Some(1),
            &["uthorization", "UTHORIZATION"],
        ),
        // Bearer tokens elsewhere.
        (
            r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}",
            Some(1),
            &["earer", "EARER"],
        ),
        // Key/value credentials in query strings, JSON, YAML, connection strings and env dumps.
        (
            r#"(?i)((?:client_secret|clientsecret|access_token|refresh_token|id_token|client_assertion|password|passwd|pwd|accountkey|sharedaccesskey|secret_value)\\?["']?\s*[:=]\s*\\?["']?)[^"'&\s,;}\\]{3,}"#,
            Some(1),
            &[
                "ecret", "oken", "ssertion", "ass", "wd", "ey", "ECRET", "OKEN", "ASS", "WD", "EY",
            ],
        ),
        // SAS signatures.
        (r"(?i)([?&;]sig=)[^&\s\x22']+", Some(1), &["sig=", "SIG="]),
        // Storage account keys: 64 random bytes in base64.
        (r"\b[A-Za-z0-9+/]{86}==", None, &["=="]),
        // A line that is nothing but a long base64 run: the body line of a PEM block.
        (r"^\s*[A-Za-z0-9+/]{48,}={0,2}\s*$", None, &[""]),
        // Private key material printed as JSON Web Key fields.
        (
            r#"("(?:d|p|q|dp|dq|qi|k)"\s*:\s*")[A-Za-z0-9_-]{16,}"#,
            Some(1),
            &["\""],
        ),
    ];
    specs
        .into_iter()
        .filter_map(|(pattern, keep, gate)| {
            Regex::new(pattern).ok().map(|pattern| Redactor {
                pattern,
                keep,
                gate,
            })
        })
        .collect()
});

/// Replaces credentials in `text`. Returns borrowed text when nothing was found, which is the
/// common case and costs one literal check per redactor.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut current: Cow<'_, str> = Cow::Borrowed(text);
    for redactor in REDACTORS.iter() {
        if !redactor.gate.iter().any(|g| current.contains(g)) {
            continue;
        }
        let replaced = redact_one(&current, redactor);
        if let Cow::Owned(owned) = replaced {
            current = Cow::Owned(owned);
        }
    }
    current
}

fn redact_one<'a>(text: &'a str, redactor: &Redactor) -> Cow<'a, str> {
    if !redactor.pattern.is_match(text) {
        return Cow::Borrowed(text);
    }
    let replaced = redactor
        .pattern
        .replace_all(text, |caps: &regex::Captures<'_>| {
            let kept = redactor
                .keep
                .and_then(|group| caps.get(group))
                .map_or("", |m| m.as_str());
            format!("{kept}{MARK}")
        });
    Cow::Owned(replaced.into_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn redacts_each_kind_and_keeps_identifiers() {
        let cases = [
            "Authorization: Bearer abc.def.ghi-very-secret",
            "token eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl",
            "client_secret=S3cr3tValue~1&grant_type=client_credentials",
            r#"{"access_token":"opaque-token-value-123"}"#,
            "https://a.blob.core.windows.net/c?sv=2021&sig=AbCdEf%2Bsecret",
            "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=;",
            "Server=tcp:x;Password=hunter2hunter2;",
            "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----",
        ];
        for case in cases {
            let out = redact(case);
            assert!(out.contains(MARK), "{case} -> {out}");
            for secret in [
                "very-secret",
                "c2lnbmF0dXJl",
                "S3cr3tValue",
                "opaque-token",
                "AbCdEf",
                "QUJDREVG",
                "hunter2",
                "MIIEpAIB",
            ] {
                if case.contains(secret) {
                    assert!(!out.contains(secret), "{case} -> {out}");
                }
            }
        }
        let plain = "Vault: mykv;location=westeurope appid=7c5b4a2e-1111-2222-3333-444455556666";
        assert_eq!(redact(plain), plain);
    }
}
