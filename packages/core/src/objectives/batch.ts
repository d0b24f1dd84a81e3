/** A training batch and how it enters a transformed TensorOps (jvp, tape) as constants. */
import type { TensorOps } from '../tensor/ops.js';
import type { Conditioning } from '../models/model.js';

/** One training batch as tensors: TrigFlow's x0, z and t (x_t = cos(t) x0 + sin(t) z is built from them). */
export interface Batch<T> {
  /** Data [B, ...sample], in the model's units (std about sigma_d). */
  readonly x0: T;
  /** Noise with std sigma_d, same shape as x0. */
  readonly z: T;
  /** Times [B]. */
  readonly t: T;
  /** Labels, guidance and the dropout stream, when the model takes them. */
  readonly cond?: Conditioning<T>;
}

/** Maps every tensor of a record through `f` (lifting constants into a transformation). */
export function mapRecord<A, B>(r: Record<string, A>, f: (a: A) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, f(v)]));
}

/** The conditioning with every tensor mapped through `f` (the dropout stream is passed on as it is); {} for none. */
export function mapCond<A, B>(c: Conditioning<A> | undefined, f: (a: A) => B): Conditioning<B> {
  if (!c) return {};
  return {
    ...(c.labels !== undefined ? { labels: f(c.labels) } : {}),
    ...(c.guidance !== undefined ? { guidance: f(c.guidance) } : {}),
    ...(c.dropoutRng !== undefined ? { dropoutRng: c.dropoutRng } : {}),
  };
}

/** The batch with every tensor mapped through `f`, e.g. lifted into a transformation as constants. */
export function mapBatch<A, B>(b: Batch<A>, f: (a: A) => B): Batch<B> {
  return { x0: f(b.x0), z: f(b.z), t: f(b.t), cond: mapCond(b.cond, f) };
}

/** Mean over all elements of exp(-u) * r^2 + u, with u [B] broadcast over each example. */
export function adaptiveWeightedMse<T>(o: TensorOps<T>, residual: T, u: T): T {
  const rank = o.shape(residual).length;
  const ub = o.reshape(u, [o.shape(u)[0], ...new Array<number>(rank - 1).fill(1)]);
  return o.mean(o.add(o.mul(o.exp(o.neg(ub)), o.mul(residual, residual)), ub));
}
