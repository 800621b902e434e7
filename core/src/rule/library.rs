//! Rule libraries: `rules/lib/<name>.rhai`, files of functions that several rules share.
//!
//! Rules cannot import files (`import` is disabled in the sandbox), so the host provides the
//! shared code: a rule names the libraries it uses in its metadata (`libraries: ["..."]`), and
//! after `meta()` is read the loader merges their functions into the rule's compiled script.
//! The rule's own functions win over a library's with the same name and number of parameters.
//! A library follows the rules of a rule file (functions only, same sandbox, same limits) and
//! is compiled once per rule set, however many rules use it; a merged script shares the
//! library's compiled functions rather than copying them.

use crate::error::RuleError;
use rhai::{Engine, AST};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The names of the built-in libraries, in name order.
pub fn library_names() -> Vec<&'static str> {
    crate::builtin::LIBRARIES
        .iter()
        .map(|(name, _, _)| *name)
        .collect()
}

/// The source text of a built-in library.
pub(crate) fn library_text(name: &str) -> Option<&'static str> {
    crate::builtin::LIBRARIES
        .iter()
        .find(|l| l.0 == name)
        .map(|l| l.2)
}

/// The libraries of one rule set, each compiled on first use. Shared by the threads that
/// compile rules (`&self` everywhere): the first thread to need a library compiles it while
/// any other one that needs it waits, so it is still compiled once per rule set.
pub(crate) struct Libraries<'e> {
    engine: &'e Engine,
    compiled: BTreeMap<&'static str, OnceLock<Result<AST, String>>>,
}

impl<'e> Libraries<'e> {
    pub(crate) fn new(engine: &'e Engine) -> Self {
        Self {
            engine,
            compiled: crate::builtin::LIBRARIES
                .iter()
                .map(|(name, _, _)| (*name, OnceLock::new()))
                .collect(),
        }
    }

    /// The compiled library, or why it does not load (a message naming its file).
    fn get(&self, name: &str) -> Result<&AST, String> {
        let (Some(&(_, file, text)), Some(slot)) = (
            crate::builtin::LIBRARIES.iter().find(|l| l.0 == name),
            self.compiled.get(name),
        ) else {
            return Err(format!("there is no library '{name}'"));
        };
        let engine = self.engine;
        slot.get_or_init(|| {
            let ast = engine.compile(text).map_err(|e| {
                let p = e.position();
                format!("{file}:{}:{}: {}", p.line().unwrap_or(0), p.position().unwrap_or(0), e.0)
            })?;
            match ast.statements().first() {
                Some(s) => Err(format!(
                    "{file}:{}: a library may only define functions; top-level statements never run",
                    s.position().line().unwrap_or(0)
                )),
                None => Ok(ast),
            }
        })
        .as_ref()
        .map_err(Clone::clone)
    }

    /// Compiles a library now rather than when a rule first links it (an error is kept for
    /// the rules that link it).
    pub(crate) fn prepare(&self, name: &str) {
        let _ = self.get(name);
    }

    /// `rule` with the functions of `names` merged in: a later library wins over an earlier one,
    /// and the rule over every library.
    pub(crate) fn link(&self, names: &[&str], rule: AST) -> Result<AST, String> {
        let Some((first, rest)) = names.split_first() else {
            return Ok(rule);
        };
        let mut ast = self.get(first)?.clone();
        for name in rest {
            ast.combine(self.get(name)?.clone());
        }
        ast.combine(rule);
        Ok(ast)
    }

    /// [`link`](Self::link) for the rule of `file`, failing with a `rule-library-invalid` error.
    pub(crate) fn link_rule(
        &self,
        names: &[String],
        rule: AST,
        file: &str,
    ) -> Result<AST, RuleError> {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.link(&names, rule).map_err(|message| RuleError {
            code: "rule-library-invalid",
            file: file.to_owned(),
            line: None,
            column: None,
            message: format!("a library the rule uses does not load: {message}"),
            hint: Some("built-in libraries are tested; report this as a bug".to_owned()),
        })
    }

