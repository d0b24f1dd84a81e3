import type { TensorOps } from '../tensor/ops.js';
import type { Rng } from '../random/index.js';

/** Inverted dropout with a host-drawn mask, so the mask is reproducible from the stream's state. */
export function dropout<T>(o: TensorOps<T>, x: T, rate: number, rng: Rng): T {
  const shape = o.shape(x);
  const u = rng.uniform(shape.reduce((a, b) => a * b, 1));
  const keep = 1 / (1 - rate);
  const mask = u.map((v) => (v >= rate ? keep : 0));
  return o.mul(x, o.fromArray(mask, shape));
}
