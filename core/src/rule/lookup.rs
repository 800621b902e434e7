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

use super::view::{FactSource, SharedFacts};
use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, FuncRegistration, ImmutableString, Map};
use rhai::{NativeCallContext, INT};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Facts by place: `"<source>#<first line>"` to the fact (a later kind wins at the same place).
///
/// An entry points into the arrays it was built from, which it shares with the facts: indexing
/// the shared facts copies none of them, and `places[key]` copies only the fact it returns.
#[derive(Debug, Clone, Default)]
pub struct Places {
    /// The arrays the entries point into: a map holding them, and the kind to read.
    kinds: Arc<Vec<(Arc<Map>, ImmutableString)>>,
    /// Place key to (index into `kinds`, index into that array).
    by_key: Arc<BTreeMap<String, (usize, usize)>>,
    bytes: usize,
}

impl Places {
    /// An estimate of the bytes the index holds that are not the host's (see
    /// `sandbox::estimate`): its keys, and the facts a rule set itself.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// A copy of the fact at `key`, if any.
    fn get(&self, key: &str) -> Option<Dynamic> {
        let &(kind, index) = self.by_key.get(key)?;
        let (map, name) = self.kinds.get(kind)?;
        let items = map.get(name.as_str())?.read_lock::<Array>()?;
        items.get(index).cloned()
    }
}

/// Where the provider named the pod and vault it worked on: entries `#{ source, line, pod,
/// vault }`, shared, so that handing them to a function per incident copies nothing.
#[derive(Debug, Clone, Default)]
pub struct PodContexts {
    entries: Arc<Vec<Dynamic>>,
    bytes: usize,
}

impl PodContexts {
    /// An estimate of the bytes the entries hold (see `sandbox::estimate`).
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// `for c in ctx` walks a copy of the entries, as it would walk an array.
impl IntoIterator for PodContexts {
    type Item = Dynamic;
    type IntoIter = std::vec::IntoIter<Dynamic>;

    fn into_iter(self) -> Self::IntoIter {
        Arc::unwrap_or_clone(self.entries).into_iter()
    }
}

/// Whether `a` and `b` are the same id (trimmed, ignoring ASCII case), as `same_id` says.
fn same_id(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    !a.is_empty() && a.eq_ignore_ascii_case(b)
}

/// A non-blank string value, as `has` reads one.
fn present_text(value: Option<&Dynamic>) -> Option<ImmutableString> {
    let text = value?.read_lock::<ImmutableString>()?.clone();
    (!text.trim().is_empty()).then_some(text)
}

/// The entry of `entries` in `source` on the latest line at or before `line`, at most
/// `max_gap` lines before it, whose vault (when both name one) is `vault`; the first such
/// entry when several share that line.
fn nearest(entries: &[Dynamic], source: &str, line: INT, max_gap: INT, vault: &Dynamic) -> Dynamic {
    let vault = present_text(Some(vault));
    let mut best: Option<(INT, &Dynamic)> = None;
    for entry in entries {
        let Some(map) = entry.read_lock::<Map>() else {
            continue;
        };
        let at_source = map
            .get("source")
            .and_then(|s| s.read_lock::<ImmutableString>().map(|s| s.clone()));
        let Some(at_line) = map.get("line").and_then(|l| l.as_int().ok()) else {
            continue;
        };
        if at_source.as_deref() != Some(source) || at_line > line || line - at_line > max_gap {
            continue;
        }
        if let (Some(wanted), Some(named)) = (&vault, present_text(map.get("vault"))) {
            if !same_id(wanted, &named) {
                continue;
            }
        }
        if best.is_none_or(|(best_line, _)| at_line > best_line) {
            best = Some((at_line, entry));
        }
    }
    best.map_or(Dynamic::UNIT, |(_, entry)| entry.clone())
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
fn facts_of<'f>(
    facts: &'f impl FactSource,
    kind: &str,
) -> Option<rhai::DynamicReadLock<'f, Array>> {
    facts.kind(kind)?.read_lock::<Array>()
}

