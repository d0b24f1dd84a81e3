/** TrigFlow (Lu & Song 2024): x_t = cos(t) x0 + sin(t) z with z ~ N(0, sigma_d^2 I), t in [0, pi/2]. */
import type { TensorOps } from '../tensor/ops.js';
import type { Rng } from '../random/index.js';

/** arctan(80 / 0.5): where sampling starts for sigma_d = 0.5 (EDM's sigma_max = 80). */
export const tMaxFor = (sigmaD: number, sigmaMax = 80): number => Math.atan(sigmaMax / sigmaD);

/** Sampled training times stay this far from 0 and pi/2 (Lu & Song 2024). */
export const T_EPS = 1e-4;

/** Per-example scalars [B] reshaped to broadcast over samples [B, ...]. */
export function perExample<T>(o: TensorOps<T>, t: T, sampleRank: number): T {
  return o.reshape(t, [o.shape(t)[0], ...new Array<number>(sampleRank).fill(1)]);
}

const trig = <T>(o: TensorOps<T>, t: T, like: T) => {
  const tb = perExample(o, t, o.shape(like).length - 1);
  return { cos: o.cos(tb), sin: o.sin(tb) };
};

/** x_t = cos(t) x0 + sin(t) z. */
export function noisy<T>(o: TensorOps<T>, x0: T, z: T, t: T): T {
  const { cos, sin } = trig(o, t, x0);
  return o.add(o.mul(cos, x0), o.mul(sin, z));
}

/** The velocity dx_t/dt = cos(t) z - sin(t) x0 (the diffusion target, and sCT's dx_t/dt). */
export function velocity<T>(o: TensorOps<T>, x0: T, z: T, t: T): T {
  const { cos, sin } = trig(o, t, x0);
  return o.sub(o.mul(cos, z), o.mul(sin, x0));
}

/** f(x_t, t) = cos(t) x_t - sin(t) sigma_d F: the denoiser, and the consistency function. */
export function denoise<T>(o: TensorOps<T>, xt: T, F: T, t: T, sigmaD: number): T {
  const { cos, sin } = trig(o, t, xt);
  return o.sub(o.mul(cos, xt), o.mul(o.mul(sin, o.fill([], sigmaD)), F));
}

/** Noise estimate eps = sin(t) x_t + cos(t) sigma_d F (in units of sigma_d: z = eps). */
export function noiseEstimate<T>(o: TensorOps<T>, xt: T, F: T, t: T, sigmaD: number): T {
  const { cos, sin } = trig(o, t, xt);
  return o.add(o.mul(sin, xt), o.mul(o.mul(cos, o.fill([], sigmaD)), F));
}

/**
 * The log-normal proposal of training times: tau ~ N(pMean, pStd^2), t = arctan(exp(tau) / sigma_d)
 * (EDM's log-normal sigma, mapped to TrigFlow time by sigma = sigma_d tan t).
 */
export interface TimeProposal {
  /** Mean of log sigma. */
  readonly pMean: number;
  /** Standard deviation of log sigma; > 0. */
  readonly pStd: number;
}

/** The teachers' proposal (P_mean, P_std) = (-0.8, 1.6), as for the paper's ImageNet 64x64 teachers. */
export const TEACHER_PROPOSAL: TimeProposal = { pMean: -0.8, pStd: 1.6 };
/** The consistency models' proposal (P_mean, P_std) = (-1.0, 1.4), as in the paper. */
export const CONSISTENCY_PROPOSAL: TimeProposal = { pMean: -1.0, pStd: 1.4 };

/** t = arctan(exp(tau) / sigma_d), tau ~ N(P_mean, P_std^2), drawn in float64 and clamped. */
export function sampleTimes(rng: Rng, n: number, p: TimeProposal, sigmaD: number): Float32Array {
  const z = rng.normal64(n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = Math.atan(Math.exp(p.pMean + p.pStd * z[i]) / sigmaD);
    out[i] = Math.min(Math.max(t, T_EPS), Math.PI / 2 - T_EPS);
  }
  return out;
}

/** n + 1 times from tMax down to 0, uniform in t. */
export function uniformGrid(n: number, tMax: number): number[] {
  checkSteps(n);
  return Array.from({ length: n + 1 }, (_, i) => tMax * (1 - i / n));
}

/**
 * EDM's grid sigma_i = (smax^(1/rho) + i/(N-1) (smin^(1/rho) - smax^(1/rho)))^rho, i < N, mapped to
 * t_i = arctan(sigma_i / sigma_d), followed by t_N = 0.
 */
export function edmGrid(n: number, sigmaD: number, sigmaMin = 0.002, sigmaMax = 80, rho = 7): number[] {
  checkSteps(n);
  if (n === 1) return [Math.atan(sigmaMax / sigmaD), 0];
  const a = sigmaMax ** (1 / rho);
  const b = sigmaMin ** (1 / rho);
  const ts = Array.from({ length: n }, (_, i) => Math.atan((a + (i / (n - 1)) * (b - a)) ** rho / sigmaD));
  return [...ts, 0];
}

function checkSteps(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`the number of sampling steps must be a positive integer, got ${n}`);
}
