/** Convolution layers: parameters on the host, the layer as a function of (ops, weights, input). */
import type { TensorOps } from '../tensor/ops.js';
import type { Rng } from '../random/index.js';
import { normalInit, zeros, type HostParams } from './params.js';

/**
 * A k x k convolution's parameters under `prefix`: weight [k, k, cin, cout] drawn like a dense
 * layer's over its fan-in k^2 cin (gain 0 gives zeros), and a zero bias [cout].
 */
export function convParams(rng: Rng, prefix: string, k: number, cin: number, cout: number, gain = 1): HostParams {
  const shape = [k, k, cin, cout];
  return {
    [`${prefix}.weight`]: gain === 0 ? zeros(shape) : normalInit(rng, shape, k * k * cin, gain),
    [`${prefix}.bias`]: zeros([cout]),
  };
}

/** A stride-1 'same' convolution plus bias: only explicit pooling and upsampling change the resolution. */
export function conv<T>(o: TensorOps<T>, x: T, weight: T, bias: T): T {
  return o.add(o.conv2d(x, weight, { padding: 'same' }), bias);
}
