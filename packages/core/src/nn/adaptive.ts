/** Conditioning of normalised features by an embedding (Lu & Song 2024). */
import type { TensorOps } from '../tensor/ops.js';
import { groupNorm } from './functional.js';

/** a / sqrt(mean over channels of a^2 + 1e-8): the "pixel norm" of the scale and shift. */
export function pixelNorm<T>(o: TensorOps<T>, a: T, eps = 1e-8): T {
  return o.mul(a, o.rsqrt(o.add(o.mean(o.mul(a, a), [-1], true), o.fill([], eps))));
}

/** How the conditioning embedding modulates a normalised activation: sCM's adaptive double normalisation ('double', the stable choice) or AdaGN ('adagn', an ablation). */
export type AdaptiveNorm = 'double' | 'adagn';

/**
 * x [B, ..., C] modulated by per-example scale and shift [B, C]. 'double' is sCM's adaptive double
 * normalisation, GroupNorm(x) * pnorm(s) + pnorm(b), which bounds the modulation whatever the
 * embedding's size; 'adagn' is the classic GroupNorm(x) * (1 + s) + b (the ablation).
 */
export function modulate<T>(o: TensorOps<T>, x: T, scale: T, shift: T, groups: number, kind: AdaptiveNorm): T {
  const shape = o.shape(x);
  const bshape = [shape[0], ...shape.slice(1, -1).map(() => 1), shape[shape.length - 1]];
  const s = o.reshape(kind === 'double' ? pixelNorm(o, scale) : o.add(scale, o.fill([], 1)), bshape);
  const b = o.reshape(kind === 'double' ? pixelNorm(o, shift) : shift, bshape);
  return o.add(o.mul(groupNorm(o, x, groups), s), b);
}
