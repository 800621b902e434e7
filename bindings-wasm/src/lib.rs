//! kvcsi-wasm: the kvcsi core for JavaScript (browsers, Web Workers and Node).
//!
//! A thin layer: JS values become [`kvcsi_core::Evidence`] chunks, options and rule sources;
//! reports come back as the CLI's JSON (`Report::to_json`, parsed with `JSON.parse`), so a
//! report is byte for byte what `kvcsi check --format json` prints for the same inputs and
//! names. Every rule, parser and renderer lives in the core.
//!
//! Exports (see the TypeScript section in [`ts`]): `check`, `Session`, `render`, `localize`,
//! `exitStatus`, `rules`, `version`. Errors are real JS `Error`s whose `name` says the kind.

// Unsafe code is forbidden here as in the workspace lints: evidence and rules are hostile, and
// memory safety is what keeps them contained (see docs/security.md).
#![forbid(unsafe_code)]

mod engines;
mod errors;
mod inputs;
mod reports;
mod ts;

use errors::{error, ErrorKind};
use kvcsi_core::report::{html, markdown, text};
use kvcsi_core::{Lang, Report};
use wasm_bindgen::prelude::*;

/// Largest piece handed to the core at once; chunks above it are copied through the session's
/// scratch buffer in pieces, so the wasm memory a feed needs does not depend on the chunk size.
/// The core holds about twice a piece while a stream is in document mode (the piece and the
/// line it ends in), so a quarter of a MiB keeps that small; reports do not depend on how the
/// evidence is cut into pieces, and larger pieces were not measurably faster.
const SCRATCH: usize = 256 << 10;

/// Checks evidence held in memory and returns the report (the CLI's JSON, as an object).
#[wasm_bindgen(unchecked_return_type = "Report")]
pub fn check(
    #[wasm_bindgen(unchecked_param_type = "Input[]")] inputs: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Options")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options = inputs::options(options.as_ref())?;
    let evidence = inputs::evidence(&inputs)?;
    let report = engines::with_engine(options.builtin, &options.rules, |engine| {
        let mut session = engine.session(&options.core);
        for item in &evidence {
            session.feed(&item.name, &item.bytes);
            session.end(&item.name);
        }
        session.finish()
    });
    reports::to_js(report)
}

/// A streaming check: feed named chunks of any size, then `finish()`. Memory stays bounded
/// however much is fed (the core keeps at most a few MiB per stream).
#[wasm_bindgen]
#[derive(Debug)]
pub struct Session {
    inner: Option<kvcsi_core::Session<'static>>,
    scratch: Vec<u8>,
}

#[wasm_bindgen]
impl Session {
    /// Starts a check with these options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "Options")] options: Option<JsValue>,
    ) -> Result<Session, JsValue> {
        let options = inputs::options(options.as_ref())?;
        let engine = engines::engine(options.builtin, &options.rules);
        Ok(Session {
            inner: Some(engine.session(&options.core)),
            scratch: Vec::new(),
        })
    }

    /// Feeds a chunk of the evidence `name` (a `Uint8Array`, an `ArrayBuffer` or a string).
    /// Chunks of one name are concatenated; names may interleave.
    pub fn feed(
        &mut self,
        name: &str,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | string")] chunk: JsValue,
    ) -> Result<(), JsValue> {
        let session = self.inner.as_mut().ok_or_else(finished)?;
        if let Some(text) = chunk.as_string() {
            session.feed(name, text.as_bytes());
            return Ok(());
        }
        let bytes = inputs::bytes(&chunk).ok_or_else(|| {
            error(
                ErrorKind::Input,
                format!(
                    "feed({name:?}, chunk): chunk must be a Uint8Array, an ArrayBuffer or a string"
                ),
            )
        })?;
        let total = bytes.length();
        if total == 0 {
            session.feed(name, &[]);
            return Ok(());
        }
        let mut start = 0u32;
        while start < total {
            let end = total.min(start.saturating_add(SCRATCH as u32));
            let len = (end - start) as usize;
            self.scratch.resize(len, 0);
            bytes.subarray(start, end).copy_to(&mut self.scratch);
            session.feed(name, &self.scratch);
            start = end;
        }
        Ok(())
    }

    /// Declares the evidence `name` complete (optional; `finish` ends every stream).
    pub fn end(&mut self, name: &str) -> Result<(), JsValue> {
        self.inner.as_mut().ok_or_else(finished)?.end(name);
        Ok(())
    }

    /// Ends every stream, runs the rules and returns the report. A session finishes once.
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        let session = self.inner.take().ok_or_else(finished)?;
        self.scratch = Vec::new();
        reports::to_js(session.finish())
    }
}

fn finished() -> JsValue {
    error(
        ErrorKind::Session,
        "this session has finished; start a new Session",
    )
}

