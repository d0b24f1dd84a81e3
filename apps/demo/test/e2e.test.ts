/**
 * The built page in headless Chromium with WebGPU on SwiftShader: vite builds it into a temporary
 * folder, a static server serves that folder alone on 127.0.0.1, and the test drives the page
 * through its controls, then checks what it drew (canvas pixels) and what it computed
 * (window.scmDemo). SwiftShader runs WebGPU on the CPU, so batches are small.
 *
 * The folder is served both ways people host it: cross-origin isolated (COOP/COEP headers: WASM
 * threads), where every feature runs (the grey digits and the colour emoji), and plain, where WASM
 * runs on one thread. Last, a file is removed to check that the page says so instead of loading forever.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chromiumMissing,
  CROSS_ORIGIN_ISOLATION_HEADERS,
  launchChromium,
  serveDirectory,
  type LaunchedBrowser,
  type Page,
  type StaticServer,
} from '@scm/browser-testing';
import emoji from '@scm/model-emoji';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDigits } from '../../../packages/release-checks/test/read-digits.js';
import { writeModels } from '../scripts/models.js';
import type { BackendChoice, GenerateRequest } from '../src/generation.js';
import { modelDir, type Steps } from '../src/public-files.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const SETUP_TIMEOUT_MS = 150_000;
/** One batch; WebGPU on SwiftShader on 2 loaded cores takes up to a minute for the first. */
const BATCH_TIMEOUT_MS = 110_000;

const BACKENDS: readonly { readonly choice: BackendChoice; readonly shown: string }[] = [
  { choice: 'ort-webgpu', shown: 'ONNX Runtime Web on WebGPU' },
  { choice: 'ort-wasm', shown: 'ONNX Runtime Web on WASM' },
  { choice: 'tfjs-webgpu', shown: 'TensorFlow.js on WebGPU' },
];
/** A 2x2 grid: enough pixels for statistics, little work for SwiftShader. */
const REQUEST = { label: 3, guidance: 1.5, seed: 7, count: 4 } as const;
/** Emoji (class 2 is 'Animals & Nature'), on the ONNX Runtime and the TensorFlow.js paths. */
const EMOJI_REQUEST = { label: 2, guidance: 1.5, seed: 7, count: 4 } as const;
const EMOJI_BACKENDS: readonly BackendChoice[] = ['ort-wasm', 'tfjs-webgpu'];
/** The categories the page must offer: the emoji model's own config.json. */
const EMOJI_CLASSES = (JSON.parse(readFileSync(new URL('config.json', emoji.url), 'utf8')) as { classNames: string[] }).classNames;
/** Pixels in [0, 1]; float32 on different hardware paths and kernels. */
const BACKEND_AGREEMENT = 5e-3;
/** The same kernels on one thread or several: only the order of float32 sums may differ. */
const THREADS_AGREEMENT = 5e-5;
/** Std of the drawn grey levels (0..255) below which a grid counts as blank. */
const MIN_PIXEL_STD = 4;
/** A drawn pixel is in colour where two of its channels differ by more than this (of 255): float32 rounding never does. */
const COLOUR_MARGIN = 8;
/** Share of colour pixels below which an emoji grid counts as drawn in grey. */
const MIN_COLOUR_SHARE = 0.05;

interface ServingMode {
  readonly name: string;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * navigator.hardwareConcurrency as the page sees it: fixed, so that the thread count the page
   * shows is known on any machine, and above the 2 cores of CI so that WASM runs on several threads.
   */
  readonly cores?: number;
  readonly isolated: boolean;
  readonly wasmThreads: number;
  readonly runtime: RegExp;
  /** The backends to generate with, and the steps of each batch. */
  readonly runs: readonly (readonly [BackendChoice, readonly Steps[]])[];
  /** Live mode, the bench page, the agreement of backends and the toy trainer: once is enough. */
  readonly everything: boolean;
}

const MODES: readonly ServingMode[] = [
  {
    name: 'cross-origin isolated (COOP/COEP)',
    headers: CROSS_ORIGIN_ISOLATION_HEADERS,
    cores: 4,
    isolated: true,
    wasmThreads: 4,
    runtime: /^WASM: 4 threads \(cross-origin isolated, 4 logical cores\)\. WebGPU: google swiftshader \(software\)\.$/,
    // WebGPU on SwiftShader takes seconds per batch: the WebGPU backends run the 2-step graph alone
    // (it holds the 1-step one's computation), wasm runs both and a warm repeat.
    runs: [
      ['ort-wasm', [1, 2, 2]],
      ['ort-webgpu', [2]],
      ['tfjs-webgpu', [2]],
    ],
    everything: true,
  },
  {
    name: 'not isolated (no headers)',
    headers: {},
    isolated: false,
    wasmThreads: 1,
    runtime: /^WASM: 1 thread \(not cross-origin isolated: serve the page with COOP\/COEP headers .*\)\. WebGPU: google swiftshader \(software\)\.$/,
    runs: [['ort-wasm', [2]]],
    everything: false,
  },
];

