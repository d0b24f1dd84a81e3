/**
 * Closed forms for Gaussian data x0 ~ N(mu, s0^2 I) under TrigFlow with noise std sigma_d:
 * Sigma_t = cos^2 s0^2 + sin^2 sigma_d^2, E[v | x_t] = -sin mu + cos sin (sigma_d^2 - s0^2) / Sigma_t (x_t - cos mu),
 * and the PF-ODE keeps (x_t - cos(t) mu) / sqrt(Sigma_t) constant, so the exact consistency function is
 * f(x_t, t) = mu + s0 / sqrt(Sigma_t) (x_t - cos(t) mu).
 */
import type { Model, TensorOps } from '../../src/index.js';

export interface Gaussian {
  readonly mu: number;
  readonly s0: number;
  readonly sigmaD: number;
}

export const sigmaT = (g: Gaussian, t: number) => Math.cos(t) ** 2 * g.s0 ** 2 + Math.sin(t) ** 2 * g.sigmaD ** 2;

/** Host float64 F of the exact velocity field, for x_t (unscaled). */
export function exactVelocityF(g: Gaussian, xt: number, t: number): number {
  const c = Math.cos(t);
  const s = Math.sin(t);
  return (-s * g.mu + ((c * s * (g.sigmaD ** 2 - g.s0 ** 2)) / sigmaT(g, t)) * (xt - c * g.mu)) / g.sigmaD;
}

/** Host float64 exact consistency function. */
export const exactF0 = (g: Gaussian, xt: number, t: number) => g.mu + (g.s0 / Math.sqrt(sigmaT(g, t))) * (xt - Math.cos(t) * g.mu);

/** Host float64 F of the consistency model whose f is the exact consistency function of g. */
export const consistencyF = (g: Gaussian, xt: number, t: number) =>
  (Math.cos(t) * xt - exactF0(g, xt, t)) / (Math.sin(t) * g.sigmaD);

function common<T>(o: TensorOps<T>, g: Gaussian, x: T, t: T) {
  const n = o.shape(t)[0];
  const tb = o.reshape(t, [n, 1]);
  const c = o.cos(tb);
  const s = o.sin(tb);
  const k = (v: number) => o.fill([], v);
  const sig = o.add(o.mul(o.mul(c, c), k(g.s0 ** 2)), o.mul(o.mul(s, s), k(g.sigmaD ** 2)));
  const xt = o.mul(x, k(g.sigmaD));
  const centered = o.sub(xt, o.mul(c, k(g.mu)));
  return { c, s, k, sig, xt, centered };
}

/** A parameter-free "model" written with primitives so forward mode differentiates it. */
function analyticModel(g: Gaussian, kind: 'velocity' | 'consistency', dim: number): Model {
  return {
    config: { kind },
    sampleShape: [dim],
    numClasses: 0,
    guidanceInput: false,
    paramSpecs: () => ({}),
    init: () => ({}),
    initLogvar: () => ({}),
    F<T>(o: TensorOps<T>, _p: Record<string, T>, x: T, t: T): T {
      const { c, s, k, sig, xt, centered } = common(o, g, x, t);
      if (kind === 'velocity') {
        const slope = o.div(o.mul(o.mul(c, s), k(g.sigmaD ** 2 - g.s0 ** 2)), sig);
        return o.mul(o.add(o.mul(o.neg(s), k(g.mu)), o.mul(slope, centered)), k(1 / g.sigmaD));
      }
      const f = o.add(k(g.mu), o.mul(o.mul(k(g.s0), o.rsqrt(sig)), centered));
      return o.div(o.sub(o.mul(c, xt), f), o.mul(s, k(g.sigmaD)));
    },
    logvar<T>(o: TensorOps<T>, _p: Record<string, T>, t: T): T {
      return o.fill(o.shape(t), 0);
    },
  };
}

export const velocityModel = (g: Gaussian, dim = 1) => analyticModel(g, 'velocity', dim);
export const consistencyModel = (g: Gaussian, dim = 1) => analyticModel(g, 'consistency', dim);
