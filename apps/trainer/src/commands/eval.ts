/**
 * scm eval: sample quality of a run against fresh data, in data coordinates: energy distance,
 * sliced 2-Wasserstein (squared) and, for the checkerboard, the fraction of samples inside its
 * cells. A data-vs-data row (two independent draws) shows the metrics' noise floor at this n.
 */
import { checkerboardSupportFraction, energyDistance, Rng, slicedWasserstein2, type SamplerName } from '@scm/core';
import { BACKENDS, commonOptions, flag, optInteger, optNumber, parseIntegerList, requireStr, str, type CommandHelp, type OptionSpecs, type OptionValues } from '../options/args.js';
import { openBackend, type Ops } from '../backends/backend.js';
import { UsageError } from '../options/errors.js';
import type { Io } from '../options/io.js';
import { DEFAULT_GUIDANCE, IMAGE_EVAL_N, runImageEval } from '../evaluation/image-eval.js';
import { isImageRun } from '../data/images.js';
import { checkEvaluations } from '../run/limits.js';
import { saveEvalReport } from '../report/card.js';
import { Progress } from '../run/progress.js';
import { EVAL_FILE, evalFile, loadRun, type LoadedRun, type Weights } from '../run/run-folder.js';
import { drawSamplesOn } from '../sampling/onnx-sampling.js';
import type { EvalOptions } from '../evaluation/eval-options.js';
import { recipeMidT } from '../recipe/recipe.js';
import { checkConditioning, checkMidT, consistencyChoices, describeConsistency, describeSampler, MID_T_HELP, nfeOf, openForSampling, optMidT, optWeights, weightsLabel, type SamplerChoice } from '../sampling/sampling.js';

const DEFAULT_N = 10000;
const DEFAULT_STEPS = [1, 2];
/** The teacher's samplers and budgets: DDIM at 1, 2, 4, 8 NFE and Heun at 35. */
export const TEACHER_EVAL: readonly SamplerChoice[] = [
  { sampler: 'ddim', nfe: 1 },
  { sampler: 'ddim', nfe: 2 },
  { sampler: 'ddim', nfe: 4 },
  { sampler: 'ddim', nfe: 8 },
  { sampler: 'heun', nfe: 35 },
];

const OPTIONS: OptionSpecs = {
  run: { type: 'string', value: 'DIR', help: 'run folder to evaluate (its EMA weights, unless --weights params)' },
  weights: { type: 'string', value: 'W', help: `ema (default) or params: which of the checkpoint's weights to sample; params reports go to ${evalFile('params')}` },
  n: { type: 'string', value: 'N', help: `samples per row, and fresh data points to compare with (default ${DEFAULT_N})` },
  steps: { type: 'string', value: 'LIST', help: `consistency runs: comma-separated step counts (default ${DEFAULT_STEPS.join(',')})` },
  'mid-t': { type: 'string', value: 'T', help: MID_T_HELP },
  guidance: { type: 'string', value: 'S', help: 'class-conditional runs: guidance scale (default 1)' },
  json: { type: 'boolean', help: 'print the report as JSON instead of a table' },
  classifier: { type: 'string', value: 'DIR', help: 'image runs: classifier run (scm train-classifier) for the Frechet distance (default: the run\'s recorded one)' },
  nfe: { type: 'string', value: 'K', help: `image teacher runs: Heun's network evaluations (default 35)` },
};

