//! Markdown, for tickets and notebooks.

use super::{Lang, Report};
use std::fmt::Write;

// Texts in a report come from the evidence, and a report is pasted into tickets that render
// Markdown: no evidence text may close its code block or code span, or become a link, an image
// (a beacon to another server) or HTML.

/// The longest run of backticks in `text`.
fn longest_backticks(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A code block its text cannot close: one backtick more than the text's longest run.
fn fence(text: &str) -> String {
    let ticks = "`".repeat((longest_backticks(text) + 1).max(3));
    format!("{ticks}\n{text}\n{ticks}\n")
}

/// An inline code span its text cannot close.
fn code(text: &str) -> String {
    let ticks = "`".repeat(longest_backticks(text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// Prose with the characters that make links, images and HTML escaped.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '<' | '>' | '[' | ']' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Renders `report` as Markdown.
pub fn render(report: &Report) -> String {
    let ja = report.lang == Lang::Ja;
    let mut out = String::new();
    let _ = writeln!(out, "# kvcsi report\n");
    if report.findings.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            if ja {
                "問題は見つかりませんでした。"
            } else {
                "No problem found."
            }
        );
    }
    for f in &report.findings {
        let cause = f
            .cause
            .map(|c| {
                if ja {
                    format!(" · 原因 {c}")
                } else {
                    format!(" · article cause {c}")
                }
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "## {} · {}\n",
            f.severity.as_str().to_uppercase(),
            prose(&f.title)
        );
        let _ = writeln!(
            out,
            "{}{cause} · confidence: {}\n",
            code(&f.rule),
            prose(&f.confidence)
        );
        if !f.subject.is_empty() {
            let subject: Vec<String> = f
                .subject
                .iter()
                .map(|(k, v)| format!("{}: {}", prose(k), code(v)))
                .collect();
            let _ = writeln!(out, "{}\n", subject.join(" · "));
        }
        let _ = writeln!(out, "{}\n", prose(&f.message));
        if !f.evidence.is_empty() {
            let _ = writeln!(out, "**{}**\n", if ja { "証拠" } else { "Evidence" });
            for e in &f.evidence {
                let _ = writeln!(
                    out,
                    "- {} lines {}–{}\n",
                    code(&e.source),
                    e.lines[0],
                    e.lines[1]
                );
                out.push_str(&fence(&e.text));
                out.push('\n');
            }
        }
        if !f.remediation.is_empty() {
            let _ = writeln!(out, "**{}**\n", if ja { "対処" } else { "Fix" });
            for (n, step) in f.remediation.iter().enumerate() {
                let _ = writeln!(out, "{}. {}", n + 1, prose(&step.text));
                if let Some(command) = &step.command {
                    out.push('\n');
                    for line in fence(command).lines() {
                        let _ = writeln!(out, "   {line}");
                    }
                }
            }
            out.push('\n');
        }
        if !f.references.is_empty() {
            let links: Vec<String> = f.references.iter().map(|r| format!("<{r}>")).collect();
            let _ = writeln!(
                out,
                "{}: {}\n",
                if ja { "参考" } else { "References" },
                links.join(", ")
            );
        }
    }
    if !report.requests.is_empty() {
        let _ = writeln!(
            out,
            "## {}\n",
            if ja {
                "確認に役立つ証拠"
            } else {
                "Evidence that would settle it"
            }
        );
        for r in &report.requests {
            let _ = writeln!(out, "- {} ({})", prose(&r.reason), code(&r.rule));
            if let Some(command) = &r.command {
                for line in fence(command).lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        out.push('\n');
    }
    if !report.passed.is_empty() {
        let _ = writeln!(
            out,
            "## {}\n",
            if ja {
                "除外された原因"
            } else {
                "Ruled out"
            }
        );
        for p in &report.passed {
            let _ = writeln!(out, "- {}: {}", code(&p.rule), prose(&p.reason));
        }
        out.push('\n');
    }
    if !report.suppressed.is_empty() {
        let _ = writeln!(out, "## {}\n", if ja { "抑制" } else { "Suppressed" });
        for s in &report.suppressed {
            let _ = writeln!(
                out,
                "- {} {}: {} ({})",
                code(&s.rule),
                prose(&s.title),
                prose(&s.reason),
                prose(&s.entry)
            );
        }
        out.push('\n');
    }
    if !report.diagnostics.is_empty() {
        let _ = writeln!(
            out,
            "## {}\n",
            if ja {
                "診断メッセージ"
            } else {
                "Diagnostics"
            }
        );
        for d in &report.diagnostics {
            let source = d
                .source
                .as_deref()
                .map(|s| format!(" {}", code(s)))
                .unwrap_or_default();
            let _ = writeln!(out, "- {}{source}: {}", code(&d.code), prose(&d.message));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "---\nkvcsi {} · {} sources · {} lines · {} rules run",
        report.kvcsi_version, report.stats.sources, report.stats.lines, report.stats.rules_run
    );
    out
}
