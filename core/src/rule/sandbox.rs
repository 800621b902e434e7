//! The one place the Rhai engine is built and hardened.
//!
//! Starting from a raw engine, every limit is set explicitly (rhai's defaults are unlimited),
//! `eval` and `import` are disabled, there is no module resolver, `print` and `debug` go into
//! the report's diagnostics, the clock is not readable, and three guards run alongside rhai's own
//! checks:
//!
//! - a wall-clock guard in the progress callback (which also works on wasm32, where threads and
//!   signals do not exist);
//! - bounded overloads of the standard functions that can build a result far larger than their
//!   inputs in one call (`replace`, `pad`, `split`, `to_chars`: see `bounded.rs`), because rhai
//!   checks a result's size only after the call has allocated it;
//! - a data guard in the variable-access callback. Rhai checks the size of a value when a
//!   function returns it or a method runs on it, but not when a map grows one `m[key] = value`
//!   at a time, and not across variables. So on every variable access the sandbox checks that
//!   variable's length against the rule limits, and every few accesses it estimates everything
//!   the rule holds in its variables (the facts and matches it was given excluded) against
//!   [`ScriptLimits::max_memory`].
//!
//! With rhai's `sync` feature the engine is `Send + Sync`; the per-call state lives in
//! thread-locals, because one engine serves every thread.

use crate::limits::ScriptLimits;
use rhai::packages::{Package, StandardPackage};
use rhai::{Array, Blob, Dynamic, Engine, EvalAltResult, EvalContext, FnPtr, ImmutableString, Map};
use rhai::{Position, Scope};
use std::cell::{Cell, RefCell};
use web_time::{Duration, Instant};

/// What the guards know about the rule call running on this thread.
#[derive(Debug)]
struct Guard {
    /// When the call must stop.
    deadline: Instant,
    /// Addresses of the maps the host passed in (the matches): not the rule's own data.
    host: Vec<usize>,
    /// Variable accesses until the next memory estimate.
    until_scan: u32,
    /// When the last memory estimate ended, and how long it took.
    last_scan: (Instant, Duration),
    /// Accesses of each shared variable (few: only closures make them).
    shared: Vec<(String, u32)>,
}

thread_local! {
    /// The guard of the rule call running on this thread, if any.
    static GUARD: RefCell<Option<Guard>> = const { RefCell::new(None) };
    /// What the running rule printed.
    static OUTPUT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Whether the wall clock expired (read by the runner to name the limit).
    static EXPIRED: Cell<bool> = const { Cell::new(false) };
}

/// The value the progress callback returns when the wall-clock limit is hit; the runner turns
/// it into the `rule-limit-wall-clock` diagnostic.
pub const WALL_CLOCK_TOKEN: &str = "kvcsi:wall-clock";

/// Error texts of the data guard; [`super::run::limit_code`] maps them to diagnostic codes.
pub(crate) const STRING_TOO_LARGE: &str = "Length of string";
pub(crate) const ARRAY_TOO_LARGE: &str = "Size of array/BLOB";
pub(crate) const MAP_TOO_LARGE: &str = "Size of object map";
pub(crate) const MEMORY_TOO_LARGE: &str = "Memory held by the rule's variables";
pub(crate) const NESTING_TOO_DEEP: &str = "Nesting depth of data";

/// Most lines of `print`/`debug` output kept per rule call.
const MAX_OUTPUT_LINES: usize = 20;
/// Operations between two readings of the clock.
const CLOCK_EVERY: u64 = 128;
/// Variable accesses between two memory estimates.
const SCAN_EVERY: u32 = 32;
/// A memory estimate waits until this many times its last duration has passed since it ended,
/// so measuring costs a rule at most a tenth of its time however much data it holds.
const SCAN_SPACING: u32 = 9;
/// Deepest nesting of arrays and maps the memory estimate follows (real data nests a few
/// levels; a value built as `a = [a]` in a loop nests as deep as the loop runs).
const MAX_NESTING: usize = 64;

/// Bytes the memory estimate counts for a value's slot (rhai's `Dynamic` is 16 bytes).
const SLOT: usize = 16;

/// The rule limits the data guard enforces, copied out of [`ScriptLimits`].
#[derive(Debug, Clone, Copy)]
struct DataLimits {
    string: usize,
    array: usize,
    map: usize,
    memory: usize,
}

