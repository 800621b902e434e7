//! Regexes behind a literal gate: compiled on first use, and only asked about texts that hold
//! one of the literals every match contains.
//!
//! Compiling a regex with Unicode classes (`\w`, `\d`, `\s`) costs a few hundred microseconds,
//! which is most of what a check of a few lines costs when the parsers compile a few dozen of
//! them. A text without any of a regex's required literals cannot match it, so skipping the
//! regex for that text gives the same answer, and a regex whose literals never appear in the
//! input is never compiled at all.

use regex::Regex;
use std::sync::LazyLock;

/// A regex with the literals one of which each of its matches contains.
pub(crate) struct Gated {
    /// Every match of the regex contains at least one of these.
    literals: &'static [&'static str],
    /// Compare the literals ignoring ASCII case (for `(?i)` regexes: see the test below for why
    /// ASCII case is enough for the letters used).
    ignore_case: bool,
    regex: LazyLock<Option<Regex>>,
}

impl Gated {
    /// A gated regex; `regex` compiles it (on first use).
    pub(crate) const fn new(
        literals: &'static [&'static str],
        ignore_case: bool,
        regex: fn() -> Option<Regex>,
    ) -> Self {
        Self {
            literals,
            ignore_case,
            regex: LazyLock::new(regex),
        }
    }

    /// The regex, when `text` may match it; `None` when it cannot (or the regex did not
    /// compile, which the tests rule out).
    pub(crate) fn get(&self, text: &str) -> Option<&Regex> {
        if self.may_match(text) {
            self.regex.as_ref()
        } else {
            None
        }
    }

    /// Whether `text` holds one of the literals.
    pub(crate) fn may_match(&self, text: &str) -> bool {
        if self.ignore_case {
            self.literals
                .iter()
                .any(|l| contains_ignore_ascii_case(text, l))
        } else {
            self.literals.iter().any(|l| text.contains(l))
        }
    }

    /// The regex, compiled now whatever the text (for tests).
    #[cfg(test)]
    pub(crate) fn compiled(&self) -> Option<&Regex> {
        self.regex.as_ref()
    }
}

/// Whether `haystack` contains `needle`, ignoring ASCII case.
pub(crate) fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    needle.is_empty()
        || haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Declares a static [`Gated`] regex.
macro_rules! gated {
    ($name:ident, [$($literal:expr),+ $(,)?], $pattern:expr) => {
        static $name: $crate::text::gated::Gated = $crate::text::gated::Gated::new(
            &[$($literal),+],
            false,
            || regex::Regex::new($pattern).ok(),
        );
    };
    ($name:ident, ignore_case [$($literal:expr),+ $(,)?], $pattern:expr) => {
        static $name: $crate::text::gated::Gated = $crate::text::gated::Gated::new(
            &[$($literal),+],
            true,
            || regex::Regex::new($pattern).ok(),
        );
    };
}
pub(crate) use gated;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every letter of a case-insensitive gate literal, upper and lower case.
    pub(crate) const FOLDED_LETTERS: &str = "abcdefghijlmnopqrtuvwxyz";

    /// Unicode case folding (what `(?i)` uses) maps no character outside ASCII to these ASCII
    /// letters, so a `(?i)` regex's literal made of them matches only where the same literal,
    /// ignoring ASCII case, is found. (`k` and `s` are left out: KELVIN SIGN and LONG S fold to
    /// them, so a gate literal holding them would need Unicode folding.)
    #[test]
    fn ascii_case_is_the_whole_case_folding_of_the_gate_letters() {
        let class = Regex::new(&format!("(?i)[{FOLDED_LETTERS}]")).unwrap();
        let everything: String = (0x80..=0x10FFFFu32).filter_map(char::from_u32).collect();
        let found: Vec<&str> = class.find_iter(&everything).map(|m| m.as_str()).collect();
        assert!(found.is_empty(), "{found:?}");
        let kelvin = Regex::new("(?i)k").unwrap();
        assert!(kelvin.is_match("\u{212A}"), "the reason `k` is left out");
    }

    #[test]
    fn literals_gate_the_regex() {
        gated!(RE, ["abc"], r"abc(\d+)");
        assert!(RE.get("x abc1").is_some());
        assert!(RE.get("x ab c1").is_none());
        gated!(CI, ignore_case["inner"], r"(?i)inner(\w+)");
        assert!(CI.get("InNeR1").is_some());
        assert!(CI.get("inne").is_none());
        assert!(contains_ignore_ascii_case("xAbC", "abc"));
        assert!(!contains_ignore_ascii_case("ab", "abc"));
    }
}
