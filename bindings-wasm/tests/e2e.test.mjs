// End-to-end tests of the checker in real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): the served page (web/dist through web/serve.mjs, CSP as header and meta) and
// the single file (web/dist/kvcsi-checker.html opened from file://).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import {
  CASES, DIST, FORBIDDEN_LINE, LOG_LINES, PKG, RESULTS, alarms, assertSameText, caseProblems, cases, cli, folderInputs, kvcsi,
} from './shared.mjs';

const CHROMIUM = process.env.KVCSI_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LARGE_MB = Number(process.env.KVCSI_LARGE_MB || 200);
const MEMORY_BOUND = 64 << 20;
const SINGLE = pathToFileURL(join(DIST, 'kvcsi-checker.html')).href;
const OWN_FILES = ['/', '/index.html', '/style.css', '/app.js', '/worker.js', '/kvcsi_wasm_bg.wasm'];
const MARKER_RULE = join(PKG, 'tests', 'fixtures', 'e2e-marker.rhai');
const MARKER_LOG = `${LOG_LINES.join('\n')}\nE1120 18:31:05.000001       1 main.go:9] "KVCSI-E2E-MARKER banana"\n${LOG_LINES.join('\n')}\n`;

const CASE_LIST = cases();
const CAUSE4 = CASE_LIST.find((c) => c.name.includes('cause-4'));
const TMP = mkdtempSync(join(tmpdir(), 'kvcsi-e2e-'));

let browser;
let server;
let base;
let canary;
let canaryHits = [];

function listen(srv) {
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv.address().port)));
}

before(async () => {
  mkdirSync(RESULTS, { recursive: true });
  server = spawn(process.execPath, [join(PKG, 'web', 'serve.mjs'), '--port', '0', '--dir', DIST], { stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise((resolve, reject) => {
    server.stdout.on('data', (data) => {
      const found = /http:\/\/\S+\//.exec(String(data));
      if (found) resolve(found[0]);
    });
    server.on('exit', (code) => reject(new Error(`serve.mjs exited ${code}`)));
  });
  // Another origin that counts every request: anything reaching it is a leak.
  canary = createServer((req, res) => {
    canaryHits.push(req.url);
    res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'text/plain' }).end('canary');
  });
  canary.port = await listen(canary);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  server?.kill();
  canary?.close();
  rmSync(TMP, { recursive: true, force: true });
});

/** A fresh context and page that records every request (page and worker) and every page error. */
async function open(url, { permissions } = {}) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1366, height: 900 } });
  if (permissions) await context.grantPermissions(permissions, { origin: new URL(url).origin });
  const page = await context.newPage();
  const record = { requests: [], errors: [], violations: [] };
  context.on('request', (request) => record.requests.push(request.url()));
  page.on('websocket', (ws) => record.requests.push(ws.url()));
  page.on('pageerror', (error) => record.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') record.violations.push(message.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('version').textContent !== '…');
  return { context, page, record };
}

async function runCheck(page, timeout = 60_000) {
  await page.click('#check');
  await page.waitForSelector('#results[data-state="done"]', { timeout });
}

/** [rule, severity] of every card, in page order. */
const cards = (page) => page.$$eval('[data-rule]', (els) => els.map((el) => [el.dataset.rule, el.dataset.severity]));

async function downloadText(page, format) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#download-${format}`)]);
  return readFileSync(await download.path(), 'utf8');
}

function assertOwnFilesOnly(record, origin) {
  const foreign = record.requests.filter((url) => {
    if (url.startsWith('data:') || url.startsWith('blob:')) return false;
    const u = new URL(url);
    return !(u.origin === origin && OWN_FILES.includes(u.pathname));
  });
  assert.deepEqual(foreign, [], 'requests beyond the page\'s own files');
  for (const path of OWN_FILES.slice(2)) {
    assert.ok(record.requests.includes(origin + path), `the recording saw ${path} (it records page and worker)`);
  }
}

function assertLocalOnly(record) {
  const foreign = record.requests.filter((url) => !/^(file|blob|data):/.test(url));
  assert.deepEqual(foreign, [], 'requests beyond file:, blob: and data:');
  assert.ok(record.requests.some((url) => url.startsWith('file:')), 'the recording saw the page');
  assert.ok(record.requests.some((url) => url.startsWith('blob:')), 'the recording saw the worker');
}

