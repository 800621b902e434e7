//! The report: what a check found, in a stable, versioned shape (see `docs/report.schema.json`).
//!
//! Everything in a report is decided here, in the core: the order of findings, redaction, the
//! exit status. Renderers only format it.

mod build;
pub mod html;
pub mod markdown;
pub mod suppress;
pub mod template;
pub mod text;

pub use build::{build, BuildInput};
pub use suppress::{Suppression, SuppressionList};

use crate::error::RuleError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The report format version; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The mount fails because of this.
    Error,
    /// Likely a problem, or a problem that is not yet failing.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "error" => Some(Self::Error),
            "warning" => Some(Self::Warning),
            "info" => Some(Self::Info),
            _ => None,
        }
    }
}

/// Report language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Japanese.
    Ja,
}

impl Lang {
    /// `en` or `ja`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ja => "ja",
        }
    }

    /// Parses `en` or `ja`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Self::En),
            "ja" | "jp" | "japanese" => Some(Self::Ja),
            _ => None,
        }
    }
}

/// A piece of evidence cited by a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceItem {
    /// Canonical evidence name.
    pub source: String,
    /// First and last line, 1-based.
    pub lines: [u64; 2],
    /// The lines' text, redacted unless redaction is off.
    pub text: String,
}

/// One remediation step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What to do.
    pub text: String,
    /// The command to run, values filled in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// A request for evidence that would settle or confirm a cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// The rule asking.
    pub rule: String,
    /// The evidence kind asked for.
    pub evidence: String,
    /// Why.
    pub reason: String,
    /// The command that produces it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// One root cause on one subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Rule id.
    pub rule: String,
    /// Severity.
    pub severity: Severity,
    /// The article's cause number, or null.
    pub cause: Option<u8>,
    /// `high`, `medium` or `low`.
    pub confidence: String,
    /// What failed: namespace, pod, volume, vault, node, as known.
    pub subject: BTreeMap<String, String>,
    /// Short title.
    pub title: String,
    /// The diagnosis.
    pub message: String,
    /// Structured specifics.
    pub data: Map<String, Value>,
    /// The lines that prove it.
    pub evidence: Vec<EvidenceItem>,
    /// What to do.
    pub remediation: Vec<Step>,
    /// Evidence that would confirm or refine it.
    pub requests: Vec<Request>,
    /// Links.
    pub references: Vec<String>,
}

/// A rule that looked and ruled its cause out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Passed {
    /// Rule id.
    pub rule: String,
    /// Why the cause is ruled out.
    pub reason: String,
}

/// A rule that could not decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Rule id.
    pub rule: String,
    /// Why.
    pub reason: String,
    /// Evidence kinds that would let it decide.
    pub needs: Vec<String>,
}

/// A finding silenced by a suppression entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressedFinding {
    /// Rule id.
    pub rule: String,
    /// The finding's subject.
    pub subject: BTreeMap<String, String>,
    /// The finding's title.
    pub title: String,
    /// The reason given in the suppression entry.
    pub reason: String,
    /// Where the entry is (file:line).
    pub entry: String,
}

/// Something about the input or a rule that the operator should know, which is not a finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `invalid-utf8`, `rule-limit-operations`.
    pub code: String,
    /// Evidence name or rule file concerned.
    pub source: Option<String>,
    /// Rule id, for rule diagnostics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The limit broken, for limit diagnostics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// What happened.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic with a code and message.
    pub fn new(code: &str, message: String) -> Self {
        Self {
            code: code.to_owned(),
            source: None,
            rule: None,
            limit: None,
            message,
        }
    }

    /// Names the source.
    pub fn with_source(mut self, source: &str) -> Self {
        self.source = Some(source.to_owned());
        self
    }

    /// Names the rule.
    pub fn with_rule(mut self, rule: &str) -> Self {
        self.rule = Some(rule.to_owned());
        self
    }

    /// From a rule load error.
    pub fn from_rule_error(error: &RuleError) -> Self {
        let at = match (error.line, error.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", error.file),
            (Some(l), None) => format!("{}:{l}", error.file),
            _ => error.file.clone(),
        };
        let hint = error
            .hint
            .as_ref()
            .map(|h| format!(" (hint: {h})"))
            .unwrap_or_default();
        Self {
            code: error.code.to_owned(),
            source: Some(at),
            rule: None,
            limit: None,
            message: format!("{}{hint}", error.message),
        }
    }
}

/// Counts about the check; no timings, so the same input gives the same report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Evidence sources read.
    pub sources: u64,
    /// Sources with at least one line of text.
    pub usable_sources: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Segments by kind.
    pub segments: BTreeMap<String, u64>,
    /// Facts by kind (found, kept or not).
    pub facts: BTreeMap<String, u64>,
    /// Lines on which at least one pattern matched.
    pub candidate_lines: u64,
    /// Rules loaded.
    pub rules: u64,
    /// Rules whose `check` ran.
    pub rules_run: u64,
    /// Findings dropped because a more specific rule explained the same evidence.
    pub superseded: u64,
}

