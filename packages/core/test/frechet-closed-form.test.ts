/**
 * The Frechet distance and its linear algebra against closed forms that need no eigendecomposition:
 * in 2-D, tr (A B)^{1/2} = sqrt(tr(A B) + 2 sqrt(det A det B)) (the square root of a 2 x 2 matrix
 * with eigenvalues l1, l2 >= 0 has trace sqrt(l1) + sqrt(l2), whose square is l1 + l2 + 2 sqrt(l1 l2)),
 * which holds for covariances that do not commute; square roots checked by squaring them.
 */
import { describe, expect, it } from 'vitest';
import { featureStats, frechetDistance, Rng, type FeatureStats } from '../src/index.js';
import { matmul, symmetricEigen, symmetricSqrt, trace } from '../src/metrics/linalg.js';

const stats = (mean: number[], cov: number[]): FeatureStats => ({ mean: Float64Array.from(mean), cov: Float64Array.from(cov) });

/** |mu_a - mu_b|^2 + tr A + tr B - 2 tr (A B)^{1/2} for 2 x 2 covariances [a00, a01, a10, a11]. */
function frechet2d(ma: number[], a: number[], mb: number[], b: number[]): number {
  const ab = [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]];
  const det = (m: number[]) => m[0] * m[3] - m[1] * m[2];
  const crossTrace = Math.sqrt(ab[0] + ab[3] + 2 * Math.sqrt(det(a) * det(b)));
  return (ma[0] - mb[0]) ** 2 + (ma[1] - mb[1]) ** 2 + a[0] + a[3] + b[0] + b[3] - 2 * crossTrace;
}

describe('Frechet distance of 2-D Gaussians in closed form', () => {
  it('covariances that do not commute, with unequal means', () => {
    const ma = [0.3, -1.1];
    const mb = [-0.4, 0.7];
    const a = [2, 0.9, 0.9, 1];
    const b = [0.5, -0.3, -0.3, 1.5];
    // A B != B A: the commuting closed form sum (sqrt a_i - sqrt b_i)^2 does not apply.
    expect(matmul(Float64Array.from(a), Float64Array.from(b), 2)[1]).not.toBeCloseTo(matmul(Float64Array.from(b), Float64Array.from(a), 2)[1], 3);
    const expected = frechet2d(ma, a, mb, b);
    expect(expected).toBeGreaterThan(1);
    expect(frechetDistance(stats(ma, a), stats(mb, b))).toBeCloseTo(expected, 12);
    expect(frechetDistance(stats(mb, b), stats(ma, a))).toBeCloseTo(expected, 12);
  });

  it('a singular covariance (all mass on a line) against a full one', () => {
    const a = [1, 2, 2, 4];
    const b = [1.2, 0.4, 0.4, 0.8];
    expect(frechetDistance(stats([0, 0], a), stats([1, 1], b))).toBeCloseTo(frechet2d([0, 0], a, [1, 1], b), 7);
  });

  it('equals the closed form on the sample statistics of two feature sets', () => {
    const rng = new Rng(5);
    const n = 50;
    const fa = Float32Array.from(rng.normal64(2 * n), (z, i) => (i % 2 === 0 ? 1.5 * z : 0.5 * z + 0.2));
    const fb = Float32Array.from(rng.normal64(2 * n), (z, i) => z + (i % 2 === 0 ? 1 : 0));
    // Rotate the first set by 30 degrees so that its covariance does not commute with the second's.
    const [c, s] = [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6)];
    for (let i = 0; i < n; i++) {
      const [x, y] = [fa[2 * i], fa[2 * i + 1]];
      fa[2 * i] = c * x - s * y;
      fa[2 * i + 1] = s * x + c * y;
    }
    const sa = featureStats(fa, n, 2);
    const sb = featureStats(fb, n, 2);
    const expected = frechet2d(Array.from(sa.mean), Array.from(sa.cov), Array.from(sb.mean), Array.from(sb.cov));
    expect(frechetDistance(sa, sb)).toBeCloseTo(expected, 12);
  });
});

describe('featureStats by hand', () => {
  it('mean and unbiased covariance of four 3-D points, every entry different', () => {
    const f = Float32Array.from([1, 0, 2, 3, 1, 0, 0, 4, 1, 4, 3, 5]);
    const { mean, cov } = featureStats(f, 4, 3);
    expect(Array.from(mean)).toEqual([2, 2, 2]);
    // Centred rows: [-1, -2, 0], [1, -1, -2], [-2, 2, -1], [2, 1, 3]; cov = sum of outer products / 3.
    const expected = [10, -1, 6, -1, 10, 3, 6, 3, 14].map((v) => v / 3);
    Array.from(cov).forEach((v, i) => expect(v, `entry ${i}`).toBeCloseTo(expected[i], 14));
  });
});