/** What one generation left behind, read from the page. */
interface Outcome {
  /** The model that drew it. */
  readonly model: string;
  readonly backend: string;
  readonly fallbackReason?: string;
  readonly threads?: number;
  readonly ms: number;
  readonly request: GenerateRequest;
  readonly images: number[];
  readonly status: string;
  readonly pixelStd: number;
  /** Share of the drawn image pixels in colour (see COLOUR_MARGIN). */
  readonly colourShare: number;
}

const missing = chromiumMissing();

if (missing) {
  const reason = `the demo's end-to-end test skipped: ${missing}`;
  process.stderr.write(`${reason}\n`);
  it.skip(reason);
} else {
  let dir: string | undefined;
  let outDir = '';
  let browser: LaunchedBrowser | undefined;
  /** Each mode's 2-step WASM grid, to compare threaded with single-threaded. */
  const wasmGrids = new Map<string, number[]>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scm-demo-'));
    // The model `npm run build` ships (@scm/model-mnist's folder), whatever the build step last wrote
    // to public/. On SwiftShader a batch takes tens of seconds even for this small U-Net.
    const publicDir = join(dir, 'public');
    outDir = join(dir, 'dist');
    await writeModels(undefined, publicDir);
    await build({ root: ROOT, publicDir, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    browser = await launchChromium();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const mode of MODES) {
    describe(`the demo page in headless Chromium (WebGPU on SwiftShader), served ${mode.name}`, () => {
      let server: StaticServer | undefined;
      let page: Page;
      const offsite: string[] = [];
      const failedRequests: string[] = [];
      const consoleErrors: string[] = [];
      const outcomes = new Map<string, Outcome>();

      beforeAll(async () => {
        server = await serveDirectory(outDir, { headers: mode.headers });
        page = await browser!.context.newPage();
        if (mode.cores) await page.addInitScript((n) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => n }), mode.cores);
        const origin = server.url;
        page.on('request', (r) => void (r.url().startsWith(origin) || offsite.push(r.url())));
        page.on('response', (r) => void (r.status() >= 400 && failedRequests.push(`${r.status()} ${r.url()}`)));
        page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
        page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
        await page.goto(origin);
        await page.waitForFunction(() => window.scmDemo?.ready, undefined, { timeout: 30_000 });
        await firstGrid(page);
      }, SETUP_TIMEOUT_MS);

      afterAll(async () => {
        await page?.close();
        await server?.close();
        const lines = [...outcomes].map(([key, o]) => `  ${key.padEnd(24)} ${o.ms.toFixed(0).padStart(6)} ms  ${o.backend}${o.threads ? ` (WASM threads: ${o.threads})` : ''}`);
        process.stdout.write(`demo timings per batch of ${REQUEST.count}, ${mode.name} (SwiftShader; the first batch of a backend includes compiling kernels):\n${lines.join('\n')}\n`);
      });

      it('loads, names its model, shows its WASM threads and WebGPU adapter, reports no errors', async () => {
        expect(await page.evaluate(() => window.scmDemo.errors)).toEqual([]);
        expect(await page.textContent('#model-source')).toMatch(/step \d+/);
        const { isolated, wasmThreads } = await page.evaluate(() => window.scmDemo);
        expect({ isolated, wasmThreads }).toEqual({ isolated: mode.isolated, wasmThreads: mode.wasmThreads });
        expect(await page.textContent('#runtime')).toMatch(mode.runtime);
      });

      it('draws a grid of digits as soon as the model is loaded, without a click', async () => {
        const { generated, latest } = await page.evaluate(() => window.scmDemo);
        expect(generated).toBe(1);
        expect(Object.keys(latest)).toEqual(['ort-wasm']);
        expect(latest['ort-wasm']!.model).toBe('mnist');
        expect(latest['ort-wasm']!.images.length).toBe(latest['ort-wasm']!.request.count * 28 * 28);
        expect(await page.textContent('#samples-status')).toMatch(/^ONNX Runtime Web on WASM \(\d threads?\): \d+ ms for 16 images in 1 step/);
      });

      it('prefers WASM on the software WebGPU adapter, says why, and still offers every backend', async () => {
        expect(await page.evaluate(() => window.scmDemo.webgpu)).toEqual({ kind: 'software', description: 'google swiftshader' });
        expect(await page.inputValue('#backend')).toBe('ort-wasm');
        expect(await page.isVisible('#backend-note')).toBe(true);
        expect(await page.textContent('#backend-note')).toMatch(/software adapter \(google swiftshader\).*WASM is selected.*can still pick/);
        const options = await page.$$eval('#backend option', (os) => os.map((o) => [(o as HTMLOptionElement).value, (o as HTMLOptionElement).disabled]));
        expect(options).toEqual(BACKENDS.map(({ choice }) => [choice, false]));
      });

      for (const [choice, runs] of mode.runs) {
        const { shown } = BACKENDS.find((b) => b.choice === choice)!;
        it(`generates a grid on ${choice}, shown as "${shown}"`, async () => {
          for (const [i, steps] of runs.entries()) {
            const o = await generate(page, choice, steps);
            outcomes.set(`${choice} ${steps}-step${runs.indexOf(steps) < i ? ' again' : ''}`, o);
            expect(o.fallbackReason).toBeUndefined();
            expect(o.backend).toBe(shown);
            expect(o.status).toContain(shown);
            if (choice === 'ort-wasm') {
              expect(o.threads).toBe(mode.wasmThreads);
              expect(o.status).toContain(`${shown} (${mode.wasmThreads} thread${mode.wasmThreads > 1 ? 's' : ''})`);
            }
            expect(o.model).toBe('mnist');
            expect(o.request).toEqual({ ...REQUEST, steps });
            expect(o.images).toHaveLength(REQUEST.count * 28 * 28);
            expect(o.images.filter((v) => !Number.isFinite(v))).toEqual([]);
            expect(o.pixelStd).toBeGreaterThan(MIN_PIXEL_STD);
            // One channel is drawn grey.
            expect(o.colourShare).toBe(0);
          }
          if (choice === 'ort-wasm') wasmGrids.set(mode.name, outcomes.get(`${choice} 2-step`)!.images);
        });
      }

      if (mode.everything) {
        it('draws 100 sevens through the model package\'s pipeline that a classifier reads as sevens', async () => {
          const request = { label: 7, guidance: 1.5, seed: 0, count: 100 } as const;
          const o = await generate(page, 'ort-wasm', 2, request);
          expect(o.request).toEqual({ ...request, steps: 2 });
          const read = await readDigits(Float32Array.from(o.images, (v) => 2 * v - 1), request.count);
          const sevens = read.filter((c) => c === 7).length;
          process.stdout.write(`headless Chromium, ONNX Runtime Web on WASM: the classifier reads ${sevens} of the 100 sevens as sevens\n`);
          expect(sevens).toBeGreaterThanOrEqual(95);
        });

        it('draws the same digits on every backend for the same seed', () => {
          const [reference, ...others] = BACKENDS.map(({ choice }) => outcomes.get(`${choice} 2-step`)?.images);
          for (const images of [reference, ...others]) expect(images).toBeDefined();
          for (const images of others) expect(maxAbsDifference(images!, reference!)).toBeLessThan(BACKEND_AGREEMENT);
        });

        it('offers a tab per model, digits first, and the emoji model\'s nine categories from its config.json', async () => {
          const tabs = () => page.$$eval('#model-tabs [role=tab]', (ts) => ts.map((t) => [(t as HTMLElement).dataset.model, t.getAttribute('aria-selected')]));
          expect(await tabs()).toEqual([['mnist', 'true'], ['emoji', 'false']]);
          await selectModel(page, 'emoji');
          expect(await tabs()).toEqual([['mnist', 'false'], ['emoji', 'true']]);
          expect(EMOJI_CLASSES).toHaveLength(9);
          const options = await page.$$eval('#label option', (os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
          expect(options).toEqual(EMOJI_CLASSES.map((name, i) => [String(i), name]));
          expect(await page.textContent('#model-source')).toMatch(/^@scm\/model-emoji \(scd, step \d+\)$/);
        });

        it(`draws emoji in colour on ${EMOJI_BACKENDS.join(' and ')}, the same for the same seed`, async () => {
          for (const choice of EMOJI_BACKENDS) {
            const { shown } = BACKENDS.find((b) => b.choice === choice)!;
            const o = await generate(page, choice, 2, EMOJI_REQUEST);
            outcomes.set(`emoji ${choice} 2-step`, o);
            expect(o.model).toBe('emoji');
            expect(o.fallbackReason).toBeUndefined();
            expect(o.backend).toBe(shown);
            expect(o.request).toEqual({ ...EMOJI_REQUEST, steps: 2 });
            expect(o.images).toHaveLength(EMOJI_REQUEST.count * 32 * 32 * 3);
            expect(o.images.filter((v) => !Number.isFinite(v))).toEqual([]);
            expect(o.pixelStd).toBeGreaterThan(MIN_PIXEL_STD);
            expect(o.colourShare).toBeGreaterThan(MIN_COLOUR_SHARE);
          }
          const [reference, other] = EMOJI_BACKENDS.map((choice) => outcomes.get(`emoji ${choice} 2-step`)!.images);
          expect(maxAbsDifference(other, reference)).toBeLessThan(BACKEND_AGREEMENT);
          await mkdir(ARTIFACTS, { recursive: true });
          const screenshot = join(ARTIFACTS, 'demo-emoji.png');
          await page.screenshot({ path: screenshot, fullPage: true });
          process.stdout.write(`screenshot: ${screenshot}\n`);
        }, 2 * BATCH_TIMEOUT_MS);

        it('frees the other model\'s WASM worker when switching models, and draws grey digits again', async () => {
          const ortWorkers = () => page.workers().filter((w) => /\/ort-worker-[^/]*\.js$/.test(w.url())).length;
          expect(ortWorkers()).toBe(1);
          await selectModel(page, 'mnist');
          const o = await generate(page, 'ort-wasm', 1);
          expect(o.model).toBe('mnist');
          expect(o.images).toHaveLength(REQUEST.count * 28 * 28);
          expect(o.colourShare).toBe(0);
          expect(o.pixelStd).toBeGreaterThan(MIN_PIXEL_STD);
          await expect.poll(ortWorkers).toBe(1);
          // Back to emoji for the rest: live mode and the screenshot show colour.
          await selectModel(page, 'emoji');
          await expect.poll(ortWorkers).toBe(1);
        });

        it('regenerates with new seeds in live mode', async () => {
          await page.selectOption('#backend', 'ort-wasm');
          const [seed, count] = await page.evaluate(() => [Number((document.getElementById('seed') as HTMLInputElement).value), window.scmDemo.generated]);
          await page.check('#live');
          await page.waitForFunction((n) => window.scmDemo.generated >= n, count + 2, { timeout: 30_000 });
          await page.uncheck('#live');
          expect(Number(await page.inputValue('#seed'))).toBeGreaterThanOrEqual(seed + 2);
        });

        it('times sampling on its benchmark page (bench.html)', async () => {
          const bench = await browser!.context.newPage();
          try {
            if (mode.cores) await bench.addInitScript((n) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => n }), mode.cores);
            await bench.goto(new URL('bench.html?backends=ort-wasm&batches=1,2&repeats=1', server!.url).href);
            await bench.waitForFunction(() => window.scmBench?.done, undefined, { timeout: 60_000 });
            const report = await bench.evaluate(() => window.scmBench!);
            expect(report.error).toBeUndefined();
            expect(report.rows.map((r) => [r.backend, r.threads, r.isolated, r.steps, r.batch])).toEqual([
              ['ONNX Runtime Web on WASM', mode.wasmThreads, true, 1, 1],
              ['ONNX Runtime Web on WASM', mode.wasmThreads, true, 1, 2],
              ['ONNX Runtime Web on WASM', mode.wasmThreads, true, 2, 1],
              ['ONNX Runtime Web on WASM', mode.wasmThreads, true, 2, 2],
            ]);
            for (const r of report.rows) expect(r.imagesPerSec).toBeCloseTo((1000 * r.batch) / r.medianMs, 6);
            expect(await bench.locator('#results tr').count()).toBe(4);
          } finally {
            await bench.close();
          }
        });

        it('trains the checkerboard live with ONNX Runtime Web\'s compiled step, its 1-step samples on the squares', async () => {
          // The quick start's recipe in shorter runs than the page's default (bench:first-minute times those):
          // teacher, then sCD, each step one ONNX graph in the worker.
          await page.fill('#toy-teacher-steps', '120');
          await page.fill('#toy-student-steps', '30');
          await page.click('#toy-start');
          await page.waitForFunction(() => window.scmDemo.toy?.phase === 'done' || window.scmDemo.errors.length > 0, undefined, { timeout: 240_000 });
          await page.waitForSelector('#toy-start:has-text("Start training"):enabled', { timeout: 10_000 });
          const toy = await page.evaluate(() => window.scmDemo.toy!);
          expect(await page.evaluate(() => window.scmDemo.errors)).toEqual([]);
          expect(toy.step).toBe(150);
          expect(toy.backend).toBe(`ONNX Runtime Web on WASM (${mode.wasmThreads} threads)`);
          expect(toy.fallbackReason).toBeUndefined();
          expect(toy.stepsPerSec).toBeGreaterThan(0);
          expect(toy.points).toBe(1000);
          // A uniform spread puts 1/2 on the squares; 120 + 30 steps already draw the board's cells.
          expect(toy.inSupport).toBeGreaterThanOrEqual(0.6);
          expect(await page.textContent('#toy-status')).toMatch(/ONNX Runtime Web on WASM .* done .* on the squares: \d+%/);
          // Sample dots are drawn in blue over grey data: count the blue pixels.
          const blue = await page.evaluate(() => {
            const canvas = document.getElementById('toy-canvas') as HTMLCanvasElement;
            const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
            let n = 0;
            for (let i = 0; i < data.length; i += 4) if (data[i + 2] > 150 && data[i] < 80) n++;
            return n;
          });
          expect(blue).toBeGreaterThan(100);
          process.stdout.write(`toy training: ${toy.step} steps in ${(toy.ms / 1000).toFixed(1)} s from the click, ${toy.stepsPerSec.toFixed(1)} steps/s at the end, ${(100 * toy.inSupport!).toFixed(1)}% of the 1-step samples on the squares, on ${toy.backend}\n`);
        }, 240_000);
      } else {
        it('draws the same digits as the threaded WASM of the isolated page', () => {
          const [threaded, single] = MODES.map((m) => wasmGrids.get(m.name));
          expect(threaded).toBeDefined();
          expect(single).toBeDefined();
          expect(maxAbsDifference(single!, threaded!)).toBeLessThan(THREADS_AGREEMENT);
        });
      }

      it('fetched nothing from outside its own folder, found every file, logged no errors', async () => {
        if (mode.everything) {
          await mkdir(ARTIFACTS, { recursive: true });
          const screenshot = join(ARTIFACTS, 'demo.png');
          await page.screenshot({ path: screenshot, fullPage: true });
          process.stdout.write(`screenshot: ${screenshot}\n`);
        }
        expect(offsite).toEqual([]);
        expect(failedRequests).toEqual([]);
        expect(await page.evaluate(() => window.scmDemo.errors)).toEqual([]);
        expect(consoleErrors).toEqual([]);
      });
    });
  }

  describe('the demo page with the isolation headers on the page alone', () => {
    it('runs WASM on the page\'s thread when the browser refuses the WASM worker, and says why', async () => {
      // A common set-up: the headers isolate the page, whose browser then refuses same-origin worker scripts that lack them.
      const server = await serveDirectory(outDir, { headers: (path) => (path.endsWith('/') || path.endsWith('.html') ? CROSS_ORIGIN_ISOLATION_HEADERS : {}) });
      const page = await browser!.context.newPage();
      try {
        await page.goto(server.url);
        await page.waitForFunction(() => window.scmDemo?.ready, undefined, { timeout: 30_000 });
        await firstGrid(page);
        expect(await page.evaluate(() => window.scmDemo.isolated)).toBe(true);
        const o = await generate(page, 'ort-wasm', 2);
        expect(o.backend).toBe('ONNX Runtime Web on WASM');
        expect(o.threads).toBe(1);
        expect(o.fallbackReason).toMatch(/^the WASM worker's script did not load: .*Cross-Origin-Embedder-Policy.*; WASM runs on the page's thread$/);
        expect(o.status).toContain('Fell back: the WASM worker');
        expect(maxAbsDifference(o.images, wasmGrids.get(MODES[0].name)!)).toBeLessThan(THREADS_AGREEMENT);
      } finally {
        await page.close();
        await server.close();
      }
    });
  });

  describe('the demo page with a model file missing', () => {
    it('shows an error naming the file, not "Loading" forever', async () => {
      // Last in the file: it removes the file from the folder the other pages were served.
      await unlink(join(outDir, modelDir('mnist'), 'sampler-2step.onnx'));
      const server = await serveDirectory(outDir, { headers: CROSS_ORIGIN_ISOLATION_HEADERS });
      const page = await browser!.context.newPage();
      try {
        await page.goto(server.url);
        await page.waitForFunction(() => window.scmDemo?.ready, undefined, { timeout: 30_000 });
        // No click: the page's first grid, drawn on load, is what fails.
        await page.waitForFunction(() => window.scmDemo.errors.length > 0, undefined, { timeout: 30_000 });
        expect(await page.evaluate(() => window.scmDemo.errors)).toEqual([
          `could not load /${modelDir('mnist')}sampler-2step.onnx (HTTP 404); the build step writes it: npm run models -w @scm/demo`,
        ]);
        expect(await page.isVisible('#error')).toBe(true);
        expect(await page.textContent('#error')).toContain(`/${modelDir('mnist')}sampler-2step.onnx (HTTP 404)`);
        expect(await page.textContent('#samples-status')).toBe('Failed: see the error above.');
        expect(await page.evaluate(() => window.scmDemo.generated)).toBe(0);
      } finally {
        await page.close();
        await server.close();
      }
    });
  });
}

