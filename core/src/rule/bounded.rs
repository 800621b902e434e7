//! Bounded overloads of the rhai standard functions whose result can be far larger than their
//! inputs.
//!
//! Rhai checks the size of a value only once a native function has returned it, so one call
//! that builds a huge result allocates it first: `s.replace("", s)` on a 512 KiB string asks for
//! terabytes and aborts the process before any check runs. Functions registered on the engine are
//! found before the standard package's of the same name and parameter types, so these overloads
//! take their place. Each computes the size of its result first and fails with the error rhai
//! would have raised after the call (the same texts, so the same diagnostic codes), and otherwise
//! does what rhai 1.27 does (`packages/string_more.rs`), special cases included.
//!
//! The other standard functions were checked against rhai's source: `blob(n)`, `blob(n, v)` and
//! the `pad` of arrays and BLOBs check their size before allocating; `sub_string`, `extract`,
//! `crop` and `split(index)` return at most their input; `+`, `+=`, `to_upper`, `to_string` and
//! `to_debug` build at most a few times the data they are given, whose size rhai has checked.

use super::sandbox::{too_large, ARRAY_TOO_LARGE, STRING_TOO_LARGE};
use rhai::{Array, Dynamic, Engine, EvalAltResult, FuncRegistration, ImmutableString};
use rhai::{NativeCallContext, INT};

type Checked<T> = Result<T, Box<EvalAltResult>>;

/// Fails when a string of `bytes` would exceed the engine's string ceiling.
fn check_string(ctx: &NativeCallContext, bytes: usize) -> Checked<()> {
    let max = ctx.engine().max_string_size();
    if max > 0 && bytes > max {
        return Err(too_large(STRING_TOO_LARGE));
    }
    Ok(())
}

/// Fails when an array of `items` would exceed the engine's array ceiling.
fn check_items(ctx: &NativeCallContext, items: usize) -> Checked<()> {
    let max = ctx.engine().max_array_size();
    if max > 0 && items > max {
        return Err(too_large(ARRAY_TOO_LARGE));
    }
    Ok(())
}

/// `string.replace(find, with)` as rhai does it, with the result's length computed first.
fn replace(
    ctx: &NativeCallContext,
    string: &mut ImmutableString,
    find: &str,
    with: &str,
) -> Checked<()> {
    if string.is_empty() {
        return Ok(());
    }
    // Only a longer replacement can grow the string; an empty `find` matches at every character
    // boundary, which is how one call multiplies the length by the replacement's.
    if with.len() > find.len() {
        let count = string.matches(find).count();
        let bytes = (with.len() - find.len())
            .saturating_mul(count)
            .saturating_add(string.len());
        check_string(ctx, bytes)?;
    }
    *string = string.replace(find, with).into();
    Ok(())
}

/// `string.pad(len, padding)` as rhai does it, with the result's length computed first.
fn pad(
    ctx: &NativeCallContext,
    string: &mut ImmutableString,
    len: INT,
    padding: &str,
) -> Checked<()> {
    if len <= 0 {
        return Ok(());
    }
    let Ok(len) = usize::try_from(len) else {
        return Err(too_large(STRING_TOO_LARGE));
    };
    // Rhai compares the length in characters with the byte ceiling before padding.
    check_string(ctx, len)?;
    let chars = string.chars().count();
    if len <= chars {
        return Ok(());
    }
    let padding_chars = padding.chars().count();
    if padding_chars == 0 {
        // Rhai pads with an empty string forever, out of reach of every limit.
        return Err("pad: the padding is empty, so the string can never reach the length".into());
    }
    let missing = len - chars;
    let whole = missing / padding_chars;
    let rest: usize = padding
        .chars()
        .take(missing % padding_chars)
        .map(char::len_utf8)
        .sum();
    let bytes = whole
        .saturating_mul(padding.len())
        .saturating_add(rest)
        .saturating_add(string.len());
    check_string(ctx, bytes)?;
    let p = string.make_mut();
    for _ in 0..whole {
        p.push_str(padding);
    }
    p.extend(padding.chars().take(missing % padding_chars));
    Ok(())
}