/// Builds the sandboxed engine with the host API registered.
pub fn engine(limits: &ScriptLimits) -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(StandardPackage::new().as_shared_module());
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth.0, limits.max_expr_depth.1)
        .set_max_string_size(limits.max_value_string_size.max(limits.max_string_size))
        .set_max_array_size(limits.max_value_items.max(limits.max_array_size))
        .set_max_map_size(limits.max_value_items.max(limits.max_map_size))
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
        if operations % CLOCK_EVERY != 0 {
            return None;
        }
        expired().then(|| Dynamic::from(WALL_CLOCK_TOKEN.to_owned()))
    });
    let data = DataLimits {
        string: limits.max_string_size,
        array: limits.max_array_size,
        map: limits.max_map_size,
        memory: limits.max_memory,
    };
    // `on_var` is marked volatile (not deprecated) by rhai; it is the only hook that sees the
    // rule's variables while it runs.
    #[allow(deprecated)]
    engine.on_var(move |name, _index, context| {
        data_guard(name, &context, data)?;
        Ok(None)
    });
    super::bounded::register(&mut engine);
    super::host::register(&mut engine);
    super::view::register(&mut engine);
    super::lookup::register(&mut engine);
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

fn expired() -> bool {
    let expired = GUARD.with(|g| {
        g.borrow()
            .as_ref()
            .is_some_and(|g| Instant::now() >= g.deadline)
    });
    if expired {
        EXPIRED.with(|e| e.set(true));
    }
    expired
}

pub(super) fn too_large(what: &str) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorDataTooLarge(
        what.to_owned(),
        Position::NONE,
    ))
}

/// The length checks of one value against the rule limits (its own length, not its contents').
fn check_length(value: &Dynamic, limits: DataLimits) -> Result<(), Box<EvalAltResult>> {
    if let Some(s) = value.read_lock::<ImmutableString>() {
        if s.len() > limits.string {
            return Err(too_large(STRING_TOO_LARGE));
        }
    } else if let Some(a) = value.read_lock::<Array>() {
        if a.len() > limits.array {
            return Err(too_large(ARRAY_TOO_LARGE));
        }
    } else if let Some(m) = value.read_lock::<Map>() {
        if m.len() > limits.map {
            return Err(too_large(MAP_TOO_LARGE));
        }
    } else if let Some(b) = value.read_lock::<Blob>() {
        if b.len() > limits.array {
            return Err(too_large(ARRAY_TOO_LARGE));
        }
    } else if let Some(f) = value.read_lock::<super::SharedFacts>() {
        if f.own().len() > limits.map {
            return Err(too_large(MAP_TOO_LARGE));
        }
    }
    Ok(())
}

/// The address of a map value, to recognise the host's maps in the scope.
fn map_address(value: &Dynamic) -> Option<usize> {
    value
        .read_lock::<Map>()
        .map(|m| std::ptr::from_ref::<Map>(&m) as usize)
}

/// An estimate of the bytes a value holds; `Err` when it nests deeper than [`MAX_NESTING`].
fn estimate(value: &Dynamic, depth: usize) -> Result<usize, ()> {
    if depth > MAX_NESTING {
        return Err(());
    }
    if let Some(s) = value.read_lock::<ImmutableString>() {
        return Ok(SLOT + s.len());
    }
    if let Some(a) = value.read_lock::<Array>() {
        let mut total = SLOT;
        for item in a.iter() {
            total = total.saturating_add(estimate(item, depth + 1)?);
        }
        return Ok(total);
    }
    if let Some(m) = value.read_lock::<Map>() {
        return estimate_map(&m, depth);
    }
    // The shared facts are the host's; what a rule set on its view is its own.
    if let Some(f) = value.read_lock::<super::SharedFacts>() {
        return estimate_map(f.own(), depth);
    }
    if let Some(b) = value.read_lock::<Blob>() {
        return Ok(SLOT + b.len());
    }
    if let Some(p) = value.read_lock::<super::lookup::Places>() {
        return Ok(SLOT + p.bytes());
    }
    if let Some(c) = value.read_lock::<super::lookup::PodContexts>() {
        return Ok(SLOT + c.bytes());
    }
    if let Some(f) = value.read_lock::<FnPtr>() {
        let mut total = SLOT + f.fn_name().len();
        for item in f.iter_curry() {
            total = total.saturating_add(estimate(item, depth + 1)?);
        }
        return Ok(total);
    }
    Ok(SLOT)
}

fn estimate_map(map: &Map, depth: usize) -> Result<usize, ()> {
    let mut total = SLOT;
    for (key, item) in map.iter() {
        total = total
            .saturating_add(2 * SLOT + key.len())
            .saturating_add(estimate(item, depth + 1)?);
    }
    Ok(total)
}

/// An estimate of the bytes a value holds, however deep it nests.
pub(super) fn estimate_bytes(value: &Dynamic) -> usize {
    estimate(value, 0).unwrap_or(usize::MAX)
}

