import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createTfjsOps } from '../src/index.js';
import { BACKENDS, failOnLeaks } from './helpers.js';

describe.each(BACKENDS)('memory on %s', async (backend) => {
  const ops = await createTfjsOps({ backend });
  failOnLeaks(ops);

  it('tidy frees intermediates and keeps the tensors reachable through arrays and plain objects', () => {
    const x = ops.fill([2, 2], 2);
    const before = ops.numTensors();
    const notes = new Float32Array(1000);
    const result = ops.tidy(() => {
      const y = ops.mul(ops.add(x, x), x);
      const z = ops.exp(ops.neg(y));
      return { y, parts: [z, { input: x, label: 'x' }], notes, count: 3, nothing: null };
    });
    // y and z survive; ops.add, ops.neg and their results are gone; x was not the tidy's to free.
    expect(ops.numTensors()).toBe(before + 2);
    expect(result.notes).toBe(notes);
    expect(result.parts[1]).toEqual({ input: x, label: 'x' });
    expect(Array.from(ops.readSync(result.y))).toEqual([8, 8, 8, 8]);
    expect(ops.readSync(result.parts[0] as Tensor)[0]).toBeCloseTo(Math.exp(-8), 10);
    ops.dispose([result.y, result.parts[0] as Tensor, x]);
  });

  it('keep exempts a tensor from the enclosing tidy; nested tidies hand results outwards', () => {
    const before = ops.numTensors();
    const kept: Tensor[] = [];
    const outer = ops.tidy(() => {
      kept.push(ops.keep(ops.fill([3], 1)));
      const inner = ops.tidy(() => ops.add(ops.fill([3], 1), ops.fill([3], 2)));
      expect(ops.numTensors()).toBe(before + 2);
      return ops.mul(inner, inner);
    });
    expect(ops.numTensors()).toBe(before + 2);
    expect(Array.from(ops.readSync(outer))).toEqual([9, 9, 9]);
    expect(Array.from(ops.readSync(kept[0]))).toEqual([1, 1, 1]);
    ops.dispose([outer, ...kept]);
  });

  it('tidy frees everything when fn throws, and refuses asynchronous functions', async () => {
    const before = ops.numTensors();
    expect(() =>
      ops.tidy(() => {
        ops.fill([2], 1);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(ops.numTensors()).toBe(before);
    const pending = Promise.resolve(0);
    expect(() => ops.tidy(() => (ops.fill([2], 1), pending))).toThrow(/tidy: fn must be synchronous/);
    expect(ops.numTensors()).toBe(before);
  });
});
