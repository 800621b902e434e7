//! From rule outcomes to a report: rendering texts, merging one cause on one subject into one
//! finding, resolving supersession, suppressions, ordering, bounding evidence and redaction.

use super::template::{render, value_text};
use super::{
    Diagnostic, EvidenceItem, Finding, Lang, Passed, Report, Request, Severity, Skipped, Stats,
    Step, SuppressedFinding, SuppressionList, SCHEMA_VERSION,
};
use crate::evidence::Location;
use crate::rule::{Outcome, Override, RawFinding, RawRequest, Rule, RuleResult};
use crate::text::encoding::visible;
use crate::text::redact::Secrets;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

/// Everything a report is built from.
#[derive(Debug, Clone)]
pub struct BuildInput {
    /// Each rule with what running it gave and what it printed.
    pub outcomes: Vec<(Arc<Rule>, Outcome, Vec<String>)>,
    /// Input and rule-load diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// Counts from reading the input.
    pub stats: Stats,
    /// Built-in rules replaced by user rules.
    pub overrides: Vec<Override>,
    /// Suppression entries.
    pub suppressions: SuppressionList,
    /// Whether to redact credentials.
    pub redact: bool,
    /// Credentials the session found in its facts and matches, scrubbed from every text the
    /// rules built (empty when not redacting).
    pub secrets: Secrets,
    /// Evidence items kept per finding.
    pub evidence_per_finding: usize,
}

/// The inputs of a report, kept so it can be re-rendered; compares equal to any other, so two
/// reports compare by their visible content only.
#[derive(Clone, Default)]
pub struct Replay(pub(crate) Option<Arc<BuildInput>>);

impl fmt::Debug for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Replay")
    }
}

impl PartialEq for Replay {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

pub(crate) fn relocalize(report: &Report, lang: Lang) -> Report {
    match &report.replay.0 {
        Some(input) => build(input.clone(), lang),
        None => report.clone(),
    }
}

struct Renderer<'a> {
    rule: &'a Rule,
    lang: Lang,
    redact: bool,
    secrets: &'a Secrets,
}

impl Renderer<'_> {
    fn text(&self, key: &str, params: &Map<String, Value>) -> String {
        let template = self.rule.meta.text(self.lang.as_str(), key).unwrap_or(key);
        self.clean(render(template, params))
    }

    fn command(&self, key: &str, params: &Map<String, Value>) -> Option<String> {
        self.rule
            .meta
            .commands
            .get(key)
            .map(|c| self.clean(render(c, params)))
    }

    fn clean(&self, text: String) -> String {
        let text = if self.redact {
            self.secrets.clean(&text).into_owned()
        } else {
            text
        };
        // Redacted or not, no control character from the evidence reaches a terminal.
        visible(&text).into_owned()
    }

    fn request(&self, request: &RawRequest, fallback: &Map<String, Value>) -> Request {
        let mut params = fallback.clone();
        params.extend(request.params.clone());
        Request {
            rule: self.rule.meta.id.clone(),
            evidence: request.evidence.clone(),
            reason: self.text(&request.reason, &params),
            command: request
                .command
                .as_deref()
                .and_then(|c| self.command(c, &params)),
        }
    }
}

