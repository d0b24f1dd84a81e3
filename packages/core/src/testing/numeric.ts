/** Numeric comparison and finite differences used by the conformance suite. */
import type { HostArray, Shape, TensorOps } from '../tensor/ops.js';
import { fmt } from '../tensor/shape.js';

/**
 * Element-wise closeness with a scale-aware floor: |a - e| <= tol * (|e| + mean|e|). The floor keeps
 * entries that cancel to near zero (sums, matmuls) from demanding impossible relative precision.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length ${actual.length} differs from the expected ${expected.length}`);
  }
  let meanAbs = 0;
  for (let i = 0; i < expected.length; i++) meanAbs += Math.abs(expected[i]);
  meanAbs = expected.length > 0 ? meanAbs / expected.length : 0;
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const bound = tol * (Math.abs(expected[i]) + meanAbs) + 1e-30;
    const ratio = Number.isNaN(actual[i]) ? Infinity : err / bound;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
  }
  if (worstRatio > 1) {
    throw new Error(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(error ${Math.abs(actual[worst] - expected[worst]).toExponential(2)}, ${worstRatio.toFixed(1)}x the tolerance ${tol})`,
    );
  }
}

/** max |a - e| / (|e| + mean |e|): the error measure of assertClose, as a number to report. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} differs from the expected ${expected.length}`);
  let meanAbs = 0;
  for (let i = 0; i < expected.length; i++) meanAbs += Math.abs(expected[i]) / expected.length;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / (Math.abs(expected[i]) + meanAbs + 1e-30);
    worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
  }
  return worst;
}

/**
 * Checks that two shapes are equal.
 *
 * @throws Error prefixed with `label` showing both shapes when they differ.
 */
export function assertShape(actual: Shape, expected: Shape, label: string): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new Error(`${label}: shape ${fmt(actual)} differs from the expected ${fmt(expected)}`);
  }
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function axpy(x: ArrayLike<number>, h: number, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] + h * v[i];
  return out;
}

/**
 * Central finite difference of f along direction v at x, in float64: (f(x + hv) - f(x - hv)) / 2h.
 * Inputs are host arrays; f maps them to a host array.
 */
export function centralDifference(
  f: (xs: readonly Float64Array[]) => HostArray,
  xs: readonly Float64Array[],
  vs: readonly (Float64Array | null)[],
  h = 1e-5,
): Float64Array {
  const shift = (sign: number) => xs.map((x, i) => (vs[i] ? axpy(x, sign * h, vs[i] as Float64Array) : x));
  const plus = f(shift(1));
  const minus = f(shift(-1));
  const out = new Float64Array(plus.length);
  for (let i = 0; i < plus.length; i++) out[i] = (plus[i] - minus[i]) / (2 * h);
  return out;
}

/** Host data -> tensors on `ops`. */
export function toTensors<T>(ops: TensorOps<T>, data: readonly HostArray[], shapes: readonly Shape[]): T[] {
  return data.map((d, i) => ops.fromArray(d, shapes[i]));
}
