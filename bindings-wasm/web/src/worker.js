// The checker's Web Worker. The build puts wasm-bindgen's `--target no-modules` glue (which
// defines `wasm_bindgen`) in front of this file, so the served page and the single-file page run
// the same script: from `worker.js` there, from a blob: URL here.
//
// Files are streamed with File.stream() through one fixed 1 MiB buffer into Session.feed; the
// core keeps at most a few MiB per stream, so the WebAssembly memory does not grow with the file.
/* global wasm_bindgen */
'use strict';

const CHUNK = 1 << 20;
const CONTEXT = 3; // lines shown before and after each piece of evidence
const MAX_SPAN = 12; // lines of one piece of evidence shown at most (the page notes the rest)
const MAX_LINE = 4000; // characters of a context line shown at most
const PROGRESS_EVERY_MS = 100;

let wasm = null; // the instance's exports (for its memory)
let peak = 0;
let last = null; // { report, context, inputs }
const buffer = new Uint8Array(CHUNK);

function memory() {
  const bytes = wasm ? wasm.memory.buffer.byteLength : 0;
  peak = Math.max(peak, bytes);
  return { bytes, peak };
}

function post(message, transfer) {
  message.memory = memory();
  self.postMessage(message, transfer || []);
}

async function init(bytes) {
  const source = bytes || new URL('kvcsi_wasm_bg.wasm', self.location.href);
  wasm = await wasm_bindgen({ module_or_path: source });
  post({ type: 'ready', version: wasm_bindgen.version(), rules: wasm_bindgen.rules() });
}

function byteLength(text) {
  return new TextEncoder().encode(text).length;
}

async function check(message) {
  const { id, inputs, options } = message;
  const total = inputs.reduce((n, input) => n + (input.file ? input.file.size : byteLength(input.text)), 0);
  let done = 0;
  let lastPost = 0;
  let events = 0;
  const progress = (name, force) => {
    const now = Date.now();
    if (!force && now - lastPost < PROGRESS_EVERY_MS) return;
    lastPost = now;
    events += 1;
    post({ type: 'progress', id, phase: 'read', name, done, total });
  };
  const started = Date.now();
  const session = new wasm_bindgen.Session(options);
  try {
    for (const input of inputs) {
      progress(input.name, true);
      if (input.file) {
        const reader = input.file.stream().getReader();
        let fill = 0;
        let fed = false;
        for (;;) {
          const { done: end, value } = await reader.read();
          if (end) break;
          let offset = 0;
          while (offset < value.length) {
            const n = Math.min(CHUNK - fill, value.length - offset);
            buffer.set(value.subarray(offset, offset + n), fill);
            fill += n;
            offset += n;
            if (fill === CHUNK) {
              session.feed(input.name, buffer);
              fed = true;
              fill = 0;
            }
          }
          done += value.length;
          progress(input.name, false);
        }
        if (fill > 0 || !fed) session.feed(input.name, buffer.subarray(0, fill));
      } else {
        session.feed(input.name, input.text);
        done += byteLength(input.text);
      }
      session.end(input.name);
    }
    progress('', true);
    post({ type: 'progress', id, phase: 'rules', done, total });
    const report = session.finish();
    const elapsed = Date.now() - started;
    post({ type: 'progress', id, phase: 'context', done, total });
    const context = await gatherContext(report, inputs);
    last = { report, context, inputs };
    post({ type: 'report', id, report, context, elapsed, progressEvents: events + 3 });
  } finally {
    session.free();
  }
}

// Lines around each piece of evidence, read again from the inputs (only the wanted lines are
// decoded and kept), redacted like the report when the report is.
async function gatherContext(report, inputs) {
  const wanted = new Map();
  for (const finding of report.findings) {
    for (const item of finding.evidence) {
      const [first, last] = item.lines;
      const from = Math.max(1, first - CONTEXT);
      const to = last - first < MAX_SPAN ? last + CONTEXT : first + MAX_SPAN - 1;
      if (!wanted.has(item.source)) wanted.set(item.source, []);
      wanted.get(item.source).push([from, to]);
    }
  }
  const clean = (line) => {
    const text = line.length > MAX_LINE ? line.slice(0, MAX_LINE) + ' …' : line;
    return wasm_bindgen.displayLine(text, report.redacted);
  };
  const context = {};
  for (const input of inputs) {
    const ranges = wanted.get(input.name);
    if (!ranges) continue;
    const want = (n) => ranges.some(([a, b]) => n >= a && n <= b);
    const maxLine = Math.max(...ranges.map((r) => r[1]));
    const lines = {};
    if (input.file) {
      await fileLines(input.file, maxLine, want, (n, text) => { lines[n] = clean(text); });
    } else {
      const all = input.text.split('\n');
      for (let n = 1; n <= Math.min(maxLine, all.length); n++) {
        if (want(n)) lines[n] = clean(all[n - 1].replace(/\r$/, ''));
      }
    }
    context[input.name] = lines;
  }
  return context;
}

async function fileLines(file, maxLine, want, emit) {
  const decoder = new TextDecoder('utf-8');
  const reader = file.stream().getReader();
  let line = 1;
  let parts = [];
  let partBytes = 0;
  const flush = () => {
    if (want(line)) {
      const bytes = new Uint8Array(partBytes);
      let at = 0;
      for (const p of parts) { bytes.set(p, at); at += p.length; }
      emit(line, decoder.decode(bytes).replace(/\r$/, ''));
    }
    parts = [];
    partBytes = 0;
    line += 1;
  };
  const keep = (piece) => {
    if (want(line) && partBytes < MAX_LINE * 4) { parts.push(piece.slice(0, MAX_LINE * 4)); partBytes += Math.min(piece.length, MAX_LINE * 4); }
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let start = 0;
    for (;;) {
      const nl = value.indexOf(10, start);
      if (nl < 0) { keep(value.subarray(start)); break; }
      keep(value.subarray(start, nl));
      flush();
      start = nl + 1;
      if (line > maxLine) { await reader.cancel(); return; }
    }
  }
  if (partBytes > 0) flush();
}

async function handle(message) {
  switch (message.type) {
    case 'init':
      return init(message.wasm);
    case 'check':
      return check(message);
    case 'localize': {
      if (!last) return undefined;
      last.report = wasm_bindgen.localize(last.report, message.lang);
      return post({ type: 'report', id: message.id, report: last.report, context: last.context, localized: true });
    }
    case 'render': {
      if (!last) return undefined;
      const text = wasm_bindgen.render(last.report, message.format, message.lang);
      return post({ type: 'rendered', id: message.id, format: message.format, text });
    }
    default:
      throw new Error(`unknown message ${message.type}`);
  }
}

let queue = Promise.resolve();
self.onmessage = (event) => {
  const message = event.data;
  queue = queue.then(() => handle(message)).catch((error) => {
    post({
      type: 'error',
      id: message.id,
      request: message.type,
      name: (error && error.name) || 'Error',
      message: String((error && error.message) || error),
    });
  });
};
