/**
 * bench/browser: sampling latency and throughput of the committed MNIST student (models/mnist-scd)
 * in headless Chromium, per backend: ONNX Runtime Web on WASM and on WebGPU, TensorFlow.js on WebGPU.
 * It serves the built demo (npm run demo:build) and opens its bench.html once per backend.
 * Writes bench/results/browser.{json,md}. Run: npm run bench:browser.
 *
 * Here WebGPU is Chromium's SwiftShader, which runs shaders on the CPU: its rows measure the
 * pipeline (graph partitioning, dispatch, read-back), not what a GPU would do, and so use smaller
 * batches. On a machine with a GPU, point CHROMIUM_FLAGS at it (see @scm/browser-testing).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, serveDirectory } from '@scm/browser-testing';
import type { BenchReport, BenchRow } from '../../apps/demo/src/bench.js';
import { markdownTable, writeResults } from '../lib.js';

const dist = fileURLToPath(new URL('../../apps/demo/dist', import.meta.url));
if (!existsSync(join(dist, 'bench.html'))) throw new Error('apps/demo/dist/bench.html is missing: run npm run demo:build first');

const PLAN = [
  { backend: 'ort-wasm', batches: [1, 16, 64], repeats: 10 },
  { backend: 'ort-webgpu', batches: [1, 4, 16], repeats: 3 },
  { backend: 'tfjs-webgpu', batches: [1, 4, 16], repeats: 3 },
] as const;
const PAGE_TIMEOUT_MS = 20 * 60_000;

const server = await serveDirectory(dist);
const browser = await launchChromium();
const rows: BenchRow[] = [];
const setupMs: Record<string, number> = {};
let userAgent = '';
let adapter: unknown;
try {
  const page = await browser.context.newPage();
  for (const { backend, batches, repeats } of PLAN) {
    process.stderr.write(`${backend}: batches ${batches.join(', ')}, ${repeats} timed calls each\n`);
    await page.goto(new URL(`bench.html?backends=${backend}&batches=${batches.join(',')}&repeats=${repeats}`, server.url).href);
    await page.waitForFunction(() => window.scmBench?.done, undefined, { timeout: PAGE_TIMEOUT_MS, polling: 1000 });
    const report = (await page.evaluate(() => window.scmBench)) as BenchReport;
    if (report.error) throw new Error(`${backend}: ${report.error}`);
    rows.push(...report.rows);
    Object.assign(setupMs, report.setupMs);
    userAgent = report.userAgent;
    adapter = report.adapter;
  }
} finally {
  await browser.close();
  await server.close();
}

const md = [
  '# bench/browser',
  '',
  `The committed MNIST sCD student (models/mnist-scd, 182k parameters, 28x28) sampled in headless Chromium (${userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? userAgent}) from the built demo's bench.html; ` +
    `WebGPU adapter: ${JSON.stringify(adapter)} (SwiftShader: shaders run on this machine's 2 CPU cores, so the WebGPU rows show dispatch and pipeline costs, not GPU speed). ` +
    'Milliseconds per batch with the pixels read back to the page; first = the first call at that batch size (shader compilation, allocation), median over the calls after it.',
  '',
  markdownTable(
    ['backend', 'steps', 'batch', 'first ms', 'median ms', 'images/s'],
    rows.map((r) => [r.backend + (r.fallbackReason ? ' (fell back)' : ''), r.steps, r.batch, r.firstMs.toFixed(0), r.medianMs.toFixed(1), r.imagesPerSec.toFixed(1)]),
  ),
  '',
  'Set-up (runtime start, weights, sessions): ' + Object.entries(setupMs).map(([b, ms]) => `${b} ${(ms / 1000).toFixed(1)} s`).join(', ') + '.',
].join('\n');
writeResults('browser', { userAgent, adapter, setupMs, rows }, md);
console.log(md);
