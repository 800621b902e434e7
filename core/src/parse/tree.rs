//! A document tree with line positions, shared by the JSON and YAML readers, so findings can
//! cite the lines of one object inside a long `-o json` or `-o yaml` output.

use serde_json::{Map, Value};

/// A value with the 1-based line range it spans.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// First line.
    pub first: u64,
    /// Last line.
    pub last: u64,
    /// The value.
    pub value: NodeValue,
}

/// The value of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// A scalar, already converted.
    Scalar(Value),
    /// An array.
    Array(Vec<Node>),
    /// An object, in document order.
    Object(Vec<(String, Node)>),
}

impl Node {
    /// Converts to a plain JSON value (positions dropped).
    pub fn to_value(&self) -> Value {
        match &self.value {
            NodeValue::Scalar(v) => v.clone(),
            NodeValue::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            NodeValue::Object(entries) => {
                let mut map = Map::new();
                for (k, v) in entries {
                    map.insert(k.clone(), v.to_value());
                }
                Value::Object(map)
            }
        }
    }

    /// The entry of an object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The items of an array.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Array(items) => Some(items),
            _ => None,
        }
    }
}
