// The wasm API in Node (pkg-node, and pkg-web through initSync): same report as the CLI, byte
// for byte; options, streaming, rendering, localisation and errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  FORBIDDEN_LINE, LOG_LINES, PKG, ROOT, alarms, assertSameText, caseProblems, cases, cli, folderInputs, kvcsi,
} from './shared.mjs';

const CASE_LIST = cases();
const MARKER_RULE = readFileSync(join(PKG, 'tests', 'fixtures', 'e2e-marker.rhai'), 'utf8');
const LOG = `${LOG_LINES.join('\n')}\nE1120 18:31:05.000001       1 main.go:9] "KVCSI-E2E-MARKER banana"\n`;
const cause4 = () => CASE_LIST.find((c) => c.name.includes('cause-4'));
const inputsOf = (c, prefix = `tests/cases/${c.name}`) => folderInputs(c.dir, prefix).map(({ name, bytes }) => ({ name, bytes }));

function throwsNamed(fn, name, pattern) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof Error, 'a real Error');
    assert.equal(error.name, name);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

test('version and rule catalogue', () => {
  assert.match(kvcsi.version(), /^\d+\.\d+\.\d+/);
  const rules = kvcsi.rules();
  assert.ok(rules.length > 0);
  for (const rule of rules) {
    assert.equal(typeof rule.id, 'string');
    assert.ok(['error', 'warning', 'info'].includes(rule.severity));
    assert.equal(rule.origin, 'builtin');
  }
  const withCustom = kvcsi.rules({ rules: [{ name: 'e2e-marker.rhai', source: MARKER_RULE }] });
  assert.equal(withCustom.length, rules.length + 1);
  assert.equal(withCustom.find((r) => r.id === 'e2e-marker').origin, 'user');
  assert.deepEqual(kvcsi.rules({ builtin: false, rules: [{ name: 'e2e-marker.rhai', source: MARKER_RULE }] }).map((r) => r.id), ['e2e-marker']);
});

describe('shared evidence cases: the same report as the CLI, and the expected findings', () => {
  assert.ok(CASE_LIST.length > 0, 'tests/cases holds cases');
  for (const c of CASE_LIST) {
    test(c.name, () => {
      const report = kvcsi.check(inputsOf(c));
      const fromCli = cli([`tests/cases/${c.name}`], ROOT);
      assertSameText(kvcsi.render(report, 'json'), fromCli.json, 'render(report, "json") is the CLI\'s --format json');
      assertSameText(`${JSON.stringify(report, null, 2)}\n`, fromCli.json, 'the report object serialises to the CLI\'s JSON');
      assert.equal(kvcsi.exitStatus(report), fromCli.status, 'exit status');
      assert.deepEqual(caseProblems(alarms(report.findings), c.expected), []);
    });
  }
});

test('a session fed in small chunks gives the same report as check()', () => {
  for (const c of CASE_LIST.slice(0, 3)) {
    const inputs = inputsOf(c);
    const session = new kvcsi.Session();
    for (const input of inputs) {
      for (let i = 0; i < input.bytes.length; i += 97) session.feed(input.name, input.bytes.subarray(i, i + 97));
      if (!input.bytes.length) session.feed(input.name, new Uint8Array(0));
      session.end(input.name);
    }
    assertSameText(kvcsi.render(session.finish(), 'json'), kvcsi.render(kvcsi.check(inputs), 'json'), c.name);
  }
});

test('a session accepts Uint8Array, ArrayBuffer and string chunks, interleaved', () => {
  const text = LOG;
  const bytes = new TextEncoder().encode(text);
  const session = new kvcsi.Session({ rules: [{ name: 'm.rhai', source: MARKER_RULE }] });
  session.feed('a.log', bytes.slice(0, 10).buffer);
  session.feed('b.log', text.slice(0, 5));
  session.feed('a.log', bytes.subarray(10));
  session.feed('b.log', text.slice(5));
  const report = session.finish();
  const direct = kvcsi.check([{ name: 'a.log', text }, { name: 'b.log', text }], { rules: [{ name: 'm.rhai', source: MARKER_RULE }] });
  assert.equal(kvcsi.render(report, 'json'), kvcsi.render(direct, 'json'));
  throwsNamed(() => session.finish(), 'SessionError');
  throwsNamed(() => session.feed('a.log', 'x'), 'SessionError');
});