export const help: CommandHelp = {
  name: 'eval',
  summary:
    'Score a run\'s samples: 2-D by energy distance, sliced W2, in-support fraction; images by Frechet distance, accuracy.\n' +
    '2-D runs are scored against fresh data (the in-support fraction: checkerboard only); image runs under a classifier\n' +
    'against held-out images (Frechet distance in its features, class accuracy, coverage; see below).\n' +
    'Teacher runs: DDIM at 1, 2, 4, 8 NFE and Heun at 35 NFE. Consistency runs: consistency sampling at each --steps.\n' +
    `Prints a table (or JSON) and writes ${EVAL_FILE} into the run folder.`,
  usage: '--run DIR [--steps 1,2] [--n N] [--json] [options]',
  options: OPTIONS,
  backends: BACKENDS,
  notes: [
    'Example: scm eval --run runs/cb-scd --steps 1,2 --n 10000 --json',
    `Image runs (default --n ${IMAGE_EVAL_N}): Frechet distance in the feature space of a classifier (--classifier, or the one the\n` +
      'run records) between the samples and held-out test images (folders: the folder\'s images), the classifier\'s accuracy on\n' +
      'class-conditional samples (class i mod K for sample i), the predicted-class histogram and coverage (the fraction of\n' +
      'classes given at least half their fair share, 1/(2K), of the samples), next to a data row (training vs test images).\n' +
      `Teacher runs: Heun at --nfe (default 35) with guidance ${DEFAULT_GUIDANCE} when conditional; consistency runs: --steps (default 1,2),\n` +
      `guidance input ${DEFAULT_GUIDANCE} for students distilled with guidance. Example: scm eval --run runs/mnist-scd --classifier runs/mnist-clf --json`,
  ],
};

export interface EvalRow {
  /** "data" for the baseline, else the sampler. */
  readonly sampler: SamplerName | 'data';
  readonly steps?: number;
  /** Consistency rows of 2 or more steps sampled with a moved intermediate time (absent: the paper's 1.1). */
  readonly midT?: number;
  /** Network evaluations per sample (0 for the data row). */
  readonly nfe: number;
  readonly energyDistance: number;
  /** Squared sliced 2-Wasserstein distance (128 directions). */
  readonly slicedW2: number;
  /** Checkerboard only: the fraction of samples inside its cells. */
  readonly inSupport?: number;
  /** Sampling time (0 for the data row). */
  readonly seconds: number;
}

export interface EvalReport {
  readonly run: string;
  readonly mode: string;
  readonly step: number;
  readonly data: string;
  readonly n: number;
  readonly seed: number;
  readonly weights: Weights;
  readonly rows: readonly EvalRow[];
  /**
   * The energy distance's noise at this n: the largest |energy distance| of independent data draws
   * (the data row's and NOISE_DRAWS more) against the reference. Rows closer than this are not
   * ranked by it. Absent in reports from before it was measured.
   */
  readonly energyNoise?: number;
}

/** Data draws besides the data row that measure the energy distance's noise. */
const NOISE_DRAWS = 3;

function score(points: Float32Array, reference: Float32Array, checkerboard: boolean, seed: number) {
  return {
    energyDistance: energyDistance(points, reference, 2, { seed }),
    slicedW2: slicedWasserstein2(points, reference, 2, { seed }),
    ...(checkerboard ? { inSupport: checkerboardSupportFraction(points) } : {}),
  };
}

export async function evaluate(o: Ops, run: LoadedRun, opts: EvalOptions, progress: Progress): Promise<EvalReport> {
  const mode = run.meta.train.mode;
  const choices: readonly SamplerChoice[] =
    mode === 'teacher' ? TEACHER_EVAL : consistencyChoices(opts.steps ?? DEFAULT_STEPS, opts.midT ?? recipeMidT(run.meta, 2));
  const weights = opts.weights ?? 'ema';
  const s = openForSampling(o, run, weights);
  try {
    checkConditioning({ guidance: opts.guidance }, s, run.dir);
    const rng = new Rng(opts.seed);
    const draw = (label: string) => s.data.toData(s.data.sample(rng.fork(label), opts.n).x);
    const reference = draw('eval-reference');
    const checkerboard = run.meta.data.name === 'checkerboard';
    const rows: EvalRow[] = [{ sampler: 'data', nfe: 0, ...score(draw('eval-baseline'), reference, checkerboard, opts.seed), seconds: 0 }];
    const nullDraws = Array.from({ length: NOISE_DRAWS }, (_, i) => energyDistance(draw(`eval-noise-${i}`), reference, 2, { seed: opts.seed }));
    const energyNoise = Math.max(Math.abs(rows[0].energyDistance), ...nullDraws.map(Math.abs));
    for (const c of choices) {
      progress.update(`eval ${run.dir}: ${describeSampler(c)}, ${opts.n} samples`);
      const began = performance.now();
      const points = await drawSamplesOn(opts.backend, o, s, run, weights, { ...c, n: opts.n, seed: opts.seed, guidance: opts.guidance }, (line) => progress.note(line));
      const seconds = (performance.now() - began) / 1000;
      rows.push({ sampler: c.sampler, ...(c.steps !== undefined ? { steps: c.steps } : {}), ...(c.midT !== undefined ? { midT: c.midT } : {}), nfe: nfeOf(c), ...score(points, reference, checkerboard, opts.seed), seconds });
    }
    progress.done();
    return { run: run.dir, mode, step: run.meta.step, data: run.meta.data.name, n: opts.n, seed: opts.seed, weights, rows, energyNoise };
  } finally {
    o.dispose(Object.values(s.params));
  }
}

