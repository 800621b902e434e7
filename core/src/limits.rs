//! Every limit of the core in one place, with the reason for each default.

use std::time::Duration;

/// Limits on input handling. Memory use is bounded by these numbers, never by input size.
#[derive(Debug, Clone)]
pub struct InputLimits {
    /// Longest line kept; the head is kept and the cut is noted. Real log lines with a whole
    /// gRPC payload reach tens of KiB, so 64 KiB keeps every real line intact.
    pub max_line_bytes: usize,
    /// A stream up to this size is segmented and parsed structurally as a whole; beyond it only
    /// the head is segmented and the rest is block-scanned as log text.
    pub document_bytes: usize,
    /// The same for a stream whose head is log records: logs are block-scanned after a short
    /// head, because structural parsing finds nothing more in log lines and costs ten times as
    /// much per byte. Larger than any log excerpt pasted into a ticket.
    pub log_document_bytes: usize,
    /// The same for lines: a document is segmented line by line, and a held line costs a few
    /// dozen bytes beside its text, so ten million two-byte lines would take hundreds of MiB.
    /// 100,000 lines is more than any `describe`, manifest or `az` output holds.
    pub document_lines: usize,
    /// Entries accepted from one archive.
    pub max_archive_entries: usize,
    /// Decompressed bytes accepted from one archive.
    pub max_archive_bytes: u64,
    /// Decompressed-to-compressed ratio above which an archive is treated as a bomb.
    pub max_compression_ratio: u64,
    /// Nesting depth accepted in JSON and YAML documents.
    pub max_nesting: usize,
    /// Facts of one kind kept per check (half from the start, half from the end, by location).
    pub max_facts_per_kind: usize,
    /// Matches kept per pattern at each end (first N and last N).
    pub samples_per_pattern: usize,
    /// Evidence items kept per finding.
    pub evidence_per_finding: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        Self {
            max_line_bytes: 64 * 1024,
            document_bytes: 4 * 1024 * 1024,
            log_document_bytes: 1024 * 1024,
            document_lines: 100_000,
            max_archive_entries: 10_000,
            max_archive_bytes: 2 * 1024 * 1024 * 1024,
            max_compression_ratio: 200,
            max_nesting: 128,
            max_facts_per_kind: 400,
            samples_per_pattern: 5,
            evidence_per_finding: 8,
        }
    }
}

/// Limits on rule scripts. Rhai's own defaults are unlimited, so each is set explicitly.
///
/// Two kinds of size limit apply. The `max_*_size` limits bound what a rule keeps in one
/// variable (checked by the sandbox on every variable access) and `max_memory` bounds the total
/// a rule holds beyond the facts it was given. The `max_value_*` ceilings are rhai's own checks,
/// applied to every value a function returns or a method runs on, facts included: they must hold
/// the largest fact array a check passes to rules, so they are larger.
#[derive(Debug, Clone)]
pub struct ScriptLimits {
    /// Operations one rule may run per call.
    pub max_operations: u64,
    /// Function call depth.
    pub max_call_levels: usize,
    /// Expression nesting at global level and inside functions.
    pub max_expr_depth: (usize, usize),
    /// Longest string a rule may keep in a variable.
    pub max_string_size: usize,
    /// Most items of an array (or bytes of a BLOB) a rule may keep in a variable.
    pub max_array_size: usize,
    /// Most entries of an object map a rule may keep in a variable.
    pub max_map_size: usize,
    /// Bytes (estimated) a rule may hold in all its variables together, beyond the facts and
    /// matches it was given; also bounds how deeply values may nest.
    pub max_memory: usize,
    /// Ceiling on the string bytes inside one value (facts included). 400 log facts of 3 KiB
    /// lines, each with its text and message, come to 2.4 MiB, and a rule indexing them by
    /// location holds twice that in one map.
    pub max_value_string_size: usize,
    /// Ceiling on the array items and map entries inside one value (facts included).
    pub max_value_items: usize,
    /// Functions one rule file may define.
    pub max_functions: usize,
    /// Variables in scope at once.
    pub max_variables: usize,
    /// Wall-clock time one rule call may take; checked through rhai's progress callback, which
    /// also works on wasm32 where threads and signals do not exist.
    pub wall_clock: Duration,
    /// Wall-clock time all the rules of one check may take together. Each rule is bounded by
    /// `wall_clock`, but a folder of a thousand slow rules is not; once this is spent, the
    /// rules not yet run are reported (`rule-limit-check-time`) instead of run. Built-in rules
    /// run first, so custom rules cannot starve them.
    pub check_wall_clock: Duration,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        Self {
            max_operations: 2_000_000,
            max_call_levels: 48,
            max_expr_depth: (64, 64),
            max_string_size: 1024 * 1024,
            max_array_size: 10_000,
            max_map_size: 10_000,
            max_memory: 64 * 1024 * 1024,
            max_value_string_size: 16 * 1024 * 1024,
            max_value_items: 1_000_000,
            max_functions: 256,
            max_variables: 1_000,
            wall_clock: Duration::from_millis(1_000),
            check_wall_clock: Duration::from_secs(30),
        }
    }
}
