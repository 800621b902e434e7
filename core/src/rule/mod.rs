//! Rules: one Rhai file each, with metadata, static patterns and a `check` function.
//!
//! A rule file defines two functions and nothing else: `meta()` returns the metadata map and
//! `check(facts, matches)` returns an array of results built with the host API. Top-level
//! statements never run: the loader rejects them, so loading a rule cannot execute code beyond
//! `meta()`, which runs once, under the same limits as `check`.

mod batch;
mod bounded;
mod definitions;
pub mod fixtures;
mod host;
mod library;
mod lookup;
mod meta;
mod run;
pub mod sandbox;
mod view;

pub use batch::{run_all as run_rules, Job as RuleJob};
pub use definitions::definitions;
pub use library::library_names;
pub use meta::{check_regexes, lint_warnings, PatternDecl, RuleMeta, Texts, FIELDS, LANGS};
pub use run::{
    limit_name, run as run_rule, Outcome, RawFinding, RawRequest, RuleResult, MAX_RESULTS,
};
pub use view::SharedFacts;

use crate::error::RuleError;
use crate::limits::ScriptLimits;
use crate::report::Diagnostic;
use rhai::{Engine, AST};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The rule authoring guide, `docs/rules.md`: its Rust examples run as doctests (its rules,
/// fixtures and commands run in `core/tests/rules_doc.rs` and `cli/tests/docs.rs`).
#[cfg(doctest)]
#[doc = include_str!("../../../docs/rules.md")]
pub struct RulesGuide;

/// A count as a script integer (saturating: a count never exceeds `INT::MAX` in practice).
fn script_int(n: usize) -> rhai::INT {
    rhai::INT::try_from(n).unwrap_or(rhai::INT::MAX)
}

/// Largest rule file accepted: compiling is not under the wall clock, so its input is bounded.
/// The largest built-in rules are under 100 KiB.
pub const MAX_SOURCE_BYTES: usize = 1024 * 1024;

/// Where a rule came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOrigin {
    /// Embedded in kvcsi.
    Builtin,
    /// Loaded by the user.
    User,
}

/// A rule's source text and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    /// File name as shown in diagnostics (`rules/<id>/rule.rhai` for built-ins).
    pub file: String,
    /// The Rhai source.
    pub text: String,
    /// Built-in or user.
    pub origin: RuleOrigin,
}

impl RuleSource {
    /// A user rule from its file name and text.
    pub fn user(file: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            text: text.into(),
            origin: RuleOrigin::User,
        }
    }
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Its metadata.
    pub meta: RuleMeta,
    /// Its compiled script.
    pub ast: AST,
    /// Where it came from.
    pub source: RuleSource,
}

/// A user rule that replaced a built-in one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Override {
    /// The rule id.
    pub rule: String,
    /// The user file that replaced it.
    pub source: String,
}

/// The rules of an engine, with what went wrong loading them.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// Rules in id order.
    pub rules: Vec<Arc<Rule>>,
    /// Rules that failed to load.
    pub errors: Vec<RuleError>,
    /// Built-in rules replaced by user rules.
    pub overrides: Vec<Override>,
}

/// The built-in rules, embedded at build time: (file, source) pairs.
pub fn builtin_sources() -> Vec<RuleSource> {
    crate::builtin::RULES
        .iter()
        .map(|(file, text)| RuleSource {
            file: (*file).to_owned(),
            text: (*text).to_owned(),
            origin: RuleOrigin::Builtin,
        })
        .collect()
}

impl RuleSet {
    /// Compiles rule sources. Later sources with an id already present replace earlier ones
    /// (a user rule overriding a built-in); errors are collected, never fatal.
    pub fn load(engine: &Engine, limits: &ScriptLimits, sources: Vec<RuleSource>) -> Self {
        let mut set = RuleSet::default();
        let libraries = library::Libraries::new(engine);
        for result in compile_all(engine, limits, sources, &libraries) {
            match result {
                Ok(rule) => set.insert(rule),
                Err(error) => set.errors.push(error),
            }
        }
        set.rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        set
    }

    fn insert(&mut self, rule: Rule) {
        if let Some(existing) = self.rules.iter_mut().find(|r| r.meta.id == rule.meta.id) {
            if existing.source.origin == RuleOrigin::Builtin
                && rule.source.origin == RuleOrigin::User
            {
                self.overrides.push(Override {
                    rule: rule.meta.id.clone(),
                    source: rule.source.file.clone(),
                });
            } else {
                self.errors.push(RuleError {
                    code: "rule-duplicate-id",
                    file: rule.source.file.clone(),
                    line: None,
                    column: None,
                    message: format!(
                        "rule id '{}' is already defined by {}",
                        rule.meta.id, existing.source.file
                    ),
                    hint: Some(
                        "give the rule a unique id; the first definition was kept".to_owned(),
                    ),
                });
                return;
            }
            *existing = Arc::new(rule);
            return;
        }
        self.rules.push(Arc::new(rule));
    }

