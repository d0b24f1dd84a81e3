/**
 * TrigFlow's closed forms term by term, at points where every term is non-zero: x_t and v_t on
 * rank-3 samples, the denoiser and noise estimate (which recover x0 and z exactly when F is the
 * true velocity / sigma_d), the DDIM step, grids, NFE bookkeeping and classifier-free guidance.
 */
import { describe, expect, it } from 'vitest';
import {
  CONSISTENCY_PROPOSAL,
  ddimSample,
  ddimStep,
  denoise,
  dpmSolver2Sample,
  edmGrid,
  guidedField,
  heunSample,
  modelField,
  noiseEstimate,
  noisy,
  perExample,
  Rng,
  sampleTimes,
  stepsForNfe,
  T_EPS,
  TEACHER_PROPOSAL,
  teacherNfe,
  teacherSamplers,
  tMaxFor,
  uniformGrid,
  velocity,
} from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';
import { functionModel } from './helpers/models.js';

const o = new ReferenceOps();
const sigmaD = 0.5;
// Two examples of shape [2, 2, 1]: t differs per example, so a wrong broadcast shows.
const shape = [2, 2, 2, 1];
const x0 = [0.7, -1.1, 0.2, 0.5, -0.6, 1.3, 0.9, -0.4];
const z = [0.3, 0.4, -0.5, 0.25, 0.1, -0.35, 0.6, -0.2];
const t = [0.4, 1.2];
const at = (i: number) => t[i >> 2];
const T = (v: number[], s = shape) => o.fromArray(v, s);
const read = (x: unknown) => Array.from(o.readSync(x as never));

function expectAll(got: number[], expected: number[], digits = 12) {
  expect(got).toHaveLength(expected.length);
  got.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(expected[i], digits));
}

describe('schedule closed forms', () => {
  const xt = x0.map((v, i) => Math.cos(at(i)) * v + Math.sin(at(i)) * z[i]);
  const v = x0.map((v, i) => Math.cos(at(i)) * z[i] - Math.sin(at(i)) * v);

  it('x_t = cos t x0 + sin t z and v_t = cos t z - sin t x0, per example', () => {
    expectAll(read(noisy(o, T(x0), T(z), T(t, [2]))), xt);
    expectAll(read(velocity(o, T(x0), T(z), T(t, [2]))), v);
  });

  it('with F = v_t / sigma_d the denoiser returns x0 and the noise estimate returns z', () => {
    const F = T(v.map((e) => e / sigmaD));
    expectAll(read(denoise(o, T(xt), F, T(t, [2]), sigmaD)), x0);
    expectAll(read(noiseEstimate(o, T(xt), F, T(t, [2]), sigmaD)), z);
  });

  it('perExample reshapes [B] to [B, 1, ..., 1]', () => {
    expect(o.shape(perExample(o, T(t, [2]), 3))).toEqual([2, 1, 1, 1]);
  });

  it('t_max = arctan(sigma_max / sigma_d)', () => {
    expect(tMaxFor(0.5)).toBeCloseTo(Math.atan(160), 14);
    expect(tMaxFor(2, 10)).toBeCloseTo(Math.atan(5), 14);
  });

  it('uniformGrid(n, tMax) = tMax (1 - i / n)', () => {
    expectAll(uniformGrid(4, 1.2), [1.2, 0.9, 0.6, 0.3, 0]);
    expect(() => uniformGrid(0, 1)).toThrow(/positive integer, got 0/);
    expect(() => uniformGrid(1.5, 1)).toThrow(/positive integer, got 1.5/);
  });

  it('edmGrid with one step is [arctan(sigma_max / sigma_d), 0]; other rho and sigma_min follow the formula', () => {
    expect(edmGrid(1, 0.5)).toEqual([Math.atan(160), 0]);
    const grid = edmGrid(3, 2, 0.1, 20, 3);
    const a = 20 ** (1 / 3);
    const b = 0.1 ** (1 / 3);
    expectAll(grid, [Math.atan(20 / 2), Math.atan((a + 0.5 * (b - a)) ** 3 / 2), Math.atan(0.1 / 2), 0]);
  });

  it('sampled times are clamped to [T_EPS, pi/2 - T_EPS]', () => {
    const low = sampleTimes(new Rng(1), 50, { pMean: -40, pStd: 0.1 }, 0.5);
    const high = sampleTimes(new Rng(1), 50, { pMean: 40, pStd: 0.1 }, 0.5);
    for (const v of low) expect(v).toBe(Math.fround(T_EPS));
    for (const v of high) expect(v).toBe(Math.fround(Math.PI / 2 - T_EPS));
    expect(T_EPS).toBe(1e-4);
  });

  it('each sampled time is arctan(exp(P_mean + P_std z) / sigma_d) for the stream\'s normals z', () => {
    const p = { pMean: -0.3, pStd: 1.2 };
    const z = new Rng(5).normal64(20);
    const got = sampleTimes(new Rng(5), 20, p, 0.5);
    expect(got).toHaveLength(20);
    got.forEach((v, i) => expect(v).toBe(Math.fround(Math.atan(Math.exp(p.pMean + p.pStd * z[i]) / 0.5))));
  });

  it('the time proposals are those of PAPER.md: teacher (-0.8, 1.6), consistency models (-1.0, 1.4)', () => {
    expect(TEACHER_PROPOSAL).toEqual({ pMean: -0.8, pStd: 1.6 });
    expect(CONSISTENCY_PROPOSAL).toEqual({ pMean: -1.0, pStd: 1.4 });
  });
});

