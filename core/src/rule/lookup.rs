//! Lookups over the facts, done by the host for the rule libraries.
//!
//! Every built-in rule starts the same way: index the check's events and log records by their
//! place (to join a Key Vault error or a pattern match to the record on the same line), and pick
//! the records whose text holds a phrase. In Rhai each of those is a loop that copies every fact
//! it touches (a property read clones the value, a map insert clones it again), and every rule
//! ran it again over the same few hundred facts, so together they cost more than the rules'
//! own reasoning. Here they read the facts by reference and copy only what they return.
//!
//! An index is a [`Places`] value: it shares its entries, so passing it to a function (which
//! rhai does by copying the argument) costs nothing, and the sandbox counts the bytes it holds
//! against the rule's memory limit like any other value.

use rhai::{Array, Dynamic, Engine, FuncRegistration, ImmutableString, Map, INT};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Facts by place: `"<source>#<first line>"` to the fact (a later kind wins at the same place).
#[derive(Debug, Clone, Default)]
pub struct Places {
    by_key: Arc<BTreeMap<String, Dynamic>>,
    bytes: usize,
}

impl Places {
    /// An estimate of the bytes the entries hold (see `sandbox::estimate`).
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// The place key of a fact or match (`at.source` and `at.lines[0]`), as the libraries' `at_key`
/// writes it; `None` when `at` does not have that shape.
fn place_key(item: &Map) -> Option<String> {
    let at = item.get("at")?.read_lock::<Map>()?;
    let source = at.get("source")?.read_lock::<ImmutableString>()?.clone();
    let lines = at.get("lines")?.read_lock::<Array>()?;
    let first = lines.first()?.as_int().ok()?;
    Some(format!("{source}#{first}"))
}

/// The facts of `kind` (an empty slice when the rule replaced the array with something else).
fn facts_of<'f>(facts: &'f Map, kind: &str) -> Option<rhai::DynamicReadLock<'f, Array>> {
    facts.get(kind)?.read_lock::<Array>()
}

fn by_place(facts: &mut Map, kinds: &Array) -> Places {
    let mut by_key = BTreeMap::new();
    let mut bytes = 0usize;
    for kind in kinds {
        let Ok(kind) = kind.as_immutable_string_ref() else {
            continue;
        };
        let Some(items) = facts_of(facts, &kind) else {
            continue;
        };
        for item in items.iter() {
            let Some(key) = item.read_lock::<Map>().and_then(|m| place_key(&m)) else {
                continue;
            };
            bytes = bytes
                .saturating_add(key.len())
                .saturating_add(super::sandbox::estimate_bytes(item));
            by_key.insert(key, item.clone());
        }
    }
    Places {
        by_key: Arc::new(by_key),
        bytes,
    }
}

/// The facts of `kind` whose string field `field` holds one of `needles` (empty needles and
/// non-string fields never match), in their order.
fn containing(facts: &mut Map, kind: &str, field: &str, needles: &Array) -> Array {
    let needles: Vec<ImmutableString> = needles
        .iter()
        .filter_map(|n| n.as_immutable_string_ref().ok().map(|n| n.clone()))
        .filter(|n| !n.is_empty())
        .collect();
    let Some(items) = facts_of(facts, kind) else {
        return Array::new();
    };
    items
        .iter()
        .filter(|item| {
            item.read_lock::<Map>().is_some_and(|m| {
                m.get(field)
                    .and_then(|v| v.read_lock::<ImmutableString>())
                    .is_some_and(|text| needles.iter().any(|n| text.contains(n.as_str())))
            })
        })
        .cloned()
        .collect()
}

/// A fresh item for `place`, as `items_by_place` starts one.
fn new_item(fact: &Map) -> Map {
    let text = fact.get("text").cloned().unwrap_or(Dynamic::UNIT);
    let mut item = Map::new();
    item.insert(
        "at".into(),
        fact.get("at").cloned().unwrap_or(Dynamic::UNIT),
    );
    item.insert("text".into(), text.clone());
    item.insert("msg".into(), text);
    item.insert("caps".into(), Map::new().into());
    item.insert("hits".into(), Array::new().into());
    item
}

