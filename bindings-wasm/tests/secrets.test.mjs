// Hardening on the WebAssembly surface (issue 9), with the same fixtures as the core and the CLI:
//
// - canaries (tests/canaries/): no credential planted in the evidence appears in the report
//   object, any rendering (json, text, markdown, html), the Japanese report, displayLine, or an
//   error; the recorded findings still fire; `redact: false` shows them;
// - the page's DOM in headless Chromium, after a check of the same files (skipped with
//   KVCSI_E2E=0 or without Chromium), and its downloads;
// - hostile rules (core/tests/hostile/): each is contained in two seconds with the diagnostic
//   its `// expect:` line names, the built-in findings still come, the module keeps working;
// - hostile evidence: empty, binary, a gzip bomb, deep JSON, an 8 MiB line, an escaping tar:
//   a report every time, the event beside them still found, memory bounded.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DIST, ROOT, kvcsi } from './shared.mjs';

const CANARIES = join(ROOT, 'tests', 'canaries');
const HOSTILE = join(ROOT, 'core', 'tests', 'hostile');
const EVENT = 'Events:\n  Type     Reason       Age   From     Message\n  ----     ------       ----  ----     -------\n  Warning  FailedMount  3s    kubelet  MountVolume.SetUp failed for volume "kv" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers\n';
const RULE = 'driver-not-registered';

/** Every canary fixture: its evidence files (as the CLI reads the folder) and .canary.json. */
function fixtures() {
  return readdirSync(CANARIES)
    .filter((name) => statSync(join(CANARIES, name)).isDirectory())
    .sort()
    .map((name) => {
      const dir = join(CANARIES, name);
      const files = readdirSync(dir)
        .filter((f) => !f.startsWith('.'))
        .sort()
        .map((f) => ({ name: f, path: join(dir, f), bytes: readFileSync(join(dir, f)) }));
      return { name, dir, files, meta: JSON.parse(readFileSync(join(dir, '.canary.json'), 'utf8')) };
    });
}

const leaked = (text, markers) => markers.filter((m) => text.includes(m));
const sortedAlarms = (report) => report.findings.map((f) => [f.rule, f.severity]).sort((a, b) => (a.join() < b.join() ? -1 : 1));

test('canaries: no credential in any output of the wasm API, findings still fire', () => {
  const list = fixtures();
  assert.ok(list.length > 0);
  for (const { name, files, meta } of list) {
    const inputs = files.map(({ name: n, bytes }) => ({ name: n, bytes }));
    const report = kvcsi.check(inputs);
    assert.equal(report.redacted, true);
    const outputs = {
      object: JSON.stringify(report),
      json: kvcsi.render(report, 'json'),
      text: kvcsi.render(report, 'text'),
      markdown: kvcsi.render(report, 'markdown'),
      html: kvcsi.render(report, 'html'),
      ja: kvcsi.render(report, 'json', 'ja'),
      localized: JSON.stringify(kvcsi.localize(report, 'ja')),
      lines: files.flatMap((f) => f.bytes.toString('utf8').split('\n')).map((l) => kvcsi.displayLine(l, true)).join('\n'),
    };
    for (const [what, text] of Object.entries(outputs)) {
      assert.deepEqual(leaked(text, meta.markers), [], `${name}: ${what}`);
    }
    assert.deepEqual(sortedAlarms(report), meta.findings, `${name}: the findings that depend on the planted lines`);
    assert.equal(kvcsi.exitStatus(report), meta.exit_status);
    // A session fed in chunks redacts the same way.
    const session = new kvcsi.Session();
    for (const f of files) {
      for (let i = 0; i < f.bytes.length; i += 4093) session.feed(f.name, f.bytes.subarray(i, i + 4093));
    }
    assert.deepEqual(leaked(JSON.stringify(session.finish()), meta.markers), [], `${name}: session`);
    // The opt-out shows them: the canaries were in what the report cites.
    const open = kvcsi.check(inputs, { redact: false });
    assert.equal(open.redacted, false);
    assert.ok(leaked(JSON.stringify(open), meta.markers).length > 0, `${name}: redact: false`);
  }
});