fn subject_of(raw: &RawFinding) -> BTreeMap<String, String> {
    raw.subject
        .iter()
        .map(|(k, v)| (k.clone(), value_text(v)))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

fn confidence_rank(c: &str) -> u8 {
    match c {
        "high" => 0,
        "medium" => 1,
        _ => 2,
    }
}

/// Builds the report in `lang`.
pub fn build(input: Arc<BuildInput>, lang: Lang) -> Report {
    let mut findings: Vec<(Finding, Vec<Location>, Vec<String>)> = Vec::new();
    let mut passed = Vec::new();
    let mut skipped = Vec::new();
    let mut requests = Vec::new();
    // Input diagnostics quote evidence (entry names, values), and a report is shared whole.
    let mut diagnostics: Vec<Diagnostic> = input
        .diagnostics
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if input.redact {
                d.message = input.secrets.clean(&d.message).into_owned();
                d.source = d.source.map(|s| input.secrets.clean(&s).into_owned());
            }
            d.message = visible(&d.message).into_owned();
            d.source = d.source.map(|s| visible(&s).into_owned());
            d
        })
        .collect();
    let mut rules_run = 0;

    for (rule, outcome, printed) in &input.outcomes {
        let renderer = Renderer {
            rule,
            lang,
            redact: input.redact,
            secrets: &input.secrets,
        };
        for line in printed {
            diagnostics.push(
                Diagnostic::new("rule-output", renderer.clean(line.clone()))
                    .with_rule(&rule.meta.id)
                    .with_source(&rule.source.file),
            );
        }
        match outcome {
            Outcome::Failed(diagnostic) => {
                rules_run += 1;
                let mut d = diagnostic.clone();
                d.message = renderer.clean(d.message);
                diagnostics.push(d);
            }
            Outcome::NotApplicable(needs) => {
                let reason = match lang {
                    Lang::En => format!("no evidence of the kinds it reads ({})", needs.join(", ")),
                    Lang::Ja => format!(
                        "このルールが読む種類の証拠 ({}) がありません",
                        needs.join(", ")
                    ),
                };
                skipped.push(Skipped {
                    rule: rule.meta.id.clone(),
                    reason,
                    needs: needs.clone(),
                });
            }
            Outcome::Ran(results) => {
                rules_run += 1;
                for result in results {
                    match result {
                        RuleResult::Finding(raw) => findings.push(render_finding(
                            &renderer,
                            raw,
                            input.evidence_per_finding,
                        )),
                        RuleResult::Pass { reason, params } => passed.push(Passed {
                            rule: rule.meta.id.clone(),
                            reason: renderer.text(reason, params),
                        }),
                        RuleResult::Skip { reason, needs } => skipped.push(Skipped {
                            rule: rule.meta.id.clone(),
                            reason: renderer.text(reason, &Map::new()),
                            needs: needs.clone(),
                        }),
                        RuleResult::Request(request) => {
                            requests.push(renderer.request(request, &Map::new()))
                        }
                    }
                }
            }
        }
    }

    let findings = merge(findings, input.evidence_per_finding);
    let (mut findings, superseded) = supersede(findings, &input.outcomes);

    // Suppressions move findings aside, with the entry's reason.
    let mut suppressed = Vec::new();
    findings.retain(|(finding, _, sources)| {
        let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
        match input
            .suppressions
            .matching(&finding.rule, &finding.subject, &sources)
        {
            Some(entry) => {
                suppressed.push(SuppressedFinding {
                    rule: finding.rule.clone(),
                    subject: finding.subject.clone(),
                    title: finding.title.clone(),
                    reason: entry.reason.clone(),
                    entry: entry.entry.clone(),
                });
                false
            }
            None => true,
        }
    });

    let mut findings: Vec<Finding> = findings.into_iter().map(|(f, _, _)| f).collect();
    findings.sort_by(|a, b| {
        (
            a.severity,
            confidence_rank(&a.confidence),
            a.cause.is_none(),
            &a.rule,
            &a.subject,
        )
            .cmp(&(
                b.severity,
                confidence_rank(&b.confidence),
                b.cause.is_none(),
                &b.rule,
                &b.subject,
            ))
    });
    for finding in &findings {
        requests.extend(finding.requests.iter().cloned());
    }
    let mut seen = BTreeSet::new();
    requests.retain(|r| {
        seen.insert((
            r.evidence.clone(),
            r.command.clone().unwrap_or_else(|| r.reason.clone()),
        ))
    });
    passed.sort_by(|a, b| (&a.rule, &a.reason).cmp(&(&b.rule, &b.reason)));
    passed.dedup();
    skipped.sort_by(|a, b| (&a.rule, &a.reason).cmp(&(&b.rule, &b.reason)));
    skipped.dedup();
    // A rule that found something is not also "skipped" or "passed" for the same subject list.
    let fired: BTreeSet<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    skipped.retain(|s| !fired.contains(s.rule.as_str()));
    diagnostics.sort();
    diagnostics.dedup();

    let mut stats = input.stats.clone();
    stats.rules = input.outcomes.len() as u64;
    stats.rules_run = rules_run;
    stats.superseded = superseded;
    Report {
        schema_version: SCHEMA_VERSION,
        kvcsi_version: crate::VERSION.to_owned(),
        lang,
        redacted: input.redact,
        findings,
        passed,
        skipped,
        requests,
        suppressed,
        overrides: input.overrides.clone(),
        diagnostics,
        stats,
        replay: Replay(Some(input)),
    }
}