fn by_place(facts: &impl FactSource, kinds: &Array) -> Places {
    let mut by_key = BTreeMap::new();
    let mut sources = Vec::new();
    let mut bytes = 0usize;
    for kind in kinds {
        let Ok(kind) = kind.as_immutable_string_ref() else {
            continue;
        };
        let Some((map, shared)) = facts.kind_map(&kind) else {
            continue;
        };
        let Some(items) = map.get(kind.as_str()).and_then(|v| v.read_lock::<Array>()) else {
            continue;
        };
        for (index, item) in items.iter().enumerate() {
            let Some(key) = item.read_lock::<Map>().and_then(|m| place_key(&m)) else {
                continue;
            };
            bytes = bytes.saturating_add(key.len());
            if !shared {
                bytes = bytes.saturating_add(super::sandbox::estimate_bytes(item));
            }
            by_key.insert(key, (sources.len(), index));
        }
        drop(items);
        sources.push((map, kind.clone()));
    }
    Places {
        kinds: Arc::new(sources),
        by_key: Arc::new(by_key),
        bytes,
    }
}

/// The strings of a script's needle array; empty strings and other values match nothing, so
/// they are left out.
fn needle_list(needles: &Array) -> Vec<ImmutableString> {
    needles
        .iter()
        .filter_map(|n| n.as_immutable_string_ref().ok().map(|n| n.clone()))
        .filter(|n| !n.is_empty())
        .collect()
}

/// The facts of `kind` whose string field `field` holds one of `needles` (empty needles and
/// non-string fields never match), in their order.
fn containing(facts: &impl FactSource, kind: &str, field: &str, needles: &Array) -> Array {
    let needles = needle_list(needles);
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

/// The facts of `kind` for which `predicate` returns true, in order, called as `array.filter`
/// calls it (a second parameter gets the fact's index). Each fact is copied to be tested, and
/// once more when kept, never the whole kind at once.
fn filter(
    context: &NativeCallContext,
    facts: &impl FactSource,
    kind: &str,
    predicate: &FnPtr,
) -> Result<Array, Box<EvalAltResult>> {
    let Some(items) = facts_of(facts, kind) else {
        return Ok(Array::new());
    };
    let mut kept = Array::new();
    for (index, item) in items.iter().enumerate() {
        let mut candidate = item.clone();
        let index = [Dynamic::from(super::script_int(index))];
        let keep = predicate
            .call_raw_with_extra_args("filter", context, Some(&mut candidate), [], index, Some(0))?
            .as_bool()
            .unwrap_or(false);
        if keep {
            kept.push(item.clone());
        }
    }
    Ok(kept)
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

/// The item at `fact`'s place, started from `fact` when the place is new; `None` when `fact`
/// has no place, or a place `keep` leaves out.
fn item_at<'i>(
    by_key: &'i mut BTreeMap<String, Map>,
    fact: &Map,
    keep: Option<&HashSet<String>>,
) -> Option<&'i mut Map> {
    let key = place_key(fact)?;
    if keep.is_some_and(|keep| !keep.contains(&key)) {
        return None;
    }
    Some(by_key.entry(key).or_insert_with(|| new_item(fact)))
}

/// Whether `value` is a string holding one of `needles`.
fn holds_any(value: Option<&Dynamic>, needles: &[ImmutableString]) -> bool {
    value
        .and_then(|v| v.read_lock::<ImmutableString>())
        .is_some_and(|text| needles.iter().any(|n| text.contains(n.as_str())))
}

/// Whether a Key Vault error's fields hold one of `needles`: its string fields, its status
/// (a needle `"401"` matches status 401), and its Entra ID and Key Vault numbers as written
/// (`AADSTS700016`, `AKV10032`). They were read from the
/// error's text before redaction, and a credential redacted next to a code can take the code
/// out of the text the rule sees, not out of these fields.
fn kv_holds_any(fact: &Map, needles: &[ImmutableString]) -> bool {
    let numbers = |field: &str, prefix: &str| -> Vec<String> {
        fact.get(field)
            .and_then(|v| v.read_lock::<Array>().map(|a| a.clone()))
            .unwrap_or_default()
            .iter()
            .filter_map(|n| {
                n.read_lock::<ImmutableString>()
                    .map(|n| format!("{prefix}{}", n.as_str()))
            })
            .collect()
    };
    let written = numbers("aadsts", "AADSTS")
        .into_iter()
        .chain(numbers("akv", "AKV"));
    // A number (the HTTP status) matches a needle that is that number.
    let number_is = |v: &Dynamic| {
        v.as_int().is_ok_and(|n| {
            needles
                .iter()
                .any(|needle| needle.as_str() == n.to_string())
        })
    };
    fact.values()
        .any(|v| holds_any(Some(v), needles) || number_is(v))
        || written
            .into_iter()
            .any(|code| needles.iter().any(|n| code.contains(n.as_str())))
}

