//! Regexes behind a literal gate: compiled on first use, and only asked about texts that hold
//! one of the literals every match contains.
//!
//! Compiling a regex with Unicode classes (`\w`, `\d`, `\s`) costs a few hundred microseconds,
//! which is most of what a check of a few lines costs when the parsers compile a few dozen of
//! them. A text without any of a regex's required literals cannot match it, so skipping the
//! regex for that text gives the same answer, and a regex whose literals never appear in the
//! input is never compiled at all.

use regex::Regex;
use std::sync::OnceLock;

/// A regex with the literals one of which each of its matches contains.
///
/// It is compiled twice over, each on first use: as written, for text that is not ASCII, and
/// with its Unicode classes (`\w`, `\d`, `\s`, `\b`) spelled as their ASCII subsets, for ASCII
/// text. On ASCII text the two match the same spans (each class holds the same ASCII
/// characters), and the ASCII one is a fraction of the size and compile time: a Unicode `\w`
/// alone compiles to thousands of automaton states, which the WASM build holds in its linear
/// memory for as long as the page lives.
pub(crate) struct Gated {
    /// Every match of the regex contains at least one of these.
    literals: &'static [&'static str],
    /// Compare the literals ignoring ASCII case (for `(?i)` regexes: see the test below for why
    /// ASCII case is enough for the letters used).
    ignore_case: bool,
    pattern: &'static str,
    unicode: OnceLock<Option<Regex>>,
    ascii: OnceLock<Option<Regex>>,
}

impl Gated {
    /// A gated regex.
    pub(crate) const fn new(
        literals: &'static [&'static str],
        ignore_case: bool,
        pattern: &'static str,
    ) -> Self {
        Self {
            literals,
            ignore_case,
            pattern,
            unicode: OnceLock::new(),
            ascii: OnceLock::new(),
        }
    }

    /// The regex to run on `text`, when `text` may match it; `None` when it cannot (or the
    /// regex did not compile, which the tests rule out).
    pub(crate) fn get(&self, text: &str) -> Option<&Regex> {
        if !self.may_match(text) {
            return None;
        }
        if text.is_ascii() {
            let ascii = self
                .ascii
                .get_or_init(|| ascii_pattern(self.pattern).and_then(|p| Regex::new(&p).ok()));
            if let Some(regex) = ascii {
                return Some(regex);
            }
        }
        self.unicode
            .get_or_init(|| Regex::new(self.pattern).ok())
            .as_ref()
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

    /// Both forms, compiled now whatever the text (for tests).
    #[cfg(test)]
    pub(crate) fn compiled(&self) -> (Option<Regex>, Option<Regex>) {
        (
            Regex::new(self.pattern).ok(),
            ascii_pattern(self.pattern).and_then(|p| Regex::new(&p).ok()),
        )
    }
}

/// `pattern` with `\w`, `\d`, `\s` and `\b` (and `\W`, `\D`, `\S`, `\B` outside classes)
/// replaced by their ASCII forms, or `None` when a construct is not handled (a negated class
/// escape inside brackets, an empty or `]`-first class): the regex is then used as written.
pub(crate) fn ascii_pattern(pattern: &str) -> Option<String> {
    if pattern.contains("[]") || pattern.contains("[^]") {
        return None;
    }
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut chars = pattern.chars();
    let mut in_class = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next()?;
                let class = match next {
                    'w' => Some("0-9A-Za-z_"),
                    'd' => Some("0-9"),
                    's' => Some("\\t\\n\\x0B\\x0C\\r "),
                    _ => None,
                };
                match (next, class, in_class > 0) {
                    (_, Some(class), true) => out.push_str(class),
                    (_, Some(class), false) => {
                        out.push('[');
                        out.push_str(class);
                        out.push(']');
                    }
                    ('W' | 'D' | 'S', _, true) => return None,
                    ('W', _, false) => out.push_str("[^0-9A-Za-z_]"),
                    ('D', _, false) => out.push_str("[^0-9]"),
                    ('S', _, false) => out.push_str("[^\\t\\n\\x0B\\x0C\\r ]"),
                    ('b', _, false) => out.push_str("(?-u:\\b)"),
                    ('B', _, false) => out.push_str("(?-u:\\B)"),
                    _ => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            '[' => {
                in_class += 1;
                out.push(c);
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Some(out)
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
            $pattern,
        );
    };
    ($name:ident, ignore_case [$($literal:expr),+ $(,)?], $pattern:expr) => {
        static $name: $crate::text::gated::Gated = $crate::text::gated::Gated::new(
            &[$($literal),+],
            true,
            $pattern,
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
    fn ascii_forms_of_the_unicode_classes() {
        assert_eq!(
            ascii_pattern(r"\bCode=\\?(\w+)[\d.:\[\]]\s*\S").as_deref(),
            Some(r"(?-u:\b)Code=\\?([0-9A-Za-z_]+)[0-9.:\[\]][\t\n\x0B\x0C\r ]*[^\t\n\x0B\x0C\r ]")
        );
        assert_eq!(ascii_pattern(r"[^,\S]"), None);
        assert_eq!(ascii_pattern(r"[]a]"), None);
        let (unicode, ascii) = Gated::new(&[""], false, r"(\w+)\s*=\s*(\d+)\b").compiled();
        let (unicode, ascii) = (unicode.unwrap(), ascii.unwrap());
        for text in ["a = 1", "x_y=42b z=7", "k=1\x0b=2", "tab\t=\t3.", "=5"] {
            let spans = |re: &Regex| -> Vec<_> {
                re.captures_iter(text)
                    .flat_map(|c| c.iter().map(|m| m.map(|m| m.range())).collect::<Vec<_>>())
                    .collect()
            };
            assert_eq!(spans(&unicode), spans(&ascii), "{text:?}");
        }
        // Text that is not ASCII gets the Unicode form.
        let digits = Gated::new(&[""], false, r"(\d+)");
        let caps = |t: &str| {
            digits
                .get(t)
                .and_then(|re| re.find(t))
                .map(|m| m.as_str().to_owned())
        };
        assert_eq!(caps("x 42"), Some("42".to_owned()));
        assert_eq!(
            caps("x \u{0664}\u{0662}"),
            Some("\u{0664}\u{0662}".to_owned())
        );
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
