import { Rng } from '@scm/core';
import { describe, expect, it } from 'vitest';
import { DATASET_NAMES, datasetByName, fashionMnistSource } from '../src/index.js';
import { expectSplitBasics, stdOf } from './helpers.js';

describe('fashionMnistSource', () => {
  const train = fashionMnistSource({ split: 'train' });
  const test = fashionMnistSource({ split: 'test', conditional: true });

  it('splits the 70,000 images of the package 63,000 / 7000, disjoint and fixed', () => {
    expectSplitBasics(train, 63000, 28);
    expectSplitBasics(test, 7000, 28);
    expect(train.name).toBe('fashion-mnist');
    expect(test.classNames[9]).toBe('Ankle boot');
    const seen = new Uint8Array(70000);
    for (const i of [...train.poolIndices, ...test.poolIndices]) seen[i]++;
    expect(seen.every((v) => v === 1)).toBe(true);
    expect(fashionMnistSource({ split: 'test' }).poolIndices).toEqual(test.poolIndices);
  });

  it('measures a std of about 0.71 in [-1, 1] and scales to sigmaD', () => {
    expect(train.dataStd).toBeCloseTo(0.706, 3);
    expect(test.dataStd).toBe(train.dataStd);
    const sample = train.sample(new Rng(2), 4000).x;
    expect(Math.abs(stdOf(sample) - 0.5)).toBeLessThan(0.01);
  });

  it('is what datasetByName returns for "fashion-mnist"', () => {
    const byName = datasetByName('fashion-mnist', { split: 'test', conditional: true });
    expect(byName.name).toBe('fashion-mnist');
    expect(byName.sample(new Rng(4), 16)).toEqual(test.sample(new Rng(4), 16));
  });
});

describe('datasetByName', () => {
  it('knows mnist, fashion-mnist and the emoji styles and lists them for an unknown name', () => {
    expect(DATASET_NAMES).toEqual(['mnist', 'fashion-mnist', 'emoji', 'emoji:twitter']);
    expect(datasetByName('mnist', { split: 'test' }).n).toBe(1000);
    expect(() => datasetByName('cifar10', { split: 'train' })).toThrow('unknown dataset "cifar10": choose one of mnist, fashion-mnist, emoji, emoji:twitter');
    expect(() => datasetByName('toString', { split: 'train' })).toThrow(/unknown dataset/);
  });
});