/// What the rule holds in its variables, the host's maps excluded.
fn held(scope: &Scope<'_>, host: &[usize]) -> Result<usize, Box<EvalAltResult>> {
    let mut total = 0usize;
    for (_, _, value) in scope.iter_raw() {
        if map_address(value).is_some_and(|a| host.contains(&a)) {
            continue;
        }
        // A value shared with a closure may be locked by the running statement, and waiting
        // for a lock is not possible everywhere (wasm32 cannot sleep): such values are
        // estimated when they are accessed instead (see `data_guard`).
        if value.is_shared() {
            continue;
        }
        let size = estimate(value, 0).map_err(|()| too_large(NESTING_TOO_DEEP))?;
        total = total.saturating_add(size);
    }
    Ok(total)
}

/// Whether a shared variable (one a closure captured) is due for a memory estimate: every
/// [`SCAN_EVERY`] accesses of it.
fn shared_estimate_due(name: &str) -> bool {
    GUARD.with(|g| {
        let mut g = g.borrow_mut();
        let Some(guard) = g.as_mut() else {
            return false;
        };
        let count = match guard.shared.iter_mut().find(|(n, _)| n == name) {
            Some((_, count)) => count,
            None => {
                guard.shared.push((name.to_owned(), 0));
                match guard.shared.last_mut() {
                    Some((_, count)) => count,
                    None => return false,
                }
            }
        };
        *count += 1;
        *count % SCAN_EVERY == 0
    })
}

/// Called on every variable access: checks the variable, and now and then all of them.
fn data_guard(
    name: &str,
    context: &EvalContext<'_, '_, '_, '_, '_, '_>,
    limits: DataLimits,
) -> Result<(), Box<EvalAltResult>> {
    let scope = context.scope();
    if let Some(value) = scope.get(name) {
        // Reading the variable is what rhai does next; a shared one is read the same way.
        check_length(value, limits)?;
        if value.is_shared() && shared_estimate_due(name) {
            let size = estimate(value, 0).map_err(|()| too_large(NESTING_TOO_DEEP))?;
            if size > limits.memory {
                return Err(too_large(MEMORY_TOO_LARGE));
            }
        }
    }
    let scan = GUARD.with(|g| {
        let mut g = g.borrow_mut();
        let guard = g.as_mut()?;
        guard.until_scan = guard.until_scan.saturating_sub(1);
        if guard.until_scan > 0 {
            return None;
        }
        guard.until_scan = SCAN_EVERY;
        let (ended, took) = guard.last_scan;
        (ended.elapsed() >= took * SCAN_SPACING).then(|| guard.host.clone())
    });
    if let Some(host) = scan {
        let started = Instant::now();
        let held = held(scope, &host);
        GUARD.with(|g| {
            if let Some(guard) = g.borrow_mut().as_mut() {
                guard.last_scan = (Instant::now(), started.elapsed());
            }
        });
        if held? > limits.memory {
            return Err(too_large(MEMORY_TOO_LARGE));
        }
        if expired() {
            return Err(Box::new(EvalAltResult::ErrorTerminated(
                Dynamic::from(WALL_CLOCK_TOKEN.to_owned()),
                Position::NONE,
            )));
        }
    }
    Ok(())
}

/// The addresses of the host's maps (a rule's matches) as the data guard recognises them.
/// Moving a value keeps its address, so take them from the very values passed to the rule.
pub fn host_addresses(values: &[&Dynamic]) -> Vec<usize> {
    values.iter().filter_map(|v| map_address(v)).collect()
}

/// Runs `f` with the guards armed; returns its result and what the script printed. `host` are
/// the addresses of the values the host passes in (see [`host_addresses`]): they are not
/// counted as the rule's memory.
pub fn guarded<T>(
    limits: &ScriptLimits,
    host: Vec<usize>,
    f: impl FnOnce() -> T,
) -> (T, Vec<String>) {
    let guard = Guard {
        deadline: Instant::now() + limits.wall_clock,
        host,
        until_scan: SCAN_EVERY,
        last_scan: (Instant::now(), Duration::ZERO),
        shared: Vec::new(),
    };
    GUARD.with(|g| *g.borrow_mut() = Some(guard));
    OUTPUT.with(|o| o.borrow_mut().clear());
    EXPIRED.with(|e| e.set(false));
    let result = f();
    GUARD.with(|g| *g.borrow_mut() = None);
    let output = OUTPUT.with(|o| std::mem::take(&mut *o.borrow_mut()));
    (result, output)
}

/// Whether the last guarded call ran out of wall-clock time.
pub fn wall_clock_expired() -> bool {
    EXPIRED.with(Cell::get)
}
