/** Embeddings of per-example scalars (time, guidance scale) into feature vectors. */
import type { TensorOps } from '../tensor/ops.js';

/**
 * Sinusoidal positional embedding (DDPM/EDM style) of x [B] into [B, channels]:
 * [cos(x f_j), sin(x f_j)] with f_j = maxPositions^(-j / (channels/2)). sCM needs this with
 * c_noise(t) = t: smooth in t with bounded derivatives, unlike large-scale Fourier features.
 */
export function positionalEmbedding<T>(o: TensorOps<T>, x: T, channels: number, maxPositions = 10000): T {
  if (channels % 2 !== 0) throw new Error(`positionalEmbedding: channels must be even, got ${channels}`);
  const half = channels / 2;
  const freqs = new Float32Array(half);
  for (let j = 0; j < half; j++) freqs[j] = Math.pow(1 / maxPositions, j / half);
  return sinusoids(o, x, freqs);
}

/** Random Fourier features [cos(2 pi x f_j), sin(2 pi x f_j)] with fixed frequencies (the unstable ablation). */
export function fourierEmbedding<T>(o: TensorOps<T>, x: T, freqs: Float32Array): T {
  return sinusoids(o, x, freqs.map((f) => 2 * Math.PI * f));
}

function sinusoids<T>(o: TensorOps<T>, x: T, freqs: Float32Array): T {
  const n = o.shape(x)[0];
  const angles = o.mul(o.reshape(x, [n, 1]), o.fromArray(freqs, [1, freqs.length]));
  return o.concat([o.cos(angles), o.sin(angles)], 1);
}
