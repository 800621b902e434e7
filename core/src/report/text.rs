//! Plain text for terminals, with optional ANSI colour.

use super::{Lang, Report, Severity};
use std::fmt::Write;

/// Renders `report` as text; `colour` adds ANSI colours (the caller decides: tty, NO_COLOR).
pub fn render(report: &Report, colour: bool) -> String {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let ja = report.lang == Lang::Ja;
    let mut out = String::new();
    if report.findings.is_empty() {
        let line = if ja {
            "問題は見つかりませんでした。"
        } else {
            "No problem found."
        };
        let _ = writeln!(out, "{}", paint("32;1", line));
    }
    for (index, f) in report.findings.iter().enumerate() {
        let (code, label) = match f.severity {
            Severity::Error => ("31;1", "ERROR"),
            Severity::Warning => ("33;1", "WARNING"),
            Severity::Info => ("36;1", "INFO"),
        };
        let cause = f
            .cause
            .map(|c| {
                if ja {
                    format!(" (原因 {c})")
                } else {
                    format!(" (article cause {c})")
                }
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {} [{}]{} {}",
            paint(code, label),
            paint("1", &f.title),
            f.rule,
            cause,
            paint("2", &format!("confidence: {}", f.confidence))
        );
        if !f.subject.is_empty() {
            let subject: Vec<String> = f.subject.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(out, "  {}", subject.join(" "));
        }
        for line in f.message.lines() {
            let _ = writeln!(out, "  {line}");
        }
        if !f.evidence.is_empty() {
            let _ = writeln!(
                out,
                "  {}",
                paint("1", if ja { "証拠:" } else { "Evidence:" })
            );
            for e in &f.evidence {
                let range = if e.lines[0] == e.lines[1] {
                    format!("{}", e.lines[0])
                } else {
                    format!("{}-{}", e.lines[0], e.lines[1])
                };
                let _ = writeln!(out, "    {}", paint("36", &format!("{}:{range}", e.source)));
                for line in e.text.lines().take(6) {
                    let _ = writeln!(out, "      {}", crate::facts::cap_text(line, 800));
                }
            }
        }
        if !f.remediation.is_empty() {
            let _ = writeln!(out, "  {}", paint("1", if ja { "対処:" } else { "Fix:" }));
            for (n, step) in f.remediation.iter().enumerate() {
                let _ = writeln!(out, "    {}. {}", n + 1, step.text);
                if let Some(command) = &step.command {
                    for line in command.lines() {
                        let _ = writeln!(out, "       {}", paint("32", &format!("$ {line}")));
                    }
                }
            }
        }
        if index + 1 < report.findings.len() {
            out.push('\n');
        }
    }
    if !report.requests.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(
                "1",
                if ja {
                    "確認に役立つ証拠:"
                } else {
                    "Evidence that would settle it:"
                }
            )
        );
        for r in &report.requests {
            let _ = writeln!(out, "  - {} [{}]", r.reason, r.rule);
            if let Some(command) = &r.command {
                for line in command.lines() {
                    let _ = writeln!(out, "      {}", paint("32", &format!("$ {line}")));
                }
            }
        }
    }
    if !report.suppressed.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(
                "1",
                if ja {
                    "抑制された検出:"
                } else {
                    "Suppressed:"
                }
            )
        );
        for s in &report.suppressed {
            let _ = writeln!(
                out,
                "  - {} ({}): {} [{}]",
                s.rule, s.title, s.reason, s.entry
            );
        }
    }
    for o in &report.overrides {
        let _ = writeln!(
            out,
            "{} {} <- {}",
            paint("2", if ja { "上書き:" } else { "override:" }),
            o.rule,
            o.source
        );
    }
    if !report.diagnostics.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(
                "1",
                if ja {
                    "診断メッセージ:"
                } else {
                    "Diagnostics:"
                }
            )
        );
        for d in &report.diagnostics {
            let source = d
                .source
                .as_deref()
                .map(|s| format!("{s}: "))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {source}{}",
                paint("33", &format!("[{}]", d.code)),
                d.message
            );
        }
    }
    let s = &report.stats;
    let summary = if ja {
        format!("{} 件のソース、{} 行を確認。ルール {} 件を実行、検出 {} 件、除外 {} 件、スキップ {} 件。", s.sources, s.lines, s.rules_run, report.findings.len(), report.passed.len(), report.skipped.len())
    } else {
        format!(
            "Checked {} in {}; ran {}: {}, {} ruled out, {} skipped.",
            plural(s.sources, "source"),
            plural(s.lines, "line"),
            plural(s.rules_run, "rule"),
            plural(report.findings.len() as u64, "finding"),
            report.passed.len(),
            report.skipped.len()
        )
    };
    let _ = writeln!(out, "\n{}", paint("2", &summary));
    out
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