/// The array of `pieces`, counted before any is allocated: splitting a long string at every
/// character makes an array sixteen times its size or more.
fn pieces<'a, I>(ctx: &NativeCallContext, pieces: impl Fn() -> I) -> Checked<Array>
where
    I: Iterator<Item = &'a str>,
{
    check_items(ctx, pieces().count())?;
    Ok(pieces().map(Into::into).collect())
}

/// `segments` as rhai reads it: at most this many pieces.
fn segments(segments: INT) -> usize {
    usize::try_from(segments).unwrap_or(usize::MAX)
}

/// Registers a method with rhai's parameter names and a one-line doc.
macro_rules! method {
    ($engine:expr, $name:expr, $pure:expr, [$($param:expr),*], $doc:expr, $f:expr) => {
        FuncRegistration::new($name)
            .with_purity($pure)
            .with_params_info([$($param),*])
            .with_comments([$doc])
            .register_into_engine($engine, $f);
    };
}

/// Registers the bounded overloads on `engine`.
pub fn register(engine: &mut Engine) {
    register_replace(engine);
    register_pad(engine);
    register_split(engine);
}

fn register_replace(engine: &mut Engine) {
    const DOC: &str = "/// Replace all occurrences of `find` in the string with `with` (rhai's, bounded: fails\n/// before building a string over the size limit).";
    method!(
        engine,
        "replace",
        false,
        ["string: String", "find: String", "with: String", "()"],
        DOC,
        |ctx: NativeCallContext,
         s: &mut ImmutableString,
         find: ImmutableString,
         with: ImmutableString| { replace(&ctx, s, &find, &with) }
    );
    method!(
        engine,
        "replace",
        false,
        ["string: String", "find: String", "with: char", "()"],
        DOC,
        |ctx: NativeCallContext, s: &mut ImmutableString, find: ImmutableString, with: char| {
            replace(&ctx, s, &find, &with.to_string())
        }
    );
    method!(
        engine,
        "replace",
        false,
        ["string: String", "find: char", "with: String", "()"],
        DOC,
        |ctx: NativeCallContext, s: &mut ImmutableString, find: char, with: ImmutableString| {
            replace(&ctx, s, &find.to_string(), &with)
        }
    );
    method!(
        engine,
        "replace",
        false,
        ["string: String", "find: char", "with: char", "()"],
        DOC,
        |ctx: NativeCallContext, s: &mut ImmutableString, find: char, with: char| {
            replace(&ctx, s, &find.to_string(), &with.to_string())
        }
    );
}

fn register_pad(engine: &mut Engine) {
    const DOC: &str = "/// Pad the string to at least `len` characters with `padding` (rhai's, bounded: fails\n/// before building a string over the size limit, or when `padding` is empty).";
    method!(
        engine,
        "pad",
        false,
        ["string: String", "len: int", "padding: char", "()"],
        DOC,
        |ctx: NativeCallContext, s: &mut ImmutableString, len: INT, padding: char| {
            pad(&ctx, s, len, &padding.to_string())
        }
    );
    method!(
        engine,
        "pad",
        false,
        ["string: String", "len: int", "padding: String", "()"],
        DOC,
        |ctx: NativeCallContext, s: &mut ImmutableString, len: INT, padding: ImmutableString| {
            pad(&ctx, s, len, &padding)
        }
    );
}

