//! The host API rules see: constructors for results and a few helpers. Nothing here reads
//! files, the network or the clock.

use rhai::{Array, Dynamic, Engine, ImmutableString, Map};

/// Key marking what a returned map is.
pub const KIND_KEY: &str = "__kind";

fn tagged(kind: &str, mut map: Map) -> Map {
    map.insert(KIND_KEY.into(), Dynamic::from(ImmutableString::from(kind)));
    map
}

/// Registers the host API on `engine`.
pub fn register(engine: &mut Engine) {
    // Results.
    engine.register_fn("finding", |spec: Map| tagged("finding", spec));
    engine.register_fn("request", |spec: Map| tagged("request", spec));
    engine.register_fn("pass", |reason: ImmutableString| {
        let mut m = Map::new();
        m.insert("reason".into(), reason.into());
        tagged("pass", m)
    });
    engine.register_fn("pass", |reason: ImmutableString, params: Map| {
        let mut m = Map::new();
        m.insert("reason".into(), reason.into());
        m.insert("params".into(), params.into());
        tagged("pass", m)
    });
    engine.register_fn("skip", |reason: ImmutableString, needs: Array| {
        let mut m = Map::new();
        m.insert("reason".into(), reason.into());
        m.insert("needs".into(), needs.into());
        tagged("skip", m)
    });
    // Helpers.
    engine.register_fn("is_private_ip", |address: ImmutableString| {
        crate::parse::dns::is_private(&address)
    });
    engine.register_fn("vault_of_host", |host: ImmutableString| -> Dynamic {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        match host.split_once('.') {
            Some((name, rest))
                if rest.starts_with("vault.") || rest.starts_with("privatelink.vaultcore") =>
            {
                Dynamic::from(ImmutableString::from(name))
            }
            _ => Dynamic::UNIT,
        }
    });
    engine.register_fn("contains_any", |text: ImmutableString, needles: Array| {
        needles.iter().any(|n| {
            n.clone()
                .into_immutable_string()
                .is_ok_and(|n| !n.is_empty() && text.contains(n.as_str()))
        })
    });
    engine.register_fn("same_id", |a: Dynamic, b: Dynamic| -> bool {
        let norm = |d: Dynamic| {
            d.into_immutable_string()
                .ok()
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
        };
        matches!((norm(a), norm(b)), (Some(a), Some(b)) if a == b)
    });
    engine.register_fn("is_redacted", |value: Dynamic| -> bool {
        value
            .into_immutable_string()
            .is_ok_and(|s| crate::text::normalize::is_redacted_value(&s))
    });
    engine.register_fn("has", |value: Dynamic| -> bool {
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
    });
}
