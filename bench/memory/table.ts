/**
 * Writes bench/results/memory.{json,md} from measured rows: each beside the trainer's estimate for
 * it (apps/trainer run/limits.ts) and their ratio. Run alone (npm run bench:memory:table) it
 * re-renders the committed memory.json after a change of the estimate, without measuring again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TrainConfig } from '@scm/core';
import { paramCount, stepMemory } from '../../apps/trainer/src/run/limits.js';
import { markdownTable, resultsDir, writeResults } from '../lib.js';
import type { MemoryRow } from './rows.js';

const MB = 2 ** 20;
const mb = (bytes: number) => `${Math.round(bytes / MB)} MB`;

export function writeMemoryResults(name: string, measured: readonly MemoryRow[]): void {
  const rows = measured.map((r) => {
    const estimate = r.model ? stepMemory({ model: r.model, train: { mode: r.mode, batch: r.batch } as TrainConfig }, r.backend).bytes : null;
    return { ...r, estimate, ratio: estimate !== null && r.measured !== null ? Math.round((estimate / r.measured) * 100) / 100 : null };
  });
  const table = markdownTable(
    ['case', 'params', 'batch', 'measured peak', 'estimate', 'estimate / measured', 's'],
    rows.map((r) => [
      r.case,
      r.model ? paramCount(r.model).toLocaleString('en-US') : '',
      r.batch,
      r.measured === null ? `failed: ${r.error ?? ''}` : mb(r.measured),
      r.estimate === null ? '' : mb(r.estimate),
      r.ratio ?? '',
      r.seconds,
    ]),
  );
  const worst = Math.min(...rows.flatMap((r) => (r.ratio === null ? [] : [r.ratio])));
  writeResults(
    name,
    { rows },
    [
      '# Peak memory of one training step (bench/memory)',
      '',
      'Measured: the wasm heap on wasm (its limit is 4 GiB), the peak resident memory of the `scm` process on cpu and onnx',
      "(their limit is the machine's memory). Estimate: the trainer's memory check (apps/trainer/src/run/limits.ts),",
      `which refuses a run whose estimate exceeds the backend's limit; lowest estimate / measured: ${worst}.`,
      '',
      table,
    ].join('\n'),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { rows } = JSON.parse(readFileSync(join(resultsDir, 'memory.json'), 'utf8')) as { rows: MemoryRow[] };
  writeMemoryResults('memory', rows);
}
