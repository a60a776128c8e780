#!/usr/bin/env node
/**
 * A tiny static server for the webmail example: the page (examples/webmail/) and the built library (dist/).
 * It only serves files. Everything S/MIME happens in the browser.
 *
 *   node examples/webmail/serve.mjs [--port N]     (or PORT=N; default 8080; 0 picks a free port)
 *
 * It binds 127.0.0.1 only and prints the URL it listens on (with the real port when 0 was asked).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, '..', '..', 'dist');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * The page may load scripts, styles and images from this server only, and may not connect anywhere:
 * messages, keys and trust lists never leave the browser.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function portFromArgs(argv) {
  const i = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  const value = i < 0 ? process.env.PORT : argv[i].includes('=') ? argv[i].slice('--port='.length) : argv[i + 1];
  if (value === undefined || value === '') return 8080;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve.mjs: not a port: ${value}`);
    process.exit(2);
  }
  return port;
}

/** The file a URL path names, or undefined: only inside `base`, no dot segments, no dotfiles. */
function fileFor(base, relative) {
  let decoded;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return undefined;
  }
  const segments = decoded.split('/');
  if (decoded.includes('\0') || decoded.includes('\\') || segments.some((s) => s === '..' || s.startsWith('.')))
    return undefined;
  const file = resolve(base, ...segments.filter((s) => s !== ''));
  if (!file.startsWith(base + sep)) return undefined;
  return file;
}

function route(pathname) {
  if (pathname === '/') return join(here, 'index.html');
  if (pathname.startsWith('/dist/')) return fileFor(dist, pathname.slice('/dist/'.length));
  if (pathname === '/serve.mjs') return undefined;
  return fileFor(here, pathname.slice(1));
}

function send(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Security-Policy': CSP });
  res.end(`${text}\n`);
}

const server = createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'method not allowed');
  }
  let pathname;
  try {
    pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  } catch {
    return send(res, 400, 'bad request');
  }
  const file = route(pathname);
  const stat = file && existsSync(file) ? statSync(file) : undefined;
  if (!stat?.isFile()) return send(res, 404, 'not found');
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': stat.size,
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
});

if (!existsSync(join(dist, 'index.js')))
  console.warn('serve.mjs: dist/index.js is missing; build the library first (npm run build).');

server.on('error', (e) => {
  console.error(`serve.mjs: ${e.message}`);
  process.exit(1);
});
server.listen(portFromArgs(process.argv.slice(2)), '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`smimekit webmail: http://127.0.0.1:${port}/`);
});
