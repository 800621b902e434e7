//! The built-in rules, embedded at build time from `rules/<id>/rule.rhai`.

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
