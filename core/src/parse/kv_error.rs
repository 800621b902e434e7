//! The normalised Key Vault / Entra ID error, from both SDK formats, wherever it appears: the
//! kubelet event, the driver log, the provider log, a curl body.
//!
//! Old (autorest): `StatusCode=403 -- Original Error: autorest/azure: Service returned an error.
//! Status=403 Code="Forbidden" Message="..." InnerError={"code":"ForbiddenByConnection"}`.
//! New (azcore): `RESPONSE 404: 404 Not Found` / `ERROR CODE: SecretNotFound` / JSON body.
//! Entra ID errors carry `AADSTS<n>`, Key Vault token errors `AKV<n>`.

use crate::text::gated::{gated, Gated};
use serde::Serialize;

/// Literals that make a line worth normalising; the scanner uses them as one built-in pattern.
pub const LITERALS: &[&str] = &[
    // Statuses are spelled out by their first digit: info lines often carry `StatusCode=200`,
    // and a literal that matched those would make every line a candidate.
    "StatusCode=0",
    "StatusCode=3",
    "StatusCode=4",
    "StatusCode=5",
    "Status=3",
    "Status=4",
    "Status=5",
    "Status Code = ",
    "RESPONSE 3",
    "RESPONSE 4",
    "RESPONSE 5",
    "ERROR CODE",
    "AADSTS",
    "AKV1",
    "InnerError",
    "\"code\"",
    "\\\"code\\\"",
    "Identity not found",
    "nmi response failed",
    "error_description",
    "no such host",
    "i/o timeout",
    "context deadline exceeded",
    "reset by peer",
    "forcibly closed by the remote host",
    "TLS handshake timeout",
    "x509: ",
];

/// Confirms a candidate line really carries an error: successful statuses (`StatusCode=200`,
/// common in info lines) are decoys of the literal prefilter and must stay cheap to reject.
pub const CONFIRM: &str = r#"StatusCode=(?:0\b|[3-5]\d\d)|Status=[3-5]\d\d|Status Code = '?[3-5]|RESPONSE [3-5]\d\d|ERROR CODE|AADSTS\d|AKV1\d|InnerError|\\?"code\\?"\s*:|Identity not found|nmi response failed|error_description|no such host|i/o timeout|context deadline exceeded|reset by peer|forcibly closed by the remote host|TLS handshake timeout|x509: "#;

/// The fields of a `kv_errors` fact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KvError {
    /// `autorest`, `azcore`, `json`, `adal` or `text`.
    pub format: &'static str,
    /// HTTP status; 0 when the request never got a response (autorest `StatusCode=0`).
    pub status: Option<u16>,
    /// Top-level error code (`Forbidden`, `SecretNotFound`, `Unauthorized`, `invalid_client`, ...).
    pub code: Option<String>,
    /// Inner error code (`ForbiddenByConnection`, `AccessDenied`, `ForbiddenByRbac`, ...).
    pub inner_code: Option<String>,
    /// Entra ID error numbers, without the `AADSTS` prefix.
    pub aadsts: Vec<String>,
    /// Key Vault token error numbers, without the `AKV` prefix.
    pub akv: Vec<String>,
    /// `secret`, `key` or `cert`, from `failed to get objectType:...`.
    pub object_type: Option<String>,
    /// The object's name.
    pub object_name: Option<String>,
    /// The vault's name (from the URL or `Vault: <name>;location=`).
    pub vault: Option<String>,
    /// The vault's DNS name.
    pub vault_host: Option<String>,
    /// The caller's application id (`appid=`).
    pub caller_appid: Option<String>,
    /// The caller's object id (`oid=`).
    pub caller_oid: Option<String>,
    /// A client id in an IMDS or NMI token URL (`client_id=`, `clientid=`).
    pub client_id: Option<String>,
    /// `error_description` / Entra message, shortened.
    pub description: Option<String>,
    /// The transport failure behind a status-less error: `deadline`, `canceled`, `no-such-host`,
    /// `timeout`, `refused`, `reset`, `tls`.
    pub network: Option<&'static str>,
    /// The host the transport failure was about.
    pub network_host: Option<String>,
    /// The SDK operation, e.g. `keyvault.BaseClient#GetSecret`.
    pub operation: Option<String>,
    /// Who reported it: `nmi`, `imds`, `entra`, `keyvault`.
    pub service: Option<&'static str>,
}

