/**
 * Derivative formulas shared by forward mode (tangent = t * f'(x)) and reverse mode
 * (cotangent = g * f'(x)), written with primitives so they differentiate again (jvp of a gradient).
 */
import type { Shape, TensorOps } from '../tensor/ops.js';
import { broadcastAxes, sameShape } from '../tensor/shape.js';

export const scalar = <T>(b: TensorOps<T>, v: number): T => b.fill([], v);

export const scale = <T>(b: TensorOps<T>, x: T, v: number): T => b.mul(x, scalar(b, v));

export type UnaryOp = 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid';

/** f'(x) for each smooth unary primitive, given x and y = f(x) (whichever is cheaper). */
export function unaryDerivative<T>(b: TensorOps<T>, op: UnaryOp, x: T, y: T): T {
  switch (op) {
    case 'exp':
      return y;
    case 'log':
      return b.div(scalar(b, 1), x);
    case 'sqrt':
      return b.div(scalar(b, 0.5), y);
    case 'rsqrt':
      return scale(b, b.mul(y, b.mul(y, y)), -0.5);
    case 'sin':
      return b.cos(x);
    case 'cos':
      return b.neg(b.sin(x));
    case 'tanh':
      return b.sub(scalar(b, 1), b.mul(y, y));
    case 'sigmoid':
      return b.mul(y, b.sub(scalar(b, 1), y));
  }
}

/** d(x^p)/dx = p x^(p-1). */
export function powDerivative<T>(b: TensorOps<T>, x: T, p: number): T {
  return p === 1 ? b.fill(b.shape(x), 1) : scale(b, b.powScalar(x, p - 1), p);
}

/** Sums a broadcast result back to the operand's shape (the adjoint of broadcasting). */
export function unbroadcast<T>(b: TensorOps<T>, g: T, shape: Shape): T {
  const gs = b.shape(g);
  if (sameShape(gs, shape)) return g;
  const axes = broadcastAxes(shape, gs);
  return b.reshape(axes.length > 0 ? b.sum(g, axes, true) : g, shape);
}

/** The 0/1 mask of the entries that attain the maximum over `axes`, with the maximum kept as y. */
export function argmaxMask<T>(b: TensorOps<T>, x: T, axes: readonly number[] | undefined, y: T, keepDims: boolean): T {
  const yKeep = keepDims ? y : b.reshape(y, keepShape(b.shape(x), axes));
  return b.equal(x, yKeep);
}

/** The reduced shape with the reduced axes kept as size 1. */
export function keepShape(shape: Shape, axes: readonly number[] | undefined): number[] {
  const rank = shape.length;
  const ax = axes === undefined ? shape.map((_, i) => i) : axes.map((a) => (a < 0 ? a + rank : a));
  return shape.map((d, i) => (ax.includes(i) ? 1 : d));
}

/** Number of elements each reduction output averages over. */
export function reducedCount(shape: Shape, axes: readonly number[] | undefined): number {
  const kept = keepShape(shape, axes);
  return shape.reduce((n, d, i) => n * (kept[i] === 1 && d !== 1 ? d : 1), 1);
}
