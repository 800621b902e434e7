//! The one place the Rhai engine is built and hardened.
//!
//! Starting from a raw engine, every limit is set explicitly (rhai's defaults are unlimited),
//! `eval` and `import` are disabled, there is no module resolver, `print` and `debug` go into
//! the report's diagnostics, and a wall-clock guard runs through the progress callback, which
//! also works on wasm32. With rhai's `sync` feature the engine is `Send + Sync`.

use crate::limits::ScriptLimits;
use rhai::packages::{Package, StandardPackage};
use rhai::{Dynamic, Engine};
use std::cell::{Cell, RefCell};
use web_time::Instant;

thread_local! {
    /// When the rule running on this thread must stop.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// What the running rule printed.
    static OUTPUT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// The value the progress callback returns when the wall-clock limit is hit; the runner turns
/// it into the `rule-limit-wall-clock` diagnostic.
pub const WALL_CLOCK_TOKEN: &str = "kvcsi:wall-clock";

/// Most lines of `print`/`debug` output kept per rule call.
const MAX_OUTPUT_LINES: usize = 20;

/// Builds the sandboxed engine with the host API registered.
pub fn engine(limits: &ScriptLimits) -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(StandardPackage::new().as_shared_module());
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth.0, limits.max_expr_depth.1)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_functions(limits.max_functions)
        .set_max_variables(limits.max_variables)
        .set_max_modules(0)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(false);
    engine.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    engine.disable_symbol("eval");
    engine.disable_symbol("import");
    engine.on_print(|text| capture(format!("print: {text}")));
    engine.on_debug(|text, _source, position| capture(format!("debug at {position}: {text}")));
    engine.on_progress(|operations| {
        // Reading the clock every operation would cost more than the rules themselves.
        if operations % 512 != 0 {
            return None;
        }
        let expired = DEADLINE.with(|d| d.get().is_some_and(|deadline| Instant::now() >= deadline));
        expired.then(|| Dynamic::from(WALL_CLOCK_TOKEN.to_owned()))
    });
    super::host::register(&mut engine);
    engine
}

fn capture(line: String) {
    OUTPUT.with(|output| {
        let mut output = output.borrow_mut();
        if output.len() < MAX_OUTPUT_LINES {
            output.push(crate::facts::cap_text(&line, 500));
        }
    });
}

/// Runs `f` with the wall-clock guard armed; returns its result and what the script printed.
pub fn guarded<T>(limits: &ScriptLimits, f: impl FnOnce() -> T) -> (T, Vec<String>) {
    DEADLINE.with(|d| d.set(Some(Instant::now() + limits.wall_clock)));
    OUTPUT.with(|o| o.borrow_mut().clear());
    let result = f();
    DEADLINE.with(|d| d.set(None));
    let output = OUTPUT.with(|o| std::mem::take(&mut *o.borrow_mut()));
    (result, output)
}