// Each regex with the literals one of which every match of it holds (see `text::gated`): most
// error lines hold a few of them, and the others are neither compiled nor run.
gated!(STATUS_CODE, ["StatusCode="], r"StatusCode=(\d{1,3})\b");
gated!(
    STATUS,
    ["Status=", "Status Code = "],
    r#"\bStatus(?:=| Code = '?)(\d{3})"#
);
gated!(RESPONSE, ["RESPONSE "], r"RESPONSE (\d{3})\b");
gated!(
    NMI_STATUS,
    ["nmi response failed with status code: "],
    r"nmi response failed with status code: (\d{3})"
);
gated!(
    REPLY_STATUS,
    ["reply status code was "],
    r"reply status code was (\d{3})"
);
gated!(CODE_ATTR, ["Code="], r#"\bCode=\\?"(\w+)\\?""#);
gated!(ERROR_CODE, ["ERROR CODE: "], r"ERROR CODE: (\w+)");
gated!(
    INNER_CODE,
    ignore_case ["innererror", "inner_error"],
    r#"(?i)inner_?error\\?"?\s*[=:]\s*\{\s*\\?"code\\?"\s*:\s*\\?"(\w+)"#
);
gated!(
    JSON_CODE,
    ["code\"", "code\\\""],
    r#"\\?"code\\?"\s*:\s*\\?"(\w+)"#
);
gated!(
    JSON_ERROR,
    ["error\"", "error\\\""],
    r#"\\?"error\\?"\s*:\s*\\?"(\w+)\\?""#
);
gated!(AADSTS, ["AADSTS"], r"AADSTS(\d{5,7})");
gated!(AKV, ["AKV"], r"AKV(\d{5})");
// The article prints `objectName: :<name>` (and some pastes `objectName::<name>`): colons before
// the name are not part of it.
gated!(
    OBJECT,
    ["objectType:"],
    r"objectType:\s*(\w*),\s*objectName:[\s:]*([^,\s]*)"
);
gated!(
    VAULT_URL,
    [".vault.", ".managedhsm.azure.net"],
    r"https?://([a-z0-9-]{1,64})\.(vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)|managedhsm\.azure\.net)"
);
// `Vault: kv;location=eastus` (firewall, RBAC) and `on key vault 'kv;location=eastus'` (access
// policy).
gated!(
    VAULT_FIELD,
    [";location="],
    r"(?:Vault: ?|key vault ')([A-Za-z0-9-]{1,64});location="
);
gated!(
    APPID,
    ["appid="],
    r"\bappid=([0-9a-fA-F-]{8,36}|[^;\s]*REDACTED[^;\s]*)"
);
gated!(
    OID,
    ["oid="],
    r"\boid=([0-9a-fA-F-]{8,36}|[^;\s]*REDACTED[^;\s]*)"
);
gated!(
    CLIENT_ID,
    ignore_case ["clientid=", "client_id="],
    r"(?i)\bclient_?id=([0-9a-f-]{8,36})"
);
gated!(
    DESCRIPTION,
    ["error_description"],
    r#"error_description\\?"\s*:\s*\\?"((?:[^"\\]|\\[^"])*)"#
);
gated!(
    KV_MESSAGE,
    ["Message="],
    r#"Message=\\?"((?:[^"\\]|\\[^"])*)"#
);
gated!(
    OPERATION,
    [
        "keyvault.BaseClient#",
        "azure.BearerAuthorizer#",
        "Credential"
    ],
    r"\b(keyvault\.BaseClient#\w+|azure\.BearerAuthorizer#\w+|\w+Credential)\b"
);
gated!(
    NO_SUCH_HOST,
    [": no such host"],
    r"lookup ([\w.-]+)(?: on [\d.:\[\]a-f]+)?: no such host"
);
gated!(
    DIAL,
    ["dial tcp"],
    r"dial tcp(?: (?:[\d.]+|\[[0-9a-f:]+\]|[\w.-]+):?\d*)?: (?:i/o timeout|connect: connection refused|connectex)"
);
gated!(
    DIAL_HOST,
    ["://"],
    r"(?:Get|Post|GET|POST) \\?\x22?https?://([\w.-]+)"
);

fn first(re: &Gated, text: &str) -> Option<String> {
    re.get(text)?
        .captures(text)?
        .get(1)
        .map(|m| m.as_str().to_owned())
}

fn all(re: &Gated, text: &str) -> Vec<String> {
    let Some(re) = re.get(text) else {
        return Vec::new();
    };
    let mut values: Vec<String> = re
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str().to_owned())
        .collect();
    values.dedup();
    let mut seen = std::collections::BTreeSet::new();
    values.retain(|v| seen.insert(v.clone()));
    values
}

