/**
 * Drawing samples from a run in data coordinates: the one path used by `sample`, `eval`, the
 * quickstart and the sample previews written at checkpoints.
 */
import {
  consistencyTimes,
  createModel,
  drawnLabels,
  generate,
  T_MID,
  TOY2D_RECIPE,
  tMaxFor,
  toDevice,
  toy2dSource,
  type CheckpointMeta,
  type DataSource,
  type GenerateOptions,
  type Model,
  type RunInfo,
  type SamplerName,
  type TrainMode,
} from '@scm/core';
import type { Ops } from '../backends/backend.js';
import { RunError, UsageError } from '../options/errors.js';
import { imageDataOf, isImageRun } from '../data/images.js';
import { optNumber, parseChoice, str, type OptionValues } from '../options/args.js';
import { WEIGHTS, type LoadedRun, type Weights } from '../run/run-folder.js';

export const SAMPLERS: readonly SamplerName[] = ['consistency', 'ddim', 'heun', 'dpm2'];
export const TEACHER_SAMPLERS: readonly SamplerName[] = ['ddim', 'heun', 'dpm2'];

/** A model with weights on the device, ready to sample. */
export interface Sampleable {
  readonly info: RunInfo;
  readonly model: Model;
  readonly params: Record<string, unknown>;
  readonly data: DataSource;
}

export interface SamplerChoice {
  readonly sampler: SamplerName;
  /** Consistency steps. */
  readonly steps?: number;
  /** Teacher samplers' evaluation budget. */
  readonly nfe?: number;
  /** Consistency sampling of 2 or more steps: the first intermediate time (default the paper's T_MID). */
  readonly midT?: number;
}

export interface DrawOptions extends SamplerChoice {
  readonly n: number;
  readonly seed: number;
  /** Conditional models: one class for all samples; default: classes drawn uniformly. */
  readonly classLabel?: number;
  /** Classifier-free guidance scale (teacher) or guidance input (CFG-distilled student). */
  readonly guidance?: number;
  /** Conditional models: the label of each of the n samples (overrides classLabel). */
  readonly labels?: Int32Array;
  /** Progress: called after each batch with the samples drawn so far. */
  readonly onBatch?: (done: number) => void;
  /** Progress inside a batch: called after each network evaluation (eager backends). */
  readonly onEvaluation?: () => void;
}

export function dataOf(info: RunInfo): DataSource {
  if (isImageRun(info)) return imageDataOf(info);
  try {
    return toy2dSource(info.data.name, { sigmaD: info.train.sigmaD, conditional: info.data.conditional });
  } catch (e) {
    throw new RunError(`the run's data cannot be loaded: ${(e as Error).message}`);
  }
}

/** --weights: the EMA unless told otherwise. */
export function optWeights(values: OptionValues): Weights {
  const raw = str(values, 'weights');
  return raw === undefined ? 'ema' : parseChoice('weights', raw, WEIGHTS);
}

/** How a report names the weights it sampled. */
export const weightsLabel = (w: Weights) => (w === 'ema' ? 'EMA weights' : 'raw weights');

/** The run's EMA (or raw) weights on the device (dispose with `o.dispose(Object.values(s.params))`). */
export function openForSampling(o: Ops, run: LoadedRun, weights: Weights = 'ema'): Sampleable {
  return { info: run.meta, model: createModel(run.meta.model), params: toDevice(o, run.state[weights]), data: dataOf(run.meta) };
}

export function defaultSampler(mode: TrainMode): SamplerChoice {
  return mode === 'teacher' ? { sampler: 'heun', nfe: 35 } : { sampler: 'consistency', steps: 2 };
}

export function nfeOf(c: SamplerChoice): number {
  return c.sampler === 'consistency' ? (c.steps ?? 1) : (c.nfe ?? 0);
}

export function describeSampler(c: SamplerChoice): string {
  return c.sampler === 'consistency' ? describeConsistency(c.steps, c.midT) : `${c.sampler} ${c.nfe} NFE`;
}

/** "consistency 2-step", naming the intermediate time where it is not the paper's. */
export function describeConsistency(steps = 1, midT?: number): string {
  return `consistency ${steps}-step${midT !== undefined && midT !== T_MID ? `, t_mid ${midT}` : ''}`;
}

/** What generate() takes as consistency steps: the count, or the times when the intermediate time is moved. */
export function consistencySteps(c: SamplerChoice, sigmaD: number): number | number[] {
  return c.midT === undefined ? (c.steps ?? 1) : consistencyTimes(c.steps ?? 1, sigmaD, c.midT);
}

/** --mid-t: a time in (0, pi/2); checkMidT checks it against the run's t_max and steps once the run is loaded. */
export function optMidT(values: OptionValues): number | undefined {
  const t = optNumber(values, 'mid-t');
  if (t !== undefined && !(t > 0 && t < Math.PI / 2)) throw new UsageError(`--mid-t must be a time in (0, pi/2), got ${t}`);
  return t;
}

