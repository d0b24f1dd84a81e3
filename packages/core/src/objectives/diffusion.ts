/**
 * The TrigFlow diffusion loss with adaptive weighting (Lu & Song 2024):
 * mean over elements of exp(-u(t)) (F - v_t / sigma_d)^2 + u(t).
 */
import type { TensorOps } from '../tensor/ops.js';
import type { Model } from '../models/model.js';
import { noisy, velocity } from '../trigflow/schedule.js';
import { adaptiveWeightedMse, type Batch } from './batch.js';

/**
 * The teacher's loss on `batch`: x_t = cos(t) x0 + sin(t) z, target v_t = cos(t) z - sin(t) x0, and
 * the mean over elements of exp(-u(t)) (F(x_t / sigma_d, t) - v_t / sigma_d)^2 + u(t), with u the
 * model's logvar head (Lu & Song 2024, Simplifying, Stabilizing and Scaling Continuous-Time Consistency Models (arXiv:2410.11081), sections 3 and 4.2).
 *
 * @returns A scalar tensor [].
 */
export function diffusionLoss<T>(o: TensorOps<T>, model: Model, p: Record<string, T>, batch: Batch<T>, sigmaD: number): T {
  const inv = o.fill([], 1 / sigmaD);
  const xt = noisy(o, batch.x0, batch.z, batch.t);
  const target = o.mul(velocity(o, batch.x0, batch.z, batch.t), inv);
  const F = model.F(o, p, o.mul(xt, inv), batch.t, batch.cond);
  return adaptiveWeightedMse(o, o.sub(F, target), model.logvar(o, p, batch.t));
}
