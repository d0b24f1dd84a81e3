import { describe, expect, it } from 'vitest';
import { sampleToy2d } from '../src/data/index.js';
import {
  checkerboardSupportFraction,
  energyDistance,
  inSupportFraction,
  slicedWasserstein2,
} from '../src/metrics/index.js';
import { Rng } from '../src/random/index.js';
import { ksCritical, ksStatistic, mean } from './helpers/stats.js';

/** The definition, term by term, over all ordered pairs: the reference for energyDistance. */
function energyDistanceBruteForce(a: number[][], b: number[][]): number {
  const dist = (p: number[], q: number[]): number => Math.sqrt(p.reduce((s, pk, k) => s + (pk - q[k]) ** 2, 0));
  const meanOver = (x: number[][], y: number[][], distinct: boolean): number => {
    let s = 0;
    let count = 0;
    x.forEach((p, i) =>
      y.forEach((q, j) => {
        if (distinct && i === j) return;
        s += dist(p, q);
        count++;
      }),
    );
    return s / count;
  };
  return 2 * meanOver(a, b, false) - meanOver(a, a, true) - meanOver(b, b, true);
}

const rows = (points: Float32Array, d: number): number[][] =>
  Array.from({ length: points.length / d }, (_, i) => Array.from(points.subarray(i * d, i * d + d)));
const flat = (points: number[][]): Float32Array => Float32Array.from(points.flat());
const shift = (points: Float32Array, v: number[]): Float32Array => points.map((x, i) => x + v[i % v.length]);
const reverseRows = (points: Float32Array, d: number): Float32Array => flat(rows(points, d).reverse());

/** Modified Bessel functions I0 and I1 by their power series (ample for |x| < 2). */
function besselI(order: 0 | 1, x: number): number {
  let term = order === 0 ? 1 : x / 2;
  let sum = term;
  for (let k = 1; k < 30; k++) {
    term *= (x * x) / 4 / (k * (k + order));
    sum += term;
  }
  return sum;
}

/** Mean of |W| for W ~ N(nu, sigma^2 I) in 2-D: the Rice distribution's mean. */
function riceMean(nu: number, sigma: number): number {
  const x = -(nu * nu) / (2 * sigma * sigma);
  const laguerreHalf = Math.exp(x / 2) * ((1 - x) * besselI(0, -x / 2) - x * besselI(1, -x / 2));
  return sigma * Math.sqrt(Math.PI / 2) * laguerreHalf;
}

/**
 * A 2-D standard normal sample whitened to sample mean exactly 0 and sample covariance (over n)
 * exactly I, kept in float64.
 */
function whitenedNormal(n: number, seed: number): Float64Array {
  const z = new Rng(seed).normal64(2 * n);
  const mx = mean(z.filter((_, i) => i % 2 === 0));
  const my = mean(z.filter((_, i) => i % 2 === 1));
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    z[2 * i] -= mx;
    z[2 * i + 1] -= my;
    sxx += z[2 * i] ** 2 / n;
    sxy += (z[2 * i] * z[2 * i + 1]) / n;
    syy += z[2 * i + 1] ** 2 / n;
  }
  // Inverse of the Cholesky factor [[l11, 0], [l21, l22]] of the sample covariance.
  const l11 = Math.sqrt(sxx);
  const l21 = sxy / l11;
  const l22 = Math.sqrt(syy - l21 * l21);
  for (let i = 0; i < n; i++) {
    const x = z[2 * i] / l11;
    z[2 * i + 1] = (z[2 * i + 1] - l21 * x) / l22;
    z[2 * i] = x;
  }
  return z;
}

