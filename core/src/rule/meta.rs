//! Rule metadata: read from `fn meta()` once at load, validated, then immutable.
//!
//! Validation walks the map `meta()` returned field by field before converting it, so an error
//! names the field, says what was expected and points at the line and column of that field in
//! the rule file.

use super::{sandbox, RuleOrigin, RuleSource};
use crate::error::RuleError;
use crate::facts::FACT_KINDS;
use crate::limits::ScriptLimits;
use crate::report::Severity;
use rhai::{Array, CallFnOptions, Dynamic, Engine, ImmutableString, Map, Scope, AST};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The metadata API version this kvcsi reads.
pub const API_VERSION: i64 = 1;

/// The metadata fields, in the order the documentation lists them.
pub const FIELDS: &[&str] = &[
    "api_version",
    "id",
    "severity",
    "cause",
    "needs",
    "supersedes",
    "references",
    "patterns",
    "text",
    "commands",
    "tags",
    "libraries",
];

/// Languages a rule's texts may be written in.
pub const LANGS: &[&str] = &["en", "ja"];

/// A pattern as a rule declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternDecl {
    /// Literals; a line holding any of them is a candidate.
    pub literals: Vec<String>,
    /// Optional confirm regex with named captures.
    #[serde(default)]
    pub regex: Option<String>,
}

/// Message catalogue of one language: `title`, `message` and any keys the rule uses for other
/// messages, remediation steps, pass and skip reasons, requests.
pub type Texts = BTreeMap<String, String>;

/// Validated metadata of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    /// Always 1 for this version of the rule API.
    pub api_version: i64,
    /// Stable id, kebab-case.
    pub id: String,
    /// Default severity of its findings.
    pub severity: Severity,
    /// The troubleshooting article's cause number, 1 to 9, if it has one.
    #[serde(default)]
    pub cause: Option<u8>,
    /// Fact kinds the rule reads; when none is present and no pattern matched, it is skipped.
    #[serde(default)]
    pub needs: Vec<String>,
    /// Rules whose findings this rule's findings replace on the same subject or evidence.
    #[serde(default)]
    pub supersedes: Vec<String>,
    /// Links for the operator.
    #[serde(default)]
    pub references: Vec<String>,
    /// Static patterns by name.
    #[serde(default)]
    pub patterns: BTreeMap<String, PatternDecl>,
    /// Message catalogues by language (`en` required, `ja` for built-ins).
    pub text: BTreeMap<String, Texts>,
    /// Command templates by key (language-neutral).
    #[serde(default)]
    pub commands: BTreeMap<String, String>,
    /// Free-form tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Rule libraries (`rules/lib/<name>.rhai`) whose functions the rule calls.
    #[serde(default)]
    pub libraries: Vec<String>,
}

impl RuleMeta {
    /// A text in `lang`, falling back to English.
    pub fn text(&self, lang: &str, key: &str) -> Option<&str> {
        self.text
            .get(lang)
            .and_then(|t| t.get(key))
            .or_else(|| self.text.get("en").and_then(|t| t.get(key)))
            .map(String::as_str)
    }
}

/// Where `fn meta` starts in the rule text (byte offset), or 0.
fn meta_start(text: &str) -> usize {
    text.find("fn meta").unwrap_or(0)
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |p| {
        before.get(p + 1..).unwrap_or_default().chars().count()
    }) + 1;
    (line, column)
}

/// Finds a key as written in a map literal (`key:` or `"key":`) at or after `from`.
fn find_key(text: &str, from: usize, key: &str) -> Option<usize> {
    let mut at = from;
    while let Some(found) = text.get(at..).and_then(|rest| rest.find(key)) {
        let start = at + found;
        let end = start + key.len();
        let before = text.get(..start).and_then(|b| b.chars().next_back());
        let quoted = before == Some('"') && text.get(end..).is_some_and(|a| a.starts_with('"'));
        let after_start = if quoted { end + 1 } else { end };
        let ident_before = before.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let colon = text
            .get(after_start..)
            .is_some_and(|a| a.trim_start().starts_with(':'));
        if colon && (quoted || !ident_before) {
            return Some(if quoted { start - 1 } else { start });
        }
        at = end;
    }
    None
}

