// The checker page: collects evidence and custom rules, runs the check in a Web Worker and shows
// the report as cards. No network: the page's CSP allows nothing but its own files (the served
// build) or nothing at all beyond itself (the single-file build).
//
// Stable hooks for automated checks: the first input[type=file] is the evidence picker
// (multiple); #evidence is the paste box; #check runs a check; #results gets data-state="done"
// when a check finishes; each finding card, and nothing else, carries data-rule and
// data-severity, in report order; #wasm-memory carries the worker's WebAssembly memory size.
'use strict';
(() => {
  const I18N = {
    en: {
      tagline: 'Why does my Azure Key Vault Secrets Store CSI volume not mount?',
      language: 'Language',
      privacy: 'Everything runs in this browser tab. Your logs never leave this machine: the page loads nothing from elsewhere and sends nothing anywhere.',
      evidenceHeading: '1. Evidence',
      dropHint: 'Drop files, a folder or a .tar.gz bundle here: pod describe output, events, driver and provider logs, nslookup / nc / curl output, az and kubectl JSON or YAML.',
      chooseFiles: 'Choose files',
      chooseFolder: 'Choose a folder',
      pasteLabel: 'Or paste evidence',
      pasteHint: 'One paste may mix several outputs: an events table, log lines, an nslookup answer.',
      optionsHeading: '2. Custom rules and options (optional)',
      ruleHint: 'Custom .rhai rules (a rule with a built-in id replaces it). Drop files or a folder here, choose them, or paste one.',
      chooseRules: 'Choose rule files',
      ruleTextLabel: 'Paste a rule',
      addRule: 'Add rule',
      suppressLabel: 'Suppressions (.kvcsi-ignore format)',
      suppressHint: 'One rule id per line, optionally scoped (namespace=, pod=, vault=, source=), with # reason: why.',
      redact: 'Redact credentials in the results',
      builtin: 'Use the built-in rules',
      check: 'Check',
      clear: 'Clear',
      resultsHeading: 'Results',
      resultsIdle: 'Add evidence and press Check.',
      engine: 'Engine',
      memory: 'WebAssembly memory',
      rulesLoaded: 'built-in rules',
      footerNote: 'kvcsi reads evidence like the troubleshooting article does: it names the cause, shows the lines that prove it and the commands that fix it.',
      remove: 'Remove',
      removeItem: (name) => `Remove ${name}`,
      pasted: 'pasted',
      starting: 'Starting the engine…',
      reading: (name, done, total) => `Reading ${name}: ${done} of ${total}`,
      rulesPhase: 'Running the rules…',
      contextPhase: 'Collecting the lines around the evidence…',
      finished: (ms, bytes) => `Checked ${bytes} in ${(ms / 1000).toFixed(1)} s.`,
      nothingFound: 'No problem found in this evidence.',
      summary: (e, w, i) => `${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}, ${i} note${i === 1 ? '' : 's'}`,
      download: 'Download the report:',
      severity: { error: 'Error', warning: 'Warning', info: 'Note' },
      cause: (n) => `Article cause ${n}`,
      confidence: (c) => `Confidence: ${c}`,
      evidence: 'Evidence',
      lines: (source, a, b) => (a === b ? `${source}, line ${a}` : `${source}, lines ${a}–${b}`),
      moreLines: (n) => `… ${n} more line${n === 1 ? '' : 's'} of this evidence (in the downloaded report)`,
      remediation: 'What to do',
      copy: 'Copy',
      copied: 'Copied',
      copyFailed: 'Select and copy',
      copyLabel: (what) => `Copy the command: ${what}`,
      requestsFinding: 'Evidence that would confirm it',
      references: 'References',
      requests: 'Evidence that would settle open questions',
      skipped: 'Rules that could not decide',
      needs: 'needs',
      passed: 'Rules that ruled their cause out',
      suppressed: 'Suppressed findings',
      overrides: 'Built-in rules replaced by custom rules',
      diagnostics: 'Diagnostics',
      stats: (s) => `${s.sources} source${s.sources === 1 ? '' : 's'}, ${s.lines} lines, ${s.rules_run} of ${s.rules} rules ran`,
      errorTitle: 'The check could not run',
      ruleAdded: (name) => `Rule ${name} added.`,
      subject: 'Subject',
    },
    ja: {
      tagline: 'Azure Key Vault Secrets Store CSI ボリュームがマウントされないのはなぜ?',
      language: '言語',
      privacy: 'すべての処理はこのブラウザー タブの中で行われます。ログがこのマシンから出ることはありません。このページは外部から何も読み込まず、どこにも何も送信しません。',
      evidenceHeading: '1. 証拠',
      dropHint: 'ファイル、フォルダー、.tar.gz バンドルをここにドロップします: ポッドの describe 出力、イベント、ドライバーとプロバイダーのログ、nslookup / nc / curl の出力、az や kubectl の JSON / YAML。',
      chooseFiles: 'ファイルを選択',
      chooseFolder: 'フォルダーを選択',
      pasteLabel: 'または証拠を貼り付け',
      pasteHint: '1 回の貼り付けに複数の出力 (イベント一覧、ログ行、nslookup の応答) を混在させてもかまいません。',
      optionsHeading: '2. カスタム ルールとオプション (任意)',
      ruleHint: 'カスタム .rhai ルール (組み込みと同じ ID のルールは組み込みルールを置き換えます)。ここにファイルやフォルダーをドロップするか、選択するか、貼り付けます。',
      chooseRules: 'ルール ファイルを選択',
      ruleTextLabel: 'ルールを貼り付け',
      addRule: 'ルールを追加',
      suppressLabel: '抑制リスト (.kvcsi-ignore 形式)',
      suppressHint: '1 行に 1 つのルール ID。範囲 (namespace=、pod=、vault=、source=) と # reason: 理由 を付けられます。',
      redact: '結果の資格情報を伏せ字にする',
      builtin: '組み込みルールを使う',
      check: 'チェック',
      clear: 'クリア',
      resultsHeading: '結果',
      resultsIdle: '証拠を追加して「チェック」を押してください。',
      engine: 'エンジン',
      memory: 'WebAssembly メモリ',
      rulesLoaded: '組み込みルール',
      footerNote: 'kvcsi はトラブルシューティング記事と同じように証拠を読み、原因を特定し、それを示す行と修正のためのコマンドを示します。',
      remove: '削除',
      removeItem: (name) => `${name} を削除`,
      pasted: '貼り付け',
      starting: 'エンジンを起動しています…',
      reading: (name, done, total) => `${name} を読み込み中: ${done} / ${total}`,
      rulesPhase: 'ルールを実行しています…',
      contextPhase: '証拠の前後の行を集めています…',
      finished: (ms, bytes) => `${bytes} を ${(ms / 1000).toFixed(1)} 秒でチェックしました。`,
      nothingFound: 'この証拠からは問題は見つかりませんでした。',
      summary: (e, w, i) => `エラー ${e} 件、警告 ${w} 件、情報 ${i} 件`,
      download: 'レポートをダウンロード:',
      severity: { error: 'エラー', warning: '警告', info: '情報' },
      cause: (n) => `記事の原因 ${n}`,
      confidence: (c) => `確度: ${c}`,
      evidence: '証拠',
      lines: (source, a, b) => (a === b ? `${source} ${a} 行目` : `${source} ${a}–${b} 行目`),
      moreLines: (n) => `… この証拠の残り ${n} 行 (ダウンロードしたレポートにあります)`,
      remediation: '対処方法',
      copy: 'コピー',
      copied: 'コピーしました',
      copyFailed: '選択してコピーしてください',
      copyLabel: (what) => `コマンドをコピー: ${what}`,
      requestsFinding: '確認に役立つ証拠',
      references: '参考資料',
      requests: '未解決の点を確かめるための証拠',
      skipped: '判定できなかったルール',
      needs: '必要な証拠',
      passed: '原因を否定したルール',
      suppressed: '抑制された検出結果',
      overrides: 'カスタム ルールで置き換えた組み込みルール',
      diagnostics: '診断メッセージ',
      stats: (s) => `ソース ${s.sources} 件、${s.lines} 行、ルール ${s.rules} 件中 ${s.rules_run} 件を実行`,
      errorTitle: 'チェックを実行できませんでした',
      ruleAdded: (name) => `ルール ${name} を追加しました。`,
      subject: '対象',
    },
  };

  const $ = (id) => document.getElementById(id);
  const results = $('results');
  const body = $('results-body');
  const progress = $('progress');
  const progressText = $('progress-text');
  const langSelect = $('lang');

  const state = {
    lang: (navigator.language || '').toLowerCase().startsWith('ja') ? 'ja' : 'en',
    evidence: [], // { name, file }
    rules: [], // { name, source }
    report: null,
    context: {},
    elapsed: 0,
    seq: 0,
    pending: new Map(),
    progressEvents: 0,
  };
  const t = (key, ...args) => {
    const value = I18N[state.lang][key];
    return typeof value === 'function' ? value(...args) : value;
  };

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = value;
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function size(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1 << 20) return `${(bytes / 1024).toFixed(1)} KiB`;
    if (bytes < 1 << 30) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
    return `${(bytes / (1 << 30)).toFixed(2)} GiB`;
  }

  // ---- the worker ---------------------------------------------------------------------------

  let worker = null;
  // Each distinct set of custom rules keeps one compiled engine in the worker; past this much
  // WebAssembly memory the next check starts a fresh worker (the report shown stays).
  const RESTART_ABOVE = 256 << 20;
  let lastMemory = 0;
  function base64Bytes(text) {
    if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function startWorker() {
    const inline = $('kvcsi-worker');
    if (inline) {
      // Single-file build: from file:// Chromium refuses workers loaded from sibling files, so
      // the worker (glue included) starts from a blob and gets the module's bytes by message.
      const url = URL.createObjectURL(new Blob([inline.textContent], { type: 'text/javascript' }));
      worker = new Worker(url);
      const bytes = base64Bytes($('kvcsi-wasm').textContent.trim());
      worker.postMessage({ type: 'init', wasm: bytes }, [bytes.buffer]);
    } else {
      worker = new Worker('worker.js');
      worker.postMessage({ type: 'init' });
    }
    lastMemory = 0;
    worker.onmessage = (event) => onWorker(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      showError({ name: 'WorkerError', message: event.message || 'the worker failed to start' });
    };
  }
  function request(message) {
    const id = ++state.seq;
    return new Promise((resolve, reject) => {
      state.pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  function showMemory(memory) {
    if (!memory) return;
    lastMemory = memory.bytes;
    const el = $('wasm-memory');
    el.dataset.bytes = String(memory.bytes);
    el.dataset.peak = String(memory.peak);
    el.textContent = `${size(memory.bytes)} (${size(memory.peak)} peak)`;
  }

  function onWorker(message) {
    showMemory(message.memory);
    if (message.type === 'ready') {
      $('version').textContent = message.version;
      $('rule-count').textContent = String(message.rules.length);
      return;
    }
    if (message.type === 'progress') {
      state.progressEvents += 1;
      $('status').dataset.progressEvents = String(state.progressEvents);
      progress.hidden = false;
      if (message.phase === 'read') {
        progress.value = message.total ? Math.floor((100 * message.done) / message.total) : 0;
        progressText.textContent = t('reading', message.name || '…', size(message.done), size(message.total));
      } else {
        progress.value = 100;
        progressText.textContent = t(message.phase === 'rules' ? 'rulesPhase' : 'contextPhase');
      }
      return;
    }
    const waiter = state.pending.get(message.id);
    if (waiter) state.pending.delete(message.id);
    if (message.type === 'error') {
      if (waiter) waiter.reject(message);
      else showError(message);
      return;
    }
    if (waiter) waiter.resolve(message);
  }

  // ---- collecting evidence and rules ----------------------------------------------------------

  // Like the CLI walking a folder: hidden entries, rule files, expected.json and README.md are
  // not evidence.
  function isEvidence(name) {
    const base = name.split('/').pop();
    return !(name.split('/').some((p) => p.startsWith('.')) || base.endsWith('.rhai') || base === 'expected.json' || base === 'README.md');
  }

  function addEvidence(items) {
    for (const item of items) {
      state.evidence = state.evidence.filter((e) => e.name !== item.name);
      state.evidence.push(item);
    }
    renderLists();
  }

  async function addRuleFiles(items) {
    for (const item of items) {
      const source = await item.file.text();
      state.rules = state.rules.filter((r) => r.name !== item.name);
      state.rules.push({ name: item.name, source });
    }
    renderLists();
  }

  // Single files go by kind: .rhai to the rules, .kvcsi-ignore to the suppressions, the rest is
  // evidence. Folder contents are filtered like the CLI does.
  async function route(items, target) {
    const rules = [];
    const evidence = [];
    for (const item of items) {
      const base = item.name.split('/').pop();
      if (target === 'rules' || (!item.folder && base.endsWith('.rhai'))) {
        if (base.endsWith('.rhai')) rules.push(item);
      } else if (!item.folder && base === '.kvcsi-ignore') {
        $('suppress').value = await item.file.text();
        $('options').open = true;
      } else if (!item.folder || isEvidence(item.name)) {
        // (rule files inside a dropped folder are skipped, as `kvcsi check FOLDER` skips them)
        evidence.push(item);
      }
    }
    if (evidence.length) addEvidence(evidence);
    if (rules.length) {
      $('options').open = true;
      await addRuleFiles(rules);
    }
  }

  function readAll(reader) {
    return new Promise((resolve, reject) => {
      const all = [];
      const next = () => reader.readEntries((batch) => {
        if (!batch.length) resolve(all);
        else { all.push(...batch); next(); }
      }, reject);
      next();
    });
  }
  async function walk(entry, path, out) {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({ name: path, file, folder: path.includes('/') });
      return;
    }
    const children = await readAll(entry.createReader());
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      if (child.name.startsWith('.') && child.isDirectory) continue;
      await walk(child, `${path}/${child.name}`, out);
    }
  }
  async function dropped(dataTransfer, target) {
    const entries = [...dataTransfer.items]
      .filter((item) => item.kind === 'file')
      .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
    const files = [...dataTransfer.files];
    const out = [];
    if (entries.length && entries.every(Boolean)) {
      for (const entry of entries) await walk(entry, entry.name, out);
    } else {
      for (const file of files) out.push({ name: file.name, file, folder: false });
    }
    await route(out, target);
  }

  function dropZone(el, target) {
    el.addEventListener('dragenter', (e) => { e.preventDefault(); el.classList.add('over'); });
    el.addEventListener('dragover', (e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; el.classList.add('over'); });
    el.addEventListener('dragleave', () => el.classList.remove('over'));
    el.addEventListener('drop', (e) => {
      e.preventDefault();
      e.stopPropagation();
      el.classList.remove('over');
      dropped(e.dataTransfer, target).catch(showError);
    });
  }

  function fileItems(input) {
    return [...input.files].map((file) => ({
      name: file.webkitRelativePath || file.name,
      file,
      folder: Boolean(file.webkitRelativePath),
    }));
  }

  function renderLists() {
    const files = $('file-list');
    files.replaceChildren(...state.evidence.map((item, index) => h('li', {},
      h('span', { class: 'name', text: item.name }),
      h('span', { class: 'size', text: size(item.file.size) }),
      h('button', {
        type: 'button', class: 'small', 'aria-label': t('removeItem', item.name), text: t('remove'),
        onclick: () => { state.evidence.splice(index, 1); renderLists(); },
      }))));
    const rules = $('rule-list');
    rules.replaceChildren(...state.rules.map((rule, index) => h('li', {},
      h('span', { class: 'name', text: rule.name }),
      h('button', {
        type: 'button', class: 'small', 'aria-label': t('removeItem', rule.name), text: t('remove'),
        onclick: () => { state.rules.splice(index, 1); renderLists(); },
      }))));
  }

  // ---- running a check ------------------------------------------------------------------------

  function setBusy(busy) {
    $('check').disabled = busy;
    $('clear').disabled = busy;
    results.setAttribute('aria-busy', busy ? 'true' : 'false');
  }

  async function runCheck() {
    const inputs = state.evidence.map((e) => ({ name: e.name, file: e.file }));
    const pasted = $('evidence').value;
    if (pasted.trim()) inputs.push({ name: 'paste', text: pasted });
    const options = {
      lang: state.lang,
      redact: $('redact').checked,
      builtin: $('builtin').checked,
    };
    if (state.rules.length) options.rules = state.rules.map((r) => ({ name: r.name, source: r.source }));
    if ($('suppress').value.trim()) options.suppress = { name: '.kvcsi-ignore', text: $('suppress').value };
    if (lastMemory > RESTART_ABOVE) {
      worker.terminate();
      for (const waiter of state.pending.values()) waiter.reject({ name: 'WorkerRestarted', message: 'the worker was restarted' });
      state.pending.clear();
      startWorker();
    }
    results.dataset.state = 'running';
    delete results.dataset.lang;
    state.status = null;
    state.progressEvents = 0;
    progress.hidden = false;
    progress.value = 0;
    progressText.textContent = t('starting');
    setBusy(true);
    try {
      const answer = await request({ type: 'check', inputs, options });
      state.report = answer.report;
      state.context = answer.context || {};
      state.elapsed = answer.elapsed;
      progress.value = 100;
      state.status = ['finished', answer.elapsed, size(answer.report.stats.bytes)];
      progressText.textContent = t(...state.status);
      renderReport();
    } catch (error) {
      showError(error);
    } finally {
      setBusy(false);
    }
  }

  function showError(error) {
    progress.hidden = true;
    progressText.textContent = '';
    $('results-empty').hidden = true;
    body.replaceChildren(h('div', { class: 'alert', role: 'alert' },
      h('strong', { text: `${t('errorTitle')}: ` }),
      `${error.name || 'Error'}: ${error.message || error}`));
    results.dataset.state = 'error';
  }

  function clearAll() {
    state.evidence = [];
    state.rules = [];
    state.report = null;
    $('evidence').value = '';
    $('rule-text').value = '';
    $('suppress').value = '';
    renderLists();
    body.replaceChildren();
    $('results-empty').hidden = false;
    progress.hidden = true;
    progressText.textContent = '';
    state.status = null;
    results.dataset.state = 'idle';
    delete results.dataset.lang;
  }

  // ---- showing the report -----------------------------------------------------------------------

  function copyButton(text, label) {
    const button = h('button', { type: 'button', class: 'small copy', 'aria-label': t('copyLabel', label), text: t('copy') });
    button.addEventListener('click', async () => {
      let ok = false;
      try {
        await navigator.clipboard.writeText(text);
        ok = true;
      } catch {
        const area = h('textarea', { class: 'visually-hidden', 'aria-hidden': 'true' });
        area.value = text;
        document.body.append(area);
        area.select();
        try { ok = document.execCommand('copy'); } catch { ok = false; }
        area.remove();
      }
      button.textContent = ok ? t('copied') : t('copyFailed');
      setTimeout(() => { button.textContent = t('copy'); }, 2000);
    });
    return button;
  }

  function command(text, label) {
    return h('div', { class: 'cmd' }, h('pre', {}, h('code', { text })), copyButton(text, label));
  }

  const CONTEXT = 3; // lines shown around evidence (the worker reads the same)
  const MAX_SPAN = 12; // lines of one piece of evidence shown at most

  function evidenceBlock(item) {
    const [first, last] = item.lines;
    const lines = state.context[item.source];
    const shownLast = Math.min(last, first + MAX_SPAN - 1);
    const to = shownLast === last ? last + CONTEXT : shownLast;
    const pre = h('pre', { class: 'context', tabindex: '0', 'aria-label': t('lines', item.source, first, last) });
    const line = (n, text, hit) => h(hit ? 'mark' : 'span', { class: 'l' }, h('span', { class: 'n', 'aria-hidden': 'true', text: String(n) }), text);
    const numbers = lines ? Object.keys(lines).map(Number).filter((n) => n >= first - CONTEXT && n <= to).sort((a, b) => a - b) : [];
    if (numbers.some((n) => n >= first && n <= last)) {
      for (const n of numbers) pre.append(line(n, lines[n], n >= first && n <= last));
    } else {
      // No context (inside an archive, or lines not found): the evidence itself, highlighted.
      item.text.split('\n').slice(0, MAX_SPAN).forEach((text, i) => pre.append(line(first + i, text, true)));
    }
    if (shownLast < last) pre.append(h('span', { class: 'l more', text: t('moreLines', last - shownLast) }));
    return h('figure', { class: 'evidence' }, h('figcaption', { text: t('lines', item.source, first, last) }), pre);
  }

  function card(finding, index) {
    const titleId = `finding-${index}-title`;
    const reference = finding.references.find((url) => url.includes('#cause-')) || finding.references[0];
    const cause = finding.cause
      ? (reference ? h('a', { href: reference, rel: 'noopener noreferrer', target: '_blank', text: t('cause', finding.cause) }) : t('cause', finding.cause))
      : null;
    const metaParts = [h('code', { text: finding.rule })];
    if (cause) metaParts.push(' · ', cause);
    metaParts.push(' · ', t('confidence', finding.confidence));
    const subject = Object.entries(finding.subject);
    return h('article', {
      class: `card sev-${finding.severity}`,
      'data-rule': finding.rule,
      'data-severity': finding.severity,
      'aria-labelledby': titleId,
    },
    h('header', {},
      h('span', { class: `badge sev-${finding.severity}`, text: t('severity')[finding.severity] || finding.severity }),
      h('h3', { id: titleId, text: finding.title })),
    h('p', { class: 'meta' }, metaParts),
    subject.length ? h('dl', { class: 'subject', 'aria-label': t('subject') }, subject.map(([k, v]) => h('div', {}, h('dt', { text: `${k}:` }), h('dd', { text: v })))) : null,
    h('p', { class: 'message', text: finding.message }),
    finding.evidence.length ? [h('h4', { text: t('evidence') }), finding.evidence.map(evidenceBlock)] : null,
    finding.remediation.length ? [h('h4', { text: t('remediation') }), h('ol', { class: 'steps' }, finding.remediation.map((step) => h('li', {},
      h('p', { text: step.text }),
      step.command ? command(step.command, step.text) : null)))] : null,
    finding.requests.length ? [h('h4', { text: t('requestsFinding') }), h('ul', { class: 'section-list' }, finding.requests.map((r) => h('li', {},
      h('p', { text: r.reason }), r.command ? command(r.command, r.reason) : null)))] : null,
    finding.references.length ? [h('h4', { text: t('references') }), h('ul', { class: 'section-list' }, finding.references.map((url) => h('li', {},
      h('a', { href: url, rel: 'noopener noreferrer', target: '_blank', text: url }))))] : null);
  }

  function section(title, items, render) {
    if (!items.length) return null;
    return h('section', { class: 'report-section' }, h('h3', { text: title }), h('ul', { class: 'section-list' }, items.map(render)));
  }

  async function download(format) {
    const answer = await request({ type: 'render', format, lang: state.lang });
    const types = { json: 'application/json', markdown: 'text/markdown', html: 'text/html' };
    const ext = { json: 'json', markdown: 'md', html: 'html' };
    const url = URL.createObjectURL(new Blob([answer.text], { type: `${types[format]};charset=utf-8` }));
    const link = h('a', { href: url, download: `kvcsi-report.${ext[format]}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function renderReport() {
    const report = state.report;
    if (!report) return;
    const count = (s) => report.findings.filter((f) => f.severity === s).length;
    $('results-empty').hidden = true;
    const summary = h('div', { class: 'summary' },
      h('p', { text: report.findings.length ? t('summary', count('error'), count('warning'), count('info')) : t('nothingFound') }),
      h('div', { class: 'downloads' }, h('span', { text: t('download') }),
        ['json', 'markdown', 'html'].map((format) => h('button', {
          type: 'button', class: 'small', id: `download-${format}`, text: { json: 'JSON', markdown: 'Markdown', html: 'HTML' }[format],
          onclick: () => download(format).catch(showError),
        }))));
    const cards = h('div', { id: 'findings' }, report.findings.map(card));
    // Requests already shown on a finding's card are not repeated below.
    const onCards = new Set(report.findings.flatMap((f) => f.requests.map((r) => JSON.stringify([r.rule, r.evidence, r.reason]))));
    const requests = report.requests.filter((r) => !onCards.has(JSON.stringify([r.rule, r.evidence, r.reason])));
    body.replaceChildren(...[
      summary,
      cards,
      section(t('requests'), requests, (r) => h('li', {}, h('p', {}, r.reason, ' ', h('code', { text: r.rule })), r.command ? command(r.command, r.reason) : null)),
      section(t('skipped'), report.skipped, (s) => h('li', {}, h('code', { text: s.rule }), ` ${s.reason}`, s.needs.length ? h('span', { class: 'hint' }, ` (${t('needs')}: ${s.needs.join(', ')})`) : null)),
      section(t('suppressed'), report.suppressed, (s) => h('li', {}, h('code', { text: s.rule }), ` ${s.title}: ${s.reason} (${s.entry})`)),
      section(t('overrides'), report.overrides, (o) => h('li', {}, h('code', { text: o.rule }), ` ${o.source}`)),
      section(t('diagnostics'), report.diagnostics, (d) => h('li', {}, h('code', { text: d.code }), d.source ? ` ${d.source}` : '', `: ${d.message}`)),
      report.passed.length ? h('details', { class: 'report-section' }, h('summary', { text: `${t('passed')} (${report.passed.length})` }),
        h('ul', { class: 'section-list' }, report.passed.map((p) => h('li', {}, h('code', { text: p.rule }), ` ${p.reason}`)))) : null,
      h('p', { class: 'hint', text: t('stats', report.stats) })].filter(Boolean));
    results.dataset.lang = report.lang;
    results.dataset.state = 'done';
  }

  // ---- language ---------------------------------------------------------------------------------

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    langSelect.value = state.lang;
    for (const el of document.querySelectorAll('[data-i18n]')) {
      const text = I18N[state.lang][el.dataset.i18n];
      if (typeof text === 'string') el.textContent = text;
    }
    if (state.status) progressText.textContent = t(...state.status);
    renderLists();
  }

  async function switchLanguage(lang) {
    state.lang = lang;
    applyLanguage();
    if (!state.report) return;
    results.dataset.state = 'running';
    try {
      const answer = await request({ type: 'localize', lang });
      state.report = answer.report;
      renderReport();
    } catch (error) {
      showError(error);
    }
  }

  // ---- wiring -----------------------------------------------------------------------------------

  langSelect.addEventListener('change', () => switchLanguage(langSelect.value));
  $('files').addEventListener('change', (e) => { route(fileItems(e.target), 'evidence').catch(showError); e.target.value = ''; });
  $('folder').addEventListener('change', (e) => { route(fileItems(e.target), 'evidence').catch(showError); e.target.value = ''; });
  $('rule-files').addEventListener('change', (e) => { route(fileItems(e.target), 'rules').catch(showError); e.target.value = ''; });
  $('add-rule').addEventListener('click', () => {
    const source = $('rule-text').value;
    if (!source.trim()) return;
    const id = /\bid\s*:\s*"([^"]+)"/.exec(source);
    const name = `${id ? id[1] : `pasted-rule-${state.rules.length + 1}`}.rhai`;
    state.rules = state.rules.filter((r) => r.name !== name);
    state.rules.push({ name, source });
    $('rule-text').value = '';
    renderLists();
    progressText.textContent = t('ruleAdded', name);
  });
  $('check').addEventListener('click', runCheck);
  $('clear').addEventListener('click', clearAll);
  dropZone($('rule-drop'), 'rules');
  dropZone($('drop'), 'evidence');
  // A file dropped anywhere else is evidence too (and never opens in the tab).
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    dropped(e.dataTransfer, 'evidence').catch(showError);
  });

  applyLanguage();
  startWorker();
})();
