/**
 * Drawing n samples from a trained model with any sampler, in batches: the one entry point the CLI,
 * the benchmarks and evaluations use. Noise comes from a seeded stream, so a seed gives the same
 * samples on every backend.
 */
import type { TensorOps } from '../tensor/ops.js';
import { Rng } from '../random/index.js';
import { oneHotLabels, type Conditioning, type Model } from '../models/model.js';
import { guidedField, modelField, type Field } from '../trigflow/field.js';
import { edmGrid, tMaxFor, uniformGrid } from '../trigflow/schedule.js';
import { stepsForNfe, teacherSamplers, type TeacherSampler } from '../trigflow/samplers.js';
import { consistencySample, consistencyTimes } from './consistency.js';

/** 'consistency' for consistency models (1, 2 or N steps), or a teacher ODE sampler. */
export type SamplerName = 'consistency' | TeacherSampler;

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Which sampler; it must fit the model (consistency sampling for sCT/sCD runs). */
  readonly sampler: SamplerName;
  /** Consistency steps (1, 2, N or explicit times). */
  readonly steps?: number | readonly number[];
  /** Teacher samplers: the evaluation budget (DDIM on a uniform grid, Heun and DPM-Solver-2 on the EDM grid). */
  readonly nfe?: number;
  /** Number of samples; positive integer. */
  readonly n: number;
  /** Seed of the noise stream: the same seed gives the same samples on every backend. */
  readonly seed: number;
  /** Samples per network call (default: defaultSampleBatch). */
  readonly batch?: number;
  /** Class labels for conditional models (length n); -1 is the null class. */
  readonly labels?: Int32Array;
  /** Classifier-free guidance scale (teacher) or the guidance input (students distilled with CFG). */
  readonly guidance?: number;
  /** Called after each batch with the number of samples drawn so far: progress for long runs. */
  readonly onBatch?: (done: number) => void;
  /** Called after each network evaluation of a batch: progress inside a batch of many steps. */
  readonly onEvaluation?: () => void;
}

/**
 * generate()'s chunk size when none is given: large for points (an MLP's activations are small),
 * 100 for images, whose U-Net activations are hundreds of times larger per sample. The noise is
 * drawn chunk by chunk, so a seed's samples depend on it: callers that must reproduce samples
 * elsewhere (an exported sampler fed the same noise) use the same chunking.
 */
export function defaultSampleBatch(sampleShape: readonly number[]): number {
  return sampleShape.length > 1 ? 100 : 4096;
}

/**
 * Whether generate() applies `guidance` as classifier-free guidance, evaluating the network on the
 * label and on the null label at every step (twice the work): for class-conditional models without
 * a guidance input (teachers, and consistency models trained without one) at a scale other than 1.
 */
export function appliesCfg(model: Model, guidance: number | undefined): boolean {
  return model.numClasses > 0 && !model.guidanceInput && guidance !== undefined && guidance !== 1;
}

/**
 * The time grid a teacher sampler walks for an evaluation budget (default 8 for DDIM, 35 otherwise):
 * DDIM on a uniform grid from t_max, Heun and DPM-Solver-2 on the EDM grid. Exported samplers use it
 * too, so they walk generate()'s grid.
 */
export function teacherGrid(sampler: TeacherSampler, nfe: number | undefined, sigmaD: number): number[] {
  return sampler === 'ddim' ? uniformGrid(stepsForNfe('ddim', nfe ?? 8), tMaxFor(sigmaD)) : edmGrid(stepsForNfe(sampler, nfe ?? 35), sigmaD);
}

/** Noise draws per sample: one per consistency time, one (z0) for a teacher sampler's ODE. */
export const noiseDraws = (times: readonly number[]): number => Math.max(times.length, 1);

function field<T>(o: TensorOps<T>, model: Model, params: Record<string, T>, sigmaD: number, labels: T | undefined, opts: GenerateOptions, n: number): Field<T> {
  if (model.numClasses > 0 && !labels) throw new Error('this model is class-conditional: pass labels');
  const guidance = opts.guidance ?? 1;
  if (model.guidanceInput) {
    const cond: Conditioning<T> = { ...(labels ? { labels } : {}), guidance: o.fill([n], guidance) };
    return modelField(o, model, params, sigmaD, cond);
  }
  if (labels && appliesCfg(model, guidance)) return guidedField(o, model, params, sigmaD, labels, guidance);
  return modelField(o, model, params, sigmaD, labels ? { labels } : {});
}

/**
 * Draws `opts.n` samples from a trained model in batches, with noise from a seeded stream.
 *
 * @param params - The weights to sample from (the EMA weights, normally).
 * @param sigmaD - The data's std the model was trained with.
 * @returns n samples, row-major [n, ...model.sampleShape], in model units (a data source's
 *   `toData` maps them back to data coordinates).
 * @throws Error when n is not a positive integer, the labels' count is not n, or a class-conditional
 *   model gets no labels.
 */
export async function generate<T>(o: TensorOps<T>, model: Model, params: Record<string, T>, sigmaD: number, opts: GenerateOptions): Promise<Float32Array> {
  if (!Number.isInteger(opts.n) || opts.n < 1) throw new Error(`the number of samples must be a positive integer, got ${opts.n}`);
  if (opts.labels && opts.labels.length !== opts.n) throw new Error(`got ${opts.labels.length} labels for ${opts.n} samples`);
  const batch = Math.min(opts.batch ?? defaultSampleBatch(model.sampleShape), opts.n);
  const dim = model.sampleShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(opts.seed);
  const times = opts.sampler === 'consistency' ? consistencyTimes(opts.steps ?? 1, sigmaD) : [];
  const grid = opts.sampler === 'consistency' ? [] : teacherGrid(opts.sampler, opts.nfe, sigmaD);
  const out = new Float32Array(opts.n * dim);
  for (let start = 0; start < opts.n; start += batch) {
    const n = Math.min(batch, opts.n - start);
    const shape = [n, ...model.sampleShape];
    const noise = Array.from({ length: noiseDraws(times) }, () => rng.normal(n * dim));
    const x = o.tidy(() => {
      const labels = opts.labels ? o.fromArray(oneHotLabels(opts.labels.subarray(start, start + n), model.numClasses), [n, model.numClasses + 1]) : undefined;
      const network = field(o, model, params, sigmaD, labels, opts, n);
      const onEvaluation = opts.onEvaluation;
      const f: Field<T> = onEvaluation
        ? (xt, t) => {
            const y = network(xt, t);
            onEvaluation();
            return y;
          }
        : network;
      const z = noise.map((v) => o.fromArray(v, shape));
      if (opts.sampler === 'consistency') return consistencySample(o, f, z, times, sigmaD);
      return teacherSamplers[opts.sampler](o, f, o.mul(z[0], o.fill([], sigmaD)), grid, sigmaD);
    });
    out.set(await o.read(x), start * dim);
    o.dispose(x);
    opts.onBatch?.(start + n);
  }
  return out;
}
