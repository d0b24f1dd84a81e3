/**
 * Two-dimensional toy distributions, the usual first check of a generative model: their
 * densities are known in closed form, so samples can be scored (core's sample metrics) and drawn.
 * Every sampler computes in float64 from a seeded Rng and rounds once to float32.
 *
 * - checkerboard: the 8 cells (i, j) with i + j odd of a 4 x 4 board of unit cells over [-2, 2]^2,
 *   a cell chosen uniformly (label 0..7, row-major over i then j), the point uniform in it.
 * - moons: sklearn's make_moons with the angle drawn uniformly instead of on a grid: upper arc
 *   (cos a, sin a) and lower arc (1 - cos a, 0.5 - sin a), a uniform in [0, pi], arc chosen with
 *   probability 1/2 (label 0 upper, 1 lower), plus isotropic gaussian noise of std 0.05.
 * - 8gaussians: modes at radius 2 and angles k pi / 4 (label k = 0..7, mode 0 at (2, 0)), chosen
 *   uniformly, std 0.1: adjacent modes are 15 std apart, so mode dropping is plain to see.
 * - swissroll: sklearn's 2-D roll scaled by 1/5, (t cos t, t sin t) / 5 with t uniform in
 *   [1.5 pi, 4.5 pi], plus isotropic gaussian noise of std 0.1 (the arms are 2 pi / 5 apart).
 * - rings: concentric circles of radii 0.5, 1, 1.5, 2 (label 0..3), a ring chosen uniformly, the
 *   angle uniform, plus isotropic gaussian noise of std 0.05.
 */
import type { Rng } from '../random/index.js';

/**
 * The toy distributions by name: 'checkerboard' (8 unit cells of a 4 x 4 board over [-2, 2]^2),
 * 'moons' (two interleaved arcs, noise std 0.05), '8gaussians' (modes at radius 2, std 0.1),
 * 'swissroll' (sklearn's roll scaled by 1/5, noise 0.1), 'rings' (radii 0.5 to 2, noise 0.05).
 */
export const TOY2D_NAMES = ['checkerboard', 'moons', '8gaussians', 'swissroll', 'rings'] as const;
/** One of {@link TOY2D_NAMES}. */
export type Toy2dName = (typeof TOY2D_NAMES)[number];

/** Points drawn from a toy distribution, in its own coordinates (before standardisation). */
export interface Toy2dSample {
  /** n points, interleaved x, y. */
  readonly points: Float32Array;
  /** The mixture component of each point, where the distribution has components. */
  readonly labels?: Int32Array;
}

/** Per-coordinate mean and one common scale: standardized = (x - mean) * scale. */
export interface Standardization {
  /** Mean of x and of y. */
  readonly mean: readonly [number, number];
  /** One factor for both coordinates that brings the overall std (RMS over both) to sigma_d. */
  readonly scale: number;
}

const BOARD_HALF_WIDTH = 2;
const BOARD_CELLS = 4;
const MOONS_NOISE = 0.05;
const GAUSSIANS_RADIUS = 2;
const GAUSSIANS_STD = 0.1;
const SWISSROLL_SCALE = 1 / 5;
const SWISSROLL_NOISE = 0.1;
const RINGS_RADII = [0.5, 1, 1.5, 2];
const RINGS_NOISE = 0.05;

type Sampler = (n: number, rng: Rng) => Toy2dSample;

const SAMPLERS: Record<Toy2dName, Sampler> = {
  checkerboard(n, rng) {
    const labels = rng.randint(n, 8);
    const u = rng.uniform64(2 * n);
    const points = new Float32Array(2 * n);
    for (let p = 0; p < n; p++) {
      // Each row i holds two odd cells: j = 1, 3 on even rows and j = 0, 2 on odd rows.
      const i = labels[p] >> 1;
      const j = 2 * (labels[p] & 1) + 1 - (i & 1);
      points[2 * p] = -BOARD_HALF_WIDTH + i + u[2 * p];
      points[2 * p + 1] = -BOARD_HALF_WIDTH + j + u[2 * p + 1];
    }
    return { points, labels };
  },

  moons(n, rng) {
    const labels = rng.randint(n, 2);
    const angle = rng.uniform64(n);
    const noise = rng.normal64(2 * n);
    const points = new Float32Array(2 * n);
    for (let p = 0; p < n; p++) {
      const a = Math.PI * angle[p];
      const x = labels[p] === 0 ? Math.cos(a) : 1 - Math.cos(a);
      const y = labels[p] === 0 ? Math.sin(a) : 0.5 - Math.sin(a);
      points[2 * p] = x + MOONS_NOISE * noise[2 * p];
      points[2 * p + 1] = y + MOONS_NOISE * noise[2 * p + 1];
    }
    return { points, labels };
  },

  '8gaussians'(n, rng) {
    const labels = rng.randint(n, 8);
    const noise = rng.normal64(2 * n);
    const points = new Float32Array(2 * n);
    for (let p = 0; p < n; p++) {
      const a = (Math.PI / 4) * labels[p];
      points[2 * p] = GAUSSIANS_RADIUS * Math.cos(a) + GAUSSIANS_STD * noise[2 * p];
      points[2 * p + 1] = GAUSSIANS_RADIUS * Math.sin(a) + GAUSSIANS_STD * noise[2 * p + 1];
    }
    return { points, labels };
  },

  swissroll(n, rng) {
    const u = rng.uniform64(n);
    const noise = rng.normal64(2 * n);
    const points = new Float32Array(2 * n);
    for (let p = 0; p < n; p++) {
      const t = 1.5 * Math.PI * (1 + 2 * u[p]);
      points[2 * p] = SWISSROLL_SCALE * t * Math.cos(t) + SWISSROLL_NOISE * noise[2 * p];
      points[2 * p + 1] = SWISSROLL_SCALE * t * Math.sin(t) + SWISSROLL_NOISE * noise[2 * p + 1];
    }
    return { points };
  },

  rings(n, rng) {
    const labels = rng.randint(n, RINGS_RADII.length);
    const angle = rng.uniform64(n);
    const noise = rng.normal64(2 * n);
    const points = new Float32Array(2 * n);
    for (let p = 0; p < n; p++) {
      const a = 2 * Math.PI * angle[p];
      const r = RINGS_RADII[labels[p]];
      points[2 * p] = r * Math.cos(a) + RINGS_NOISE * noise[2 * p];
      points[2 * p + 1] = r * Math.sin(a) + RINGS_NOISE * noise[2 * p + 1];
    }
    return { points, labels };
  },
};