/// Normalises the error in `text`, or returns `None` when the text holds no Key Vault or Entra
/// error. `text` may be one line or several joined (a wrapped message).
pub fn extract(text: &str) -> Option<KvError> {
    let mut error = KvError::default();
    let status_code = first(&STATUS_CODE, text).and_then(|s| s.parse().ok());
    let response = first(&RESPONSE, text).and_then(|s| s.parse().ok());
    let nmi = first(&NMI_STATUS, text).and_then(|s| s.parse().ok());
    error.status = response
        .or_else(|| {
            first(&STATUS, text)
                .and_then(|s| s.parse().ok())
                .filter(|s: &u16| *s >= 100)
        })
        .or(status_code.filter(|s| *s >= 100))
        .or_else(|| first(&REPLY_STATUS, text).and_then(|s| s.parse().ok()))
        .or(nmi)
        .or(status_code);
    error.format = if response.is_some() || text.contains("ERROR CODE") {
        "azcore"
    } else if status_code.is_some() || text.contains("autorest/azure") {
        "autorest"
    } else if text.contains("adal:") {
        "adal"
    } else if text.contains("\"code\"") || text.contains("\\\"code\\\"") {
        "json"
    } else {
        "text"
    };
    error.code = first(&ERROR_CODE, text).or_else(|| first(&CODE_ATTR, text));
    error.inner_code = first(&INNER_CODE, text);
    let json_codes = all(&JSON_CODE, text);
    if error.code.is_none() {
        error.code = json_codes
            .first()
            .cloned()
            .or_else(|| first(&JSON_ERROR, text));
    }
    if error.inner_code.is_none() {
        error.inner_code = json_codes
            .iter()
            .find(|c| Some(*c) != error.code.as_ref())
            .cloned();
    }
    error.aadsts = all(&AADSTS, text);
    error.akv = all(&AKV, text);
    if let Some(caps) = OBJECT.get(text).and_then(|re| re.captures(text)) {
        error.object_type = caps
            .get(1)
            .map(|m| m.as_str().to_owned())
            .filter(|s| !s.is_empty());
        error.object_name = caps
            .get(2)
            .map(|m| m.as_str().to_owned())
            .filter(|s| !s.is_empty());
    }
    if let Some(caps) = VAULT_URL.get(text).and_then(|re| re.captures(text)) {
        let name = caps.get(1).map(|m| m.as_str().to_owned());
        error.vault_host = caps.get(0).map(|m| {
            m.as_str()
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .to_owned()
        });
        error.vault = name;
        if error.object_name.is_none() {
            error.object_name = object_from_url(text);
        }
    }
    if error.vault.is_none() {
        error.vault = first(&VAULT_FIELD, text);
    }
    error.caller_appid = first(&APPID, text);
    error.caller_oid = first(&OID, text);
    error.client_id = first(&CLIENT_ID, text);
    error.description = first(&DESCRIPTION, text)
        .or_else(|| first(&KV_MESSAGE, text))
        .map(|d| shorten(&d));
    error.operation = first(&OPERATION, text);
    if let Some(host) = first(&NO_SUCH_HOST, text) {
        error.network = Some("no-such-host");
        error.network_host = Some(host);
    } else if DIAL.get(text).is_some_and(|re| re.is_match(text)) {
        error.network = Some(if text.contains("refused") || text.contains("connectex") {
            "refused"
        } else {
            "timeout"
        });
        error.network_host = first(&DIAL_HOST, text);
    } else if text.contains("connection reset by peer")
        || text.contains("forcibly closed by the remote host")
    {
        // `read tcp 10.224.0.4:51234->20.1.2.3:443: read: connection reset by peer`; Windows
        // (`wsarecv: An existing connection was forcibly closed by the remote host.`).
        error.network = Some("reset");
        error.network_host = first(&DIAL_HOST, text);
    } else if text.contains("TLS handshake timeout") {
        // `net/http: TLS handshake timeout`: connected, but the handshake never finished.
        error.network = Some("timeout");
        error.network_host = first(&DIAL_HOST, text);
    } else if text.contains("context deadline exceeded") {
        error.network = Some("deadline");
    } else if text.contains("context canceled") {
        error.network = Some("canceled");
    } else if text.contains("x509:") || text.contains("tls: ") {
        error.network = Some("tls");
        error.network_host = first(&DIAL_HOST, text);
    }
    error.service = if nmi.is_some() || text.contains("localhost:2579") || text.contains(":2579:") {
        Some("nmi")
    } else if !error.aadsts.is_empty()
        || text.contains("login.microsoftonline")
        || text.contains("login.windows.net")
    {
        Some("entra")
    } else if text.contains("169.254.169.254") || text.contains("Identity not found") {
        Some("imds")
    } else if error.vault.is_some() || error.akv.len() + usize::from(error.code.is_some()) > 0 {
        Some("keyvault")
    } else {
        None
    };
    if text.contains("Identity not found") && error.description.is_none() {
        error.description = Some("Identity not found".to_owned());
    }
    // A lone `"code": "..."` is a Key Vault error only inside an error body: `az aks show`
    // prints `"powerState": {"code": "Running"}`, and that says nothing about Key Vault.
    let code_is_error = error.code.is_some()
        && (error.format != "json" || text.contains("error") || text.contains("Error"));
    let meaningful = error.status.is_some()
        || code_is_error
        || !error.aadsts.is_empty()
        || !error.akv.is_empty()
        || error.description.is_some()
        || (error.network.is_some()
            && (error.vault.is_some()
                || error.object_name.is_some()
                || text.contains("keyvault")
                || text.contains("mount")));
    meaningful.then_some(error)
}

