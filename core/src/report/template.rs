//! Message templates: `{name}` is replaced by the parameter `name`.

use serde_json::{Map, Value};

/// Renders a parameter for text: strings as is, arrays joined with `, `.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Replaces `{name}` placeholders with parameters; unknown placeholders stay as written so a
/// missing value is visible rather than silently empty.
pub fn render(template: &str, params: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        match after.find('}') {
            Some(close) => {
                let name = after.get(..close).unwrap_or_default();
                let valid =
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                match params.get(name).filter(|_| valid) {
                    Some(value) => {
                        out.push_str(&value_text(value));
                        rest = after.get(close + 1..).unwrap_or_default();
                    }
                    None if valid => {
                        // A missing parameter stays visible as written.
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                        rest = after.get(close + 1..).unwrap_or_default();
                    }
                    None => {
                        // Not a placeholder (JSON in a command, say): keep the brace and look
                        // for placeholders inside it.
                        out.push('{');
                        rest = after;
                    }
                }
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fills_placeholders() {
        let params = serde_json::json!({"vault": "kv1", "names": ["a", "b"]});
        let params = params.as_object().unwrap();
        assert_eq!(
            render("vault {vault}: {names}; {missing} {", params),
            "vault kv1: a, b; {missing} {"
        );
        assert_eq!(render("json {\"a\": 1}", params), "json {\"a\": 1}");
        assert_eq!(
            render(r#"{"spec":{"vault":"{vault}"}}"#, params),
            r#"{"spec":{"vault":"kv1"}}"#
        );
    }
}
