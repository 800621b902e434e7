//! Credential redaction, applied as text enters a report (and `kvcsi facts`, and the page's
//! evidence view).
//!
//! A report is written to be pasted into a ticket, so nothing in it may let a reader act as the
//! operator: bearer tokens and JWTs, OAuth secrets and tokens, SAS signatures, storage and
//! shared-access keys, passwords in connection strings, URLs and command lines, `Authorization`
//! headers, and the bodies of PEM blocks (private keys and certificates, also base64-encoded as
//! Kubernetes stores them). Identifiers an operator needs to act on are kept: vault names, client,
//! object and tenant ids (GUIDs), error codes, resource ids and URLs without credentials.
//!
//! Two properties are relied on elsewhere and fuzzed (`fuzz/fuzz_targets/redact.rs`):
//! redaction is idempotent (report text may pass through it more than once, and a report may be
//! re-rendered from redacted text), and the mark it leaves never matches a pattern again.

use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::{LazyLock, OnceLock};

/// The replacement text, chosen so it never matches the patterns below again.
pub const MARK: &str = "[REDACTED]";

/// How a match is rewritten.
#[derive(Clone, Copy)]
enum Keep {
    /// Replace the whole match.
    Nothing,
    /// Keep this group before the mark (the key, the scheme, the header name).
    Group(usize),
    /// Keep groups before and after the mark (quotes, `@` of a URL).
    Around(usize, usize),
    /// A key/value pair: group 1 is the key and separator, then one of three value forms.
    KeyValue,
}

/// A second look at a match (see [`Redactor::accept`]).
type Accept = fn(&Captures<'_>) -> bool;

struct Redactor {
    /// The regex, compiled the first time a text passes the gate: most checks need one or two
    /// of the fifteen, and compiling them all would cost more than checking a small input.
    pattern: LazyRegex,
    keep: Keep,
    /// A second look at a match the pattern alone cannot tell from ordinary text; `false`
    /// leaves it as it is.
    accept: Accept,
    /// What a text must hold for the pattern to possibly match.
    gate: Gate,
}

/// A regex compiled on first use (`None` if it does not compile, which a test rules out).
struct LazyRegex {
    source: String,
    compiled: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| Regex::new(&self.source).ok())
            .as_ref()
    }
}

/// A cheap test before a pattern runs.
#[derive(Clone, Copy)]
enum Gate {
    /// One of these literals, in any ASCII case.
    Literals(&'static [&'static str]),
    /// On ASCII text, one of the `ascii` literals, in any ASCII case; on other text, one of the
    /// `other` literals. For a `(?i)` pattern whose words share a common part (`secret` of
    /// `client_secret` and `secret_value`): on ASCII text `(?i)` compares ASCII case only, so
    /// a match holds one of the whole words, and a word like `secrets-store` in every line of
    /// a driver log does not make the pattern run (or compile). Other text can hold characters
    /// that fold to ASCII letters (KELVIN SIGN, LONG S), so it is gated as before.
    Sharpened {
        ascii: &'static [&'static str],
        other: &'static [&'static str],
    },
    /// A run of at least this many base64 characters.
    Base64Run(usize),
}

fn always(_: &Captures<'_>) -> bool {
    true
}

/// An `Authorization` value is a credential when it names a scheme and carries something, or
/// is one long token; `RBAC authorization: enabled` is not.
fn header_value(caps: &Captures<'_>) -> bool {
    let value = caps.get(2).map_or("", |m| m.as_str()).trim();
    if value == MARK {
        return false;
    }
    match value.split_once([' ', '\t']) {
        Some((scheme, rest)) => {
            let scheme = scheme.to_ascii_lowercase();
            let known = [
                "bearer",
                "basic",
                "digest",
                "negotiate",
                "ntlm",
                "sharedkey",
                "sharedkeylite",
                "sharedaccesssignature",
                "pop",
                "hmac-sha256",
                "aws4-hmac-sha256",
                "token",
                "mac",
            ];
            known.contains(&scheme.as_str()) && !rest.trim().is_empty()
        }
        None => value.len() >= 16,
    }
}

/// A bearer token has a digit, a capital or punctuation; `Bearer authorization="..."` (a
/// `WWW-Authenticate` challenge parameter) and prose (`Bearer authentication`) are not tokens.
fn bearer_token(caps: &Captures<'_>) -> bool {
    let token = caps.get(2).map_or("", |m| m.as_str());
    if token.ends_with('=')
        && token
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        return false;
    }
    token
        .bytes()
        .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b"._~+/-".contains(&b))
}