    /// `rule` with every library merged in, to read a `meta()` that calls library functions
    /// before the rule has said which libraries it uses.
    pub(crate) fn link_all(&self, rule: &AST) -> Option<AST> {
        self.link(&library_names(), rule.clone()).ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::limits::ScriptLimits;

    #[test]
    fn every_library_compiles_to_functions_only() {
        let engine = super::super::sandbox::engine(&ScriptLimits::default());
        let libraries = Libraries::new(&engine);
        assert!(!library_names().is_empty());
        for name in library_names() {
            let ast = libraries.get(name).unwrap();
            assert!(
                ast.iter_functions().next().is_some(),
                "{name} defines no function"
            );
            for f in ast.iter_functions() {
                assert!(
                    !matches!(f.name, "meta" | "check"),
                    "{name} defines {}",
                    f.name
                );
            }
        }
    }

    #[test]
    fn the_rules_own_function_wins_over_a_library_function() {
        let engine = super::super::sandbox::engine(&ScriptLimits::default());
        let libraries = Libraries::new(&engine);
        let name = library_names()[0];
        let library = libraries.get(name).unwrap().clone();
        let shared = library
            .iter_functions()
            // A closure in the library is a function too, named by rhai (`anon$...`).
            .find(|f| f.params.len() == 1 && !f.name.starts_with("anon$"))
            .map(|f| f.name.to_owned())
            .unwrap();
        let rule = engine
            .compile(format!(
                "fn {shared}(x) {{ \"the rule's own\" }}\nfn other() {{ 1 }}"
            ))
            .unwrap();
        let linked = libraries.link(&[name], rule).unwrap();
        let mut scope = rhai::Scope::new();
        let value: String = engine
            .call_fn(&mut scope, &linked, &shared, (rhai::Dynamic::UNIT,))
            .unwrap();
        assert_eq!(value, "the rule's own");
        // The library's other functions are there, once each; the rule's own ones too.
        assert_eq!(
            linked.iter_functions().count(),
            library.iter_functions().count() + 1
        );
        assert!(linked.iter_functions().any(|f| f.name == "other"));
    }

    fn load(text: &str) -> super::super::RuleSet {
        let limits = ScriptLimits::default();
        let engine = super::super::sandbox::engine(&limits);
        let source = super::super::RuleSource::user("mine.rhai", text);
        super::super::RuleSet::load(&engine, &limits, vec![source])
    }

    #[test]
    fn a_user_rule_calls_library_functions_in_meta_and_check() {
        let set = load(
            r#"fn meta() {
                let en = #{ title: "t", message: "m" };
                en += common_text_en();
                #{ api_version: 1, id: "mine", severity: "info", needs: ["events"],
                   libraries: ["pod-failures"], text: #{ en: en } }
            }
            fn check(facts, matches) { [pass(`${age_secs("2m1s")}`)] }"#,
        );
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let rule = &set.rules[0];
        assert_eq!(rule.meta.libraries, ["pod-failures"]);
        assert!(rule.meta.text("en", "req_pods").is_some());
        assert!(rule.ast.iter_functions().any(|f| f.name == "age_secs"));
    }

    #[test]
    fn an_unknown_library_is_invalid_metadata_with_the_list() {
        let set = load(
            r#"fn meta() { #{ api_version: 1, id: "mine", severity: "info",
                libraries: ["pod-failure"], text: #{ en: #{ title: "t", message: "m" } } } }
            fn check(facts, matches) { [] }"#,
        );
        let error = &set.errors[0];
        assert_eq!(error.code, "rule-meta-invalid");
        assert!(error.message.contains("pod-failure"), "{}", error.message);
        let hint = error.hint.as_deref().unwrap();
        assert!(hint.contains("did you mean \"pod-failures\""), "{hint}");
        assert!(hint.contains("access-incidents"), "{hint}");
    }

    #[test]
    fn without_the_declaration_a_library_function_is_missing() {
        let set = load(
            r#"fn meta() { #{ api_version: 1, id: "mine", severity: "info", needs: ["events"],
                text: #{ en: #{ title: "t", message: "m" } } } }
            fn check(facts, matches) { [pass(`${age_secs("2m")}`)] }"#,
        );
        assert!(set.errors.is_empty());
        assert!(set.rules[0].meta.libraries.is_empty());
        assert!(!set.rules[0]
            .ast
            .iter_functions()
            .any(|f| f.name == "age_secs"));
    }

    #[test]
    fn each_library_is_compiled_once() {
        let engine = super::super::sandbox::engine(&ScriptLimits::default());
        let libraries = Libraries::new(&engine);
        let name = library_names()[0];
        let first = libraries.get(name).unwrap().clone();
        let _ = libraries.link(&[name], AST::empty()).unwrap();
        let again = libraries.get(name).unwrap();
        // The same compiled functions (shared, not recompiled).
        let a = first.shared_lib();
        let b = again.shared_lib();
        assert!(std::sync::Arc::ptr_eq(a, b));
        assert_eq!(
            libraries
                .compiled
                .values()
                .filter(|c| c.get().is_some())
                .count(),
            1
        );
    }
}
