//! Markdown, for tickets and notebooks.

use super::{Lang, Report};
use std::fmt::Write;

fn fence(text: &str) -> String {
    let ticks = if text.contains("```") { "````" } else { "```" };
    format!("{ticks}\n{text}\n{ticks}\n")
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
            f.title
        );
        let _ = writeln!(out, "`{}`{cause} · confidence: {}\n", f.rule, f.confidence);
        if !f.subject.is_empty() {
            let subject: Vec<String> = f
                .subject
                .iter()
                .map(|(k, v)| format!("{k}: `{v}`"))
                .collect();
            let _ = writeln!(out, "{}\n", subject.join(" · "));
        }
        let _ = writeln!(out, "{}\n", f.message);
        if !f.evidence.is_empty() {
            let _ = writeln!(out, "**{}**\n", if ja { "証拠" } else { "Evidence" });
            for e in &f.evidence {
                let _ = writeln!(
                    out,
                    "- `{}` lines {}–{}\n",
                    e.source, e.lines[0], e.lines[1]
                );
                out.push_str(&fence(&e.text));
                out.push('\n');
            }
        }
        if !f.remediation.is_empty() {
            let _ = writeln!(out, "**{}**\n", if ja { "対処" } else { "Fix" });
            for (n, step) in f.remediation.iter().enumerate() {
                let _ = writeln!(out, "{}. {}", n + 1, step.text);
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
            let _ = writeln!(out, "- {} (`{}`)", r.reason, r.rule);
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
            let _ = writeln!(out, "- `{}`: {}", p.rule, p.reason);
        }
        out.push('\n');
    }
    if !report.suppressed.is_empty() {
        let _ = writeln!(out, "## {}\n", if ja { "抑制" } else { "Suppressed" });
        for s in &report.suppressed {
            let _ = writeln!(
                out,
                "- `{}` {}: {} ({})",
                s.rule, s.title, s.reason, s.entry
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
                .map(|s| format!(" `{s}`"))
                .unwrap_or_default();
            let _ = writeln!(out, "- `{}`{source}: {}", d.code, d.message);
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
