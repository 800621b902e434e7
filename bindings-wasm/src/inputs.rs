//! Reading JS values: options, inputs and byte chunks. Strict on purpose: an unknown option or a
//! wrongly typed field is an `OptionsError`/`InputError`, never silently ignored.

use crate::errors::{error, from_core, ErrorKind};
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use kvcsi_core::report::SuppressionList;
use kvcsi_core::{Evidence, Lang, Options, RuleSource};
use wasm_bindgen::{JsCast, JsValue};

/// Options of a check, read from JS.
#[derive(Debug)]
pub struct CheckOptions {
    /// Options for the core session.
    pub core: Options,
    /// Load the built-in rules.
    pub builtin: bool,
    /// Custom rules.
    pub rules: Vec<RuleSource>,
}

const OPTION_KEYS: [&str; 5] = ["lang", "rules", "builtin", "suppress", "redact"];

fn get(object: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    Reflect::get(object, &JsValue::from_str(key))
}

fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

fn option_error(message: String) -> JsValue {
    error(ErrorKind::Options, message)
}

fn string_field(object: &JsValue, key: &str, what: &str) -> Result<String, JsValue> {
    get(object, key)?
        .as_string()
        .ok_or_else(|| option_error(format!("{what}.{key} must be a string")))
}

/// Reads `options` (undefined or null means the defaults).
pub fn options(value: Option<&JsValue>) -> Result<CheckOptions, JsValue> {
    let mut out = CheckOptions {
        core: Options::default(),
        builtin: true,
        rules: Vec::new(),
    };
    let Some(value) = value.filter(|v| !absent(v)) else {
        return Ok(out);
    };
    if !value.is_object() || Array::is_array(value) {
        return Err(option_error(
            "options must be an object such as { lang: \"ja\" }".to_owned(),
        ));
    }
    for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !OPTION_KEYS.contains(&key.as_str()) {
            return Err(option_error(format!(
                "unknown option {key:?}; the options are {}",
                OPTION_KEYS.join(", ")
            )));
        }
    }
    let lang = get(value, "lang")?;
    if !absent(&lang) {
        let text = lang.as_string().unwrap_or_default();
        out.core.lang = Lang::parse(&text).ok_or_else(|| {
            option_error(format!(
                "options.lang must be \"en\" or \"ja\", not {text:?}"
            ))
        })?;
    }
    for (key, slot) in [
        ("builtin", &mut out.builtin),
        ("redact", &mut out.core.redact),
    ] {
        let flag = get(value, key)?;
        if !absent(&flag) {
            *slot = flag
                .as_bool()
                .ok_or_else(|| option_error(format!("options.{key} must be a boolean")))?;
        }
    }
    let rules = get(value, "rules")?;
    if !absent(&rules) {
        if !Array::is_array(&rules) {
            return Err(option_error(
                "options.rules must be an array of { name, source }".to_owned(),
            ));
        }
        for (index, rule) in rules.unchecked_ref::<Array>().iter().enumerate() {
            let what = format!("options.rules[{index}]");
            if !rule.is_object() {
                return Err(option_error(format!("{what} must be {{ name, source }}")));
            }
            let name = string_field(&rule, "name", &what)?;
            let source = string_field(&rule, "source", &what)?;
            out.rules.push(RuleSource::user(name, source));
        }
    }
    let suppress = get(value, "suppress")?;
    if !absent(&suppress) {
        let (name, text) = match suppress.as_string() {
            Some(text) => (".kvcsi-ignore".to_owned(), text),
            None if suppress.is_object() => (
                string_field(&suppress, "name", "options.suppress")?,
                string_field(&suppress, "text", "options.suppress")?,
            ),
            None => {
                return Err(option_error(
                    "options.suppress must be the text of a suppression list or { name, text }"
                        .to_owned(),
                ))
            }
        };
        out.core.suppressions = SuppressionList::parse(&name, &text).map_err(|e| from_core(&e))?;
    }
    Ok(out)
}

/// The bytes of a `Uint8Array` (Node `Buffer` included) or an `ArrayBuffer`.
pub fn bytes(value: &JsValue) -> Option<Uint8Array> {
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        return Some(array.clone());
    }
    value
        .dyn_ref::<ArrayBuffer>()
        .map(|buffer| Uint8Array::new(buffer))
}

fn input_error(message: String) -> JsValue {
    error(ErrorKind::Input, message)
}

/// Reads `inputs`: an array of `{ name, text }` or `{ name, bytes }`.
pub fn evidence(value: &JsValue) -> Result<Vec<Evidence>, JsValue> {
    if !Array::is_array(value) {
        return Err(input_error(
            "inputs must be an array of { name, text } or { name, bytes }".to_owned(),
        ));
    }
    let mut out = Vec::new();
    for (index, item) in value.unchecked_ref::<Array>().iter().enumerate() {
        let what = format!("inputs[{index}]");
        if !item.is_object() {
            return Err(input_error(format!(
                "{what} must be {{ name, text }} or {{ name, bytes }}"
            )));
        }
        let name = get(&item, "name")?
            .as_string()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| input_error(format!("{what}.name must be a non-empty string")))?;
        let text = get(&item, "text")?;
        let data = get(&item, "bytes")?;
        let bytes = match (absent(&text), absent(&data)) {
            (false, true) => text
                .as_string()
                .ok_or_else(|| input_error(format!("{what}.text must be a string")))?
                .into_bytes(),
            (true, false) => bytes(&data)
                .ok_or_else(|| {
                    input_error(format!(
                        "{what}.bytes must be a Uint8Array or an ArrayBuffer"
                    ))
                })?
                .to_vec(),
            _ => {
                return Err(input_error(format!(
                    "{what} ({name}) needs exactly one of text and bytes"
                )))
            }
        };
        out.push(Evidence::new(name, bytes));
    }
    Ok(out)
}