/// A long run of base64 is a key, a certificate or a blob when its letters look random: plenty
/// of capitals, small letters and digits, few slashes. A resource path in camel case
/// (`/resourceGroups/MyGroup/providers`) has few capitals and no digits to speak of, and a run
/// of one repeated letter is padding, not key material.
fn random_base64(caps: &Captures<'_>) -> bool {
    looks_random(caps.get(0).map_or("", |m| m.as_str()))
}

/// [`random_base64`] for the run in group 2 (a line that is nothing but the run).
fn random_run(caps: &Captures<'_>) -> bool {
    looks_random(caps.get(2).map_or("", |m| m.as_str()))
}

fn looks_random(run: &str) -> bool {
    let len = run.len();
    let count = |f: fn(&u8) -> bool| run.bytes().filter(f).count();
    let upper = count(u8::is_ascii_uppercase);
    let lower = count(u8::is_ascii_lowercase);
    let digits = count(u8::is_ascii_digit);
    let slashes = count(|b| *b == b'/');
    digits > 0 && upper * 6 >= len && lower * 6 >= len && slashes * 8 <= len
}

/// Key names whose values are credentials, in any case, with `_`, `-` or nothing between words.
const SECRET_KEYS: &str = r"client[_-]?secret|access[_-]?token|refresh[_-]?token|id[_-]?token|client[_-]?assertion|private[_-]?key|account[_-]?key|shared[_-]?access[_-]?key|shared[_-]?access[_-]?signature|secret[_-]?value|sas[_-]?token|password|passwd|pwd";

/// A key that names a credential (see [`SECRET_KEYS`]).
static SECRET_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "(?i)(?:{SECRET_KEYS})|authorization|^token$|^sig$"
    ))
    .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable_regex()))
});

/// Never reached: `$^` always compiles. Keeps the initialiser free of panics.
fn unreachable_regex() -> Regex {
    Regex::new("").unwrap_or_else(|_| unreachable_regex())
}

/// Whether a key may match [`SECRET_KEY`], so the regex is compiled only for a check whose facts
/// have such a key. Every key it matches holds one of these words in some case; on a key of
/// ASCII characters `(?i)` compares ASCII case only, and any other key (KELVIN SIGN folds to
/// `k`, LONG S to `s`) is left to the regex.
fn may_name_secret(key: &str) -> bool {
    const WORDS: [&str; 8] = [
        "secret",
        "token",
        "assertion",
        "key",
        "sig",
        "passw",
        "pwd",
        "authorization",
    ];
    !key.is_ascii()
        || WORDS
            .iter()
            .any(|w| crate::text::gated::contains_ignore_ascii_case(key, w))
}

