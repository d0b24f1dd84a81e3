import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeadlineError } from '../src/deadline.js';
import { fetchBytes, fetchFiles } from '../src/fetch-bytes.js';

/** A response whose body sends `chunks`, then either ends or goes silent. */
function response(chunks: Uint8Array[], { stall = false, status = 200, length = true } = {}): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      if (!stall) controller.close();
    },
  });
  const size = chunks.reduce((a, c) => a + c.length, 0);
  return new Response(status === 200 ? body : null, { status, headers: length ? { 'content-length': String(size) } : {} });
}

const url = new URL('http://demo.test/models/m.onnx');

afterEach(() => void vi.unstubAllGlobals());

describe('fetchBytes', () => {
  it('returns the bytes and reports progress in bytes against content-length', async () => {
    vi.stubGlobal('fetch', async () => response([new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])]));
    const seen: [number, number | undefined][] = [];
    const bytes = await fetchBytes(url, { onProgress: (received, total) => seen.push([received, total]) });
    expect([...bytes]).toEqual([1, 2, 3, 4, 5]);
    expect(seen).toEqual([
      [0, 5],
      [3, 5],
      [5, 5],
    ]);
  });

  it('fails with the path and the HTTP status for a missing file', async () => {
    vi.stubGlobal('fetch', async () => response([], { status: 404 }));
    await expect(fetchBytes(url)).rejects.toThrow('could not load /models/m.onnx (HTTP 404)');
  });

  it('fails a download that stops sending, saying how far it got', async () => {
    vi.stubGlobal('fetch', async () => response([new Uint8Array(7)], { stall: true }));
    const error = await fetchBytes(url, { stallMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineError);
    expect((error as Error).message).toBe('fetching /models/m.onnx (no data after 7 bytes) did not finish within 0.05 s');
  });

  it('fails a server that never answers', async () => {
    vi.stubGlobal('fetch', () => new Promise(() => {}));
    await expect(fetchBytes(url, { stallMs: 50 })).rejects.toThrow('fetching /models/m.onnx did not finish within 0.05 s');
  });
});

describe('fetchFiles', () => {
  it('reports one line over all files, in MB of the known total', async () => {
    const sizes: Record<string, number> = { '/a': 1_500_000, '/b': 500_000 };
    vi.stubGlobal('fetch', async (u: URL) => response([new Uint8Array(sizes[u.pathname])]));
    const lines: string[] = [];
    const files = await fetchFiles([new URL('http://demo.test/a'), new URL('http://demo.test/b')], (m) => lines.push(m));
    expect(files.map((f) => f.length)).toEqual([1_500_000, 500_000]);
    expect(lines.at(-1)).toBe('Fetching the model: 2.0 of 2.0 MB');
  });

  it('stops the other downloads at the first failure, so no progress line follows the error', async () => {
    let aborted = false;
    vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
      if (u.pathname === '/missing') return response([], { status: 404 });
      init?.signal?.addEventListener('abort', () => (aborted = true));
      // A slow file: a chunk now, more later.
      return new Response(
        new ReadableStream<Uint8Array>({
          start: (c) => c.enqueue(new Uint8Array(100)),
          pull: (c) => new Promise<void>((done) => setTimeout(() => done(c.enqueue(new Uint8Array(100))), 10)),
        }),
      );
    });
    const lines: string[] = [];
    const failed = fetchFiles([new URL('http://demo.test/slow'), new URL('http://demo.test/missing')], (m) => lines.push(m));
    await expect(failed).rejects.toThrow('HTTP 404');
    const before = lines.length;
    await new Promise((done) => setTimeout(done, 60));
    expect(lines.length).toBe(before);
    expect(aborted).toBe(true);
  });

  it('leaves out the total while a server has not said it', async () => {
    vi.stubGlobal('fetch', async () => response([new Uint8Array(300_000)], { length: false }));
    const lines: string[] = [];
    await fetchFiles([url], (m) => lines.push(m));
    expect(lines.at(-1)).toBe('Fetching the model: 0.3 MB');
  });
});
