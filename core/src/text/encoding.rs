//! Telling what a stream is from its first bytes, and decoding UTF-16 text on the fly.
//!
//! Windows PowerShell 5.1 writes `>` and `Out-File` as UTF-16 with a byte order mark, so
//! `Resolve-DnsName ... > dns.txt` arrives as UTF-16LE. Everything after the core's input stage
//! reads UTF-8, so such a stream is transcoded as it is fed, whatever the chunk boundaries
//! (a code unit or a surrogate pair may be split across chunks).

/// Bytes a session looks at before deciding what a stream is.
pub const SNIFF_BYTES: usize = 4;

/// What the first bytes of a stream say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// gzip (a `.tar.gz` bundle or a single compressed file), whatever its name.
    Gzip,
    /// UTF-16 text with a byte order mark.
    Utf16 {
        /// Big-endian (`FE FF`) rather than little-endian (`FF FE`).
        big_endian: bool,
    },
    /// Anything else: bytes read as (lossy) UTF-8 text.
    Text,
}

/// Decides from the first bytes of a stream (at least [`SNIFF_BYTES`], or all of a shorter one).
pub fn sniff(head: &[u8]) -> Sniffed {
    if crate::input::is_gzip(head) {
        Sniffed::Gzip
    } else if head.starts_with(&[0xff, 0xfe]) {
        Sniffed::Utf16 { big_endian: false }
    } else if head.starts_with(&[0xfe, 0xff]) {
        Sniffed::Utf16 { big_endian: true }
    } else {
        Sniffed::Text
    }
}

/// A streaming UTF-16 to UTF-8 decoder. Unpaired surrogates become U+FFFD, as lossy UTF-8
/// decoding does elsewhere.
#[derive(Debug, Clone)]
pub struct Utf16Decoder {
    big_endian: bool,
    /// The byte order mark is still to be skipped.
    at_start: bool,
    /// An odd byte left from the previous chunk.
    carry: Option<u8>,
    /// A high surrogate waiting for its low half.
    high: Option<u16>,
}

impl Utf16Decoder {
    /// A decoder for the given byte order; the stream's byte order mark is dropped.
    pub fn new(big_endian: bool) -> Self {
        Self {
            big_endian,
            at_start: true,
            carry: None,
            high: None,
        }
    }

    /// Decodes a chunk, keeping what is incomplete for the next one.
    pub fn decode(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut out = String::with_capacity(chunk.len() / 2 + 4);
        let mut bytes = chunk.iter().copied();
        loop {
            let first = match self.carry.take() {
                Some(b) => b,
                None => match bytes.next() {
                    Some(b) => b,
                    None => break,
                },
            };
            let Some(second) = bytes.next() else {
                self.carry = Some(first);
                break;
            };
            let unit = if self.big_endian {
                u16::from_be_bytes([first, second])
            } else {
                u16::from_le_bytes([first, second])
            };
            if self.at_start {
                self.at_start = false;
                if unit == 0xfeff {
                    continue;
                }
            }
            self.unit(unit, &mut out);
        }
        out.into_bytes()
    }

    fn unit(&mut self, unit: u16, out: &mut String) {
        match unit {
            0xd800..=0xdbff => {
                if self.high.replace(unit).is_some() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
            }
            0xdc00..=0xdfff => match self.high.take() {
                Some(high) => {
                    let code =
                        0x10000 + ((u32::from(high) - 0xd800) << 10) + (u32::from(unit) - 0xdc00);
                    out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                None => out.push(char::REPLACEMENT_CHARACTER),
            },
            _ => {
                if self.high.take().is_some() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                out.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
    }

    /// Ends the stream: an odd last byte or a lone high surrogate becomes U+FFFD.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = String::new();
        if self.high.take().is_some() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
        if self.carry.take().is_some() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
        out.into_bytes()
    }
}

/// Text safe to print on a terminal and to paste into a ticket: control characters other than
/// tab and line feed (escape sequences that move the cursor, retitle the window or write the
/// clipboard; a carriage return or backspaces that overwrite what was printed; C1 controls,
/// which some terminals obey) become U+FFFD. ANSI colours were already stripped from evidence
/// lines; this catches everything else, in every string a report holds.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if unsafe_char(c) {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn encode(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xfe, 0xff]
        } else {
            vec![0xff, 0xfe]
        };
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn decodes_across_any_chunking() {
        let text = "Name  Type  TTL\r\nkv.vault.azure.net CNAME 60 ✓ 𝄞\r\n";
        for big_endian in [false, true] {
            let bytes = encode(text, big_endian);
            assert_eq!(sniff(&bytes), Sniffed::Utf16 { big_endian });
            for size in 1..8 {
                let mut decoder = Utf16Decoder::new(big_endian);
                let mut out = Vec::new();
                for chunk in bytes.chunks(size) {
                    out.extend(decoder.decode(chunk));
                }
                out.extend(decoder.finish());
                assert_eq!(String::from_utf8(out).unwrap(), text, "chunks of {size}");
            }
        }
    }

    #[test]
    fn control_characters_never_reach_a_terminal() {
        assert_eq!(visible("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            visible("a\x1b]52;c;ZXZpbA==\x07b\x1b[2Jc\rd\x08e\u{9b}f"),
            "a\u{fffd}]52;c;ZXZpbA==\u{fffd}b\u{fffd}[2Jc\u{fffd}d\u{fffd}e\u{fffd}f"
        );
    }

    #[test]
    fn broken_input_is_replaced_not_lost() {
        let mut decoder = Utf16Decoder::new(false);
        let mut out = decoder.decode(&[0xff, 0xfe, b'a', 0, 0x00, 0xd8, b'b', 0, b'c']);
        out.extend(decoder.finish());
        assert_eq!(String::from_utf8(out).unwrap(), "a\u{fffd}b\u{fffd}");
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Sniffed::Gzip);
        assert_eq!(sniff(b"abcd"), Sniffed::Text);
    }
}
