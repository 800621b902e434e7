//! Running one rule's `check` over the facts of a check, and reading what it returned.

use super::host::KIND_KEY;
use super::{sandbox, Rule};
use crate::evidence::Location;
use crate::limits::ScriptLimits;
use crate::report::Diagnostic;
use rhai::{CallFnOptions, Dynamic, Engine, EvalAltResult, Scope};
use serde_json::{Map, Value};

/// One thing a rule returned.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleResult {
    /// A finding (validated shape, text keys not yet rendered).
    Finding(Box<RawFinding>),
    /// The rule looked and ruled its cause out.
    Pass {
        /// Text key.
        reason: String,
        /// Template parameters.
        params: Map<String, Value>,
    },
    /// The rule could not decide.
    Skip {
        /// Text key.
        reason: String,
        /// Evidence kinds that would settle it.
        needs: Vec<String>,
    },
    /// A request for more evidence, on its own.
    Request(RawRequest),
}

/// A finding as a rule built it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawFinding {
    /// Text key of the message (default `message`).
    pub message: String,
    /// Text key of the title (default `title`).
    pub title: String,
    /// Template parameters.
    pub params: Map<String, Value>,
    /// Severity override.
    pub severity: Option<String>,
    /// `high`, `medium` or `low`.
    pub confidence: Option<String>,
    /// Subject fields (namespace, pod, volume, vault, node, ...).
    pub subject: Map<String, Value>,
    /// Structured specifics.
    pub data: Map<String, Value>,
    /// Evidence: locations with their text.
    pub evidence: Vec<(Location, String)>,
    /// Remediation: text key and optional command key.
    pub remediation: Vec<(String, Option<String>)>,
    /// Evidence requests attached to the finding.
    pub requests: Vec<RawRequest>,
}

/// A request for evidence as a rule built it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawRequest {
    /// The evidence kind asked for (e.g. `dns`, `logs`).
    pub evidence: String,
    /// Text key saying why.
    pub reason: String,
    /// Command key.
    pub command: Option<String>,
    /// Template parameters.
    pub params: Map<String, Value>,
}

/// What running a rule gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It ran and returned these results.
    Ran(Vec<RuleResult>),
    /// It did not run because none of the evidence it needs is present.
    NotApplicable(Vec<String>),
    /// It failed; the diagnostic says how.
    Failed(Diagnostic),
}

/// Most results one call of `check` may return.
pub const MAX_RESULTS: usize = 1_000;

/// The stable diagnostic code for a limit breach, if the error is one.
pub fn limit_code(error: &EvalAltResult) -> Option<&'static str> {
    Some(match error {
        EvalAltResult::ErrorTooManyOperations(_) => "rule-limit-operations",
        EvalAltResult::ErrorStackOverflow(_) => "rule-limit-call-depth",
        EvalAltResult::ErrorDataTooLarge(what, _) => match what.as_str() {
            sandbox::STRING_TOO_LARGE => "rule-limit-string-size",
            sandbox::ARRAY_TOO_LARGE => "rule-limit-array-size",
            sandbox::MAP_TOO_LARGE => "rule-limit-map-size",
            sandbox::MEMORY_TOO_LARGE | sandbox::NESTING_TOO_DEEP => "rule-limit-memory",
            _ => "rule-limit-data-size",
        },
        EvalAltResult::ErrorTooManyVariables(_) => "rule-limit-variables",
        EvalAltResult::ErrorTooManyModules(_) => "rule-limit-modules",
        EvalAltResult::ErrorTerminated(token, _)
            if token.to_string().contains(sandbox::WALL_CLOCK_TOKEN) =>
        {
            "rule-limit-wall-clock"
        }
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => return limit_code(inner),
        _ => return None,
    })
}

/// The name of the [`ScriptLimits`] field a limit code stands for.
pub fn limit_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "rule-limit-operations" => "max_operations",
        "rule-limit-call-depth" => "max_call_levels",
        "rule-limit-string-size" => "max_string_size",
        "rule-limit-array-size" => "max_array_size",
        "rule-limit-map-size" => "max_map_size",
        "rule-limit-memory" => "max_memory",
        "rule-limit-data-size" => "max_value_items",
        "rule-limit-variables" => "max_variables",
        "rule-limit-modules" => "max_modules",
        "rule-limit-wall-clock" => "wall_clock",
        "rule-limit-results" => "max_results",
        "rule-limit-check-time" => "check_wall_clock",
        _ => return None,
    })
}