/// Output formats of [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Markdown,
    Html,
    Text,
}

impl Format {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "json" => Some(Self::Json),
            "markdown" | "md" => Some(Self::Markdown),
            "html" => Some(Self::Html),
            "text" => Some(Self::Text),
            _ => None,
        }
    }

    fn render(self, report: &Report) -> String {
        match self {
            Self::Json => report.to_json(),
            Self::Markdown => markdown::render(report),
            Self::Html => html::render(report, true),
            Self::Text => text::render(report, false),
        }
    }
}

fn lang_arg(lang: Option<String>) -> Result<Option<Lang>, JsValue> {
    lang.map(|l| {
        Lang::parse(&l).ok_or_else(|| {
            error(
                ErrorKind::Options,
                format!("unknown language {l:?}: use \"en\" or \"ja\""),
            )
        })
    })
    .transpose()
}

/// Renders a report made by `check` or `Session.finish` with the core's renderers: `json`
/// (exactly the CLI's `--format json`), `markdown`, `html` (a self-contained page) or `text`;
/// in `lang` when given (re-rendered without running the rules again).
#[wasm_bindgen]
pub fn render(
    #[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Format")] format: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<String>,
) -> Result<String, JsValue> {
    let format = Format::parse(format).ok_or_else(|| {
        error(
            ErrorKind::Options,
            format!("unknown format {format:?}: use \"json\", \"markdown\", \"html\" or \"text\""),
        )
    })?;
    let lang = lang_arg(lang)?;
    reports::with(&report, |r| match lang {
        Some(l) if l != r.lang => format.render(&r.localized(l)),
        _ => format.render(r),
    })
}

/// The same report in another language (texts re-rendered, rules not run again).
#[wasm_bindgen(unchecked_return_type = "Report")]
pub fn localize(
    #[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Lang")] lang: String,
) -> Result<JsValue, JsValue> {
    let lang = lang_arg(Some(lang))?.unwrap_or_default();
    let localized = reports::with(&report, |r| r.localized(lang))?;
    reports::to_js(localized)
}

/// The CLI's exit status for a report: 0 nothing wrong, 3 an error finding, 4 warnings only,
/// 2 nothing usable in the input.
#[wasm_bindgen(js_name = exitStatus)]
pub fn exit_status(
    #[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue,
) -> Result<i32, JsValue> {
    reports::with(&report, Report::exit_status)
}

/// The rule catalogue (built-in rules, plus custom ones from `options.rules`), as
/// `kvcsi rules list --json` prints it, with each rule's origin.
#[wasm_bindgen(unchecked_return_type = "RuleInfo[]")]
pub fn rules(
    #[wasm_bindgen(unchecked_optional_param_type = "Options")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options = inputs::options(options.as_ref())?;
    let json = engines::with_engine(options.builtin, &options.rules, engines::catalogue);
    js_sys::JSON::parse(&json)
}

/// A line of evidence as the report shows evidence: ANSI escapes stripped and, when `redact` is
/// true (the report's `redacted`), credentials replaced. For showing lines around the evidence.
#[wasm_bindgen(js_name = displayLine)]
pub fn display_line(text: &str, redact: bool) -> String {
    let plain = kvcsi_core::text::normalize::strip_ansi(text);
    if redact {
        kvcsi_core::text::redact::redact(&plain).into_owned()
    } else {
        plain.into_owned()
    }
}

/// The size of this instance's WebAssembly memory in bytes. Linear memory grows and never
/// shrinks, so this is also the peak: tests and the page watch it stay flat however much is fed.
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    let pages = core::arch::wasm32::memory_size::<0>();
    #[cfg(not(target_arch = "wasm32"))]
    let pages = 0usize;
    (pages as f64) * 65536.0
}

/// The kvcsi version of this build.
#[wasm_bindgen]
pub fn version() -> String {
    kvcsi_core::VERSION.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kvcsi_core::{Evidence, Options};

    #[test]
    fn formats_parse_and_render_with_the_core_renderers() {
        let engine = engines::engine(true, &[]);
        let report = engine.check(
            &[Evidence::new("describe.txt", "nothing to see here\n")],
            &Options::default(),
        );
        assert_eq!(Format::parse("md"), Some(Format::Markdown));
        assert_eq!(Format::parse("pdf"), None);
        assert_eq!(Format::Json.render(&report), report.to_json());
        assert!(Format::Html.render(&report).starts_with("<!DOCTYPE html>"));
        assert!(Format::Markdown
            .render(&report)
            .starts_with("# kvcsi report"));
        assert!(!Format::Text.render(&report).contains('\u{1b}'));
        assert_eq!(display_line("\u{1b}[31mred\u{1b}[0m", false), "red");
    }
}
