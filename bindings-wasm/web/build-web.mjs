// Assembles the checker from web/src and the wasm-bindgen output:
//   dist/index.html, style.css, app.js, worker.js, kvcsi_wasm_bg.wasm   the served page
//   dist/kvcsi-checker.html                                             one self-contained file
//
// node web/build-web.mjs --glue <no-modules kvcsi_wasm.js> --wasm <kvcsi_wasm_bg.wasm> --out <dir>
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVED, singleFile } from './csp.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
for (const key of ['glue', 'wasm', 'out']) {
  if (!args[key]) throw new Error(`missing --${key}`);
}

const src = (name) => readFileSync(join(here, 'src', name), 'utf8');
const template = src('index.html');
const style = src('style.css');
const app = src('app.js');
const glue = readFileSync(args.glue, 'utf8');
const wasm = readFileSync(args.wasm);
const worker = `${glue}\n${src('worker.js')}`;

const fill = (html, values) => html.replace(/\{\{(\w+)\}\}/g, (_, key) => {
  if (!(key in values)) throw new Error(`template placeholder ${key} has no value`);
  return values[key];
});
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('base64');

// Text that goes inside a <script> or <style> element must not close it or open an HTML comment.
function inlineSafe(what, text) {
  if (/<\/(script|style)/i.test(text) || text.includes('<!--')) {
    throw new Error(`${what} holds "</script", "</style" or "<!--" and cannot be inlined`);
  }
  return text;
}

rmSync(args.out, { recursive: true, force: true });
mkdirSync(args.out, { recursive: true });

// The served page.
writeFileSync(join(args.out, 'index.html'), fill(template, {
  CSP: SERVED,
  STYLE: '<link rel="stylesheet" href="style.css">',
  SCRIPTS: '<script src="app.js" defer></script>',
}));
writeFileSync(join(args.out, 'style.css'), style);
writeFileSync(join(args.out, 'app.js'), app);
writeFileSync(join(args.out, 'worker.js'), worker);
writeFileSync(join(args.out, 'kvcsi_wasm_bg.wasm'), wasm);

// The single file. Only the page script and the style run under the policy (by hash); the
// worker source and the module bytes are inert data blocks the page script reads.
const appInline = inlineSafe('app.js', `\n${app}\n`);
const styleInline = inlineSafe('style.css', `\n${style}\n`);
const single = fill(template, {
  CSP: singleFile({ scriptHash: sha256(appInline), styleHash: sha256(styleInline) }),
  STYLE: `<style>${styleInline}</style>`,
  SCRIPTS: [
    `<script type="text/plain" id="kvcsi-worker">${inlineSafe('worker.js', worker)}</script>`,
    `<script type="application/octet-stream" id="kvcsi-wasm">${wasm.toString('base64')}</script>`,
    `<script>${appInline}</script>`,
  ].join('\n'),
});
writeFileSync(join(args.out, 'kvcsi-checker.html'), single);
console.log(`wrote ${args.out}: index.html, style.css, app.js, worker.js, kvcsi_wasm_bg.wasm, kvcsi-checker.html`);
