/** What every network of the toolkit offers the objectives and samplers: F_theta and u(t). */
import type { TensorOps } from '../tensor/ops.js';
import type { Rng } from '../random/index.js';
import type { HostParams, ParamSpecs } from '../nn/params.js';

/** What a network is conditioned on besides x_t and t. Every field is optional: an unconditional model takes none. */
export interface Conditioning<T> {
  /** One-hot class labels [B, numClasses + 1]; the last column is the null class (CFG). */
  readonly labels?: T;
  /** Guidance scale per example [B], for students distilled with classifier-free guidance. */
  readonly guidance?: T;
  /**
   * Dropout masks are drawn from this stream (training only). Passing streams in the same state to
   * two passes gives both the same masks, which sCM's JVP pass and gradient pass need.
   */
  readonly dropoutRng?: Rng;
}

/** How the network sees time: sCM's c_noise(t) = t, or EDM's log(sigma_d tan t) for the ablation. */
export type NoiseConditioning = 'identity' | 'log-tan';
/** How c_noise(t) is embedded: sinusoidal positional embedding (sCM's stable choice) or random Fourier features (an ablation). */
export type TimeEmbedding = 'positional' | 'fourier';

/**
 * A network as the objectives and samplers use it: F_theta of TrigFlow and the logvar head u(t)
 * of the adaptive weighting (Lu & Song 2024, Simplifying, Stabilizing and Scaling Continuous-Time
 * Consistency Models (arXiv:2410.11081), sections 3 and 4.1). Pure functions of (ops, params, inputs):
 * parameters live outside, as a flat record of named tensors.
 *
 * @typeParam C - The config the model was built from (stored in checkpoints).
 */
export interface Model<C = unknown> {
  /** The config the model was built from, complete with defaults. */
  readonly config: C;
  /** Shape of one sample, e.g. [2] for points or [28, 28, 1] for images. */
  readonly sampleShape: readonly number[];
  /** Classes of a class-conditional model (labels are one-hot with an extra null class); 0 when unconditional. */
  readonly numClasses: number;
  /** Whether F takes a per-example guidance scale (`cond.guidance`). */
  readonly guidanceInput: boolean;
  /**
   * Every parameter init draws (the logvar head's under the "logvar." prefix), by name in draw
   * order, with its shape: the model's size without allocating it.
   */
  paramSpecs(): ParamSpecs;
  /** Network parameters, and the logvar head's under the "logvar." prefix: paramSpecs, drawn. */
  init(rng: Rng): HostParams;
  /** Fresh logvar head parameters (consistency training re-initialises them). */
  initLogvar(rng: Rng): HostParams;
  /** F_theta(x_t / sigma_d, c_noise(t)) for x [B, ...sampleShape] (already divided by sigma_d) and t [B]. */
  F<T>(o: TensorOps<T>, p: Record<string, T>, x: T, t: T, cond?: Conditioning<T>): T;
  /** The adaptive-weighting log-variance u(t) [B]. */
  logvar<T>(o: TensorOps<T>, p: Record<string, T>, t: T): T;
}

/**
 * One-hot class labels with the null class as the last column; label -1 (or numClasses) means null.
 *
 * @returns [labels.length, numClasses + 1] row-major.
 * @throws Error for a label that is not an integer in -1..numClasses.
 */
export function oneHotLabels(labels: ArrayLike<number>, numClasses: number): Float32Array {
  const out = new Float32Array(labels.length * (numClasses + 1));
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] < 0 ? numClasses : labels[i];
    if (!Number.isInteger(l) || l > numClasses) throw new Error(`label ${labels[i]} is outside 0..${numClasses - 1} (or -1 for none)`);
    out[i * (numClasses + 1) + l] = 1;
  }
  return out;
}