test('streaming 160 MiB keeps the WebAssembly memory flat', async () => {
  // A fresh instance (the web build, imported again under another URL), so the memory measured
  // is this test's alone.
  const fresh = await import(`${pathToFileURL(join(PKG, 'pkg-web', 'kvcsi_wasm.js')).href}?memory-test`);
  fresh.initSync({ module: readFileSync(join(PKG, 'pkg-web', 'kvcsi_wasm_bg.wasm')) });
  const block = new TextEncoder().encode(`${Array.from({ length: 4000 }, (_, i) => LOG_LINES[i % LOG_LINES.length]).join('\n')}\n`);
  const error = new TextEncoder().encode(`${FORBIDDEN_LINE}\n`);
  const feedMiB = (session, name, mib) => {
    for (let fed = 0; fed < mib << 20; fed += block.length) session.feed(name, block);
  };
  // Two 8 MiB checks first: the second shows the steady state (the first warms up lazily
  // compiled matchers and the allocator).
  let smallReport;
  for (let i = 0; i < 2; i++) {
    const small = new fresh.Session();
    feedMiB(small, 'provider.log', 8);
    small.feed('provider.log', error);
    smallReport = small.finish();
  }
  const afterSmall = fresh.memoryBytes();
  const big = new fresh.Session();
  feedMiB(big, 'provider.log', 80);
  big.feed('provider.log', error);
  feedMiB(big, 'provider.log', 80);
  const bigReport = big.finish();
  const afterBig = fresh.memoryBytes();
  assert.ok(bigReport.stats.bytes > 160 * (1 << 20));
  assert.ok(bigReport.findings.length > 0, 'the error line in the middle is found');
  assert.deepEqual(alarms(bigReport.findings), alarms(smallReport.findings));
  assert.ok(afterBig <= afterSmall + (1 << 20), `memory grew with the input: ${afterSmall} -> ${afterBig}`);
  assert.ok(afterBig < 64 << 20, `memory ${afterBig} stays under 64 MiB`);
});

test('options: language, localize, render formats', () => {
  const c = cause4();
  const inputs = inputsOf(c);
  const en = kvcsi.check(inputs);
  const ja = kvcsi.check(inputs, { lang: 'ja' });
  assert.equal(ja.lang, 'ja');
  assert.notEqual(ja.findings[0].title, en.findings[0].title);
  assert.equal(kvcsi.render(kvcsi.localize(en, 'ja'), 'json'), kvcsi.render(ja, 'json'), 'localize() equals a check in that language');
  assert.equal(kvcsi.render(en, 'json', 'ja'), kvcsi.render(ja, 'json'));
  assert.match(kvcsi.render(en, 'markdown'), /^# kvcsi report/);
  assert.equal(kvcsi.render(en, 'md'), kvcsi.render(en, 'markdown'));
  const html = kvcsi.render(en, 'html');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, new RegExp(`data-rule="${en.findings[0].rule}"`));
  assert.doesNotMatch(kvcsi.render(en, 'text'), /\u001b/);
  throwsNamed(() => kvcsi.render(en, 'pdf'), 'OptionsError', /format/);
  throwsNamed(() => kvcsi.render(en, 'json', 'fr'), 'OptionsError', /language/);
});

test('options: custom rules, overrides, builtin off, broken rules as diagnostics', () => {
  const rules = [{ name: 'e2e-marker.rhai', source: MARKER_RULE }];
  const report = kvcsi.check([{ name: 'provider.log', text: LOG }], { rules });
  const marker = report.findings.find((f) => f.rule === 'e2e-marker');
  assert.ok(marker, 'the custom rule fires');
  assert.equal(marker.severity, 'warning');
  assert.equal(marker.evidence[0].source, 'provider.log');
  assert.equal(marker.remediation[0].command, "sed -i '/KVCSI-E2E-MARKER/d' evidence.log");
  assert.equal(kvcsi.check([{ name: 'provider.log', text: LOG }], { rules, lang: 'ja' }).findings.find((f) => f.rule === 'e2e-marker').title, 'エンドツーエンド マーカーがあります');

  const builtin = kvcsi.rules()[0].id;
  const override = MARKER_RULE.replace('id: "e2e-marker"', `id: "${builtin}"`);
  const overridden = kvcsi.check([{ name: 'provider.log', text: LOG }], { rules: [{ name: 'mine.rhai', source: override }] });
  assert.deepEqual(overridden.overrides, [{ rule: builtin, source: 'mine.rhai' }]);

  const only = kvcsi.check([{ name: 'provider.log', text: LOG }], { rules, builtin: false });
  assert.equal(only.stats.rules, 1);

  const broken = kvcsi.check([{ name: 'provider.log', text: LOG }], { rules: [{ name: 'broken.rhai', source: 'fn meta( {' }] });
  assert.ok(broken.diagnostics.some((d) => d.code.startsWith('rule-') && d.source.startsWith('broken.rhai')), 'a broken rule is a diagnostic, not an exception');
});

