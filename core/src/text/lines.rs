//! Turning byte chunks into bounded, lossily decoded lines.

use std::borrow::Cow;

/// Splits a byte buffer into lines at `\n`, dropping a trailing `\r`.
pub fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let trimmed = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let empty = bytes.is_empty();
    trimmed
        .split(|&b| b == b'\n')
        .filter(move |_| !empty)
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// Outcome of decoding one raw line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DecodeNotes {
    /// The line held bytes that are not UTF-8 and were replaced.
    pub lossy: bool,
    /// The line was longer than the cap and only its head was kept.
    pub truncated: bool,
}

/// Decodes a line lossily, keeping at most `max_bytes` bytes (cut on a character boundary).
pub fn decode_line(raw: &[u8], max_bytes: usize) -> (Cow<'_, str>, DecodeNotes) {
    let mut notes = DecodeNotes::default();
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let head = if raw.len() > max_bytes {
        notes.truncated = true;
        raw.get(..max_bytes).unwrap_or(raw)
    } else {
        raw
    };
    match std::str::from_utf8(head) {
        Ok(text) => (Cow::Borrowed(text), notes),
        Err(error) if notes.truncated && error.error_len().is_none() => {
            // The cut fell inside a multi-byte character: drop the partial character only.
            let valid = head.get(..error.valid_up_to()).unwrap_or_default();
            (String::from_utf8_lossy(valid), notes)
        }
        Err(_) => {
            notes.lossy = true;
            (String::from_utf8_lossy(head), notes)
        }
    }
}

/// A line of a document with its 1-based number; text is already normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number within its source.
    pub number: u64,
    /// Normalised text.
    pub text: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn splits_crlf_and_keeps_empty_lines() {
        let lines: Vec<_> = split_lines(b"a\r\n\r\nb\n").collect();
        assert_eq!(lines, vec![&b"a"[..], b"", b"b"]);
        assert_eq!(split_lines(b"").count(), 0);
        assert_eq!(split_lines(b"x").count(), 1);
    }

    #[test]
    fn decoding_caps_and_replaces() {
        let (text, notes) = decode_line(b"abc\xffdef", 100);
        assert_eq!(text, "abc\u{fffd}def");
        assert!(notes.lossy);
        let (text, notes) = decode_line("aé".as_bytes(), 2);
        assert_eq!(text, "a");
        assert!(notes.truncated && !notes.lossy);
    }
}
