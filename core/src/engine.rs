//! The engine (rules, matcher, limits; built once, shared) and the session (one check).

use crate::blockscan::{self, Deferred, GroupRoles};
use crate::classify::{segment, Segment, SegmentKind};
use crate::evidence::{Evidence, Location};
use crate::facts::{Fact, Facts, FACT_KINDS};
use crate::input::archive::{ArchiveDecoder, ArchiveEvent, ArchiveLimits};
use crate::limits::{InputLimits, ScriptLimits};
use crate::matches::MatchSamples;
use crate::parse::{for_each_unit, klog, kv_error, parse_segment, Sink, Unit};
use crate::pipeline::{Caps, Pipeline, Ready, Scan, ScanCore, ScanPart, Scanned};
use crate::report::{build, BuildInput, Diagnostic, Lang, Report, Stats, SuppressionList};
use crate::rule::{
    builtin_sources, run_rules, sandbox, Outcome, Rule, RuleJob, RuleSet, RuleSource,
};
use crate::scan::{GroupId, Matcher, PatternMatches, PatternSpec};
use crate::text::encoding::{sniff, Sniffed, Utf16Decoder, SNIFF_BYTES};
use crate::text::lines::{decode_line, split_lines, Line};
use crate::text::normalize::{split_prefix, strip_ansi};
use crate::text::redact::Secrets;
use rhai::Dynamic;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Owner name of the built-in Key Vault error extractor's pattern.
const KV_EXTRACTOR: &str = "builtin:kv_error";

/// Options of one check.
#[derive(Debug, Clone)]
pub struct Options {
    /// Language of the report's texts.
    pub lang: Lang,
    /// Redact credentials (on by default).
    pub redact: bool,
    /// Suppression entries.
    pub suppressions: SuppressionList,
    /// Run the rules; `false` scans and parses only, with identical scan statistics (used to
    /// measure what rule evaluation costs).
    pub evaluate_rules: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            lang: Lang::En,
            redact: true,
            suppressions: SuppressionList::default(),
            evaluate_rules: true,
        }
    }
}

/// Builds an [`Engine`].
#[derive(Debug, Clone)]
pub struct EngineBuilder {
    builtin: bool,
    user: Vec<RuleSource>,
    input_limits: InputLimits,
    script_limits: ScriptLimits,
    scan_threads: usize,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        Self {
            builtin: true,
            user: Vec::new(),
            input_limits: InputLimits::default(),
            script_limits: ScriptLimits::default(),
            scan_threads: default_scan_threads(),
        }
    }
}

/// Two scan threads where the machine has two cores or more, one otherwise; `KVCSI_THREADS`
/// (1 or 2) overrides. The second thread is a worker that scans every other large block while
/// the caller's thread reads and scans the next (see `pipeline`). wasm32 has no threads.
fn default_scan_threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        return 1;
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    std::env::var("KVCSI_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(cores)
        .clamp(1, 2)
}

impl EngineBuilder {
    /// Whether to load the built-in rules (default yes).
    pub fn builtin(mut self, yes: bool) -> Self {
        self.builtin = yes;
        self
    }

    /// Adds a user rule; one with a built-in id replaces the built-in rule.
    pub fn rule(mut self, source: RuleSource) -> Self {
        self.user.push(source);
        self
    }

    /// Adds user rules.
    pub fn rules(mut self, sources: impl IntoIterator<Item = RuleSource>) -> Self {
        self.user.extend(sources);
        self
    }

    /// Input limits.
    pub fn input_limits(mut self, limits: InputLimits) -> Self {
        self.input_limits = limits;
        self
    }

    /// Script limits.
    pub fn script_limits(mut self, limits: ScriptLimits) -> Self {
        self.script_limits = limits;
        self
    }

    /// Threads a check uses, 1 or 2 (default 2 on a machine with two cores or more, or
    /// `KVCSI_THREADS`): large blocks are scanned beside the reading thread and the rules run
    /// two at a time. Reports do not depend on it.
    pub fn scan_threads(mut self, threads: usize) -> Self {
        self.scan_threads = if cfg!(target_arch = "wasm32") {
            1
        } else {
            threads.clamp(1, 2)
        };
        self
    }

    /// Compiles the rules and the matcher. Rules that fail to load are reported in
    /// [`Engine::rules`]`.errors` and as diagnostics of every check; the others still run.
    pub fn build(self) -> Engine {
        let rhai = sandbox::engine(&self.script_limits);
        let mut sources = if self.builtin {
            builtin_sources()
        } else {
            Vec::new()
        };
        sources.extend(self.user);
        let rules = RuleSet::load(&rhai, &self.script_limits, sources);
        let mut specs = vec![PatternSpec {
            owner: KV_EXTRACTOR.to_owned(),
            name: "kv_error".to_owned(),
            literals: kv_error::LITERALS.iter().map(|s| (*s).to_owned()).collect(),
            regex: Some(kv_error::CONFIRM.to_owned()),
        }];
        let mut rule_patterns = Vec::new();
        for (rule_index, rule) in rules.rules.iter().enumerate() {
            for (name, decl) in &rule.meta.patterns {
                rule_patterns.push((rule_index, name.clone()));
                specs.push(PatternSpec {
                    owner: rule.meta.id.clone(),
                    name: name.clone(),
                    literals: decl.literals.clone(),
                    regex: decl.regex.clone(),
                });
            }
        }
        let (matcher, matcher_error) = match Matcher::new(specs) {
            Ok(m) => (m, None),
            Err(e) => (
                Matcher::new(Vec::new()).unwrap_or_else(|_| unreachable_matcher()),
                Some(e.0),
            ),
        };
        let mut roles = GroupRoles {
            kv: vec![false; matcher.group_count()],
            rule: vec![false; matcher.group_count()],
        };
        for id in 0..matcher.len() {
            let (Some(spec), Some(group)) = (matcher.spec(id), matcher.group_of(id)) else {
                continue;
            };
            let flags = if spec.owner == KV_EXTRACTOR {
                &mut roles.kv
            } else {
                &mut roles.rule
            };
            if let Some(flag) = flags.get_mut(group) {
                *flag = true;
            }
        }
        Engine {
            rhai,
            rules,
            scan: Arc::new(ScanCore {
                matcher,
                roles,
                max_line: self.input_limits.max_line_bytes,
            }),
            scan_threads: self.scan_threads,
            matcher_error,
            input_limits: self.input_limits,
            script_limits: self.script_limits,
        }
    }
}