describe('teacher sampler formulas', () => {
  it('ddimStep(x, F, s, t) = cos(s - t) x - sin(s - t) sigma_d F', () => {
    const [x, F, s, tt] = [[0.8, -0.3], [0.5, 1.7], 1.3, 0.4];
    const got = read(ddimStep(o, T(x, [2, 1]), T(F, [2, 1]), s, tt, sigmaD));
    expectAll(got, x.map((xi, i) => Math.cos(s - tt) * xi - Math.sin(s - tt) * sigmaD * F[i]));
  });

  // F(x, t) = a x + b t: a field where both the state and time terms matter.
  const affine = functionModel((d, _p, x, tt) => d.add(d.mul(x, d.fill([], 0.6)), d.mul(d.reshape(tt, [d.shape(tt)[0], 1]), d.fill([], -0.4))), {
    sampleShape: [1],
  });
  const hostF = (xt: number, tt: number) => 0.6 * (xt / sigmaD) - 0.4 * tt;
  const field = modelField(o, affine, {}, sigmaD);
  const x = [0.9, -0.35];

  it('Heun over [s, m, 0]: one trapezoidal step in EDM variables, then a first-order last step', () => {
    const grid = [1.2, 0.5, 0];
    const sig = (tt: number) => sigmaD * Math.tan(tt);
    const slope = (xs: number, tt: number) => {
      const xt = xs * Math.cos(tt);
      return (xs - (Math.cos(tt) * xt - Math.sin(tt) * sigmaD * hostF(xt, tt))) / sig(tt);
    };
    const expected = x.map((x0i) => {
      let xs = x0i / Math.cos(grid[0]);
      const h = sig(grid[1]) - sig(grid[0]);
      const d0 = slope(xs, grid[0]);
      const euler = xs + h * d0;
      xs += (h / 2) * (d0 + slope(euler, grid[1]));
      return xs + (sig(0) - sig(grid[1])) * slope(xs, grid[1]);
    });
    expectAll(read(heunSample(o, field, T(x, [2, 1]), grid, sigmaD)), expected);
  });

  it('DPM-Solver++(2S) over [s, t, 0]: log-SNR midpoint step, then a DDIM step to 0', () => {
    const [s, tt] = [1.2, 0.5];
    const ddim = (xi: number, a: number, b: number) => Math.cos(a - b) * xi - Math.sin(a - b) * sigmaD * hostF(xi, a);
    const expected = x.map((xi) => {
      const m = Math.atan(Math.sqrt(Math.tan(s) * Math.tan(tt)));
      const u = ddim(xi, s, m);
      const Dm = ddim(u, m, 0);
      const ratio = Math.sin(tt) / Math.sin(s);
      const x1 = ratio * xi + (Math.cos(tt) - ratio * Math.cos(s)) * Dm;
      return ddim(x1, tt, 0);
    });
    expectAll(read(dpmSolver2Sample(o, field, T(x, [2, 1]), [s, tt, 0], sigmaD)), expected);
  });

  it.each([
    [[1], 'a single time'],
    [[1, 0.5, 0.5, 0], 'a repeated time'],
    [[1, 0.5, -0.1], 'a negative end'],
  ])('rejects the grid %j (%s)', (grid) => {
    expect(() => heunSample(o, field, T(x, [2, 1]), grid, sigmaD)).toThrow(/decrease strictly/);
  });

  it('names the rejected grid in the error', () => {
    expect(() => ddimSample(o, field, T(x, [2, 1]), [1, 0.5, 0.5, 0], sigmaD)).toThrow('got [1.0000, 0.5000, 0.5000, 0.0000]');
  });

  it.each(['ddim', 'heun', 'dpm2'] as const)('%s accepts a one-step grid [s, 0] and spends teacherNfe evaluations', (name) => {
    for (const grid of [[1.2, 0], [1.2, 0.7, 0.3, 0]]) {
      let calls = 0;
      const counting = (xt: ReturnType<typeof T>, t: number | ReturnType<typeof T>) => {
        calls++;
        return field(xt, t);
      };
      teacherSamplers[name](o, counting, T(x, [2, 1]), grid, sigmaD);
      expect(calls).toBe(teacherNfe(name, grid.length - 1));
    }
  });

  it('NFE: DDIM spends one evaluation per step, Heun and DPM 2 per step but 1 on the last', () => {
    expect(teacherNfe('ddim', 7)).toBe(7);
    expect(teacherNfe('heun', 18)).toBe(35);
    expect(teacherNfe('dpm2', 1)).toBe(1);
    expect(stepsForNfe('ddim', 7)).toBe(7);
    expect(stepsForNfe('heun', 35)).toBe(18);
    expect(stepsForNfe('dpm2', 36)).toBe(18);
    expect(stepsForNfe('ddim', 1)).toBe(1);
    expect(stepsForNfe('heun', 1)).toBe(1);
    expect(() => stepsForNfe('heun', 0)).toThrow(/positive integer, got 0/);
    expect(() => stepsForNfe('ddim', 2.5)).toThrow(/positive integer, got 2.5/);
  });
});

