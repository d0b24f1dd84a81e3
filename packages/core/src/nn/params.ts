/**
 * Parameters live on the host as named float32 arrays (the checkpoint format) and on a backend as a
 * flat record of tensors with the same names ("blocks.0.fc0.weight").
 */
import type { TensorOps } from '../tensor/ops.js';
import { checkData } from '../tensor/shape.js';
import type { Rng } from '../random/index.js';

/** A float32 tensor on the host: row-major data with its shape. */
export interface HostTensor {
  /** Dimensions; [] for a scalar. */
  readonly shape: readonly number[];
  /** The values, row-major; length = product of shape. */
  readonly data: Float32Array;
}

/** A parameter record on the host, by dotted name ("blocks.0.fc0.weight"): what checkpoints store. */
export type HostParams = Record<string, HostTensor>;

/**
 * The one order of a parameter tree's names (by UTF-16 code units, the checkpoint's order). Float32
 * sums over a tree depend on the order of their terms, so a run that walked its tree in insertion
 * order would compute differently after a reload; tensor records are built, and reductions over
 * them walk, in this order.
 */
export function canonicalNames(tree: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(tree).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Uploads host params; the record's names are in canonical order, whatever the order of `host`. */
export function toDevice<T>(o: TensorOps<T>, host: HostParams): Record<string, T> {
  return Object.fromEntries(canonicalNames(host).map((k) => [k, o.fromArray(host[k].data, host[k].shape)]));
}

/** Reads every tensor of `params` back from the backend as float32 host tensors. */
export async function toHost<T>(o: TensorOps<T>, params: Record<string, T>): Promise<HostParams> {
  const entries = await Promise.all(
    Object.entries(params).map(async ([k, v]) => [k, { shape: [...o.shape(v)], data: Float32Array.from(await o.read(v)) }] as const),
  );
  return Object.fromEntries(entries);
}

/**
 * A host tensor (the shape copied, the data not).
 *
 * @throws ShapeError when data.length does not fill the shape.
 */
export function hostTensor(shape: readonly number[], data: Float32Array): HostTensor {
  checkData('hostTensor', data.length, shape);
  return { shape: [...shape], data };
}

/** A host tensor of zeros. */
export const zeros = (shape: readonly number[]): HostTensor => hostTensor(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)));

/** N(0, (gain^2) / fanIn) weights: variance-preserving for a linear map of unit-variance inputs. */
export function normalInit(rng: Rng, shape: readonly number[], fanIn: number, gain = 1): HostTensor {
  const z = rng.normal(shape.reduce((a, b) => a * b, 1));
  const s = gain / Math.sqrt(fanIn);
  for (let i = 0; i < z.length; i++) z[i] *= s;
  return hostTensor(shape, z);
}

/**
 * A parameter before it is drawn: its shape and how {@link normalInit} draws it (gain 0: zeros,
 * which draw nothing). Models describe their parameters this way so that their count and shapes
 * are known without allocating them, and init draws them from the same description.
 */
export interface ParamSpec {
  /** Dimensions, as the drawn tensor has them. */
  readonly shape: readonly number[];
  /** Inputs per output unit: the weights are N(0, gain^2 / fanIn). */
  readonly fanIn: number;
  /** 0 for zeros (biases, zero-initialised layers), which draw nothing from the stream. */
  readonly gain: number;
}

/** Parameter descriptions by name, in the order init draws them. */
export type ParamSpecs = Record<string, ParamSpec>;

/** Draws every parameter of `specs` in its insertion order, the order a model's init is defined by. */
export function drawParams(rng: Rng, specs: ParamSpecs): HostParams {
  return Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [name, s.gain === 0 ? zeros(s.shape) : normalInit(rng, s.shape, s.fanIn, s.gain)]),
  );
}

/** The number of values `specs` holds. */
export const countParams = (specs: ParamSpecs): number =>
  Object.values(specs).reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);

/** A dense layer's parameters under `prefix`: weight [fanIn, fanOut] and a zero bias [fanOut]. */
export function linearSpecs(prefix: string, fanIn: number, fanOut: number, gain = 1, bias = true): ParamSpecs {
  const p: ParamSpecs = { [`${prefix}.weight`]: { shape: [fanIn, fanOut], fanIn, gain } };
  if (bias) p[`${prefix}.bias`] = { shape: [fanOut], fanIn, gain: 0 };
  return p;
}

/** {@link linearSpecs}, drawn. */
export const linearParams = (rng: Rng, prefix: string, fanIn: number, fanOut: number, gain = 1, bias = true): HostParams =>
  drawParams(rng, linearSpecs(prefix, fanIn, fanOut, gain, bias));

/** Only the params whose names start with `prefix.` (e.g. the logvar head). */
export function withPrefix<V>(params: Record<string, V>, prefix: string): Record<string, V> {
  return Object.fromEntries(Object.entries(params).filter(([k]) => k.startsWith(`${prefix}.`)));
}
