/**
 * Teacher ODE samplers for the PF-ODE dx_t/dt = sigma_d F(x_t / sigma_d, t) (Lu & Song 2024). Each
 * takes the starting state x at grid[0] and a decreasing grid ending at 0, and returns x_0.
 */
import type { TensorOps } from '../tensor/ops.js';
import type { Field } from './field.js';

const scalar = <T>(o: TensorOps<T>, v: number) => o.fill([], v);

/** One first-order (DDIM) step from s to t: exact when F is constant along the way. */
export function ddimStep<T>(o: TensorOps<T>, x: T, F: T, s: number, t: number, sigmaD: number): T {
  return o.sub(o.mul(x, scalar(o, Math.cos(s - t))), o.mul(F, scalar(o, Math.sin(s - t) * sigmaD)));
}

function checkGrid(grid: readonly number[]): void {
  if (grid.length < 2 || grid.some((t, i) => i > 0 && !(t < grid[i - 1])) || grid[grid.length - 1] < 0) {
    throw new Error(`a sampling grid must decrease strictly from t_max towards 0, got [${grid.map((t) => t.toFixed(4)).join(', ')}]`);
  }
}

/** DDIM: NFE = grid.length - 1. */
export function ddimSample<T>(o: TensorOps<T>, field: Field<T>, x: T, grid: readonly number[], sigmaD: number): T {
  checkGrid(grid);
  for (let i = 0; i + 1 < grid.length; i++) {
    const s = grid[i];
    const t = grid[i + 1];
    x = o.tidy(() => ddimStep(o, x, field(x, s), s, t, sigmaD));
  }
  return x;
}

/**
 * EDM's Heun sampler run on the TrigFlow network: in EDM variables x_sigma = x_t / cos t and
 * sigma = sigma_d tan t, dx/dsigma = (x - D) / sigma with D = cos(t) x_t - sin(t) sigma_d F.
 * The last step (to sigma = 0) is first order. NFE = 2 (grid.length - 1) - 1.
 */
export function heunSample<T>(o: TensorOps<T>, field: Field<T>, x: T, grid: readonly number[], sigmaD: number): T {
  checkGrid(grid);
  const sigma = (t: number) => sigmaD * Math.tan(t);
  // d = (x_sigma - D) / sigma, written for x_sigma given at time t.
  const slope = (xs: T, t: number) => {
    const c = Math.cos(t);
    const xt = o.mul(xs, scalar(o, c));
    const D = o.sub(o.mul(xt, scalar(o, c)), o.mul(field(xt, t), scalar(o, Math.sin(t) * sigmaD)));
    return o.mul(o.sub(xs, D), scalar(o, 1 / sigma(t)));
  };
  let xs = o.mul(x, scalar(o, 1 / Math.cos(grid[0])));
  for (let i = 0; i + 1 < grid.length; i++) {
    const t0 = grid[i];
    const t1 = grid[i + 1];
    xs = o.tidy(() => {
      const h = sigma(t1) - sigma(t0);
      // The first evaluation in its own scope: its activations are freed before the second runs, so a
      // step peaks at one evaluation's memory, not two (tfjs wasm's heap ran out at a batch of 200).
      const d0 = o.tidy(() => slope(xs, t0));
      const euler = o.add(xs, o.mul(d0, scalar(o, h)));
      if (t1 === 0) return euler;
      const d1 = slope(euler, t1);
      return o.add(xs, o.mul(o.add(d0, d1), scalar(o, h / 2)));
    });
  }
  // At t = 0, x_t = x_sigma.
  return o.mul(xs, scalar(o, Math.cos(grid[grid.length - 1])));
}

/**
 * DPM-Solver++(2S) (data prediction, midpoint in log-SNR). With lambda = log(cos t / sin t), the
 * midpoint m has tan m = sqrt(tan s tan t); the denoised estimate D_m at u = DDIM(x, s -> m) drives
 * x_t = (sin t / sin s) x_s + (cos t - sin t cos s / sin s) D_m. The last step (to 0) is first order.
 * NFE = 2 (grid.length - 1) - 1.
 */
export function dpmSolver2Sample<T>(o: TensorOps<T>, field: Field<T>, x: T, grid: readonly number[], sigmaD: number): T {
  checkGrid(grid);
  for (let i = 0; i + 1 < grid.length; i++) {
    const s = grid[i];
    const t = grid[i + 1];
    x = o.tidy(() => {
      // As in Heun: the first evaluation's activations are freed before the second runs.
      const Fs = o.tidy(() => field(x, s));
      if (t === 0) return ddimStep(o, x, Fs, s, t, sigmaD);
      const m = Math.atan(Math.sqrt(Math.tan(s) * Math.tan(t)));
      const u = ddimStep(o, x, Fs, s, m, sigmaD);
      // D(u, m) = cos(m) u - sin(m) sigma_d F(u, m) is a DDIM step from m to 0.
      const Dm = ddimStep(o, u, field(u, m), m, 0, sigmaD);
      const ratio = Math.sin(t) / Math.sin(s);
      return o.add(o.mul(x, scalar(o, ratio)), o.mul(Dm, scalar(o, Math.cos(t) - ratio * Math.cos(s))));
    });
  }
  return x;
}

/** The teacher ODE samplers by name: first-order DDIM, EDM's Heun, DPM-Solver-2. */
export type TeacherSampler = 'ddim' | 'heun' | 'dpm2';

/** Each {@link TeacherSampler} by name; all share the signature (ops, field, x at grid[0], grid, sigmaD) -> x at 0. */
export const teacherSamplers = {
  /** {@link ddimSample}. */
  ddim: ddimSample,
  /** {@link heunSample}. */
  heun: heunSample,
  /** {@link dpmSolver2Sample}. */
  dpm2: dpmSolver2Sample,
} as const;

/** NFE of a sampler on a grid of `steps` intervals. */
export function teacherNfe(sampler: TeacherSampler, steps: number): number {
  return sampler === 'ddim' ? steps : 2 * steps - 1;
}

/** The smallest number of grid intervals that spends at most `nfe` evaluations. */
export function stepsForNfe(sampler: TeacherSampler, nfe: number): number {
  if (!Number.isInteger(nfe) || nfe < 1) throw new Error(`NFE must be a positive integer, got ${nfe}`);
  return sampler === 'ddim' ? nfe : Math.floor((nfe + 1) / 2);
}