static REDACTORS: LazyLock<Redactors> = LazyLock::new(|| {
    let key_value = format!(
        // The key, an optional closing quote (JSON, escaped JSON), `:` or `=`; then the value:
        // double-quoted (escapes allowed, `\"` when the JSON is itself inside a string),
        // single-quoted, or bare up to a separator.
        r#"(?i)((?:{SECRET_KEYS})\\?["']?[ \t]*[:=][ \t]*)(?:(\\?")((?:[^"\\\r\n]|\\[^"\r\n])+)(?:\\?")?|'([^'\r\n]+)'?|([^"'&\s,;}}\\<>]+))"#
    );
    let specs: Vec<(String, Keep, Accept, Gate)> = vec![
        // JSON Web Tokens (JWS and JWE): the header always starts `eyJ` (`{"`).
        (
            r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*)*".to_owned(),
            Keep::Nothing,
            always,
            Gate::Literals(&["eyJ"]),
        ),
        // Authorization and Proxy-Authorization headers: curl -v, HTTP dumps, JSON, `-H '...'`.
        (
            r#"(?im)((?:^|[\s"'>{,\[(-])(?:proxy-)?authorization\\?["']?[ \t]*:[ \t]*\\?["']?)([^\r\n"'\\]+)"#.to_owned(),
            Keep::Group(1),
            header_value,
            Gate::Literals(&["authorization"]),
        ),
        // Bearer tokens anywhere else.
        (
            r"(?i)(\bbearer[ \t]+)([A-Za-z0-9._~+/-]{8,}=*)".to_owned(),
            Keep::Group(1),
            bearer_token,
            Gate::Literals(&["bearer"]),
        ),
        // Key/value credentials: query strings, JSON, YAML, connection strings, env dumps.
        (
            key_value,
            Keep::KeyValue,
            always,
            Gate::Sharpened {
                // Every word of SECRET_KEYS, spelled with `_`, `-` or nothing between its parts.
                ascii: &[
                    "clientsecret", "client_secret", "client-secret",
                    "accesstoken", "access_token", "access-token",
                    "refreshtoken", "refresh_token", "refresh-token",
                    "idtoken", "id_token", "id-token",
                    "clientassertion", "client_assertion", "client-assertion",
                    "privatekey", "private_key", "private-key",
                    "accountkey", "account_key", "account-key",
                    // shared[_-]?access[_-]?key and shared[_-]?access[_-]?signature
                    "accesskey", "access_key", "access-key",
                    "accesssignature", "access_signature", "access-signature",
                    "secretvalue", "secret_value", "secret-value",
                    "sastoken", "sas_token", "sas-token",
                    "passw", "pwd",
                ],
                other: &["secret", "token", "assertion", "key", "signature", "passw", "pwd"],
            },
        ),
        // Credentials given as command-line flags.
        (
            r#"(?i)(--(?:client-secret|password|secret|sas-token|account-key|connection-string|token)(?:[ \t]+|=))("[^"\r\n]*"|'[^'\r\n]*'|[^\s"']+)"#.to_owned(),
            Keep::Group(1),
            always,
            Gate::Sharpened {
                // Every flag in full: `-- Original Error` in every autorest error does not
                // make the pattern run (or compile).
                ascii: &[
                    "--client-secret",
                    "--password",
                    "--secret",
                    "--sas-token",
                    "--account-key",
                    "--connection-string",
                    "--token",
                ],
                other: &["--"],
            },
        ),
        (
            r"(?i)(\baz[ \t]+login\b[^\r\n]*?[ \t]-p[ \t]+)(\S+)".to_owned(),
            Keep::Group(1),
            always,
            Gate::Literals(&["login"]),
        ),
        // SAS signatures, also inside JSON (`\u0026`) and HTML (`&amp;`) escaped URLs.
        (
            r#"(?i)((?:[?&;]|\\u0026|%26|&amp;)sig=)([^&\s"'\\<>]+)"#.to_owned(),
            Keep::Group(1),
            always,
            Gate::Literals(&["sig="]),
        ),
        // Passwords in URLs: `scheme://user:password@host` (proxies, databases).
        (
            r#"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@"'<>]+:)([^@\s/"'<>]+)(@)"#.to_owned(),
            Keep::Around(1, 3),
            always,
            Gate::Literals(&["://"]),
        ),
        // Kubeconfig and TokenRequest tokens: `token: <value>` at the start of a YAML line, or
        // a JSON `"token"` field. Prose ("failed to get token: ...") is never at a line start
        // with a long unbroken value.
        (
            r#"(?im)(^[ \t-]*token[ \t]*:[ \t]*["']?|"token"[ \t]*:[ \t]*")([A-Za-z0-9._~+/=-]{16,})"#.to_owned(),
            Keep::Group(1),
            always,
            Gate::Literals(&["token"]),
        ),
        // Microsoft Entra client secrets have a recognisable shape: `xxx8Q~` then 31-34 more.
        (
            r"\b[A-Za-z0-9_.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}".to_owned(),
            Keep::Nothing,
            always,
            Gate::Literals(&["q~"]),
        ),
        // A PEM block encoded in base64, as Kubernetes secrets and kubeconfigs hold it
        // (`LS0tLS1CRUdJTi` is `-----BEGIN`).
        (
            r"LS0tLS1CRUdJT[A-Za-z0-9+/=]*".to_owned(),
            Keep::Nothing,
            always,
            Gate::Literals(&["LS0tLS1CRUdJT"]),
        ),
        // Storage account keys: 64 random bytes in base64.
        (
            r"[A-Za-z0-9+/]{86}==".to_owned(),
            Keep::Nothing,
            always,
            Gate::Base64Run(86),
        ),
        // A line that is nothing but a base64 run: a PEM body line cited on its own.
        (
            r#"(?m)^([ \t"']*)([A-Za-z0-9+/]{48,}={0,2})(["',]?[ \t]*)$"#.to_owned(),
            Keep::Around(1, 3),
            random_run,
            Gate::Base64Run(48),
        ),
        // Any other long run of random-looking base64 (keys, certificates, blobs in JSON).
        (
            r"[A-Za-z0-9+/]{64,}={0,2}".to_owned(),
            Keep::Nothing,
            random_base64,
            Gate::Base64Run(64),
        ),
        // Private key material printed as JSON Web Key fields.
        (
            r#"("(?:d|p|q|dp|dq|qi|k)"[ \t]*:[ \t]*")([A-Za-z0-9_-]{16,})"#.to_owned(),
            Keep::Group(1),
            always,
            Gate::Literals(&["\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\"", "\"k\""]),
        ),
    ];
    let mut redactors = Vec::new();
    let mut literals: Vec<&'static str> = Vec::new();
    let mut owners: Vec<Owner> = Vec::new();
    for (pattern, keep, accept, gate) in specs {
        // A pattern that failed to compile would be a bug caught by the tests below; it then
        // never matches, which keeps the library total.
        let regex = LazyRegex {
            source: pattern,
            compiled: OnceLock::new(),
        };
        let (words, ascii_words): (&[&'static str], &[&'static str]) = match gate {
            Gate::Literals(words) => (words, &[]),
            Gate::Sharpened { ascii, other } => (other, ascii),
            Gate::Base64Run(_) => (&[], &[]),
        };
        for word in words {
            literals.push(word);
            owners.push(Owner {
                redactor: redactors.len(),
                ascii_text: !matches!(gate, Gate::Sharpened { .. }),
            });
        }
        for word in ascii_words {
            literals.push(word);
            owners.push(Owner {
                redactor: redactors.len(),
                ascii_text: true,
            });
        }
        redactors.push(Redactor {
            pattern: regex,
            keep,
            accept,
            gate,
        });
    }
    let literals = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&literals)
        .ok();
    Redactors {
        redactors,
        literals,
        owners,
    }
});