/** A real drag and drop of files or folders from disk onto `selector` (Chromium's input layer
 * through CDP, so folders arrive as directory entries, as from a file manager). */
async function dragFromDisk(page, selector, paths) {
  const box = await page.locator(selector).boundingBox();
  const cdp = await page.context().newCDPSession(page);
  const point = { x: box.x + box.width / 2, y: box.y + 10 };
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) await cdp.send('Input.dispatchDragEvent', { type, ...point, data });
  await cdp.detach();
}

async function screenshot(page, name) {
  await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
}

describe('single file opened from file://', () => {
  test('shows private-endpoint-vnet with its evidence and fix for the article\'s cause-4 evidence, with no network', async () => {
    const { context, page, record } = await open(SINGLE);
    const files = folderInputs(CAUSE4.dir, CAUSE4.name);
    await page.locator('input[type=file]').first().setInputFiles(files.map((f) => f.path));
    await runCheck(page);
    const first = page.locator('[data-rule]').first();
    assert.equal(await first.getAttribute('data-rule'), 'private-endpoint-vnet');
    assert.equal(await first.getAttribute('data-severity'), 'error');
    const evidence = await first.locator('figure.evidence mark').allTextContents();
    assert.ok(evidence.some((line) => line.includes('ForbiddenByConnection')), 'the 403 ForbiddenByConnection line is highlighted');
    assert.ok(evidence.some((line) => /canonical name|Address/.test(line)), 'the nslookup answer is highlighted');
    const captions = await first.locator('figure.evidence figcaption').allTextContents();
    assert.ok(captions.some((c) => c.startsWith('describe-pod.txt')), 'evidence names its source');
    const commands = await first.locator('ol.steps .cmd code').allTextContents();
    assert.ok(commands.some((c) => c.startsWith('az network private-dns link vnet create')), 'the fix: link the zone to the AKS VNet');
    assert.equal(await first.locator('ol.steps .cmd button.copy').count(), commands.length, 'a copy button per command');
    // The page's report is the wasm report for the same inputs.
    const json = await downloadText(page, 'json');
    const expected = kvcsi.render(kvcsi.check(files.map((f) => ({ name: basename(f.path), bytes: f.bytes }))), 'json');
    assertSameText(json, expected, 'the page\'s JSON');
    await screenshot(page, 'single-file-cause-4');
    assertLocalOnly(record);
    assert.deepEqual(record.errors, []);
    assert.ok(Number(await page.getAttribute('#wasm-memory', 'data-peak')) > 0, 'the page exposes the wasm memory size');
    await context.close();
  });

  test('the CSP refuses an injected fetch, image and worker fetch from file://', async () => {
    const { context, page, record } = await open(SINGLE);
    await page.locator('#evidence').fill(MARKER_LOG);
    await runCheck(page);
    const target = `http://127.0.0.1:${canary.port}/single-file-leak`;
    const outcome = await page.evaluate(async (url) => {
      const seen = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective));
      const fetched = await fetch(url).then(() => 'loaded', (e) => `refused: ${e}`);
      await new Promise((resolve) => { const img = new Image(); img.onload = img.onerror = resolve; img.src = `${url}.png`; });
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { fetched, seen };
    }, target);
    assert.match(outcome.fetched, /^refused/);
    assert.ok(outcome.seen.includes('connect-src') && outcome.seen.includes('img-src'), JSON.stringify(outcome.seen));
    const [worker] = page.workers();
    assert.ok(worker, 'the checker runs in a worker');
    const fromWorker = await worker.evaluate((url) => fetch(url).then(() => 'loaded', (e) => `refused: ${e}`), `${target}-worker`);
    assert.match(fromWorker, /^refused/);
    assert.deepEqual(canaryHits.filter((u) => u.startsWith('/single-file-leak')), [], 'nothing reached the other origin');
    assert.ok(record.violations.some((m) => /Content Security Policy/.test(m)));
    await context.close();
  });
});

