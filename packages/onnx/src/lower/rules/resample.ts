/**
 * Nearest upsampling and average pooling by an integer factor. Channels first (after core's layout
 * pass) they are ONNX's Resize and AveragePool: Resize in 'asymmetric' coordinates with 'floor'
 * reads input pixel floor(i / f) for output pixel i, exact for an integer factor (i / f is exact
 * in float for image-sized i), and ONNX Runtime runs it several times faster than an Expand of the
 * same copy. On a traced NHWC node both are exact reshapes: repeat with Expand, average with ReduceMean.
 */
import type { LowerContext } from '../context.js';
import { fixed, type Dim } from '../batch.js';
import type { Lowerings } from './types.js';

/** NHWC dims [n, h, w, c] of a node's input, the batch entry following the batch. */
function nhwc(ctx: LowerContext, id: number): [Dim, number, number, number] {
  const [n, h, w, c] = ctx.batched.dims(id);
  return [n, h.value, w.value, c.value];
}

export const resample: Lowerings<'upsampleNearest' | 'avgPool'> = {
  upsampleNearest: (ctx, node, [x]) => {
    const f = node.attrs.factor;
    if (node.attrs.layout === 'nchw') {
      return ctx.emit('Resize', [x, '', ctx.floats([1, 1, f, f], [4])], {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      });
    }
    const [n, h, w, c] = nhwc(ctx, node.inputs[0]);
    const spread = ctx.emit('Reshape', [x, ctx.shapeTensor([n, fixed(h), fixed(1), fixed(w), fixed(1), fixed(c)])]);
    const repeated = ctx.emit('Expand', [spread, ctx.shapeTensor([n, fixed(h), fixed(f), fixed(w), fixed(f), fixed(c)])]);
    return ctx.emit('Reshape', [repeated, ctx.shapeTensor(ctx.batched.dims(node.id))]);
  },
  avgPool: (ctx, node, [x]) => {
    const f = node.attrs.factor;
    if (node.attrs.layout === 'nchw') return ctx.emit('AveragePool', [x], { kernel_shape: [f, f], strides: [f, f] });
    const [n, h, w, c] = nhwc(ctx, node.inputs[0]);
    const windows = ctx.emit('Reshape', [x, ctx.shapeTensor([n, fixed(h / f), fixed(f), fixed(w / f), fixed(f), fixed(c)])]);
    return ctx.emit('ReduceMean', [windows], { axes: [2, 4], keepdims: 0 });
  },
};
