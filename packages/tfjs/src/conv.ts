/**
 * conv2d and its two adjoints on tfjs, for options already resolved (and shapes already checked)
 * by @scm/core. Callers run these inside tf.tidy: the intermediates are theirs to free.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedConv2D, Shape } from '@scm/core';

type Pads4 = [[number, number], [number, number], [number, number], [number, number]];

/** Resolved options as tfjs takes them: mutable strides, explicit NHWC padding (none on batch and channels). */
function tfjsArgs({ strides: [sh, sw], pads: [[top, bottom], [left, right]] }: ResolvedConv2D): { strides: [number, number]; pad: Pads4 } {
  return { strides: [sh, sw], pad: [[0, 0], [top, bottom], [left, right], [0, 0]] };
}

/** Channels [g * size, (g + 1) * size) of an NHWC tensor or an HWIO filter (both keep them last). */
function channelBlock(x: tf.Tensor4D, g: number, size: number): tf.Tensor4D {
  return size === x.shape[3] ? x : tf.slice(x, [0, 0, 0, g * size], [-1, -1, -1, size]);
}

/** tfjs has no grouped convolution: one convolution per group, outputs side by side in channels. */
function perGroup(groups: number, conv: (g: number) => tf.Tensor4D): tf.Tensor4D {
  return groups === 1 ? conv(0) : tf.concat(Array.from({ length: groups }, (_, g) => conv(g)), 3);
}

export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, r: ResolvedConv2D): tf.Tensor4D {
  const [kh, kw, cg, cout] = w.shape;
  const { strides, pad } = tfjsArgs(r);
  if (r.groups > 1 && cg === 1) {
    // One input channel per group is a depthwise convolution with multiplier cout / cin; its output
    // channel c * multiplier + m is exactly the grouped layout, so a reshape of w is all it takes.
    const filter = tf.reshape<tf.Rank.R4>(w, [kh, kw, r.groups, cout / r.groups]);
    return tf.depthwiseConv2d(x, filter, strides, pad);
  }
  const cog = cout / r.groups;
  return perGroup(r.groups, (g) => tf.conv2d(channelBlock(x, g, cg), channelBlock(w, g, cog), strides, pad));
}

/**
 * Backends whose Conv2DBackpropInput kernel is a scalar loop: wasm's (unlike its XNNPACK conv2d) is
 * 2-10x slower than computing the same gradient as a forward convolution, so that is done there.
 * Elsewhere the native kernel wins (the cpu one skips the zeros a dilated dy would carry).
 */
const SCALAR_BACKPROP_INPUT = new Set(['wasm']);

export function conv2dBackpropInput(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: Shape, r: ResolvedConv2D): tf.Tensor4D {
  const [, , cg, cout] = w.shape;
  const cog = cout / r.groups;
  const groupShape: [number, number, number, number] = [xShape[0], xShape[1], xShape[2], cg];
  const { strides, pad } = tfjsArgs(r);
  const viaForward = SCALAR_BACKPROP_INPUT.has(tf.getBackend());
  return perGroup(r.groups, (g) => {
    const dyg = channelBlock(dy, g, cog);
    const wg = channelBlock(w, g, cog);
    return viaForward ? backpropInputAsConv(dyg, wg, groupShape, r) : tf.conv2dTranspose(dyg, wg, groupShape, strides, pad);
  });
}

/**
 * dx is the correlation of dy, dilated by the stride (zeros between rows and between columns) and
 * padded by kernel - 1 - pad before, with the filter flipped in space and its in/out channels
 * swapped. Where that padding comes out negative (pads beyond kernel - 1, or dilated rows past the
 * input's end) the result is cropped instead.
 */
function backpropInputAsConv(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: [number, number, number, number], r: ResolvedConv2D): tf.Tensor4D {
  const [kh, kw] = w.shape;
  const dilated = dilate(dy, r.strides);
  const filter = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]);
  const before = [kh - 1 - r.pads[0][0], kw - 1 - r.pads[1][0]];
  const after = [xShape[1] + r.pads[0][0] - dilated.shape[1], xShape[2] + r.pads[1][0] - dilated.shape[2]];
  const [bh, bw, ah, aw] = [...before, ...after].map((p) => Math.max(p, 0));
  const full = tf.conv2d(dilated, filter, 1, [[0, 0], [bh, ah], [bw, aw], [0, 0]]);
  return tf.slice(full, [0, Math.max(-before[0], 0), Math.max(-before[1], 0), 0], xShape);
}

/** Inserts stride - 1 zeros after every row and column (the trailing ones are harmless here). */
function dilate(x: tf.Tensor4D, [sh, sw]: readonly [number, number]): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  const spread = tf.pad(tf.reshape(x, [n, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return tf.reshape(spread, [n, h * sh, w * sw, c]);
}

/**
 * The wasm backend has no Conv2DBackpropFilter kernel, so every backend computes the filter gradient
 * as a forward convolution:
 *   dw[i, j, c, o] = sum over n, p, q of xpad[n, p * s + i, q * s + j, c] * dy[n, p, q, o]
 * is conv2d of x with channels as the batch and the batch as channels ([c, h, w, n]) by dy as a
 * filter ([p, q, n, o]) dilated by the stride; its output [c, i, j, o] is cut to the kernel size
 * (padding at the bottom/right may leave up to stride - 1 extra rows/columns) and transposed back.
 */
export function conv2dBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, wShape: Shape, r: ResolvedConv2D): tf.Tensor4D {
  const [kh, kw, cg, cout] = wShape;
  const cog = cout / r.groups;
  const { strides, pad } = tfjsArgs(r);
  return perGroup(r.groups, (g) => {
    const xT = tf.transpose(channelBlock(x, g, cg), [3, 1, 2, 0]);
    const dyT = tf.transpose(channelBlock(dy, g, cog), [1, 2, 0, 3]);
    const full = tf.conv2d(xT, dyT, 1, pad, 'NHWC', strides);
    return tf.transpose(tf.slice(full, [0, 0, 0, 0], [cg, kh, kw, cog]), [1, 2, 0, 3]);
  });
}
