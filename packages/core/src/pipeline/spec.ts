/**
 * What a pipeline knows of a model: its run (network, training and data configs), how its samples
 * map to data units, its classes, its guidance range and the exported samplers it ships. A model
 * package's config.json is a {@link ModelSpec}; a run folder's checkpoint gives one too.
 */
import { createModel, type Model } from '../models/index.js';
import { toy2dSource } from '../data/index.js';
import { T_MID } from '../samplers/index.js';
import type { CheckpointMeta, RunInfo } from '../train/index.js';

/** The `format` of a model package's config.json and lean weights. */
export const MODEL_FORMAT = 'scm-ts/model@1';

/** A run as a model package records it: RunInfo and the step its weights are from. */
export type ModelRun = RunInfo & {
  /** Training steps the weights had taken. */
  readonly step: number;
};

/** A model package's config.json. */
export interface ModelSpec {
  /** Always {@link MODEL_FORMAT}. */
  readonly format: typeof MODEL_FORMAT;
  /** The model's name ("mnist"). */
  readonly name: string;
  /** The run the weights come from. */
  readonly run: ModelRun;
  /** Names of the classes of a class-conditional model, in label order. */
  readonly classNames?: readonly string[];
  /** The guidance scale generate() uses when none is given (the model card's recommendation). */
  readonly defaultGuidance?: number;
  /** The intermediate time of 2-step sampling that the model was exported and evaluated with. */
  readonly midT?: number;
  /** The EMA weights as float32 safetensors, relative to config.json. */
  readonly weights: string;
  /** Exported sampler graphs by number of steps ("1", "2"), relative to config.json. */
  readonly samplers?: Readonly<Record<string, string>>;
}

/** How samples in model units map to what generate() returns. */
export interface DataUnits {
  /** 'image': [n, h, w, c] in [0, 1]; 'points': [n, d] in data coordinates. */
  readonly kind: 'image' | 'points';
  /** One sample's shape in the output. */
  readonly shape: readonly number[];
  /** Data units = model units / scale + mean (mean over the last axis); images' data units are [-1, 1]. */
  readonly scale: number;
  /** The data's mean, one entry per last-axis coordinate. */
  readonly mean: readonly number[];
}

/** A model that cannot be used: a spec or checkpoint without what a pipeline needs. */
export class ModelSpecError extends Error {
  constructor(detail: string) {
    super(`model: ${detail}`);
    this.name = 'ModelSpecError';
  }
}

/** The fields of an image run's data config that unit conversion reads (the CLI records them). */
interface ImageData {
  readonly kind: 'image';
  readonly imageSize: number;
  readonly channels: number;
  readonly dataStd: number;
}

const isImageData = (d: object): d is ImageData => (d as { kind?: string }).kind === 'image';

/** The map from model units to data units of a run, from its data config alone. */
export function dataUnits(run: RunInfo): DataUnits {
  const sigmaD = run.train.sigmaD;
  const d = run.data;
  if (isImageData(d)) {
    if (!(d.dataStd > 0)) throw new ModelSpecError(`its image data records no positive dataStd (${String(d.dataStd)})`);
    return { kind: 'image', shape: [d.imageSize, d.imageSize, d.channels], scale: sigmaD / d.dataStd, mean: new Array<number>(d.channels).fill(0) };
  }
  let affine;
  try {
    affine = toy2dSource(d.name, { sigmaD, conditional: d.conditional }).affine;
  } catch (e) {
    throw new ModelSpecError(`its data "${d.name}" is neither an image set nor a known 2-D distribution (${(e as Error).message})`);
  }
  if (!affine) throw new ModelSpecError(`its data "${d.name}" has no affine map to data coordinates`);
  return { kind: 'points', shape: [2], scale: affine.scale, mean: affine.mean };
}

/** The guidance scales a model takes: a student's trained [1, guidanceMax], a teacher's CFG [0, inf); undefined without guidance. */
export function guidanceRange(run: RunInfo): readonly [number, number] | undefined {
  if (run.model.guidanceInput) return [1, run.train.guidanceMax];
  return run.model.numClasses > 0 ? [0, Infinity] : undefined;
}

/** The spec of a run folder's checkpoint: no class names beyond the labels' numbers, no shipped samplers. */
export function specOfCheckpoint(meta: CheckpointMeta, name: string): ModelSpec {
  const { model, train, data, step } = meta;
  return { format: MODEL_FORMAT, name, run: { model, train, data, step, ...(meta.teacher ? { teacher: meta.teacher } : {}) }, weights: 'checkpoint.safetensors' };
}

/**
 * Checks a parsed config.json (or lean weights' metadata) and builds its model: errors name the
 * field, so a hand-edited or truncated config says what is wrong.
 */
export function checkSpec(value: unknown): {
  /** The spec, checked. */
  spec: ModelSpec;
  /** Its network. */
  model: Model;
  /** How its samples map to data units. */
  units: DataUnits;
} {
  const s = value as Partial<ModelSpec> | null;
  if (typeof s !== 'object' || s === null) throw new ModelSpecError('config is not a JSON object');
  if (s.format !== MODEL_FORMAT) throw new ModelSpecError(`config format ${JSON.stringify(s.format ?? null)} is not "${MODEL_FORMAT}"`);
  if (typeof s.name !== 'string') throw new ModelSpecError('config lacks a "name"');
  if (typeof s.weights !== 'string') throw new ModelSpecError('config lacks "weights" (the weights file)');
  const run = s.run;
  if (!run || typeof run !== 'object' || !run.model || !run.train || !run.data) throw new ModelSpecError('config lacks "run" with its model, train and data');
  let model: Model;
  try {
    model = createModel(run.model);
  } catch (e) {
    throw new ModelSpecError(`its network config is invalid: ${(e as Error).message}`);
  }
  const units = dataUnits(run);
  const classes = model.numClasses;
  if (s.classNames !== undefined && (!Array.isArray(s.classNames) || s.classNames.length !== classes || !s.classNames.every((c) => typeof c === 'string'))) {
    throw new ModelSpecError(`classNames must be ${classes} strings, one per class`);
  }
  const range = guidanceRange(run);
  if (s.defaultGuidance !== undefined && !(range && s.defaultGuidance >= range[0] && s.defaultGuidance <= range[1])) {
    throw new ModelSpecError(`defaultGuidance ${s.defaultGuidance} is outside the model's guidance range ${range ? `[${range.join(', ')}]` : '(none)'}`);
  }
  if (s.midT !== undefined && !(s.midT > 0 && s.midT < Math.PI / 2)) throw new ModelSpecError(`midT ${s.midT} is not a time in (0, pi/2)`);
  for (const [steps, file] of Object.entries(s.samplers ?? {})) {
    if (!/^[1-9]\d*$/.test(steps) || typeof file !== 'string') throw new ModelSpecError(`samplers must map step counts to file names, got ${JSON.stringify(steps)}: ${JSON.stringify(file)}`);
  }
  return { spec: s as ModelSpec, model, units };
}

/** The intermediate time 2-step sampling uses by default: the spec's, else the paper's. */
export const specMidT = (spec: ModelSpec): number => spec.midT ?? T_MID;
