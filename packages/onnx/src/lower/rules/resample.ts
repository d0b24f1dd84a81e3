/**
 * Nearest upsampling and average pooling by an integer factor. Channels first (after core's layout
 * pass) they are ONNX's Resize and AveragePool: Resize in 'asymmetric' coordinates with 'floor'
 * reads input pixel floor(i / f) for output pixel i, exact for an integer factor (i / f is exact
 * in float for image-sized i), and ONNX Runtime runs it several times faster than an Expand of the
 * same copy. On a traced NHWC node both are exact reshapes: repeat with Expand, average with ReduceMean.
 */
import type { LowerContext } from '../context.js';
import type { Dim } from '../batch.js';
import type { Lowerings, NodeOf } from './types.js';

const fixed = (value: number): Dim => ({ value, k: 0 });

/** [batch, rows, cols, channels] of a node's input, and whether channels come before rows. */
function dims(ctx: LowerContext, node: NodeOf<'upsampleNearest' | 'avgPool'>) {
  const [n, a, b, c] = ctx.batched.dims(node.inputs[0]);
  const channelsFirst = node.attrs.layout === 'nchw';
  return channelsFirst ? { n, h: b.value, w: c.value, c: a.value, channelsFirst } : { n, h: a.value, w: b.value, c: c.value, channelsFirst };
}

/** An NHWC or NCHW shape with h and w each split into (size, factor-sized) pairs. */
const split = (n: Dim, h: [number, number], w: [number, number], c: number, channelsFirst: boolean): Dim[] => {
  const spatial = [fixed(h[0]), fixed(h[1]), fixed(w[0]), fixed(w[1])];
  return channelsFirst ? [n, fixed(c), ...spatial] : [n, ...spatial, fixed(c)];
};

export const resample: Lowerings<'upsampleNearest' | 'avgPool'> = {
  upsampleNearest: (ctx, node, [x]) => {
    const f = node.attrs.factor;
    const { n, h, w, c, channelsFirst } = dims(ctx, node);
    if (channelsFirst) {
      return ctx.emit('Resize', [x, '', ctx.floats([1, 1, f, f], [4])], {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      });
    }
    const spread = ctx.emit('Reshape', [x, ctx.shapeTensor(split(n, [h, 1], [w, 1], c, channelsFirst))]);
    const repeated = ctx.emit('Expand', [spread, ctx.shapeTensor(split(n, [h, f], [w, f], c, channelsFirst))]);
    return ctx.emit('Reshape', [repeated, ctx.shapeTensor(ctx.batched.dims(node.id))]);
  },
  avgPool: (ctx, node, [x]) => {
    const f = node.attrs.factor;
    const { n, h, w, c, channelsFirst } = dims(ctx, node);
    if (channelsFirst) return ctx.emit('AveragePool', [x], { kernel_shape: [f, f], strides: [f, f] });
    const windows = ctx.emit('Reshape', [x, ctx.shapeTensor(split(n, [h / f, f], [w / f, f], c, false))]);
    return ctx.emit('ReduceMean', [windows], { axes: [2, 4], keepdims: 0 });
  },
};
