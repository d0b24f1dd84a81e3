import { describe, expect, it } from 'vitest';
import { checkerboardInSupport, sampleToy2d, standardize, TOY2D_NAMES, unstandardize } from '../src/data/index.js';
import { Rng } from '../src/random/index.js';
import { chiSquareCritical, chiSquareUniform, mean } from './helpers/stats.js';

const N = 40_000;

/** Distances from `center` of the points with label `label`, minus the designed radius. */
function radialResiduals(
  points: Float32Array,
  labels: Int32Array,
  label: number,
  center: [number, number],
  radius: number,
): number[] {
  const out: number[] = [];
  for (let p = 0; p < labels.length; p++) {
    if (labels[p] === label) out.push(Math.hypot(points[2 * p] - center[0], points[2 * p + 1] - center[1]) - radius);
  }
  return out;
}

/**
 * Residuals of |c + e| - R for isotropic noise e of std s: mean s^2 / (2R) (from the tangential
 * part), std s up to O(s^2 / R); checked within 5 standard errors.
 */
function expectNoisyCircle(residuals: number[], radius: number, std: number): void {
  const n = residuals.length;
  const m = mean(residuals);
  const sd = Math.sqrt(mean(residuals.map((r) => (r - m) ** 2)));
  expect(Math.abs(m - std ** 2 / (2 * radius))).toBeLessThan((5 * std) / Math.sqrt(n));
  expect(Math.abs(sd / std - 1)).toBeLessThan(5 / Math.sqrt(2 * n) + 0.01);
}

function labelCounts(labels: Int32Array, k: number): Float64Array {
  const counts = new Float64Array(k);
  for (const l of labels) counts[l]++;
  return counts;
}

describe('sampleToy2d', () => {
  it('names the valid distributions when given an unknown one', () => {
    expect(() => sampleToy2d('spirals', 10, new Rng(0))).toThrow(
      'unknown toy 2D distribution "spirals"; valid names: checkerboard, moons, 8gaussians, swissroll, rings',
    );
    expect(() => sampleToy2d('toString', 10, new Rng(0))).toThrow(/unknown toy 2D distribution/);
    expect(() => sampleToy2d('moons', 2.5, new Rng(0))).toThrow(/n must be a non-negative integer/);
  });

  it('is deterministic for a seed, differs across seeds, and gives finite float32 pairs', () => {
    expect(TOY2D_NAMES).toEqual(['checkerboard', 'moons', '8gaussians', 'swissroll', 'rings']);
    for (const name of TOY2D_NAMES) {
      const a = sampleToy2d(name, 500, new Rng(1));
      const b = sampleToy2d(name, 500, new Rng(1));
      expect(a).toEqual(b);
      expect(a.points).toBeInstanceOf(Float32Array);
      expect(a.points.length).toBe(1000);
      expect(a.points.every(Number.isFinite)).toBe(true);
      expect(sampleToy2d(name, 500, new Rng(2)).points).not.toEqual(a.points);
      expect(sampleToy2d(name, 0, new Rng(1)).points.length).toBe(0);
    }
  });
});

