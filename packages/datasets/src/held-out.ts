/**
 * Held-out splits of the packaged image pools, which mark no test set of their own. A fixed seed
 * makes them the same on every machine and in scm_torch; changing either function changes which
 * images every committed model trained on, so both are pinned by tests.
 */
import { Rng } from '@scm/core';

/** Share of a pool held out as 'test'. */
export const HELD_OUT_FRACTION = 0.1;
const SPLIT_SEED = 0x5ca1ab1e;

/** Indices into a pool, in random order, so the first k of either split are a random subset. */
export interface PoolSplit {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/** One permutation of 0..n-1: its first 10% are held out. */
export function heldOutSplit(n: number): PoolSplit {
  const order = new Rng(SPLIT_SEED).permutation(n);
  const held = Math.round(n * HELD_OUT_FRACTION);
  return { test: order.subarray(0, held), train: order.subarray(held) };
}

/**
 * 10% of each class held out (rounded), so a small class still has test images in its share; each
 * split is then shuffled, so that its classes are interleaved.
 */
export function stratifiedHeldOutSplit(labels: Int32Array, numClasses: number): PoolSplit {
  const rng = new Rng(SPLIT_SEED);
  const test: number[] = [];
  const train: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const members: number[] = [];
    labels.forEach((label, i) => label === c && members.push(i));
    const order = rng.permutation(members.length);
    const held = Math.round(members.length * HELD_OUT_FRACTION);
    order.forEach((k, j) => (j < held ? test : train).push(members[k]));
  }
  const shuffled = (indices: number[]) => Int32Array.from(rng.permutation(indices.length), (k) => indices[k]);
  return { test: shuffled(test), train: shuffled(train) };
}
