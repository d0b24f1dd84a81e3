/**
 * Core's fused nodes. A normalisation over trailing axes is ONNX's InstanceNormalization on x viewed
 * as [n, c, rest] (unit scale, zero bias), which is how PyTorch exports GroupNorm; over other axes,
 * the mean and variance chain it was fused from. A softmax is ONNX's Softmax (one axis since opset 13).
 */
import { fixed, type Dim } from '../batch.js';
import type { Lowerings } from './types.js';

const product = (ds: readonly Dim[]) => ds.reduce((p, d) => p * d.value, 1);

export const fused: Lowerings<'normalize' | 'softmax'> = {
  normalize: (ctx, node, [x]) => {
    const { axes, eps } = node.attrs;
    const dims = ctx.batched.dims(node.id);
    const first = axes[0];
    const trailing = first >= 1 && axes.every((a, i) => a === first + i) && axes[axes.length - 1] === dims.length - 1;
    // Only the leading axis may follow the batch: the others are multiplied into fixed sizes.
    if (trailing && dims.slice(1).every((d) => d.k === 0)) {
      const c = product(dims.slice(1, first));
      const view = ctx.emit('Reshape', [x, ctx.shapeTensor([dims[0], fixed(c), fixed(product(dims.slice(first)))])]);
      const normalised = ctx.emit('InstanceNormalization', [view, ctx.floats(new Float32Array(c).fill(1), [c]), ctx.floats(new Float32Array(c), [c])], {
        epsilon: { float: eps },
      });
      return ctx.emit('Reshape', [normalised, ctx.shapeTensor(dims)]);
    }
    const mean = (t: string) => ctx.emit('ReduceMean', [t], { axes, keepdims: 1 });
    const centered = ctx.emit('Sub', [x, mean(x)]);
    const variance = mean(ctx.emit('Mul', [centered, centered]));
    const std = ctx.emit('Sqrt', [ctx.emit('Add', [variance, ctx.floats([eps])])]);
    return ctx.emit('Div', [centered, std]);
  },
  softmax: (ctx, node, [x]) => ctx.emit('Softmax', [x], { axis: node.attrs.axis }),
};
