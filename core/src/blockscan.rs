//! The scan-mode line pipeline, split so that almost nothing is built per line.
//!
//! A large stream is scanned in blocks. For each candidate line of a block the scan decides
//! only *whether* it counts for each target (a confirm group's matches, the `logs` facts, the
//! `kv_errors` facts) and remembers where the line is; it builds no fact and copies no text.
//! Each target keeps a bounded sample (the first and last N by location), so of all the lines
//! that count, only the first N and the last N of a block can ever be kept: [`Summary`] keeps
//! those references and counts the rest. The session then builds values only for references
//! that enter a sample's front end, and holds the others in a per-stream [`Deferred`] ring of
//! raw lines until the stream ends, when they are built and offered to the sample. Lines
//! pushed out of a ring by N later lines of the same stream could not have been kept, and are
//! only counted. The result is the same as building every line, because bounded samples keep
//! the same items whatever order they arrive in.

use crate::parse::{klog, kv_error};
use crate::scan::{GroupId, Matcher};
use crate::text::normalize::split_prefix;
use std::collections::VecDeque;

/// A candidate line of the current block: its number and byte range (without the newline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRef {
    /// 1-based line number in its stream.
    pub number: u64,
    /// Start offset in the block.
    pub start: usize,
    /// End offset in the block (exclusive, before `\n`).
    pub end: usize,
}

/// The lines of one block that count for one target: all counted, the first and last `cap`
/// remembered.
#[derive(Debug, Clone)]
pub struct Target {
    cap: usize,
    count: u64,
    first: Vec<LineRef>,
    last: VecDeque<LineRef>,
}

impl Target {
    fn new(cap: usize) -> Self {
        Self {
            cap,
            count: 0,
            first: Vec::new(),
            last: VecDeque::new(),
        }
    }

    fn clear(&mut self, cap: usize) {
        self.cap = cap;
        self.count = 0;
        self.first.clear();
        self.last.clear();
    }

    fn push(&mut self, line: LineRef) {
        self.count += 1;
        if self.first.len() < self.cap {
            self.first.push(line);
            return;
        }
        if self.last.len() == self.cap {
            self.last.pop_front();
        }
        self.last.push_back(line);
    }

    /// Lines that counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The remembered lines in order (each once).
    pub fn kept(&self) -> impl Iterator<Item = &LineRef> {
        self.first.iter().chain(self.last.iter())
    }

    /// Lines counted but not remembered (between the first and the last `cap`).
    pub fn unremembered(&self) -> u64 {
        self.count - (self.first.len() + self.last.len()) as u64
    }
}

/// What one block contributes: per-target lines plus line statistics.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Per confirm group (only groups with rule patterns are filled).
    pub groups: Vec<Target>,
    /// Lines that make a `logs` fact.
    pub logs: Target,
    /// Lines that make a `kv_errors` fact.
    pub kv: Target,
    /// Lines with at least one confirmed pattern.
    pub candidate_lines: u64,
    /// Candidate lines that were not valid UTF-8.
    pub lossy_lines: u64,
    /// Lines longer than the line limit (only their head is read).
    pub truncated_lines: u64,
    /// Groups touched in this block (to clear them cheaply).
    touched: Vec<GroupId>,
}

impl Summary {
    /// An empty summary for a matcher with `groups` confirm groups.
    pub fn new(groups: usize) -> Self {
        Self {
            groups: (0..groups).map(|_| Target::new(0)).collect(),
            logs: Target::new(0),
            kv: Target::new(0),
            candidate_lines: 0,
            lossy_lines: 0,
            truncated_lines: 0,
            touched: Vec::new(),
        }
    }

    /// Resets for the next block. `group_cap` and `fact_cap` are the samples' end sizes, or
    /// `usize::MAX` to remember every line (when values must be built for all of them).
    pub fn reset(&mut self, group_cap: usize, fact_cap: usize) {
        for g in std::mem::take(&mut self.touched) {
            if let Some(t) = self.groups.get_mut(g) {
                t.clear(group_cap);
            }
        }
        for t in &mut self.groups {
            t.cap = group_cap;
        }
        self.logs.clear(fact_cap);
        self.kv.clear(fact_cap);
        self.candidate_lines = 0;
        self.lossy_lines = 0;
        self.truncated_lines = 0;
    }

    /// Groups with lines in this block.
    pub fn touched(&self) -> &[GroupId] {
        &self.touched
    }

    fn push_group(&mut self, group: GroupId, line: LineRef) {
        if let Some(t) = self.groups.get_mut(group) {
            if t.count == 0 {
                self.touched.push(group);
            }
            t.push(line);
        }
    }
}

/// Per-group roles, decided once per engine.
#[derive(Debug, Clone, Default)]
pub struct GroupRoles {
    /// The group holds the built-in Key Vault error pattern.
    pub kv: Vec<bool>,
    /// The group holds at least one rule pattern (its matches are recorded).
    pub rule: Vec<bool>,
}

