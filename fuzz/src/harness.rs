//! The fuzz harnesses: one function per target, each calling the code it names through the
//! public API of `kvcsi-core`, and asserting the properties that must hold for any input.
//!
//! This file is compiled twice: as the library of the fuzz crate (the targets in
//! `fuzz/fuzz_targets/` are one-line calls into it) and, through `#[path]`, inside
//! `core/tests/bad_input.rs`, which replays every input kept in `fuzz/regressions/` on stable
//! Rust. So a crash found by fuzzing stays a regression test without nightly or cargo-fuzz.
//!
//! Panics are the point of a harness (libFuzzer records them as crashes), so the lints that keep
//! them out of the library are allowed here.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, dead_code)]

use kvcsi_core::classify::{segment, Segment, SegmentKind};
use kvcsi_core::engine::EngineBuilder;
use kvcsi_core::facts::Facts;
use kvcsi_core::input::archive::{ArchiveDecoder, ArchiveEvent, ArchiveLimits};
use kvcsi_core::limits::ScriptLimits;
use kvcsi_core::parse::{self, Sink};
use kvcsi_core::report::{html, markdown, text};
use kvcsi_core::text::lines::{decode_line, split_lines, Line};
use kvcsi_core::text::normalize::strip_ansi;
use kvcsi_core::text::redact::redact;
use kvcsi_core::{Diagnostic, Engine, Options, RuleSource};
use std::sync::OnceLock;
use std::time::Duration;

/// Line cap used by the harnesses, the session's default.
const MAX_LINE: usize = 64 * 1024;

/// The lines of `data` as a document: decoded lossily, capped, ANSI stripped, numbered from 1.
pub fn lines(data: &[u8]) -> Vec<Line> {
    split_lines(data)
        .enumerate()
        .map(|(i, raw)| Line {
            number: i as u64 + 1,
            text: strip_ansi(&decode_line(raw, MAX_LINE).0).into_owned(),
        })
        .collect()
}

/// Splits an optional command off the input: a first line starting with `$ ` is the command
/// that produced the rest (as the classifier reports it after a shell prompt).
pub fn command_and_rest(data: &[u8]) -> (Option<String>, &[u8]) {
    if let Some(rest) = data.strip_prefix(b"$ ") {
        let end = memchr_newline(rest);
        let command = String::from_utf8_lossy(&rest[..end]).into_owned();
        let after = rest.get(end + 1..).unwrap_or_default();
        return (Some(command), after);
    }
    (None, data)
}

fn memchr_newline(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(bytes.len())
}

/// Runs `f` with a fresh sink, then checks what it produced is bounded.
fn with_sink(f: impl FnOnce(&mut Sink<'_>)) {
    let mut facts = Facts::new(400);
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    {
        let mut sink = Sink {
            source: "fuzz.txt",
            facts: &mut facts,
            diagnostics: &mut diagnostics,
            max_nesting: 128,
        };
        f(&mut sink);
    }
    for fact in facts.all() {
        assert!(
            fact.at.first >= 1 && fact.at.first <= fact.at.last,
            "a fact's line range is 1-based and ordered: {:?}",
            fact.at
        );
        // Serialising is what the engine does with every fact; it must not fail or recurse
        // without bound.
        let _ = serde_json::to_string(&fact.fields).unwrap();
    }
}

/// One parser over the whole input, given as one segment of its kind.
pub fn parser(kind: SegmentKind, data: &[u8]) {
    let (command, rest) = command_and_rest(data);
    let lines = lines(rest);
    if lines.is_empty() {
        // The classifier never makes an empty segment.
        return;
    }
    let segment = Segment {
        kind,
        start: 0,
        end: lines.len(),
        command,
    };
    with_sink(|sink| parse::parse_segment(&lines, &segment, "fuzz.txt", true, sink));
    // Every parser's records also go through the line pipeline's record grouping.
    for unit in parse::units(&lines, kind) {
        assert!(unit.first <= unit.last);
    }
}

macro_rules! parser_fn {
    ($($name:ident => $kind:ident),* $(,)?) => {
        $(
            #[doc = concat!("The `", stringify!($kind), "` parser.")]
            pub fn $name(data: &[u8]) {
                parser(SegmentKind::$kind, data);
            }
        )*
    };
}

parser_fn! {
    describe_pod => DescribePod,
    events_table => EventsTable,
    nslookup => Nslookup,
    dig => Dig,
    host => Host,
    resolve_dns_name => ResolveDnsName,
    nc => Nc,
    test_net_connection => TestNetConnection,
    curl => Curl,
    table => Table,
    scalar => Scalar,
}

/// Classification: segments must tile the document in order, without gaps or overlaps.
pub fn classify(data: &[u8]) {
    let lines = lines(data);
    let segments = segment(&lines);
    let mut next = 0;
    for s in &segments {
        assert!(s.start < s.end, "empty segment {s:?}");
        assert!(
            s.start >= next,
            "segments overlap or go backwards: {segments:?}"
        );
        assert!(s.end <= lines.len(), "segment past the end: {s:?}");
        next = s.end;
        let seg_lines = &lines[s.start..s.end];
        for unit in parse::units(seg_lines, s.kind) {
            assert!(unit.first <= unit.last);
        }
    }
}

/// JSON: the positional reader, then the object mapper on what it read.
pub fn json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let lines = lines(data);
    let segment = Segment {
        kind: SegmentKind::Json,
        start: 0,
        end: lines.len(),
        command: None,
    };
    if let Ok(node) = parse::json::parse(&text, 1, 128) {
        let _ = node.to_value();
    }
    with_sink(|sink| parse::parse_segment(&lines, &segment, "fuzz.json", true, sink));
}

