//! One matcher for every pattern of every rule: a literal prefilter over whole blocks, then a
//! confirm regex only on the lines where a literal hit.
//!
//! Rules declare their patterns statically (literals first, an optional confirm regex with named
//! captures), so the matcher is built once per engine and each line of input is looked at by the
//! prefilter only. Confirm regexes compile lazily on their first candidate line, because most
//! patterns never fire and regex compilation dominates start-up.
//!
//! Three reductions keep the per-block work small however many rules there are:
//! * **Confirm groups.** Patterns with the same literals and regex (rules share helper patterns
//!   such as the vault hint) form one group: a line is confirmed once per group, and the group's
//!   matches serve every pattern in it.
//! * **Minimal literals.** A line is a candidate when it holds any literal, so only literals that
//!   contain no other literal need searching; the longer ones ("AADSTS700016" beside "AADSTS")
//!   are checked in place around a hit of the literal they contain.
//! * **A packed prefilter.** The minimal literals are split into sets a SIMD searcher (Teddy,
//!   x86-64 and aarch64) takes whole; on wasm32, where Teddy does not exist, a rare-pair filter
//!   built on memchr's simd128 kernels takes its place (see [`Prefilter`]).

use crate::evidence::Location;
use crate::facts::{cap_text, BoundedSample};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Index of a pattern in the matcher.
pub type PatternId = usize;

/// Index of a confirm group (patterns sharing literals and regex).
pub type GroupId = usize;

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

/// Patterns that share literals and confirm regex: confirmed once per line for all of them.
#[derive(Debug)]
struct Group {
    regex: Option<String>,
    confirm: OnceLock<Result<Regex, String>>,
    /// The regex with its Unicode classes spelled as their ASCII subsets, for ASCII lines (see
    /// `text::gated`); `None` inside when it has no such form.
    confirm_ascii: OnceLock<Option<Regex>>,
    patterns: Vec<PatternId>,
}

/// A literal the prefilter searches, with the longer literals that contain it.
#[derive(Debug, Clone)]
struct Minimal {
    /// Its own literal id.
    literal: usize,
    /// Longer literals containing it: (literal id, offset of this literal inside it).
    supers: Vec<(usize, usize)>,
}

/// The compiled matcher.
#[derive(Debug)]
pub struct Matcher {
    /// Every distinct literal, for in-line identification of hits (overlapping).
    line_ac: Option<AhoCorasick>,
    literals: Vec<Vec<u8>>,
    /// For each literal, the groups that declared it.
    literal_groups: Vec<Vec<GroupId>>,
    minimal: Vec<Minimal>,
    prefilter: Prefilter,
    groups: Vec<Group>,
    pattern_group: Vec<GroupId>,
    specs: Vec<PatternSpec>,
}

/// Why a matcher could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatcherError(pub String);

/// Reusable buffers of [`Matcher::scan_block`]: a scan allocates nothing per line.
#[derive(Debug, Default)]
pub struct ScanScratch {
    hits: Vec<(u32, u32)>,
    /// The occurrences of the second and later Teddy sets, merged into `hits`.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    merge: Vec<(u32, u32)>,
    stamp: Vec<u32>,
    serial: u32,
    groups: Vec<GroupId>,
}