/// Decides what one candidate line counts for. `groups` are the unconfirmed groups whose
/// literals the block scan found in the raw line; `text` is the decoded line when it differs
/// from the raw bytes (`None` when the raw line is the text).
pub fn classify(
    matcher: &Matcher,
    roles: &GroupRoles,
    text: &str,
    groups: &[GroupId],
    line: LineRef,
    confirmed: &mut Vec<GroupId>,
    summary: &mut Summary,
) {
    confirmed.clear();
    confirmed.extend(
        groups
            .iter()
            .copied()
            .filter(|&g| matcher.confirms(g, text)),
    );
    if confirmed.is_empty() {
        return;
    }
    summary.candidate_lines += 1;
    let is = |flags: &Vec<bool>, g: &GroupId| flags.get(*g).copied().unwrap_or(false);
    let kv_hit = confirmed.iter().any(|g| is(&roles.kv, g));
    if kv_hit && kv_error::extract(text).is_some() {
        summary.kv.push(line);
    }
    if is_log(text) {
        summary.logs.push(line);
    }
    for g in confirmed.iter() {
        if is(&roles.rule, g) {
            summary.push_group(*g, line);
        }
    }
}

/// Whether the line pipeline reads `text` (one line) as a log record: the same answer as
/// `klog::parse(split_prefix(first line).1).is_some()`, with the common klog shapes decided
/// without regexes.
pub fn is_log(text: &str) -> bool {
    let first = text.lines().next().unwrap_or_default();
    let rest = match first.as_bytes().first() {
        // No prefix can start with an ASCII capital (kubectl's is `[pod/`, stern's a lowercase
        // name, a timestamp a digit), so the line is its own rest.
        Some(b'A'..=b'Z') => first,
        Some(b'[') => match kubectl_prefix(first) {
            Some(rest) if rest.as_bytes().first().is_some_and(u8::is_ascii_uppercase) => rest,
            _ => split_prefix(first).1,
        },
        _ => split_prefix(first).1,
    };
    klog_header(rest.as_bytes()) || klog::parse(rest).is_some()
}

/// Whether a line no pattern matched can make no log fact: it cannot carry a prefix and is
/// outside a log segment, or it is an info klog record (with or without a kubectl prefix).
/// `false` means "parse it and see".
pub fn quiet_line(first: &str, is_log: bool) -> bool {
    let rest = match first.as_bytes().first() {
        Some(b'A'..=b'Z') if !is_log => return true,
        Some(b'A'..=b'Z') => first,
        Some(b'[') => match kubectl_prefix(first) {
            Some(rest) if rest.as_bytes().first().is_some_and(u8::is_ascii_uppercase) => rest,
            _ => return false,
        },
        _ => return false,
    };
    rest.as_bytes().first() == Some(&b'I') && klog_header(rest.as_bytes())
}

/// The text after a `kubectl logs --prefix` prefix (`[pod/NAME/CONTAINER] `), for ASCII
/// prefixes only; `None` sends the line to the regex that defines the prefix.
fn kubectl_prefix(line: &str) -> Option<&str> {
    let bytes = line.as_bytes();
    let after = bytes.strip_prefix(b"[pod/")?;
    let pod = after
        .iter()
        .position(|b| matches!(b, b'/' | b']') || !b.is_ascii_graphic())?;
    if pod == 0 || after.get(pod) != Some(&b'/') {
        return None;
    }
    let tail = after.get(pod + 1..)?;
    let container = tail
        .iter()
        .position(|b| *b == b']' || !b.is_ascii_graphic())?;
    if container == 0 || tail.get(container..container + 2) != Some(b"] ") {
        return None;
    }
    line.get(5 + pod + 1 + container + 2..)
}

/// Whether `line` starts with a klog header in ASCII (`I1029 17:37:42.461313       1 file.go:12]`),
/// which the klog regex accepts whatever follows. `false` means "ask the regex".
fn klog_header(line: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let Some(head) = line.get(..15) else {
        return false;
    };
    if !matches!(head.first(), Some(b'I' | b'W' | b'E' | b'F'))
        || !digits(head.get(1..5).unwrap_or_default())
        || head.get(5) != Some(&b' ')
        || !digits(head.get(6..8).unwrap_or_default())
        || head.get(8) != Some(&b':')
        || !digits(head.get(9..11).unwrap_or_default())
        || head.get(11) != Some(&b':')
        || !digits(head.get(12..14).unwrap_or_default())
        || head.get(14) != Some(&b'.')
    {
        return false;
    }
    let rest = line.get(15..).unwrap_or_default();
    let fraction = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let rest = rest.get(fraction..).unwrap_or_default();
    let spaces = rest.iter().take_while(|b| **b == b' ').count();
    let rest = rest.get(spaces..).unwrap_or_default();
    let pid = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let rest = rest.get(pid..).unwrap_or_default();
    if fraction == 0 || spaces == 0 || pid == 0 || rest.first() != Some(&b' ') {
        return false;
    }
    let file = rest.get(1..).unwrap_or_default();
    let name = file
        .iter()
        .take_while(|b| b.is_ascii_graphic() && **b != b']')
        .count();
    name > 0 && file.get(name) == Some(&b']')
}