/// The places whose item `msg` would hold one of `needles`: a fact's `text`, an event's
/// `message` or a match's `text` there holds it (`msg` joins them with line breaks, and a
/// needle is one line).
fn places_holding(
    facts: &impl FactSource,
    matches: &Map,
    needles: &[ImmutableString],
) -> HashSet<String> {
    let mut keep = HashSet::new();
    for kind in ["events", "logs", "kv_errors"] {
        for fact in facts_of(facts, kind).iter().flat_map(|items| items.iter()) {
            let Some(fact) = fact.read_lock::<Map>() else {
                continue;
            };
            let kv_fields = || kind == "kv_errors" && kv_holds_any(&fact, needles);
            if holds_any(fact.get("text"), needles)
                || holds_any(fact.get("message"), needles)
                || kv_fields()
            {
                keep.extend(place_key(&fact));
            }
        }
    }
    for record in matches.values() {
        let Some(record) = record.read_lock::<Map>() else {
            continue;
        };
        let Some(all) = record.get("all").and_then(|a| a.read_lock::<Array>()) else {
            continue;
        };
        for found in all.iter() {
            if let Some(found) = found.read_lock::<Map>() {
                if holds_any(found.get("text"), needles) {
                    keep.extend(place_key(&found));
                }
            }
        }
    }
    keep
}

/// Records a match of pattern `name` in its place's item: the name, and its captures where
/// the item does not have them yet.
fn add_hit(item: &mut Map, name: &str, found: &Map) {
    if let Some(mut hits) = item.get_mut("hits").and_then(|h| h.write_lock::<Array>()) {
        hits.push(Dynamic::from(ImmutableString::from(name)));
    }
    let Some(captures) = found.get("captures").and_then(|c| c.read_lock::<Map>()) else {
        return;
    };
    if let Some(mut caps) = item.get_mut("caps").and_then(|c| c.write_lock::<Map>()) {
        for (capture, value) in captures.iter() {
            caps.entry(capture.clone()).or_insert_with(|| value.clone());
        }
    }
}

fn items_by_place(
    facts: &impl FactSource,
    matches: &Map,
    needles: Option<&[ImmutableString]>,
) -> Array {
    let keep = needles.map(|needles| places_holding(facts, matches, needles));
    let keep = keep.as_ref();
    let mut by_key: BTreeMap<String, Map> = BTreeMap::new();
    // Each fact kind fills its own slot of the item; an event's message and an error's text
    // are added to what the item's `msg` says.
    for (kind, slot, also_read) in [
        ("events", "ev", Some("message")),
        ("logs", "log", None),
        ("kv_errors", "kv", Some("text")),
    ] {
        let Some(items) = facts_of(facts, kind) else {
            continue;
        };
        for fact in items.iter() {
            let Some(fact) = fact.read_lock::<Map>() else {
                continue;
            };
            let Some(item) = item_at(&mut by_key, &fact, keep) else {
                continue;
            };
            item.insert(slot.into(), Dynamic::from_map(fact.clone()));
            if let Some(field) = also_read {
                add_to_msg(item, fact.get(field));
            }
        }
    }
    for (name, record) in matches {
        let Some(record) = record.read_lock::<Map>() else {
            continue;
        };
        let Some(all) = record.get("all").and_then(|a| a.read_lock::<Array>()) else {
            continue;
        };
        for found in all.iter() {
            let Some(found) = found.read_lock::<Map>() else {
                continue;
            };
            if let Some(item) = item_at(&mut by_key, &found, keep) {
                add_hit(item, name, &found);
            }
        }
    }
    by_key.into_values().map(Dynamic::from_map).collect()
}

/// Registers `ctx.nearest(source, line, max_gap, vault)` for a receiver type whose entries
/// `entries` gives (the shared contexts, and a plain array of the same maps).
fn register_nearest<T: rhai::Variant + Clone>(
    engine: &mut Engine,
    receiver: &'static str,
    entries: fn(&T) -> &[Dynamic],
) {
    FuncRegistration::new("nearest")
        .with_params_info([receiver, "source: String", "line: int", "max_gap: int", "vault: ?", "?"])
        .with_comments(["/// The entry in `source` on the latest line at or before `line` and at most `max_gap` lines\n/// before it whose `vault` (when both name one) is `vault` (`same_id`), or (): the context a\n/// log line that names no pod belongs to. Entries are #{ source, line, pod, vault } maps."])
        .register_into_engine(
            engine,
            move |ctx: &mut T, source: ImmutableString, line: INT, max_gap: INT, vault: Dynamic| {
                nearest(entries(ctx), &source, line, max_gap, &vault)
            },
        );
}