test('canaries: errors and rule diagnostics quote no evidence', () => {
  const marker = 'Zq99K999Xv';
  for (const call of [
    () => kvcsi.check([{ name: `x?sig=${marker}`, bytes: 42 }]),
    () => kvcsi.check([{ name: 'x', text: 'x' }], { rules: [{ name: 'r.rhai', source: `fn meta() { #{ id: "client_secret=${marker}" } }\nfn check(f, m) { [] }` }] }),
    () => kvcsi.check([{ name: 'x', text: `password=${marker}` }], { rules: [{ name: 'r.rhai', source: 'fn meta() { #{ api_version: 1, id: "t", severity: "error", needs: [], text: #{ en: #{ title: "t", message: "m" } } } }\nfn check(f, m) { throw f.logs + f.events + `${f}`; }' }] }),
    () => kvcsi.render({ findings: `client_secret=${marker}` }, 'json'),
  ]) {
    let text;
    try {
      text = JSON.stringify(call());
    } catch (error) {
      assert.ok(error instanceof Error);
      text = `${error.name} ${error.message} ${error.stack}`;
    }
    assert.ok(!text.includes(marker), text);
  }
});

test('canaries: the page DOM and its downloads, in headless Chromium', async (t) => {
  const chromiumPath = process.env.KVCSI_CHROMIUM || '/usr/bin/chromium';
  const single = join(DIST, 'kvcsi-checker.html');
  if (process.env.KVCSI_E2E === '0' || !existsSync(chromiumPath) || !existsSync(single)) {
    t.skip('no Chromium or no built page (KVCSI_E2E=0)');
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    for (const { name, files, meta } of fixtures()) {
      const context = await browser.newContext({ acceptDownloads: true });
      const page = await context.newPage();
      await page.goto(`file://${single}`);
      await page.waitForFunction(() => document.getElementById('version').textContent !== '…');
      await page.locator('#files').setInputFiles(files.map((f) => f.path));
      await page.click('#check');
      await page.waitForSelector('#results[data-state="done"]', { timeout: 60_000 });
      // Open every collapsed part so the text of the whole report is in the DOM.
      await page.$$eval('details', (els) => els.forEach((el) => { el.open = true; }));
      const dom = await page.evaluate(() => document.documentElement.outerHTML + document.body.innerText);
      assert.deepEqual(leaked(dom, meta.markers), [], `${name}: DOM`);
      const rules = await page.$$eval('[data-rule]', (els) => els.map((el) => el.dataset.rule));
      for (const [rule] of meta.findings) assert.ok(rules.includes(rule), `${name}: ${rule} shown`);
      for (const format of ['json', 'markdown', 'html']) {
        const button = page.locator(`#download-${format}`);
        if (await button.count() === 0) continue;
        const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
        const text = readFileSync(await download.path(), 'utf8');
        assert.deepEqual(leaked(text, meta.markers), [], `${name}: download ${format}`);
      }
      // With the page's opt-out the canaries show: the DOM check above was meaningful.
      await page.locator('#redact').uncheck();
      await page.click('#check');
      await page.waitForSelector('#results[data-state="done"]', { timeout: 60_000 });
      await page.$$eval('details', (els) => els.forEach((el) => { el.open = true; }));
      const open = await page.evaluate(() => document.body.innerHTML);
      assert.ok(leaked(open, meta.markers).length > 0, `${name}: unredacted DOM`);
      await context.close();
    }
  } finally {
    await browser.close();
  }
});

/** Every hostile rule file with the diagnostic code its `// expect:` line names. */
function hostileRules() {
  return readdirSync(HOSTILE)
    .filter((f) => f.endsWith('.rhai'))
    .sort()
    .map((file) => {
      const source = readFileSync(join(HOSTILE, file), 'utf8');
      const expect = /^\/\/ expect: (\S+)/m.exec(source);
      assert.ok(expect, `${file} has an // expect: line`);
      return { file, source, code: expect[1] };
    });
}

