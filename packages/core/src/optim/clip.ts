/**
 * Gradient clipping by global L2 norm, written with primitives only: the norm and the scale stay
 * on the device (and in a traced graph) with no read-back.
 */
import type { TensorOps } from '../tensor/ops.js';
import { canonicalNames } from '../nn/params.js';
import { checkPositive, checkScalar, mapTree } from './validate.js';

/** Keeps the division finite when every gradient is zero. */
const NORM_EPS = 1e-6;

/**
 * Scales every gradient by min(1, maxNorm / (norm + 1e-6)). `norm` is the pre-clip global norm, NaN
 * or Inf when any gradient is; feed it to `isFiniteScalar` to guard the step. The squares are summed
 * in canonical name order, so the norm does not depend on how the record was built.
 */
export function clipByGlobalNorm<T>(
  o: TensorOps<T>,
  grads: Record<string, T>,
  maxNorm: number | T,
): {
  /** The clipped gradients, by the same names. */
  grads: Record<string, T>;
  /** The global L2 norm before clipping, a scalar tensor. */
  norm: T;
} {
  const names = canonicalNames(grads);
  if (names.length === 0) throw new Error('clipByGlobalNorm: there are no gradients to clip');
  if (typeof maxNorm === 'number') checkPositive('clipByGlobalNorm', 'maxNorm', maxNorm);
  else checkScalar(o, 'clipByGlobalNorm', 'maxNorm', maxNorm);
  return o.tidy(() => {
    const squares = names.map((name) => o.sum(o.mul(grads[name], grads[name])));
    const norm = o.sqrt(squares.reduce((a, b) => o.add(a, b)));
    const limit = typeof maxNorm === 'number' ? o.fill([], maxNorm) : maxNorm;
    const ratio = o.div(limit, o.add(norm, o.fill([], NORM_EPS)));
    const one = o.fill([], 1);
    const scale = o.select(o.greater(ratio, one), one, ratio);
    return { grads: mapTree(grads, (g) => o.mul(g, scale)), norm };
  });
}