/// Registers the lookups over facts for a receiver type: the rule's view of the facts, and a map
/// of the same shape (so that the libraries run on data a script built).
fn register_fact_lookups<T: FactSource>(engine: &mut Engine, receiver: &'static str) {
    FuncRegistration::new("by_place")
        .with_params_info([receiver, "kinds: Array", "Places"])
        .with_comments(["/// The facts of `kinds` (e.g. [\"events\", \"logs\"]) by place: `places[key]` is the fact\n/// whose `at` is `key` (`\"<source>#<first line>\"`), or (). A later kind wins at the same place.\n/// Call it as `facts.by_place(..)`: the index points into the facts instead of copying them,\n/// and passing it on costs nothing."])
        .register_into_engine(engine, |facts: &mut T, kinds: Array| by_place(facts, &kinds));
    FuncRegistration::new("items_by_place")
        .with_params_info([receiver, "matches: Map", "Array"])
        .with_comments(["/// One item per place (`\"<source>#<first line>\"`, in that order) that holds an event, a\n/// log record, a Key Vault error or a match of the rule's patterns: #{ at, text, msg, caps,\n/// hits, ev, log, kv }. `ev`, `log` and `kv` are the facts there; `msg` is the text plus the\n/// event's message and the error's text when the text does not hold them; `hits` names the\n/// patterns that matched there and `caps` holds their captures (the first of each name)."])
        .register_into_engine(engine, |facts: &mut T, matches: Map| {
            items_by_place(facts, &matches, None)
        });
    FuncRegistration::new("items_by_place")
        .with_params_info([receiver, "matches: Map", "needles: Array", "Array"])
        .with_comments(["/// The items of `items_by_place(matches)` whose `msg` holds one of `needles` (case-sensitive):\n/// for a rule whose every finding needs one of those phrases, the items it need not look at\n/// are never built."])
        .register_into_engine(engine, |facts: &mut T, matches: Map, needles: Array| {
            items_by_place(facts, &matches, Some(&needle_list(&needles)))
        });
    FuncRegistration::new("filter")
        .with_params_info([receiver, "kind: String", "predicate: FnPtr", "Array"])
        .with_comments(["/// The facts of `kind` for which `predicate` returns true, in order:\n/// `facts.filter(\"kv_errors\", |k| k.status == 429)`. The same as `facts.kv_errors.filter(..)`\n/// without copying the whole kind first: each fact is copied only to be tested."])
        .register_into_engine(
            engine,
            |context: NativeCallContext, facts: &mut T, kind: ImmutableString, predicate: FnPtr| {
                filter(&context, facts, &kind, &predicate)
            },
        );
    FuncRegistration::new("containing")
        .with_params_info([receiver, "kind: String", "field: String", "needles: Array", "Array"])
        .with_comments(["/// The facts of `kind` whose string field `field` contains any of `needles`\n/// (case-sensitive), in order: `facts.containing(\"events\", \"message\", [\"not found\"])`.\n/// The same as a loop with `contains_any`, without copying the facts that do not match."])
        .register_into_engine(
            engine,
            |facts: &mut T, kind: ImmutableString, field: ImmutableString, needles: Array| {
                containing(facts, &kind, &field, &needles)
            },
        );
}

