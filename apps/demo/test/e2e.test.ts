/**
 * The built page in headless Chromium with WebGPU on SwiftShader: vite builds it into a temporary
 * folder, a static server serves that folder alone on 127.0.0.1, and the test drives the page
 * through its controls, then checks what it drew (canvas pixels) and what it computed
 * (window.scmDemo). SwiftShader runs WebGPU on the CPU, so batches are small.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumMissing, launchChromium, serveDirectory, type LaunchedBrowser, type Page, type StaticServer } from '@scm/browser-testing';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRun, writeModels } from '../scripts/models.js';
import type { BackendChoice, GenerateRequest } from '../src/generator.js';
import type { Steps } from '../src/public-files.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const SETUP_TIMEOUT_MS = 150_000;

const BACKENDS: readonly { readonly choice: BackendChoice; readonly shown: string }[] = [
  { choice: 'ort-webgpu', shown: 'ONNX Runtime Web on WebGPU' },
  { choice: 'ort-wasm', shown: 'ONNX Runtime Web on WASM' },
  { choice: 'tfjs-webgpu', shown: 'TensorFlow.js on WebGPU' },
];
/** A 2x2 grid: enough pixels for statistics, little work for SwiftShader. */
const REQUEST = { label: 3, guidance: 1.5, seed: 7, count: 4 } as const;
/** Pixels in [-1, 1]; float32 on different hardware paths and kernels. */
const BACKEND_AGREEMENT = 1e-2;
/** Std of the drawn grey levels (0..255) below which a grid counts as blank. */
const MIN_PIXEL_STD = 4;

/** What one generation left behind, read from the page. */
interface Outcome {
  readonly backend: string;
  readonly fallbackReason?: string;
  readonly ms: number;
  readonly request: GenerateRequest;
  readonly images: number[];
  readonly status: string;
  readonly pixelStd: number;
}

const missing = chromiumMissing();

if (missing) {
  const reason = `the demo's end-to-end test skipped: ${missing}`;
  process.stderr.write(`${reason}\n`);
  it.skip(reason);
} else {
  describe('the demo page in headless Chromium (WebGPU on SwiftShader)', () => {
    let dir: string | undefined;
    let server: StaticServer | undefined;
    let browser: LaunchedBrowser | undefined;
    let page: Page;
    const offsite: string[] = [];
    const failedRequests: string[] = [];
    const consoleErrors: string[] = [];
    const outcomes = new Map<string, Outcome>();

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'scm-demo-'));
      // The models `npm run build` ships (the committed student, else the stand-in), whatever the build
      // step last wrote to public/. On SwiftShader a batch takes tens of seconds even for these small U-Nets.
      const [publicDir, outDir] = [join(dir, 'public'), join(dir, 'dist')];
      await writeModels(await resolveRun(), publicDir);
      await build({ root: ROOT, publicDir, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
      server = await serveDirectory(outDir);
      browser = await launchChromium();
      page = await browser.context.newPage();
      const origin = server.url;
      page.on('request', (r) => void (r.url().startsWith(origin) || offsite.push(r.url())));
      page.on('response', (r) => void (r.status() >= 400 && failedRequests.push(`${r.status()} ${r.url()}`)));
      page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
      page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
      await page.goto(origin);
      await page.waitForFunction(() => window.scmDemo?.ready, undefined, { timeout: 30_000 });
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
      const lines = [...outcomes].map(([key, o]) => `  ${key.padEnd(24)} ${o.ms.toFixed(0).padStart(6)} ms  ${o.backend}`);
      process.stdout.write(`demo timings per batch of ${REQUEST.count} (SwiftShader; the first batch of a backend includes compiling kernels):\n${lines.join('\n')}\n`);
    });

    it('loads, names its model and reports no errors', async () => {
      expect(await page.evaluate(() => window.scmDemo.errors)).toEqual([]);
      expect(await page.textContent('#model-source')).toMatch(/step \d+/);
    });

    for (const { choice, shown } of BACKENDS) {
      it(`generates a grid on ${choice}, shown as "${shown}"`, async () => {
        // WebGPU on SwiftShader takes seconds per batch: the WebGPU backends run the 2-step graph
        // alone (it holds the 1-step one's computation), wasm runs both and a warm repeat.
        const runs: Steps[] = choice === 'ort-wasm' ? [1, 2, 2] : [2];
        for (const [i, steps] of runs.entries()) {
          const o = await generate(page, choice, steps);
          outcomes.set(`${choice} ${steps}-step${runs.indexOf(steps) < i ? ' again' : ''}`, o);
          expect(o.fallbackReason).toBeUndefined();
          expect(o.backend).toBe(shown);
          expect(o.status).toContain(shown);
          expect(o.request).toEqual({ ...REQUEST, steps });
          expect(o.images).toHaveLength(REQUEST.count * 28 * 28);
          expect(o.images.filter((v) => !Number.isFinite(v))).toEqual([]);
          expect(o.pixelStd).toBeGreaterThan(MIN_PIXEL_STD);
        }
      });
    }

    it('draws the same digits on every backend for the same seed', () => {
      const [reference, ...others] = BACKENDS.map(({ choice }) => outcomes.get(`${choice} 2-step`)?.images);
      for (const images of [reference, ...others]) expect(images).toBeDefined();
      for (const images of others) expect(maxAbsDifference(images!, reference!)).toBeLessThan(BACKEND_AGREEMENT);
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
        await bench.goto(new URL('bench.html?backends=ort-wasm&batches=1,2&repeats=1', server!.url).href);
        await bench.waitForFunction(() => window.scmBench?.done, undefined, { timeout: 60_000 });
        const report = await bench.evaluate(() => window.scmBench!);
        expect(report.error).toBeUndefined();
        expect(report.rows.map((r) => [r.backend, r.steps, r.batch])).toEqual([
          ['ONNX Runtime Web on WASM', 1, 1],
          ['ONNX Runtime Web on WASM', 1, 2],
          ['ONNX Runtime Web on WASM', 2, 1],
          ['ONNX Runtime Web on WASM', 2, 2],
        ]);
        for (const r of report.rows) expect(r.imagesPerSec).toBeCloseTo((1000 * r.batch) / r.medianMs, 6);
        expect(await bench.locator('#results tr').count()).toBe(4);
      } finally {
        await bench.close();
      }
    });

    it('trains a 2D model live on WebGPU and plots its samples', async () => {
      // Three teacher steps, then sCD: both kinds of step (sCD's with its JVP) run on WebGPU. The
      // first plot comes after the first sCD step: on SwiftShader, plotting takes longer than training.
      await page.fill('#toy-teacher-steps', '3');
      await page.fill('#toy-draw-every', '4');
      await page.click('#toy-start');
      await page.waitForFunction(() => window.scmDemo.toy?.phase === 'sCD' || window.scmDemo.errors.length > 0, undefined, { timeout: 90_000 });
      await page.click('#toy-start');
      await page.waitForSelector('#toy-start:has-text("Start training"):enabled', { timeout: 60_000 });
      const toy = await page.evaluate(() => window.scmDemo.toy!);
      expect(await page.evaluate(() => window.scmDemo.errors)).toEqual([]);
      expect(toy.step).toBeGreaterThanOrEqual(4);
      expect(toy.backend).toBe('TensorFlow.js on WebGPU');
      expect(toy.stepsPerSec).toBeGreaterThan(0);
      expect(toy.points).toBeGreaterThan(0);
      expect(await page.textContent('#toy-status')).toContain('TensorFlow.js on WebGPU');
      // Sample dots are drawn in blue over grey data: count the blue pixels.
      const blue = await page.evaluate(() => {
        const canvas = document.getElementById('toy-canvas') as HTMLCanvasElement;
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 2] > 150 && data[i] < 80) n++;
        return n;
      });
      expect(blue).toBeGreaterThan(100);
      process.stdout.write(`toy training: ${toy.step} steps, ${toy.stepsPerSec.toFixed(1)} steps/s on ${toy.backend}\n`);
    });

    it('fetched nothing from outside its own folder, found every file, logged no errors', async () => {
      await mkdir(ARTIFACTS, { recursive: true });
      const screenshot = join(ARTIFACTS, 'demo.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      process.stdout.write(`screenshot: ${screenshot}\n`);
      expect(offsite).toEqual([]);
      expect(failedRequests).toEqual([]);
      expect(await page.evaluate(() => window.scmDemo.errors)).toEqual([]);
      expect(consoleErrors).toEqual([]);
    });
  });
}