/// YAML: saphyr behind the nesting estimate, then the object mapper.
pub fn yaml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(documents) = parse::yaml::parse(&text, 1, 128) {
        for document in &documents {
            let _ = document.to_value();
        }
    }
    let lines = lines(data);
    let segment = Segment {
        kind: SegmentKind::Yaml,
        start: 0,
        end: lines.len(),
        command: None,
    };
    with_sink(|sink| parse::parse_segment(&lines, &segment, "fuzz.yaml", true, sink));
}

/// Log records: klog printf and structured, logrus, with continuation lines.
pub fn klog(data: &[u8]) {
    let lines = lines(data);
    let mut iter = lines.iter().map(|l| l.text.as_str());
    if let Some(first) = iter.next() {
        let (_, rest) = kvcsi_core::text::normalize::split_prefix(first);
        let _ = parse::klog::parse_unit(rest, iter);
    }
    for line in &lines {
        let _ = parse::klog::parse(&line.text);
        let _ = parse::klog::key_values(&line.text);
    }
}

/// The Key Vault / Entra error extractor, on the whole input as one wrapped record and per line.
pub fn kv_error(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = parse::kv_error::extract(&text);
    for line in text.lines() {
        let _ = parse::kv_error::extract(line);
    }
}

/// Redaction must be idempotent (report text may pass through it more than once) and must
/// leave text without credentials untouched.
pub fn redaction(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let once = redact(&text).into_owned();
    let twice = redact(&once).into_owned();
    assert_eq!(once, twice, "redaction is not idempotent");
}

/// The archive decoder with small limits: it must never name an entry outside the bundle,
/// never hand out more than the limits allow, and pair every `Begin` with an `End`.
pub fn archive(data: &[u8]) {
    let Some((&chunk_seed, data)) = data.split_first() else {
        return;
    };
    let limits = ArchiveLimits {
        max_entries: 50,
        max_bytes: 4 << 20,
        max_ratio: 200,
    };
    let mut decoder = ArchiveDecoder::new(limits);
    let mut out: u64 = 0;
    let mut open = false;
    let mut check = |event: ArchiveEvent| match event {
        ArchiveEvent::Begin(name) => {
            assert!(!open, "Begin inside an open entry");
            open = true;
            assert!(!name.starts_with('/'), "absolute entry name {name:?}");
            assert!(
                !name.split(['/', '\\']).any(|part| part == ".."),
                "entry escapes the bundle: {name:?}"
            );
            assert!(name.get(1..2) != Some(":"), "drive path {name:?}");
        }
        ArchiveEvent::Data(bytes) => {
            assert!(open, "Data outside an entry");
            out += bytes.len() as u64;
        }
        ArchiveEvent::End => {
            assert!(open, "End without Begin");
            open = false;
        }
        ArchiveEvent::Diagnostic(..) => {}
    };
    let chunk = usize::from(chunk_seed).max(1) * 7;
    for piece in data.chunks(chunk) {
        decoder.push(piece, &mut check);
    }
    decoder.finish(&mut check);
    assert!(!open, "an entry was left open");
    // The byte limit is checked per inflated slice, so allow one slice's worth beyond it.
    assert!(out <= limits.max_bytes + (4096 * 1032), "{out} bytes out");
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::builtin().expect("the built-in rules load"))
}