/// Registers the lookups on `engine`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Places>("Places");
    engine.register_indexer_get(|places: &mut Places, key: ImmutableString| -> Dynamic {
        places.get(&key).unwrap_or(Dynamic::UNIT)
    });
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
            super::script_int(places.by_key.len())
        });
    engine.register_type_with_name::<PodContexts>("PodContexts");
    engine.register_iterator::<PodContexts>();
    FuncRegistration::new("context_index")
        .with_params_info(["entries: Array", "PodContexts"])
        .with_comments(["/// `entries` (#{ source, line, pod, vault } maps) as one shared value: passing it on copies\n/// nothing, and `ctx.nearest(..)` searches it. It iterates like the array."])
        .register_into_engine(engine, |entries: Array| {
            let bytes = entries.iter().map(super::sandbox::estimate_bytes).fold(0usize, usize::saturating_add);
            PodContexts { entries: Arc::new(entries), bytes }
        });
    FuncRegistration::new("len")
        .with_params_info(["ctx: PodContexts", "int"])
        .with_comments(["/// How many entries there are."])
        .register_into_engine(engine, |ctx: &mut PodContexts| {
            super::script_int(ctx.entries.len())
        });
    register_nearest(engine, "ctx: PodContexts", |ctx: &PodContexts| &ctx.entries);
    register_nearest(engine, "ctx: Array", |ctx: &Array| ctx);
    register_fact_lookups::<SharedFacts>(engine, "facts: Facts");
    register_fact_lookups::<Map>(engine, "facts: Map");
}

#[cfg(test)]
mod tests {
    use super::super::sandbox;
    use crate::limits::ScriptLimits;
    use rhai::{Dynamic, Scope};

    const FACTS: &str = r#"#{
        events: [#{ at: #{ source: "ev", lines: [3, 3] }, message: "MountVolume.SetUp failed", text: "row" }],
        logs: [
            #{ at: #{ source: "log", lines: [10, 10] }, text: "E1 node publish volume complete" },
            #{ at: #{ source: "ev", lines: [3, 3] }, text: "same place as the event" },
            #{ at: "not a place", text: "skipped" },
        ],
        kv_errors: 7,
    }"#;

    /// Runs `script` with `facts` the test facts as a plain map.
    fn eval(script: &str) -> Dynamic {
        let engine = sandbox::engine(&ScriptLimits::default());
        let mut scope = Scope::new();
        let script = format!("let facts = {FACTS};\n{script}");
        engine
            .eval_with_scope::<Dynamic>(&mut scope, &script)
            .unwrap_or_else(|e| Dynamic::from(format!("error: {e}")))
    }

    /// Runs `script` with `facts` the test facts as rules get them: a shared view.
    fn eval_shared(script: &str) -> Dynamic {
        let engine = sandbox::engine(&ScriptLimits::default());
        let kinds = engine.eval::<rhai::Map>(FACTS).unwrap_or_default();
        let mut scope = Scope::new();
        scope.push("facts", super::SharedFacts::new(kinds));
        engine
            .eval_with_scope::<Dynamic>(&mut scope, script)
            .unwrap_or_else(|e| Dynamic::from(format!("error: {e}")))
    }

    #[test]
    fn the_shared_view_gives_what_the_map_gives() {
        for script in [
            r#"let p = facts.by_place(["events", "logs"]); [p.len(), p["ev#3"].text, p["log#10"].text, p["nowhere#1"]]"#,
            r#"facts.containing("logs", "text", ["place", "complete"])"#,
            r#"facts.items_by_place(#{}).map(|it| it.msg)"#,
            r#"facts.filter("logs", |l| l.text.contains("e"))"#,
            r#"facts.logs = []; facts.by_place(["logs"]).len()"#,
        ] {
            assert_eq!(
                eval_shared(script).to_string(),
                eval(script).to_string(),
                "{script}"
            );
        }
    }