fn unreachable_matcher() -> Matcher {
    // An empty pattern list always builds; this keeps the type total without a panic path.
    Matcher::new(Vec::new()).unwrap_or_else(|_| unreachable_matcher())
}

/// Rules, matcher and limits, built once; `Send + Sync`, so one engine serves many threads.
#[derive(Debug)]
pub struct Engine {
    rhai: rhai::Engine,
    rules: RuleSet,
    /// The matcher and what each confirm group feeds, shared with scan workers.
    scan: Arc<ScanCore>,
    /// Threads a check uses (1 or 2): for scanning large blocks and running rules.
    scan_threads: usize,
    matcher_error: Option<String>,
    input_limits: InputLimits,
    script_limits: ScriptLimits,
}

impl Engine {
    /// An engine with the built-in rules only.
    pub fn builtin() -> crate::Result<Self> {
        let engine = Self::builder().build();
        match engine.rules.errors.first() {
            Some(error) => Err(crate::Error::Rule(error.clone())),
            None => Ok(engine),
        }
    }

    /// A builder.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The loaded rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The pattern matcher (for `rules lint`, which compiles every confirm regex).
    pub fn matcher(&self) -> &Matcher {
        &self.scan.matcher
    }

    /// Starts a streaming check.
    pub fn session(&self, options: &Options) -> Session<'_> {
        Session::new(EngineRef::Borrowed(self), options.clone())
    }

    /// Starts a streaming check that holds a share of the engine instead of a borrow, for
    /// callers whose session object must own what it uses (a Python or JavaScript object).
    pub fn session_shared(self: &Arc<Self>, options: &Options) -> Session<'static> {
        Session::new(EngineRef::Shared(Arc::clone(self)), options.clone())
    }

    /// Checks evidence held in memory.
    pub fn check(&self, evidence: &[Evidence], options: &Options) -> Report {
        let mut session = self.session(options);
        for item in evidence {
            session.feed(&item.name, &item.bytes);
            session.end(&item.name);
        }
        session.finish()
    }
}

/// How a stream is being read.
#[derive(Debug)]
enum Mode {
    /// The first bytes, until there are enough to tell a gzip stream or a UTF-16 byte order
    /// mark from text (a stream may arrive one byte at a time).
    Sniff(Vec<u8>),
    /// Binary content: counted, never read.
    Binary,
    /// Read as one document while small enough to segment whole.
    Document(DocumentBuffer),
    /// Too large: block-scanned, keeping only the incomplete last line.
    Scan(Vec<u8>),
    /// A gzip (or tar.gz) stream.
    Archive(Box<ArchiveDecoder>),
}

#[derive(Debug)]
struct Stream {
    mode: Mode,
    /// Lines consumed so far.
    lines: u64,
    bytes: u64,
    lossy_lines: u64,
    truncated_lines: u64,
    /// Inside an over-long line in scan mode: drop bytes until the next newline.
    skipping: bool,
    /// Current archive entry, for archive streams.
    entry: Option<String>,
    /// Times this name was ended before: a name fed again restarts its line numbers, so its
    /// locations may repeat and every value is built at once (no deferral).
    generation: u32,
    /// Lines held back until the stream ends (scan mode).
    deferred: Deferred,
    /// UTF-16 text is transcoded to UTF-8 before anything else sees it.
    utf16: Option<Utf16Decoder>,
    /// Lines buffered in document mode: a document of countless tiny lines switches to block
    /// scanning as a large one does, since each line costs far more held than read.
    document_lines: usize,
    /// Whether the stream's head is log records (decided once it outgrows
    /// `log_document_bytes`): a log is parsed structurally for a shorter head than other text.
    log_head: Option<bool>,
}

/// Bytes of a document kept to tell binary content from text (what [`looks_binary`] reads).
const BINARY_SAMPLE: usize = 64 * 1024;

/// A stream in document mode. Its complete lines are decoded as they arrive rather than when
/// the document ends, so the document is held once, as lines, and not also as the raw bytes
/// they came from: up to the document limit (4 MiB) that halves what a stream holds, which is
/// what keeps the WASM build's linear memory small. What the lines count for (line numbers,
/// invalid UTF-8, truncation) is applied to the stream only when the document is parsed, as if
/// it had been decoded whole then.
#[derive(Debug, Default)]
struct DocumentBuffer {
    /// The complete lines decoded so far, numbered from the stream's line count.
    lines: Vec<Line>,
    /// Bytes after the last complete line.
    partial: Vec<u8>,
    /// Bytes of the lines in `lines`, newlines included.
    decoded_bytes: usize,
    /// The document's first bytes, up to [`BINARY_SAMPLE`].
    sample: Vec<u8>,
    /// Lines in `lines` that were not UTF-8.
    lossy_lines: u64,
    /// Lines in `lines` longer than the line limit.
    truncated_lines: u64,
}

impl DocumentBuffer {
    /// Bytes of the document so far.
    fn len(&self) -> usize {
        self.decoded_bytes + self.partial.len()
    }

    /// Takes a chunk: the sample's share, then into the partial line.
    fn push(&mut self, chunk: &[u8]) {
        let room = BINARY_SAMPLE.saturating_sub(self.sample.len());
        self.sample
            .extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        self.partial.extend_from_slice(chunk);
    }

    /// Decodes `partial[..end]` (complete lines, or the last line of the document) into
    /// `lines`, numbered after `base` lines, and keeps the rest of `partial`.
    fn decode(&mut self, end: usize, base: u64, max_line: usize) {
        let end = end.min(self.partial.len());
        let region = self.partial.get(..end).unwrap_or_default();
        for raw in split_lines(region) {
            let (text, notes) = decode_line(raw, max_line);
            self.lossy_lines += u64::from(notes.lossy);
            self.truncated_lines += u64::from(notes.truncated);
            self.lines.push(Line {
                number: base + self.lines.len() as u64 + 1,
                text: strip_ansi(&text).into_owned(),
            });
        }
        self.decoded_bytes += end;
        self.partial.drain(..end);
    }
}

/// One segment as `kvcsi facts` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentInfo {
    /// Evidence name.
    pub source: String,
    /// Kind.
    pub kind: SegmentKind,
    /// First and last line.
    pub lines: [u64; 2],
    /// The command before it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// What `kvcsi facts` prints: segments and facts as rules will see them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FactsView {
    /// Segments in source order.
    pub segments: Vec<SegmentInfo>,
    /// Facts by kind.
    pub facts: BTreeMap<String, Vec<Value>>,
    /// Pattern matches by rule and pattern name (counts and kept samples).
    pub matches: BTreeMap<String, Value>,
    /// Diagnostics from reading the input.
    pub diagnostics: Vec<Diagnostic>,
}

