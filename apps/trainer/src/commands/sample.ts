/** scm sample: draw samples from a run's EMA weights into a CSV, a PNG (scatter plot or image grid) or a .npy array. */
import { createModel } from '@scm/core';
import {
  BACKENDS,
  commonOptions,
  optInteger,
  optNumber,
  parseChoice,
  requireStr,
  str,
  type CommandHelp,
  type OptionSpecs,
  type OptionValues,
} from '../args.js';
import { openBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { drawSamplesOn } from '../onnx-backend.js';
import { isImageRun } from '../images.js';
import { checkSampleCount } from '../limits.js';
import { samplingProgress } from '../progress.js';
import { loadRun } from '../run-folder.js';
import { checkOutput, IMAGE_SAMPLE_N, writeSamples } from '../sample-output.js';
import {
  checkConditioning,
  checkSamplerFits,
  defaultSampler,
  describeSampler,
  drawSamples,
  openForSampling,
  sampleLabels,
  SAMPLERS,
  type SamplerChoice,
} from '../sampling.js';

const DEFAULT_N = 10000;

const OPTIONS: OptionSpecs = {
  run: { type: 'string', value: 'DIR', help: 'run folder to sample (its EMA weights)' },
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
  steps: { type: 'string', value: 'N', help: 'consistency sampling steps (default 2)' },
  nfe: { type: 'string', value: 'K', help: 'teacher samplers: network evaluations (default 35 for heun and dpm2, 8 for ddim)' },
  class: { type: 'string', value: 'L', help: 'class-conditional runs: sample class L only (default: classes drawn uniformly)' },
  guidance: { type: 'string', value: 'S', help: 'class-conditional runs: classifier-free guidance scale (teacher) or guidance input (sCD student, 1..2)' },
};

export const help: CommandHelp = {
  name: 'sample',
  summary: 'Draw samples from a trained run (EMA weights) and write them as CSV, a PNG (scatter plot or image grid) or .npy.',
  usage: '--run DIR --out FILE.csv|FILE.png|FILE.npy [--n N] [--steps N | --sampler NAME --nfe K] [options]',
  options: OPTIONS,
  notes: [
    'Example: scm sample --run runs/cb-scd --steps 2 --n 10000 --out samples.png',
    'Images:  scm sample --run models/mnist-scd --steps 1 --class 7 --guidance 1.5 --n 64 --out grid.png',
    '--backend onnx samples with an exported sampler graph on ONNX Runtime (consistency sampling, or a teacher\'s ODE\n' +
      'sampler with its network evaluations unrolled): the same noise and labels as the other backends for a seed, so the\n' +
      'same samples up to float32 rounding.',
  ],
};

/** --sampler/--steps/--nfe, checked against each other (the run's kind is checked once it is loaded). */
export function samplerOption(values: OptionValues): Partial<SamplerChoice> {
  const name = str(values, 'sampler');
  const sampler = name === undefined ? undefined : parseChoice('sampler', name, SAMPLERS, 'sampler');
  const steps = optInteger(values, 'steps');
  const nfe = optInteger(values, 'nfe');
  if (steps !== undefined && sampler !== undefined && sampler !== 'consistency') throw new UsageError(`--steps is for consistency sampling; give ${sampler} its budget with --nfe`);
  if (nfe !== undefined && sampler === 'consistency') throw new UsageError('--nfe is for teacher samplers; give consistency sampling its budget with --steps');
  if (steps !== undefined && nfe !== undefined) throw new UsageError('give either --steps (consistency sampling) or --nfe (teacher samplers), not both');
  const inferred = sampler ?? (steps !== undefined ? 'consistency' : undefined);
  return { ...(inferred ? { sampler: inferred } : {}), ...(steps !== undefined ? { steps } : {}), ...(nfe !== undefined ? { nfe } : {}) };
}

export async function run(values: OptionValues, io: Io): Promise<void> {
  const common = commonOptions(values, BACKENDS);
  const dir = requireStr(values, 'run', help.name);
  const out = requireStr(values, 'out', help.name);
  checkOutput(out, false);
  const nGiven = optInteger(values, 'n');
  const chosen = samplerOption(values);
  const classLabel = optInteger(values, 'class', 0);
  const guidance = optNumber(values, 'guidance');

  const loaded = await loadRun(dir);
  checkOutput(out, isImageRun(loaded.meta), dir);
  const n = nGiven ?? (isImageRun(loaded.meta) ? IMAGE_SAMPLE_N : DEFAULT_N);
  const fallback = defaultSampler(loaded.meta.train.mode);
  const sampler = chosen.sampler ?? fallback.sampler;
  const choice: SamplerChoice =
    sampler === 'consistency'
      ? { sampler, steps: chosen.steps ?? 2 }
      : { sampler, nfe: chosen.nfe ?? (sampler === 'ddim' ? 8 : 35) };
  checkSamplerFits(choice, loaded.meta, dir);
  checkSampleCount(n, createModel(loaded.meta.model).sampleShape);
  const o = await openBackend(common.backend);
  const s = openForSampling(o, loaded);
  try {
    checkConditioning({ classLabel, guidance }, s, dir);
    const began = performance.now();
    const progress = samplingProgress(io, n, began);
    const draw = { ...choice, n, seed: common.seed, classLabel, guidance, onBatch: progress.onBatch };
    const points = await drawSamplesOn(common.backend, o, s, loaded, 'ema', draw);
    progress.done();
    const written = await writeSamples(out, points, n, s.model.sampleShape, sampleLabels(s.model.numClasses, draw));
    const seconds = (performance.now() - began) / 1000;
    io.err(`${n} samples (${describeSampler(choice)}, step ${loaded.meta.step}) in ${seconds.toFixed(1)}s\n`);
    io.out(`${written.join('\n')}\n`);
  } finally {
    o.dispose(Object.values(s.params));
  }
}
