/** A static file server for the pages the browser tests open. */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  // Module scripts (ONNX Runtime's wasm loaders) are refused without a JavaScript type.
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * What a host sets to make its pages cross-origin isolated (self.crossOriginIsolated), which browsers
 * require for SharedArrayBuffer and so for multi-threaded WebAssembly.
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

type HeaderMap = Readonly<Record<string, string>>;

export interface ServeOptions {
  /** Extra response headers, e.g. CROSS_ORIGIN_ISOLATION_HEADERS: on every response, or per requested path. */
  readonly headers?: HeaderMap | ((path: string) => HeaderMap);
}

export interface StaticServer {
  /** Ends in '/'. http://127.0.0.1 is a secure context, which navigator.gpu requires. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the files under `root` (GET only, nothing outside root) on 127.0.0.1 at a free port. */
export async function serveDirectory(root: string, { headers: extra = {} }: ServeOptions = {}): Promise<StaticServer> {
  const base = resolve(root);
  const server = createServer(async (request, response) => {
    const headers = typeof extra === 'function' ? extra(new URL(request.url ?? '/', 'http://localhost').pathname) : extra;
    if (request.method !== 'GET') {
      response.writeHead(405).end();
      return;
    }
    const file = fileFor(base, request.url ?? '/');
    if (!file) {
      response.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    } catch {
      response.writeHead(404, headers).end();
    }
  });
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((done) => {
        // Keep-alive connections of a closed browser would otherwise hold the server open.
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The file under base that a request path names, or undefined for paths that leave base or do not decode. */
function fileFor(base: string, url: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  } catch {
    return undefined;
  }
  const file = resolve(base, `.${path.endsWith('/') ? `${path}index.html` : path}`);
  return file.startsWith(base + sep) ? file : undefined;
}
