//! The pattern matches of a check as the rules and `kvcsi facts` see them.
//!
//! A rule's `matches` argument is built from the scan's bounded samples when the rule runs, on
//! the thread that runs it, and dropped when it returns: holding every rule's matches from the
//! start would keep the samples of all of them alive beside the one running.

use crate::scan::{MatchSample, Matcher, PatternMatches};
use crate::text::redact::Secrets;
use rhai::Dynamic;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The scan's match samples, by pattern.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatchSamples<'a> {
    matcher: &'a Matcher,
    /// One record per confirm group.
    records: &'a [PatternMatches],
    /// The credentials to scrub when the check redacts.
    secrets: Option<&'a Secrets>,
}

impl<'a> MatchSamples<'a> {
    pub(crate) fn new(
        matcher: &'a Matcher,
        records: &'a [PatternMatches],
        secrets: Option<&'a Secrets>,
    ) -> Self {
        Self {
            matcher,
            records,
            secrets,
        }
    }

    /// The patterns with their records: (owner, name, record).
    fn patterns(&self) -> impl Iterator<Item = (&'a str, &'a str, &'a PatternMatches)> + '_ {
        (0..self.matcher.len()).filter_map(|id| {
            let spec = self.matcher.spec(id)?;
            let record = self.records.get(self.matcher.group_of(id)?)?;
            Some((spec.owner.as_str(), spec.name.as_str(), record))
        })
    }

    /// Whether a pattern of `rule` matched anything.
    pub(crate) fn any(&self, rule: &str) -> bool {
        self.patterns()
            .any(|(owner, _, record)| owner == rule && record.sample.seen() > 0)
    }

    /// The matches of `rule`'s patterns as JSON, redacted when the check redacts.
    pub(crate) fn of_rule(&self, rule: &str) -> BTreeMap<String, Value> {
        self.patterns()
            .filter(|(owner, _, _)| *owner == rule)
            .map(|(_, name, record)| {
                let value = match_json(record);
                let value = match self.secrets {
                    Some(secrets) => secrets.clean_json(&value),
                    None => value,
                };
                (name.to_owned(), value)
            })
            .collect()
    }

    /// The matches of `rule`'s patterns as its script sees them.
    pub(crate) fn script_value(&self, rule: &str) -> Dynamic {
        rhai::serde::to_dynamic(self.of_rule(rule)).unwrap_or(Dynamic::UNIT)
    }

    /// Every pattern that matched, by owner then name (unredacted; `owner` excluded).
    pub(crate) fn by_owner(&self, excluded_owner: &str) -> BTreeMap<String, Value> {
        let mut view: BTreeMap<String, Value> = BTreeMap::new();
        for (owner, name, record) in self.patterns() {
            if owner == excluded_owner || record.sample.seen() == 0 {
                continue;
            }
            let entry = view.entry(owner.to_owned()).or_insert_with(|| json!({}));
            if let Some(map) = entry.as_object_mut() {
                map.insert(name.to_owned(), match_json(record));
            }
        }
        view
    }
}

fn match_json(record: &PatternMatches) -> Value {
    let sample = |items: Vec<&MatchSample>| -> Vec<Value> {
        items.into_iter().map(|m| json!({ "at": { "source": m.at.source, "lines": [m.at.first, m.at.last] }, "text": m.text, "captures": m.captures })).collect()
    };
    let first: Vec<_> = record.sample.first().map(|(_, m)| m).collect();
    let last: Vec<_> = record.sample.last().map(|(_, m)| m).collect();
    let all: Vec<_> = record.sample.iter().map(|(_, m)| m).collect();
    json!({ "count": record.sample.seen(), "first": sample(first), "last": sample(last), "all": sample(all) })
}
