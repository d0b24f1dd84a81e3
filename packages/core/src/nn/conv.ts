/** Convolution layers: parameters on the host, the layer as a function of (ops, weights, input). */
import type { TensorOps } from '../tensor/ops.js';
import type { Rng } from '../random/index.js';
import { drawParams, type HostParams, type ParamSpecs } from './params.js';

/**
 * A k x k convolution's parameters under `prefix`: weight [k, k, cin, cout] drawn like a dense
 * layer's over its fan-in k^2 cin (gain 0 gives zeros), and a zero bias [cout].
 */
export function convSpecs(prefix: string, k: number, cin: number, cout: number, gain = 1): ParamSpecs {
  const fanIn = k * k * cin;
  return {
    [`${prefix}.weight`]: { shape: [k, k, cin, cout], fanIn, gain },
    [`${prefix}.bias`]: { shape: [cout], fanIn, gain: 0 },
  };
}

/** {@link convSpecs}, drawn. */
export const convParams = (rng: Rng, prefix: string, k: number, cin: number, cout: number, gain = 1): HostParams =>
  drawParams(rng, convSpecs(prefix, k, cin, cout, gain));

/** A stride-1 'same' convolution plus bias: only explicit pooling and upsampling change the resolution. */
export function conv<T>(o: TensorOps<T>, x: T, weight: T, bias: T): T {
  return o.add(o.conv2d(x, weight, { padding: 'same' }), bias);
}