/**
 * n points of the named distribution (one of {@link TOY2D_NAMES}), computed in float64 from `rng`
 * and rounded once to float32.
 *
 * @throws Error for an unknown name or an n that is not a non-negative integer.
 */
export function sampleToy2d(name: string, n: number, rng: Rng): Toy2dSample {
  if (!Object.hasOwn(SAMPLERS, name)) {
    throw new Error(`unknown toy 2D distribution ${JSON.stringify(name)}; valid names: ${TOY2D_NAMES.join(', ')}`);
  }
  if (!Number.isInteger(n) || n < 0) throw new Error(`sampleToy2d: n must be a non-negative integer, got ${n}`);
  return SAMPLERS[name as Toy2dName](n, rng);
}

/**
 * Whether (x, y) lies in the checkerboard's support, the closure of its 8 cells: a point on a
 * cell edge counts, since a sample can round onto one when cast to float32.
 */
export function checkerboardInSupport(x: number, y: number): boolean {
  const [i0, i1] = closedCellRange(x);
  const [j0, j1] = closedCellRange(y);
  if (!(i0 <= i1 && j0 <= j1)) return false;
  // On an edge both parities are available along that axis; inside a cell only one.
  return i0 !== i1 || j0 !== j1 || (i0 + j0) % 2 === 1;
}

/** The board columns (or rows) whose closed extent contains v: none, one, or two on an edge. */
function closedCellRange(v: number): [number, number] {
  const s = v + BOARD_HALF_WIDTH;
  return [Math.max(0, Math.ceil(s) - 1), Math.min(BOARD_CELLS - 1, Math.floor(s))];
}

/**
 * Maps points to per-coordinate mean 0 and overall std `sigmaD` (the root mean square over both
 * coordinates). One scale serves both coordinates, so shapes keep their aspect ratio: a circle
 * stays a circle. Lu & Song 2024 standardise toy data this way with sigmaD = 0.5.
 */
export function standardize(
  points: Float32Array,
  sigmaD: number,
): Standardization & {
  /** The points standardised. */
  data: Float32Array;
} {
  if (!(sigmaD > 0 && Number.isFinite(sigmaD))) throw new Error(`standardize: sigmaD must be positive, got ${sigmaD}`);
  if (points.length === 0 || points.length % 2 !== 0) {
    throw new Error(`standardize: expected a non-empty array of interleaved x, y pairs, got length ${points.length}`);
  }
  const n = points.length / 2;
  let mx = 0;
  let my = 0;
  for (let p = 0; p < n; p++) {
    mx += points[2 * p];
    my += points[2 * p + 1];
  }
  mx /= n;
  my /= n;
  let sumSquares = 0;
  for (let p = 0; p < n; p++) sumSquares += (points[2 * p] - mx) ** 2 + (points[2 * p + 1] - my) ** 2;
  const std = Math.sqrt(sumSquares / points.length);
  if (!Number.isFinite(std)) throw new Error('standardize: the points contain a non-finite value');
  if (std === 0) throw new Error('standardize: all points are equal, so there is no spread to scale');
  const scale = sigmaD / std;
  const data = new Float32Array(points.length);
  for (let p = 0; p < n; p++) {
    data[2 * p] = (points[2 * p] - mx) * scale;
    data[2 * p + 1] = (points[2 * p + 1] - my) * scale;
  }
  return { data, mean: [mx, my], scale };
}

/** The inverse of `standardize`: data / scale + mean. */
export function unstandardize(data: Float32Array, { mean, scale }: Standardization): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] / scale + mean[i % 2];
  return out;
}