/// The result of a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Format version.
    pub schema_version: u32,
    /// kvcsi version.
    pub kvcsi_version: String,
    /// Language of the texts.
    pub lang: Lang,
    /// Whether credentials were redacted.
    pub redacted: bool,
    /// Findings, most important first.
    pub findings: Vec<Finding>,
    /// Rules that ruled their cause out.
    pub passed: Vec<Passed>,
    /// Rules that could not decide.
    pub skipped: Vec<Skipped>,
    /// Evidence that would settle open questions.
    pub requests: Vec<Request>,
    /// Findings silenced by suppressions.
    pub suppressed: Vec<SuppressedFinding>,
    /// Built-in rules replaced by user rules.
    pub overrides: Vec<crate::rule::Override>,
    /// Input and rule problems.
    pub diagnostics: Vec<Diagnostic>,
    /// Counts.
    pub stats: Stats,
    /// What the report was built from, so it can be re-rendered in another language.
    #[serde(skip)]
    pub(crate) replay: build::Replay,
}

impl Report {
    /// The process exit status in the style of preflight checkers: 0 nothing wrong, 3 an error
    /// finding, 4 warnings only, 2 nothing usable in the input. Rule diagnostics and suppressed
    /// findings do not change it.
    pub fn exit_status(&self) -> i32 {
        if self.stats.usable_sources == 0 {
            return 2;
        }
        if self.findings.iter().any(|f| f.severity == Severity::Error) {
            3
        } else if self
            .findings
            .iter()
            .any(|f| f.severity == Severity::Warning)
        {
            4
        } else {
            0
        }
    }

    /// The report as pretty JSON with a trailing newline; byte-identical for the same input.
    pub fn to_json(&self) -> String {
        let mut out = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        out.push('\n');
        out
    }

    /// What a strict caller treats as an error instead of a diagnostic, if anything: a rule
    /// that broke a limit ([`crate::Error::LimitExceeded`]), a rule whose `check` failed
    /// ([`crate::Error::Rule`]), or input with nothing usable in it ([`crate::Error::Input`],
    /// exit status 2). Rules that failed to load are in [`crate::Engine::rules`]`.errors`.
    pub fn strict_error(&self) -> Option<crate::Error> {
        for d in &self.diagnostics {
            let rule = d.rule.as_deref().unwrap_or_default();
            if let Some(limit) = crate::rule::limit_name(&d.code) {
                return Some(crate::Error::LimitExceeded {
                    limit,
                    message: format!("rule {rule}: {}", d.message),
                });
            }
            let code = match d.code.as_str() {
                "rule-error" => "rule-error",
                "rule-bad-return" => "rule-bad-return",
                _ => continue,
            };
            return Some(crate::Error::Rule(RuleError {
                code,
                file: d.source.clone().unwrap_or_default(),
                line: None,
                column: None,
                message: format!("rule {rule}: {}", d.message),
                hint: None,
            }));
        }
        (self.exit_status() == 2).then(|| crate::Error::Input {
            source_name: self
                .diagnostics
                .iter()
                .filter_map(|d| d.source.as_deref())
                .next()
                .unwrap_or("evidence")
                .to_owned(),
            message: format!(
                "nothing usable in the input: {}",
                self.diagnostics
                    .iter()
                    .map(|d| d.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        })
    }

    /// Re-renders every text in another language without running the rules again.
    pub fn localized(&self, lang: Lang) -> Report {
        build::relocalize(self, lang)
    }
}

/// Renders what `kvcsi facts` shows as text.
pub fn facts_text(view: &crate::engine::FactsView) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "Segments:");
    for s in &view.segments {
        let command = s
            .command
            .as_deref()
            .map(|c| format!("  ($ {c})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}:{}-{}  {}{command}",
            s.source,
            s.lines[0],
            s.lines[1],
            s.kind.as_str()
        );
    }
    for (kind, facts) in &view.facts {
        let _ = writeln!(out, "\n{kind} ({}):", facts.len());
        for fact in facts {
            let at = fact
                .get("at")
                .map(|a| {
                    format!(
                        "{}:{}",
                        a.get("source").and_then(Value::as_str).unwrap_or(""),
                        a.get("lines").map(|l| l.to_string()).unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            let mut fields = fact.as_object().cloned().unwrap_or_default();
            for k in ["at", "text", "kind", "raw"] {
                fields.remove(k);
            }
            let _ = writeln!(
                out,
                "  {at} {}",
                serde_json::to_string(&fields).unwrap_or_default()
            );
        }
    }
    if !view.matches.is_empty() {
        let _ = writeln!(out, "\nPattern matches:");
        for (rule, patterns) in &view.matches {
            if let Some(map) = patterns.as_object() {
                for (name, m) in map {
                    let _ = writeln!(
                        out,
                        "  {rule}.{name}: {}",
                        m.get("count").map(|c| c.to_string()).unwrap_or_default()
                    );
                }
            }
        }
    }
    if !view.diagnostics.is_empty() {
        let _ = writeln!(out, "\nDiagnostics:");
        for d in &view.diagnostics {
            let _ = writeln!(
                out,
                "  [{}] {}: {}",
                d.code,
                d.source.as_deref().unwrap_or(""),
                d.message
            );
        }
    }
    out
}