/// Evidence names the whole-check target picks from, so content and names both vary.
const NAMES: [&str; 8] = [
    "describe-pod.txt",
    "provider.log",
    "aks.json",
    "spc.yaml",
    "bundle.tgz",
    "-",
    "nslookup.txt",
    "query-clientid.tsv",
];

/// Splits the input into named pieces at `\n--8<--\n` (a scissors line); the first byte picks
/// the chunk size used in the streaming half of the property.
pub fn pieces(data: &[u8]) -> (usize, Vec<(String, Vec<u8>)>) {
    let Some((&seed, data)) = data.split_first() else {
        return (1, Vec::new());
    };
    let mut out = Vec::new();
    let marker = b"\n--8<--\n";
    let mut rest = data;
    let mut index = 0;
    loop {
        let cut = rest.windows(marker.len()).position(|w| w == marker);
        let (piece, after) = match cut {
            Some(p) => (&rest[..p], Some(&rest[p + marker.len()..])),
            None => (rest, None),
        };
        let name = format!(
            "{}/{}",
            index,
            NAMES[(usize::from(seed) + index) % NAMES.len()]
        );
        out.push((name, piece.to_vec()));
        index += 1;
        match after {
            Some(a) if index < 8 => rest = a,
            Some(a) => {
                if let Some(last) = out.last_mut() {
                    last.1.extend_from_slice(marker);
                    last.1.extend_from_slice(a);
                }
                break;
            }
            None => break,
        }
    }
    (usize::from(seed % 64) + 1, out)
}

/// The whole check. Properties: no panic; feeding the same evidence whole or in small
/// interleaved chunks gives byte-identical JSON; every renderer runs; the exit status is one of
/// the documented ones.
pub fn check(data: &[u8]) {
    let (chunk, pieces) = pieces(data);
    let engine = engine();
    let options = Options::default();
    let mut whole = engine.session(&options);
    for (name, bytes) in &pieces {
        whole.feed(name, bytes);
        whole.end(name);
    }
    let report = whole.finish();
    let json = report.to_json();

    let mut streamed = engine.session(&options);
    let longest = pieces.iter().map(|(_, b)| b.len()).max().unwrap_or(0);
    let mut offset = 0;
    while offset < longest {
        for (name, bytes) in &pieces {
            if offset < bytes.len() {
                streamed.feed(name, &bytes[offset..(offset + chunk).min(bytes.len())]);
            }
        }
        offset += chunk;
    }
    for (name, bytes) in &pieces {
        if bytes.is_empty() {
            streamed.feed(name, &[]);
        }
    }
    let streamed = streamed.finish();
    assert_eq!(streamed.to_json(), json, "chunking changed the report");

    assert!(matches!(report.exit_status(), 0 | 2 | 3 | 4));
    let _ = text::render(&report, true);
    let _ = markdown::render(&report);
    let _ = html::render(&report, true);

    // Every text of a redacted report is already redacted: nothing was put together after
    // redaction in a way that forms a credential again.
    let value = serde_json::to_value(&report).unwrap();
    assert_redacted(&value);

    // The facts view, as `kvcsi facts` prints it, redacts too.
    let mut session = engine.session(&options);
    for (name, bytes) in &pieces {
        session.feed(name, bytes);
    }
    let view = session.finish_facts().redacted();
    let _ = serde_json::to_string(&view).unwrap();
}

fn assert_redacted(value: &serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            let again = redact(s);
            assert_eq!(again.as_ref(), s.as_str(), "a report text is not redacted");
        }
        serde_json::Value::Array(items) => items.iter().for_each(assert_redacted),
        serde_json::Value::Object(map) => map.values().for_each(assert_redacted),
        _ => {}
    }
}

