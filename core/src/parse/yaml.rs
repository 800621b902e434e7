//! A YAML reader that keeps line positions (saphyr, the maintained successor of yaml-rust).

use super::tree::{Node, NodeValue};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::Value;

/// Parses every document of a YAML stream. `first_line` is the line number of the first line.
pub fn parse(text: &str, first_line: u64, max_depth: usize) -> Result<Vec<Node>, String> {
    if nesting_estimate(text) > max_depth {
        return Err("nested too deeply".to_owned());
    }
    let documents = MarkedYaml::load_from_str(text).map_err(|e| e.to_string())?;
    Ok(documents
        .iter()
        .filter_map(|d| convert(d, first_line.saturating_sub(1), 0, max_depth))
        .collect())
}

/// A cheap upper bound on nesting: flow brackets and indentation steps, so a hostile document
/// is refused before the recursive loader sees it.
fn nesting_estimate(text: &str) -> usize {
    let mut depth: usize = 0;
    let mut deepest: usize = 0;
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let indent = text
        .lines()
        .map(|l| l.len() - l.trim_start_matches([' ', '-']).len())
        .max()
        .unwrap_or(0)
        / 2;
    deepest.max(indent)
}

fn convert(node: &MarkedYaml<'_>, offset: u64, depth: usize, max_depth: usize) -> Option<Node> {
    if depth > max_depth {
        return None;
    }
    let first = node.span.start.line() as u64 + offset;
    let end = node.span.end;
    // A span ends where the next token starts: column 0 of the next line ends on the line before.
    let last = if end.col() == 0 && end.line() as u64 + offset > first {
        end.line() as u64 + offset - 1
    } else {
        end.line() as u64 + offset
    };
    let value = match &node.data {
        YamlData::Value(scalar) => NodeValue::Scalar(scalar_value(scalar)),
        YamlData::Representation(raw, _, _) => NodeValue::Scalar(Value::String(raw.to_string())),
        YamlData::Sequence(items) => NodeValue::Array(
            items
                .iter()
                .filter_map(|i| convert(i, offset, depth + 1, max_depth))
                .collect(),
        ),
        YamlData::Mapping(map) => NodeValue::Object(
            map.iter()
                .filter_map(|(k, v)| {
                    let key = match &k.data {
                        YamlData::Value(s) => scalar_value(s)
                            .as_str()
                            .map_or_else(|| scalar_value(s).to_string(), str::to_owned),
                        YamlData::Representation(raw, _, _) => raw.to_string(),
                        _ => return None,
                    };
                    convert(v, offset, depth + 1, max_depth).map(|v| (key, v))
                })
                .collect(),
        ),
        YamlData::Tagged(_, inner) => return convert(inner, offset, depth + 1, max_depth),
        _ => NodeValue::Scalar(Value::Null),
    };
    Some(Node {
        first,
        last: last.max(first),
        value,
    })
}

fn scalar_value(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::from(*i),
        Scalar::FloatingPoint(f) => {
            serde_json::Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
        }
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keeps_lines() {
        let docs = parse(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n---\nkind: Node\n",
            1,
            64,
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].get("metadata").unwrap().to_value()["name"], "x");
        assert_eq!(docs[1].first, 6);
    }
}