/** The consistency rows of an evaluation: one per step count, the moved intermediate time on those of 2 or more steps. */
export function consistencyChoices(steps: readonly number[], midT: number | undefined): SamplerChoice[] {
  return steps.map((n) => ({ sampler: 'consistency' as const, steps: n, ...(midT !== undefined && n >= 2 ? { midT } : {}) }));
}

/** --mid-t's help, shared by the commands that sample. */
export const MID_T_HELP = `consistency sampling of 2 or more steps: the intermediate time (default ${TOY2D_RECIPE.midT} for 2-D runs, which it keeps sharper; images: ${T_MID}, the paper's)`;

/** Rejects sampler settings that do not fit the run (a usage error naming the mismatch). */
export function checkSamplerFits(c: SamplerChoice, meta: CheckpointMeta, dir: string): void {
  const teacher = meta.train.mode === 'teacher';
  if (c.sampler === 'consistency' && teacher) {
    throw new UsageError(`${dir} is a diffusion teacher run: sample it with --sampler ${TEACHER_SAMPLERS.join('|')} (consistency sampling needs an sCD or sCT run)`);
  }
  if (c.sampler !== 'consistency' && !teacher) {
    throw new UsageError(`${dir} is a consistency (${meta.train.mode}) run: sample it with --sampler consistency; ${c.sampler} is a teacher (ODE) sampler`);
  }
  if (c.midT !== undefined) checkMidT(c.midT, c.steps ?? 1, meta.train.sigmaD);
}

/** The intermediate time must follow t_max and have a step to start: a usage error otherwise. */
export function checkMidT(midT: number, maxSteps: number, sigmaD: number): void {
  if (maxSteps < 2) throw new UsageError('--mid-t is the intermediate time of 2 or more consistency steps; 1 step samples at t_max only');
  const tMax = tMaxFor(sigmaD);
  if (!(midT < tMax)) throw new UsageError(`--mid-t must come after t_max = ${tMax.toFixed(4)} (sigma_d ${sigmaD}), got ${midT}`);
}

export function checkConditioning(opts: Pick<DrawOptions, 'classLabel' | 'guidance'>, s: Pick<Sampleable, 'model' | 'info'>, dir: string): void {
  const classes = s.model.numClasses;
  if (opts.classLabel !== undefined) {
    if (classes === 0) throw new UsageError(`--class needs a class-conditional run; ${dir} is unconditional`);
    if (opts.classLabel >= classes) throw new UsageError(`--class ${opts.classLabel} is out of range: ${dir} has classes 0..${classes - 1}`);
  }
  if (opts.guidance !== undefined) {
    if (classes === 0) throw new UsageError(`--guidance needs a class-conditional run; ${dir} is unconditional`);
    const max = s.info.train.guidanceMax;
    if (s.model.guidanceInput && (opts.guidance < 1 || opts.guidance > max)) {
      throw new UsageError(`--guidance ${opts.guidance} is outside the range [1, ${max}] that ${dir} was distilled for`);
    }
  }
}

/** The class labels of n samples of a model with `classes` classes: --class for all, or drawn uniformly from the seed. */
export function sampleLabels(classes: number, opts: Pick<DrawOptions, 'n' | 'seed' | 'classLabel' | 'labels'>): Int32Array | undefined {
  if (classes === 0) return undefined;
  if (opts.labels) return opts.labels;
  return opts.classLabel !== undefined ? new Int32Array(opts.n).fill(opts.classLabel) : drawnLabels(classes, opts.n, opts.seed);
}

/** What core's generate takes for a draw, on any engine: the sampler and its budget, the seed, labels, guidance and progress. */
export function generateOptions(opts: DrawOptions, sigmaD: number, classes: number): GenerateOptions {
  const labels = sampleLabels(classes, opts);
  return {
    sampler: opts.sampler,
    ...(opts.sampler === 'consistency' ? { steps: consistencySteps(opts, sigmaD) } : {}),
    ...(opts.nfe !== undefined ? { nfe: opts.nfe } : {}),
    n: opts.n,
    seed: opts.seed,
    ...(labels ? { labels } : {}),
    ...(opts.guidance !== undefined ? { guidance: opts.guidance } : {}),
    ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
    ...(opts.onEvaluation ? { onEvaluation: opts.onEvaluation } : {}),
  };
}

/** n samples in data coordinates: interleaved (x, y) for 2-D runs, [n, H, W, C] images in [-1, 1] (unclipped) for image runs. */
export async function drawSamples(o: Ops, s: Sampleable, opts: DrawOptions): Promise<Float32Array> {
  const x = await generate(o, s.model, s.params, s.info.train.sigmaD, generateOptions(opts, s.info.train.sigmaD, s.model.numClasses));
  return s.data.toData(x);
}

export function toCsv(points: Float32Array): string {
  const rows = ['x,y'];
  const fmt = (v: number) => String(Number(v.toPrecision(9)));
  for (let i = 0; i + 1 < points.length; i += 2) rows.push(`${fmt(points[i])},${fmt(points[i + 1])}`);
  return `${rows.join('\n')}\n`;
}
