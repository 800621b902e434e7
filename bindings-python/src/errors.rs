//! The exception tree and the one mapping from the core's `Error` to it.
//!
//! ```text
//! Exception
//!  └─ KvcsiError
//!      ├─ RuleError          a rule failed to load (or, with strict=True, to run)
//!      ├─ InputError         nothing usable in the input (strict=True)
//!      │   └─ SuppressionError   a malformed suppression entry
//!      └─ LimitExceeded      a rule broke a limit (strict=True)
//! file problems: FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError, OSError
//! ```

use kvcsi_core::Error;
use pyo3::exceptions::{
    PyException, PyFileNotFoundError, PyIsADirectoryError, PyNotADirectoryError, PyOSError,
    PyPermissionError,
};
use pyo3::prelude::*;
use pyo3::{IntoPyObjectExt, PyTypeInfo};
use std::io::ErrorKind;

pyo3::create_exception!(
    kvcsi,
    KvcsiError,
    PyException,
    "Base class of every error kvcsi raises (file problems raise the built-in OSError subclasses)."
);
pyo3::create_exception!(
    kvcsi,
    RuleError,
    KvcsiError,
    "A rule failed to load (syntax, metadata, duplicate id) or, with strict=True, failed while it ran.\n\nAttributes: code, file, line, column, hint."
);
pyo3::create_exception!(
    kvcsi,
    InputError,
    KvcsiError,
    "The input cannot be used: with strict=True, evidence with nothing usable in it.\n\nAttributes: source."
);
pyo3::create_exception!(
    kvcsi,
    SuppressionError,
    InputError,
    "A suppression list has a malformed entry.\n\nAttributes: path, line."
);
pyo3::create_exception!(
    kvcsi,
    LimitExceeded,
    KvcsiError,
    "With strict=True, a rule broke one of its limits (operations, call depth, sizes, wall clock).\n\nAttributes: limit."
);

/// An exception of type `T` with `message` and these attributes set on the instance.
fn raise<T: PyTypeInfo>(py: Python<'_>, message: String, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    let error = PyErr::new::<T, _>(message);
    for (name, value) in attrs {
        // Setting an attribute on a fresh exception instance cannot fail in practice; if it
        // did, the exception is still raised, only without that attribute.
        let _ = error.value(py).setattr(*name, value.bind(py));
    }
    error
}

fn obj<'py>(py: Python<'py>, value: impl IntoPyObject<'py>) -> Py<PyAny> {
    value.into_py_any(py).unwrap_or_else(|_| py.None())
}

/// Maps a core error to its Python exception.
pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::Rule(rule) => raise::<RuleError>(
            py,
            message,
            &[
                ("code", obj(py, rule.code)),
                ("file", obj(py, rule.file)),
                ("line", obj(py, rule.line)),
                ("column", obj(py, rule.column)),
                ("hint", obj(py, rule.hint)),
            ],
        ),
        Error::Input { source_name, .. } => {
            raise::<InputError>(py, message, &[("source", obj(py, source_name))])
        }
        Error::LimitExceeded { limit, .. } => {
            raise::<LimitExceeded>(py, message, &[("limit", obj(py, limit))])
        }
        Error::Suppression { path, line, .. } => raise::<SuppressionError>(
            py,
            message,
            &[("path", obj(py, path)), ("line", obj(py, line))],
        ),
        Error::Io { path, source } => {
            // (errno, strerror, filename): the OSError constructor sets .errno, .strerror and
            // .filename from these.
            let text = source.to_string();
            let strerror = text.split(" (os error").next().unwrap_or(&text).to_owned();
            let args = (source.raw_os_error().unwrap_or(0), strerror, path);
            match source.kind() {
                ErrorKind::NotFound => PyFileNotFoundError::new_err(args),
                ErrorKind::PermissionDenied => PyPermissionError::new_err(args),
                ErrorKind::IsADirectory => PyIsADirectoryError::new_err(args),
                ErrorKind::NotADirectory => PyNotADirectoryError::new_err(args),
                _ => PyOSError::new_err(args),
            }
        }
        // The core's Error is non-exhaustive: a variant added later is still a KvcsiError.
        _ => KvcsiError::new_err(message),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    //! These link against libpython (the crate has no `extension-module` feature), so
    //! `cargo test --workspace` runs them with an embedded interpreter.
    use super::*;

    fn mapped(error: Error) -> (String, String) {
        Python::initialize();
        Python::attach(|py| {
            let value = to_py(py, error).into_value(py);
            let class = value.bind(py).get_type().name().unwrap().to_string();
            (class, value.bind(py).str().unwrap().to_string())
        })
    }

    #[test]
    fn io_errors_become_os_error_subclasses() {
        let io = |kind| Error::Io {
            path: "bundle.tar.gz".to_owned(),
            source: std::io::Error::from(kind),
        };
        assert_eq!(mapped(io(ErrorKind::NotFound)).0, "FileNotFoundError");
        assert_eq!(mapped(io(ErrorKind::PermissionDenied)).0, "PermissionError");
        assert_eq!(mapped(io(ErrorKind::InvalidData)).0, "OSError");
        assert!(mapped(io(ErrorKind::NotFound))
            .1
            .ends_with(": 'bundle.tar.gz'"));
    }

    #[test]
    fn core_errors_become_the_kvcsi_tree() {
        let limit = Error::LimitExceeded {
            limit: "max_operations",
            message: "stopped".to_owned(),
        };
        assert_eq!(mapped(limit).0, "LimitExceeded");
        let input = Error::Input {
            source_name: "paste".to_owned(),
            message: "empty".to_owned(),
        };
        assert_eq!(
            mapped(input),
            (
                "InputError".to_owned(),
                "invalid input paste: empty".to_owned()
            )
        );
        Python::attach(|py| {
            let engine = kvcsi_core::Engine::builder()
                .builtin(false)
                .rule(kvcsi_core::RuleSource::user("mine.rhai", "fn meta( {"))
                .build();
            let rule = Error::Rule(engine.rules().errors[0].clone());
            let err = to_py(py, rule);
            assert!(err.is_instance_of::<KvcsiError>(py));
            let value = err.value(py);
            assert_eq!(
                value.getattr("line").unwrap().extract::<usize>().unwrap(),
                1
            );
            assert_eq!(
                value.getattr("file").unwrap().extract::<String>().unwrap(),
                "mine.rhai"
            );
            assert_eq!(
                value.getattr("code").unwrap().extract::<String>().unwrap(),
                "rule-syntax"
            );
        });
    }
}
