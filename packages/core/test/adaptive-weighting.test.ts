/**
 * The adaptive weighting exp(-u) r^2 + u where u is far from zero. The model-based loss tests run at
 * initialisation, where the logvar head outputs u = 0 and exp(-u) = exp(u) = 1, so the sign of u
 * cannot show there. References are float64 host sums and central differences of those sums.
 */
import { describe, expect, it } from 'vitest';
import { adaptiveWeightedMse, diffusionLoss, scmLoss, tangentWarmup, valueAndGrad } from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';
import { functionModel } from './helpers/models.js';

const o = new ReferenceOps();
const sigmaD = 0.5;
const B = 3;
const D = 2;

/** F = a x + b t and u(t) = w t + c: every parameter moves the loss, and u is non-zero at every t. */
const affine = functionModel((d, p, x, t) => d.add(d.mul(p.a, x), d.mul(p.b, d.reshape(t, [d.shape(t)[0], 1]))), {
  sampleShape: [D],
  logvar: (d, p, t) => d.add(d.mul(p.w, t), p.c),
});
const point = { a: 0.8, b: -0.3, w: 0.9, c: -0.4 };
type P = typeof point;
const hostF = (p: P, x: number, t: number) => p.a * x + p.b * t;
const hostU = (p: P, t: number) => p.w * t + p.c;

const x0 = [0.7, -1.1, 0.2, 0.5, -0.6, 1.3];
const z = [0.3, 0.4, -0.5, 0.25, 0.1, -0.35];
const t = [0.3, 0.9, 1.4];

/** Host mean over elements of exp(-u_b) r^2 + u_b for residuals r(b, k). */
function hostWeighted(residual: (b: number, k: number) => number, u: (b: number) => number): number {
  let sum = 0;
  for (let b = 0; b < B; b++) for (let k = 0; k < D; k++) sum += Math.exp(-u(b)) * residual(b, k) ** 2 + u(b);
  return sum / (B * D);
}

function hostDiffusion(p: P): number {
  return hostWeighted(
    (b, k) => {
      const i = b * D + k;
      const xt = Math.cos(t[b]) * x0[i] + Math.sin(t[b]) * z[i];
      const v = Math.cos(t[b]) * z[i] - Math.sin(t[b]) * x0[i];
      return hostF(p, xt / sigmaD, t[b]) - v / sigmaD;
    },
    (b) => hostU(p, t[b]),
  );
}

const xt = [0.45, -0.2, 0.9, 0.05, -0.75, 0.6];
const Fminus = [0.1, -0.3, 0.25, 0.4, -0.15, 0.2];
const g = [0.05, 0.2, -0.1, 0.3, -0.25, 0.15];

function hostScm(p: P): number {
  return hostWeighted(
    (b, k) => {
      const i = b * D + k;
      return hostF(p, xt[i] / sigmaD, t[b]) - Fminus[i] - g[i];
    },
    (b) => hostU(p, t[b]),
  );
}

/** Float64 central differences of a host loss along each named scalar parameter. */
function hostGrad(loss: (p: P) => number): P {
  const h = 1e-6;
  const out = { ...point };
  for (const k of Object.keys(point) as (keyof P)[]) {
    out[k] = (loss({ ...point, [k]: point[k] + h }) - loss({ ...point, [k]: point[k] - h })) / (2 * h);
  }
  return out;
}

const params = Object.fromEntries(Object.entries(point).map(([k, v]) => [k, o.fromArray([v], [])])) as Record<keyof P, ReturnType<typeof o.fromArray>>;
const tensor = (v: number[], shape: number[]) => o.fromArray(v, shape);

function expectValueAndGrad(value: number, grads: Record<string, unknown>, loss: (p: P) => number) {
  expect(value).toBeCloseTo(loss(point), 12);
  const reference = hostGrad(loss);
  for (const k of Object.keys(point) as (keyof P)[]) {
    expect(o.readSync(grads[k] as never)[0], k).toBeCloseTo(reference[k], 7);
  }
}

describe('adaptive weighting with a non-zero log-variance u', () => {
  it('adaptiveWeightedMse weights each example by exp(-u_b) and adds u_b, u broadcast over rank-3 samples', () => {
    const residual = [0.5, -1, 2, 0.25, 1.5, -0.5, 0, 3];
    const u = [0.7, -1.2];
    const got = o.readSync(adaptiveWeightedMse(o, tensor(residual, [2, 2, 2]), tensor(u, [2])))[0];
    let expected = 0;
    for (let i = 0; i < 8; i++) expected += Math.exp(-u[i >> 2]) * residual[i] ** 2 + u[i >> 2];
    expect(got).toBeCloseTo(expected / 8, 12);
  });

  it('the diffusion loss and its gradient in F and u match float64 finite differences', () => {
    const batch = { x0: tensor(x0, [B, D]), z: tensor(z, [B, D]), t: tensor(t, [B]) };
    const { value, grads } = valueAndGrad(
      o,
      (tape, p) => diffusionLoss(tape, affine, p, { x0: tape.lift(batch.x0), z: tape.lift(batch.z), t: tape.lift(batch.t) }, sigmaD),
      params,
    );
    expectValueAndGrad(o.readSync(value)[0], grads, hostDiffusion);
  });

  it('the sCM loss and its gradient in F and u match float64 finite differences', () => {
    const { value, grads } = valueAndGrad(
      o,
      (tape, p) =>
        scmLoss(tape, affine, p, tape.lift(tensor(xt, [B, D])), tape.lift(tensor(t, [B])), tape.lift(tensor(Fminus, [B, D])), tape.lift(tensor(g, [B, D])), sigmaD),
      params,
    );
    expectValueAndGrad(o.readSync(value)[0], grads, hostScm);
  });
});

describe('tangent warmup r = min(1, step / H)', () => {
  it.each([
    [0, 10, 0],
    [4, 10, 0.4],
    [10, 10, 1],
    [25, 10, 1],
    [3, 0, 1],
    [0, 0, 1],
    [3, -5, 1],
  ])('step %d of H = %d gives r = %d', (step, H, r) => {
    expect(tangentWarmup(step, H)).toBe(r);
  });
});
