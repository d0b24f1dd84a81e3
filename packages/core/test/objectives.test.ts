import { describe, expect, it } from 'vitest';
import { createMlp, diffusionLoss, mapBatch, noisy, Rng, scmLoss, scmTarget, toDevice, valueAndGrad, velocity } from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';
import { consistencyF, consistencyModel, exactVelocityF, velocityModel, type Gaussian } from './helpers/gaussian.js';

const o = new ReferenceOps();
const sigmaD = 0.5;
const B = 64;
const D = 2;

function draws(seed: number) {
  const rng = new Rng(seed);
  const x0 = rng.normal64(B * D).map((v) => 0.7 + 0.3 * v);
  const z = rng.normal64(B * D).map((v) => v * sigmaD);
  const t = rng.uniform64(B).map((u) => 0.05 + u * (Math.PI / 2 - 0.1));
  return { x0, z, t };
}

/** The tangent of PAPER.md §3 from closed forms: dF/dt by float64 central differences of the host F. */
function analyticTangent(
  F: (x: number, t: number) => number,
  xt: Float64Array,
  dxdt: Float64Array,
  t: Float64Array,
  r: number,
  normalize: boolean,
) {
  const h = 1e-6;
  const g = new Float64Array(xt.length);
  for (let i = 0; i < xt.length; i++) {
    const ti = t[Math.floor(i / D)];
    const c = Math.cos(ti);
    const s = Math.sin(ti);
    const dFdt = (F(xt[i] + h * dxdt[i], ti + h) - F(xt[i] - h * dxdt[i], ti - h)) / (2 * h);
    g[i] = -c * c * (sigmaD * F(xt[i], ti) - dxdt[i]) - r * (c * s * xt[i] + sigmaD * c * s * dFdt);
  }
  if (normalize) {
    for (let b = 0; b < B; b++) {
      let n = 0;
      for (let k = 0; k < D; k++) n += g[b * D + k] ** 2;
      const scale = 1 / (Math.sqrt(n) + 0.1);
      for (let k = 0; k < D; k++) g[b * D + k] *= scale;
    }
  }
  return g;
}

const teacherG: Gaussian = { mu: 0.7, s0: 0.3, sigmaD };
const studentG: Gaussian = { mu: 0.4, s0: 0.6, sigmaD };

describe('sCT / sCD tangent against the closed form for Gaussian data', () => {
  const { x0, z, t } = draws(1);
  const T = { x0: o.fromArray(x0, [B, D]), z: o.fromArray(z, [B, D]), t: o.fromArray(t, [B]) };
  const xt = o.readSync(noisy(o, T.x0, T.z, T.t)) as Float64Array;
  const student = consistencyModel(studentG, D);

  it.each([
    [0.3, true],
    [1, false],
    [1, true],
  ])('sCT with r = %d, normalised %s', (r, normalize) => {
    const dxdt = velocity(o, T.x0, T.z, T.t);
    const { g } = scmTarget(o, student, {}, o.fromArray(xt, [B, D]), T.t, dxdt, { sigmaD, r, normalize, c: 0.1 });
    const expected = analyticTangent((x, ti) => consistencyF(studentG, x, ti), xt, o.readSync(dxdt) as Float64Array, t, r, normalize);
    const got = o.readSync(g);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 6);
  });

  it('sCD: dx_t/dt from the teacher velocity', () => {
    const teacherV = Float64Array.from(xt, (x, i) => sigmaD * exactVelocityF(teacherG, x, t[Math.floor(i / D)]));
    const { g } = scmTarget(o, student, {}, o.fromArray(xt, [B, D]), T.t, o.fromArray(teacherV, [B, D]), { sigmaD, r: 1, normalize: true, c: 0.1 });
    const expected = analyticTangent((x, ti) => consistencyF(studentG, x, ti), xt, teacherV, t, 1, true);
    const got = o.readSync(g);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 6);
  });

  it('sCD: the exact consistency function of the teacher has a zero tangent (df/dt = 0 along the ODE)', () => {
    const exact = consistencyModel(teacherG, D);
    const field = velocityModel(teacherG, D);
    const xtT = o.fromArray(xt, [B, D]);
    const dxdt = o.mul(field.F(o, {}, o.mul(xtT, o.fill([], 1 / sigmaD)), T.t), o.fill([], sigmaD));
    const { g, J } = scmTarget(o, exact, {}, xtT, T.t, dxdt, { sigmaD, r: 1, normalize: false, c: 0.1 });
    for (const v of o.readSync(g)) expect(Math.abs(v)).toBeLessThan(1e-9);
    // ...while J itself is far from zero, so the cancellation is real.
    expect(Math.max(...Array.from(o.readSync(J), Math.abs))).toBeGreaterThan(0.1);
  });
});

describe('losses at initialisation (zero output layer, zero logvar head)', () => {
  const model = createMlp({ dim: D, width: 32, blocks: 2, embChannels: 16, normGroups: 4, logvarChannels: 16 });
  const params = toDevice(o, model.init(new Rng(3)));
  const { x0, z, t } = draws(2);
  const batch = { x0: o.fromArray(x0, [B, D]), z: o.fromArray(z, [B, D]), t: o.fromArray(t, [B]) };

  it('diffusion loss = mean((v_t / sigma_d)^2) since F = 0 and u = 0', () => {
    let expected = 0;
    for (let i = 0; i < B * D; i++) {
      const ti = t[Math.floor(i / D)];
      expected += ((Math.cos(ti) * z[i] - Math.sin(ti) * x0[i]) / sigmaD) ** 2;
    }
    expected /= B * D;
    const { value, grads } = valueAndGrad(o, (tape, p) => diffusionLoss(tape, model, p, mapBatch(batch, (v) => tape.lift(v)), sigmaD), params);
    expect(o.readSync(value)[0]).toBeCloseTo(expected, 10);
    // The zero-initialised output layer still receives a gradient.
    expect(Math.max(...Array.from(o.readSync(grads['out.weight']), Math.abs))).toBeGreaterThan(1e-3);
  });

  it('sCM loss = mean(g^2) since F_theta = F- in value and u = 0', () => {
    const xtT = noisy(o, batch.x0, batch.z, batch.t);
    const { Fminus, g } = scmTarget(o, model, params, xtT, batch.t, velocity(o, batch.x0, batch.z, batch.t), { sigmaD, r: 1, normalize: true, c: 0.1 });
    const gs = o.readSync(g);
    const expected = gs.reduce((a, v) => a + v * v, 0) / gs.length;
    const { value } = valueAndGrad(
      o,
      (tape, p) => scmLoss(tape, model, p, tape.lift(xtT), tape.lift(batch.t), tape.lift(Fminus), tape.lift(g), sigmaD),
      params,
    );
    expect(o.readSync(value)[0]).toBeCloseTo(expected, 12);
    // And the per-example normalisation bounds every ||g|| below 1.
    for (let b = 0; b < B; b++) expect(Math.hypot(gs[2 * b], gs[2 * b + 1])).toBeLessThan(1);
  });
});