/// The redactors and the one literal scan that tells which of them can match a text.
struct Redactors {
    redactors: Vec<Redactor>,
    /// Every gate literal of every redactor, matched ignoring ASCII case.
    literals: Option<aho_corasick::AhoCorasick>,
    /// The redactor each literal belongs to.
    owners: Vec<Owner>,
}

/// The redactor a gate literal belongs to, and whether it counts on ASCII text (the `other`
/// literals of [`Gate::Sharpened`] count only on text that is not ASCII; every other literal
/// counts on any text, and the `ascii` ones are contained in the `other` ones).
#[derive(Clone, Copy)]
struct Owner {
    redactor: usize,
    ascii_text: bool,
}

impl Redactors {
    /// Which redactors can match `text`: one pass for the literals, one for base64 runs. Most
    /// text has none, and then no regex runs at all.
    fn candidates(&self, text: &str) -> Vec<bool> {
        let mut out = vec![false; self.redactors.len()];
        let ascii = text.is_ascii();
        if let Some(literals) = &self.literals {
            for found in literals.find_overlapping_iter(text) {
                if let Some(owner) = self.owners.get(found.pattern().as_usize()) {
                    if ascii && !owner.ascii_text {
                        continue;
                    }
                    if let Some(slot) = out.get_mut(owner.redactor) {
                        *slot = true;
                    }
                }
            }
        }
        let run = longest_base64_run(text);
        for (slot, redactor) in out.iter_mut().zip(&self.redactors) {
            if let Gate::Base64Run(min) = redactor.gate {
                *slot = run >= min;
            }
        }
        out
    }
}

/// The longest run of standard base64 characters in `text`.
fn longest_base64_run(text: &str) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' {
            current += 1;
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    longest
}

/// Passes over a text at most; one almost always suffices (see [`redact`]).
const MAX_PASSES: usize = 4;

/// Replaces credentials in `text`. Returns borrowed text when nothing was found, which is the
/// common case and costs one literal scan and one byte scan.
///
/// The patterns run one after another, so in rare texts one replacement completes a match for
/// another (a line that becomes a bare base64 run once its key is redacted). Repeating until
/// nothing changes makes the result a fixed point, hence idempotent, whatever the text.
pub fn redact(text: &str) -> Cow<'_, str> {
    redact_collecting(text, &mut |_| {})
}

