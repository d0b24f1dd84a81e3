/**
 * bench.html: sampling latency and throughput of a committed student on each backend, for
 * bench/browser/run.ts (headless Chromium) or anyone opening the page. Query parameters:
 * model (default the first of the page's models), backends (default all three), batches (default
 * 1,16,64), repeats (default 5). Results are shown in a table and published on window.scmBench.
 */
import type { BackendChoice } from './generation.js';
import { createGenerator } from './generator.js';
import { loadDemoModels } from './model-files.js';
import { STEPS, type Steps } from './public-files.js';
import { probeWebGpu, type WebGpuProbe } from './webgpu-probe.js';

export interface BenchRow {
  readonly choice: BackendChoice;
  /** What actually ran (a WebGPU request may fall back to WASM). */
  readonly backend: string;
  readonly fallbackReason?: string;
  /** WASM threads, where it ran on WASM. */
  readonly threads?: number;
  /** Whether the page was cross-origin isolated (what WASM threads need). */
  readonly isolated: boolean;
  readonly steps: Steps;
  readonly batch: number;
  /** The first call at this batch size: shader compilation and allocation included. */
  readonly firstMs: number;
  /** Median of the calls after it. */
  readonly medianMs: number;
  readonly imagesPerSec: number;
}

export interface BenchReport {
  readonly rows: BenchRow[];
  /** Creating each backend's generator: runtime start, weights upload, session creation. */
  readonly setupMs: Partial<Record<BackendChoice, number>>;
  readonly userAgent: string;
  /** navigator.gpu's adapter, as the page sees it. */
  adapter?: WebGpuProbe;
  done: boolean;
  error?: string;
}

declare global {
  interface Window {
    scmBench?: BenchReport;
  }
}

const ALL: readonly BackendChoice[] = ['ort-wasm', 'ort-webgpu', 'tfjs-webgpu'];
const params = new URLSearchParams(location.search);
const list = (name: string, fallback: string) => (params.get(name) ?? fallback).split(',').filter(Boolean);
const backends = list('backends', ALL.join(',')).map((b) => {
  if (!(ALL as readonly string[]).includes(b)) throw new Error(`unknown backend ${b}; expected ${ALL.join(', ')}`);
  return b as BackendChoice;
});
const batches = list('batches', '1,16,64').map(Number);
const repeats = Number(params.get('repeats') ?? 5);

const report: BenchReport = { rows: [], setupMs: {}, userAgent: navigator.userAgent, done: false };
window.scmBench = report;

async function main(): Promise<void> {
  report.adapter = await probeWebGpu();
  const models = await loadDemoModels();
  const name = params.get('model') ?? models[0].view.name;
  const model = models.find((m) => m.view.name === name);
  if (!model) throw new Error(`unknown model ${name}; expected one of ${models.map((m) => m.view.name).join(', ')}`);
  for (const choice of backends) {
    const began = performance.now();
    const generator = await createGenerator(choice, model);
    report.setupMs[choice] = performance.now() - began;
    for (const steps of STEPS) {
      for (const batch of batches) {
        const ms: number[] = [];
        for (let i = 0; i <= repeats; i++) {
          const start = performance.now();
          // The pixels are read back to the page, so the GPU's queue has finished when this returns.
          await generator.generate({ label: i % model.view.classNames.length, steps, guidance: model.view.defaultGuidance, seed: i, count: batch });
          ms.push(performance.now() - start);
        }
        const rest = ms.slice(1).sort((a, b) => a - b);
        const medianMs = rest[rest.length >> 1];
        report.rows.push({ choice, backend: generator.backend, fallbackReason: generator.fallbackReason, threads: generator.threads, isolated: self.crossOriginIsolated, steps, batch, firstMs: ms[0], medianMs, imagesPerSec: (1000 * batch) / medianMs });
        render();
      }
    }
  }
}

function render(): void {
  const cells = (r: BenchRow) => [r.backend, r.threads ?? '', r.steps, r.batch, r.firstMs.toFixed(0), r.medianMs.toFixed(1), r.imagesPerSec.toFixed(1)];
  const table = document.getElementById('results')!;
  table.replaceChildren(
    ...report.rows.map((r) => {
      const tr = document.createElement('tr');
      for (const c of cells(r)) tr.append(Object.assign(document.createElement('td'), { textContent: String(c) }));
      return tr;
    }),
  );
}

main()
  .catch((error: unknown) => {
    report.error = error instanceof Error ? error.message : String(error);
    document.getElementById('error')!.textContent = report.error;
  })
  .finally(() => {
    report.done = true;
  });