/// Script limits for fuzzing rules: the same guards as the defaults, scaled down so one input
/// finishes in well under a second and a hang stands out.
pub fn fuzz_script_limits() -> ScriptLimits {
    ScriptLimits {
        max_operations: 200_000,
        max_memory: 8 * 1024 * 1024,
        max_string_size: 256 * 1024,
        max_array_size: 10_000,
        max_map_size: 10_000,
        wall_clock: Duration::from_millis(500),
        ..ScriptLimits::default()
    }
}

/// Metadata of the rule the fuzzer writes the body of.
const RULE_HEAD: &str = r#"fn meta() {
    #{
        api_version: 1,
        id: "fuzz",
        severity: "warning",
        needs: [],
        patterns: #{ hit: #{ literals: ["Forbidden"] } },
        text: #{ en: #{ title: "t", message: "m {x}" } },
    }
}
fn check(facts, matches) {
"#;

/// Evidence every fuzzed rule runs over, so `facts` and `matches` hold something.
const RULE_EVIDENCE: &str = "Events:\n  Type     Reason       Age   From     Message\n  ----     ------       ----  ----     -------\n  Warning  FailedMount  3s    kubelet  MountVolume.SetUp failed for volume \"kv\" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod default/app, err: rpc error: code = Unknown desc = keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code=\"Forbidden\" Message=\"Public network access is disabled\" InnerError={\"code\":\"ForbiddenByConnection\"}\n";

/// The rule runtime with limits on. The first byte picks the mode: the input as a whole rule
/// file, or as the body of `check(facts, matches)` under fixed metadata (which reaches the
/// runtime far more often than random whole files do). Whatever the rule does, the check must
/// end with a report and render; a rule breaking a limit becomes a diagnostic, never a crash or
/// a hang (libFuzzer's `-timeout` catches a guard that fails to stop it).
pub fn rule(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let body = String::from_utf8_lossy(body);
    let source = if mode % 2 == 0 {
        body.into_owned()
    } else {
        format!("{RULE_HEAD}{body}\n}}\n")
    };
    let engine = EngineBuilder::default()
        .builtin(false)
        .rule(RuleSource::user("fuzz.rhai", source))
        .script_limits(fuzz_script_limits())
        .build();
    let report = engine.check(
        &[kvcsi_core::Evidence::new("describe.txt", RULE_EVIDENCE)],
        &Options::default(),
    );
    let _ = report.to_json();
    let _ = text::render(&report, false);
}

/// The planned prefilter finds the same candidate lines and groups as the built-in one, for any
/// block and whatever sample the plan came from: the input is split at its first `\0` into the
/// sample and the block.
pub fn scan(data: &[u8]) {
    let matcher = engine().matcher();
    let (sample, block) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, data),
    };
    let Some(plan) = matcher.plan(sample) else {
        return;
    };
    let lines = |plan| {
        let mut out = Vec::new();
        let mut scratch = kvcsi_core::scan::ScanScratch::default();
        matcher.scan_block_planned(plan, block, &mut scratch, |start, end, groups| {
            let mut groups = groups.to_vec();
            groups.sort_unstable();
            out.push((start, end, groups));
        });
        out
    };
    assert_eq!(
        lines(Some(&plan)),
        lines(None),
        "the plan changed the candidates"
    );
}

/// Runs the harness of the target named `target` (a fuzz target's name).
pub fn run(target: &str, data: &[u8]) {
    match target {
        "classify" => classify(data),
        "describe_pod" => describe_pod(data),
        "events_table" => events_table(data),
        "nslookup" => nslookup(data),
        "dig" => dig(data),
        "host" => host(data),
        "resolve_dns_name" => resolve_dns_name(data),
        "nc" => nc(data),
        "test_net_connection" => test_net_connection(data),
        "curl" => curl(data),
        "table" => table(data),
        "scalar" => scalar(data),
        "json" => json(data),
        "yaml" => yaml(data),
        "klog" => klog(data),
        "kv_error" => kv_error(data),
        "redact" => redaction(data),
        "archive" => archive(data),
        "rule" => rule(data),
        "check" => check(data),
        "scan" => scan(data),
        other => panic!("no fuzz target named {other}"),
    }
}