/** Waits for the grid the page draws on load, without a click (or its failure). */
async function firstGrid(page: Page): Promise<void> {
  await page.waitForFunction(() => window.scmDemo.generated > 0 || window.scmDemo.errors.length > 0, undefined, { timeout: BATCH_TIMEOUT_MS });
}

/** Runs `act` and waits for the grid it starts; throws the page's errors if it failed. */
async function nextGrid(page: Page, act: () => Promise<void>): Promise<void> {
  const before = await page.evaluate(() => ({ generated: window.scmDemo.generated, errors: window.scmDemo.errors.length }));
  await act();
  await page.waitForFunction((b) => window.scmDemo.generated > b.generated || window.scmDemo.errors.length > b.errors, before, { timeout: BATCH_TIMEOUT_MS });
  const errors = await page.evaluate((n) => window.scmDemo.errors.slice(n), before.errors);
  if (errors.length > 0) throw new Error(`the page failed: ${errors.join('\n')}`);
}

/** Clicks a model's tab, on WASM (a switch draws the new model's grid at once: quick there), and waits for that grid. */
async function selectModel(page: Page, name: string): Promise<void> {
  await page.selectOption('#backend', 'ort-wasm');
  await nextGrid(page, () => page.click(`#model-tabs [data-model="${name}"]`));
  expect(await page.evaluate(() => window.scmDemo.latest['ort-wasm']?.model)).toBe(name);
}

