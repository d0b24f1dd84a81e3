import type * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, expect } from 'vitest';
import type { TfjsOps } from '../src/index.js';
import type { Arr } from './loops.js';

/** The backends the adapter must support; every suite runs on each. */
export const BACKENDS = ['cpu', 'wasm'] as const;

/**
 * Runs one primitive on tensors made from `inputs`, checks that it made exactly one tensor, and
 * returns that tensor's contents (freeing everything).
 */
export function run(ops: TfjsOps, inputs: readonly Arr[], op: (...xs: tf.Tensor[]) => tf.Tensor): Arr {
  const xs = inputs.map((x) => ops.fromArray(x.data, x.shape));
  const before = ops.numTensors();
  const y = op(...xs);
  expect(ops.numTensors(), 'live tensors after the op').toBe(before + 1);
  const out = { shape: [...ops.shape(y)], data: Float64Array.from(ops.readSync(y)) };
  ops.dispose([...xs, y]);
  return out;
}

/** Element-wise |actual - expected| <= tol * max(1, |expected|); NaN must match NaN. */
export function expectClose(actual: Arr, expected: Arr, tol = 1e-5): void {
  expect(actual.shape).toEqual([...expected.shape]);
  actual.data.forEach((a, i) => {
    const e = expected.data[i];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= tol * Math.max(1, Math.abs(e));
    if (!ok) throw new Error(`element ${i} of [${actual.shape.join(', ')}] is ${a}, expected ${e}`);
  });
}

/** Fails any test of the enclosing suite that leaves tensors behind. */
export function failOnLeaks(ops: TfjsOps): void {
  let live = 0;
  beforeEach(() => {
    live = ops.numTensors();
  });
  afterEach(() => {
    expect(ops.numTensors(), 'tensors left behind by the test').toBe(live);
  });
}
