//! The facts as a rule reads them: one read-only copy shared by every rule, and each rule's
//! own additions on top.
//!
//! Every rule reads the same facts, and rhai copies a value whenever it is passed to a
//! function. As a map, the facts (about a MiB once the samples are full) were copied for every
//! rule, twice over while two rules ran at once. A [`SharedFacts`] shares one copy between every
//! rule on every thread, and copies a kind only when a rule reads it (`facts.kv_errors`).
//!
//! It still behaves as the map it replaces. A rule may set a property (`facts.ix = ...`, even
//! `facts.logs = []`): the value lands in the rule's own layer and shadows the shared one for
//! that rule alone, so no rule can change what another reads, whichever thread runs it.

use rhai::{Array, Dynamic, Engine, FuncRegistration, ImmutableString, Map};
use std::sync::Arc;

/// The facts of a check as one rule sees them.
#[derive(Debug, Clone, Default)]
pub struct SharedFacts {
    /// Fact kind to the array of its facts, shared by every rule.
    shared: Arc<Map>,
    /// What this rule set, by property name.
    own: Map,
}

impl SharedFacts {
    /// A view of `kinds` (fact kind to an array of facts).
    pub fn new(kinds: Map) -> Self {
        Self {
            shared: Arc::new(kinds),
            own: Map::new(),
        }
    }

    /// The value of property `key`: the rule's own when it set one, else the shared one.
    pub fn get(&self, key: &str) -> Option<&Dynamic> {
        self.own.get(key).or_else(|| self.shared.get(key))
    }

    /// What the rule set (counted as the rule's memory; the shared facts are the host's).
    pub fn own(&self) -> &Map {
        &self.own
    }

    fn set(&mut self, key: ImmutableString, value: Dynamic) {
        self.own.insert(key.as_str().into(), value);
    }

    /// Every property name, in order.
    fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .shared
            .keys()
            .chain(self.own.keys())
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// Facts by kind, as the host lookups read them: the rule's view, or a map a script built in
/// its shape (a rule's own test data, say).
pub trait FactSource: rhai::Variant + Clone {
    /// The value of kind `kind`, if any.
    fn kind(&self, kind: &str) -> Option<&Dynamic>;

    /// A map holding kind `kind` that an index can keep pointing into, and whether it is the
    /// host's shared one (`false`: a copy made for the index).
    fn kind_map(&self, kind: &str) -> Option<(Arc<Map>, bool)> {
        copied_kind(self.kind(kind)?, kind)
    }
}

/// A map holding a copy of `value` as kind `kind`, for an index to point into.
fn copied_kind(value: &Dynamic, kind: &str) -> Option<(Arc<Map>, bool)> {
    Some((Arc::new(Map::from([(kind.into(), value.clone())])), false))
}

impl FactSource for SharedFacts {
    fn kind(&self, kind: &str) -> Option<&Dynamic> {
        self.get(kind)
    }

    fn kind_map(&self, kind: &str) -> Option<(Arc<Map>, bool)> {
        match self.own.get(kind) {
            // The rule's own value is not shared: the index takes a copy.
            Some(value) => copied_kind(value, kind),
            None => self
                .shared
                .contains_key(kind)
                .then(|| (Arc::clone(&self.shared), true)),
        }
    }
}

impl FactSource for Map {
    fn kind(&self, kind: &str) -> Option<&Dynamic> {
        self.get(kind)
    }
}

/// What `print(facts)` shows: how many facts of each kind, not the facts themselves.
fn summary(view: &SharedFacts) -> String {
    let kinds: Vec<String> = view
        .keys()
        .into_iter()
        .map(
            |key| match view.get(key).and_then(|v| v.read_lock::<Array>()) {
                Some(items) => format!("{key}: {}", items.len()),
                None => format!("{key}: {}", view.get(key).map_or("()", |v| v.type_name())),
            },
        )
        .collect();
    format!("Facts #{{{}}}", kinds.join(", "))
}

/// The names rhai calls for `x[key]` and `x[key] = value` (and for properties a type has no
/// getter or setter for).
const INDEX_GET: &str = "index$get$";
const INDEX_SET: &str = "index$set$";

/// Registers the `Facts` type: property and index access, `in`, `keys`, `values`, `len`,
/// `is_empty` and printing.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<SharedFacts>("Facts");
    // A property the view has no getter for is read through the indexer (rhai falls back to
    // it), so `facts.events` and `facts["events"]` are one path. A missing property is (), as
    // in a map.
    FuncRegistration::new(INDEX_GET)
        .with_params_info(["facts: Facts", "key: String", "?"])
        .with_comments(["/// `facts[key]` and `facts.key`: a copy of the facts of kind `key` (an array), what the\n/// rule set as `key`, or ()."])
        .register_into_engine(engine, |view: &mut SharedFacts, key: ImmutableString| -> Dynamic {
            view.get(&key).cloned().unwrap_or(Dynamic::UNIT)
        });
    FuncRegistration::new(INDEX_SET)
        .with_params_info(["facts: Facts", "key: String", "value: ?", "()"])
        .with_comments(["/// `facts[key] = value` and `facts.key = value`: sets `key` for this rule alone; it hides the\n/// shared value of that name from this rule, not from the others."])
        .register_into_engine(engine, |view: &mut SharedFacts, key: ImmutableString, value: Dynamic| {
            view.set(key, value);
        });
    FuncRegistration::new("contains")
        .with_params_info(["facts: Facts", "key: String", "bool"])
        .with_comments(["/// Whether `facts` has property `key` (`\"events\" in facts`)."])
        .register_into_engine(engine, |view: &mut SharedFacts, key: ImmutableString| {
            view.get(&key).is_some()
        });
    FuncRegistration::new("keys")
        .with_params_info(["facts: Facts", "Array"])
        .with_comments([
            "/// The property names of `facts`: every fact kind, and what the rule set.",
        ])
        .register_into_engine(engine, |view: &mut SharedFacts| -> Array {
            view.keys()
                .into_iter()
                .map(|k| Dynamic::from(ImmutableString::from(k)))
                .collect()
        });
    FuncRegistration::new("len")
        .with_params_info(["facts: Facts", "int"])
        .with_comments(["/// How many properties `facts` has."])
        .register_into_engine(engine, |view: &mut SharedFacts| {
            super::script_int(view.keys().len())
        });
    FuncRegistration::new("values")
        .with_params_info(["facts: Facts", "Array"])
        .with_comments(["/// A copy of every property's value, in the order of `keys()` (every fact of every kind:\n/// prefer `facts.<kind>`)."])
        .register_into_engine(engine, |view: &mut SharedFacts| -> Array {
            view.keys()
                .into_iter()
                .filter_map(|k| view.get(k).cloned())
                .collect()
        });
    FuncRegistration::new("is_empty")
        .with_params_info(["facts: Facts", "bool"])
        .with_comments([
            "/// Whether `facts` has no property (never, in a rule: every kind is present).",
        ])
        .register_into_engine(engine, |view: &mut SharedFacts| view.keys().is_empty());
    for name in ["to_string", "to_debug"] {
        FuncRegistration::new(name)
            .with_params_info(["facts: Facts", "String"])
            .with_comments(["/// How many facts of each kind (`print(facts)`): `Facts #{events: 3, logs: 120, ..}`."])
            .register_into_engine(engine, |view: &mut SharedFacts| summary(view));
    }
}

