/**
 * Consistency sampling (Lu & Song 2024): x0 = f(sigma_d z_0, t_0), then for each later time t_i,
 * renoise x = cos(t_i) x0 + sin(t_i) sigma_d z_i and denoise x0 = f(x, t_i). Noise comes in as
 * standard-normal tensors (one per step), so an exported graph can take it as input.
 */
import type { TensorOps } from '../tensor/ops.js';
import type { Field } from '../trigflow/field.js';
import { tMaxFor } from '../trigflow/schedule.js';
import { ddimStep } from '../trigflow/samplers.js';

/** The intermediate time of the paper's 2-step sampler. */
export const T_MID = 1.1;

/**
 * The times for 1, 2 or N steps: [t_max], [t_max, tMid], or a given decreasing list. tMid defaults
 * to the paper's 1.1, chosen for images; 2-D toys draw sharper with a later second step (about 0.3),
 * so callers may move it.
 */
export function consistencyTimes(steps: number | readonly number[], sigmaD: number, tMid: number = T_MID): number[] {
  const tMax = tMaxFor(sigmaD);
  if (typeof steps !== 'number') {
    const ok = steps.length > 0 && steps.every((t, i) => t > 0 && t <= Math.PI / 2 && (i === 0 || t < steps[i - 1]));
    if (!ok) throw new Error(`consistency times must decrease strictly within (0, pi/2], got [${steps.join(', ')}]`);
    return [...steps];
  }
  if (!(tMid > 0 && tMid < tMax)) throw new Error(`the intermediate time must lie in (0, t_max = ${tMax.toFixed(4)}), got ${tMid}`);
  if (steps === 1) return [tMax];
  if (steps === 2) return [tMax, tMid];
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  // N > 2 (choice; any decreasing list works): t_max, then N - 1 times from tMid down to tMid / (N - 1).
  return [tMax, ...Array.from({ length: steps - 1 }, (_, i) => tMid * (1 - i / (steps - 1)))];
}

/**
 * Multistep consistency sampling: x0 = f(sigma_d noise[0], times[0]) with the consistency function
 * f(x_t, t) = cos(t) x_t - sin(t) sigma_d F(x_t / sigma_d, t), then for each later time t_i
 * re-noise x_t = cos(t_i) x0 + sin(t_i) sigma_d noise[i] and apply f again (Lu & Song 2024, Simplifying, Stabilizing and Scaling Continuous-Time Consistency Models (arXiv:2410.11081), section 3).
 *
 * @param noise - One standard-normal tensor [B, ...sampleShape] per step (scaled by sigma_d here).
 * @param times - Decreasing times in (0, pi/2]: t_max first (see consistencyTimes).
 * @returns The samples x0 in model units.
 * @throws Error when noise and times differ in length.
 */
export function consistencySample<T>(o: TensorOps<T>, field: Field<T>, noise: readonly T[], times: readonly number[], sigmaD: number): T {
  if (noise.length !== times.length) throw new Error(`consistency sampling needs one noise tensor per step: ${noise.length} for ${times.length} steps`);
  const s = (v: number) => o.fill([], v);
  // f(x, t) = cos(t) x - sin(t) sigma_d F is a DDIM step from t straight to 0.
  const f = (x: T, t: number) => ddimStep(o, x, field(x, t), t, 0, sigmaD);
  let x0 = f(o.mul(noise[0], s(sigmaD)), times[0]);
  for (let i = 1; i < times.length; i++) {
    const x = o.add(o.mul(x0, s(Math.cos(times[i]))), o.mul(noise[i], s(Math.sin(times[i]) * sigmaD)));
    x0 = f(x, times[i]);
  }
  return x0;
}