/// How a session holds its engine: borrowed ([`Engine::session`]) or shared
/// ([`Engine::session_shared`]).
#[derive(Debug)]
enum EngineRef<'e> {
    Borrowed(&'e Engine),
    Shared(Arc<Engine>),
}

impl std::ops::Deref for EngineRef<'_> {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        match self {
            Self::Borrowed(engine) => engine,
            Self::Shared(engine) => engine,
        }
    }
}

/// One check in progress: feed named chunks, then [`Session::finish`].
#[derive(Debug)]
pub struct Session<'e> {
    engine: EngineRef<'e>,
    options: Options,
    streams: BTreeMap<String, Stream>,
    facts: Facts,
    matches: Vec<PatternMatches>,
    diagnostics: Vec<Diagnostic>,
    stats: Stats,
    segments: Vec<SegmentInfo>,
    /// Sources that held at least one line of text.
    usable: std::collections::BTreeSet<String>,
    /// Block scanning, on one or two threads, with buffers reused by every block.
    scan: Pipeline,
    /// The buffer [`Session::feed_from`] reads streams that are not block-scanned into.
    read_buffer: Vec<u8>,
    /// Bytes every archive of this check decompressed so far, nested ones included. One budget
    /// for all of them: a bundle of thousands of small gzip bombs is bounded by it, not by its
    /// number of entries times each one's limit.
    inflated: u64,
}

/// Blocks at least this large go to the scan worker when there is one: a smaller block costs
/// less to scan than to hand over.
const PARALLEL_BLOCK: usize = 256 * 1024;

/// Whether a head of text is log records: at least nine in ten of the lines of its first 64 KiB
/// (and fifty of them at least). Structural parsing finds nothing in a log that the block scan
/// misses, and costs ten times as much per byte, so a log's head is kept short.
fn mostly_log_records(head: &[u8]) -> bool {
    let sample = head.get(..head.len().min(64 * 1024)).unwrap_or(head);
    let complete =
        memchr::memrchr(b'\n', sample).map_or(&[][..], |p| sample.get(..p).unwrap_or_default());
    let (mut lines, mut logs) = (0usize, 0usize);
    for line in complete.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        lines += 1;
        logs += usize::from(std::str::from_utf8(line).is_ok_and(blockscan::is_log));
    }
    lines >= 50 && logs * 10 >= lines * 9
}

/// Whether a document is binary: many control bytes, or mostly lines that are not UTF-8.
/// Text evidence has neither; an image or an unnamed gzip stream has both.
fn looks_binary(bytes: &[u8], lossy_lines: u64, lines: usize) -> bool {
    let sample = bytes
        .get(..bytes.len().min(BINARY_SAMPLE))
        .unwrap_or_default();
    if sample.is_empty() {
        return false;
    }
    let control = sample
        .iter()
        .filter(|b| matches!(**b, 0..=8 | 11 | 12 | 14..=26 | 28..=31 | 127))
        .count();
    control * 20 > sample.len() || (lines > 0 && lossy_lines * 3 > lines as u64)
}

impl<'e> Session<'e> {
    fn new(engine: EngineRef<'e>, options: Options) -> Self {
        let cap = engine.input_limits.samples_per_pattern;
        Self {
            options,
            streams: BTreeMap::new(),
            facts: Facts::new(engine.input_limits.max_facts_per_kind),
            matches: (0..engine.scan.matcher.group_count())
                .map(|_| PatternMatches::new(cap))
                .collect(),
            diagnostics: Vec::new(),
            stats: Stats::default(),
            segments: Vec::new(),
            usable: std::collections::BTreeSet::new(),
            inflated: 0,
            scan: Pipeline::default(),
            read_buffer: Vec::new(),
            engine,
        }
    }

    /// Feeds a chunk of the evidence named `name`. Chunks of one name are concatenated; names
    /// may interleave.
    pub fn feed(&mut self, name: &str, chunk: &[u8]) {
        if !self.streams.contains_key(name) {
            self.stats.sources += 1;
            self.streams.insert(
                name.to_owned(),
                Stream {
                    mode: Mode::Sniff(Vec::new()),
                    lines: 0,
                    bytes: 0,
                    lossy_lines: 0,
                    truncated_lines: 0,
                    skipping: false,
                    entry: None,
                    generation: 0,
                    deferred: Deferred::default(),
                    utf16: None,
                    document_lines: 0,
                    log_head: None,
                },
            );
        }
        let Some(mut stream) = self.streams.remove(name) else {
            return;
        };
        stream.bytes += chunk.len() as u64;
        self.stats.bytes += chunk.len() as u64;
        let head;
        let mut chunk = chunk;
        if let Mode::Sniff(buffer) = &mut stream.mode {
            if buffer.is_empty() && chunk.len() >= SNIFF_BYTES {
                // The chunk alone decides: no copy of it (a copy of a 1 MiB chunk would be held
                // beside the document it starts).
                self.begin_stream(name, &mut stream, chunk);
            } else {
                buffer.extend_from_slice(chunk);
                if buffer.len() < SNIFF_BYTES {
                    self.streams.insert(name.to_owned(), stream);
                    return;
                }
                head = std::mem::take(buffer);
                self.begin_stream(name, &mut stream, &head);
                chunk = &head;
            }
        }
        self.feed_bytes(name, &mut stream, chunk);
        self.streams.insert(name.to_owned(), stream);
    }

    /// Reads up to `max` bytes of the evidence `name` from `reader` and feeds them, as
    /// [`Session::feed`] would; returns how many were read (0 at the end of `reader`). A stream
    /// being block-scanned is read straight into its own buffer, which saves copying every
    /// byte once more; other streams go through a buffer the session reuses.
    pub fn feed_from(
        &mut self,
        name: &str,
        reader: &mut dyn std::io::Read,
        max: usize,
    ) -> std::io::Result<usize> {
        use std::io::Read;
        let scanning = self
            .streams
            .get(name)
            .is_some_and(|s| matches!(s.mode, Mode::Scan(_)) && s.utf16.is_none());
        if !scanning {
            let mut buffer = std::mem::take(&mut self.read_buffer);
            buffer.clear();
            let read = reader.take(max as u64).read_to_end(&mut buffer);
            if let Ok(n) = read {
                if n > 0 {
                    self.feed(name, &buffer);
                }
            }
            self.read_buffer = buffer;
            return read;
        }
        let Some(mut stream) = self.streams.remove(name) else {
            return Ok(0);
        };
        let read = match &mut stream.mode {
            // `read_to_end` reads into the buffer's spare capacity directly.
            Mode::Scan(carry) => reader.take(max as u64).read_to_end(carry),
            _ => Ok(0),
        };
        if let Ok(n) = read {
            stream.bytes += n as u64;
            self.stats.bytes += n as u64;
            if n > 0 {
                self.scan_carry(name, &mut stream);
            }
        }
        self.streams.insert(name.to_owned(), stream);
        read
    }

