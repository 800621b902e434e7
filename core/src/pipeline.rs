//! Block scanning on two threads: a persistent worker scans blocks while the caller's thread
//! reads the next ones, and scans one itself only when the worker has two waiting.
//!
//! A block's scan needs only the matcher and produces a [`blockscan::Summary`] of line
//! references relative to the block, so it can run anywhere; applying a summary (building the
//! few values a sample keeps, counting the rest) touches the session and stays on the caller's
//! thread, in block order. The worker is started once per session and fed through a channel of
//! one slot, so a block never waits for a thread to start, and blocks and summaries travel back
//! to be reused: the scan allocates nothing per block once it runs.

use crate::blockscan::{self, GroupRoles, LineRef, Summary};
use crate::scan::{GroupId, Matcher, ScanPlan, ScanScratch};
use crate::text::lines::decode_line;
use crate::text::normalize::strip_ansi;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// What a block scan needs from the engine, shared with the scan worker.
#[derive(Debug)]
pub(crate) struct ScanCore {
    /// The literal prefilter and confirm regexes of every pattern.
    pub matcher: Matcher,
    /// What each confirm group feeds (Key Vault errors, rule matches).
    pub roles: GroupRoles,
    /// Longest line read whole, in bytes.
    pub max_line: usize,
}

/// The sample end sizes a block is summarised for: per confirm group and per fact kind.
pub(crate) type Caps = (usize, usize);

/// The working buffers of one block scan.
#[derive(Debug)]
pub(crate) struct ScanPart {
    scratch: ScanScratch,
    /// What the block contributes; line numbers are relative to the block (its first line is 1).
    pub summary: Summary,
    confirmed: Vec<GroupId>,
    groups: Vec<GroupId>,
}

impl ScanPart {
    pub fn new(groups: usize) -> Self {
        Self {
            scratch: ScanScratch::default(),
            summary: Summary::new(groups),
            confirmed: Vec::new(),
            groups: Vec::new(),
        }
    }
}

/// Scans one block of complete lines (each ending in `\n`) into `part.summary`, reset first;
/// returns the block's line count.
pub(crate) fn scan_part(
    core: &ScanCore,
    plan: Option<&ScanPlan>,
    block: &[u8],
    part: &mut ScanPart,
    caps: Caps,
) -> u64 {
    let ScanPart {
        scratch,
        summary,
        confirmed,
        groups: text_groups,
    } = part;
    summary.reset(caps.0, caps.1);
    let mut counted_to = 0usize;
    let mut line_no = 0u64;
    let (m, roles, max_line) = (&core.matcher, &core.roles, core.max_line);
    m.scan_block_planned(plan, block, scratch, |start, end, groups| {
        line_no += count_lines(block.get(counted_to..start).unwrap_or_default());
        counted_to = start;
        let line = LineRef {
            number: line_no + 1,
            start,
            end,
        };
        let raw = block.get(start..end).unwrap_or_default();
        match raw_text(raw, max_line) {
            // The raw bytes are the text; a CRLF line is re-identified without its `\r`.
            Some(text) if raw.last() != Some(&b'\r') => {
                blockscan::classify(m, roles, text, groups, line, confirmed, summary);
            }
            Some(text) => {
                m.text_groups(text, text_groups);
                blockscan::classify(m, roles, text, text_groups, line, confirmed, summary);
            }
            None => {
                let (text, notes) = decode_line(raw, max_line);
                summary.lossy_lines += u64::from(notes.lossy);
                let text = strip_ansi(&text);
                m.text_groups(&text, text_groups);
                blockscan::classify(m, roles, &text, text_groups, line, confirmed, summary);
            }
        }
    });
    summary.truncated_lines = count_long_lines(block, max_line);
    line_no + count_lines(block.get(counted_to..).unwrap_or_default())
}

/// Lines of `block` longer than `max_line` bytes (without the newline). A line is counted
/// whether it arrived whole in one block or was cut in the stream's carry buffer, so the
/// `line-truncated` diagnostic does not depend on how the stream was chunked.
fn count_long_lines(block: &[u8], max_line: usize) -> u64 {
    if block.len() <= max_line {
        return 0;
    }
    let mut start = 0usize;
    let mut long = 0u64;
    for newline in memchr::memchr_iter(b'\n', block) {
        long += u64::from(newline - start > max_line);
        start = newline + 1;
    }
    long
}

