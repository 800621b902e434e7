//! One Teddy pass for any number of literals: anchors planned from a sample of the input.
//!
//! Teddy (aho-corasick's SIMD multi-literal searcher) takes at most 64 literals, so a rule pack
//! with more minimal literals needs several passes over every block, and each pass costs about
//! as much as the next. But a literal is found whenever any of its substrings is, so the scan
//! can search for a few 4-byte *anchors*, each a substring of one or more literals, and verify
//! the literals around every anchor it finds. The plan picks at most 48 anchors that cover every
//! literal while occurring as rarely as possible in a sample of the input itself (its first
//! block): a weighted set cover, solved greedily. Which anchors are picked changes only the
//! speed, never the result: the plan reports exactly the occurrences of every minimal literal,
//! as the other prefilters do.

#[cfg(target_arch = "wasm32")]
use super::nibbles::NibbleSearcher;
use std::collections::HashMap;

/// Anchor length: Teddy's fingerprint is at most four bytes, and four bytes tell most
/// literals apart.
const ANCHOR_LEN: usize = 4;
/// Most anchors planned. Teddy takes 64, but its "fat" form packs them into 16 buckets and
/// every extra pattern in a bucket lets more positions through to verification: on the
/// benchmark corpus 44–52 anchors scanned fastest, 64 about 15 % slower (docs/performance.md).
const MAX_ANCHORS: usize = 48;
/// Bytes of the sample the anchor counts come from: enough to tell a word on every line from
/// a rare one, little enough to count in about a millisecond.
const SAMPLE_BYTES: usize = 512 << 10;

/// What finds the anchors: aho-corasick's Teddy natively, the simd128 form of the same idea on
/// WebAssembly (see `nibbles`).
#[derive(Debug)]
enum AnchorSearcher {
    #[cfg(not(target_arch = "wasm32"))]
    Teddy(aho_corasick::packed::Searcher),
    #[cfg(target_arch = "wasm32")]
    Nibbles(NibbleSearcher),
}

impl AnchorSearcher {
    fn new(anchors: &[[u8; ANCHOR_LEN]]) -> Option<Self> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            use aho_corasick::packed::{Config, MatchKind};
            let mut builder = Config::new().match_kind(MatchKind::LeftmostFirst).builder();
            for anchor in anchors {
                builder.add(anchor);
            }
            builder.build().map(Self::Teddy)
        }
        #[cfg(target_arch = "wasm32")]
        {
            Some(Self::Nibbles(NibbleSearcher::new(anchors)))
        }
    }

    /// Calls `found(position, anchor)` for every anchor occurrence, in position order.
    fn for_each(&self, block: &[u8], mut found: impl FnMut(usize, usize)) {
        match self {
            #[cfg(not(target_arch = "wasm32"))]
            Self::Teddy(searcher) => {
                let mut from = 0;
                while from < block.len() {
                    let span = aho_corasick::Span::from(from..block.len());
                    let Some(m) = searcher.find_in(block, span) else {
                        break;
                    };
                    found(m.start(), m.pattern().as_usize());
                    from = m.start() + 1;
                }
            }
            #[cfg(target_arch = "wasm32")]
            Self::Nibbles(searcher) => searcher.for_each(block, |at, id| found(at, id as usize)),
        }
    }
}

/// The planned anchors and, for each, the literals it verifies.
#[derive(Debug)]
pub(super) struct AnchorPlan {
    searcher: AnchorSearcher,
    /// Per anchor: (minimal literal id, offset of the anchor inside that literal).
    owners: Vec<Vec<(u32, u32)>>,
    /// The minimal literals, by id.
    literals: Vec<Vec<u8>>,
}

/// A candidate anchor: a distinct 4-byte substring of some literal.
#[derive(Debug)]
struct Gram {
    bytes: [u8; ANCHOR_LEN],
    /// Bit `i` set when minimal literal `i` contains it.
    covers: Vec<u64>,
    /// Occurrences in the sample.
    count: u64,
}