/// Appends `more` to the item's `msg` on a line of its own, unless `msg` already holds it.
fn add_to_msg(item: &mut Map, more: Option<&Dynamic>) {
    let Some(more) = more.and_then(|m| m.read_lock::<ImmutableString>().map(|m| m.clone())) else {
        return;
    };
    let Some(msg) = item.get_mut("msg") else {
        return;
    };
    let Some(current) = msg.read_lock::<ImmutableString>().map(|m| m.clone()) else {
        return;
    };
    if !current.contains(more.as_str()) {
        *msg = format!("{current}\n{more}").into();
    }
}

fn items_by_place(facts: &mut Map, matches: &Map) -> Array {
    let mut by_key: BTreeMap<String, Map> = BTreeMap::new();
    let mut each = |item: &Dynamic, mut join: Box<dyn FnMut(&mut Map, &Map) + '_>| {
        let Some(fact) = item.read_lock::<Map>() else {
            return;
        };
        let Some(key) = place_key(&fact) else {
            return;
        };
        let entry = by_key.entry(key).or_insert_with(|| new_item(&fact));
        join(entry, &fact);
    };
    for (kind, slot, extra) in [
        ("events", "ev", Some("message")),
        ("logs", "log", None),
        ("kv_errors", "kv", Some("text")),
    ] {
        let Some(items) = facts_of(facts, kind) else {
            continue;
        };
        for item in items.iter() {
            each(
                item,
                Box::new(|entry: &mut Map, fact: &Map| {
                    entry.insert(slot.into(), Dynamic::from_map(fact.clone()));
                    if let Some(field) = extra {
                        add_to_msg(entry, fact.get(field));
                    }
                }),
            );
        }
    }
    for (name, record) in matches {
        let Some(record) = record.read_lock::<Map>() else {
            continue;
        };
        let Some(all) = record.get("all").and_then(|a| a.read_lock::<Array>()) else {
            continue;
        };
        for item in all.iter() {
            each(
                item,
                Box::new(|entry: &mut Map, found: &Map| {
                    if let Some(mut hits) =
                        entry.get_mut("hits").and_then(|h| h.write_lock::<Array>())
                    {
                        hits.push(Dynamic::from(ImmutableString::from(name.as_str())));
                    }
                    let Some(captures) = found.get("captures").and_then(|c| c.read_lock::<Map>())
                    else {
                        return;
                    };
                    if let Some(mut caps) =
                        entry.get_mut("caps").and_then(|c| c.write_lock::<Map>())
                    {
                        for (capture, value) in captures.iter() {
                            caps.entry(capture.clone()).or_insert_with(|| value.clone());
                        }
                    }
                }),
            );
        }
    }
    by_key.into_values().map(Dynamic::from_map).collect()
}

