//! One matcher for every pattern of every rule: a literal prefilter over whole blocks, then a
//! confirm regex only on the lines where a literal hit.
//!
//! Rules declare their patterns statically (literals first, an optional confirm regex with named
//! captures), so the matcher is built once per engine and each line of input is looked at by the
//! prefilter only. Confirm regexes compile lazily on their first candidate line, because most
//! patterns never fire and regex compilation dominates start-up.

use crate::evidence::Location;
use crate::facts::{cap_text, BoundedSample};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Index of a pattern in the matcher.
pub type PatternId = usize;

/// A pattern as declared by a rule or by a built-in line extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternSpec {
    /// Who declared it: a rule id, or `builtin:<extractor>`.
    pub owner: String,
    /// The pattern's name within its owner.
    pub name: String,
    /// Literals, any of which makes a line a candidate. Must be non-empty.
    pub literals: Vec<String>,
    /// Optional regex a candidate line must also match; its named groups become captures.
    pub regex: Option<String>,
}

#[derive(Debug)]
struct Pattern {
    spec: PatternSpec,
    confirm: OnceLock<Result<Regex, String>>,
}

/// The compiled matcher.
#[derive(Debug)]
pub struct Matcher {
    prefilter: Option<AhoCorasick>,
    /// For each literal of the prefilter, the patterns that declared it.
    literal_owners: Vec<Vec<PatternId>>,
    patterns: Vec<Pattern>,
}

/// Why a matcher could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatcherError(pub String);

impl Matcher {
    /// Builds the prefilter over all literals of all patterns.
    pub fn new(specs: Vec<PatternSpec>) -> Result<Self, MatcherError> {
        let mut literals: Vec<String> = Vec::new();
        let mut literal_owners: Vec<Vec<PatternId>> = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for (id, spec) in specs.iter().enumerate() {
            for literal in spec.literals.iter().filter(|l| !l.is_empty()) {
                let slot = *index.entry(literal.clone()).or_insert_with(|| {
                    literals.push(literal.clone());
                    literal_owners.push(Vec::new());
                    literals.len() - 1
                });
                if let Some(owners) = literal_owners.get_mut(slot) {
                    if !owners.contains(&id) {
                        owners.push(id);
                    }
                }
            }
        }
        let prefilter = if literals.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(&literals)
                    .map_err(|e| MatcherError(e.to_string()))?,
            )
        };
        let patterns = specs
            .into_iter()
            .map(|spec| Pattern {
                spec,
                confirm: OnceLock::new(),
            })
            .collect();
        Ok(Self {
            prefilter,
            literal_owners,
            patterns,
        })
    }

    /// The declaration of a pattern.
    pub fn spec(&self, id: PatternId) -> Option<&PatternSpec> {
        self.patterns.get(id).map(|p| &p.spec)
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether the matcher has no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Finds candidate lines in a block of complete lines and calls `on_line` with each line's
    /// byte range. The prefilter runs over the whole block; a line is reported once, however
    /// many literals it holds.
    pub fn candidate_lines(&self, block: &[u8], mut on_line: impl FnMut(usize, usize)) {
        let Some(prefilter) = &self.prefilter else {
            return;
        };
        let mut from = 0;
        while from < block.len() {
            let Some(hit) = prefilter.find(block.get(from..).unwrap_or_default()) else {
                break;
            };
            let at = from + hit.start();
            let start =
                memchr::memrchr(b'\n', block.get(..at).unwrap_or_default()).map_or(0, |p| p + 1);
            let end = memchr::memchr(b'\n', block.get(at..).unwrap_or_default())
                .map_or(block.len(), |p| at + p);
            on_line(start, end);
            from = end + 1;
        }
    }

    /// The patterns whose literals occur in `line`, confirmed by their regexes, in id order.
    pub fn line_matches(&self, line: &str) -> Vec<LineMatch> {
        let Some(prefilter) = &self.prefilter else {
            return Vec::new();
        };
        let mut hit: Vec<PatternId> = Vec::new();
        for m in prefilter.find_overlapping_iter(line) {
            if let Some(owners) = self.literal_owners.get(m.pattern().as_usize()) {
                hit.extend(owners);
            }
        }
        if hit.is_empty() {
            return Vec::new();
        }
        hit.sort_unstable();
        hit.dedup();
        hit.into_iter()
            .filter_map(|id| self.confirm(id, line))
            .collect()
    }

    /// Compiles every confirm regex now, returning the errors; used by `rules lint`.
    pub fn compile_all(&self) -> Vec<(PatternId, String)> {
        (0..self.patterns.len())
            .filter_map(|id| match self.regex(id) {
                Some(Err(e)) => Some((id, e.clone())),
                _ => None,
            })
            .collect()
    }

    fn regex(&self, id: PatternId) -> Option<&Result<Regex, String>> {
        let pattern = self.patterns.get(id)?;
        let source = pattern.spec.regex.as_ref()?;
        Some(pattern.confirm.get_or_init(|| {
            regex::RegexBuilder::new(source)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| e.to_string())
        }))
    }

    fn confirm(&self, id: PatternId, line: &str) -> Option<LineMatch> {
        match self.regex(id) {
            None => Some(LineMatch {
                pattern: id,
                captures: BTreeMap::new(),
            }),
            Some(Err(_)) => None,
            Some(Ok(re)) => {
                let caps = re.captures(line)?;
                let captures = re
                    .capture_names()
                    .flatten()
                    .filter_map(|name| {
                        caps.name(name)
                            .map(|m| (name.to_owned(), m.as_str().to_owned()))
                    })
                    .collect();
                Some(LineMatch {
                    pattern: id,
                    captures,
                })
            }
        }
    }

    /// A confirm regex that failed to compile, if this pattern has one.
    pub fn regex_error(&self, id: PatternId) -> Option<String> {
        match self.regex(id) {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        }
    }
}

