//! kvcsi-core: diagnose Azure Key Vault Secrets Store CSI mount failures.
//!
//! The pipeline runs one way, one module per arrow:
//!
//! ```text
//! bytes ─▶ input (archives, line assembly) ─▶ classify (segments) ─▶ parse (facts)
//!        ─▶ scan (pattern matches) ─▶ rule (sandboxed Rhai) ─▶ findings ─▶ report ─▶ renderers
//! ```
//!
//! Parsers know nothing of rules, rules never see raw files, and renderers evaluate nothing.
//! Evidence arrives as named byte streams through [`Session::feed`]; [`Engine::check`] is a thin
//! wrapper for inputs that are already in memory.
//!
//! ```
//! use kvcsi_core::{Engine, Evidence, Options};
//! let engine = Engine::builtin().expect("built-in rules load");
//! let event = "Warning  FailedMount  42s (x16 over 17m)  kubelet  MountVolume.SetUp failed for volume \"kv\" : \
//!     kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name \
//!     secrets-store.csi.k8s.io not found in the list of registered CSI drivers";
//! let report = engine.check(&[Evidence::new("describe.txt", event)], &Options::default());
//! assert_eq!(report.findings[0].rule, "driver-not-registered");
//! assert_eq!(report.exit_status(), 3);
//! ```

// Unsafe code is forbidden here as in the workspace lints: evidence and rules are hostile, and
// memory safety is what keeps them contained (see docs/security.md).
#![forbid(unsafe_code)]

mod blockscan;
mod builtin;
pub mod classify;
pub mod engine;
mod error;
pub mod evidence;
pub mod facts;
#[cfg(feature = "fs")]
pub mod fs;
pub mod input;
pub mod limits;
mod matches;
pub mod parse;
mod pipeline;
pub mod report;
pub mod rule;
pub mod scan;
pub mod text;
mod threads;

pub use engine::{Engine, Options, Session};
pub use error::{Error, Result};
pub use evidence::{Evidence, Location};
pub use report::{Diagnostic, Finding, Lang, Report, Severity};
pub use rule::{RuleSet, RuleSource};

/// The version of kvcsi that produced a report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
