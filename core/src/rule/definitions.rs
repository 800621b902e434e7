//! The definitions file for editors (`rules/kvcsi.d.rhai`): generated from the sandboxed engine
//! with rhai's metadata support, so the host API it lists (parameter names, types, doc comments)
//! is the one registered in `host.rs`. A test keeps the committed file in sync.

use crate::facts::FACT_KINDS;
use crate::limits::ScriptLimits;

/// The header: what a rule file defines and the shapes of `facts` and `matches`, which are
/// values rather than functions and so are not in rhai's generated part.
fn header() -> String {
    let kinds = FACT_KINDS
        .chunks(6)
        .map(|c| format!("//   {}", c.join(", ")))
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "\
// kvcsi rule API, for editors (rhai's .d.rhai format). Generated from the sandboxed engine by
// `kvcsi rules definitions`; do not edit. Regenerate with:
//   KVCSI_BLESS=1 cargo test -p kvcsi-core --test rules_doc
// The guide is docs/rules.md.
//
// A rule file defines two functions and nothing else (top-level statements are rejected):
//   fn meta()                   returns the metadata map (runs once, at load)
//   fn check(facts, matches)    returns an array of finding(..), pass(..), skip(..), request(..)
//
// facts: a Facts value, read like a map from fact kind to an array of facts (maps): facts.logs,
// facts[\"logs\"], \"logs\" in facts, facts.keys(). Every kind is always present:
{kinds}
// Every rule reads the same facts; a property a rule sets (facts.ix = ..) is its own.
// Every fact has `kind`, `at: #{{ source, lines: [first, last] }}` and `text`, plus the fields
// of its kind (docs/rules.md lists them). A field the parsers did not find is absent: reading
// it gives (), so test it with has(..).
//
// matches: a map from the name of each pattern the rule declared to
//   #{{ count, first: [..], last: [..], all: [..] }}, each match #{{ at, text, captures }}.
//
// Besides the host API below, rules have rhai's standard library (strings, arrays, maps,
// math: https://rhai.rs/book). Not available: eval, import, files, the network, the clock;
// print and debug go to the report's diagnostics (rule-output).
"
    )
}

/// The definitions file as committed at `rules/kvcsi.d.rhai`.
pub fn definitions() -> String {
    let engine = super::sandbox::engine(&ScriptLimits::default());
    let generated = engine
        .definitions()
        .include_standard_packages(false)
        .static_module();
    let mut out = header();
    out.push_str("\nmodule static;\n\n");
    out.push_str(generated.trim_end());
    out.push('\n');
    out
}