impl AnchorPlan {
    /// Plans anchors for `literals` (the minimal literals, by id) from `sample`; `None` when a
    /// literal is shorter than an anchor or no 64 anchors cover them all.
    pub(super) fn new(literals: &[&[u8]], sample: &[u8]) -> Option<Self> {
        let words = literals.len().div_ceil(64);
        let mut grams: Vec<Gram> = Vec::new();
        let mut index: HashMap<[u8; ANCHOR_LEN], usize> = HashMap::new();
        for (id, literal) in literals.iter().enumerate() {
            if literal.len() < ANCHOR_LEN {
                return None;
            }
            for window in literal.windows(ANCHOR_LEN) {
                let bytes: [u8; ANCHOR_LEN] = window.try_into().ok()?;
                let slot = *index.entry(bytes).or_insert_with(|| {
                    grams.push(Gram {
                        bytes,
                        covers: vec![0; words],
                        count: 0,
                    });
                    grams.len() - 1
                });
                if let Some(word) = grams.get_mut(slot).and_then(|g| g.covers.get_mut(id / 64)) {
                    *word |= 1 << (id % 64);
                }
            }
        }
        count_in_sample(&mut grams, &index, sample);
        let chosen = cover(&grams, literals.len())?;
        let mut anchors = Vec::with_capacity(chosen.len());
        let mut owners = Vec::with_capacity(chosen.len());
        let mut assigned = vec![false; literals.len()];
        for &g in &chosen {
            let gram = grams.get(g)?;
            anchors.push(gram.bytes);
            // Each literal is verified around one anchor, at the anchor's first place in it:
            // the searcher reports every position of the anchor, so each occurrence of the
            // literal is found exactly once.
            let mut verifies = Vec::new();
            for (id, literal) in literals.iter().enumerate() {
                if assigned.get(id).copied().unwrap_or(true) || !has_bit(&gram.covers, id) {
                    continue;
                }
                if let Some(slot) = assigned.get_mut(id) {
                    *slot = true;
                }
                if let Some(offset) = memchr::memmem::find(literal, &gram.bytes) {
                    verifies.push((id as u32, offset as u32));
                }
            }
            owners.push(verifies);
        }
        let searcher = AnchorSearcher::new(&anchors)?;
        let literals = literals.iter().map(|l| l.to_vec()).collect();
        Some(Self {
            searcher,
            owners,
            literals,
        })
    }

    /// Fills `out` with (position, minimal id) of every occurrence of every literal in
    /// `block`, in position order.
    pub(super) fn occurrences(&self, block: &[u8], out: &mut Vec<(u32, u32)>) {
        out.clear();
        self.searcher.for_each(block, |at, anchor| {
            for &(id, offset) in self.owners.get(anchor).into_iter().flatten() {
                let Some(start) = at.checked_sub(offset as usize) else {
                    continue;
                };
                let Some(literal) = self.literals.get(id as usize) else {
                    continue;
                };
                if block.get(start..start + literal.len()) == Some(literal.as_slice()) {
                    out.push((start as u32, id));
                }
            }
        });
        // Anchors sit at different offsets of their literals, so occurrences come out nearly,
        // not wholly, in order.
        out.sort_unstable();
    }
}

