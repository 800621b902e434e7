//! `.tar.gz` / `.tgz` / `.gz` decoding from bytes, streaming, with limits on entries, sizes and
//! compression ratio. Nothing is extracted to disk: entries become named evidence streams
//! (`bundle.tgz:inner/path`).

use flate2::write::GzDecoder;
use std::io::Write;

/// What the decoder produced from a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveEvent {
    /// A regular file starts.
    Begin(String),
    /// Bytes of the current file.
    Data(Vec<u8>),
    /// The current file ended.
    End,
    /// Something was skipped or refused.
    Diagnostic(&'static str, String),
}

/// Limits applied while decoding.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveLimits {
    /// Regular files accepted.
    pub max_entries: usize,
    /// Decompressed bytes accepted.
    pub max_bytes: u64,
    /// Decompressed ÷ compressed bytes above which the stream is a bomb (checked past 16 MiB).
    pub max_ratio: u64,
}

#[derive(Debug, Default)]
struct TarSink {
    events: Vec<ArchiveEvent>,
    header: Vec<u8>,
    /// Bytes left in the current entry's data, then its padding.
    data_left: u64,
    padding_left: u64,
    in_file: bool,
    skip_entry: bool,
    entries: usize,
    max_entries: usize,
    long_name: Option<Vec<u8>>,
    reading_long_name: bool,
    long_buf: Vec<u8>,
    is_tar: Option<bool>,
    plain_started: bool,
    finished: bool,
    out_bytes: u64,
}

