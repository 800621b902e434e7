//! Reports cross into JS as the CLI's JSON (`JSON.parse(report.to_json())`), so every field is
//! plain data and `JSON.stringify(report, null, 2)` gives the CLI's bytes back. `render`,
//! `localize` and `exitStatus` need the core `Report` behind the object (it remembers what it was
//! built from, to re-render in another language): each report object carries its id under a
//! non-enumerable `Symbol.for("kvcsi.report")` key, invisible to JSON and to object comparison,
//! and the core report is dropped when the object is garbage-collected (FinalizationRegistry).

use crate::errors::{error, ErrorKind};
use js_sys::{FinalizationRegistry, Object, Reflect, Symbol, JSON};
use kvcsi_core::Report;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Reports kept at most when the environment lacks `FinalizationRegistry` (so nothing tells
/// when a report object is gone): beyond it the oldest can no longer be re-rendered.
const MAX_KEPT: usize = 256;

thread_local! {
    static REPORTS: RefCell<BTreeMap<u32, Report>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
    static FINALIZER: Option<FinalizationRegistry> = finalizer();
}

fn finalizer() -> Option<FinalizationRegistry> {
    let global = js_sys::global();
    let available = Reflect::get(&global, &JsValue::from_str("FinalizationRegistry"))
        .ok()
        .is_some_and(|f| f.is_function());
    if !available {
        return None;
    }
    let cleanup = Closure::<dyn FnMut(JsValue)>::new(|held: JsValue| {
        if let Some(id) = held.as_f64() {
            REPORTS.with(|r| r.borrow_mut().remove(&(id as u32)));
        }
    });
    let function: js_sys::Function = cleanup.into_js_value().unchecked_into();
    Some(FinalizationRegistry::new(function.unchecked_ref()))
}

fn key() -> JsValue {
    Symbol::for_("kvcsi.report").into()
}

/// The report as a JS object tied to the core report.
pub fn to_js(report: Report) -> Result<JsValue, JsValue> {
    let object = JSON::parse(&report.to_json())?;
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    });
    let collected = FINALIZER.with(Option::is_some);
    REPORTS.with(|r| {
        let mut reports = r.borrow_mut();
        reports.insert(id, report);
        while !collected && reports.len() > MAX_KEPT {
            reports.pop_first();
        }
    });
    let descriptor = Object::new();
    Reflect::set(&descriptor, &JsValue::from_str("value"), &JsValue::from(id))?;
    let target: &Object = object.unchecked_ref();
    Reflect::define_property(target, &key(), &descriptor)?;
    FINALIZER.with(|f| {
        if let Some(registry) = f {
            registry.register(&object, &JsValue::from(id));
        }
    });
    Ok(object)
}

/// Runs `f` on the core report behind a report object.
pub fn with<T>(value: &JsValue, f: impl FnOnce(&Report) -> T) -> Result<T, JsValue> {
    let stale = || {
        error(
            ErrorKind::Report,
            "not a report made by this kvcsi module: pass the object check() or \
             Session.finish() returned (a copy, e.g. through postMessage or JSON, cannot be \
             re-rendered)",
        )
    };
    if !value.is_object() {
        return Err(stale());
    }
    let id = Reflect::get(value, &key())?.as_f64().ok_or_else(stale)? as u32;
    REPORTS
        .with(|r| r.borrow().get(&id).map(f))
        .ok_or_else(stale)
}