fn has_bit(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

/// Counts each gram's occurrences in the first [`SAMPLE_BYTES`] of `sample`.
fn count_in_sample(grams: &mut [Gram], index: &HashMap<[u8; ANCHOR_LEN], usize>, sample: &[u8]) {
    let sample = sample
        .get(..sample.len().min(SAMPLE_BYTES))
        .unwrap_or(sample);
    // A 64 Kibit filter on a hash of the four bytes skips almost every position without a
    // map lookup.
    let hash = |w: u32| (w.wrapping_mul(0x9E37_79B1) >> 16) as usize;
    let mut filter = vec![0u64; 1 << 10];
    for gram in grams.iter() {
        let h = hash(u32::from_le_bytes(gram.bytes));
        if let Some(word) = filter.get_mut(h / 64) {
            *word |= 1 << (h % 64);
        }
    }
    for window in sample.windows(ANCHOR_LEN) {
        let Ok(bytes) = <[u8; ANCHOR_LEN]>::try_from(window) else {
            continue;
        };
        let h = hash(u32::from_le_bytes(bytes));
        if !has_bit(&filter, h) {
            continue;
        }
        if let Some(gram) = index.get(&bytes).and_then(|&g| grams.get_mut(g)) {
            gram.count += 1;
        }
    }
}

/// Picks at most [`MAX_ANCHORS`] grams covering every literal, as rare in the sample as that
/// allows: greedy weighted set cover, each pick the gram with the most uncovered literals per
/// (occurrences + `penalty`). A small penalty favours rare grams (many anchors), a large one
/// favours grams shared by many literals (few anchors); the smallest penalty that fits wins.
fn cover(grams: &[Gram], literals: usize) -> Option<Vec<usize>> {
    let mut penalty = 0.5f64;
    while penalty < 1e12 {
        if let Some(chosen) = greedy(grams, literals, penalty) {
            return Some(chosen);
        }
        penalty *= 4.0;
    }
    None
}

/// One greedy cover with the given penalty; `None` when it needs more than [`MAX_ANCHORS`].
fn greedy(grams: &[Gram], literals: usize, penalty: f64) -> Option<Vec<usize>> {
    let words = literals.div_ceil(64);
    let mut uncovered: Vec<u64> = (0..words)
        .map(|w| {
            let bits = literals.saturating_sub(w * 64).min(64);
            if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            }
        })
        .collect();
    let mut chosen = Vec::new();
    while uncovered.iter().any(|w| *w != 0) {
        if chosen.len() == MAX_ANCHORS {
            return None;
        }
        let mut best: Option<(f64, usize)> = None;
        for (g, gram) in grams.iter().enumerate() {
            let new: u32 = gram
                .covers
                .iter()
                .zip(&uncovered)
                .map(|(c, u)| (c & u).count_ones())
                .sum();
            if new == 0 {
                continue;
            }
            let score = f64::from(new) / (gram.count as f64 + penalty);
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, g));
            }
        }
        let (_, g) = best?;
        let gram = grams.get(g)?;
        for (u, c) in uncovered.iter_mut().zip(&gram.covers) {
            *u &= !c;
        }
        chosen.push(g);
    }
    Some(chosen)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn naive(literals: &[&[u8]], block: &[u8]) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for (id, literal) in literals.iter().enumerate() {
            // Every occurrence, overlapping ones too, as the prefilters report them.
            for at in 0..block.len() {
                if block[at..].starts_with(literal) {
                    out.push((at as u32, id as u32));
                }
            }
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn anchors_find_exactly_the_literal_occurrences() {
        let owned: Vec<String> = (0..150)
            .map(|i| format!("lit{i:03}-{}", ["alpha", "beta", "gamma"][i % 3]))
            .chain(["abcdabcd".to_owned(), "StatusCode=4".to_owned()])
            .collect();
        let literals: Vec<&[u8]> = owned.iter().map(|s| s.as_bytes()).collect();
        let mut text = String::new();
        for i in 0..3_000 {
            match i % 5 {
                0 => text.push_str(&format!("x {} y\n", owned[i % owned.len()])),
                1 => text.push_str("abcdabcdabcd StatusCode=200 StatusCode=404\n"),
                2 => text.push_str("lit0 lit01 -alpha beta gamma lit149-gamm\n"),
                3 => text.push_str(&owned[(i * 7) % owned.len()].repeat(2)),
                _ => text.push('\n'),
            }
        }
        let block = text.as_bytes();
        let plan = AnchorPlan::new(&literals, block).unwrap();
        assert!(plan.owners.len() <= MAX_ANCHORS);
        let mut out = Vec::new();
        let expected = naive(&literals, block);
        plan.occurrences(block, &mut out);
        assert!(
            out == expected,
            "{} found, {} expected",
            out.len(),
            expected.len()
        );
        // A plan from an unrelated sample finds the same occurrences.
        let other = AnchorPlan::new(&literals, b"nothing alike here").unwrap();
        other.occurrences(block, &mut out);
        assert!(
            out == expected,
            "{} found, {} expected",
            out.len(),
            expected.len()
        );
    }

    #[test]
    fn short_literals_get_no_plan() {
        assert!(AnchorPlan::new(&[b"abc".as_slice(), b"abcdef"], b"sample").is_none());
    }
}
