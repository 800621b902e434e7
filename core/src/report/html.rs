//! A self-contained HTML report (also what Jupyter shows): no scripts, no external resources.

use super::{Lang, Report, Severity};
use std::fmt::Write;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1b1b1b}\
.kvcsi-card{border:1px solid #ccc;border-left:6px solid #888;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}\
.kvcsi-error{border-left-color:#b3261e}.kvcsi-warning{border-left-color:#8a5a00}.kvcsi-info{border-left-color:#0b57d0}\
.kvcsi-meta{color:#555;font-size:.9em}pre{background:#f5f5f5;padding:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}\
code{background:#f0f0f0;padding:0 .2em}";

/// Renders `report` as one HTML fragment (`full = false`, for notebooks) or a whole page.
pub fn render(report: &Report, full: bool) -> String {
    let ja = report.lang == Lang::Ja;
    let mut out = String::new();
    if full {
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>kvcsi report</title><style>{STYLE}</style></head><body>\n",
            report.lang.as_str()
        );
    } else {
        let _ = writeln!(out, "<div class=\"kvcsi-report\"><style>{STYLE}</style>");
    }
    let _ = writeln!(out, "<h1>kvcsi report</h1>");
    if report.findings.is_empty() {
        let _ = writeln!(
            out,
            "<p>{}</p>",
            if ja {
                "問題は見つかりませんでした。"
            } else {
                "No problem found."
            }
        );
    }
    for f in &report.findings {
        let class = match f.severity {
            Severity::Error => "kvcsi-error",
            Severity::Warning => "kvcsi-warning",
            Severity::Info => "kvcsi-info",
        };
        let _ = writeln!(
            out,
            "<section class=\"kvcsi-card {class}\" data-rule=\"{}\" data-severity=\"{}\">",
            escape(&f.rule),
            f.severity.as_str()
        );
        let _ = writeln!(
            out,
            "<h2>{} · {}</h2>",
            f.severity.as_str().to_uppercase(),
            escape(&f.title)
        );
        let cause = f
            .cause
            .map(|c| format!(" · {} {c}", if ja { "原因" } else { "article cause" }))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<p class=\"kvcsi-meta\"><code>{}</code>{cause} · confidence: {}</p>",
            escape(&f.rule),
            escape(&f.confidence)
        );
        if !f.subject.is_empty() {
            let subject: Vec<String> = f
                .subject
                .iter()
                .map(|(k, v)| format!("{}: <code>{}</code>", escape(k), escape(v)))
                .collect();
            let _ = writeln!(out, "<p>{}</p>", subject.join(" · "));
        }
        let _ = writeln!(out, "<p>{}</p>", escape(&f.message));
        for e in &f.evidence {
            let _ = writeln!(
                out,
                "<p class=\"kvcsi-meta\">{}:{}–{}</p><pre>{}</pre>",
                escape(&e.source),
                e.lines[0],
                e.lines[1],
                escape(&e.text)
            );
        }
        if !f.remediation.is_empty() {
            let _ = writeln!(out, "<ol>");
            for step in &f.remediation {
                let command = step
                    .command
                    .as_deref()
                    .map(|c| format!("<pre>{}</pre>", escape(c)))
                    .unwrap_or_default();
                let _ = writeln!(out, "<li>{}{command}</li>", escape(&step.text));
            }
            let _ = writeln!(out, "</ol>");
        }
        let _ = writeln!(out, "</section>");
    }
    if !report.requests.is_empty() {
        let _ = writeln!(
            out,
            "<h2>{}</h2><ul>",
            if ja {
                "確認に役立つ証拠"
            } else {
                "Evidence that would settle it"
            }
        );
        for r in &report.requests {
            let command = r
                .command
                .as_deref()
                .map(|c| format!("<pre>{}</pre>", escape(c)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<li>{} (<code>{}</code>){command}</li>",
                escape(&r.reason),
                escape(&r.rule)
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    if !report.diagnostics.is_empty() {
        let _ = writeln!(
            out,
            "<h2>{}</h2><ul>",
            if ja {
                "診断メッセージ"
            } else {
                "Diagnostics"
            }
        );
        for d in &report.diagnostics {
            let _ = writeln!(
                out,
                "<li><code>{}</code> {}: {}</li>",
                escape(&d.code),
                escape(d.source.as_deref().unwrap_or("")),
                escape(&d.message)
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    out.push_str(if full { "</body></html>\n" } else { "</div>\n" });
    out
}
