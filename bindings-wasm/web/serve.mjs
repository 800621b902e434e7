// A small static server for web/dist that sends the page's Content-Security-Policy as a header
// too (a <meta> policy does not reach a worker loaded from a URL; the header does).
//   node web/serve.mjs [--port 8080] [--host 127.0.0.1] [--dir web/dist]
// Prints "kvcsi checker: http://HOST:PORT/" once listening (port 0 picks a free one).
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEADER_ONLY, SERVED } from './csp.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const root = resolve(opt('dir', fileURLToPath(new URL('dist', import.meta.url))));
const port = Number(opt('port', process.env.PORT || 8080));
const host = opt('host', '127.0.0.1');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end();
    return;
  }
  let stat = statSync(file, { throwIfNoEntry: false });
  if (stat && stat.isDirectory()) {
    file = join(file, 'index.html');
    stat = statSync(file, { throwIfNoEntry: false });
  }
  const headers = {
    'Content-Security-Policy': `${SERVED}; ${HEADER_ONLY}`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
  if (!stat || !stat.isFile() || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Content-Length': stat.size });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
});
server.listen(port, host, () => {
  const { port: actual } = server.address();
  console.log(`kvcsi checker: http://${host}:${actual}/`);
});