/// [`redact`], handing every credential it removes to `found`.
fn redact_collecting<'a>(text: &'a str, found: &mut dyn FnMut(&str)) -> Cow<'a, str> {
    let mut current = redact_pass(text, found);
    for _ in 1..MAX_PASSES {
        let Cow::Owned(previous) = &current else {
            break;
        };
        match redact_pass(previous, found) {
            Cow::Owned(next) if &next != previous => current = Cow::Owned(next),
            _ => break,
        }
    }
    current
}

fn redact_pass<'a>(text: &'a str, found: &mut dyn FnMut(&str)) -> Cow<'a, str> {
    let mut current = redact_pem(text, found);
    let redactors = &*REDACTORS;
    let candidates = redactors.candidates(&current);
    for (redactor, candidate) in redactors.redactors.iter().zip(candidates) {
        if !candidate {
            continue;
        }
        if let Cow::Owned(replaced) = redact_one(&current, redactor, found) {
            current = Cow::Owned(replaced);
        }
    }
    current
}

/// Redacts every string in a JSON value (keys are kept: they name fields, not values).
pub fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(redact(s).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redact_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Credentials found in the evidence, to scrub out of anything derived from it.
///
/// Pattern redaction needs context: `client_secret=abc` is recognisable, `abc` alone is not.
/// Parsers split lines into fields (`refresh_token` → `abc`) and rules may put a field in a
/// message, a subject or data, where the context is gone. So the session learns every
/// credential its facts and matches hold (from each text, and from each field with its key as
/// context), and the report removes those values wherever they reappear.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    items: std::collections::BTreeSet<String>,
    /// The alphanumeric pieces of the credentials (a parser splits `abc==` into `abc` and `=`):
    /// a text that is exactly one of them goes whole. An exact lookup, so the cost does not
    /// grow with the number of credentials.
    pieces: std::collections::BTreeSet<String>,
    /// Built on first use, after the last `learn`.
    finder: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
}

/// Shorter values are not scrubbed on their own (`pwd=/`, `password=x`): they would wipe
/// ordinary words from the report, and cannot be used by a reader anyway.
const MIN_SECRET: usize = 6;

impl Secrets {
    /// No secrets known.
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns the credentials in a text.
    pub fn learn(&mut self, text: &str) {
        let mut found = Vec::new();
        let _ = redact_collecting(text, &mut |secret: &str| found.push(secret.to_owned()));
        for secret in found {
            let secret = secret.trim();
            if secret.len() >= MIN_SECRET {
                for piece in secret.split(|c: char| !c.is_ascii_alphanumeric()) {
                    if piece.len() >= MIN_SECRET && piece.len() < secret.len() {
                        self.pieces.insert(piece.to_owned());
                    }
                }
                self.items.insert(secret.to_owned());
            }
        }
        self.finder = std::sync::OnceLock::new();
    }