    #[test]
    fn an_index_of_the_shared_facts_points_into_them() {
        let bytes = |script: &str| {
            eval_shared(script)
                .read_lock::<super::Places>()
                .map(|p| p.bytes())
        };
        let shared = bytes(r#"facts.by_place(["events", "logs"])"#);
        let copied = bytes(r#"facts.logs = facts.logs; facts.by_place(["events", "logs"])"#);
        // Only the keys count while the index points into the host's facts; a kind the rule
        // set itself is copied into the index and counts whole.
        assert_eq!(shared, Some("ev#3".len() * 2 + "log#10".len()));
        assert!(copied.is_some_and(|c| c > 100), "{copied:?}");
    }

    #[test]
    fn filter_tests_each_fact_as_array_filter_does() {
        let got = eval_shared(
            r#"[
                facts.filter("logs", |l| l.text.contains("place")).map(|l| l.text),
                facts.filter("logs", |l, i| i == 2).map(|l| l.text),
                facts.filter("logs", |l| l.text.starts_with("E1")).len(),
                facts.filter("logs", |l| "not a bool").len(),
                facts.filter("kv_errors", |k| true).len(),
                facts.filter("missing", |k| true).len(),
            ]"#,
        );
        assert_eq!(
            got.to_string(),
            r#"[["same place as the event"], ["skipped"], 1, 0, 0, 0]"#
        );
        let failed = eval_shared(r#"facts.filter("logs", |l| l.text.no_such_method())"#);
        assert!(failed.to_string().starts_with("error: "), "{failed}");
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

    /// The script `items_by_place` replaced, kept to show they agree.
    const SCRIPT_COLLECT: &str = r#"
        fn loc_of(at) { `${at.source}#${at.lines[0]}` }
        fn collect(matches) {
            let by = #{};
            for e in this.events {
                let k = loc_of(e.at);
                if by[k] == () { by[k] = #{ at: e.at, text: e.text, msg: e.text, caps: #{}, hits: [] }; }
                by[k].ev = e;
                if !by[k].msg.contains(e.message) { by[k].msg += "\n" + e.message; }
            }
            for l in this.logs {
                let k = loc_of(l.at);
                if by[k] == () { by[k] = #{ at: l.at, text: l.text, msg: l.text, caps: #{}, hits: [] }; }
                by[k].log = l;
            }
            for kv in this.kv_errors {
                let k = loc_of(kv.at);
                if by[k] == () { by[k] = #{ at: kv.at, text: kv.text, msg: kv.text, caps: #{}, hits: [] }; }
                by[k].kv = kv;
                if !by[k].msg.contains(kv.text) { by[k].msg += "\n" + kv.text; }
            }
            for name in matches.keys() {
                for m in matches[name].all {
                    let k = loc_of(m.at);
                    if by[k] == () { by[k] = #{ at: m.at, text: m.text, msg: m.text, caps: #{}, hits: [] }; }
                    by[k].hits.push(name);
                    for c in m.captures.keys() {
                        if !by[k].caps.contains(c) { by[k].caps[c] = m.captures[c]; }
                    }
                }
            }
            by.values()
        }
    "#;

    #[test]
    fn items_by_place_agrees_with_the_script_it_replaced() {
        let facts = r#"#{
            events: [
                #{ at: #{ source: "ev", lines: [3, 3] }, message: "MountVolume.SetUp failed for volume", text: "Warning FailedMount pod/app" },
                #{ at: #{ source: "ev", lines: [10, 10] }, message: "already in text", text: "x already in text" },
            ],
            logs: [#{ at: #{ source: "log", lines: [7, 7] }, text: "E1 failed to get keyvault", pod: "ns/app" }],
            kv_errors: [
                #{ at: #{ source: "log", lines: [7, 7] }, text: "StatusCode=403", status: 403 },
                #{ at: #{ source: "log", lines: [12, 12] }, text: "RESPONSE 404", status: 404 },
            ],
        }"#;
        let matches = r#"#{
            b_second: #{ count: 1, all: [#{ at: #{ source: "log", lines: [7, 7] }, text: "E1 failed", captures: #{ vault: "kv2", pod: "ns/app" } }] },
            a_first: #{ count: 2, all: [
                #{ at: #{ source: "log", lines: [7, 7] }, text: "E1 failed", captures: #{ vault: "kv1" } },
                #{ at: #{ source: "other", lines: [1, 1] }, text: "only a match", captures: #{} },
            ] },
            empty: #{ count: 0, all: [] },
        }"#;
        let engine = sandbox::engine(&ScriptLimits::default());
        let run = |call: &str| {
            let script =
                format!("{SCRIPT_COLLECT}\nlet facts = {facts};\nlet matches = {matches};\n{call}");
            engine
                .eval::<Dynamic>(&script)
                .map(|d| d.to_string())
                .unwrap_or_else(|e| format!("error: {e}"))
        };
        let native = run("facts.items_by_place(matches)");
        assert_eq!(native, run("facts.collect(matches)"));
        assert!(
            native.contains("kv1") && native.contains("only a match"),
            "{native}"
        );
    }

    #[test]
    fn nearest_agrees_with_the_script_it_replaced() {
        let script = r#"
            fn context_pod(ctx, source, line, vault) {
                let best = ();
                let best_line = -1;
                for c in ctx {
                    if c.source != source || c.line > line || line - c.line > 40 { continue; }
                    if has(vault) && has(c.vault) && !same_id(vault, c.vault) { continue; }
                    if c.line > best_line { best_line = c.line; best = c; }
                }
                best
            }
            let ctx = [
                #{ source: "p", line: 10, pod: "a/one", vault: "KV1" },
                #{ source: "p", line: 30, pod: "a/two", vault: "kv2" },
                #{ source: "p", line: 30, pod: "a/three", vault: "kv2" },
                #{ source: "p", line: 55, pod: "a/four", vault: () },
                #{ source: "q", line: 50, pod: "b/five", vault: "kv1" },
                #{ source: "p", line: 70, pod: "a/six", vault: " " },
            ];
            let frozen = context_index(ctx);
            let out = [];
            for probe in [["p", 40, "kv1"], ["p", 40, ()], ["p", 40, " KV2 "], ["p", 51, "kv1"], ["p", 60, "kv9"],
                          ["q", 90, "kv1"], ["q", 90, ()], ["r", 10, ()], ["p", 9, ()], ["p", 75, "kv1"]] {
                let want = context_pod(ctx, probe[0], probe[1], probe[2]);
                out.push([want == frozen.nearest(probe[0], probe[1], 40, probe[2]),
                          want == ctx.nearest(probe[0], probe[1], 40, probe[2]), want]);
            }
            let n = 0;
            for c in frozen { n += 1; }
            [out, n, frozen.len()]
        "#;
        let engine = sandbox::engine(&ScriptLimits::default());
        let got = engine
            .eval::<Dynamic>(script)
            .map(|d| d.to_string())
            .unwrap_or_else(|e| format!("error: {e}"));
        assert!(!got.contains("false") && !got.contains("error"), "{got}");
        for pod in ["a/one", "a/two", "a/four", "b/five", "a/six"] {
            assert!(got.contains(pod), "{pod} never nearest: {got}");
        }
        assert!(
            !got.contains("a/three"),
            "a tie keeps the first entry: {got}"
        );
        assert!(got.ends_with(", 6, 6]"), "{got}");
    }

    #[test]
    fn needles_keep_the_items_that_hold_them_in_text_or_error_fields() {
        let facts = r#"#{
            events: [#{ at: #{ source: "ev", lines: [3, 3] }, message: "MountVolume.SetUp failed: AccessDenied", text: "Warning FailedMount" }],
            logs: [
                #{ at: #{ source: "log", lines: [1, 1] }, text: "I1 fetching object from key vault" },
                #{ at: #{ source: "log", lines: [7, 7] }, text: "E1 failed: [REDACTED]" },
            ],
            kv_errors: [#{ at: #{ source: "log", lines: [7, 7] }, text: "E1 failed: [REDACTED]", status: 403, aadsts: ["900023"], akv: [] }],
        }"#;
        let engine = sandbox::engine(&ScriptLimits::default());
        let run = |call: &str| {
            let script = format!("let facts = {facts};\n{call}");
            engine
                .eval::<Dynamic>(&script)
                .map(|d| d.to_string())
                .unwrap_or_else(|e| format!("error: {e}"))
        };
        let places = |needles: &str| {
            run(&format!("facts.items_by_place(#{{}}, {needles}).map(|it| `${{it.at.source}}#${{it.at.lines[0]}}`)"))
        };
        // The message of an event, and a code the error carries only in its fields.
        assert_eq!(
            places(r#"["AccessDenied", "AADSTS90002"]"#),
            r#"["ev#3", "log#7"]"#
        );
        assert_eq!(places(r#"["fetching object"]"#), r#"["log#1"]"#);
        assert_eq!(places(r#"["403"]"#), r#"["log#7"]"#, "the error's status");
        assert_eq!(
            places(r#"["40"]"#),
            "[]",
            "a status matches only the whole number"
        );
        assert_eq!(places("[]"), "[]");
        assert_eq!(places(r#"[""]"#), "[]");
        // Without needles, every place.
        assert_eq!(
            run("facts.items_by_place(#{}).map(|it| it.at.lines[0])"),
            "[3, 1, 7]"
        );
    }

    #[test]
    fn an_index_counts_towards_the_rules_memory() {
        let got = eval(r#"let p = facts.by_place(["events", "logs"]); p"#);
        let bytes = got.read_lock::<super::Places>().map(|p| p.bytes());
        assert!(bytes.is_some_and(|b| b > 40), "{bytes:?}");
    }
}
