/**
 * bench/mid-t: where a 2-step consistency sampler should put its intermediate time. For each run
 * folder, the 2-step samples at each t_mid are scored as `scm eval --steps 2 --mid-t T` scores them
 * (2-D: in-support fraction, energy distance, sliced W2 at n 10000; images: Frechet distance and
 * class accuracy on the run's classifier at n 1000). The time is picked on seed 1 (in-support for
 * the checkerboard, FD for images) and reported against the paper's 1.1 on seed 0, the seed of the
 * committed eval.json files. Image FDs on both seeds use the same held-out test images.
 *
 * Run: npm run bench:mid-t [-- RUN_DIR ...] (default: runs/quickstart/scd from `npm start`,
 * models/mnist-scd, models/fashion-scd). Writes bench/results/mid-t.{json,md}; about 12 minutes on 2 cores.
 */
import { existsSync } from 'node:fs';
import { T_MID } from '@scm/core';
import { openBackend } from '../../apps/trainer/src/backends/backend.js';
import { evaluate } from '../../apps/trainer/src/commands/eval.js';
import { classifierFor, evaluateImages } from '../../apps/trainer/src/evaluation/image-eval.js';
import { isImageRun } from '../../apps/trainer/src/data/images.js';
import { Progress } from '../../apps/trainer/src/run/progress.js';
import { loadRun, type LoadedRun } from '../../apps/trainer/src/run/run-folder.js';
import { markdownTable, writeResults } from '../lib.js';

const MID_TS = [0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.1, 1.3];
const PICK_SEED = 1;
const REPORT_SEED = 0;
const POINTS_N = 10000;
const IMAGES_N = 1000;
const DEFAULT_RUNS = ['runs/quickstart/scd', 'models/mnist-scd', 'models/fashion-scd'];

interface Score {
  readonly midT: number;
  readonly seed: number;
  /** The score the time is picked by: in-support (higher is better) or FD (lower is better). */
  readonly value: number;
  readonly metrics: Record<string, number>;
}

const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s), isTTY: false };
const o = await openBackend('onnx');

async function scoreRun(run: LoadedRun, midT: number, seed: number): Promise<Score> {
  const opts = { seed, steps: [2], midT, backend: 'onnx' as const };
  if (isImageRun(run.meta)) {
    const r = await evaluateImages(o, run, await classifierFor(run, undefined), { ...opts, n: IMAGES_N }, new Progress(io));
    const row = r.rows[r.rows.length - 1];
    return { midT, seed, value: row.fd, metrics: { fd: row.fd, accuracy: row.accuracy ?? NaN } };
  }
  const r = await evaluate(o, run, { ...opts, n: POINTS_N }, new Progress(io));
  const row = r.rows[r.rows.length - 1];
  if (row.inSupport === undefined) throw new Error(`${run.dir}: bench/mid-t picks 2-D times by the checkerboard's in-support fraction; its data is ${run.meta.data.name}`);
  return { midT, seed, value: row.inSupport, metrics: { inSupport: row.inSupport, energyDistance: row.energyDistance, slicedW2: row.slicedW2 } };
}

const dirs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_RUNS;
const missing = dirs.filter((d) => !existsSync(d));
if (missing.length > 0) throw new Error(`no run folder at ${missing.join(', ')} (runs/quickstart/scd comes from npm start)`);
const results = [];
for (const dir of dirs) {
  const run = await loadRun(dir);
  const higherIsBetter = !isImageRun(run.meta);
  const scores: Score[] = [];
  for (const seed of [PICK_SEED, REPORT_SEED]) for (const midT of MID_TS) scores.push(await scoreRun(run, midT, seed));
  const picking = scores.filter((s) => s.seed === PICK_SEED);
  const best = picking.reduce((a, b) => ((higherIsBetter ? b.value > a.value : b.value < a.value) ? b : a));
  const reported = (t: number) => scores.find((s) => s.seed === REPORT_SEED && s.midT === t)!;
  results.push({ run: dir, step: run.meta.step, data: run.meta.data.name, score: higherIsBetter ? 'inSupport' : 'fd', picked: best.midT, atPicked: reported(best.midT), atPaper: reported(T_MID), scores });
}

const fmt = (v: number) => (Math.abs(v) >= 0.1 ? v.toFixed(3) : v.toFixed(4));
const table = markdownTable(
  ['run', 'score', ...MID_TS.map((t) => `t_mid ${t}`), `picked (seed ${PICK_SEED})`],
  results.flatMap((r) =>
    [PICK_SEED, REPORT_SEED].map((seed) => [
      `${r.run} (seed ${seed})`,
      r.score,
      ...MID_TS.map((t) => fmt(r.scores.find((s) => s.seed === seed && s.midT === t)!.value)),
      seed === PICK_SEED ? String(r.picked) : '',
    ]),
  ),
);
writeResults('mid-t', { midTs: MID_TS, pickSeed: PICK_SEED, reportSeed: REPORT_SEED, pointsN: POINTS_N, imagesN: IMAGES_N, runs: results }, `# 2-step consistency sampling: the intermediate time\n\n${table}`);
process.stdout.write(`${table}\n`);
