//! Facts: what the parsers found, typed by kind, each with the place it came from.
//!
//! Every fact is stored uniformly (kind, location, text, fields) so rules, `kvcsi facts` and the
//! bindings see one shape; the parsers build the fields from typed structs, which document them.

use crate::evidence::Location;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Every fact kind, as rules name it in `needs` and read it from `facts.<kind>`.
pub const FACT_KINDS: &[&str] = &[
    "logs",
    "events",
    "kv_errors",
    "dns",
    "tcp",
    "http",
    "commands",
    "az_aks",
    "az_keyvaults",
    "az_dns_links",
    "az_dns_records",
    "az_peerings",
    "az_private_endpoints",
    "az_identities",
    "az_federated_credentials",
    "az_role_assignments",
    "az_scalars",
    "k8s_pods",
    "k8s_csidrivers",
    "k8s_spcs",
    "k8s_spc_statuses",
    "k8s_cluster_roles",
    "k8s_cluster_role_bindings",
    "k8s_nodes",
    "k8s_daemonsets",
    "k8s_not_found",
];

/// One fact: its kind (one of [`FACT_KINDS`]), where it is, the text it was read from
/// (bounded), and its typed fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact {
    /// Fact kind.
    pub kind: &'static str,
    /// Source and line range.
    pub at: Location,
    /// The text of those lines, capped at [`Fact::MAX_TEXT`] bytes.
    pub text: String,
    /// Kind-specific fields.
    pub fields: Map<String, Value>,
}

impl Fact {
    /// Longest text kept with a fact.
    pub const MAX_TEXT: usize = 4096;

    /// Builds a fact from a typed field struct.
    pub fn new(kind: &'static str, at: Location, text: &str, fields: &impl Serialize) -> Self {
        let fields = match serde_json::to_value(fields) {
            Ok(Value::Object(map)) => map.into_iter().filter(|(_, v)| !v.is_null()).collect(),
            _ => Map::new(),
        };
        Self {
            kind,
            at,
            text: cap_text(text, Self::MAX_TEXT),
            fields,
        }
    }

    /// A field as a string, when it is one.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn cap_text(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = text.get(..end).unwrap_or_default().to_owned();
    out.push('…');
    out
}

/// A bounded sample keyed canonically: keeps the `cap` smallest and the `cap` largest keys seen,
/// whatever the order they arrive in, and counts the rest.
#[derive(Debug, Clone)]
pub struct BoundedSample<K: Ord + Clone, V> {
    cap: usize,
    head: BTreeMap<K, V>,
    tail: BTreeMap<K, V>,
    seen: u64,
}

impl<K: Ord + Clone, V> BoundedSample<K, V> {
    /// A sample keeping up to `cap` items at each end.
    pub fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            head: BTreeMap::new(),
            tail: BTreeMap::new(),
            seen: 0,
        }
    }

    /// Offers an item; an item with a key already present replaces it and is not counted again.
    pub fn insert(&mut self, key: K, value: V) {
        if let Some(slot) = self.head.get_mut(&key) {
            *slot = value;
            return;
        }
        if let Some(slot) = self.tail.get_mut(&key) {
            *slot = value;
            return;
        }
        self.seen += 1;
        self.head.insert(key, value);
        if self.head.len() > self.cap {
            if let Some((k, v)) = self.head.pop_last() {
                self.tail.insert(k, v);
                if self.tail.len() > self.cap {
                    self.tail.pop_first();
                }
            }
        }
    }

    /// The largest key at the front end once that end is full: a new key at or above it can
    /// only enter the back end. `None` while the front end has room. Lets a streaming caller
    /// skip building values that could not be kept (see [`BoundedSample::add_unkept`]).
    pub fn head_bound(&self) -> Option<&K> {
        if self.head.len() < self.cap {
            return None;
        }
        self.head.keys().next_back()
    }

    /// Counts `n` new distinct keys the caller knows this sample would not keep.
    pub fn add_unkept(&mut self, n: u64) {
        self.seen += n;
    }

    /// The kept item with this key.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.head.get(key).or_else(|| self.tail.get(key))
    }

    /// Items offered (distinct keys), kept or not.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The smallest kept items, in key order.
    pub fn first(&self) -> impl Iterator<Item = (&K, &V)> {
        self.head.iter()
    }

    /// The largest kept items beyond `first`, in key order.
    pub fn last(&self) -> impl Iterator<Item = (&K, &V)> {
        self.tail.iter()
    }

    /// All kept items in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.head.iter().chain(self.tail.iter())
    }

    /// The kept values, in key order.
    pub fn into_values(self) -> impl Iterator<Item = V> {
        self.head.into_values().chain(self.tail.into_values())
    }

    /// Kept items.
    pub fn len(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// Whether nothing was kept.
    pub fn is_empty(&self) -> bool {
        self.head.is_empty()
    }
}