/// Newlines in `bytes`.
pub(crate) fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// The line's text when its raw bytes are it: valid UTF-8, no escape sequence, within the line
/// limit, at most one trailing `\r` (dropped). Other lines go through `decode_line`.
pub(crate) fn raw_text(raw: &[u8], max_line: usize) -> Option<&str> {
    let text = raw.strip_suffix(b"\r").unwrap_or(raw);
    if text.len() > max_line || text.last() == Some(&b'\r') || memchr::memchr(0x1b, text).is_some()
    {
        return None;
    }
    std::str::from_utf8(text).ok()
}

/// Blocks the worker holds at most: while it scans one, the next waits in its queue, so it never
/// idles while the caller's thread reads; the caller scans a block itself only when both slots
/// are taken, which balances the two threads whatever the reading costs.
const WORKER_QUEUE: usize = 2;

/// Blocks in flight at most (the worker's and one the caller scanned); past it the caller waits
/// for the worker, so memory stays bounded.
const IN_FLIGHT: usize = WORKER_QUEUE + 1;

/// Scan buffers kept for reuse.
const SPARE_BUFFERS: usize = IN_FLIGHT + 1;

/// A block of the pipeline's queue, in stream order.
#[derive(Debug)]
enum Entry {
    /// With the worker.
    Worker { owner: String, caps: Caps },
    /// Scanned on the caller's thread, waiting for the worker's older blocks.
    Done(Box<Ready>),
}

/// A scanned block to apply, the next in order.
#[derive(Debug)]
pub(crate) struct Ready {
    /// The stream it belongs to.
    pub owner: String,
    /// The sample end sizes it was summarised for.
    pub caps: Caps,
    /// Its bytes, its summary and its line count.
    pub scanned: Scanned,
}

/// What the pipeline hands back: blocks to apply, or a block lost with a dead worker.
#[derive(Debug)]
pub(crate) enum Scan {
    Ready(Box<Ready>),
    Lost(String),
}

/// Scans blocks in order on one or two threads, reusing their buffers.
#[derive(Debug, Default)]
pub(crate) struct Pipeline {
    worker: Option<Worker>,
    /// No thread could be started: scan on the caller's thread only.
    worker_failed: bool,
    queue: std::collections::VecDeque<Entry>,
    /// Blocks with the worker.
    with_worker: usize,
    blocks: Vec<Vec<u8>>,
    parts: Vec<ScanPart>,
    /// The prefilter planned from the session's first block, once planned.
    plan: Option<Option<Arc<ScanPlan>>>,
}

impl Pipeline {
    /// A buffer for a stream's carry (cleared).
    pub fn buffer(&mut self) -> Vec<u8> {
        let mut buffer = self.blocks.pop().unwrap_or_default();
        buffer.clear();
        buffer
    }

    /// Scans `block` of stream `owner` (on the worker when `parallel` and it has room) and
    /// appends to `out` the blocks now ready to apply, in order.
    pub fn push(
        &mut self,
        core: &Arc<ScanCore>,
        parallel: bool,
        (owner, caps): (&str, Caps),
        block: Vec<u8>,
        out: &mut Vec<Scan>,
    ) {
        let plan = match &self.plan {
            Some(plan) => plan.clone(),
            None => {
                let plan = core.matcher.plan(&block).map(Arc::new);
                self.plan = Some(plan.clone());
                plan
            }
        };
        let groups = core.matcher.group_count();
        let part = self.parts.pop().unwrap_or_else(|| ScanPart::new(groups));
        if parallel && self.worker.is_none() && !self.worker_failed {
            self.worker = Worker::start(Arc::clone(core));
            self.worker_failed = self.worker.is_none();
        }
        let (block, mut part) = match &self.worker {
            Some(worker) if parallel && self.with_worker < WORKER_QUEUE => {
                match worker.submit(plan.clone(), block, part, caps) {
                    Ok(()) => {
                        self.with_worker += 1;
                        self.queue.push_back(Entry::Worker {
                            owner: owner.to_owned(),
                            caps,
                        });
                        self.collect(false, out);
                        return;
                    }
                    Err(back) => *back,
                }
            }
            _ => (block, part),
        };
        let lines = scan_part(core, plan.as_deref(), &block, &mut part, caps);
        self.queue.push_back(Entry::Done(Box::new(Ready {
            owner: owner.to_owned(),
            caps,
            scanned: Scanned { block, part, lines },
        })));
        self.collect(false, out);
    }

    /// Appends every block still in flight to `out`, in order, waiting for the worker.
    pub fn drain(&mut self, out: &mut Vec<Scan>) {
        self.collect(true, out);
    }

