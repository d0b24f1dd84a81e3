/**
 * The squared energy distance of Szekely and Rizzo, 2 E|X - Y| - E|X - X'| - E|Y - Y'|, which is
 * zero exactly when the two distributions are equal. The within-set terms are U-statistics
 * (averages over pairs of distinct points), which makes the estimate unbiased: it can come out
 * slightly negative when the distributions match.
 */
import { Rng } from '../random/index.js';
import { pointCount } from './points.js';

/** Options of {@link energyDistance}. */
export interface EnergyDistanceOptions {
  /**
   * Sets larger than this are replaced by a random subset of this many points before the
   * O(n m) pair sums: the points at the first maxPoints entries of a permutation of its indices,
   * drawn by `Rng.permutation` from one `new Rng(seed)` stream, for `a` first when both are
   * larger. Default: no subsampling.
   */
  readonly maxPoints?: number;
  /** Seed of the subsampling stream. Default 0. */
  readonly seed?: number;
}

/** The squared energy distance between point sets `a` and `b` (rows of `d` coordinates). */
export function energyDistance(a: Float32Array, b: Float32Array, d = 2, options: EnergyDistanceOptions = {}): number {
  const { maxPoints = Number.POSITIVE_INFINITY, seed = 0 } = options;
  if (!(maxPoints === Number.POSITIVE_INFINITY || (Number.isInteger(maxPoints) && maxPoints >= 2))) {
    throw new Error(`energyDistance: maxPoints must be an integer of at least 2, got ${maxPoints}`);
  }
  const n = pointCount('energyDistance', 'a', a, d);
  const m = pointCount('energyDistance', 'b', b, d);
  if (n < 2 || m < 2) {
    throw new Error(`energyDistance: each set needs at least 2 points for the within-set averages, got ${n} and ${m}`);
  }
  // Float64 copies, so the O(n m) pair loops read doubles without converting.
  let x: Float64Array = new Float64Array(a);
  let y: Float64Array = new Float64Array(b);
  if (n > maxPoints || m > maxPoints) {
    const rng = new Rng(seed);
    x = subsample(x, n, d, maxPoints, rng);
    y = subsample(y, m, d, maxPoints, rng);
  }
  return 2 * meanDistance(x, y, d, false) - meanDistance(x, x, d, true) - meanDistance(y, y, d, true);
}

/** A random subset of min(n, k) of the n points in x. */
function subsample(x: Float64Array, n: number, d: number, k: number, rng: Rng): Float64Array {
  if (n <= k) return x;
  const order = rng.permutation(n);
  const out = new Float64Array(k * d);
  for (let i = 0; i < k; i++) out.set(x.subarray(order[i] * d, order[i] * d + d), i * d);
  return out;
}

/**
 * Mean Euclidean distance over all pairs (x_i, y_j), or, when `distinct` (x and y the same set),
 * over pairs i < j, which by symmetry equals the mean over i != j. Rows are summed separately
 * and then added, which keeps the rounding error of the long sums small.
 */
function meanDistance(x: Float64Array, y: Float64Array, d: number, distinct: boolean): number {
  const nx = x.length / d;
  const ny = y.length / d;
  let total = 0;
  for (let i = 0, xi = 0; i < nx; i++, xi += d) {
    let row = 0;
    for (let j = distinct ? i + 1 : 0, yj = j * d; j < ny; j++, yj += d) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const t = x[xi + k] - y[yj + k];
        s += t * t;
      }
      row += Math.sqrt(s);
    }
    total += row;
  }
  return total / (distinct ? (nx * (nx - 1)) / 2 : nx * ny);
}
