/**
 * Skipping a step whose gradient norm is NaN or Inf, without a host read inside the step: the
 * finiteness flag chooses between the updated and the old params/state with `select`, so a traced
 * step stays one graph and the caller counts skips by reading the flag afterwards.
 */
import type { TensorOps } from '../tensor/ops.js';
import { checkScalar, checkTree, mapTree, shapesOf } from './validate.js';

/**
 * 1 where x is finite, else 0 (element-wise). x - x is 0 for finite x and NaN for NaN and ±Inf,
 * and NaN equals nothing. This relies on the backend honouring IEEE NaN/Inf (fast-math does not).
 */
export function isFiniteScalar<T>(o: TensorOps<T>, x: T): T {
  return o.equal(o.sub(x, x), o.fill([], 0));
}

/** a where flag != 0, else b, tensor by tensor; a and b must match in names and shapes. */
export function selectTree<T>(o: TensorOps<T>, flag: T, a: Record<string, T>, b: Record<string, T>): Record<string, T> {
  checkScalar(o, 'selectTree', 'flag', flag);
  checkTree(o, 'selectTree', 'b', b, 'a', shapesOf(o, a));
  return o.tidy(() => mapTree(a, (x, name) => o.select(flag, x, b[name])));
}