/// The position of a field given by its path of keys (`["patterns", "p", "regex"]`): each key
/// is searched after the previous one, inside `fn meta`. Falls back to the deepest key found.
fn locate(text: &str, path: &[&str]) -> (Option<usize>, Option<usize>) {
    let mut at = meta_start(text);
    let mut found = None;
    for key in path {
        match find_key(text, at, key) {
            Some(offset) => {
                found = Some(offset);
                at = offset + key.len();
            }
            None => break,
        }
    }
    let offset = found.or_else(|| text.find("fn meta"));
    match offset {
        Some(offset) => {
            let (l, c) = line_column(text, offset);
            (Some(l), Some(c))
        }
        None => (None, None),
    }
}

/// The closest candidate to `word` by edit distance, if it is close enough to be a typo.
pub(crate) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut previous = row.first().copied().unwrap_or(0);
            if let Some(first) = row.first_mut() {
                *first = i + 1;
            }
            for (j, cb) in b.iter().enumerate() {
                let above = row.get(j + 1).copied().unwrap_or(0);
                let left = row.get(j).copied().unwrap_or(0);
                let cost = usize::from(ca != *cb);
                let value = (above + 1).min(left + 1).min(previous + cost);
                previous = above;
                if let Some(cell) = row.get_mut(j + 1) {
                    *cell = value;
                }
            }
        }
        row.last().copied().unwrap_or(usize::MAX)
    }
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

/// A metadata problem: the path of the field, what is wrong, how to fix it.
struct Problem {
    path: Vec<String>,
    message: String,
    hint: String,
}

fn problem(path: &[&str], message: impl Into<String>, hint: impl Into<String>) -> Problem {
    Problem {
        path: path.iter().map(|s| (*s).to_owned()).collect(),
        message: message.into(),
        hint: hint.into(),
    }
}

fn type_of(value: &Dynamic) -> &'static str {
    if value.is_unit() {
        "()"
    } else if value.is_string() {
        "a string"
    } else if value.is_int() {
        "an integer"
    } else if value.is_float() {
        "a float"
    } else if value.is_bool() {
        "a bool"
    } else if value.is_array() {
        "an array"
    } else if value.is_map() {
        "a map"
    } else {
        "another type"
    }
}

fn string_of(value: &Dynamic) -> Option<String> {
    value.read_lock::<ImmutableString>().map(|s| s.to_string())
}

fn strings(value: &Dynamic, path: &[&str]) -> Result<Vec<String>, Problem> {
    let dotted = path.join(".");
    let Some(array) = value.read_lock::<Array>() else {
        return Err(problem(
            path,
            format!(
                "{dotted} must be an array of strings, not {}",
                type_of(value)
            ),
            format!("e.g. {dotted}: [\"...\"]"),
        ));
    };
    array
        .iter()
        .map(|item| {
            string_of(item).ok_or_else(|| {
                problem(
                    path,
                    format!("{dotted} holds {}; only strings are allowed", type_of(item)),
                    format!("e.g. {dotted}: [\"...\"]"),
                )
            })
        })
        .collect()
}

