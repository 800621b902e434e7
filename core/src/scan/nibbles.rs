//! A Teddy-style searcher for the planned four-byte anchors, for WebAssembly.
//!
//! aho-corasick's Teddy uses x86-64 and aarch64 SIMD only. WebAssembly's simd128 has the one
//! instruction Teddy is built on, a 16-lane table lookup (`i8x16.swizzle`), so the same idea
//! works there: the anchors are split into eight buckets, and for each of the four anchor bytes
//! two 16-entry tables map a byte's low and high nibble to the buckets with that nibble there.
//! Sixteen start positions are tested at once by looking up the four bytes at each and ANDing
//! the bucket bits; a position that keeps a bit is checked against that bucket's anchors.
//!
//! The lookups run on simd128 where the build enables it, and on a scalar copy of the same
//! arithmetic elsewhere (the native tests exercise it); both give the same bucket bits.

/// Anchor length: the same as the plan's.
pub(super) const ANCHOR_LEN: usize = 4;
/// Buckets: one bit each in a lane.
const BUCKETS: usize = 8;
/// Start positions tested per step.
const LANES: usize = 16;

/// The anchors, their buckets and the nibble tables.
#[derive(Debug)]
pub(super) struct NibbleSearcher {
    anchors: Vec<[u8; ANCHOR_LEN]>,
    /// Anchor ids per bucket.
    buckets: [Vec<u32>; BUCKETS],
    /// Per anchor byte: bucket bits by low nibble, and by high nibble.
    low: [[u8; LANES]; ANCHOR_LEN],
    high: [[u8; LANES]; ANCHOR_LEN],
}

impl NibbleSearcher {
    /// A searcher for `anchors` (distinct four-byte strings).
    pub(super) fn new(anchors: &[[u8; ANCHOR_LEN]]) -> Self {
        // Anchors that sort together share their leading nibbles, so a bucket of neighbours
        // lets fewer positions through than a bucket of strangers.
        let mut order: Vec<usize> = (0..anchors.len()).collect();
        order.sort_by_key(|&i| anchors.get(i).copied().unwrap_or_default());
        let per_bucket = anchors.len().div_ceil(BUCKETS).max(1);
        let mut buckets: [Vec<u32>; BUCKETS] = Default::default();
        let mut low = [[0u8; LANES]; ANCHOR_LEN];
        let mut high = [[0u8; LANES]; ANCHOR_LEN];
        for (rank, &id) in order.iter().enumerate() {
            let bucket = rank / per_bucket;
            let (Some(anchor), Some(members)) = (anchors.get(id), buckets.get_mut(bucket)) else {
                continue;
            };
            members.push(id as u32);
            let bit = 1u8 << bucket;
            for (k, &byte) in anchor.iter().enumerate() {
                if let Some(slot) = low
                    .get_mut(k)
                    .and_then(|t| t.get_mut(usize::from(byte & 15)))
                {
                    *slot |= bit;
                }
                if let Some(slot) = high
                    .get_mut(k)
                    .and_then(|t| t.get_mut(usize::from(byte >> 4)))
                {
                    *slot |= bit;
                }
            }
        }
        Self {
            anchors: anchors.to_vec(),
            buckets,
            low,
            high,
        }
    }

    /// Calls `found(position, anchor id)` for every occurrence of every anchor in `block`, in
    /// position order.
    pub(super) fn for_each(&self, block: &[u8], mut found: impl FnMut(usize, u32)) {
        let Some(last_start) = block.len().checked_sub(ANCHOR_LEN) else {
            return;
        };
        let mut at = 0usize;
        // A step reads LANES + ANCHOR_LEN - 1 bytes from `at`.
        while at + LANES + ANCHOR_LEN - 1 <= block.len() {
            let bits = self.step(block, at);
            if bits != [0; LANES] {
                for (lane, &b) in bits.iter().enumerate() {
                    if b != 0 {
                        self.verify(block, at + lane, b, &mut found);
                    }
                }
            }
            at += LANES;
        }
        while at <= last_start {
            let b = self.bits_at(block, at);
            if b != 0 {
                self.verify(block, at, b, &mut found);
            }
            at += 1;
        }
    }

    /// The bucket bits of the one start position `at` (which has a whole anchor's room).
    fn bits_at(&self, block: &[u8], at: usize) -> u8 {
        let mut bits = 0xFF;
        for k in 0..ANCHOR_LEN {
            let byte = block.get(at + k).copied().unwrap_or(0);
            let low = self.low.get(k).and_then(|t| t.get(usize::from(byte & 15)));
            let high = self.high.get(k).and_then(|t| t.get(usize::from(byte >> 4)));
            bits &= low.copied().unwrap_or(0) & high.copied().unwrap_or(0);
        }
        bits
    }

    /// Reports the anchor at `at` among those of the buckets in `bits`.
    fn verify(&self, block: &[u8], at: usize, bits: u8, found: &mut impl FnMut(usize, u32)) {
        let Some(window) = block.get(at..at + ANCHOR_LEN) else {
            return;
        };
        for (bucket, members) in self.buckets.iter().enumerate() {
            if bits & (1 << bucket) == 0 {
                continue;
            }
            for &id in members {
                if self.anchors.get(id as usize).map(<[u8; 4]>::as_slice) == Some(window) {
                    // Anchors are distinct: one matches at most.
                    found(at, id);
                    return;
                }
            }
        }
    }

