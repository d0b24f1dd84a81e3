/**
 * Dense symmetric linear algebra in float64 for the Frechet distance: d x d matrices, d up to a few
 * hundred, row-major. The cyclic Jacobi method is slow for large d but simple, and it computes small
 * eigenvalues to high relative accuracy, which the square roots of nearly singular covariances need.
 */

export interface SymmetricEigen {
  /** Eigenvalues, in no particular order. */
  readonly values: Float64Array;
  /** Row-major n x n matrix whose column j is the unit eigenvector of values[j]. */
  readonly vectors: Float64Array;
}

/** Far more than the handful of sweeps Jacobi's quadratic convergence needs. */
const MAX_SWEEPS = 100;

/**
 * The eigendecomposition A = V diag(values) V^T of the symmetric n x n matrix `a` (only read) by
 * cyclic Jacobi rotations, until every off-diagonal entry is negligible next to its diagonal pair.
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1 || a.length !== n * n) {
    throw new Error(`symmetricEigen: expected an n x n matrix for n = ${n}, got ${a.length} entries`);
  }
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        // Rounding-level entries, which no rotation can reduce further, end the iteration.
        const g = 100 * Math.abs(apq);
        if (Math.abs(app) + g === Math.abs(app) && Math.abs(aqq) + g === Math.abs(aqq)) {
          m[p * n + q] = m[q * n + p] = 0;
          continue;
        }
        rotate(m, v, n, p, q);
        rotated = true;
      }
    }
    if (!rotated) return { values: Float64Array.from({ length: n }, (_, i) => m[i * n + i]), vectors: v };
  }
  throw new Error(`symmetricEigen: no convergence after ${MAX_SWEEPS} sweeps (is the matrix finite and symmetric?)`);
}

/**
 * The rotation J in the (p, q) plane that zeroes m[p, q]: m <- J^T m J, v <- v J. tan of the angle
 * is the smaller root of t^2 + 2 theta t - 1 = 0, which keeps the rotation below 45 degrees.
 */
function rotate(m: Float64Array, v: Float64Array, n: number, p: number, q: number): void {
  const apq = m[p * n + q];
  const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.hypot(theta, 1));
  const c = 1 / Math.hypot(t, 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    if (k === p || k === q) continue;
    const kp = m[k * n + p];
    const kq = m[k * n + q];
    m[k * n + p] = m[p * n + k] = c * kp - s * kq;
    m[k * n + q] = m[q * n + k] = s * kp + c * kq;
  }
  // The diagonal updates in the form that loses no precision to cancellation.
  m[p * n + p] -= t * apq;
  m[q * n + q] += t * apq;
  m[p * n + q] = m[q * n + p] = 0;
  for (let k = 0; k < n; k++) {
    const kp = v[k * n + p];
    const kq = v[k * n + q];
    v[k * n + p] = c * kp - s * kq;
    v[k * n + q] = s * kp + c * kq;
  }
}

/**
 * The symmetric positive semi-definite square root V diag(sqrt(max(lambda, 0))) V^T. Covariances
 * are PSD in exact arithmetic; rounding can leave tiny negative eigenvalues, clamped to 0.
 */
export function symmetricSqrt(a: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, n);
  const root = values.map((l) => Math.sqrt(Math.max(l, 0)));
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i * n + k] * root[k] * vectors[j * n + k];
      out[i * n + j] = out[j * n + i] = s;
    }
  }
  return out;
}

/** The n x n product a b. */
export function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  }
  return out;
}

export function trace(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i * n + i];
  return s;
}