    /// Decides what a stream is from its first bytes (content, never the name).
    fn begin_stream(&mut self, name: &str, stream: &mut Stream, head: &[u8]) {
        stream.mode = match sniff(head) {
            Sniffed::Gzip => Mode::Archive(Box::new(ArchiveDecoder::new(self.archive_limits()))),
            Sniffed::Utf16 { big_endian } => {
                stream.utf16 = Some(Utf16Decoder::new(big_endian));
                self.diagnostics.push(
                    Diagnostic::new(
                        "utf16-input",
                        format!("{name} is UTF-16 text (as Windows PowerShell writes files); it was decoded"),
                    )
                    .with_source(name),
                );
                Mode::Document(DocumentBuffer::default())
            }
            Sniffed::Text => Mode::Document(DocumentBuffer::default()),
        };
    }

    /// Routes bytes of a stream whose kind is known, UTF-16 transcoded first.
    fn feed_bytes(&mut self, name: &str, stream: &mut Stream, chunk: &[u8]) {
        match stream.utf16.as_mut() {
            Some(decoder) => {
                let decoded = decoder.decode(chunk);
                self.route(name, stream, &decoded);
            }
            None => self.route(name, stream, chunk),
        }
    }

    fn route(&mut self, name: &str, stream: &mut Stream, chunk: &[u8]) {
        match &mut stream.mode {
            Mode::Sniff(_) | Mode::Binary => {}
            Mode::Archive(decoder) => {
                if self.inflated > self.engine.input_limits.max_archive_bytes {
                    // The check's decompression budget is spent: no more inflating.
                    return;
                }
                let mut events = Vec::new();
                decoder.push(chunk, &mut |e| events.push(e));
                self.archive_events(name, stream, events);
            }
            Mode::Document(document) => {
                document.push(chunk);
                stream.document_lines += memchr::memchr_iter(b'\n', chunk).count();
                let limits = &self.engine.input_limits;
                let many_lines = stream.document_lines > limits.document_lines;
                // A log's head is decided on the document's first bytes alone, so the cut does
                // not depend on how the stream was chunked either.
                if stream.log_head.is_none() && document.len() > limits.log_document_bytes {
                    stream.log_head = Some(mostly_log_records(&document.sample));
                }
                let byte_limit = if stream.log_head == Some(true) {
                    limits.log_document_bytes
                } else {
                    limits.document_bytes
                };
                if document.len() <= byte_limit && !many_lines {
                    // Within the limits: decode the complete lines now.
                    if let Some(last) = memchr::memrchr(b'\n', &document.partial) {
                        document.decode(last + 1, stream.lines, limits.max_line_bytes);
                    }
                    return;
                }
                let mut document = std::mem::take(document);
                if looks_binary(&document.sample, 0, 0) {
                    // Megabytes without text (a decompressed bomb of zeros, a disk image):
                    // say so once and drop the rest unread.
                    self.diagnostics.push(
                        Diagnostic::new(
                            "binary-input",
                            format!("{name} is binary, not text; it was skipped"),
                        )
                        .with_source(name),
                    );
                    stream.mode = Mode::Binary;
                    return;
                }
                // The document ends at the last line within the byte limit, or after the line
                // limit's last line, whichever comes first: positions in the stream, never
                // where a chunk happened to end, so the report does not depend on how the
                // stream was chunked. The decoded lines are within both limits (the limits
                // were not reached when they were decoded), so both ends are in `partial` or
                // at its start.
                let decoded = document.decoded_bytes;
                let partial = &document.partial;
                let within = byte_limit.saturating_sub(decoded);
                let by_bytes = memchr::memrchr(b'\n', partial.get(..within).unwrap_or(partial))
                    .map_or(decoded, |p| decoded + p + 1);
                let line_index = limits.document_lines.saturating_sub(1);
                let by_lines = match line_index.checked_sub(document.lines.len()) {
                    // The line limit's last line is the last decoded one.
                    None => decoded,
                    Some(nth) => memchr::memchr_iter(b'\n', partial)
                        .nth(nth)
                        .map_or(usize::MAX, |p| decoded + p + 1),
                };
                let why = if by_lines < by_bytes {
                    format!("has more than {} lines", limits.document_lines)
                } else {
                    format!("is larger than {} MiB", byte_limit >> 20)
                };
                let cut = by_bytes.min(by_lines);
                document.decode(
                    cut.saturating_sub(decoded),
                    stream.lines,
                    limits.max_line_bytes,
                );
                // The rest is copied out at its size: `partial` has room for a chunk or two
                // more, which would otherwise be held while the document is parsed.
                let tail = document.partial.clone();
                document.partial = Vec::new();
                self.document(name, stream, document, cut);
                self.diagnostics.push(Diagnostic::new("large-input", format!("{name} {why}: its first part was parsed structurally, the rest is scanned as log text")).with_source(name));
                stream.mode = Mode::Scan(tail);
                self.scan_carry(name, stream);
            }
            Mode::Scan(carry) => {
                carry.extend_from_slice(chunk);
                self.scan_carry(name, stream);
            }
        }
    }

    /// Declares that the evidence `name` is complete. Optional: [`Session::finish`] ends every
    /// stream; ending early frees its buffer sooner.
    pub fn end(&mut self, name: &str) {
        let Some(mut stream) = self.streams.remove(name) else {
            return;
        };
        self.end_stream(name, &mut stream);
        self.stream_diagnostics(name, &stream);
        // Keep a finished marker so the same name fed again is counted as new data of it.
        stream.mode = Mode::Document(DocumentBuffer::default());
        stream.lines = 0;
        stream.generation += 1;
        stream.document_lines = 0;
        stream.log_head = None;
        self.streams.insert(name.to_owned(), stream);
    }

    fn archive_limits(&self) -> ArchiveLimits {
        let l = &self.engine.input_limits;
        ArchiveLimits {
            max_entries: l.max_archive_entries,
            max_bytes: l.max_archive_bytes,
            max_ratio: l.max_compression_ratio,
        }
    }

