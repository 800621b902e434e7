//! The host API rules see: constructors for results and a few helpers. Nothing here reads
//! files, the network or the clock.
//!
//! Every function is registered with its parameter names and doc comment, so the definitions
//! file for editors (`rules/kvcsi.d.rhai`, `kvcsi rules definitions`) is generated from this
//! very code.

use rhai::{Array, Dynamic, Engine, EvalAltResult, FuncRegistration, ImmutableString, Map};

/// Key marking what a returned map is.
pub const KIND_KEY: &str = "__kind";

fn tagged(kind: &str, mut map: Map) -> Map {
    map.insert(KIND_KEY.into(), Dynamic::from(ImmutableString::from(kind)));
    map
}

/// Registers `f` as `name` with its parameters (`name: Type`, then the return type) and doc.
macro_rules! host_fn {
    ($engine:expr, $name:expr, [$($param:expr),*], $doc:expr, $f:expr) => {
        FuncRegistration::new($name)
            .with_params_info([$($param),*])
            .with_comments([$doc])
            .register_into_engine($engine, $f);
    };
}

/// Registers the host API on `engine`.
pub fn register(engine: &mut Engine) {
    // Results.
    host_fn!(
        engine,
        "finding",
        ["spec: Map", "Map"],
        "/// A finding: the rule's cause is present. `spec` may hold `title` and `message` (text\n/// keys, default \"title\" and \"message\"), `params` (values for the {placeholders}),\n/// `severity` (\"error\", \"warning\", \"info\"; default the rule's), `confidence` (\"high\",\n/// \"medium\", \"low\"), `subject` (namespace, pod, volume, vault, node...), `data`\n/// (structured specifics), `evidence` (facts or matches: their `at` and `text`),\n/// `remediation` (text keys, or #{ text, command } maps) and `requests` (request specs).",
        |spec: Map| tagged("finding", spec)
    );
    host_fn!(
        engine,
        "request",
        ["spec: Map", "Map"],
        "/// A request for evidence that would settle or confirm the cause: `evidence` (the kind\n/// asked for, e.g. \"dns\"), `reason` (a text key), `command` (a command key) and `params`.",
        |spec: Map| tagged("request", spec)
    );
    host_fn!(
        engine,
        "pass",
        ["reason: String", "Map"],
        "/// The rule looked and ruled its cause out; `reason` is a text key.",
        |reason: ImmutableString| {
            let mut m = Map::new();
            m.insert("reason".into(), reason.into());
            tagged("pass", m)
        }
    );
    host_fn!(
        engine,
        "pass",
        ["reason: String", "params: Map", "Map"],
        "/// The rule looked and ruled its cause out; `reason` is a text key, `params` fill its\n/// {placeholders}.",
        |reason: ImmutableString, params: Map| {
            let mut m = Map::new();
            m.insert("reason".into(), reason.into());
            m.insert("params".into(), params.into());
            tagged("pass", m)
        }
    );
    host_fn!(
        engine,
        "skip",
        ["reason: String", "needs: Array", "Map"],
        "/// The rule could not decide; `reason` is a text key and `needs` the fact kinds that\n/// would let it decide.",
        |reason: ImmutableString, needs: Array| {
            let mut m = Map::new();
            m.insert("reason".into(), reason.into());
            m.insert("needs".into(), needs.into());
            tagged("skip", m)
        }
    );
    // Helpers.
    host_fn!(
        engine,
        "has",
        ["value: ?", "bool"],
        "/// Whether a value is present: false for (), an empty or blank string, an empty array\n/// or map; true otherwise. Fields the parsers did not find are absent, so `has(e.node)`\n/// is the way to test a field.",
        |value: Dynamic| -> bool {
            if value.is_unit() {
                return false;
            }
            if let Some(s) = value.read_lock::<ImmutableString>() {
                return !s.trim().is_empty();
            }
            if let Some(a) = value.read_lock::<Array>() {
                return !a.is_empty();
            }
            if let Some(m) = value.read_lock::<Map>() {
                return !m.is_empty();
            }
            true
        }
    );
    host_fn!(
        engine,
        "is_private_ip",
        ["address: String", "bool"],
        "/// Whether an IP address is private: IPv4 10/8, 172.16/12, 192.168/16 and 100.64/10,\n/// IPv6 fc00::/7. False for anything that is not an address.",
        |address: ImmutableString| crate::parse::dns::is_private(&address)
    );
    host_fn!(
        engine,
        "vault_of_host",
        ["host: String", "?"],
        "/// The vault name of a Key Vault host name (`myvault.vault.azure.net`,\n/// `myvault.privatelink.vaultcore.azure.net`, other clouds too), or () for any other host.",
        |host: ImmutableString| -> Dynamic {
            let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
            match host.split_once('.') {
                Some((name, rest))
                    if rest.starts_with("vault.") || rest.starts_with("privatelink.vaultcore") =>
                {
                    Dynamic::from(ImmutableString::from(name))
                }
                _ => Dynamic::UNIT,
            }
        }
    );
    host_fn!(
        engine,
        "contains_any",
        ["text: String", "needles: Array", "bool"],
        "/// Whether `text` contains any of the strings in `needles` (case-sensitive).",
        |text: ImmutableString, needles: Array| {
            needles.iter().any(|n| {
                n.clone()
                    .into_immutable_string()
                    .is_ok_and(|n| !n.is_empty() && text.contains(n.as_str()))
            })
        }
    );
    host_fn!(
        engine,
        "same_id",
        ["a: ?", "b: ?", "bool"],
        "/// Whether two ids (GUIDs, names) are equal ignoring case and surrounding blanks; false\n/// when either is () or empty.",
        |a: Dynamic, b: Dynamic| -> bool {
            let norm = |d: Dynamic| {
                d.into_immutable_string()
                    .ok()
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
            };
            matches!((norm(a), norm(b)), (Some(a), Some(b)) if a == b)
        }
    );
    host_fn!(
        engine,
        "is_redacted",
        ["value: ?", "bool"],
        "/// Whether a value was redacted or blanked before it was pasted (empty, `***`, `xxxx`,\n/// `<redacted>`, `REDACTED`, `HIDDEN`...), so its real value is unknown.",
        |value: Dynamic| -> bool {
            value
                .into_immutable_string()
                .is_ok_and(|s| crate::text::normalize::is_redacted_value(&s))
        }
    );
    // The clock would make reports differ from run to run; rules do not get it.
    host_fn!(
        engine,
        "timestamp",
        ["?"],
        "/// Not available to rules: the same evidence must give the same report.",
        || -> Result<Dynamic, Box<EvalAltResult>> {
            Err("timestamp() is not available to rules: the same evidence must give the same report".into())
        }
    );
}
