/** Shape primitives. Target shapes and slice offsets go through ctx.shapeTensor, which follows the batch. */
import type { Lowerings } from './types.js';

export const layout: Lowerings<'reshape' | 'transpose' | 'broadcastTo' | 'slice' | 'concat' | 'pad'> = {
  reshape: (ctx, node, [x]) => ctx.emit('Reshape', [x, ctx.shapeTensor(ctx.batched.dims(node.id))]),
  transpose: (ctx, node, [x]) => ctx.emit('Transpose', [x], { perm: node.attrs.perm }),
  // Expand broadcasts the input against the shape both ways; broadcastTo's target already contains the input's shape.
  broadcastTo: (ctx, node, [x]) => ctx.emit('Expand', [x, ctx.shapeTensor(ctx.batched.dims(node.id))]),
  slice: (ctx, node, [x]) => {
    const size = ctx.batched.dims(node.id);
    // ONNX Slice needs rank >= 1; a scalar's only slice is itself.
    if (size.length === 0) return ctx.emit('Identity', [x]);
    const begin = ctx.batched.sliceBegin(node.id);
    const end = begin.map((b, i) => ({ value: b.value + size[i].value, k: b.k + size[i].k }));
    return ctx.emit('Slice', [x, ctx.shapeTensor(begin), ctx.shapeTensor(end), ctx.int64s(size.map((_, i) => i))]);
  },
  concat: (ctx, node, inputs) => ctx.emit('Concat', inputs, { axis: node.attrs.axis }),
  pad: (ctx, { attrs: { paddings, value } }, [x]) => {
    if (paddings.length === 0) return ctx.emit('Identity', [x]);
    const pads = [...paddings.map(([before]) => before), ...paddings.map(([, after]) => after)];
    return ctx.emit('Pad', [x, ctx.int64s(pads), ctx.floats([value])], { mode: 'constant' });
  },
};
