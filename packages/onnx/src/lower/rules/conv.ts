/**
 * Convolutions. ONNX Conv is NCHW with [cout, cin/groups, kh, kw] weights. A node that core's layout
 * pass made channels first (layout 'nchw') maps onto it directly; a traced NHWC node with HWIO filters
 * gets Transposes around it. Paddings come from core's resolveConv2D (on NHWC shapes), so 'same' is
 * TensorFlow's.
 */
import { HWIO_TO_OIHW, NCHW_TO_NHWC, NHWC_TO_NCHW, OIHW_TO_HWIO, permute, resolveConv2D, type NodeAttrs, type ResolvedConv2D, type Shape } from '@scm/core';
import type { LowerContext } from '../context.js';
import type { Lowerings, NodeOf } from './types.js';

/** ONNX pads: all begins, then all ends. */
const onnxPads = (r: ResolvedConv2D) => [r.pads[0][0], r.pads[1][0], r.pads[0][1], r.pads[1][1]];

/**
 * ONNX's default, stated anyway: ONNX Runtime Web's WebGPU kernels do not apply the default and
 * reject a Conv without it ("dilations should be 2D").
 */
const NO_DILATION = [1, 1];

/** How a node's images and filters are laid out, and the transposes to and from ONNX's. */
interface Layout {
  readonly channelsFirst: boolean;
  /** An image (or filter) of the node as ONNX wants it. */
  image(ctx: LowerContext, x: string): string;
  filter(ctx: LowerContext, w: string): string;
  /** An NCHW result in the node's layout. */
  fromImage(ctx: LowerContext, y: string): string;
  /** The node's shapes in core's NHWC / HWIO terms, for resolveConv2D. */
  nhwc(shape: Shape): Shape;
  hwio(shape: Shape): Shape;
}

const transpose = (perm: readonly number[]) => (ctx: LowerContext, x: string) => ctx.emit('Transpose', [x], { perm: [...perm] });
const same = (_ctx: LowerContext, x: string) => x;
const unchanged = (shape: Shape) => shape;

function layoutOf(attrs: NodeAttrs): Layout {
  const channelsFirst = 'layout' in attrs && attrs.layout === 'nchw';
  return channelsFirst
    ? { channelsFirst, image: same, filter: same, fromImage: same, nhwc: (s) => permute(s, NCHW_TO_NHWC), hwio: (s) => permute(s, OIHW_TO_HWIO) }
    : {
        channelsFirst,
        image: transpose(NHWC_TO_NCHW),
        filter: transpose(HWIO_TO_OIHW),
        fromImage: transpose(NCHW_TO_NHWC),
        nhwc: unchanged,
        hwio: unchanged,
      };
}

