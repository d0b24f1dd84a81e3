/**
 * bench/browser: sampling latency and throughput of the committed MNIST student (models/mnist-scd)
 * in headless Chromium, per backend: ONNX Runtime Web on WASM and on WebGPU, TensorFlow.js on WebGPU.
 * It serves the built demo (npm run demo:build) and opens its bench.html once per backend; WASM
 * twice, from a plain server (one thread) and a cross-origin isolated one (COOP/COEP: a thread per
 * logical core), to measure what the headers give.
 * Writes bench/results/browser.{json,md}. Run: npm run bench:browser.
 *
 * Here WebGPU is Chromium's SwiftShader, which runs shaders on the CPU: its rows measure the
 * pipeline (graph partitioning, dispatch, read-back), not what a GPU would do, and so use smaller
 * batches. On a machine with a GPU, point CHROMIUM_FLAGS at it (see @scm/browser-testing).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CROSS_ORIGIN_ISOLATION_HEADERS, launchChromium, serveDirectory } from '@scm/browser-testing';
import { checkSpec, createModel, Rng } from '@scm/core';
import type { BenchReport, BenchRow } from '../../apps/demo/src/bench.js';
import { modelDir, MODELS_INDEX, parseModelIndex } from '../../apps/demo/src/public-files.js';
import { markdownTable, resultsDir, writeResults } from '../lib.js';

const dist = fileURLToPath(new URL('../../apps/demo/dist', import.meta.url));
if (!existsSync(join(dist, 'bench.html'))) throw new Error('apps/demo/dist/bench.html is missing: run npm run demo:build first');
// The student the page was built from (its first model, which bench.html times), named in the results: the committed one changes over time.
const [first] = parseModelIndex(readFileSync(join(dist, MODELS_INDEX), 'utf8'), MODELS_INDEX);
const spec = checkSpec(JSON.parse(readFileSync(join(dist, modelDir(first), 'config.json'), 'utf8'))).spec;
const parameters = Object.entries(createModel(spec.run.model).init(new Rng(0)))
  .filter(([name]) => !name.startsWith('logvar.'))
  .reduce((sum, [, t]) => sum + t.data.length, 0);

const PLAN = [
  { backend: 'ort-wasm', isolated: false, batches: [1, 16, 64], repeats: 10 },
  { backend: 'ort-wasm', isolated: true, batches: [1, 16, 64], repeats: 10 },
  { backend: 'ort-webgpu', isolated: false, batches: [1, 4, 16], repeats: 3 },
  { backend: 'tfjs-webgpu', isolated: false, batches: [1, 4, 16], repeats: 3 },
] as const;
const PAGE_TIMEOUT_MS = 20 * 60_000;

/**
 * `run.ts ort-wasm` reruns those backends alone (the WebGPU rows take half an hour on SwiftShader
 * under load); the others' rows are carried over from the previous results and marked so.
 */
const only = process.argv.slice(2);
const unknown = only.filter((b) => !PLAN.some((p) => p.backend === b));
if (unknown.length > 0) throw new Error(`unknown backend ${unknown.join(', ')}; expected some of ${[...new Set(PLAN.map((p) => p.backend))].join(', ')}`);
const resultsFile = join(resultsDir, 'browser.json');
const previous = only.length > 0 && existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as { rows: BenchRow[]; setupMs: Record<string, number> }) : undefined;
const carried = previous?.rows.filter((r) => !only.includes(r.choice)) ?? [];