    /// Learns the credentials in a JSON value, each field read with its key as context.
    pub fn learn_json(&mut self, value: &serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(s) => self.learn(s),
            Value::Array(items) => items.iter().for_each(|v| self.learn_json(v)),
            Value::Object(map) => self.learn_object(map),
            _ => {}
        }
    }

    /// Learns the credentials in the fields of a JSON object, each read with its key as context.
    pub fn learn_object(&mut self, map: &serde_json::Map<String, serde_json::Value>) {
        for (key, value) in map {
            // A field named like a credential (`refresh_token`, `clientSecret`) is read with its
            // key, which is what makes its value recognisable.
            if let serde_json::Value::String(s) = value {
                if may_name_secret(key) && SECRET_KEY.is_match(key) {
                    self.learn(&format!("{key}={s}"));
                    self.learn(&format!("\"{key}\": \"{s}\""));
                }
            }
            self.learn_json(value);
        }
    }

    /// Adds what `other` learnt.
    pub fn absorb(&mut self, other: Secrets) {
        if other.items.is_empty() && other.pieces.is_empty() {
            return;
        }
        self.items.extend(other.items);
        self.pieces.extend(other.pieces);
        self.finder = std::sync::OnceLock::new();
    }

    /// Whether nothing was learnt.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn finder(&self) -> Option<&aho_corasick::AhoCorasick> {
        self.finder
            .get_or_init(|| {
                aho_corasick::AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .build(&self.items)
                    .ok()
            })
            .as_ref()
    }

    /// Redacts `text` and removes every learnt credential from it. A text that is itself a
    /// piece of a credential (a parser split `Basic abc==` into `abc` and `==`) goes whole.
    pub fn clean<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let redacted = redact(text);
        if self.items.is_empty() {
            return redacted;
        }
        let trimmed = redacted.trim();
        if self.pieces.contains(trimmed) || self.items.contains(trimmed) {
            return Cow::Owned(MARK.to_owned());
        }
        let Some(finder) = self.finder() else {
            return redacted;
        };
        if !finder.is_match(redacted.as_ref()) {
            return redacted;
        }
        let mut out = String::with_capacity(redacted.len());
        finder.replace_all_with(&redacted, &mut out, |_, _, dst| {
            dst.push_str(MARK);
            true
        });
        Cow::Owned(out)
    }

    /// [`Secrets::clean`] over every string of a JSON value, keys included (a parser may make
    /// a key of a piece of a credential).
    pub fn clean_json(&self, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::String(s) => Value::String(self.clean(s).into_owned()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.clean_json(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.clean(k).into_owned(), self.clean_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

impl crate::engine::FactsView {
    /// The view with credentials redacted in every fact, match, command and diagnostic, as
    /// `kvcsi facts` prints it unless asked not to.
    pub fn redacted(mut self) -> Self {
        let mut secrets = Secrets::new();
        for fact in self.facts.values().flatten() {
            secrets.learn_json(fact);
        }
        for matches in self.matches.values() {
            secrets.learn_json(matches);
        }
        for facts in self.facts.values_mut() {
            for fact in facts.iter_mut() {
                *fact = secrets.clean_json(fact);
            }
        }
        for matches in self.matches.values_mut() {
            *matches = secrets.clean_json(matches);
        }
        for segment in &mut self.segments {
            segment.command = segment
                .command
                .take()
                .map(|c| secrets.clean(&c).into_owned());
        }
        for d in &mut self.diagnostics {
            d.message = secrets.clean(&d.message).into_owned();
            d.source = d.source.take().map(|s| secrets.clean(&s).into_owned());
        }
        self
    }
}

fn group<'t>(caps: &Captures<'t>, index: usize) -> &'t str {
    caps.get(index).map_or("", |m| m.as_str())
}

fn redact_one<'a>(text: &'a str, redactor: &Redactor, found: &mut dyn FnMut(&str)) -> Cow<'a, str> {
    let mut changed = false;
    let Some(pattern) = redactor.pattern.get() else {
        return Cow::Borrowed(text);
    };
    let replaced = pattern.replace_all(text, |caps: &Captures<'_>| {
        if !(redactor.accept)(caps) {
            return group(caps, 0).to_owned();
        }
        let whole = caps.get(0);
        let (start, end) = whole.map_or((0, 0), |m| (m.start(), m.end()));
        // The part that is the credential: the match without what is kept around it.
        let (secret_start, secret_end) = match redactor.keep {
            Keep::Nothing => (start, end),
            Keep::Group(g) => (caps.get(g).map_or(start, |m| m.end()), end),
            Keep::Around(before, after) => (
                caps.get(before).map_or(start, |m| m.end()),
                caps.get(after).map_or(end, |m| m.start()),
            ),
            Keep::KeyValue => [3, 4, 5]
                .iter()
                .find_map(|g| caps.get(*g))
                .map_or((start, end), |m| (m.start(), m.end())),
        };
        if let Some(secret) = text.get(secret_start..secret_end) {
            if secret != MARK {
                found(secret);
            }
        }
        let out = match redactor.keep {
            Keep::Nothing => MARK.to_owned(),
            Keep::Group(g) => format!("{}{MARK}", group(caps, g)),
            Keep::Around(before, after) => {
                format!("{}{MARK}{}", group(caps, before), group(caps, after))
            }
            Keep::KeyValue => {
                let key = group(caps, 1);
                if caps.get(3).is_some() {
                    let quote = group(caps, 2);
                    format!("{key}{quote}{MARK}{quote}")
                } else if caps.get(4).is_some() {
                    format!("{key}'{MARK}'")
                } else {
                    format!("{key}{MARK}")
                }
            }
        };
        changed |= out != group(caps, 0);
        out
    });
    if changed {
        Cow::Owned(replaced.into_owned())
    } else {
        Cow::Borrowed(text)
    }
}