export const conv: Lowerings<'conv2d' | 'conv2dBackpropInput' | 'conv2dBackpropFilter'> = {
  conv2d: (ctx, node, [x, w]) => {
    const l = layoutOf(node.attrs);
    const r = resolveConv2D('conv2d', l.nhwc(ctx.shapeOf(node.inputs[0])), l.hwio(ctx.shapeOf(node.inputs[1])), node.attrs.options);
    const y = ctx.emit('Conv', [l.image(ctx, x), l.filter(ctx, w)], { strides: r.strides, pads: onnxPads(r), dilations: NO_DILATION, group: r.groups });
    return l.fromImage(ctx, y);
  },

  /**
   * ConvTranspose is the adjoint of Conv with the same weight tensor. With conv2d's pads it yields
   * s (oh - 1) + k - pads rows; the rows the forward stride skipped at the end (at most s - 1) come
   * back as output_padding, so the result has exactly the shape of x. At stride 1 the adjoint is also
   * a Conv of dy with the filter flipped in space and its channel axes swapped, padded by k - 1 - pad:
   * ONNX Runtime runs that 1.5-1.7x faster than its ConvTranspose on the MNIST U-Net's shapes.
   */
  conv2dBackpropInput: (ctx, node, [dy, w]) => {
    const l = layoutOf(node.attrs);
    const wShape = l.hwio(ctx.shapeOf(node.inputs[1]));
    const xShape = l.nhwc(ctx.shapeOf(node.id));
    const r = resolveConv2D('conv2dBackpropInput', xShape, wShape, node.attrs.options);
    const [kh, kw] = wShape;
    const flippedPads = [kh - 1 - r.pads[0][0], kw - 1 - r.pads[1][0], kh - 1 - r.pads[0][1], kw - 1 - r.pads[1][1]];
    if (r.strides[0] === 1 && r.strides[1] === 1 && flippedPads.every((p) => p >= 0)) {
      const adjoint = ctx.emit('Conv', [l.image(ctx, dy), adjointFilter(ctx, l.filter(ctx, w), wShape, r.groups)], {
        strides: [1, 1],
        pads: flippedPads,
        dilations: NO_DILATION,
        group: r.groups,
      });
      return l.fromImage(ctx, adjoint);
    }
    const outputPadding = [0, 1].map((a) => (xShape[a + 1] + r.pads[a][0] + r.pads[a][1] - wShape[a]) % r.strides[a]);
    const dx = ctx.emit('ConvTranspose', [l.image(ctx, dy), l.filter(ctx, w)], {
      strides: r.strides,
      pads: onnxPads(r),
      dilations: NO_DILATION,
      group: r.groups,
      output_padding: outputPadding,
    });
    return l.fromImage(ctx, dx);
  },

  /**
   * Traced NHWC nodes only (channels first, see filterGradientByMatMul):
   * dw[o, i, a, b] = sum over n, y, x of xpad[n, i, s y + a, s x + b] dy[n, o, y, x]: a Conv whose
   * "batch" is x's channels, whose "channels" are the examples, and whose kernel is dy dilated by
   * the stride. Padding at the end can leave up to s - 1 extra taps, which are sliced off. ONNX
   * groups split channels (here: examples), not the batch, so each group is its own Conv.
   */
  conv2dBackpropFilter: (ctx, node, [x, dy]) => {
    if (layoutOf(node.attrs).channelsFirst) return filterGradientByMatMul(ctx, node, x, dy);
    const xShape = ctx.shapeOf(node.inputs[0]);
    const [kh, kw, cg, cout] = ctx.shapeOf(node.id);
    const r = resolveConv2D('conv2dBackpropFilter', xShape, [kh, kw, cg, cout], node.attrs.options);
    const cog = cout / r.groups;
    const channels = (t: string, width: number, g: number) =>
      r.groups === 1 ? t : ctx.emit('Slice', [t, ctx.int64s([g * width]), ctx.int64s([(g + 1) * width]), ctx.int64s([3])]);
    const channelBatch = transpose([3, 0, 1, 2]);
    const blocks = Array.from({ length: r.groups }, (_, g) => {
      const full = ctx.emit('Conv', [channelBatch(ctx, channels(x, cg, g)), channelBatch(ctx, channels(dy, cog, g))], {
        dilations: r.strides,
        pads: onnxPads(r),
      });
      return ctx.emit('Slice', [full, ctx.int64s([0, 0]), ctx.int64s([kh, kw]), ctx.int64s([2, 3])]);
    });
    // [cin/groups, cout, kh, kw] -> [kh, kw, cin/groups, cout]
    return transpose([2, 3, 0, 1])(ctx, blocks.length === 1 ? blocks[0] : ctx.emit('Concat', blocks, { axis: 1 }));
  },
};

/**
 * The OIHW filter of the conv that is the adjoint of `w`'s (stride 1): w[o, i, a, b] moved to
 * [i, o, kh - 1 - a, kw - 1 - b], within each group (cin and cout swap roles per group).
 */
