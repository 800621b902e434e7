//! Evidence as it enters the core: a canonical name and bytes.

use serde::{Serialize, Serializer};

/// One named piece of evidence held in memory. Large inputs should be streamed through
/// [`crate::Session::feed`] instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Canonical name: the path as given with `/` separators, `bundle.tgz:inner/path` inside
    /// archives, `-` for stdin, `paste` for pasted text.
    pub name: String,
    /// The raw bytes; decoded lossily line by line.
    pub bytes: Vec<u8>,
}

impl Evidence {
    /// Builds evidence from anything byte-like.
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            name: name.into(),
            bytes: bytes.into(),
        }
    }
}

/// Where a fact or a piece of evidence came from: a source and a 1-based inclusive line range.
/// Ordering is canonical (source, first line, last line), which is how bounded samples choose
/// what to keep independently of arrival order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// Canonical evidence name.
    pub source: String,
    /// First line, 1-based.
    pub first: u64,
    /// Last line, 1-based, inclusive.
    pub last: u64,
}

impl Location {
    /// A location spanning `first..=last` in `source`.
    pub fn new(source: impl Into<String>, first: u64, last: u64) -> Self {
        Self {
            source: source.into(),
            first,
            last: last.max(first),
        }
    }

    /// Whether two locations share at least one line of the same source.
    pub fn overlaps(&self, other: &Location) -> bool {
        self.source == other.source && self.first <= other.last && other.first <= self.last
    }
}

impl Serialize for Location {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("source", &self.source)?;
        map.serialize_entry("lines", &[self.first, self.last])?;
        map.end()
    }
}
