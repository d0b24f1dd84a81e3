/**
 * Small networks for the composite conformance checks: every primitive rule composed the way real
 * models compose them (an MLP, and a conv net with group norm, SiLU, softmax attention, down- and
 * upsampling and a grouped conv).
 */
import type { Shape, TensorOps } from '../tensor/ops.js';
import type { UnetConfig } from '../models/unet.js';
import { attention, groupNorm, linear, silu } from '../nn/functional.js';

/**
 * A U-Net small enough for float64 and eager-backend tests that still takes every path: 8x8x2
 * images, two levels [8, 16], 2-head attention at 4x4, 3 classes and a guidance input.
 */
export const tinyUnetConfig: Partial<UnetConfig> = {
  imageSize: 8,
  channels: 2,
  baseChannels: 8,
  channelMult: [1, 2],
  blocksPerLevel: 1,
  attentionResolutions: [4],
  attentionHeads: 2,
  numClasses: 3,
  guidanceInput: true,
  embChannels: 8,
  normGroups: 4,
  logvarChannels: 8,
};

/** A small network composed from primitives, for checking whole-network values and derivatives on a backend. */
export interface CompositeNet {
  /** Name used in test titles. */
  readonly name: string;
  /** Shape of the input x. */
  readonly inputShape: Shape;
  /** Shape of each parameter, by name. */
  readonly params: Record<string, Shape>;
  /** The network's output for input x and parameters p. */
  forward<U>(o: TensorOps<U>, p: Record<string, U>, x: U): U;
}

/** A three-layer MLP with SiLU, tanh and a skip connection: input [4, 3], output [4, 2]. */
export const mlp: CompositeNet = {
  name: 'mlp',
  inputShape: [4, 3],
  params: { w1: [3, 8], b1: [8], w2: [8, 8], b2: [8], w3: [8, 2], b3: [2] },
  forward(o, p, x) {
    const h1 = silu(o, linear(o, x, p.w1, p.b1));
    const h2 = o.tanh(linear(o, h1, p.w2, p.b2));
    return linear(o, o.add(h1, h2), p.w3, p.b3);
  },
};

/** A conv net with GroupNorm, a grouped convolution, average pooling, softmax attention over pixels and upsampling: input [2, 6, 6, 3] (NHWC), output [2, 6, 6, 2]. */
export const convNet: CompositeNet = {
  name: 'convnet',
  inputShape: [2, 6, 6, 3],
  params: {
    c1: [3, 3, 3, 4],
    c2: [3, 3, 2, 4],
    c3: [3, 3, 4, 4],
    wq: [4, 4],
    wk: [4, 4],
    wv: [4, 4],
    wo: [4, 2],
  },
  forward(o, p, x) {
    const h1 = silu(o, groupNorm(o, o.conv2d(x, p.c1, { padding: 'same' }), 2));
    const h2 = silu(o, o.conv2d(h1, p.c2, { padding: 'same', groups: 2 }));
    const down = o.conv2d(o.avgPool(h2, 2), p.c3, { strides: 1, padding: 'same' });
    const [n, h, w, c] = o.shape(down);
    const tokens = o.reshape(down, [n, h * w, c]);
    const att = attention(o, linear(o, tokens, p.wq), linear(o, tokens, p.wk), linear(o, tokens, p.wv));
    const up = o.upsampleNearest(o.reshape(o.add(att, tokens), [n, h, w, c]), 2);
    return linear(o, o.add(up, h2), p.wo);
  },
};

/** Every composite network the conformance suite runs. */
export const compositeNets: readonly CompositeNet[] = [mlp, convNet];
