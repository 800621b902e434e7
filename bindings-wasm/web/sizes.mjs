// Prints the module's raw and gzipped sizes at each build step, and the pages' sizes.
// node web/sizes.mjs <cargo .wasm> <wasm-bindgen _bg.wasm> <optimised .wasm> <dist dir>
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const [raw, bound, optimised, dist] = process.argv.slice(2);
const row = (label, path) => {
  const bytes = readFileSync(path);
  const gz = gzipSync(bytes, { level: 9 }).length;
  console.log(`${label.padEnd(34)} ${String(bytes.length).padStart(10)} B raw ${String(gz).padStart(10)} B gzip -9`);
};
row('cargo build (wasm-release)', raw);
row('after wasm-bindgen', bound);
row('after wasm-opt -O3 (shipped)', optimised);
for (const name of ['worker.js', 'app.js', 'style.css', 'index.html', 'kvcsi-checker.html']) {
  if (statSync(join(dist, name), { throwIfNoEntry: false })) row(`web/dist/${name}`, join(dist, name));
}