    fn archive_events(&mut self, name: &str, stream: &mut Stream, events: Vec<ArchiveEvent>) {
        for event in events {
            match event {
                ArchiveEvent::Begin(inner) => {
                    let entry = if inner.is_empty() {
                        format!(
                            "{name}:{}",
                            name.rsplit('/')
                                .next()
                                .unwrap_or(name)
                                .trim_end_matches(".gz")
                        )
                    } else {
                        format!("{name}:{inner}")
                    };
                    stream.entry = Some(entry);
                }
                ArchiveEvent::Data(bytes) => {
                    let budget = self.engine.input_limits.max_archive_bytes;
                    let before = self.inflated;
                    self.inflated = before.saturating_add(bytes.len() as u64);
                    if self.inflated > budget {
                        if before <= budget {
                            self.diagnostics.push(
                                Diagnostic::new(
                                    "archive-too-large",
                                    format!("the archives of this check expand beyond {} MiB in all (nested ones included); the rest was skipped", budget >> 20),
                                )
                                .with_source(name),
                            );
                        }
                        continue;
                    }
                    if let Some(entry) = stream.entry.clone() {
                        self.feed(&entry, &bytes);
                    }
                }
                ArchiveEvent::End => {
                    if let Some(entry) = stream.entry.take() {
                        self.end(&entry);
                    }
                }
                ArchiveEvent::Diagnostic(code, message) => self
                    .diagnostics
                    .push(Diagnostic::new(code, message).with_source(name)),
            }
        }
    }

    fn end_stream(&mut self, name: &str, stream: &mut Stream) {
        // A stream shorter than the sniffing window is decided on what there is.
        if let Mode::Sniff(head) = &mut stream.mode {
            let head = std::mem::take(head);
            self.begin_stream(name, stream, &head);
            self.feed_bytes(name, stream, &head);
        }
        if let Some(rest) = stream.utf16.as_mut().map(Utf16Decoder::finish) {
            self.route(name, stream, &rest);
        }
        match std::mem::replace(&mut stream.mode, Mode::Document(DocumentBuffer::default())) {
            Mode::Sniff(_) | Mode::Binary => {}
            Mode::Document(mut document) => {
                // The last line may lack its newline.
                let len = document.len();
                let max_line = self.engine.input_limits.max_line_bytes;
                document.decode(document.partial.len(), stream.lines, max_line);
                self.document(name, stream, document, len);
            }
            Mode::Scan(carry) => {
                if !carry.is_empty() && !stream.skipping {
                    let mut block = carry;
                    block.push(b'\n');
                    self.scan_owned(name, stream, block);
                }
                self.drain_pending(name, stream);
                self.flush_deferred(name, stream);
            }
            Mode::Archive(mut decoder) => {
                let mut events = Vec::new();
                decoder.finish(&mut |e| events.push(e));
                self.archive_events(name, stream, events);
                self.stats.usable_sources += 0;
            }
        }
    }

    fn stream_diagnostics(&mut self, name: &str, stream: &Stream) {
        if stream.lossy_lines > 0 {
            self.diagnostics.push(Diagnostic::new("invalid-utf8", format!("{} lines are not valid UTF-8; they were decoded with replacement characters", stream.lossy_lines)).with_source(name));
        }
        if stream.truncated_lines > 0 {
            self.diagnostics.push(
                Diagnostic::new(
                    "line-truncated",
                    format!(
                        "{} lines are longer than {} KiB; only their first {} KiB were read",
                        stream.truncated_lines,
                        self.engine.input_limits.max_line_bytes >> 10,
                        self.engine.input_limits.max_line_bytes >> 10
                    ),
                )
                .with_source(name),
            );
        }
    }

    /// Scans the complete lines of a scan-mode stream's carry buffer.
    fn scan_carry(&mut self, name: &str, stream: &mut Stream) {
        let Mode::Scan(carry) = &mut stream.mode else {
            return;
        };
        let mut carry = std::mem::take(carry);
        let max_line = self.engine.input_limits.max_line_bytes;
        if stream.skipping {
            match memchr::memchr(b'\n', &carry) {
                Some(p) => {
                    stream.skipping = false;
                    carry.drain(..=p);
                    stream.lines += 1;
                }
                None => {
                    carry.clear();
                    stream.mode = Mode::Scan(carry);
                    return;
                }
            }
        }
        let mut rest = match memchr::memrchr(b'\n', &carry) {
            Some(p) => {
                // The block leaves with its complete lines; the incomplete last line moves to a
                // spare buffer, so the block itself is never copied.
                let mut rest = self.scan.buffer();
                rest.extend_from_slice(carry.get(p + 1..).unwrap_or_default());
                carry.truncate(p + 1);
                self.scan_owned(name, stream, carry);
                rest
            }
            None => carry,
        };
        if rest.len() > max_line {
            // An over-long line: keep its head as a line, drop the rest of it.
            rest.truncate(max_line);
            rest.push(b'\n');
            stream.truncated_lines += 1;
            self.scan_owned(name, stream, rest);
            self.drain_pending(name, stream);
            stream.lines = stream.lines.saturating_sub(1);
            stream.skipping = true;
            rest = self.scan.buffer();
        }
        stream.mode = Mode::Scan(rest);
    }

    /// The sample end sizes a block of this stream is summarised for.
    fn caps(&self, stream: &Stream) -> Caps {
        let limits = &self.engine.input_limits;
        if stream.generation == 0 {
            (
                limits.samples_per_pattern.max(1),
                (limits.max_facts_per_kind / 2).max(1),
            )
        } else {
            // A name fed again repeats its locations: every value is built (no deferral).
            (usize::MAX, usize::MAX)
        }
    }

    /// Block-scans complete lines: the prefilter finds the candidate lines, each is only
    /// classified (what it counts for), and values are built just for the lines a bounded
    /// sample can keep (see `blockscan`). With two scan threads, large blocks go to a worker
    /// while this thread reads on, and summaries are applied in block order, so the result does
    /// not depend on which thread scanned what (see `pipeline`).
    fn scan_owned(&mut self, name: &str, stream: &mut Stream, block: Vec<u8>) {
        let caps = self.caps(stream);
        let parallel = self.engine.scan_threads > 1 && block.len() >= PARALLEL_BLOCK;
        let mut ready = Vec::new();
        let core = &self.engine.scan;
        self.scan
            .push(core, parallel, (name, caps), block, &mut ready);
        self.apply_outcomes(Some((name, stream)), ready);
    }