describe('checkerboard', () => {
  const { points, labels } = sampleToy2d('checkerboard', N, new Rng(3));

  it('puts every sample in an odd cell of the board, each cell with probability 1/8', () => {
    // Odd cells (i, j) in row-major order, as documented for the labels.
    const oddCells: string[] = [];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if ((i + j) % 2 === 1) oddCells.push(`${i},${j}`);
    const counts = new Float64Array(8);
    for (let p = 0; p < N; p++) {
      const x = points[2 * p];
      const y = points[2 * p + 1];
      expect(checkerboardInSupport(x, y)).toBe(true);
      const cell = oddCells.indexOf(`${Math.floor(x + 2)},${Math.floor(y + 2)}`);
      expect(cell).toBe(labels![p]);
      counts[cell]++;
    }
    expect(chiSquareUniform(counts)).toBeLessThan(chiSquareCritical(7));
  });

  it('is uniform within a cell', () => {
    const offsets = Array.from(points, (v) => v + 2 - Math.floor(v + 2));
    expect(Math.abs(mean(offsets) - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / offsets.length));
    const deciles = new Float64Array(10);
    for (const o of offsets) deciles[Math.floor(o * 10)]++;
    expect(chiSquareUniform(deciles)).toBeLessThan(chiSquareCritical(9));
  });

  it('support: odd cells and their edges, nothing else', () => {
    expect(checkerboardInSupport(-1.5, -0.5)).toBe(true); // cell (0, 1)
    expect(checkerboardInSupport(-1.5, -1.5)).toBe(false); // cell (0, 0)
    expect(checkerboardInSupport(1.5, 0.5)).toBe(true); // cell (3, 2)
    expect(checkerboardInSupport(1.5, 1.5)).toBe(false); // cell (3, 3)
    expect(checkerboardInSupport(-1, -1.5)).toBe(true); // edge between (0, 0) and (1, 0)
    expect(checkerboardInSupport(-1, -1)).toBe(true); // corner shared with (0, 1)
    expect(checkerboardInSupport(-2, -2)).toBe(false); // corner of (0, 0) only
    expect(checkerboardInSupport(2, 0.5)).toBe(true); // outer edge of (3, 2)
    expect(checkerboardInSupport(2, 2)).toBe(false);
    expect(checkerboardInSupport(2.01, 0.5)).toBe(false);
    expect(checkerboardInSupport(-0.5, -2.01)).toBe(false);
    expect(checkerboardInSupport(Number.NaN, 0.5)).toBe(false);
    expect(checkerboardInSupport(0.5, Number.POSITIVE_INFINITY)).toBe(false);
  });
});

describe('moons', () => {
  it('draws unit half circles around (0, 0) and (1, 0.5) with noise std 0.05, half each', () => {
    const { points, labels } = sampleToy2d('moons', N, new Rng(4));
    expectNoisyCircle(radialResiduals(points, labels!, 0, [0, 0], 1), 1, 0.05);
    expectNoisyCircle(radialResiduals(points, labels!, 1, [1, 0.5], 1), 1, 0.05);
    expect(chiSquareUniform(labelCounts(labels!, 2))).toBeLessThan(chiSquareCritical(1));
    for (let p = 0; p < N; p++) {
      // Upper arc above y = 0, lower arc below y = 0.5, up to 6 noise std.
      if (labels![p] === 0) expect(points[2 * p + 1]).toBeGreaterThan(-0.3);
      else expect(points[2 * p + 1]).toBeLessThan(0.8);
    }
  });
});

describe('8gaussians', () => {
  it('labels each point with its nearest mode, modes equally likely, std 0.1', () => {
    const { points, labels } = sampleToy2d('8gaussians', N, new Rng(5));
    const modes = Array.from({ length: 8 }, (_, k) => [2 * Math.cos((k * Math.PI) / 4), 2 * Math.sin((k * Math.PI) / 4)]);
    const offsets: number[] = [];
    for (let p = 0; p < N; p++) {
      const d = modes.map(([mx, my]) => Math.hypot(points[2 * p] - mx, points[2 * p + 1] - my));
      const nearest = d.indexOf(Math.min(...d));
      expect(nearest).toBe(labels![p]);
      offsets.push(points[2 * p] - modes[nearest][0], points[2 * p + 1] - modes[nearest][1]);
    }
    expect(chiSquareUniform(labelCounts(labels!, 8))).toBeLessThan(chiSquareCritical(7));
    expect(Math.abs(mean(offsets))).toBeLessThan((5 * 0.1) / Math.sqrt(offsets.length));
    const sd = Math.sqrt(mean(offsets.map((o) => o * o)));
    expect(Math.abs(sd / 0.1 - 1)).toBeLessThan(5 / Math.sqrt(2 * offsets.length));
  });
});