describe('classifier-free guidance', () => {
  // F(x, t, y) = x + t + (1 + label index) on labelled rows; the null label (last column) adds 10.
  const conditional = functionModel(
    (d, _p, xs, tt, cond) => d.add(d.add(xs, d.reshape(tt, [d.shape(tt)[0], 1])), d.matmul(cond!.labels!, d.fromArray([1, 2, 10], [3, 1]))),
    { sampleShape: [2], numClasses: 2 },
  );
  const labels = o.fromArray([1, 0, 0, 0, 1, 0], [2, 3]);
  const xt = [0.2, -0.4, 0.6, 1.0];
  const tt = [0.3, 0.8];
  // Host reference: conditional minus unconditional is (1 + label) - 10.
  const expected = (scale: number[]) =>
    xt.map((xi, i) => {
      const b = i >> 1;
      const uncond = xi / sigmaD + tt[b] + 10;
      return uncond + scale[b] * (1 + b - 10);
    });

  it('F_null + s (F_y - F_null) with a scalar scale and a per-example scale, at a shared or per-example time', () => {
    const f = guidedField(o, conditional, {}, sigmaD, labels, 1.5);
    expectAll(read(f(o.fromArray(xt, [2, 2]), o.fromArray(tt, [2]))), expected([1.5, 1.5]));
    const perExampleScale = guidedField(o, conditional, {}, sigmaD, labels, o.fromArray([2, 0.5], [2]));
    expectAll(read(perExampleScale(o.fromArray(xt, [2, 2]), o.fromArray(tt, [2]))), expected([2, 0.5]));
    const shared = guidedField(o, conditional, {}, sigmaD, labels, 1.5)(o.fromArray(xt, [2, 2]), 0.3);
    expectAll(read(shared), xt.map((xi, i) => xi / sigmaD + 0.3 + 10 + 1.5 * (1 + (i >> 1) - 10)));
  });

  it('needs a class-conditional model', () => {
    expect(() => guidedField(o, { ...conditional, numClasses: 0 }, {}, sigmaD, labels, 1)).toThrow(/class-conditional/);
  });
});