impl Matcher {
    /// Builds the prefilter over all literals of all patterns.
    pub fn new(specs: Vec<PatternSpec>) -> Result<Self, MatcherError> {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut literal_index: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        let mut literal_groups: Vec<Vec<GroupId>> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut group_index: BTreeMap<(Vec<String>, Option<String>), GroupId> = BTreeMap::new();
        let mut pattern_group = Vec::with_capacity(specs.len());
        for (id, spec) in specs.iter().enumerate() {
            let mut key_literals: Vec<String> = spec
                .literals
                .iter()
                .filter(|l| !l.is_empty())
                .cloned()
                .collect();
            key_literals.sort();
            key_literals.dedup();
            let key = (key_literals, spec.regex.clone());
            let group = match group_index.get(&key) {
                Some(g) => *g,
                None => {
                    let g = groups.len();
                    groups.push(Group {
                        regex: spec.regex.clone(),
                        confirm: OnceLock::new(),
                        confirm_ascii: OnceLock::new(),
                        patterns: Vec::new(),
                    });
                    for literal in &key.0 {
                        let slot = *literal_index
                            .entry(literal.as_bytes().to_vec())
                            .or_insert_with(|| {
                                literals.push(literal.as_bytes().to_vec());
                                literal_groups.push(Vec::new());
                                literals.len() - 1
                            });
                        if let Some(owners) = literal_groups.get_mut(slot) {
                            owners.push(g);
                        }
                    }
                    group_index.insert(key, g);
                    g
                }
            };
            if let Some(g) = groups.get_mut(group) {
                g.patterns.push(id);
            }
            pattern_group.push(group);
        }
        let minimal = minimal_literals(&literals);
        let line_ac = if literals.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(&literals)
                    .map_err(|e| MatcherError(e.to_string()))?,
            )
        };
        let prefilter = Prefilter::new(&literals, &minimal)?;
        Ok(Self {
            line_ac,
            literals,
            literal_groups,
            minimal,
            prefilter,
            groups,
            pattern_group,
            specs,
        })
    }

    /// The declaration of a pattern.
    pub fn spec(&self, id: PatternId) -> Option<&PatternSpec> {
        self.specs.get(id)
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// Whether the matcher has no patterns.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Number of confirm groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The group a pattern belongs to.
    pub fn group_of(&self, id: PatternId) -> Option<GroupId> {
        self.pattern_group.get(id).copied()
    }

    /// The patterns of a group.
    pub fn group_patterns(&self, group: GroupId) -> &[PatternId] {
        self.groups
            .get(group)
            .map_or(&[], |g| g.patterns.as_slice())
    }

    /// Finds the candidate lines of a block of complete lines (each ending in `\n`) and calls
    /// `on_line(start, end, groups)` for each, in order: `start..end` is the line without its
    /// newline, `groups` the groups one of whose literals lies wholly inside it (not yet
    /// confirmed). A line is a candidate when a literal starts in it.
    pub fn scan_block(
        &self,
        block: &[u8],
        scratch: &mut ScanScratch,
        on_line: impl FnMut(usize, usize, &[GroupId]),
    ) {
        self.scan_block_planned(None, block, scratch, on_line);
    }

    /// Plans a one-pass prefilter for input like `sample` (see [`ScanPlan`]); `None` where the
    /// built-in prefilter already takes one pass, or no plan fits.
    pub fn plan(&self, sample: &[u8]) -> Option<ScanPlan> {
        // Natively a plan pays where the literals need several Teddy passes; on WebAssembly
        // with simd128 the planned anchors replace the scalar pair filter.
        #[cfg(not(target_arch = "wasm32"))]
        let worth_it = matches!(&self.prefilter, Prefilter::Packed(sets) if sets.len() > 1);
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        let worth_it = matches!(&self.prefilter, Prefilter::Pairs(_));
        #[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
        let worth_it = false;
        if !worth_it {
            return None;
        }
        let literals: Vec<&[u8]> = self
            .minimal
            .iter()
            .filter_map(|m| self.literals.get(m.literal).map(Vec::as_slice))
            .collect();
        anchors::AnchorPlan::new(&literals, sample).map(ScanPlan)
    }

    /// [`Matcher::scan_block`] with the prefilter of a plan (same lines, same groups).
    pub fn scan_block_planned(
        &self,
        plan: Option<&ScanPlan>,
        block: &[u8],
        scratch: &mut ScanScratch,
        mut on_line: impl FnMut(usize, usize, &[GroupId]),
    ) {
        if self.minimal.is_empty() || block.len() >= u32::MAX as usize {
            return;
        }
        match plan {
            Some(ScanPlan(anchors)) => anchors.occurrences(block, &mut scratch.hits),
            None => self.prefilter.occurrences(block, scratch),
        }
        if scratch.stamp.len() != self.groups.len() {
            scratch.stamp = vec![0; self.groups.len()];
            scratch.serial = 0;
        }
        let hits = std::mem::take(&mut scratch.hits);
        let mut line: Option<(usize, usize)> = None;
        let mut searched_to = 0usize;
        for &(pos, min) in &hits {
            let pos = pos as usize;
            if let Some((start, end)) = line {
                if pos > end {
                    on_line(start, end, &scratch.groups);
                    line = None;
                }
            }
            if line.is_none() {
                let from = searched_to.min(pos);
                let start = memchr::memrchr(b'\n', block.get(from..pos).unwrap_or_default())
                    .map_or(from, |p| from + p + 1);
                let end = memchr::memchr(b'\n', block.get(pos..).unwrap_or_default())
                    .map_or(block.len(), |p| pos + p);
                searched_to = end;
                line = Some((start, end));
                scratch.groups.clear();
                scratch.serial = scratch.serial.wrapping_add(1);
                if scratch.serial == 0 {
                    scratch.stamp.iter_mut().for_each(|s| *s = 0);
                    scratch.serial = 1;
                }
            }
            let Some((_, end)) = line else { continue };
            let Some(minimal) = self.minimal.get(min as usize) else {
                continue;
            };
            self.mark(minimal.literal, pos, end, block, scratch);
            for &(literal, offset) in &minimal.supers {
                if let Some(at) = pos.checked_sub(offset) {
                    self.mark(literal, at, end, block, scratch);
                }
            }
        }
        if let Some((start, end)) = line {
            on_line(start, end, &scratch.groups);
        }
        scratch.hits = hits;
    }

    /// Marks the groups of `literal` if it occurs at `at` and ends inside the line.
    fn mark(&self, literal: usize, at: usize, end: usize, block: &[u8], s: &mut ScanScratch) {
        let Some(bytes) = self.literals.get(literal) else {
            return;
        };
        let stop = at + bytes.len();
        if stop > end || block.get(at..stop) != Some(bytes.as_slice()) {
            return;
        }
        for &g in self.literal_groups.get(literal).into_iter().flatten() {
            if let Some(stamp) = s.stamp.get_mut(g) {
                if *stamp != s.serial {
                    *stamp = s.serial;
                    s.groups.push(g);
                }
            }
        }
    }

    /// Whether a candidate line confirms a group (its regex matches, or it has none).
    pub fn confirms(&self, group: GroupId, line: &str) -> bool {
        match self.line_regex(group, line) {
            None => true,
            Some(Ok(re)) => re.is_match(line),
            Some(Err(())) => false,
        }
    }

    /// The confirm regex to run on `line`: on an ASCII line its ASCII form, which matches the
    /// same spans there and is a fraction of the size (a Unicode `\w` alone compiles to
    /// thousands of automaton states, held for the engine's life, in WASM linear memory too);
    /// on other lines the regex as written. `Err` when it did not compile.
    fn line_regex(&self, group: GroupId, line: &str) -> Option<Result<&Regex, ()>> {
        let g = self.groups.get(group)?;
        let source = g.regex.as_ref()?;
        if line.is_ascii() {
            let ascii = g.confirm_ascii.get_or_init(|| {
                crate::text::gated::ascii_pattern(source).and_then(|p| {
                    regex::RegexBuilder::new(&p)
                        .size_limit(1 << 20)
                        .build()
                        .ok()
                })
            });
            if let Some(re) = ascii {
                return Some(Ok(re));
            }
        }
        Some(self.group_regex(group)?.as_ref().map_err(|_| ()))
    }

    /// The groups whose literals occur in `text` (overlapping, anywhere), unconfirmed, in id
    /// order: the in-line identification for text that is not a raw block line (documents,
    /// decoded lines).
    pub fn text_groups(&self, text: &str, out: &mut Vec<GroupId>) {
        out.clear();
        let Some(ac) = &self.line_ac else {
            return;
        };
        for m in ac.find_overlapping_iter(text) {
            if let Some(groups) = self.literal_groups.get(m.pattern().as_usize()) {
                out.extend(groups);
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    /// The groups whose literals occur in `line`, confirmed by their regexes, with captures,
    /// in group order.
    pub fn line_matches(&self, line: &str) -> Vec<LineMatch> {
        let mut groups = Vec::new();
        self.text_groups(line, &mut groups);
        groups
            .into_iter()
            .filter_map(|g| self.captures(g, line))
            .collect()
    }

    /// Compiles every confirm regex now, returning the errors; used by `rules lint`.
    pub fn compile_all(&self) -> Vec<(PatternId, String)> {
        (0..self.specs.len())
            .filter_map(|id| self.regex_error(id).map(|e| (id, e)))
            .collect()
    }

    fn group_regex(&self, group: GroupId) -> Option<&Result<Regex, String>> {
        let g = self.groups.get(group)?;
        let source = g.regex.as_ref()?;
        Some(g.confirm.get_or_init(|| {
            regex::RegexBuilder::new(source)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| e.to_string())
        }))
    }

    /// A group's confirmed match on `line` with its named captures, or `None`.
    pub fn captures(&self, group: GroupId, line: &str) -> Option<LineMatch> {
        match self.line_regex(group, line) {
            None => Some(LineMatch {
                group,
                captures: BTreeMap::new(),
            }),
            Some(Err(())) => None,
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
                Some(LineMatch { group, captures })
            }
        }
    }

    /// A confirm regex that failed to compile, if this pattern has one.
    pub fn regex_error(&self, id: PatternId) -> Option<String> {
        match self.group_regex(self.group_of(id)?) {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        }
    }
}

/// The literals that contain no other literal, each with the longer literals containing it.
fn minimal_literals(literals: &[Vec<u8>]) -> Vec<Minimal> {
    let contains = |hay: &[u8], needle: &[u8]| memchr::memmem::find(hay, needle).is_some();
    let mut minimal: Vec<Minimal> = Vec::new();
    for (id, literal) in literals.iter().enumerate() {
        let has_smaller = literals
            .iter()
            .enumerate()
            .any(|(other, o)| other != id && o.len() < literal.len() && contains(literal, o));
        if has_smaller {
            continue;
        }
        let supers = literals
            .iter()
            .enumerate()
            .filter(|(other, o)| *other != id && o.len() > literal.len())
            .flat_map(|(other, o)| {
                memchr::memmem::find_iter(o, literal)
                    .map(move |offset| (other, offset))
                    .collect::<Vec<_>>()
            })
            .collect();
        minimal.push(Minimal {
            literal: id,
            supers,
        });
    }
    minimal
}

/// The block prefilter over the minimal literals: reports every occurrence of every minimal
/// literal (no two minimal literals start at one position, since neither contains the other).
#[derive(Debug)]
enum Prefilter {
    None,
    /// Teddy sets of at most [`TEDDY_SET`] literals each; with several sets every set scans the
    /// block and their occurrences are merged.
    #[cfg(not(target_arch = "wasm32"))]
    Packed(Vec<(aho_corasick::packed::Searcher, Vec<u32>)>),
    /// The automaton, where no packed searcher can be built (no SIMD at run time).
    Automaton(AhoCorasick, Vec<u32>),
    /// wasm32: rare byte pairs, verified in place (see `pairs`).
    #[cfg(target_arch = "wasm32")]
    Pairs(pairs::PairFilter),
}

/// Literals per Teddy set, its maximum: each set is one pass over the block, and on this
/// workload one pass of 56 literals (Teddy's "fat" 16-bucket form) costs less than two passes of
/// 28 (its "slim" form, twice the bytes per step): measured in `docs/performance.md`.
#[cfg(not(target_arch = "wasm32"))]
const TEDDY_SET: usize = 64;

impl Prefilter {
    fn new(literals: &[Vec<u8>], minimal: &[Minimal]) -> Result<Self, MatcherError> {
        if minimal.is_empty() {
            return Ok(Self::None);
        }
        let lits: Vec<&[u8]> = minimal
            .iter()
            .filter_map(|m| literals.get(m.literal).map(Vec::as_slice))
            .collect();
        #[cfg(target_arch = "wasm32")]
        {
            if let Some(filter) = pairs::PairFilter::new(&lits) {
                return Ok(Self::Pairs(filter));
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            // Sorting puts literals with a common start in one set, where they share Teddy's
            // buckets; the ids map back to minimal literals.
            let mut order: Vec<u32> = (0..lits.len() as u32).collect();
            order.sort_by_key(|&i| lits.get(i as usize).copied().unwrap_or_default());
            let sets = order.len().div_ceil(TEDDY_SET);
            let per_set = order.len().div_ceil(sets.max(1));
            let mut packed = Vec::new();
            for chunk in order.chunks(per_set.max(1)) {
                let mut builder = aho_corasick::packed::Config::new()
                    .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                    .builder();
                for &i in chunk {
                    builder.add(lits.get(i as usize).copied().unwrap_or_default());
                }
                match builder.build() {
                    Some(searcher) => packed.push((searcher, chunk.to_vec())),
                    None => {
                        packed.clear();
                        break;
                    }
                }
            }
            if !packed.is_empty() {
                return Ok(Self::Packed(packed));
            }
        }
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&lits)
            .map_err(|e| MatcherError(e.to_string()))?;
        Ok(Self::Automaton(ac, (0..lits.len() as u32).collect()))
    }

    /// Fills `scratch.hits` with (position, minimal id) of every occurrence in `block`, in
    /// position order.
    fn occurrences(&self, block: &[u8], scratch: &mut ScanScratch) {
        let out = &mut scratch.hits;
        out.clear();
        match self {
            Self::None => {}
            #[cfg(not(target_arch = "wasm32"))]
            Self::Packed(sets) => {
                for (index, (searcher, ids)) in sets.iter().enumerate() {
                    let target = if index == 0 {
                        &mut *out
                    } else {
                        &mut scratch.merge
                    };
                    target.clear();
                    let mut from = 0;
                    while from < block.len() {
                        let Some(m) =
                            searcher.find_in(block, aho_corasick::Span::from(from..block.len()))
                        else {
                            break;
                        };
                        if let Some(&id) = ids.get(m.pattern().as_usize()) {
                            target.push((m.start() as u32, id));
                        }
                        from = m.start() + 1;
                    }
                    if index > 0 {
                        merge_sorted(out, &mut scratch.merge);
                    }
                }
            }
            #[cfg(target_arch = "wasm32")]
            Self::Pairs(filter) => filter.occurrences(block, out),
            Self::Automaton(ac, ids) => {
                let mut from = 0;
                while from < block.len() {
                    let Some(m) = ac.find(aho_corasick::Input::new(block).span(from..block.len()))
                    else {
                        break;
                    };
                    if let Some(&id) = ids.get(m.pattern().as_usize()) {
                        out.push((m.start() as u32, id));
                    }
                    from = m.start() + 1;
                }
            }
        }
    }
}

#[cfg(any(target_arch = "wasm32", test))]
mod pairs;

mod anchors;

#[cfg(any(target_arch = "wasm32", test))]
mod nibbles;

/// A prefilter planned for one input: at most 48 anchors searched in one pass, by Teddy where
/// the minimal literals would need several Teddy passes, and by its simd128 form on
/// WebAssembly (see `anchors` and `nibbles`). It only changes how fast candidate lines are
/// found, never which.
#[derive(Debug)]
pub struct ScanPlan(anchors::AnchorPlan);

/// Merges the sorted `more` into the sorted `out` (by position).
#[cfg(not(target_arch = "wasm32"))]
fn merge_sorted(out: &mut Vec<(u32, u32)>, more: &mut Vec<(u32, u32)>) {
    if more.is_empty() {
        return;
    }
    if out
        .last()
        .is_none_or(|last| last.0 <= more.first().map_or(0, |f| f.0))
    {
        out.append(more);
        return;
    }
    let mut merged = Vec::with_capacity(out.len() + more.len());
    let (mut a, mut b) = (out.iter().peekable(), more.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => {
                if x.0 <= y.0 {
                    merged.push(**x);
                    a.next();
                } else {
                    merged.push(**y);
                    b.next();
                }
            }
            (Some(x), None) => {
                merged.push(**x);
                a.next();
            }
            (None, Some(y)) => {
                merged.push(**y);
                b.next();
            }
            (None, None) => break,
        }
    }
    *out = merged;
    more.clear();
}

