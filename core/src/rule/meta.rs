//! Rule metadata: read from `fn meta()` once at load, validated, then immutable.

use super::{sandbox, RuleSource};
use crate::error::RuleError;
use crate::facts::FACT_KINDS;
use crate::limits::ScriptLimits;
use crate::report::Severity;
use rhai::{CallFnOptions, Dynamic, Engine, Scope, AST};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The metadata API version this kvcsi reads.
pub const API_VERSION: i64 = 1;

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

/// Finds where `needle` occurs in `text`, as a 1-based line and column.
fn locate(text: &str, needle: &str) -> (Option<usize>, Option<usize>) {
    text.lines()
        .enumerate()
        .find_map(|(i, line)| line.find(needle).map(|c| (Some(i + 1), Some(c + 1))))
        .unwrap_or((None, None))
}

/// Runs `meta()` and validates what it returns.
pub fn load(
    engine: &Engine,
    limits: &ScriptLimits,
    ast: &AST,
    source: &RuleSource,
) -> Result<RuleMeta, RuleError> {
    let error = |code: &'static str, near: Option<&str>, message: String, hint: &str| {
        let (line, column) = near.map_or((None, None), |n| locate(&source.text, n));
        RuleError {
            code,
            file: source.file.clone(),
            line,
            column,
            message,
            hint: Some(hint.to_owned()),
        }
    };
    let (result, _) = sandbox::guarded(limits, || {
        let mut scope = Scope::new();
        engine.call_fn_with_options::<Dynamic>(
            CallFnOptions::new().eval_ast(false),
            &mut scope,
            ast,
            "meta",
            (),
        )
    });
    let value = result.map_err(|e| {
        let position = e.position();
        RuleError {
            code: super::run::limit_code(&e).unwrap_or("rule-meta-error"),
            file: source.file.clone(),
            line: position.line(),
            column: position.position(),
            message: format!("meta() failed: {e}"),
            hint: Some(
                "meta() must return a map literal such as #{ api_version: 1, id: \"...\", ... }"
                    .to_owned(),
            ),
        }
    })?;
    let meta: RuleMeta = rhai::serde::from_dynamic(&value).map_err(|e| {
        let message = e.to_string();
        let near = message.split('`').nth(1).map(str::to_owned);
        error(
            "rule-meta-invalid",
            near.as_deref(),
            format!("invalid metadata: {message}"),
            "see the metadata fields in docs/rules.md",
        )
    })?;
    if meta.api_version != API_VERSION {
        return Err(error(
            "rule-meta-invalid",
            Some("api_version"),
            format!(
                "api_version {} is not supported (this kvcsi reads {API_VERSION})",
                meta.api_version
            ),
            "set api_version: 1",
        ));
    }
    let kebab = !meta.id.is_empty()
        && meta
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !meta.id.starts_with('-');
    if !kebab {
        return Err(error(
            "rule-meta-invalid",
            Some("id:"),
            format!("id '{}' must be kebab-case (a-z, 0-9, -)", meta.id),
            "e.g. id: \"my-org-spc-naming\"",
        ));
    }
    if let Some(cause) = meta.cause {
        if !(1..=9).contains(&cause) {
            return Err(error(
                "rule-meta-invalid",
                Some("cause"),
                format!("cause {cause} is not one of the article's causes 1 to 9"),
                "leave cause out (or ()) when the rule is not one of the article's causes",
            ));
        }
    }
    if let Some(unknown) = meta
        .needs
        .iter()
        .find(|n| !FACT_KINDS.contains(&n.as_str()))
    {
        return Err(error(
            "rule-meta-invalid",
            Some(unknown),
            format!("needs names an unknown fact kind '{unknown}'"),
            &format!("fact kinds are: {}", FACT_KINDS.join(", ")),
        ));
    }
    let english = meta.text.get("en");
    for key in ["title", "message"] {
        if english.is_none_or(|t| !t.contains_key(key)) {
            return Err(error(
                "rule-meta-invalid",
                Some("text"),
                format!("text.en.{key} is missing"),
                "every rule needs text: #{ en: #{ title: \"...\", message: \"...\" } }",
            ));
        }
    }
    if let Some(lang) = meta
        .text
        .keys()
        .find(|l| !matches!(l.as_str(), "en" | "ja"))
    {
        return Err(error(
            "rule-meta-invalid",
            Some(lang),
            format!("text language '{lang}' is not supported"),
            "use en and ja",
        ));
    }
    for (name, pattern) in &meta.patterns {
        if pattern.literals.is_empty() || pattern.literals.iter().any(String::is_empty) {
            return Err(error(
                "rule-meta-invalid",
                Some(name),
                format!("pattern '{name}' needs at least one non-empty literal"),
                "literals are what the scanner looks for first; the regex only confirms",
            ));
        }
    }
    Ok(meta)
}
