//! Engines: the default one (built-in rules) is built once and kept; others are built per use.
//!
//! A core `Session` borrows its engine, and a JS `Session` object must own everything it holds,
//! so a session's engine lives for `'static`: the default engine, or for custom rules an engine
//! cached by the exact rule texts (each distinct rule set compiles and keeps one engine, about as
//! big as the default one; starting sessions again with the same rules reuses it). `check()` and
//! `rules()` with custom rules use a cached engine when there is one and otherwise build a
//! temporary engine that is dropped afterwards, so they never grow the cache.

use kvcsi_core::rule::RuleOrigin;
use kvcsi_core::{Engine, RuleSource};
use std::cell::RefCell;

#[derive(Debug, PartialEq, Eq)]
struct Key {
    builtin: bool,
    rules: Vec<(String, String)>,
}

impl Key {
    fn new(builtin: bool, rules: &[RuleSource]) -> Self {
        Self {
            builtin,
            rules: rules
                .iter()
                .map(|r| (r.file.clone(), r.text.clone()))
                .collect(),
        }
    }
}

thread_local! {
    static ENGINES: RefCell<Vec<(Key, &'static Engine)>> = const { RefCell::new(Vec::new()) };
}

fn build(builtin: bool, rules: &[RuleSource]) -> Engine {
    Engine::builder()
        .builtin(builtin)
        .rules(rules.iter().cloned())
        .build()
}

fn cached(key: &Key) -> Option<&'static Engine> {
    ENGINES.with(|cell| {
        cell.borrow()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, engine)| *engine)
    })
}

/// The engine for a session with these rules (built once per rule set, then kept).
pub fn engine(builtin: bool, rules: &[RuleSource]) -> &'static Engine {
    let key = Key::new(builtin, rules);
    if let Some(engine) = cached(&key) {
        return engine;
    }
    let engine: &'static Engine = Box::leak(Box::new(build(builtin, rules)));
    ENGINES.with(|cell| cell.borrow_mut().push((key, engine)));
    engine
}

/// Runs `f` with an engine for these rules: the kept one for the default rules or a rule set
/// a session already uses, else a temporary one.
pub fn with_engine<T>(builtin: bool, rules: &[RuleSource], f: impl FnOnce(&Engine) -> T) -> T {
    if builtin && rules.is_empty() {
        return f(engine(true, &[]));
    }
    match cached(&Key::new(builtin, rules)) {
        Some(engine) => f(engine),
        None => f(&build(builtin, rules)),
    }
}

/// Engines kept (the default one and one per custom rule set a session used).
#[cfg(test)]
fn kept() -> usize {
    ENGINES.with(|cell| cell.borrow().len())
}

/// The rule catalogue as JSON: `kvcsi rules list --json` plus each rule's origin.
pub fn catalogue(engine: &Engine) -> String {
    let list: Vec<serde_json::Value> = engine
        .rules()
        .rules
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.meta.id,
                "severity": r.meta.severity,
                "cause": r.meta.cause,
                "title": r.meta.text("en", "title"),
                "title_ja": r.meta.text("ja", "title"),
                "needs": r.meta.needs,
                "source": r.source.file,
                "origin": if r.source.origin == RuleOrigin::User { "user" } else { "builtin" },
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_are_cached_by_rule_set() {
        let a = engine(true, &[]);
        let b = engine(true, &[]);
        assert!(std::ptr::eq(a, b));
        let rule = RuleSource::user(
            "mine.rhai",
            "fn meta() { #{} }\nfn check(facts, matches) { [] }",
        );
        let c = engine(true, std::slice::from_ref(&rule));
        assert!(!std::ptr::eq(a, c));
        assert!(std::ptr::eq(c, engine(true, &[rule])));
        assert!(!std::ptr::eq(a, engine(false, &[])));
        let before = kept();
        let other = RuleSource::user(
            "other.rhai",
            "fn meta() { #{} }\nfn check(facts, matches) { [] }",
        );
        with_engine(true, std::slice::from_ref(&other), |e| {
            assert_eq!(e.rules().errors.len(), 1)
        });
        assert_eq!(kept(), before, "check() with new rules keeps no engine");
        with_engine(true, &[], |e| assert!(std::ptr::eq(e, a)));
    }

    #[test]
    fn catalogue_lists_the_builtin_rules() {
        let json: serde_json::Value =
            serde_json::from_str(&catalogue(engine(true, &[]))).unwrap_or_default();
        let list = json.as_array().cloned().unwrap_or_default();
        assert!(!list.is_empty());
        assert!(list
            .iter()
            .all(|r| r["origin"] == "builtin" && r["id"].is_string()));
    }
}
