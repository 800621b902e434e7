//! Engines, built once per rule set and kept for the life of the module instance.
//!
//! A `Session` of the core borrows its engine, and a JS `Session` object must own everything it
//! holds, so engines live for `'static`: the default engine (built-in rules) is built on first
//! use, and each distinct set of custom rules compiles one more engine, cached by the exact rule
//! texts, so checking again with the same rules neither recompiles nor allocates again.

use kvcsi_core::rule::RuleOrigin;
use kvcsi_core::{Engine, RuleSource};
use std::cell::RefCell;

#[derive(Debug, PartialEq, Eq)]
struct Key {
    builtin: bool,
    rules: Vec<(String, String)>,
}

thread_local! {
    static ENGINES: RefCell<Vec<(Key, &'static Engine)>> = const { RefCell::new(Vec::new()) };
}

/// The engine for these rules (cached).
pub fn engine(builtin: bool, rules: &[RuleSource]) -> &'static Engine {
    let key = Key {
        builtin,
        rules: rules
            .iter()
            .map(|r| (r.file.clone(), r.text.clone()))
            .collect(),
    };
    ENGINES.with(|cell| {
        let mut engines = cell.borrow_mut();
        if let Some((_, engine)) = engines.iter().find(|(k, _)| *k == key) {
            return *engine;
        }
        let built = Engine::builder()
            .builtin(builtin)
            .rules(rules.iter().cloned())
            .build();
        let engine: &'static Engine = Box::leak(Box::new(built));
        engines.push((key, engine));
        engine
    })
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