/// Registers the lookups on `engine`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Places>("Places");
    engine.register_indexer_get(|places: &mut Places, key: ImmutableString| -> Dynamic {
        places
            .by_key
            .get(key.as_str())
            .cloned()
            .unwrap_or(Dynamic::UNIT)
    });
    FuncRegistration::new("by_place")
        .with_params_info(["facts: Map", "kinds: Array", "Places"])
        .with_comments(["/// The facts of `kinds` (e.g. [\"events\", \"logs\"]) by place: `places[key]` is the fact\n/// whose `at` is `key` (`\"<source>#<first line>\"`), or (). A later kind wins at the same place.\n/// Call it as `facts.by_place(..)`: the facts are read in place, and the index shares its\n/// entries, so passing it on costs nothing."])
        .register_into_engine(engine, |facts: &mut Map, kinds: Array| by_place(facts, &kinds));
    FuncRegistration::new("contains")
        .with_params_info(["places: Places", "key: String", "bool"])
        .with_comments(["/// Whether a fact is indexed at `key`."])
        .register_into_engine(engine, |places: &mut Places, key: ImmutableString| {
            places.by_key.contains_key(key.as_str())
        });
    FuncRegistration::new("len")
        .with_params_info(["places: Places", "int"])
        .with_comments(["/// How many places are indexed."])
        .register_into_engine(engine, |places: &mut Places| {
            INT::try_from(places.by_key.len()).unwrap_or(INT::MAX)
        });
    FuncRegistration::new("items_by_place")
        .with_params_info(["facts: Map", "matches: Map", "Array"])
        .with_comments(["/// One item per place (`\"<source>#<first line>\"`, in that order) that holds an event, a\n/// log record, a Key Vault error or a match of the rule's patterns: #{ at, text, msg, caps,\n/// hits, ev, log, kv }. `ev`, `log` and `kv` are the facts there; `msg` is the text plus the\n/// event's message and the error's text when the text does not hold them; `hits` names the\n/// patterns that matched there and `caps` holds their captures (the first of each name)."])
        .register_into_engine(engine, |facts: &mut Map, matches: Map| {
            items_by_place(facts, &matches)
        });
    FuncRegistration::new("containing")
        .with_params_info(["facts: Map", "kind: String", "field: String", "needles: Array", "Array"])
        .with_comments(["/// The facts of `kind` whose string field `field` contains any of `needles`\n/// (case-sensitive), in order: `facts.containing(\"events\", \"message\", [\"not found\"])`.\n/// The same as a loop with `contains_any`, without copying the facts that do not match."])
        .register_into_engine(
            engine,
            |facts: &mut Map, kind: ImmutableString, field: ImmutableString, needles: Array| {
                containing(facts, &kind, &field, &needles)
            },
        );
}

#[cfg(test)]
mod tests {
    use super::super::sandbox;
    use crate::limits::ScriptLimits;
    use rhai::{Dynamic, Scope};

    fn eval(script: &str) -> Dynamic {
        let engine = sandbox::engine(&ScriptLimits::default());
        let mut scope = Scope::new();
        let facts = r#"#{
            events: [#{ at: #{ source: "ev", lines: [3, 3] }, message: "MountVolume.SetUp failed", text: "row" }],
            logs: [
                #{ at: #{ source: "log", lines: [10, 10] }, text: "E1 node publish volume complete" },
                #{ at: #{ source: "ev", lines: [3, 3] }, text: "same place as the event" },
                #{ at: "not a place", text: "skipped" },
            ],
            kv_errors: 7,
        }"#;
        let script = format!("let facts = {facts};\n{script}");
        engine
            .eval_with_scope::<Dynamic>(&mut scope, &script)
            .unwrap_or_else(|e| Dynamic::from(format!("error: {e}")))
    }

    #[test]
    fn by_place_indexes_later_kinds_over_earlier_ones() {
        let got = eval(
            r#"let p = facts.by_place(["events", "logs"]); [p.len(), p["ev#3"].text, p["log#10"].text, p["nowhere#1"], p.contains("log#10")]"#,
        );
        assert_eq!(
            got.to_string(),
            r#"[2, "same place as the event", "E1 node publish volume complete", (), true]"#
        );
    }

    #[test]
    fn by_place_skips_what_is_not_a_fact_array() {
        let got = eval(r#"let p = facts.by_place(["kv_errors", "missing", 5]); p.len()"#);
        assert_eq!(got.as_int().ok(), Some(0));
    }

    #[test]
    fn containing_keeps_order_and_ignores_empty_needles() {
        let got = eval(
            r#"[facts.containing("logs", "text", ["", "place", "complete"]).len(), facts.containing("events", "message", ["SetUp"])[0].text, facts.containing("logs", "nofield", ["x"]).len(), facts.containing("kv_errors", "text", ["x"]).len()]"#,
        );
        assert_eq!(got.to_string(), r#"[2, "row", 0, 0]"#);
    }

    #[test]
    fn an_index_counts_towards_the_rules_memory() {
        let got = eval(r#"let p = facts.by_place(["events", "logs"]); p"#);
        let bytes = got.read_lock::<super::Places>().map(|p| p.bytes());
        assert!(bytes.is_some_and(|b| b > 40), "{bytes:?}");
    }
}
