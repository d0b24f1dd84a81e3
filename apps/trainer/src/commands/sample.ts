/** scm sample: draw samples from a run's EMA weights into a CSV, a PNG (scatter plot or image grid) or a .npy array. */
import { createModel, defaultSampleBatch } from '@scm/core';
import {
  BACKENDS,
  commonOptions,
  flag,
  isIntegerText,
  optInteger,
  optNumber,
  parseChoice,
  requireStr,
  str,
  type CommandHelp,
  type OptionSpecs,
  type OptionValues,
} from '../options/args.js';
import { openBackend } from '../backends/backend.js';
import { UsageError } from '../options/errors.js';
import type { Io } from '../options/io.js';
import { drawSamplesOn } from '../sampling/onnx-sampling.js';
import { isImageRun } from '../data/images.js';
import { recipeMidT } from '../recipe/recipe.js';
import { checkEvaluations, checkSampleCount, MAX_EVALUATIONS } from '../run/limits.js';
import { samplingProgress } from '../run/progress.js';
import { loadSampleSource } from '../sampling/model-source.js';
import { checkOutput, IMAGE_SAMPLE_N, planSampleFiles, writeSamples } from '../sampling/sample-output.js';
import {
  checkConditioning,
  checkSamplerFits,
  defaultSampler,
  describeSampler,
  drawSamples,
  MID_T_HELP,
  nfeOf,
  openForSampling,
  optMidT,
  sampleLabels,
  SAMPLERS,
  type SamplerChoice,
} from '../sampling/sampling.js';

const DEFAULT_N = 10000;

const OPTIONS: OptionSpecs = {
  run: {
    type: 'string',
    value: 'DIR|PACKAGE|URL',
    help: 'what to sample (its EMA weights): a run folder, an installed model package (@scm/model-mnist), a model folder, or a URL of one',
  },
  out: {
    type: 'string',
    value: 'FILE',
    help:
      'output: FILE.png (2-D: scatter plot, 512x512; images: a grid), FILE.csv (2-D: header x,y; data coordinates) or FILE.npy ' +
      '(float32 [n, ...shape]; images NHWC in [-1, 1]; labels of conditional runs in FILE.labels.npy, int32)',
  },
  n: { type: 'string', value: 'N', help: `number of samples (default ${DEFAULT_N}; image runs ${IMAGE_SAMPLE_N})` },
  sampler: {
    type: 'string',
    value: 'NAME',
    help: `${SAMPLERS.join(', ')} (default: consistency for sCD/sCT runs, heun for teacher runs)`,
  },
  steps: { type: 'string', value: 'N', help: `consistency sampling steps (default 2, at most ${MAX_EVALUATIONS})` },
  'mid-t': { type: 'string', value: 'T', help: MID_T_HELP },
  nfe: { type: 'string', value: 'K', help: `teacher samplers: network evaluations (default 35 for heun and dpm2, 8 for ddim; at most ${MAX_EVALUATIONS})` },
  class: {
    type: 'string',
    value: 'L|rows',
    help: 'class-conditional runs: sample class L only, or rows: class c in row c of the grid, n / K per class (default n: 10 per class; without --class: classes drawn uniformly)',
  },
  guidance: { type: 'string', value: 'S', help: 'class-conditional runs: classifier-free guidance scale (teacher) or guidance input (sCD student, 1..2)' },
  force: { type: 'boolean', help: 'replace FILE.labels.npy where it is not labels scm wrote beside FILE.npy' },
};

export const help: CommandHelp = {
  name: 'sample',
  summary: 'Draw samples from a trained run (EMA weights) and write them as CSV, a PNG (scatter plot or image grid) or .npy.',
  usage: '--run DIR|PACKAGE|URL --out FILE.csv|FILE.png|FILE.npy [--n N] [--steps N | --sampler NAME --nfe K] [options]',
  options: OPTIONS,
  backends: BACKENDS,
  notes: [
    'Example: scm sample --run runs/cb-scd --steps 2 --n 10000 --out samples.png',
    '2-D:     scm sample --run runs/quickstart/scd --steps 2 --mid-t 0.3 --out cells.png   # a later second step: sharper cells',
    'Images:  scm sample --run models/mnist-scd --steps 1 --class 7 --guidance 1.5 --n 64 --out grid.png',
    'Models:  scm sample --run @scm/model-mnist --steps 2 --class rows --out digits.png   # an installed model package (npm i @scm/model-mnist)',
    '         scm sample --run https://example.org/models/mnist/ --steps 1 --class 3 --out threes.png   # a model folder served over HTTP',
    '         (a model records its recommended --guidance, used when none is given)',
    '         scm sample --run models/mnist-scd --steps 2 --class rows --n 100 --out digits.png   # row c: ten of class c',
    '--backend onnx samples with an exported sampler graph on ONNX Runtime (consistency sampling, or a teacher\'s ODE\n' +
      'sampler with its network evaluations unrolled): the same noise and labels as the other backends for a seed, so the\n' +
      'same samples up to float32 rounding.',
  ],
};

const CLASS_ROWS = 'rows';
/** --class rows' default --n: ten samples of each class. */
const ROW_SAMPLES = 10;

/**
 * --class rows: class c fills row c, n / K samples wide, so a grid shows every class with its label
 * given by the row; each sample keeps the noise it has at its index under any other --class.
 */
