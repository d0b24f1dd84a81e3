/**
 * Composite operations built only from primitives, so forward mode, reverse mode and tracing
 * handle them exactly without rules of their own.
 */
import type { TensorOps } from '../tensor/ops.js';

/** SiLU (swish): x * sigmoid(x), element-wise. */
export function silu<T>(o: TensorOps<T>, x: T): T {
  return o.mul(x, o.sigmoid(x));
}

/** Numerically safe softmax: the max is subtracted first (its derivative cancels exactly). */
export function softmax<T>(o: TensorOps<T>, x: T, axis = -1): T {
  const shifted = o.sub(x, o.max(x, [axis], true));
  const e = o.exp(shifted);
  return o.div(e, o.sum(e, [axis], true));
}

/** x [..., in] @ w [in, out] + b [out]. */
export function linear<T>(o: TensorOps<T>, x: T, w: T, b?: T): T {
  const shape = o.shape(x);
  const inner = shape[shape.length - 1];
  const flat = shape.length === 2 ? x : o.reshape(x, [-1, inner]);
  let y = o.matmul(flat, w);
  if (b !== undefined) y = o.add(y, b);
  if (shape.length === 2) return y;
  return o.reshape(y, [...shape.slice(0, -1), o.shape(w)[1]]);
}

/** Mean and variance normalisation over `axes` (population variance). */
export function normalize<T>(o: TensorOps<T>, x: T, axes: readonly number[], eps: number): T {
  const mu = o.mean(x, axes, true);
  const centered = o.sub(x, mu);
  const variance = o.mean(o.mul(centered, centered), axes, true);
  return o.mul(centered, o.rsqrt(o.add(variance, o.fill([], eps))));
}

/** GroupNorm without affine parameters over NHWC (or [n, c] features) with `groups` channel groups. */
export function groupNorm<T>(o: TensorOps<T>, x: T, groups: number, eps = 1e-5): T {
  const shape = o.shape(x);
  const c = shape[shape.length - 1];
  if (c % groups !== 0) throw new Error(`groupNorm: ${c} channels are not divisible into ${groups} groups`);
  const spatial = shape.slice(1, -1);
  const grouped = o.reshape(x, [shape[0], ...spatial, groups, c / groups]);
  const axes = [...spatial.map((_, i) => i + 1), spatial.length + 2];
  return o.reshape(normalize(o, grouped, axes, eps), shape);
}

/** Softmax attention from primitives: q [b, n, d], k [b, m, d], v [b, m, e] -> [b, n, e]. */
export function attention<T>(o: TensorOps<T>, q: T, k: T, v: T): T {
  const d = o.shape(q)[o.shape(q).length - 1];
  const logits = o.mul(o.matmul(q, k, { transposeB: true }), o.fill([], 1 / Math.sqrt(d)));
  return o.matmul(softmax(o, logits, -1), v);
}