fn string_map(value: &Dynamic, path: &[&str]) -> Result<BTreeMap<String, String>, Problem> {
    let dotted = path.join(".");
    let Some(map) = value.read_lock::<Map>() else {
        return Err(problem(
            path,
            format!("{dotted} must be a map of strings, not {}", type_of(value)),
            format!("e.g. {dotted}: #{{ key: \"...\" }}"),
        ));
    };
    let mut out = BTreeMap::new();
    for (key, item) in map.iter() {
        let Some(text) = string_of(item) else {
            let mut at: Vec<&str> = path.to_vec();
            at.push(key.as_str());
            return Err(problem(
                &at,
                format!("{dotted}.{key} must be a string, not {}", type_of(item)),
                "texts and commands are strings; use {param} placeholders for values",
            ));
        };
        out.insert(key.to_string(), text);
    }
    Ok(out)
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// Checks the map `meta()` returned and converts it.
fn validate(value: &Dynamic, check_regexes: bool) -> Result<RuleMeta, Problem> {
    let Some(map) = value.read_lock::<Map>() else {
        return Err(problem(
            &[],
            format!("meta() returned {}; it must return a map", type_of(value)),
            "end meta() with a map literal: #{ api_version: 1, id: \"...\", ... }",
        ));
    };
    for key in map.keys() {
        if !FIELDS.contains(&key.as_str()) {
            let hint = match suggest(key, FIELDS) {
                Some(s) => format!("did you mean `{s}`? The fields are: {}", FIELDS.join(", ")),
                None => format!("the fields are: {}", FIELDS.join(", ")),
            };
            return Err(problem(
                &[key.as_str()],
                format!("unknown metadata field `{key}`"),
                hint,
            ));
        }
    }
    let field = |name: &str| map.get(name).filter(|v| !v.is_unit());
    let required = |name: &str, example: &str| {
        field(name).ok_or_else(|| {
            problem(
                &[],
                format!("the metadata field `{name}` is missing"),
                format!("add {name}: {example}"),
            )
        })
    };

    let version = required("api_version", "1")?;
    if version.as_int().ok() != Some(API_VERSION) {
        return Err(problem(
            &["api_version"],
            format!("api_version {version} is not supported (this kvcsi reads {API_VERSION})"),
            "set api_version: 1",
        ));
    }

    let id_value = required("id", "\"my-org-rule\"")?;
    let id = string_of(id_value).ok_or_else(|| {
        problem(
            &["id"],
            format!("id must be a string, not {}", type_of(id_value)),
            "e.g. id: \"my-org-spc-naming\"",
        )
    })?;
    if !is_kebab(&id) {
        return Err(problem(
            &["id"],
            format!("id '{id}' must be kebab-case (a-z, 0-9 and -)"),
            "e.g. id: \"my-org-spc-naming\"",
        ));
    }

    let severity_value = required("severity", "\"error\"")?;
    let severity = match string_of(severity_value).as_deref() {
        Some("error") => Severity::Error,
        Some("warning") => Severity::Warning,
        Some("info") => Severity::Info,
        _ => return Err(problem(
            &["severity"],
            format!("severity {severity_value:?} is not one of \"error\", \"warning\", \"info\""),
            "error: the mount fails because of it; warning: likely a problem; info: worth knowing",
        )),
    };

    let cause = match field("cause") {
        None => None,
        Some(value) => match value.as_int() {
            Ok(n @ 1..=9) => u8::try_from(n).ok(),
            _ => {
                return Err(problem(
                    &["cause"],
                    format!("cause {value} is not one of the article's causes 1 to 9"),
                    "leave cause out when the rule is not one of the article's causes",
                ))
            }
        },
    };

    let list = |name: &str| field(name).map_or(Ok(Vec::new()), |v| strings(v, &[name]));
    let needs = list("needs")?;
    if let Some(unknown) = needs.iter().find(|n| !FACT_KINDS.contains(&n.as_str())) {
        let hint = match suggest(unknown, FACT_KINDS) {
            Some(s) => format!(
                "did you mean \"{s}\"? Fact kinds are: {}",
                FACT_KINDS.join(", ")
            ),
            None => format!("fact kinds are: {}", FACT_KINDS.join(", ")),
        };
        return Err(problem(
            &["needs", unknown.as_str()],
            format!("needs names an unknown fact kind \"{unknown}\""),
            hint,
        ));
    }
    let supersedes = list("supersedes")?;
    let references = list("references")?;
    let tags = list("tags")?;
    let libraries = list("libraries")?;
    let known = super::library::library_names();
    if let Some(unknown) = libraries.iter().find(|l| !known.contains(&l.as_str())) {
        let hint = match suggest(unknown, &known) {
            Some(s) => format!(
                "did you mean \"{s}\"? The libraries are: {}",
                known.join(", ")
            ),
            None => format!("the libraries are: {}", known.join(", ")),
        };
        return Err(problem(
            &["libraries", unknown.as_str()],
            format!("libraries names an unknown library \"{unknown}\""),
            hint,
        ));
    }

    let mut patterns = BTreeMap::new();
    if let Some(value) = field("patterns") {
        let Some(declared) = value.read_lock::<Map>() else {
            return Err(problem(
                &["patterns"],
                format!("patterns must be a map, not {}", type_of(value)),
                "e.g. patterns: #{ denied: #{ literals: [\"403\"], regex: \"...\" } }",
            ));
        };
        for (name, decl) in declared.iter() {
            let name = name.as_str();
            let Some(decl) = decl.read_lock::<Map>() else {
                return Err(problem(
                    &["patterns", name],
                    format!("pattern '{name}' must be a map with literals (and a regex), not {}", type_of(decl)),
                    "e.g. #{ literals: [\"ForbiddenByPolicy\"], regex: \"(?P<vault>[a-z0-9-]+)\\\\.vault\" }",
                ));
            };
            if let Some(key) = decl
                .keys()
                .find(|k| !matches!(k.as_str(), "literals" | "regex"))
            {
                return Err(problem(
                    &["patterns", name, key.as_str()],
                    format!("pattern '{name}' has an unknown field `{key}`"),
                    "a pattern has literals (required) and regex (optional)",
                ));
            }
            let literals = match decl.get("literals") {
                Some(v) => strings(v, &["patterns", name, "literals"])?,
                None => Vec::new(),
            };
            if literals.is_empty() || literals.iter().any(|l| l.trim().is_empty()) {
                return Err(problem(
                    &["patterns", name, "literals"],
                    format!("pattern '{name}' needs at least one non-empty literal"),
                    "literals are what the scanner looks for first (plain text, case-sensitive); the regex only confirms a line that holds one",
                ));
            }
            let regex = match decl.get("regex").filter(|v| !v.is_unit()) {
                None => None,
                Some(v) => Some(string_of(v).ok_or_else(|| {
                    problem(
                        &["patterns", name, "regex"],
                        format!("pattern '{name}': regex must be a string, not {}", type_of(v)),
                        "write the regex as a string: \"(?P<vault>[a-z0-9-]+)\\\\.vault\" or, without doubled backslashes, `(?P<vault>[a-z0-9-]+)\\.vault`",
                    )
                })?),
            };
            if let (true, Some(re)) = (check_regexes, &regex) {
                if let Err(e) = regex::RegexBuilder::new(re).size_limit(1 << 20).build() {
                    let first = e.to_string();
                    return Err(problem(
                        &["patterns", name, "regex"],
                        format!(
                            "pattern '{name}': invalid regex: {}",
                            first.lines().last().unwrap_or_default().trim()
                        ),
                        "the regex uses Rust syntax (https://docs.rs/regex); in a Rhai string a backslash is written \\\\",
                    ));
                }
            }
            patterns.insert(name.to_owned(), PatternDecl { literals, regex });
        }
    }

    let text_value = required("text", "#{ en: #{ title: \"...\", message: \"...\" } }")?;
    let Some(languages) = text_value.read_lock::<Map>() else {
        return Err(problem(
            &["text"],
            format!(
                "text must be a map of languages, not {}",
                type_of(text_value)
            ),
            "text: #{ en: #{ title: \"...\", message: \"...\" } }",
        ));
    };
    let mut text = BTreeMap::new();
    for (lang, texts) in languages.iter() {
        if !LANGS.contains(&lang.as_str()) {
            return Err(problem(
                &["text", lang.as_str()],
                format!("text language '{lang}' is not supported"),
                "write texts under en (required) and ja (optional)",
            ));
        }
        text.insert(
            lang.to_string(),
            string_map(texts, &["text", lang.as_str()])?,
        );
    }
    for key in ["title", "message"] {
        if text.get("en").is_none_or(|t: &Texts| !t.contains_key(key)) {
            return Err(problem(
                &["text", "en"],
                format!("text.en.{key} is missing"),
                "every rule needs text: #{ en: #{ title: \"...\", message: \"...\" } }",
            ));
        }
    }
    let commands =
        field("commands").map_or(Ok(BTreeMap::new()), |v| string_map(v, &["commands"]))?;

    Ok(RuleMeta {
        api_version: API_VERSION,
        id,
        severity,
        cause,
        needs,
        supersedes,
        references,
        patterns,
        text,
        commands,
        tags,
        libraries,
    })
}

fn call_meta(
    engine: &Engine,
    limits: &ScriptLimits,
    ast: &AST,
) -> Result<Dynamic, Box<rhai::EvalAltResult>> {
    let (result, _) = sandbox::guarded(limits, Vec::new(), || {
        let mut scope = Scope::new();
        engine.call_fn_with_options::<Dynamic>(
            CallFnOptions::new().eval_ast(false),
            &mut scope,
            ast,
            "meta",
            (),
        )
    });
    result
}

fn function_not_found(error: &rhai::EvalAltResult) -> bool {
    match error {
        rhai::EvalAltResult::ErrorFunctionNotFound(..) => true,
        rhai::EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => function_not_found(inner),
        _ => false,
    }
}

/// Runs `meta()` and validates what it returns.
///
/// `meta()` may call functions of the libraries the rule declares, which are not merged in
/// before the declaration is read: when it fails for want of a function, it is run once with
/// every library to read `libraries`, then again with those the rule declares. The script
/// linked for that second run is returned with the metadata, so the loader links it once only.
pub(crate) fn load(
    engine: &Engine,
    limits: &ScriptLimits,
    ast: &AST,
    source: &RuleSource,
    libraries: &super::library::Libraries,
) -> Result<(RuleMeta, Option<Linked>), RuleError> {
    let mut result = call_meta(engine, limits, ast);
    let mut linked = None;
    if result.as_ref().is_err_and(|e| function_not_found(e)) {
        let declared = libraries
            .link_all(ast)
            .and_then(|all| call_meta(engine, limits, &all).ok())
            .and_then(|value| validate(&value, false).ok())
            .map(|probe| probe.libraries)
            .filter(|declared| !declared.is_empty());
        if let Some(declared) = declared {
            let ast = libraries.link_rule(&declared, ast.clone(), &source.file)?;
            result = call_meta(engine, limits, &ast);
            linked = Some(Linked {
                libraries: declared,
                ast,
            });
        }
    }
    let value = result.map_err(|e| {
        let (diagnostic, code) = super::run::failure("meta()", &e, limits, &source.file);
        let position = e.position();
        let code = if code == "rule-error" { "rule-meta-error" } else { code };
        RuleError {
            code,
            file: source.file.clone(),
            line: position.line(),
            column: position.position(),
            message: diagnostic.message,
            hint: Some(
                "meta() only returns a map literal; it runs once, when the rule is loaded, under the same limits as check()"
                    .to_owned(),
            ),
        }
    })?;
    // Built-in regexes are checked by the test suite; compiling them at every start-up would
    // cost what the matcher saves by compiling them lazily.
    let check_regexes = source.origin == RuleOrigin::User;
    let meta = validate(&value, check_regexes).map_err(|p| {
        let path: Vec<&str> = p.path.iter().map(String::as_str).collect();
        let (line, column) = locate(&source.text, &path);
        RuleError {
            code: if p.message.contains("invalid regex") {
                "rule-pattern-invalid"
            } else {
                "rule-meta-invalid"
            },
            file: source.file.clone(),
            line,
            column,
            message: p.message,
            hint: Some(p.hint),
        }
    })?;
    Ok((meta, linked))
}

/// A rule's script with its libraries merged in, and the libraries it was linked with.
pub(crate) struct Linked {
    /// The libraries, in the order they were merged.
    pub(crate) libraries: Vec<String>,
    /// The merged script.
    pub(crate) ast: AST,
}

/// Compiles every confirm regex of a rule (what `kvcsi rules lint` and the tests do for
/// built-in rules, whose regexes are not compiled at load).
pub fn check_regexes(meta: &RuleMeta) -> Vec<(String, String)> {
    meta.patterns
        .iter()
        .filter_map(|(name, p)| {
            let re = p.regex.as_deref()?;
            regex::RegexBuilder::new(re)
                .size_limit(1 << 20)
                .build()
                .err()
                .map(|e| (name.clone(), e.to_string()))
        })
        .collect()
}

/// The rule's code without comments and without `fn meta()` (whose map literal is not code
/// that reads facts).
fn code_outside_meta(text: &str) -> String {
    let text: String = text
        .lines()
        .map(|line| {
            let code = if line.trim_start().starts_with("//") {
                ""
            } else {
                line.find(" //")
                    .map_or(line, |p| line.get(..p).unwrap_or(line))
            };
            format!("{code}\n")
        })
        .collect();
    let Some(start) = text.find("fn meta") else {
        return text;
    };
    let after = text.get(start + 1..).unwrap_or_default();
    let end = after.find("\nfn ").map_or(text.len(), |p| start + 1 + p);
    format!(
        "{}{}",
        text.get(..start).unwrap_or_default(),
        text.get(end..).unwrap_or_default()
    )
}

/// The `<prefix><name>` property reads in `code` (`facts.events`), without method calls
/// (`facts.keys()`) and with the names the code assigns itself (`facts.index = ...`) apart.
fn property_reads(code: &str, prefix: &str) -> (Vec<String>, Vec<String>) {
    let (mut reads, mut assigned) = (Vec::new(), Vec::new());
    let mut at = 0;
    while let Some(found) = code.get(at..).and_then(|c| c.find(prefix)) {
        let begin = at + found;
        let start = begin + prefix.len();
        at = start;
        let boundary = code
            .get(..begin)
            .and_then(|b| b.chars().next_back())
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
        let name: String = code
            .get(start..)
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let rest = code
            .get(start + name.len()..)
            .unwrap_or_default()
            .trim_start();
        if !boundary || name.is_empty() || rest.starts_with('(') {
            continue;
        }
        if rest.starts_with('=') && !rest.starts_with("==") {
            assigned.push(name);
        } else {
            reads.push(name);
        }
    }
    (reads, assigned)
}

/// Whether `matches` is used other than as `matches.<name>` (passed to a helper, indexed,
/// iterated), so which patterns the rule reads cannot be told from the text.
fn matches_used_whole(code: &str) -> bool {
    let mut at = 0;
    while let Some(found) = code.get(at..).and_then(|c| c.find("matches")) {
        let begin = at + found;
        let end = begin + "matches".len();
        at = end;
        let before = code.get(..begin).and_then(|b| b.chars().next_back());
        let after = code.get(end..).and_then(|a| a.chars().next());
        let word = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            && after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let signature = code
            .get(..begin)
            .is_some_and(|b| b.trim_end().ends_with("fn check(facts,"));
        if word && !signature && after != Some('.') {
            return true;
        }
    }
    false
}

/// Things in a rule that are legal but probably wrong, for `kvcsi rules lint`.
pub fn lint_warnings(meta: &RuleMeta, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let code = code_outside_meta(text);
    let patterns: Vec<&str> = meta.patterns.keys().map(String::as_str).collect();
    for (prefix, known, what) in [
        ("facts.", FACT_KINDS.to_vec(), "fact kind"),
        ("matches.", patterns.clone(), "pattern"),
    ] {
        let (reads, assigned) = property_reads(&code, prefix);
        let mut seen: Vec<&String> = Vec::new();
        for name in &reads {
            // A read guarded by `matches.contains("x")` or `"x" in facts` is deliberate.
            let guarded = code.contains(&format!("{prefix}contains(\"{name}\")"))
                || code.contains(&format!("\"{name}\" in {}", prefix.trim_end_matches('.')));
            if known.contains(&name.as_str())
                || assigned.contains(name)
                || seen.contains(&name)
                || guarded
            {
                continue;
            }
            seen.push(name);
            let hint = suggest(name, &known)
                .map(|s| format!(" (did you mean {prefix}{s}?)"))
                .unwrap_or_default();
            out.push(format!(
                "the rule reads {prefix}{name}, but there is no such {what}; it is always (){hint}"
            ));
        }
    }
    if !matches_used_whole(&code) {
        let (reads, _) = property_reads(&code, "matches.");
        for name in patterns {
            if !reads.iter().any(|r| r == name) && !code.contains(&format!("matches[\"{name}\"]")) {
                out.push(format!(
                    "pattern '{name}' is declared but the rule never reads matches.{name}"
                ));
            }
        }
    }
    for key in meta.commands.keys() {
        if !meta.text.values().any(|t| t.contains_key(key)) {
            out.push(format!("commands.{key} has no text with the same key; a remediation step shows the text of its key and the command of the same key"));
        }
    }
    if let (Some(en), Some(ja)) = (meta.text.get("en"), meta.text.get("ja")) {
        let missing: Vec<&str> = en
            .keys()
            .filter(|k| !ja.contains_key(*k))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            out.push(format!(
                "text.ja lacks {} (the English text is shown instead)",
                missing.join(", ")
            ));
        }
    }
    if meta.needs.is_empty() && meta.patterns.is_empty() {
        out.push("the rule declares neither needs nor patterns, so it runs on every check; declare the fact kinds it reads".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn locates_nested_keys() {
        let text = "fn meta() {\n  #{ id: \"x\",\n    patterns: #{ p: #{ literals: [\"a\"], regex: \"(\" } } }\n}\n";
        assert_eq!(
            locate(text, &["patterns", "p", "regex"]),
            (Some(3), Some(41))
        );
        assert_eq!(locate(text, &["id"]), (Some(2), Some(6)));
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(suggest("sevrity", FIELDS), Some("severity"));
        assert_eq!(suggest("k8s_spc", FACT_KINDS), Some("k8s_spcs"));
        assert_eq!(suggest("zzzzzz", FIELDS), None);
    }
}
