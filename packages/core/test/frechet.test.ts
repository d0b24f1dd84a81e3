import { describe, expect, it } from 'vitest';
import { featureStats, frechetDistance, Rng, type FeatureStats } from '../src/index.js';
import { matmul, symmetricEigen, trace } from '../src/metrics/linalg.js';

/** A random orthogonal matrix: the eigenvectors of a random symmetric one. */
function rotation(rng: Rng, d: number): Float64Array {
  return symmetricEigen(randomSymmetric(rng, d), d).vectors;
}

function randomSymmetric(rng: Rng, d: number): Float64Array {
  const z = rng.normal64(d * d);
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) a[i * d + j] = (z[i * d + j] + z[j * d + i]) / 2;
  return a;
}

/** Q diag(values) Q^T. */
function compose(q: Float64Array, values: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) out[i * d + j] += q[i * d + k] * values[k] * q[j * d + k];
  return out;
}

const transpose = (a: Float64Array, d: number) => Float64Array.from(a, (_, idx) => a[(idx % d) * d + Math.floor(idx / d)]);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe('Jacobi eigendecomposition', () => {
  it.each([1, 2, 5, 24, 64])('reconstructs a random symmetric matrix of size %i with orthonormal eigenvectors', (d) => {
    const a = randomSymmetric(new Rng(d), d);
    const { values, vectors } = symmetricEigen(a, d);
    expect(maxAbsDiff(compose(vectors, values, d), a)).toBeLessThan(1e-10);
    const identity = Float64Array.from({ length: d * d }, (_, i) => Number(i % (d + 1) === 0));
    expect(maxAbsDiff(matmul(transpose(vectors, d), vectors, d), identity)).toBeLessThan(1e-12);
  });

  it('finds repeated and zero eigenvalues exactly enough', () => {
    const d = 6;
    const values = [0, 0, 1, 1, 1, 4];
    const a = compose(rotation(new Rng(1), d), values, d);
    const got = Array.from(symmetricEigen(a, d).values).sort((x, y) => x - y);
    expect(maxAbsDiff(got, values)).toBeLessThan(1e-12);
  });

  it('rejects a matrix of the wrong size', () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/expected an n x n matrix for n = 2, got 5 entries/);
  });
});

describe('Frechet distance against closed forms', () => {
  const d = 16;
  const rng = new Rng(7);
  const stats = (mean: ArrayLike<number>, cov: Float64Array): FeatureStats => ({ mean: Float64Array.from(mean), cov });

  it('is 0 for identical stats, to 1e-9 of the trace', () => {
    const eig = Array.from(rng.uniform64(d), (u) => 0.1 + u);
    const s = stats(rng.normal64(d), compose(rotation(rng, d), eig, d));
    expect(Math.abs(frechetDistance(s, s))).toBeLessThan(1e-9 * trace(s.cov, d));
  });

  it('is 0 to sqrt(rounding) for identical singular covariances', () => {
    // Zero eigenvalues of the inner product come out as +-1e-16 of the scale; their square roots are ~1e-8.
    const eig = Array.from(rng.uniform64(d), (u, i) => (i < d / 2 ? 0.1 + u : 0));
    const s = stats(rng.normal64(d), compose(rotation(rng, d), eig, d));
    expect(Math.abs(frechetDistance(s, s))).toBeLessThan(1e-6 * trace(s.cov, d));
  });

  it('diagonal covariances: sum (sqrt a_i - sqrt b_i)^2 + |mu_a - mu_b|^2', () => {
    const a = Array.from(rng.uniform64(d), (u) => 0.1 + 2 * u);
    const b = Array.from(rng.uniform64(d), (u) => 0.1 + 2 * u);
    const ma = rng.normal64(d);
    const mb = rng.normal64(d);
    const identity = Float64Array.from({ length: d * d }, (_, i) => Number(i % (d + 1) === 0));
    let expected = 0;
    for (let i = 0; i < d; i++) expected += (Math.sqrt(a[i]) - Math.sqrt(b[i])) ** 2 + (ma[i] - mb[i]) ** 2;
    const got = frechetDistance(stats(ma, compose(identity, a, d)), stats(mb, compose(identity, b, d)));
    expect(got).toBeCloseTo(expected, 10);
  });

  it('commuting full covariances (shared random eigenvectors) give the same closed form', () => {
    const q = rotation(rng, d);
    const a = Array.from(rng.uniform64(d), (u) => 0.05 + u);
    const b = Array.from(rng.uniform64(d), (u) => 0.05 + 3 * u);
    const mean = rng.normal64(d);
    let expected = 0;
    for (let i = 0; i < d; i++) expected += (Math.sqrt(a[i]) - Math.sqrt(b[i])) ** 2;
    expect(frechetDistance(stats(mean, compose(q, a, d)), stats(mean, compose(q, b, d)))).toBeCloseTo(expected, 10);
  });

  it('rejects stats of different dimensions and non-finite stats', () => {
    const s = stats([0, 0], new Float64Array([1, 0, 0, 1]));
    expect(() => frechetDistance(s, stats([0], new Float64Array([1])))).toThrow(/stats b have mean \[1\]/);
    expect(() => frechetDistance(s, stats([0, NaN], new Float64Array([1, 0, 0, 1])))).toThrow(/stats b hold non-finite values/);
  });
});

describe('Frechet distance between samples', () => {
  const d = 4;
  const n = 20000;
  /** n samples of N(shift, L L^T) for a fixed random L. */
  function gaussianSample(seed: number, shift: ArrayLike<number>): Float32Array {
    const l = randomSymmetric(new Rng(99), d);
    const z = new Rng(seed).normal64(n * d);
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        let s = shift[j];
        for (let k = 0; k < d; k++) s += l[j * d + k] * z[i * d + k];
        out[i * d + j] = s;
      }
    }
    return out;
  }

  it('computes the unbiased covariance', () => {
    const s = featureStats(new Float32Array([1, 2, 3, 6, 5, 10]), 3, 2);
    expect(Array.from(s.mean)).toEqual([3, 6]);
    expect(Array.from(s.cov)).toEqual([4, 8, 8, 16]);
    expect(() => featureStats(new Float32Array(6), 2, 2)).toThrow(/3 rows of 2, not n = 2/);
    expect(() => featureStats(new Float32Array(2), 1, 2)).toThrow(/at least 2 feature vectors/);
  });

  it('is near 0 for two samples of the same Gaussian and near |shift|^2 for shifted ones', () => {
    const zero = [0, 0, 0, 0];
    const shift = [1, -0.5, 0, 2];
    const base = featureStats(gaussianSample(1, zero), n, d);
    const same = frechetDistance(base, featureStats(gaussianSample(2, zero), n, d));
    const shifted = frechetDistance(base, featureStats(gaussianSample(3, shift), n, d));
    expect(same).toBeLessThan(0.01 * trace(base.cov, d));
    expect(shifted).toBeCloseTo(1 + 0.25 + 4, 1);
  });
});
