/**
 * A whole sampler as one ONNX graph, noise in, samples out: a 1-, 2- or N-step consistency sampler,
 * or a teacher's ODE sampler (DDIM, Heun, DPM-Solver-2) with every network evaluation unrolled, so
 * that evaluating a teacher costs one session run per batch instead of an eager op per layer and step.
 */
import {
  consistencySample,
  consistencyTimes,
  guidedField,
  modelField,
  noiseDraws,
  teacherGrid,
  teacherSamplers,
  toDevice,
  type Field,
  type HostParams,
  type Model,
  type SamplerName,
  type Sym,
  type TraceOps,
} from '@scm/core';
import { guidanceRangeEntry, LABEL_INPUT, modelMetadata } from '../metadata.js';
import { guidanceInput, labelInput } from './conditioning.js';
import { checkExportArguments } from './arguments.js';
import { exportTrace } from './trace.js';

/** Model units to data coordinates, x / scale + mean (mean per last-axis coordinate): a data source's toData for points. */
export interface DataTransform {
  /** Model units per data unit (the source's sigmaD / dataStd); finite and non-zero. */
  readonly scale: number;
  /** The data's mean per last-axis coordinate, added back after dividing by scale. */
  readonly mean: readonly number[];
}

/** Options of {@link exportSampler}. */
export interface SamplerExportOptions {
  /** 'consistency' (the default) or a teacher ODE sampler, as in core's generate(). */
  readonly sampler?: SamplerName;
  /** Consistency sampling: 1 (the default), 2 (t_max then 1.1), N, or explicit decreasing times. */
  readonly steps?: number | readonly number[];
  /** Teacher samplers: the evaluation budget (default 8 for DDIM, 35 for Heun and DPM-Solver-2). */
  readonly nfe?: number;
  /** TrigFlow's sigma_d: the std of the input noise and the model's output scale. */
  readonly sigmaD: number;
  /**
   * A guidance scale fixed in the graph. Omitted, models that take guidance (class-conditional ones
   * through classifier-free guidance, students distilled with it through their guidance input)
   * read it per example from a `guidance` [batch] input. For class-conditional models a fixed 1
   * evaluates the conditional network alone, without the guidance batch.
   */
  readonly guidance?: number;
  /** A fixed batch size; omitted, the model takes any batch. */
  readonly batch?: number;
  /** Applied to the samples in the graph, so that `x` comes out in data coordinates. */
  readonly dataTransform?: DataTransform;
  /**
   * The guidance scales the network was trained for (an sCD student's [1, guidanceMax]): recorded in
   * the model, so that OnnxSampler refuses a scale outside them, and checked against a fixed `guidance`.
   */
  readonly guidanceRange?: readonly [number, number];
}

function samplerField(tr: TraceOps, model: Model, params: Record<string, Sym>, n: number, options: SamplerExportOptions): Field<Sym> {
  const { sigmaD, guidance } = options;
  const labels = labelInput(tr, model, n);
  if (model.guidanceInput) {
    const scale = guidance === undefined ? guidanceInput(tr, n) : tr.fill([n], guidance);
    return modelField(tr, model, params, sigmaD, { ...(labels ? { labels } : {}), guidance: scale });
  }
  if (!labels) {
    if (guidance !== undefined) throw new Error('exportSampler: this model is unconditional and takes no guidance');
    return modelField(tr, model, params, sigmaD);
  }
  if (guidance === 1) return modelField(tr, model, params, sigmaD, { labels });
  return guidedField(tr, model, params, sigmaD, labels, guidance ?? guidanceInput(tr, n));
}

function toData(tr: TraceOps, x: Sym, model: Model, { scale, mean }: DataTransform): Sym {
  const width = model.sampleShape[model.sampleShape.length - 1];
  if (!Number.isFinite(scale) || scale === 0) throw new Error(`exportSampler: dataTransform.scale must be finite and non-zero, got ${scale}`);
  if (mean.length !== width) throw new Error(`exportSampler: dataTransform.mean has ${mean.length} entries for samples of width ${width}`);
  return tr.add(tr.div(x, tr.fill([], scale)), tr.fromArray(Float32Array.from(mean), [width]));
}

/**
 * Inputs: z0, z1, ... standard-normal noise [batch, ...sampleShape], one per consistency step (a
 * teacher sampler takes z0 alone; the graph scales it by sigma_d); int64 `label` [batch] (-1: the
 * null class) for class-conditional models; `guidance` [batch] where it is not fixed. Output: `x`
 * [batch, ...sampleShape]. Metadata: `scm.times` (consistency) or `scm.sampler` and `scm.grid`.
 *
 * @throws Error for consistency steps given to a teacher sampler or an NFE to a consistency one.
 */
export function exportSampler(model: Model, params: HostParams, options: SamplerExportOptions): Uint8Array {
  checkExportArguments('exportSampler', model, params, options);
  const sampler = options.sampler ?? 'consistency';
  if (sampler === 'consistency' && options.nfe !== undefined) throw new Error('exportSampler: nfe is for teacher samplers; consistency sampling takes steps');
  if (sampler !== 'consistency' && options.steps !== undefined) throw new Error(`exportSampler: steps are for consistency sampling; ${sampler} takes nfe`);
  const times = sampler === 'consistency' ? consistencyTimes(options.steps ?? 1, options.sigmaD) : [];
  const grid = sampler === 'consistency' ? [] : teacherGrid(sampler, options.nfe, options.sigmaD);
  const range = guidanceRangeEntry(options.guidanceRange);
  const [lo, hi] = options.guidanceRange ?? [0, Infinity];
  if (options.guidance !== undefined && !(options.guidance >= lo && options.guidance <= hi)) {
    throw new RangeError(`exportSampler: guidance ${options.guidance} is outside [${lo}, ${hi}], the scales this model was trained for`);
  }
  return exportTrace(
    (tr, n) => {
      const noise = Array.from({ length: noiseDraws(times) }, (_, i) => tr.input(`z${i}`, [n, ...model.sampleShape]));
      const field = samplerField(tr, model, toDevice(tr, params), n, options);
      const x =
        sampler === 'consistency'
          ? consistencySample(tr, field, noise, times, options.sigmaD)
          : teacherSamplers[sampler](tr, field, tr.mul(noise[0], tr.fill([], options.sigmaD)), grid, options.sigmaD);
      return { x: options.dataTransform ? toData(tr, x, model, options.dataTransform) : x };
    },
    {
      batch: options.batch,
      int64Inputs: [LABEL_INPUT],
      name: 'scm_sampler',
      metadata: {
        ...modelMetadata('sampler', model, options.sigmaD),
        ...(sampler === 'consistency' ? { 'scm.times': JSON.stringify(times) } : { 'scm.sampler': sampler, 'scm.grid': JSON.stringify(grid) }),
        ...range,
      },
    },
  );
}