fn object_from_url(text: &str) -> Option<String> {
    let start = text.find(".net/")? + ".net/".len();
    let rest = text.get(start..)?;
    let mut parts = rest.split(['/', '?', ' ', '"', '\\']);
    let collection = parts.next()?;
    if !matches!(collection, "secrets" | "keys" | "certificates") {
        return None;
    }
    parts.next().filter(|n| !n.is_empty()).map(str::to_owned)
}

fn shorten(text: &str) -> String {
    let text = text.replace("\\r\\n", " ").replace("\\n", " ");
    crate::facts::cap_text(text.trim(), 400)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_regex_compiles() {
        let all = [
            &STATUS_CODE,
            &STATUS,
            &RESPONSE,
            &NMI_STATUS,
            &REPLY_STATUS,
            &CODE_ATTR,
            &ERROR_CODE,
            &INNER_CODE,
            &JSON_CODE,
            &JSON_ERROR,
            &AADSTS,
            &AKV,
            &OBJECT,
            &VAULT_URL,
            &VAULT_FIELD,
            &APPID,
            &OID,
            &CLIENT_ID,
            &DESCRIPTION,
            &KV_MESSAGE,
            &OPERATION,
            &NO_SUCH_HOST,
            &DIAL,
            &DIAL_HOST,
        ];
        for re in all {
            let (unicode, ascii) = re.compiled();
            assert!(unicode.is_some() && ascii.is_some());
        }
    }

    #[test]
    fn autorest_forbidden_by_connection() {
        let line = r#"failed to get objectType:secret, objectName:db-pass, objectVersion:: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="Forbidden" Message="Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\nCaller: appid=11111111-2222-3333-4444-555555555555;oid=66666666-7777-8888-9999-000000000000;iss=https://sts.windows.net/t/ \r\nVault: mykv;location=westeurope" InnerError={"code":"ForbiddenByConnection"}"#;
        let e = extract(line).unwrap();
        assert_eq!(e.format, "autorest");
        assert_eq!(e.status, Some(403));
        assert_eq!(e.code.as_deref(), Some("Forbidden"));
        assert_eq!(e.inner_code.as_deref(), Some("ForbiddenByConnection"));
        assert_eq!(e.vault.as_deref(), Some("mykv"));
        assert_eq!(e.object_name.as_deref(), Some("db-pass"));
        assert_eq!(
            e.caller_appid.as_deref(),
            Some("11111111-2222-3333-4444-555555555555")
        );
    }

    #[test]
    fn azcore_secret_not_found() {
        let text = "failed to get objectType:secret, objectName:missing, objectVersion:: GET https://kv-prod.vault.azure.net/secrets/missing/\n--------\nRESPONSE 404: 404 Not Found\nERROR CODE: SecretNotFound\n--------";
        let e = extract(text).unwrap();
        assert_eq!(
            (e.format, e.status, e.code.as_deref()),
            ("azcore", Some(404), Some("SecretNotFound"))
        );
        assert_eq!(e.vault.as_deref(), Some("kv-prod"));
    }

    #[test]
    fn entra_and_network_errors() {
        let e = extract(r#"ClientAssertionCredential authentication failed. POST https://login.microsoftonline.com/t/oauth2/v2.0/token RESPONSE 401: 401 Unauthorized {"error": "invalid_client", "error_description": "AADSTS700213: No matching federated identity record found"}"#).unwrap();
        assert_eq!(e.aadsts, vec!["700213"]);
        assert_eq!(e.service, Some("entra"));
        let e = extract("keyvault.BaseClient#GetSecret: Failure sending request: StatusCode=0 -- Original Error: context deadline exceeded").unwrap();
        assert_eq!((e.status, e.network), (Some(0), Some("deadline")));
        let e = extract(
            "failed to get key vault token: nmi response failed with status code: 404, err: <nil>",
        )
        .unwrap();
        assert_eq!((e.status, e.service), (Some(404), Some("nmi")));
        assert!(extract("I1029 all good, mounted 3 objects").is_none());
        assert!(extract(r#"        "code": "Running""#).is_none());
        let e = extract(r#"{"error":{"code":"SecretNotFound","message":"A secret with (name/id) x was not found in this key vault."}}"#).unwrap();
        assert_eq!(e.code.as_deref(), Some("SecretNotFound"));
        let e = extract(r#"Status=403 Code="Forbidden" Message="The user, group or application 'appid=a;oid=b;iss=c' does not have secrets get permission on key vault 'kv-prod;location=eastus'." InnerError={"code":"AccessDenied"}"#).unwrap();
        assert_eq!(e.vault.as_deref(), Some("kv-prod"));
    }

    fn network(text: &str) -> (Option<&'static str>, Option<String>) {
        let e = extract(text).unwrap();
        (e.network, e.network_host)
    }

    #[test]
    fn network_kinds() {
        // Provider #186: the token request of service principal mode, no address in the dial.
        let adal = "failed to get objectType:secret, objectName:s, objectVersion:: azure.BearerAuthorizer#WithAuthorization: Failed to refresh the Token for request to https://kv.vault.azure.net/secrets/s/?api-version=2016-10-01: StatusCode=0 -- Original Error: adal: Failed to execute the refresh request. Error = 'Post https://login.microsoftonline.com/t/oauth2/token?api-version=1.0: dial tcp: i/o timeout'";
        assert_eq!(
            network(adal),
            (Some("timeout"), Some("login.microsoftonline.com".into()))
        );
        let dial = r#"failed to mount objects, error: failed to get keyvault client: Get "https://kv.vault.azure.net/secrets/s": dial tcp 10.0.0.5:443: i/o timeout"#;
        assert_eq!(
            network(dial),
            (Some("timeout"), Some("kv.vault.azure.net".into()))
        );
        let reset = r#"failed to get objectType:secret, objectName:s, objectVersion:: GET https://kv.vault.azure.net/secrets/s: Get "https://kv.vault.azure.net/secrets/s?api-version=7.4": read tcp 10.224.0.4:51234->10.1.2.5:443: read: connection reset by peer"#;
        assert_eq!(network(reset).0, Some("reset"));
        let bare_reset = "keyvault.BaseClient#GetSecret: Failure sending request: StatusCode=0 -- Original Error: connection reset by peer";
        assert_eq!(network(bare_reset).0, Some("reset"));
        let handshake = r#"keyvault.BaseClient#GetSecret: Failure sending request: StatusCode=0 -- Original Error: Get "https://kv.vault.azure.net/secrets/s?api-version=2016-10-01": net/http: TLS handshake timeout"#;
        assert_eq!(
            network(handshake),
            (Some("timeout"), Some("kv.vault.azure.net".into()))
        );
        let x509 = r#"keyvault.BaseClient#GetSecret: Failure sending request: StatusCode=0 -- Original Error: Get "https://kv.vault.azure.net/secrets/s?api-version=2016-10-01": x509: certificate signed by unknown authority"#;
        assert_eq!(network(x509).0, Some("tls"));
        // The existing kinds stay as they were.
        let refused = r#"failed to mount objects: Get "http://localhost:2579/host/token/?resource=https://vault.azure.net": dial tcp 127.0.0.1:2579: connect: connection refused"#;
        assert_eq!(network(refused).0, Some("refused"));
        let deadline = "keyvault.BaseClient#GetSecret: Failure sending request: StatusCode=0 -- Original Error: context deadline exceeded";
        assert_eq!(network(deadline).0, Some("deadline"));
    }

    #[test]
    fn article_object_name_quirk() {
        // The article's cause-3 sample prints `objectName: :<name>`; pastes also show `::`.
        for text in [
            "error: failed to get objectType:secret, objectName: :db-pass, objectVersion:: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403",
            "error: failed to get objectType:secret, objectName::db-pass, objectVersion:: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403",
            "error: failed to get objectType:secret, objectName:db-pass, objectVersion:: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403",
        ] {
            assert_eq!(extract(text).unwrap().object_name.as_deref(), Some("db-pass"));
        }
    }
}