/** Sets the controls, clicks Generate, waits for the grid; returns what the page computed and drew. */
async function generate(page: Page, choice: BackendChoice, steps: Steps, request: Omit<GenerateRequest, 'steps'> = REQUEST): Promise<Outcome> {
  await page.selectOption('#backend', choice);
  await page.selectOption('#label', String(request.label));
  await page.selectOption('#steps', String(steps));
  await page.selectOption('#grid', String(Math.sqrt(request.count)));
  await page.fill('#seed', String(request.seed));
  await page.$eval('#guidance', (e, v) => ((e as HTMLInputElement).value = String(v)), request.guidance);
  await nextGrid(page, () => page.click('#generate'));
  return page.evaluate(
    ({ c, margin }) => {
      const r = window.scmDemo.latest[c]!;
      const canvas = document.getElementById('samples-canvas') as HTMLCanvasElement;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      // Image pixels are opaque; the gaps between images are half-transparent.
      const grey: number[] = [];
      let colour = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] !== 255) continue;
        grey.push(data[i]);
        if (Math.max(Math.abs(data[i] - data[i + 1]), Math.abs(data[i + 1] - data[i + 2]), Math.abs(data[i] - data[i + 2])) > margin) colour++;
      }
      const mean = grey.reduce((a, b) => a + b, 0) / grey.length;
      const pixelStd = Math.sqrt(grey.reduce((a, b) => a + (b - mean) ** 2, 0) / grey.length);
      return {
        model: r.model,
        backend: r.backend,
        fallbackReason: r.fallbackReason,
        threads: r.threads,
        ms: r.ms,
        request: r.request,
        images: Array.from(r.images),
        status: document.getElementById('samples-status')!.textContent ?? '',
        pixelStd,
        colourShare: colour / grey.length,
      };
    },
    { c: choice, margin: COLOUR_MARGIN },
  );
}

function maxAbsDifference(a: readonly number[], b: readonly number[]): number {
  expect(a).toHaveLength(b.length);
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);
}