    /// Applies every block still in flight. `current` is the stream being fed or ended (taken
    /// out of the session's map by the caller); blocks of other streams are applied to them in
    /// the map.
    fn drain_pending(&mut self, name: &str, stream: &mut Stream) {
        let mut ready = Vec::new();
        self.scan.drain(&mut ready);
        self.apply_outcomes(Some((name, stream)), ready);
    }

    /// Applies every block still in flight, of any stream (before the session's state is read).
    fn drain_any(&mut self) {
        let mut ready = Vec::new();
        self.scan.drain(&mut ready);
        self.apply_outcomes(None, ready);
    }

    fn apply_outcomes(&mut self, mut current: Option<(&str, &mut Stream)>, outcomes: Vec<Scan>) {
        for outcome in outcomes {
            match outcome {
                Scan::Ready(ready) => {
                    let Ready {
                        owner,
                        caps,
                        scanned,
                    } = *ready;
                    let Scanned { block, part, lines } = scanned;
                    match current.as_mut() {
                        Some((name, stream)) if *name == owner => {
                            self.apply_block(name, stream, &block, &part, lines, caps);
                        }
                        _ => {
                            if let Some(mut other) = self.streams.remove(&owner) {
                                self.apply_block(&owner, &mut other, &block, &part, lines, caps);
                                self.streams.insert(owner, other);
                            }
                        }
                    }
                    self.scan.recycle(block, part);
                }
                Scan::Lost(owner) => self.diagnostics.push(
                    Diagnostic::new(
                        "scan-thread-failed",
                        "the scan thread stopped; a block of this evidence was not read".to_owned(),
                    )
                    .with_source(&owner),
                ),
            }
        }
    }

    /// Applies one scanned block, the next in its stream's order.
    fn apply_block(
        &mut self,
        name: &str,
        stream: &mut Stream,
        block: &[u8],
        part: &ScanPart,
        lines: u64,
        caps: Caps,
    ) {
        let base = stream.lines;
        stream.lines = base + lines;
        self.stats.lines += lines;
        if lines > 0 && stream.bytes > 0 {
            self.mark_usable(name);
        }
        let summary = &part.summary;
        stream.lossy_lines += summary.lossy_lines;
        stream.truncated_lines += summary.truncated_lines;
        self.stats.candidate_lines += summary.candidate_lines;
        for &group in summary.touched() {
            if let Some(target) = summary.groups.get(group) {
                let target_lines = (Target::Group(group), target);
                self.apply_target(name, stream, block, base, target_lines, caps.0);
            }
        }
        self.apply_target(
            name,
            stream,
            block,
            base,
            (Target::Logs, &summary.logs),
            caps.1,
        );
        self.apply_target(name, stream, block, base, (Target::Kv, &summary.kv), caps.1);
    }

    /// Builds the values of a block's remembered lines for one target where the sample may keep
    /// them, holds the others back in the stream's ring, and counts the rest.
    fn apply_target(
        &mut self,
        name: &str,
        stream: &mut Stream,
        block: &[u8],
        base: u64,
        (target, lines): (Target, &blockscan::Target),
        cap: usize,
    ) {
        if lines.count() == 0 {
            return;
        }
        let defer = stream.generation == 0;
        for line in lines.kept() {
            let raw = block.get(line.start..line.end).unwrap_or_default();
            let number = base + line.number;
            if !defer || self.enters_front(target, name, number) {
                self.record_target(name, target, number, raw);
                continue;
            }
            let ring = match target {
                Target::Group(g) => {
                    let rings = &mut stream.deferred.groups;
                    if rings.len() <= g {
                        rings.resize_with(g + 1, Default::default);
                    }
                    rings.get_mut(g)
                }
                Target::Logs => Some(&mut stream.deferred.logs),
                Target::Kv => Some(&mut stream.deferred.kv),
            };
            if ring.is_some_and(|r| r.push(cap, number, raw)) {
                self.add_unkept(target, 1);
            }
        }
        self.add_unkept(target, lines.unremembered());
    }

    /// Whether a line of `name` would enter the front end of the target's sample (so its value
    /// must be built now); lines that cannot, wait in the stream's ring.
    fn enters_front(&self, target: Target, name: &str, number: u64) -> bool {
        let order = |bound: &Location| {
            name.cmp(bound.source.as_str())
                .then(number.cmp(&bound.first))
                .then(number.cmp(&bound.last))
        };
        match target {
            Target::Group(g) => self
                .matches
                .get(g)
                .and_then(|m| m.sample.head_bound())
                .is_none_or(|bound| order(bound).is_lt()),
            // Fact keys are (location, ordinal); a new line's ordinal is 0.
            Target::Logs | Target::Kv => self
                .facts
                .head_bound(target.kind())
                .is_none_or(|(bound, ordinal)| order(bound).then(0.cmp(ordinal)).is_lt()),
        }
    }

    fn add_unkept(&mut self, target: Target, n: u64) {
        if n == 0 {
            return;
        }
        match target {
            Target::Group(g) => {
                if let Some(m) = self.matches.get_mut(g) {
                    m.sample.add_unkept(n);
                }
            }
            Target::Logs | Target::Kv => self.facts.add_unkept(target.kind(), n),
        }
    }

    /// Builds and records one counted line for one target, as the line pipeline does.
    fn record_target(&mut self, name: &str, target: Target, number: u64, raw: &[u8]) {
        let (text, _) = decode_line(raw, self.engine.input_limits.max_line_bytes);
        let text = strip_ansi(&text);
        let location = Location::new(name, number, number);
        match target {
            Target::Group(g) => {
                if let Some(hit) = self.engine.scan.matcher.captures(g, &text) {
                    if let Some(record) = self.matches.get_mut(g) {
                        record.record(location, &text, hit.captures);
                    }
                }
            }
            Target::Kv => {
                if let Some(error) = kv_error::extract(&text) {
                    self.facts
                        .push(Fact::new("kv_errors", location, &text, &error));
                }
            }
            Target::Logs => {
                let first_line = text.lines().next().unwrap_or_default();
                let (prefix, rest) = split_prefix(first_line);
                if let Some(mut record) = klog::parse_unit(rest, text.lines().skip(1)) {
                    record.pod = prefix.pod.or(record.pod);
                    record.container = prefix.container;
                    self.facts.push(Fact::new("logs", location, &text, &record));
                }
            }
        }
    }

