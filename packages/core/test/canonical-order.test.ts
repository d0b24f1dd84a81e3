/**
 * A resumed run must compute exactly what the uninterrupted one did, yet a checkpoint reloads its
 * tensors in a different order than a fresh model creates them. These tests pin the parameter
 * order and the order of the clipping norm's sum, with values where float rounding makes the
 * order visible.
 */
import { describe, expect, it } from 'vitest';
import { clipByGlobalNorm } from '../src/optim/index.js';
import { toDevice } from '../src/nn/params.js';
import { ReferenceOps } from '../src/testing/reference.js';

const ops = new ReferenceOps();

/** One gradient of 2^27 (square 2^54, whose ulp is 4) and sixteen of 1: added one by one after the big square, each 1 rounds away. */
function grads(bigFirst: boolean) {
  const small = Array.from({ length: 16 }, (_, i) => [`s${String(i).padStart(2, '0')}`, ops.fromArray([1], [1])] as const);
  const big = ['a', ops.fromArray([2 ** 27], [1])] as const;
  return Object.fromEntries(bigFirst ? [big, ...small] : [...small, big]);
}

describe('canonical parameter order', () => {
  it('the clipping norm does not depend on the order the gradient record was built in', () => {
    const n1 = ops.readSync(clipByGlobalNorm(ops, grads(true), 1).norm)[0];
    const n2 = ops.readSync(clipByGlobalNorm(ops, grads(false), 1).norm)[0];
    // The two possible sums, worked out by hand: 2^54 exactly, or 2^54 + 16.
    expect([Math.sqrt(2 ** 54), Math.sqrt(2 ** 54 + 16)]).toContain(n1);
    expect(n2).toBe(n1);
  });

  it('toDevice builds the record in name order whatever the host order', () => {
    const host = { 'b.weight': { shape: [1], data: new Float32Array([1]) }, 'a.bias': { shape: [1], data: new Float32Array([2]) }, 'B.x': { shape: [1], data: new Float32Array([3]) } };
    expect(Object.keys(toDevice(ops, host))).toEqual(['B.x', 'a.bias', 'b.weight']);
  });
});