/// The `split` family and `to_chars`. They are pure in rhai (they work on constants), so they
/// take the string by value, which rhai passes the same way.
fn register_split(engine: &mut Engine) {
    const DOC: &str = "/// Split the string into an array of pieces (rhai's, bounded: fails before building an\n/// array over the size limit).";
    method!(
        engine,
        "to_chars",
        true,
        ["string: String", "Array"],
        "/// The characters of the string as an array (rhai's, bounded: fails before building an\n/// array over the size limit).",
        |ctx: NativeCallContext, s: ImmutableString| -> Checked<Array> {
            if s.is_empty() {
                return Ok(Array::new());
            }
            check_items(&ctx, s.chars().count())?;
            Ok(s.chars().map(Dynamic::from).collect())
        }
    );
    method!(
        engine,
        "split",
        true,
        ["string: String", "Array"],
        DOC,
        |ctx: NativeCallContext, s: ImmutableString| -> Checked<Array> {
            if s.is_empty() {
                return Ok(vec![s.into()]);
            }
            pieces(&ctx, || s.split_whitespace())
        }
    );
    method!(
        engine,
        "split",
        true,
        ["string: String", "delimiter: String", "Array"],
        DOC,
        |ctx: NativeCallContext, s: ImmutableString, d: ImmutableString| -> Checked<Array> {
            if s.is_empty() || (!d.is_empty() && !s.contains(d.as_str())) {
                return Ok(vec![s.into()]);
            }
            pieces(&ctx, || s.split(d.as_str()))
        }
    );
    method!(
        engine,
        "split",
        true,
        [
            "string: String",
            "delimiter: String",
            "segments: int",
            "Array"
        ],
        DOC,
        |ctx: NativeCallContext,
         s: ImmutableString,
         d: ImmutableString,
         n: INT|
         -> Checked<Array> {
            if n <= 1 || s.is_empty() || (!d.is_empty() && !s.contains(d.as_str())) {
                return Ok(vec![s.into()]);
            }
            pieces(&ctx, || s.splitn(segments(n), d.as_str()))
        }
    );
    method!(
        engine,
        "split",
        true,
        ["string: String", "delimiter: char", "Array"],
        DOC,
        |ctx: NativeCallContext, s: ImmutableString, d: char| -> Checked<Array> {
            if s.is_empty() || !s.contains(d) {
                return Ok(vec![s.into()]);
            }
            pieces(&ctx, || s.split(d))
        }
    );
    method!(
        engine,
        "split",
        true,
        [
            "string: String",
            "delimiter: char",
            "segments: int",
            "Array"
        ],
        DOC,
        |ctx: NativeCallContext, s: ImmutableString, d: char, n: INT| -> Checked<Array> {
            if n <= 1 || s.is_empty() || !s.contains(d) {
                return Ok(vec![s.into()]);
            }
            pieces(&ctx, || s.splitn(segments(n), d))
        }
    );
    method!(
        engine,
        "split_rev",
        true,
        ["string: String", "delimiter: String", "Array"],
        DOC,
        |ctx: NativeCallContext, s: ImmutableString, d: ImmutableString| -> Checked<Array> {
            if s.is_empty() || (!d.is_empty() && !s.contains(d.as_str())) {
                return Ok(vec![s.into()]);
            }
            pieces(&ctx, || s.rsplit(d.as_str()))
        }
    );
    method!(
        engine,
        "split_rev",
        true,
        [
            "string: String",
            "delimiter: String",
            "segments: int",
            "Array"
        ],
        DOC,
        |ctx: NativeCallContext,
         s: ImmutableString,
         d: ImmutableString,
         n: INT|
         -> Checked<Array> {
            if n <= 1 || s.is_empty() || (!d.is_empty() && !s.contains(d.as_str())) {
                return Ok(vec![s.into()]);
            }
            pieces(&ctx, || s.rsplitn(segments(n), d.as_str()))
        }
    );
    method!(
        engine,
        "split_rev",
        true,
        ["string: String", "delimiter: char", "Array"],
        DOC,
        |ctx: NativeCallContext, s: ImmutableString, d: char| -> Checked<Array> {
            if s.is_empty() || !s.contains(d) {
                return Ok(vec![s.into()]);
            }
            pieces(&ctx, || s.rsplit(d))
        }
    );
    method!(
        engine,
        "split_rev",
        true,
        [
            "string: String",
            "delimiter: char",
            "segments: int",
            "Array"
        ],
        DOC,
        |ctx: NativeCallContext, s: ImmutableString, d: char, n: INT| -> Checked<Array> {
            if n <= 1 || s.is_empty() || !s.contains(d) {
                return Ok(vec![s.into()]);
            }
            pieces(&ctx, || s.rsplitn(segments(n), d))
        }
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::sandbox;
    use crate::limits::ScriptLimits;
    use rhai::packages::{Package, StandardPackage};
    use rhai::{Dynamic, Engine};

    /// Rhai's own engine with the sandbox's data ceilings: the reference behaviour.
    fn reference(limits: &ScriptLimits) -> Engine {
        let mut engine = Engine::new_raw();
        engine.register_global_module(StandardPackage::new().as_shared_module());
        engine
            .set_max_string_size(limits.max_value_string_size)
            .set_max_array_size(limits.max_value_items);
        engine
    }

    /// What a script gives: its value or its error, as text without positions.
    fn outcome(engine: &Engine, script: &str) -> String {
        match engine.eval::<Dynamic>(script) {
            Ok(value) => format!("ok {value:?}"),
            Err(e) => {
                let text = e.to_string();
                format!("err {}", text.split(" (line ").next().unwrap_or_default())
            }
        }
    }

    #[test]
    fn overloads_behave_like_rhai_within_the_limits() {
        let limits = ScriptLimits::default();
        let sandboxed = sandbox::engine(&limits);
        let rhai = reference(&limits);
        let scripts = [
            r#"let s = "hello, world! hello"; s.replace("hello", "hey"); s"#,
            r#"let s = "hello"; s.replace("", "-"); s"#,
            r#"let s = ""; s.replace("", "-"); s"#,
            r#"let s = "hello"; s.replace("xyz", "abc"); s"#,
            r#"let s = "hello"; s.replace("l", '£'); s"#,
            r#"let s = "hello"; s.replace('l', "(^)"); s"#,
            r#"let s = "hello"; s.replace('l', '€'); s"#,
            r#"let s = "héllo"; s.replace('é', 'e'); s"#,
            r#"const C = "abc"; C.replace("a", "b"); C"#,
            r#"let s = "hello"; s.pad(8, '!'); s"#,
            r#"let s = "hello"; s.pad(3, '!'); s"#,
            r#"let s = "hello"; s.pad(-1, '!'); s"#,
            r#"let s = "hé"; s.pad(9, "αβγ"); s"#,
            r#"let s = "hé"; s.pad(8, "αβγ"); s"#,
            r#"let s = "x"; s.pad(2, "😀"); s"#,
            r#"let s = "x"; s.pad(1 << 40, "y"); s"#,
            r#"let s = ""; s.pad(20000000, 'y'); s"#,
            r#""a b  c\td ".split()"#,
            r#""".split()"#,
            r#""a,b,,c".split(",")"#,
            r#""abc".split("")"#,
            r#""".split(",")"#,
            r#""abc".split(",")"#,
            r#""a,b,c".split(",", 2)"#,
            r#""a,b,c".split(",", 0)"#,
            r#""a,b,c".split(",", 1 << 60)"#,
            r#""abc".split("", 2)"#,
            r#""a,b,c".split(',')"#,
            r#""a,b,c".split(',', 2)"#,
            r#""a,b,c".split(';')"#,
            r#""a,b,c".split_rev(",")"#,
            r#""abc".split_rev("")"#,
            r#""a,b,c".split_rev(",", 2)"#,
            r#""a,b,c".split_rev(',')"#,
            r#""a,b,c".split_rev(',', 2)"#,
            r#""a,b,c".split_rev(',', -3)"#,
            r#"const C = "a,b"; C.split(",")"#,
            r#""héllo".to_chars()"#,
            r#""".to_chars()"#,
            r#""hello".split(2)"#,
        ];
        for script in scripts {
            assert_eq!(
                outcome(&sandboxed, script),
                outcome(&rhai, script),
                "{script}"
            );
        }
    }

    #[test]
    fn overloads_take_the_place_of_rhai_functions() {
        let limits = ScriptLimits::default();
        let engine = sandbox::engine(&limits);
        // Rhai pads with an empty string forever; only the overload can answer.
        let err = outcome(&engine, r#"let s = "x"; s.pad(3, ""); s"#);
        assert!(err.contains("padding is empty"), "{err}");
        // Rhai would build this string (terabytes) before checking it.
        let script =
            r#"let s = "x"; for i in 0..19 { s += s; } let t = s; t.replace("", s); t.len()"#;
        let err = engine.eval::<Dynamic>(script).unwrap_err();
        assert_eq!(
            super::super::run::limit_code(&err),
            Some("rule-limit-string-size"),
            "{err}"
        );
        // Rhai would allocate sixteen million pieces before checking the array.
        let script = r#"let s = "x"; for i in 0..20 { s += s; } (s + s + s + s + s + s + s + s + s + s + s + s + s + s + s).split("").len()"#;
        let err = engine.eval::<Dynamic>(script).unwrap_err();
        assert_eq!(
            super::super::run::limit_code(&err),
            Some("rule-limit-array-size"),
            "{err}"
        );
    }
}
