/**
 * The page the browser test opens: runs the conformance suite on WebGPU inside the browser and
 * publishes the outcome on window.scmReport, updated after every case so that a page that stalls
 * still shows how far it got.
 */
import { conformanceCases } from '@scm/core/testing';
import { createWebGpuOps, type AdapterReport } from '../../src/index.js';
import { measurePrimitives, type Timing } from './timings.js';

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly ms: number;
}

export interface PageReport {
  backend?: string;
  adapter?: AdapterReport;
  readonly cases: CaseResult[];
  timings?: Timing[];
  /** How long the cases took, all together. */
  suiteMs?: number;
  /** An error outside any case (the ops could not be created, ...). */
  fatal?: string;
  done: boolean;
}

declare global {
  interface Window {
    scmReport?: PageReport;
  }
}

async function main(report: PageReport): Promise<void> {
  const { ops, adapter, backend } = await createWebGpuOps();
  Object.assign(report, { adapter, backend });
  const cases = conformanceCases(ops, { tolerance: 1e-3, liveTensors: () => ops.numTensors() });
  const suiteStart = performance.now();
  for (const c of cases) {
    const start = performance.now();
    try {
      await c.run();
      report.cases.push({ name: c.name, ok: true, ms: performance.now() - start });
    } catch (error) {
      report.cases.push({ name: c.name, ok: false, error: describe(error), ms: performance.now() - start });
    }
  }
  report.suiteMs = performance.now() - suiteStart;
  report.timings = await measurePrimitives(ops);
}

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

const report: PageReport = { cases: [], done: false };
window.scmReport = report;
main(report)
  .catch((error: unknown) => {
    report.fatal = describe(error);
  })
  .finally(() => {
    report.done = true;
  });
