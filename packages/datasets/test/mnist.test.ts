import { Rng } from '@scm/core';
import { describe, expect, it } from 'vitest';
import { mnistSource } from '../src/index.js';
import { expectSplitBasics, imageKeys, stdOf } from './helpers.js';

// The pool is parsed once per test file (memoised), so every source below is cheap.
const train = mnistSource({ split: 'train' });
const test = mnistSource({ split: 'test' });

describe('mnistSource', () => {
  it('splits the 10,000 digits of the package 9000 / 1000, with balanced labels', () => {
    expectSplitBasics(train, 9000, 28);
    expectSplitBasics(test, 1000, 28);
    expect(train.name).toBe('mnist');
    expect(train.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('holds out a fixed, disjoint set of pool images', () => {
    const again = mnistSource({ split: 'test' });
    expect(again.poolIndices).toEqual(test.poolIndices);
    const all = [...train.poolIndices, ...test.poolIndices].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 10000 }, (_, i) => i));
    // MNIST's pool has no duplicate images, so no test image appears in training either.
    const trainImages = new Set(imageKeys(train.all().x, train.n));
    expect(imageKeys(test.all().x, test.n).filter((k) => trainImages.has(k))).toEqual([]);
  });

  it('scales [-1, 1] data (std about 0.62) to std sigmaD, with the training std for both splits', () => {
    expect(train.dataStd).toBeCloseTo(0.6174, 3);
    expect(train.scale).toBeCloseTo(0.5 / train.dataStd, 12);
    expect(test.dataStd).toBe(train.dataStd);
    const data = train.toData(train.all().x);
    expect(stdOf(data)).toBeCloseTo(train.dataStd, 5);
    const sample = train.sample(new Rng(1), 4000).x;
    expect(stdOf(sample)).toBeGreaterThan(0.49);
    expect(stdOf(sample)).toBeLessThan(0.51);
    const custom = mnistSource({ split: 'train', sigmaD: 1 });
    expect(stdOf(custom.sample(new Rng(1), 4000).x)).toBeCloseTo(2 * stdOf(sample), 5);
  });

  it('samples deterministically, with replacement, labels only when conditional', () => {
    const a = train.sample(new Rng(7), 64);
    const b = train.sample(new Rng(7), 64);
    expect(a.x).toEqual(b.x);
    expect(a.labels).toBeUndefined();
    expect(train.numClasses).toBe(0);
    expect(train.sample(new Rng(8), 64).x).not.toEqual(a.x);

    const conditional = mnistSource({ split: 'train', conditional: true });
    expect(conditional.numClasses).toBe(10);
    const c = conditional.sample(new Rng(7), 64);
    expect(c.x).toEqual(a.x);
    // Each sampled image comes with the label it has in the split.
    const { x, labels } = conditional.all();
    const labelOf = new Map(imageKeys(x, conditional.n).map((k, i) => [k, labels![i]]));
    imageKeys(c.x, 64).forEach((k, i) => expect(labelOf.get(k)).toBe(c.labels![i]));
  });

  it('round-trips between model units and data', () => {
    const x = test.sample(new Rng(3), 8).x;
    const back = test.fromData(test.toData(x));
    for (let i = 0; i < x.length; i++) expect(back[i]).toBeCloseTo(x[i], 6);
  });

  it('pads to 32x32 with background, which lowers the std', () => {
    const padded = mnistSource({ split: 'test', size: 32 });
    expectSplitBasics(padded, 1000, 32);
    expect(padded.dataStd).toBeCloseTo(0.5515, 3);
    const small = test.toData(test.all().x);
    const big = padded.toData(padded.all().x);
    for (let i = 0; i < 20; i++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
          const expected = inside ? small[(i * 28 + y - 2) * 28 + x - 2] : -1;
          expect(big[(i * 32 + y) * 32 + x]).toBeCloseTo(expected, 6);
        }
      }
    }
  });

  it('rejects bad options with the reason', () => {
    expect(() => mnistSource({ split: 'val' as 'test' })).toThrow(/split must be "train" or "test", got "val"/);
    expect(() => mnistSource({ split: 'test', size: 29 })).toThrow(/size must be 28 or 28 plus an even number/);
    expect(() => mnistSource({ split: 'test', size: 24 })).toThrow(/size must be 28/);
    expect(() => mnistSource({ split: 'test', sigmaD: 0 })).toThrow(/sigmaD must be a positive number/);
    expect(() => mnistSource({ split: 'test', variant: 'kmnist' as 'mnist' })).toThrow(/variant must be "mnist" or "fashion"/);
  });
});
