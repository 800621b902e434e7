//! Errors a caller can act on. Problems inside the evidence or inside one rule never become an
//! `Error`: they are diagnostics in the report, so the rest of the check still runs.

use std::fmt;

/// Result alias used across the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, by category; bindings map each variant to their own exception or `Error`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A rule file could not be compiled or its metadata is invalid.
    #[error("{0}")]
    Rule(RuleError),
    /// The input cannot be used at all (for example an unreadable bundle given on its own).
    #[error("invalid input {source_name}: {message}")]
    Input {
        /// Canonical evidence name.
        source_name: String,
        /// What is wrong, for a person.
        message: String,
    },
    /// A configured limit was exceeded where the caller asked for strictness.
    #[error("limit exceeded: {limit}: {message}")]
    LimitExceeded {
        /// Stable name of the limit.
        limit: &'static str,
        /// What happened.
        message: String,
    },
    /// A suppression file could not be read.
    #[error("suppression file {path}, line {line}: {message}")]
    Suppression {
        /// The file name as given.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An I/O failure while reading evidence from disk or stdin (only with the `fs` feature).
    #[error("{path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// A rule that failed to load, with the place to look.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleError {
    /// Stable diagnostic code, e.g. `rule-syntax`.
    pub code: &'static str,
    /// The rule file.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {} [{}]", self.message, self.code)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}
