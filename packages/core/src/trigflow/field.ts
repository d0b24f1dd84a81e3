/** F as a function of the state alone: what ODE samplers integrate. */
import type { TensorOps } from '../tensor/ops.js';
import type { Conditioning, Model } from '../models/model.js';

/** F(x_t / sigma_d, t) for x_t (unscaled), at a time shared by the batch or one per example [B]. */
export type Field<T> = (xt: T, t: number | T) => T;

/**
 * The network as a {@link Field}: scales x_t by 1 / sigmaD before F and broadcasts a scalar time to
 * the batch. `cond` (labels, guidance) is passed to every evaluation.
 */
export function modelField<T>(o: TensorOps<T>, model: Model, params: Record<string, T>, sigmaD: number, cond: Conditioning<T> = {}): Field<T> {
  return (xt, t) => {
    const n = o.shape(xt)[0];
    return model.F(o, params, o.mul(xt, o.fill([], 1 / sigmaD)), typeof t === 'number' ? o.fill([n], t) : t, cond);
  };
}

/**
 * Classifier-free guidance: F(x, t, null) + s (F(x, t, y) - F(x, t, null)), with one batched
 * evaluation of both branches. `scale` is a number or a per-example [B] tensor.
 */
export function guidedField<T>(
  o: TensorOps<T>,
  model: Model,
  params: Record<string, T>,
  sigmaD: number,
  labels: T,
  scale: number | T,
): Field<T> {
  if (model.numClasses === 0) throw new Error('classifier-free guidance needs a class-conditional model');
  const n = o.shape(labels)[0];
  const nullLabels = o.concat([o.fill([n, model.numClasses], 0), o.fill([n, 1], 1)], 1);
  const both = o.concat([labels, nullLabels], 0);
  const field = modelField(o, model, params, sigmaD, { labels: both });
  return (xt, t) => {
    const out = field(o.concat([xt, xt], 0), typeof t === 'number' ? t : o.concat([t, t], 0));
    const rest = o.shape(out).slice(1);
    const cond = o.slice(out, [0, ...rest.map(() => 0)], [n, ...rest]);
    const uncond = o.slice(out, [n, ...rest.map(() => 0)], [n, ...rest]);
    const s = typeof scale === 'number' ? o.fill([], scale) : o.reshape(scale, [n, ...rest.map(() => 1)]);
    return o.add(uncond, o.mul(s, o.sub(cond, uncond)));
  };
}
