/**
 * Convolutions. TensorOps is NHWC with [kh, kw, cin/groups, cout] filters; ONNX Conv is NCHW with
 * [cout, cin/groups, kh, kw] weights, so Transposes go around each Conv (ONNX Runtime folds those
 * on initializers and cancels them between consecutive convs). Paddings come from core's
 * resolveConv2D, so 'same' is TensorFlow's.
 */
import { resolveConv2D, type ResolvedConv2D } from '@scm/core';
import type { LowerContext } from '../context.js';
import type { Lowerings } from './types.js';

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
const HWIO_TO_OIHW = [3, 2, 0, 1];

/** ONNX pads: all begins, then all ends. */
const onnxPads = (r: ResolvedConv2D) => [r.pads[0][0], r.pads[1][0], r.pads[0][1], r.pads[1][1]];

const transpose = (ctx: LowerContext, x: string, perm: number[]) => ctx.emit('Transpose', [x], { perm });

/**
 * ONNX's default, stated anyway: ONNX Runtime Web's WebGPU kernels do not apply the default and
 * reject a Conv without it ("dilations should be 2D").
 */
const NO_DILATION = [1, 1];

export const conv: Lowerings<'conv2d' | 'conv2dBackpropInput' | 'conv2dBackpropFilter'> = {
  conv2d: (ctx, node, [x, w]) => {
    const [xShape, wShape] = node.inputs.map((id) => ctx.shapeOf(id));
    const r = resolveConv2D('conv2d', xShape, wShape, node.attrs.options);
    const y = ctx.emit('Conv', [transpose(ctx, x, NHWC_TO_NCHW), transpose(ctx, w, HWIO_TO_OIHW)], {
      strides: r.strides,
      pads: onnxPads(r),
      dilations: NO_DILATION,
      group: r.groups,
    });
    return transpose(ctx, y, NCHW_TO_NHWC);
  },

  /**
   * ConvTranspose is the adjoint of Conv with the same weight tensor. With conv2d's pads it yields
   * s (oh - 1) + k - pads rows; the rows the forward stride skipped at the end (at most s - 1) come
   * back as output_padding, so the result has exactly the shape of x.
   */
  conv2dBackpropInput: (ctx, node, [dy, w]) => {
    const wShape = ctx.shapeOf(node.inputs[1]);
    const xShape = ctx.shapeOf(node.id);
    const r = resolveConv2D('conv2dBackpropInput', xShape, wShape, node.attrs.options);
    const outputPadding = [0, 1].map((a) => (xShape[a + 1] + r.pads[a][0] + r.pads[a][1] - wShape[a]) % r.strides[a]);
    const dx = ctx.emit('ConvTranspose', [transpose(ctx, dy, NHWC_TO_NCHW), transpose(ctx, w, HWIO_TO_OIHW)], {
      strides: r.strides,
      pads: onnxPads(r),
      dilations: NO_DILATION,
      group: r.groups,
      output_padding: outputPadding,
    });
    return transpose(ctx, dx, NCHW_TO_NHWC);
  },

  /**
   * dw[a, b, i, o] = sum over n, y, x of xpad[n, s y + a, s x + b, i] dy[n, y, x, o]: a Conv whose
   * "batch" is x's channels, whose "channels" are the examples, and whose kernel is dy dilated by
   * the stride. Padding at the end can leave up to s - 1 extra taps, which are sliced off. ONNX
   * groups split channels (here: examples), not the batch, so each group is its own Conv.
   */
  conv2dBackpropFilter: (ctx, node, [x, dy]) => {
    const xShape = ctx.shapeOf(node.inputs[0]);
    const [kh, kw, cg, cout] = ctx.shapeOf(node.id);
    const r = resolveConv2D('conv2dBackpropFilter', xShape, [kh, kw, cg, cout], node.attrs.options);
    const cog = cout / r.groups;
    const channels = (t: string, width: number, g: number) =>
      r.groups === 1 ? t : ctx.emit('Slice', [t, ctx.int64s([g * width]), ctx.int64s([(g + 1) * width]), ctx.int64s([3])]);
    const blocks = Array.from({ length: r.groups }, (_, g) => {
      const full = ctx.emit('Conv', [transpose(ctx, channels(x, cg, g), [3, 0, 1, 2]), transpose(ctx, channels(dy, cog, g), [3, 0, 1, 2])], {
        dilations: r.strides,
        pads: onnxPads(r),
      });
      return ctx.emit('Slice', [full, ctx.int64s([0, 0]), ctx.int64s([kh, kw]), ctx.int64s([2, 3])]);
    });
    const dw = blocks.length === 1 ? blocks[0] : ctx.emit('Concat', blocks, { axis: 1 });
    // [cin/groups, cout, kh, kw] -> [kh, kw, cin/groups, cout]
    return transpose(ctx, dw, [2, 3, 0, 1]);
  },
};
