/**
 * Options and refusals of the point-set distances that their statistical tests leave open: energy
 * distance subsampling when only one set is larger than maxPoints (or exactly maxPoints large), the
 * smallest sets and maxPoints allowed, and the names in their error messages.
 */
import { describe, expect, it } from 'vitest';
import { energyDistance, slicedWasserstein2 } from '../src/metrics/index.js';
import { Rng } from '../src/random/index.js';

/** The definition over all pairs (distinct ones within a set). */
function energyBruteForce(a: number[][], b: number[][]): number {
  const dist = (p: number[], q: number[]) => Math.sqrt(p.reduce((s, v, k) => s + (v - q[k]) ** 2, 0));
  const mean = (x: number[][], y: number[][], distinct: boolean) => {
    let s = 0;
    let c = 0;
    x.forEach((p, i) => y.forEach((q, j) => (distinct && i === j ? 0 : ((s += dist(p, q)), c++))));
    return s / c;
  };
  return 2 * mean(a, b, false) - mean(a, a, true) - mean(b, b, true);
}
const rows = (x: Float32Array, d: number) => Array.from({ length: x.length / d }, (_, i) => Array.from(x.subarray(i * d, i * d + d)));

describe('energyDistance subsampling', () => {
  const a = new Rng(1).normal(2 * 60);
  const b = new Rng(2).normal(2 * 300).map((v) => v + 0.5);

  it('subsamples only the set that is larger than maxPoints, with the stream\'s first permutation', () => {
    const order = new Rng(7).permutation(300).subarray(0, 100);
    const picked = Array.from(order, (i) => Array.from(b.subarray(2 * i, 2 * i + 2)));
    expect(energyDistance(a, b, 2, { maxPoints: 100, seed: 7 })).toBeCloseTo(energyBruteForce(rows(a, 2), picked), 12);
    expect(energyDistance(b, a, 2, { maxPoints: 100, seed: 7 })).toBeCloseTo(energyBruteForce(picked, rows(a, 2)), 12);
  });

  it('leaves a set of exactly maxPoints whole and draws nothing for it', () => {
    const order = new Rng(8).permutation(300).subarray(0, 60);
    const picked = Array.from(order, (i) => Array.from(b.subarray(2 * i, 2 * i + 2)));
    expect(energyDistance(a, b, 2, { maxPoints: 60, seed: 8 })).toBeCloseTo(energyBruteForce(rows(a, 2), picked), 12);
  });

  it('accepts maxPoints 2 and sets of 2 points', () => {
    const two = Float32Array.from([0, 0, 3, 4]);
    // Unbiased: the cross term averages the zero distances of equal points too, 2 (0 + 5) / 2 - 5 - 5.
    expect(energyDistance(two, two, 2, { maxPoints: 2 })).toBe(-5);
    expect(() => energyDistance(a, Float32Array.from([1, 1]))).toThrow('energyDistance: each set needs at least 2 points for the within-set averages, got 60 and 1');
  });

  it('names the set and the function in its point checks', () => {
    expect(() => energyDistance(Float32Array.from([0, NaN, 0, 0]), a)).toThrow('energyDistance: a holds a non-finite value (NaN) at point 0');
    expect(() => energyDistance(a, Float32Array.from([0, 0, 0]))).toThrow('energyDistance: b has length 3, not a multiple of the dimension 2');
  });
});

describe('slicedWasserstein2 refusals', () => {
  it('refuses an empty second set and names each set and itself in its point checks', () => {
    expect(() => slicedWasserstein2(Float32Array.from([0, 0]), new Float32Array(0))).toThrow('slicedWasserstein2: both sets need points, got 1 and 0');
    expect(() => slicedWasserstein2(Float32Array.from([0, Infinity]), Float32Array.from([0, 0]))).toThrow(
      'slicedWasserstein2: a holds a non-finite value (Infinity) at point 0',
    );
    expect(() => slicedWasserstein2(Float32Array.from([0, 0]), Float32Array.from([0, 0, 0]))).toThrow('slicedWasserstein2: b has length 3');
  });
});