#[cfg(test)]
mod tests {
    use super::super::sandbox;
    use super::SharedFacts;
    use crate::limits::ScriptLimits;
    use rhai::{Array, Dynamic, Map, Scope};

    fn view() -> SharedFacts {
        let mut kinds = Map::new();
        let event: Map = [("message".into(), Dynamic::from("pulled"))]
            .into_iter()
            .collect();
        kinds.insert("events".into(), Dynamic::from_array(vec![event.into()]));
        kinds.insert("logs".into(), Dynamic::from_array(Array::new()));
        SharedFacts::new(kinds)
    }

    fn eval(facts: &SharedFacts, script: &str) -> Dynamic {
        let engine = sandbox::engine(&ScriptLimits::default());
        let mut scope = Scope::new();
        scope.push("facts", facts.clone());
        engine
            .eval_with_scope::<Dynamic>(&mut scope, script)
            .unwrap_or_else(|e| Dynamic::from(format!("error: {e}")))
    }

    #[test]
    fn reads_like_a_map() {
        let facts = view();
        let cases = [
            ("facts.events.len()", "1"),
            ("facts[\"events\"][0].message", "pulled"),
            ("facts.events[0].message", "pulled"),
            ("type_of(facts.logs)", "array"),
            ("facts.missing == ()", "true"),
            ("\"events\" in facts", "true"),
            ("\"missing\" in facts", "false"),
            ("facts.keys()", "[\"events\", \"logs\"]"),
            ("facts.len()", "2"),
            ("facts.values().map(|v| v.len())", "[1, 0]"),
            ("facts.is_empty()", "false"),
            ("type_of(facts)", "Facts"),
            ("let n = 0; for e in facts.events { n += 1; } n", "1"),
            ("`${facts}`", "Facts #{events: 1, logs: 0}"),
        ];
        for (script, want) in cases {
            assert_eq!(eval(&facts, script).to_string(), want, "{script}");
        }
    }

    #[test]
    fn what_a_rule_sets_is_its_own() {
        let facts = view();
        let cases = [
            ("facts.ix = #{ a: 1 }; facts.ix.a", "1"),
            ("facts.ix = #{ a: 1 }; facts.ix.a = 2; facts.ix.a", "2"),
            ("facts.events = []; facts.events.len()", "0"),
            ("facts.events.push(#{}); facts.events.len()", "2"),
            ("let e = facts.events; e.clear(); facts.events.len()", "1"),
            (
                "facts.ix = 1; facts.keys()",
                "[\"events\", \"ix\", \"logs\"]",
            ),
            (
                "fn grow(f) { f.more = 1; f.more } let a = grow(facts); [a, facts.more]",
                "[1, ()]",
            ),
            ("fn grow() { this.more = 1; } facts.grow(); facts.more", "1"),
        ];
        for (script, want) in cases {
            assert_eq!(eval(&facts, script).to_string(), want, "{script}");
            // Nothing a script did reached the shared facts, which the next rule reads.
            assert_eq!(
                eval(&facts, "facts.events.len()").to_string(),
                "1",
                "{script}"
            );
            assert_eq!(eval(&facts, "facts.ix").to_string(), "", "{script}");
        }
    }

    #[test]
    fn clones_share_the_facts() {
        let facts = view();
        let copy = facts.clone();
        assert!(std::sync::Arc::ptr_eq(&facts.shared, &copy.shared));
    }
}
