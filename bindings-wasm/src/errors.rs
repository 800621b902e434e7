//! Errors as real JS `Error` objects; `name` tells the kind apart (see `ErrorName` in the
//! TypeScript definitions).

use wasm_bindgen::JsValue;

/// What went wrong, by the `name` the JS `Error` gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// An option is unknown or has the wrong type or value.
    Options,
    /// An input is malformed (no name, neither `text` nor `bytes`, a chunk of the wrong type).
    Input,
    /// The suppression list does not parse.
    Suppression,
    /// A session was used after `finish()`.
    Session,
    /// The value passed as a report was not made by this module (or was copied).
    Report,
    /// Any other error from the core.
    Kvcsi,
}

impl ErrorKind {
    /// The JS `Error.name`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Options => "OptionsError",
            Self::Input => "InputError",
            Self::Suppression => "SuppressionError",
            Self::Session => "SessionError",
            Self::Report => "ReportError",
            Self::Kvcsi => "KvcsiError",
        }
    }

    /// The kind of a core error.
    pub fn of(error: &kvcsi_core::Error) -> Self {
        match error {
            kvcsi_core::Error::Input { .. } => Self::Input,
            kvcsi_core::Error::Suppression { .. } => Self::Suppression,
            _ => Self::Kvcsi,
        }
    }
}

/// A JS `Error` with the kind's name.
pub fn error(kind: ErrorKind, message: impl AsRef<str>) -> JsValue {
    let error = js_sys::Error::new(message.as_ref());
    error.set_name(kind.name());
    error.into()
}

/// A core error as a JS `Error`.
pub fn from_core(e: &kvcsi_core::Error) -> JsValue {
    error(ErrorKind::of(e), e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_kind() {
        let e = kvcsi_core::Error::Suppression {
            path: "x".into(),
            line: 1,
            message: "bad".into(),
        };
        assert_eq!(ErrorKind::of(&e).name(), "SuppressionError");
        let e = kvcsi_core::Error::Input {
            source_name: "x".into(),
            message: "bad".into(),
        };
        assert_eq!(ErrorKind::of(&e).name(), "InputError");
    }
}