describe('energyDistance', () => {
  it('agrees with the definition computed term by term, in 3-D with unequal sizes', () => {
    const a = new Rng(1).normal(3 * 37);
    const b = shift(new Rng(2).normal(3 * 23), [0.3, 0, -0.2]);
    expect(energyDistance(a, b, 3)).toBeCloseTo(energyDistanceBruteForce(rows(a, 3), rows(b, 3)), 12);
  });

  it('is 2|p - q| between two point masses', () => {
    const p = flat(Array.from({ length: 5 }, () => [0, 0]));
    const q = flat(Array.from({ length: 7 }, () => [3, 4]));
    expect(energyDistance(p, q)).toBe(10);
    const p3 = flat([
      [1, 2, 2],
      [1, 2, 2],
    ]);
    const q3 = flat([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(energyDistance(p3, q3, 3)).toBe(6);
  });

  it('matches the closed form for a unit shift of a 2-D standard normal sample', () => {
    // With b = a + delta, pairs i != j differ by N(delta, 2I) and pairs i == j by exactly delta,
    // so E[ED] = 2((1 - 1/n) Rice(|delta|, sqrt 2) + |delta| / n) - 2 Rice(0, sqrt 2).
    // Its standard deviation at n = 2000 is about 0.0045 (measured over 30 seeds).
    const n = 2000;
    const a = new Rng(3).normal(2 * n);
    const b = shift(a, [1, 0]);
    const expected = 2 * ((1 - 1 / n) * riceMean(1, Math.SQRT2) + 1 / n) - 2 * riceMean(0, Math.SQRT2);
    expect(riceMean(0, Math.SQRT2)).toBeCloseTo(Math.sqrt(Math.PI), 12);
    expect(Math.abs(energyDistance(a, b) - expected)).toBeLessThan(5 * 0.0045);
  });

  it('is near zero for independent samples of one distribution and clearly positive when shifted', () => {
    // Under equal distributions the estimate's standard deviation at n = 2000 is about 0.001.
    const n = 2000;
    const a = new Rng(4).normal(2 * n);
    const same = new Rng(5).normal(2 * n);
    const shifted = shift(new Rng(5).normal(2 * n), [0.3, 0]);
    expect(Math.abs(energyDistance(a, same))).toBeLessThan(0.005);
    expect(energyDistance(a, shifted)).toBeGreaterThan(0.03);
  });

  it('is symmetric and invariant to point order and to a common translation', () => {
    const a = new Rng(6).normal(2 * 300);
    const b = shift(new Rng(7).normal(2 * 200), [0.5, -0.25]);
    const value = energyDistance(a, b);
    expect(energyDistance(b, a)).toBeCloseTo(value, 12);
    expect(energyDistance(reverseRows(a, 2), b)).toBeCloseTo(value, 12);
    expect(energyDistance(shift(a, [3, -7]), shift(b, [3, -7]))).toBeCloseTo(value, 5);
  });

  it('subsamples large sets with a seeded permutation, as documented', () => {
    const a = new Rng(8).normal(2 * 500);
    const b = shift(new Rng(9).normal(2 * 400), [0.5, 0]);
    expect(energyDistance(a, b, 2, { maxPoints: 500 })).toBe(energyDistance(a, b));
    const rng = new Rng(42);
    const pick = (x: Float32Array, n: number): number[][] =>
      Array.from(rng.permutation(n).subarray(0, 100), (i) => Array.from(x.subarray(2 * i, 2 * i + 2)));
    const expected = energyDistanceBruteForce(pick(a, 500), pick(b, 400));
    expect(energyDistance(a, b, 2, { maxPoints: 100, seed: 42 })).toBeCloseTo(expected, 12);
    expect(energyDistance(a, b, 2, { maxPoints: 100, seed: 43 })).not.toBeCloseTo(expected, 6);
  });

  it('names the problem with unusable input', () => {
    const ok = new Float32Array(8);
    expect(() => energyDistance(new Float32Array(2), ok)).toThrow(/at least 2 points .* got 1 and 4/);
    expect(() => energyDistance(new Float32Array(5), ok)).toThrow(/a has length 5, not a multiple of the dimension 2/);
    expect(() => energyDistance(ok, Float32Array.from([0, 0, 1, Number.NaN]))).toThrow(/b holds a non-finite value \(NaN\) at point 1/);
    expect(() => energyDistance(ok, ok, 0)).toThrow(/dimension d must be a positive integer/);
    expect(() => energyDistance(ok, ok, 2, { maxPoints: 1 })).toThrow(/maxPoints must be an integer of at least 2/);
  });
});

describe('slicedWasserstein2', () => {
  it('is (s1 - s2)^2 between N(m, s1^2 I) and N(m, s2^2 I), exactly on a whitened sample', () => {
    // b = m + s2 z and a = m + s1 z with the same whitened z: on every line the sorted orders
    // agree, so W2^2 = (s1 - s2)^2 mean (u.z)^2 = (s1 - s2)^2, whatever the directions.
    const z = whitenedNormal(1000, 10);
    const a = Float32Array.from(z, (v, i) => [1, -2][i % 2] + 1.5 * v);
    const b = Float32Array.from(z, (v, i) => [1, -2][i % 2] + 0.5 * v);
    expect(slicedWasserstein2(a, b)).toBeCloseTo(1, 5);
    expect(slicedWasserstein2(a, b, 2, { projections: 7, seed: 99 })).toBeCloseTo(1, 5);
  });

  it('adds |m1 - m2|^2 / d for a shift: the mean of (u . dm)^2 over uniform directions', () => {
    // Over P directions the mean of (u . dm)^2 has standard deviation
    // |dm|^2 sqrt(Var(u1^2) / P), Var(u1^2) = 2 (d - 1) / (d^2 (d + 2)) on the unit sphere.
    const P = 4096;
    const z = whitenedNormal(64, 11);
    const a = Float32Array.from(z, (v) => 1.5 * v);
    const b = Float32Array.from(z, (v, i) => [2, 1][i % 2] + 0.5 * v);
    const sw = slicedWasserstein2(a, b, 2, { projections: P });
    expect(Math.abs(sw - (1 + 5 / 2))).toBeLessThan(5 * 5 * Math.sqrt(1 / 8 / P));

    const c = new Rng(12).normal(3 * 64);
    const sw3 = slicedWasserstein2(c, shift(c, [0, 0, 2]), 3, { projections: P });
    expect(Math.abs(sw3 - 4 / 3)).toBeLessThan(5 * 4 * Math.sqrt(4 / 45 / P));
  });

  it('draws its directions uniformly on the circle and the sphere', () => {
    // One projection per seed exposes one direction u: W2^2(a, a + e1) = u1^2.
    // u1^2 = cos^2(theta) with theta uniform in 2-D: P(u1^2 <= c) = (2 / pi) asin(sqrt c).
    // u1 is uniform on [-1, 1] in 3-D: P(u1^2 <= c) = sqrt c.
    const seeds = 2000;
    const a2 = new Rng(13).normal(2 * 8);
    const a3 = new Rng(14).normal(3 * 8);
    const u2 = Array.from({ length: seeds }, (_, s) => slicedWasserstein2(a2, shift(a2, [1, 0]), 2, { projections: 1, seed: s }));
    const u3 = Array.from({ length: seeds }, (_, s) => slicedWasserstein2(a3, shift(a3, [1, 0, 0]), 3, { projections: 1, seed: s }));
    const clamp = (c: number): number => Math.min(1, Math.max(0, c));
    expect(ksStatistic(u2, (c) => (2 / Math.PI) * Math.asin(Math.sqrt(clamp(c))))).toBeLessThan(ksCritical(seeds));
    expect(ksStatistic(u3, (c) => Math.sqrt(clamp(c)))).toBeLessThan(ksCritical(seeds));
  });

  it('is near (s1 - s2)^2 for independent samples', () => {
    // Its standard deviation at n = 5000 is about 0.0075 (measured over 30 seeds).
    const n = 5000;
    const a = new Rng(15).normal(2 * n);
    const b = new Rng(16).normal(2 * n).map((v) => 0.5 * v);
    expect(Math.abs(slicedWasserstein2(a, b) - 0.25)).toBeLessThan(5 * 0.0075);
  });

  it('matches quantile functions exactly when the sizes differ', () => {
    // On the line every direction is +-1. Quantiles of {0, 1} and {0, 0.5, 1} differ by 0.5 on
    // t in (1/3, 2/3), so W2^2 = 0.25 / 3.
    const line = (...v: number[]): Float32Array => Float32Array.from(v);
    expect(slicedWasserstein2(line(0, 1), line(0, 0.5, 1), 1)).toBeCloseTo(1 / 12, 15);
    expect(slicedWasserstein2(line(0), line(1, 3), 1)).toBeCloseTo(5, 15);
    const a = new Rng(17).normal(2 * 30);
    expect(slicedWasserstein2(a, Float32Array.from([...a, ...reverseRows(a, 2)]))).toBeCloseTo(0, 15);
  });

  it('is symmetric, invariant to point order and to a common translation, and fixed by its seed', () => {
    const a = new Rng(18).normal(2 * 300);
    const b = shift(new Rng(19).normal(2 * 200), [0.5, -0.25]);
    const value = slicedWasserstein2(a, b);
    expect(value).toBeGreaterThan(0.1);
    expect(slicedWasserstein2(b, a)).toBeCloseTo(value, 12);
    expect(slicedWasserstein2(reverseRows(a, 2), b)).toBe(value);
    expect(slicedWasserstein2(shift(a, [3, -7]), shift(b, [3, -7]))).toBeCloseTo(value, 5);
    expect(slicedWasserstein2(a, b, 2, { seed: 0, projections: 128 })).toBe(value);
    expect(slicedWasserstein2(a, b, 2, { seed: 1 })).not.toBe(value);
  });

  it('names the problem with unusable input', () => {
    const ok = new Float32Array(4);
    expect(() => slicedWasserstein2(new Float32Array(0), ok)).toThrow(/both sets need points, got 0 and 2/);
    expect(() => slicedWasserstein2(ok, new Float32Array(3))).toThrow(/b has length 3/);
    expect(() => slicedWasserstein2(ok, Float32Array.from([0, Infinity]))).toThrow(/non-finite value \(Infinity\)/);
    expect(() => slicedWasserstein2(ok, ok, 2, { projections: 0 })).toThrow(/projections must be a positive integer/);
  });
});

describe('support fractions', () => {
  it('counts the points whose d coordinates satisfy the predicate', () => {
    const points2 = flat([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(inSupportFraction(points2, (p) => p[0] < 1.5)).toBe(0.5);
    const points3 = flat([
      [0, 0, 1],
      [0, 1, 0],
      [1, 0, 1],
    ]);
    expect(inSupportFraction(points3, (p) => p.length === 3 && p[2] === 1, 3)).toBeCloseTo(2 / 3, 15);
    expect(() => inSupportFraction(new Float32Array(0), () => true)).toThrow(/no points/);
    expect(() => inSupportFraction(new Float32Array(3), () => true)).toThrow(/not a multiple of the dimension 2/);
  });

  it('scores the checkerboard: all its samples, half of the uniform square, chosen points', () => {
    expect(checkerboardSupportFraction(sampleToy2d('checkerboard', 5000, new Rng(20)).points)).toBe(1);
    const n = 40_000;
    const square = new Rng(21).uniform(2 * n).map((u) => 4 * u - 2);
    // The 8 cells cover half of [-2, 2]^2: a binomial proportion with standard error sqrt(0.25 / n).
    expect(Math.abs(checkerboardSupportFraction(square) - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / n));
    const chosen = flat([
      [-1.5, -0.5],
      [-1.5, -1.5],
      [5, 5],
      [0.5, -0.5],
    ]);
    expect(checkerboardSupportFraction(chosen)).toBe(0.5);
  });
});
