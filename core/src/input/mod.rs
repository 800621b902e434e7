//! Input decoding inside the core: archives from bytes (the browser needs it too).

pub mod archive;

/// Whether bytes start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}
