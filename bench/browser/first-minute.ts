/**
 * bench/browser/first-minute: what a visitor of the demo sees in its first minute, in headless
 * Chromium on this machine. The built demo (npm run demo:build) is opened on a plain server (WASM on
 * one thread) and a cross-origin isolated one (a WASM thread per logical core), and for each:
 *   - the time from navigation to the first grid of digits, drawn without a click;
 *   - the live 2D training's timeline after a click on Start: step, phase and the fraction of the
 *     1-step samples on the checkerboard's squares, from the page's own reports, and when that
 *     fraction first reaches 0.8 (a board anyone recognises) and 0.85.
 * Writes bench/results/first-minute.{json,md}. Run: npm run bench:first-minute.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CROSS_ORIGIN_ISOLATION_HEADERS, launchChromium, serveDirectory } from '@scm/browser-testing';
// For its declaration of window.scmDemo, the page's state that this bench reads.
import type {} from '../../apps/demo/src/state.js';
import { TOY_STEPS } from '../../apps/demo/src/toy-training.js';
import { markdownTable, writeResults } from '../lib.js';

const dist = fileURLToPath(new URL('../../apps/demo/dist', import.meta.url));
if (!existsSync(join(dist, 'index.html'))) throw new Error('apps/demo/dist is missing: run npm run demo:build first');
const THRESHOLDS = [0.8, 0.85] as const;
const TIMEOUT_MS = 10 * 60_000;

interface Point {
  readonly ms: number;
  readonly step: number;
  readonly phase: string;
  readonly inSupport?: number;
  readonly stepsPerSec: number;
}

interface PageResult {
  readonly page: 'plain' | 'isolated';
  readonly firstGridMs: number;
  readonly firstGridBackend: string;
  readonly toyBackend: string;
  readonly timeline: Point[];
  readonly reachedMs: Record<string, number | null>;
  readonly final: Point;
  /** Steps/s of the last plot that covered steps. */
  readonly rate: number;
}

const loadAtStart = loadavg()[0];
const browser = await launchChromium();
const results: PageResult[] = [];
try {
  for (const isolated of [false, true]) {
    const server = await serveDirectory(dist, isolated ? { headers: CROSS_ORIGIN_ISOLATION_HEADERS } : {});
    const tab = await browser.context.newPage();
    try {
      const began = Date.now();
      await tab.goto(server.url);
      await tab.waitForFunction(() => window.scmDemo?.generated > 0 || window.scmDemo?.errors.length > 0, undefined, { timeout: TIMEOUT_MS, polling: 50 });
      const firstGridMs = Date.now() - began;
      const state = await tab.evaluate(() => window.scmDemo);
      if (state.errors.length > 0) throw new Error(state.errors.join('\n'));
      const grid = Object.values(state.latest)[0]!;
      await tab.click('#toy-start');
      const timeline: Point[] = [];
      for (;;) {
        await tab.waitForTimeout(250);
        const { toy, errors } = await tab.evaluate(() => ({ toy: window.scmDemo.toy, errors: window.scmDemo.errors }));
        if (errors.length > 0) throw new Error(errors.join('\n'));
        if (toy && timeline.at(-1)?.ms !== toy.ms) timeline.push({ ms: toy.ms, step: toy.step, phase: toy.phase, stepsPerSec: toy.stepsPerSec, ...(toy.inSupport !== undefined ? { inSupport: toy.inSupport } : {}) });
        if (toy?.phase === 'done') break;
        if (timeline.length > 0 && timeline.at(-1)!.ms > TIMEOUT_MS) throw new Error('the live training did not finish');
      }
      const toy = await tab.evaluate(() => window.scmDemo.toy!);
      // The report at a phase's end can follow a plot at once, so its rate covers no steps.
      const rate = [...timeline].reverse().find((p) => p.stepsPerSec > 0)?.stepsPerSec ?? 0;
      const reachedMs = Object.fromEntries(THRESHOLDS.map((t) => [String(t), timeline.find((p) => (p.inSupport ?? 0) >= t)?.ms ?? null]));
      results.push({ page: isolated ? 'isolated' : 'plain', rate, firstGridMs, firstGridBackend: grid.backend + (grid.threads ? ` (${grid.threads} thread${grid.threads > 1 ? 's' : ''})` : ''), toyBackend: toy.backend, timeline, reachedMs, final: timeline.at(-1)! });
      process.stderr.write(`${isolated ? 'isolated' : 'plain'}: first grid ${firstGridMs} ms; training done at ${(timeline.at(-1)!.ms / 1000).toFixed(1)} s\n`);
    } finally {
      await tab.close();
      await server.close();
    }
  }
} finally {
  await browser.close();
}

const seconds = (ms: number | null) => (ms === null ? 'not reached' : `${(ms / 1000).toFixed(1)} s`);
const md = [
  '# bench/browser/first-minute',
  '',
  `The built demo in headless Chromium on ${availableParallelism()} CPU cores (1-minute load average at the start: ${loadAtStart.toFixed(1)}). ` +
    'First grid: from navigation to the first grid of digits, which the page draws without a click (fetching the model, starting the runtime, one batch of 16 in 2 steps). ' +
    `Live training: after a click on Start, the page's default runs (the quick start's network and rates; ${TOY_STEPS.teacher} teacher and ${TOY_STEPS.student} sCD steps), ` +
    'its samples (the teacher\'s in 8 DDIM steps, then the student\'s in 1) scored on the checkerboard ' +
    '(fraction on the squares: the data 1, a uniform spread 1/2, the quick start\'s 4000 + 8000-step student 0.92); times from the click.',
  '',
  markdownTable(
    ['page', 'first grid', 'on', 'training on', 'on the squares >= 0.8', '>= 0.85', 'done', 'final on the squares', 'last steps/s'],
    results.map((r) => [
      r.page,
      seconds(r.firstGridMs),
      r.firstGridBackend,
      r.toyBackend,
      seconds(r.reachedMs['0.8']),
      seconds(r.reachedMs['0.85']),
      seconds(r.final.ms),
      r.final.inSupport?.toFixed(3) ?? '',
      r.rate.toFixed(1),
    ]),
  ),
  '',
  'Timeline (isolated page), every plot: ' +
    (results.find((r) => r.page === 'isolated')?.timeline.map((p) => `${(p.ms / 1000).toFixed(1)} s: step ${p.step} ${p.phase}${p.inSupport !== undefined ? ` ${p.inSupport.toFixed(2)}` : ''}`).join('; ') ?? ''),
].join('\n');
writeResults('first-minute', { cores: availableParallelism(), loadAtStart, results }, md);
console.log(md);