/// One confirmed group on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMatch {
    /// Which group.
    pub group: GroupId,
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

/// Everything kept about one pattern (or confirm group) over a check.
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

    fn candidates(m: &Matcher, block: &[u8]) -> Vec<(String, Vec<GroupId>)> {
        let mut out = Vec::new();
        let mut scratch = ScanScratch::default();
        m.scan_block(block, &mut scratch, |s, e, groups| {
            let mut groups = groups.to_vec();
            groups.sort_unstable();
            out.push((String::from_utf8_lossy(&block[s..e]).into_owned(), groups))
        });
        out
    }

    #[test]
    fn finds_candidates_and_confirms() {
        let m = Matcher::new(vec![
            spec("code", &["Code="], Some(r#"Code="(?P<code>\w+)""#)),
            spec("status", &["StatusCode="], None),
        ])
        .unwrap();
        let block = b"info line\nStatusCode=403 Code=\"Forbidden\"\nother\nCode=bare\n";
        let lines = candidates(&m, block);
        assert_eq!(
            lines,
            vec![
                ("StatusCode=403 Code=\"Forbidden\"".to_owned(), vec![0, 1]),
                ("Code=bare".to_owned(), vec![0])
            ],
            "the longer literal is found around the shorter one it contains"
        );
        let hits = m.line_matches(&lines[0].0);
        assert_eq!(hits.len(), 2, "overlapping literals both count");
        assert_eq!(hits[0].captures["code"], "Forbidden");
        assert!(
            m.line_matches(&lines[1].0).is_empty(),
            "the confirm regex rejects a bare Code="
        );
        assert!(m.confirms(1, "StatusCode=1") && !m.confirms(0, "Code=bare"));
    }

    #[test]
    fn shared_patterns_form_one_group() {
        let m = Matcher::new(vec![
            spec("a", &["vault", "kv"], Some("v")),
            spec("b", &["kv", "vault"], Some("v")),
            spec("c", &["vault"], None),
        ])
        .unwrap();
        assert_eq!(m.group_count(), 2);
        assert_eq!(m.group_of(0), m.group_of(1));
        assert_eq!(m.group_patterns(0), &[0, 1]);
    }

    #[test]
    fn block_scan_agrees_with_line_identification() {
        // Many overlapping literals, more than one Teddy set, literals at line edges.
        let words: Vec<String> = (0..90).map(|i| format!("w{i:02}x")).collect();
        let mut specs: Vec<PatternSpec> =
            words.iter().map(|w| spec(w, &[w.as_str()], None)).collect();
        specs.push(spec("long", &["w01xw02x", "zz w89x"], None));
        specs.push(spec("status", &["StatusCode=4", "StatusCode=429"], None));
        let m = Matcher::new(specs).unwrap();
        let mut text = String::new();
        for i in 0..400 {
            match i % 7 {
                0 => text.push_str("plain line without anything\n"),
                1 => text.push_str(&format!("w{:02}x at start and w01xw02x inside\n", i % 90)),
                2 => text.push_str("StatusCode=429 and StatusCode=4\n"),
                3 => text.push_str("ends with zz w89x\r\n"),
                4 => text.push_str("w0\n1x split across lines\n"),
                5 => text.push_str(&format!("{}\n", words[i % 90].repeat(3))),
                _ => text.push('\n'),
            }
        }
        let block = text.as_bytes();
        let found = candidates(&m, block);
        for (line, groups) in &found {
            let mut expected = Vec::new();
            m.text_groups(line, &mut expected);
            assert_eq!(*groups, expected, "line {line:?}");
        }
    }

    #[test]
    fn a_plan_finds_the_same_lines_and_groups() {
        // More literals than one Teddy set takes, sharing words a plan can anchor on.
        let words: Vec<String> = (0..100)
            .map(|i| format!("{}{i:03}", ["ForbiddenBy-", "StatusCode=", "lit-"][i % 3]))
            .collect();
        let mut specs: Vec<PatternSpec> =
            words.iter().map(|w| spec(w, &[w.as_str()], None)).collect();
        specs.push(spec("pair", &["lit-001lit-004", "StatusCode=0"], None));
        let m = Matcher::new(specs).unwrap();
        let mut text = String::new();
        for i in 0..600 {
            match i % 5 {
                0 => text.push_str(&format!(
                    "a {} b {}\n",
                    words[i % 100],
                    words[(i * 7) % 100]
                )),
                1 => text.push_str("lit-001lit-004 and StatusCode=0001 StatusCode=200\n"),
                2 => text.push_str(&format!("{}\r\n", words[(i * 3) % 100].repeat(2))),
                3 => text.push_str("lit-0\n01 split, ForbiddenBy-\n"),
                _ => text.push('\n'),
            }
        }
        let block = text.as_bytes();
        let found = candidates(&m, block);
        assert!(found.len() > 300);
        for sample in [block, b"unrelated sample text".as_slice()] {
            let plan = m.plan(sample).unwrap();
            let mut planned = Vec::new();
            let mut scratch = ScanScratch::default();
            m.scan_block_planned(Some(&plan), block, &mut scratch, |s, e, groups| {
                let mut groups = groups.to_vec();
                groups.sort_unstable();
                planned.push((String::from_utf8_lossy(&block[s..e]).into_owned(), groups))
            });
            assert!(planned == found, "the plan changed the candidate lines");
        }
    }
}
