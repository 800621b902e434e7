//! The wasm32 prefilter: Teddy (aho-corasick's SIMD multi-literal searcher) exists only on
//! x86-64 and aarch64, and without it aho-corasick walks an automaton byte by byte. This filter
//! marks, for each minimal literal, its rarest byte pair in a 64 Kibit table, tests each pair of
//! the block against the table (two loads, a shift and a mask per byte, no branch but the rare
//! hit), and verifies the whole literal around a hit. It reports the same occurrences as the
//! other prefilters.

/// Byte pairs of the literals, and where each literal sits around its pair.
#[derive(Debug)]
pub(super) struct PairFilter {
    /// Bit `pair` set when some literal is anchored on that pair (`pair = b0 | b1 << 8`).
    table: Vec<u64>,
    /// (pair, minimal id, offset of the pair in the literal), sorted by pair.
    anchors: Vec<(u16, u32, u32)>,
    literals: Vec<Vec<u8>>,
}

/// How common a byte is in log text (lower is rarer): lowercase letters, space and the
/// punctuation of paths and key=value pairs are everywhere; capitals, digits and other marks
/// are not.
fn commonness(b: u8) -> u32 {
    match b {
        b' ' => 100,
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' => 60,
        b'a'..=b'z' => 35,
        b'"' | b'/' | b'.' | b'-' | b'=' | b':' | b'_' => 45,
        b'0'..=b'9' => 30,
        b'A'..=b'Z' => 12,
        _ => 8,
    }
}

impl PairFilter {
    /// `None` when a literal is shorter than a pair (the caller then uses the automaton).
    pub(super) fn new(literals: &[&[u8]]) -> Option<Self> {
        let mut table = vec![0u64; 1 << 10];
        let mut anchors = Vec::with_capacity(literals.len());
        for (id, literal) in literals.iter().enumerate() {
            let offset = (0..literal.len().checked_sub(1)?).min_by_key(|&i| {
                let (a, b) = (literal.get(i)?, literal.get(i + 1)?);
                Some(commonness(*a) + commonness(*b))
            })?;
            let pair = u16::from(*literal.get(offset)?) | u16::from(*literal.get(offset + 1)?) << 8;
            if let Some(word) = table.get_mut(usize::from(pair >> 6)) {
                *word |= 1 << (pair & 63);
            }
            anchors.push((pair, id as u32, offset as u32));
        }
        anchors.sort_unstable();
        Some(Self {
            table,
            anchors,
            literals: literals.iter().map(|l| l.to_vec()).collect(),
        })
    }

    /// Appends (start, minimal id) of every occurrence in `block`, sorted by start.
    pub(super) fn occurrences(&self, block: &[u8], out: &mut Vec<(u32, u32)>) {
        let mut sorted = true;
        for (i, window) in block.windows(2).enumerate() {
            let pair = u16::from(window[0]) | u16::from(window[1]) << 8;
            let word = self.table.get(usize::from(pair >> 6)).copied().unwrap_or(0);
            if word & (1 << (pair & 63)) == 0 {
                continue;
            }
            let from = self.anchors.partition_point(|a| a.0 < pair);
            for &(p, id, offset) in self.anchors.get(from..).unwrap_or_default() {
                if p != pair {
                    break;
                }
                let Some(start) = i.checked_sub(offset as usize) else {
                    continue;
                };
                let Some(literal) = self.literals.get(id as usize) else {
                    continue;
                };
                if block.get(start..start + literal.len()) == Some(literal.as_slice()) {
                    if out.last().is_some_and(|last| last.0 as usize > start) {
                        sorted = false;
                    }
                    out.push((start as u32, id));
                }
            }
        }
        if !sorted {
            out.sort_unstable();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn finds_what_the_automaton_finds() {
        let literals: Vec<&[u8]> = vec![
            b"StatusCode=4",
            b"Status=4",
            b"/pods/",
            b"vaultName",
            b"\"code\"",
            b"AADSTS",
            b"from key vault ",
            b"no such host",
            b"ab",
        ];
        let filter = PairFilter::new(&literals).unwrap();
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(&literals)
            .unwrap();
        let text = b"x StatusCode=403 Status=404 /var/lib/kubelet/pods/a vaultName=\"kv\" \
            {\"code\":\"X\"} AADSTS700016 fetching from key vault kv no such host abab aab\n"
            .repeat(50);
        let mut found = Vec::new();
        filter.occurrences(&text, &mut found);
        let mut expected = Vec::new();
        let mut from = 0;
        while let Some(m) = ac.find(aho_corasick::Input::new(&text).span(from..text.len())) {
            expected.push((m.start() as u32, m.pattern().as_u32()));
            from = m.start() + 1;
        }
        assert_eq!(found, expected);
        assert!(PairFilter::new(&[b"x".as_slice()]).is_none());
    }
}
