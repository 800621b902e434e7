//! Text handling shared by every stage: line assembly, normalisation and redaction.

pub mod encoding;
pub(crate) mod gated;
pub mod lines;
pub mod normalize;
pub mod redact;
