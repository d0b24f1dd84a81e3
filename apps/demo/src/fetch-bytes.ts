/** Fetching the page's files with progress in bytes, and an error instead of a silent stall. */
import { DEADLINES_MS, withDeadline } from './deadline.js';

/** Bytes received so far, and the total where the server said it (content-length). */
export type FetchProgress = (received: number, total: number | undefined) => void;

export interface FetchOptions {
  readonly onProgress?: FetchProgress;
  /** How long without a response or new bytes before it fails. */
  readonly stallMs?: number;
  readonly signal?: AbortSignal;
}

export async function fetchBytes(url: URL, { onProgress, stallMs = DEADLINES_MS.fetchStall, signal }: FetchOptions = {}): Promise<Uint8Array> {
  const what = `fetching ${url.pathname}`;
  const response = await withDeadline(fetch(url, { signal }), stallMs, what);
  if (!response.ok) {
    throw new Error(`could not load ${url.pathname} (HTTP ${response.status}); the build step writes it: npm run models -w @scm/demo`);
  }
  const length = Number(response.headers.get('content-length'));
  const total = length > 0 ? length : undefined;
  if (!response.body) return new Uint8Array(await withDeadline(response.arrayBuffer(), stallMs, what));
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  onProgress?.(0, total);
  for (;;) {
    const { done, value } = await withDeadline(reader.read(), stallMs, `${what} (no data after ${received} bytes)`).catch(async (error: unknown) => {
      await reader.cancel().catch(() => undefined);
      throw error;
    });
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress?.(received, total);
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Several files at once, with one progress line over all of them; the first failure stops the others and their progress. */
export async function fetchFiles(urls: readonly URL[], progress: (message: string) => void): Promise<Uint8Array[]> {
  const abort = new AbortController();
  const received = urls.map(() => 0);
  const totals = urls.map((): number | undefined => undefined);
  const report = () => {
    const known = totals.every((t) => t !== undefined);
    const sum = (xs: readonly (number | undefined)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);
    progress(`Fetching the model: ${megabytes(sum(received))}${known ? ` of ${megabytes(sum(totals))}` : ''} MB`);
  };
  const onProgress = (i: number) => (bytes: number, total: number | undefined) => {
    received[i] = bytes;
    totals[i] = total;
    if (!abort.signal.aborted) report();
  };
  try {
    return await Promise.all(urls.map((url, i) => fetchBytes(url, { onProgress: onProgress(i), signal: abort.signal })));
  } catch (error) {
    abort.abort();
    throw error;
  }
}

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);