/** Sets the controls, clicks Generate, waits for the grid; returns what the page computed and drew. */
async function generate(page: Page, choice: BackendChoice, steps: Steps): Promise<Outcome> {
  await page.selectOption('#backend', choice);
  await page.selectOption('#label', String(REQUEST.label));
  await page.selectOption('#steps', String(steps));
  await page.selectOption('#grid', String(Math.sqrt(REQUEST.count)));
  await page.fill('#seed', String(REQUEST.seed));
  await page.$eval('#guidance', (e, v) => ((e as HTMLInputElement).value = String(v)), REQUEST.guidance);
  const before = await page.evaluate(() => ({ generated: window.scmDemo.generated, errors: window.scmDemo.errors.length }));
  await page.click('#generate');
  await page.waitForFunction((b) => window.scmDemo.generated > b.generated || window.scmDemo.errors.length > b.errors, before, { timeout: 60_000 });
  const errors = await page.evaluate((n) => window.scmDemo.errors.slice(n), before.errors);
  if (errors.length > 0) throw new Error(`the page failed: ${errors.join('\n')}`);
  return page.evaluate((c) => {
    const r = window.scmDemo.latest[c]!;
    const canvas = document.getElementById('digits-canvas') as HTMLCanvasElement;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    // Grey levels of image pixels; the gaps between images are transparent.
    const grey: number[] = [];
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] === 255) grey.push(data[i]);
    const mean = grey.reduce((a, b) => a + b, 0) / grey.length;
    const pixelStd = Math.sqrt(grey.reduce((a, b) => a + (b - mean) ** 2, 0) / grey.length);
    return {
      backend: r.backend,
      fallbackReason: r.fallbackReason,
      ms: r.ms,
      request: r.request,
      images: Array.from(r.images),
      status: document.getElementById('digits-status')!.textContent ?? '',
      pixelStd,
    };
  }, choice);
}

function maxAbsDifference(a: readonly number[], b: readonly number[]): number {
  expect(a).toHaveLength(b.length);
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);
}
