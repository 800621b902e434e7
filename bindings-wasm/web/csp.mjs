// The checker's Content-Security-Policies, shared by the build (meta tags) and serve.mjs (headers).

/** The served page: nothing but its own files. The worker fetches the module (connect-src 'self')
 * and compiles it ('wasm-unsafe-eval'); no inline script or style, no other origin. */
export const SERVED = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Extra directives only a response header can carry. */
export const HEADER_ONLY = "frame-ancestors 'none'";

/** The single file opened from disk: its one inline script and style by hash, the worker from a
 * blob (it inherits this policy), the module compiled from inlined bytes, and no connection at
 * all. */
export function singleFile({ scriptHash, styleHash }) {
  return [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}' 'wasm-unsafe-eval'`,
    'worker-src blob:',
    "connect-src 'none'",
    `style-src 'sha256-${styleHash}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