function classRows(n: number, classes: number, dir: string): { labels: Int32Array; cols: number } {
  if (classes === 0) throw new UsageError(`--class ${CLASS_ROWS} needs a class-conditional run; ${dir} is unconditional`);
  if (n % classes !== 0) throw new UsageError(`--class ${CLASS_ROWS} needs --n a multiple of the ${classes} classes of ${dir}, got ${n}`);
  const cols = n / classes;
  return { labels: Int32Array.from({ length: n }, (_, i) => Math.floor(i / cols)), cols };
}

/** --sampler/--steps/--nfe/--mid-t, checked against each other (the run's kind is checked once it is loaded). */
export function samplerOption(values: OptionValues): Partial<SamplerChoice> {
  const name = str(values, 'sampler');
  const sampler = name === undefined ? undefined : parseChoice('sampler', name, SAMPLERS, 'sampler');
  const steps = optInteger(values, 'steps');
  const nfe = optInteger(values, 'nfe');
  checkEvaluations('--steps', steps);
  checkEvaluations('--nfe', nfe);
  if (steps !== undefined && sampler !== undefined && sampler !== 'consistency') throw new UsageError(`--steps is for consistency sampling; give ${sampler} its budget with --nfe`);
  if (nfe !== undefined && sampler === 'consistency') throw new UsageError('--nfe is for teacher samplers; give consistency sampling its budget with --steps');
  if (steps !== undefined && nfe !== undefined) throw new UsageError('give either --steps (consistency sampling) or --nfe (teacher samplers), not both');
  const midT = optMidT(values);
  if (midT !== undefined && (nfe !== undefined || (sampler !== undefined && sampler !== 'consistency'))) {
    throw new UsageError('--mid-t is the intermediate time of consistency sampling; teacher samplers walk a fixed grid (--nfe)');
  }
  const inferred = sampler ?? (steps !== undefined || midT !== undefined ? 'consistency' : undefined);
  return { ...(inferred ? { sampler: inferred } : {}), ...(steps !== undefined ? { steps } : {}), ...(nfe !== undefined ? { nfe } : {}), ...(midT !== undefined ? { midT } : {}) };
}

export async function run(values: OptionValues, io: Io): Promise<void> {
  const common = commonOptions(values, help);
  const dir = requireStr(values, 'run', help.name);
  const out = requireStr(values, 'out', help.name);
  checkOutput(out, false);
  const nGiven = optInteger(values, 'n');
  const chosen = samplerOption(values);
  const classArg = str(values, 'class');
  const byRow = classArg === CLASS_ROWS;
  if (classArg !== undefined && !byRow && !isIntegerText(classArg)) {
    throw new UsageError(`--class must be a class number (a non-negative integer) or ${CLASS_ROWS}, got ${JSON.stringify(classArg)}`);
  }
  const classLabel = byRow ? undefined : optInteger(values, 'class', 0);
  const guidanceGiven = optNumber(values, 'guidance');

  const source = await loadSampleSource(dir, io);
  const loaded = source.run;
  const guidance = guidanceGiven ?? source.defaultGuidance;
  checkOutput(out, isImageRun(loaded.meta), dir);
  const model = createModel(loaded.meta.model);
  const n = nGiven ?? (byRow ? ROW_SAMPLES * model.numClasses : isImageRun(loaded.meta) ? IMAGE_SAMPLE_N : DEFAULT_N);
  const fallback = defaultSampler(loaded.meta.train.mode);
  const sampler = chosen.sampler ?? fallback.sampler;
  const consistencySteps = chosen.steps ?? 2;
  const midT = chosen.midT ?? recipeMidT(loaded.meta, consistencySteps);
  if (chosen.nfe !== undefined && sampler === 'consistency') throw new UsageError(`--nfe is for teacher samplers; ${dir} is a consistency run: give its budget with --steps`);
  const choice: SamplerChoice =
    sampler === 'consistency'
      ? { sampler, steps: consistencySteps, ...(midT !== undefined ? { midT } : {}) }
      : { sampler, nfe: chosen.nfe ?? (sampler === 'ddim' ? 8 : 35) };
  checkSamplerFits(choice, loaded.meta, dir);
  const rows = byRow ? classRows(n, model.numClasses, dir) : undefined;
  checkSampleCount(n, model.sampleShape);
  const { stale } = await planSampleFiles(out, model.numClasses > 0, flag(values, 'force'));
  const o = await openBackend(common.backend);
  const s = openForSampling(o, loaded);
  try {
    checkConditioning({ classLabel, guidance }, s, dir);
    const began = performance.now();
    const progress = samplingProgress(io, n, began, { batch: defaultSampleBatch(model.sampleShape), evaluations: nfeOf(choice) });
    const draw = {
      ...choice,
      n,
      seed: common.seed,
      classLabel,
      guidance,
      ...(rows ? { labels: rows.labels } : {}),
      onBatch: progress.onBatch,
      onEvaluation: progress.onEvaluation,
    };
    const points = await drawSamplesOn(common.backend, o, s, loaded, 'ema', draw, (line) => io.err(`note: ${line}\n`));
    progress.done();
    const written = await writeSamples(out, points, n, s.model.sampleShape, sampleLabels(s.model.numClasses, draw), rows?.cols, stale);
    const seconds = (performance.now() - began) / 1000;
    io.err(`${n} samples (${describeSampler(choice)}, step ${loaded.meta.step}) in ${seconds.toFixed(1)}s\n`);
    io.out(`${written.join('\n')}\n`);
  } finally {
    o.dispose(Object.values(s.params));
  }
}