fn render_finding(
    renderer: &Renderer<'_>,
    raw: &RawFinding,
    evidence_cap: usize,
) -> (Finding, Vec<Location>, Vec<String>) {
    let meta = &renderer.rule.meta;
    let mut params = raw.params.clone();
    for (k, v) in &raw.subject {
        params.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let severity = raw
        .severity
        .as_deref()
        .and_then(Severity::parse)
        .unwrap_or(meta.severity);
    let remediation = raw
        .remediation
        .iter()
        .map(|(text, command)| Step {
            text: renderer.text(text, &params),
            command: command
                .as_deref()
                .or(Some(text.as_str()))
                .and_then(|c| renderer.command(c, &params)),
        })
        .collect();
    let requests = raw
        .requests
        .iter()
        .map(|r| renderer.request(r, &params))
        .collect();
    let locations: Vec<Location> = raw.evidence.iter().map(|(l, _)| l.clone()).collect();
    let evidence = bound_evidence(
        raw.evidence
            .iter()
            .map(|(at, text)| EvidenceItem {
                source: renderer.clean(at.source.clone()),
                lines: [at.first, at.last],
                text: renderer.clean(text.clone()),
            })
            .collect(),
        evidence_cap,
    );
    let sources = evidence.iter().map(|e| e.source.clone()).collect();
    let data = if renderer.redact {
        raw.data
            .iter()
            .map(|(k, v)| {
                (
                    renderer.secrets.clean(k).into_owned(),
                    renderer.secrets.clean_json(v),
                )
            })
            .collect()
    } else {
        raw.data.clone()
    };
    let finding = Finding {
        rule: meta.id.clone(),
        severity,
        cause: meta.cause,
        confidence: raw
            .confidence
            .as_deref()
            .map_or_else(|| "high".to_owned(), |c| visible(c).into_owned()),
        subject: subject_of(raw)
            .into_iter()
            .map(|(k, v)| (k, renderer.clean(v)))
            .collect(),
        title: renderer.text(&raw.title, &params),
        message: renderer.text(&raw.message, &params),
        data,
        evidence,
        remediation,
        requests,
        references: meta
            .references
            .iter()
            .map(|r| visible(r).into_owned())
            .collect(),
    };
    (finding, locations, sources)
}

/// Keeps at most `cap` items, by canonical order, making sure each source is cited at least once.
fn bound_evidence(mut items: Vec<EvidenceItem>, cap: usize) -> Vec<EvidenceItem> {
    items.sort_by(|a, b| (&a.source, a.lines).cmp(&(&b.source, b.lines)));
    items.dedup_by(|a, b| a.source == b.source && a.lines == b.lines);
    // Drop items contained in a wider item of the same source.
    let snapshot = items.clone();
    items.retain(|item| {
        !snapshot.iter().any(|other| {
            other != item
                && other.source == item.source
                && other.lines[0] <= item.lines[0]
                && item.lines[1] <= other.lines[1]
        })
    });
    if items.len() <= cap {
        return items;
    }
    let mut kept: Vec<EvidenceItem> = Vec::new();
    let mut sources = BTreeSet::new();
    for item in &items {
        if sources.insert(item.source.clone()) {
            kept.push(item.clone());
        }
    }
    for item in &items {
        if kept.len() >= cap {
            break;
        }
        if !kept.contains(item) {
            kept.push(item.clone());
        }
    }
    kept.truncate(cap.max(1));
    kept.sort_by(|a, b| (&a.source, a.lines).cmp(&(&b.source, b.lines)));
    kept
}

type Entry = (Finding, Vec<Location>, Vec<String>);

/// One root cause on one subject is one finding: merge findings of a rule whose subjects agree.
fn merge(findings: Vec<Entry>, cap: usize) -> Vec<Entry> {
    let mut merged: Vec<Entry> = Vec::new();
    for (finding, locations, sources) in findings {
        let target = merged
            .iter_mut()
            .find(|(f, _, _)| f.rule == finding.rule && f.subject == finding.subject);
        match target {
            Some((existing, existing_locations, existing_sources)) => {
                let mut evidence = std::mem::take(&mut existing.evidence);
                evidence.extend(finding.evidence);
                existing.evidence = bound_evidence(evidence, cap);
                existing_locations.extend(locations);
                existing_sources.extend(sources);
                for (k, v) in finding.data {
                    existing.data.entry(k).or_insert(v);
                }
                if confidence_rank(&finding.confidence) < confidence_rank(&existing.confidence) {
                    existing.confidence = finding.confidence;
                }
                existing.severity = existing.severity.min(finding.severity);
                for step in finding.remediation {
                    if !existing.remediation.contains(&step) {
                        existing.remediation.push(step);
                    }
                }
                for request in finding.requests {
                    if !existing.requests.contains(&request) {
                        existing.requests.push(request);
                    }
                }
            }
            None => merged.push((finding, locations, sources)),
        }
    }
    merged
}

fn compatible(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> bool {
    if a.is_empty() || b.is_empty() {
        return true;
    }
    let mut shared = 0;
    for (k, v) in a {
        if let Some(w) = b.get(k) {
            if !v.eq_ignore_ascii_case(w) {
                return false;
            }
            shared += 1;
        }
    }
    shared > 0
}

/// Drops findings that a more specific rule's finding explains (same evidence or subject).
fn supersede(
    findings: Vec<Entry>,
    outcomes: &[(Arc<Rule>, Outcome, Vec<String>)],
) -> (Vec<Entry>, u64) {
    let supersedes: BTreeMap<&str, &[String]> = outcomes
        .iter()
        .map(|(r, _, _)| (r.meta.id.as_str(), r.meta.supersedes.as_slice()))
        .collect();
    let mut dropped = vec![false; findings.len()];
    for (i, (specific, specific_locations, _)) in findings.iter().enumerate() {
        let Some(targets) = supersedes.get(specific.rule.as_str()) else {
            continue;
        };
        if specific.severity == Severity::Info {
            continue;
        }
        for (j, (generic, generic_locations, _)) in findings.iter().enumerate() {
            if i == j || !targets.contains(&generic.rule) {
                continue;
            }
            let overlaps = specific_locations
                .iter()
                .any(|a| generic_locations.iter().any(|b| a.overlaps(b)));
            if overlaps || compatible(&specific.subject, &generic.subject) {
                if let Some(slot) = dropped.get_mut(j) {
                    *slot = true;
                }
            }
        }
    }
    let count = dropped.iter().filter(|d| **d).count() as u64;
    let kept = findings
        .into_iter()
        .zip(dropped)
        .filter(|(_, d)| !d)
        .map(|(f, _)| f)
        .collect();
    (kept, count)
}