    /// The catalogue as `kvcsi rules list --json` shows it, plus each rule's origin
    /// (`builtin` or `user`): one JSON object per rule, in id order.
    pub fn catalogue(&self) -> Vec<serde_json::Value> {
        self.rules
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
            .collect()
    }

    /// Diagnostics for the rules that failed to load.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.errors
            .iter()
            .map(Diagnostic::from_rule_error)
            .collect()
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Rule>> {
        self.rules.iter().find(|r| r.meta.id == id)
    }
}

/// What `kvcsi rules lint` finds in one rule file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Lint {
    /// The rule file.
    pub file: String,
    /// The rule id, when the file loaded.
    pub rule: Option<String>,
    /// Why it does not load (syntax, metadata, patterns, duplicate id).
    pub errors: Vec<RuleError>,
    /// Legal but probably wrong: unknown fact kinds or patterns read in `check`, unused
    /// patterns, commands without texts, missing translations.
    pub warnings: Vec<String>,
}

/// Checks rule files without evidence: everything loading does (syntax, top-level code,
/// functions, metadata, every regex), plus warnings. One entry per source, in order.
pub fn lint(sources: Vec<RuleSource>, limits: &ScriptLimits) -> Vec<Lint> {
    let engine = sandbox::engine(limits);
    let files: Vec<String> = sources.iter().map(|s| s.file.clone()).collect();
    let set = RuleSet::load(&engine, limits, sources);
    files
        .into_iter()
        .map(|file| {
            let mut errors: Vec<RuleError> = set
                .errors
                .iter()
                .filter(|e| e.file == file)
                .cloned()
                .collect();
            let rule = set.rules.iter().find(|r| r.source.file == file);
            let mut warnings = Vec::new();
            if let Some(rule) = rule {
                for (name, message) in check_regexes(&rule.meta) {
                    errors.push(RuleError {
                        code: "rule-pattern-invalid",
                        file: file.clone(),
                        line: None,
                        column: None,
                        message: format!("pattern '{name}': invalid regex: {message}"),
                        hint: None,
                    });
                }
                // The rule's code includes its libraries' (a pattern may be read there).
                let mut text = rule.source.text.clone();
                for name in &rule.meta.libraries {
                    text.push('\n');
                    text.push_str(library::library_text(name).unwrap_or_default());
                }
                warnings = lint_warnings(&rule.meta, &text);
            }
            Lint {
                rule: rule.map(|r| r.meta.id.clone()),
                file,
                errors,
                warnings,
            }
        })
        .collect()
}

