/**
 * The Frechet distance between Gaussians fitted to two feature sets (FID when the features come
 * from Inception; here from any feature extractor, such as createClassifier's features):
 * |mu_a - mu_b|^2 + tr(A + B - 2 (A^{1/2} B A^{1/2})^{1/2}).
 * The symmetric form of the cross term has the same trace as the usual (A B)^{1/2} but needs only
 * symmetric eigendecompositions. Its eigenvalues are accurate to rounding relative to the largest;
 * zero ones come out as +-1e-16 of it, so singular covariances leave errors near 1e-8 of the scale.
 */
import { pointCount } from './points.js';
import { matmul, symmetricEigen, symmetricSqrt, trace } from './linalg.js';

/** Gaussian statistics of a set of feature vectors, as {@link featureStats} computes them (float64). */
export interface FeatureStats {
  /** Mean [d]. */
  readonly mean: Float64Array;
  /** Unbiased covariance [d, d], row-major. */
  readonly cov: Float64Array;
}

/** Mean and unbiased covariance, in float64, of `n` feature vectors of size `d` (rows of `features`). */
export function featureStats(features: Float32Array, n: number, d: number): FeatureStats {
  const rows = pointCount('featureStats', 'features', features, d);
  if (rows !== n) throw new Error(`featureStats: features hold ${rows} rows of ${d}, not n = ${n}`);
  if (n < 2) throw new Error(`featureStats: the covariance needs at least 2 feature vectors, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] += features[i * d + k];
  for (let k = 0; k < d; k++) mean[k] /= n;
  // Two passes (centre, then multiply) keep the sums free of the cancellation of E[xx] - E[x]E[x].
  const cov = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) centred[k] = features[i * d + k] - mean[k];
    for (let j = 0; j < d; j++) {
      const cj = centred[j];
      for (let k = j; k < d; k++) cov[j * d + k] += cj * centred[k];
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = j; k < d; k++) cov[j * d + k] = cov[k * d + j] = cov[j * d + k] / (n - 1);
  }
  return { mean, cov };
}

/**
 * The Frechet distance between two Gaussians as FID defines it (the squared 2-Wasserstein
 * distance): ||mu_a - mu_b||^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2)), computed in float64.
 *
 * @throws Error when the two statistics differ in dimension or hold non-finite values.
 */
export function frechetDistance(a: FeatureStats, b: FeatureStats): number {
  const d = a.mean.length;
  for (const [label, s] of [['a', a], ['b', b]] as const) {
    if (s.mean.length !== d || s.cov.length !== d * d) {
      throw new Error(`frechetDistance: stats ${label} have mean [${s.mean.length}] and cov of ${s.cov.length} entries; expected [${d}] and ${d} x ${d}`);
    }
    if (!s.mean.every(Number.isFinite) || !s.cov.every(Number.isFinite)) throw new Error(`frechetDistance: stats ${label} hold non-finite values`);
  }
  let meanTerm = 0;
  for (let k = 0; k < d; k++) meanTerm += (a.mean[k] - b.mean[k]) ** 2;
  const rootA = symmetricSqrt(a.cov, d);
  const inner = matmul(matmul(rootA, b.cov, d), rootA, d);
  // Symmetrise what rounding left asymmetric, so Jacobi sees a symmetric matrix.
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) inner[i * d + j] = inner[j * d + i] = (inner[i * d + j] + inner[j * d + i]) / 2;
  }
  // tr of the square root is the sum of the square roots of the eigenvalues.
  const crossTrace = symmetricEigen(inner, d).values.reduce((s, l) => s + Math.sqrt(Math.max(l, 0)), 0);
  return meanTerm + trace(a.cov, d) + trace(b.cov, d) - 2 * crossTrace;
}
