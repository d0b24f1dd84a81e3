/**
 * Nearest upsampling and average pooling by an integer factor, as exact reshapes: repeat with
 * Expand, average with ReduceMean. (Resize maps coordinates through float scales; AveragePool
 * needs NCHW transposes around it.)
 */
import type { LowerContext } from '../context.js';
import type { Dim } from '../batch.js';
import type { Lowerings } from './types.js';

const fixed = (value: number): Dim => ({ value, k: 0 });

/** NHWC dims [n, h, w, c] of a node's input, the batch entry following the batch. */
function nhwc(ctx: LowerContext, id: number): [Dim, number, number, number] {
  const [n, h, w, c] = ctx.batched.dims(id);
  return [n, h.value, w.value, c.value];
}

export const resample: Lowerings<'upsampleNearest' | 'avgPool'> = {
  upsampleNearest: (ctx, node, [x]) => {
    const f = node.attrs.factor;
    const [n, h, w, c] = nhwc(ctx, node.inputs[0]);
    const spread = ctx.emit('Reshape', [x, ctx.shapeTensor([n, fixed(h), fixed(1), fixed(w), fixed(1), fixed(c)])]);
    const repeated = ctx.emit('Expand', [spread, ctx.shapeTensor([n, fixed(h), fixed(f), fixed(w), fixed(f), fixed(c)])]);
    return ctx.emit('Reshape', [repeated, ctx.shapeTensor(ctx.batched.dims(node.id))]);
  },
  avgPool: (ctx, node, [x]) => {
    const f = node.attrs.factor;
    const [n, h, w, c] = nhwc(ctx, node.inputs[0]);
    const windows = ctx.emit('Reshape', [x, ctx.shapeTensor([n, fixed(h / f), fixed(f), fixed(w / f), fixed(f), fixed(c)])]);
    return ctx.emit('ReduceMean', [windows], { axes: [2, 4], keepdims: 0 });
  },
};