    /// Builds and offers the lines a stream held back: its last lines per target.
    fn flush_deferred(&mut self, name: &str, stream: &mut Stream) {
        let mut deferred = std::mem::take(&mut stream.deferred);
        for (g, ring) in deferred.groups.iter_mut().enumerate() {
            for (number, raw) in ring.drain() {
                self.record_target(name, Target::Group(g), number, &raw);
            }
        }
        for (number, raw) in deferred.logs.drain() {
            self.record_target(name, Target::Logs, number, &raw);
        }
        for (number, raw) in deferred.kv.drain() {
            self.record_target(name, Target::Kv, number, &raw);
        }
    }

    fn mark_usable(&mut self, name: &str) {
        if self.usable.insert(name.to_owned()) {
            self.stats.usable_sources += 1;
        }
    }

    /// Parses a whole document of `len` bytes, its lines decoded and normalised: segment, parse
    /// each segment, then the line pipeline over each segment's records.
    fn document(&mut self, name: &str, stream: &mut Stream, document: DocumentBuffer, len: usize) {
        let DocumentBuffer {
            lines,
            sample,
            lossy_lines,
            truncated_lines,
            ..
        } = document;
        stream.lines += lines.len() as u64;
        stream.lossy_lines += lossy_lines;
        stream.truncated_lines += truncated_lines;
        self.stats.lines += lines.len() as u64;
        let sample = sample.get(..len.min(sample.len())).unwrap_or_default();
        if looks_binary(sample, stream.lossy_lines, lines.len()) {
            self.diagnostics.push(
                Diagnostic::new(
                    "binary-input",
                    format!("{name} is binary, not text (an image, a compressed file without its .gz name, random bytes?); it was skipped"),
                )
                .with_source(name),
            );
            return;
        }
        if lines.iter().any(|l| !l.text.trim().is_empty()) {
            self.mark_usable(name);
        } else if stream.bytes == len as u64 {
            self.diagnostics.push(
                Diagnostic::new("empty-input", format!("{name} holds no text")).with_source(name),
            );
        }
        let segments = segment(&lines);
        let whole = segments.len() == 1;
        for seg in &segments {
            *self
                .stats
                .segments
                .entry(seg.kind.as_str().to_owned())
                .or_default() += 1;
            let first = lines.get(seg.start).map_or(0, |l| l.number);
            let last = lines
                .get(seg.end.saturating_sub(1))
                .map_or(first, |l| l.number);
            self.segments.push(SegmentInfo {
                source: name.to_owned(),
                kind: seg.kind,
                lines: [first, last],
                command: seg.command.clone(),
            });
            let mut sink = Sink {
                source: name,
                facts: &mut self.facts,
                diagnostics: &mut self.diagnostics,
                max_nesting: self.engine.input_limits.max_nesting,
            };
            parse_segment(&lines, seg, name, whole, &mut sink);
            self.segment_units(name, &lines, seg);
        }
    }

    fn segment_units(&mut self, name: &str, lines: &[Line], seg: &Segment) {
        let Some(seg_lines) = lines.get(seg.start..seg.end) else {
            return;
        };
        let is_log = seg.kind == SegmentKind::Log;
        for_each_unit(seg_lines, seg.kind, |unit| {
            self.unit(name, &unit, is_log, true)
        });
    }

    /// The line pipeline: pattern matches, Key Vault errors, log records.
    fn unit(&mut self, name: &str, unit: &Unit, is_log: bool, document: bool) {
        let hits = self.engine.scan.matcher.line_matches(&unit.text);
        let mut kv_hit = false;
        let mut rule_hit = false;
        for hit in &hits {
            let roles = &self.engine.scan.roles;
            kv_hit |= roles.kv.get(hit.group).copied().unwrap_or(false);
            if !roles.rule.get(hit.group).copied().unwrap_or(false) {
                continue;
            }
            rule_hit = true;
            if let Some(record) = self.matches.get_mut(hit.group) {
                record.record(
                    Location::new(name, unit.first, unit.last),
                    &unit.text,
                    hit.captures.clone(),
                );
            }
        }
        if !hits.is_empty() {
            self.stats.candidate_lines += 1;
        }
        let location = Location::new(name, unit.first, unit.last);
        if kv_hit {
            if let Some(error) = kv_error::extract(&unit.text) {
                self.facts
                    .push(Fact::new("kv_errors", location.clone(), &unit.text, &error));
            }
        }
        let first_line = unit.text.lines().next().unwrap_or_default();
        // Nothing matched: only an error, warning or fatal record can make a fact, so an info
        // klog line (most of a log) is not parsed at all.
        if document && !rule_hit && !kv_hit && blockscan::quiet_line(first_line, is_log) {
            return;
        }
        let (prefix, rest) = split_prefix(first_line);
        let parse_log = is_log || prefix.pod.is_some() || (!document && (kv_hit || rule_hit));
        if parse_log {
            if let Some(mut record) = klog::parse_unit(rest, unit.text.lines().skip(1)) {
                let important = matches!(record.severity, Some("error" | "warning" | "fatal"));
                if rule_hit || kv_hit || (document && important) {
                    record.pod = prefix.pod.or(record.pod);
                    record.container = prefix.container;
                    self.facts
                        .push(Fact::new("logs", location, &unit.text, &record));
                }
            }
        }
    }

    /// Ends all streams and returns the facts as `kvcsi facts` shows them.
    pub fn finish_facts(mut self) -> FactsView {
        self.end_all();
        let matches = self.matches_view();
        let mut facts: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for fact in self.facts.all() {
            facts
                .entry(fact.kind.to_owned())
                .or_default()
                .push(fact_json(fact));
        }
        self.diagnostics.sort();
        self.diagnostics.dedup();
        FactsView {
            segments: self.segments,
            facts,
            matches,
            diagnostics: self.diagnostics,
        }
    }

    fn end_all(&mut self) {
        self.drain_any();
        let names: Vec<String> = self.streams.keys().cloned().collect();
        for name in names {
            if let Some(mut stream) = self.streams.remove(&name) {
                let pending = match &stream.mode {
                    Mode::Document(d) => d.len() > 0,
                    _ => true,
                };
                if pending {
                    self.end_stream(&name, &mut stream);
                    self.stream_diagnostics(&name, &stream);
                }
            }
        }
        for kind in self.facts.kinds().collect::<Vec<_>>() {
            self.stats
                .facts
                .insert(kind.to_owned(), self.facts.count(kind));
        }
        // Every stream has ended: the scan's worker and block buffers (a few MiB) go before the
        // facts are converted for the rules and the report, so the two never add up.
        self.scan = Pipeline::default();
        self.read_buffer = Vec::new();
    }

    fn matches_view(&self) -> BTreeMap<String, Value> {
        MatchSamples::new(&self.engine.scan.matcher, &self.matches, None).by_owner(KV_EXTRACTOR)
    }

