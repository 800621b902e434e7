//! `kvcsi._kvcsi`: the native half of the `kvcsi` Python package.
//!
//! Every function here only turns Python values into the core's inputs and the core's `Report`
//! back into Python values; reading files, parsing, rules and rendering all live in
//! `kvcsi-core`. The public, documented API is `kvcsi/__init__.py`, which wraps these classes.
//! The GIL is released whenever the core works, so one `Engine` serves a thread pool.

// Unsafe code is forbidden here as in the workspace lints: evidence and rules are hostile, and
// memory safety is what keeps them contained (see docs/security.md).
#![forbid(unsafe_code)]

mod errors;

use errors::to_py;
use kvcsi_core::report::{html, markdown, text, SuppressionList};
use kvcsi_core::{fs, Lang, RuleSource};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

/// Options of one check.
///
/// >>> from kvcsi import _kvcsi
/// >>> _kvcsi.Options("ja", True, [], [], False).lang
/// 'ja'
#[pyclass(frozen, module = "kvcsi._kvcsi")]
#[derive(Debug)]
struct Options {
    core: kvcsi_core::Options,
    strict: bool,
}

#[pymethods]
impl Options {
    /// `suppress_paths` are suppression files read now; `suppress_texts` are `(name, text)`
    /// pairs of suppression lists held in memory.
    #[new]
    fn new(
        py: Python<'_>,
        lang: &str,
        redact: bool,
        suppress_paths: Vec<String>,
        suppress_texts: Vec<(String, String)>,
        strict: bool,
    ) -> PyResult<Self> {
        let lang = Lang::parse(lang).ok_or_else(|| {
            PyValueError::new_err(format!("unknown language {lang:?}; use 'en' or 'ja'"))
        })?;
        let mut suppressions = fs::suppressions(&suppress_paths).map_err(|e| to_py(py, e))?;
        for (name, text) in &suppress_texts {
            let parsed = SuppressionList::parse(name, text).map_err(|e| to_py(py, e))?;
            suppressions.entries.extend(parsed.entries);
        }
        let core = kvcsi_core::Options {
            lang,
            redact,
            suppressions,
            ..Default::default()
        };
        Ok(Self { core, strict })
    }

    /// The report language, `en` or `ja`.
    #[getter]
    fn lang(&self) -> &'static str {
        self.core.lang.as_str()
    }
}

/// Bytes of one piece of evidence: `bytes` as they are, `str` as UTF-8.
fn chunk<'a>(value: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    match value.cast::<PyBytes>() {
        Ok(bytes) => Ok(Cow::Borrowed(bytes.as_bytes())),
        Err(_) => value
            .extract::<String>()
            .map(|s| Cow::Owned(s.into_bytes()))
            .map_err(|_| {
                PyTypeError::new_err(format!(
                    "evidence must be str or bytes, not {}",
                    type_name(value)
                ))
            }),
    }
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// The finished report, or, when the caller asked for strictness, the error it holds.
fn done(py: Python<'_>, report: kvcsi_core::Report, strict: bool) -> PyResult<Report> {
    match report.strict_error().filter(|_| strict) {
        Some(error) => Err(to_py(py, error)),
        None => Ok(Report { core: report }),
    }
}

/// Compiled rules, built once and shared by every check; thread-safe.
#[pyclass(frozen, module = "kvcsi._kvcsi")]
#[derive(Debug)]
struct Engine {
    core: Arc<kvcsi_core::Engine>,
}

#[pymethods]
impl Engine {
    /// Loads the built-in rules (unless `builtin` is false) and user rules from files or
    /// folders (`rule_paths`) and from `(name, source)` pairs (`rule_texts`). A rule that does
    /// not load raises `RuleError`.
    #[new]
    fn new(
        py: Python<'_>,
        rule_paths: Vec<String>,
        rule_texts: Vec<(String, String)>,
        builtin: bool,
    ) -> PyResult<Self> {
        let built = py.detach(|| {
            let mut sources = fs::rule_sources(&rule_paths)?;
            sources.extend(
                rule_texts
                    .into_iter()
                    .map(|(name, text)| RuleSource::user(name, text)),
            );
            let engine = kvcsi_core::Engine::builder()
                .builtin(builtin)
                .rules(sources)
                .build();
            match engine.rules().errors.first() {
                Some(error) => Err(kvcsi_core::Error::Rule(error.clone())),
                None => Ok(engine),
            }
        });
        let engine = built.map_err(|e| to_py(py, e))?;
        Ok(Self {
            core: Arc::new(engine),
        })
    }

