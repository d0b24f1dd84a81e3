/**
 * Sliced 2-Wasserstein: the 2-Wasserstein distance between one-dimensional projections, which is
 * exact and cheap (sort and match quantiles), averaged over directions drawn uniformly on the
 * sphere. The directions come from a seed, so two evaluations with the same seed project onto the
 * same lines and their values compare without direction noise.
 */
import { Rng } from '../random/index.js';
import { pointCount } from './points.js';

/** Options of {@link slicedWasserstein2}. */
export interface SlicedWassersteinOptions {
  /** Number of directions. Default 128. */
  readonly projections?: number;
  /** Seed of the directions (normalised standard normal vectors). Default 0. */
  readonly seed?: number;
}

/**
 * The squared sliced 2-Wasserstein distance: the mean over directions u of W2^2(u.X, u.Y), in
 * squared units of the data (take the square root for a distance). Sets of different sizes are
 * compared through their quantile functions, exactly.
 */
export function slicedWasserstein2(
  a: Float32Array,
  b: Float32Array,
  d = 2,
  { projections = 128, seed = 0 }: SlicedWassersteinOptions = {},
): number {
  const n = pointCount('slicedWasserstein2', 'a', a, d);
  const m = pointCount('slicedWasserstein2', 'b', b, d);
  if (n === 0 || m === 0) throw new Error(`slicedWasserstein2: both sets need points, got ${n} and ${m}`);
  if (!Number.isInteger(projections) || projections < 1) {
    throw new Error(`slicedWasserstein2: projections must be a positive integer, got ${projections}`);
  }
  const rng = new Rng(seed);
  let total = 0;
  for (let p = 0; p < projections; p++) {
    const u = rng.normal64(d);
    let norm = 0;
    for (let k = 0; k < d; k++) norm += u[k] * u[k];
    for (let k = 0; k < d; k++) u[k] /= Math.sqrt(norm);
    total += w2Squared1d(project(a, u), project(b, u));
  }
  return total / projections;
}

/** The sorted projections u . x_i. */
function project(points: Float32Array, u: Float64Array): Float64Array {
  const d = u.length;
  const out = new Float64Array(points.length / d);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += points[i * d + k] * u[k];
    out[i] = s;
  }
  return out.sort();
}

/**
 * W2^2 between two empirical measures on the line, the integral over t in (0, 1) of
 * (Fx^-1(t) - Fy^-1(t))^2. Both quantile functions are steps, at multiples of 1/n and 1/m; the
 * merge walks their union, measuring t in units of 1/(n m) so that breakpoints compare exactly.
 */
function w2Squared1d(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  const m = y.length;
  let i = 0;
  let j = 0;
  let position = 0;
  let total = 0;
  while (i < n && j < m) {
    const nextX = (i + 1) * m;
    const nextY = (j + 1) * n;
    const next = Math.min(nextX, nextY);
    total += (next - position) * (x[i] - y[j]) ** 2;
    position = next;
    if (nextX === next) i++;
    if (nextY === next) j++;
  }
  return total / (n * m);
}