/// What a limit protects, for the diagnostic's message.
fn limit_text(code: &str, limits: &ScriptLimits) -> String {
    match code {
        "rule-limit-operations" => format!(
            "it ran more than {} operations (an endless loop?)",
            limits.max_operations
        ),
        "rule-limit-call-depth" => format!(
            "it nested function calls deeper than {} levels (endless recursion?)",
            limits.max_call_levels
        ),
        "rule-limit-string-size" => format!(
            "it built a string longer than {} bytes",
            limits.max_string_size
        ),
        "rule-limit-array-size" => format!(
            "it built an array (or BLOB) of more than {} items",
            limits.max_array_size
        ),
        "rule-limit-map-size" => format!(
            "it built a map of more than {} entries",
            limits.max_map_size
        ),
        "rule-limit-memory" => format!(
            "it held more than {} MiB in its variables, or nested data too deeply",
            limits.max_memory >> 20
        ),
        "rule-limit-data-size" => format!(
            "one value grew beyond {} items or {} MiB of text",
            limits.max_value_items,
            limits.max_value_string_size >> 20
        ),
        "rule-limit-variables" => format!(
            "it had more than {} variables at once",
            limits.max_variables
        ),
        "rule-limit-wall-clock" => {
            format!("it ran longer than {} ms", limits.wall_clock.as_millis())
        }
        "rule-limit-results" => format!("it returned more than {MAX_RESULTS} results"),
        _ => "it broke a limit".to_owned(),
    }
}

/// `file:line:column` (or less, when the position is unknown).
pub(crate) fn place(file: &str, position: rhai::Position) -> String {
    match (position.line(), position.position()) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_owned(),
    }
}

/// The innermost error of a chain of failed function calls, and where it happened.
fn innermost(error: &EvalAltResult) -> &EvalAltResult {
    match error {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => innermost(inner),
        other => other,
    }
}

/// A diagnostic for a rule call that failed with `error` (a limit, a throw, a runtime error).
pub(crate) fn failure(
    function: &str,
    error: &EvalAltResult,
    limits: &ScriptLimits,
    file: &str,
) -> (Diagnostic, &'static str) {
    let code = limit_code(error).unwrap_or("rule-error");
    let inner = innermost(error);
    let at = place(file, inner.position());
    let message = if limit_name(code).is_some() {
        // rhai reports where a limit was hit only as the place of the outermost call, which
        // is the host's: the file and function are what is known.
        format!(
            "{function} in {file} was stopped: {}; its results were discarded",
            limit_text(code, limits)
        )
    } else if let EvalAltResult::ErrorRuntime(value, _) = inner {
        format!("{function} threw at {at}: {value}")
    } else {
        let mut text = inner.to_string();
        if let Some(cut) = text.find(" (line ") {
            text.truncate(cut);
        }
        format!("{function} failed at {at}: {text}")
    };
    let mut diagnostic = Diagnostic::new(code, message).with_source(file);
    diagnostic.limit = limit_name(code).map(str::to_owned);
    (diagnostic, code)
}

/// Runs `check(facts, matches)` of one rule.
pub fn run(
    engine: &Engine,
    limits: &ScriptLimits,
    rule: &Rule,
    facts: &Dynamic,
    matches: Dynamic,
) -> (Outcome, Vec<String>) {
    // A view of the shared facts: cloning it copies no fact, and the data guard counts only
    // what the rule sets on it.
    let facts = facts.clone();
    let host = sandbox::host_addresses(&[&matches]);
    let (result, printed) = sandbox::guarded(limits, host, move || {
        let mut scope = Scope::new();
        engine.call_fn_with_options::<Dynamic>(
            CallFnOptions::new().eval_ast(false).rewind_scope(true),
            &mut scope,
            &rule.ast,
            "check",
            (facts, matches),
        )
    });
    let file = rule.source.file.as_str();
    let outcome = match result {
        Ok(value) => match read_results(value) {
            Ok(results) => Outcome::Ran(results),
            Err((code, message)) => {
                let mut diagnostic = Diagnostic::new(
                    code,
                    format!("check() in {file} returned {message}; it must return an array of finding(...), pass(...), skip(...) or request(...) values"),
                )
                .with_rule(&rule.meta.id)
                .with_source(file);
                diagnostic.limit = limit_name(code).map(str::to_owned);
                Outcome::Failed(diagnostic)
            }
        },
        Err(error) => {
            let (diagnostic, _) = failure("check()", &error, limits, file);
            Outcome::Failed(diagnostic.with_rule(&rule.meta.id))
        }
    };
    (outcome, printed)
}

