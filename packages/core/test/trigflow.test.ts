import { describe, expect, it } from 'vitest';
import {
  consistencySample,
  consistencyTimes,
  ddimSample,
  dpmSolver2Sample,
  edmGrid,
  generate,
  heunSample,
  modelField,
  Rng,
  sampleTimes,
  tMaxFor,
  uniformGrid,
  type Model,
} from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';
import { consistencyModel, exactF0, velocityModel, type Gaussian } from './helpers/gaussian.js';

const o = new ReferenceOps();
const g: Gaussian = { mu: 0.7, s0: 0.3, sigmaD: 0.5 };
const N = 4000;

function start(seed: number) {
  const z = new Rng(seed).normal64(N);
  return { z, x: o.fromArray(z.map((v) => v * g.sigmaD), [N, 1]) };
}

function moments(a: ArrayLike<number>) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m += a[i];
  m /= a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - m) ** 2;
  return { mean: m, std: Math.sqrt(v / (a.length - 1)) };
}

/** Max deviation from the exact ODE endpoint of each starting point. */
function maxPathError(x0: ArrayLike<number>, xStart: ArrayLike<number>, tStart: number) {
  let worst = 0;
  for (let i = 0; i < x0.length; i++) worst = Math.max(worst, Math.abs(x0[i] - exactF0(g, xStart[i], tStart)));
  return worst;
}

describe('TrigFlow samplers with the exact velocity of Gaussian data', () => {
  const field = modelField(o, velocityModel(g), {}, g.sigmaD);
  const tMax = tMaxFor(g.sigmaD);

  it('t_max is arctan(80 / sigma_d)', () => {
    expect(tMax).toBeCloseTo(1.5645464, 6);
  });

  const samplers = { ddim: ddimSample, heun: heunSample, dpm2: dpmSolver2Sample } as const;

  it.each(['heun', 'dpm2'] as const)('%s at 35 NFE (EDM grid of 18) transports N(0, sigma_d^2) to the data Gaussian', (name) => {
    const { x } = start(1);
    const m = moments(o.readSync(samplers[name](o, field, x, edmGrid(18, g.sigmaD), g.sigmaD)));
    expect(Math.abs(m.mean - g.mu)).toBeLessThan(4 * (g.s0 / Math.sqrt(N)) + 0.01);
    // 18 EDM steps are coarse around sigma ~ s0, where this flow bends: a few % of s0 remains.
    expect(Math.abs(m.std - g.s0)).toBeLessThan(0.1 * g.s0);
  });

  it.each([
    ['ddim', 1],
    ['heun', 2],
    ['dpm2', 2],
  ] as const)('%s follows the exact flow map sample by sample with convergence order %i', (name, order) => {
    const { z, x } = start(2);
    const xs = z.map((v) => v * g.sigmaD);
    const err = (n: number) => maxPathError(o.readSync(samplers[name](o, field, x, edmGrid(n, g.sigmaD), g.sigmaD)), xs, edmGrid(n, g.sigmaD)[0]);
    const coarse = err(40);
    const fine = err(80);
    expect(fine).toBeLessThan(order === 2 ? 0.01 : 0.1);
    // Halving the step divides the error by about 2^order.
    expect(Math.log2(coarse / fine)).toBeGreaterThan(order - 0.3);
    expect(Math.log2(coarse / fine)).toBeLessThan(order + 0.5);
  });

  it('ddim on a uniform grid converges to the exact flow map', () => {
    const { z, x } = start(3);
    const out = o.readSync(ddimSample(o, field, x, uniformGrid(400, tMax), g.sigmaD));
    expect(maxPathError(out, z.map((v) => v * g.sigmaD), tMax)).toBeLessThan(1e-2);
  });

  it('ddim with few steps is measurably worse than with many (the test can fail)', () => {
    const { z, x } = start(2);
    const coarse = maxPathError(o.readSync(ddimSample(o, field, x, uniformGrid(3, tMax), g.sigmaD)), z.map((v) => v * g.sigmaD), tMax);
    expect(coarse).toBeGreaterThan(1e-2);
  });

  it('rejects grids that do not decrease to 0', () => {
    const { x } = start(3);
    expect(() => ddimSample(o, field, x, [1, 1.2, 0], g.sigmaD)).toThrow(/decrease/);
    expect(() => edmGrid(0, 0.5)).toThrow(/positive integer/);
  });

  it('edmGrid follows the EDM formula and ends at 0', () => {
    const grid = edmGrid(18, 0.5);
    expect(grid).toHaveLength(19);
    expect(grid[0]).toBeCloseTo(Math.atan(80 / 0.5), 12);
    expect(Math.tan(grid[17]) * 0.5).toBeCloseTo(0.002, 9);
    const i = 5;
    const sigma = (80 ** (1 / 7) + (i / 17) * (0.002 ** (1 / 7) - 80 ** (1 / 7))) ** 7;
    expect(Math.tan(grid[i]) * 0.5).toBeCloseTo(sigma, 9);
    expect(grid[18]).toBe(0);
  });
});