/// All facts of one check, bounded per kind.
#[derive(Debug, Clone)]
pub struct Facts {
    by_kind: BTreeMap<&'static str, BoundedSample<(Location, u32), Fact>>,
    cap: usize,
}

impl Facts {
    /// An empty collection keeping up to `cap_per_kind` facts per kind.
    pub fn new(cap_per_kind: usize) -> Self {
        Self {
            by_kind: BTreeMap::new(),
            cap: (cap_per_kind / 2).max(1),
        }
    }

    /// Adds a fact. Two facts of one kind at one location are told apart by `ordinal`
    /// (e.g. two items of one JSON array never share a location, two answers of one nslookup may).
    pub fn push(&mut self, fact: Fact) {
        let cap = self.cap;
        let sample = self
            .by_kind
            .entry(fact.kind)
            .or_insert_with(|| BoundedSample::new(cap));
        let mut ordinal = 0;
        let key = loop {
            let key = (fact.at.clone(), ordinal);
            match sample.get(&key).map(|existing| existing == &fact) {
                Some(false) => ordinal += 1,
                _ => break key,
            }
        };
        sample.insert(key, fact);
    }

    /// See [`BoundedSample::head_bound`]; `None` while the kind's front end has room.
    pub fn head_bound(&self, kind: &str) -> Option<&(Location, u32)> {
        self.by_kind.get(kind).and_then(BoundedSample::head_bound)
    }

    /// Counts `n` facts of `kind` the caller knows would not be kept (see
    /// [`BoundedSample::add_unkept`]).
    pub fn add_unkept(&mut self, kind: &'static str, n: u64) {
        let cap = self.cap;
        self.by_kind
            .entry(kind)
            .or_insert_with(|| BoundedSample::new(cap))
            .add_unkept(n);
    }

    /// Facts of one kind in canonical order.
    pub fn of(&self, kind: &str) -> impl Iterator<Item = &Fact> {
        self.by_kind
            .get(kind)
            .into_iter()
            .flat_map(|s| s.iter().map(|(_, f)| f))
    }

    /// How many facts of a kind were found (kept or not).
    pub fn count(&self, kind: &str) -> u64 {
        self.by_kind.get(kind).map_or(0, BoundedSample::seen)
    }

    /// Kinds with at least one fact.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_kind
            .iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(k, _)| *k)
    }

    /// Removes the kept facts of one kind, in canonical order (its count goes with them).
    pub fn take(&mut self, kind: &str) -> Vec<Fact> {
        self.by_kind
            .remove(kind)
            .map(|sample| sample.into_values().collect())
            .unwrap_or_default()
    }

    /// Every kept fact, by kind then location.
    pub fn all(&self) -> impl Iterator<Item = &Fact> {
        self.by_kind.values().flat_map(|s| s.iter().map(|(_, f)| f))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bounded_sample_is_order_independent() {
        let keys: Vec<u32> = (0..100).collect();
        let mut forward = BoundedSample::new(3);
        let mut backward = BoundedSample::new(3);
        for k in &keys {
            forward.insert(*k, ());
        }
        for k in keys.iter().rev() {
            backward.insert(*k, ());
        }
        let f: Vec<_> = forward.iter().map(|(k, _)| *k).collect();
        let b: Vec<_> = backward.iter().map(|(k, _)| *k).collect();
        assert_eq!(f, vec![0, 1, 2, 97, 98, 99]);
        assert_eq!(f, b);
        assert_eq!(forward.seen(), 100);
    }
}