/// Refuses a returned value that is too large or too deep to convert safely.
fn bounded(value: &Dynamic) -> Result<(), (&'static str, String)> {
    fn depth_ok(value: &Dynamic, depth: usize) -> bool {
        if depth > 32 {
            return false;
        }
        if let Some(a) = value.read_lock::<rhai::Array>() {
            return a.iter().all(|v| depth_ok(v, depth + 1));
        }
        if let Some(m) = value.read_lock::<rhai::Map>() {
            return m.values().all(|v| depth_ok(v, depth + 1));
        }
        true
    }
    if let Some(a) = value.read_lock::<rhai::Array>() {
        if a.len() > MAX_RESULTS {
            return Err((
                "rule-limit-results",
                format!("{} results (at most {MAX_RESULTS})", a.len()),
            ));
        }
    }
    if !depth_ok(value, 0) {
        return Err((
            "rule-bad-return",
            "a value nested more than 32 levels deep".to_owned(),
        ));
    }
    Ok(())
}

fn read_results(value: Dynamic) -> Result<Vec<RuleResult>, (&'static str, String)> {
    bounded(&value)?;
    let bad = |message: String| ("rule-bad-return", message);
    let json: Value = rhai::serde::from_dynamic(&value)
        .map_err(|e| bad(format!("a value that cannot be read ({e})")))?;
    let items = match json {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        Value::Object(ref map) if map.contains_key(KIND_KEY) => vec![json],
        other => return Err(bad(format!("a {}", type_name(&other)))),
    };
    items
        .into_iter()
        .map(read_result)
        .collect::<Result<_, _>>()
        .map_err(bad)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "unit",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "map without a result kind",
    }
}

fn string(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn object(map: &Map<String, Value>, key: &str) -> Map<String, Value> {
    match map.get(key) {
        Some(Value::Object(m)) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Map::new(),
    }
}

fn read_result(item: Value) -> Result<RuleResult, String> {
    let Value::Object(map) = item else {
        return Err(format!("an array holding a {}", type_name(&item)));
    };
    let kind = string(&map, KIND_KEY).ok_or_else(|| {
        "an array holding a map that was not built with finding(), pass(), skip() or request()"
            .to_owned()
    })?;
    Ok(match kind.as_str() {
        "finding" => RuleResult::Finding(Box::new(read_finding(&map)?)),
        "pass" => RuleResult::Pass {
            reason: string(&map, "reason").unwrap_or_default(),
            params: object(&map, "params"),
        },
        "skip" => RuleResult::Skip {
            reason: string(&map, "reason").unwrap_or_default(),
            needs: map
                .get("needs")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        },
        "request" => RuleResult::Request(read_request(&map)),
        other => return Err(format!("a result of unknown kind '{other}'")),
    })
}

fn read_request(map: &Map<String, Value>) -> RawRequest {
    RawRequest {
        evidence: string(map, "evidence").unwrap_or_default(),
        reason: string(map, "reason").unwrap_or_default(),
        command: string(map, "command"),
        params: object(map, "params"),
    }
}

/// Reads `{at: {source, lines: [a, b]}, text}` (any fact or match qualifies).
fn read_evidence(value: &Value) -> Option<(Location, String)> {
    let at = value.get("at")?;
    let source = at.get("source")?.as_str()?;
    let lines = at.get("lines")?.as_array()?;
    let first = lines.first()?.as_u64()?;
    let last = lines.get(1).and_then(Value::as_u64).unwrap_or(first);
    let text = value
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Some((Location::new(source, first, last), text))
}

fn read_finding(map: &Map<String, Value>) -> Result<RawFinding, String> {
    let confidence = string(map, "confidence");
    if let Some(c) = &confidence {
        if !matches!(c.as_str(), "high" | "medium" | "low") {
            return Err(format!(
                "a finding with confidence '{c}' (use high, medium or low)"
            ));
        }
    }
    let severity = string(map, "severity");
    if let Some(s) = &severity {
        if !matches!(s.as_str(), "error" | "warning" | "info") {
            return Err(format!(
                "a finding with severity '{s}' (use error, warning or info)"
            ));
        }
    }
    let list = |key: &str| {
        map.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let remediation = list("remediation")
        .iter()
        .filter_map(|step| match step {
            Value::String(key) => Some((key.clone(), None)),
            Value::Object(m) => string(m, "text").map(|t| (t, string(m, "command"))),
            _ => None,
        })
        .collect();
    Ok(RawFinding {
        message: string(map, "message").unwrap_or_else(|| "message".to_owned()),
        title: string(map, "title").unwrap_or_else(|| "title".to_owned()),
        params: object(map, "params"),
        severity,
        confidence,
        subject: object(map, "subject"),
        data: object(map, "data"),
        evidence: list("evidence").iter().filter_map(read_evidence).collect(),
        remediation,
        requests: list("requests")
            .iter()
            .filter_map(|r| r.as_object().map(read_request))
            .collect(),
    })
}