    /// Moves the ready front of the queue to `out`: waits for the worker when `all`, or when
    /// more than [`IN_FLIGHT`] blocks would otherwise stay in flight.
    fn collect(&mut self, all: bool, out: &mut Vec<Scan>) {
        loop {
            match self.queue.front() {
                None => return,
                Some(Entry::Done(_)) => {
                    if let Some(Entry::Done(ready)) = self.queue.pop_front() {
                        out.push(Scan::Ready(ready));
                    }
                }
                Some(Entry::Worker { .. }) => {
                    let wait = all || self.queue.len() > IN_FLIGHT;
                    let result = match &self.worker {
                        None => None,
                        Some(worker) if wait => worker.wait(),
                        Some(worker) => match worker.poll() {
                            Poll::Pending => return,
                            Poll::Done(scanned) => Some(*scanned),
                            Poll::Gone => None,
                        },
                    };
                    let Some(Entry::Worker { owner, caps }) = self.queue.pop_front() else {
                        return;
                    };
                    self.with_worker = self.with_worker.saturating_sub(1);
                    match result {
                        Some(scanned) => out.push(Scan::Ready(Box::new(Ready {
                            owner,
                            caps,
                            scanned,
                        }))),
                        None => {
                            // The worker is gone, and with it every block it held.
                            self.worker = None;
                            self.worker_failed = true;
                            out.push(Scan::Lost(owner));
                        }
                    }
                }
            }
        }
    }

    /// Keeps a block buffer and a summary for the next blocks.
    pub fn recycle(&mut self, block: Vec<u8>, part: ScanPart) {
        if self.blocks.len() < SPARE_BUFFERS {
            self.blocks.push(block);
        }
        if self.parts.len() < SPARE_BUFFERS {
            self.parts.push(part);
        }
    }
}

/// A block handed to the worker, with the buffers to scan it into.
#[derive(Debug)]
struct Job {
    plan: Option<Arc<ScanPlan>>,
    block: Vec<u8>,
    part: ScanPart,
    caps: Caps,
}

/// A block the worker scanned.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// The block's bytes (the summary's line references point into it).
    pub block: Vec<u8>,
    /// Its summary.
    pub part: ScanPart,
    /// Its line count.
    pub lines: u64,
}

/// What [`Worker::poll`] found.
#[derive(Debug)]
pub(crate) enum Poll {
    /// The oldest block, scanned.
    Done(Box<Scanned>),
    /// Still scanning.
    Pending,
    /// The worker is gone.
    Gone,
}

/// The scan worker of one session. Dropping it ends the thread.
#[derive(Debug)]
pub(crate) struct Worker {
    jobs: Option<SyncSender<Job>>,
    done: Receiver<Scanned>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker; `None` when no thread can be started (the caller scans alone).
    pub fn start(core: Arc<ScanCore>) -> Option<Self> {
        // One job running and one waiting; their results never block the worker.
        let (jobs, inbox) = sync_channel::<Job>(WORKER_QUEUE - 1);
        let (outbox, done) = sync_channel::<Scanned>(WORKER_QUEUE);
        let thread = std::thread::Builder::new()
            .name("kvcsi-scan".to_owned())
            .spawn(move || {
                while let Ok(mut job) = inbox.recv() {
                    let plan = job.plan.as_deref();
                    let lines = scan_part(&core, plan, &job.block, &mut job.part, job.caps);
                    let scanned = Scanned {
                        block: job.block,
                        part: job.part,
                        lines,
                    };
                    if outbox.send(scanned).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(Self {
            jobs: Some(jobs),
            done,
            thread: Some(thread),
        })
    }

    /// Hands a block to the worker; gives it back when the worker is gone.
    pub fn submit(
        &self,
        plan: Option<Arc<ScanPlan>>,
        block: Vec<u8>,
        part: ScanPart,
        caps: Caps,
    ) -> Result<(), Box<(Vec<u8>, ScanPart)>> {
        let job = Job {
            plan,
            block,
            part,
            caps,
        };
        match &self.jobs {
            Some(jobs) => jobs.send(job).map_err(|e| Box::new((e.0.block, e.0.part))),
            None => Err(Box::new((job.block, job.part))),
        }
    }

    /// Waits for the oldest block handed over; `None` when the worker is gone.
    pub fn wait(&self) -> Option<Scanned> {
        self.done.recv().ok()
    }

    /// The oldest block handed over, if the worker is done with it.
    pub fn poll(&self) -> Poll {
        match self.done.try_recv() {
            Ok(scanned) => Poll::Done(Box::new(scanned)),
            Err(std::sync::mpsc::TryRecvError::Empty) => Poll::Pending,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Poll::Gone,
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the job channel ends the worker's loop; joining keeps no thread running past
        // the session (a Python or Node host may unload the library next).
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