    /// The rule catalogue as JSON (one object per rule, in id order).
    fn catalogue(&self) -> PyResult<String> {
        serde_json::to_string(&self.core.rules().catalogue())
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Checks files, folders and `.tar.gz` bundles, named as the CLI names them.
    fn check_paths(
        &self,
        py: Python<'_>,
        paths: Vec<String>,
        options: &Options,
    ) -> PyResult<Report> {
        let checked = py.detach(|| {
            let sources = fs::expand(&paths)?;
            let mut session = self.core.session(&options.core);
            fs::feed_all(&mut session, &sources)?;
            Ok(session.finish())
        });
        done(py, checked.map_err(|e| to_py(py, e))?, options.strict)
    }

    /// Checks `(name, text or bytes)` pairs held in memory.
    fn check_texts(
        &self,
        py: Python<'_>,
        items: Vec<(String, Bound<'_, PyAny>)>,
        options: &Options,
    ) -> PyResult<Report> {
        let data = items
            .iter()
            .map(|(name, value)| Ok((name.as_str(), chunk(value)?)))
            .collect::<PyResult<Vec<_>>>()?;
        let report = py.detach(|| {
            let mut session = self.core.session(&options.core);
            for (name, bytes) in &data {
                session.feed(name, bytes);
                session.end(name);
            }
            session.finish()
        });
        done(py, report, options.strict)
    }

    /// Starts a streaming check.
    fn session(&self, options: &Options) -> Session {
        Session {
            core: Mutex::new(Some(self.core.session_shared(&options.core))),
            strict: options.strict,
        }
    }
}

/// A streaming check: `feed` chunks by name, then `finish`.
#[pyclass(frozen, module = "kvcsi._kvcsi")]
#[derive(Debug)]
struct Session {
    core: Mutex<Option<kvcsi_core::Session<'static>>>,
    strict: bool,
}

impl Session {
    /// Runs `f` on the open session with the GIL released.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut kvcsi_core::Session<'static>) -> T + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut guard = self.core.lock().unwrap_or_else(PoisonError::into_inner);
            guard.as_mut().map(f)
        })
        .ok_or_else(|| PyValueError::new_err("the session is finished"))
    }
}

#[pymethods]
impl Session {
    /// Feeds a chunk (str or bytes) of the evidence called `name`.
    fn feed(&self, py: Python<'_>, name: &str, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = chunk(data)?;
        self.with(py, |session| session.feed(name, &bytes))
    }

    /// Declares the evidence called `name` complete.
    fn end(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        self.with(py, |session| session.end(name))
    }

    /// Runs the rules and returns the report; the session cannot be fed afterwards.
    fn finish(&self, py: Python<'_>) -> PyResult<Report> {
        let taken = py.detach(|| {
            self.core
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
        });
        let session = taken.ok_or_else(|| PyValueError::new_err("the session is finished"))?;
        done(py, py.detach(|| session.finish()), self.strict)
    }

    /// Whether `finish` was called.
    #[getter]
    fn finished(&self) -> bool {
        self.core
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }
}

/// The result of a check, rendered by the core.
#[pyclass(frozen, module = "kvcsi._kvcsi")]
#[derive(Debug)]
struct Report {
    core: kvcsi_core::Report,
}

#[pymethods]
impl Report {
    /// 0 nothing wrong, 3 an error finding, 4 warnings only, 2 nothing usable in the input.
    #[getter]
    fn exit_status(&self) -> i32 {
        self.core.exit_status()
    }

    /// Pretty JSON, byte-identical to `kvcsi check --format json`.
    fn to_json(&self) -> String {
        self.core.to_json()
    }

    /// Markdown, as `kvcsi check --format markdown`.
    fn to_markdown(&self) -> String {
        markdown::render(&self.core)
    }

    /// HTML: a whole page (`full`) or a fragment for notebooks.
    fn to_html(&self, full: bool) -> String {
        html::render(&self.core, full)
    }

    /// Plain text, as `kvcsi check` prints it (ANSI colour when `colour`).
    fn to_text(&self, colour: bool) -> String {
        text::render(&self.core, colour)
    }

    /// The same report with every text in another language (rules are not run again).
    fn localized(&self, lang: &str) -> PyResult<Report> {
        let lang = Lang::parse(lang).ok_or_else(|| {
            PyValueError::new_err(format!("unknown language {lang:?}; use 'en' or 'ja'"))
        })?;
        Ok(Report {
            core: self.core.localized(lang),
        })
    }
}

#[pymodule]
mod _kvcsi {
    #[pymodule_export]
    use super::errors::{InputError, KvcsiError, LimitExceeded, RuleError, SuppressionError};
    #[pymodule_export]
    use super::{Engine, Options, Report, Session};

    #[pymodule_export]
    #[allow(non_upper_case_globals)]
    const __version__: &str = kvcsi_core::VERSION;
}