// Other work on the machine slows every row, threads most: recorded with the results.
const loadAtStart = loadavg()[0];
const plain = await serveDirectory(dist);
const isolated = await serveDirectory(dist, { headers: CROSS_ORIGIN_ISOLATION_HEADERS });
const browser = await launchChromium();
const rows: BenchRow[] = [];
const setupMs: Record<string, number> = {};
const page = (isolated: boolean) => (isolated ? 'isolated' : 'plain');
let userAgent = '';
let adapter: unknown;
try {
  const tab = await browser.context.newPage();
  for (const { backend, isolated: isolatedPage, batches, repeats } of PLAN.filter((p) => only.length === 0 || only.includes(p.backend))) {
    process.stderr.write(`${backend} (${page(isolatedPage)} page): batches ${batches.join(', ')}, ${repeats} timed calls each\n`);
    const server = isolatedPage ? isolated : plain;
    await tab.goto(new URL(`bench.html?backends=${backend}&batches=${batches.join(',')}&repeats=${repeats}`, server.url).href);
    await tab.waitForFunction(() => window.scmBench?.done, undefined, { timeout: PAGE_TIMEOUT_MS, polling: 1000 });
    const report = (await tab.evaluate(() => window.scmBench)) as BenchReport;
    if (report.error) throw new Error(`${backend}: ${report.error}`);
    rows.push(...report.rows);
    for (const [choice, ms] of Object.entries(report.setupMs)) setupMs[`${choice} (${page(isolatedPage)})`] = ms;
    userAgent = report.userAgent;
    adapter = report.adapter;
  }
} finally {
  await browser.close();
  await plain.close();
  await isolated.close();
}
const carriedChoices = [...new Set(carried.map((r) => r.choice))];
rows.push(...carried);
for (const [key, ms] of Object.entries(previous?.setupMs ?? {})) if (carriedChoices.some((c) => key.startsWith(c)) && !(key in setupMs)) setupMs[key] = ms;

/** Median ms of the one-thread WASM row over the threaded one, per steps and batch. */
const speedUps = rows
  .filter((r) => r.choice === 'ort-wasm' && r.isolated)
  .map((threaded) => {
    const single = rows.find((r) => r.choice === 'ort-wasm' && !r.isolated && r.steps === threaded.steps && r.batch === threaded.batch)!;
    return `${threaded.steps}-step batch ${threaded.batch}: ${(single.medianMs / threaded.medianMs).toFixed(2)}x`;
  });
const threads = rows.find((r) => r.choice === 'ort-wasm' && r.isolated)?.threads;

const md = [
  '# bench/browser',
  '',
  `The MNIST student the demo was built from (@scm/model-${spec.name}, ${spec.run.train.mode} at step ${spec.run.step}, ${Math.round(parameters / 1000)}k parameters, 28x28) sampled in headless Chromium (${userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? userAgent}) from the built demo's bench.html; ` +
    `WebGPU adapter: ${JSON.stringify(adapter)} (SwiftShader: shaders run on this machine's ${availableParallelism()} CPU cores, so the WebGPU rows show dispatch and pipeline costs, not GPU speed). ` +
    `1-minute load average at the start: ${loadAtStart.toFixed(1)}. ` +
    'Milliseconds per batch with the pixels read back to the page; first = the first call at that batch size (shader compilation, allocation), median over the calls after it. ' +
    'page: plain = served without headers, isolated = served with COOP/COEP (cross-origin isolated), where ONNX Runtime Web runs WASM on a thread per logical core (navigator.hardwareConcurrency).',
  '',
  markdownTable(
    ['backend', 'page', 'WASM threads', 'steps', 'batch', 'first ms', 'median ms', 'images/s'],
    rows.map((r) => [r.backend + (r.fallbackReason ? ' (fell back)' : ''), page(r.isolated), r.threads ?? '', r.steps, r.batch, r.firstMs.toFixed(0), r.medianMs.toFixed(1), r.imagesPerSec.toFixed(1)]),
  ),
  '',
  `WASM on ${threads} threads (isolated) against 1 (plain), speed-up of the median: ${speedUps.join(', ')}.`,
  '',
  ...(carriedChoices.length > 0
    ? [`Rerun here: ${only.join(', ')}. The rows of ${carriedChoices.join(', ')} are carried over from the previous run (its own load), served plain.`, '']
    : []),
  'Set-up (runtime start, weights, sessions): ' + Object.entries(setupMs).map(([b, ms]) => `${b} ${(ms / 1000).toFixed(1)} s`).join(', ') + '.',
].join('\n');
writeResults('browser', { userAgent, adapter, cores: availableParallelism(), loadAtStart, setupMs, rows }, md);
console.log(md);
