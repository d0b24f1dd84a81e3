/** The network's view of time, shared by every model. */
import type { TensorOps } from '../tensor/ops.js';
import type { Rng } from '../random/index.js';
import { fourierEmbedding, positionalEmbedding } from '../nn/embedding.js';
import type { NoiseConditioning, TimeEmbedding } from './model.js';

/** How a network turns TrigFlow time t into an embedding. */
export interface TimeConfig {
  /** c_noise(t): 't' itself (sCM) or log(sigma_d tan t) (EDM, an ablation). */
  readonly cNoise: NoiseConditioning;
  /** Positional (sinusoidal) or Fourier features. */
  readonly embedding: TimeEmbedding;
  /** Channels of the embedding (even). */
  readonly channels: number;
  /** Std of the Fourier frequencies (the paper's unstable setting is 16). */
  readonly fourierScale: number;
  /** The data's std, which log-tan conditioning needs (sigma = sigma_d tan t). */
  readonly sigmaD: number;
}

/** c_noise(t): t itself, or log(sigma_d tan t) (EDM's log sigma) for the ablation. */
export function cNoise<T>(o: TensorOps<T>, t: T, c: TimeConfig): T {
  if (c.cNoise === 'identity') return t;
  return o.log(o.mul(o.div(o.sin(t), o.cos(t)), o.fill([], c.sigmaD)));
}

/** Fixed Fourier frequencies, a pure function of the seed so they need not be stored. */
export function fourierFrequencies(rng: Rng, c: TimeConfig): Float32Array {
  return rng.normal(c.channels / 2).map((v) => v * c.fourierScale);
}

export function timeEmbedding<T>(o: TensorOps<T>, t: T, c: TimeConfig, freqs: Float32Array): T {
  const x = cNoise(o, t, c);
  return c.embedding === 'positional' ? positionalEmbedding(o, x, c.channels) : fourierEmbedding(o, x, freqs);
}