test('hostile rules are contained in wasm as in the core', (t) => {
  const evidence = [{ name: 'describe.txt', text: EVENT }];
  const baseline = kvcsi.check(evidence);
  assert.ok(baseline.findings.some((f) => f.rule === RULE));
  const list = hostileRules();
  assert.ok(list.length > 0);
  for (const { file, source, code } of list) {
    const name = `hostile/${file}`;
    const started = performance.now();
    let report;
    try {
      report = kvcsi.check(evidence, { rules: [{ name, source }] });
    } catch (error) {
      // A rule that does not load is an error the caller can act on: it must name the file.
      assert.ok(error instanceof Error, `${file}: a real Error`);
      assert.match(`${error.message}`, new RegExp(file.replace('.', '\\.')), `${file}: the error names the file`);
      continue;
    }
    const took = performance.now() - started;
    assert.ok(took < 2000, `${file}: contained in ${took.toFixed(0)} ms`);
    const codes = report.diagnostics.map((d) => d.code);
    // wasm runs rules several times slower than native code, so a rule that exhausts memory
    // slowly may reach the wall-clock limit first: contained all the same, by another limit.
    const slow = code.startsWith('rule-limit-') && !codes.includes(code) && codes.includes('rule-limit-wall-clock');
    if (slow) t.diagnostic(`${file}: stopped by rule-limit-wall-clock before ${code} (wasm is slower)`);
    const got = slow ? 'rule-limit-wall-clock' : code;
    assert.ok(codes.includes(got), `${file}: expected ${code}, got ${codes.join(', ')}`);
    assert.ok(report.diagnostics.some((d) => d.code === got && `${d.source}`.includes(file)), `${file}: the diagnostic names the file`);
    assert.ok(report.findings.some((f) => f.rule === RULE), `${file}: built-in findings still reported`);
    assert.equal(kvcsi.exitStatus(report), kvcsi.exitStatus(baseline), `${file}: exit status of the evidence`);
  }
  // The module still works after all of them.
  assert.equal(JSON.stringify(kvcsi.check(evidence)), JSON.stringify(baseline));
});

function tar(entries) {
  const blocks = [];
  for (const { name, type = '0', data = Buffer.alloc(0) } of entries) {
    const header = Buffer.alloc(512);
    header.write(name.slice(0, 100), 0, 'latin1');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${(type === '0' ? data.length : 0).toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write(type, 156);
    header.write('ustar\0' + '00', 257, 'latin1');
    header.fill(' ', 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(header);
    if (type === '0') {
      blocks.push(data);
      blocks.push(Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

test('hostile evidence: a report every time, the event beside still found, memory bounded', () => {
  let seed = 7;
  const random = Buffer.alloc(64 * 1024).map(() => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed >> 16;
  });
  const deep = '['.repeat(200_000) + ']'.repeat(200_000);
  const longLine = Buffer.alloc(8 << 20, 'StatusCode=403 keyvault x ');
  const bomb = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
  const escape = gzipSync(tar([
    { name: '../../etc/kvcsi', data: Buffer.from('escaped') },
    { name: '/abs/kvcsi', data: Buffer.from('escaped') },
    { name: 'link', type: '2' },
    { name: 'bundle/describe.txt', data: Buffer.from(EVENT) },
  ]));
  const cases = [
    ['empty.txt', new Uint8Array(0), 'empty-input'],
    ['random.bin', random, 'binary-input'],
    ['deep.json', deep, 'json-invalid'],
    ['one-line.log', longLine, 'line-truncated'],
    ['bomb.gz', bomb, 'archive-bomb'],
    ['bundle.tgz', escape, 'archive-unsafe-path'],
  ];
  const before = kvcsi.memoryBytes();
  for (const [name, bytes, code] of cases) {
    const started = performance.now();
    const input = typeof bytes === 'string' ? { name, text: bytes } : { name, bytes };
    const report = kvcsi.check([input, { name: 'describe-pod.txt', text: EVENT }]);
    const took = performance.now() - started;
    assert.ok(took < 20_000, `${name}: ${took.toFixed(0)} ms`);
    assert.ok(report.diagnostics.some((d) => d.code === code), `${name}: ${code} in ${report.diagnostics.map((d) => d.code)}`);
    assert.ok(report.findings.some((f) => f.rule === RULE), `${name}: the event beside it is still analysed`);
    assert.ok(!JSON.stringify(report).includes('escaped'), `${name}: refused entries are never read`);
  }
  for (const name of ['empty.txt', 'random.bin']) {
    const bytes = cases.find((c) => c[0] === name)[1];
    assert.equal(kvcsi.exitStatus(kvcsi.check([{ name, bytes }])), 2, `${name} alone: nothing usable`);
  }
  const grown = kvcsi.memoryBytes() - before;
  assert.ok(grown < 256 << 20, `wasm memory grew by ${grown >> 20} MiB`);
});
