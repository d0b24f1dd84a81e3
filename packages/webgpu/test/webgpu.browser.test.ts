/**
 * The conformance suite on WebGPU, in headless Chromium on SwiftShader: the page runs every case
 * and this file reports each as a test of its own, by name.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { conformanceCases, ReferenceOps } from '@scm/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePage, chromiumMissing, launchChromium, serveDirectory, type LaunchedBrowser, type StaticServer } from '@scm/browser-testing';
import type { CaseResult, PageReport } from './browser/page.js';

const PAGE = fileURLToPath(new URL('./browser/page.ts', import.meta.url));
/** Bounds the whole page run; a stalled page is reported with the case it stalled after. */
const PAGE_TIMEOUT_MS = 8 * 60_000;

const missing = chromiumMissing();

if (missing) {
  const reason = `conformance on WebGPU in headless Chromium skipped: ${missing}`;
  process.stderr.write(`${reason}\n`);
  it.skip(reason);
} else {
  describe('conformance on WebGPU (SwiftShader) in headless Chromium', () => {
    // The page runs the same suite; its names do not depend on the ops they are built on.
    const names = conformanceCases(new ReferenceOps(), { tolerance: 1e-3, liveTensors: () => 0 }).map((c) => c.name);
    const results = new Map<string, CaseResult>();
    let report: PageReport | undefined;
    let dir: string | undefined;
    let server: StaticServer | undefined;
    let browser: LaunchedBrowser | undefined;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'scm-webgpu-page-'));
      await bundlePage(PAGE, dir);
      server = await serveDirectory(dir);
      browser = await launchChromium();
      report = await runPage(browser, server.url);
      for (const r of report.cases) results.set(r.name, r);
      logReport(report);
    }, PAGE_TIMEOUT_MS + 60_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('runs on WebGPU, on an adapter it describes', () => {
      expect(report?.backend).toBe('webgpu');
      const adapter = report?.adapter;
      expect(adapter).toMatchObject({ available: true, info: { architecture: 'swiftshader' } });
      for (const limit of ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupSizeX']) expect(adapter?.limits[limit]).toBeGreaterThan(0);
      expect(adapter?.features.length).toBeGreaterThan(0);
    });

    for (const name of names) {
      it(name, () => {
        const r = results.get(name);
        if (!r) throw new Error('the page did not run this case');
        if (!r.ok) throw new Error(r.error);
      });
    }
  });
}

async function runPage(browser: LaunchedBrowser, url: string): Promise<PageReport> {
  const page = await browser.context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') logs.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(url);
  const finished = await page
    .waitForFunction(() => window.scmReport?.done, undefined, { timeout: PAGE_TIMEOUT_MS, polling: 1000 })
    .then(() => true, () => false);
  const report = await page.evaluate(() => window.scmReport);
  const context = logs.length ? `\nbrowser console:\n${logs.join('\n')}` : '';
  if (!report) throw new Error(`the page published no report${context}`);
  if (!finished) {
    const last = report.cases.at(-1)?.name ?? 'none';
    throw new Error(`the page did not finish in ${PAGE_TIMEOUT_MS / 1000} s: ${report.cases.length} cases ran, the last was "${last}"${context}`);
  }
  if (report.fatal) throw new Error(`the page failed: ${report.fatal}${context}`);
  return report;
}

function logReport(report: PageReport): void {
  const failed = report.cases.filter((c) => !c.ok).length;
  const slowest = [...report.cases].sort((a, b) => b.ms - a.ms).slice(0, 5);
  process.stdout.write(
    [
      `WebGPU in headless Chromium: backend ${report.backend}, adapter ${JSON.stringify(report.adapter?.info)}`,
      `${report.cases.length} cases in ${((report.suiteMs ?? 0) / 1000).toFixed(1)} s, ${failed} failed; slowest:`,
      ...slowest.map((c) => `  ${c.ms.toFixed(0).padStart(6)} ms  ${c.name}`),
      'primitive timings (ms, including read-back; CPU-emulated, indicative only):',
      ...(report.timings ?? []).map((t) => `  first ${t.firstMs.toFixed(1).padStart(8)}  median ${t.medianMs.toFixed(1).padStart(8)}  ${t.op}`),
      '',
    ].join('\n'),
  );
}