describe('symmetric square root and helpers', () => {
  it('the square root of a 3 x 3 covariance squares back to it and is symmetric', () => {
    const a = Float64Array.from([4, 1, -0.5, 1, 3, 0.25, -0.5, 0.25, 2]);
    const root = symmetricSqrt(a, 3);
    const squared = matmul(root, root, 3);
    squared.forEach((v, i) => expect(v, `entry ${i}`).toBeCloseTo(a[i], 12));
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(root[i * 3 + j]).toBe(root[j * 3 + i]);
    // The positive root: its eigenvalues are the square roots of a's.
    const values = Array.from(symmetricEigen(root, 3).values).sort((x, y) => x - y);
    const want = Array.from(symmetricEigen(a, 3).values, Math.sqrt).sort((x, y) => x - y);
    values.forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
  });

  it('clamps eigenvalues that rounding made slightly negative to zero', () => {
    // [[1, 1], [1, 1]] has eigenvalues 2 and 0; shrinking the diagonal by 1e-12 makes the second -1e-12.
    const a = Float64Array.from([1 - 1e-12, 1, 1, 1 - 1e-12]);
    const root = symmetricSqrt(a, 2);
    expect(root.every(Number.isFinite)).toBe(true);
    root.forEach((v) => expect(v).toBeCloseTo(Math.SQRT1_2, 10));
  });

  it('a diagonal matrix is its own eigendecomposition, and a 1 x 1 matrix too', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([3, 0, 0, 0, -2, 0, 0, 0, 5]), 3);
    expect(Array.from(values)).toEqual([3, -2, 5]);
    expect(Array.from(vectors)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(symmetricEigen(Float64Array.from([7]), 1).values)).toEqual([7]);
  });

  it('matmul and trace against hand values, zeros included', () => {
    const a = Float64Array.from([1, 0, 2, -1]);
    const b = Float64Array.from([3, 4, 5, 6]);
    expect(Array.from(matmul(a, b, 2))).toEqual([3, 4, 1, 2]);
    expect(trace(b, 2)).toBe(9);
  });
});

describe('Jacobi accuracy and refusals', () => {
  it('a small eigenvalue next to a huge one keeps its relative accuracy', () => {
    // [[a, b], [b, d]] with a = 1e30: the off-diagonal is below the rounding of a but not of d, so it
    // must still be rotated away. The small eigenvalue is det / (large one) = d - b^2 / a = 1 - 2.5e-7.
    const [a, b, d] = [1e30, 5e11, 1];
    const values = Array.from(symmetricEigen(Float64Array.from([a, b, b, d]), 2).values).sort((x, y) => x - y);
    expect(values[0]).toBeCloseTo(1 - (b * b) / a, 12);
    expect(values[1] / a).toBeCloseTo(1, 12);
    // The same with the huge entry last: each diagonal entry of the pair is checked.
    const swapped = Array.from(symmetricEigen(Float64Array.from([d, b, b, a]), 2).values).sort((x, y) => x - y);
    expect(swapped[0]).toBeCloseTo(1 - (b * b) / a, 12);
  });

  it('checks the diagonal entries of the pair it is at, deep inside a larger matrix', () => {
    // The 2 x 2 case above has its pair at (0, 1); here the pair sits at (3, 4) or (1, 3) of a 5 x 5
    // matrix, next to a third huge diagonal entry that reading any other diagonal would find.
    const [a, b] = [1e30, 5e11];
    const small = 1 - (b * b) / a;
    const embed = (entries: [number, number, number][]) => {
      const m = new Float64Array(25);
      for (const [i, j, v] of entries) m[i * 5 + j] = m[j * 5 + i] = v;
      return m;
    };
    const lowest = (m: Float64Array) => Math.min(...symmetricEigen(m, 5).values);
    expect(lowest(embed([[0, 0, 2], [1, 1, 3], [2, 2, a], [3, 3, 1], [4, 4, a], [3, 4, b]]))).toBeCloseTo(small, 12);
    expect(lowest(embed([[0, 0, 2], [1, 1, a], [2, 2, a], [3, 3, 1], [4, 4, 3], [1, 3, b]]))).toBeCloseTo(small, 12);
  });

  it('refuses an empty matrix and reports a matrix on which it cannot converge', () => {
    expect(() => symmetricEigen(new Float64Array(0), 0)).toThrow(/expected an n x n matrix for n = 0, got 0 entries/);
    expect(() => symmetricEigen(Float64Array.from([1, NaN, NaN, 1]), 2)).toThrow(/no convergence after 100 sweeps/);
  });
});

describe('Frechet distance input checks', () => {
  const ok = stats([0, 0], [1, 0, 0, 1]);
  it('names a covariance of the wrong size even when the mean fits', () => {
    expect(() => frechetDistance(ok, { mean: Float64Array.from([0, 0]), cov: new Float64Array(3) })).toThrow(
      'frechetDistance: stats b have mean [2] and cov of 3 entries; expected [2] and 2 x 2',
    );
    expect(() => frechetDistance({ mean: Float64Array.from([0, 0]), cov: new Float64Array(3) }, ok)).toThrow(/stats a have mean \[2\] and cov of 3 entries/);
  });

  it('names a mean of the wrong size even when the covariance has d x d entries', () => {
    expect(() => frechetDistance(ok, { mean: Float64Array.from([0]), cov: new Float64Array(4) })).toThrow(
      'frechetDistance: stats b have mean [1] and cov of 4 entries; expected [2] and 2 x 2',
    );
  });

  it('featureStats names its non-finite features', () => {
    expect(() => featureStats(Float32Array.from([0, 1, NaN, 2]), 2, 2)).toThrow('featureStats: features holds a non-finite value (NaN) at point 1');
  });

  it('names non-finite values in the mean or only in the covariance, of either side', () => {
    expect(() => frechetDistance(stats([Infinity, 0], [1, 0, 0, 1]), ok)).toThrow('frechetDistance: stats a hold non-finite values');
    expect(() => frechetDistance(ok, stats([0, 0], [1, NaN, NaN, 1]))).toThrow('frechetDistance: stats b hold non-finite values');
  });

  it('featureStats of two points: the mean and half the outer product of their difference, times 2 (unbiased)', () => {
    const { mean, cov } = featureStats(Float32Array.from([1, 5, 3, 2]), 2, 2);
    expect(Array.from(mean)).toEqual([2, 3.5]);
    // Difference (2, -3): unbiased covariance = d d^T / 2.
    expect(Array.from(cov)).toEqual([2, -3, -3, 4.5]);
  });
});