export function formatEvalTable(r: EvalReport): string {
  const checkerboard = r.rows.some((row) => row.inSupport !== undefined);
  const header = ['sampler', 'NFE', 'energy dist', 'sliced W2', ...(checkerboard ? ['in support'] : []), 'time'];
  const body = r.rows.map((row) => [
    row.sampler === 'data' ? 'data (baseline)' : row.sampler === 'consistency' ? describeConsistency(row.steps, row.midT) : row.sampler,
    row.sampler === 'data' ? '-' : String(row.nfe),
    row.energyDistance.toFixed(5),
    row.slicedW2.toFixed(5),
    ...(checkerboard ? [row.inSupport!.toFixed(3)] : []),
    row.sampler === 'data' ? '-' : `${row.seconds.toFixed(1)}s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const title = `${r.run} (${r.mode}, step ${r.step}, ${weightsLabel(r.weights)}, ${r.data}, n ${r.n}, data coordinates)`;
  const noise =
    r.energyNoise === undefined
      ? []
      : [`energy dist: independent data draws score up to ${r.energyNoise.toFixed(5)} against the reference, so closer rows are not ranked by it at n ${r.n}`];
  return [title, line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), ...noise].join('\n') + '\n';
}

export async function evaluateAndSave(o: Ops, run: LoadedRun, opts: EvalOptions, io: Io): Promise<EvalReport> {
  const report = await evaluate(o, run, opts, new Progress(io));
  await saveEvalReport(run, report);
  return report;
}

export async function run(values: OptionValues, io: Io): Promise<void> {
  const common = commonOptions(values, help);
  const dir = requireStr(values, 'run', help.name);
  const n = optInteger(values, 'n') ?? DEFAULT_N;
  if (n < 2) throw new UsageError(`--n must be at least 2 for the energy distance, got ${n}`);
  const stepsRaw = str(values, 'steps');
  const steps = stepsRaw === undefined ? undefined : parseIntegerList('steps', stepsRaw);
  for (const count of steps ?? []) checkEvaluations('--steps', count);
  checkEvaluations('--nfe', optInteger(values, 'nfe'));
  const guidance = optNumber(values, 'guidance');
  const weights = optWeights(values);
  const midT = optMidT(values);
  const loaded = await loadRun(dir, 'run', io);
  if (midT !== undefined) {
    if (loaded.meta.train.mode === 'teacher') throw new UsageError(`--mid-t is for consistency runs; ${dir} is a teacher run`);
    checkMidT(midT, Math.max(...(steps ?? DEFAULT_STEPS)), loaded.meta.train.sigmaD);
  }
  if (isImageRun(loaded.meta)) return runImageEval(values, loaded, io);
  for (const f of ['classifier', 'nfe']) if (str(values, f) !== undefined) throw new UsageError(`--${f} is for image runs; ${dir} is a 2-D run`);
  if (steps !== undefined && loaded.meta.train.mode === 'teacher') {
    throw new UsageError(`--steps is for consistency runs; ${dir} is a teacher run, evaluated with DDIM at 1, 2, 4, 8 NFE and Heun at 35 NFE`);
  }
  const o = await openBackend(common.backend);
  const report = await evaluateAndSave(o, loaded, { n, seed: common.seed, steps, midT, guidance, weights, backend: common.backend }, io);
  io.out(flag(values, 'json') ? `${JSON.stringify(report, null, 2)}\n` : formatEvalTable(report));
}