test('options: suppressions and redaction', () => {
  const c = cause4();
  const inputs = inputsOf(c);
  const rule = kvcsi.check(inputs).findings[0].rule;
  const suppressed = kvcsi.check(inputs, { suppress: `${rule}   # reason: known, fix scheduled\n` });
  assert.ok(!suppressed.findings.some((f) => f.rule === rule));
  assert.equal(suppressed.suppressed[0].rule, rule);
  assert.equal(suppressed.suppressed[0].entry, '.kvcsi-ignore:1');
  const named = kvcsi.check(inputs, { suppress: { name: 'team.ignore', text: `# header\n${rule} # reason: x\n` } });
  assert.equal(named.suppressed[0].entry, 'team.ignore:2');
  throwsNamed(() => kvcsi.check(inputs, { suppress: `${rule} colour=blue` }), 'SuppressionError', /line 1/);

  const token = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3ZhdWx0LmF6dXJlLm5ldCJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
  const secretLine = `E1120 18:31:05.000001       1 main.go:9] "KVCSI-E2E-MARKER banana" header="Authorization: Bearer ${token}"`;
  const options = { rules: [{ name: 'm.rhai', source: MARKER_RULE }] };
  const on = kvcsi.check([{ name: 'paste', text: `${secretLine}\n` }], options);
  assert.equal(on.redacted, true);
  assert.ok(on.findings[0].evidence[0].text.includes('[REDACTED]'));
  assert.ok(!kvcsi.render(on, 'json').includes(token.slice(-20)), 'the token is not in the report');
  const off = kvcsi.check([{ name: 'paste', text: `${secretLine}\n` }], { ...options, redact: false });
  assert.equal(off.redacted, false);
  assert.equal(off.findings[0].evidence[0].text, secretLine);
  assert.equal(kvcsi.displayLine(secretLine, false), secretLine);
  assert.ok(!kvcsi.displayLine(secretLine, true).includes(token.slice(-20)), 'displayLine redacts the token');
  assert.equal(kvcsi.displayLine('\u001b[31mred\u001b[0m', true), 'red');
});

test('errors are real JS Errors with a name per kind', () => {
  throwsNamed(() => kvcsi.check([], { language: 'ja' }), 'OptionsError', /unknown option "language"/);
  throwsNamed(() => kvcsi.check([], { lang: 'fr' }), 'OptionsError', /lang/);
  throwsNamed(() => kvcsi.check([], { redact: 'yes' }), 'OptionsError', /redact/);
  throwsNamed(() => kvcsi.check([], { rules: [{ name: 'x.rhai' }] }), 'OptionsError', /source/);
  throwsNamed(() => kvcsi.check([], 'ja'), 'OptionsError');
  throwsNamed(() => kvcsi.check('text'), 'InputError');
  throwsNamed(() => kvcsi.check([{ name: 'a' }]), 'InputError', /exactly one of text and bytes/);
  throwsNamed(() => kvcsi.check([{ name: 'a', text: 'x', bytes: new Uint8Array(1) }]), 'InputError');
  throwsNamed(() => kvcsi.check([{ text: 'x' }]), 'InputError', /name/);
  throwsNamed(() => kvcsi.check([{ name: 'a', bytes: [1, 2] }]), 'InputError', /Uint8Array/);
  throwsNamed(() => new kvcsi.Session().feed('a', 42), 'InputError');
  const report = kvcsi.check([{ name: 'a', text: 'x' }]);
  throwsNamed(() => kvcsi.render(JSON.parse(JSON.stringify(report)), 'json'), 'ReportError');
  throwsNamed(() => kvcsi.localize({}, 'ja'), 'ReportError');
  throwsNamed(() => kvcsi.exitStatus(null), 'ReportError');
});

test('no input, empty input and bytes inputs behave like the CLI', () => {
  const none = kvcsi.check([]);
  assert.equal(kvcsi.exitStatus(none), 2);
  assert.ok(none.diagnostics.some((d) => d.code === 'no-input'));
  const empty = kvcsi.check([{ name: 'empty.txt', bytes: new ArrayBuffer(0) }]);
  assert.ok(empty.diagnostics.some((d) => d.code === 'empty-input'));
  const c = cause4();
  const asText = kvcsi.check(inputsOf(c).map(({ name, bytes }) => ({ name, text: Buffer.from(bytes).toString('utf8') })));
  assert.equal(kvcsi.render(asText, 'json'), kvcsi.render(kvcsi.check(inputsOf(c)), 'json'));
});

test('the web (ES module) build works too, and the TypeScript definitions describe the API', async () => {
  const web = await import(pathToFileURL(join(PKG, 'pkg-web', 'kvcsi_wasm.js')).href);
  web.initSync({ module: readFileSync(join(PKG, 'pkg-web', 'kvcsi_wasm_bg.wasm')) });
  const c = cause4();
  assert.equal(web.render(web.check(inputsOf(c)), 'json'), kvcsi.render(kvcsi.check(inputsOf(c)), 'json'));
  const dts = readFileSync(join(PKG, 'pkg-web', 'kvcsi_wasm.d.ts'), 'utf8');
  for (const line of [
    'export function check(inputs: Input[], options?: Options): Report;',
    'export function render(report: Report, format: Format, lang?: Lang): string;',
    'export function localize(report: Report, lang: Lang): Report;',
    'export function rules(options?: Options): RuleInfo[];',
    'export function version(): string;',
    'export interface Report {',
    'feed(name: string, chunk: Uint8Array | ArrayBuffer | string): void;',
    'finish(): Report;',
    'constructor(options?: Options);',
  ]) {
    assert.ok(dts.includes(line), `d.ts has: ${line}`);
  }
});