describe('consistency sampling with the exact consistency function of a Gaussian', () => {
  const field = modelField(o, consistencyModel(g), {}, g.sigmaD);

  it('1 step reproduces the Gaussian, sample by sample', () => {
    const { z, x } = start(4);
    const times = consistencyTimes(1, g.sigmaD);
    const out = o.readSync(consistencySample(o, field, [o.fromArray(z, [N, 1])], times, g.sigmaD));
    expect(maxPathError(out, o.readSync(x), times[0])).toBeLessThan(1e-9);
    const m = moments(out);
    expect(Math.abs(m.mean - g.mu)).toBeLessThan(4 * (g.s0 / Math.sqrt(N)) + 0.005);
    expect(Math.abs(m.std - g.s0)).toBeLessThan(0.02);
  });

  it('2 steps renoise at t = 1.1 and still reproduce the Gaussian', () => {
    const rng = new Rng(5);
    const noise = [o.fromArray(rng.normal64(N), [N, 1]), o.fromArray(rng.normal64(N), [N, 1])];
    const times = consistencyTimes(2, g.sigmaD);
    expect(times[1]).toBe(1.1);
    const m = moments(o.readSync(consistencySample(o, field, noise, times, g.sigmaD)));
    expect(Math.abs(m.mean - g.mu)).toBeLessThan(4 * (g.s0 / Math.sqrt(N)) + 0.005);
    expect(Math.abs(m.std - g.s0)).toBeLessThan(0.02);
  });

  it('N-step times decrease strictly', () => {
    const ts = consistencyTimes(4, 0.5);
    expect(ts).toHaveLength(4);
    ts.forEach((t, i) => i > 0 && expect(t).toBeLessThan(ts[i - 1]));
    expect(() => consistencyTimes([1, 1.2], 0.5)).toThrow(/decrease/);
  });
});

describe('time proposal', () => {
  it('t = arctan(exp(tau) / sigma_d) with tau ~ N(P_mean, P_std^2), clamped', () => {
    const n = 100000;
    const t = sampleTimes(new Rng(9), n, { pMean: -0.8, pStd: 1.6 }, 0.5);
    // Invert: tau = log(sigma_d tan t) must be N(-0.8, 1.6^2).
    const tau = Array.from(t, (v) => Math.log(0.5 * Math.tan(v)));
    const m = moments(tau);
    expect(Math.abs(m.mean + 0.8)).toBeLessThan(5 * (1.6 / Math.sqrt(n)));
    expect(Math.abs(m.std - 1.6)).toBeLessThan(0.02);
    expect(Math.min(...t)).toBeGreaterThanOrEqual(Math.fround(1e-4));
    expect(Math.max(...t)).toBeLessThanOrEqual(Math.fround(Math.PI / 2 - 1e-4));
  });
});

describe('generate() chunks', () => {
  /** A model that outputs zeros and records the batch of every call. */
  const recording = (sampleShape: number[], calls: number[]): Model => ({
    config: {},
    sampleShape,
    numClasses: 0,
    guidanceInput: false,
    paramSpecs: () => ({}),
    init: () => ({}),
    initLogvar: () => ({}),
    F: (ops, _p, x) => {
      calls.push(ops.shape(x)[0]);
      return ops.mul(x, ops.fill([], 0));
    },
    logvar: (ops, _p, t) => t,
  });

  it('images 100 at a time by default (a U-Net cannot take thousands), points 4096 at a time', async () => {
    for (const [shape, n, expected] of [
      [[4, 4, 1], 250, [100, 100, 50]],
      [[2], 5000, [4096, 904]],
    ] as const) {
      const calls: number[] = [];
      const out = await generate(o, recording([...shape], calls), {}, 0.5, { sampler: 'consistency', steps: 1, n, seed: 1 });
      expect(calls).toEqual(expected);
      expect(out).toHaveLength(n * shape.reduce((a: number, b: number) => a * b, 1));
    }
  });
});