/// Raw lines held back for one target of one stream: at most `cap`, the newest.
#[derive(Debug, Default)]
pub struct Ring {
    cap: usize,
    items: VecDeque<(u64, Vec<u8>)>,
}

impl Ring {
    /// Holds `bytes` as line `number`; returns true when an older line was pushed out.
    pub fn push(&mut self, cap: usize, number: u64, bytes: &[u8]) -> bool {
        self.cap = cap;
        if self.cap == 0 {
            return true;
        }
        if self.items.len() < self.cap {
            self.items.push_back((number, bytes.to_vec()));
            return false;
        }
        if let Some(mut oldest) = self.items.pop_front() {
            // Reuse the evicted line's buffer: a steady stream allocates nothing here.
            oldest.0 = number;
            oldest.1.clear();
            oldest.1.extend_from_slice(bytes);
            self.items.push_back(oldest);
        }
        true
    }

    /// Takes the held lines, oldest first.
    pub fn drain(&mut self) -> impl Iterator<Item = (u64, Vec<u8>)> + '_ {
        self.items.drain(..)
    }
}

/// The rings of one scan-mode stream.
#[derive(Debug, Default)]
pub struct Deferred {
    /// Per confirm group.
    pub groups: Vec<Ring>,
    /// `logs` facts.
    pub logs: Ring,
    /// `kv_errors` facts.
    pub kv: Ring,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fast_log_check_agrees_with_the_parser() {
        let lines = [
            "I1029 17:37:42.461313       1 server.go:139] \"mount\" pod=\"a\"",
            "E1029 17:37:42.461313 1 server.go:54] failed",
            "[pod/csi-abc12/secrets-store] I1029 17:37:42.461313       1 x.go:1] ok",
            "[pod/csi-abc12/secrets-store] 2024-10-29T17:37:42.461313Z I1029 17:37:42.1 1 x.go:1] ok",
            "[pod/csi abc/secrets-store] I1029 17:37:42.461313       1 x.go:1] ok",
            "[pod//c] I1029 17:37:42.461313 1 x.go:1] ok",
            "csi-driver-abc12 secrets-store I1029 17:37:42.461313 1 x.go:1] stern",
            "2024-10-29T17:37:42.461313Z E1029 17:37:42.461313 1 x.go:1] with timestamp",
            "I1029 17:37:42. 1 x.go:1] no fraction",
            "I1029 17:37:42.1       x.go:1] no pid",
            "I1029 17:37:42.1 1 ] no file",
            "I1029 17:37:42.1 1 x.go:1 no bracket",
            "I1029 17:37:42.1\t1 x.go:1] tab",
            "time=\"2024-10-29T17:37:42Z\" level=error msg=\"logrus\"",
            "{\"msg\":\"json\",\"level\":\"error\"}",
            "W1029 ١٧:37:42.1 1 x.go:1] arabic digits",
            "Events: nothing",
            "",
            "I1029 17:37:42.461313       1 server.go:139]",
        ];
        for line in lines {
            let slow =
                klog::parse(split_prefix(line.lines().next().unwrap_or_default()).1).is_some();
            assert_eq!(is_log(line), slow, "{line:?}");
            if klog_header(line.as_bytes()) {
                assert!(
                    slow,
                    "the fast path says yes only when the parser does: {line:?}"
                );
            }
        }
        for line in lines {
            if quiet_line(line, true) {
                let (_, rest) = split_prefix(line);
                let record = klog::parse(rest).unwrap();
                assert_eq!(record.severity, Some("info"), "{line:?}");
            }
        }
        assert!(quiet_line("Events: nothing", false) && !quiet_line("[pod/a/b] E1029", true));
        assert!(klog_header(lines[0].as_bytes()));
        assert_eq!(
            kubectl_prefix(lines[2]),
            Some("I1029 17:37:42.461313       1 x.go:1] ok")
        );
    }

    #[test]
    fn targets_remember_the_ends_and_count_the_rest() {
        let mut t = Target::new(2);
        for i in 0..7 {
            t.push(LineRef {
                number: i,
                start: 0,
                end: 0,
            });
        }
        let kept: Vec<u64> = t.kept().map(|l| l.number).collect();
        assert_eq!(kept, vec![0, 1, 5, 6]);
        assert_eq!((t.count(), t.unremembered()), (7, 3));
        let mut ring = Ring::default();
        assert!(!ring.push(2, 1, b"a") && !ring.push(2, 2, b"b") && ring.push(2, 3, b"c"));
        assert_eq!(ring.drain().map(|(n, _)| n).collect::<Vec<_>>(), vec![2, 3]);
    }
}
