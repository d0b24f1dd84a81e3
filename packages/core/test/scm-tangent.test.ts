/**
 * The sCM tangent on image-shaped samples [B, H, W, C]: the per-example normalisation must reduce
 * over every sample axis (for points [B, D] the last axis alone is indistinguishable). The reference
 * is the formula of PAPER.md §3 evaluated on the host with dF/dt in closed form.
 */
import { describe, expect, it } from 'vitest';
import { scmTarget } from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';
import { functionModel } from './helpers/models.js';

const o = new ReferenceOps();
const sigmaD = 0.5;
const [a, b] = [0.7, -0.45];
const shape = [2, 2, 2, 1];
const per = 4;

/** F(x, t) = a x + b t per pixel, so dF along (dx, dt) is a dx + b dt. */
const affine = functionModel((d, _p, x, t) => d.add(d.mul(x, d.fill([], a)), d.mul(d.reshape(t, [d.shape(t)[0], 1, 1, 1]), d.fill([], b))), {
  sampleShape: [2, 2, 1],
});

const xt = [0.4, -0.9, 1.2, 0.05, -0.3, 0.8, -1.1, 0.6];
const dxdt = [0.25, 0.5, -0.75, 1.0, -0.2, 0.9, 0.35, -0.6];
const t = [0.35, 1.25];

function hostTangent(r: number, c: number | null): number[] {
  const g = xt.map((x, i) => {
    const ti = t[Math.floor(i / per)];
    const [cos, sin] = [Math.cos(ti), Math.sin(ti)];
    const F = a * (x / sigmaD) + b * ti;
    const J = cos * sin * (a * (dxdt[i] / sigmaD) + b);
    return -cos * cos * (sigmaD * F - dxdt[i]) - r * (cos * sin * x + sigmaD * J);
  });
  if (c === null) return g;
  return g.map((v, i) => {
    const e = Math.floor(i / per);
    const norm = Math.hypot(...g.slice(e * per, (e + 1) * per));
    return v / (norm + c);
  });
}

describe('sCM tangent on image-shaped samples', () => {
  const T = (v: number[], s = shape) => o.fromArray(v, s);

  it.each([
    [0.6, null],
    [1, 0.1],
    [0.3, 0.5],
  ])('r = %d, normalisation constant %s: per-example over H, W and C', (r, c) => {
    const { g } = scmTarget(o, affine, {}, T(xt), T(t, [2]), T(dxdt), { sigmaD, r, normalize: c !== null, c: c ?? 0.1 });
    const expected = hostTangent(r, c);
    Array.from(o.readSync(g)).forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(expected[i], 12));
  });

  it('takes the warmup factor r as a scalar tensor too', () => {
    const { g } = scmTarget(o, affine, {}, T(xt), T(t, [2]), T(dxdt), { sigmaD, r: o.fill([], 0.4), normalize: false, c: 0.1 });
    const expected = hostTangent(0.4, null);
    Array.from(o.readSync(g)).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
  });
});