function adjointFilter(ctx: LowerContext, w: string, [kh, kw, cg, cout]: Shape, groups: number): string {
  const cog = cout / groups;
  const swapped =
    groups === 1
      ? ctx.emit('Transpose', [w], { perm: [1, 0, 2, 3] })
      : ctx.emit('Reshape', [
          ctx.emit('Transpose', [ctx.emit('Reshape', [w, ctx.int64s([groups, cog, cg, kh, kw])])], { perm: [0, 2, 1, 3, 4] }),
          ctx.int64s([groups * cg, cog, kh, kw]),
        ]);
  // Slice with step -1 from the last element runs backwards through the whole axis.
  return ctx.emit('Slice', [swapped, ctx.int64s([-1, -1]), ctx.int64s([-kh - 1, -kw - 1]), ctx.int64s([2, 3]), ctx.int64s([-1, -1])]);
}

/**
 * The filter gradient of a channels-first conv as one matrix product over patches (im2col):
 * dw[(a, b, i), o] = sum over (n, p) of P[(a, b, i), (n, p)] dy[o, (n, p)], where P stacks the kh kw
 * shifted (and strided) views of the padded x, channels leading, and p runs over output pixels. As a
 * Conv (the traced form) the kernel is dy itself, image-sized, which ONNX Runtime's CPU Conv runs at a
 * small fraction of its usual speed (measured 1.4-2.4x slower than this on the MNIST U-Net's shapes).
 */
function filterGradientByMatMul(ctx: LowerContext, node: NodeOf<'conv2dBackpropFilter'>, x: string, dy: string): string {
  const [n, cin, h, w] = ctx.batched.dims(node.inputs[0]).map((d) => d.value);
  const [, , oh, ow] = ctx.shapeOf(node.inputs[1]);
  const [kh, kw, cg, cout] = permute(ctx.shapeOf(node.id), OIHW_TO_HWIO);
  const r = resolveConv2D('conv2dBackpropFilter', [n, h, w, cin], [kh, kw, cg, cout], node.attrs.options);
  const [sh, sw] = r.strides;
  const cog = cout / r.groups;
  // Channels lead: [c, n, h, w], so that a channel's pixels over the whole batch are one row.
  const channelsLead = (t: string) => ctx.emit('Transpose', [t], { perm: [1, 0, 2, 3] });
  const xs = channelsLead(x);
  const padded = r.pads.flat().some((p) => p > 0)
    ? ctx.emit('Pad', [xs, ctx.int64s([0, 0, r.pads[0][0], r.pads[1][0], 0, 0, r.pads[0][1], r.pads[1][1]]), ctx.floats([0])], { mode: 'constant' })
    : xs;
  const dys = channelsLead(dy);
  const channels = (t: string, from: number, to: number, all: number) =>
    to - from === all ? t : ctx.emit('Slice', [t, ctx.int64s([from]), ctx.int64s([to]), ctx.int64s([0])]);
  const blocks = Array.from({ length: r.groups }, (_, g) => {
    const source = channels(padded, g * cg, (g + 1) * cg, cin);
    const views: string[] = [];
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const ends = [a + sh * (oh - 1) + 1, b + sw * (ow - 1) + 1];
        const whole = source === xs && a === 0 && b === 0 && ends[0] === h && ends[1] === w && sh === 1 && sw === 1;
        views.push(whole ? source : ctx.emit('Slice', [source, ctx.int64s([a, b]), ctx.int64s(ends), ctx.int64s([2, 3]), ctx.int64s([sh, sw])]));
      }
    }
    const patches = ctx.emit('Reshape', [views.length === 1 ? views[0] : ctx.emit('Concat', views, { axis: 0 }), ctx.int64s([kh * kw * cg, -1])]);
    const rows = ctx.emit('Reshape', [channels(dys, g * cog, (g + 1) * cog, cout), ctx.int64s([cog, -1])]);
    return ctx.emit('MatMul', [patches, ctx.emit('Transpose', [rows], { perm: [1, 0] })]);
  });
  const hwio = ctx.emit('Reshape', [blocks.length === 1 ? blocks[0] : ctx.emit('Concat', blocks, { axis: 1 }), ctx.int64s([kh, kw, cg, cout])]);
  return ctx.emit('Transpose', [hwio], { perm: [...HWIO_TO_OIHW] });
}
