// Streams one file through the WASM build in Node the way the browser worker does: fixed-size
// chunks read into one reused buffer, each fed to a Session, then finish(). Prints the report's
// JSON to stdout and the wasm linear memory to stderr (`wasm-memory-bytes N`).
//
//   node bench/wasm_check.mjs PKG_DIR FILE [--scan-only]
import { createRequire } from "node:module";
import { openSync, readSync, closeSync, writeSync } from "node:fs";
import { resolve, basename } from "node:path";

const [pkgDir, file, ...flags] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const kvcsi = require(resolve(pkgDir, "kvcsi_wasm.js"));
const CHUNK = 1 << 20;
const buffer = new Uint8Array(CHUNK);
const options = flags.includes("--scan-only") ? { scanOnly: true } : undefined;
const session = new kvcsi.Session(options);
const name = basename(file);
const fd = openSync(file, "r");
let fed = false;
for (;;) {
  const n = readSync(fd, buffer, 0, CHUNK, null);
  if (n === 0) break;
  session.feed(name, buffer.subarray(0, n));
  fed = true;
}
closeSync(fd);
if (!fed) session.feed(name, new Uint8Array(0));
const report = session.finish();
writeSync(1, JSON.stringify(report));
const memory = typeof kvcsi.memoryBytes === "function" ? kvcsi.memoryBytes() : -1;
process.stderr.write(`wasm-memory-bytes ${memory}\n`);