    /// The bucket bits of the 16 start positions from `at` (the block holds
    /// `LANES + ANCHOR_LEN - 1` bytes from there).
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn step(&self, block: &[u8], at: usize) -> [u8; LANES] {
        use core::arch::wasm32::{
            u64x2, u64x2_extract_lane, u8x16_shr, u8x16_splat, u8x16_swizzle, v128, v128_and,
            v128_any_true,
        };
        fn load(bytes: &[u8]) -> v128 {
            let word = |from: usize| {
                let mut w = [0u8; 8];
                if let Some(src) = bytes.get(from..from + 8) {
                    w.copy_from_slice(src);
                }
                u64::from_le_bytes(w)
            };
            u64x2(word(0), word(8))
        }
        let nibble = u8x16_splat(0x0F);
        let mut bits = u8x16_splat(0xFF);
        for k in 0..ANCHOR_LEN {
            let (Some(low), Some(high)) = (self.low.get(k), self.high.get(k)) else {
                return [0; LANES];
            };
            let Some(bytes) = block.get(at + k..at + k + LANES) else {
                return [0; LANES];
            };
            let v = load(bytes);
            let by_low = u8x16_swizzle(load(low), v128_and(v, nibble));
            let by_high = u8x16_swizzle(load(high), u8x16_shr(v, 4));
            bits = v128_and(bits, v128_and(by_low, by_high));
        }
        if !v128_any_true(bits) {
            return [0; LANES];
        }
        let mut out = [0u8; LANES];
        out[..8].copy_from_slice(&u64x2_extract_lane::<0>(bits).to_le_bytes());
        out[8..].copy_from_slice(&u64x2_extract_lane::<1>(bits).to_le_bytes());
        out
    }

    /// The bucket bits of the 16 start positions from `at` (scalar form of the simd128 step).
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    fn step(&self, block: &[u8], at: usize) -> [u8; LANES] {
        let mut out = [0u8; LANES];
        for (lane, slot) in out.iter_mut().enumerate() {
            *slot = self.bits_at(block, at + lane);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(anchors: &[[u8; 4]], block: &[u8]) -> Vec<(usize, u32)> {
        let mut out = Vec::new();
        for at in 0..block.len().saturating_sub(3) {
            for (id, a) in anchors.iter().enumerate() {
                if block.get(at..at + 4) == Some(a.as_slice()) {
                    out.push((at, id as u32));
                }
            }
        }
        out
    }

    fn found(searcher: &NibbleSearcher, block: &[u8]) -> Vec<(usize, u32)> {
        let mut out = Vec::new();
        searcher.for_each(block, |at, id| out.push((at, id)));
        out
    }

    #[test]
    fn finds_every_anchor_occurrence_at_every_offset() {
        let anchors: Vec<[u8; 4]> = [
            "vaul",
            "403 ",
            "AADS",
            "Fobi",
            "not ",
            "GRPC",
            "ault",
            "eyva",
            "\0\u{1}\u{2}\u{3}",
            "zzzz",
            "E102",
            "pod=",
            "====",
            "AKV1",
            "stat",
            "ed t",
            "fail",
            "x509",
            "tls:",
        ]
        .iter()
        .filter_map(|s| <[u8; 4]>::try_from(s.as_bytes()).ok())
        .collect();
        let searcher = NibbleSearcher::new(&anchors);
        let text = b"E1029 failed to get keyvault: StatusCode=403 -- AADSTS700016 vault====zzzzz GRPC pod=x tls: x509";
        for start in 0..text.len() {
            for end in start..=text.len() {
                let block = text.get(start..end).unwrap_or_default();
                assert_eq!(
                    found(&searcher, block),
                    naive(&anchors, block),
                    "{start}..{end}"
                );
            }
        }
    }

    #[test]
    fn many_anchors_share_buckets_and_still_verify_exactly() {
        let anchors: Vec<[u8; 4]> = (0u8..48).map(|i| [b'a' + i % 26, b'b', i, b'z']).collect();
        let searcher = NibbleSearcher::new(&anchors);
        let mut block = Vec::new();
        for i in 0u8..200 {
            block.extend_from_slice(&[b'a' + i % 26, b'b', i % 50, b'z', b' ', i]);
        }
        assert_eq!(found(&searcher, &block), naive(&anchors, &block));
        assert!(!found(&searcher, &block).is_empty());
    }

    #[test]
    fn short_and_empty_blocks_find_nothing() {
        let searcher = NibbleSearcher::new(&[*b"abcd"]);
        assert!(found(&searcher, b"").is_empty());
        assert!(found(&searcher, b"abc").is_empty());
        assert_eq!(found(&searcher, b"abcd"), vec![(0, 0)]);
        assert!(found(&NibbleSearcher::new(&[]), b"abcdabcdabcdabcdabcd").is_empty());
    }
}