/// The label of a PEM header starting at `text` (just after `-----BEGIN `), with the length of
/// the header's rest (label and closing dashes).
fn pem_label(text: &str) -> Option<(&str, usize)> {
    let end = text.find("-----").filter(|end| *end <= 80)?;
    let label = text.get(..end)?;
    let plausible = !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ');
    plausible.then_some((label, end + 5))
}

/// Replaces the body of every PEM block (`-----BEGIN X-----` up to its own `-----END X-----`,
/// across real or escaped line breaks). A block without its end marker (cut evidence) is
/// redacted to the end of the text, since whatever follows the header may be key material.
fn redact_pem<'a>(text: &'a str, found: &mut dyn FnMut(&str)) -> Cow<'a, str> {
    const BEGIN: &str = "-----BEGIN ";
    if !text.contains(BEGIN) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(BEGIN) {
        let after_begin = at + BEGIN.len();
        let Some((label, header_len)) = rest.get(after_begin..).and_then(pem_label) else {
            out.push_str(rest.get(..after_begin).unwrap_or_default());
            rest = rest.get(after_begin..).unwrap_or_default();
            continue;
        };
        let body_start = after_begin + header_len;
        out.push_str(rest.get(..body_start).unwrap_or_default());
        let end_marker = format!("-----END {label}-----");
        let body = rest.get(body_start..).unwrap_or_default();
        match body.find(&end_marker) {
            Some(end) => {
                let body_text = body.get(..end).unwrap_or_default();
                if body_text != MARK {
                    changed = true;
                    found(body_text);
                }
                out.push_str(MARK);
                out.push_str(&end_marker);
                rest = body.get(end + end_marker.len()..).unwrap_or_default();
            }
            None => {
                if body != MARK {
                    changed = true;
                    found(body);
                }
                out.push_str(MARK);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(REDACTORS.redactors.len(), 15);
        assert!(REDACTORS
            .redactors
            .iter()
            .all(|r| r.pattern.get().is_some()));
        assert!(SECRET_KEY.is_match("clientSecret"));
        for key in [
            "client_secret",
            "ACCESS-TOKEN",
            "refreshtoken",
            "id_token",
            "clientAssertion",
            "private_key",
            "AccountKey",
            "shared_access_key",
            "SharedAccessSignature",
            "secret-value",
            "sasToken",
            "Password",
            "passwd",
            "pwd",
            "Authorization",
            "token",
            "sig",
        ] {
            assert!(SECRET_KEY.is_match(key) && may_name_secret(key), "{key}");
        }
        assert!(!may_name_secret("vaultName"));
        assert!(may_name_secret("pa\u{17F}\u{17F}word"));
        assert!(REDACTORS.literals.is_some());
    }

    #[test]
    fn redacts_each_kind() {
        let cases = [
            ("Authorization: Bearer abc.def.ghi-very-secret", "very-secret"),
            ("> authorization: Basic dXNlcjpzZWNyZXQ=", "dXNlcjpzZWNyZXQ"),
            (r#"{"Authorization": "SharedKey acct:c2VjcmV0"}"#, "c2VjcmV0"),
            ("token eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl", "c2lnbmF0dXJl"),
            ("jwe eyJhbGciOiJSU0EifQ.ZW5jcnlwdGVk.aXY.Y2lwaGVy.dGFn", "Y2lwaGVy"),
            ("bearer Zm9vYmFyYmF6cXV4", "Zm9vYmFyYmF6cXV4"),
            ("client_secret=S3cr3tValue~1&grant_type=client_credentials", "S3cr3tValue"),
            ("AZURE_CLIENT_SECRET=hunter2hunter2", "hunter2"),
            ("clientSecret: s3cr3t-in-yaml", "s3cr3t-in-yaml"),
            (r#"{"access_token":"opaque-token-value-123"}"#, "opaque-token"),
            (r#"{"refreshToken": "0.AR has spaces"}"#, "has spaces"),
            (r#"msg="{\"id_token\":\"opaque-id-token\"}""#, "opaque-id-token"),
            ("https://a.blob.core.windows.net/c?sv=2021&sig=AbCdEf%2Bsecret", "AbCdEf"),
            (r#""url": "https://a.blob.core.windows.net/c?sv=1\u0026sig=Zm9vc2ln""#, "Zm9vc2ln"),
            ("DefaultEndpointsProtocol=https;AccountName=x;AccountKey=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=;", "QUJDREVG"),
            ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=c2FzLWtleQ==", "c2FzLWtleQ"),
            ("Server=tcp:x;Password=hunter2hunter2;", "hunter2"),
            ("Server=tcp:x;Password='with space';", "with space"),
            ("HTTPS_PROXY=http://user:pr0xyPass@proxy.corp:3128", "pr0xyPass"),
            ("az login --service-principal -u 7c5b4a2e-1111-2222-3333-444455556666 -p s3cr3tPass --tenant t", "s3cr3tPass"),
            ("az ad sp create --password 'p@ss word'", "p@ss word"),
            ("app secret Abc8Q~abcdefghijklmnopqrstuvwxyz012345678 here", "abcdefghijklmnop"),
            ("    token: abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnop"),
            (r#"{"status": {"token": "opaque-service-account-token"}}"#, "opaque-service"),
            ("tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlC", "LS0tLS1CRUdJTiBQUklW"),
            ("-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----", "MIIEpAIB"),
            ("-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\nMIIDdzCCAl\n-----END CERTIFICATE-----", "MIIDdz"),
            ("cut: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQ", "MIIEvQIB"),
            ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj", "MIIEvQIB"),
            (r#""cer": "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJRTESMBAGA1UEChMJQmFsdGltb3JlMRMw""#, "MIIDdzCCAl"),
            (r#"{"kty":"RSA","d":"X4cTteJY_gn4FYPsXB8rdXix5vwsg1FLN5E3EaG6RJoVH-HLLKD9"}"#, "X4cTteJY"),
        ];
        for (case, secret) in cases {
            let out = redact(case);
            assert!(out.contains(MARK), "{case} -> {out}");
            assert!(!out.contains(secret), "{case} -> {out}");
            assert_eq!(redact(&out), out, "idempotent: {case}");
        }
        let key = format!("\"value\": \"{}==\"", "QUJD".repeat(21) + "QU");
        assert!(!redact(&key).contains("QUJDQUJD"), "{}", redact(&key));
    }

    #[test]
    fn keeps_what_rules_and_operators_need() {
        for plain in [
            "Vault: mykv;location=westeurope appid=7c5b4a2e-1111-2222-3333-444455556666",
            r#"keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="Forbidden" Message="Client address is not authorized and caller is not a trusted service.\r\nClient address: 20.1.2.3\r\nCaller: appid=7c5b4a2e-1111-2222-3333-444455556666;oid=8d6c5b3f-aaaa-bbbb-cccc-ddddeeeeffff;iss=https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/\r\nVault: kv-prod-01;location=eastus" InnerError={"code":"ForbiddenByFirewall"}"#,
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '7c5b4a2e-1111-2222-3333-444455556666'.",
            "< WWW-Authenticate: Bearer authorization=\"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47\", resource=\"https://vault.azure.net\"",
            r#""enableRbacAuthorization": true,"#,
            "RBAC authorization: enabled",
            "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/MyAppResourceGroupProductionWestEurope/providers/Microsoft.KeyVault/vaults/kv-prod-01",
            "https://kv-prod-01.vault.azure.net/secrets/db-password/0123456789abcdef0123456789abcdef",
            "E0501 10:00:00.000000 1 main.go:1] failed to get token: context deadline exceeded",
            "image: mcr.microsoft.com/oss/azure/secrets-store/provider-azure:v1.5.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "  token_type: Bearer",
            "Normal  Scheduled  default-scheduler  Successfully assigned default/busybox-secrets-store-inline to aks-nodepool1-12345678-vmss000000",
            "password: ",
            "objectName: db-password",
            "--password-file=/etc/x",
        ] {
            assert_eq!(redact(plain), plain);
        }
    }

    #[test]
    fn overlapping_pem_markers_stay_redacted() {
        // Found by fuzzing: a fake end marker inside a header made the second pass differ.
        let text = "tls.crt: -----BEls.crt: -----BEGIN CERTIFICATE-----\\nMIIDdzCCAl+gAwIBAgIE\\n-----END CERTIFICAGIN CERTIFICATE-----\\nMIIDdzCCAl+gAwIBAgIE\\n-----END CERTIFICATE---";
        let once = redact(text);
        assert!(!once.contains("MIIDdz"), "{once}");
        assert_eq!(redact(&once), once);
    }
}