impl Write for TarSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out_bytes += buf.len() as u64;
        let mut rest = buf;
        while !rest.is_empty() && !self.finished {
            if self.is_tar == Some(false) {
                if !self.plain_started {
                    self.plain_started = true;
                    self.events.push(ArchiveEvent::Begin(String::new()));
                }
                self.events.push(ArchiveEvent::Data(rest.to_vec()));
                return Ok(buf.len());
            }
            if self.data_left > 0 {
                let n = (self.data_left as usize).min(rest.len());
                let (chunk, after) = rest.split_at(n);
                if self.reading_long_name {
                    self.long_buf.extend_from_slice(chunk);
                } else if self.in_file && !self.skip_entry {
                    self.events.push(ArchiveEvent::Data(chunk.to_vec()));
                }
                self.data_left -= n as u64;
                rest = after;
                if self.data_left == 0 {
                    if self.reading_long_name {
                        self.reading_long_name = false;
                        let name = std::mem::take(&mut self.long_buf);
                        self.long_name =
                            Some(name.split(|b| *b == 0).next().unwrap_or_default().to_vec());
                    } else if self.in_file {
                        if !self.skip_entry {
                            self.events.push(ArchiveEvent::End);
                        }
                        self.in_file = false;
                    }
                }
                continue;
            }
            if self.padding_left > 0 {
                let n = (self.padding_left as usize).min(rest.len());
                self.padding_left -= n as u64;
                rest = rest.get(n..).unwrap_or_default();
                continue;
            }
            let need = 512 - self.header.len();
            let n = need.min(rest.len());
            self.header
                .extend_from_slice(rest.get(..n).unwrap_or_default());
            rest = rest.get(n..).unwrap_or_default();
            if self.header.len() == 512 {
                let header = std::mem::take(&mut self.header);
                self.on_header(&header);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn octal(field: &[u8]) -> Option<u64> {
    // GNU tar stores huge sizes in base-256 with the high bit set.
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        return field.iter().skip(1).try_fold(0u64, |acc, b| {
            acc.checked_mul(256)
                .and_then(|a| a.checked_add(u64::from(*b)))
        });
    }
    let text: String = field
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| *b as char)
        .collect();
    let text = text.trim();
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

impl TarSink {
    fn on_header(&mut self, header: &[u8]) {
        if self.is_tar.is_none() {
            let magic = header.get(257..262) == Some(b"ustar".as_slice());
            let checksum_ok = octal(header.get(148..156).unwrap_or_default()).is_some_and(|sum| {
                let computed: u64 = header
                    .iter()
                    .enumerate()
                    .map(|(i, b)| {
                        if (148..156).contains(&i) {
                            32
                        } else {
                            u64::from(*b)
                        }
                    })
                    .sum();
                computed == sum
            });
            if !(magic || checksum_ok) {
                // A plain gzip file: the bytes are the evidence itself.
                self.is_tar = Some(false);
                self.plain_started = true;
                self.events.push(ArchiveEvent::Begin(String::new()));
                self.events.push(ArchiveEvent::Data(header.to_vec()));
                return;
            }
            self.is_tar = Some(true);
        }
        if header.iter().all(|b| *b == 0) {
            // End-of-archive blocks.
            return;
        }
        let size = octal(header.get(124..136).unwrap_or_default());
        let Some(size) = size else {
            self.events.push(ArchiveEvent::Diagnostic(
                "archive-corrupt",
                "a tar header has an unreadable size; the rest of the archive was skipped"
                    .to_owned(),
            ));
            self.finished = true;
            return;
        };
        let type_flag = header.get(156).copied().unwrap_or(b'0');
        let padding = (512 - size % 512) % 512;
        let name_field = |range: std::ops::Range<usize>| -> String {
            let raw = header.get(range).unwrap_or_default();
            String::from_utf8_lossy(raw.split(|b| *b == 0).next().unwrap_or_default()).into_owned()
        };
        let mut name = name_field(0..100);
        let prefix = name_field(345..500);
        if !prefix.is_empty() && header.get(257..263) == Some(b"ustar\0".as_slice()) {
            name = format!("{prefix}/{name}");
        }
        if let Some(long) = self.long_name.take() {
            name = String::from_utf8_lossy(&long).into_owned();
        }
        match type_flag {
            b'L' => {
                // GNU long name: the data is the next entry's name.
                if size > 4096 {
                    self.events.push(ArchiveEvent::Diagnostic(
                        "archive-corrupt",
                        "a long file name over 4 KiB was skipped".to_owned(),
                    ));
                    self.skip(size, padding);
                    return;
                }
                if size == 0 {
                    // An empty long name names nothing: the next header's own name stands.
                    // (Waiting for its data would swallow the next entry's data as a name.)
                    return;
                }
                self.reading_long_name = true;
                self.data_left = size;
                self.padding_left = padding;
            }
            b'0' | 0 | b'7' => {
                self.entries += 1;
                let safe = sanitize(&name);
                if self.entries > self.max_entries {
                    if self.entries == self.max_entries + 1 {
                        self.events.push(ArchiveEvent::Diagnostic(
                            "archive-too-many-entries",
                            format!(
                                "the archive has more than {} files; the rest were skipped",
                                self.max_entries
                            ),
                        ));
                    }
                    self.skip(size, padding);
                    return;
                }
                match safe {
                    Some(safe) => {
                        self.events.push(ArchiveEvent::Begin(safe));
                        self.in_file = true;
                        self.skip_entry = false;
                        self.data_left = size;
                        self.padding_left = padding;
                        if size == 0 {
                            self.events.push(ArchiveEvent::End);
                            self.in_file = false;
                        }
                    }
                    None => {
                        self.events.push(ArchiveEvent::Diagnostic(
                            "archive-unsafe-path",
                            format!(
                                "entry '{}' points outside the bundle and was skipped",
                                crate::facts::cap_text(&name, 200)
                            ),
                        ));
                        self.skip(size, padding);
                    }
                }
            }
            b'1' | b'2' => {
                self.events.push(ArchiveEvent::Diagnostic(
                    "archive-link-skipped",
                    format!(
                        "link '{}' was skipped; links are never followed",
                        crate::facts::cap_text(&name, 200)
                    ),
                ));
                self.skip(size, padding);
            }
            _ => self.skip(size, padding),
        }
    }

    fn skip(&mut self, size: u64, padding: u64) {
        self.in_file = true;
        self.skip_entry = true;
        self.data_left = size;
        self.padding_left = padding;
        if size == 0 {
            self.in_file = false;
        }
    }
}

/// A relative path inside the bundle, or `None` for absolute paths and `..` escapes.
fn sanitize(name: &str) -> Option<String> {
    let name = name.replace('\\', "/");
    if name.starts_with('/') || name.contains(':') && name.get(1..2) == Some(":") {
        return None;
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            other => parts.push(other),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A streaming gzip (+tar) decoder.
#[derive(Debug)]
pub struct ArchiveDecoder {
    decoder: Option<GzDecoder<TarSink>>,
    limits: ArchiveLimits,
    in_bytes: u64,
    stopped: bool,
}

/// Compressed bytes handed to the inflater at once, so one call never expands without bound.
const SLICE: usize = 4096;

impl ArchiveDecoder {
    /// A decoder with these limits.
    pub fn new(limits: ArchiveLimits) -> Self {
        let sink = TarSink {
            max_entries: limits.max_entries,
            ..TarSink::default()
        };
        Self {
            decoder: Some(GzDecoder::new(sink)),
            limits,
            in_bytes: 0,
            stopped: false,
        }
    }

    /// Feeds compressed bytes; `on_event` receives what they decode to.
    pub fn push(&mut self, compressed: &[u8], on_event: &mut dyn FnMut(ArchiveEvent)) {
        for slice in compressed.chunks(SLICE) {
            if self.stopped {
                return;
            }
            let Some(decoder) = self.decoder.as_mut() else {
                return;
            };
            self.in_bytes += slice.len() as u64;
            if let Err(error) = decoder.write_all(slice) {
                on_event(ArchiveEvent::Diagnostic("archive-corrupt", format!("the compressed stream is damaged ({error}); what was read before it is still used")));
                self.stopped = true;
            }
            let sink = decoder.get_mut();
            for event in sink.events.drain(..) {
                on_event(event);
            }
            let out = sink.out_bytes;
            if out > self.limits.max_bytes {
                on_event(ArchiveEvent::Diagnostic(
                    "archive-too-large",
                    format!(
                        "the archive expands beyond {} MiB; the rest was skipped",
                        self.limits.max_bytes >> 20
                    ),
                ));
                self.stopped = true;
            } else if out > 16 << 20 && out / self.in_bytes.max(1) > self.limits.max_ratio {
                on_event(ArchiveEvent::Diagnostic(
                    "archive-bomb",
                    format!(
                        "the archive expands more than {}:1; decoding stopped",
                        self.limits.max_ratio
                    ),
                ));
                self.stopped = true;
            }
            if self.stopped {
                let sink = decoder.get_mut();
                if sink.in_file && !sink.skip_entry || sink.plain_started {
                    on_event(ArchiveEvent::End);
                    sink.in_file = false;
                    sink.plain_started = false;
                }
            }
        }
    }

    /// Ends the stream.
    pub fn finish(&mut self, on_event: &mut dyn FnMut(ArchiveEvent)) {
        if let Some(mut decoder) = self.decoder.take() {
            if !self.stopped {
                if let Err(error) = decoder.try_finish() {
                    on_event(ArchiveEvent::Diagnostic("archive-truncated", format!("the compressed stream ends early ({error}); what was read is still used")));
                }
            }
            let sink = decoder.get_mut();
            if sink.is_tar.is_none() && !sink.header.is_empty() {
                // A plain gzip file shorter than one tar block: the bytes are the evidence.
                sink.plain_started = true;
                let bytes = std::mem::take(&mut sink.header);
                sink.events.push(ArchiveEvent::Begin(String::new()));
                sink.events.push(ArchiveEvent::Data(bytes));
            }
            for event in sink.events.drain(..) {
                on_event(event);
            }
            if (sink.in_file && !sink.skip_entry) || sink.plain_started {
                if sink.in_file && sink.data_left > 0 {
                    on_event(ArchiveEvent::Diagnostic(
                        "archive-truncated",
                        "the last file of the archive is cut short".to_owned(),
                    ));
                }
                on_event(ArchiveEvent::End);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn refuses_escapes() {
        assert_eq!(sanitize("a/./b.txt").as_deref(), Some("a/b.txt"));
        assert_eq!(sanitize("../etc/passwd"), None);
        assert_eq!(sanitize("/etc/passwd"), None);
    }
}