/// One confirmed pattern on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMatch {
    /// Which pattern.
    pub pattern: PatternId,
    /// Named captures of the confirm regex.
    pub captures: BTreeMap<String, String>,
}

/// One kept match of a pattern, as rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchSample {
    /// Where.
    pub at: Location,
    /// The line (capped).
    pub text: String,
    /// Named captures.
    pub captures: BTreeMap<String, String>,
}

/// Everything kept about one pattern over a check.
#[derive(Debug, Clone)]
pub struct PatternMatches {
    /// Bounded first and last matches by location.
    pub sample: BoundedSample<Location, MatchSample>,
}

impl PatternMatches {
    /// An empty record keeping `cap` matches at each end.
    pub fn new(cap: usize) -> Self {
        Self {
            sample: BoundedSample::new(cap),
        }
    }

    /// Records a match.
    pub fn record(&mut self, at: Location, line: &str, captures: BTreeMap<String, String>) {
        let text = cap_text(line, crate::facts::Fact::MAX_TEXT);
        self.sample
            .insert(at.clone(), MatchSample { at, text, captures });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn spec(name: &str, literals: &[&str], regex: Option<&str>) -> PatternSpec {
        PatternSpec {
            owner: "r".into(),
            name: name.into(),
            literals: literals.iter().map(|s| s.to_string()).collect(),
            regex: regex.map(str::to_owned),
        }
    }

    #[test]
    fn finds_candidates_and_confirms() {
        let m = Matcher::new(vec![
            spec("code", &["Code="], Some(r#"Code="(?P<code>\w+)""#)),
            spec("status", &["StatusCode="], None),
        ])
        .unwrap();
        let block = b"info line\nStatusCode=403 Code=\"Forbidden\"\nother\nCode=bare\n";
        let mut lines = Vec::new();
        m.candidate_lines(block, |s, e| {
            lines.push(String::from_utf8_lossy(&block[s..e]).into_owned())
        });
        assert_eq!(
            lines,
            vec!["StatusCode=403 Code=\"Forbidden\"", "Code=bare"]
        );
        let hits = m.line_matches(&lines[0]);
        assert_eq!(hits.len(), 2, "overlapping literals both count");
        assert_eq!(hits[0].captures["code"], "Forbidden");
        assert!(
            m.line_matches(&lines[1]).is_empty(),
            "the confirm regex rejects a bare Code="
        );
    }
}