/// Threads rules are compiled on: parsing the built-in rules is most of what starting a check
/// costs, and the Rhai engine is `Sync`, so two cores parse them in about half the time.
/// wasm32 has no threads.
fn compile_threads(sources: &[RuleSource]) -> usize {
    if cfg!(target_arch = "wasm32") || sources.len() < 2 {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
}

/// Compiles every source, on two threads when there are two cores, and returns the results in
/// the order of `sources`, so the rule set (which source replaces which, which error comes
/// first) does not depend on how the work was split.
fn compile_all(
    engine: &Engine,
    limits: &ScriptLimits,
    sources: Vec<RuleSource>,
    libraries: &library::Libraries,
) -> Vec<Result<Rule, RuleError>> {
    if compile_threads(&sources) < 2 {
        return sources
            .into_iter()
            .map(|source| compile(engine, limits, source, libraries))
            .collect();
    }
    // One queue, largest source first (parsing time follows size), that both threads take from:
    // the shares balance themselves, and when the other core is busy this thread does the most.
    // The built-in rules link libraries, so with them the libraries lead the queue: each thread
    // compiles one instead of the second thread waiting while the first compiles both.
    let mut rules: Vec<(usize, RuleSource)> = sources.into_iter().enumerate().collect();
    rules.sort_by_key(|(_, s)| std::cmp::Reverse(s.text.len()));
    let builtin = rules.iter().any(|(_, s)| s.origin == RuleOrigin::Builtin);
    let mut queue: Vec<Mutex<Option<Task>>> = Vec::new();
    if builtin {
        queue.extend(
            library_names()
                .into_iter()
                .map(|name| Mutex::new(Some(Task::Library(name)))),
        );
    }
    queue.extend(
        rules
            .into_iter()
            .map(|(index, source)| Mutex::new(Some(Task::Rule(index, source)))),
    );
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let taken = queue
                .get(next.fetch_add(1, Ordering::Relaxed))
                .map(|slot| slot.lock().ok().and_then(|mut item| item.take()));
            match taken {
                Some(Some(Task::Rule(index, source))) => {
                    done.push((index, compile(engine, limits, source, libraries)));
                }
                Some(Some(Task::Library(name))) => libraries.prepare(name),
                Some(None) => {}
                None => return done,
            }
        }
    };
    let (mut results, theirs) = crate::threads::on_two_threads("kvcsi-compile", 2, work);
    results.extend(theirs.into_iter().flatten());
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// Work for a compiling thread.
enum Task {
    /// Compile a library ahead of the rules that link it.
    Library(&'static str),
    /// Compile the rule at this index of the sources.
    Rule(usize, RuleSource),
}

fn compile(
    engine: &Engine,
    limits: &ScriptLimits,
    source: RuleSource,
    libraries: &library::Libraries,
) -> Result<Rule, RuleError> {
    let error = |code: &'static str,
                 line: Option<usize>,
                 column: Option<usize>,
                 message: String,
                 hint: Option<&str>| RuleError {
        code,
        file: source.file.clone(),
        line,
        column,
        message,
        hint: hint.map(str::to_owned),
    };
    if source.text.len() > MAX_SOURCE_BYTES {
        return Err(error(
            "rule-too-large",
            None,
            None,
            format!(
                "the rule file is {} KiB; a rule file may have at most {} KiB",
                source.text.len() >> 10,
                MAX_SOURCE_BYTES >> 10
            ),
            Some("split the logic into smaller rules, or move data out of the rule"),
        ));
    }
    let ast = engine.compile(&source.text).map_err(|e| {
        let position = e.position();
        let text = e.0.to_string();
        let hint = match e.0.as_ref() {
            _ if text.contains("'eval'") || text.contains("'import'") => {
                Some("rules cannot evaluate code or import files; put everything the rule needs in its own file")
            }
            rhai::ParseErrorType::VariableUndefined(_) => Some("rules run with strict variables: declare a variable with `let` before using it (a function sees only its parameters, not the variables of its caller)"),
            rhai::ParseErrorType::MissingToken(..) => Some("check the brackets and separators before this point"),
            rhai::ParseErrorType::ExprTooDeep => Some("split the expression into smaller ones with `let`"),
            _ => Some("see the rule file layout in docs/rules.md"),
        };
        error("rule-syntax", position.line(), position.position(), e.0.to_string(), hint)
    })?;
    if let Some(statement) = ast.statements().first() {
        let position = statement.position();
        return Err(error(
            "rule-top-level-code",
            position.line(),
            position.position(),
            "a rule file may only define functions; top-level statements never run".to_owned(),
            Some("move the code into `fn check(facts, matches)` or the metadata into `fn meta()`"),
        ));
    }
    for (name, arity, signature) in [
        ("meta", 0, "fn meta()"),
        ("check", 2, "fn check(facts, matches)"),
    ] {
        if ast
            .iter_functions()
            .any(|f| f.name == name && f.params.len() == arity)
        {
            continue;
        }
        let wrong = source
            .text
            .find(&format!("fn {name}("))
            .map(|offset| source.text.get(..offset).unwrap_or_default());
        let (line, column) = match wrong {
            Some(before) => (
                Some(before.matches('\n').count() + 1),
                Some(before.len() - before.rfind('\n').map_or(0, |p| p + 1) + 1),
            ),
            None => (None, None),
        };
        let message = if wrong.is_some() {
            format!("`{name}` has the wrong parameters; it must be `{signature}`")
        } else {
            format!("the rule does not define `{signature}`")
        };
        return Err(error(
            "rule-missing-function",
            line,
            column,
            message,
            Some("every rule defines `fn meta()` (its metadata) and `fn check(facts, matches)` (its logic)"),
        ));
    }
    let (meta, linked) = meta::load(engine, limits, &ast, &source, libraries)?;
    let ast = match linked {
        Some(linked) if linked.libraries == meta.libraries => linked.ast,
        _ => libraries.link_rule(&meta.libraries, ast, &source.file)?,
    };
    Ok(Rule { meta, ast, source })
}
