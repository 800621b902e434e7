// Shared by the Node API tests and the Chromium end-to-end tests: the repository's evidence
// cases (tests/cases/<name>/ with expected.json), read dynamically, and the CLI to compare with.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const PKG = resolve(HERE, '..');
export const ROOT = resolve(PKG, '..');
export const CASES = join(ROOT, 'tests', 'cases');
export const DIST = join(PKG, 'web', 'dist');
export const RESULTS = join(PKG, 'test-results');

/** The Node build of kvcsi-wasm. */
export const kvcsi = createRequire(import.meta.url)(join(PKG, 'pkg-node', 'kvcsi_wasm.js'));

/** Every case folder holding an expected.json, in name order. */
export function cases() {
  if (!existsSync(CASES)) return [];
  return readdirSync(CASES)
    .filter((name) => existsSync(join(CASES, name, 'expected.json')))
    .sort()
    .map((name) => ({
      name,
      dir: join(CASES, name),
      expected: JSON.parse(readFileSync(join(CASES, name, 'expected.json'), 'utf8')),
    }));
}

// What the CLI skips when it walks a folder (core/src/fs.rs).
function isEvidenceFile(name) {
  return !(name.startsWith('.') || name.endsWith('.rhai') || name === 'expected.json' || name === 'README.md');
}

/** The files of a folder as `kvcsi check FOLDER` reads them: recursive, in path order, named
 * `<prefix>/<relative path>`. */
export function folderInputs(dir, prefix) {
  const out = [];
  const entries = readdirSync(dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of entries) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...folderInputs(path, `${prefix}/${name}`));
    else if (isEvidenceFile(name)) out.push({ name: `${prefix}/${name}`, path, bytes: readFileSync(path) });
  }
  return out;
}

/** The error and warning findings of a report as [rule, severity] pairs, in report order. */
export function alarms(findings) {
  return findings.filter((f) => f.severity === 'error' || f.severity === 'warning').map((f) => [f.rule, f.severity]);
}

/** What expected.json says the alarms must be. */
export function expectedAlarms(expected) {
  return (expected.findings || []).map((f) => [f.rule, f.severity || 'error']);
}

/** Problems between a report's alarms and expected.json (the same contract as core/tests/cases.rs):
 * every expected alarm present, no other, the first (root cause) first, `absent` ones absent. */
export function caseProblems(got, expected) {
  const want = expectedAlarms(expected);
  const key = (a) => a.join(':');
  const problems = [];
  for (const w of want) if (!got.some((g) => key(g) === key(w))) problems.push(`missing ${key(w)}`);
  for (const g of got) if (!want.some((w) => key(w) === key(g))) problems.push(`extra ${key(g)}`);
  if (!problems.length && want.length && key(got[0]) !== key(want[0])) problems.push(`root cause ${key(want[0])} should come first, got ${key(got[0])}`);
  for (const absent of expected.absent || []) if (got.some(([rule]) => rule === absent)) problems.push(`${absent} must be absent`);
  return problems;
}

/** The kvcsi CLI (KVCSI_CLI, or target/debug/kvcsi as test.sh builds it). */
export function cliPath() {
  const path = process.env.KVCSI_CLI || join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'debug', 'kvcsi');
  if (!existsSync(path)) throw new Error(`the kvcsi CLI is missing at ${path}: run bash bindings-wasm/test.sh, or cargo build -p kvcsi-cli`);
  return path;
}

/** Runs `kvcsi check ARGS --format json` in `cwd`: { json, status }. */
export function cli(args, cwd) {
  const run = spawnSync(cliPath(), ['check', ...args, '--format', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.error) throw run.error;
  return { json: run.stdout, status: run.status, stderr: run.stderr };
}

/** Asserts two texts are equal, failing with the first differing line rather than both texts. */
export function assertSameText(actual, expected, what) {
  if (actual === expected) return;
  const a = actual.split('\n');
  const e = expected.split('\n');
  let i = 0;
  while (i < Math.min(a.length, e.length) && a[i] === e[i]) i++;
  throw new Error(`${what}: first difference at line ${i + 1} (of ${a.length} and ${e.length})\n  actual:   ${a[i]}\n  expected: ${e[i]}`);
}

/** Realistic provider log lines (klog, as the Azure provider writes them), for big inputs. */
export const LOG_LINES = [
  'I1120 18:30:51.485822       1 provider.go:182] "objects string defined in secret provider class" objects="array:\\n  - |\\n    objectName: payments-signing-key\\n    objectType: secret\\n" pod="payments/payments-api-6b8f9c7d5-q8z4m"',
  'I1120 18:30:51.486011       1 provider.go:231] "using user-assigned managed identity to retrieve access token" clientID="c13e****f075" pod="payments/payments-api-6b8f9c7d5-q8z4m"',
  'I1120 18:30:51.512340       1 server.go:139] "request" method="/v1alpha1.CSIDriverProvider/Mount" pod="payments/payments-api-6b8f9c7d5-q8z4m"',
  'I1120 18:30:51.733918       1 keyvault.go:101] "getting secret" vault="kv-payments-prod" objectName="app-config" objectVersion="" StatusCode=200',
  'I1120 18:30:51.734226       1 provider.go:412] "successfully retrieved object" objectName="app-config" objectType="secret" context="mount"',
  'I1120 18:30:51.801177       1 server.go:171] "response" method="/v1alpha1.CSIDriverProvider/Mount" duration="289.3ms" secretsRead=3',
];
/** The cause-4 error line the article quotes (403 ForbiddenByConnection), as the provider logs it. */
export const FORBIDDEN_LINE = 'E1120 18:31:02.104417       1 server.go:234] "failed to process mount request" err="failed to get objectType:secret, objectName:payments-signing-key, objectVersion:: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code=\\"Forbidden\\" Message=\\"Public network access is disabled and request is not from a trusted service nor via an approved private link.\\\\r\\\\n Caller: appid=c13ed886-ba56-4b48-8dca-8cf3d830f075;oid=d82fd357-439a-45a9-ac21-e6d2b6c6596e \\\\r\\\\n Vault: kv-payments-prod;location=westeurope\\" InnerError={\\"code\\":\\"ForbiddenByConnection\\"}"';
