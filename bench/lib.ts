/** Shared benchmark plumbing: timing with warm-up, and writing JSON plus a markdown table. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** SCALE=x runs a quality bench at x of its work; below 1 it is a smoke run, written under tmp/ so committed results stay. */
export const SCALE = Number(process.env.SCALE ?? 1);
export const smoke = SCALE < 1;

export interface Timing {
  /** Median milliseconds per call. */
  readonly ms: number;
  readonly runs: number;
}

/** Median time of fn over repeated runs after warm-up, within a time budget per measurement. */
export async function time(fn: () => unknown, { warmup = 2, minRuns = 5, budgetMs = 3000 } = {}): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minRuns || (performance.now() - start < budgetMs && samples.length < 200)) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)], runs: samples.length };
}

export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function writeResults(name: string, json: unknown, markdown: string): void {
  // `name` may hold a folder (tmp/ for smoke runs).
  mkdirSync(dirname(join(resultsDir, name)), { recursive: true });
  writeFileSync(join(resultsDir, `${name}.json`), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(join(resultsDir, `${name}.md`), markdown + '\n');
}

export const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