describe('swissroll', () => {
  it('lies on the spiral r = t / 5 at angle t, t uniform in [1.5 pi, 4.5 pi], noise std 0.1', () => {
    const { points, labels } = sampleToy2d('swissroll', N, new Rng(6));
    expect(labels).toBeUndefined();
    const residuals: number[] = [];
    const radii: number[] = [];
    for (let p = 0; p < N; p++) {
      const r = Math.hypot(points[2 * p], points[2 * p + 1]);
      const phi = Math.atan2(points[2 * p + 1], points[2 * p]);
      // The spiral crosses this ray at t = phi + 2 pi k; take the nearest crossing (ends extended).
      let best = Number.POSITIVE_INFINITY;
      for (let k = -1; k <= 3; k++) {
        const t = phi + 2 * Math.PI * k;
        if (t > 1.5 * Math.PI - 1 && t < 4.5 * Math.PI + 1 && Math.abs(r - t / 5) < Math.abs(best)) best = r - t / 5;
      }
      residuals.push(best);
      radii.push(r);
    }
    // The radial residual mixes in the tangential noise through the spiral's slope (1/5 per radian).
    const rms = Math.sqrt(mean(residuals.map((e) => e * e)));
    // Its rms is about 1.006 noise std; the standard error of an rms over N points is 0.35%.
    expect(rms).toBeGreaterThan(0.1 * 0.98);
    expect(rms).toBeLessThan(0.1 * 1.04);
    // Radius t / 5 is uniform on [0.3 pi, 0.9 pi]: mean 0.6 pi, std 0.6 pi / sqrt(12).
    expect(Math.abs(mean(radii) - 0.6 * Math.PI)).toBeLessThan((5 * 0.6 * Math.PI) / Math.sqrt(12 * N) + 0.01);
  });
});

describe('rings', () => {
  it('draws circles of radii 0.5, 1, 1.5, 2 around the origin with noise std 0.05, equally likely', () => {
    const { points, labels } = sampleToy2d('rings', N, new Rng(7));
    [0.5, 1, 1.5, 2].forEach((radius, label) => {
      expectNoisyCircle(radialResiduals(points, labels!, label, [0, 0], radius), radius, 0.05);
    });
    expect(chiSquareUniform(labelCounts(labels!, 4))).toBeLessThan(chiSquareCritical(3));
  });
});

describe('standardize', () => {
  const { points } = sampleToy2d('moons', 10_000, new Rng(8));

  it('gives per-coordinate mean 0 and overall std sigmaD with one scale for both axes', () => {
    const { data, mean: m, scale } = standardize(points, 0.5);
    const xs = Array.from({ length: 10_000 }, (_, p) => points[2 * p]);
    const ys = Array.from({ length: 10_000 }, (_, p) => points[2 * p + 1]);
    expect(m[0]).toBeCloseTo(mean(xs), 6);
    expect(m[1]).toBeCloseTo(mean(ys), 6);
    const sx = Math.sqrt(mean(xs.map((x) => (x - m[0]) ** 2)));
    const sy = Math.sqrt(mean(ys.map((y) => (y - m[1]) ** 2)));
    expect(scale).toBeCloseTo(0.5 / Math.sqrt((sx * sx + sy * sy) / 2), 6);

    const dx = Array.from({ length: 10_000 }, (_, p) => data[2 * p]);
    const dy = Array.from({ length: 10_000 }, (_, p) => data[2 * p + 1]);
    expect(Math.abs(mean(dx))).toBeLessThan(1e-6);
    expect(Math.abs(mean(dy))).toBeLessThan(1e-6);
    expect(Math.sqrt(mean([...dx, ...dy].map((v) => v * v)))).toBeCloseTo(0.5, 6);
    // The aspect ratio survives: x and y spreads keep their ratio.
    expect(Math.sqrt(mean(dx.map((v) => v * v))) / Math.sqrt(mean(dy.map((v) => v * v)))).toBeCloseTo(sx / sy, 5);
  });

  it('round-trips through unstandardize to float32 precision', () => {
    const s = standardize(points, 0.5);
    const back = unstandardize(s.data, s);
    for (let i = 0; i < points.length; i++) expect(Math.abs(back[i] - points[i])).toBeLessThan(1e-6 * (1 + Math.abs(points[i])));
  });

  it('names the problem with unusable input', () => {
    expect(() => standardize(new Float32Array([1, 2, 3]), 0.5)).toThrow(/interleaved x, y pairs, got length 3/);
    expect(() => standardize(new Float32Array(0), 0.5)).toThrow(/non-empty/);
    expect(() => standardize(new Float32Array([1, 2, 1, 2]), 0.5)).toThrow(/all points are equal/);
    expect(() => standardize(new Float32Array([1, Number.NaN, 0, 0]), 0.5)).toThrow(/non-finite/);
    expect(() => standardize(points, 0)).toThrow(/sigmaD must be positive/);
  });
});
