//! A JSON reader that keeps line positions and bounds nesting depth.

use super::tree::{Node, NodeValue};
use serde_json::Value;

/// Why a JSON document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// 1-based line where reading stopped.
    pub line: u64,
    /// What was wrong.
    pub message: String,
}

/// Parses one JSON document. `first_line` is the line number of the first byte.
pub fn parse(text: &str, first_line: u64, max_depth: usize) -> Result<Node, JsonError> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        line: first_line,
        max_depth,
    };
    reader.skip_ws();
    let node = reader.value(0)?;
    reader.skip_ws();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error("unexpected text after the JSON document"));
    }
    Ok(node)
}

struct Reader<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u64,
    max_depth: usize,
}

impl Reader<'_> {
    fn error(&self, message: &str) -> JsonError {
        JsonError {
            line: self.line,
            message: message.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", byte as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, JsonError> {
        if depth > self.max_depth {
            return Err(self.error("nested too deeply"));
        }
        let first = self.line;
        let value = match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_ws();
                        let key = self.string()?;
                        self.skip_ws();
                        self.expect(b':')?;
                        self.skip_ws();
                        let value = self.value(depth + 1)?;
                        entries.push((key, value));
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.error("expected ',' or '}'")),
                        }
                    }
                }
                NodeValue::Object(entries)
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_ws();
                        items.push(self.value(depth + 1)?);
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.error("expected ',' or ']'")),
                        }
                    }
                }
                NodeValue::Array(items)
            }
            Some(b'"') => NodeValue::Scalar(Value::String(self.string()?)),
            Some(_) => NodeValue::Scalar(self.scalar()?),
            None => return Err(self.error("unexpected end of the document")),
        };
        Ok(Node {
            first,
            last: self.line,
            value,
        })
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        while let Some(b) = self.peek() {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => break,
                (false, b'\n') => return Err(self.error("unterminated string")),
                _ => {}
            }
            self.pos += 1;
        }
        let raw = self
            .text
            .get(start.saturating_sub(1)..=self.pos)
            .ok_or_else(|| self.error("unterminated string"))?;
        self.expect(b'"')?;
        serde_json::from_str::<String>(raw).map_err(|e| self.error(&format!("bad string: {e}")))
    }

    fn scalar(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                break;
            }
            self.pos += 1;
        }
        let raw = self.text.get(start..self.pos).unwrap_or_default();
        serde_json::from_str::<Value>(raw).map_err(|_| {
            // Quote a bare word (`True`, `None`: output of another tool); anything else may be
            // a secret pasted without quotes, and diagnostics end up in tickets.
            if !raw.is_empty() && raw.len() <= 8 && raw.bytes().all(|b| b.is_ascii_alphabetic()) {
                self.error(&format!("unexpected '{raw}'"))
            } else {
                self.error("unexpected text where a value should be")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keeps_lines() {
        let node = parse(
            "[\n  {\n    \"a\": 1\n  },\n  {\"b\": \"x\\\"y\"}\n]",
            10,
            64,
        )
        .unwrap();
        let items = node.items().unwrap();
        assert_eq!((items[0].first, items[0].last), (11, 13));
        assert_eq!(items[1].to_value()["b"], "x\"y");
        assert!(parse(&"[".repeat(100), 1, 64).is_err());
        assert!(parse("{\"a\": ", 1, 64).is_err());
    }
}