describe('served page', () => {
  test('controls: without the policy the same requests do reach the other origin', async () => {
    // The refusals below are the CSP's doing: the same fetches from pages without a policy, one
    // served from yet another local origin and one opened from file://, reach the canary.
    const plain = createServer((req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!DOCTYPE html><title>no policy</title>'));
    const port = await listen(plain);
    const noPolicyFile = join(TMP, 'no-policy.html');
    writeFileSync(noPolicyFile, '<!DOCTYPE html><title>no policy</title>');
    const context = await browser.newContext();
    const page = await context.newPage();
    for (const [url, mark] of [[`http://127.0.0.1:${port}/`, 'control-http'], [pathToFileURL(noPolicyFile).href, 'control-file']]) {
      await page.goto(url);
      const outcome = await page.evaluate((target) => fetch(target).then(() => 'loaded', (e) => `refused: ${e}`), `http://127.0.0.1:${canary.port}/${mark}`);
      assert.equal(outcome, 'loaded', `${mark}: ${outcome}`);
      assert.ok(canaryHits.includes(`/${mark}`), `${mark} reached the canary`);
    }
    await context.close();
    plain.close();
  });

  test('no request beyond its own files while checking; injected requests are refused', async () => {
    const { context, page, record } = await open(base);
    const files = folderInputs(CAUSE4.dir, CAUSE4.name);
    await page.locator('input[type=file]').first().setInputFiles(files.map((f) => f.path));
    await runCheck(page);
    await downloadText(page, 'html');
    const target = `http://127.0.0.1:${canary.port}/served-leak`;
    const outcome = await page.evaluate(async (url) => {
      const seen = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective));
      const fetched = await fetch(url).then(() => 'loaded', (e) => `refused: ${e}`);
      await new Promise((resolve) => { const img = new Image(); img.onload = img.onerror = resolve; img.src = `${url}.png`; });
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { fetched, seen };
    }, target);
    assert.match(outcome.fetched, /^refused/);
    assert.ok(outcome.seen.includes('connect-src') && outcome.seen.includes('img-src'), JSON.stringify(outcome.seen));
    const fromWorker = await page.workers()[0].evaluate((url) => fetch(url).then(() => 'loaded', (e) => `refused: ${e}`), `${target}-worker`);
    assert.match(fromWorker, /^refused/, 'the worker has the policy too (served as a header)');
    assert.deepEqual(canaryHits.filter((u) => u.startsWith('/served-leak')), []);
    // The refused attempts were recorded as requests; everything else must be the page's own files.
    record.requests = record.requests.filter((url) => !url.startsWith(target));
    assertOwnFilesOnly(record, new URL(base).origin);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  describe('the shared evidence cases give the same findings and the same JSON as the CLI', () => {
    let session;
    before(async () => { session = await open(base); });
    after(async () => { await session.context.close(); });
    for (const c of CASE_LIST) {
      test(c.name, async () => {
        const { page, record } = session;
        await page.click('#clear');
        await page.locator('#folder').setInputFiles(c.dir);
        await runCheck(page);
        const fromCli = cli([c.name], CASES);
        const report = JSON.parse(fromCli.json);
        assert.deepEqual(await cards(page), report.findings.map((f) => [f.rule, f.severity]), 'cards in report order');
        assertSameText(await downloadText(page, 'json'), fromCli.json, 'the page\'s JSON is the CLI\'s');
        assert.deepEqual(caseProblems(alarms(report.findings), c.expected), []);
        if (c === CAUSE4) await screenshot(page, 'served-cause-4');
        assert.deepEqual(record.errors, []);
      });
    }
  });

  test('pasted evidence', async () => {
    const { context, page } = await open(base);
    const text = readdirSync(CAUSE4.dir).filter((f) => f.endsWith('.txt')).map((f) => readFileSync(join(CAUSE4.dir, f), 'utf8')).join('\n');
    await page.locator('#evidence').fill(text);
    await runCheck(page);
    const expected = kvcsi.check([{ name: 'paste', text }]);
    assert.deepEqual(await cards(page), expected.findings.map((f) => [f.rule, f.severity]));
    assert.ok(expected.findings.length > 0);
    assertSameText(await downloadText(page, 'json'), kvcsi.render(expected, 'json'), 'the page\'s JSON');
    await context.close();
  });

  test('files dropped on the drop zone', async () => {
    const { context, page } = await open(base);
    const files = folderInputs(CAUSE4.dir, CAUSE4.name).map((f) => ({ name: basename(f.path), text: f.bytes.toString('utf8') }));
    const dataTransfer = await page.evaluateHandle((items) => {
      const dt = new DataTransfer();
      for (const item of items) dt.items.add(new File([item.text], item.name));
      return dt;
    }, files);
    await page.locator('#drop').dispatchEvent('drop', { dataTransfer });
    await page.waitForFunction((n) => document.querySelectorAll('#file-list li').length === n, files.length);
    await runCheck(page);
    const expected = kvcsi.check(files);
    assert.deepEqual(await cards(page), expected.findings.map((f) => [f.rule, f.severity]));
    assertSameText(await downloadText(page, 'json'), kvcsi.render(expected, 'json'), 'the page\'s JSON');
    await context.close();
  });

  test('a folder dragged from disk onto the drop zone', async () => {
    const { context, page } = await open(base);
    await dragFromDisk(page, '#drop', [CAUSE4.dir]);
    const names = folderInputs(CAUSE4.dir, CAUSE4.name).map((f) => f.name);
    await page.waitForFunction((n) => document.querySelectorAll('#file-list li').length === n, names.length);
    assert.deepEqual(await page.$$eval('#file-list .name', (els) => els.map((el) => el.textContent)), names, 'named like the CLI names a folder\'s files; expected.json skipped');
    await runCheck(page);
    assertSameText(await downloadText(page, 'json'), cli([CAUSE4.name], CASES).json, 'the page\'s JSON is the CLI\'s');
    await context.close();
  });

  test('a .tar.gz bundle', async () => {
    const bundle = join(TMP, 'bundle.tar.gz');
    execFileSync('tar', ['-czf', bundle, '-C', CASES, CAUSE4.name]);
    const { context, page } = await open(base);
    await page.locator('input[type=file]').first().setInputFiles(bundle);
    await runCheck(page);
    const fromCli = cli(['bundle.tar.gz'], TMP);
    assertSameText(await downloadText(page, 'json'), fromCli.json, 'the page\'s JSON is the CLI\'s');
    assert.equal((await cards(page))[0][0], JSON.parse(fromCli.json).findings[0].rule);
    await context.close();
  });

  test('English/Japanese switch re-renders the results and the page', async () => {
    const { context, page } = await open(base);
    const files = folderInputs(CAUSE4.dir, CAUSE4.name);
    await page.locator('input[type=file]').first().setInputFiles(files.map((f) => f.path));
    await runCheck(page);
    const inputs = files.map((f) => ({ name: basename(f.path), bytes: f.bytes }));
    const ja = kvcsi.check(inputs, { lang: 'ja' });
    await page.selectOption('#lang', 'ja');
    await page.waitForSelector('#results[data-state="done"][data-lang="ja"]');
    assert.equal(await page.textContent('[data-rule] h3'), ja.findings[0].title);
    assert.equal(await page.textContent('#check'), 'チェック');
    assert.match(await page.textContent('#progress-text'), /チェックしました/);
    assert.equal(await page.getAttribute('html', 'lang'), 'ja');
    assertSameText(await downloadText(page, 'json'), kvcsi.render(ja, 'json'), 'the page\'s JSON in Japanese');
    assert.match(await downloadText(page, 'markdown'), /原因/);
    await screenshot(page, 'served-japanese');
    // A new check runs in the chosen language; switching back restores English.
    await runCheck(page);
    assert.equal(await page.getAttribute('#results', 'data-lang'), 'ja');
    await page.selectOption('#lang', 'en');
    await page.waitForSelector('#results[data-state="done"][data-lang="en"]');
    assert.equal(await page.textContent('[data-rule] h3'), kvcsi.check(inputs).findings[0].title);
    await context.close();
  });

  test('custom rules: a file and a pasted rule', async () => {
    const { context, page } = await open(base);
    await page.locator('#options summary').click();
    await page.locator('#rule-files').setInputFiles(MARKER_RULE);
    const pasted = readFileSync(MARKER_RULE, 'utf8').replace('id: "e2e-marker"', 'id: "e2e-marker-pasted"').replace('severity: "warning"', 'severity: "error"');
    await page.locator('#rule-text').fill(pasted);
    await page.click('#add-rule');
    await page.waitForFunction(() => document.querySelectorAll('#rule-list li').length === 2);
    await page.locator('#evidence').fill(MARKER_LOG);
    await runCheck(page);
    const got = await cards(page);
    assert.ok(got.some(([r, s]) => r === 'e2e-marker' && s === 'warning'), JSON.stringify(got));
    assert.ok(got.some(([r, s]) => r === 'e2e-marker-pasted' && s === 'error'), JSON.stringify(got));
    const card = page.locator('[data-rule="e2e-marker"]');
    assert.match(await card.locator('mark').first().textContent(), /KVCSI-E2E-MARKER banana/);
    assert.equal(await card.locator('.cmd code').textContent(), "sed -i '/KVCSI-E2E-MARKER/d' evidence.log");
    await context.close();
  });

  test('custom rule files dragged onto the rules zone', async () => {
    const { context, page } = await open(base);
    await page.locator('#options summary').click();
    await dragFromDisk(page, '#rule-drop', [MARKER_RULE]);
    await page.waitForFunction(() => document.querySelectorAll('#rule-list li').length === 1);
    await page.locator('#evidence').fill(MARKER_LOG);
    await runCheck(page);
    assert.ok((await cards(page)).some(([rule]) => rule === 'e2e-marker'));
    await context.close();
  });

  test('nothing to check, and a bad suppression list', async () => {
    const { context, page } = await open(base);
    await runCheck(page);
    assert.equal(await page.locator('[data-rule]').count(), 0, 'no card');
    assert.match(await page.textContent('#results'), /no-input/);
    await page.locator('#options summary').click();
    await page.locator('#suppress').fill('private-endpoint-vnet colour=blue');
    await page.locator('#evidence').fill(MARKER_LOG);
    await page.click('#check');
    await page.waitForSelector('#results[data-state="error"]');
    assert.match(await page.textContent('#results [role=alert]'), /SuppressionError.*line 1/);
    await context.close();
  });

  test('copy buttons copy the command', async () => {
    const { context, page } = await open(base, { permissions: ['clipboard-read', 'clipboard-write'] });
    await page.locator('#evidence').fill(MARKER_LOG);
    await page.locator('#options summary').click();
    await page.locator('#rule-files').setInputFiles(MARKER_RULE);
    await page.waitForFunction(() => document.querySelectorAll('#rule-list li').length === 1);
    await runCheck(page);
    const button = page.locator('[data-rule="e2e-marker"] button.copy').first();
    await button.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-rule="e2e-marker"] button.copy').textContent === 'Copied');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), "sed -i '/KVCSI-E2E-MARKER/d' evidence.log");
    await context.close();
  });

  test('keyboard and labels: every control is labelled and reachable', async () => {
    const { context, page } = await open(base);
    const unlabelled = await page.$$eval('input, textarea, select, button', (els) => els
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
      .map((el) => el.outerHTML.slice(0, 80)));
    assert.deepEqual(unlabelled, []);
    const focused = new Set();
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      focused.add(await page.evaluate(() => document.activeElement.id || document.activeElement.tagName));
    }
    for (const id of ['lang', 'files', 'evidence', 'check']) assert.ok(focused.has(id), `${id} is reachable with Tab (${[...focused]})`);
    await context.close();
  });

  test('contrast: text meets WCAG AA (4.5:1) on its background', async () => {
    const { context, page } = await open(base);
    const files = folderInputs(CAUSE4.dir, CAUSE4.name);
    await page.locator('input[type=file]').first().setInputFiles(files.map((f) => f.path));
    await page.locator('#options summary').click();
    await runCheck(page);
    const low = await page.evaluate(() => {
      const rgb = (text) => (text.match(/[\d.]+/g) || []).map(Number);
      const lum = ([r, g, b]) => {
        const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
      };
      const background = (el) => {
        for (let e = el; e; e = e.parentElement) {
          const c = rgb(getComputedStyle(e).backgroundColor);
          if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
        }
        return [255, 255, 255];
      };
      const out = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!node.textContent.trim() || !el.getClientRects().length || el.closest('[hidden], script, .visually-hidden')) continue;
        const style = getComputedStyle(el);
        if (style.visibility === 'hidden' || Number(style.opacity) < 1) continue;
        const [a, b] = [lum(rgb(style.color)), lum(background(el))];
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        if (ratio < 4.5) out.push(`${ratio.toFixed(2)} ${el.tagName}.${el.className}: ${node.textContent.trim().slice(0, 40)}`);
      }
      return out;
    });
    assert.deepEqual(low, []);
    await context.close();
  });

  test(`a ${LARGE_MB} MB log is streamed with progress while the memory stays flat`, { timeout: 600_000 }, async () => {
    const writeLog = (path, mb, errorAt) => {
      const block = Buffer.from(`${Array.from({ length: 2000 }, (_, i) => LOG_LINES[i % LOG_LINES.length]).join('\n')}\n`);
      const fd = openSync(path, 'w');
      let written = 0;
      let planted = false;
      while (written < mb * 1e6) {
        if (!planted && written >= errorAt * mb * 1e6) {
          writeSync(fd, `${FORBIDDEN_LINE}\n`);
          planted = true;
        }
        written += writeSync(fd, block);
      }
      closeSync(fd);
    };
    const small = join(TMP, 'provider-small.log');
    const large = join(TMP, 'provider-large.log');
    writeLog(small, 8, 0.6);
    writeLog(large, LARGE_MB, 0.6);
    // What the wasm build finds in the same file, streamed in Node.
    const expected = (() => {
      const session = new kvcsi.Session();
      const fd = openSync(large, 'r');
      const buffer = Buffer.alloc(1 << 20);
      for (let n; (n = readSync(fd, buffer)) > 0;) session.feed('provider-large.log', buffer.subarray(0, n));
      closeSync(fd);
      return session.finish();
    })();
    assert.ok(expected.findings.length > 0, 'the planted error line gives a finding');

    const { context, page, record } = await open(base);
    // Two checks of an 8 MB log first: the second one shows the steady state (the first warms
    // up lazily compiled matchers and the allocator).
    for (let i = 0; i < 2; i++) {
      await page.click('#clear');
      await page.locator('input[type=file]').first().setInputFiles(small);
      await runCheck(page);
    }
    const afterSmall = Number(await page.getAttribute('#wasm-memory', 'data-peak'));

    await page.click('#clear');
    await page.locator('input[type=file]').first().setInputFiles(large);
    const samples = [];
    // Every value the progress bar takes, recorded in the page: a fast check can finish between
    // two polls from here.
    await page.evaluate(() => {
      const bar = document.querySelector('#progress');
      window.progressValues = new Set();
      new MutationObserver(() => window.progressValues.add(bar.getAttribute('value')))
        .observe(bar, { attributes: true, attributeFilter: ['value'] });
    });
    await page.click('#check');
    const started = Date.now();
    while ((await page.getAttribute('#results', 'data-state')) !== 'done') {
      assert.ok(Date.now() - started < 300_000, 'the large check finishes within 5 minutes');
      assert.notEqual(await page.getAttribute('#results', 'data-state'), 'error', await page.textContent('#results'));
      samples.push(Number(await page.getAttribute('#wasm-memory', 'data-bytes')));
      await page.waitForTimeout(100);
    }
    const progressValues = new Set(await page.evaluate(() => [...window.progressValues]));
    const seconds = (Date.now() - started) / 1000;
    const events = Number(await page.getAttribute('#status', 'data-progress-events'));
    const peak = Number(await page.getAttribute('#wasm-memory', 'data-peak'));
    console.log(`# ${LARGE_MB} MB in ${seconds.toFixed(1)} s; ${events} progress events; wasm memory ${afterSmall} B after 8 MB, peak ${peak} B after ${LARGE_MB} MB`);
    assert.ok(events >= 5, `progress was reported (${events} events)`);
    assert.ok(progressValues.size >= 3, `the progress bar moved (${[...progressValues]})`);
    assert.deepEqual(await cards(page), expected.findings.map((f) => [f.rule, f.severity]), 'the same findings as the wasm build in Node');
    assert.ok(peak < MEMORY_BOUND, `wasm memory ${peak} stays under ${MEMORY_BOUND}`);
    assert.ok(peak <= afterSmall + (2 << 20), `wasm memory does not grow with the file (${afterSmall} after 8 MB, ${peak} after ${LARGE_MB} MB)`);
    assert.ok(Math.max(...samples) <= peak);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize').value;
    assert.ok(heap < MEMORY_BOUND, `the page's JS heap stays small (${heap} B)`);
    assert.ok(await page.locator('[data-rule] figure.evidence mark').first().isVisible(), 'the evidence line is shown');
    await screenshot(page, 'served-large-log');
    assertOwnFilesOnly(record, new URL(base).origin);
    await context.close();
  });
});