    /// Ends all streams, runs the rules and builds the report.
    pub fn finish(mut self) -> Report {
        self.end_all();
        let engine = &self.engine;
        if let Some(error) = &engine.matcher_error {
            self.diagnostics.push(Diagnostic::new("matcher-error", format!("the pattern matcher could not be built ({error}); rule patterns matched nothing")));
        }
        // When redacting, rules see the evidence redacted too: a rule (a custom one above all)
        // can then put nothing secret in a report, however it transforms what it reads.
        let secrets = self.secrets();
        let shown = self.options.redact.then_some(&secrets);
        let present: Vec<&'static str> = self.facts.kinds().collect();
        // From here the rules read one shared view of the facts: the session's copy is handed
        // over fact by fact, so the two are never held whole side by side.
        let facts_value = facts_dynamic(std::mem::replace(&mut self.facts, Facts::new(0)), shown);
        // Built-in rules first, then custom ones, so a slow custom rule set spends the check's
        // time budget on itself; the outcomes keep the rule set's order.
        let mut order: Vec<usize> = (0..engine.rules.rules.len()).collect();
        order.sort_by_key(|&i| {
            engine
                .rules
                .rules
                .get(i)
                .is_none_or(|r| r.source.origin != crate::rule::RuleOrigin::Builtin)
        });
        let samples = MatchSamples::new(&engine.scan.matcher, &self.matches, shown);
        let mut ran = vec![None; engine.rules.rules.len()];
        let mut jobs = Vec::new();
        for index in order {
            let Some(rule) = engine.rules.rules.get(index) else {
                continue;
            };
            let matched = samples.any(&rule.meta.id);
            let applicable = rule.meta.needs.is_empty()
                || matched
                || rule
                    .meta
                    .needs
                    .iter()
                    .any(|n| present.contains(&n.as_str()));
            let outcome = if !applicable {
                Outcome::NotApplicable(rule.meta.needs.clone())
            } else if !self.options.evaluate_rules {
                Outcome::Ran(Vec::new())
            } else {
                jobs.push(RuleJob { index, rule });
                continue;
            };
            if let Some(slot) = ran.get_mut(index) {
                *slot = Some((rule.clone(), outcome, Vec::new()));
            }
        }
        let threads = engine.scan_threads;
        let matches_of = |rule: &Rule| samples.script_value(&rule.meta.id);
        let results = run_rules(
            &engine.rhai,
            &engine.script_limits,
            (&facts_value, &matches_of),
            jobs,
            threads,
        );
        self.matches = Vec::new();
        // The rules have run: their view of the facts goes before the report is built.
        drop(facts_value);
        for (index, outcome, printed) in results {
            if let (Some(slot), Some(rule)) = (ran.get_mut(index), engine.rules.rules.get(index)) {
                *slot = Some((rule.clone(), outcome, printed));
            }
        }
        let outcomes: Vec<_> = ran.into_iter().flatten().collect();
        let mut diagnostics = engine.rules.diagnostics();
        diagnostics.append(&mut self.diagnostics);
        if self.stats.sources == 0 {
            diagnostics.push(Diagnostic::new(
                "no-input",
                "no evidence was given".to_owned(),
            ));
        }
        let input = BuildInput {
            outcomes,
            diagnostics,
            stats: self.stats,
            overrides: engine.rules.overrides.clone(),
            suppressions: self.options.suppressions.clone(),
            redact: self.options.redact,
            secrets,
            evidence_per_finding: engine.input_limits.evidence_per_finding,
        };
        build(Arc::new(input), self.options.lang)
    }

    /// The credentials in what the rules saw (kept facts and match samples), so the report can
    /// scrub them from texts the rules built out of fields (see [`Secrets`]).
    fn secrets(&self) -> Secrets {
        if !self.options.redact {
            return Secrets::new();
        }
        let facts: Vec<&Fact> = self.facts.all().collect();
        // Reading every kept fact for credentials takes a few milliseconds; with a second
        // thread the two halves are read at once.
        let halves: Vec<&[&Fact]> = facts.chunks(facts.len().div_ceil(2).max(1)).collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let learn = || {
            let mut secrets = Secrets::new();
            while let Some(half) =
                halves.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
            {
                learn_secrets(&mut secrets, half);
            }
            secrets
        };
        let threads = if facts.len() >= 64 {
            self.engine.scan_threads
        } else {
            1
        };
        let (mut secrets, theirs) = crate::threads::on_two_threads("kvcsi-secrets", threads, learn);
        if let Some(theirs) = theirs {
            secrets.absorb(theirs);
        }
        for matches in self.matches_view().values() {
            secrets.learn_json(matches);
        }
        secrets
    }
}

/// The one view of `facts` every rule shares, redacted when `redacted` holds the credentials to
/// scrub. Fact by fact, each dropped once converted, so no fact is held twice over.
fn facts_dynamic(mut facts: Facts, redacted: Option<&Secrets>) -> Dynamic {
    let mut map = rhai::Map::new();
    for kind in FACT_KINDS {
        let values: rhai::Array = facts
            .take(kind)
            .into_iter()
            .filter_map(|fact| {
                let json = match redacted {
                    Some(secrets) => secrets.clean_json(&fact_json(&fact)),
                    None => fact_json(&fact),
                };
                rhai::serde::to_dynamic(json).ok()
            })
            .collect();
        map.insert((*kind).into(), Dynamic::from_array(values));
    }
    Dynamic::from(crate::rule::SharedFacts::new(map))
}

/// Learns the credentials in the texts and fields of `facts`.
fn learn_secrets(secrets: &mut Secrets, facts: &[&Fact]) {
    for fact in facts {
        secrets.learn(&fact.text);
        secrets.learn_object(&fact.fields);
    }
}

fn fact_json(fact: &Fact) -> Value {
    let mut map = fact.fields.clone();
    map.insert("kind".to_owned(), Value::String(fact.kind.to_owned()));
    map.insert(
        "at".to_owned(),
        json!({ "source": fact.at.source, "lines": [fact.at.first, fact.at.last] }),
    );
    map.insert("text".to_owned(), Value::String(fact.text.clone()));
    Value::Object(map)
}

/// A sample the block scan feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A confirm group's matches.
    Group(GroupId),
    /// `logs` facts.
    Logs,
    /// `kv_errors` facts.
    Kv,
}

impl Target {
    fn kind(self) -> &'static str {
        match self {
            Self::Kv => "kv_errors",
            _ => "logs",
        }
    }
}
